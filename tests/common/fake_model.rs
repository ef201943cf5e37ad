//! Fake model providers: in-process servers on a free loopback port that speak the real wire
//! formats (the Anthropic Messages API and OpenAI chat completions), answer from a script of
//! replies in order, and record every request they get. The model is never called in tests.
//!
//! A request with `"stream": true` gets its scripted answer as the API streams it: for
//! Anthropic, server-sent events with the text and tool inputs in several deltas and a `ping`
//! among them; for chat completions, chunks with the text and tool arguments in pieces, the
//! usage, and `[DONE]`; [`Reply::cut_after`] breaks such a stream off, [`Reply::hold_after`] stalls it
//! (pings only) until the client goes away, [`Reply::sse`] scripts one by hand.
//!
//! When the script runs out the fake answers 500 "fake model: no scripted reply left" with
//! `x-should-retry: false`, so an unexpected call fails the test at once instead of retrying.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aim::config::Secret;
use aim::llm::anthropic::AnthropicSettings;
use aim::llm::openai::OpenAiSettings;
use aim::llm::retry::RetryPolicy;
use axum::Router;
use axum::body::Bytes;
use axum::extract::State;
use axum::http::{HeaderMap, HeaderName, HeaderValue, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

pub const TEST_KEY: &str = "test-key";
pub const TEST_MODEL: &str = "claude-test";

/// Retries as the real policy does them, but in milliseconds.
pub fn fast_retries() -> RetryPolicy {
    RetryPolicy {
        max_retries: 2,
        initial_backoff: Duration::from_millis(10),
        max_backoff: Duration::from_millis(50),
        max_retry_after: Duration::from_secs(60),
    }
}

/// One request as a fake received it.
#[derive(Clone, Debug)]
pub struct Recorded {
    pub method: Method,
    pub path: String,
    pub headers: HeaderMap,
    /// The body as JSON; a body that is not JSON is kept as a string.
    pub body: Value,
}

impl Recorded {
    /// The value of header `name`, when sent as text.
    pub fn header(&self, name: &str) -> Option<&str> {
        self.headers.get(name).and_then(|v| v.to_str().ok())
    }
}

/// A scripted answer, common to both wire formats.
#[derive(Clone, Debug)]
struct Scripted {
    status: u16,
    body: Body,
    headers: Vec<(String, String)>,
    delay: Option<Duration>,
    /// When streamed: only this many events, then the connection ends.
    cut_after: Option<usize>,
    /// When streamed: only this many events, then pings until the client closes the stream.
    hold_after: Option<usize>,
}

#[derive(Clone, Debug)]
enum Body {
    Json {
        value: Value,
        fill: Fill,
    },
    Raw(String),
    /// Server-sent events, as they are.
    Sse(String),
}

/// What the fake fills into a JSON reply when it serves it, unless the script set it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Fill {
    Nothing,
    /// `id` (`msg_fake_N`) and `model` (the request's).
    Identity,
    /// `request_id` (`req_fake_N`), as in Anthropic error bodies.
    RequestId,
}

impl Scripted {
    fn json(status: u16, value: Value, fill: Fill) -> Self {
        Scripted {
            status,
            body: Body::Json { value, fill },
            headers: Vec::new(),
            delay: None,
            cut_after: None,
            hold_after: None,
        }
    }

    fn raw(status: u16, body: &str) -> Self {
        Scripted {
            status,
            body: Body::Raw(body.to_owned()),
            headers: Vec::new(),
            delay: None,
            cut_after: None,
            hold_after: None,
        }
    }

    fn header(mut self, name: &str, value: &str) -> Self {
        self.headers.push((name.to_owned(), value.to_owned()));
        self
    }

    fn json_mut(&mut self) -> &mut Value {
        match &mut self.body {
            Body::Json { value, .. } => value,
            Body::Raw(_) | Body::Sse(_) => panic!("usage can only be set on a JSON reply"),
        }
    }
}

/// The two dialects a fake can speak.
#[derive(Clone, Copy, Debug)]
enum Dialect {
    Anthropic,
    OpenAi,
}

impl Dialect {
    fn path(self) -> &'static str {
        match self {
            Dialect::Anthropic => "/v1/messages",
            Dialect::OpenAi => "/v1/chat/completions",
        }
    }

    fn request_id_header(self) -> &'static str {
        match self {
            Dialect::Anthropic => "request-id",
            Dialect::OpenAi => "x-request-id",
        }
    }

    fn response_id(self, n: usize) -> String {
        match self {
            Dialect::Anthropic => format!("msg_fake_{n}"),
            Dialect::OpenAi => format!("chatcmpl-fake-{n}"),
        }
    }

    fn error_body(self, kind: &str, message: &str, n: usize) -> Value {
        match self {
            Dialect::Anthropic => json!({
                "type": "error",
                "error": { "type": kind, "message": message },
                "request_id": format!("req_fake_{n}"),
            }),
            Dialect::OpenAi => json!({
                "error": { "message": message, "type": kind, "param": null, "code": null },
            }),
        }
    }
}

struct Shared {
    dialect: Dialect,
    replies: VecDeque<Scripted>,
    requests: Vec<Recorded>,
    /// Held streams whose client went away.
    held_closed: usize,
}

/// The running server behind either fake; stops when dropped.
struct FakeServer {
    base: String,
    shared: Arc<Mutex<Shared>>,
    _server: super::fake_server::FakeServer,
}

impl FakeServer {
    async fn start(dialect: Dialect) -> FakeServer {
        let shared = Arc::new(Mutex::new(Shared {
            dialect,
            replies: VecDeque::new(),
            requests: Vec::new(),
            held_closed: 0,
        }));
        let app = Router::new().fallback(answer).with_state(shared.clone());
        let server = super::fake_server::FakeServer::start(app, "fake model server").await;
        FakeServer {
            base: server.base_url(),
            shared,
            _server: server,
        }
    }

    fn push(&self, reply: Scripted) {
        self.shared.lock().unwrap().replies.push_back(reply);
    }

    fn requests(&self) -> Vec<Recorded> {
        self.shared.lock().unwrap().requests.clone()
    }

    fn held_closed(&self) -> usize {
        self.shared.lock().unwrap().held_closed
    }
}

/// Counts a held stream as closed when the server drops it (its client went away).
struct Held(Arc<Mutex<Shared>>);

impl Drop for Held {
    fn drop(&mut self) {
        self.0.lock().unwrap().held_closed += 1;
    }
}

/// `events`, then a `ping` every 50 ms for as long as the client listens.
fn held_stream(events: Vec<String>, shared: Arc<Mutex<Shared>>) -> axum::body::Body {
    use futures::StreamExt;
    let pings = futures::stream::unfold(Held(shared), |held| async move {
        tokio::time::sleep(Duration::from_millis(50)).await;
        Some((
            "event: ping\ndata: {\"type\": \"ping\"}\n\n".to_owned(),
            held,
        ))
    });
    let body = futures::stream::iter(events)
        .chain(pings)
        .map(Ok::<_, std::convert::Infallible>);
    axum::body::Body::from_stream(body)
}

async fn answer(
    State(shared): State<Arc<Mutex<Shared>>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    body: Bytes,
) -> Response {
    let body = serde_json::from_slice(&body)
        .unwrap_or_else(|_| Value::String(String::from_utf8_lossy(&body).into_owned()));
    let model = body.get("model").cloned().unwrap_or(Value::Null);
    let streamed = body.get("stream") == Some(&Value::Bool(true));
    let right_route = method == Method::POST;
    let (dialect, n, reply) = {
        let mut shared = shared.lock().unwrap();
        let dialect = shared.dialect;
        let right_route = right_route && uri.path() == dialect.path();
        shared.requests.push(Recorded {
            method,
            path: uri.path().to_owned(),
            headers,
            body,
        });
        let n = shared.requests.len();
        // A request to the wrong place keeps the script for the right one.
        let reply = if right_route {
            shared.replies.pop_front()
        } else {
            Some(Scripted::json(
                404,
                dialect.error_body(
                    "not_found_error",
                    &format!("fake model: only POST {} is served", dialect.path()),
                    n,
                ),
                Fill::Nothing,
            ))
        };
        (dialect, n, reply)
    };
    let reply = reply.unwrap_or_else(|| {
        Scripted::json(
            500,
            dialect.error_body("api_error", "fake model: no scripted reply left", n),
            Fill::Nothing,
        )
        .header("x-should-retry", "false")
    });
    if let Some(delay) = reply.delay {
        tokio::time::sleep(delay).await;
    }
    let mut held = None;
    let (content, body) = match reply.body {
        Body::Json { mut value, fill } => {
            if let Some(object) = value.as_object_mut() {
                match fill {
                    Fill::Nothing => {}
                    Fill::Identity => {
                        object
                            .entry("id")
                            .or_insert_with(|| dialect.response_id(n).into());
                        object.entry("model").or_insert(model);
                    }
                    Fill::RequestId => {
                        object
                            .entry("request_id")
                            .or_insert_with(|| format!("req_fake_{n}").into());
                    }
                }
            }
            if streamed && reply.status == 200 {
                let events = match dialect {
                    Dialect::Anthropic => sse_of(&value),
                    Dialect::OpenAi => chunks_of(&value),
                };
                if let Some(n) = reply.hold_after {
                    held = Some(events.into_iter().take(n).collect::<Vec<_>>());
                    ("text/event-stream", String::new())
                } else {
                    let n = reply.cut_after.unwrap_or(usize::MAX);
                    ("text/event-stream", events.into_iter().take(n).collect())
                }
            } else {
                ("application/json", value.to_string())
            }
        }
        Body::Raw(text) => ("application/json", text),
        Body::Sse(text) => ("text/event-stream", text),
    };
    let status = StatusCode::from_u16(reply.status).expect("scripted status");
    let mut response = match held {
        Some(events) => (
            status,
            [(header::CONTENT_TYPE, content)],
            held_stream(events, shared),
        )
            .into_response(),
        None => (status, [(header::CONTENT_TYPE, content)], body).into_response(),
    };
    let out = response.headers_mut();
    out.insert(
        dialect.request_id_header(),
        HeaderValue::from_str(&format!("req_fake_{n}")).unwrap(),
    );
    for (name, value) in reply.headers {
        out.insert(
            HeaderName::try_from(name).expect("scripted header name"),
            HeaderValue::from_str(&value).expect("scripted header value"),
        );
    }
    response
}

/// `message` as the Messages API streams it: `message_start`, each block started, written in
/// deltas of a few characters (a `ping` after the first) and stopped, then `message_delta` with
/// the stop reason and output tokens, and `message_stop`; each event as written on the wire.
fn sse_of(message: &Value) -> Vec<String> {
    let mut events: Vec<(&str, Value)> = Vec::new();
    let mut start = message.clone();
    start["content"] = json!([]);
    start["stop_reason"] = Value::Null;
    let usage = message.get("usage").cloned().unwrap_or(json!({}));
    start["usage"] = json!({
        "input_tokens": usage["input_tokens"],
        "cache_creation_input_tokens": usage["cache_creation_input_tokens"],
        "cache_read_input_tokens": usage["cache_read_input_tokens"],
        "output_tokens": 1,
    });
    events.push((
        "message_start",
        json!({ "type": "message_start", "message": start }),
    ));
    let pieces = |text: &str| -> Vec<String> {
        let chars: Vec<char> = text.chars().collect();
        chars.chunks(7).map(|c| c.iter().collect()).collect()
    };
    let blocks = message["content"].as_array().cloned().unwrap_or_default();
    for (index, block) in blocks.iter().enumerate() {
        let (started, deltas): (Value, Vec<Value>) = match block["type"].as_str() {
            Some("text") => (
                json!({ "type": "text", "text": "" }),
                pieces(block["text"].as_str().unwrap_or(""))
                    .into_iter()
                    .map(|text| json!({ "type": "text_delta", "text": text }))
                    .collect(),
            ),
            Some("tool_use") => (
                json!({ "type": "tool_use", "id": block["id"], "name": block["name"], "input": {} }),
                pieces(&block["input"].to_string())
                    .into_iter()
                    .map(|json| json!({ "type": "input_json_delta", "partial_json": json }))
                    .collect(),
            ),
            _ => (block.clone(), Vec::new()),
        };
        events.push((
            "content_block_start",
            json!({ "type": "content_block_start", "index": index, "content_block": started }),
        ));
        for (n, delta) in deltas.into_iter().enumerate() {
            events.push((
                "content_block_delta",
                json!({ "type": "content_block_delta", "index": index, "delta": delta }),
            ));
            if n == 0 {
                events.push(("ping", json!({ "type": "ping" })));
            }
        }
        events.push((
            "content_block_stop",
            json!({ "type": "content_block_stop", "index": index }),
        ));
    }
    events.push((
        "message_delta",
        json!({
            "type": "message_delta",
            "delta": { "stop_reason": message["stop_reason"], "stop_sequence": null },
            "usage": { "output_tokens": usage["output_tokens"] },
        }),
    ));
    events.push(("message_stop", json!({ "type": "message_stop" })));
    events
        .into_iter()
        .map(|(name, data)| format!("event: {name}\ndata: {data}\n\n"))
        .collect()
}

/// `completion` as chat completions stream it: a chunk with the role, the text in chunks of a
/// few characters, each tool call started with its id and name then its arguments in pieces,
/// a chunk with the finish reason, one with the usage (when the reply has any), and
/// `data: [DONE]`; each event as written on the wire.
fn chunks_of(completion: &Value) -> Vec<String> {
    let chunk = |choices: Value| {
        json!({
            "id": completion["id"],
            "object": "chat.completion.chunk",
            "created": 1_700_000_000,
            "model": completion["model"],
            "choices": choices,
        })
    };
    let delta =
        |delta: Value| chunk(json!([{ "index": 0, "delta": delta, "finish_reason": null }]));
    let pieces = |text: &str| -> Vec<String> {
        let chars: Vec<char> = text.chars().collect();
        chars.chunks(7).map(|c| c.iter().collect()).collect()
    };
    let choice = &completion["choices"][0];
    let message = &choice["message"];
    let mut chunks = vec![delta(json!({ "role": "assistant", "content": "" }))];
    for text in pieces(message["content"].as_str().unwrap_or("")) {
        chunks.push(delta(json!({ "content": text })));
    }
    for (index, call) in message["tool_calls"]
        .as_array()
        .into_iter()
        .flatten()
        .enumerate()
    {
        chunks.push(delta(json!({ "tool_calls": [{
            "index": index, "id": call["id"], "type": "function",
            "function": { "name": call["function"]["name"], "arguments": "" },
        }] })));
        for arguments in pieces(call["function"]["arguments"].as_str().unwrap_or("")) {
            chunks.push(delta(json!({ "tool_calls": [{
                "index": index, "function": { "arguments": arguments },
            }] })));
        }
    }
    chunks.push(chunk(
        json!([{ "index": 0, "delta": {}, "finish_reason": choice["finish_reason"] }]),
    ));
    if completion.get("usage").is_some() {
        let mut last = chunk(json!([]));
        last["usage"] = completion["usage"].clone();
        chunks.push(last);
    }
    chunks
        .into_iter()
        .map(|chunk| format!("data: {chunk}\n\n"))
        .chain(["data: [DONE]\n\n".to_owned()])
        .collect()
}

/// A fake Anthropic Messages API.
pub struct FakeAnthropic {
    /// The API root to configure as `ANTHROPIC_BASE_URL`.
    pub base_url: String,
    server: FakeServer,
}

impl FakeAnthropic {
    pub async fn start() -> FakeAnthropic {
        let server = FakeServer::start(Dialect::Anthropic).await;
        FakeAnthropic {
            base_url: server.base.clone(),
            server,
        }
    }

    /// Adds a reply to the script; replies are served in order.
    pub fn push(&self, reply: Reply) {
        self.server.push(reply.0);
    }

    /// Every request received so far, oldest first.
    pub fn requests(&self) -> Vec<Recorded> {
        self.server.requests()
    }

    /// Streams of [`Reply::hold_after`] replies whose client went away.
    pub fn held_streams_closed(&self) -> usize {
        self.server.held_closed()
    }

    /// Settings pointing at this fake: key `test-key`, model `claude-test`, retries in
    /// milliseconds, 2 s timeout.
    pub fn settings(&self) -> AnthropicSettings {
        AnthropicSettings {
            base_url: self.base_url.clone(),
            api_key: Secret::new(TEST_KEY),
            model: TEST_MODEL.to_owned(),
            connect_timeout: Duration::from_secs(1),
            timeout: Duration::from_secs(2),
            retry: fast_retries(),
        }
    }
}

/// A scripted answer of the fake Anthropic API.
#[derive(Clone, Debug)]
pub struct Reply(Scripted);

impl Reply {
    /// 200: one text block, `stop_reason: end_turn`.
    pub fn text(text: &str) -> Reply {
        Reply::content(vec![json!({ "type": "text", "text": text })], "end_turn")
    }

    /// 200: `tool_use` blocks of `(id, name, input)`, `stop_reason: tool_use`.
    pub fn tool_use(calls: &[(&str, &str, Value)]) -> Reply {
        Reply::content(tool_use_blocks(calls), "tool_use")
    }

    /// 200: a text block, then `tool_use` blocks, `stop_reason: tool_use`.
    pub fn text_and_tool_use(text: &str, calls: &[(&str, &str, Value)]) -> Reply {
        let mut content = vec![json!({ "type": "text", "text": text })];
        content.extend(tool_use_blocks(calls));
        Reply::content(content, "tool_use")
    }

    /// 200 with exactly `body`.
    pub fn message(body: Value) -> Reply {
        Reply(Scripted::json(200, body, Fill::Nothing))
    }

    /// An Anthropic error body (`{"type":"error","error":{"type":kind,"message":…},
    /// "request_id":"req_fake_N"}`), with the `request-id: req_fake_N` header every answer
    /// carries.
    pub fn error(status: u16, kind: &str, message: &str) -> Reply {
        let body = json!({
            "type": "error",
            "error": { "type": kind, "message": message },
        });
        Reply(Scripted::json(status, body, Fill::RequestId))
    }

    /// `body` as it is, e.g. JSON cut short.
    pub fn raw(status: u16, body: &str) -> Reply {
        Reply(Scripted::raw(status, body))
    }

    /// 200 with `events` as the event stream, as they are.
    pub fn sse(events: &str) -> Reply {
        let mut scripted = Scripted::raw(200, "");
        scripted.body = Body::Sse(events.to_owned());
        Reply(scripted)
    }

    /// This reply, when streamed, broken off after its first `n` events.
    pub fn cut_after(mut self, n: usize) -> Reply {
        self.0.cut_after = Some(n);
        self
    }

    /// This reply, when streamed, stalled after its first `n` events: pings follow until the
    /// client closes the stream (a model still thinking).
    pub fn hold_after(mut self, n: usize) -> Reply {
        self.0.hold_after = Some(n);
        self
    }

    /// This reply with header `name` (e.g. `retry-after`).
    pub fn header(self, name: &str, value: &str) -> Reply {
        Reply(self.0.header(name, value))
    }

    /// This reply, given only after `d` (a slow provider).
    pub fn delay(mut self, d: Duration) -> Reply {
        self.0.delay = Some(d);
        self
    }

    /// This reply reporting the given token usage.
    pub fn usage(mut self, input: u64, output: u64, cache_write: u64, cache_read: u64) -> Reply {
        self.0.json_mut()["usage"] = json!({
            "input_tokens": input,
            "output_tokens": output,
            "cache_creation_input_tokens": cache_write,
            "cache_read_input_tokens": cache_read,
        });
        self
    }

    fn content(content: Vec<Value>, stop_reason: &str) -> Reply {
        let body = json!({
            "type": "message",
            "role": "assistant",
            "content": content,
            "stop_reason": stop_reason,
            "stop_sequence": null,
            "usage": {
                "input_tokens": 100,
                "output_tokens": 20,
                "cache_creation_input_tokens": 0,
                "cache_read_input_tokens": 0,
            },
        });
        Reply(Scripted::json(200, body, Fill::Identity))
    }
}

fn tool_use_blocks(calls: &[(&str, &str, Value)]) -> Vec<Value> {
    calls
        .iter()
        .map(|(id, name, input)| json!({ "type": "tool_use", "id": id, "name": name, "input": input }))
        .collect()
}

/// A fake OpenAI-compatible chat-completions server.
pub struct FakeOpenAi {
    /// The API root to configure as `OPENAI_BASE_URL` (it ends in `/v1`).
    pub base_url: String,
    server: FakeServer,
}

impl FakeOpenAi {
    pub async fn start() -> FakeOpenAi {
        let server = FakeServer::start(Dialect::OpenAi).await;
        FakeOpenAi {
            base_url: format!("{}/v1", server.base),
            server,
        }
    }

    /// Adds a reply to the script; replies are served in order.
    pub fn push(&self, reply: OpenAiReply) {
        self.server.push(reply.0);
    }

    /// Every request received so far, oldest first.
    pub fn requests(&self) -> Vec<Recorded> {
        self.server.requests()
    }

    /// Settings pointing at this fake: key `test-key`, model `claude-test`, retries in
    /// milliseconds, 2 s timeout.
    pub fn settings(&self) -> OpenAiSettings {
        OpenAiSettings {
            base_url: self.base_url.clone(),
            api_key: Some(Secret::new(TEST_KEY)),
            model: TEST_MODEL.to_owned(),
            connect_timeout: Duration::from_secs(1),
            timeout: Duration::from_secs(2),
            retry: fast_retries(),
        }
    }
}

/// A scripted answer of the fake OpenAI-compatible server.
#[derive(Clone, Debug)]
pub struct OpenAiReply(Scripted);

impl OpenAiReply {
    /// 200: an assistant message with `content`, `finish_reason: stop`.
    pub fn text(text: &str) -> OpenAiReply {
        OpenAiReply::choice(json!({ "role": "assistant", "content": text }), "stop")
    }

    /// 200: an assistant message with `tool_calls` of `(id, name, arguments)`, the arguments
    /// sent as a JSON text as the API does; `finish_reason: tool_calls`.
    pub fn tool_calls(calls: &[(&str, &str, Value)]) -> OpenAiReply {
        let calls: Vec<_> = calls
            .iter()
            .map(|(id, name, arguments)| {
                json!({
                    "id": id,
                    "type": "function",
                    "function": { "name": name, "arguments": arguments.to_string() },
                })
            })
            .collect();
        OpenAiReply::choice(
            json!({ "role": "assistant", "content": null, "tool_calls": calls }),
            "tool_calls",
        )
    }

    /// 200 with exactly `body`.
    pub fn message(body: Value) -> OpenAiReply {
        OpenAiReply(Scripted::json(200, body, Fill::Nothing))
    }

    /// An OpenAI error body (`{"error":{"message","type","code"}}`), with the
    /// `x-request-id: req_fake_N` header every answer carries.
    pub fn error(status: u16, message: &str) -> OpenAiReply {
        let kind = match status {
            400 => "invalid_request_error",
            401 => "authentication_error",
            429 => "rate_limit_exceeded",
            _ => "server_error",
        };
        OpenAiReply(Scripted::json(
            status,
            Dialect::OpenAi.error_body(kind, message, 0),
            Fill::Nothing,
        ))
    }

    /// `body` as it is.
    pub fn raw(status: u16, body: &str) -> OpenAiReply {
        OpenAiReply(Scripted::raw(status, body))
    }

    /// This reply with header `name`.
    pub fn header(self, name: &str, value: &str) -> OpenAiReply {
        OpenAiReply(self.0.header(name, value))
    }

    /// This reply, given only after `d`.
    /// This reply, when streamed, broken off after its first `n` chunks.
    pub fn cut_after(mut self, n: usize) -> OpenAiReply {
        self.0.cut_after = Some(n);
        self
    }

    pub fn delay(mut self, d: Duration) -> OpenAiReply {
        self.0.delay = Some(d);
        self
    }

    /// This reply reporting `prompt` prompt tokens of which `cached` were cached, and
    /// `completion` completion tokens.
    pub fn usage(mut self, prompt: u64, completion: u64, cached: u64) -> OpenAiReply {
        self.0.json_mut()["usage"] = json!({
            "prompt_tokens": prompt,
            "completion_tokens": completion,
            "total_tokens": prompt + completion,
            "prompt_tokens_details": { "cached_tokens": cached },
        });
        self
    }

    fn choice(message: Value, finish_reason: &str) -> OpenAiReply {
        let body = json!({
            "object": "chat.completion",
            "created": 1_764_000_000,
            "choices": [{ "index": 0, "message": message, "finish_reason": finish_reason }],
            "usage": { "prompt_tokens": 100, "completion_tokens": 20, "total_tokens": 120 },
        });
        OpenAiReply(Scripted::json(200, body, Fill::Identity))
    }
}
