//! Requests that are safe to send again: a chat turn with an `Idempotency-Key` (REST header,
//! GraphQL `idempotencyKey`) answered once, and confirmations that act once however often
//! they are sent.

use futures::StreamExt;
use reqwest::StatusCode;
use serde_json::{Value, json};

use super::*;
use crate::both_backends;

const CHAT: &str = "/api/v2/admin/aim/chat";

/// `POST /api/v2/admin/aim/chat` with `key` as its `Idempotency-Key`.
async fn chat(
    api: &Api,
    key: &str,
    body: Value,
) -> (StatusCode, reqwest::header::HeaderMap, Value) {
    let response = api
        .server
        .client
        .post(api.server.url(CHAT))
        .bearer_auth(&api.staff_token)
        .header("idempotency-key", key)
        .json(&body)
        .send()
        .await
        .unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    (
        status,
        headers,
        response.json().await.unwrap_or(Value::Null),
    )
}

async fn count(api: &Api, table: &str) -> i64 {
    aim::db::facility::table_counts(&mut api.t.db.conn().await.unwrap())
        .await
        .unwrap()
        .into_iter()
        .find(|(name, _)| *name == table)
        .unwrap()
        .1
}

async fn chat_messages(api: &Api) -> i64 {
    count(api, "aim_messages").await
}

both_backends! {
    async fn a_chat_request_sent_again_with_its_key_is_answered_once_over_rest(t: TestDb) {
        let api = Api::start(t).await;
        let body = json!({"message": "Book Pepper for daycare next Friday"});
        let (status, headers, first) = chat(&api, "b7c1d0e2-book-pepper", body.clone()).await;
        assert_eq!(status, StatusCode::OK, "{first}");
        assert!(headers.get("idempotent-replayed").is_none());
        assert_eq!(first["pendingActions"].as_array().unwrap().len(), 1, "{first}");

        let (status, headers, again) = chat(&api, "b7c1d0e2-book-pepper", body.clone()).await;
        assert_eq!(status, StatusCode::OK, "{again}");
        assert_eq!(headers["idempotent-replayed"], "true");
        assert_eq!(again, first, "the same answer, word for word");
        assert_eq!(chat_messages(&api).await, 2, "one question, one answer");

        // Streamed, the repeat is the stored answer's events.
        let response = api.server.client.post(api.server.url(CHAT))
            .bearer_auth(&api.staff_token)
            .header("idempotency-key", "b7c1d0e2-book-pepper")
            .header("accept", "text/event-stream")
            .json(&body).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::OK);
        use eventsource_stream::Eventsource;
        let events: Vec<(String, Value)> = response.bytes_stream().eventsource()
            .map(|e| { let e = e.unwrap(); (e.event, serde_json::from_str(&e.data).unwrap()) })
            .collect().await;
        let names: Vec<&str> = events.iter().map(|(name, _)| name.as_str()).collect();
        assert_eq!(names, ["started", "action_pending", "completed"]);
        assert_eq!(events[2].1, first);
        assert_eq!(chat_messages(&api).await, 2);

        // The same key for another request, and keys that are no keys, name the header.
        let other = json!({"message": "How's today looking?"});
        let (status, _, refused) = chat(&api, "b7c1d0e2-book-pepper", other).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{refused}");
        assert_eq!(refused["error"]["field"], "Idempotency-Key");
        for bad in ["", "two words", &"k".repeat(256)] {
            let (status, _, refused) = chat(&api, bad, body.clone()).await;
            assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{bad:?}: {refused}");
            assert_eq!(refused["error"]["field"], "Idempotency-Key", "{bad:?}");
        }
        assert_eq!(chat_messages(&api).await, 2, "nothing stored for refused requests");
    }

    async fn aim_chat_with_an_idempotency_key_is_answered_once_over_graphql(t: TestDb) {
        let api = Api::start(t).await;
        let mutation = "mutation($input: AimChatInput!) { aimChat(input: $input) { responseText messageId conversationId replayed } }";
        let input = json!({"input": {"message": "How's today looking?", "idempotencyKey": "gql-1"}});
        let first = api.data(&api.staff_token, mutation, input.clone()).await["aimChat"].clone();
        assert_eq!(first["replayed"], false);
        let again = api.data(&api.staff_token, mutation, input).await["aimChat"].clone();
        assert_eq!(again["replayed"], true);
        assert_eq!((&again["messageId"], &again["responseText"]), (&first["messageId"], &first["responseText"]));
        assert_eq!(chat_messages(&api).await, 2);

        let bad = json!({"input": {"message": "How's today looking?", "idempotencyKey": "with space"}});
        let error = api.error(&api.staff_token, mutation, bad).await;
        assert_eq!(error["extensions"]["code"], "invalid_input");
        assert_eq!(error["extensions"]["field"], "idempotencyKey");
    }

    async fn a_confirmation_sent_again_books_once(t: TestDb) {
        let api = Api::start(t).await;
        let (_, _, answer) = chat(&api, "confirm-me", json!({"message": "Book Pepper for daycare next Friday"})).await;
        let action = answer["pendingActions"][0]["id"].as_str().unwrap().to_owned();
        let before = count(&api, "bookings").await;
        let path = api.server.url(&format!("/api/v2/admin/aim/actions/{action}/confirm"));
        let confirm = || async {
            let response = api.server.client.post(&path).bearer_auth(&api.staff_token)
                .header("idempotency-key", "confirm-pepper").send().await.unwrap();
            assert_eq!(response.status(), StatusCode::OK);
            response.json::<Value>().await.unwrap()
        };
        let (a, b) = tokio::join!(confirm(), confirm());
        let c = confirm().await;
        assert_eq!(count(&api, "bookings").await, before + 1, "one booking for three confirmations");
        // Of two racing confirmations one executes; the other answers the action as it stands
        // (still `confirmed` while the booking is made, or already `executed`).
        let (done, other) = if a["status"] == "executed" { (a, b) } else { (b, a) };
        assert_eq!(done["status"], "executed", "{done}");
        assert!(other["status"] == "confirmed" || other == done, "{other}");
        assert_eq!(c, done, "a later repeat answers the executed action");
    }
}
