//! The event streams of the model providers (Anthropic's Messages API, OpenAI-compatible chat
//! completions), read from a body cut into network chunks anywhere.

use aim::llm::{ContentBlock, StreamEvent, anthropic, openai};
use aim::untrusted;
use proptest::prelude::*;
use serde_json::{Value, json};

use super::{fewer_cases, hostile_text};

/// A body cut at the given offsets (taken modulo its length).
fn cut(body: &[u8], cuts: &[usize]) -> Vec<Vec<u8>> {
    let mut at: Vec<usize> = cuts.iter().map(|c| c % (body.len() + 1)).collect();
    at.sort_unstable();
    at.dedup();
    let mut chunks = Vec::new();
    let mut start = 0;
    for end in at.into_iter().chain([body.len()]) {
        chunks.push(body[start..end].to_vec());
        start = end;
    }
    chunks
}

fn sse(events: &[(&str, Value)], line_end: &str) -> Vec<u8> {
    events
        .iter()
        .map(|(name, data)| format!("event: {name}{line_end}data: {data}{line_end}{line_end}"))
        .collect::<String>()
        .into_bytes()
}

/// What a model may write: text pieces, then tool calls (name, input as JSON cut in pieces).
fn answer() -> impl Strategy<Value = (Vec<String>, Vec<(String, Value, usize)>)> {
    (
        prop::collection::vec(hostile_text().prop_filter("text", |t| !t.is_empty()), 0..5),
        prop::collection::vec(
            (
                "[a-z_]{1,20}",
                super::rest::json_value().prop_map(|v| json!({"x": v})),
                1usize..5,
            ),
            0..3,
        ),
    )
}

fn delta_text(events: &[StreamEvent]) -> String {
    events
        .iter()
        .map(|StreamEvent::TextDelta(t)| t.as_str())
        .collect()
}

proptest! {
    #![proptest_config(fewer_cases(64))]

    #[test]
    fn an_anthropic_stream_cut_anywhere_reads_as_the_message_it_carries(
        (texts, calls) in answer(), cuts in prop::collection::vec(any::<usize>(), 0..8),
        crlf in any::<bool>(),
    ) {
        let mut events = vec![("message_start", json!({"type": "message_start", "message": {"id": "msg_1", "model": "claude-x", "usage": {"input_tokens": 3}}}))];
        let mut index = 0;
        if !texts.is_empty() {
            events.push(("content_block_start", json!({"type": "content_block_start", "index": 0, "content_block": {"type": "text", "text": ""}})));
            for text in &texts {
                events.push(("content_block_delta", json!({"type": "content_block_delta", "index": 0, "delta": {"type": "text_delta", "text": text}})));
            }
            events.push(("content_block_stop", json!({"type": "content_block_stop", "index": 0})));
            index = 1;
        }
        for (i, (name, input, pieces)) in calls.iter().enumerate() {
            let at = index + i;
            events.push(("content_block_start", json!({"type": "content_block_start", "index": at, "content_block": {"type": "tool_use", "id": format!("toolu_{i}"), "name": name}})));
            let json = input.to_string();
            let chars: Vec<char> = json.chars().collect();
            let size = chars.len().div_ceil(*pieces);
            for piece in chars.chunks(size.max(1)) {
                events.push(("content_block_delta", json!({"type": "content_block_delta", "index": at, "delta": {"type": "input_json_delta", "partial_json": piece.iter().collect::<String>()}})));
            }
            events.push(("content_block_stop", json!({"type": "content_block_stop", "index": at})));
        }
        events.push(("message_delta", json!({"type": "message_delta", "delta": {"stop_reason": "end_turn"}, "usage": {"output_tokens": 9}})));
        events.push(("message_stop", json!({"type": "message_stop"})));
        let body = sse(&events, if crlf { "\r\n" } else { "\n" });

        let (response, deltas) = anthropic::read_stream_chunks(cut(&body, &cuts));
        let response = response.unwrap();
        prop_assert_eq!(delta_text(&deltas), texts.concat());
        let mut expected = Vec::new();
        if !texts.is_empty() {
            expected.push(ContentBlock::text(texts.concat()));
        }
        for (i, (name, input, _)) in calls.iter().enumerate() {
            expected.push(ContentBlock::ToolUse { id: format!("toolu_{i}"), name: name.clone(), input: input.clone() });
        }
        prop_assert_eq!(response.content, expected);
        untrusted::model_stream(&body);
    }

    #[test]
    fn an_openai_stream_cut_anywhere_reads_as_the_answer_it_carries(
        (texts, calls) in answer(), cuts in prop::collection::vec(any::<usize>(), 0..8),
        done in any::<bool>(),
    ) {
        let mut data = Vec::new();
        for text in &texts {
            data.push(json!({"id": "c1", "model": "m", "choices": [{"delta": {"content": text}}]}).to_string());
        }
        for (i, (name, input, pieces)) in calls.iter().enumerate() {
            data.push(json!({"choices": [{"delta": {"tool_calls": [{"index": i, "id": format!("call_{i}"), "function": {"name": name, "arguments": ""}}]}}]}).to_string());
            let json = input.to_string();
            let chars: Vec<char> = json.chars().collect();
            for piece in chars.chunks(chars.len().div_ceil(*pieces).max(1)) {
                data.push(json!({"choices": [{"delta": {"tool_calls": [{"index": i, "function": {"arguments": piece.iter().collect::<String>()}}]}}]}).to_string());
            }
        }
        let reason = if calls.is_empty() { "stop" } else { "tool_calls" };
        data.push(json!({"choices": [{"delta": {}, "finish_reason": reason}]}).to_string());
        data.push(json!({"choices": [], "usage": {"prompt_tokens": 5, "completion_tokens": 2}}).to_string());
        if done {
            data.push("[DONE]".to_owned());
        }
        let body: Vec<u8> = data.iter().map(|d| format!("data: {d}\n\n")).collect::<String>().into_bytes();

        let (response, deltas) = openai::read_stream_chunks(cut(&body, &cuts), "m");
        let response = response.unwrap();
        prop_assert_eq!(delta_text(&deltas), texts.concat());
        let tools: Vec<(String, Value)> = response.content.iter().filter_map(|b| match b {
            ContentBlock::ToolUse { name, input, .. } => Some((name.clone(), input.clone())),
            _ => None,
        }).collect();
        let expected: Vec<(String, Value)> = calls.iter().map(|(n, i, _)| (n.clone(), i.clone())).collect();
        prop_assert_eq!(tools, expected);
        untrusted::model_stream(&body);
    }

    #[test]
    fn arbitrary_streams_read_the_same_however_they_are_cut(
        bytes in prop::collection::vec(any::<u8>(), 0..512),
        lines in prop::collection::vec((
            prop::sample::select(&["event: ", "data: ", "id: ", ": ", "retry: ", ""][..]),
            prop_oneof![
                hostile_text(),
                super::rest::json_value().prop_map(|v| v.to_string()),
                prop::sample::select(&["message_start", "message_stop", "content_block_delta", "[DONE]", "{\"type\":\"message_stop\"}"][..]).prop_map(str::to_owned),
            ],
            prop::sample::select(&["\n", "\r\n", "\r", "\n\n", "\u{ff}"][..]),
        ), 0..12),
    ) {
        untrusted::model_stream(&bytes);
        let text: String = lines.iter().map(|(field, value, end)| format!("{field}{value}{end}")).collect();
        // 0xFF cuts the body into chunks (see `untrusted::model_stream`).
        let body: Vec<u8> = text.split('\u{ff}').collect::<Vec<_>>().join("\u{1}").into_bytes();
        untrusted::model_stream(&body);
    }
}
