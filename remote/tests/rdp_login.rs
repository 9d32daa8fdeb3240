//! Logins that must fail: wrong password or user (NLA and TLS modes), no TLS at all. Each is
//! logged with the peer address, no pixel reaches the client, and the peer is slowed down.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod support;

use std::time::{Duration, Instant};

use airgui_remote::server::{Security, ServerEvent};
use support::{connect, log, Got, Mode, TestServer, PASSWORD, USER};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

fn logged_lines(needle: &str, port: u16) -> Vec<String> {
    support::logged_lines(needle, &format!("127.0.0.1:{port}"))
}

async fn wait_failed(server: &TestServer) -> std::net::SocketAddr {
    let events = server
        .wait_event(|e| matches!(e, ServerEvent::LoginFailed { .. }))
        .await
        .expect("a LoginFailed event");
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, ServerEvent::ClientConnected { .. })),
        "{events:?}"
    );
    match events.last() {
        Some(ServerEvent::LoginFailed { peer }) => *peer,
        other => panic!("{other:?}"),
    }
}

#[tokio::test]
async fn nla_wrong_credentials_are_refused_logged_and_slowed_down() {
    let _ = log();
    let server = TestServer::start(Security::Nla);

    let err = connect(server.addr(), USER, "wrong password", Mode::Nla)
        .await
        .err()
        .expect("a wrong password is refused");
    assert!(err.contains("connect_finalize"), "{err}");
    let peer = wait_failed(&server).await;
    let lines = logged_lines("RDP login failed", peer.port());
    assert_eq!(lines.len(), 1, "one warning naming the peer: {lines:?}");
    assert!(lines[0].contains("WARN"), "{}", lines[0]);
    assert!(
        lines[0].contains("wrong user name or password"),
        "{}",
        lines[0]
    );

    // A wrong user name with the right password is refused too.
    assert!(connect(server.addr(), "mallory", PASSWORD, Mode::Nla)
        .await
        .is_err());
    wait_failed(&server).await;

    // After two failures the next attempt from this address waits about 2 s, then works.
    let started = Instant::now();
    let client = connect(server.addr(), USER, PASSWORD, Mode::Nla)
        .await
        .unwrap();
    let waited = started.elapsed();
    assert!(
        waited >= Duration::from_millis(1500),
        "waited only {waited:?}"
    );
    server
        .wait_event(|e| matches!(e, ServerEvent::ClientConnected { .. }))
        .await
        .unwrap();
    drop(client);
}

#[tokio::test]
async fn tls_mode_wrong_password_gets_no_pixel() {
    let _ = log();
    let server = TestServer::start(Security::TlsPassword);
    // In TLS mode the logon info travels inside the connection sequence: the client may finish
    // it, but the server denies the session before sending any update.
    match connect(server.addr(), USER, "wrong password", Mode::Tls).await {
        Err(_) => {}
        Ok(mut client) => {
            while let Ok(got) = client.step().await {
                assert!(
                    !got.iter().any(|g| matches!(g, Got::Graphics)),
                    "a pixel reached a client with the wrong password"
                );
                if got.iter().any(|g| matches!(g, Got::Terminated(_))) {
                    break;
                }
            }
        }
    }
    let peer = wait_failed(&server).await;
    assert_eq!(logged_lines("RDP login failed", peer.port()).len(), 1);
}

#[tokio::test]
async fn standard_rdp_security_is_refused() {
    let _ = log();
    let server = TestServer::start(Security::Nla);
    let mut tcp = tokio::net::TcpStream::connect(server.addr()).await.unwrap();
    // TPKT + X.224 Connection Request + RDP_NEG_REQ asking for PROTOCOL_RDP (0) only.
    let request = [
        0x03, 0x00, 0x00, 0x13, // TPKT, 19 bytes
        0x0E, 0xE0, 0x00, 0x00, 0x00, 0x00, 0x00, // X.224 CR
        0x01, 0x00, 0x08, 0x00, 0x00, 0x00, 0x00, 0x00, // RDP_NEG_REQ, protocols = 0
    ];
    tcp.write_all(&request).await.unwrap();
    let mut reply = Vec::new();
    tokio::time::timeout(support::STEP, tcp.read_to_end(&mut reply))
        .await
        .expect("the server answers and closes")
        .ok();
    // X.224 Connection Confirm carrying RDP_NEG_FAILURE (type 3) HYBRID_REQUIRED_BY_SERVER (5).
    assert!(reply.len() >= 19, "{reply:02x?}");
    assert_eq!(reply[5], 0xD0, "{reply:02x?}");
    assert_eq!(reply[11], 0x03, "{reply:02x?}");
    assert_eq!(reply[15], 0x05, "{reply:02x?}");
    let peer = wait_failed(&server).await;
    let lines = logged_lines("RDP login failed", peer.port());
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(lines[0].contains("does not offer NLA"), "{}", lines[0]);
}
