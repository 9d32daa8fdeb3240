//! The RDP server against IronRDP's own client, over loopback: frames arrive decoded, input comes
//! back as evdev codes, resize requests are clamped and followed, sessions come and go.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic
)]

mod support;

use std::time::Duration;

use airgui_remote::frame::{InputEvent, Rect, BTN_LEFT};
use airgui_remote::server::{Cursor, CursorImage, Security, ServerEvent};
use ironrdp_pdu::input::fast_path::{FastPathInputEvent, KeyboardFlags, SynchronizeFlags};
use ironrdp_pdu::input::mouse::PointerFlags;
use ironrdp_pdu::input::MousePdu;
use support::{
    connect, output_rect, Client, Mode, TestServer, BACKGROUND, HEIGHT, PASSWORD, RED, USER, WIDTH,
};
use tokio::io::AsyncReadExt as _;

fn full() -> Rect {
    output_rect(0, 0, WIDTH, HEIGHT)
}

async fn logged_in(server: &TestServer, mode: Mode) -> Client {
    let mut client = connect(server.addr(), USER, PASSWORD, mode).await.unwrap();
    server
        .wait_event(|e| matches!(e, ServerEvent::ClientConnected { .. }))
        .await
        .unwrap();
    // A new client first gets the whole frame.
    client
        .until(|c| c.rect_is(full(), BACKGROUND))
        .await
        .unwrap();
    client
}

fn mouse(flags: PointerFlags, x: u16, y: u16) -> FastPathInputEvent {
    FastPathInputEvent::MouseEvent(MousePdu {
        flags,
        number_of_wheel_rotation_units: 0,
        x_position: x,
        y_position: y,
    })
}

#[tokio::test]
async fn nla_login_frames_and_input() {
    let mut server = TestServer::start(Security::Nla);
    let mut client = logged_in(&server, Mode::Nla).await;
    assert_eq!(client.size(), (WIDTH, HEIGHT));
    assert_eq!(
        airgui_remote::tls::fingerprint_of(&client.certificate),
        server.handle.fingerprint(),
        "the client sees the certificate whose fingerprint the server reports"
    );
    assert!(server.handle.client().is_some());

    // A damaged rectangle arrives, exactly (QOIZ is lossless), and nothing around it changes.
    let rect = Rect::new(40, 24, 32, 16);
    server.paint(rect, RED);
    client.until(|c| c.rect_is(rect, RED)).await.unwrap();
    assert!(client.rect_is(output_rect(0, 0, WIDTH, 24), BACKGROUND));
    assert!(client.rect_is(output_rect(0, 40, WIDTH, HEIGHT - 40), BACKGROUND));

    // Keyboard: set-1 0x1E is KEY_A (30); E0 1D is KEY_RIGHTCTRL (97).
    client
        .send_input(&[
            FastPathInputEvent::KeyboardEvent(KeyboardFlags::empty(), 0x1E),
            FastPathInputEvent::KeyboardEvent(KeyboardFlags::RELEASE, 0x1E),
            FastPathInputEvent::KeyboardEvent(KeyboardFlags::EXTENDED, 0x1D),
            FastPathInputEvent::UnicodeKeyboardEvent(KeyboardFlags::empty(), u16::from(b'z')),
            FastPathInputEvent::SyncEvent(SynchronizeFlags::NUM_LOCK),
        ])
        .await
        .unwrap();
    let wanted = [
        InputEvent::Key {
            evdev_code: 30,
            pressed: true,
        },
        InputEvent::Key {
            evdev_code: 30,
            pressed: false,
        },
        InputEvent::Key {
            evdev_code: 97,
            pressed: true,
        },
        InputEvent::Unicode {
            ch: 'z',
            pressed: true,
        },
        InputEvent::Locks {
            caps: false,
            num: true,
            scroll: false,
        },
    ];
    let events = server
        .wait_event(|e| *e == ServerEvent::Input(wanted[4]))
        .await
        .unwrap();
    let inputs: Vec<InputEvent> = events
        .into_iter()
        .filter_map(|e| match e {
            ServerEvent::Input(i) => Some(i),
            _ => None,
        })
        .collect();
    assert_eq!(inputs, wanted);

    // Pointer: a move, a left click there, a wheel notch up (= negative, Wayland's sign).
    client
        .send_input(&[
            mouse(PointerFlags::MOVE, 100, 50),
            mouse(PointerFlags::LEFT_BUTTON | PointerFlags::DOWN, 100, 50),
            mouse(PointerFlags::LEFT_BUTTON, 100, 50),
            FastPathInputEvent::MouseEvent(MousePdu {
                flags: PointerFlags::VERTICAL_WHEEL,
                number_of_wheel_rotation_units: 120,
                x_position: 100,
                y_position: 50,
            }),
        ])
        .await
        .unwrap();
    let events = server
        .wait_event(|e| matches!(e, ServerEvent::Input(InputEvent::PointerAxis { .. })))
        .await
        .unwrap();
    let inputs: Vec<InputEvent> = events
        .into_iter()
        .filter_map(|e| match e {
            ServerEvent::Input(i) => Some(i),
            _ => None,
        })
        .collect();
    assert_eq!(
        inputs,
        vec![
            InputEvent::PointerMotion { x: 100, y: 50 },
            InputEvent::PointerButton {
                evdev_button: BTN_LEFT,
                pressed: true
            },
            InputEvent::PointerButton {
                evdev_button: BTN_LEFT,
                pressed: false
            },
            InputEvent::PointerAxis {
                vertical: -120,
                horizontal: 0
            },
        ]
    );
}

#[tokio::test]
async fn tls_password_mode_serves_the_right_password() {
    let mut server = TestServer::start(Security::TlsPassword);
    let mut client = logged_in(&server, Mode::Tls).await;
    let rect = Rect::new(0, 0, 8, 8);
    server.paint(rect, RED);
    client.until(|c| c.rect_is(rect, RED)).await.unwrap();
}

#[tokio::test]
async fn slow_client_gets_merged_damage() {
    let mut server = TestServer::start(Security::Nla);
    let mut client = logged_in(&server, Mode::Nla).await;
    // Many frames while the client reads nothing: one merged pending update, no queue.
    for i in 0..200u16 {
        let x = (i % 16) * 16;
        let y = (i / 16) * 12;
        server.paint(output_rect(x, y, 16, 12), [0, (i % 250) as u8, 0xFF, 0]);
    }
    let last = server.canvas.pixels.clone();
    client
        .until(|c| {
            (0..HEIGHT).step_by(7).all(|y| {
                (0..WIDTH).step_by(5).all(|x| {
                    let i = (usize::from(y) * usize::from(WIDTH) + usize::from(x)) * 4;
                    c.pixel(x, y) == [last[i], last[i + 1], last[i + 2]]
                })
            })
        })
        .await
        .unwrap();
    // 200 submissions did not become 200 updates.
    assert!(
        client.graphics_updates < 100,
        "{} updates",
        client.graphics_updates
    );
}

#[tokio::test]
async fn resize_request_is_clamped_and_followed() {
    let mut server = TestServer::start(Security::Nla);
    let mut client = logged_in(&server, Mode::Nla).await;

    // The display-control channel opens shortly after login.
    let deadline = tokio::time::Instant::now() + support::STEP;
    while !client.request_size(1366, 300).await.unwrap() {
        assert!(tokio::time::Instant::now() < deadline, "no display control");
        let _ = tokio::time::timeout(Duration::from_millis(200), client.step()).await;
    }
    // Width to a multiple of 4, height up to the 480 minimum.
    let events = server
        .wait_event(|e| matches!(e, ServerEvent::ResizeRequest { .. }))
        .await
        .unwrap();
    assert_eq!(
        events.last(),
        Some(&ServerEvent::ResizeRequest {
            width: 1364,
            height: 480
        })
    );

    // The compositor follows: the client is reactivated at the new size and gets it whole.
    server.canvas = support::Canvas::new(1364, 480, RED);
    server
        .handle
        .submit_ref(server.canvas.frame(&[Rect::new(0, 0, 1364, 480)]))
        .unwrap();
    client
        .until(|c| c.size() == (1364, 480) && c.rect_is(Rect::new(0, 0, 1364, 480), RED))
        .await
        .unwrap();

    // An output whose width is not a multiple of 4 is padded with black columns.
    server.canvas = support::Canvas::new(641, 480, BACKGROUND);
    server
        .handle
        .submit_ref(server.canvas.frame(&[Rect::new(0, 0, 641, 480)]))
        .unwrap();
    client
        .until(|c| {
            c.size() == (644, 480)
                && c.rect_is(Rect::new(0, 0, 641, 480), BACKGROUND)
                && c.rect_is(Rect::new(641, 0, 3, 480), [0, 0, 0, 0])
        })
        .await
        .unwrap();
    assert_eq!(server.handle.desktop_size(), (644, 480));
}

#[tokio::test]
async fn one_session_at_a_time_and_reconnect() {
    let mut server = TestServer::start(Security::Nla);
    let mut first = logged_in(&server, Mode::Nla).await;

    // A second client is refused at once; the first is not disturbed.
    let mut second = tokio::net::TcpStream::connect(server.addr()).await.unwrap();
    let mut buf = [0u8; 16];
    let read = tokio::time::timeout(support::STEP, second.read(&mut buf))
        .await
        .expect("the second connection is closed, not left waiting");
    assert!(matches!(read, Ok(0) | Err(_)), "{read:?}");
    let rect = Rect::new(100, 100, 20, 20);
    server.paint(rect, RED);
    first.until(|c| c.rect_is(rect, RED)).await.unwrap();

    // The first leaves; everything keeps running and the next client gets the current picture.
    drop(first);
    server
        .wait_event(|e| matches!(e, ServerEvent::ClientDisconnected { .. }))
        .await
        .unwrap();
    assert_eq!(server.handle.client(), None);
    let mut third = connect(server.addr(), USER, PASSWORD, Mode::Nla)
        .await
        .unwrap();
    third
        .until(|c| c.rect_is(rect, RED) && c.rect_is(output_rect(0, 0, WIDTH, 100), BACKGROUND))
        .await
        .unwrap();
    assert!(!server
        .drain_events()
        .iter()
        .any(|e| matches!(e, ServerEvent::LoginFailed { .. })));
}

#[tokio::test]
async fn cursor_shape_reaches_the_client() {
    let server = TestServer::start(Security::Nla);
    let mut client = logged_in(&server, Mode::Nla).await;
    // 2x2 premultiplied BGRA, hotspot (1, 1).
    server.handle.set_cursor(Cursor::Image(CursorImage {
        width: 2,
        height: 2,
        hot_x: 1,
        hot_y: 1,
        pixels: vec![0xFF; 16],
    }));
    let deadline = tokio::time::Instant::now() + support::STEP;
    loop {
        assert!(tokio::time::Instant::now() < deadline, "no pointer update");
        if client
            .step()
            .await
            .unwrap()
            .iter()
            .any(|g| matches!(g, support::Got::Pointer))
        {
            break;
        }
    }
}
