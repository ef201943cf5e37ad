//! `aimChatStream` over a real WebSocket (`graphql-transport-ws`): a turn reported as it
//! happens, a turn that fails, and bad input refused before anything runs.

use futures::{SinkExt, StreamExt};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;

use super::*;
use crate::both_backends;
use crate::common::fake_model::{FakeAnthropic, Reply, TEST_KEY};

const STREAM: &str = "subscription($input: AimChatInput!) {
    aimChatStream(input: $input) {
        __typename
        ... on AimChatStarted { conversationId }
        ... on AimTextDelta { text }
        ... on AimToolCallStarted { id name input }
        ... on AimToolCallFinished { id name isError durationMs }
        ... on AimActionPending { action { id status } }
        ... on AimChatCompleted { output { responseText conversationId toolsUsed modelUsed messageId cancelled } }
        ... on AimChatFailed { code message }
    }
}";

type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

/// What the socket brought next.
#[derive(Debug)]
enum Frame {
    /// A `next` payload's `aimChatStream`.
    Event(Value),
    /// A subscription refused at its start: one `next` with errors, or an `error` message.
    Refused(Value),
    Complete,
    /// The server closed the socket: the close code and reason.
    Closed(u16, String),
}

/// Opens `/graphql/ws` on `graphql-transport-ws`, sends `connection_init` with `token` and
/// subscribes to `aimChatStream(input)` as id `1`.
async fn open_turn(server: &TestServer, token: &str, input: Value) -> Socket {
    let mut request = format!("ws://{}/graphql/ws", server.addr)
        .into_client_request()
        .unwrap();
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        HeaderValue::from_static("graphql-transport-ws"),
    );
    let (mut socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();
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
    socket
}

async fn send(socket: &mut Socket, message: Value) {
    SinkExt::send(socket, Message::Text(message.to_string().into()))
        .await
        .unwrap()
}

/// The next frame that matters (acknowledgements and pings are skipped).
async fn next_frame(socket: &mut Socket) -> Frame {
    loop {
        let frame = tokio::time::timeout(Duration::from_secs(30), socket.next())
            .await
            .expect("the server answers in time");
        let frame = match frame {
            Some(Ok(frame)) => frame,
            None | Some(Err(_)) => return Frame::Closed(1006, String::new()),
        };
        let text = match frame {
            Message::Text(text) => text,
            Message::Close(close) => {
                return close.map_or(Frame::Closed(1005, String::new()), |c| {
                    Frame::Closed(u16::from(c.code), c.reason.to_string())
                });
            }
            _ => continue,
        };
        let message: Value = serde_json::from_str(text.as_str()).unwrap();
        match message["type"].as_str() {
            Some("connection_ack" | "ping" | "pong") => {}
            Some("next") if message["payload"]["errors"].is_array() => {
                return Frame::Refused(message["payload"]["errors"].clone());
            }
            Some("next") => {
                return Frame::Event(message["payload"]["data"]["aimChatStream"].clone());
            }
            Some("complete") => return Frame::Complete,
            Some("error") => return Frame::Refused(message["payload"].clone()),
            _ => panic!("unexpected message {message}"),
        }
    }
}

/// Runs one streamed turn on `server` as the holder of `token`: every `next` payload's
/// `aimChatStream` until `complete`, or the errors of a refused subscription.
async fn stream_turn(server: &TestServer, token: &str, input: Value) -> Result<Vec<Value>, Value> {
    let mut socket = open_turn(server, token, input).await;
    rest_of_turn(&mut socket, Vec::new()).await
}

/// The turn's events after `seen` until `complete`.
async fn rest_of_turn(socket: &mut Socket, mut seen: Vec<Value>) -> Result<Vec<Value>, Value> {
    loop {
        match next_frame(socket).await {
            Frame::Event(event) => seen.push(event),
            Frame::Complete => return Ok(seen),
            Frame::Refused(errors) => return Err(errors),
            Frame::Closed(code, reason) => panic!("the socket closed ({code} {reason})"),
        }
    }
}

/// Reads the turn's events until one of type `kind`; the events read.
async fn turn_until(socket: &mut Socket, kind: &str) -> Vec<Value> {
    let mut seen = Vec::new();
    loop {
        match next_frame(socket).await {
            Frame::Event(event) => {
                let done = event["__typename"] == kind;
                seen.push(event);
                if done {
                    return seen;
                }
            }
            other => panic!("expected {kind}, got {other:?} after {seen:?}"),
        }
    }
}

/// The demo facility served with `fake` (Anthropic's API) as its model.
async fn api_with_model(t: TestDb, fake: &FakeAnthropic) -> Api {
    Api::start_with(t, |config| {
        config.llm = Some(LlmKind::Anthropic);
        config.anthropic_api_key = Some(Secret::new(TEST_KEY));
        config.anthropic_base_url = fake.base_url.clone();
        config.llm_max_retries = 0;
    })
    .await
}

/// One streamed turn over server-sent events: the response, to read with [`sse_events`].
async fn post_sse(server: &TestServer, token: Option<&str>, body: Value) -> reqwest::Response {
    let mut request = server
        .client
        .post(server.url("/api/v2/admin/aim/chat"))
        .header("accept", "text/event-stream")
        .json(&body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.expect("request")
}

/// A server-sent event stream as `(event, data)` pairs.
fn sse_events(response: reqwest::Response) -> impl futures::Stream<Item = (String, Value)> + Unpin {
    use eventsource_stream::Eventsource;
    Box::pin(response.bytes_stream().eventsource().map(|event| {
        let event = event.expect("a well-formed event stream");
        let data = serde_json::from_str(&event.data).expect("JSON data");
        (event.event, data)
    }))
}

/// The next server-sent event, in time.
async fn next_sse(
    events: &mut (impl futures::Stream<Item = (String, Value)> + Unpin),
) -> Option<(String, Value)> {
    tokio::time::timeout(Duration::from_secs(30), events.next())
        .await
        .expect("the server goes on in time")
}

/// The stored messages of the conversation, oldest first, as the REST API shows them.
async fn stored_messages(server: &TestServer, token: &str, conversation: &str) -> Vec<Value> {
    let response = server
        .client
        .get(server.url(&format!("/api/v2/admin/aim/conversations/{conversation}")))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    assert_eq!(response.status(), StatusCode::OK);
    let body: Value = response.json().await.unwrap();
    body["messages"].as_array().unwrap().clone()
}

/// Every chat message stored.
async fn stored_message_count(api: &Api) -> i64 {
    let mut conn = api.t.db.conn().await.unwrap();
    let counts = aim::db::facility::table_counts(&mut conn).await.unwrap();
    counts
        .iter()
        .find(|(table, _)| *table == "aim_messages")
        .map(|(_, n)| *n)
        .expect("aim_messages is counted")
}

/// Waits until the conversation holds `n` messages; they, oldest first.
async fn wait_for_messages(
    server: &TestServer,
    token: &str,
    conversation: &str,
    n: usize,
) -> Vec<Value> {
    for _ in 0..400 {
        let messages = stored_messages(server, token, conversation).await;
        if messages.len() >= n {
            return messages;
        }
        tokio::time::sleep(Duration::from_millis(25)).await;
    }
    panic!("the conversation never held {n} messages");
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

    async fn a_turn_streams_as_server_sent_events_and_stores_what_a_plain_turn_stores(t: TestDb) {
        let api = Api::start(t).await;
        let response = post_sse(&api.server, Some(&api.staff_token), json!({ "message": "How's today looking?" })).await;
        assert_eq!(response.status(), StatusCode::OK);
        assert_eq!(response.headers()["content-type"], "text/event-stream");
        let mut events = sse_events(response);
        let mut seen = Vec::new();
        while let Some(event) = next_sse(&mut events).await {
            seen.push(event);
        }
        let names: Vec<&str> = seen.iter().map(|(name, _)| name.as_str()).collect();
        assert_eq!(names.first(), Some(&"started"), "{names:?}");
        assert_eq!(names.last(), Some(&"completed"), "{names:?}");
        let started = names.iter().position(|n| *n == "tool_call_started").expect("a tool ran");
        let finished = names.iter().rposition(|n| *n == "tool_call_finished").unwrap();
        assert!(started < finished);
        assert_eq!(seen[started].1["name"], "get_today_summary");
        assert_eq!(seen[finished].1["isError"], false);
        assert!(seen[finished].1["durationMs"].is_u64());
        let answer = &seen.last().unwrap().1;
        assert_eq!(answer["cancelled"], false);
        assert_eq!(answer["modelUsed"], "aim-offline");
        assert_eq!(answer["conversationId"], seen[0].1["conversationId"]);
        let deltas: Vec<&str> = seen[finished..]
            .iter()
            .filter(|(name, _)| name == "text_delta")
            .map(|(_, data)| data["text"].as_str().unwrap())
            .collect();
        assert!(deltas.len() > 3, "the answer came a word at a time: {deltas:?}");
        assert_eq!(deltas.concat(), answer["responseText"].as_str().unwrap());

        let conversation = answer["conversationId"].as_str().unwrap();
        let messages = stored_messages(&api.server, &api.staff_token, conversation).await;
        assert_eq!(messages.len(), 2);
        assert_eq!(messages[1]["content"], answer["responseText"]);
        assert_eq!(messages[1]["id"], answer["messageId"]);
        assert_eq!(messages[1]["cancelled"], false);

        // Without the Accept header, the same call answers with JSON.
        let plain = api
            .server
            .client
            .post(api.server.url("/api/v2/admin/aim/chat"))
            .bearer_auth(&api.staff_token)
            .json(&json!({ "message": "How's today looking?" }))
            .send()
            .await
            .unwrap();
        assert_eq!(plain.status(), StatusCode::OK);
        let plain: Value = plain.json().await.unwrap();
        assert_eq!(plain["responseText"], answer["responseText"]);
        assert_eq!(plain["toolsUsed"], answer["toolsUsed"]);
    }

    async fn a_refused_event_stream_is_a_plain_error_response(t: TestDb) {
        let api = Api::start(t).await;
        let body = json!({ "message": "How's today looking?" });
        for token in [None, Some("not-a-token")] {
            let response = post_sse(&api.server, token, body.clone()).await;
            assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{token:?}");
            assert!(response.headers()["content-type"].to_str().unwrap().starts_with("application/json"));
            let error: Value = response.json().await.unwrap();
            assert_eq!(error["error"]["code"], "unauthenticated", "{error}");
        }
        let response = post_sse(&api.server, Some(&api.staff_token), json!({ "message": "  " })).await;
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let error: Value = response.json().await.unwrap();
        assert_eq!(error["error"]["field"], "message");
        let response = post_sse(
            &api.server,
            Some(&api.manager_token),
            json!({ "message": "hi", "conversationId": "00000000-0000-4000-8000-000000000000" }),
        )
        .await;
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        assert_eq!(stored_message_count(&api).await, 0, "no turn ran");
    }

    async fn a_subscription_without_a_valid_token_runs_no_turn(t: TestDb) {
        let api = Api::start(t).await;
        let mut socket = open_turn(&api.server, "not-a-token", json!({ "message": "How's today looking?" })).await;
        match next_frame(&mut socket).await {
            Frame::Closed(code, reason) => {
                assert_eq!(code, 4403, "{reason}");
                assert!(reason.starts_with("Forbidden"), "{reason}");
            }
            other => panic!("expected the socket to close, got {other:?}"),
        }
        // A subscribe before any connection_init is refused as unauthorized.
        let mut request = format!("ws://{}/graphql/ws", api.server.addr).into_client_request().unwrap();
        request.headers_mut().insert("Sec-WebSocket-Protocol", HeaderValue::from_static("graphql-transport-ws"));
        let (mut socket, _) = tokio_tungstenite::connect_async(request).await.unwrap();
        send(
            &mut socket,
            json!({ "id": "1", "type": "subscribe", "payload": { "query": STREAM, "variables": { "input": { "message": "hi" } } } }),
        )
        .await;
        match next_frame(&mut socket).await {
            Frame::Closed(code, _) => assert_eq!(code, 4401),
            other => panic!("expected the socket to close, got {other:?}"),
        }
        assert_eq!(stored_message_count(&api).await, 0, "no turn ran");
    }

    async fn another_staff_users_conversation_cannot_be_continued_over_the_websocket(t: TestDb) {
        let api = Api::start(t).await;
        let mine = api.data(&api.staff_token, "mutation { aimChat(input: { message: \"How's today looking?\" }) { conversationId } }", json!({})).await;
        let conversation = mine["aimChat"]["conversationId"].clone();
        let before = stored_message_count(&api).await;
        let mut socket = open_turn(&api.server, &api.manager_token, json!({ "message": "Show me their chat", "conversationId": conversation })).await;
        match next_frame(&mut socket).await {
            Frame::Refused(errors) => assert_eq!(errors[0]["extensions"]["code"], "not_found", "{errors}"),
            other => panic!("expected the subscription refused, got {other:?}"),
        }
        assert_eq!(stored_message_count(&api).await, before, "no turn ran in someone else's conversation");
    }

    async fn cancel_aim_chat_stops_a_streamed_turn_and_the_answer_is_marked_cancelled(t: TestDb) {
        let fake = FakeAnthropic::start().await;
        // "Let me " then the model stalls.
        fake.push(
            Reply::text_and_tool_use("Let me look him up.", &[("toolu_1", "search_customer", json!({ "query": "Mark" }))])
                .hold_after(4),
        );
        let api = api_with_model(t, &fake).await;
        let (staff, manager) = (api.staff_token.clone(), api.manager_token.clone());
        let mut socket = open_turn(&api.server, &staff, json!({ "message": "Search for customer Mark" })).await;
        let seen = turn_until(&mut socket, "AimTextDelta").await;
        let conversation = seen[0]["conversationId"].clone();

        const CANCEL: &str = "mutation($id: ID!) { cancelAimChat(conversationId: $id) }";
        let refused = api.error(&manager, CANCEL, json!({ "id": conversation })).await;
        assert_eq!(refused["extensions"]["code"], "not_found", "another user's turn: {refused}");
        let stopped = api.data(&staff, CANCEL, json!({ "id": conversation })).await;
        assert_eq!(stopped["cancelAimChat"], true);

        let events = rest_of_turn(&mut socket, seen).await.unwrap();
        let last = events.last().unwrap();
        assert_eq!(last["__typename"], "AimChatCompleted", "{events:?}");
        assert_eq!(last["output"]["cancelled"], true);
        assert_eq!(last["output"]["responseText"], "Let me");
        assert!(!kinds(&events).contains(&"AimToolCallStarted"));
        let stored = api
            .data(
                &staff,
                "query($id: ID!) { aimConversation(id: $id) { messages { edges { node { role content cancelled } } } } }",
                json!({ "id": conversation }),
            )
            .await;
        let messages = &stored["aimConversation"]["messages"]["edges"];
        assert_eq!(messages[1]["node"], json!({ "role": "ASSISTANT", "content": "Let me", "cancelled": true }), "{stored}");
        let again = api.data(&staff, CANCEL, json!({ "id": conversation })).await;
        assert_eq!(again["cancelAimChat"], false, "nothing runs any more");
        assert_eq!(fake.held_streams_closed(), 1, "the model call was dropped");
    }

    async fn closing_a_subscription_stops_its_turn(t: TestDb) {
        let fake = FakeAnthropic::start().await;
        fake.push(Reply::text("Today is busy: 35 of 40 places are taken.").hold_after(5));
        let api = api_with_model(t, &fake).await;
        let (server, staff) = (&api.server, api.staff_token.clone());
        let mut socket = open_turn(server, &staff, json!({ "message": "How's today looking?" })).await;
        let seen = turn_until(&mut socket, "AimTextDelta").await;
        let seen = [seen, turn_until(&mut socket, "AimTextDelta").await].concat();
        let conversation = seen[0]["conversationId"].as_str().unwrap().to_owned();
        send(&mut socket, json!({ "id": "1", "type": "complete" })).await;

        let messages = wait_for_messages(server, &staff, &conversation, 2).await;
        assert_eq!(messages[1]["cancelled"], true);
        assert_eq!(messages[1]["content"], "Today is busy:");
        for _ in 0..400 {
            if fake.held_streams_closed() == 1 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("the model call was not dropped");
    }

    async fn a_server_sent_event_turn_stops_on_cancel_and_when_the_client_goes_away(t: TestDb) {
        let fake = FakeAnthropic::start().await;
        fake.push(Reply::text("Today is busy: 35 of 40 places are taken.").hold_after(4));
        fake.push(Reply::text("Today is busy: 35 of 40 places are taken.").hold_after(5));
        let api = api_with_model(t, &fake).await;
        let (server, staff, manager) = (&api.server, api.staff_token.clone(), api.manager_token.clone());

        // Stopped with POST …/cancel: the stream ends with the answer so far.
        let response = post_sse(server, Some(&staff), json!({ "message": "How's today looking?" })).await;
        let mut events = sse_events(response);
        let (name, started) = next_sse(&mut events).await.unwrap();
        assert_eq!(name, "started");
        let conversation = started["conversationId"].as_str().unwrap().to_owned();
        assert_eq!(next_sse(&mut events).await.unwrap().0, "text_delta");
        let cancel = |token: &str| {
            server
                .client
                .post(server.url(&format!("/api/v2/admin/aim/conversations/{conversation}/cancel")))
                .bearer_auth(token.to_owned())
                .send()
        };
        assert_eq!(cancel(&manager).await.unwrap().status(), StatusCode::NOT_FOUND, "not the manager's");
        let stopped = cancel(&staff).await.unwrap();
        assert_eq!(stopped.status(), StatusCode::OK);
        assert_eq!(stopped.json::<Value>().await.unwrap(), json!({ "cancelled": true }));
        let (name, answer) = next_sse(&mut events).await.unwrap();
        assert_eq!(name, "completed");
        assert_eq!(answer["cancelled"], true);
        assert_eq!(answer["responseText"], "Today i");
        assert!(next_sse(&mut events).await.is_none(), "the stream ends with the answer");
        let messages = stored_messages(server, &staff, &conversation).await;
        assert_eq!(messages[1]["cancelled"], true);
        assert_eq!(messages[1]["content"], "Today i");

        // The client goes away: the turn stops and keeps what was said.
        let response = post_sse(
            server,
            Some(&staff),
            json!({ "message": "And tomorrow?", "conversationId": conversation }),
        )
        .await;
        let mut events = sse_events(response);
        assert_eq!(next_sse(&mut events).await.unwrap().0, "started");
        assert_eq!(next_sse(&mut events).await.unwrap().1["text"], "Today i");
        assert_eq!(next_sse(&mut events).await.unwrap().1["text"], "s busy:");
        drop(events);
        let messages = wait_for_messages(server, &staff, &conversation, 4).await;
        assert_eq!(messages[3]["cancelled"], true);
        assert_eq!(messages[3]["content"], "Today is busy:");
        let turn_two = &fake.requests()[1].body["messages"];
        assert!(turn_two[1]["content"][0]["text"].as_str().unwrap().contains("stopped"), "{turn_two}");
    }

    async fn a_plain_turn_whose_client_hangs_up_is_stopped_and_kept(t: TestDb) {
        let fake = FakeAnthropic::start().await;
        fake.push(Reply::text_and_tool_use(
            "Let me look him up.",
            &[("toolu_1", "search_customer", json!({ "query": "Mark" }))],
        ));
        fake.push(Reply::text("Mark Huggins has two dogs.").delay(Duration::from_secs(20)));
        let api = api_with_model(t, &fake).await;
        let request = api
            .server
            .client
            .post(api.server.url("/api/v2/admin/aim/chat"))
            .bearer_auth(&api.staff_token)
            .json(&json!({ "message": "Search for customer Mark" }))
            .send();
        let client = tokio::spawn(request);
        // The tool ran and the model was asked again; the client hangs up while it thinks.
        for _ in 0..400 {
            if fake.requests().len() == 2 {
                break;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        assert_eq!(fake.requests().len(), 2);
        client.abort();

        let list: Value = api
            .server
            .client
            .get(api.server.url("/api/v2/admin/aim/conversations"))
            .bearer_auth(&api.staff_token)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let conversation = list[0]["id"].as_str().unwrap().to_owned();
        let messages = wait_for_messages(&api.server, &api.staff_token, &conversation, 2).await;
        assert_eq!(messages[1]["cancelled"], true);
        assert_eq!(messages[1]["content"], "Let me look him up.");
        assert_eq!(messages[1]["toolCalls"][0]["name"], "search_customer");
    }
}
