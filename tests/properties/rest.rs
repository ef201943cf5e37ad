//! REST query strings (the alert and conversation lists) and JSON bodies (chat, login), read
//! as the routes read them.

use aim::api::error::ApiError;
use aim::api::rest::alerts::ListRequest;
use aim::api::rest::chat::{ChatBody, ConversationsRequest};
use aim::domain::{AlertType, ConversationId, ConversationStatus};
use aim::untrusted;
use axum::Json;
use axum::http::StatusCode;
use proptest::prelude::*;
use serde_json::{Value, json};
use uuid::Uuid;

use super::hostile_text;

fn encode(text: &str) -> String {
    serde_urlencoded::to_string([("v", text)]).unwrap()[2..].to_owned()
}

/// A query-string value: any text, percent-encoded or raw.
fn query_value() -> impl Strategy<Value = String> {
    prop_oneof![
        hostile_text().prop_map(|t| encode(&t)),
        hostile_text(),
        "%[0-9A-Fa-fxz]{0,2}",
    ]
}

fn alert_type() -> impl Strategy<Value = AlertType> {
    prop::sample::select(AlertType::ALL)
}

fn field_of(err: &ApiError) -> Option<&str> {
    err.field()
}

proptest! {
    #[test]
    fn an_alert_list_query_reads_as_it_was_written(
        unread in any::<Option<bool>>(), resolved in any::<Option<bool>>(),
        kind in prop::option::of(alert_type()), limit in prop::option::of(1usize..=100),
        upper in any::<bool>(),
    ) {
        let mut query = Vec::new();
        if let Some(unread) = unread {
            let text = unread.to_string();
            query.push(format!("unread={}", if upper { text.to_uppercase() } else { text }));
        }
        if let Some(resolved) = resolved {
            query.push(format!("resolved={resolved}"));
        }
        if let Some(kind) = kind {
            query.push(format!("type={kind}"));
        }
        if let Some(limit) = limit {
            query.push(format!("limit=%20{limit}"));
        }
        let query = query.join("&");
        let request = ListRequest::from_query(&query).unwrap();
        prop_assert_eq!(request.filter.unread, unread);
        prop_assert_eq!(request.filter.resolved, resolved);
        prop_assert_eq!(request.filter.kind, kind);
        prop_assert_eq!(request.limit, limit.unwrap_or(20));
        untrusted::rest_query(query.as_bytes());
    }

    #[test]
    fn a_bad_alert_list_parameter_is_a_400_naming_it(
        param in prop::sample::select(&["unread", "resolved", "type", "limit", "cursor"][..]),
        value in query_value(),
    ) {
        let query = format!("{param}={value}");
        match ListRequest::from_query(&query) {
            Ok(_) => {}
            Err(err) => {
                prop_assert_eq!(err.status(), StatusCode::BAD_REQUEST);
                prop_assert_eq!(field_of(&err), Some(param), "{}", err);
            }
        }
        untrusted::rest_query(query.as_bytes());
    }

    #[test]
    fn a_conversation_list_query_reads_as_it_was_written(
        limit in prop::option::of(1i64..=100),
        status in prop::option::of(prop::sample::select(&["active", "archived", "all"][..])),
    ) {
        let mut query = Vec::new();
        if let Some(limit) = limit {
            query.push(format!("limit={limit}"));
        }
        if let Some(status) = status {
            query.push(format!("status={status}"));
        }
        let query = query.join("&");
        let request = ConversationsRequest::from_query(&query).unwrap();
        prop_assert_eq!(request.limit, limit.unwrap_or(20));
        let expected = match status {
            None | Some("active") => Some(ConversationStatus::Active),
            Some("archived") => Some(ConversationStatus::Archived),
            _ => None,
        };
        prop_assert_eq!(request.status, expected);
        untrusted::rest_query(query.as_bytes());
    }

    #[test]
    fn a_bad_conversation_list_parameter_names_it(
        param in prop::sample::select(&["limit", "cursor", "status"][..]),
        value in query_value(),
    ) {
        let query = format!("{param}={value}");
        if let Err(err) = ConversationsRequest::from_query(&query) {
            prop_assert!(err.status().is_client_error(), "{}", err);
            prop_assert_eq!(field_of(&err), Some(param), "{}", err);
        }
        untrusted::rest_query(query.as_bytes());
    }

    #[test]
    fn arbitrary_query_strings_never_panic_and_refusals_name_a_parameter(
        pairs in prop::collection::vec((
            prop_oneof![
                prop::sample::select(&["unread", "resolved", "type", "limit", "cursor", "status"][..]).prop_map(str::to_owned),
                hostile_text(),
            ],
            query_value(),
        ), 0..6),
        separator in prop::sample::select(&["&", ";", "&&", "=&"][..]),
    ) {
        let query = pairs.iter().map(|(k, v)| format!("{k}={v}")).collect::<Vec<_>>().join(separator);
        untrusted::rest_query(query.as_bytes());
    }

    #[test]
    fn a_chat_body_reads_as_it_was_written(message in hostile_text(), id in prop::option::of(any::<u128>())) {
        let conversation_id = id.map(|id| ConversationId(Uuid::from_u128(id)));
        let body = json!({"message": message, "conversationId": conversation_id});
        let bytes = serde_json::to_vec(&body).unwrap();
        let Json(read) = Json::<ChatBody>::from_bytes(&bytes).unwrap();
        prop_assert_eq!(&read.message, &message);
        prop_assert_eq!(read.conversation_id().unwrap(), conversation_id);
        untrusted::rest_body(&bytes);
    }

    #[test]
    fn a_chat_body_with_a_field_of_the_wrong_kind_is_a_client_error(
        field in prop::sample::select(&["message", "conversationId", "extra"][..]),
        value in json_value(),
    ) {
        let mut body = json!({"message": "How is today looking?"});
        body[field] = value.clone();
        let bytes = serde_json::to_vec(&body).unwrap();
        match Json::<ChatBody>::from_bytes(&bytes) {
            Ok(Json(read)) => {
                if let Err(err) = read.conversation_id() {
                    prop_assert_eq!(err.status(), StatusCode::BAD_REQUEST);
                    prop_assert_eq!(err.field(), Some("conversationId"));
                }
            }
            Err(rejection) => {
                let status = ApiError::from(rejection).status();
                prop_assert!(status == StatusCode::BAD_REQUEST || status == StatusCode::UNPROCESSABLE_ENTITY, "{}", status);
                prop_assert!(field == "extra" || !value.is_string(), "{} {}", field, value);
            }
        }
        untrusted::rest_body(&bytes);
    }

    #[test]
    fn arbitrary_bodies_are_client_errors_or_read(
        bytes in prop::collection::vec(any::<u8>(), 0..256),
        text in hostile_text(),
        value in json_value(),
    ) {
        untrusted::rest_body(&bytes);
        untrusted::rest_body(text.as_bytes());
        untrusted::rest_body(&serde_json::to_vec(&value).unwrap());
        let login = json!({"email": text, "password": text});
        untrusted::rest_body(&serde_json::to_vec(&login).unwrap());
    }
}

/// Any JSON value, nested a little.
pub fn json_value() -> impl Strategy<Value = Value> {
    let leaf = prop_oneof![
        Just(Value::Null),
        any::<bool>().prop_map(Value::from),
        any::<i64>().prop_map(Value::from),
        // Fractions that print and parse back exactly.
        any::<i32>().prop_map(|i| json!(f64::from(i) / 8.0)),
        hostile_text().prop_map(Value::from),
        any::<u128>().prop_map(|id| Value::from(Uuid::from_u128(id).to_string())),
    ];
    leaf.prop_recursive(3, 16, 4, |inner| {
        prop_oneof![
            prop::collection::vec(inner.clone(), 0..4).prop_map(Value::from),
            prop::collection::btree_map(hostile_text(), inner, 0..4)
                .prop_map(|map| Value::Object(map.into_iter().collect())),
        ]
    })
}
