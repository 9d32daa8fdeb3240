//! `make install`: what a display manager and a user find after it, installed into a scratch
//! DESTDIR from the binaries this test run built.

// Test helpers fail the test loudly; that is what unwrap, expect and indexing are for here.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::os::unix::fs::PermissionsExt;
use std::path::Path;
use std::process::Command;

use airgui_e2e::workspace_binary;

#[test]
fn make_install_puts_the_binaries_the_example_config_and_the_session_entry_under_prefix() {
    let destdir = tempfile::tempdir().unwrap();
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).parent().unwrap();
    let built = workspace_binary("airgui");
    let output = Command::new("make")
        .arg("-C")
        .arg(root)
        .arg("install-files")
        .arg("PREFIX=/usr")
        .arg(format!("DESTDIR={}", destdir.path().display()))
        .arg(format!("BUILT={}", built.parent().unwrap().display()))
        .output()
        .expect("run make");
    assert!(
        output.status.success(),
        "make install-files failed: {}",
        String::from_utf8_lossy(&output.stderr)
    );
    let usr = destdir.path().join("usr");
    for binary in ["bin/airgui", "bin/airgui-session"] {
        let mode = std::fs::metadata(usr.join(binary))
            .unwrap()
            .permissions()
            .mode();
        assert_eq!(mode & 0o755, 0o755, "{binary} is executable");
    }
    // The example configuration is the built-in defaults, every key documented.
    assert_eq!(
        std::fs::read_to_string(usr.join("share/airgui/airgui.toml")).unwrap(),
        std::fs::read_to_string(root.join("assets/airgui.toml")).unwrap()
    );
    // The session entry runs the installed launcher, which starts airgui on the real screen.
    let entry = std::fs::read_to_string(usr.join("share/wayland-sessions/airgui.desktop")).unwrap();
    assert!(entry.starts_with("[Desktop Entry]\n"), "{entry}");
    let exec = entry
        .lines()
        .find_map(|line| line.strip_prefix("Exec="))
        .expect("an Exec line");
    assert!(
        usr.join("bin").join(exec).is_file(),
        "Exec={exec} is installed"
    );
    let launcher = std::fs::read_to_string(usr.join("bin/airgui-session")).unwrap();
    assert!(launcher.contains("--backend udev"), "{launcher}");
    // The installed airgui runs.
    let version = Command::new(usr.join("bin/airgui"))
        .arg("--version")
        .output()
        .unwrap();
    assert!(String::from_utf8_lossy(&version.stdout).starts_with("airgui "));
}
