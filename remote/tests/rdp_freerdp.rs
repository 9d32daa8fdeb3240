//! The server against FreeRDP 2 (`xfreerdp`), the client most users have: NLA with the right and
//! the wrong password, and a session that logs in. Ignored by default (it needs `xfreerdp` and an
//! X display); run with
//! `xvfb-run -a cargo test -p airgui-remote --test rdp_freerdp -- --ignored`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod support;

use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use airgui_remote::server::{Security, ServerEvent};
use support::{TestServer, PASSWORD, USER};

fn freerdp_available() -> bool {
    let found = Command::new("xfreerdp")
        .arg("/version")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status()
        .is_ok();
    if !found || std::env::var_os("DISPLAY").is_none() {
        eprintln!("skipped: needs xfreerdp and an X display (xvfb-run)");
        return false;
    }
    true
}

fn xfreerdp(server: &TestServer, password: &str, extra: &[&str]) -> Command {
    let mut cmd = Command::new("xfreerdp");
    cmd.arg(format!("/v:{}", server.addr()))
        .arg(format!("/u:{USER}"))
        .arg(format!("/p:{password}"))
        .arg("/cert:ignore")
        .args(extra)
        .stdout(Stdio::null())
        .stderr(Stdio::null());
    cmd
}

#[tokio::test]
#[ignore = "needs xfreerdp and an X display"]
async fn freerdp_nla_password_check() {
    if !freerdp_available() {
        return;
    }
    let server = TestServer::start(Security::Nla);
    let ok = xfreerdp(&server, PASSWORD, &["+auth-only"])
        .status()
        .unwrap();
    assert!(ok.success(), "right password: {ok:?}");
    let bad = xfreerdp(&server, "wrong", &["+auth-only"])
        .status()
        .unwrap();
    assert!(!bad.success(), "wrong password accepted");
    server
        .wait_event(|e| matches!(e, ServerEvent::LoginFailed { .. }))
        .await
        .unwrap();
}

#[tokio::test]
#[ignore = "needs xfreerdp and an X display"]
async fn freerdp_session_logs_in_with_remotefx() {
    for (security, extra) in [
        (Security::Nla, &["/rfx"][..]),
        (Security::TlsPassword, &["/rfx", "/sec:tls"][..]),
    ] {
        if !freerdp_available() {
            return;
        }
        let server = TestServer::start(security);
        let mut child = xfreerdp(&server, PASSWORD, extra).spawn().unwrap();
        let connected = server
            .wait_event(|e| matches!(e, ServerEvent::ClientConnected { .. }))
            .await;
        // Stay a moment so frames flow, then make sure the client is still there.
        let start = Instant::now();
        while start.elapsed() < Duration::from_secs(2) {
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
        let still_running = child.try_wait().unwrap().is_none();
        let _ = child.kill();
        let _ = child.wait();
        assert!(connected.is_ok(), "{security:?}: {connected:?}");
        assert!(still_running, "{security:?}: xfreerdp exited");
    }
}
