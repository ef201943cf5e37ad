//! Streamed model answers: the Anthropic and chat-completions providers against the fakes' real
//! event-stream formats (text and tool inputs in pieces, pings, error events, a stream broken
//! off); then streamed chat turns, and turns stopped midway.

use aim::llm::anthropic::AnthropicProvider;
use aim::llm::openai::OpenAiProvider;
use aim::llm::{
    ContentBlock, LlmError, Message, Provider, Request, Response, StreamEvent, SystemPrompt,
    ToolChoice, join_text,
};
use serde_json::json;
use tokio::sync::mpsc;

use crate::common::fake_model::{FakeAnthropic, FakeOpenAi, OpenAiReply, Reply};

fn question() -> Request {
    Request {
        system: SystemPrompt {
            stable: "You are AIM.".into(),
            context: String::new(),
        },
        messages: vec![Message::user_text("Search for customer Mark Huggins")],
        tools: std::sync::Arc::from(Vec::new()),
        tool_choice: ToolChoice::Auto,
        max_tokens: 512,
    }
}

/// Streams `request` through `provider`: its result and the text deltas it reported, in order.
async fn stream(
    provider: &dyn Provider,
    request: &Request,
) -> (Result<Response, LlmError>, Vec<String>) {
    let (sink, mut events) = mpsc::unbounded_channel();
    let result = provider.stream(request, &sink).await;
    drop(sink);
    let mut deltas = Vec::new();
    while let Some(StreamEvent::TextDelta(text)) = events.recv().await {
        deltas.push(text);
    }
    (result, deltas)
}

fn tool_answer() -> Reply {
    Reply::text_and_tool_use(
        "Let me look him up — one moment.",
        &[(
            "toolu_1",
            "search_customer",
            json!({ "query": "Mark Huggins", "limit": 5 }),
        )],
    )
    .usage(120, 45, 0, 3000)
}

#[tokio::test]
async fn a_streamed_answer_is_the_plain_answer_with_its_text_in_order() {
    let fake = FakeAnthropic::start().await;
    fake.push(tool_answer());
    fake.push(tool_answer());
    let provider = AnthropicProvider::new(fake.settings());

    let plain = provider.complete(&question()).await.unwrap();
    let (streamed, deltas) = stream(&provider, &question()).await;
    let streamed = streamed.unwrap();

    assert!(deltas.len() > 1, "the text came in pieces: {deltas:?}");
    assert_eq!(deltas.concat(), join_text(&streamed.content));
    assert_eq!(streamed.content, plain.content);
    assert_eq!(streamed.stop_reason, plain.stop_reason);
    assert_eq!(streamed.usage, plain.usage);
    assert_eq!(streamed.model, plain.model);
    let requests = fake.requests();
    assert_eq!(requests[0].body.get("stream"), None);
    assert_eq!(requests[1].body["stream"], true);
    let mut without_stream = requests[1].body.clone();
    without_stream.as_object_mut().unwrap().remove("stream");
    assert_eq!(
        without_stream, requests[0].body,
        "otherwise the same request"
    );
}

#[tokio::test]
async fn an_overloaded_answer_before_the_stream_starts_is_retried() {
    let fake = FakeAnthropic::start().await;
    fake.push(Reply::error(529, "overloaded_error", "Overloaded"));
    fake.push(Reply::text("31 dogs are booked today."));
    let provider = AnthropicProvider::new(fake.settings());

    let (response, deltas) = stream(&provider, &question()).await;

    assert_eq!(
        response.unwrap().content,
        [ContentBlock::text("31 dogs are booked today.")]
    );
    assert_eq!(deltas.concat(), "31 dogs are booked today.");
    assert_eq!(fake.requests().len(), 2);
}

#[tokio::test]
async fn a_stream_broken_off_fails_once_without_a_retry() {
    let fake = FakeAnthropic::start().await;
    // message_start, the block's start, its first delta and the ping, then nothing.
    fake.push(Reply::text("Today is busy: 35 of 40 places are taken.").cut_after(4));
    fake.push(Reply::text("never asked for"));
    let provider = AnthropicProvider::new(fake.settings());

    let (response, deltas) = stream(&provider, &question()).await;

    let error = response.unwrap_err();
    assert!(matches!(error, LlmError::Malformed { .. }), "{error:?}");
    assert_eq!(error.request_id(), Some("req_fake_1"));
    assert_eq!(
        deltas,
        ["Today i"],
        "what was said before the break was reported"
    );
    assert_eq!(
        fake.requests().len(),
        1,
        "text already shown is not asked for again"
    );
}

#[tokio::test]
async fn an_error_event_in_the_stream_fails_with_the_error_it_names() {
    let fake = FakeAnthropic::start().await;
    let start = json!({"type": "message_start", "message": {
        "id": "msg_1", "type": "message", "role": "assistant", "model": "claude-test",
        "content": [], "stop_reason": null, "usage": {"input_tokens": 3, "output_tokens": 1}}});
    let error =
        json!({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}});
    fake.push(Reply::sse(&format!(
        "event: message_start\ndata: {start}\n\nevent: error\ndata: {error}\n\n"
    )));
    let provider = AnthropicProvider::new(fake.settings());

    let (response, _) = stream(&provider, &question()).await;

    let error = response.unwrap_err();
    assert_eq!(error.code(), "model_overloaded", "{error:?}");
    assert_eq!(fake.requests().len(), 1);
}

#[tokio::test]
async fn a_chat_completions_stream_is_the_plain_answer_with_its_text_in_order() {
    let fake = FakeOpenAi::start().await;
    let answer = || {
        OpenAiReply::message(json!({
            "choices": [{
                "index": 0,
                "message": {
                    "role": "assistant",
                    "content": "Let me look him up — one moment.",
                    "tool_calls": [{
                        "id": "call_1", "type": "function",
                        "function": { "name": "search_customer", "arguments": "{\"query\":\"Mark Huggins\",\"limit\":5}" },
                    }],
                },
                "finish_reason": "tool_calls",
            }],
        }))
        .usage(120, 45, 100)
    };
    fake.push(answer());
    fake.push(answer());
    let provider = OpenAiProvider::new(fake.settings());

    let plain = provider.complete(&question()).await.unwrap();
    let (streamed, deltas) = stream(&provider, &question()).await;
    let streamed = streamed.unwrap();

    assert!(deltas.len() > 1, "the text came in pieces: {deltas:?}");
    assert_eq!(deltas.concat(), "Let me look him up — one moment.");
    assert_eq!(streamed.content, plain.content);
    assert_eq!(streamed.stop_reason, plain.stop_reason);
    assert_eq!(streamed.usage, plain.usage);
    assert_eq!(streamed.model, plain.model);
    let requests = fake.requests();
    assert_eq!(requests[1].body["stream"], true);
    assert_eq!(
        requests[1].body["stream_options"],
        json!({ "include_usage": true })
    );
    let mut without_stream = requests[1].body.clone();
    let object = without_stream.as_object_mut().unwrap();
    object.remove("stream");
    object.remove("stream_options");
    assert_eq!(
        without_stream, requests[0].body,
        "otherwise the same request"
    );
}

#[tokio::test]
async fn a_chat_completions_stream_broken_off_fails_once_without_a_retry() {
    let fake = FakeOpenAi::start().await;
    // The role, then two pieces of text, then nothing.
    fake.push(OpenAiReply::text("Today is busy: 35 of 40 places are taken.").cut_after(3));
    fake.push(OpenAiReply::error(503, "overloaded"));
    fake.push(OpenAiReply::text("never asked for"));
    let provider = OpenAiProvider::new(fake.settings());

    let (response, deltas) = stream(&provider, &question()).await;
    let error = response.unwrap_err();
    assert!(matches!(error, LlmError::Malformed { .. }), "{error:?}");
    assert_eq!(deltas, ["Today i", "s busy:"]);
    assert_eq!(
        fake.requests().len(),
        1,
        "text already shown is not asked for again"
    );

    // An error status before the stream starts is retried as a plain call's is.
    let (response, deltas) = stream(&provider, &question()).await;
    assert_eq!(
        response.unwrap().content,
        [ContentBlock::text("never asked for")]
    );
    assert_eq!(deltas, ["never a", "sked fo", "r"]);
    assert_eq!(fake.requests().len(), 3);
}

// ---------------------------------------------------------------------------------------------
// A streamed chat turn

mod turns {
    use std::time::Duration;

    use aim::aim::chat::{ChatEvent, ChatOutput, ChatStream};
    use aim::aim::{AimError, AimResult};
    use aim::db::aim::MessageRow;
    use aim::domain::{ActionStatus, Actor, ConversationId, MessageRole};
    use futures::StreamExt;
    use serde_json::{Value, json};

    use crate::common::fake_model::Reply;
    use crate::{Chat, both_backends};

    /// A streamed turn: its result and every event it reported, in order.
    async fn streamed(
        c: &Chat,
        actor: &Actor,
        message: &str,
    ) -> (AimResult<ChatOutput>, Vec<ChatEvent>) {
        let mut stream = match c.aim.chat_stream(actor, message, None).await {
            Ok(stream) => stream,
            Err(error) => return (Err(error), Vec::new()),
        };
        let (result, seen) = rest_of(&mut stream).await;
        (
            result.expect("a turn ends with its answer or its error"),
            seen,
        )
    }

    /// The stream's next event, in time.
    async fn next(stream: &mut ChatStream) -> Option<AimResult<ChatEvent>> {
        tokio::time::timeout(Duration::from_secs(20), stream.next())
            .await
            .expect("the turn goes on in time")
    }

    /// The events up to the end of the stream, and its outcome (none if it ended without).
    async fn rest_of(stream: &mut ChatStream) -> (Option<AimResult<ChatOutput>>, Vec<ChatEvent>) {
        let mut seen = Vec::new();
        while let Some(event) = next(stream).await {
            match event {
                Ok(ChatEvent::Completed { output }) => {
                    seen.push(ChatEvent::Completed {
                        output: output.clone(),
                    });
                    assert!(next(stream).await.is_none(), "nothing after the answer");
                    return (Some(Ok(output)), seen);
                }
                Ok(event) => seen.push(event),
                Err(error) => {
                    assert!(next(stream).await.is_none(), "nothing after the error");
                    return (Some(Err(error)), seen);
                }
            }
        }
        (None, seen)
    }

    /// Reads events until one matches `wanted`; the events read.
    async fn until(stream: &mut ChatStream, wanted: impl Fn(&ChatEvent) -> bool) -> Vec<ChatEvent> {
        let mut seen = Vec::new();
        loop {
            let event = next(stream)
                .await
                .expect("the stream goes on")
                .expect("no error");
            let done = wanted(&event);
            seen.push(event);
            if done {
                return seen;
            }
        }
    }

    fn text_of(events: &[ChatEvent]) -> String {
        events
            .iter()
            .filter_map(|e| match e {
                ChatEvent::TextDelta { text } => Some(text.as_str()),
                _ => None,
            })
            .collect()
    }

    fn conversation_of(events: &[ChatEvent]) -> ConversationId {
        match &events[0] {
            ChatEvent::Started { conversation_id } => *conversation_id,
            other => panic!("a turn starts with Started, not {other:?}"),
        }
    }

    fn lookup_script(c: &Chat) {
        lookup_script_first_round(c);
        c.model.push(Reply::text(
            "Mark Huggins is a customer with two dogs, Biscuit and Pepper.",
        ));
    }

    /// The model's first round of [`lookup_script`]: a few words, then the search.
    fn lookup_script_first_round(c: &Chat) {
        c.model.push(Reply::text_and_tool_use(
            "Let me look him up.",
            &[(
                "toolu_1",
                "search_customer",
                json!({ "query": "Mark Huggins" }),
            )],
        ));
    }

    /// Waits up to 10 s for `done`.
    async fn wait_for(done: impl Fn() -> bool, what: &str) {
        for _ in 0..400 {
            if done() {
                return;
            }
            tokio::time::sleep(Duration::from_millis(25)).await;
        }
        panic!("timed out waiting for {what}");
    }

    /// A stored message as both kinds of turn must leave it: everything but ids, times and
    /// how long each tool took.
    fn comparable(row: &MessageRow) -> Value {
        let mut calls = row
            .tool_calls
            .as_ref()
            .map(|j| j.0.clone())
            .unwrap_or(Value::Null);
        if let Value::Array(list) = &mut calls {
            for call in list {
                call.as_object_mut().unwrap().remove("durationMs");
            }
        }
        json!({
            "role": format!("{:?}", row.role),
            "content": row.content,
            "toolCalls": calls,
            "model": row.model_used,
            "tokens": [row.input_tokens, row.output_tokens, row.cache_read_tokens, row.cache_write_tokens],
        })
    }

    both_backends! {
        async fn a_streamed_turn_reports_text_and_tools_in_order_and_stores_what_a_plain_turn_stores(t: TestDb) {
            let c = Chat::new(t).await;
            lookup_script(&c);
            let (result, events) = streamed(&c, &c.staff, "Search for customer Mark Huggins").await;
            let output = result.unwrap();

            assert_eq!(events.first(), Some(&ChatEvent::Started { conversation_id: output.conversation_id }));
            assert_eq!(events.last(), Some(&ChatEvent::Completed { output: output.clone() }));
            let started = events
                .iter()
                .position(|e| matches!(e, ChatEvent::ToolCallStarted { id, name, input }
                    if id == "toolu_1" && name == "search_customer" && input["query"] == "Mark Huggins"))
                .expect("the tool's start is reported");
            let finished = events
                .iter()
                .position(|e| matches!(e, ChatEvent::ToolCallFinished { id, is_error: false, .. } if id == "toolu_1"))
                .expect("the tool's end is reported");
            assert!(started < finished);
            assert_eq!(text_of(&events[..started]), "Let me look him up.");
            assert_eq!(text_of(&events[finished..]), output.response_text, "the answer, as it was written");
            let deltas = events.iter().filter(|e| matches!(e, ChatEvent::TextDelta { .. })).count();
            assert!(deltas > 2, "the text came in pieces");

            // The same script as a plain turn leaves the same rows.
            lookup_script(&c);
            let plain = c.aim.chat(&c.staff, "Search for customer Mark Huggins", None).await.unwrap();
            let streamed_rows = c.messages(output.conversation_id).await;
            let plain_rows = c.messages(plain.conversation_id).await;
            assert_eq!(streamed_rows.len(), 2);
            assert_eq!(streamed_rows[1].content, output.response_text);
            assert_eq!(
                streamed_rows.iter().map(comparable).collect::<Vec<_>>(),
                plain_rows.iter().map(comparable).collect::<Vec<_>>()
            );
            assert_eq!(
                (output.tools_used, output.model_used, output.usage),
                (plain.tools_used, plain.model_used, plain.usage)
            );
        }

        async fn a_proposed_write_is_reported_as_pending_before_the_turn_completes(t: TestDb) {
            let c = Chat::new(t).await;
            crate::actions::script_booking(&c).await;
            let (result, events) = streamed(&c, &c.staff, "Book Pepper for daycare in ten days").await;
            let output = result.unwrap();
            let n = events.len();
            match (&events[n - 2], &events[n - 1]) {
                (ChatEvent::ActionPending { action }, ChatEvent::Completed { .. }) => {
                    assert_eq!(action.status, ActionStatus::Pending);
                    assert_eq!(action, &output.pending_actions[0]);
                }
                other => panic!("{other:?}"),
            }
        }

        async fn a_stream_that_breaks_fails_the_turn_and_keeps_only_the_question(t: TestDb) {
            let c = Chat::new(t).await;
            c.model.push(Reply::text("Today is busy: 35 of 40 places are taken.").cut_after(4));
            let (result, events) = streamed(&c, &c.staff, "How's today looking?").await;
            assert!(matches!(result, Err(AimError::Model(_))), "{result:?}");
            let conversation = conversation_of(&events);
            assert!(!events.iter().any(|e| matches!(e, ChatEvent::Completed { .. })));
            let rows = c.messages(conversation).await;
            assert_eq!(rows.len(), 1, "no half-written answer");
            assert_eq!(rows[0].role, MessageRole::User);
        }

        async fn a_turn_stopped_mid_text_keeps_what_was_said_and_drops_the_model_call(t: TestDb) {
            let c = Chat::new(t).await;
            // The text, a ping and the first delta of "Let me …", then the model stalls; the
            // tool it was about to ask for never arrives.
            c.model.push(
                Reply::text_and_tool_use(
                    "Let me look him up.",
                    &[("toolu_1", "search_customer", json!({ "query": "Mark Huggins" }))],
                )
                .hold_after(4),
            );
            let mut stream = c.aim.chat_stream(&c.staff, "Search for customer Mark Huggins", None).await.unwrap();
            let before = until(&mut stream, |e| matches!(e, ChatEvent::TextDelta { .. })).await;
            let conversation = conversation_of(&before);
            assert!(c.aim.cancel_chat(&c.staff, conversation).await.unwrap(), "a turn was running");

            let (result, after) = rest_of(&mut stream).await;
            let output = result.unwrap().unwrap();
            assert!(output.cancelled);
            assert_eq!(output.response_text, "Let me");
            assert_eq!(text_of(&before), "Let me ", "what was shown is what is kept, trimmed");
            assert!(output.tools_used.is_empty());
            assert!(
                !after.iter().any(|e| matches!(e, ChatEvent::ToolCallStarted { .. })),
                "no tool starts after the stop: {after:?}"
            );
            let rows = c.messages(conversation).await;
            assert_eq!(rows.len(), 2);
            assert!(rows[1].cancelled && !rows[0].cancelled);
            assert_eq!(rows[1].content, "Let me");
            assert_eq!(rows[1].tool_calls, None);
            assert_eq!(rows[1].id, output.message_id);
            wait_for(|| c.model.held_streams_closed() == 1, "the model call to be dropped").await;
            assert_eq!(c.model.requests().len(), 1);
            assert!(!c.aim.cancel_chat(&c.staff, conversation).await.unwrap(), "nothing runs any more");

            // The conversation goes on, and the model is told the answer was stopped.
            c.model.push(Reply::text("Mark Huggins has two dogs."));
            let next = c.aim.chat(&c.staff, "Go on", Some(conversation)).await.unwrap();
            assert!(!next.cancelled);
            let history = &c.model.requests()[1].body["messages"];
            let replayed = history[1]["content"][0]["text"].as_str().unwrap();
            assert!(replayed.starts_with("Let me") && replayed.contains("stopped"), "{history}");
        }

        async fn a_turn_stopped_during_a_tool_lets_it_finish_and_asks_the_model_nothing_more(t: TestDb) {
            let c = Chat::new(t).await;
            lookup_script_first_round(&c);
            // Should the stop come after the tool, the next call stalls before any text.
            c.model.push(Reply::text("Mark Huggins has two dogs.").hold_after(1));
            let mut stream = c.aim.chat_stream(&c.staff, "Search for customer Mark Huggins", None).await.unwrap();
            let before = until(&mut stream, |e| matches!(e, ChatEvent::ToolCallStarted { .. })).await;
            let conversation = conversation_of(&before);
            assert!(c.aim.cancel_chat(&c.staff, conversation).await.unwrap());

            let (result, after) = rest_of(&mut stream).await;
            let output = result.unwrap().unwrap();
            assert!(output.cancelled);
            assert_eq!(output.response_text, "Let me look him up.");
            assert_eq!(output.tools_used, ["search_customer"], "the tool that had started finished");
            assert!(
                after.iter().any(|e| matches!(e, ChatEvent::ToolCallFinished { id, .. } if id == "toolu_1")),
                "{after:?}"
            );
            assert_eq!(text_of(&after), "", "no answer was written after the stop");
            let rows = c.messages(conversation).await;
            assert!(rows[1].cancelled);
            let calls = rows[1].tool_calls.as_ref().unwrap().0.as_array().unwrap().clone();
            assert_eq!(calls.len(), 1);
            assert_eq!(calls[0]["name"], "search_customer");
            assert!(calls[0]["output"]["customers"].is_array(), "{}", calls[0]);
            // Either the model was not asked again, or that call was dropped.
            let asked = c.model.requests().len();
            if asked == 2 {
                wait_for(|| c.model.held_streams_closed() == 1, "the model call to be dropped").await;
            } else {
                assert_eq!(asked, 1);
            }
        }

        async fn a_dropped_stream_stops_the_turn_and_the_answer_so_far_is_stored(t: TestDb) {
            let c = Chat::new(t).await;
            c.model.push(Reply::text("Today is busy: 35 of 40 places are taken.").hold_after(5));
            let mut stream = c.aim.chat_stream(&c.staff, "How's today looking?", None).await.unwrap();
            let before = until(&mut stream, |e| matches!(e, ChatEvent::TextDelta { text } if text == "s busy:")).await;
            let conversation = conversation_of(&before);
            drop(stream);

            wait_for(|| c.model.held_streams_closed() == 1, "the model call to be dropped").await;
            let mut rows = Vec::new();
            for _ in 0..200 {
                rows = c.messages(conversation).await;
                if rows.len() == 2 {
                    break;
                }
                tokio::time::sleep(Duration::from_millis(25)).await;
            }
            assert_eq!(rows.len(), 2, "the stopped answer is stored");
            assert!(rows[1].cancelled);
            assert_eq!(rows[1].content, "Today is busy:");
            assert_eq!(text_of(&before), "Today is busy:");
            assert!(!c.aim.cancel_chat(&c.staff, conversation).await.unwrap());
        }

        async fn only_the_owner_can_stop_a_turn(t: TestDb) {
            let c = Chat::new(t).await;
            c.model.push(Reply::text("Today is busy.").hold_after(3));
            let mut stream = c.aim.chat_stream(&c.staff, "How's today looking?", None).await.unwrap();
            let before = until(&mut stream, |e| matches!(e, ChatEvent::TextDelta { .. })).await;
            let conversation = conversation_of(&before);
            let refused = c.aim.cancel_chat(&c.manager, conversation).await.unwrap_err();
            assert!(matches!(refused, AimError::ConversationNotFound(_)), "{refused:?}");
            let unknown = c.aim.cancel_chat(&c.staff, ConversationId::new()).await.unwrap_err();
            assert!(matches!(unknown, AimError::ConversationNotFound(_)));
            assert!(c.aim.cancel_chat(&c.staff, conversation).await.unwrap());
            let (result, _) = rest_of(&mut stream).await;
            assert!(result.unwrap().unwrap().cancelled);
        }

        async fn a_plain_turn_can_be_stopped_too(t: TestDb) {
            let c = Chat::new(t).await;
            lookup_script_first_round(&c);
            c.model.push(Reply::text("Mark Huggins has two dogs.").delay(Duration::from_secs(30)));
            let aim = c.aim.clone();
            let staff = c.staff;
            let turn = tokio::spawn(async move { aim.chat(&staff, "Search for customer Mark Huggins", None).await });
            // The second model call (after the tool) waits 30 s: stop the turn while it does.
            wait_for(|| c.model.requests().len() == 2, "the second model call").await;
            let mut conn = c.t.db.conn().await.unwrap();
            let conversation = aim::db::aim::conversations_of(&mut conn, staff.staff_user_id, None, None, 1)
                .await
                .unwrap()[0]
                .id;
            drop(conn);
            assert!(c.aim.cancel_chat(&c.staff, conversation).await.unwrap());
            let output = tokio::time::timeout(Duration::from_secs(5), turn).await.unwrap().unwrap().unwrap();
            assert!(output.cancelled);
            assert_eq!(output.response_text, "Let me look him up.", "the text of the finished round");
            assert_eq!(output.tools_used, ["search_customer"]);
        }
    }
}
