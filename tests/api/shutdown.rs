//! `aim serve` as a service manager runs it: stopped with SIGTERM in the middle of work, and
//! left running under a steady load. Nothing it acknowledged is lost, nothing fails.

use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::time::Instant;

use futures::StreamExt;
use tokio_tungstenite::tungstenite::Message;

use super::*;
use crate::both_backends;
use crate::common::fake_model::{FakeAnthropic, Reply};
use crate::common::serve::{ServeProcess, subscribe};

/// What a stream of requests met.
#[derive(Default)]
struct Tally {
    answered: AtomicU64,
    /// Connections refused or closed before an answer: nothing was acknowledged.
    not_connected: AtomicU64,
    failures: std::sync::Mutex<Vec<String>>,
}

impl Tally {
    fn failed(&self, what: String) {
        self.failures.lock().unwrap().push(what);
    }
}

/// Asks `{ me { name } }` over and over until `stop`, tallying what came back.
async fn query_until(
    client: reqwest::Client,
    url: String,
    token: String,
    stop: Arc<AtomicBool>,
    tally: Arc<Tally>,
) {
    while !stop.load(Ordering::Relaxed) {
        let sent = client
            .post(&url)
            .bearer_auth(&token)
            .json(&json!({ "query": "{ me { name } aimUnreadAlertCount }" }))
            .send()
            .await;
        match sent {
            Ok(response) => {
                let status = response.status();
                match response.json::<Value>().await {
                    Ok(body) if status == StatusCode::OK && body.get("errors").is_none() => {
                        tally.answered.fetch_add(1, Ordering::Relaxed);
                    }
                    Ok(body) => tally.failed(format!("{status}: {body}")),
                    Err(err) => tally.failed(format!("{status}, a body cut short: {err}")),
                }
            }
            Err(err) if err.is_connect() || err.is_request() => {
                tally.not_connected.fetch_add(1, Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(5)).await;
            }
            Err(err) => tally.failed(format!("{err}")),
        }
    }
}

both_backends! {
    async fn sigterm_answers_requests_in_flight_closes_websockets_and_exits_cleanly(t: TestDb) {
        demo::seed(&t.db, today(), TZ).await.expect("demo data");
        let model = FakeAnthropic::start().await;
        // The turn in flight when the signal comes takes its time.
        model.push(Reply::text("Still here after the signal.").delay(Duration::from_millis(1_500)));
        let mut server = ServeProcess::start(&[], &[
            ("DATABASE_URL", &t.url),
            ("AIM_JWT_SECRET", TEST_SECRET),
            ("AIM_LLM", "anthropic"),
            ("ANTHROPIC_API_KEY", "test-key"),
            ("ANTHROPIC_BASE_URL", &model.base_url),
            ("AIM_LLM_MAX_RETRIES", "0"),
            ("AIM_SHUTDOWN_GRACE", "20s"),
        ]);
        let manager = super::actor(&t, DEMO_MANAGER_EMAIL).await;
        let token = token(manager.staff_user_id, manager.role);
        let client = aim::http::client(Duration::from_secs(5), Duration::from_secs(60));
        let mut subscriber = subscribe(server.addr, &token).await;

        let turn = tokio::spawn({
            let request = client.post(server.url("/api/v2/admin/aim/chat")).bearer_auth(&token)
                .json(&json!({ "message": "Are you still there?" }));
            async move { request.send().await }
        });
        let asked = Instant::now();
        while model.requests().is_empty() {
            assert!(asked.elapsed() < Duration::from_secs(30), "the model was never asked");
            tokio::time::sleep(Duration::from_millis(10)).await;
        }

        let stop = Arc::new(AtomicBool::new(false));
        let tally = Arc::new(Tally::default());
        let load: Vec<_> = (0..6)
            .map(|_| tokio::spawn(query_until(client.clone(), server.url("/graphql"), token.clone(), stop.clone(), tally.clone())))
            .collect();
        tokio::time::sleep(Duration::from_millis(300)).await;
        let answered_before = tally.answered.load(Ordering::Relaxed);
        server.terminate();

        // The subscriber is told the server is going away.
        let close = tokio::time::timeout(Duration::from_secs(10), async {
            loop {
                match subscriber.next().await {
                    Some(Ok(Message::Close(frame))) => break frame,
                    Some(Ok(_)) => {}
                    other => panic!("the socket ended without a close frame: {other:?}"),
                }
            }
        })
        .await
        .expect("a close frame in time")
        .expect("a close code");
        assert_eq!(u16::from(close.code), 1001, "{close:?}");

        // The turn in flight is answered in full, and stored.
        let response = turn.await.unwrap().expect("the turn in flight is answered");
        assert_eq!(response.status(), StatusCode::OK);
        let answer: Value = response.json().await.unwrap();
        assert_eq!(answer["responseText"], "Still here after the signal.");

        let status = tokio::task::spawn_blocking(move || {
            let status = server.wait_exit(Duration::from_secs(20));
            (status, server)
        });
        let (status, server) = status.await.unwrap();
        let status = status.unwrap_or_else(|| panic!("aim serve did not exit:\n{}", server.output()));
        assert!(status.success(), "{status}:\n{}", server.output());
        stop.store(true, Ordering::Relaxed);
        for task in load {
            task.await.unwrap();
        }
        assert!(tally.answered.load(Ordering::Relaxed) > answered_before, "the load went on");
        let failures = std::mem::take(&mut *tally.failures.lock().unwrap());
        assert!(failures.is_empty(), "every answer given was whole and good: {failures:?}");

        let id: aim::domain::MessageId = answer["messageId"].as_str().unwrap().parse().unwrap();
        let mut conn = t.db.conn().await.unwrap();
        let stored = aim::db::aim::find_message(&mut conn, id).await.unwrap().expect("the answer is stored");
        assert_eq!(stored.content, "Still here after the signal.");
        assert!(client.get(server.url("/healthz")).send().await.is_err(), "nothing listens any more");
    }
}
