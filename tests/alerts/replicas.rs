//! Two `aim serve` processes on one database behave as one service: an alert changed through
//! either (or by a third process) reaches the subscribers of both, in order and once — over
//! PostgreSQL `LISTEN`/`NOTIFY`, and on SQLite by the relay looking for other processes' events.

use aim::domain::{AlertSeverity as Sev, AlertType as Kind};
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use super::ws::{self, Socket, TransportWs};
use super::*;
use crate::both_backends;
use crate::common::serve::ServeProcess;

/// `aim serve` on the test's database, as another replica of the service.
fn replica(t: &TestDb) -> ServeProcess {
    ServeProcess::start(
        &[],
        &[
            ("DATABASE_URL", &t.url),
            ("AIM_JWT_SECRET", TEST_SECRET),
            ("AIM_ALERT_INTERVAL", "0"),
            ("RUST_LOG", "warn"),
        ],
    )
}

/// A subscription on a replica, with the messages that arrived while it was set up.
struct Subscriber {
    socket: Socket,
    early: std::collections::VecDeque<Value>,
}

impl Subscriber {
    /// Subscribes on `replica` to every alert event after the cursor `after`.
    async fn start(replica: &ServeProcess, token: &str, after: &str) -> Subscriber {
        let mut socket = ws::connect(replica.addr, TransportWs).await;
        ws::init(
            &mut socket,
            json!({ "Authorization": format!("Bearer {token}") }),
        )
        .await;
        let early = ws::subscribe_with(
            &mut socket,
            TransportWs,
            "events",
            json!({ "min": "INFO", "after": after }),
        )
        .await;
        Subscriber {
            socket,
            early: early.into(),
        }
    }

    /// The next event: its kind, its alert's id, its cursor.
    async fn next(&mut self) -> (String, String, String) {
        let message = match self.early.pop_front() {
            Some(message) => message,
            None => ws::next_json(&mut self.socket).await,
        };
        assert_eq!(message["type"], "next", "{message}");
        let event = &message["payload"]["data"]["aimAlertEvents"];
        (
            event["kind"].as_str().unwrap().to_owned(),
            event["alert"]["id"].as_str().unwrap().to_owned(),
            event["cursor"].as_str().unwrap().to_owned(),
        )
    }

    /// Nothing more arrives for a while (a duplicate would).
    async fn quiet(&mut self) {
        use futures::StreamExt;
        assert_eq!(self.early.pop_front(), None);
        let more = tokio::time::timeout(Duration::from_millis(1500), self.socket.next()).await;
        assert!(more.is_err(), "nothing more arrives: {more:?}");
    }
}

both_backends! {
    async fn two_servers_on_one_database_deliver_every_change_to_every_subscriber(t: TestDb) {
        let (a, b) = (replica(&t), replica(&t));
        let token = staff_token(&t, Duration::from_secs(3600)).await;
        // Before any event: from the start of the log, so no event can slip past a subscriber
        // that is still being set up.
        let origin = URL_SAFE_NO_PAD.encode("event:0");
        let mut on_a = Subscriber::start(&a, &token, &origin).await;
        let mut on_b = Subscriber::start(&b, &token, &origin).await;

        // A third process raises an alert; it is marked read on A and resolved on B.
        let alert = create(&service(&t).await, Kind::CapacityWarning, Sev::Warning, "Friday is 88% booked").await;
        let id = alert.id.to_string();
        let client = aim::http::client(Duration::from_secs(5), Duration::from_secs(30));
        let read = client
            .patch(a.url(&format!("/api/v2/admin/aim/alerts/{id}/read")))
            .bearer_auth(&token)
            .send()
            .await
            .unwrap();
        assert_eq!(read.status(), StatusCode::OK);
        let resolved = client
            .post(b.url("/graphql"))
            .bearer_auth(&token)
            .json(&json!({
                "query": "mutation($id: ID!) { resolveAimAlert(id: $id) { resolvedAt } }",
                "variables": { "id": id },
            }))
            .send()
            .await
            .unwrap()
            .json::<Value>()
            .await
            .unwrap();
        assert!(resolved["data"]["resolveAimAlert"]["resolvedAt"].is_string(), "{resolved}");

        let mut last_cursor = String::new();
        for socket in [&mut on_a, &mut on_b] {
            let mut seen = Vec::new();
            for _ in 0..3 {
                let (kind, alert_id, cursor) = socket.next().await;
                assert_eq!(alert_id, id);
                seen.push(kind);
                last_cursor = cursor;
            }
            assert_eq!(seen, ["CREATED", "READ", "RESOLVED"], "in order, on both replicas");
            socket.quiet().await;
        }

        // A subscriber that comes back with the last cursor it saw gets what happened since,
        // and nothing before it.
        let next = create(&service(&t).await, Kind::Compliance, Sev::Critical, "Rex's rabies shot expired").await;
        let mut again = Subscriber::start(&a, &token, &last_cursor).await;
        let (kind, alert_id, _) = again.next().await;
        assert_eq!((kind.as_str(), alert_id), ("CREATED", next.id.to_string()));
        again.quiet().await;
        // The subscribers that stayed on get it live.
        for socket in [&mut on_a, &mut on_b] {
            let (kind, alert_id, _) = socket.next().await;
            assert_eq!((kind.as_str(), alert_id), ("CREATED", next.id.to_string()));
        }
    }
}
