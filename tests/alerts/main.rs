//! Alerts: the service (filters, pages, read and resolve once, events), the GraphQL fields, the
//! `aimAlertEvents` subscription over a real WebSocket on both subprotocols, and the REST
//! routes. Every test that touches the database runs on SQLite and PostgreSQL.

#[path = "../common/mod.rs"]
mod common;

mod engine;
mod graphql;
mod replicas;
mod rest;
mod service;
mod sync;
mod weather;
mod ws;

use std::time::Duration;

use aim::Mode;
use aim::aim::alerts::{AlertService, NewAlert};
use aim::auth::JwtKeys;
use aim::config::Secret;
use aim::db::staff::StaffUserRecord;
use aim::domain::{self, AlertSeverity, AlertType, Role, StaffUserId};
use aim::events::{AlertView, EventBroker};
use common::{TEST_SECRET, TestDb, TestServer};
use reqwest::StatusCode;
use serde_json::{Value, json};

/// Keys that sign tokens the test server accepts.
pub fn keys() -> JwtKeys {
    JwtKeys::new(
        &Secret::new(TEST_SECRET),
        "aim",
        "aim-admin",
        Duration::from_secs(3600),
    )
}

/// Adds an active staff user and returns a token for them valid for `ttl`.
pub async fn staff_token(t: &TestDb, ttl: Duration) -> String {
    let now = domain::now();
    let id = StaffUserId::new();
    let record = StaffUserRecord {
        id,
        email: format!("{}@happytail.example", id.0.simple()),
        name: "Sam Handler".to_owned(),
        role: Role::Staff,
        password_hash: "not-a-password".to_owned(),
        active: true,
        created_at: now,
        updated_at: now,
    };
    aim::db::staff::insert(&mut t.db.conn().await.unwrap(), &record)
        .await
        .unwrap();
    keys().issue_for(id, Role::Staff, ttl).unwrap().token
}

/// An alert service of its own on the test's database, with a broker of its own: like another
/// replica, it reaches a server's subscribers only through the database.
pub async fn service(t: &TestDb) -> AlertService {
    AlertService::start(t.db.clone(), EventBroker::default())
        .await
        .unwrap()
}

pub fn new_alert(kind: AlertType, severity: AlertSeverity, title: &str) -> NewAlert {
    NewAlert {
        kind,
        severity,
        title: title.to_owned(),
        description: format!("{title}: details"),
        data: Some(json!({ "date": "2026-11-27", "count": 42 })),
    }
}

pub async fn create(
    alerts: &AlertService,
    kind: AlertType,
    severity: AlertSeverity,
    title: &str,
) -> AlertView {
    alerts
        .create(new_alert(kind, severity, title))
        .await
        .unwrap()
}

/// The real server on the test's database, a staff token for it, and its alert service.
pub struct Served {
    pub server: TestServer,
    pub token: String,
    pub alerts: AlertService,
}

impl Served {
    pub async fn start(t: &TestDb) -> Served {
        Served::with_config(t, t.config()).await
    }

    pub async fn with_config(t: &TestDb, config: aim::config::Config) -> Served {
        let server = TestServer::start(config, Mode::default()).await;
        Served {
            alerts: server.alerts.clone(),
            token: staff_token(t, Duration::from_secs(3600)).await,
            server,
        }
    }

    /// A GraphQL request over HTTP with this bearer token (none for `None`).
    pub async fn graphql_as(
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
        let response = request.send().await.unwrap();
        let status = response.status();
        (status, response.json().await.unwrap_or(Value::Null))
    }

    /// A GraphQL request as the staff user; the body of a 200.
    pub async fn graphql(&self, query: &str, variables: Value) -> Value {
        let (status, body) = self.graphql_as(Some(&self.token), query, variables).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body
    }
}
