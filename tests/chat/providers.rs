//! The Anthropic and OpenAI-compatible providers against fakes that speak their wire formats:
//! the exact requests, how answers and errors are read, and which failures are retried.

use std::sync::Arc;
use std::time::{Duration, Instant};

use aim::llm::anthropic::AnthropicProvider;
use aim::llm::openai::OpenAiProvider;
use aim::llm::{
    ChatRole, ContentBlock, LlmError, Message, Provider, Request, StopReason, SystemPrompt,
    ToolChoice, ToolDefinition, Usage,
};
use serde_json::{Value, json};

use crate::common::fake_model::{FakeAnthropic, FakeOpenAi, OpenAiReply, Reply};

fn tools() -> Arc<[ToolDefinition]> {
    Arc::from(vec![
        ToolDefinition {
            name: "search_customer",
            description: "Find customers by name, phone or email.".to_owned(),
            input_schema: json!({
                "type": "object",
                "properties": { "query": { "type": "string" } },
                "required": ["query"],
            }),
        },
        ToolDefinition {
            name: "get_today_summary",
            description: "Today's occupancy, arrivals and staff.".to_owned(),
            input_schema: json!({ "type": "object", "properties": {} }),
        },
    ])
}

/// A second round of a turn: the question, the model's two tool calls, and their results (one
/// failed), with tools forbidden so that the model answers in text.
fn second_round() -> Request {
    Request {
        system: SystemPrompt {
            stable: "You are AIM (AI Manager).".into(),
            context: "Today is 2026-11-25. 31 of 40 dogs on site.".into(),
        },
        messages: vec![
            Message::user_text("Find Mark Huggins and summarise today"),
            Message {
                role: ChatRole::Assistant,
                content: vec![
                    ContentBlock::text("Let me look."),
                    ContentBlock::ToolUse {
                        id: "toolu_1".into(),
                        name: "search_customer".into(),
                        input: json!({ "query": "Mark Huggins" }),
                    },
                    ContentBlock::ToolUse {
                        id: "toolu_2".into(),
                        name: "get_today_summary".into(),
                        input: json!({}),
                    },
                ],
            },
            Message {
                role: ChatRole::User,
                content: vec![
                    ContentBlock::ToolResult {
                        tool_use_id: "toolu_1".into(),
                        content: r#"{"customers":[{"name":"Mark Huggins"}]}"#.into(),
                        is_error: false,
                    },
                    ContentBlock::ToolResult {
                        tool_use_id: "toolu_2".into(),
                        content: "the database is busy".into(),
                        is_error: true,
                    },
                ],
            },
        ],
        tools: tools(),
        tool_choice: ToolChoice::None,
        max_tokens: 1024,
    }
}

fn question() -> Request {
    Request {
        system: SystemPrompt {
            stable: "You are AIM.".into(),
            context: String::new(),
        },
        messages: vec![Message::user_text("How's today looking?")],
        tools: tools(),
        tool_choice: ToolChoice::Auto,
        max_tokens: 512,
    }
}

fn anthropic(fake: &FakeAnthropic) -> AnthropicProvider {
    AnthropicProvider::new(fake.settings())
}

// ---------------------------------------------------------------------------------------------
// Anthropic: the request

#[tokio::test]
async fn anthropic_request_is_the_messages_api_with_cached_system_prompt_and_tools() {
    let fake = FakeAnthropic::start().await;
    fake.push(Reply::text("Mark is a regular; today is busy."));

    anthropic(&fake).complete(&second_round()).await.unwrap();

    let requests = fake.requests();
    assert_eq!(requests.len(), 1);
    let sent = &requests[0];
    assert_eq!(sent.method, "POST");
    assert_eq!(sent.path, "/v1/messages");
    assert_eq!(sent.header("x-api-key"), Some("test-key"));
    assert_eq!(sent.header("anthropic-version"), Some("2023-06-01"));
    assert_eq!(sent.header("content-type"), Some("application/json"));
    assert_eq!(
        sent.body,
        json!({
            "model": "claude-test",
            "max_tokens": 1024,
            "system": [
                {
                    "type": "text",
                    "text": "You are AIM (AI Manager).",
                    "cache_control": { "type": "ephemeral" },
                },
                { "type": "text", "text": "Today is 2026-11-25. 31 of 40 dogs on site." },
            ],
            "messages": [
                {
                    "role": "user",
                    "content": [{ "type": "text", "text": "Find Mark Huggins and summarise today" }],
                },
                {
                    "role": "assistant",
                    "content": [
                        { "type": "text", "text": "Let me look." },
                        {
                            "type": "tool_use",
                            "id": "toolu_1",
                            "name": "search_customer",
                            "input": { "query": "Mark Huggins" },
                        },
                        {
                            "type": "tool_use",
                            "id": "toolu_2",
                            "name": "get_today_summary",
                            "input": {},
                        },
                    ],
                },
                {
                    "role": "user",
                    "content": [
                        {
                            "type": "tool_result",
                            "tool_use_id": "toolu_1",
                            "content": r#"{"customers":[{"name":"Mark Huggins"}]}"#,
                        },
                        {
                            "type": "tool_result",
                            "tool_use_id": "toolu_2",
                            "content": "the database is busy",
                            "is_error": true,
                        },
                    ],
                },
            ],
            "tools": [
                {
                    "name": "search_customer",
                    "description": "Find customers by name, phone or email.",
                    "input_schema": {
                        "type": "object",
                        "properties": { "query": { "type": "string" } },
                        "required": ["query"],
                    },
                },
                {
                    "name": "get_today_summary",
                    "description": "Today's occupancy, arrivals and staff.",
                    "input_schema": { "type": "object", "properties": {} },
                    "cache_control": { "type": "ephemeral" },
                },
            ],
            "tool_choice": { "type": "none" },
        })
    );
}

#[tokio::test]
async fn anthropic_auto_tool_choice_and_empty_context_are_left_out() {
    let fake = FakeAnthropic::start().await;
    fake.push(Reply::text("Busy."));

    anthropic(&fake).complete(&question()).await.unwrap();

    let body = &fake.requests()[0].body;
    assert!(body.get("tool_choice").is_none(), "{body}");
    assert_eq!(
        body["system"],
        json!([{ "type": "text", "text": "You are AIM.", "cache_control": { "type": "ephemeral" } }])
    );
}

#[tokio::test]
async fn a_trailing_slash_in_the_base_url_does_not_double_the_path() {
    let fake = FakeAnthropic::start().await;
    fake.push(Reply::text("Hi"));
    let mut settings = fake.settings();
    settings.base_url.push('/');

    AnthropicProvider::new(settings)
        .complete(&question())
        .await
        .unwrap();

    assert_eq!(fake.requests()[0].path, "/v1/messages");
}

#[tokio::test]
async fn the_api_key_never_shows_in_debug_output() {
    let fake = FakeAnthropic::start().await;
    let provider = anthropic(&fake);
    let shown = format!("{:?} {provider:?}", fake.settings());
    assert!(!shown.contains("test-key"), "{shown}");
}

// ---------------------------------------------------------------------------------------------
// Anthropic: the answer

#[tokio::test]
async fn anthropic_text_tool_calls_and_usage_with_cache_tokens_are_read() {
    let fake = FakeAnthropic::start().await;
    fake.push(
        Reply::text_and_tool_use(
            "Looking him up.",
            &[(
                "toolu_9",
                "search_customer",
                json!({ "query": "mark hugins" }),
            )],
        )
        .usage(12, 34, 1500, 2500),
    );

    let response = anthropic(&fake).complete(&question()).await.unwrap();

    assert_eq!(response.id.as_deref(), Some("msg_fake_1"));
    assert_eq!(response.model, "claude-test");
    assert_eq!(response.stop_reason, StopReason::ToolUse);
    assert_eq!(
        response.content,
        vec![
            ContentBlock::text("Looking him up."),
            ContentBlock::ToolUse {
                id: "toolu_9".into(),
                name: "search_customer".into(),
                input: json!({ "query": "mark hugins" }),
            },
        ]
    );
    let calls: Vec<_> = response
        .tool_uses()
        .map(|(id, name, _)| (id, name))
        .collect();
    assert_eq!(calls, [("toolu_9", "search_customer")]);
    assert_eq!(
        response.usage,
        Usage {
            input_tokens: 12,
            output_tokens: 34,
            cache_creation_input_tokens: 1500,
            cache_read_input_tokens: 2500,
        }
    );
}

#[tokio::test]
async fn anthropic_thinking_blocks_are_skipped_and_missing_cache_usage_is_zero() {
    let fake = FakeAnthropic::start().await;
    fake.push(Reply::message(json!({
        "id": "msg_01",
        "type": "message",
        "role": "assistant",
        "model": "claude-sonnet-5-5-20261001",
        "content": [
            { "type": "thinking", "thinking": "Check occupancy first.", "signature": "c2ln" },
            { "type": "text", "text": "31 of 40 dogs are on site." },
        ],
        "stop_reason": "end_turn",
        "usage": { "input_tokens": 7, "output_tokens": 9 },
    })));

    let response = anthropic(&fake).complete(&question()).await.unwrap();

    assert_eq!(response.model, "claude-sonnet-5-5-20261001");
    assert_eq!(response.stop_reason, StopReason::EndTurn);
    assert_eq!(
        response.content,
        vec![ContentBlock::text("31 of 40 dogs are on site.")]
    );
    assert_eq!(
        response.usage,
        Usage {
            input_tokens: 7,
            output_tokens: 9,
            ..Usage::default()
        }
    );
}

#[tokio::test]
async fn a_200_that_is_not_a_message_is_malformed_with_its_request_id() {
    let fake = FakeAnthropic::start().await;
    fake.push(Reply::raw(200, r#"{"id": "msg_1", "content": ["#));

    let error = anthropic(&fake).complete(&question()).await.unwrap_err();

    assert!(
        matches!(&error, LlmError::Malformed { request_id: Some(id), .. } if id == "req_fake_1"),
        "{error:?}"
    );
    assert_eq!(
        fake.requests().len(),
        1,
        "a malformed answer is not retried"
    );
    assert!(error.user_message().contains("could not read"));
}

// ---------------------------------------------------------------------------------------------
// Anthropic: errors and retries

#[tokio::test]
async fn overloaded_529_is_retried_and_the_second_answer_is_used() {
    let fake = FakeAnthropic::start().await;
    fake.push(Reply::error(529, "overloaded_error", "Overloaded"));
    fake.push(Reply::text("Here you go."));

    let response = anthropic(&fake).complete(&question()).await.unwrap();

    assert_eq!(response.content, vec![ContentBlock::text("Here you go.")]);
    assert_eq!(fake.requests().len(), 2);
}

#[tokio::test]
async fn rate_limited_429_waits_as_long_as_retry_after_asks() {
    let fake = FakeAnthropic::start().await;
    fake.push(
        Reply::error(
            429,
            "rate_limit_error",
            "Number of requests has exceeded your rate limit",
        )
        .header("retry-after", "1"),
    );
    fake.push(Reply::text("Done."));
    let started = Instant::now();

    anthropic(&fake).complete(&question()).await.unwrap();

    assert!(
        started.elapsed() >= Duration::from_secs(1),
        "retried after {:?}, sooner than retry-after asked",
        started.elapsed()
    );
    assert_eq!(fake.requests().len(), 2);
}

#[tokio::test]
async fn bad_request_400_is_not_retried_and_says_what_and_which_request() {
    let fake = FakeAnthropic::start().await;
    fake.push(Reply::error(
        400,
        "invalid_request_error",
        "messages: roles must alternate between \"user\" and \"assistant\"",
    ));

    let error = anthropic(&fake).complete(&question()).await.unwrap_err();

    assert_eq!(fake.requests().len(), 1);
    match &error {
        LlmError::Api {
            provider,
            status,
            kind,
            message,
            request_id,
        } => {
            assert_eq!(*provider, "Anthropic");
            assert_eq!(*status, 400);
            assert_eq!(kind, "invalid_request_error");
            assert!(message.contains("roles must alternate"), "{message}");
            assert_eq!(request_id.as_deref(), Some("req_fake_1"));
        }
        other => panic!("expected an API error, got {other:?}"),
    }
    assert_eq!(error.code(), "model_error");
    let shown = error.user_message();
    assert!(shown.contains("refused the request"), "{shown}");
    assert!(shown.contains("(reference req_fake_1)"), "{shown}");
    assert!(!shown.contains("alternate"), "internals stay out: {shown}");
}

#[tokio::test]
async fn server_error_500_three_times_fails_after_exactly_three_requests() {
    let fake = FakeAnthropic::start().await;
    for _ in 0..3 {
        fake.push(Reply::error(500, "api_error", "Internal server error"));
    }
    fake.push(Reply::text("never reached"));

    let error = anthropic(&fake).complete(&question()).await.unwrap_err();

    assert_eq!(fake.requests().len(), 3);
    assert!(
        matches!(&error, LlmError::Api { status: 500, request_id: Some(id), .. } if id == "req_fake_3"),
        "the last attempt's error: {error:?}"
    );
    assert_eq!(error.code(), "model_unavailable");
}

#[tokio::test]
async fn should_retry_false_on_a_500_is_not_retried() {
    let fake = FakeAnthropic::start().await;
    fake.push(
        Reply::error(500, "api_error", "Internal server error").header("x-should-retry", "false"),
    );
    fake.push(Reply::text("never reached"));

    let error = anthropic(&fake).complete(&question()).await.unwrap_err();

    assert_eq!(fake.requests().len(), 1);
    assert!(
        matches!(error, LlmError::Api { status: 500, .. }),
        "{error:?}"
    );
}

#[tokio::test]
async fn should_retry_true_on_a_400_is_retried() {
    let fake = FakeAnthropic::start().await;
    fake.push(
        Reply::error(400, "invalid_request_error", "try again").header("x-should-retry", "true"),
    );
    fake.push(Reply::text("Fine now."));

    anthropic(&fake).complete(&question()).await.unwrap();

    assert_eq!(fake.requests().len(), 2);
}

#[tokio::test]
async fn a_model_slower_than_the_timeout_fails_as_a_timeout_after_retries() {
    let fake = FakeAnthropic::start().await;
    for _ in 0..3 {
        fake.push(Reply::text("too late").delay(Duration::from_secs(2)));
    }
    let mut settings = fake.settings();
    settings.timeout = Duration::from_millis(300);

    let error = AnthropicProvider::new(settings)
        .complete(&question())
        .await
        .unwrap_err();

    assert!(
        matches!(
            error,
            LlmError::Timeout {
                provider: "Anthropic",
                seconds: 1
            }
        ),
        "{error:?}"
    );
    assert_eq!(fake.requests().len(), 3, "timeouts are retried");
    assert_eq!(error.code(), "model_timeout");
}

#[tokio::test]
async fn an_unreachable_model_is_a_connection_error() {
    let fake = FakeAnthropic::start().await;
    let mut settings = fake.settings();
    settings.base_url = format!("http://127.0.0.1:{}", closed_port().await);

    let error = AnthropicProvider::new(settings)
        .complete(&question())
        .await
        .unwrap_err();

    match &error {
        LlmError::Connection { provider, message } => {
            assert_eq!(*provider, "Anthropic");
            assert!(message.to_lowercase().contains("refused"), "{message}");
        }
        other => panic!("expected a connection error, got {other:?}"),
    }
    assert_eq!(error.code(), "model_unavailable");
}

#[tokio::test]
async fn an_exhausted_script_fails_loudly_without_retries() {
    let fake = FakeAnthropic::start().await;

    let error = anthropic(&fake).complete(&question()).await.unwrap_err();

    assert_eq!(fake.requests().len(), 1);
    assert!(
        error.to_string().contains("no scripted reply left"),
        "{error}"
    );
}

/// A loopback port nothing listens on.
async fn closed_port() -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    listener.local_addr().unwrap().port()
}

// ---------------------------------------------------------------------------------------------
// OpenAI-compatible

fn openai(fake: &FakeOpenAi) -> OpenAiProvider {
    OpenAiProvider::new(fake.settings())
}

#[tokio::test]
async fn openai_request_translates_system_tool_calls_results_and_tools() {
    let fake = FakeOpenAi::start().await;
    fake.push(OpenAiReply::text("Mark is a regular; today is busy."));

    openai(&fake).complete(&second_round()).await.unwrap();

    let requests = fake.requests();
    assert_eq!(requests.len(), 1);
    let sent = &requests[0];
    assert_eq!(sent.method, "POST");
    assert_eq!(sent.path, "/v1/chat/completions");
    assert_eq!(sent.header("authorization"), Some("Bearer test-key"));
    assert_eq!(sent.header("content-type"), Some("application/json"));
    assert_eq!(
        sent.body,
        json!({
            "model": "claude-test",
            "messages": [
                {
                    "role": "system",
                    "content": "You are AIM (AI Manager).\n\nToday is 2026-11-25. 31 of 40 dogs on site.",
                },
                { "role": "user", "content": "Find Mark Huggins and summarise today" },
                {
                    "role": "assistant",
                    "content": "Let me look.",
                    "tool_calls": [
                        {
                            "id": "toolu_1",
                            "type": "function",
                            "function": {
                                "name": "search_customer",
                                "arguments": r#"{"query":"Mark Huggins"}"#,
                            },
                        },
                        {
                            "id": "toolu_2",
                            "type": "function",
                            "function": { "name": "get_today_summary", "arguments": "{}" },
                        },
                    ],
                },
                {
                    "role": "tool",
                    "tool_call_id": "toolu_1",
                    "content": r#"{"customers":[{"name":"Mark Huggins"}]}"#,
                },
                {
                    "role": "tool",
                    "tool_call_id": "toolu_2",
                    "content": "Error: the database is busy",
                },
            ],
            "tools": [
                {
                    "type": "function",
                    "function": {
                        "name": "search_customer",
                        "description": "Find customers by name, phone or email.",
                        "parameters": {
                            "type": "object",
                            "properties": { "query": { "type": "string" } },
                            "required": ["query"],
                        },
                    },
                },
                {
                    "type": "function",
                    "function": {
                        "name": "get_today_summary",
                        "description": "Today's occupancy, arrivals and staff.",
                        "parameters": { "type": "object", "properties": {} },
                    },
                },
            ],
            "tool_choice": "none",
            "max_tokens": 1024,
        })
    );
}

#[tokio::test]
async fn openai_without_a_key_sends_no_authorization() {
    let fake = FakeOpenAi::start().await;
    fake.push(OpenAiReply::text("Hi"));
    let mut settings = fake.settings();
    settings.api_key = None;

    OpenAiProvider::new(settings)
        .complete(&question())
        .await
        .unwrap();

    let sent = &fake.requests()[0];
    assert_eq!(sent.header("authorization"), None);
    assert!(
        sent.body.get("tool_choice").is_none(),
        "auto is the default"
    );
}

#[tokio::test]
async fn openai_tool_calls_are_read_and_bad_arguments_kept_as_text() {
    let fake = FakeOpenAi::start().await;
    fake.push(OpenAiReply::message(json!({
        "id": "chatcmpl-1",
        "object": "chat.completion",
        "model": "llama3.1:8b",
        "choices": [{
            "index": 0,
            "message": {
                "role": "assistant",
                "content": null,
                "tool_calls": [
                    {
                        "id": "call_a",
                        "type": "function",
                        "function": { "name": "search_customer", "arguments": "{\"query\": \"Mark\"}" },
                    },
                    {
                        "id": "call_b",
                        "type": "function",
                        "function": { "name": "search_dog", "arguments": "{query: Biscuit" },
                    },
                ],
            },
            "finish_reason": "tool_calls",
        }],
    })));

    let response = openai(&fake).complete(&question()).await.unwrap();

    assert_eq!(response.id.as_deref(), Some("chatcmpl-1"));
    assert_eq!(response.model, "llama3.1:8b");
    assert_eq!(response.stop_reason, StopReason::ToolUse);
    assert_eq!(
        response.content,
        vec![
            ContentBlock::ToolUse {
                id: "call_a".into(),
                name: "search_customer".into(),
                input: json!({ "query": "Mark" }),
            },
            ContentBlock::ToolUse {
                id: "call_b".into(),
                name: "search_dog".into(),
                input: Value::String("{query: Biscuit".into()),
            },
        ]
    );
}

#[tokio::test]
async fn openai_scripted_tool_calls_and_text_round_trip() {
    let fake = FakeOpenAi::start().await;
    fake.push(OpenAiReply::tool_calls(&[(
        "call_1",
        "get_today_summary",
        json!({}),
    )]));
    fake.push(OpenAiReply::text("31 dogs on site."));
    let provider = openai(&fake);

    let first = provider.complete(&question()).await.unwrap();
    let second = provider.complete(&question()).await.unwrap();

    assert_eq!(first.id.as_deref(), Some("chatcmpl-fake-1"));
    assert_eq!(
        first.model, "claude-test",
        "the fake answers as the model asked for"
    );
    assert_eq!(
        first
            .tool_uses()
            .map(|(id, name, input)| (id, name, input.clone()))
            .collect::<Vec<_>>(),
        [("call_1", "get_today_summary", json!({}))]
    );
    assert_eq!(second.stop_reason, StopReason::EndTurn);
    assert_eq!(second.content, vec![ContentBlock::text("31 dogs on site.")]);
}

#[tokio::test]
async fn openai_usage_counts_cached_prompt_tokens_apart() {
    let fake = FakeOpenAi::start().await;
    fake.push(OpenAiReply::text("Busy day.").usage(3000, 40, 2048));

    let response = openai(&fake).complete(&question()).await.unwrap();

    assert_eq!(
        response.usage,
        Usage {
            input_tokens: 952,
            output_tokens: 40,
            cache_creation_input_tokens: 0,
            cache_read_input_tokens: 2048,
        }
    );
}

#[tokio::test]
async fn openai_503_is_retried_and_the_second_answer_is_used() {
    let fake = FakeOpenAi::start().await;
    fake.push(OpenAiReply::error(503, "The server is overloaded"));
    fake.push(OpenAiReply::text("Back again."));

    let response = openai(&fake).complete(&question()).await.unwrap();

    assert_eq!(response.content, vec![ContentBlock::text("Back again.")]);
    assert_eq!(fake.requests().len(), 2);
}

#[tokio::test]
async fn openai_401_is_not_retried_and_asks_for_an_administrator() {
    let fake = FakeOpenAi::start().await;
    fake.push(OpenAiReply::error(401, "Incorrect API key provided"));

    let error = openai(&fake).complete(&question()).await.unwrap_err();

    assert_eq!(fake.requests().len(), 1);
    match &error {
        LlmError::Api {
            provider,
            status,
            kind,
            message,
            request_id,
        } => {
            assert_eq!(*provider, "OpenAI-compatible server");
            assert_eq!(*status, 401);
            assert_eq!(kind, "authentication_error");
            assert_eq!(message, "Incorrect API key provided");
            assert_eq!(request_id.as_deref(), Some("req_fake_1"));
        }
        other => panic!("expected an API error, got {other:?}"),
    }
    assert!(error.user_message().contains("administrator"));
}

#[tokio::test]
async fn openai_error_without_a_json_body_still_reads() {
    let fake = FakeOpenAi::start().await;
    fake.push(OpenAiReply::raw(404, "<html>404 page not found</html>"));

    let error = openai(&fake).complete(&question()).await.unwrap_err();

    assert!(
        matches!(&error, LlmError::Api { status: 404, kind, message, .. }
            if kind == "http_404" && message.contains("page not found")),
        "{error:?}"
    );
}
