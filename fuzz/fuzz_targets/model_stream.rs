#![no_main]
//! The Anthropic and OpenAI-compatible event streams, cut into chunks at 0xFF bytes.

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    aim::untrusted::model_stream(data);
});
