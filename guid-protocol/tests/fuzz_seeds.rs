//! The fuzz targets' seed corpora (`fuzz/seeds/<target>`) and kept crashers
//! (`fuzz/regressions/<target>`), replayed through the same code the fuzzers run.

#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

#[path = "../fuzz/bodies/daemon.rs"]
mod daemon;
#[path = "../fuzz/bodies/decode.rs"]
mod decode;
#[path = "../fuzz/bodies/pool_map.rs"]
mod pool_map;
#[path = "../fuzz/bodies/sanitize.rs"]
mod sanitize;

#[path = "../../tests/src/fuzz_replay.rs"]
mod fuzz_replay;

#[test]
fn daemon() {
    fuzz_replay::replay(env!("CARGO_MANIFEST_DIR"), "daemon", daemon::run);
}

#[test]
fn decode() {
    fuzz_replay::replay(env!("CARGO_MANIFEST_DIR"), "decode", decode::run);
}

#[test]
fn pool_map() {
    fuzz_replay::replay(env!("CARGO_MANIFEST_DIR"), "pool_map", pool_map::run);
}

#[test]
fn sanitize() {
    fuzz_replay::replay(env!("CARGO_MANIFEST_DIR"), "sanitize", sanitize::run);
}
