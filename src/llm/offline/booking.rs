//! Booking in two steps, the way a careful person does it: find each dog named in the message
//! (`search_dog`), and only when each name means exactly one dog, book them for their owner
//! (`create_booking`). A name that matches nothing or several dogs is put back to the staff
//! member instead of guessed.

use super::answers::{self, capitalize};
use super::dates::{self, DateRange};
use super::rules::{self, Ask, Plan};
use super::{Outcome, Output, ToolCall};
use crate::aim::tools::Tool;
use crate::aim::tools::catalog::{CreateBooking, SearchDog};
use crate::domain::ServiceKind;
use crate::facility::search::DogMatch;

/// Every question the booking flow asks contains this, so that the staff member's reply
/// ("Friday", "Grace Thompson") is read as the rest of the booking request.
pub(super) const ASKS: &str = "should I book";

/// The question asked when a dog name matches several dogs; its reply names the owner.
const ASKS_WHICH_ONE: &str = "which one should I book";

/// How many candidates a dog search for a booking returns.
const SEARCH_LIMIT: u32 = 5;

/// Words around the dog names of a booking request.
const FILLER: &str = "\
    book reserve booking make create add new a an the in for on from to until till through thru \
    at and can could would will you please pls me us i we want need like get him her them dog \
    dogs pup puppy spot place places full half stay night nights appointment session visit also \
    of is it with both my daycare care boarding board overnight sleepover grooming groom bath \
    training train aim hey hi another one more again same as";

/// What a booking request names.
#[derive(Clone, Debug, PartialEq)]
pub(super) struct BookingAsk {
    /// Dog names as typed, one entry per dog ("Biscuit", "Sir Barks").
    pub dogs: Vec<String>,
    /// Lowercase words naming the owner: "(Mark Huggins)" or "Mark Huggins' Biscuit".
    pub owner: Vec<String>,
    pub service: ServiceKind,
    pub dates: Option<DateRange>,
}

fn is_filler(word: &str) -> bool {
    rules::listed(FILLER, word) || dates::is_date_word(word)
}

/// Reads the dogs, owner, service and dates of a booking request.
pub(super) fn extract(ask: &Ask) -> BookingAsk {
    let mut dogs: Vec<String> = Vec::new();
    let mut owner: Vec<String> = Vec::new();
    let mut group: Vec<String> = Vec::new();
    let mut in_parens = false;
    let mut started = false;
    let flush = |group: &mut Vec<String>, dogs: &mut Vec<String>| {
        if !group.is_empty() {
            dogs.push(group.join(" "));
            group.clear();
        }
    };
    for token in ask.text.split_whitespace() {
        let words = rules::words(token);
        // The dog names follow the booking verb.
        if !started {
            started = words
                .iter()
                .any(|w| matches!(w.as_str(), "book" | "reserve" | "booking"));
            continue;
        }
        if token.starts_with('(') {
            in_parens = true;
        }
        if in_parens {
            owner.extend(words);
            in_parens = !token.contains(')');
            continue;
        }
        let bare = token.trim_matches(|c: char| !(c.is_alphanumeric() || c == '\'' || c == '’'));
        let possessive = bare
            .strip_suffix("'s")
            .or_else(|| bare.strip_suffix("’s"))
            .or_else(|| bare.strip_suffix('\''))
            .or_else(|| bare.strip_suffix('’'));
        let word = words.join(" ");
        if word.is_empty() || is_filler(&word) || token == "&" {
            flush(&mut group, &mut dogs);
            continue;
        }
        if let Some(name) = possessive {
            // "Mark Huggins' Biscuit": what came before is the owner.
            group.push(name.to_owned());
            owner.extend(group.drain(..).flat_map(|w| rules::words(&w)));
            continue;
        }
        group.push(bare.to_owned());
        if token.ends_with([',', ';']) {
            flush(&mut group, &mut dogs);
        }
    }
    flush(&mut group, &mut dogs);
    BookingAsk {
        dogs,
        owner,
        service: rules::service(&ask.words).unwrap_or(ServiceKind::Daycare),
        dates: ask.dates,
    }
}

const HOW_TO_BOOK: &str = "Tell me the dog, the service and the day — for example \
\"Book Biscuit for daycare Friday\" or \"Book Luna for boarding from Friday to Sunday\".";

/// The first step of a booking: search each dog, or ask for what is missing.
pub(super) fn plan(ask: &Ask) -> Plan {
    let booking = extract(ask);
    if booking.dogs.is_empty() {
        return Plan::Say(format!("Which dog should I book? {HOW_TO_BOOK}"));
    }
    let names = answers::join_names(&booking.dogs);
    let Some(range) = booking.dates else {
        return Plan::Say(format!(
            "Which day should I book {names} for? For example \"Book {names} for {} Friday\".",
            booking.service
        ));
    };
    if range.start < ask.today {
        return Plan::Say(format!(
            "{} is in the past, so I can't book {names} for it. Which day should I book instead?",
            capitalize(&dates::relative(range.start, ask.today))
        ));
    }
    Plan::Call(
        booking
            .dogs
            .iter()
            .map(|dog| {
                ToolCall::new(SearchDog {
                    query: dog.clone(),
                    limit: Some(SEARCH_LIMIT),
                })
            })
            .collect(),
    )
}

/// The booking request a reply completes, when the staff message answers one of the booking
/// flow's questions: `previous` is the request asked about (itself completed), `question` the
/// assistant's question, `reply` the staff message. "Book Biscuit" + "Friday" is "Book Biscuit
/// Friday"; a reply to "which one" names the owner, as in "Book Bella Friday (Grace Thompson)".
pub(super) fn complete_request(previous: &str, question: &str, reply: &str) -> Option<String> {
    let previous_words = rules::words(previous);
    let is_booking = rules::intents(&previous_words).first() == Some(&rules::Intent::Book);
    let reply_words = rules::words(reply);
    let is_reply = rules::intents(&reply_words).is_empty() && !rules::is_small_talk(&reply_words);
    if !(is_booking && is_reply && question.contains(ASKS)) {
        return None;
    }
    Some(if question.contains(ASKS_WHICH_ONE) {
        format!("{previous} ({})", reply.trim().trim_matches(['(', ')']))
    } else {
        format!("{previous} {}", reply.trim())
    })
}

/// What one dog name of the request turned out to mean.
enum Choice<'v> {
    One(&'v DogMatch),
    None,
    Several(Vec<&'v DogMatch>),
}

/// The dog a name means among search results: an exact name beats a fuzzy one, and an owner
/// named in the message settles a tie.
fn choose<'v>(dogs: &'v [DogMatch], name: &str, booking: &BookingAsk, ask: &Ask) -> Choice<'v> {
    let wanted = rules::words(name);
    let exact: Vec<&DogMatch> = dogs
        .iter()
        .filter(|d| rules::words(&d.name) == wanted)
        .collect();
    let mut pool: Vec<&DogMatch> = if exact.is_empty() {
        dogs.iter().collect()
    } else {
        exact
    };
    if pool.len() > 1 {
        let hints: Vec<&String> = booking.owner.iter().chain(&ask.words).collect();
        let by_owner: Vec<&DogMatch> = pool
            .iter()
            .copied()
            .filter(|d| {
                rules::words(&d.owner.name)
                    .iter()
                    .any(|w| w.len() >= 3 && !wanted.contains(w) && hints.contains(&w))
            })
            .collect();
        if !by_owner.is_empty() {
            pool = by_owner;
        }
    }
    match pool.len() {
        0 => Choice::None,
        1 => Choice::One(pool[0]),
        _ => Choice::Several(pool),
    }
}

/// The step after the dog searches: book the dogs found, or say why not.
pub(super) fn next_step(ask: &Ask, outcomes: &[Outcome]) -> Plan {
    let booking = extract(ask);
    let mut found: Vec<&DogMatch> = Vec::new();
    for outcome in outcomes.iter().filter(|o| o.tool == SearchDog::NAME) {
        let search = match &outcome.result {
            Ok(Output::Dogs(search)) => search,
            Ok(_) => continue,
            Err(err) => return Plan::Say(answers::error_text(&outcome.tool, err)),
        };
        let name = &search.query;
        match choose(&search.dogs, name, &booking, ask) {
            Choice::One(dog) => found.push(dog),
            Choice::None => {
                return Plan::Say(format!(
                    "I couldn't find a dog called \"{name}\", so nothing is booked. Check the \
                     spelling, or search for the owner (\"Search for customer …\") to see their dogs."
                ));
            }
            Choice::Several(candidates) => {
                let lines: Vec<String> = candidates.iter().map(|d| answers::dog_brief(d)).collect();
                return Plan::Say(format!(
                    "I found {} dogs matching \"{name}\" — {ASKS_WHICH_ONE}?\n{}\nTell me \
                     the owner too, for example \"Book {name} ({}) for {} {}\".",
                    candidates.len(),
                    answers::bullets(lines, 0),
                    candidates[0].owner.name,
                    booking.service,
                    booking
                        .dates
                        .map(|r| dates::human(r.start, ask.today))
                        .unwrap_or_else(|| "Friday".into()),
                ));
            }
        }
    }
    let Some(first) = found.first() else {
        return Plan::Say(format!("Which dog should I book? {HOW_TO_BOOK}"));
    };
    let customer_id = first.owner.id;
    if found.iter().any(|d| d.owner.id != customer_id) {
        let names: Vec<String> = found.iter().map(|d| answers::dog_brief(d)).collect();
        return Plan::Say(format!(
            "These dogs belong to different customers, and one booking is for one customer's \
             dogs:\n{}\nPlease book them one customer at a time.",
            answers::bullets(names, 0)
        ));
    }
    let Some(range) = booking.dates else {
        return Plan::Say(format!("Which day should I book them for? {HOW_TO_BOOK}"));
    };
    Plan::Call(vec![ToolCall::new(CreateBooking {
        customer_id,
        dog_ids: found.iter().map(|d| d.id).collect(),
        service: booking.service,
        start_date: range.start,
        end_date: (!range.is_single_day()).then_some(range.end),
        notes: None,
    })])
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::NaiveDate;
    use serde_json::{Value, json};

    fn today() -> NaiveDate {
        "2026-11-25".parse().unwrap()
    }

    fn extracted(text: &str) -> BookingAsk {
        extract(&Ask::new(text, today()))
    }

    #[test]
    fn dog_names_service_and_dates_come_from_the_request() {
        let b = extracted("Book Biscuit for daycare Friday");
        assert_eq!(b.dogs, vec!["Biscuit"]);
        assert_eq!(b.service, ServiceKind::Daycare);
        assert_eq!(b.dates, Some(DateRange::day("2026-11-27".parse().unwrap())));

        let b = extracted("Can you book Biscuit and Pepper in for boarding from Friday to Sunday?");
        assert_eq!(b.dogs, vec!["Biscuit", "Pepper"]);
        assert_eq!(b.service, ServiceKind::Boarding);
        assert_eq!(
            b.dates.map(|r| (r.start.to_string(), r.end.to_string())),
            Some(("2026-11-27".into(), "2026-11-29".into()))
        );

        let b = extracted("book daycare for Max, Rosie & Chief on 2026-12-01");
        assert_eq!(b.dogs, vec!["Max", "Rosie", "Chief"]);
        assert_eq!(b.service, ServiceKind::Daycare);
    }

    #[test]
    fn the_owner_can_be_named_in_parentheses_or_as_a_possessive() {
        let b = extracted("Book Bella (Grace Thompson) for grooming tomorrow");
        assert_eq!(b.dogs, vec!["Bella"]);
        assert_eq!(b.owner, vec!["grace", "thompson"]);
        assert_eq!(b.service, ServiceKind::Grooming);

        let b = extracted("Book Grace Thompson's Bella for daycare tomorrow");
        assert_eq!(b.dogs, vec!["Bella"]);
        assert_eq!(b.owner, vec!["grace", "thompson"]);
    }

    #[test]
    fn missing_dogs_or_days_are_asked_for_and_past_days_refused() {
        let said = |text: &str| match plan(&Ask::new(text, today())) {
            Plan::Say(text) => text,
            Plan::Call(calls) => panic!("{calls:?}"),
        };
        assert!(said("Book daycare for Friday").starts_with("Which dog"));
        assert!(said("Book Biscuit for daycare").starts_with("Which day should I book Biscuit"));
        assert!(said("Book Biscuit yesterday").contains("in the past"));
    }

    #[test]
    fn each_dog_is_searched_first() {
        let Plan::Call(calls) = plan(&Ask::new(
            "Book Biscuit and Pepper for daycare Friday",
            today(),
        )) else {
            panic!("expected searches")
        };
        let inputs: Vec<(&str, Value)> = calls.iter().map(|c| (c.name, c.input.clone())).collect();
        assert_eq!(
            inputs,
            vec![
                ("search_dog", json!({"query": "Biscuit", "limit": 5})),
                ("search_dog", json!({"query": "Pepper", "limit": 5})),
            ]
        );
    }
}
