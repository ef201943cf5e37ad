//! The parsers of what AIM does not control — page cursors, ids, REST query strings and bodies,
//! the model's tool inputs, model providers' event streams, bearer tokens — each behind one
//! function that takes arbitrary bytes and checks what must hold for any input: it does not
//! panic, what is accepted reads back the same, and what is refused is a client error naming
//! the field at fault. The fuzz targets (`fuzz/`) and the property tests (`tests/properties/`)
//! drive these functions; a broken invariant panics with the input.

use std::sync::OnceLock;
use std::time::Duration;

use axum::Json;
use axum::http::StatusCode;
use serde_json::Value;

use crate::aim::alerts::AlertCursor;
use crate::aim::tools::{self, TOOL_NAMES};
use crate::api::auth::LoginInput;
use crate::api::error::ApiError;
use crate::api::rest::alerts::ListRequest;
use crate::api::rest::chat::{ChatBody, ConversationsRequest};
use crate::auth::JwtKeys;
use crate::config::Secret;
use crate::cursor::Position;
use crate::domain::*;
use crate::llm::{ContentBlock, StreamEvent, anthropic, openai};

/// A page cursor: one this server could have handed out decodes to a position that encodes
/// back to the same cursor of the same list; anything else is no position.
pub fn cursor(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let Some((kind, position)) = Position::decode_tagged(&text) else {
        assert_eq!(AlertCursor::decode(&text), None, "{text:?}");
        return;
    };
    let again = position.encode(&kind);
    assert_eq!(
        Position::decode_tagged(&again),
        Some((kind.clone(), position)),
        "{text:?}"
    );
    assert_eq!(Position::decode(&text, &kind), Some(position), "{text:?}");
    if kind != "alert" {
        assert_eq!(AlertCursor::decode(&text), None, "{text:?}");
    }
}

/// Typed ids and enumerations read from text: what parses prints back as an equal value, and
/// an unknown enumeration value is refused naming the enumeration and the value.
pub fn ids(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    fn id<T>(text: &str)
    where
        T: std::str::FromStr + std::fmt::Display + PartialEq + std::fmt::Debug,
    {
        if let Ok(id) = text.parse::<T>() {
            assert_eq!(id.to_string().parse::<T>().ok(), Some(id), "{text:?}");
        }
    }
    fn enumeration<T>(text: &str)
    where
        T: std::str::FromStr<Err = UnknownVariant> + std::fmt::Display,
    {
        match text.parse::<T>() {
            Ok(value) => assert_eq!(value.to_string(), text),
            Err(err) => {
                assert_eq!(err.value, text);
                assert!(err.to_string().contains(err.kind), "{err}");
            }
        }
    }
    id::<StaffUserId>(&text);
    id::<ConversationId>(&text);
    id::<AlertId>(&text);
    id::<ActionId>(&text);
    enumeration::<Role>(&text);
    enumeration::<ServiceKind>(&text);
    enumeration::<ConversationStatus>(&text);
    enumeration::<AlertType>(&text);
    enumeration::<AlertSeverity>(&text);
    enumeration::<ActionTool>(&text);
}

/// The query strings of the REST lists (alerts, conversations): a refusal is a client error
/// naming one of the list's parameters (none when the query string itself is unreadable), and
/// the `Link` to the next page asks for the same list again.
pub fn rest_query(data: &[u8]) {
    let query = String::from_utf8_lossy(data);
    match ListRequest::from_query(&query) {
        Ok(request) => {
            let end = request.cursor.unwrap_or_else(some_alert_cursor);
            let next = ListRequest::from_query(link_query(&request.next_link(end)))
                .unwrap_or_else(|e| panic!("{query:?}: the next page's link is refused: {e}"));
            assert_eq!(
                next,
                ListRequest {
                    cursor: Some(end),
                    ..request
                },
                "{query:?}"
            );
        }
        Err(err) => assert_client_error(
            &err,
            &["unread", "resolved", "type", "limit", "cursor"],
            &query,
        ),
    }
    match ConversationsRequest::from_query(&query) {
        Ok(request) => {
            let end = request
                .after
                .unwrap_or_else(|| Position::new(now(), ConversationId::new().0));
            let link = request.next_link(end);
            let next = ConversationsRequest::from_query(link_query(&link))
                .unwrap_or_else(|e| panic!("{query:?}: the next page's link is refused: {e}"));
            assert_eq!(
                next,
                ConversationsRequest {
                    after: Some(end),
                    ..request
                },
                "{query:?}"
            );
        }
        Err(err) => assert_client_error(&err, &["limit", "cursor", "status"], &query),
    }
}

fn some_alert_cursor() -> AlertCursor {
    let position = Position::new(now(), AlertId::new().0);
    AlertCursor::decode(&position.encode("alert")).expect("an alert cursor")
}

/// The query string of a `Link: <path?query>; rel="next"` header.
fn link_query(link: &str) -> &str {
    let start = link.find('?').expect("a query in the link") + 1;
    let end = link.find('>').expect("a closed link");
    &link[start..end]
}

/// The JSON bodies of `POST /api/v2/admin/aim/chat` and `POST /api/v2/auth/login`, read as
/// the routes read them: what is refused is a 400 or 422, naming the field when it is one.
pub fn rest_body(data: &[u8]) {
    match Json::<ChatBody>::from_bytes(data) {
        Ok(Json(body)) => {
            if let Err(err) = body.conversation_id() {
                assert_client_error(&err, &["conversationId"], &body.message);
            }
        }
        Err(rejection) => assert_client_error(&ApiError::from(rejection), &[], ""),
    }
    match Json::<LoginInput>::from_bytes(data) {
        Ok(Json(input)) => {
            if let Err(err) = input.check() {
                assert_client_error(&err, &["email", "password"], "");
            }
        }
        Err(rejection) => assert_client_error(&ApiError::from(rejection), &[], ""),
    }
}

fn assert_client_error(err: &ApiError, fields: &[&str], input: &str) {
    assert!(
        matches!(
            err.status(),
            StatusCode::BAD_REQUEST | StatusCode::UNPROCESSABLE_ENTITY
        ),
        "{input:?}: {} {err}",
        err.status()
    );
    if let Some(field) = err.field() {
        assert!(fields.contains(&field), "{input:?}: names `{field}`: {err}");
    }
}

/// A tool input the model sent: the first byte picks the tool (one in ten bytes an unknown
/// one), the rest is the JSON input. An accepted input reads the same once normalised; a
/// refused one is `invalid_input` naming a field, or `unknown_tool`.
pub fn tool_input(data: &[u8]) {
    let Some((&pick, json)) = data.split_first() else {
        return;
    };
    let name = TOOL_NAMES
        .get(pick as usize % 10)
        .copied()
        .unwrap_or("no_such_tool");
    let Ok(input) = serde_json::from_slice::<Value>(json) else {
        return;
    };
    check_tool_input(name, &input);
}

/// [`tool_input`] for an input already parsed.
pub fn check_tool_input(name: &str, input: &Value) {
    match tools::check_input(name, input) {
        Ok(normalized) => assert_eq!(
            tools::check_input(name, &normalized),
            Ok(normalized.clone()),
            "{name} {input}"
        ),
        Err(err) if err.code == "unknown_tool" => {
            assert!(!TOOL_NAMES.contains(&name), "{name} {input}")
        }
        Err(err) => {
            assert_eq!(err.code, "invalid_input", "{name} {input}");
            let field = err.field.as_deref().unwrap_or_default();
            assert!(!field.is_empty(), "{name} {input}: no field in {err:?}");
        }
    }
}

/// A provider's event stream: the body's bytes cut into network chunks at every 0xFF byte.
/// However the body is cut, the answer is the same; an answer's text is the text reported
/// as it arrived (the OpenAI-compatible reader drops an answer of blanks only).
pub fn model_stream(data: &[u8]) {
    let chunks: Vec<Vec<u8>> = data.split(|&b| b == 0xFF).map(<[u8]>::to_vec).collect();
    let whole = vec![chunks.concat()];

    let (answer, reported) = anthropic::read_stream_chunks(chunks.clone());
    let (answer_whole, reported_whole) = anthropic::read_stream_chunks(whole.clone());
    assert_eq!(format!("{answer:?}"), format!("{answer_whole:?}"));
    assert_eq!(reported, reported_whole);
    if let Ok(response) = &answer {
        assert_eq!(text_of(&reported), texts(&response.content));
    }

    let (answer, reported) = openai::read_stream_chunks(chunks, "model");
    let (answer_whole, reported_whole) = openai::read_stream_chunks(whole, "model");
    assert_eq!(format!("{answer:?}"), format!("{answer_whole:?}"));
    assert_eq!(reported, reported_whole);
    if let Ok(response) = &answer {
        let said = text_of(&reported);
        let text = texts(&response.content);
        assert!(text == said || (text.is_empty() && said.trim().is_empty()));
    }
}

fn text_of(events: &[StreamEvent]) -> String {
    events
        .iter()
        .map(|event| match event {
            StreamEvent::TextDelta(text) => text.as_str(),
        })
        .collect()
}

fn texts(content: &[ContentBlock]) -> String {
    content
        .iter()
        .filter_map(|block| match block {
            ContentBlock::Text { text } => Some(text.as_str()),
            _ => None,
        })
        .collect()
}

/// The secret of [`token`]'s keys; tests sign with it to make tokens that verify.
pub const TOKEN_SECRET: &str = "untrusted-input-test-secret-0123456789";

/// The keys [`token`] verifies with.
pub fn token_keys() -> &'static JwtKeys {
    static KEYS: OnceLock<JwtKeys> = OnceLock::new();
    KEYS.get_or_init(|| {
        JwtKeys::new(
            &Secret::new(TOKEN_SECRET),
            "aim",
            "aim-admin",
            Duration::from_secs(3600),
        )
    })
}

/// A bearer token from anyone: nothing forged from arbitrary bytes verifies.
pub fn token(data: &[u8]) {
    let text = String::from_utf8_lossy(data);
    let verified = token_keys().verify(&text);
    assert!(verified.is_err(), "{text:?} verified: {verified:?}");
}
