//! The chat-completions streaming mode (`"stream": true`): server-sent `data:` lines, each a
//! `chat.completion.chunk` whose choice carries a `delta` — text, or pieces of tool calls keyed
//! by their `index` — then the `finish_reason`, a last chunk with the usage (asked for with
//! `stream_options.include_usage`), and `data: [DONE]`. Assembled into the response the
//! non-streaming call returns, with each piece of text reported as it arrives.

use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;

use super::{
    PROVIDER, WireAnswer, WireChoice, WireFunctionCall, WireResponse, WireToolCall, WireUsage,
    function_type,
};
use crate::llm::sse::{Events, read_at_hand};
use crate::llm::{LlmError, Response, StreamEvent, StreamSink};

/// Reads the event stream of a successful answer to its end; `model` names the model when the
/// server does not.
pub(super) async fn read(
    response: reqwest::Response,
    request_id: Option<String>,
    model: &str,
    sink: &StreamSink,
    idle: Duration,
) -> Result<Response, LlmError> {
    read_events(
        Events::of(response, idle, PROVIDER),
        request_id,
        model,
        sink,
    )
    .await
}

/// Reads a body at hand, given in the chunks it arrived in, as [`read`] reads the network's:
/// the answer and the text deltas reported on the way.
pub fn read_chunks(
    chunks: Vec<Vec<u8>>,
    model: &str,
) -> (Result<Response, LlmError>, Vec<StreamEvent>) {
    read_at_hand(chunks, PROVIDER, async |events, sink| {
        read_events(events, None, model, sink).await
    })
}

async fn read_events(
    mut events: Events,
    request_id: Option<String>,
    model: &str,
    sink: &StreamSink,
) -> Result<Response, LlmError> {
    let mut answer = Assembler::new(request_id);
    while let Some(event) = events.next().await? {
        if answer.on(&event.data, sink)? == Progress::Done {
            break;
        }
    }
    answer.finish(model)
}

#[derive(Debug, PartialEq, Eq)]
enum Progress {
    More,
    Done,
}

#[derive(Deserialize)]
struct Chunk {
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    model: Option<String>,
    #[serde(default)]
    choices: Vec<ChunkChoice>,
    #[serde(default)]
    usage: Option<WireUsage>,
    /// Some servers report a failure in the stream itself.
    #[serde(default)]
    error: Option<StreamError>,
}

#[derive(Deserialize)]
struct ChunkChoice {
    #[serde(default)]
    delta: Delta,
    #[serde(default)]
    finish_reason: Option<String>,
}

#[derive(Default, Deserialize)]
struct Delta {
    #[serde(default)]
    content: Option<String>,
    #[serde(default)]
    tool_calls: Option<Vec<ToolCallDelta>>,
}

#[derive(Deserialize)]
struct ToolCallDelta {
    /// Which call the piece belongs to; servers that send each call whole may leave it out.
    #[serde(default)]
    index: Option<usize>,
    #[serde(default)]
    id: Option<String>,
    #[serde(default)]
    function: Option<FunctionDelta>,
}

#[derive(Deserialize)]
struct FunctionDelta {
    #[serde(default)]
    name: Option<String>,
    #[serde(default)]
    arguments: Option<String>,
}

#[derive(Deserialize)]
struct StreamError {
    #[serde(default)]
    message: Option<String>,
    #[serde(rename = "type", default)]
    kind: Option<String>,
    /// A string for OpenAI, a number (an HTTP status) for some compatible servers.
    #[serde(default)]
    code: Option<Value>,
}

/// A tool call as it is being written.
#[derive(Debug, Default)]
struct PartialCall {
    id: Option<String>,
    name: String,
    arguments: String,
}

/// An answer put together from its chunks.
struct Assembler {
    request_id: Option<String>,
    id: Option<String>,
    model: Option<String>,
    text: String,
    calls: Vec<(usize, PartialCall)>,
    finish_reason: Option<String>,
    usage: Option<WireUsage>,
}

impl Assembler {
    fn new(request_id: Option<String>) -> Assembler {
        Assembler {
            request_id,
            id: None,
            model: None,
            text: String::new(),
            calls: Vec::new(),
            finish_reason: None,
            usage: None,
        }
    }

    fn malformed(&self, message: impl Into<String>) -> LlmError {
        LlmError::Malformed {
            provider: PROVIDER,
            message: message.into(),
            request_id: self.request_id.clone(),
        }
    }

    /// Takes one event's data: a chunk, or `[DONE]`.
    fn on(&mut self, data: &str, sink: &StreamSink) -> Result<Progress, LlmError> {
        let data = data.trim();
        if data == "[DONE]" {
            return Ok(Progress::Done);
        }
        if data.is_empty() {
            return Ok(Progress::More);
        }
        let chunk: Chunk = serde_json::from_str(data)
            .map_err(|e| self.malformed(format!("a chunk AIM could not read ({e})")))?;
        if let Some(error) = chunk.error {
            let status = match &error.code {
                Some(Value::Number(n)) => n.as_u64().filter(|s| (400..600).contains(s)),
                _ => None,
            }
            .map_or(500, |s| s as u16);
            let code = error.code.and_then(|c| match c {
                Value::String(s) => Some(s),
                _ => None,
            });
            return Err(LlmError::Api {
                provider: PROVIDER,
                status,
                kind: error
                    .kind
                    .filter(|k| !k.is_empty())
                    .or(code)
                    .unwrap_or_else(|| format!("http_{status}")),
                message: error
                    .message
                    .unwrap_or_else(|| "the stream reported an error".to_owned()),
                request_id: self.request_id.clone(),
            });
        }
        if self.id.is_none() {
            self.id = chunk.id;
        }
        if self.model.is_none() {
            self.model = chunk.model;
        }
        if chunk.usage.is_some() {
            self.usage = chunk.usage;
        }
        // AIM asks for one choice.
        if let Some(choice) = chunk.choices.into_iter().next() {
            if let Some(text) = choice.delta.content.filter(|t| !t.is_empty()) {
                self.text.push_str(&text);
                let _ = sink.send(StreamEvent::TextDelta(text));
            }
            for piece in choice.delta.tool_calls.unwrap_or_default() {
                self.add_call_piece(piece);
            }
            if choice.finish_reason.is_some() {
                self.finish_reason = choice.finish_reason;
            }
        }
        Ok(Progress::More)
    }

    fn add_call_piece(&mut self, piece: ToolCallDelta) {
        let index = piece
            .index
            .unwrap_or_else(|| self.calls.last().map_or(0, |(i, _)| i + 1));
        let position = match self.calls.iter().position(|(i, _)| *i == index) {
            Some(position) => position,
            None => {
                self.calls.push((index, PartialCall::default()));
                self.calls.len() - 1
            }
        };
        let call = &mut self.calls[position].1;
        if piece.id.is_some() {
            call.id = piece.id;
        }
        if let Some(function) = piece.function {
            if let Some(name) = function.name {
                call.name.push_str(&name);
            }
            if let Some(arguments) = function.arguments {
                call.arguments.push_str(&arguments);
            }
        }
    }

    /// The whole answer, as the non-streaming call returns it. A stream that ended without
    /// `[DONE]` is whole when it said why the answer finished (some servers send no `[DONE]`).
    fn finish(self, model: &str) -> Result<Response, LlmError> {
        if self.finish_reason.is_none() {
            return Err(self.malformed("the stream ended before the answer did"));
        }
        let tool_calls: Vec<WireToolCall> = self
            .calls
            .into_iter()
            .map(|(_, call)| WireToolCall {
                id: call.id,
                kind: function_type(),
                function: WireFunctionCall {
                    name: call.name,
                    arguments: call.arguments,
                },
            })
            .collect();
        let wire = WireResponse {
            id: self.id,
            model: self.model,
            choices: vec![WireChoice {
                message: WireAnswer {
                    content: Some(self.text),
                    tool_calls: Some(tool_calls),
                },
                finish_reason: self.finish_reason,
            }],
            usage: self.usage,
        };
        Ok(wire.into_response(model).expect("an answer of one choice"))
    }
}

#[cfg(test)]
mod tests {
    use serde_json::json;

    use super::*;
    use crate::llm::{ContentBlock, StopReason};

    fn assemble(chunks: &[Value]) -> (Result<Response, LlmError>, Vec<String>) {
        let (sink, mut events) = tokio::sync::mpsc::unbounded_channel();
        let mut answer = Assembler::new(Some("req_1".into()));
        for chunk in chunks {
            let data = match chunk {
                Value::String(s) => s.clone(),
                other => other.to_string(),
            };
            match answer.on(&data, &sink) {
                Ok(Progress::More) => {}
                Ok(Progress::Done) => break,
                Err(e) => return (Err(e), Vec::new()),
            }
        }
        let result = answer.finish("local-model");
        drop(sink);
        let mut deltas = Vec::new();
        while let Ok(StreamEvent::TextDelta(text)) = events.try_recv() {
            deltas.push(text);
        }
        (result, deltas)
    }

    #[test]
    fn text_and_tool_calls_in_pieces_make_the_whole_answer() {
        let (response, deltas) = assemble(&[
            json!({"id": "c1", "model": "llama", "choices": [{"index": 0, "delta": {"role": "assistant", "content": ""}}]}),
            json!({"id": "c1", "choices": [{"index": 0, "delta": {"content": "Let me "}}]}),
            json!({"id": "c1", "choices": [{"index": 0, "delta": {"content": "check."}}]}),
            json!({"id": "c1", "choices": [{"index": 0, "delta": {"tool_calls": [
                {"index": 0, "id": "call_a", "type": "function", "function": {"name": "search_customer", "arguments": ""}}]}}]}),
            json!({"id": "c1", "choices": [{"index": 0, "delta": {"tool_calls": [
                {"index": 0, "function": {"arguments": "{\"query\": "}}]}}]}),
            json!({"id": "c1", "choices": [{"index": 0, "delta": {"tool_calls": [
                {"index": 1, "id": "call_b", "function": {"name": "get_today_summary", "arguments": "{}"}},
                {"index": 0, "function": {"arguments": "\"Mark\"}"}}]}}]}),
            json!({"id": "c1", "choices": [{"index": 0, "delta": {}, "finish_reason": "tool_calls"}]}),
            json!({"id": "c1", "choices": [], "usage": {"prompt_tokens": 50, "completion_tokens": 9,
                "prompt_tokens_details": {"cached_tokens": 20}}}),
            json!("[DONE]"),
        ]);
        let response = response.unwrap();
        assert_eq!(deltas, ["Let me ", "check."]);
        assert_eq!(response.id.as_deref(), Some("c1"));
        assert_eq!(response.model, "llama");
        assert_eq!(response.stop_reason, StopReason::ToolUse);
        assert_eq!(
            response.content,
            [
                ContentBlock::text("Let me check."),
                ContentBlock::ToolUse {
                    id: "call_a".into(),
                    name: "search_customer".into(),
                    input: json!({"query": "Mark"}),
                },
                ContentBlock::ToolUse {
                    id: "call_b".into(),
                    name: "get_today_summary".into(),
                    input: json!({}),
                },
            ]
        );
        assert_eq!(
            (
                response.usage.input_tokens,
                response.usage.cache_read_input_tokens,
                response.usage.output_tokens
            ),
            (30, 20, 9)
        );
    }

    #[test]
    fn a_stream_without_done_is_whole_once_it_said_why_it_finished() {
        let (response, _) = assemble(&[
            json!({"choices": [{"delta": {"content": "Hi"}, "finish_reason": "stop"}]}),
        ]);
        let response = response.unwrap();
        assert_eq!(
            response.model, "local-model",
            "the configured model when none is named"
        );
        assert_eq!(response.stop_reason, StopReason::EndTurn);
        let (broken, deltas) = assemble(&[json!({"choices": [{"delta": {"content": "Hi"}}]})]);
        assert!(
            matches!(broken, Err(LlmError::Malformed { .. })),
            "{broken:?}"
        );
        assert_eq!(deltas, ["Hi"], "what arrived was still reported");
    }

    #[test]
    fn an_error_in_the_stream_fails_with_what_it_says() {
        let (response, _) = assemble(&[
            json!({"choices": [{"delta": {"content": "Hi"}}]}),
            json!({"error": {"message": "model overloaded", "code": 503}}),
        ]);
        match response.unwrap_err() {
            LlmError::Api {
                status,
                message,
                request_id,
                ..
            } => {
                assert_eq!(status, 503);
                assert_eq!(message, "model overloaded");
                assert_eq!(request_id.as_deref(), Some("req_1"));
            }
            other => panic!("{other:?}"),
        }
        let (garbled, _) = assemble(&[json!("{not json")]);
        assert!(matches!(garbled, Err(LlmError::Malformed { .. })));
    }
}
