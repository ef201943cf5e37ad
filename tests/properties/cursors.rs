//! Page cursors and the text forms of typed ids and enumerations.

use aim::cursor::Position;
use aim::domain::{AlertType, ConversationId, Role, ServiceKind};
use aim::untrusted;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::DateTime;
use proptest::prelude::*;
use uuid::Uuid;

use super::hostile_text;

/// Any instant a cursor can hold (microseconds within chrono's range).
fn instant() -> impl Strategy<Value = DateTime<chrono::Utc>> {
    (-8_000_000_000_000_000i64..8_000_000_000_000_000i64)
        .prop_map(|micros| DateTime::from_timestamp_micros(micros).expect("in range"))
}

proptest! {
    #[test]
    fn a_cursor_round_trips_to_its_position_and_only_for_its_list(
        at in instant(), id in any::<u128>(), kind in "[a-z_]{1,12}", other in "[a-z_]{1,12}",
    ) {
        let position = Position::new(at, Uuid::from_u128(id));
        let text = position.encode(&kind);
        prop_assert_eq!(Position::decode(&text, &kind), Some(position));
        prop_assert_eq!(Position::decode(&format!(" {text}\n"), &kind), Some(position));
        if other != kind {
            prop_assert_eq!(Position::decode(&text, &other), None);
        }
        untrusted::cursor(text.as_bytes());
    }

    #[test]
    fn arbitrary_text_or_bytes_are_no_cursor_or_a_consistent_one(
        text in hostile_text(), bytes in prop::collection::vec(any::<u8>(), 0..64),
    ) {
        untrusted::cursor(text.as_bytes());
        untrusted::cursor(&bytes);
        // Base64url of anything, which is the outer layer a forged cursor gets right.
        untrusted::cursor(URL_SAFE_NO_PAD.encode(&bytes).as_bytes());
        untrusted::cursor(URL_SAFE_NO_PAD.encode(text.as_bytes()).as_bytes());
    }

    #[test]
    fn a_cursor_with_a_damaged_inside_is_refused(
        micros in "[-+0-9a-z. ]{0,24}", id in "[0-9a-fA-F-]{0,40}",
    ) {
        let text = URL_SAFE_NO_PAD.encode(format!("conversation:{micros}:{id}"));
        let decoded = Position::decode(&text, "conversation");
        let valid = micros.parse::<i64>().ok().and_then(DateTime::from_timestamp_micros).is_some()
            && Uuid::parse_str(&id).is_ok();
        prop_assert_eq!(decoded.is_some(), valid);
        untrusted::cursor(text.as_bytes());
    }

    #[test]
    fn ids_print_and_parse_back(id in any::<u128>()) {
        let id = ConversationId(Uuid::from_u128(id));
        prop_assert_eq!(id.to_string().parse::<ConversationId>().ok(), Some(id));
        prop_assert_eq!(id.to_string().to_uppercase().parse::<ConversationId>().ok(), Some(id));
        untrusted::ids(id.to_string().as_bytes());
    }

    #[test]
    fn arbitrary_text_is_no_id_or_enumeration_value_unless_it_is_one(text in hostile_text()) {
        untrusted::ids(text.as_bytes());
        if let Ok(role) = text.parse::<Role>() {
            prop_assert_eq!(role.as_str(), text.as_str());
        }
        if let Err(err) = text.parse::<ServiceKind>() {
            prop_assert!(err.to_string().contains("unknown service"), "{}", err);
            prop_assert!(err.to_string().contains("daycare"), "{}", err);
        }
        if text.parse::<AlertType>().is_ok() {
            prop_assert!(AlertType::ALL.iter().any(|t| t.as_str() == text));
        }
    }
}
