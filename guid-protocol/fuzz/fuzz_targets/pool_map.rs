//! The daemon's mapping of a WINDOW_DUMP's refs against a real sealed pool, and every read of
//! the image that follows.
#![no_main]

#[path = "../bodies/pool_map.rs"]
mod body;

libfuzzer_sys::fuzz_target!(|data: &[u8]| body::run(data));
