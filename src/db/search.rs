//! Candidate retrieval for typo-tolerant search, with each database's own trigram index:
//! SQLite's FTS5 `trigram` tokenizer (`customers_search`, `dogs_search`) and PostgreSQL's
//! `pg_trgm` (GIN indexes). Both return a bounded set of likely matches; the facility layer
//! ranks them with one scoring function, so both backends answer alike.
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
/// first eight considered), or its only trigrams when it is short.
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
    let mut pairs = Vec::new();
    for i in 0..grams.len() {
        for j in i + 1..grams.len() {
            pairs.push(format!("({} AND {})", grams[i], grams[j]));
        }
    }
    Some(pairs.join(" OR "))
}

/// How the words of a query must match: every word (each with its typo tolerance), or any.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Words {
    All,
    Any,
}

/// The words of a query long enough for a trigram index, and how they must match.
struct WordMatch<'a> {
    words: Vec<&'a str>,
    mode: Words,
}

impl<'a> WordMatch<'a> {
    /// `None` when no word has three characters.
    fn new(words: &'a [String], mode: Words) -> Option<WordMatch<'a>> {
        let words: Vec<&str> = words
            .iter()
            .map(String::as_str)
            .filter(|w| w.chars().count() >= 3)
            .collect();
        (!words.is_empty()).then_some(WordMatch { words, mode })
    }

    fn join(&self) -> &'static str {
        match self.mode {
            Words::All => " AND ",
            Words::Any => " OR ",
        }
    }

    /// The FTS5 query over `columns`, each word tolerating a typo.
    fn fts(&self, columns: &str) -> String {
        let clauses: Vec<String> = self
            .words
            .iter()
            .filter_map(|w| fts_word(w))
            .map(|c| format!("({c})"))
            .collect();
        format!("{{{columns}}} : ({})", clauses.join(self.join()))
    }

    /// PostgreSQL conditions `$n <% expr`, one per word, parameters numbered from 3 (`$1` is
    /// the whole query, `$2` the limit — see [`WordMatch::fetch_pg`]).
    fn pg_condition(&self, expr: &str) -> String {
        (0..self.words.len())
            .map(|i| format!("${} <% {expr}", i + 3))
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
            query = query.bind(*word);
        }
        query.fetch_all(conn).await
    }
}

/// `text` as a LIKE pattern matching it anywhere, its wildcards escaped (`\` is the escape).
fn like_anywhere(text: &str) -> String {
    let escaped = text
        .replace('\\', "\\\\")
        .replace('%', "\\%")
        .replace('_', "\\_");
    format!("%{escaped}%")
}

/// Customers whose phone number contains `digits` (at least three).
pub async fn customers_by_phone(
    c: &mut impl AsConn,
    digits: &str,
    limit: i64,
) -> DbResult<Vec<CustomerCandidate>> {
    Ok(match c.as_conn() {
        ConnRef::Sqlite(conn) => {
            const SQL: &str = concat!(
                customer_columns!(),
                "FROM customers_search s JOIN customers c ON c.id = s.customer_id \
                               WHERE customers_search MATCH $1 \
                               ORDER BY c.last_name, c.first_name LIMIT $2"
            );
            sqlx::query_as(SQL)
                .bind(format!("{{phone}} : {}", fts_literal(digits)))
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

/// Customers whose email contains `fragment` (at least three characters).
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
                "FROM customers c WHERE c.email LIKE $1 ESCAPE '\\' \
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

/// Customers whose name resembles `words` (all of them, or any), likeliest first.
pub async fn customers_by_name(
    c: &mut impl AsConn,
    words: &[String],
    mode: Words,
    limit: i64,
) -> DbResult<Vec<CustomerCandidate>> {
    let Some(words) = WordMatch::new(words, mode) else {
        return Ok(Vec::new());
    };
    Ok(match c.as_conn() {
        ConnRef::Sqlite(conn) => {
            const SQL: &str = concat!(
                customer_columns!(),
                "FROM customers_search s JOIN customers c ON c.id = s.customer_id \
                 WHERE customers_search MATCH $1 ORDER BY s.rank LIMIT $2"
            );
            sqlx::query_as(SQL)
                .bind(words.fts("name"))
                .bind(limit)
                .fetch_all(conn)
                .await?
        }
        ConnRef::Postgres(conn) => {
            let sql = format!(
                concat!(
                    customer_columns!(),
                    "FROM customers c WHERE {} \
                     ORDER BY word_similarity($1, c.search_name) DESC LIMIT $2"
                ),
                words.pg_condition("c.search_name")
            );
            words.fetch_pg(conn, sql, limit).await?
        }
    })
}

/// The text of a dog PostgreSQL's trigram index covers (migration 0003): name and breed.
const PG_DOG_TEXT: &str = "(lower(d.name) || ' ' || coalesce(lower(d.breed), ''))";

/// Dogs whose name or breed resembles `words` (all of them, or any), likeliest first, with
/// their owners.
pub async fn dogs_by_text(
    c: &mut impl AsConn,
    words: &[String],
    mode: Words,
    limit: i64,
) -> DbResult<Vec<DogCandidate>> {
    let Some(words) = WordMatch::new(words, mode) else {
        return Ok(Vec::new());
    };
    Ok(match c.as_conn() {
        ConnRef::Sqlite(conn) => {
            const SQL: &str = concat!(
                dog_columns!(),
                "FROM dogs_search s JOIN dogs d ON d.id = s.dog_id \
                 JOIN customers c ON c.id = d.customer_id \
                 WHERE dogs_search MATCH $1 ORDER BY s.rank LIMIT $2"
            );
            sqlx::query_as(SQL)
                .bind(words.fts("name breed"))
                .bind(limit)
                .fetch_all(conn)
                .await?
        }
        ConnRef::Postgres(conn) => {
            let sql = format!(
                concat!(
                    dog_columns!(),
                    "FROM dogs d JOIN customers c ON c.id = d.customer_id WHERE {} \
                     ORDER BY word_similarity($1, {}) DESC LIMIT $2"
                ),
                words.pg_condition(PG_DOG_TEXT),
                PG_DOG_TEXT
            );
            words.fetch_pg(conn, sql, limit).await?
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
        assert!(q.contains("(\"hug\" AND \"gin\")"), "{q}");
        let words = ["ab".to_owned(), "max".into(), "rex".into()];
        let all = WordMatch::new(&words, Words::All).unwrap();
        assert_eq!(all.fts("name"), "{name} : ((\"max\") AND (\"rex\"))");
        assert_eq!(all.pg_condition("x"), "$3 <% x AND $4 <% x");
        assert!(WordMatch::new(&["ab".to_owned()], Words::Any).is_none());
        assert_eq!(like_anywhere("a_b%c"), "%a\\_b\\%c%");
    }
}
