//! Properties of the parsers that read untrusted input — page cursors, typed ids, REST query
//! strings and bodies, the model's tool inputs, model providers' event streams and bearer
//! tokens: whatever comes in, nothing panics, what is accepted reads back the same, and what is
//! refused names the field at fault. The checks themselves are `aim::untrusted` (the fuzz
//! targets in `fuzz/` run the same); these tests feed them generated input, both well-formed
//! and hostile. `PROPTEST_CASES` raises the number of cases (256 by default per property,
//! fewer for the slow ones).

mod cursors;
mod rest;
mod streams;
mod tokens;
mod tools;

use proptest::prelude::*;

/// Text a client or a model might send: any characters, with NUL, controls, quotes,
/// separators and non-ASCII letters made likely.
pub fn hostile_text() -> impl Strategy<Value = String> {
    let piece = prop_oneof![
        any::<char>().prop_map(String::from),
        Just("\0".to_owned()),
        Just("\u{fffd}".to_owned()),
        Just("é".to_owned()),
        Just("🐕".to_owned()),
        "[\"'\\\\%&=?:;,#/ \\t\\r\\n{}\\[\\]<>]",
        "[a-z0-9_-]{1,8}",
    ];
    prop::collection::vec(piece, 0..12).prop_map(|pieces| pieces.concat())
}

/// Cases for the properties that do more per case (event streams).
pub fn fewer_cases(default: u32) -> ProptestConfig {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|n| n.parse().ok())
        .unwrap_or(default);
    ProptestConfig::with_cases(cases)
}
