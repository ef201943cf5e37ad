//! `aimChatStream` over a real WebSocket (`graphql-transport-ws`): a turn reported as it
//! happens, a turn that fails, and bad input refused before anything runs.

use futures::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;

use super::*;
use crate::both_backends;

const STREAM: &str = "subscription($input: AimChatInput!) {
    aimChatStream(input: $input) {
        __typename
        ... on AimChatStarted { conversationId }
        ... on AimTextDelta { text }
        ... on AimToolCallStarted { id name input }
        ... on AimToolCallFinished { id name isError durationMs }
        ... on AimActionPending { action { id status } }
        ... on AimChatCompleted { output { responseText conversationId toolsUsed modelUsed messageId } }
        ... on AimChatFailed { code message }
    }
}";

/// Runs one streamed turn on `server` as the holder of `token`: every `next` payload's
/// `aimChatStream` until `complete`, or the errors of a refused subscription.
async fn stream_turn(server: &TestServer, token: &str, input: Value) -> Result<Vec<Value>, Value> {
    let mut request = format!("ws://{}/graphql/ws", server.addr)
        .into_client_request()
        .unwrap();
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        HeaderValue::from_static("graphql-transport-ws"),
    );
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();
    let send = async |socket: &mut _, message: Value| {
        SinkExt::send(socket, Message::Text(message.to_string().into()))
            .await
            .unwrap()
    };
    send(
        &mut socket,
        json!({ "type": "connection_init", "payload": { "token": token } }),
    )
    .await;
    send(
        &mut socket,
        json!({ "id": "1", "type": "subscribe", "payload": { "query": STREAM, "variables": { "input": input } } }),
    )
    .await;
    let mut events = Vec::new();
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(30), socket.next())
            .await
            .expect("the server answers in time")
            .expect("the socket stays open")
            .unwrap();
        let Message::Text(text) = frame else { continue };
        let message: Value = serde_json::from_str(text.as_str()).unwrap();
        match message["type"].as_str() {
            Some("connection_ack") => {}
            // A subscription refused at its start is one `next` with errors.
            Some("next") if message["payload"]["errors"].is_array() => {
                return Err(message["payload"]["errors"].clone());
            }
            Some("next") => events.push(message["payload"]["data"]["aimChatStream"].clone()),
            Some("complete") => return Ok(events),
            Some("error") => return Err(message["payload"].clone()),
            _ => panic!("unexpected message {message}"),
        }
    }
}

fn kinds(events: &[Value]) -> Vec<&str> {
    events
        .iter()
        .map(|e| e["__typename"].as_str().unwrap())
        .collect()
}

both_backends! {
    async fn a_streamed_turn_reports_its_tools_and_text_then_the_stored_answer(t: TestDb) {
        let api = Api::start(t).await;
        let events = stream_turn(&api.server, &api.staff_token, json!({ "message": "How's today looking?" }))
            .await
            .unwrap();
        let kinds = kinds(&events);
        assert_eq!(kinds.first(), Some(&"AimChatStarted"), "{kinds:?}");
        assert_eq!(kinds.last(), Some(&"AimChatCompleted"), "{kinds:?}");
        let started = kinds.iter().position(|k| *k == "AimToolCallStarted").expect("a tool ran");
        let finished = kinds.iter().rposition(|k| *k == "AimToolCallFinished").unwrap();
        assert!(started < finished);
        assert_eq!(events[started]["name"], "get_today_summary");
        assert_eq!(events[finished]["isError"], false);
        let output = &events.last().unwrap()["output"];
        assert_eq!(output["conversationId"], events[0]["conversationId"]);
        assert_eq!(output["modelUsed"], "aim-offline");
        let answer: String = events[finished..]
            .iter()
            .filter_map(|e| e["text"].as_str())
            .collect();
        assert_eq!(answer, output["responseText"].as_str().unwrap(), "the answer as it was written");

        // It is stored as a plain turn is: the question and the answer, the caller's own.
        let stored = api
            .data(
                &api.staff_token,
                "query($id: ID!) { aimConversation(id: $id) { messages { edges { node { role content } } } } }",
                json!({ "id": output["conversationId"] }),
            )
            .await;
        let messages = &stored["aimConversation"]["messages"]["edges"];
        assert_eq!(messages.as_array().unwrap().len(), 2, "{stored}");
        assert_eq!(messages[1]["node"]["content"], output["responseText"]);
    }

    async fn a_failed_turn_ends_with_the_reason_and_keeps_the_question(t: TestDb) {
        demo::seed(&t.db, today(), TZ).await.expect("demo data");
        let mut config = t.config();
        config.llm = Some(LlmKind::Anthropic);
        config.anthropic_api_key = Some(Secret::new("test-key"));
        // Nothing listens on the discard port.
        config.anthropic_base_url = "http://127.0.0.1:9".to_owned();
        config.llm_max_retries = 0;
        let server = TestServer::start(config, Mode::default()).await;
        let staff = actor(&t, DEMO_STAFF_EMAIL).await;
        let token = token(staff.staff_user_id, staff.role);
        let events = stream_turn(&server, &token, json!({ "message": "How's today looking?" }))
            .await
            .unwrap();
        assert_eq!(kinds(&events), ["AimChatStarted", "AimChatFailed"]);
        assert_eq!(events[1]["code"], "model_unavailable", "{events:?}");
        assert!(events[1]["message"].as_str().unwrap().contains("could not reach"), "{events:?}");
        let conversation = events[0]["conversationId"].as_str().unwrap().parse().unwrap();
        let stored = aim::db::aim::recent_messages(&mut t.db.conn().await.unwrap(), conversation, 10)
            .await
            .unwrap();
        assert_eq!(stored.len(), 1, "the question, and no half answer");
        assert_eq!(stored[0].content, "How's today looking?");
    }

    async fn bad_input_is_refused_before_the_turn_starts(t: TestDb) {
        let api = Api::start(t).await;
        let error = stream_turn(&api.server, &api.staff_token, json!({ "message": "hi", "conversationId": "nope" }))
            .await
            .unwrap_err();
        assert_eq!(error[0]["extensions"]["code"], "invalid_input", "{error}");
        assert_eq!(error[0]["extensions"]["field"], "conversationId");
        let error = stream_turn(&api.server, &api.staff_token, json!({ "message": "   " }))
            .await;
        match error {
            Ok(events) => {
                assert_eq!(kinds(&events), ["AimChatFailed"]);
                assert_eq!(events[0]["code"], "invalid_input");
            }
            Err(error) => assert_eq!(error[0]["extensions"]["code"], "invalid_input"),
        }
    }
}
