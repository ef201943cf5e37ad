//! The Messages API's streaming mode: server-sent events (`message_start`,
//! `content_block_start`, `content_block_delta` with `text_delta` or `input_json_delta`,
//! `content_block_stop`, `message_delta`, `message_stop`, `ping`, `error`) assembled into the
//! same [`Response`] the non-streaming call returns, with each piece of text reported as it
//! arrives.

use std::time::Duration;

use serde::Deserialize;
use serde_json::Value;

use super::{PROVIDER, WireUsage, error_kind_of};
use crate::llm::sse::{Events, read_at_hand};
use crate::llm::{ContentBlock, LlmError, Response, StopReason, StreamEvent, StreamSink};

/// Reads the event stream of a successful answer to its end. `idle` bounds the wait for each
/// event (the API sends `ping`s while the model thinks).
pub(super) async fn read(
    response: reqwest::Response,
    request_id: Option<String>,
    sink: &StreamSink,
    idle: Duration,
) -> Result<Response, LlmError> {
    read_events(Events::of(response, idle, PROVIDER), request_id, sink).await
}

/// Reads a body at hand, given in the chunks it arrived in, as [`read`] reads the network's:
/// the answer and the text deltas reported on the way.
pub fn read_chunks(chunks: Vec<Vec<u8>>) -> (Result<Response, LlmError>, Vec<StreamEvent>) {
    read_at_hand(chunks, PROVIDER, async |events, sink| {
        read_events(events, None, sink).await
    })
}

async fn read_events(
    mut events: Events,
    request_id: Option<String>,
    sink: &StreamSink,
) -> Result<Response, LlmError> {
    let mut message = Assembler::new(request_id);
    while let Some(event) = events.next().await? {
        if message.on(&event.event, &event.data, sink)? == Progress::Done {
            return message.finish();
        }
    }
    Err(message.malformed("the stream ended before the message did"))
}

#[derive(Debug, PartialEq, Eq)]
pub(super) enum Progress {
    More,
    Done,
}

/// A block as it is being written.
#[derive(Debug)]
enum Partial {
    Text(String),
    Tool {
        id: String,
        name: String,
        json: String,
    },
    /// A kind AIM does not use (`thinking`, server tools): read and dropped.
    Other,
}

/// A message put together from its events.
#[derive(Debug)]
pub(super) struct Assembler {
    request_id: Option<String>,
    id: Option<String>,
    model: Option<String>,
    blocks: Vec<Partial>,
    stop_reason: Option<String>,
    usage: WireUsage,
}

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Event {
    MessageStart {
        message: StartedMessage,
    },
    ContentBlockStart {
        index: usize,
        content_block: StartedBlock,
    },
    ContentBlockDelta {
        index: usize,
        delta: Piece,
    },
    ContentBlockStop {
        index: usize,
    },
    MessageDelta {
        delta: MessageDelta,
        #[serde(default)]
        usage: Option<WireUsage>,
    },
    MessageStop,
    Ping,
    Error {
        error: ErrorDetail,
    },
}

#[derive(Deserialize)]
struct StartedMessage {
    id: String,
    model: String,
    #[serde(default)]
    usage: Option<WireUsage>,
}

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum StartedBlock {
    Text {
        #[serde(default)]
        text: String,
    },
    ToolUse {
        id: String,
        name: String,
    },
    #[serde(other)]
    Other,
}

#[derive(Deserialize)]
#[serde(tag = "type", rename_all = "snake_case")]
enum Piece {
    TextDelta {
        text: String,
    },
    InputJsonDelta {
        partial_json: String,
    },
    #[serde(other)]
    Other,
}

#[derive(Deserialize)]
struct MessageDelta {
    stop_reason: Option<String>,
}

#[derive(Deserialize)]
struct ErrorDetail {
    #[serde(rename = "type")]
    kind: String,
    message: String,
}

/// The status an error event would have had as an HTTP answer (the stream's own is 200).
fn status_of(kind: &str) -> u16 {
    [400, 401, 403, 404, 413, 429, 529]
        .into_iter()
        .find(|&status| error_kind_of(status) == kind)
        .unwrap_or(500)
}

impl Assembler {
    pub(super) fn new(request_id: Option<String>) -> Assembler {
        Assembler {
            request_id,
            id: None,
            model: None,
            blocks: Vec::new(),
            stop_reason: None,
            usage: WireUsage::default(),
        }
    }

    fn malformed(&self, message: impl Into<String>) -> LlmError {
        LlmError::Malformed {
            provider: PROVIDER,
            message: message.into(),
            request_id: self.request_id.clone(),
        }
    }

    /// Takes one event (`name` is the SSE `event:` field, `data` its JSON). Events of kinds
    /// this version does not know are skipped, as the API asks of clients.
    pub(super) fn on(
        &mut self,
        name: &str,
        data: &str,
        sink: &StreamSink,
    ) -> Result<Progress, LlmError> {
        let event: Event = match serde_json::from_str(data) {
            Ok(event) => event,
            Err(_) if !KNOWN.contains(&name) => return Ok(Progress::More),
            Err(e) => {
                return Err(self.malformed(format!("a `{name}` event AIM could not read ({e})")));
            }
        };
        match event {
            Event::MessageStart { message } => {
                self.id = Some(message.id);
                self.model = Some(message.model);
                if let Some(usage) = message.usage {
                    self.usage.update(usage);
                }
            }
            Event::ContentBlockStart {
                index,
                content_block,
            } => {
                if index != self.blocks.len() {
                    return Err(self.malformed(format!("block {index} started out of order")));
                }
                self.blocks.push(match content_block {
                    StartedBlock::Text { text } => {
                        if !text.is_empty() {
                            let _ = sink.send(StreamEvent::TextDelta(text.clone()));
                        }
                        Partial::Text(text)
                    }
                    StartedBlock::ToolUse { id, name } => Partial::Tool {
                        id,
                        name,
                        json: String::new(),
                    },
                    StartedBlock::Other => Partial::Other,
                });
            }
            Event::ContentBlockDelta { index, delta } => {
                let block = match self.blocks.get_mut(index) {
                    Some(block) => block,
                    None => {
                        return Err(self
                            .malformed(format!("a delta of block {index}, which never started")));
                    }
                };
                match (block, delta) {
                    (Partial::Text(text), Piece::TextDelta { text: more }) => {
                        text.push_str(&more);
                        let _ = sink.send(StreamEvent::TextDelta(more));
                    }
                    (Partial::Tool { json, .. }, Piece::InputJsonDelta { partial_json }) => {
                        json.push_str(&partial_json);
                    }
                    (Partial::Other, _) | (_, Piece::Other) => {}
                    _ => {
                        return Err(
                            self.malformed(format!("a delta that does not fit block {index}"))
                        );
                    }
                }
            }
            Event::ContentBlockStop { index } => {
                if index >= self.blocks.len() {
                    return Err(self.malformed(format!("block {index} stopped before it started")));
                }
            }
            Event::MessageDelta { delta, usage } => {
                if delta.stop_reason.is_some() {
                    self.stop_reason = delta.stop_reason;
                }
                if let Some(usage) = usage {
                    self.usage.update(usage);
                }
            }
            Event::MessageStop => return Ok(Progress::Done),
            Event::Ping => {}
            Event::Error { error } => {
                return Err(LlmError::Api {
                    provider: PROVIDER,
                    status: status_of(&error.kind),
                    kind: error.kind,
                    message: error.message,
                    request_id: self.request_id.clone(),
                });
            }
        }
        Ok(Progress::More)
    }

    /// The whole message, as the non-streaming call returns it.
    pub(super) fn finish(self) -> Result<Response, LlmError> {
        let (Some(id), Some(model)) = (self.id.clone(), self.model.clone()) else {
            return Err(self.malformed("the stream never started a message"));
        };
        let mut content = Vec::with_capacity(self.blocks.len());
        for block in &self.blocks {
            match block {
                Partial::Text(text) => content.push(ContentBlock::Text { text: text.clone() }),
                Partial::Tool { id, name, json } => {
                    // A tool called without arguments streams no JSON at all.
                    let input = if json.trim().is_empty() {
                        Value::Object(Default::default())
                    } else {
                        serde_json::from_str(json).map_err(|e| {
                            self.malformed(format!("the input of tool call {id} is not JSON ({e})"))
                        })?
                    };
                    content.push(ContentBlock::ToolUse {
                        id: id.clone(),
                        name: name.clone(),
                        input,
                    });
                }
                Partial::Other => {}
            }
        }
        Ok(Response {
            id: Some(id),
            model,
            content,
            stop_reason: StopReason::from_anthropic(self.stop_reason.as_deref().unwrap_or("")),
            usage: self.usage.usage(),
        })
    }
}

/// The event kinds this version reads; an unreadable event of one of them is an error.
const KNOWN: &[&str] = &[
    "message_start",
    "content_block_start",
    "content_block_delta",
    "content_block_stop",
    "message_delta",
    "message_stop",
    "ping",
    "error",
];

#[cfg(test)]
mod tests {
    use serde_json::json;
    use tokio::sync::mpsc;

    use crate::llm::Usage;

    use super::*;

    fn feed(events: &[(&str, Value)]) -> (Result<Response, LlmError>, Vec<StreamEvent>) {
        let (sink, mut seen) = mpsc::unbounded_channel();
        let mut message = Assembler::new(Some("req_1".into()));
        let mut result = Err(message.malformed("no message_stop"));
        for (name, data) in events {
            match message.on(name, &data.to_string(), &sink) {
                Ok(Progress::More) => continue,
                Ok(Progress::Done) => {
                    result = message.finish();
                    break;
                }
                Err(err) => {
                    result = Err(err);
                    break;
                }
            }
        }
        let mut deltas = Vec::new();
        while let Ok(event) = seen.try_recv() {
            deltas.push(event);
        }
        (result, deltas)
    }

    fn start() -> (&'static str, Value) {
        (
            "message_start",
            json!({"type": "message_start", "message": {
                "id": "msg_1", "type": "message", "role": "assistant", "model": "claude-x",
                "content": [], "stop_reason": null,
                "usage": {"input_tokens": 25, "output_tokens": 1, "cache_read_input_tokens": 7}}}),
        )
    }

    fn stop(reason: &str) -> [(&'static str, Value); 2] {
        [
            (
                "message_delta",
                json!({"type": "message_delta", "delta": {"stop_reason": reason, "stop_sequence": null},
                       "usage": {"output_tokens": 15}}),
            ),
            ("message_stop", json!({"type": "message_stop"})),
        ]
    }

    #[test]
    fn text_and_a_tool_call_assemble_into_the_plain_response() {
        let mut events = vec![
            start(),
            ("ping", json!({"type": "ping"})),
            (
                "content_block_start",
                json!({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}}),
            ),
            (
                "content_block_delta",
                json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "Let me "}}),
            ),
            (
                "content_block_delta",
                json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": "check."}}),
            ),
            (
                "content_block_stop",
                json!({"type": "content_block_stop", "index": 0}),
            ),
            (
                "content_block_start",
                json!({"type": "content_block_start", "index": 1, "content_block":
                       {"type": "tool_use", "id": "toolu_1", "name": "search_customer", "input": {}}}),
            ),
            (
                "content_block_delta",
                json!({"type": "content_block_delta", "index": 1, "delta": {"type": "input_json_delta", "partial_json": ""}}),
            ),
            (
                "content_block_delta",
                json!({"type": "content_block_delta", "index": 1, "delta": {"type": "input_json_delta", "partial_json": "{\"query\": \"Mark"}}),
            ),
            (
                "content_block_delta",
                json!({"type": "content_block_delta", "index": 1, "delta": {"type": "input_json_delta", "partial_json": " Huggins\"}"}}),
            ),
            (
                "content_block_stop",
                json!({"type": "content_block_stop", "index": 1}),
            ),
        ];
        events.extend(stop("tool_use"));
        let (response, deltas) = feed(&events);
        let response = response.unwrap();
        assert_eq!(
            deltas,
            [
                StreamEvent::TextDelta("Let me ".into()),
                StreamEvent::TextDelta("check.".into())
            ]
        );
        assert_eq!(
            response.content,
            [
                ContentBlock::text("Let me check."),
                ContentBlock::ToolUse {
                    id: "toolu_1".into(),
                    name: "search_customer".into(),
                    input: json!({"query": "Mark Huggins"}),
                }
            ]
        );
        assert_eq!(response.stop_reason, StopReason::ToolUse);
        assert_eq!(
            (response.id.as_deref(), response.model.as_str()),
            (Some("msg_1"), "claude-x")
        );
        assert_eq!(
            response.usage,
            Usage {
                input_tokens: 25,
                output_tokens: 15,
                cache_creation_input_tokens: 0,
                cache_read_input_tokens: 7,
            }
        );
    }

    #[test]
    fn a_tool_call_without_arguments_has_an_empty_object_and_unknown_blocks_are_dropped() {
        let mut events = vec![
            start(),
            (
                "content_block_start",
                json!({"type": "content_block_start", "index": 0, "content_block": {"type": "thinking", "thinking": ""}}),
            ),
            (
                "content_block_delta",
                json!({"type": "content_block_delta", "index": 0, "delta": {"type": "thinking_delta", "thinking": "hmm"}}),
            ),
            (
                "content_block_stop",
                json!({"type": "content_block_stop", "index": 0}),
            ),
            (
                "content_block_start",
                json!({"type": "content_block_start", "index": 1, "content_block":
                       {"type": "tool_use", "id": "toolu_2", "name": "get_today_summary", "input": {}}}),
            ),
            (
                "content_block_stop",
                json!({"type": "content_block_stop", "index": 1}),
            ),
            (
                "some_future_event",
                json!({"type": "some_future_event", "whatever": 1}),
            ),
        ];
        events.extend(stop("tool_use"));
        let (response, deltas) = feed(&events);
        assert!(deltas.is_empty());
        assert_eq!(
            response.unwrap().content,
            [ContentBlock::ToolUse {
                id: "toolu_2".into(),
                name: "get_today_summary".into(),
                input: json!({}),
            }]
        );
    }

    #[test]
    fn an_error_event_fails_with_the_api_error_it_names() {
        let (response, _) = feed(&[
            start(),
            (
                "error",
                json!({"type": "error", "error": {"type": "overloaded_error", "message": "Overloaded"}}),
            ),
        ]);
        match response.unwrap_err() {
            LlmError::Api {
                status,
                kind,
                message,
                request_id,
                ..
            } => {
                assert_eq!(
                    (status, kind.as_str(), message.as_str()),
                    (529, "overloaded_error", "Overloaded")
                );
                assert_eq!(request_id.as_deref(), Some("req_1"));
            }
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn broken_json_and_out_of_order_blocks_are_malformed() {
        let mut events = vec![
            start(),
            (
                "content_block_start",
                json!({"type": "content_block_start", "index": 0, "content_block":
                       {"type": "tool_use", "id": "toolu_3", "name": "check_schedule", "input": {}}}),
            ),
            (
                "content_block_delta",
                json!({"type": "content_block_delta", "index": 0, "delta": {"type": "input_json_delta", "partial_json": "{\"start_date\": "}}),
            ),
            (
                "content_block_stop",
                json!({"type": "content_block_stop", "index": 0}),
            ),
        ];
        events.extend(stop("tool_use"));
        let (response, _) = feed(&events);
        assert!(
            matches!(response, Err(LlmError::Malformed { .. })),
            "{response:?}"
        );

        let (response, _) = feed(&[
            start(),
            (
                "content_block_delta",
                json!({"type": "content_block_delta", "index": 3, "delta": {"type": "text_delta", "text": "x"}}),
            ),
        ]);
        assert!(
            matches!(response, Err(LlmError::Malformed { .. })),
            "{response:?}"
        );

        let (response, _) = feed(&[("message_start", json!({"type": "message_start"}))]);
        assert!(
            matches!(response, Err(LlmError::Malformed { .. })),
            "{response:?}"
        );
    }
}
