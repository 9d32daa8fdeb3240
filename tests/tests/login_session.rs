//! `--backend udev`: the login session. Without a seat or a GPU airgui exits with a message
//! that says which is missing and what to do, not a panic.

// Test helpers fail the test loudly; that is what unwrap, expect and indexing are for here.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::process::{Command, Output};

use airgui_e2e::workspace_binary;

/// Runs `airgui --backend udev` with `env` added and returns what it did.
fn run_udev(env: &[(&str, &str)]) -> Output {
    let dir = tempfile::tempdir().unwrap();
    let output = Command::new(workspace_binary("airgui"))
        .args(["--backend", "udev"])
        .env("XDG_RUNTIME_DIR", dir.path())
        .env("RUST_BACKTRACE", "0")
        .envs(env.iter().copied())
        .output()
        .expect("cannot run airgui");
    output
}

fn assert_fails_saying(output: &Output, words: &[&str]) {
    let stderr = String::from_utf8_lossy(&output.stderr);
    assert!(!output.status.success(), "airgui started: {stderr}");
    assert!(!stderr.contains("panicked"), "airgui panicked: {stderr}");
    for word in words {
        assert!(stderr.contains(word), "{word:?} is not in: {stderr}");
    }
}

#[test]
fn udev_without_a_seat_says_so_and_how_to_get_one() {
    // libseat asked for seatd only, at a socket that does not exist: no seat, on any machine.
    let dir = tempfile::tempdir().unwrap();
    let socket = dir.path().join("no-seatd.sock");
    let output = run_udev(&[
        ("LIBSEAT_BACKEND", "seatd"),
        ("SEATD_SOCK", socket.to_str().unwrap()),
    ]);
    assert_fails_saying(
        &output,
        &["no seat", "seatd", "logind", "--backend headless"],
    );
}

#[test]
fn udev_without_a_gpu_says_so_and_what_to_do() {
    let has_gpu = std::fs::read_dir("/dev/dri").is_ok_and(|entries| {
        entries
            .flatten()
            .any(|entry| entry.file_name().to_string_lossy().starts_with("card"))
    });
    if has_gpu {
        // Here airgui would take over the screen: this test is for machines without a GPU.
        eprintln!("skipped: this machine has a GPU (/dev/dri/card*)");
        return;
    }
    let output = run_udev(&[]);
    let stderr = String::from_utf8_lossy(&output.stderr);
    // As root libseat's built-in seat works anywhere, and then the GPU is what is missing;
    // elsewhere the seat may be missing first, which is the other test's message.
    if stderr.contains("no seat") {
        assert_fails_saying(&output, &["no seat", "seatd"]);
    } else {
        assert_fails_saying(&output, &["no GPU", "/dev/dri", "--backend headless"]);
    }
}
