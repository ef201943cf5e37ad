#![no_main]
//! Bearer tokens: nothing forged verifies.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    aim::untrusted::token(data);
});
