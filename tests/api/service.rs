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

/// Seconds the soak runs (`AIM_SOAK_SECS`; a few in the suite, longer by hand).
fn soak_secs() -> u64 {
    std::env::var("AIM_SOAK_SECS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(8)
}

/// Chat turns on the offline model until `stop`, each answer checked, a new conversation every
/// few turns.
async fn chat_until(
    client: reqwest::Client,
    url: String,
    token: String,
    stop: Arc<AtomicBool>,
    tally: Arc<Tally>,
) {
    const MESSAGES: &[&str] = &[
        "How's today looking?",
        "Search for customer Mark Huggins",
        "Which dogs have vaccinations expiring soon?",
        "Who is working today?",
    ];
    let mut conversation = Value::Null;
    for n in 0.. {
        if stop.load(Ordering::Relaxed) {
            break;
        }
        if n % 5 == 0 {
            conversation = Value::Null;
        }
        let body =
            json!({ "message": MESSAGES[n % MESSAGES.len()], "conversationId": conversation });
        let response = client
            .post(&url)
            .bearer_auth(&token)
            .json(&body)
            .send()
            .await;
        match response {
            Ok(response) if response.status() == StatusCode::OK => {
                let answer: Value = response.json().await.unwrap_or(Value::Null);
                if answer["responseText"]
                    .as_str()
                    .is_some_and(|text| !text.is_empty())
                {
                    conversation = answer["conversationId"].clone();
                    tally.answered.fetch_add(1, Ordering::Relaxed);
                } else {
                    tally.failed(format!("no answer: {answer}"));
                }
            }
            Ok(response) => {
                let status = response.status();
                tally.failed(format!(
                    "{status}: {}",
                    response.text().await.unwrap_or_default()
                ));
            }
            Err(err) => tally.failed(format!("{err}")),
        }
    }
}

/// Resolves the open alerts now and then, so the generator raises them again and their events
/// keep flowing to the subscribers.
async fn resolve_until(
    client: reqwest::Client,
    base: String,
    token: String,
    stop: Arc<AtomicBool>,
    tally: Arc<Tally>,
) {
    while !stop.load(Ordering::Relaxed) {
        let open: Value = match client
            .get(format!(
                "{base}/api/v2/admin/aim/alerts?resolved=false&limit=100"
            ))
            .bearer_auth(&token)
            .send()
            .await
        {
            Ok(response) if response.status() == StatusCode::OK => {
                response.json().await.unwrap_or(Value::Null)
            }
            Ok(response) => {
                tally.failed(format!("alerts: {}", response.status()));
                Value::Null
            }
            Err(err) => {
                tally.failed(format!("alerts: {err}"));
                Value::Null
            }
        };
        for alert in open.as_array().into_iter().flatten() {
            let path = format!(
                "{base}/api/v2/admin/aim/alerts/{}/resolve",
                alert["id"].as_str().unwrap_or("-")
            );
            match client.patch(&path).bearer_auth(&token).send().await {
                Ok(response) if response.status() == StatusCode::OK => {
                    tally.answered.fetch_add(1, Ordering::Relaxed);
                }
                Ok(response) => tally.failed(format!("resolve: {}", response.status())),
                Err(err) => tally.failed(format!("resolve: {err}")),
            }
        }
        tokio::time::sleep(Duration::from_millis(700)).await;
    }
}

both_backends! {
    async fn a_soak_of_chats_subscriptions_and_alerts_holds_with_no_errors_and_bounded_memory(t: TestDb) {
        demo::seed(&t.db, today(), TZ).await.expect("demo data");
        let mut server = ServeProcess::start(&[], &[
            ("DATABASE_URL", &t.url),
            ("AIM_JWT_SECRET", TEST_SECRET),
            ("AIM_LLM", "offline"),
            ("AIM_ALERT_INTERVAL", "1s"),
            ("AIM_CHAT_PER_MINUTE", "1000000"),
        ]);
        let manager = super::actor(&t, DEMO_MANAGER_EMAIL).await;
        let staff = super::actor(&t, DEMO_STAFF_EMAIL).await;
        let tokens = [token(manager.staff_user_id, manager.role), token(staff.staff_user_id, staff.role)];
        let client = aim::http::client(Duration::from_secs(5), Duration::from_secs(60));

        const SUBSCRIBERS: usize = 20;
        let events = Arc::new(AtomicU64::new(0));
        let stop = Arc::new(AtomicBool::new(false));
        let tally = Arc::new(Tally::default());
        let mut subscribers = Vec::new();
        for i in 0..SUBSCRIBERS {
            let mut socket = subscribe(server.addr, &tokens[i % 2]).await;
            let (events, stop, tally) = (events.clone(), stop.clone(), tally.clone());
            subscribers.push(tokio::spawn(async move {
                let mut received = 0u64;
                while !stop.load(Ordering::Relaxed) {
                    match tokio::time::timeout(Duration::from_millis(200), socket.next()).await {
                        Err(_) => {}
                        Ok(Some(Ok(Message::Text(text)))) if text.contains("\"next\"") && !text.contains("errors") => {
                            received += 1;
                            events.fetch_add(1, Ordering::Relaxed);
                        }
                        Ok(Some(Ok(Message::Text(text)))) if text.contains("\"pong\"") || text.contains("\"ping\"") => {}
                        Ok(Some(Ok(Message::Ping(_) | Message::Pong(_)))) => {}
                        Ok(other) => {
                            tally.failed(format!("subscriber {i}: {other:?}"));
                            break;
                        }
                    }
                }
                received
            }));
        }

        let mut load = Vec::new();
        for i in 0..6 {
            load.push(tokio::spawn(chat_until(client.clone(), server.url("/api/v2/admin/aim/chat"), tokens[i % 2].clone(), stop.clone(), tally.clone())));
        }
        load.push(tokio::spawn(query_until(client.clone(), server.url("/graphql"), tokens[0].clone(), stop.clone(), tally.clone())));
        load.push(tokio::spawn(resolve_until(client.clone(), server.url(""), tokens[1].clone(), stop.clone(), tally.clone())));

        let secs = soak_secs();
        let started = Instant::now();
        let mut samples = Vec::new();
        while started.elapsed() < Duration::from_secs(secs) {
            tokio::time::sleep(Duration::from_millis(250)).await;
            samples.push(server.rss_kib());
        }
        stop.store(true, Ordering::Relaxed);
        for task in load {
            task.await.unwrap();
        }
        let mut quiet = 0;
        for subscriber in subscribers {
            if subscriber.await.unwrap() == 0 {
                quiet += 1;
            }
        }
        let failures = std::mem::take(&mut *tally.failures.lock().unwrap());
        assert!(failures.is_empty(), "{} failures, the first: {:?}", failures.len(), failures.first());
        assert_eq!(quiet, 0, "every subscriber received alert events");

        // After the first third (caches filled, pools open) memory stays level.
        let settled = samples[samples.len() / 3];
        let last = *samples.last().unwrap();
        let peak = *samples.iter().max().unwrap();
        let answered = tally.answered.load(Ordering::Relaxed);
        eprintln!(
            "soak {secs} s: {answered} requests answered, {} events delivered to {SUBSCRIBERS} subscribers; RSS {settled} KiB after a third, {last} KiB at the end, {peak} KiB at most",
            events.load(Ordering::Relaxed),
        );
        assert!(last <= settled + 32 * 1024, "RSS grew from {settled} to {last} KiB");

        server.terminate();
        let status = tokio::task::spawn_blocking(move || server.wait_exit(Duration::from_secs(20))).await.unwrap();
        assert!(status.is_some_and(|s| s.success()), "{status:?}");
    }
}
