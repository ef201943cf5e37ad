//! Streamed model answers: the Anthropic provider against the fake's real event-stream format
//! (text and tool inputs in deltas, pings, error events, a stream broken off), and providers that
//! cannot stream reporting their text whole.

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
async fn a_provider_that_cannot_stream_reports_its_text_whole() {
    let fake = FakeOpenAi::start().await;
    fake.push(OpenAiReply::text("Mark Huggins: (555) 014-2387."));
    let provider = OpenAiProvider::new(fake.settings());

    let (response, deltas) = stream(&provider, &question()).await;

    assert_eq!(
        response.unwrap().content,
        [ContentBlock::text("Mark Huggins: (555) 014-2387.")]
    );
    assert_eq!(deltas, ["Mark Huggins: (555) 014-2387."]);
}
