//! Slaves that misbehave, against one master's links: a fake slave that completes TLS with the
//! pinned certificate and then floods garbage (which the link must not buffer), and a real
//! server announcing an absurd desktop size. Each loses its link and is retried later; a good zone linked by the same master keeps
//! receiving frames throughout.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod support;

use std::net::SocketAddr;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use airgui_remote::client::{spawn_zone_links, LinkError, ZoneEvent, ZoneLinkConfig};
use airgui_remote::frame::Rect;
use airgui_remote::server::{spawn, RdpServerConfig};
use airgui_remote::TlsIdentity;
use support::{TestServer, HEIGHT, PASSWORD, RED, USER, WIDTH};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const WAIT: Duration = Duration::from_secs(30);

fn link(name: &str, addr: SocketAddr, fingerprint: &str) -> ZoneLinkConfig {
    ZoneLinkConfig {
        name: name.to_owned(),
        address: addr.to_string(),
        user: USER.to_owned(),
        password: PASSWORD.to_owned(),
        fingerprint: fingerprint.to_owned(),
        desktop_size: (WIDTH, HEIGHT),
    }
}

/// X.224 Connection Confirm selecting CredSSP (PROTOCOL_HYBRID), as a real server answers the
/// client's request before TLS: TPKT, X.224 CC, RDP_NEG_RSP.
const CONNECTION_CONFIRM: [u8; 19] = [
    0x03, 0x00, 0x00, 0x13, // TPKT, 19 bytes
    0x0e, 0xd0, 0x00, 0x00, 0x12, 0x34, 0x00, // X.224 CC
    0x02, 0x01, 0x08, 0x00, 0x02, 0x00, 0x00, 0x00, // RDP_NEG_RSP: HYBRID
];

/// A slave that answers the negotiation, completes TLS with its certificate, then sends
/// garbage for as long as the link reads. Counts the connections it accepts.
fn garbage_slave(identity: &TlsIdentity, accepted: Arc<AtomicUsize>) -> SocketAddr {
    let acceptor = identity.acceptor().unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let addr = listener.local_addr().unwrap();
    listener.set_nonblocking(true).unwrap();
    std::thread::spawn(move || {
        let runtime = tokio::runtime::Builder::new_current_thread()
            .enable_all()
            .build()
            .unwrap();
        runtime.block_on(async move {
            let listener = tokio::net::TcpListener::from_std(listener).unwrap();
            loop {
                let Ok((mut tcp, _)) = listener.accept().await else {
                    return;
                };
                accepted.fetch_add(1, Ordering::SeqCst);
                let acceptor = acceptor.clone();
                tokio::spawn(async move {
                    let mut tpkt = [0u8; 4];
                    tcp.read_exact(&mut tpkt).await?;
                    let length = usize::from(u16::from_be_bytes([tpkt[2], tpkt[3]]));
                    let mut request = vec![0u8; length.saturating_sub(4)];
                    tcp.read_exact(&mut request).await?;
                    tcp.write_all(&CONNECTION_CONFIRM).await?;
                    let mut tls = acceptor.accept(tcp).await?;
                    let garbage: Vec<u8> = (0..4096u32).map(|i| (i * 7919 % 251) as u8).collect();
                    loop {
                        tls.write_all(&garbage).await?;
                    }
                    #[allow(unreachable_code)]
                    Ok::<(), std::io::Error>(())
                });
            }
        });
    });
    addr
}

#[test]
fn misbehaving_zones_are_cut_off_and_retried_while_a_good_zone_goes_on() {
    let dir = tempfile::tempdir().unwrap();
    let identity =
        TlsIdentity::load_or_create(&dir.path().join("cert.pem"), &dir.path().join("key.pem"))
            .unwrap();
    let accepted = Arc::new(AtomicUsize::new(0));
    let garbage = garbage_slave(&identity, Arc::clone(&accepted));

    // A real server whose desktop is larger than any link accepts.
    let huge = spawn(
        RdpServerConfig::new(
            "127.0.0.1:0".parse().unwrap(),
            USER,
            PASSWORD,
            dir.path().join("huge/cert.pem"),
            dir.path().join("huge/key.pem"),
        ),
        (8192, 8192),
        Box::new(|_| {}),
    )
    .unwrap();
    let mut good = TestServer::start(airgui_remote::Security::Nla);

    let (tx, events) = mpsc::channel();
    let _clients = spawn_zone_links(
        vec![
            link("garbage", garbage, identity.fingerprint()),
            link("huge", huge.local_addr(), huge.fingerprint()),
            link("good", good.addr(), good.handle.fingerprint()),
        ],
        Box::new(move |event| {
            let _ = tx.send(event);
        }),
    )
    .unwrap();

    let mut failures: Vec<(String, LinkError)> = Vec::new();
    let mut good_frames = 0usize;
    let mut painted = 0u16;
    let deadline = Instant::now() + WAIT;
    // Until each bad zone failed twice (so it was retried) and the good one kept getting frames.
    let done = |failures: &[(String, LinkError)], good_frames: usize| {
        let count = |zone: &str| failures.iter().filter(|(z, _)| z == zone).count();
        count("garbage") >= 2 && count("huge") >= 2 && good_frames >= 10
    };
    while !done(&failures, good_frames) {
        let left = deadline.saturating_duration_since(Instant::now());
        let event = events.recv_timeout(left).unwrap_or_else(|_| {
            panic!("timed out: failures {failures:?}, good frames {good_frames}")
        });
        match event {
            ZoneEvent::Disconnected { zone, reason, .. } => {
                assert_ne!(zone, "good", "the good zone lost its link: {reason}");
                failures.push((zone, reason));
            }
            ZoneEvent::Connected { zone, .. } => {
                assert_eq!(zone, "good", "a misbehaving zone was accepted");
            }
            ZoneEvent::Frame { zone, frame, .. } => {
                assert_eq!(zone, "good");
                drop(frame);
                good_frames += 1;
                // Keep the good zone changing, one rectangle per frame received.
                painted = (painted + 8) % (WIDTH - 8);
                good.paint(Rect::new(i32::from(painted), 0, 8, 8), RED);
            }
            ZoneEvent::Resized { zone, .. } => assert_eq!(zone, "good"),
        }
    }
    for (zone, reason) in &failures {
        match (zone.as_str(), reason) {
            ("huge", LinkError::Misbehaved { reason, .. }) => {
                assert!(reason.contains("8192x8192"), "{reason}");
            }
            // The flood hits the login read budget long before any timeout.
            ("garbage", LinkError::Protocol { reason, .. }) => {
                assert!(reason.contains("while logging in"), "{reason}");
            }
            other => panic!("unexpected failure {other:?}"),
        }
    }
    assert!(
        accepted.load(Ordering::SeqCst) >= 2,
        "the garbage zone was tried again"
    );
}
