//! Any OpenAI-compatible chat-completions server (`POST {base}/chat/completions`): OpenAI
//! itself, or a local vLLM, Ollama or llama.cpp server, so that AIM can run on a model the
//! facility hosts.
//!
//! AIM's requests follow the Anthropic shape (content blocks); this module translates them to
//! chat messages and back.

use std::time::Duration;

use futures::future::BoxFuture;
use reqwest::header::CONTENT_TYPE;
use serde::{Deserialize, Serialize};
use serde_json::Value;

use super::retry::{self, Answer, Failure, RetryPolicy};
use super::{
    ChatRole, ContentBlock, LlmError, Provider, Request, Response, StopReason, StreamSink,
    ToolChoice, Usage, sse,
};

mod stream;

use crate::config::{Config, LLM_CONNECT_TIMEOUT, Secret};
/// A whole streamed answer read from its body's chunks (for the property tests and fuzzing).
pub use stream::read_chunks as read_stream_chunks;

const PROVIDER: &str = "OpenAI-compatible server";

/// Where and how to call the chat-completions server.
#[derive(Clone, Debug)]
pub struct OpenAiSettings {
    /// The API root including its version, e.g. `http://127.0.0.1:11434/v1`.
    pub base_url: String,
    /// Sent as a bearer token; local servers usually need none.
    pub api_key: Option<Secret>,
    pub model: String,
    pub connect_timeout: Duration,
    /// For each attempt, from sending the request to reading the whole answer.
    pub timeout: Duration,
    pub retry: RetryPolicy,
}

impl OpenAiSettings {
    /// The settings configured, or `None` without a base URL.
    pub fn from_config(config: &Config) -> Option<Self> {
        Some(OpenAiSettings {
            base_url: config.openai_base_url.clone()?,
            api_key: config.openai_api_key.clone(),
            model: config.model.clone(),
            connect_timeout: LLM_CONNECT_TIMEOUT,
            timeout: config.llm_timeout,
            retry: RetryPolicy::with_max_retries(config.llm_max_retries),
        })
    }
}

/// A model reached through an OpenAI-compatible chat-completions API.
#[derive(Debug)]
pub struct OpenAiProvider {
    settings: OpenAiSettings,
    url: String,
    client: reqwest::Client,
}

impl OpenAiProvider {
    pub fn new(settings: OpenAiSettings) -> Self {
        let url = format!(
            "{}/chat/completions",
            settings.base_url.trim_end_matches('/')
        );
        let client = crate::http::client(settings.connect_timeout, settings.timeout);
        OpenAiProvider {
            settings,
            url,
            client,
        }
    }

    /// The request for `body`, with the key when one is set.
    fn post(&self, body: &[u8]) -> reqwest::RequestBuilder {
        let request = self
            .client
            .post(&self.url)
            .header(CONTENT_TYPE, "application/json")
            .body(body.to_vec());
        match &self.settings.api_key {
            // reqwest marks the header sensitive, so it stays out of debug output.
            Some(key) => request.bearer_auth(key.expose()),
            None => request,
        }
    }

    async fn attempt(&self, body: &[u8]) -> Result<Response, Failure> {
        let answer = retry::send(self.post(body), PROVIDER, self.settings.timeout).await?;
        if !answer.status.is_success() {
            return Err(api_failure(answer));
        }
        let request_id = answer.header("x-request-id");
        let wire: WireResponse = serde_json::from_slice(&answer.body).map_err(|e| {
            Failure::Final(LlmError::Malformed {
                provider: PROVIDER,
                message: format!("not a chat completion ({e})"),
                request_id: request_id.clone(),
            })
        })?;
        wire.into_response(&self.settings.model).ok_or_else(|| {
            Failure::Final(LlmError::Malformed {
                provider: PROVIDER,
                message: "a chat completion without choices".into(),
                request_id,
            })
        })
    }
}

impl Provider for OpenAiProvider {
    fn model(&self) -> &str {
        &self.settings.model
    }

    fn complete<'a>(&'a self, request: &'a Request) -> BoxFuture<'a, Result<Response, LlmError>> {
        Box::pin(async move {
            let body = serde_json::to_vec(&wire_request(&self.settings.model, request))
                .expect("a request serialises to JSON");
            retry::with_retries(&self.settings.retry, PROVIDER, || self.attempt(&body)).await
        })
    }

    /// The answer streamed (`"stream": true`, with the usage in the last chunk); retried like
    /// a plain call until the stream starts, never after.
    fn stream<'a>(
        &'a self,
        request: &'a Request,
        sink: &'a StreamSink,
    ) -> BoxFuture<'a, Result<Response, LlmError>> {
        Box::pin(async move {
            let body = WireRequest {
                stream: true,
                stream_options: Some(StreamOptions {
                    include_usage: true,
                }),
                ..wire_request(&self.settings.model, request)
            };
            let body = serde_json::to_vec(&body).expect("a request serialises to JSON");
            let timeout = self.settings.timeout;
            let response = retry::with_retries(&self.settings.retry, PROVIDER, || {
                sse::open(self.post(&body), PROVIDER, timeout, api_failure)
            })
            .await?;
            let request_id = retry::header_text(response.headers(), "x-request-id");
            stream::read(response, request_id, &self.settings.model, sink, timeout).await
        })
    }
}

/// An error answer as `LlmError::Api`, from the `{"error": {"message", "type", "code"}}` body
/// when there is one, else from the status alone.
fn api_failure(answer: Answer) -> Failure {
    #[derive(Deserialize)]
    struct ErrorBody {
        error: ErrorDetail,
    }
    #[derive(Deserialize)]
    struct ErrorDetail {
        message: Option<String>,
        #[serde(rename = "type")]
        kind: Option<String>,
        /// A string for OpenAI, a number for some compatible servers.
        code: Option<Value>,
    }

    let status = answer.status.as_u16();
    let detail = serde_json::from_slice::<ErrorBody>(&answer.body)
        .ok()
        .map(|b| b.error);
    let (message, kind) = match detail {
        Some(d) => {
            let code = d.code.and_then(|c| match c {
                Value::String(s) => Some(s),
                Value::Null => None,
                other => Some(other.to_string()),
            });
            (d.message, d.kind.filter(|k| !k.is_empty()).or(code))
        }
        None => (None, None),
    };
    let error = LlmError::Api {
        provider: PROVIDER,
        status,
        kind: kind.unwrap_or_else(|| format!("http_{status}")),
        message: message.unwrap_or_else(|| answer.body_snippet()),
        request_id: answer.header("x-request-id"),
    };
    Failure::Status {
        error,
        status: answer.status,
        headers: answer.headers,
    }
}

#[derive(Serialize)]
struct WireRequest<'a> {
    model: &'a str,
    messages: Vec<WireMessage<'a>>,
    #[serde(skip_serializing_if = "Vec::is_empty")]
    tools: Vec<WireTool<'a>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    tool_choice: Option<&'static str>,
    max_tokens: u32,
    #[serde(skip_serializing_if = "std::ops::Not::not")]
    stream: bool,
    #[serde(skip_serializing_if = "Option::is_none")]
    stream_options: Option<StreamOptions>,
}

#[derive(Serialize)]
struct StreamOptions {
    include_usage: bool,
}

#[derive(Serialize)]
#[serde(tag = "role", rename_all = "lowercase")]
enum WireMessage<'a> {
    System {
        content: String,
    },
    User {
        content: String,
    },
    Assistant {
        /// `null` when the message is only tool calls, as the API expects.
        content: Option<String>,
        #[serde(skip_serializing_if = "Vec::is_empty")]
        tool_calls: Vec<WireToolCall>,
    },
    Tool {
        tool_call_id: &'a str,
        content: String,
    },
}

#[derive(Serialize, Deserialize)]
struct WireToolCall {
    /// Some local servers leave it out of responses.
    #[serde(default)]
    id: Option<String>,
    #[serde(rename = "type", default = "function_type")]
    kind: String,
    function: WireFunctionCall,
}

fn function_type() -> String {
    "function".to_owned()
}

#[derive(Serialize, Deserialize)]
struct WireFunctionCall {
    name: String,
    /// The input as a JSON text, not as JSON.
    #[serde(default)]
    arguments: String,
}

#[derive(Serialize)]
struct WireTool<'a> {
    #[serde(rename = "type")]
    kind: &'static str,
    function: WireFunction<'a>,
}

#[derive(Serialize)]
struct WireFunction<'a> {
    name: &'a str,
    description: &'a str,
    parameters: &'a Value,
}

fn wire_request<'a>(model: &'a str, request: &'a Request) -> WireRequest<'a> {
    let mut messages = Vec::new();
    let system = request.system.joined();
    if !system.is_empty() {
        messages.push(WireMessage::System { content: system });
    }
    for message in &request.messages {
        match message.role {
            ChatRole::User => {
                // Tool results answer the assistant message just before, so they come first;
                // the API wants them right after the message that asked for them.
                for block in &message.content {
                    if let ContentBlock::ToolResult {
                        tool_use_id,
                        content,
                        is_error,
                    } = block
                    {
                        let content = if *is_error {
                            format!("Error: {content}")
                        } else {
                            content.clone()
                        };
                        messages.push(WireMessage::Tool {
                            tool_call_id: tool_use_id,
                            content,
                        });
                    }
                }
                let text = message.text();
                if !text.is_empty() {
                    messages.push(WireMessage::User { content: text });
                }
            }
            ChatRole::Assistant => {
                let tool_calls: Vec<_> = message
                    .content
                    .iter()
                    .filter_map(|block| match block {
                        ContentBlock::ToolUse { id, name, input } => Some(WireToolCall {
                            id: Some(id.clone()),
                            kind: function_type(),
                            function: WireFunctionCall {
                                name: name.clone(),
                                arguments: input.to_string(),
                            },
                        }),
                        _ => None,
                    })
                    .collect();
                let text = message.text();
                messages.push(WireMessage::Assistant {
                    content: (!text.is_empty()).then_some(text),
                    tool_calls,
                });
            }
        }
    }
    let tools: Vec<_> = request
        .tools
        .iter()
        .map(|tool| WireTool {
            kind: "function",
            function: WireFunction {
                name: tool.name,
                description: &tool.description,
                parameters: &tool.input_schema,
            },
        })
        .collect();
    // OpenAI refuses `tool_choice` without tools.
    let tool_choice = match request.tool_choice {
        ToolChoice::None if !tools.is_empty() => Some("none"),
        _ => None,
    };
    WireRequest {
        model,
        messages,
        tools,
        tool_choice,
        max_tokens: request.max_tokens,
        stream: false,
        stream_options: None,
    }
}

#[derive(Deserialize)]
struct WireResponse {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    model: Option<String>,
    choices: Vec<WireChoice>,
    #[serde(default)]
    usage: Option<WireUsage>,
}

#[derive(Deserialize)]
struct WireChoice {
    message: WireAnswer,
    #[serde(default)]
    finish_reason: Option<String>,
}

#[derive(Deserialize)]
struct WireAnswer {
    #[serde(default)]
    content: Option<String>,
    #[serde(default)]
    tool_calls: Option<Vec<WireToolCall>>,
}

#[derive(Deserialize)]
struct WireUsage {
    #[serde(default)]
    prompt_tokens: u64,
    #[serde(default)]
    completion_tokens: u64,
    #[serde(default)]
    prompt_tokens_details: Option<PromptTokensDetails>,
}

#[derive(Deserialize)]
struct PromptTokensDetails {
    #[serde(default)]
    cached_tokens: Option<u64>,
}

impl WireResponse {
    /// The first choice as a response; `None` without one. `model` names the model when the
    /// server does not.
    fn into_response(self, model: &str) -> Option<Response> {
        let choice = self.choices.into_iter().next()?;
        let mut content = Vec::new();
        if let Some(text) = choice.message.content.filter(|t| !t.trim().is_empty()) {
            content.push(ContentBlock::Text { text });
        }
        let calls = choice.message.tool_calls.unwrap_or_default();
        let has_calls = !calls.is_empty();
        for (i, call) in calls.into_iter().enumerate() {
            content.push(ContentBlock::ToolUse {
                id: call.id.unwrap_or_else(|| format!("call_{i}")),
                name: call.function.name,
                input: parse_arguments(&call.function.arguments),
            });
        }
        let stop_reason = match choice.finish_reason.as_deref() {
            Some("tool_calls" | "function_call") => StopReason::ToolUse,
            // Some local servers say `stop` even when the answer is tool calls.
            Some("stop") | None if has_calls => StopReason::ToolUse,
            Some("stop") => StopReason::EndTurn,
            Some("length") => StopReason::MaxTokens,
            Some("content_filter") => StopReason::Refusal,
            Some(other) => StopReason::Other(other.to_owned()),
            None => StopReason::EndTurn,
        };
        let usage = self.usage.map_or(Usage::default(), |u| {
            let cached = u
                .prompt_tokens_details
                .and_then(|d| d.cached_tokens)
                .unwrap_or(0)
                .min(u.prompt_tokens);
            Usage {
                input_tokens: u.prompt_tokens - cached,
                output_tokens: u.completion_tokens,
                cache_creation_input_tokens: 0,
                cache_read_input_tokens: cached,
            }
        });
        Some(Response {
            id: self.id,
            model: self.model.unwrap_or_else(|| model.to_owned()),
            content,
            stop_reason,
            usage,
        })
    }
}

/// A tool call's input. Arguments that are not JSON stay as the text the model wrote, so the
/// tool layer reports bad input back to the model, which can then correct itself; empty
/// arguments (some servers send them for tools without parameters) are an empty object.
fn parse_arguments(raw: &str) -> Value {
    if raw.trim().is_empty() {
        return Value::Object(Default::default());
    }
    serde_json::from_str(raw).unwrap_or_else(|_| Value::String(raw.to_owned()))
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;

    fn parse(body: Value) -> Response {
        serde_json::from_value::<WireResponse>(body)
            .unwrap()
            .into_response("configured")
            .unwrap()
    }

    #[test]
    fn tool_calls_with_a_stop_finish_reason_still_ask_for_tools() {
        let response = parse(json!({
            "choices": [{
                "message": {"role": "assistant", "content": "", "tool_calls": [
                    {"function": {"name": "get_today_summary", "arguments": ""}}
                ]},
                "finish_reason": "stop"
            }]
        }));
        assert_eq!(response.stop_reason, StopReason::ToolUse);
        assert_eq!(
            response.content,
            vec![ContentBlock::ToolUse {
                id: "call_0".into(),
                name: "get_today_summary".into(),
                input: json!({}),
            }]
        );
        assert_eq!(response.model, "configured");
        assert_eq!(response.usage, Usage::default());
    }

    #[test]
    fn finish_reasons_map_to_stop_reasons() {
        for (finish, expected) in [
            ("stop", StopReason::EndTurn),
            ("length", StopReason::MaxTokens),
            ("content_filter", StopReason::Refusal),
            ("eos", StopReason::Other("eos".into())),
        ] {
            let response = parse(json!({
                "choices": [{"message": {"content": "x"}, "finish_reason": finish}]
            }));
            assert_eq!(response.stop_reason, expected, "{finish}");
        }
    }
}
