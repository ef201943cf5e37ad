//! Shared fixtures: a fresh database per test on SQLite or PostgreSQL, the real server on
//! port 0, and the `both_backends!` macro that runs one test body on each backend.
//!
//! PostgreSQL tests use `AIM_TEST_POSTGRES_URL` (default
//! `postgres://postgres@127.0.0.1:5432/test`) with a schema of their own per test, dropped
//! afterwards. When PostgreSQL is unreachable they fail under `CI=true` and otherwise print
//! that they were skipped.
#![allow(dead_code)]

use std::net::SocketAddr;
use std::time::Duration;

use aim::config::{Config, Secret};
use aim::db::{Backend, Db};
use aim::{App, Mode};
use sqlx::Connection;
use tokio::sync::oneshot;

pub mod fake_model;
pub mod fake_server;
pub mod open_meteo;
pub mod proxy;
pub mod serve;
pub mod twilio;

pub const TEST_SECRET: &str = "test-signing-secret-that-is-long-enough-0123456789";

/// Runs each test body once on SQLite and once on PostgreSQL, as `name::sqlite` and
/// `name::postgres`.
#[macro_export]
macro_rules! both_backends {
    ($(async fn $name:ident($db:ident: TestDb) $body:block)*) => {
        $(
            mod $name {
                #[allow(unused_imports)]
                use super::*;

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn sqlite() {
                    let $db = $crate::common::TestDb::sqlite().await;
                    $body
                }

                #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
                async fn postgres() {
                    let Some($db) = $crate::common::TestDb::postgres().await else { return };
                    $body
                }
            }
        )*
    };
}

/// A fresh, migrated database for one test.
pub struct TestDb {
    pub url: String,
    pub db: Db,
    pub backend: Backend,
    _dir: Option<tempfile::TempDir>,
    pg_schema: Option<(String, String)>,
}

fn postgres_url() -> String {
    std::env::var("AIM_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned())
}

fn under_ci() -> bool {
    std::env::var("CI")
        .map(|v| !v.is_empty() && v != "false" && v != "0")
        .unwrap_or(false)
}

/// Creates the extensions the migrations use in `public`, once per database, before tests
/// migrate their schemas concurrently (which would otherwise race to create them, or create
/// them inside a schema that a finished test drops).
async fn ensure_extensions(admin: &mut sqlx::PgConnection) {
    static DONE: tokio::sync::OnceCell<()> = tokio::sync::OnceCell::const_new();
    DONE.get_or_init(|| async {
        for attempt in 0.. {
            match sqlx::query("CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public")
                .execute(&mut *admin)
                .await
            {
                Ok(_) => {
                    // An extension moved elsewhere by hand (or created in a dropped schema's
                    // place) would leave the migrations without its operator classes.
                    let schema: String = sqlx::query_scalar(
                        "SELECT extnamespace::regnamespace::text FROM pg_extension WHERE extname = 'pg_trgm'",
                    )
                    .fetch_one(&mut *admin)
                    .await
                    .expect("pg_trgm is installed");
                    if schema != "public" {
                        sqlx::query("ALTER EXTENSION pg_trgm SET SCHEMA public")
                            .execute(&mut *admin)
                            .await
                            .expect("move pg_trgm to public");
                    }
                    break;
                }
                // Another test process created it at the same moment.
                Err(_) if attempt < 3 => tokio::time::sleep(Duration::from_millis(100)).await,
                Err(err) => panic!("cannot create the pg_trgm extension: {err}"),
            }
        }
    })
    .await;
}

impl TestDb {
    pub async fn sqlite() -> TestDb {
        let dir = tempfile::tempdir().expect("temp dir");
        let url = format!("sqlite://{}", dir.path().join("aim.db").display());
        let db = Db::connect(&url).await.expect("open sqlite");
        db.migrate().await.expect("migrate sqlite");
        TestDb {
            url,
            db,
            backend: Backend::Sqlite,
            _dir: Some(dir),
            pg_schema: None,
        }
    }

    /// `None` (after saying so) when PostgreSQL is unreachable outside CI.
    pub async fn postgres() -> Option<TestDb> {
        let admin_url = postgres_url();
        let mut admin = match sqlx::PgConnection::connect(&admin_url).await {
            Ok(conn) => conn,
            Err(err) if !under_ci() => {
                eprintln!(
                    "SKIPPED: PostgreSQL at {admin_url} is unreachable ({err}); set AIM_TEST_POSTGRES_URL or run under CI=true to require it"
                );
                return None;
            }
            Err(err) => {
                panic!("PostgreSQL at {admin_url} is required under CI but unreachable: {err}")
            }
        };
        ensure_extensions(&mut admin).await;
        let schema = format!("t_{}", uuid::Uuid::new_v4().simple());
        sqlx::query(sqlx::AssertSqlSafe(format!("CREATE SCHEMA {schema}")))
            .execute(&mut admin)
            .await
            .expect("create schema");
        let sep = if admin_url.contains('?') { '&' } else { '?' };
        // `public` stays on the path: extensions (pg_trgm) live there, shared by every schema.
        let url = format!("{admin_url}{sep}options=-c%20search_path%3D{schema},public");
        let db = Db::connect(&url).await.expect("open postgres");
        db.migrate().await.expect("migrate postgres");
        Some(TestDb {
            url,
            db,
            backend: Backend::Postgres,
            _dir: None,
            pg_schema: Some((admin_url, schema)),
        })
    }

    /// Configuration for a server on this database with a known signing secret.
    pub fn config(&self) -> Config {
        let mut config = Config::for_database(&self.url);
        config.jwt_secret = Some(Secret::new(TEST_SECRET));
        config.bind = "127.0.0.1:0".parse().unwrap();
        // Tests that want the alert scheduler turn it on; elsewhere it would race their checks.
        config.alert_interval = Duration::ZERO;
        config
    }

    /// Runs raw SQL against the database (for checking what the database itself enforces).
    pub async fn raw(&self, sql: &str) -> Result<u64, sqlx::Error> {
        let sql = sqlx::AssertSqlSafe(sql.to_owned());
        match self.backend {
            Backend::Sqlite => {
                let path = self.url.trim_start_matches("sqlite://");
                let options = sqlx::sqlite::SqliteConnectOptions::new()
                    .filename(path)
                    .foreign_keys(true);
                let mut conn = sqlx::SqliteConnection::connect_with(&options).await?;
                Ok(sqlx::query(sql).execute(&mut conn).await?.rows_affected())
            }
            Backend::Postgres => {
                let mut conn = sqlx::PgConnection::connect(&self.url).await?;
                Ok(sqlx::query(sql).execute(&mut conn).await?.rows_affected())
            }
        }
    }

    /// A SQL expression producing a new id on this backend.
    pub fn new_id_sql(&self) -> &'static str {
        match self.backend {
            Backend::Sqlite => "randomblob(16)",
            Backend::Postgres => "gen_random_uuid()",
        }
    }
}

impl Drop for TestDb {
    fn drop(&mut self) {
        if let Some((admin_url, schema)) = self.pg_schema.take() {
            // Drop the test's schema on a thread of its own: Drop cannot await.
            let _ = std::thread::spawn(move || {
                let runtime = tokio::runtime::Builder::new_current_thread()
                    .enable_all()
                    .build()
                    .expect("runtime");
                runtime.block_on(async {
                    if let Ok(mut conn) = sqlx::PgConnection::connect(&admin_url).await {
                        let sql =
                            sqlx::AssertSqlSafe(format!("DROP SCHEMA IF EXISTS {schema} CASCADE"));
                        let _ = sqlx::query(sql).execute(&mut conn).await;
                    }
                });
            })
            .join();
        }
    }
}

/// The real server, listening on a free port of the loopback interface.
pub struct TestServer {
    pub addr: SocketAddr,
    pub client: reqwest::Client,
    pub app_db: Db,
    /// The server's own alert service: what it changes reaches the server's subscribers
    /// before the call returns.
    pub alerts: aim::aim::alerts::AlertService,
    shutdown: Option<oneshot::Sender<()>>,
    handle: Option<tokio::task::JoinHandle<Result<(), aim::StartError>>>,
}

impl TestServer {
    pub async fn start(config: Config, mode: Mode) -> TestServer {
        let app: App = aim::build_app(&config, mode).await.expect("build app");
        let app_db = app.state.db.clone();
        let alerts = app.state.alerts.clone();
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind port 0");
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = oneshot::channel::<()>();
        let handle = tokio::spawn(app.serve_on(listener, async move {
            let _ = rx.await;
        }));
        let client = aim::http::client(Duration::from_secs(5), Duration::from_secs(30));
        TestServer {
            addr,
            client,
            app_db,
            alerts,
            shutdown: Some(tx),
            handle: Some(handle),
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{}", self.addr, path)
    }

    /// Signals shutdown and waits for the server to finish.
    pub async fn stop(mut self) -> Result<(), aim::StartError> {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
        self.handle.take().unwrap().await.expect("server task")
    }
}

impl Drop for TestServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}
