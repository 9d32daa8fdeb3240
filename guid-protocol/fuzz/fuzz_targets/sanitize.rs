//! The sanitizers: any decodable message against a table of known windows, with arbitrary
//! limits. Whatever comes out must respect the rules it claims to enforce.
#![no_main]

#[path = "../bodies/sanitize.rs"]
mod body;

libfuzzer_sys::fuzz_target!(|data: &[u8]| body::run(data));
