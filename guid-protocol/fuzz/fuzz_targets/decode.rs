//! The decoder: arbitrary bytes as a header and a body, and as a stream for the framer.
#![no_main]

#[path = "../bodies/decode.rs"]
mod body;

libfuzzer_sys::fuzz_target!(|data: &[u8]| body::run(data));
