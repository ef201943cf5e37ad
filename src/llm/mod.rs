//! Language-model providers behind one trait: a request of a system prompt, messages made of
//! content blocks, tool definitions and options; a response of content blocks, a stop reason and
//! token usage.
//!
//! The types follow the Anthropic Messages API, so the Anthropic provider serialises them almost
//! as they are; the OpenAI-compatible provider translates them; the offline provider reads them.

pub mod anthropic;
pub mod models;
pub mod offline;
pub mod openai;
pub mod retry;
pub(crate) mod sse;

use std::fmt;
use std::sync::Arc;

use futures::future::BoxFuture;
use serde::{Deserialize, Serialize};
use serde_json::Value;

/// Who wrote a message of the conversation sent to the model.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum ChatRole {
    User,
    Assistant,
}

/// One block of a message: text, a tool call by the model, or the result of a tool call.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ContentBlock {
    Text {
        text: String,
    },
    ToolUse {
        id: String,
        name: String,
        input: Value,
    },
    ToolResult {
        tool_use_id: String,
        content: String,
        #[serde(default, skip_serializing_if = "std::ops::Not::not")]
        is_error: bool,
    },
}

impl ContentBlock {
    pub fn text(text: impl Into<String>) -> Self {
        ContentBlock::Text { text: text.into() }
    }
}

/// A message of the conversation.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct Message {
    pub role: ChatRole,
    pub content: Vec<ContentBlock>,
}

impl Message {
    pub fn user_text(text: impl Into<String>) -> Self {
        Message {
            role: ChatRole::User,
            content: vec![ContentBlock::text(text)],
        }
    }

    pub fn assistant_text(text: impl Into<String>) -> Self {
        Message {
            role: ChatRole::Assistant,
            content: vec![ContentBlock::text(text)],
        }
    }

    /// The message's text blocks joined by blank lines.
    pub fn text(&self) -> String {
        join_text(&self.content)
    }
}

/// The text blocks of `blocks`, joined by blank lines.
pub fn join_text(blocks: &[ContentBlock]) -> String {
    blocks
        .iter()
        .filter_map(|b| match b {
            ContentBlock::Text { text } => Some(text.trim()),
            _ => None,
        })
        .filter(|t| !t.is_empty())
        .collect::<Vec<_>>()
        .join("\n\n")
}

/// A tool the model may call: its name, what it does, and a JSON schema of its input.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct ToolDefinition {
    pub name: &'static str,
    pub description: String,
    pub input_schema: Value,
}

/// Whether the model may call tools in this round.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum ToolChoice {
    /// The model decides.
    #[default]
    Auto,
    /// The model must answer in text (the tools stay defined so that earlier tool calls in
    /// the history remain valid).
    None,
}

/// The system prompt in two parts: `stable` is the same for every turn (identity, rules) and
/// is marked for prompt caching; `context` changes with the facility's state.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct SystemPrompt {
    pub stable: String,
    pub context: String,
}

impl SystemPrompt {
    /// Both parts as one text, for providers without prompt caching.
    pub fn joined(&self) -> String {
        match (self.stable.is_empty(), self.context.is_empty()) {
            (_, true) => self.stable.clone(),
            (true, false) => self.context.clone(),
            (false, false) => format!("{}\n\n{}", self.stable, self.context),
        }
    }
}

/// One call to the model.
#[derive(Clone, Debug, PartialEq)]
pub struct Request {
    pub system: SystemPrompt,
    /// Alternating user and assistant messages, starting and ending with a user message.
    pub messages: Vec<Message>,
    pub tools: Arc<[ToolDefinition]>,
    pub tool_choice: ToolChoice,
    pub max_tokens: u32,
}

/// Why the model stopped.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StopReason {
    EndTurn,
    ToolUse,
    MaxTokens,
    StopSequence,
    Refusal,
    /// A reason this version does not know, as the provider named it.
    Other(String),
}

impl StopReason {
    /// Reads the Anthropic spelling (`end_turn`, `tool_use`, …).
    pub fn from_anthropic(s: &str) -> StopReason {
        match s {
            "end_turn" => StopReason::EndTurn,
            "tool_use" => StopReason::ToolUse,
            "max_tokens" => StopReason::MaxTokens,
            "stop_sequence" => StopReason::StopSequence,
            "refusal" => StopReason::Refusal,
            other => StopReason::Other(other.to_owned()),
        }
    }
}

/// Tokens a call consumed. `input_tokens` excludes tokens read from or written to the prompt
/// cache, which are counted apart, so the three add up to the prompt without double counting.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Usage {
    pub input_tokens: u64,
    pub output_tokens: u64,
    pub cache_creation_input_tokens: u64,
    pub cache_read_input_tokens: u64,
}

impl std::ops::AddAssign for Usage {
    fn add_assign(&mut self, other: Usage) {
        self.input_tokens += other.input_tokens;
        self.output_tokens += other.output_tokens;
        self.cache_creation_input_tokens += other.cache_creation_input_tokens;
        self.cache_read_input_tokens += other.cache_read_input_tokens;
    }
}

/// The model's answer to one call.
#[derive(Clone, Debug, PartialEq)]
pub struct Response {
    /// The provider's id of the response (e.g. `msg_…`), when it gives one.
    pub id: Option<String>,
    /// The model that answered, as the provider names it.
    pub model: String,
    pub content: Vec<ContentBlock>,
    pub stop_reason: StopReason,
    pub usage: Usage,
}

impl Response {
    /// The tool calls the model asked for, in order.
    pub fn tool_uses(&self) -> impl Iterator<Item = (&str, &str, &Value)> {
        self.content.iter().filter_map(|b| match b {
            ContentBlock::ToolUse { id, name, input } => Some((id.as_str(), name.as_str(), input)),
            _ => None,
        })
    }
}

/// Why a call to the model failed, after any retries.
#[derive(Debug, thiserror::Error)]
pub enum LlmError {
    /// The provider answered with an error status.
    #[error("{provider} answered {status} ({kind}): {message}{}", request_suffix(.request_id))]
    Api {
        provider: &'static str,
        status: u16,
        /// The provider's error type, e.g. `overloaded_error`, `rate_limit_error`.
        kind: String,
        message: String,
        request_id: Option<String>,
    },
    /// No answer within the request timeout.
    #[error("{provider} did not answer within {seconds} s")]
    Timeout {
        provider: &'static str,
        seconds: u64,
    },
    /// The provider could not be reached.
    #[error("could not reach {provider}: {message}")]
    Connection {
        provider: &'static str,
        message: String,
    },
    /// The provider answered with something that is not a valid response.
    #[error("{provider} sent a response AIM could not read: {message}{}", request_suffix(.request_id))]
    Malformed {
        provider: &'static str,
        message: String,
        request_id: Option<String>,
    },
}

fn request_suffix(request_id: &Option<String>) -> String {
    request_id
        .as_ref()
        .map(|id| format!(" (request id {id})"))
        .unwrap_or_default()
}

impl LlmError {
    /// A stable, machine-readable name of the error.
    pub fn code(&self) -> &'static str {
        match self {
            LlmError::Api { status: 429, .. } => "model_rate_limited",
            LlmError::Api { status: 529, .. } => "model_overloaded",
            LlmError::Api { status, .. } if *status >= 500 => "model_unavailable",
            LlmError::Api { .. } => "model_error",
            LlmError::Timeout { .. } => "model_timeout",
            LlmError::Connection { .. } => "model_unavailable",
            LlmError::Malformed { .. } => "model_error",
        }
    }

    /// The provider's request id, for support.
    pub fn request_id(&self) -> Option<&str> {
        match self {
            LlmError::Api { request_id, .. } | LlmError::Malformed { request_id, .. } => {
                request_id.as_deref()
            }
            _ => None,
        }
    }

    /// What a staff member reads when a turn fails: what happened and what to do, without
    /// the provider's internals.
    pub fn user_message(&self) -> String {
        let what = match self {
            LlmError::Api { status: 429, .. } => {
                "The AI model is receiving too many requests right now. Please try again in a minute."
            }
            LlmError::Api { status: 529, .. } => {
                "The AI model is overloaded right now. Please try again in a minute."
            }
            LlmError::Api { status, .. } if *status >= 500 => {
                "The AI model is unavailable right now. Please try again shortly."
            }
            LlmError::Api {
                status: 401 | 403, ..
            } => "AIM could not sign in to the AI model. Please tell an administrator (API key).",
            LlmError::Api { .. } => {
                "The AI model refused the request. Please rephrase or start a new conversation."
            }
            LlmError::Timeout { .. } => "The AI model took too long to answer. Please try again.",
            LlmError::Connection { .. } => {
                "AIM could not reach the AI model. Please try again shortly."
            }
            LlmError::Malformed { .. } => {
                "The AI model sent an answer AIM could not read. Please try again."
            }
        };
        match self.request_id() {
            Some(id) => format!("{what} (reference {id})"),
            None => what.to_owned(),
        }
    }
}

/// What a provider reports while the model is still writing its answer.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum StreamEvent {
    /// More text of the answer, in order: the deltas of a response concatenate to its text.
    TextDelta(String),
}

/// Where a streaming call reports its [`StreamEvent`]s. A receiver that went away is no
/// error: the call goes on to its response.
pub type StreamSink = tokio::sync::mpsc::UnboundedSender<StreamEvent>;

/// A language model that answers requests.
pub trait Provider: Send + Sync {
    /// What `modelUsed` reports when the provider does not name the model in its response.
    fn model(&self) -> &str;

    /// Sends one request, with the provider's own retries, and returns the model's response.
    fn complete<'a>(&'a self, request: &'a Request) -> BoxFuture<'a, Result<Response, LlmError>>;

    /// Like [`Provider::complete`], reporting the answer's text to `sink` as the model writes
    /// it; the response is the same one `complete` would return. Providers that cannot stream
    /// report each text block whole once the response is in.
    fn stream<'a>(
        &'a self,
        request: &'a Request,
        sink: &'a StreamSink,
    ) -> BoxFuture<'a, Result<Response, LlmError>> {
        Box::pin(async move {
            let response = self.complete(request).await?;
            for block in &response.content {
                if let ContentBlock::Text { text } = block {
                    let _ = sink.send(StreamEvent::TextDelta(text.clone()));
                }
            }
            Ok(response)
        })
    }
}

impl fmt::Debug for dyn Provider {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("Provider")
            .field("model", &self.model())
            .finish()
    }
}

/// The provider the configuration names (`AIM_LLM`, defaulting to Anthropic when a key is set,
/// else offline). `Config::validate` has checked that the chosen one has its settings.
pub fn from_config(config: &crate::config::Config) -> Arc<dyn Provider> {
    use crate::config::LlmKind;
    match config.llm_kind() {
        LlmKind::Anthropic => match anthropic::AnthropicSettings::from_config(config) {
            Some(settings) => Arc::new(anthropic::AnthropicProvider::new(settings)),
            None => unreachable!("validated: AIM_LLM=anthropic has ANTHROPIC_API_KEY"),
        },
        LlmKind::Openai => match openai::OpenAiSettings::from_config(config) {
            Some(settings) => Arc::new(openai::OpenAiProvider::new(settings)),
            None => unreachable!("validated: AIM_LLM=openai has OPENAI_BASE_URL"),
        },
        LlmKind::Offline => Arc::new(offline::OfflineProvider::new()),
    }
}
