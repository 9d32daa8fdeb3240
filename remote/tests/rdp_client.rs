//! The zone-link client against our own server over loopback: pinned TLS, NLA, frames by damage,
//! input as evdev codes, display-control resize, refusals with their reasons, reconnection.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod support;

use std::net::SocketAddr;
use std::path::{Path, PathBuf};
use std::sync::mpsc;
use std::time::{Duration, Instant};

use airgui_remote::client::{spawn_zone_links, LinkError, ZoneClients, ZoneEvent, ZoneLinkConfig};
use airgui_remote::frame::{
    InputEvent, Rect, BTN_EXTRA, BTN_LEFT, BTN_MIDDLE, BTN_RIGHT, BTN_SIDE,
};
use airgui_remote::server::{
    spawn, Cursor, CursorImage, RdpServerConfig, RdpServerHandle, Security, ServerEvent,
};
use support::{
    output_rect, Canvas, LaggyRelay, Mode, TestServer, BACKGROUND, HEIGHT, PASSWORD, RED, USER,
    WIDTH,
};

/// A bound on every wait for the link (connecting includes NLA, about a second in debug).
const WAIT: Duration = Duration::from_secs(20);
const ZONE: &str = "cloud";

const KEY_A: u32 = 30;
const KEY_LEFTSHIFT: u32 = 42;
const KEY_F5: u32 = 63;
const KEY_RIGHTCTRL: u32 = 97;
const KEY_UP: u32 = 103;

fn config(addr: SocketAddr, password: &str, fingerprint: &str) -> ZoneLinkConfig {
    ZoneLinkConfig {
        name: ZONE.to_owned(),
        address: addr.to_string(),
        user: USER.to_owned(),
        password: password.to_owned(),
        fingerprint: fingerprint.to_owned(),
        // The server's size, so no display-control request is sent unless a test asks.
        desktop_size: (WIDTH, HEIGHT),
    }
}

/// The compositor's side: the link's events, and a mirror of the zone built only from the
/// damage rectangles, as a compositor's texture would be.
struct Master {
    clients: ZoneClients,
    events: mpsc::Receiver<ZoneEvent>,
    mirror: Canvas,
    /// Every damage rectangle received since the last [`Master::take_damage`].
    damage: Vec<Rect>,
    frames: usize,
    cursor: Option<Cursor>,
}

impl Master {
    fn link(config: ZoneLinkConfig) -> Self {
        let (tx, rx) = mpsc::channel();
        let clients = spawn_zone_links(
            vec![config],
            Box::new(move |event| {
                let _ = tx.send(event);
            }),
        )
        .unwrap();
        Self {
            clients,
            events: rx,
            mirror: Canvas::new(1, 1, [0; 4]),
            damage: Vec::new(),
            frames: 0,
            cursor: None,
        }
    }

    /// Applies one event to the mirror (and drops its frame handle, as a compositor does once
    /// it has copied the damage).
    fn apply(&mut self, event: &ZoneEvent) {
        match event {
            ZoneEvent::Connected { width, height, .. }
            | ZoneEvent::Resized { width, height, .. } => {
                self.mirror = Canvas::new(*width, *height, [0; 4]);
            }
            ZoneEvent::Frame {
                damage,
                frame,
                cursor,
                width,
                height,
                ..
            } => {
                self.frames += 1;
                if cursor.is_some() {
                    self.cursor = cursor.clone();
                }
                let Some(guard) = frame.lock() else {
                    return;
                };
                assert_eq!((guard.width(), guard.height()), (*width, *height));
                assert_eq!(guard.stride(), usize::from(*width) * 4);
                for rect in damage {
                    let (rect, pixels) = guard.rect_pixels(*rect).unwrap();
                    let [x, y, width, _] = rect.to_usize().unwrap();
                    let row = width * 4;
                    for (i, line) in pixels.chunks_exact(row).enumerate() {
                        let y = y + i;
                        let at = (y * usize::from(self.mirror.width) + x) * 4;
                        self.mirror.pixels[at..at + row].copy_from_slice(line);
                    }
                    self.damage.push(rect);
                }
            }
            ZoneEvent::Disconnected { .. } => {}
        }
    }

    /// Processes events until `done` accepts one (or the mirror state after it); returns it.
    fn wait(&mut self, what: &str, mut done: impl FnMut(&ZoneEvent, &Master) -> bool) -> ZoneEvent {
        let deadline = Instant::now() + WAIT;
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            let event = self
                .events
                .recv_timeout(left)
                .unwrap_or_else(|_| panic!("timed out waiting for {what}"));
            assert_eq!(event.zone(), ZONE);
            self.apply(&event);
            if done(&event, self) {
                return event;
            }
        }
    }

    fn connected(&mut self) -> (u16, u16) {
        match self.wait("Connected", |e, _| matches!(e, ZoneEvent::Connected { .. })) {
            ZoneEvent::Connected { width, height, .. } => (width, height),
            _ => unreachable!(),
        }
    }

    fn disconnected(&mut self) -> LinkError {
        match self.wait("Disconnected", |e, _| {
            matches!(e, ZoneEvent::Disconnected { .. })
        }) {
            ZoneEvent::Disconnected { reason, .. } => reason,
            _ => unreachable!(),
        }
    }

    /// Waits until the mirror shows `canvas` (B, G, R compared; X is undefined).
    fn wait_picture(&mut self, canvas: &Canvas) {
        let same = |m: &Master| {
            m.mirror.width == canvas.width
                && m.mirror.height == canvas.height
                && m.mirror
                    .pixels
                    .chunks_exact(4)
                    .zip(canvas.pixels.chunks_exact(4))
                    .all(|(a, b)| a[..3] == b[..3])
        };
        if same(self) {
            return;
        }
        self.wait("the server's picture", |_, m| same(m));
    }

    fn take_damage(&mut self) -> Vec<Rect> {
        std::mem::take(&mut self.damage)
    }

    fn send(&self, events: &[InputEvent]) {
        for event in events {
            self.clients.send_input(ZONE, *event).unwrap();
        }
    }
}

/// A picture where every pixel differs from its neighbours, so a misplaced copy shows.
fn pattern(width: u16, height: u16) -> Canvas {
    let mut canvas = Canvas::new(width, height, BACKGROUND);
    for y in 0..height {
        for x in 0..width {
            let i = (usize::from(y) * usize::from(width) + usize::from(x)) * 4;
            canvas.pixels[i..i + 4].copy_from_slice(&[
                (x % 251) as u8,
                (y % 241) as u8,
                ((x + 3 * y) % 239) as u8,
                0,
            ]);
        }
    }
    canvas
}

fn submit_whole(server: &RdpServerHandle, canvas: &Canvas) {
    server
        .submit_ref(canvas.frame(&[output_rect(0, 0, canvas.width, canvas.height)]))
        .unwrap();
}

/// Waits (bounded) for a server event `want` accepts; returns the events up to it.
fn server_wait(server: &TestServer, want: impl Fn(&ServerEvent) -> bool) -> Vec<ServerEvent> {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .unwrap();
    runtime
        .block_on(server.wait_event(want))
        .unwrap_or_else(|seen| panic!("server event never came; saw {seen:?}"))
}

fn inputs(events: &[ServerEvent]) -> Vec<InputEvent> {
    events
        .iter()
        .filter_map(|e| match e {
            ServerEvent::Input(i) => Some(*i),
            _ => None,
        })
        .collect()
}

#[test]
fn first_frame_whole_then_only_damage() {
    let mut server = TestServer::start(Security::Nla);
    server.canvas = pattern(WIDTH, HEIGHT);
    submit_whole(&server.handle, &server.canvas);
    let mut master = Master::link(config(server.addr(), PASSWORD, server.handle.fingerprint()));

    assert_eq!(master.connected(), (WIDTH, HEIGHT));
    assert!(master.clients.is_connected(ZONE));
    let expected = Canvas {
        width: server.canvas.width,
        height: server.canvas.height,
        pixels: server.canvas.pixels.clone(),
    };
    master.wait_picture(&expected);
    server_wait(&server, |e| {
        matches!(e, ServerEvent::ClientConnected { .. })
    });

    // A small rectangle arrives as damage around it, with exactly its pixels (QOIZ is
    // lossless), and nothing else of the mirror changes.
    master.take_damage();
    let rect = Rect::new(70, 40, 24, 16);
    server.paint(rect, RED);
    let expected = Canvas {
        width: server.canvas.width,
        height: server.canvas.height,
        pixels: server.canvas.pixels.clone(),
    };
    master.wait_picture(&expected);
    let damage = master.take_damage();
    assert!(damage.iter().any(|d| d.contains(&rect)), "{damage:?}");
    let area: u64 = damage.iter().map(Rect::area).sum();
    assert!(
        area < u64::from(WIDTH) * u64::from(HEIGHT) / 2,
        "only the changed part is reported: {damage:?}"
    );

    // Removing the zone closes the connection.
    assert!(master.clients.remove(ZONE));
    server_wait(&server, |e| {
        matches!(e, ServerEvent::ClientDisconnected { .. })
    });
    assert!(!master.clients.is_connected(ZONE));
    assert_eq!(master.clients.zones(), Vec::<String>::new());
}

#[test]
fn wrong_fingerprint_is_refused_before_login() {
    let server = TestServer::start(Security::Nla);
    let pinned = airgui_remote::tls::fingerprint_of(b"some other certificate");
    let mut master = Master::link(config(server.addr(), PASSWORD, &pinned));
    let reason = master.disconnected();
    match &reason {
        LinkError::FingerprintMismatch {
            zone,
            expected,
            actual,
        } => {
            assert_eq!(zone, ZONE);
            assert_eq!(expected, &pinned);
            assert_eq!(actual, server.handle.fingerprint());
        }
        other => panic!("{other:?}"),
    }
    let text = reason.to_string();
    assert!(
        text.contains("does not match the pinned one for zone cloud"),
        "{text}"
    );
    // The server saw a connection fail during TLS, never a session.
    let events = server_wait(&server, |e| matches!(e, ServerEvent::LoginFailed { .. }));
    assert!(
        !events
            .iter()
            .any(|e| matches!(e, ServerEvent::ClientConnected { .. })),
        "{events:?}"
    );
    assert!(server.handle.client().is_none());
    assert!(!master.clients.is_connected(ZONE));
}

#[test]
fn wrong_password_is_reported() {
    let server = TestServer::start(Security::Nla);
    let mut master = Master::link(config(
        server.addr(),
        "not the password",
        server.handle.fingerprint(),
    ));
    let reason = master.disconnected();
    assert!(
        matches!(reason, LinkError::WrongCredentials { .. }),
        "{reason:?}"
    );
    assert!(
        reason.to_string().contains("refused the user name"),
        "{reason}"
    );
    let events = server_wait(&server, |e| matches!(e, ServerEvent::LoginFailed { .. }));
    assert!(!events
        .iter()
        .any(|e| matches!(e, ServerEvent::ClientConnected { .. })));
}

#[test]
fn a_zone_without_nla_is_reported() {
    let server = TestServer::start(Security::TlsPassword);
    let mut master = Master::link(config(server.addr(), PASSWORD, server.handle.fingerprint()));
    let reason = master.disconnected();
    assert!(matches!(reason, LinkError::Protocol { .. }), "{reason:?}");
    assert!(reason.to_string().contains("refused NLA"), "{reason}");
}

#[test]
fn a_zone_serving_someone_else_is_reported() {
    let server = TestServer::start(Security::Nla);
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let _other = runtime
        .block_on(support::connect(server.addr(), USER, PASSWORD, Mode::Nla))
        .unwrap();
    server_wait(&server, |e| {
        matches!(e, ServerEvent::ClientConnected { .. })
    });
    let mut master = Master::link(config(server.addr(), PASSWORD, server.handle.fingerprint()));
    let reason = master.disconnected();
    assert!(
        matches!(reason, LinkError::ClosedBeforeTls { .. }),
        "{reason:?}"
    );
}

#[test]
fn keys_and_pointer_come_out_as_the_same_evdev_codes() {
    let server = TestServer::start(Security::Nla);
    let mut master = Master::link(config(server.addr(), PASSWORD, server.handle.fingerprint()));
    master.connected();
    server_wait(&server, |e| {
        matches!(e, ServerEvent::ClientConnected { .. })
    });

    let key = |evdev_code, pressed| InputEvent::Key {
        evdev_code,
        pressed,
    };
    let keys = [
        key(KEY_A, true),
        key(KEY_A, false),
        key(KEY_LEFTSHIFT, true),
        key(KEY_F5, true),
        key(KEY_F5, false),
        key(KEY_LEFTSHIFT, false),
        key(KEY_UP, true),
        key(KEY_UP, false),
        key(KEY_RIGHTCTRL, true),
        key(KEY_RIGHTCTRL, false),
    ];
    master.send(&keys);
    let events = server_wait(&server, |e| *e == ServerEvent::Input(keys[9]));
    assert_eq!(inputs(&events), keys);

    let button = |evdev_button, pressed| InputEvent::PointerButton {
        evdev_button,
        pressed,
    };
    let pointer = [
        InputEvent::PointerMotion { x: 100, y: 50 },
        button(BTN_LEFT, true),
        button(BTN_LEFT, false),
        InputEvent::PointerMotion { x: 101, y: 60 },
        // These three survive ironrdp-server 0.13 only through the relative mouse PDU.
        button(BTN_MIDDLE, true),
        button(BTN_MIDDLE, false),
        button(BTN_SIDE, true),
        button(BTN_SIDE, false),
        button(BTN_EXTRA, true),
        button(BTN_EXTRA, false),
        button(BTN_RIGHT, true),
        button(BTN_RIGHT, false),
        InputEvent::PointerAxis {
            vertical: 120,
            horizontal: 0,
        },
        InputEvent::Locks {
            caps: true,
            num: false,
            scroll: false,
        },
    ];
    master.send(&pointer);
    let events = server_wait(&server, |e| *e == ServerEvent::Input(pointer[13]));
    // A horizontal wheel goes by the advanced-input channel, which the server handles on
    // another thread: it is checked on its own.
    let fast_path: Vec<InputEvent> = inputs(&events)
        .into_iter()
        .filter(|e| !matches!(e, InputEvent::PointerAxis { horizontal, .. } if *horizontal != 0))
        .collect();
    assert_eq!(fast_path, pointer);

    let scroll_right = InputEvent::PointerAxis {
        vertical: 0,
        horizontal: 240,
    };
    master.send(&[scroll_right]);
    server_wait(&server, |e| *e == ServerEvent::Input(scroll_right));
}

#[test]
fn resize_request_and_server_resize() {
    let server = TestServer::start(Security::Nla);
    let mut master = Master::link(config(server.addr(), PASSWORD, server.handle.fingerprint()));
    master.connected();
    master.clients.request_resize(ZONE, 800, 600).unwrap();
    let events = server_wait(&server, |e| matches!(e, ServerEvent::ResizeRequest { .. }));
    assert_eq!(
        events.last(),
        Some(&ServerEvent::ResizeRequest {
            width: 800,
            height: 600
        })
    );
    // The slave's compositor follows; the link is reactivated at the new size.
    let canvas = pattern(800, 600);
    submit_whole(&server.handle, &canvas);
    let resized = master.wait("Resized", |e, _| matches!(e, ZoneEvent::Resized { .. }));
    assert!(
        matches!(
            resized,
            ZoneEvent::Resized {
                width: 800,
                height: 600,
                ..
            }
        ),
        "{resized:?}"
    );
    master.wait_picture(&canvas);
}

/// A slave sends the rectangles of one frame one after the other: the compositor gets them in one
/// `Frame`, not one frame of its own each. (A loaded machine may hold the slave between two
/// rectangles for longer than the link waits, so most rounds, not all, must arrive whole.)
#[test]
fn the_rectangles_of_one_frame_arrive_together() {
    let mut server = TestServer::start(Security::Nla);
    let mut master = Master::link(config(server.addr(), PASSWORD, server.handle.fingerprint()));
    master.connected();
    let mut whole = 0;
    for round in 0..5i32 {
        master.wait_picture(&Canvas {
            width: server.canvas.width,
            height: server.canvas.height,
            pixels: server.canvas.pixels.clone(),
        });
        let rects = [
            Rect::new(8 + 10 * round, 8, 8, 8),
            Rect::new(120, 60 + 10 * round, 8, 8),
            Rect::new(200, 100 + 10 * round, 8, 8),
        ];
        for rect in rects {
            server.canvas.fill(rect, RED);
        }
        let frames = master.frames;
        server
            .handle
            .submit_ref(server.canvas.frame(&rects))
            .unwrap();
        master.wait_picture(&Canvas {
            width: server.canvas.width,
            height: server.canvas.height,
            pixels: server.canvas.pixels.clone(),
        });
        if master.frames == frames + 1 {
            whole += 1;
        }
    }
    assert!(whole >= 3, "only {whole} of 5 frames arrived in one piece");
}

/// The slave drops input that crosses its Deactivate All on the way, so the link holds input
/// from its resize request until the reactivation at the new size is over. The zone is far
/// away (50 ms from slave to master) so that the crossing happens.
#[test]
fn input_sent_while_the_zone_resizes_is_not_lost() {
    let server = TestServer::start(Security::Nla);
    let relay = LaggyRelay::start(server.addr(), Duration::from_millis(50));
    let mut master = Master::link(config(relay.addr(), PASSWORD, server.handle.fingerprint()));
    master.connected();
    server_wait(&server, |e| {
        matches!(e, ServerEvent::ClientConnected { .. })
    });
    master.clients.request_resize(ZONE, 800, 600).unwrap();
    server_wait(&server, |e| matches!(e, ServerEvent::ResizeRequest { .. }));
    // The slave's compositor resizes, and its server deactivates the session, while keys are
    // on their way.
    submit_whole(&server.handle, &pattern(800, 600));
    let keys: Vec<InputEvent> = (0..20)
        .flat_map(|i| {
            [true, false].map(|pressed| InputEvent::Key {
                evdev_code: KEY_A + i,
                pressed,
            })
        })
        .collect();
    for key in &keys {
        master.send(std::slice::from_ref(key));
        std::thread::sleep(Duration::from_millis(2));
    }
    master.wait("Resized", |e, _| matches!(e, ZoneEvent::Resized { .. }));
    let last = keys.last().copied().unwrap();
    let events = server_wait(&server, |e| *e == ServerEvent::Input(last));
    assert_eq!(inputs(&events), keys);
}

#[test]
fn cursor_shape_reaches_the_master() {
    let server = TestServer::start(Security::Nla);
    let mut master = Master::link(config(server.addr(), PASSWORD, server.handle.fingerprint()));
    master.connected();
    let image = CursorImage {
        width: 2,
        height: 2,
        hot_x: 1,
        hot_y: 0,
        // Opaque, premultiplied B, G, R, A: survives the round trip exactly.
        pixels: vec![
            0, 0, 255, 255, 0, 255, 0, 255, 255, 0, 0, 255, 10, 20, 30, 255,
        ],
    };
    server.handle.set_cursor(Cursor::Image(image.clone()));
    let want = Some(Cursor::Image(image));
    master.wait("the cursor", |_, m| m.cursor == want);
    // Then none at all (an invisible image on the wire: ironrdp-server 0.13 sends nothing for
    // its hide and default updates).
    server.handle.set_cursor(Cursor::Hidden);
    master.wait("the hidden cursor", |_, m| m.cursor == Some(Cursor::Hidden));
}

/// A server on a fixed identity, so that a second one can take over the first one's port.
fn start_server(dir: &Path, listen: SocketAddr) -> (RdpServerHandle, mpsc::Receiver<ServerEvent>) {
    let config = RdpServerConfig::new(
        listen,
        USER,
        PASSWORD,
        dir.join("cert.pem"),
        dir.join("key.pem"),
    );
    let (tx, rx) = mpsc::channel();
    let handle = spawn(
        config,
        (WIDTH, HEIGHT),
        Box::new(move |event| {
            let _ = tx.send(event);
        }),
    )
    .unwrap();
    (handle, rx)
}

#[test]
fn reconnects_by_itself_after_the_zone_restarts() {
    let dir = tempfile::tempdir().unwrap();
    let state: PathBuf = dir.path().join("state");
    let (first, _first_events) = start_server(&state, "127.0.0.1:0".parse().unwrap());
    let addr = first.local_addr();
    let fingerprint = first.fingerprint().to_owned();
    let canvas = pattern(WIDTH, HEIGHT);
    submit_whole(&first, &canvas);
    let mut master = Master::link(config(addr, PASSWORD, &fingerprint));
    master.connected();
    master.wait_picture(&canvas);

    first.shutdown();
    let reason = master.disconnected();
    assert!(
        matches!(
            reason,
            LinkError::Lost { .. } | LinkError::Terminated { .. }
        ),
        "{reason:?}"
    );
    assert!(!master.clients.is_connected(ZONE));

    let started = Instant::now();
    let (second, _second_events) = start_server(&state, addr);
    assert_eq!(second.fingerprint(), fingerprint);
    let mut canvas = pattern(WIDTH, HEIGHT);
    canvas.fill(Rect::new(0, 0, 32, 32), RED);
    submit_whole(&second, &canvas);
    master.connected();
    master.wait_picture(&canvas);
    assert!(
        started.elapsed() < WAIT,
        "reconnected after {:?}",
        started.elapsed()
    );
}
