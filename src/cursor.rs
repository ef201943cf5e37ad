//! Opaque page cursors, one codec for every list (REST `Link` pages, GraphQL connections, the
//! alert service): a keyset position `(timestamp, id)` tagged with what the list holds, as
//! base64url, so clients pass it back without reading into it, a cursor of one list is refused
//! by another, and the server resumes exactly after that row.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// A position in a list ordered by a timestamp and then an id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Position {
    pub at: DateTime<Utc>,
    pub id: Uuid,
}

impl Position {
    pub fn new(at: DateTime<Utc>, id: impl Into<Uuid>) -> Position {
        Position { at, id: id.into() }
    }

    /// `kind:microseconds:id`, base64url. Timestamps are stored to the microsecond, so the
    /// position round-trips exactly.
    pub fn encode(&self, kind: &str) -> String {
        URL_SAFE_NO_PAD.encode(format!("{kind}:{}:{}", self.at.timestamp_micros(), self.id))
    }

    /// The position a cursor of a `kind` list names; `None` for anything else.
    pub fn decode(text: &str, kind: &str) -> Option<Position> {
        Position::decode_tagged(text).and_then(|(k, p)| (k == kind).then_some(p))
    }

    /// The list kind and position of any cursor this server handed out.
    pub fn decode_tagged(text: &str) -> Option<(String, Position)> {
        let bytes = URL_SAFE_NO_PAD.decode(text.trim()).ok()?;
        let text = String::from_utf8(bytes).ok()?;
        let mut parts = text.splitn(3, ':');
        let (kind, micros, id) = (parts.next()?, parts.next()?, parts.next()?);
        Some((
            kind.to_owned(),
            Position {
                at: DateTime::from_timestamp_micros(micros.parse().ok()?)?,
                id: Uuid::parse_str(id).ok()?,
            },
        ))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_refuse_garbage_and_other_lists() {
        let position = Position::new(crate::domain::now(), Uuid::now_v7());
        let text = position.encode("conversation");
        assert_eq!(Position::decode(&text, "conversation"), Some(position));
        assert_eq!(Position::decode(&text, "alert"), None);
        for bad in ["", "abc", "!!!", &URL_SAFE_NO_PAD.encode("x:12:not-a-uuid")] {
            assert_eq!(Position::decode_tagged(bad), None, "{bad}");
        }
    }
}
