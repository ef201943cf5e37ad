#![no_main]
//! The JSON input the model gives a tool (the first byte picks the tool).

use libfuzzer_sys::fuzz_target;

fuzz_target!(|data: &[u8]| {
    aim::untrusted::tool_input(data);
});
