//! Candidate retrieval for typo-tolerant search, with each database's own indexes: B-trees on
//! the lower-cased customer name (migration 0010) for names typed from their start; the
//! trigram indexes — SQLite's FTS5 `trigram` tokenizer (`customers_search`, `dogs_search`) and
//! PostgreSQL's `pg_trgm` (GIN indexes); and for customers' words from their start, SQLite's
//! FTS5 word index (`customers_words`, migration 0011) and a regular expression PostgreSQL's
//! trigram indexes answer. Each returns a bounded set of likely matches; the
//! facility layer ranks them with one scoring function, so both backends answer alike.
//!
//! A trigram search first takes its matches in index order, which costs little (in SQLite only
//! their rowids, then the rows of those); only when there are more than the facility scores
//! does it ask the index to rank them (bm25 in FTS5, `word_similarity` in PostgreSQL), which
//! costs a score for every match: ranking the 112 matches of "mark hugins" took three times as
//! long as finding them.
//!
//! Query words arrive normalised (lowercase letters and digits only).

use super::{AsConn, ConnRef, DbResult, on_conn, placeholders};
use crate::domain::*;

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct CustomerCandidate {
    pub id: CustomerId,
    pub first_name: String,
    pub last_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub notes: Option<String>,
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct DogCandidate {
    pub id: DogId,
    pub name: String,
    pub breed: Option<String>,
    pub notes: Option<String>,
    pub customer_id: CustomerId,
    pub first_name: String,
    pub last_name: String,
    pub email: Option<String>,
    pub phone: Option<String>,
}

macro_rules! customer_columns {
    () => {
        "SELECT c.id, c.first_name, c.last_name, c.email, c.phone, c.notes "
    };
}

macro_rules! dog_columns {
    () => {
        "SELECT d.id, d.name, d.breed, d.notes, d.customer_id, \
         c.first_name, c.last_name, c.email, c.phone "
    };
}

/// An FTS5 string literal.
fn fts_literal(text: &str) -> String {
    format!("\"{}\"", text.replace('"', "\"\""))
}

/// The FTS5 expression for one word that tolerates a typo: any two of its trigrams (the
/// first eight considered), or its only trigrams when it is short. The pairs are written
/// factored, each trigram AND any later one, which gives FTS5 half the terms to read as
/// "a AND b OR a AND c OR …" would (10–30% less time over 100,000 names).
fn fts_word(word: &str) -> Option<String> {
    let chars: Vec<char> = word.chars().collect();
    if chars.len() < 3 {
        return None;
    }
    let grams: Vec<String> = chars
        .windows(3)
        .take(8)
        .map(|w| fts_literal(&w.iter().collect::<String>()))
        .collect();
    if grams.len() < 3 {
        return Some(grams.join(" OR "));
    }
    let pairs: Vec<String> = (0..grams.len() - 1)
        .map(|i| format!("({} AND ({}))", grams[i], grams[i + 1..].join(" OR ")))
        .collect();
    Some(pairs.join(" OR "))
}

/// The shortest query word the indexes are asked for: a trigram index has nothing shorter to
/// look up, and the word index is not asked for what the trigram tiers could not follow.
pub const MIN_WORD_CHARS: usize = 3;

/// How the words of a query must match: every word as written (anywhere in the text), every
/// word as the start of a word of the text (customers' names and emails, from their word
/// index), every word with its typo tolerance, or any word with its typo tolerance.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Words {
    Written,
    Starts,
    All,
    Any,
}

/// How many matches a search returns: every match when there are at most `all` of them (in
/// index order), otherwise the `ranked` likeliest as the index ranks them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Matches {
    pub all: i64,
    pub ranked: i64,
}

impl Matches {
    /// The limit of the first, unranked query: one more than `all`, to tell when there are more.
    fn unranked_limit(self) -> i64 {
        self.all + 1
    }

    /// Whether `found` rows of the unranked query call for the ranked one.
    fn too_many(self, found: usize) -> bool {
        i64::try_from(found).unwrap_or(i64::MAX) > self.all
    }
}

/// The words of a query long enough for a trigram index, and how they must match.
struct WordMatch<'a> {
    words: Vec<&'a str>,
    mode: Words,
}

impl<'a> WordMatch<'a> {
    /// `None` when no word has [`MIN_WORD_CHARS`].
    fn new(words: &'a [String], mode: Words) -> Option<WordMatch<'a>> {
        let words: Vec<&str> = words
            .iter()
            .map(String::as_str)
            .filter(|w| w.chars().count() >= MIN_WORD_CHARS)
            .collect();
        (!words.is_empty()).then_some(WordMatch { words, mode })
    }

    fn join(&self) -> &'static str {
        match self.mode {
            Words::Written | Words::Starts | Words::All => " AND ",
            Words::Any => " OR ",
        }
    }

    /// The FTS5 query over `columns`: each word as a phrase (its trigrams in a row, so the word
    /// as written), or tolerating a typo — over the trigram index; or, for [`Words::Starts`],
    /// each word as a prefix over the word index (`customers_words`, migration 0011).
    fn fts(&self, columns: &str) -> String {
        let mut words = self.words.clone();
        if self.mode == Words::Written {
            // The longest word first: its phrase is the rarest, which FTS5 then checks first.
            words.sort_by_key(|w| std::cmp::Reverse(w.chars().count()));
        }
        let clauses: Vec<String> = words
            .iter()
            .filter_map(|w| match self.mode {
                Words::Written => Some(fts_literal(w)),
                Words::Starts => Some(format!("{}*", fts_literal(w))),
                Words::All | Words::Any => fts_word(w),
            })
            .map(|c| format!("({c})"))
            .collect();
        format!("{{{columns}}} : ({})", clauses.join(self.join()))
    }

    /// PostgreSQL conditions, one per word, parameters numbered from 3 (`$1` is the whole
    /// query, `$2` the limit — see [`WordMatch::fetch_pg`]): `expr LIKE '%word%'` for a word as
    /// written, `expr ~ '(^|[^[:alnum:]])word'` for the start of a word, `word <% expr` (word
    /// similarity) for one tolerating a typo. pg_trgm's indexes answer all three.
    fn pg_condition(&self, expr: &str) -> String {
        (0..self.words.len())
            .map(|i| match self.mode {
                Words::Written => format!("{expr} LIKE ${} ESCAPE '\\'", i + 3),
                Words::Starts => format!("{expr} ~ ${}", i + 3),
                Words::All | Words::Any => format!("${} <% {expr}", i + 3),
            })
            .collect::<Vec<_>>()
            .join(self.join())
    }

    /// Runs `sql`, binding the whole query as `$1`, `limit` as `$2` and each word after them.
    async fn fetch_pg<O>(
        &self,
        conn: &mut sqlx::PgConnection,
        sql: String,
        limit: i64,
    ) -> sqlx::Result<Vec<O>>
    where
        O: for<'r> sqlx::FromRow<'r, sqlx::postgres::PgRow> + Send + Unpin,
    {
        let mut query = sqlx::query_as(sqlx::AssertSqlSafe(sql))
            .bind(self.words.join(" "))
            .bind(limit);
        for word in &self.words {
            query = match self.mode {
                Words::Written => query.bind(like_anywhere(word)),
                Words::Starts => query.bind(word_start(word)),
                Words::All | Words::Any => query.bind(*word),
            };
        }
        query.fetch_all(conn).await
    }
}

/// The rowids of an FTS5 table's first `matches.all + 1` matches of `fts`, in index order: only
/// the index is read, neither the rows nor a rank for every match.
async fn fts_matches(
    conn: &mut sqlx::SqliteConnection,
    table: &'static str,
    fts: &str,
    matches: Matches,
) -> sqlx::Result<Vec<i64>> {
    let sql = format!("SELECT rowid FROM {table} WHERE {table} MATCH $1 LIMIT $2");
    sqlx::query_scalar(sqlx::AssertSqlSafe(sql))
        .bind(fts)
        .bind(matches.unranked_limit())
        .fetch_all(conn)
        .await
}

/// `select` (ending in `s.rowid IN (`) for the FTS5 rows `rowids`.
async fn by_rowid<O>(
    conn: &mut sqlx::SqliteConnection,
    select: &'static str,
    rowids: &[i64],
) -> sqlx::Result<Vec<O>>
where
    O: for<'r> sqlx::FromRow<'r, sqlx::sqlite::SqliteRow> + Send + Unpin,
{
    if rowids.is_empty() {
        return Ok(Vec::new());
    }
    let sql = format!("{select}{})", placeholders(1, rowids.len()));
    let mut query = sqlx::query_as(sqlx::AssertSqlSafe(sql));
    for rowid in rowids {
        query = query.bind(*rowid);
    }
    query.fetch_all(conn).await
}

/// A PostgreSQL regular expression matching `words` as consecutive words of a text, the last
/// one from its start: the words at the start of the text or after a character that is no
/// letter or digit, separated by such characters — as FTS5's unicode61 tokenizer splits words.
/// Query words are letters and digits only, so they need no escaping.
fn word_start(words: &str) -> String {
    format!(
        "(^|[^[:alnum:]]){}",
        words
            .split_whitespace()
            .collect::<Vec<_>>()
            .join("[^[:alnum:]]+")
    )
}

/// `text` as a LIKE pattern matching it anywhere, its wildcards escaped (`\` is the escape).
fn like_anywhere(text: &str) -> String {
    let escaped = text
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

/// An FTS5 query for `digits` (ASCII, at least three): the trigrams starting every third digit
/// and the last one, which together cover every digit ("5550142" → "555" AND "014" AND "142").
fn covering_trigrams(digits: &str) -> String {
    let last = digits.len().saturating_sub(3);
    let mut starts: Vec<usize> = (0..=last).step_by(3).collect();
    if starts.last() != Some(&last) {
        starts.push(last);
    }
    starts
        .into_iter()
        .filter_map(|i| digits.get(i..i + 3))
        .map(fts_literal)
        .collect::<Vec<_>>()
        .join(" AND ")
}

/// Customers whose phone number contains `digits` (at least three).
pub async fn customers_by_phone(
    c: &mut impl AsConn,
    digits: &str,
    limit: i64,
) -> DbResult<Vec<CustomerCandidate>> {
    Ok(match c.as_conn() {
        ConnRef::Sqlite(conn) => {
            // The index finds the numbers holding a few of the digits' trigrams that cover them,
            // which reads fewer and shorter lists than the phrase of every trigram; the stored
            // digits are then checked.
            const SQL: &str = concat!(
                customer_columns!(),
                "FROM customers_search s JOIN customers c ON c.id = s.customer_id \
                               WHERE customers_search MATCH $1 AND instr(s.phone, $2) > 0 \
                               ORDER BY c.last_name, c.first_name LIMIT $3"
            );
            sqlx::query_as(SQL)
                .bind(format!("{{phone}} : ({})", covering_trigrams(digits)))
                .bind(digits)
                .bind(limit)
                .fetch_all(conn)
                .await?
        }
        ConnRef::Postgres(conn) => {
            const SQL: &str = concat!(
                customer_columns!(),
                "FROM customers c WHERE c.phone_digits LIKE $1 \
                               ORDER BY c.last_name, c.first_name LIMIT $2"
            );
            sqlx::query_as(SQL)
                .bind(format!("%{digits}%"))
                .bind(limit)
                .fetch_all(conn)
                .await?
        }
    })
}

/// Which of the addresses holding the query's words [`customers_by_email_words`] returns: those
/// that also hold `text` as typed (case and all), alphabetically, or the others.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Typed<'a> {
    Holding(&'a str),
    NotHolding(&'a str),
}

/// Customers whose email holds `words` as consecutive words, the last one from its start
/// ("mark hug" finds mark.huggins@…, not remark.hughes@…), from the word index — as `typed`
/// says, ordered by last name, first name and id (bytewise, as the facility ranks them).
pub async fn customers_by_email_words(
    c: &mut impl AsConn,
    words: &[String],
    typed: Typed<'_>,
    limit: i64,
) -> DbResult<Vec<CustomerCandidate>> {
    if words.is_empty() {
        return Ok(Vec::new());
    }
    let words = words.join(" ");
    let (holding, text) = match typed {
        Typed::Holding(text) => (true, text),
        Typed::NotHolding(text) => (false, text),
    };
    Ok(match c.as_conn() {
        ConnRef::Sqlite(conn) => {
            const SQL: &str = concat!(
                customer_columns!(),
                "FROM customers_words s JOIN customers c ON c.id = s.customer_id \
                 WHERE customers_words MATCH $1 AND (instr(c.email, $2) > 0) = $3 \
                 ORDER BY c.last_name, c.first_name, c.id LIMIT $4"
            );
            sqlx::query_as(SQL)
                .bind(format!("{{email}} : {}*", fts_literal(&words)))
                .bind(text)
                .bind(holding)
                .bind(limit)
                .fetch_all(conn)
                .await?
        }
        ConnRef::Postgres(conn) => {
            const SQL: &str = concat!(
                customer_columns!(),
                "FROM customers c WHERE c.email ~* $1 AND (strpos(c.email, $2) > 0) = $3 \
                 ORDER BY c.last_name COLLATE \"C\", c.first_name COLLATE \"C\", c.id LIMIT $4"
            );
            sqlx::query_as(SQL)
                .bind(word_start(&words))
                .bind(text)
                .bind(holding)
                .bind(limit)
                .fetch_all(conn)
                .await?
        }
    })
}

/// Customers whose email contains `fragment` (at least three characters), in any case.
pub async fn customers_by_email(
    c: &mut impl AsConn,
    fragment: &str,
    limit: i64,
) -> DbResult<Vec<CustomerCandidate>> {
    Ok(match c.as_conn() {
        ConnRef::Sqlite(conn) => {
            const SQL: &str = concat!(
                customer_columns!(),
                "FROM customers_search s JOIN customers c ON c.id = s.customer_id \
                 WHERE customers_search MATCH $1 ORDER BY c.last_name, c.first_name LIMIT $2"
            );
            sqlx::query_as(SQL)
                .bind(format!("{{email}} : {}", fts_literal(fragment)))
                .bind(limit)
                .fetch_all(conn)
                .await?
        }
        ConnRef::Postgres(conn) => {
            const SQL: &str = concat!(
                customer_columns!(),
                "FROM customers c WHERE c.email ILIKE $1 ESCAPE '\\' \
                 ORDER BY c.last_name, c.first_name LIMIT $2"
            );
            sqlx::query_as(SQL)
                .bind(like_anywhere(fragment))
                .bind(limit)
                .fetch_all(conn)
                .await?
        }
    })
}

/// Customers whose name holds `words` (all of them as written, all or any of them with a typo),
/// as [`Matches`] says.
pub async fn customers_by_name(
    c: &mut impl AsConn,
    words: &[String],
    mode: Words,
    matches: Matches,
) -> DbResult<Vec<CustomerCandidate>> {
    let Some(words) = WordMatch::new(words, mode) else {
        return Ok(Vec::new());
    };
    Ok(match c.as_conn() {
        ConnRef::Sqlite(conn) => {
            // Words from their start come from the word index, the rest from the trigram index.
            macro_rules! queries {
                ($table:literal) => {
                    (
                        $table,
                        concat!(
                            customer_columns!(),
                            "FROM ",
                            $table,
                            " s JOIN customers c ON c.id = s.customer_id WHERE s.rowid IN ("
                        ),
                        concat!(
                            customer_columns!(),
                            "FROM ",
                            $table,
                            " s JOIN customers c ON c.id = s.customer_id WHERE ",
                            $table,
                            " MATCH $1 ORDER BY s.rank LIMIT $2"
                        ),
                    )
                };
            }
            let (table, by_rowids, ranked) = match words.mode {
                Words::Starts => queries!("customers_words"),
                Words::Written | Words::All | Words::Any => queries!("customers_search"),
            };
            let fts = words.fts("name");
            let found = fts_matches(&mut *conn, table, &fts, matches).await?;
            if matches.too_many(found.len()) {
                sqlx::query_as(ranked)
                    .bind(&fts)
                    .bind(matches.ranked)
                    .fetch_all(&mut *conn)
                    .await?
            } else {
                by_rowid(conn, by_rowids, &found).await?
            }
        }
        ConnRef::Postgres(conn) => {
            let condition = words.pg_condition("c.search_name");
            let unranked = format!(
                concat!(customer_columns!(), "FROM customers c WHERE {} LIMIT $2"),
                condition
            );
            let found = words
                .fetch_pg(&mut *conn, unranked, matches.unranked_limit())
                .await?;
            if matches.too_many(found.len()) {
                let ranked = format!(
                    concat!(
                        customer_columns!(),
                        "FROM customers c WHERE {} \
                         ORDER BY word_similarity($1, c.search_name) DESC LIMIT $2"
                    ),
                    condition
                );
                words.fetch_pg(&mut *conn, ranked, matches.ranked).await?
            } else {
                found
            }
        }
    })
}

/// Customers whose lower-cased name, first name first or last name first, starts with `prefix`
/// (at most `limit` for each order, alphabetically), from the B-trees of migration 0010.
pub async fn customers_by_name_prefix(
    c: &mut impl AsConn,
    prefix: &str,
    limit: i64,
) -> DbResult<Vec<CustomerCandidate>> {
    // Every string that starts with `prefix` sorts from it to it followed by the last character.
    let end = format!("{prefix}{}", char::MAX);
    Ok(match c.as_conn() {
        ConnRef::Sqlite(conn) => {
            const SQL: &str = concat!(
                "SELECT * FROM (",
                customer_columns!(),
                "FROM customers c \
                 WHERE lower(c.first_name || ' ' || c.last_name) >= $1 \
                   AND lower(c.first_name || ' ' || c.last_name) < $2 \
                 ORDER BY lower(c.first_name || ' ' || c.last_name), c.id LIMIT $3) \
                 UNION SELECT * FROM (",
                customer_columns!(),
                "FROM customers c \
                 WHERE lower(c.last_name || ' ' || c.first_name) >= $1 \
                   AND lower(c.last_name || ' ' || c.first_name) < $2 \
                 ORDER BY lower(c.last_name || ' ' || c.first_name), c.id LIMIT $3)"
            );
            sqlx::query_as(SQL)
                .bind(prefix)
                .bind(end)
                .bind(limit)
                .fetch_all(conn)
                .await?
        }
        ConnRef::Postgres(conn) => {
            const SQL: &str = concat!(
                "SELECT * FROM (",
                customer_columns!(),
                "FROM customers c \
                 WHERE lower(c.first_name || ' ' || c.last_name) COLLATE \"C\" >= $1 \
                   AND lower(c.first_name || ' ' || c.last_name) COLLATE \"C\" < $2 \
                 ORDER BY lower(c.first_name || ' ' || c.last_name) COLLATE \"C\", c.id LIMIT $3) AS first_last \
                 UNION SELECT * FROM (",
                customer_columns!(),
                "FROM customers c \
                 WHERE lower(c.last_name || ' ' || c.first_name) COLLATE \"C\" >= $1 \
                   AND lower(c.last_name || ' ' || c.first_name) COLLATE \"C\" < $2 \
                 ORDER BY lower(c.last_name || ' ' || c.first_name) COLLATE \"C\", c.id LIMIT $3) AS last_first"
            );
            sqlx::query_as(SQL)
                .bind(prefix)
                .bind(end)
                .bind(limit)
                .fetch_all(conn)
                .await?
        }
    })
}

/// The text of a dog PostgreSQL's trigram index covers (migration 0003): name and breed.
const PG_DOG_TEXT: &str = "(lower(d.name) || ' ' || coalesce(lower(d.breed), ''))";

/// Dogs whose name or breed holds `words` (all of them as written, all or any of them with a
/// typo), as [`Matches`] says, with their owners.
pub async fn dogs_by_text(
    c: &mut impl AsConn,
    words: &[String],
    mode: Words,
    matches: Matches,
) -> DbResult<Vec<DogCandidate>> {
    let Some(words) = WordMatch::new(words, mode) else {
        return Ok(Vec::new());
    };
    Ok(match c.as_conn() {
        ConnRef::Sqlite(conn) => {
            const BY_ROWID: &str = concat!(
                dog_columns!(),
                "FROM dogs_search s JOIN dogs d ON d.id = s.dog_id \
                 JOIN customers c ON c.id = d.customer_id \
                 WHERE s.rowid IN ("
            );
            const RANKED: &str = concat!(
                dog_columns!(),
                "FROM dogs_search s JOIN dogs d ON d.id = s.dog_id \
                 JOIN customers c ON c.id = d.customer_id \
                 WHERE dogs_search MATCH $1 ORDER BY s.rank LIMIT $2"
            );
            let fts = words.fts("name breed");
            let found = fts_matches(&mut *conn, "dogs_search", &fts, matches).await?;
            if matches.too_many(found.len()) {
                sqlx::query_as(RANKED)
                    .bind(&fts)
                    .bind(matches.ranked)
                    .fetch_all(&mut *conn)
                    .await?
            } else {
                by_rowid(conn, BY_ROWID, &found).await?
            }
        }
        ConnRef::Postgres(conn) => {
            let condition = words.pg_condition(PG_DOG_TEXT);
            let unranked = format!(
                concat!(
                    dog_columns!(),
                    "FROM dogs d JOIN customers c ON c.id = d.customer_id WHERE {} LIMIT $2"
                ),
                condition
            );
            let found = words
                .fetch_pg(&mut *conn, unranked, matches.unranked_limit())
                .await?;
            if matches.too_many(found.len()) {
                let ranked = format!(
                    concat!(
                        dog_columns!(),
                        "FROM dogs d JOIN customers c ON c.id = d.customer_id WHERE {} \
                         ORDER BY word_similarity($1, {}) DESC LIMIT $2"
                    ),
                    condition, PG_DOG_TEXT
                );
                words.fetch_pg(&mut *conn, ranked, matches.ranked).await?
            } else {
                found
            }
        }
    })
}

#[derive(Clone, Debug, sqlx::FromRow)]
pub struct OwnedDog {
    pub customer_id: CustomerId,
    pub id: DogId,
    pub name: String,
    pub breed: Option<String>,
}

/// The dogs of the given customers, by name.
pub async fn dogs_of(c: &mut impl AsConn, customers: &[CustomerId]) -> DbResult<Vec<OwnedDog>> {
    if customers.is_empty() {
        return Ok(Vec::new());
    }
    let sql = sqlx::AssertSqlSafe(format!(
        "SELECT customer_id, id, name, breed FROM dogs WHERE customer_id IN ({}) ORDER BY name, id",
        placeholders(1, customers.len())
    ));
    Ok(on_conn!(c, |conn| {
        let mut query = sqlx::query_as(sql);
        for id in customers {
            query = query.bind(*id);
        }
        query.fetch_all(conn).await
    })?)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn fts_queries_tolerate_a_typo_per_word() {
        assert_eq!(fts_word("ab"), None);
        assert_eq!(fts_word("max").unwrap(), "\"max\"");
        assert_eq!(fts_word("luna").unwrap(), "\"lun\" OR \"una\"");
        let q = fts_word("hugins").unwrap();
        // "huggins" shares hug, gin and ins with the typo: some pair survives.
        assert_eq!(
            q,
            "(\"hug\" AND (\"ugi\" OR \"gin\" OR \"ins\")) OR (\"ugi\" AND (\"gin\" OR \"ins\")) \
             OR (\"gin\" AND (\"ins\"))"
        );
        let words = ["ab".to_owned(), "max".into(), "rex".into()];
        let all = WordMatch::new(&words, Words::All).unwrap();
        assert_eq!(all.fts("name"), "{name} : ((\"max\") AND (\"rex\"))");
        assert_eq!(all.pg_condition("x"), "$3 <% x AND $4 <% x");
        let written = WordMatch::new(&words, Words::Written).unwrap();
        assert_eq!(written.fts("name"), "{name} : ((\"max\") AND (\"rex\"))");
        let words = ["mark".to_owned(), "huggins".into()];
        let written = WordMatch::new(&words, Words::Written).unwrap();
        assert_eq!(
            written.fts("name"),
            "{name} : ((\"huggins\") AND (\"mark\"))"
        );
        assert_eq!(
            written.pg_condition("x"),
            "x LIKE $3 ESCAPE '\\' AND x LIKE $4 ESCAPE '\\'"
        );
        let starts = WordMatch::new(&words, Words::Starts).unwrap();
        assert_eq!(
            starts.fts("name"),
            "{name} : ((\"mark\"*) AND (\"huggins\"*))"
        );
        assert_eq!(starts.pg_condition("x"), "x ~ $3 AND x ~ $4");
        assert_eq!(word_start("hug"), "(^|[^[:alnum:]])hug");
        assert_eq!(
            word_start("mark hug"),
            "(^|[^[:alnum:]])mark[^[:alnum:]]+hug"
        );
        assert!(WordMatch::new(&["ab".to_owned()], Words::Any).is_none());
        assert_eq!(covering_trigrams("555"), "\"555\"");
        assert_eq!(covering_trigrams("5550"), "\"555\" AND \"550\"");
        assert_eq!(
            covering_trigrams("5550142"),
            "\"555\" AND \"014\" AND \"142\""
        );
        assert_eq!(covering_trigrams("555014"), "\"555\" AND \"014\"");
        assert_eq!(like_anywhere("a_b%c"), "%a\\_b\\%c%");
    }
}
