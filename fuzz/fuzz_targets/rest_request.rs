#![no_main]
//! REST list query strings and the JSON bodies of chat and login.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    aim::untrusted::rest_query(data);
    aim::untrusted::rest_body(data);
});
