//! The daemon-side state machine fed an arbitrary byte stream in arbitrary splits, with a real
//! sealed pool so that dumps are mapped for real.
#![no_main]

#[path = "../bodies/daemon.rs"]
mod body;

libfuzzer_sys::fuzz_target!(|data: &[u8]| body::run(data));
