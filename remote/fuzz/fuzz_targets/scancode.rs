//! The scancode table: every set-1 code and flag combination maps to a key or to nothing, and
//! whatever maps back maps to the same key.
#![no_main]

#[path = "../bodies/scancode.rs"]
mod body;

libfuzzer_sys::fuzz_target!(|data: &[u8]| body::run(data));
