//! Faults of what the server depends on — the model failing every way it can, the database
//! going away in the middle of a turn — and what stays true through them: the question is on
//! record, no half-written answer, a clear status, and the server recovers by itself.

use std::time::Instant;

use aim::config::{LlmKind, Secret};

use super::*;
use crate::both_backends;
use crate::common::fake_model::{FakeAnthropic, Reply};
use crate::common::proxy::TcpProxy;

const CHAT: &str = "/api/v2/admin/aim/chat";

/// The staff user's stored messages of `role`, over every conversation.
async fn count(api: &Api, role: &str) -> usize {
    let mut conn = api.t.db.conn().await.unwrap();
    let conversations =
        aim::db::aim::conversations_of(&mut conn, api.staff.staff_user_id, None, None, 100)
            .await
            .unwrap();
    let mut n = 0;
    for c in conversations {
        let messages = aim::db::aim::recent_messages(&mut conn, c.id, 100)
            .await
            .unwrap();
        n += messages.iter().filter(|m| m.role.as_str() == role).count();
    }
    n
}

/// The demo facility answered by `model`, with no retries and a short time limit per call.
async fn api_with(t: TestDb, model: &FakeAnthropic, database_url: Option<String>) -> Api {
    Api::start_with(t, |config| {
        config.llm = Some(LlmKind::Anthropic);
        config.anthropic_api_key = Some(Secret::new("test-key"));
        config.anthropic_base_url = model.base_url.clone();
        config.llm_max_retries = 0;
        config.llm_timeout = Duration::from_millis(500);
        config.db_acquire_timeout = Duration::from_millis(500);
        if let Some(url) = database_url {
            config.database_url = url;
        }
    })
    .await
}

async fn ready(api: &Api) -> StatusCode {
    let response = api
        .server
        .client
        .get(api.server.url("/readyz"))
        .send()
        .await
        .unwrap();
    response.status()
}

async fn post_chat(api: &Api, message: &str) -> (StatusCode, Value) {
    let response = api
        .server
        .client
        .post(api.server.url(CHAT))
        .bearer_auth(&api.staff_token)
        .json(&json!({ "message": message }))
        .send()
        .await
        .unwrap();
    (
        response.status(),
        response.json().await.unwrap_or(Value::Null),
    )
}

both_backends! {
    async fn every_model_fault_leaves_the_question_on_record_and_no_half_answer(t: TestDb) {
        let model = FakeAnthropic::start().await;
        let api = api_with(t, &model, None).await;
        let faults = [
            ("rate limited", Reply::error(429, "rate_limit_error", "Number of requests has exceeded your rate limit"), StatusCode::SERVICE_UNAVAILABLE),
            ("overloaded", Reply::error(529, "overloaded_error", "Overloaded"), StatusCode::SERVICE_UNAVAILABLE),
            ("server error", Reply::error(500, "api_error", "Internal server error"), StatusCode::BAD_GATEWAY),
            ("malformed JSON", Reply::raw(200, r#"{"type": "message", "content": [{"type": "te"#), StatusCode::BAD_GATEWAY),
            ("not JSON", Reply::raw(200, "<html>502 Bad Gateway</html>"), StatusCode::BAD_GATEWAY),
            ("too slow", Reply::text("Too late.").delay(Duration::from_secs(3)), StatusCode::GATEWAY_TIMEOUT),
        ];
        for (n, (what, reply, status)) in faults.into_iter().enumerate() {
            model.push(reply);
            let (got, body) = post_chat(&api, &format!("Question {n}")).await;
            assert_eq!(got, status, "{what}: {body}");
            let message = body["error"]["message"].as_str().unwrap_or_default();
            assert!(!message.is_empty() && !message.contains("reqwest") && !message.contains("serde"), "{what}: a plain message: {body}");
            assert_eq!(count(&api, "user").await, n + 1, "{what}: the question is on record");
            assert_eq!(count(&api, "assistant").await, 0, "{what}: no answer stored");
        }

        // A stream broken off midway fails the streamed turn the same way.
        model.push(Reply::text("This answer will not arrive whole.").cut_after(3));
        let response = api.server.client.post(api.server.url(CHAT)).bearer_auth(&api.staff_token)
            .header("accept", "text/event-stream").json(&json!({ "message": "Streamed question" }))
            .send().await.unwrap();
        let events = response.text().await.unwrap();
        assert!(events.contains("event: failed"), "{events}");
        assert!(!events.contains("event: completed"), "{events}");
        assert_eq!(count(&api, "user").await, 7);
        assert_eq!(count(&api, "assistant").await, 0);

        // The model is back: so is AIM.
        model.push(Reply::text("All good again."));
        let (status, body) = post_chat(&api, "And now?").await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["responseText"], "All good again.");
    }
}

/// The `host:port` part of a database URL.
fn host_port(url: &str) -> std::ops::Range<usize> {
    let start = url.find('@').expect("a user in the URL") + 1;
    start..start + url[start..].find('/').expect("a database in the URL")
}

/// PostgreSQL only: SQLite is a file inside the process and cannot go away like a server.
mod the_database_going_away_mid_turn_answers_503_and_the_server_recovers_by_itself {
    use super::*;

    #[tokio::test(flavor = "multi_thread", worker_threads = 2)]
    async fn postgres() {
        let Some(t) = TestDb::postgres().await else {
            return;
        };
        let model = FakeAnthropic::start().await;
        let at = host_port(&t.url);
        let upstream = tokio::net::lookup_host(&t.url[at.clone()])
            .await
            .unwrap()
            .next()
            .unwrap();
        let proxy = TcpProxy::start(upstream).await;
        let url = format!("{}{}{}", &t.url[..at.start], proxy.addr, &t.url[at.end..]);
        let api = api_with(t, &model, Some(url)).await;

        // The model answers while the database is away.
        model.push(Reply::text("Here is your answer.").delay(Duration::from_millis(400)));
        let turn = tokio::spawn({
            let request = api
                .server
                .client
                .post(api.server.url(CHAT))
                .bearer_auth(&api.staff_token)
                .json(&json!({ "message": "What happens if the database goes?" }));
            async move { request.send().await.unwrap() }
        });
        while model.requests().is_empty() {
            tokio::time::sleep(Duration::from_millis(5)).await;
        }
        proxy.cut();
        let response = turn.await.unwrap();
        assert_eq!(response.status(), StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(response.headers()["retry-after"], "1");
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], "unavailable", "{body}");

        // While it is away: fast 503s, and not ready.
        let started = Instant::now();
        let (status, _) = api
            .post(Some(&api.staff_token), "{ me { name } }", json!({}))
            .await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert_eq!(ready(&api).await, StatusCode::SERVICE_UNAVAILABLE);
        let (status, body) = post_chat(&api, "Anyone there?").await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
        assert!(
            started.elapsed() < Duration::from_secs(5),
            "answered without hanging: {:?}",
            started.elapsed()
        );

        // Back again: the server recovers without a restart.
        proxy.restore();
        let back = Instant::now();
        loop {
            if ready(&api).await == StatusCode::OK {
                break;
            }
            assert!(
                back.elapsed() < Duration::from_secs(15),
                "ready again in time"
            );
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        model.push(Reply::text("Back in business."));
        let (status, body) = post_chat(&api, "And now?").await;
        assert_eq!(status, StatusCode::OK, "{body}");

        // The question asked before the outage is on record, its answer was never half-stored.
        let mut conn = api.t.db.conn().await.unwrap();
        let conversations =
            aim::db::aim::conversations_of(&mut conn, api.staff.staff_user_id, None, None, 10)
                .await
                .unwrap();
        let mut stored = Vec::new();
        for c in &conversations {
            let mut messages = aim::db::aim::recent_messages(&mut conn, c.id, 10)
                .await
                .unwrap();
            messages.reverse();
            stored.push(
                messages
                    .into_iter()
                    .map(|m| (m.role.as_str(), m.content))
                    .collect::<Vec<_>>(),
            );
        }
        stored.sort();
        let (user, assistant) = ("user", "assistant");
        assert_eq!(
            stored,
            vec![
                vec![
                    (user, "And now?".to_owned()),
                    (assistant, "Back in business.".to_owned())
                ],
                vec![(user, "What happens if the database goes?".to_owned())],
            ]
        );
    }
}
