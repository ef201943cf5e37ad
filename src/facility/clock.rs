//! Facility time: dates and wall-clock times are the facility's (its time zone), instants are
//! UTC. A booking occupies the half-open span `[start_at, end_at)`; the facility days it covers
//! are the local dates from its start to the instant just before its end, so a stay that ends at
//! local midnight does not occupy the next day.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, Days, NaiveDate, NaiveTime, TimeDelta, TimeZone, Timelike, Utc};
use chrono_tz::Tz;

/// The UTC instant of a local wall-clock time on `date`. In the spring-forward gap the time
/// does not exist locally; the instant an hour later is used. In the fall-back overlap the
/// earlier of the two instants is used.
pub fn local_instant(tz: Tz, date: NaiveDate, time: NaiveTime) -> DateTime<Utc> {
    let naive = date.and_time(time);
    match tz.from_local_datetime(&naive).earliest() {
        Some(at) => at.with_timezone(&Utc),
        None => local_instant(tz, date, time + TimeDelta::hours(1)),
    }
}

/// `[start, end)` of the local day `date`, in UTC (23 or 25 hours long on DST changes).
pub fn day_bounds(tz: Tz, date: NaiveDate) -> (DateTime<Utc>, DateTime<Utc>) {
    (
        local_instant(tz, date, NaiveTime::MIN),
        local_instant(tz, next_day(date), NaiveTime::MIN),
    )
}

/// `[start of from, end of to)` in UTC.
pub fn range_bounds(tz: Tz, from: NaiveDate, to: NaiveDate) -> (DateTime<Utc>, DateTime<Utc>) {
    (day_bounds(tz, from).0, day_bounds(tz, to).1)
}

/// The local date of an instant.
pub fn local_date(tz: Tz, at: DateTime<Utc>) -> NaiveDate {
    at.with_timezone(&tz).date_naive()
}

/// The first and last local dates a span `[start, end)` occupies.
pub fn span_days(tz: Tz, start: DateTime<Utc>, end: DateTime<Utc>) -> (NaiveDate, NaiveDate) {
    let last = if end > start {
        end - TimeDelta::microseconds(1)
    } else {
        start
    };
    (local_date(tz, start), local_date(tz, last))
}

pub fn next_day(date: NaiveDate) -> NaiveDate {
    date + Days::new(1)
}

/// Every date from `from` to `to`, inclusive.
pub fn dates(from: NaiveDate, to: NaiveDate) -> impl Iterator<Item = NaiveDate> {
    from.iter_days().take_while(move |d| *d <= to)
}

/// Whole days from `from` to `to` (negative when `to` is earlier).
pub fn days_between(from: NaiveDate, to: NaiveDate) -> i64 {
    (to - from).num_days()
}

/// A wall-clock time of day as the schedules store it, `"HH:MM"`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ClockTime {
    minutes: u16,
}

impl ClockTime {
    pub const MIDNIGHT: ClockTime = ClockTime { minutes: 0 };

    pub const fn new(hour: u32, minute: u32) -> Option<ClockTime> {
        if hour < 24 && minute < 60 {
            Some(ClockTime {
                minutes: (hour * 60 + minute) as u16,
            })
        } else {
            None
        }
    }

    /// Minutes since midnight.
    pub fn minutes(self) -> u32 {
        u32::from(self.minutes)
    }

    pub fn hour(self) -> u32 {
        self.minutes() / 60
    }

    pub fn of(time: NaiveTime) -> ClockTime {
        ClockTime {
            minutes: (time.hour() * 60 + time.minute()) as u16,
        }
    }

    pub fn to_naive(self) -> NaiveTime {
        NaiveTime::from_hms_opt(self.hour(), self.minutes() % 60, 0).expect("valid clock time")
    }
}

impl fmt::Display for ClockTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.hour(), self.minutes() % 60)
    }
}

#[derive(Debug, thiserror::Error)]
#[error("`{0}` is not a time of day in the form HH:MM")]
pub struct BadClockTime(pub String);

impl FromStr for ClockTime {
    type Err = BadClockTime;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        let bad = || BadClockTime(s.to_owned());
        let (h, m) = s.split_once(':').ok_or_else(bad)?;
        if h.len() != 2 || m.len() != 2 {
            return Err(bad());
        }
        let hour = h.parse().map_err(|_| bad())?;
        let minute = m.parse().map_err(|_| bad())?;
        ClockTime::new(hour, minute).ok_or_else(bad)
    }
}

impl serde::Serialize for ClockTime {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> serde::Deserialize<'de> for ClockTime {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = <std::borrow::Cow<'de, str>>::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono_tz::America::New_York;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn a_stay_ending_at_local_midnight_does_not_occupy_the_next_day() {
        let start = local_instant(
            New_York,
            d("2026-11-25"),
            NaiveTime::from_hms_opt(8, 0, 0).unwrap(),
        );
        let end = day_bounds(New_York, d("2026-11-26")).0;
        assert_eq!(
            span_days(New_York, start, end),
            (d("2026-11-25"), d("2026-11-25"))
        );
        let end = end + TimeDelta::minutes(1);
        assert_eq!(
            span_days(New_York, start, end),
            (d("2026-11-25"), d("2026-11-26"))
        );
    }

    #[test]
    fn days_are_23_or_25_hours_on_dst_changes() {
        let (s, e) = day_bounds(New_York, d("2026-03-08"));
        assert_eq!((e - s).num_hours(), 23);
        let (s, e) = day_bounds(New_York, d("2026-11-01"));
        assert_eq!((e - s).num_hours(), 25);
        // 02:30 does not exist on the spring-forward day: an hour later is used.
        let at = local_instant(
            New_York,
            d("2026-03-08"),
            NaiveTime::from_hms_opt(2, 30, 0).unwrap(),
        );
        assert_eq!(at.with_timezone(&New_York).hour(), 3);
    }

    #[test]
    fn clock_times_parse_strictly() {
        assert_eq!("13:05".parse::<ClockTime>().unwrap().minutes(), 13 * 60 + 5);
        assert_eq!("07:00".parse::<ClockTime>().unwrap().to_string(), "07:00");
        for bad in ["7:00", "24:00", "12:60", "1200", "ab:cd"] {
            assert!(bad.parse::<ClockTime>().is_err(), "{bad}");
        }
    }
}
