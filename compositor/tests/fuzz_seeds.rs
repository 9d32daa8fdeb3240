//! The fuzz target's seed corpus (`fuzz/seeds/config`) and kept crashers
//! (`fuzz/regressions/config`), replayed through the same code the fuzzer runs.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

#[path = "../fuzz/bodies/config.rs"]
mod config;

#[path = "../../tests/src/fuzz_replay.rs"]
mod fuzz_replay;

#[test]
fn config() {
    fuzz_replay::replay(env!("CARGO_MANIFEST_DIR"), "config", config::run);
}
