//! The API over HTTP: the real server on port 0, on the demo facility, driven with a real
//! client. Chat answers come from the offline model. Every test runs on SQLite and PostgreSQL.

#[path = "../common/mod.rs"]
mod common;

mod faults;
mod graphql;
mod hardening;
mod idempotency;
mod playground;
mod privacy;
mod records;
mod rest;
mod service;
mod stream;

use std::time::Duration;

use aim::Mode;
use aim::auth::JwtKeys;
use aim::config::{LlmKind, Secret};
use aim::domain::{Actor, Role, StaffUserId};
use aim::facility::clock;
use aim::facility::demo::{self, DEMO_MANAGER_EMAIL, DEMO_STAFF_EMAIL};
use chrono::{NaiveDate, Utc};
use common::{TEST_SECRET, TestDb, TestServer};
use reqwest::StatusCode;
use serde_json::{Value, json};

pub const TZ: chrono_tz::Tz = chrono_tz::America::New_York;

pub fn today() -> NaiveDate {
    clock::local_date(TZ, Utc::now())
}

/// The demo facility served on port 0, with tokens for its manager and a staff member.
pub struct Api {
    pub t: TestDb,
    pub server: TestServer,
    pub manager: Actor,
    pub staff: Actor,
    pub manager_token: String,
    pub staff_token: String,
}

impl Api {
    pub async fn start(t: TestDb) -> Api {
        Api::start_with(t, |_| {}).await
    }

    /// [`Api::start`] with the configuration changed by `configure` first.
    pub async fn start_with(t: TestDb, configure: impl FnOnce(&mut aim::config::Config)) -> Api {
        demo::seed(&t.db, today(), TZ).await.expect("demo data");
        let mut config = t.config();
        // Whatever the environment says, chat answers without a network.
        config.llm = Some(LlmKind::Offline);
        configure(&mut config);
        let server = TestServer::start(config, Mode::default()).await;
        let manager = actor(&t, DEMO_MANAGER_EMAIL).await;
        let staff = actor(&t, DEMO_STAFF_EMAIL).await;
        Api {
            manager_token: token(manager.staff_user_id, manager.role),
            staff_token: token(staff.staff_user_id, staff.role),
            t,
            server,
            manager,
            staff,
        }
    }

    /// Posts a GraphQL operation with `token` (none: no `Authorization` header).
    pub async fn post(
        &self,
        token: Option<&str>,
        query: &str,
        variables: Value,
    ) -> (StatusCode, Value) {
        let mut request = self
            .server
            .client
            .post(self.server.url("/graphql"))
            .json(&json!({ "query": query, "variables": variables }));
        if let Some(token) = token {
            request = request.bearer_auth(token);
        }
        let response = request.send().await.expect("request");
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// The `data` of an operation that must succeed.
    pub async fn data(&self, token: &str, query: &str, variables: Value) -> Value {
        let (status, body) = self.post(Some(token), query, variables).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert!(body.get("errors").is_none(), "{query}: {body}");
        body["data"].clone()
    }

    /// The one error of an operation that must fail (with HTTP 200, as GraphQL does).
    pub async fn error(&self, token: &str, query: &str, variables: Value) -> Value {
        let (status, body) = self.post(Some(token), query, variables).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        let errors = body["errors"]
            .as_array()
            .unwrap_or_else(|| panic!("{query}: {body}"));
        assert_eq!(errors.len(), 1, "{body}");
        errors[0].clone()
    }

    /// Statements the server has sent to its database so far.
    pub fn queries(&self) -> u64 {
        self.server.app_db.queries()
    }
}

async fn actor(t: &TestDb, email: &str) -> Actor {
    let user = aim::db::staff::find_by_email(&mut t.db.conn().await.unwrap(), email)
        .await
        .unwrap()
        .expect("demo staff user");
    Actor {
        staff_user_id: user.id,
        role: user.role,
    }
}

/// A token the test server accepts for this staff user.
pub fn token(id: StaffUserId, role: Role) -> String {
    JwtKeys::new(
        &Secret::new(TEST_SECRET),
        "aim",
        "aim-admin",
        Duration::from_secs(3600),
    )
    .issue(id, role)
    .expect("sign")
    .token
}
