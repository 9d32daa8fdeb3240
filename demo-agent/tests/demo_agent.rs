//! The real demo agent process against the daemon state machine, over real sockets with a real
//! sealed pool.

// Test helpers fail the test loudly; that is what unwrap and indexing are for here.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::collections::HashMap;
use std::os::fd::OwnedFd;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

use guid_demo_agent::pattern::Pattern;
use guid_protocol::msg::{kind, Focus, Keypress, Message};
use guid_protocol::transport::{QubeListener, QubeStream, VchanConnector};
use guid_protocol::{DaemonConfig, DaemonConnection, QubeEvent, WindowId, WindowImage};
use rustix::event::{PollFd, PollFlags, Timespec};

const AGENT: &str = env!("CARGO_BIN_EXE_guid-demo-agent");
/// How long to wait for something that should happen at once; only a failing test waits it out.
const PATIENCE: Duration = Duration::from_secs(20);

struct Agent(Child);

impl Drop for Agent {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

fn spawn_agent(peer: &[&str], windows: &[&str], log: &Path, extra: &[&str], stdin: Stdio) -> Agent {
    let mut command = Command::new(AGENT);
    command
        .args(peer)
        .arg("--log")
        .arg(log)
        .args(extra)
        .stdin(stdin);
    for window in windows {
        command.arg("--window").arg(window);
    }
    Agent(command.spawn().expect("spawn guid-demo-agent"))
}

fn temp_dir(name: &str) -> PathBuf {
    let dir = std::env::temp_dir().join(format!("guid-test-{name}-{}", std::process::id()));
    let _ = std::fs::remove_dir_all(&dir);
    std::fs::create_dir_all(&dir).unwrap();
    dir
}

/// The daemon side of one connection, driven as the compositor will drive it.
struct Daemon {
    stream: QubeStream,
    connection: DaemonConnection,
    images: HashMap<WindowId, WindowImage>,
    events: Vec<String>,
}

impl Daemon {
    fn new(stream: QubeStream) -> Self {
        Daemon {
            stream,
            connection: DaemonConnection::new(DaemonConfig::default()),
            images: HashMap::new(),
            events: Vec::new(),
        }
    }

    /// Reads and handles events until `done` holds; panics after [`PATIENCE`].
    fn until(&mut self, what: &str, mut done: impl FnMut(&Daemon) -> bool) {
        let deadline = Instant::now() + PATIENCE;
        let mut buffer = vec![0u8; 65536];
        while !done(self) {
            assert!(
                Instant::now() < deadline,
                "timed out waiting for {what}; events: {:#?}",
                self.events
            );
            self.stream.flush(self.connection.outgoing()).unwrap();
            let mut fds = [PollFd::new(&self.stream, PollFlags::IN)];
            let timeout = Timespec::try_from(Duration::from_millis(100)).unwrap();
            rustix::event::poll(&mut fds, Some(&timeout)).unwrap();
            let received = match self.stream.recv(&mut buffer) {
                Ok(received) => received,
                Err(error) if error.kind() == std::io::ErrorKind::WouldBlock => continue,
                Err(error) => panic!("recv: {error}"),
            };
            assert!(
                received.len > 0,
                "the agent closed the connection; events: {:#?}",
                self.events
            );
            for fd in received.fds {
                self.connection.receive_descriptor(fd).unwrap();
            }
            let mut input = &buffer[..received.len];
            while let Some(event) = self.connection.receive(&mut input).unwrap() {
                self.record(event);
            }
        }
        // Replaced images were dropped above: their successors' acks are due.
        self.connection.queue_released_acks().unwrap();
        self.stream.flush(self.connection.outgoing()).unwrap();
    }

    fn record(&mut self, event: QubeEvent) {
        match event {
            QubeEvent::Image { window, image } => {
                self.events
                    .push(format!("Image {window} {}x{}", image.width, image.height));
                self.images.insert(window, image);
            }
            QubeEvent::Damage { window, rect } => {
                self.events.push(format!("Damage {window} {rect:?}"))
            }
            other => self.events.push(format!("{other:?}")),
        }
    }

    fn saw(&self, prefix: &str) -> bool {
        self.events.iter().any(|event| event.starts_with(prefix))
    }

    fn count(&self, prefix: &str) -> usize {
        self.events
            .iter()
            .filter(|event| event.starts_with(prefix))
            .count()
    }
}

fn pixel(image: &WindowImage, x: u32, y: u32) -> u32 {
    let mut pixels = [0u8; 4];
    assert!(image
        .view
        .copy_to((y * image.width + x) as usize * 4, &mut pixels));
    let [b, g, r, _] = pixels;
    u32::from_be_bytes([0, r, g, b])
}

fn log_lines(log: &Path) -> Vec<serde_json::Value> {
    std::fs::read_to_string(log)
        .unwrap_or_default()
        .lines()
        .map(|line| serde_json::from_str(line).unwrap())
        .collect()
}

fn wait_for_log(
    log: &Path,
    what: &str,
    done: impl Fn(&[serde_json::Value]) -> bool,
) -> Vec<serde_json::Value> {
    let deadline = Instant::now() + PATIENCE;
    loop {
        let lines = log_lines(log);
        if done(&lines) {
            return lines;
        }
        assert!(
            Instant::now() < deadline,
            "timed out waiting for {what} in the agent's log: {lines:#?}"
        );
        std::thread::sleep(Duration::from_millis(20));
    }
}

fn id(raw: u32) -> WindowId {
    WindowId::new(raw).unwrap()
}

#[test]
fn windows_pixels_damage_and_acks_over_a_socketpair() {
    let dir = temp_dir("pair");
    let log = dir.join("events.jsonl");
    let (ours, theirs) = UnixStream::pair().unwrap();
    let _agent = spawn_agent(
        &["--fd", "0"],
        &[
            "w=64,h=48,x=10,y=20,title=first,pattern=solid:#3465a4",
            "w=100,h=70,pattern=gradient,animate=square,fps=100",
        ],
        &log,
        &[],
        Stdio::from(OwnedFd::from(theirs)),
    );
    let mut daemon = Daemon::new(QubeStream::from_stream(ours).unwrap());
    daemon.until("both windows' images and some animation", |d| {
        d.images.len() == 2 && d.count("Damage 0x2") >= 3
    });

    assert!(daemon.saw("Connected { version: Version { major: 1, minor: 8 } }"));
    assert!(daemon.saw("Title { window: WindowId(1), title: Title(\"first\") }"));
    assert!(daemon.saw("WindowMapped { window: WindowId(1)"));
    let first = &daemon.images[&id(1)];
    assert_eq!((first.width, first.height), (64, 48));
    assert!(
        first
            .to_vec()
            .chunks_exact(4)
            .all(|p| p == [0xa4, 0x65, 0x34, 0]),
        "solid window pixels"
    );
    let second = &daemon.images[&id(2)];
    // Every pixel is the gradient or the bouncing square painted over it.
    let gradient = Pattern::Gradient;
    for y in 0..second.height {
        for x in 0..second.width {
            let got = pixel(second, x, y);
            assert!(
                got == gradient.rgb(x, y, 0) || got == 0x00ff_ff00,
                "pixel ({x},{y}) is {got:#x}"
            );
        }
    }
    // Damage for the square is a small rectangle, not the window.
    assert!(daemon
        .events
        .iter()
        .any(|e| e.starts_with("Damage 0x2") && !e.contains("width: 100, height: 70")));

    // Acks as negotiated at 1.8: the dumps were acknowledged.
    wait_for_log(&log, "two dump acks", |lines| {
        lines.iter().filter(|l| l["event"] == "dump_ack").count() >= 2
    });

    // Input and focus reach the agent, FOCUS in after KEYMAP_NOTIFY.
    let focus_in = Message::Focus(Focus {
        kind: kind::FOCUS_IN,
        mode: 0,
        detail: 0,
    });
    daemon.connection.enter(id(1), &focus_in, [0; 32]).unwrap();
    let key = Keypress {
        kind: kind::KEY_PRESS,
        x: 1,
        y: 2,
        state: 0,
        keycode: 38,
    };
    daemon
        .connection
        .send(Some(id(1)), &Message::Keypress(key))
        .unwrap();
    daemon
        .connection
        .send(Some(id(1)), &Message::Close)
        .unwrap();
    daemon.until("the closed window's DESTROY", |d| {
        d.saw("WindowDestroyed { window: WindowId(1) }")
    });
    let lines = wait_for_log(&log, "the destroy ack", |lines| {
        lines.iter().any(|l| l["event"] == "destroy_ack")
    });
    let events: Vec<&str> = lines.iter().filter_map(|l| l["event"].as_str()).collect();
    let focus_at = events.iter().position(|e| *e == "focus").unwrap();
    assert_eq!(events[focus_at - 1], "keymap_notify");
    let keypress = lines.iter().find(|l| l["event"] == "keypress").unwrap();
    assert_eq!(
        (keypress["window"].as_u64(), keypress["keycode"].as_u64()),
        (Some(1), Some(38))
    );
}

#[test]
fn an_old_agent_gets_no_acks() {
    let dir = temp_dir("old");
    let log = dir.join("events.jsonl");
    let (ours, theirs) = UnixStream::pair().unwrap();
    let _agent = spawn_agent(
        &["--fd", "0"],
        &["w=32,h=32,pattern=checker:4"],
        &log,
        &["--protocol-minor", "4"],
        Stdio::from(OwnedFd::from(theirs)),
    );
    let mut daemon = Daemon::new(QubeStream::from_stream(ours).unwrap());
    daemon.until("the image", |d| !d.images.is_empty());
    assert!(daemon.saw("Connected { version: Version { major: 1, minor: 4 } }"));
    daemon
        .connection
        .send(Some(id(1)), &Message::Close)
        .unwrap();
    daemon.until("DESTROY", |d| d.saw("WindowDestroyed"));
    // The agent logs everything it gets; a CLIPBOARD_REQ afterwards proves the log is current.
    daemon
        .connection
        .send(None, &Message::ClipboardReq)
        .unwrap();
    daemon.until("the clipboard", |d| d.saw("ClipboardData"));
    let lines = wait_for_log(&log, "the request", |lines| {
        lines.iter().any(|l| l["event"] == "clipboard_request")
    });
    assert!(
        !lines
            .iter()
            .any(|l| l["event"] == "dump_ack" || l["event"] == "destroy_ack"),
        "{lines:#?}"
    );
}

#[test]
fn listen_mode_refuses_a_second_connection_and_takes_a_reconnect() {
    let dir = temp_dir("listen");
    let socket = dir.join("qubes").join("work.sock");
    let log = dir.join("events.jsonl");
    let listener = QubeListener::bind(&socket).unwrap();
    let mode = std::fs::metadata(&socket).unwrap();
    assert_eq!(
        std::os::unix::fs::PermissionsExt::mode(&mode.permissions()) & 0o777,
        0o600
    );

    let socket_arg = socket.to_str().unwrap();
    let mut agent = spawn_agent(
        &["--connect", socket_arg, "--reconnect"],
        &["w=40,h=30,title=work"],
        &log,
        &[],
        Stdio::null(),
    );
    let first = accept(&listener);
    let mut daemon = Daemon::new(first);
    daemon.until("the window", |d| !d.images.is_empty());

    // A second agent on the same socket is refused while the first lives.
    let intruder = UnixStream::connect(&socket).unwrap();
    assert!(listener.accept().unwrap().is_none());
    let mut byte = [0u8; 1];
    intruder.set_read_timeout(Some(PATIENCE)).unwrap();
    assert_eq!(
        std::io::Read::read(&mut &intruder, &mut byte).unwrap(),
        0,
        "refused: closed at once"
    );

    // The daemon drops the connection; the agent comes back and re-sends its window.
    drop(daemon);
    let mut again = Daemon::new(accept(&listener));
    again.until("the window again", |d| {
        d.saw("Title { window: WindowId(1), title: Title(\"work\") }") && !d.images.is_empty()
    });
    let _ = agent.0.kill();
}

fn accept(listener: &QubeListener) -> QubeStream {
    let deadline = Instant::now() + PATIENCE;
    loop {
        if let Some(stream) = listener.accept().unwrap() {
            return stream;
        }
        assert!(Instant::now() < deadline, "no agent connected");
        std::thread::sleep(Duration::from_millis(10));
    }
}

#[test]
fn connect_mode_retries_until_the_agent_listens() {
    let dir = temp_dir("vchan");
    let socket = dir.join("vchan.5.0.6000.sock");
    let log = dir.join("events.jsonl");
    let mut connector = VchanConnector::new(&socket);
    assert!(
        connector.try_connect().unwrap().is_none(),
        "nobody listens yet"
    );
    assert!(
        connector.retry_delay() < connector.retry_delay(),
        "the delay grows"
    );

    let _agent = spawn_agent(
        &["--listen", socket.to_str().unwrap()],
        &["w=16,h=16"],
        &log,
        &[],
        Stdio::null(),
    );
    let deadline = Instant::now() + PATIENCE;
    let stream = loop {
        if let Some(stream) = connector.try_connect().unwrap() {
            break stream;
        }
        assert!(Instant::now() < deadline, "the agent never listened");
        std::thread::sleep(Duration::from_millis(10));
    };
    let mut daemon = Daemon::new(stream);
    daemon.until("the window", |d| !d.images.is_empty());
}
