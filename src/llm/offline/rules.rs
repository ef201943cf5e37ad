//! Which tools a staff message calls for, by keyword rules, and with what input.
//!
//! Each [`Rule`] names an intent and the words or phrases that signal it. A message may match
//! several read-only intents ("How's today looking and who's on duty?" asks for the summary and
//! the staff schedule); booking and texting are each answered alone, and a search runs only
//! when nothing more specific matched, because "find", "who's" and "customer" also appear in
//! questions about the schedule or the staff.

use chrono::NaiveDate;

use super::ToolCall;
use super::booking;
use super::dates::{self, DateRange};
use crate::aim::tools::catalog::{
    CheckCompliance, CheckSchedule, GetRevenueSummary, GetStaffSchedule, GetTodaySummary,
    SearchCustomer, SearchDog,
};
use crate::domain::ServiceKind;

/// What a staff message asks for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Intent {
    /// Book dogs: search them, then `create_booking`.
    Book,
    /// Text a customer: the offline provider looks the customer up and says how to text them.
    Sms,
    Today,
    Staff,
    Schedule,
    Compliance,
    Revenue,
    Search,
}

impl Intent {
    /// Intents answered alone: they start a multi-step flow that other tools would confuse.
    fn exclusive(self) -> bool {
        matches!(self, Intent::Book | Intent::Sms)
    }
}

/// An intent and the phrases (lowercase words, apostrophes dropped, separated by commas) that
/// signal it, unless one of the `unless` phrases is present too.
struct Rule {
    intent: Intent,
    /// Phrases separated by commas.
    any: &'static str,
    unless: &'static str,
}

/// The rules, most specific first: the first exclusive match wins alone.
const RULES: &[Rule] = &[
    Rule {
        intent: Intent::Book,
        any: "book, reserve, make a booking, new booking, create a booking, add a booking",
        unless: "",
    },
    Rule {
        intent: Intent::Sms,
        any: "text, sms, send a message, message, txt",
        unless: "text message history",
    },
    Rule {
        intent: Intent::Today,
        any: "\
            hows today, how is today, today looking, looking today, today look, overview, \
            summary, dashboard, briefing, how many dogs, dogs here, here today, on site, onsite, \
            in the building, occupancy, arrivals, arriving, departures, departing, pick up, \
            pickup, pickups, drop off, dropoff, dropoffs, alerts, alert, whats happening, \
            status, update, whats going on, how are we doing",
        unless: "",
    },
    Rule {
        intent: Intent::Staff,
        any: "\
            on duty, staff, staffing, shift, shifts, working, rota, roster, break, breaks, \
            lunch, ratio, whos in, who is in, team, employees, coverage, understaffed",
        unless: "",
    },
    Rule {
        intent: Intent::Schedule,
        any: "\
            booked, bookings, booking, schedule, scheduled, calendar, whats on, what is on, \
            capacity, availability, available, space, spaces, spots, places, room for, full, \
            busy, reservations, coming in, expected",
        // "staff schedule tomorrow" is about shifts, not dogs.
        unless: "staff, shift, shifts, on duty, working, rota, roster",
    },
    Rule {
        intent: Intent::Compliance,
        any: "\
            vaccination, vaccinations, vaccine, vaccines, vaccinated, vax, shots, compliance, \
            compliant, rabies, dhpp, bordetella, kennel cough, expired, expiring, expire, \
            expires, overdue, due",
        unless: "",
    },
    Rule {
        intent: Intent::Revenue,
        any: "\
            revenue, sales, income, earnings, earned, takings, turnover, how much did we make, \
            how much have we made, how much we made, payments, refunds, loyalty points",
        unless: "",
    },
    Rule {
        intent: Intent::Search,
        any: "\
            search, find, look up, lookup, look for, looking for, who is, whos, who owns, \
            owner of, contact, phone, email, details, info on, information on, profile, pull up, \
            customer, client",
        unless: "",
    },
];

/// The words of a message for matching: lowercase, apostrophes dropped ("who's" → "whos"),
/// split at anything that is not a letter or digit — except ISO dates, kept whole.
pub(super) fn words(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    for raw in text.split_whitespace() {
        let trimmed = raw.trim_matches(|c: char| !c.is_alphanumeric());
        if NaiveDate::parse_from_str(trimmed, "%Y-%m-%d").is_ok() {
            out.push(trimmed.to_owned());
            continue;
        }
        let cleaned: String = trimmed
            .chars()
            .filter(|c| !matches!(c, '\'' | '’'))
            .flat_map(char::to_lowercase)
            .collect();
        out.extend(
            cleaned
                .split(|c: char| !c.is_alphanumeric())
                .filter(|w| !w.is_empty())
                .map(str::to_owned),
        );
    }
    out
}

/// Whether `phrase` (space-separated words) occurs in `words` as consecutive words.
pub(super) fn has(words: &[String], phrase: &str) -> bool {
    let wanted: Vec<&str> = phrase.split(' ').collect();
    words
        .windows(wanted.len())
        .any(|window| window.iter().zip(&wanted).all(|(w, p)| w == p))
}

/// Whether `word` is one of the space-separated words of `list`.
pub(super) fn listed(list: &str, word: &str) -> bool {
    list.split_whitespace().any(|w| w == word)
}

/// Whether any of `phrases` (separated by commas) occurs in `words`.
fn has_any(words: &[String], phrases: &str) -> bool {
    phrases
        .split(',')
        .map(str::trim)
        .any(|p| !p.is_empty() && has(words, p))
}

/// The intents of a message, in rule order.
pub(super) fn intents(words: &[String]) -> Vec<Intent> {
    let matched: Vec<Intent> = RULES
        .iter()
        .filter(|r| has_any(words, r.any) && !has_any(words, r.unless))
        .map(|r| r.intent)
        .collect();
    if let Some(&first) = matched.iter().find(|i| i.exclusive()) {
        return vec![first];
    }
    let specific: Vec<Intent> = matched
        .iter()
        .copied()
        .filter(|i| *i != Intent::Search)
        .collect();
    if specific.is_empty() {
        matched
    } else {
        specific
    }
}

/// The service a message names.
pub(super) fn service(words: &[String]) -> Option<ServiceKind> {
    const SERVICES: &[(&str, ServiceKind)] = &[
        ("daycare", ServiceKind::Daycare),
        ("day care", ServiceKind::Daycare),
        ("boarding", ServiceKind::Boarding),
        ("board", ServiceKind::Boarding),
        ("overnight", ServiceKind::Boarding),
        ("sleepover", ServiceKind::Boarding),
        ("grooming", ServiceKind::Grooming),
        ("groom", ServiceKind::Grooming),
        ("bath", ServiceKind::Grooming),
        ("training", ServiceKind::Training),
        ("train", ServiceKind::Training),
    ];
    SERVICES
        .iter()
        .find(|(phrase, _)| has(words, phrase))
        .map(|(_, s)| *s)
}

/// A staff message, read once.
pub(super) struct Ask<'a> {
    pub text: &'a str,
    pub words: Vec<String>,
    pub today: NaiveDate,
    pub dates: Option<DateRange>,
}

impl<'a> Ask<'a> {
    pub fn new(text: &'a str, today: NaiveDate) -> Ask<'a> {
        let words = words(text);
        let dates = dates::resolve(&words, today);
        Ask {
            text,
            words,
            today,
            dates,
        }
    }

    fn range_or_today(&self) -> DateRange {
        self.dates.unwrap_or(DateRange::day(self.today))
    }
}

/// What to do with a staff message: call tools, or answer at once.
#[derive(Clone, Debug, PartialEq)]
pub(super) enum Plan {
    Call(Vec<ToolCall>),
    Say(String),
}

/// The most days of staff schedules one question fetches (one tool call per day).
const MAX_STAFF_DAYS: usize = 7;

/// The tool calls for one (non-exclusive) intent.
fn calls_for(intent: Intent, ask: &Ask) -> Vec<ToolCall> {
    let range = ask.range_or_today();
    match intent {
        // The summary is today's; asked about another day, the schedule answers.
        Intent::Today if range == DateRange::day(ask.today) => {
            vec![ToolCall::new(GetTodaySummary {})]
        }
        Intent::Today | Intent::Schedule => vec![ToolCall::new(CheckSchedule {
            start_date: range.start,
            end_date: range.end,
            service: service(&ask.words),
        })],
        Intent::Staff => range
            .dates()
            .take(MAX_STAFF_DAYS)
            .map(|date| ToolCall::new(GetStaffSchedule { date }))
            .collect(),
        Intent::Compliance => vec![ToolCall::new(CheckCompliance {
            days_ahead: ask
                .dates
                .filter(|r| r.end > ask.today)
                .map(|r| (r.end - ask.today).num_days().min(365) as u32),
        })],
        Intent::Revenue => vec![ToolCall::new(GetRevenueSummary {
            start_date: range.start,
            end_date: range.end,
        })],
        Intent::Search => search_calls(ask.text),
        Intent::Book | Intent::Sms => Vec::new(),
    }
}

/// Greetings and thanks that deserve a friendly word, not a customer search for "Thanks".
const SMALL_TALK: &str = "\
    hi hello hey hiya morning afternoon evening good thanks thank you cheers ok okay great cool \
    help aim there please yes no bye nice sure test testing what why how who are";

/// Whether a message is only greetings, thanks and the like.
pub(super) fn is_small_talk(words: &[String]) -> bool {
    words.iter().all(|w| listed(SMALL_TALK, w))
}

/// What the offline assistant can do, with examples staff can copy.
pub(super) const HELP: &str = "I'm AIM in offline mode: I answer from the facility's own data \
using simple rules rather than an AI model. Try asking:\n\
• \"How's today looking?\"\n\
• \"Who's on duty?\" or \"Staff schedule tomorrow\"\n\
• \"What's booked this Friday?\"\n\
• \"Which vaccinations are due?\"\n\
• \"Search for customer Mark Huggins\" or \"Find Biscuit\"\n\
• \"Revenue this week\"\n\
• \"Book Biscuit for daycare Friday\"";

fn help_for(words: &[String]) -> String {
    let thanks = has_any(words, "thanks, thank, cheers");
    let greeting = has_any(words, "hi, hello, hey, hiya, morning");
    match (thanks, greeting) {
        (true, _) => format!("You're welcome! {HELP}"),
        (false, true) => format!("Hi! {HELP}"),
        _ => HELP.to_owned(),
    }
}

/// Whether a message with no keyword is still worth a search: a phone number, an email, or
/// a short name ("Mark Huggins", "biscuit") — one to three words of letters that are not all
/// small talk. A search that finds nothing is answered with the help text as well.
fn looks_like_lookup(text: &str, words: &[String]) -> bool {
    let tokens: Vec<&str> = text
        .split_whitespace()
        .map(|t| t.trim_matches(|c: char| !c.is_alphanumeric()))
        .filter(|t| !t.is_empty())
        .collect();
    let contact = tokens.iter().any(|t| is_phone(t) || is_email(t));
    let name = (1..=3).contains(&tokens.len())
        && tokens.iter().all(|t| {
            t.chars()
                .all(|c| c.is_alphabetic() || matches!(c, '\'' | '’' | '-' | '.'))
        })
        && !is_small_talk(words);
    contact || name
}

fn is_email(token: &str) -> bool {
    token.contains('@') && token.len() >= 3
}

fn is_phone(token: &str) -> bool {
    let digits = token.chars().filter(char::is_ascii_digit).count();
    digits >= 4
        && token
            .chars()
            .all(|c| c.is_ascii_digit() || matches!(c, '-' | '(' | ')' | '+' | '.' | ' '))
        && NaiveDate::parse_from_str(token, "%Y-%m-%d").is_err()
}

/// The tools a staff message calls for, or the answer when it needs none.
pub(super) fn plan(ask: &Ask) -> Plan {
    let intents = intents(&ask.words);
    match intents.first() {
        Some(Intent::Book) => return booking::plan(ask),
        Some(Intent::Sms) => return sms_plan(ask),
        Some(_) => {}
        None if looks_like_lookup(ask.text, &ask.words) && !search_calls(ask.text).is_empty() => {
            return Plan::Call(search_calls(ask.text));
        }
        None => return Plan::Say(help_for(&ask.words)),
    }
    let mut calls: Vec<ToolCall> = Vec::new();
    for intent in intents {
        for call in calls_for(intent, ask) {
            if !calls.contains(&call) {
                calls.push(call);
            }
        }
    }
    if calls.is_empty() {
        Plan::Say(HELP.to_owned())
    } else {
        Plan::Call(calls)
    }
}

/// Words that are the request around a search, not what to search for.
const SEARCH_FILLER: &str = "\
    search for find look up lookup me show pull the a an please pls can could would you i we \
    customer customers client clients owner owners dog dogs pup pups puppy named called who whos \
    is are owns of with details detail info information on about profile record records contact \
    phone number email address get give what whats their his her do have any to in by at it and \
    aim hey hi looking there";

/// Breeds (and breed words) that make a search a dog search.
const BREED_WORDS: &str = "\
    retriever labrador lab poodle shepherd collie beagle terrier bulldog husky spaniel corgi pug \
    dachshund doodle goldendoodle labradoodle cockapoo schnauzer boxer rottweiler dalmatian \
    chihuahua vizsla whippet setter pointer hound samoyed weimaraner dane inu shiba bernese \
    mastiff greyhound pinscher akita maltese pomeranian havanese sheepdog malinois yorkie shih \
    cavalier basset breed";

/// The search text of a message: its words without the request around them ("Search for
/// customer Mark Huggins" → "Mark Huggins"), keeping phone numbers and emails whole.
pub(super) fn search_query(text: &str) -> String {
    text.split_whitespace()
        .map(|t| {
            let t =
                t.trim_matches(|c: char| !(c.is_alphanumeric() || matches!(c, '(' | ')' | '+')));
            // "(555)" keeps its parentheses; "(Mark" and "Huggins)" do not.
            let t = if t.contains('(') != t.contains(')') {
                t.trim_matches(['(', ')'])
            } else {
                t
            };
            t.strip_suffix("'s")
                .or_else(|| t.strip_suffix("’s"))
                .unwrap_or(t)
        })
        .filter(|t| !t.is_empty())
        .filter(|t| is_email(t) || is_phone(t) || !listed(SEARCH_FILLER, &words(t).join(" ")))
        .collect::<Vec<_>>()
        .join(" ")
}

/// Which records a search is about.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum SearchTarget {
    Customer,
    Dog,
    /// A single bare name: it may be a customer's or a dog's.
    Either,
}

fn search_target(words: &[String], query: &str) -> SearchTarget {
    let breed = words
        .iter()
        .any(|w| listed(BREED_WORDS, w) || listed(BREED_WORDS, w.trim_end_matches('s')));
    let customer_words = "customer, customers, client, clients, owner, owners, phone, email, \
                          contact, number";
    let contact = query.split_whitespace().any(|t| is_phone(t) || is_email(t));
    if breed || has_any(words, "owns, owner of, dog, dogs, pup, puppy, pups") {
        SearchTarget::Dog
    } else if contact || has_any(words, customer_words) || query.split_whitespace().count() >= 2 {
        SearchTarget::Customer
    } else {
        SearchTarget::Either
    }
}

/// The search calls of a message: customers, dogs, or both for a single bare name.
pub(super) fn search_calls(text: &str) -> Vec<ToolCall> {
    let query = search_query(text);
    if query.is_empty() {
        return Vec::new();
    }
    let target = search_target(&words(text), &query);
    let customers = ToolCall::new(SearchCustomer {
        query: query.clone(),
        limit: None,
    });
    let dogs = ToolCall::new(SearchDog { query, limit: None });
    match target {
        SearchTarget::Customer => vec![customers],
        SearchTarget::Dog => vec![dogs],
        SearchTarget::Either => vec![customers, dogs],
    }
}

/// Texting a customer: look them up, so the answer can say how to reach them.
fn sms_plan(ask: &Ask) -> Plan {
    const ASIDE: &[&str] = &[
        "text", "sms", "txt", "message", "send", "a", "saying", "say", "tell", "them", "him",
        "her", "that",
    ];
    // The name is what precedes a colon or "that"/"saying": "Text Mark Huggins that …".
    let head = ask.text.split([':', '"', '“']).next().unwrap_or_default();
    let head = [" that ", " saying ", " to say ", " about "]
        .iter()
        .fold(head, |h, sep| h.split(sep).next().unwrap_or(h));
    let name: Vec<&str> = head
        .split_whitespace()
        .filter(|t| !ASIDE.contains(&words(t).join(" ").as_str()))
        .collect();
    let query = search_query(&name.join(" "));
    if query.is_empty() {
        return Plan::Say(SMS_HOW.to_owned());
    }
    Plan::Call(vec![ToolCall::new(SearchCustomer { query, limit: None })])
}

/// Why the offline assistant does not text customers, and what staff can do instead.
pub(super) const SMS_HOW: &str = "In offline mode I don't write texts to customers: a message \
to a customer should be worded by a person. Send it from the customer's record in the admin app, \
or ask me again when AIM is connected to its AI model. I can look up a customer's phone number \
for you — try \"Search for customer Mark Huggins\".";

/// Said after a customer search that a request to text them started.
pub(super) const SMS_HOW_AFTER_SEARCH: &str = "I don't send texts in offline mode: a message to \
a customer should be worded by a person. You can reach them on the number above, or send it from \
the customer's record in the admin app.";

#[cfg(test)]
mod tests {
    use serde_json::{Value, json};

    use super::*;

    /// A Wednesday.
    fn today() -> NaiveDate {
        "2026-11-25".parse().unwrap()
    }

    fn calls(text: &str) -> Vec<(String, Value)> {
        match plan(&Ask::new(text, today())) {
            Plan::Call(calls) => calls
                .into_iter()
                .map(|c| (c.name.to_owned(), c.input))
                .collect(),
            Plan::Say(text) => panic!("expected tool calls, got text: {text}"),
        }
    }

    fn one(text: &str) -> (String, Value) {
        let mut calls = calls(text);
        assert_eq!(calls.len(), 1, "{text}: {calls:?}");
        calls.remove(0)
    }

    fn said(text: &str) -> String {
        match plan(&Ask::new(text, today())) {
            Plan::Say(text) => text,
            Plan::Call(calls) => panic!("expected text, got {calls:?}"),
        }
    }

    #[test]
    fn todays_questions_read_the_summary() {
        for text in [
            "How's today looking?",
            "How many dogs are here today?",
            "Give me an overview",
            "Any open alerts?",
            "Who's arriving?",
        ] {
            assert_eq!(one(text), ("get_today_summary".into(), json!({})), "{text}");
        }
    }

    #[test]
    fn dogs_on_another_day_read_the_schedule() {
        assert_eq!(
            one("How many dogs tomorrow?"),
            (
                "check_schedule".into(),
                json!({"start_date": "2026-11-26", "end_date": "2026-11-26"})
            )
        );
    }

    #[test]
    fn customer_searches_strip_the_request_around_the_name() {
        assert_eq!(
            one("Search for customer Mark Huggins"),
            ("search_customer".into(), json!({"query": "Mark Huggins"}))
        );
        assert_eq!(
            one("Look up Mark Huggins' phone number please"),
            ("search_customer".into(), json!({"query": "Mark Huggins"}))
        );
        assert_eq!(
            one("find customer with phone 555-0142"),
            ("search_customer".into(), json!({"query": "555-0142"}))
        );
        assert_eq!(
            one("Who is mark.huggins@example.com?"),
            (
                "search_customer".into(),
                json!({"query": "mark.huggins@example.com"})
            )
        );
        assert_eq!(
            one("Mark Huggins"),
            ("search_customer".into(), json!({"query": "Mark Huggins"}))
        );
        assert_eq!(
            one("(555) 014-2387"),
            ("search_customer".into(), json!({"query": "(555) 014-2387"}))
        );
    }

    #[test]
    fn dog_searches_follow_dog_words_and_breeds() {
        assert_eq!(
            one("Find the dog called Biscuit"),
            ("search_dog".into(), json!({"query": "Biscuit"}))
        );
        assert_eq!(
            one("Who owns Biscuit?"),
            ("search_dog".into(), json!({"query": "Biscuit"}))
        );
        assert_eq!(
            one("find golden retrievers"),
            ("search_dog".into(), json!({"query": "golden retrievers"}))
        );
    }

    #[test]
    fn a_single_bare_name_searches_customers_and_dogs() {
        assert_eq!(
            calls("Find Biscuit"),
            vec![
                ("search_customer".into(), json!({"query": "Biscuit"})),
                ("search_dog".into(), json!({"query": "Biscuit"})),
            ]
        );
    }

    #[test]
    fn staff_questions_read_the_staff_schedule_of_the_day() {
        assert_eq!(
            one("Who's on duty?"),
            ("get_staff_schedule".into(), json!({"date": "2026-11-25"}))
        );
        assert_eq!(
            one("staff schedule tomorrow"),
            ("get_staff_schedule".into(), json!({"date": "2026-11-26"}))
        );
        let week = calls("Who's working this week?");
        assert_eq!(week.len(), 7);
        assert_eq!(week[0].1, json!({"date": "2026-11-23"}));
    }

    #[test]
    fn schedule_questions_resolve_dates_and_services() {
        assert_eq!(
            one("What's booked this Friday?"),
            (
                "check_schedule".into(),
                json!({"start_date": "2026-11-27", "end_date": "2026-11-27"})
            )
        );
        assert_eq!(
            one("grooming bookings next week"),
            (
                "check_schedule".into(),
                json!({"start_date": "2026-11-30", "end_date": "2026-12-06", "service": "grooming"})
            )
        );
        assert_eq!(
            one("Any availability on 2026-12-01?"),
            (
                "check_schedule".into(),
                json!({"start_date": "2026-12-01", "end_date": "2026-12-01"})
            )
        );
    }

    #[test]
    fn vaccination_questions_check_compliance() {
        assert_eq!(
            one("Which vaccinations are due?"),
            ("check_compliance".into(), json!({}))
        );
        assert_eq!(
            one("Any shots expiring in the next 14 days?"),
            ("check_compliance".into(), json!({"days_ahead": 14}))
        );
    }

    #[test]
    fn revenue_questions_name_the_range() {
        assert_eq!(
            one("Revenue this week"),
            (
                "get_revenue_summary".into(),
                json!({"start_date": "2026-11-23", "end_date": "2026-11-29"})
            )
        );
        assert_eq!(
            one("How much did we make today?"),
            (
                "get_revenue_summary".into(),
                json!({"start_date": "2026-11-25", "end_date": "2026-11-25"})
            )
        );
    }

    #[test]
    fn several_questions_call_several_tools() {
        assert_eq!(
            calls("How's today looking and who's on duty?"),
            vec![
                ("get_today_summary".into(), json!({})),
                ("get_staff_schedule".into(), json!({"date": "2026-11-25"})),
            ]
        );
    }

    #[test]
    fn texting_a_customer_looks_them_up_first() {
        assert_eq!(
            one("Text Mark Huggins that Biscuit is ready"),
            ("search_customer".into(), json!({"query": "Mark Huggins"}))
        );
        assert!(said("send a text").contains("offline mode"));
    }

    #[test]
    fn unknown_messages_get_help_with_examples() {
        for text in ["what's the weather like", "hello", "thanks!", "help"] {
            let answer = said(text);
            assert!(answer.contains("How's today looking?"), "{text}: {answer}");
        }
        assert!(said("thanks!").starts_with("You're welcome"));
    }
}
