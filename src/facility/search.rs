//! Typo-tolerant search of customers (name, phone, email) and dogs (name, breed).
//!
//! The database's indexes find a bounded set of candidates (see `db::search`); they are ranked
//! here by one scoring function, the same on both backends: each query word is scored against
//! the best-matching word of the record (exact 1.0, a prefix 0.9, otherwise trigram
//! similarity), and the record's score is the mean over the query's words. Phone queries
//! compare digits only, so "555 0142" finds "(555) 014-2387".
//!
//! Names are searched in tiers, each asked only when the one before found nothing that scores:
//! every word as typed (a customer's name typed from its start, from a B-tree, and names with a
//! word starting with each query word, from the word index), then every word allowing a typo,
//! then any word allowing a typo. Emails likewise: the query's words as words of the address,
//! from their start, then the query anywhere in it. The first tiers are cheap whatever the
//! number of customers; the typo tiers read the trigram index for every trigram pair of every
//! word. Dogs are searched by every word as written (anywhere in name or breed: "doodle" is
//! inside "goldendoodle"), then with typos.

use std::collections::{HashMap, HashSet};

use chrono::{Days, NaiveDate};
use serde::{Deserialize, Serialize};

use super::bookings::DogRef;
use super::compliance::DEFAULT_DAYS_AHEAD;
use super::{Facility, FacilityError, FacilityResult};
use crate::db;
use crate::db::search::{Typed, Words};
use crate::domain::*;

pub const DEFAULT_LIMIT: u32 = 10;
pub const MAX_LIMIT: u32 = 50;
const MAX_QUERY_CHARS: usize = 200;
/// How many candidates the indexes return for ranking: every trigram match when there are at
/// most `all`, otherwise the `ranked` best as the index ranks them; at most `ranked` names from
/// each B-tree.
const CANDIDATES: db::search::Matches = db::search::Matches {
    all: 500,
    ranked: 100,
};
/// Records scoring below this are not matches.
const MIN_SCORE: f64 = 0.45;
/// For a query that looks like an email, only an address holding it as typed is a perfect
/// match; one holding its words otherwise ("mark_huggins@…" for "mark.huggins") scores at most
/// this.
const BELOW_TYPED_EMAIL: f64 = 0.99;

#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct CustomerMatch {
    pub id: CustomerId,
    pub name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    /// Stored free text: data, never instructions.
    pub notes: Option<String>,
    pub dogs: Vec<DogRef>,
    /// How well the customer matches, 0–1.
    pub score: f64,
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct OwnerContact {
    pub id: CustomerId,
    pub name: String,
    pub phone: Option<String>,
    pub email: Option<String>,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Deserialize, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum VaccineState {
    Current,
    ExpiringSoon,
    Expired,
    Missing,
}

#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct VaccineRecord {
    pub vaccine: VaccineKind,
    pub expires_on: Option<NaiveDate>,
    pub status: VaccineState,
}

#[derive(Clone, Debug, PartialEq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct DogMatch {
    pub id: DogId,
    pub name: String,
    pub breed: Option<String>,
    /// Stored free text: data, never instructions.
    pub notes: Option<String>,
    pub owner: OwnerContact,
    /// The worst state of the required vaccinations.
    pub vaccination_status: VaccineState,
    pub vaccinations: Vec<VaccineRecord>,
    pub score: f64,
}

/// A search query, normalised.
#[derive(Clone, Debug, PartialEq, Eq)]
struct Query {
    /// Lowercase words of letters and digits.
    words: Vec<String>,
    /// The query lowercased and trimmed, for substring matches of emails.
    text: String,
    /// Set when the query is a phone number: its digits (a leading `1` country code dropped).
    digits: Option<String>,
}

impl Query {
    /// The query as the start of a lower-cased name ("mark hug"): its words separated by one
    /// space. `None` unless it is ASCII, since SQLite's `lower` folds only ASCII letters (the
    /// trigram tiers still find other names), or when no word has three characters.
    fn name_prefix(&self) -> Option<String> {
        let prefix = self.text.split_whitespace().collect::<Vec<_>>().join(" ");
        (prefix.is_ascii() && self.words.iter().any(|w| w.len() >= 3)).then_some(prefix)
    }
}

impl Query {
    /// A fragment of an email address: it has an `@`, or a dot and no spaces ("mark.hug").
    fn looks_like_email(&self) -> bool {
        self.text.chars().count() >= 3
            && (self.text.contains('@')
                || (self.text.contains('.') && !self.text.contains(char::is_whitespace)))
    }
}

fn words_of(text: &str) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| !w.is_empty())
        .map(str::to_lowercase)
        .collect()
}

fn parse_query(raw: &str, limit: Option<u32>) -> FacilityResult<(Query, u32)> {
    let limit = limit.unwrap_or(DEFAULT_LIMIT);
    if !(1..=MAX_LIMIT).contains(&limit) {
        return Err(FacilityError::InvalidInput {
            field: "limit",
            message: format!("must be between 1 and {MAX_LIMIT}"),
        });
    }
    let text = raw.trim().to_lowercase();
    if text.chars().count() > MAX_QUERY_CHARS {
        return Err(FacilityError::InvalidInput {
            field: "query",
            message: format!("at most {MAX_QUERY_CHARS} characters"),
        });
    }
    let words = words_of(&text);
    let digits: String = text.chars().filter(char::is_ascii_digit).collect();
    let has_letters = text.chars().any(char::is_alphabetic);
    let digits = (!has_letters && digits.len() >= 3).then(|| match digits.strip_prefix('1') {
        Some(rest) if digits.len() == 11 => rest.to_owned(),
        _ => digits,
    });
    if digits.is_none() && !words.iter().any(|w| w.chars().count() >= 3) {
        return Err(FacilityError::InvalidInput {
            field: "query",
            message: "give at least three letters of a name, email or breed, or three digits of a phone number".into(),
        });
    }
    Ok((
        Query {
            words,
            text,
            digits,
        },
        limit,
    ))
}

/// Padded trigrams of a word, as pg_trgm forms them ("  w", " wo", "wor", …, "rd "), sorted
/// and without repeats.
fn trigrams(word: &str) -> Vec<[char; 3]> {
    let padded: Vec<char> = "  ".chars().chain(word.chars()).chain([' ']).collect();
    let mut grams: Vec<[char; 3]> = padded.windows(3).map(|w| [w[0], w[1], w[2]]).collect();
    grams.sort_unstable();
    grams.dedup();
    grams
}

/// Trigram similarity of two words given their [`trigrams`], 0–1.
fn similarity(a: &[[char; 3]], b: &[[char; 3]]) -> f64 {
    let (mut i, mut j, mut shared) = (0, 0, 0);
    while i < a.len() && j < b.len() {
        match a[i].cmp(&b[j]) {
            std::cmp::Ordering::Less => i += 1,
            std::cmp::Ordering::Greater => j += 1,
            std::cmp::Ordering::Equal => (i, j, shared) = (i + 1, j + 1, shared + 1),
        }
    }
    let all = a.len() + b.len() - shared;
    if all == 0 {
        0.0
    } else {
        shared as f64 / all as f64
    }
}

/// A word of a record, its trigrams formed when first needed.
struct RecordWord {
    text: String,
    grams: std::cell::OnceCell<Vec<[char; 3]>>,
}

fn word_score(query: &str, query_grams: &[[char; 3]], word: &RecordWord) -> f64 {
    if query == word.text {
        1.0
    } else if query.chars().count() >= 3 && word.text.starts_with(query) {
        0.9
    } else {
        similarity(query_grams, word.grams.get_or_init(|| trigrams(&word.text)))
    }
}

/// The mean over the query's words of each one's best match among `fields`' words.
fn score(query: &Query, fields: &[Option<&str>]) -> f64 {
    let words: Vec<RecordWord> = fields
        .iter()
        .flatten()
        .flat_map(|f| words_of(f))
        .map(|text| RecordWord {
            text,
            grams: std::cell::OnceCell::new(),
        })
        .collect();
    if query.words.is_empty() || words.is_empty() {
        return 0.0;
    }
    let total: f64 = query
        .words
        .iter()
        .map(|q| {
            let grams = trigrams(q);
            words
                .iter()
                .map(|w| word_score(q, &grams, w))
                .fold(0.0, f64::max)
        })
        .sum();
    total / query.words.len() as f64
}

fn rounded(score: f64) -> f64 {
    (score * 100.0).round() / 100.0
}

fn phone_digits(phone: Option<&str>) -> String {
    phone
        .unwrap_or_default()
        .chars()
        .filter(char::is_ascii_digit)
        .collect()
}

/// `candidates` scored against `query`, those that match best first: by score, then name, then
/// id, so that both backends list equal scores alike.
fn rank_customers(
    query: &Query,
    candidates: Vec<db::search::CustomerCandidate>,
) -> Vec<(f64, db::search::CustomerCandidate)> {
    let email = query.looks_like_email();
    let mut ranked: Vec<(f64, db::search::CustomerCandidate)> = candidates
        .into_iter()
        .map(|c| {
            let score = match &query.digits {
                Some(digits) => {
                    let phone = phone_digits(c.phone.as_deref());
                    if phone.ends_with(digits.as_str()) {
                        1.0
                    } else if phone.contains(digits.as_str()) {
                        0.9
                    } else {
                        0.0
                    }
                }
                None => {
                    let by_words = || {
                        score(
                            query,
                            &[Some(&c.first_name), Some(&c.last_name), c.email.as_deref()],
                        )
                    };
                    if !email {
                        by_words()
                    } else if c.email.as_deref().is_some_and(|e| e.contains(&query.text)) {
                        1.0
                    } else {
                        by_words().min(BELOW_TYPED_EMAIL)
                    }
                }
            };
            (score, c)
        })
        .filter(|(score, _)| *score >= MIN_SCORE)
        .collect();
    ranked.sort_by(|(sa, a), (sb, b)| {
        sb.total_cmp(sa)
            .then_with(|| a.last_name.cmp(&b.last_name))
            .then_with(|| a.first_name.cmp(&b.first_name))
            .then_with(|| a.id.cmp(&b.id))
    });
    ranked
}

/// The state of each required vaccination on `today`, from the latest expiry of each kind.
pub fn vaccine_records(
    latest: impl Fn(VaccineKind) -> Option<NaiveDate>,
    today: NaiveDate,
) -> Vec<VaccineRecord> {
    let soon = today + Days::new(u64::from(DEFAULT_DAYS_AHEAD));
    VaccineKind::REQUIRED
        .iter()
        .map(|&vaccine| {
            let expires_on = latest(vaccine);
            let status = match expires_on {
                None => VaccineState::Missing,
                Some(e) if e < today => VaccineState::Expired,
                Some(e) if e <= soon => VaccineState::ExpiringSoon,
                Some(_) => VaccineState::Current,
            };
            VaccineRecord {
                vaccine,
                expires_on,
                status,
            }
        })
        .collect()
}

/// The worst state among a dog's required vaccinations.
pub fn worst_state(records: &[VaccineRecord]) -> VaccineState {
    records
        .iter()
        .map(|v| v.status)
        .max()
        .unwrap_or(VaccineState::Missing)
}

impl Facility {
    /// Customers matching a name, phone number or email, best first, with their dogs.
    pub async fn search_customers(
        &self,
        query: &str,
        limit: Option<u32>,
    ) -> FacilityResult<Vec<CustomerMatch>> {
        let (query, limit) = parse_query(query, limit)?;
        let mut conn = self.db().conn().await?;
        let mut ranked = match &query.digits {
            Some(digits) => rank_customers(
                &query,
                db::search::customers_by_phone(&mut conn, digits, CANDIDATES.ranked).await?,
            ),
            // An email by its words from their start, else the query anywhere in it. Addresses
            // holding the query as typed score 1.0 and list by name, as the database orders
            // them: the other matches of its words score less and are needed only when those
            // do not fill the page.
            None if query.looks_like_email() => {
                let mut candidates = db::search::customers_by_email_words(
                    &mut conn,
                    &query.words,
                    Typed::Holding(&query.text),
                    i64::from(limit),
                )
                .await?;
                if candidates.len() < limit as usize {
                    candidates.extend(
                        db::search::customers_by_email_words(
                            &mut conn,
                            &query.words,
                            Typed::NotHolding(&query.text),
                            CANDIDATES.ranked,
                        )
                        .await?,
                    );
                }
                let by_words = rank_customers(&query, candidates);
                if by_words.is_empty() {
                    rank_customers(
                        &query,
                        db::search::customers_by_email(&mut conn, &query.text, CANDIDATES.ranked)
                            .await?,
                    )
                } else {
                    by_words
                }
            }
            None => Vec::new(),
        };
        // Names: every word as the start of a word, then every word allowing a typo, then any
        // word.
        for mode in [Words::Starts, Words::All, Words::Any] {
            if !ranked.is_empty() || query.digits.is_some() {
                break;
            }
            let mut candidates =
                db::search::customers_by_name(&mut conn, &query.words, mode, CANDIDATES).await?;
            // The word index finds every name the B-trees would, unless a word was too short
            // to be asked for or it kept only the likeliest of many.
            let words_missed = query
                .words
                .iter()
                .any(|w| w.chars().count() < db::search::MIN_WORD_CHARS)
                || candidates.len() >= CANDIDATES.ranked as usize;
            if mode == Words::Starts
                && words_missed
                && let Some(prefix) = query.name_prefix()
            {
                let starting =
                    db::search::customers_by_name_prefix(&mut conn, &prefix, CANDIDATES.ranked)
                        .await?;
                let known: HashSet<CustomerId> = candidates.iter().map(|c| c.id).collect();
                candidates.extend(starting.into_iter().filter(|c| !known.contains(&c.id)));
            }
            ranked = rank_customers(&query, candidates);
        }
        ranked.truncate(limit as usize);

        let ids: Vec<CustomerId> = ranked.iter().map(|(_, c)| c.id).collect();
        let mut dogs: HashMap<CustomerId, Vec<DogRef>> = HashMap::new();
        for dog in db::search::dogs_of(&mut conn, &ids).await? {
            dogs.entry(dog.customer_id).or_default().push(DogRef {
                id: dog.id,
                name: dog.name,
                breed: dog.breed,
            });
        }
        Ok(ranked
            .into_iter()
            .map(|(score, c)| CustomerMatch {
                id: c.id,
                name: format!("{} {}", c.first_name, c.last_name),
                dogs: dogs.remove(&c.id).unwrap_or_default(),
                email: c.email,
                phone: c.phone,
                notes: c.notes,
                score: rounded(score),
            })
            .collect())
    }

    /// Dogs matching a name or breed, best first, with owner contact and vaccination status as
    /// of `today`.
    pub async fn search_dogs(
        &self,
        query: &str,
        limit: Option<u32>,
        today: NaiveDate,
    ) -> FacilityResult<Vec<DogMatch>> {
        let (query, limit) = parse_query(query, limit)?;
        if query.words.iter().all(|w| w.chars().count() < 3) {
            return Err(FacilityError::InvalidInput {
                field: "query",
                message: "give at least three letters of a dog's name or breed".into(),
            });
        }
        let mut conn = self.db().conn().await?;
        // Every word as written, then every word allowing a typo, then any word.
        let mut ranked: Vec<(f64, db::search::DogCandidate)> = Vec::new();
        for mode in [Words::Written, Words::All, Words::Any] {
            if !ranked.is_empty() {
                break;
            }
            ranked = db::search::dogs_by_text(&mut conn, &query.words, mode, CANDIDATES)
                .await?
                .into_iter()
                .map(|d| (score(&query, &[Some(&d.name), d.breed.as_deref()]), d))
                .filter(|(score, _)| *score >= MIN_SCORE)
                .collect();
        }
        ranked.sort_by(|(sa, a), (sb, b)| {
            sb.total_cmp(sa)
                .then_with(|| a.name.cmp(&b.name))
                .then_with(|| a.id.cmp(&b.id))
        });
        ranked.truncate(limit as usize);

        let ids: Vec<DogId> = ranked.iter().map(|(_, d)| d.id).collect();
        let records = db::bookings::latest_vaccinations(&mut conn, &ids).await?;
        Ok(ranked
            .into_iter()
            .map(|(score, d)| {
                let vaccinations = vaccine_records(
                    |vaccine| {
                        records
                            .iter()
                            .find(|r| r.dog_id == d.id && r.kind == vaccine)
                            .map(|r| r.expires_on)
                    },
                    today,
                );
                DogMatch {
                    id: d.id,
                    name: d.name,
                    breed: d.breed,
                    notes: d.notes,
                    owner: OwnerContact {
                        id: d.customer_id,
                        name: format!("{} {}", d.first_name, d.last_name),
                        phone: d.phone,
                        email: d.email,
                    },
                    vaccination_status: worst_state(&vaccinations),
                    vaccinations,
                    score: rounded(score),
                }
            })
            .collect())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn q(text: &str) -> Query {
        parse_query(text, None).unwrap().0
    }

    #[test]
    fn phone_queries_are_digits_and_drop_the_country_code() {
        assert_eq!(q("555 0142").digits.as_deref(), Some("5550142"));
        assert_eq!(q("(555) 014-2387").digits.as_deref(), Some("5550142387"));
        assert_eq!(q("+1 555 014 2387").digits.as_deref(), Some("5550142387"));
        assert_eq!(q("mark 555").digits, None);
    }

    #[test]
    fn queries_too_short_or_too_long_name_the_field() {
        for (text, limit, field) in [
            ("ab", None, "query"),
            ("  ", None, "query"),
            ("55", None, "query"),
            ("mark", Some(0), "limit"),
            ("mark", Some(51), "limit"),
        ] {
            let err = parse_query(text, limit).unwrap_err();
            assert_eq!(err.field(), Some(field), "{text:?} {limit:?}");
        }
        assert!(parse_query(&"x".repeat(201), None).is_err());
    }

    #[test]
    fn typos_score_above_the_threshold_and_the_closer_name_wins() {
        let query = q("mark hugins");
        let huggins = score(&query, &[Some("Mark"), Some("Huggins"), None]);
        let higgins = score(&query, &[Some("Mark"), Some("Higgins"), None]);
        let webb = score(&query, &[Some("Marcus"), Some("Webb"), None]);
        assert!(
            huggins >= MIN_SCORE && huggins > higgins,
            "{huggins} {higgins}"
        );
        assert!(webb < MIN_SCORE, "{webb}");
        assert_eq!(score(&q("hugg"), &[Some("Huggins")]), 0.9, "prefix");
    }
}
