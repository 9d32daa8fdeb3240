//! P3: the same animated Wayland client served over RDP by airgui and by Weston's RDP backend,
//! received by the same clients. The content is `weston-simple-shm` (a 250x250 window redrawn
//! whole at every frame callback): in a qube under `airgui-agent` with a headless airgui
//! serving RDP, and under `weston --backend=rdp-backend.so` (its desktop shell). The client
//! starts once the viewer shows the desktop: Weston's RDP output does not repaint, and so sends
//! no frame callbacks, while no viewer is connected.
//!
//! Each server is watched through a TCP relay that counts the bytes it sends. The client's frames
//! are its commits (`WAYLAND_DEBUG=1` on weston-simple-shm: each compositor paces it by frame
//! callbacks, so they are the frames that compositor produced). Server CPU is airgui plus its
//! qube's agent, or Weston.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpListener, TcpStream};
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::{mpsc, Arc};
use std::time::{Duration, Instant};

use airgui_remote::client::{spawn_zone_links, ZoneEvent, ZoneLinkConfig};
use serde_json::json;

use crate::procs::{binary, cpu_seconds, Airgui, Proc};
use crate::rdp_user::{rdp_table, PASSWORD, USER};
use crate::Row;

const SIZE: (u32, u32) = (1280, 720);

/// Forwards connections on a loopback port to `server`, counting the bytes the server sends.
struct CountingRelay {
    address: SocketAddr,
    from_server: Arc<AtomicU64>,
}

impl CountingRelay {
    fn start(server: SocketAddr) -> CountingRelay {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind the relay");
        let address = listener.local_addr().expect("the relay's address");
        let from_server = Arc::new(AtomicU64::new(0));
        let counter = Arc::clone(&from_server);
        std::thread::spawn(move || {
            for client in listener.incoming().flatten() {
                let Ok(upstream) = TcpStream::connect(server) else {
                    continue;
                };
                let _ = (client.set_nodelay(true), upstream.set_nodelay(true));
                let (Ok(client2), Ok(upstream2)) = (client.try_clone(), upstream.try_clone())
                else {
                    continue;
                };
                let counter = Arc::clone(&counter);
                std::thread::spawn(move || pump(upstream, client2, Some(&counter)));
                std::thread::spawn(move || pump(client, upstream2, None));
            }
        });
        CountingRelay {
            address,
            from_server,
        }
    }

    fn bytes(&self) -> u64 {
        self.from_server.load(Ordering::Relaxed)
    }
}

fn pump(mut from: TcpStream, mut to: TcpStream, counter: Option<&AtomicU64>) {
    let mut buffer = vec![0u8; 256 * 1024];
    while let Ok(n) = from.read(&mut buffer) {
        if n == 0 || to.write_all(&buffer[..n]).is_err() {
            break;
        }
        if let Some(counter) = counter {
            counter.fetch_add(n as u64, Ordering::Relaxed);
        }
    }
    let _ = to.shutdown(std::net::Shutdown::Both);
}

/// An Xvfb screen for xfreerdp, killed on drop.
struct Xvfb {
    _proc: Proc,
    display: String,
}

impl Xvfb {
    fn start() -> Xvfb {
        let mut child = Command::new("Xvfb")
            .args([
                "-displayfd",
                "1",
                "-screen",
                "0",
                "1400x900x24",
                "-nolisten",
                "tcp",
            ])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .spawn()
            .expect("start Xvfb (scripts/install-deps installs it)");
        let mut line = String::new();
        BufReader::new(child.stdout.take().expect("Xvfb's stdout"))
            .read_line(&mut line)
            .expect("Xvfb's display number");
        Xvfb {
            _proc: Proc(child),
            display: format!(":{}", line.trim()),
        }
    }

    fn xfreerdp(&self, address: SocketAddr, user: &str, password: &str, dir: &Path) -> Proc {
        Proc(
            Command::new("xfreerdp")
                .arg(format!("/v:{address}"))
                .arg(format!("/u:{user}"))
                .arg(format!("/p:{password}"))
                .args(["/rfx", "/cert:ignore"])
                .arg(format!("/size:{}x{}", SIZE.0, SIZE.1))
                .env("DISPLAY", &self.display)
                .env("HOME", dir)
                .env_remove("WAYLAND_DISPLAY")
                .stdin(Stdio::null())
                .stdout(Stdio::null())
                .stderr(Stdio::null())
                .spawn()
                .expect("start xfreerdp (scripts/install-deps installs it)"),
        )
    }
}

/// `weston-simple-shm` on `display` (a socket path), its Wayland requests logged to `log`.
fn simple_shm(display: &Path, log: &Path) -> Proc {
    Proc(
        Command::new("weston-simple-shm")
            .env("WAYLAND_DISPLAY", display)
            .env("WAYLAND_DEBUG", "1")
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(log).expect("the client's log"))
            .spawn()
            .expect("start weston-simple-shm (scripts/install-deps installs weston)"),
    )
}

/// Commits in a WAYLAND_DEBUG log so far.
fn commits(log: &Path) -> u64 {
    let text = std::fs::read_to_string(log).unwrap_or_default();
    text.lines()
        .filter(|line| line.contains("-> wl_surface@") && line.contains(".commit("))
        .count() as u64
}

/// What one server did for one client over the interval.
#[derive(Clone, Copy, Debug)]
struct Served {
    fps: f64,
    bytes_per_frame: f64,
    cpu_ms_per_frame: f64,
    /// Frames our RDP client received (after its merging), per second, if it was the client.
    received_fps: Option<f64>,
}

impl Served {
    fn describe(&self) -> String {
        let mut text = format!(
            "{:.0} fps, {:.1} kB/frame, {:.2} ms CPU/frame",
            self.fps,
            self.bytes_per_frame / 1e3,
            self.cpu_ms_per_frame
        );
        if let Some(received) = self.received_fps {
            text.push_str(&format!(" ({received:.0} updates/s received)"));
        }
        text
    }
}

/// Measures for `time` once the client shows frames: frames, bytes and server CPU.
fn measure(time: Duration, relay: &CountingRelay, log: &Path, server_pids: &[u32]) -> Served {
    let cpu = || server_pids.iter().map(|pid| cpu_seconds(*pid)).sum::<f64>();
    let (commits0, bytes0, cpu0, at0) = (commits(log), relay.bytes(), cpu(), Instant::now());
    std::thread::sleep(time);
    let (commits1, bytes1, cpu1) = (commits(log), relay.bytes(), cpu());
    let elapsed = at0.elapsed().as_secs_f64();
    let frames = (commits1 - commits0).max(1) as f64;
    Served {
        fps: frames / elapsed,
        bytes_per_frame: (bytes1 - bytes0) as f64 / frames,
        cpu_ms_per_frame: (cpu1 - cpu0) * 1000.0 / frames,
        received_fps: None,
    }
}

/// Waits until the relay has carried this many bytes (the client shows the desktop).
fn wait_bytes(relay: &CountingRelay, bytes: u64, what: &str) {
    let deadline = Instant::now() + Duration::from_secs(60);
    while relay.bytes() < bytes {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(50));
    }
}

/// airgui serving weston-simple-shm from a qube, to xfreerdp and to our client.
fn airgui(time: Duration, xvfb: &Xvfb) -> (Served, Served) {
    let mut airgui = Airgui::start_with(SIZE.0, SIZE.1, 60, &["app".to_string()], rdp_table);
    let dir = airgui.dir.path().to_owned();
    let display = dir.join("app-wayland");
    let agent = Proc(
        Command::new(binary("airgui-agent"))
            .arg("--connect")
            .arg(dir.join("app.sock"))
            .arg("--wayland-display")
            .arg(&display)
            .env("XDG_RUNTIME_DIR", &dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.join("agent.log")).expect("the agent's log"))
            .spawn()
            .expect("start airgui-agent"),
    );
    airgui.wait("the agent's Wayland socket", |_| {
        display.exists().then_some(())
    });
    let rdp = airgui.msg(json!({"command": "rdp"}));
    let server: SocketAddr = rdp["listen"]
        .as_str()
        .and_then(|a| a.parse().ok())
        .expect("the RDP address");
    let pids = [airgui.proc.pid(), agent.pid()];

    let relay = CountingRelay::start(server);
    let viewer = xvfb.xfreerdp(relay.address, USER, PASSWORD, &dir);
    wait_bytes(&relay, 10_000, "xfreerdp to show airgui's desktop");
    let log = dir.join("simple-shm.log");
    let _client = simple_shm(&display, &log);
    airgui.wait("simple-shm's window", |a| {
        (a.window_count() == 1).then_some(())
    });
    std::thread::sleep(Duration::from_secs(2));
    let to_xfreerdp = measure(time, &relay, &log, &pids);
    drop(viewer);

    let relay = CountingRelay::start(server);
    let received = Arc::new(AtomicU64::new(0));
    let counter = Arc::clone(&received);
    let (connected, on_connect) = mpsc::channel();
    let link = ZoneLinkConfig {
        name: "p3".into(),
        address: relay.address.to_string(),
        user: USER.into(),
        password: PASSWORD.into(),
        fingerprint: rdp["fingerprint"].as_str().expect("fingerprint").to_owned(),
        desktop_size: (SIZE.0 as u16, SIZE.1 as u16),
    };
    let clients = spawn_zone_links(
        vec![link],
        Box::new(move |event| match event {
            ZoneEvent::Connected { .. } => {
                let _ = connected.send(());
            }
            ZoneEvent::Frame { .. } => {
                counter.fetch_add(1, Ordering::Relaxed);
            }
            _ => {}
        }),
    )
    .expect("start our RDP client");
    on_connect
        .recv_timeout(Duration::from_secs(30))
        .expect("our client logs in to airgui");
    wait_bytes(&relay, 10_000, "our client to receive airgui's desktop");
    std::thread::sleep(Duration::from_secs(2));
    let received0 = received.load(Ordering::Relaxed);
    let mut to_ours = measure(time, &relay, &log, &pids);
    to_ours.received_fps =
        Some((received.load(Ordering::Relaxed) - received0) as f64 / time.as_secs_f64());
    drop(clients);
    (to_xfreerdp, to_ours)
}

/// Weston's RDP backend serving weston-simple-shm to xfreerdp.
fn weston(time: Duration, xvfb: &Xvfb) -> Served {
    let dir = tempfile::Builder::new()
        .prefix("airgui-bench-weston-")
        .tempdir()
        .expect("a temporary directory");
    let runtime: PathBuf = dir.path().join("runtime");
    std::fs::create_dir(&runtime).expect("Weston's runtime directory");
    std::fs::set_permissions(
        &runtime,
        std::os::unix::fs::PermissionsExt::from_mode(0o700),
    )
    .expect("chmod the runtime directory");
    let (cert, key) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    // Weston 10's RDP backend wants an RSA key and a certificate in PEM files.
    let made = Command::new("openssl")
        .args([
            "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1",
        ])
        .args(["-subj", "/CN=localhost", "-keyout"])
        .arg(&key)
        .arg("-out")
        .arg(&cert)
        .stderr(Stdio::null())
        .status()
        .expect("run openssl");
    assert!(
        made.success(),
        "openssl could not make Weston's certificate"
    );
    let port = TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .expect("a free port")
        .port();
    let server = Proc(
        Command::new("weston")
            .arg("--backend=rdp-backend.so")
            .arg("--no-config")
            .arg(format!("--rdp-tls-cert={}", cert.display()))
            .arg(format!("--rdp-tls-key={}", key.display()))
            .args(["--address=127.0.0.1", &format!("--port={port}")])
            .arg(format!("--width={}", SIZE.0))
            .arg(format!("--height={}", SIZE.1))
            .arg("--socket=wayland-bench")
            .env("XDG_RUNTIME_DIR", &runtime)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(std::fs::File::create(dir.path().join("weston.log")).expect("log"))
            .spawn()
            .expect("start weston (scripts/install-deps installs it)"),
    );
    let display = runtime.join("wayland-bench");
    let deadline = Instant::now() + Duration::from_secs(30);
    while !display.exists() {
        assert!(Instant::now() < deadline, "Weston did not open its socket");
        std::thread::sleep(Duration::from_millis(50));
    }
    let relay = CountingRelay::start(SocketAddr::from(([127, 0, 0, 1], port)));
    // Weston's RDP backend takes any user name and password (it has no accounts).
    let _viewer = xvfb.xfreerdp(relay.address, "bench", "bench", dir.path());
    wait_bytes(&relay, 10_000, "xfreerdp to show Weston's desktop");
    let log = dir.path().join("simple-shm.log");
    let _client = simple_shm(&display, &log);
    std::thread::sleep(Duration::from_secs(2));
    measure(time, &relay, &log, &[server.pid()])
}

/// P3: airgui against Weston, the same client and content.
pub fn against_weston(time: Duration) -> Row {
    let xvfb = Xvfb::start();
    let weston = weston(time, &xvfb);
    let (airgui_xfreerdp, airgui_ours) = airgui(time, &xvfb);
    let cpu_ratio = airgui_xfreerdp.cpu_ms_per_frame / weston.cpu_ms_per_frame;
    let fps_ratio = airgui_xfreerdp.fps / weston.fps;
    let mut notes = format!(
        "weston-simple-shm (250x250, redrawn whole per frame callback) in a qube under `airgui \
         agent` vs under Weston 10's desktop shell; xfreerdp /rfx on Xvfb; bytes counted by a relay; \
         airgui's CPU includes the qube's agent. To airgui-remote's client (QOIZ, NLA): {}; \
         Weston's RDP backend offers no NLA, so that client cannot log in to it",
        airgui_ours.describe()
    );
    if cpu_ratio > 0.67 || fps_ratio < 1.5 {
        notes.push_str(&format!(
            "; **below target** (CPU/frame {cpu_ratio:.2} × Weston's, fps {fps_ratio:.2} × \
             Weston's)"
        ));
    }
    Row {
        id: "P3",
        what: "slave over RDP vs Weston's RDP backend (xfreerdp /rfx)",
        measured: format!(
            "airgui: {} (CPU/frame {cpu_ratio:.2} ×, fps {fps_ratio:.2} × Weston's)",
            airgui_xfreerdp.describe()
        ),
        reference: format!("Weston: {}", weston.describe()),
        target: "≤ 0.67 × Weston's CPU/frame, ≥ 1.5 × its fps".into(),
        notes,
    }
}
