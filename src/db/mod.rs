//! The data-access layer: the only code that holds SQL or knows which backend is in use.
//!
//! [`Db`] wraps a SQLite or PostgreSQL pool, chosen by the `DATABASE_URL` scheme. Query functions
//! in the submodules take `&mut impl AsConn` — a pooled connection ([`Db::conn`]) or a
//! transaction ([`Db::begin`]) — and are written once: [`on_conn!`] instantiates the same body
//! for each backend. SQL shared by both backends uses `$1`-style parameters, which SQLite accepts.

use std::str::FromStr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;

use sqlx::pool::PoolConnection;
use sqlx::postgres::{PgConnectOptions, PgListener, PgPoolOptions};
use sqlx::sqlite::{SqliteConnectOptions, SqliteJournalMode, SqlitePoolOptions, SqliteSynchronous};
use sqlx::{PgConnection, PgPool, Postgres, Sqlite, SqliteConnection, SqlitePool, Transaction};

pub mod aim;
pub mod alerts;
pub mod audit;
pub mod bookings;
pub mod compliance;
pub mod customers;
pub mod facility;
pub mod payments;
pub mod revenue;
pub mod schedules;
pub mod search;
pub mod settings;
pub mod sms;
pub mod staff;

/// Runs `$body` with `$conn` bound to the backend's `&mut Connection`, for either backend.
macro_rules! on_conn {
    ($c:expr, |$conn:ident| $body:expr) => {
        match $crate::db::AsConn::as_conn($c) {
            $crate::db::ConnRef::Sqlite($conn) => $body,
            $crate::db::ConnRef::Postgres($conn) => $body,
        }
    };
}
pub(crate) use on_conn;

/// Writers that must not interleave: each holds its lock for the rest of a transaction.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum WriteLock {
    /// Capacity and overlap checks of new bookings.
    Bookings,
    /// Rate limits of outgoing SMS.
    Sms,
    /// The alert generator: one replica runs it at a time.
    AlertGenerator,
    /// The order of alert events: numbered in the order they commit.
    AlertEvents,
    /// Refunds of one payment never adding up to more than it.
    Payments,
}

impl WriteLock {
    /// The lock's number within the database's schema (the schema supplies the other half of
    /// the advisory lock's key, so facilities in separate schemas never wait for each other).
    fn key(self) -> i32 {
        match self {
            WriteLock::Bookings => 1,
            WriteLock::Sms => 2,
            WriteLock::AlertGenerator => 3,
            WriteLock::AlertEvents => 4,
            WriteLock::Payments => 5,
        }
    }
}

/// Serialises writers of one kind until the transaction ends. SQLite write transactions
/// already hold the database's single write lock (`BEGIN IMMEDIATE`); PostgreSQL takes a
/// transaction-scoped advisory lock, so a check-then-insert cannot race another replica.
pub async fn lock(tx: &mut Tx, lock: WriteLock) -> DbResult<()> {
    if let PooledTx::Postgres(pg) = &mut tx.tx {
        tx.statements.bump();
        sqlx::query("SELECT pg_advisory_xact_lock(hashtext(current_schema()), $1)")
            .bind(lock.key())
            .execute(&mut **pg)
            .await?;
    }
    Ok(())
}

/// Tells every process listening on `channel` ([`Db::listen`]) that something changed, once
/// the transaction commits (PostgreSQL `NOTIFY`; nothing on SQLite, where one process serves
/// a database). The notice carries the schema, so facilities in separate schemas of one
/// database don't wake each other.
pub async fn notify(tx: &mut Tx, channel: &str) -> DbResult<()> {
    if let PooledTx::Postgres(pg) = &mut tx.tx {
        tx.statements.bump();
        sqlx::query("SELECT pg_notify($1, current_schema())")
            .bind(channel)
            .execute(&mut **pg)
            .await?;
    }
    Ok(())
}

/// What a [`Listener`] hears.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Notice {
    /// A transaction that called [`notify`] on the channel committed (in any process).
    Notified,
    /// The connection was lost and is back: notices sent meanwhile are gone, so whatever
    /// they would have announced has to be looked up.
    Reconnected,
}

/// Notices of one channel from every process on the database (PostgreSQL `LISTEN`), on a
/// connection of its own outside the pool, so it never takes a connection from requests.
pub struct Listener {
    listener: PgListener,
    schema: String,
}

impl Listener {
    /// The next notice for this schema. Cancel-safe only in the sense that dropping the
    /// future may lose a notice; callers that stop listening drop the listener with it.
    pub async fn next(&mut self) -> DbResult<Notice> {
        loop {
            match self.listener.try_recv().await? {
                Some(notification) if notification.payload() == self.schema => {
                    return Ok(Notice::Notified);
                }
                Some(_) => {}
                // The listener has already reconnected and listens again.
                None => return Ok(Notice::Reconnected),
            }
        }
    }
}

/// Held while a replica leads a periodic job ([`Db::try_lead`]); dropping it lets another
/// replica lead.
pub struct Leadership {
    _tx: Option<Transaction<'static, Postgres>>,
}

impl Leadership {
    /// Lets go of the lead now. Dropping the guard lets go too, but only once the
    /// connection's rollback reaches the server, a moment later: a run right after this one
    /// (the next `aim alerts run`, a test) would find the lead still taken.
    pub async fn release(mut self) -> DbResult<()> {
        if let Some(tx) = self._tx.take() {
            tx.rollback().await?;
        }
        Ok(())
    }
}

/// `$first, $first+1, …` — `n` numbered placeholders for an `IN (…)` list. The SQL is built
/// from the count alone; values are always bound.
pub(crate) fn placeholders(first: usize, n: usize) -> String {
    (first..first + n)
        .map(|i| format!("${i}"))
        .collect::<Vec<_>>()
        .join(", ")
}

/// Which database engine a [`Db`] talks to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Backend {
    Sqlite,
    Postgres,
}

/// A failure of the data layer, classified so callers can react without knowing the backend.
#[derive(Debug, thiserror::Error)]
pub enum DbError {
    #[error("`{0}` is not a supported database URL: use sqlite://PATH or postgres://USER@HOST/DB")]
    UnsupportedUrl(String),
    #[error("a row with the same {constraint} already exists")]
    UniqueViolation { constraint: String },
    #[error("a referenced row does not exist or is still referenced ({constraint})")]
    ForeignKeyViolation { constraint: String },
    #[error("a value breaks the rule {constraint}")]
    CheckViolation { constraint: String },
    #[error("database migration failed: {0}")]
    Migrate(#[from] sqlx::migrate::MigrateError),
    /// No connection could be had in time (the pool is exhausted, or the database is down or
    /// restarting): worth trying again shortly.
    #[error("the database is not answering: {0}")]
    Unavailable(sqlx::Error),
    #[error("database error: {0}")]
    Sqlx(sqlx::Error),
}

impl From<sqlx::Error> for DbError {
    fn from(err: sqlx::Error) -> Self {
        use sqlx::error::ErrorKind;
        if matches!(
            err,
            sqlx::Error::PoolTimedOut
                | sqlx::Error::PoolClosed
                | sqlx::Error::Io(_)
                | sqlx::Error::Tls(_)
                | sqlx::Error::WorkerCrashed
                // The peer broke off the wire protocol: a connection closed while it was being
                // opened (a proxy in front of a database that is down), or cut midway.
                | sqlx::Error::Protocol(_)
        ) {
            return DbError::Unavailable(err);
        }
        if let Some(db_err) = err.as_database_error() {
            // PostgreSQL's connection exceptions (class 08) and shutdowns (57P01–57P03).
            if db_err.code().is_some_and(|code| {
                code.starts_with("08") || matches!(&*code, "57P01" | "57P02" | "57P03")
            }) {
                return DbError::Unavailable(err);
            }
            let constraint = db_err
                .constraint()
                .unwrap_or_else(|| db_err.message())
                .to_owned();
            match db_err.kind() {
                ErrorKind::UniqueViolation => return DbError::UniqueViolation { constraint },
                ErrorKind::ForeignKeyViolation => {
                    return DbError::ForeignKeyViolation { constraint };
                }
                ErrorKind::CheckViolation | ErrorKind::NotNullViolation => {
                    return DbError::CheckViolation { constraint };
                }
                _ => {}
            }
        }
        DbError::Sqlx(err)
    }
}

pub type DbResult<T> = Result<T, DbError>;

#[derive(Clone, Debug)]
enum Pool {
    Sqlite(SqlitePool),
    Postgres(PgPool),
}

/// A connection pool on SQLite or PostgreSQL.
#[derive(Clone, Debug)]
pub struct Db {
    pool: Pool,
    statements: StatementCounter,
}

/// Counts the statements sent through one [`Db`] (all its clones share it).
///
/// Every query function of this layer reaches the database through [`AsConn::as_conn`]
/// (directly or via [`on_conn!`]) exactly once per statement it sends, so counting there counts
/// statements, whatever connection or transaction they run on; [`Db::begin`], [`Tx::commit`]
/// and [`lock`] add their own `BEGIN`, `COMMIT` and lock statements. Acquiring a connection
/// counts nothing. A relaxed atomic add, cheap enough to stay on in production; being per
/// `Db`, tests running side by side don't disturb each other's counts.
#[derive(Clone, Debug, Default)]
struct StatementCounter(Arc<AtomicU64>);

impl StatementCounter {
    fn bump(&self) {
        self.0.fetch_add(1, Ordering::Relaxed);
    }

    fn get(&self) -> u64 {
        self.0.load(Ordering::Relaxed)
    }
}

/// How many connections the pool holds and how many are idle.
#[derive(Clone, Copy, Debug)]
pub struct PoolStats {
    pub size: u32,
    pub idle: usize,
    pub max: u32,
}

const MAX_CONNECTIONS: u32 = 16;
/// How long a request waits for a free connection before it is answered 503.
pub const DEFAULT_ACQUIRE_TIMEOUT: Duration = Duration::from_secs(5);

impl Db {
    /// Opens a pool for `url`: `sqlite://PATH` (file created if missing, WAL, busy timeout,
    /// foreign keys on) or `postgres://…` / `postgresql://…`.
    pub async fn connect(url: &str) -> DbResult<Db> {
        Db::connect_with(url, DEFAULT_ACQUIRE_TIMEOUT).await
    }

    /// [`Db::connect`], waiting at most `acquire_timeout` for a free connection.
    pub async fn connect_with(url: &str, acquire_timeout: Duration) -> DbResult<Db> {
        if url.starts_with("sqlite:") {
            let options = SqliteConnectOptions::from_str(url)?
                .create_if_missing(true)
                .journal_mode(SqliteJournalMode::Wal)
                .synchronous(SqliteSynchronous::Normal)
                .busy_timeout(Duration::from_secs(10))
                .foreign_keys(true)
                // Up to 32 MiB of pages per connection, taken only as pages are read (SQLite's
                // default is 2 MiB): the search indexes of 100,000 customers stay in memory
                // instead of being read again after every larger query.
                .pragma("cache_size", "-32768");
            // An in-memory database lives and dies with its one connection: keep exactly one.
            let in_memory = url.contains(":memory:") || url.contains("mode=memory");
            let pool_options = if in_memory {
                SqlitePoolOptions::new()
                    .max_connections(1)
                    .min_connections(1)
                    .idle_timeout(None)
                    .max_lifetime(None)
            } else {
                SqlitePoolOptions::new().max_connections(MAX_CONNECTIONS)
            };
            let pool = pool_options
                .acquire_timeout(acquire_timeout)
                .connect_with(options)
                .await?;
            Ok(Db {
                pool: Pool::Sqlite(pool),
                statements: StatementCounter::default(),
            })
        } else if url.starts_with("postgres://") || url.starts_with("postgresql://") {
            // Search matches a word with a typo in it (pg_trgm's default of 0.6 misses
            // "biscit" for "biscuit"); candidates are ranked again above this layer.
            let options = PgConnectOptions::from_str(url)?
                .application_name("aim")
                .options([("pg_trgm.word_similarity_threshold", "0.4")]);
            let pool = PgPoolOptions::new()
                .max_connections(MAX_CONNECTIONS)
                .acquire_timeout(acquire_timeout)
                .connect_with(options)
                .await?;
            Ok(Db {
                pool: Pool::Postgres(pool),
                statements: StatementCounter::default(),
            })
        } else {
            Err(DbError::UnsupportedUrl(redact_url(url)))
        }
    }

    pub fn backend(&self) -> Backend {
        match self.pool {
            Pool::Sqlite(_) => Backend::Sqlite,
            Pool::Postgres(_) => Backend::Postgres,
        }
    }

    /// Applies the migrations embedded in the binary for this backend.
    pub async fn migrate(&self) -> DbResult<()> {
        match &self.pool {
            Pool::Sqlite(pool) => sqlx::migrate!("migrations/sqlite").run(pool).await?,
            Pool::Postgres(pool) => sqlx::migrate!("migrations/postgres").run(pool).await?,
        }
        Ok(())
    }

    /// A pooled connection for reads and single-statement writes.
    pub async fn conn(&self) -> DbResult<Conn> {
        let conn = match &self.pool {
            Pool::Sqlite(pool) => PooledConn::Sqlite(pool.acquire().await?),
            Pool::Postgres(pool) => PooledConn::Postgres(pool.acquire().await?),
        };
        Ok(Conn {
            conn,
            statements: self.statements.clone(),
        })
    }

    /// A transaction for writes that span several rows. On SQLite it takes the write lock at
    /// once (`BEGIN IMMEDIATE`), so two writers queue instead of failing on lock upgrade.
    pub async fn begin(&self) -> DbResult<Tx> {
        let tx = match &self.pool {
            Pool::Sqlite(pool) => PooledTx::Sqlite(pool.begin_with("BEGIN IMMEDIATE").await?),
            Pool::Postgres(pool) => PooledTx::Postgres(pool.begin().await?),
        };
        self.statements.bump();
        Ok(Tx {
            tx,
            statements: self.statements.clone(),
        })
    }

    /// Leadership of a periodic job across replicas: on PostgreSQL a transaction-scoped
    /// advisory lock taken without waiting (`None` when another replica holds it), kept until
    /// the returned guard is dropped; on SQLite, where one process serves a database, always
    /// granted and holding nothing (so the job's own writes are not blocked).
    pub async fn try_lead(&self, lock: WriteLock) -> DbResult<Option<Leadership>> {
        match &self.pool {
            Pool::Sqlite(_) => Ok(Some(Leadership { _tx: None })),
            Pool::Postgres(pool) => {
                let mut tx = pool.begin().await?;
                let (won,): (bool,) = sqlx::query_as(
                    "SELECT pg_try_advisory_xact_lock(hashtext(current_schema()), $1)",
                )
                .bind(lock.key())
                .fetch_one(&mut *tx)
                .await?;
                self.statements.bump();
                Ok(won.then_some(Leadership { _tx: Some(tx) }))
            }
        }
    }

    /// Listens on `channel` for [`notify`] from every process on this database; `None` on
    /// SQLite, where the one process that serves a database hears its own changes directly.
    pub async fn listen(&self, channel: &str) -> DbResult<Option<Listener>> {
        let Pool::Postgres(pool) = &self.pool else {
            return Ok(None);
        };
        // One connection of its own, with the pool's settings (and so its search path).
        let own = PgPoolOptions::new()
            .max_connections(1)
            .acquire_timeout(Duration::from_secs(10))
            .connect_with((*pool.connect_options()).clone())
            .await?;
        let (schema,): (String,) = sqlx::query_as("SELECT current_schema()")
            .fetch_one(&own)
            .await?;
        let mut listener = PgListener::connect_with(&own).await?;
        listener.listen(channel).await?;
        Ok(Some(Listener { listener, schema }))
    }

    /// How many statements this pool has sent so far (see [`StatementCounter`]): what tests
    /// read before and after a request to know what it cost.
    pub fn queries(&self) -> u64 {
        self.statements.get()
    }

    /// Checks that the database answers.
    pub async fn ping(&self) -> DbResult<()> {
        let mut conn = self.conn().await?;
        on_conn!(&mut conn, |c| sqlx::query("SELECT 1")
            .execute(c)
            .await
            .map(|r| r.rows_affected()))?;
        Ok(())
    }

    pub fn pool_stats(&self) -> PoolStats {
        match &self.pool {
            Pool::Sqlite(pool) => PoolStats {
                size: pool.size(),
                idle: pool.num_idle(),
                max: MAX_CONNECTIONS,
            },
            Pool::Postgres(pool) => PoolStats {
                size: pool.size(),
                idle: pool.num_idle(),
                max: MAX_CONNECTIONS,
            },
        }
    }

    /// Waits for connections in use to be returned, then closes them.
    pub async fn close(&self) {
        match &self.pool {
            Pool::Sqlite(pool) => pool.close().await,
            Pool::Postgres(pool) => pool.close().await,
        }
    }
}

/// The URL with any password replaced by `***`, for error messages and logs.
pub fn redact_url(url: &str) -> String {
    match (url.find("://"), url.rfind('@')) {
        (Some(scheme_end), Some(at)) if at > scheme_end => {
            let userinfo = &url[scheme_end + 3..at];
            match userinfo.find(':') {
                Some(colon) => format!(
                    "{}{}:***{}",
                    &url[..scheme_end + 3],
                    &userinfo[..colon],
                    &url[at..]
                ),
                None => url.to_owned(),
            }
        }
        _ => url.to_owned(),
    }
}

/// A pooled connection on either backend, counting the statements run on it.
pub struct Conn {
    conn: PooledConn,
    statements: StatementCounter,
}

/// The backend's own pooled connection.
pub enum PooledConn {
    Sqlite(PoolConnection<Sqlite>),
    Postgres(PoolConnection<Postgres>),
}

impl Conn {
    /// The backend connection, for code outside the query functions (benchmarks) that runs
    /// SQL of its own; statements run on it are not counted.
    pub fn into_inner(self) -> PooledConn {
        self.conn
    }
}

/// An open transaction on either backend; rolled back if dropped without [`Tx::commit`].
pub struct Tx {
    tx: PooledTx,
    statements: StatementCounter,
}

enum PooledTx {
    Sqlite(Transaction<'static, Sqlite>),
    Postgres(Transaction<'static, Postgres>),
}

impl Tx {
    pub async fn commit(self) -> DbResult<()> {
        self.statements.bump();
        match self.tx {
            PooledTx::Sqlite(tx) => tx.commit().await?,
            PooledTx::Postgres(tx) => tx.commit().await?,
        }
        Ok(())
    }

    /// Undoes the transaction now (dropping it does too, but only once the connection gets
    /// round to it, with any lock it holds kept until then).
    pub async fn rollback(self) -> DbResult<()> {
        self.statements.bump();
        match self.tx {
            PooledTx::Sqlite(tx) => tx.rollback().await?,
            PooledTx::Postgres(tx) => tx.rollback().await?,
        }
        Ok(())
    }
}

/// A borrowed backend connection, what [`on_conn!`] matches on.
pub enum ConnRef<'a> {
    Sqlite(&'a mut SqliteConnection),
    Postgres(&'a mut PgConnection),
}

/// Logs where a statement was sent from (`RUST_LOG=aim::statements=trace`): what to read when
/// counting a request's statements. Disabled, it costs one relaxed atomic load.
fn trace_statement(at: &'static std::panic::Location<'static>) {
    tracing::trace!(target: "aim::statements", %at, "statement");
}

/// Something queries can run on: a pooled connection or a transaction. Query functions call
/// [`AsConn::as_conn`] once per statement they send, which is where statements are counted.
pub trait AsConn: Send {
    #[track_caller]
    fn as_conn(&mut self) -> ConnRef<'_>;
}

impl AsConn for Conn {
    #[track_caller]
    fn as_conn(&mut self) -> ConnRef<'_> {
        trace_statement(std::panic::Location::caller());
        self.statements.bump();
        match &mut self.conn {
            PooledConn::Sqlite(c) => ConnRef::Sqlite(c),
            PooledConn::Postgres(c) => ConnRef::Postgres(c),
        }
    }
}

impl AsConn for Tx {
    #[track_caller]
    fn as_conn(&mut self) -> ConnRef<'_> {
        trace_statement(std::panic::Location::caller());
        self.statements.bump();
        match &mut self.tx {
            PooledTx::Sqlite(tx) => ConnRef::Sqlite(tx),
            PooledTx::Postgres(tx) => ConnRef::Postgres(tx),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passwords_are_redacted_from_urls() {
        assert_eq!(
            redact_url("postgres://aim:hunter2@db/aim"),
            "postgres://aim:***@db/aim"
        );
        assert_eq!(redact_url("postgres://aim@db/aim"), "postgres://aim@db/aim");
        assert_eq!(redact_url("sqlite://aim.db"), "sqlite://aim.db");
    }

    #[tokio::test]
    async fn in_memory_sqlite_keeps_its_data_across_acquires() {
        let db = Db::connect("sqlite::memory:").await.unwrap();
        db.migrate().await.unwrap();
        for _ in 0..3 {
            let counts = facility::table_counts(&mut db.conn().await.unwrap())
                .await
                .unwrap();
            assert_eq!(counts.len(), facility::TABLES.len());
        }
    }

    #[tokio::test]
    async fn unknown_scheme_is_refused_with_a_clear_message() {
        let err = Db::connect("mysql://root:pw@localhost/aim")
            .await
            .unwrap_err();
        assert_eq!(
            err.to_string(),
            "`mysql://root:***@localhost/aim` is not a supported database URL: use sqlite://PATH or postgres://USER@HOST/DB"
        );
    }
}
