//! The dates staff say in a message — "today", "Friday", "next week", "the next 10 days",
//! "2026-11-27" — resolved against the facility's today.
//!
//! The offline provider has no model to ask what "this Friday" means, so the meaning is fixed
//! here, the way the facility's staff use the words: a bare or `this` weekday is its next
//! occurrence (today if today is that day); `next <weekday>` is that day of next week; weeks
//! run Monday to Sunday.

use chrono::{Datelike, Days, Months, NaiveDate, Weekday};

use super::rules::listed;

/// An inclusive range of facility days.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) struct DateRange {
    pub start: NaiveDate,
    pub end: NaiveDate,
}

impl DateRange {
    pub fn new(start: NaiveDate, end: NaiveDate) -> DateRange {
        DateRange { start, end }
    }

    pub fn day(date: NaiveDate) -> DateRange {
        DateRange::new(date, date)
    }

    pub fn is_single_day(&self) -> bool {
        self.start == self.end
    }

    /// The days of the range, in order.
    pub fn dates(&self) -> impl Iterator<Item = NaiveDate> + use<> {
        let end = self.end;
        self.start.iter_days().take_while(move |d| *d <= end)
    }
}

/// A date expression found in a message.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Mention {
    range: DateRange,
    /// A bare weekday: in "Friday to Monday", a Monday before the Friday means the one after.
    weekday: bool,
}

/// Weekday names and abbreviations. "sat" and "sun" are left out: they are ordinary words too.
const WEEKDAYS: &[(&str, Weekday)] = &[
    ("monday mon", Weekday::Mon),
    ("tuesday tue tues", Weekday::Tue),
    ("wednesday wed weds", Weekday::Wed),
    ("thursday thu thur thurs", Weekday::Thu),
    ("friday fri", Weekday::Fri),
    ("saturday", Weekday::Sat),
    ("sunday", Weekday::Sun),
];

const MONTHS: &[(&str, u32)] = &[
    ("january jan", 1),
    ("february feb", 2),
    ("march mar", 3),
    ("april apr", 4),
    ("may", 5),
    ("june jun", 6),
    ("july jul", 7),
    ("august aug", 8),
    ("september sep sept", 9),
    ("october oct", 10),
    ("november nov", 11),
    ("december dec", 12),
];

const NUMBER_WORDS: &[(&str, u32)] = &[
    ("one", 1),
    ("two", 2),
    ("three", 3),
    ("four", 4),
    ("five", 5),
    ("six", 6),
    ("seven", 7),
    ("eight", 8),
    ("nine", 9),
    ("ten", 10),
    ("eleven", 11),
    ("twelve", 12),
    ("fourteen", 14),
    ("thirty", 30),
];

/// Words that belong to date expressions, so that name extraction can skip them.
pub(super) fn is_date_word(word: &str) -> bool {
    listed(
        "today tonight tomorrow yesterday week weeks weekend month day days this next last past coming",
        word,
    ) || weekday(word).is_some()
        || month(word).is_some()
        || number(word).is_some()
        || day_of_month(word).is_some()
        || iso(word).is_some()
}

fn weekday(word: &str) -> Option<Weekday> {
    WEEKDAYS
        .iter()
        .find(|(names, _)| listed(names, word))
        .map(|(_, d)| *d)
}

fn month(word: &str) -> Option<u32> {
    MONTHS
        .iter()
        .find(|(names, _)| listed(names, word))
        .map(|(_, m)| *m)
}

/// A count written in digits or as a word ("7", "seven").
fn number(word: &str) -> Option<u32> {
    word.parse().ok().or_else(|| {
        NUMBER_WORDS
            .iter()
            .find(|(w, _)| *w == word)
            .map(|(_, n)| *n)
    })
}

/// A day of the month: "27", "27th", "1st".
fn day_of_month(word: &str) -> Option<u32> {
    let digits = ["st", "nd", "rd", "th"]
        .iter()
        .find_map(|suffix| word.strip_suffix(suffix))
        .unwrap_or(word);
    digits.parse().ok().filter(|d| (1..=31).contains(d))
}

fn iso(word: &str) -> Option<NaiveDate> {
    NaiveDate::parse_from_str(word, "%Y-%m-%d").ok()
}

fn plus(date: NaiveDate, days: u64) -> NaiveDate {
    date.checked_add_days(Days::new(days)).unwrap_or(date)
}

fn minus(date: NaiveDate, days: u64) -> NaiveDate {
    date.checked_sub_days(Days::new(days)).unwrap_or(date)
}

/// The first day on or after `today` that is `day`.
fn next_occurrence(today: NaiveDate, day: Weekday) -> NaiveDate {
    let ahead = (7 + day.num_days_from_monday() - today.weekday().num_days_from_monday()) % 7;
    plus(today, u64::from(ahead))
}

/// The last day before `today` that is `day`.
fn previous_occurrence(today: NaiveDate, day: Weekday) -> NaiveDate {
    let back = (7 + today.weekday().num_days_from_monday() - day.num_days_from_monday()) % 7;
    minus(today, u64::from(if back == 0 { 7 } else { back }))
}

fn monday_of(date: NaiveDate) -> NaiveDate {
    minus(date, u64::from(date.weekday().num_days_from_monday()))
}

fn week_of(date: NaiveDate) -> DateRange {
    let monday = monday_of(date);
    DateRange::new(monday, plus(monday, 6))
}

fn month_of(date: NaiveDate) -> DateRange {
    let first = date.with_day(1).unwrap_or(date);
    let end = first
        .checked_add_months(Months::new(1))
        .map(|next| minus(next, 1))
        .unwrap_or(date);
    DateRange::new(first, end)
}

/// The date expression starting at `words[i]`, given the word before it.
fn mention_at(words: &[String], i: usize, today: NaiveDate) -> Option<Mention> {
    let word = words[i].as_str();
    let before = i.checked_sub(1).map(|j| words[j].as_str());
    let after = words.get(i + 1).map(String::as_str);
    let plain = |range| {
        Some(Mention {
            range,
            weekday: false,
        })
    };
    match word {
        "today" | "tonight" => plain(DateRange::day(today)),
        // "the day after tomorrow"
        "tomorrow" if before == Some("after") && i >= 2 && words[i - 2] == "day" => {
            plain(DateRange::day(plus(today, 2)))
        }
        "tomorrow" => plain(DateRange::day(plus(today, 1))),
        "yesterday" => plain(DateRange::day(minus(today, 1))),
        "week" | "weekend" | "month" => {
            let base = match word {
                "month" => month_of(today),
                "week" => week_of(today),
                _ => {
                    let saturday = plus(monday_of(today), 5);
                    DateRange::new(saturday, plus(saturday, 1))
                }
            };
            let shift = |range: DateRange, forward: bool| match word {
                "month" => {
                    let moved = if forward {
                        range.start.checked_add_months(Months::new(1))
                    } else {
                        range.start.checked_sub_months(Months::new(1))
                    };
                    month_of(moved.unwrap_or(range.start))
                }
                _ if forward => DateRange::new(plus(range.start, 7), plus(range.end, 7)),
                _ => DateRange::new(minus(range.start, 7), minus(range.end, 7)),
            };
            match before {
                Some("this" | "coming") => plain(base),
                Some("next") => plain(shift(base, true)),
                Some("last" | "past" | "previous") => plain(shift(base, false)),
                // "per week", "a month": not a date.
                _ => None,
            }
        }
        // "next 10 days", "the past 2 weeks", "7 days"
        "days" | "weeks" | "day" => {
            let n = before.and_then(number)?;
            let n = u64::from(if word == "weeks" { n * 7 } else { n });
            let prefix = i.checked_sub(2).map(|j| words[j].as_str());
            match prefix {
                Some("last" | "past" | "previous") => plain(DateRange::new(minus(today, n), today)),
                _ => plain(DateRange::new(today, plus(today, n))),
            }
        }
        _ => {
            if let Some(date) = iso(word) {
                return plain(DateRange::day(date));
            }
            if let Some(day) = weekday(word) {
                // "Friday 27 November": the date that follows says which Friday.
                let dated = |w: &str| day_of_month(w).or(month(w)).is_some() || iso(w).is_some();
                if after.is_some_and(dated) {
                    return None;
                }
                let date = match before {
                    Some("next") => {
                        plus(monday_of(today), 7 + u64::from(day.num_days_from_monday()))
                    }
                    Some("last" | "previous") => previous_occurrence(today, day),
                    _ => next_occurrence(today, day),
                };
                return Some(Mention {
                    range: DateRange::day(date),
                    weekday: !matches!(before, Some("next" | "last" | "previous")),
                });
            }
            // "Nov 27", "November 27th", "27 Nov", "27 November 2027" (this year unless said).
            let m = month(word)?;
            let d = after
                .and_then(day_of_month)
                .or_else(|| before.and_then(day_of_month))?;
            let year = words[i + 1..]
                .iter()
                .take(2)
                .find_map(|w| w.parse().ok().filter(|y| *y > 999))
                .unwrap_or(today.year());
            NaiveDate::from_ymd_opt(year, m, d).and_then(|date| plain(DateRange::day(date)))
        }
    }
}

/// The dates `words` mention, as one range: from the first mention to the last ("Friday to
/// Sunday", "this week", "the next 10 days"), or `None` when the message names no date.
pub(super) fn resolve(words: &[String], today: NaiveDate) -> Option<DateRange> {
    let mentions: Vec<Mention> = (0..words.len())
        .filter_map(|i| mention_at(words, i, today))
        .collect();
    let first = mentions.first()?;
    let last = mentions.last()?;
    let start = first.range.start;
    let mut end = last.range.end;
    if end < start && last.weekday {
        end = plus(end, 7);
    }
    Some(if end < start {
        DateRange::new(end, start)
    } else {
        DateRange::new(start, end)
    })
}

/// `Today: YYYY-MM-DD (Weekday)` from the orchestrator's context block.
pub(super) fn today_from_context(context: &str) -> Option<NaiveDate> {
    context.lines().find_map(|line| {
        let rest = line.trim().strip_prefix("Today:")?.trim();
        iso(rest.get(..10)?)
    })
}

/// "Friday 27 November", with the year when it is not `today`'s.
pub(super) fn human(date: NaiveDate, today: NaiveDate) -> String {
    let format = if date.year() == today.year() {
        "%A %-d %B"
    } else {
        "%A %-d %B %Y"
    };
    date.format(format).to_string()
}

/// "today (Friday 27 November)", "tomorrow (…)", or the date alone.
pub(super) fn relative(date: NaiveDate, today: NaiveDate) -> String {
    let word = match (date - today).num_days() {
        0 => "today",
        1 => "tomorrow",
        -1 => "yesterday",
        _ => return human(date, today),
    };
    format!("{word} ({})", human(date, today))
}

/// A range in words: one day as [`relative`], several with the month (and year) said once
/// when both ends share it — "Saturday 5 – Sunday 6 December", "Monday 30 November – Sunday
/// 6 December".
pub(super) fn human_range(range: DateRange, today: NaiveDate) -> String {
    if range.is_single_day() {
        return relative(range.start, today);
    }
    let (start, end) = (range.start, range.end);
    let start = if start.year() != end.year() {
        human(start, today)
    } else if start.month() != end.month() {
        start.format("%A %-d %B").to_string()
    } else {
        start.format("%A %-d").to_string()
    };
    format!("{start} – {}", human(end, today))
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A Wednesday.
    const TODAY: &str = "2026-11-25";

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn words(text: &str) -> Vec<String> {
        super::super::rules::words(text)
    }

    fn range(text: &str) -> Option<(String, String)> {
        resolve(&words(text), d(TODAY)).map(|r| (r.start.to_string(), r.end.to_string()))
    }

    fn days(start: &str, end: &str) -> Option<(String, String)> {
        Some((start.to_owned(), end.to_owned()))
    }

    #[test]
    fn relative_days_resolve_from_today() {
        assert_eq!(range("How's today looking?"), days(TODAY, TODAY));
        assert_eq!(
            range("staff schedule tomorrow"),
            days("2026-11-26", "2026-11-26")
        );
        assert_eq!(range("revenue yesterday"), days("2026-11-24", "2026-11-24"));
        assert_eq!(
            range("the day after tomorrow"),
            days("2026-11-27", "2026-11-27")
        );
        assert_eq!(range("Which vaccinations are due?"), None);
    }

    #[test]
    fn weekdays_are_their_next_occurrence_and_today_counts() {
        assert_eq!(
            range("What's booked this Friday?"),
            days("2026-11-27", "2026-11-27")
        );
        assert_eq!(range("Friday"), days("2026-11-27", "2026-11-27"));
        assert_eq!(range("wednesday"), days(TODAY, TODAY));
        assert_eq!(range("monday"), days("2026-11-30", "2026-11-30"));
        assert_eq!(range("next friday"), days("2026-12-04", "2026-12-04"));
        assert_eq!(range("last friday"), days("2026-11-20", "2026-11-20"));
        assert_eq!(range("last wednesday"), days("2026-11-18", "2026-11-18"));
    }

    #[test]
    fn weeks_months_and_spans() {
        assert_eq!(range("Revenue this week"), days("2026-11-23", "2026-11-29"));
        assert_eq!(range("revenue last week"), days("2026-11-16", "2026-11-22"));
        assert_eq!(range("next week"), days("2026-11-30", "2026-12-06"));
        assert_eq!(range("this weekend"), days("2026-11-28", "2026-11-29"));
        assert_eq!(range("this month"), days("2026-11-01", "2026-11-30"));
        assert_eq!(range("last month"), days("2026-10-01", "2026-10-31"));
        assert_eq!(range("the next 10 days"), days(TODAY, "2026-12-05"));
        assert_eq!(range("next seven days"), days(TODAY, "2026-12-02"));
        assert_eq!(range("the past 7 days"), days("2026-11-18", TODAY));
        assert_eq!(range("twice a week"), None);
    }

    #[test]
    fn explicit_dates_and_ranges() {
        assert_eq!(range("2026-11-27"), days("2026-11-27", "2026-11-27"));
        assert_eq!(range("on 2026-12-01?"), days("2026-12-01", "2026-12-01"));
        assert_eq!(range("Nov 27th"), days("2026-11-27", "2026-11-27"));
        assert_eq!(range("27 November"), days("2026-11-27", "2026-11-27"));
        assert_eq!(
            range("from Friday to Sunday"),
            days("2026-11-27", "2026-11-29")
        );
        // A Monday named after a Friday is the Monday after it.
        assert_eq!(
            range("friday until monday"),
            days("2026-11-27", "2026-11-30")
        );
        assert_eq!(
            range("2026-12-03 to 2026-12-01"),
            days("2026-12-01", "2026-12-03")
        );
    }

    #[test]
    fn today_comes_from_the_context_line() {
        let context =
            "Facility: Happy Tail Happy Dog\nToday: 2026-11-27 (Friday)\nDogs on site: 33";
        assert_eq!(today_from_context(context), Some(d("2026-11-27")));
        assert_eq!(today_from_context("no date here"), None);
    }

    #[test]
    fn dates_read_as_staff_say_them() {
        let today = d(TODAY);
        assert_eq!(human(d("2026-11-27"), today), "Friday 27 November");
        assert_eq!(human(d("2027-01-04"), today), "Monday 4 January 2027");
        assert_eq!(relative(today, today), "today (Wednesday 25 November)");
        assert_eq!(
            relative(d("2026-11-26"), today),
            "tomorrow (Thursday 26 November)"
        );
        assert_eq!(
            human_range(week_of(today), today),
            "Monday 23 – Sunday 29 November"
        );
    }

    #[test]
    fn a_range_says_its_month_once_or_both_months_across_a_month_end() {
        let saturday = d("2026-12-05");
        let range = |text: &str| resolve(&words(text), saturday).unwrap();
        assert_eq!(
            human_range(range("this weekend"), saturday),
            "Saturday 5 – Sunday 6 December"
        );
        assert_eq!(
            human_range(range("this week"), saturday),
            "Monday 30 November – Sunday 6 December"
        );
        assert_eq!(
            human_range(range("today"), saturday),
            "today (Saturday 5 December)"
        );
        assert_eq!(
            human_range(range("2026-12-28 to 2027-01-03"), saturday),
            "Monday 28 December – Sunday 3 January 2027"
        );
        // An answer's dates read back as the days they name.
        assert_eq!(
            range("Monday 4 January 2027"),
            DateRange::day(d("2027-01-04"))
        );
        assert_eq!(range("Friday 18 December"), DateRange::day(d("2026-12-18")));
    }
}
