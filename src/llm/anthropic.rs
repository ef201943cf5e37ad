//! The Anthropic Messages API (`POST /v1/messages`), hand-written on reqwest: the community
//! SDK crates pin another reqwest and so a second HTTP stack.
//!
//! The system prompt's stable part and the tool definitions are marked for prompt caching:
//! they are the same on every turn and make up most of each request, so cached they cost a
//! tenth and answer sooner.

mod stream;

/// A whole streamed answer read from its body's chunks (for the property tests and fuzzing).
pub use stream::read_chunks as read_stream_chunks;

use std::time::Duration;

use futures::future::BoxFuture;
use reqwest::header::{CONTENT_TYPE, HeaderValue};
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::retry::{self, Answer, Failure, RetryPolicy};
use super::sse;
use super::{
    ContentBlock, LlmError, Message, Provider, Request, Response, StopReason, StreamSink,
    ToolChoice, ToolDefinition, Usage,
};
use crate::config::{Config, LLM_CONNECT_TIMEOUT, Secret};

const PROVIDER: &str = "Anthropic";

/// The API version AIM's request and response types follow.
pub const ANTHROPIC_VERSION: &str = "2023-06-01";

/// Where and how to call the Messages API.
#[derive(Clone, Debug)]
pub struct AnthropicSettings {
    /// E.g. `https://api.anthropic.com`, without `/v1`.
    pub base_url: String,
    pub api_key: Secret,
    pub model: String,
    pub connect_timeout: Duration,
    /// For each attempt, from sending the request to reading the whole answer.
    pub timeout: Duration,
    pub retry: RetryPolicy,
}

impl AnthropicSettings {
    /// The settings configured, or `None` without an API key.
    pub fn from_config(config: &Config) -> Option<Self> {
        Some(AnthropicSettings {
            base_url: config.anthropic_base_url.clone(),
            api_key: config.anthropic_api_key.clone()?,
            model: config.model.clone(),
            connect_timeout: LLM_CONNECT_TIMEOUT,
            timeout: config.llm_timeout,
            retry: RetryPolicy::with_max_retries(config.llm_max_retries),
        })
    }
}

/// A model reached through the Anthropic Messages API.
#[derive(Debug)]
pub struct AnthropicProvider {
    settings: AnthropicSettings,
    url: String,
    client: reqwest::Client,
}

impl AnthropicProvider {
    pub fn new(settings: AnthropicSettings) -> Self {
        let url = format!("{}/v1/messages", settings.base_url.trim_end_matches('/'));
        let client = crate::http::client(settings.connect_timeout, settings.timeout);
        AnthropicProvider {
            settings,
            url,
            client,
        }
    }

    /// The request for `body`, with the API's headers.
    fn post(&self, body: &WireRequest<'_>) -> Result<reqwest::RequestBuilder, LlmError> {
        let mut key = HeaderValue::from_str(self.settings.api_key.expose()).map_err(|_| {
            LlmError::Connection {
                provider: PROVIDER,
                message: "ANTHROPIC_API_KEY contains characters an HTTP header cannot carry".into(),
            }
        })?;
        // Keeps the key out of any debug output of the request.
        key.set_sensitive(true);
        Ok(self
            .client
            .post(&self.url)
            .header("x-api-key", key)
            .header("anthropic-version", ANTHROPIC_VERSION)
            .header(CONTENT_TYPE, "application/json")
            .body(serde_json::to_vec(body).expect("a request serialises to JSON")))
    }

    /// Starts a streamed answer (see [`sse::open`]).
    async fn open(&self, body: &WireRequest<'_>) -> Result<reqwest::Response, Failure> {
        let request = self.post(body).map_err(Failure::Final)?;
        sse::open(request, PROVIDER, self.settings.timeout, api_failure).await
    }

    async fn attempt(&self, body: &WireRequest<'_>) -> Result<Response, Failure> {
        let request = self.post(body).map_err(Failure::Final)?;
        let answer = retry::send(request, PROVIDER, self.settings.timeout).await?;
        if !answer.status.is_success() {
            return Err(api_failure(answer));
        }
        let request_id = answer.header("request-id");
        let wire: WireResponse = serde_json::from_slice(&answer.body).map_err(|e| {
            Failure::Final(LlmError::Malformed {
                provider: PROVIDER,
                message: format!("not a message ({e})"),
                request_id: request_id.clone(),
            })
        })?;
        Ok(wire.into_response())
    }
}

impl Provider for AnthropicProvider {
    fn model(&self) -> &str {
        &self.settings.model
    }

    fn complete<'a>(&'a self, request: &'a Request) -> BoxFuture<'a, Result<Response, LlmError>> {
        Box::pin(async move {
            let body = WireRequest::new(&self.settings.model, request);
            retry::with_retries(&self.settings.retry, PROVIDER, || self.attempt(&body)).await
        })
    }

    /// The streaming mode: retried like `complete` until the answer starts; once text has
    /// reached `sink`, a failure is final (a retry would say it twice).
    fn stream<'a>(
        &'a self,
        request: &'a Request,
        sink: &'a StreamSink,
    ) -> BoxFuture<'a, Result<Response, LlmError>> {
        Box::pin(async move {
            let body = WireRequest {
                stream: true,
                ..WireRequest::new(&self.settings.model, request)
            };
            let response =
                retry::with_retries(&self.settings.retry, PROVIDER, || self.open(&body)).await?;
            let request_id = retry::header_text(response.headers(), "request-id");
            stream::read(response, request_id, sink, self.settings.timeout).await
        })
    }
}

/// An error answer as `LlmError::Api`, from Anthropic's error body
/// (`{"type":"error","error":{"type":"overloaded_error","message":"…"},"request_id":"req_…"}`)
/// when there is one, else from the status alone.
fn api_failure(answer: Answer) -> Failure {
    #[derive(Deserialize)]
    struct ErrorBody {
        error: ErrorDetail,
        request_id: Option<String>,
    }
    #[derive(Deserialize)]
    struct ErrorDetail {
        #[serde(rename = "type")]
        kind: Option<String>,
        message: Option<String>,
    }

    let status = answer.status.as_u16();
    let parsed = serde_json::from_slice::<ErrorBody>(&answer.body).ok();
    let (kind, message, body_request_id) = match parsed {
        Some(body) => (body.error.kind, body.error.message, body.request_id),
        None => (None, None, None),
    };
    let error = LlmError::Api {
        provider: PROVIDER,
        status,
        kind: kind.unwrap_or_else(|| error_kind_of(status).to_owned()),
        message: message.unwrap_or_else(|| answer.body_snippet()),
        request_id: answer.header("request-id").or(body_request_id),
    };
    Failure::Status {
        error,
        status: answer.status,
        headers: answer.headers,
    }
}

/// Anthropic's error type for a status, for answers without an error body (e.g. from a proxy).
fn error_kind_of(status: u16) -> &'static str {
    match status {
        400 => "invalid_request_error",
        401 => "authentication_error",
        403 => "permission_error",
        404 => "not_found_error",
        413 => "request_too_large",
        429 => "rate_limit_error",
        529 => "overloaded_error",
        500..=599 => "api_error",
        _ => "http_error",
    }
}

#[derive(Serialize)]
struct WireRequest<'a> {
    model: &'a str,
    max_tokens: u32,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    system: Vec<SystemBlock<'a>>,
    messages: &'a [Message],
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tools: Vec<WireTool<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tool_choice: Option<WireToolChoice>,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    stream: bool,
}

#[derive(Serialize)]
struct SystemBlock<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    text: &'a str,
    #[serde(skip_serializing_if = "Option::is_none")]
    cache_control: Option<CacheControl>,
}

#[derive(Serialize)]
struct WireTool<'a> {
    #[serde(flatten)]
    definition: &'a ToolDefinition,
    #[serde(skip_serializing_if = "Option::is_none")]
    cache_control: Option<CacheControl>,
}

/// Marks the end of a prompt prefix to cache; everything before the mark is cached with it.
#[derive(Clone, Copy, Serialize)]
struct CacheControl {
    #[serde(rename = "type")]
    kind: &'static str,
}

const EPHEMERAL: CacheControl = CacheControl { kind: "ephemeral" };

#[derive(Serialize)]
struct WireToolChoice {
    #[serde(rename = "type")]
    kind: &'static str,
}

impl<'a> WireRequest<'a> {
    fn new(model: &'a str, request: &'a Request) -> Self {
        // The API refuses empty text blocks, so an empty part is left out.
        let mut system = Vec::new();
        if !request.system.stable.is_empty() {
            system.push(SystemBlock {
                kind: "text",
                text: &request.system.stable,
                cache_control: Some(EPHEMERAL),
            });
        }
        if !request.system.context.is_empty() {
            system.push(SystemBlock {
                kind: "text",
                text: &request.system.context,
                cache_control: None,
            });
        }
        let last = request.tools.len().saturating_sub(1);
        let tools: Vec<_> = request
            .tools
            .iter()
            .enumerate()
            .map(|(i, definition)| WireTool {
                definition,
                cache_control: (i == last).then_some(EPHEMERAL),
            })
            .collect();
        // `auto` is the API's default; `none` without tools would name nothing to forbid.
        let tool_choice = match request.tool_choice {
            ToolChoice::None if !tools.is_empty() => Some(WireToolChoice { kind: "none" }),
            _ => None,
        };
        WireRequest {
            model,
            max_tokens: request.max_tokens,
            system,
            messages: &request.messages,
            tools,
            tool_choice,
            stream: false,
        }
    }
}

#[derive(Deserialize)]
struct WireResponse {
    id: String,
    model: String,
    content: Vec<WireBlock>,
    stop_reason: Option<String>,
    #[serde(default)]
    usage: WireUsage,
}

/// A response block; kinds AIM does not use (`thinking`, server tool results, …) are skipped,
/// so that a model or API update that adds some does not break chat.
#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum WireBlock {
    Text {
        text: String,
    },
    ToolUse {
        id: String,
        name: String,
        #[serde(default)]
        input: Value,
    },
    #[serde(other)]
    Other,
}

#[derive(Debug, Default, Deserialize)]
struct WireUsage {
    #[serde(default)]
    input_tokens: Option<u64>,
    #[serde(default)]
    output_tokens: Option<u64>,
    #[serde(default)]
    cache_creation_input_tokens: Option<u64>,
    #[serde(default)]
    cache_read_input_tokens: Option<u64>,
}

impl WireUsage {
    /// Takes the counts `later` reports, keeping those it leaves out (a stream's
    /// `message_delta` carries the final output count and, in newer API versions, the input
    /// counts again).
    fn update(&mut self, later: WireUsage) {
        self.input_tokens = later.input_tokens.or(self.input_tokens);
        self.output_tokens = later.output_tokens.or(self.output_tokens);
        self.cache_creation_input_tokens = later
            .cache_creation_input_tokens
            .or(self.cache_creation_input_tokens);
        self.cache_read_input_tokens = later
            .cache_read_input_tokens
            .or(self.cache_read_input_tokens);
    }

    /// The counts, zero where the API gave none.
    fn usage(&self) -> Usage {
        Usage {
            input_tokens: self.input_tokens.unwrap_or(0),
            output_tokens: self.output_tokens.unwrap_or(0),
            cache_creation_input_tokens: self.cache_creation_input_tokens.unwrap_or(0),
            cache_read_input_tokens: self.cache_read_input_tokens.unwrap_or(0),
        }
    }
}

impl WireResponse {
    fn into_response(self) -> Response {
        let content = self
            .content
            .into_iter()
            .filter_map(|block| match block {
                WireBlock::Text { text } => Some(ContentBlock::Text { text }),
                WireBlock::ToolUse { id, name, input } => {
                    Some(ContentBlock::ToolUse { id, name, input })
                }
                WireBlock::Other => None,
            })
            .collect();
        Response {
            id: Some(self.id),
            model: self.model,
            content,
            stop_reason: StopReason::from_anthropic(self.stop_reason.as_deref().unwrap_or("")),
            usage: self.usage.usage(),
        }
    }
}

#[cfg(test)]
mod tests {
    use std::sync::Arc;

    use serde_json::json;

    use super::*;
    use crate::llm::SystemPrompt;

    fn tool(name: &'static str) -> ToolDefinition {
        ToolDefinition {
            name,
            description: "does a thing".to_owned(),
            input_schema: json!({"type": "object", "properties": {}}),
        }
    }

    #[test]
    fn an_empty_context_and_no_tools_leave_their_fields_out() {
        let request = Request {
            system: SystemPrompt {
                stable: "You are AIM.".into(),
                context: String::new(),
            },
            messages: vec![Message::user_text("hi")],
            tools: Arc::from(Vec::new()),
            tool_choice: ToolChoice::None,
            max_tokens: 100,
        };
        let body = serde_json::to_value(WireRequest::new("m", &request)).unwrap();
        assert_eq!(
            body,
            json!({
                "model": "m",
                "max_tokens": 100,
                "system": [{"type": "text", "text": "You are AIM.", "cache_control": {"type": "ephemeral"}}],
                "messages": [{"role": "user", "content": [{"type": "text", "text": "hi"}]}],
            })
        );
    }

    #[test]
    fn only_the_last_tool_carries_the_cache_mark() {
        let request = Request {
            system: SystemPrompt::default(),
            messages: vec![Message::user_text("hi")],
            tools: Arc::from(vec![tool("a"), tool("b"), tool("c")]),
            tool_choice: ToolChoice::Auto,
            max_tokens: 100,
        };
        let body = serde_json::to_value(WireRequest::new("m", &request)).unwrap();
        let marks: Vec<_> = body["tools"]
            .as_array()
            .unwrap()
            .iter()
            .map(|t| t.get("cache_control").is_some())
            .collect();
        assert_eq!(marks, [false, false, true]);
        assert_eq!(body["tools"][0]["input_schema"]["type"], "object");
        assert!(body.get("tool_choice").is_none());
        assert!(body.get("system").is_none());
    }

    #[test]
    fn unknown_blocks_are_skipped_and_missing_usage_is_zero() {
        let wire: WireResponse = serde_json::from_value(json!({
            "id": "msg_1",
            "type": "message",
            "role": "assistant",
            "model": "claude-x",
            "content": [
                {"type": "thinking", "thinking": "hmm", "signature": "sig"},
                {"type": "text", "text": "Hello"},
                {"type": "server_tool_use", "id": "s1", "name": "web_search", "input": {}},
            ],
            "stop_reason": "end_turn",
            "usage": {"input_tokens": 5, "output_tokens": 2, "cache_read_input_tokens": null},
        }))
        .unwrap();
        let response = wire.into_response();
        assert_eq!(response.content, vec![ContentBlock::text("Hello")]);
        assert_eq!(
            response.usage,
            Usage {
                input_tokens: 5,
                output_tokens: 2,
                ..Usage::default()
            }
        );
    }
}
