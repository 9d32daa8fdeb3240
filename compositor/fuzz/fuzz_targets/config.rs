//! The configuration parser: any text overlaid on the defaults either loads, valid, or is
//! refused with an error; it never panics.
#![no_main]

#[path = "../bodies/config.rs"]
mod body;

libfuzzer_sys::fuzz_target!(|data: &[u8]| body::run(data));
