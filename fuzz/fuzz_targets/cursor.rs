#![no_main]
//! Page cursors and the text of typed ids and enumerations.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    aim::untrusted::cursor(data);
    aim::untrusted::ids(data);
});
