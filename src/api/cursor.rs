//! Opaque page cursors: a keyset position `(timestamp, id)` encoded as base64url, so clients
//! pass it back without reading into it and the server resumes exactly after that row.

use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use uuid::Uuid;

/// A position in a list ordered by a timestamp and then an id.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Cursor {
    pub at: DateTime<Utc>,
    pub id: Uuid,
}

impl Cursor {
    pub fn new(at: DateTime<Utc>, id: impl Into<Uuid>) -> Cursor {
        Cursor { at, id: id.into() }
    }

    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(format!(
            "{}|{}",
            self.at.timestamp_micros(),
            self.id.simple()
        ))
    }

    /// `None` for anything this server did not hand out.
    pub fn decode(text: &str) -> Option<Cursor> {
        let bytes = URL_SAFE_NO_PAD.decode(text.trim()).ok()?;
        let text = String::from_utf8(bytes).ok()?;
        let (micros, id) = text.split_once('|')?;
        Some(Cursor {
            at: DateTime::from_timestamp_micros(micros.parse().ok()?)?,
            id: Uuid::parse_str(id).ok()?,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn cursors_round_trip_and_refuse_garbage() {
        let cursor = Cursor::new(crate::domain::now(), Uuid::now_v7());
        assert_eq!(Cursor::decode(&cursor.encode()), Some(cursor));
        for bad in ["", "abc", "!!!", &URL_SAFE_NO_PAD.encode("12|not-a-uuid")] {
            assert_eq!(Cursor::decode(bad), None, "{bad}");
        }
    }
}
