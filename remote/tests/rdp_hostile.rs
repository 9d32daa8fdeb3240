//! Clients that never log in, and clients whose bytes are meant to break the server: the owner
//! must still log in while they are there, and the server must keep listening after them.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod support;

use std::net::{IpAddr, Ipv4Addr};
use std::sync::atomic::{AtomicBool, Ordering};

use airgui_remote::frame::Rect;
use airgui_remote::server::{Security, ServerEvent};
use support::{
    connect, log, logged_lines, tcp_from, x224, x224_and_tls, Mode, TestServer, PASSWORD, RED, USER,
};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};

/// A loopback address other than the owner's 127.0.0.1.
fn attacker(n: u8) -> IpAddr {
    IpAddr::V4(Ipv4Addr::new(127, 0, 1, n))
}

/// The owner logs in (from 127.0.0.1) and sees a freshly painted rectangle.
async fn owner_logs_in(server: &mut TestServer) -> support::Client {
    let mut client = connect(server.addr(), USER, PASSWORD, Mode::Nla)
        .await
        .expect("the owner logs in");
    server
        .wait_event(|e| matches!(e, ServerEvent::ClientConnected { .. }))
        .await
        .expect("a ClientConnected event");
    let rect = Rect::new(10, 10, 16, 16);
    server.paint(rect, RED);
    client.until(|c| c.rect_is(rect, RED)).await.unwrap();
    client
}

/// Reads until the server closes the connection; false if it is still open after the wait.
async fn closed_by_server(stream: &mut (impl tokio::io::AsyncRead + Unpin)) -> bool {
    let mut buf = [0u8; 256];
    loop {
        match tokio::time::timeout(support::STEP, stream.read(&mut buf)).await {
            Err(_) => return false,
            Ok(Ok(0) | Err(_)) => return true,
            Ok(Ok(_)) => {}
        }
    }
}

#[tokio::test]
async fn the_owner_logs_in_while_twenty_sockets_sit_in_the_login() {
    let mut server = TestServer::start(Security::Nla);
    // Twenty sockets from twenty addresses that never log in: silent ones, ones that stop after
    // the X.224 request, ones that stop after TLS, right where CredSSP would begin.
    let mut silent = Vec::new();
    let mut after_x224 = Vec::new();
    let mut after_tls = Vec::new();
    for n in 0..20u8 {
        let mut tcp = tcp_from(attacker(n + 1), server.addr()).await;
        match n % 3 {
            0 => silent.push(tcp),
            1 => {
                x224(&mut tcp).await;
                after_x224.push(tcp);
            }
            _ => after_tls.push(x224_and_tls(tcp).await),
        }
    }

    let _owner = owner_logs_in(&mut server).await;

    // One session at a time still holds: with the owner logged in, a newcomer is closed at once.
    let mut late = tcp_from(attacker(100), server.addr()).await;
    assert!(closed_by_server(&mut late).await);
    assert!(!server
        .drain_events()
        .iter()
        .any(|e| matches!(e, ServerEvent::ClientDisconnected { .. })));
    drop((silent, after_x224, after_tls));
}

#[tokio::test]
async fn a_credssp_length_bomb_is_cut_off_and_the_server_keeps_serving() {
    let _ = log();
    let mut server = TestServer::start(Security::Nla);
    let source = attacker(200);
    let mut tls = x224_and_tls(tcp_from(source, server.addr()).await).await;
    // The first CredSSP message: a DER SEQUENCE announcing 65535 bytes. The decoder can never
    // take that length (it panics in some IronRDP versions; ours asks for more bytes forever).
    tls.write_all(&[0x30, 0x82, 0xFF, 0xFF]).await.unwrap();
    tls.flush().await.unwrap();
    // Then far more than a login needs: the server must stop reading rather than buffer it.
    let chunk = vec![0x41u8; 64 * 1024];
    let mut written = 0usize;
    while written < 64 << 20 {
        let write = tokio::time::timeout(support::STEP, tls.write_all(&chunk)).await;
        match write {
            Ok(Ok(())) => written += chunk.len(),
            Ok(Err(_)) => break,
            Err(_) => panic!("the server neither reads nor closes"),
        }
    }
    assert!(
        written < 16 << 20,
        "the server took {written} bytes from a client that never logged in"
    );
    assert!(closed_by_server(&mut tls).await);
    server
        .wait_event(|e| matches!(e, ServerEvent::LoginFailed { .. }))
        .await
        .expect("a LoginFailed event");
    let lines = logged_lines("RDP login failed", &source.to_string());
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(lines[0].contains("bytes before logging in"), "{}", lines[0]);

    let _owner = owner_logs_in(&mut server).await;
}

#[tokio::test]
async fn a_panic_in_a_connection_drops_that_client_and_the_server_keeps_listening() {
    let _ = log();
    // The first login's ClientConnected makes the callback panic on the server thread, as a
    // panic anywhere in that connection's work would.
    let panicked = AtomicBool::new(false);
    let mut server = TestServer::start_with_hook(Security::Nla, move |event| {
        if matches!(event, ServerEvent::ClientConnected { .. })
            && !panicked.swap(true, Ordering::SeqCst)
        {
            panic!("injected panic in the RDP connection");
        }
    });
    let mut first = connect(server.addr(), USER, PASSWORD, Mode::Nla)
        .await
        .expect("the connection sequence completes");
    let events = server
        .wait_event(|e| matches!(e, ServerEvent::ClientDisconnected { .. }))
        .await
        .expect("the panicking session ends");
    let peer = match events.last() {
        Some(ServerEvent::ClientDisconnected { peer }) => *peer,
        other => panic!("{other:?}"),
    };
    let lines = logged_lines("ended by a panic", &format!("{peer}"));
    assert_eq!(lines.len(), 1, "{lines:?}");
    assert!(
        lines[0].contains("injected panic in the RDP connection"),
        "{}",
        lines[0]
    );
    // That client is dropped...
    let dropped = loop {
        match first.step().await {
            Err(e) if e.contains("no PDU") => break false,
            Err(_) => break true,
            Ok(got) if got.iter().any(|g| matches!(g, support::Got::Terminated(_))) => break true,
            Ok(_) => {}
        }
    };
    assert!(dropped);
    assert_eq!(server.handle.client(), None);
    // ...and the server still listens and serves the next login.
    let _owner = owner_logs_in(&mut server).await;
}
