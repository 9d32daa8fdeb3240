//! The airgui binary's command line: bad configuration is refused before anything starts, with
//! a message naming the key and the problem.

// Test helpers fail the test loudly; that is what expect is for here.
#![allow(clippy::expect_used)]

use std::process::Command;

const AIRGUI: &str = env!("CARGO_BIN_EXE_airgui");

fn run_with_config(toml: &str) -> (bool, String) {
    let dir =
        std::env::temp_dir().join(format!("airgui-cli-{}-{}", std::process::id(), toml.len()));
    std::fs::create_dir_all(&dir).expect("temp dir");
    let path = dir.join("bad.toml");
    std::fs::write(&path, toml).expect("write config");
    let output = Command::new(AIRGUI)
        .arg("--config")
        .arg(&path)
        .env("XDG_RUNTIME_DIR", &dir)
        .output()
        .expect("run airgui");
    let _ = std::fs::remove_dir_all(&dir);
    (
        output.status.success(),
        String::from_utf8_lossy(&output.stderr).into_owned(),
    )
}

#[test]
fn a_bad_qube_name_is_refused_with_its_key() {
    let (ok, stderr) =
        run_with_config("[[qube]]\nname = \"9lives\"\nlabel = \"red\"\nlisten = \"/tmp/x.sock\"\n");
    assert!(!ok);
    assert!(stderr.contains("qube[0].name"), "{stderr}");
    assert!(stderr.contains("9lives"), "{stderr}");
}

#[test]
fn an_unknown_key_is_refused_with_its_path() {
    let (ok, stderr) = run_with_config("[output]\nwidht = 100\n");
    assert!(!ok);
    assert!(stderr.contains("output.widht"), "{stderr}");
}

#[test]
fn an_unknown_label_is_refused() {
    let (ok, stderr) =
        run_with_config("[[qube]]\nname = \"work\"\nlabel = \"pink\"\nlisten = \"/tmp/x.sock\"\n");
    assert!(!ok);
    assert!(stderr.contains("qube[0].label"), "{stderr}");
}

#[test]
fn msg_without_a_running_airgui_says_so() {
    let output = Command::new(AIRGUI)
        .args(["msg", "--socket", "/nonexistent/airgui.ipc", "qubes"])
        .output()
        .expect("run airgui msg");
    assert!(!output.status.success());
    assert!(String::from_utf8_lossy(&output.stderr).contains("is it running?"));
}
