//! Relay connections over keyset pages: page sizes, opaque cursors, and building a page from
//! the `first + 1` rows a query fetched.
//!
//! A cursor is the position of a row in its list — the timestamp the list is sorted by and the
//! row's id, which breaks ties — tagged with what the list holds, then base64url-encoded so
//! clients treat it as opaque. Lists are read with `WHERE (at, id) > cursor` (or `<` for newest
//! first), so a page never repeats or skips rows when rows are added meanwhile.

use async_graphql::connection::{CursorType, PageInfo};
use chrono::{DateTime, Utc};
use uuid::Uuid;

use crate::api::error::ApiError;
use crate::cursor::Position;

/// Items on a page when `first` is not given.
pub const DEFAULT_PAGE_SIZE: usize = 20;
/// The most items one page may hold.
pub const MAX_PAGE_SIZE: usize = 100;

/// A Relay connection type and its edge type for one kind of node, with `doc` describing the
/// list; both implement [`Connection`].
///
/// ```ignore
/// connection!(
///     /// A page of the caller's conversations.
///     AimConversationConnection, AimConversationEdge, AimConversation
/// );
/// ```
macro_rules! connection {
    ($(#[doc = $doc:literal])+ $connection:ident, $edge:ident, $node:ty) => {
        $(#[doc = $doc])+
        #[derive(async_graphql::SimpleObject)]
        pub struct $connection {
            /// The items of the page, each with its cursor.
            pub edges: Vec<$edge>,
            /// Whether there is a next page, and the cursor to ask for it with.
            pub page_info: async_graphql::connection::PageInfo,
        }

        #[doc = concat!("One item of a page of `", stringify!($connection), "`.")]
        #[derive(async_graphql::SimpleObject)]
        pub struct $edge {
            /// The item's position: pass it as `after` to list the items after it.
            pub cursor: String,
            /// The item.
            pub node: $node,
        }

        impl $crate::api::graphql::connection::Connection for $connection {
            type Node = $node;

            fn of(
                edges: Vec<(String, $node)>,
                page_info: async_graphql::connection::PageInfo,
            ) -> Self {
                $connection {
                    edges: edges
                        .into_iter()
                        .map(|(cursor, node)| $edge { cursor, node })
                        .collect(),
                    page_info,
                }
            }
        }
    };
}
pub(crate) use connection;

/// A Relay connection type made by [`connection!`].
pub trait Connection {
    type Node;
    /// The page of `edges` (cursor and node).
    fn of(edges: Vec<(String, Self::Node)>, page_info: PageInfo) -> Self;
}

/// The page size asked for: `first`, else [`DEFAULT_PAGE_SIZE`]; from 0 to [`MAX_PAGE_SIZE`].
pub fn page_size(first: Option<i32>) -> Result<usize, ApiError> {
    match first {
        None => Ok(DEFAULT_PAGE_SIZE),
        Some(n) if n < 0 => Err(ApiError::invalid("first", "first must not be negative")),
        Some(n) if n as usize > MAX_PAGE_SIZE => Err(ApiError::invalid(
            "first",
            format!("first is {n}; a page holds at most {MAX_PAGE_SIZE} items"),
        )),
        Some(n) => Ok(n as usize),
    }
}

/// The row limit a query uses for a page of `size`: one more, to know whether a next page
/// exists.
pub fn fetch_limit(size: usize) -> i64 {
    size as i64 + 1
}

/// The position of a row in a list: its sort timestamp and id, and what the list holds.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Cursor {
    /// What the list holds (`conversation`, `message`): a cursor of one list is refused by
    /// another.
    kind: String,
    at: DateTime<Utc>,
    id: Uuid,
}

/// Why a cursor was refused.
#[derive(Debug, thiserror::Error)]
#[error("not a cursor of this list")]
pub struct BadCursor;

impl Cursor {
    pub fn new(kind: &str, at: DateTime<Utc>, id: impl Into<Uuid>) -> Cursor {
        Cursor {
            kind: kind.to_owned(),
            at,
            id: id.into(),
        }
    }

    /// The position an `after` argument names in a list of `kind`: `None` for the first page,
    /// an `invalid_input` error naming `after` for anything that is not a cursor of that list.
    pub fn after(
        after: Option<&str>,
        kind: &str,
    ) -> Result<Option<(DateTime<Utc>, Uuid)>, ApiError> {
        let Some(text) = after else {
            return Ok(None);
        };
        match Cursor::decode_cursor(text) {
            Ok(cursor) if cursor.kind == kind => Ok(Some((cursor.at, cursor.id))),
            _ => Err(ApiError::invalid(
                "after",
                format!("`{text}` is not a cursor of this list; pass an endCursor it returned"),
            )),
        }
    }
}

impl CursorType for Cursor {
    type Error = BadCursor;

    fn decode_cursor(s: &str) -> Result<Self, Self::Error> {
        let (kind, position) = Position::decode_tagged(s).ok_or(BadCursor)?;
        Ok(Cursor {
            kind,
            at: position.at,
            id: position.id,
        })
    }

    fn encode_cursor(&self) -> String {
        Position::new(self.at, self.id).encode(&self.kind)
    }
}

/// A page of `size` items from `rows` (fetched with [`fetch_limit`]): the extra row, if any,
/// only says that a next page exists. Pages only go forwards, so there is never a previous
/// page.
pub fn page<C: Connection, Row>(
    mut rows: Vec<Row>,
    size: usize,
    cursor_of: impl Fn(&Row) -> Cursor,
    node_of: impl Fn(Row) -> C::Node,
) -> C {
    let has_next_page = rows.len() > size;
    rows.truncate(size);
    let edges: Vec<(String, C::Node)> = rows
        .into_iter()
        .map(|row| (cursor_of(&row).encode_cursor(), node_of(row)))
        .collect();
    let page_info = PageInfo {
        has_previous_page: false,
        has_next_page,
        start_cursor: edges.first().map(|(cursor, _)| cursor.clone()),
        end_cursor: edges.last().map(|(cursor, _)| cursor.clone()),
    };
    C::of(edges, page_info)
}

#[cfg(test)]
mod tests {
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    use super::*;

    #[test]
    fn cursors_round_trip_and_are_bound_to_their_list() {
        let at = DateTime::from_timestamp_micros(1_795_000_000_123_456).unwrap();
        let id = Uuid::now_v7();
        let text = Cursor::new("message", at, id).encode_cursor();
        assert!(!text.contains(':'), "opaque: {text}");
        assert_eq!(
            Cursor::after(Some(&text), "message").unwrap(),
            Some((at, id))
        );
        let err = Cursor::after(Some(&text), "conversation").unwrap_err();
        assert_eq!((err.code(), err.field()), ("invalid_input", Some("after")));
        for bad in ["", "nope", "!!!", &URL_SAFE_NO_PAD.encode("message:x:y")] {
            assert!(Cursor::after(Some(bad), "message").is_err(), "{bad:?}");
        }
        assert_eq!(Cursor::after(None, "message").unwrap(), None);
    }

    #[test]
    fn page_sizes_default_to_20_and_stop_at_100() {
        assert_eq!(page_size(None).unwrap(), 20);
        assert_eq!(page_size(Some(100)).unwrap(), 100);
        assert_eq!(page_size(Some(0)).unwrap(), 0);
        for bad in [101, 1000, -1] {
            let err = page_size(Some(bad)).unwrap_err();
            assert_eq!(err.field(), Some("first"), "{bad}");
        }
    }
}
