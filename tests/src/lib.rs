//! End-to-end tests of airgui live in `tests/`: they start real processes (airgui, demo agents)
//! and talk to them over real sockets. This library holds what they share:
//!
//! * [`Setup`] writes a configuration into a fresh temporary directory (every socket lives in
//!   it, so tests run in parallel) and starts `airgui --test-input` as an [`Airgui`], which
//!   speaks its IPC ([`Airgui::msg`]), takes screenshots ([`Image`]) and kills it on drop;
//! * [`Airgui::agent`] starts a `guid-demo-agent` for a qube ([`Agent`], with its JSON event log);
//! * [`Airgui::qube_agent`] starts `airgui-agent` for a qube ([`QubeAgent`]), a Wayland
//!   compositor in the qube, and [`QubeAgent::app`] runs real applications in it ([`App`]);
//! * [`Airgui::native_app`] runs a real Wayland application as one of the GUI qube's own
//!   programs, a client of airgui itself, and [`Airgui::grim`] photographs the output with `grim`;
//! * [`RawAgent`] is a qube written here, byte by byte, that can break every rule of the protocol;
//! * [`wait_until`] polls a condition with a generous timeout: tests never sleep to synchronise;
//! * [`Setup::rdp`] makes airgui serve RDP, and [`Xvfb`] with [`FreeRdp`] look at it through a
//!   real RDP client on an X server of the test's own.
//!
//! One module per concern: `setup` and `airgui` (the process and its IPC), `window` and `image`
//! (what it shows), `palette` (the colours and sizes it draws with), `demo_agent`, `raw_agent`
//! and `qube_agent` (the three kinds of qube), `rdp_client` (Xvfb and xfreerdp) and `vm` (the
//! login session in QEMU). Everything is re-exported here, for `use airgui_e2e::*`.

// Test helpers fail the test loudly; that is what unwrap, expect and indexing are for here.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::fmt::Debug;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

mod airgui;
mod demo_agent;
mod image;
mod palette;
mod qube_agent;
mod raw_agent;
mod rdp_client;
mod setup;
pub mod vm;
mod window;

pub use airgui::*;
pub use demo_agent::*;
pub use image::*;
pub use palette::*;
pub use qube_agent::*;
pub use raw_agent::*;
pub use rdp_client::*;
pub use setup::*;
pub use window::*;

/// How long to wait for something that should happen at once; only a failing test waits it out,
/// so it is generous: CI runs two tests at a time on two loaded cores.
pub const PATIENCE: Duration = Duration::from_secs(40);
/// How often [`wait_until`] looks again.
pub(crate) const POLL: Duration = Duration::from_millis(20);

/// The path of a binary built in this workspace's target directory, next to the test binary.
pub fn workspace_binary(name: &str) -> PathBuf {
    let mut dir = std::env::current_exe().unwrap_or_default();
    dir.pop();
    if dir.ends_with("deps") {
        dir.pop();
    }
    dir.join(name)
}

pub(crate) fn send_signal(pid: u32, signal: rustix::process::Signal) {
    let pid = rustix::process::Pid::from_raw(pid as i32).expect("a pid");
    rustix::process::kill_process(pid, signal).expect("signal a process of the test");
}

/// [`workspace_binary`], which must exist.
pub(crate) fn built_binary(name: &str) -> PathBuf {
    let path = workspace_binary(name);
    assert!(
        path.is_file(),
        "{} is missing: build the workspace's binaries first (`cargo build --workspace --bins`, \
         as `make test` does), then run these tests",
        path.display()
    );
    path
}

/// Calls `condition` until it returns `Ok`, every few milliseconds, for at most `timeout`; then
/// panics with `what` and the last state the condition observed (its `Err`).
pub fn wait_until<T, S: Debug>(
    what: &str,
    timeout: Duration,
    mut condition: impl FnMut() -> Result<T, S>,
) -> T {
    let deadline = Instant::now() + timeout;
    loop {
        match condition() {
            Ok(value) => return value,
            Err(state) if Instant::now() >= deadline => {
                panic!("timed out after {timeout:?} waiting for {what}; last observed: {state:#?}")
            }
            Err(_) => std::thread::sleep(POLL),
        }
    }
}

/// [`wait_until`] with [`PATIENCE`].
pub fn wait_for<T, S: Debug>(what: &str, condition: impl FnMut() -> Result<T, S>) -> T {
    wait_until(what, PATIENCE, condition)
}

/// Waits until `path` holds `expected`.
pub fn wait_file(path: &Path, expected: &str) {
    wait_for(
        &format!("{} to hold {expected:?}", path.display()),
        || match std::fs::read_to_string(path) {
            Ok(text) if text == expected => Ok(()),
            other => Err(other.map_err(|e| e.to_string())),
        },
    );
}
