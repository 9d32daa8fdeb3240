//! End-to-end tests of airgui live in `tests/`: they start real processes (airgui, demo agents,
//! RDP clients) and talk to them over real sockets. This library holds what they share.

use std::path::PathBuf;

/// The path of a binary built in this workspace's target directory, next to the test binary.
pub fn workspace_binary(name: &str) -> PathBuf {
    let mut dir = std::env::current_exe().unwrap_or_default();
    dir.pop();
    if dir.ends_with("deps") {
        dir.pop();
    }
    dir.join(name)
}
