//! The fuzz target's seed corpus (`fuzz/seeds/scancode`) and kept crashers
//! (`fuzz/regressions/scancode`), replayed through the same code the fuzzer runs.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

#[path = "../fuzz/bodies/scancode.rs"]
mod scancode;

#[path = "../../tests/src/fuzz_replay.rs"]
mod fuzz_replay;

#[test]
fn scancode() {
    fuzz_replay::replay(env!("CARGO_MANIFEST_DIR"), "scancode", scancode::run);
}
