//! End-to-end tests of airgui live in `tests/`: they start real processes (airgui, demo agents)
//! and talk to them over real sockets. This library holds what they share:
//!
//! * [`Setup`] writes a configuration into a fresh temporary directory (every socket lives in
//!   it, so tests run in parallel) and starts `airgui --test-input` as an [`Airgui`], which
//!   speaks its IPC ([`Airgui::msg`]), takes screenshots ([`Image`]) and kills it on drop;
//! * [`Airgui::agent`] starts a `guid-demo-agent` for a qube ([`Agent`], with its JSON event log);
//! * [`Airgui::qube_agent`] starts `airgui agent` for a qube ([`QubeAgent`]), a Wayland
//!   compositor in the qube, and [`QubeAgent::app`] runs real applications in it ([`App`]);
//! * [`Airgui::native_app`] runs a real Wayland application as one of the GUI qube's own
//!   programs, a client of airgui itself, and [`Airgui::grim`] photographs the output with `grim`;
//! * [`RawAgent`] is a qube written here, byte by byte, that can break every rule of the protocol;
//! * [`wait_until`] polls a condition with a generous timeout: tests never sleep to synchronise;
//! * [`Setup::rdp`] makes airgui serve RDP, and [`Xvfb`] with [`FreeRdp`] look at it through a
//!   real RDP client on an X server of the test's own.

// Test helpers fail the test loudly; that is what unwrap, expect and indexing are for here.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::cell::{Cell, RefCell};
use std::ffi::OsString;
use std::fmt::Debug;
use std::fs::File;
use std::io::{self, BufRead, BufReader, Read, Write};
use std::os::fd::AsFd;
use std::os::unix::fs::OpenOptionsExt;
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use guid_protocol::codec;
use guid_protocol::msg::{Create, Map, Message, ShmImage, Version, WmName};
use guid_protocol::pattern::Pattern;
use guid_protocol::transport::QubeStream;
use guid_protocol::{AgentConnection, AgentEvent, PoolAllocator, Rect};
use rustix::event::{PollFd, PollFlags, Timespec};
use serde_json::{json, Value};

pub mod vm;

/// How long to wait for something that should happen at once; only a failing test waits it out,
/// so it is generous: CI runs two tests at a time on two loaded cores.
pub const PATIENCE: Duration = Duration::from_secs(40);
/// How often [`wait_until`] looks again.
const POLL: Duration = Duration::from_millis(20);

/// The desktop behind the windows, #202020.
pub const BACKGROUND: [u8; 3] = [0x20, 0x20, 0x20];
/// Default decoration sizes: the border, and the title bar below the top border.
pub const BORDER: i32 = 3;
pub const TITLE: i32 = 24;
/// Height of everything above the content: top border and title.
pub const BAR: i32 = BORDER + TITLE;
/// Width of the frame drawn over the edges of override-redirect windows.
pub const MARKER: i32 = 2;
pub const WHITE: [u8; 3] = [0xff, 0xff, 0xff];
pub const BLACK: [u8; 3] = [0, 0, 0];

/// `0xRRGGBB` as R, G, B bytes.
pub fn rgb(hex: u32) -> [u8; 3] {
    let [_, r, g, b] = hex.to_be_bytes();
    [r, g, b]
}

/// The default colour of a label (assets/airgui.toml).
pub fn label_colour(label: &str) -> [u8; 3] {
    rgb(match label {
        "red" => 0xcc0000,
        "orange" => 0xf57900,
        "yellow" => 0xedd400,
        "green" => 0x73d216,
        "gray" => 0x555555,
        "blue" => 0x3465a4,
        "purple" => 0x75507b,
        "black" => 0x000000,
        // The GUI qube's own windows (`native.label`).
        "gui" => 0x9a9996,
        other => panic!("no label {other:?}"),
    })
}

/// The title bar of a window without focus: its label colour darkened to 55%, same hue (a
/// focused window's is the label colour itself).
pub fn unfocused_colour(label: &str) -> [u8; 3] {
    label_colour(label).map(|channel| (u32::from(channel) * 55 / 100) as u8)
}

/// The colour of a window's title bar, by its label and whether it has focus.
pub fn title_bar_colour(label: &str, focused: bool) -> [u8; 3] {
    if focused {
        label_colour(label)
    } else {
        unfocused_colour(label)
    }
}

/// A demo pattern's pixel as R, G, B.
pub fn pattern_rgb(pattern: Pattern, x: i32, y: i32) -> [u8; 3] {
    rgb(pattern.rgb(x as u32, y as u32, 0))
}

/// The path of a binary built in this workspace's target directory, next to the test binary.
pub fn workspace_binary(name: &str) -> PathBuf {
    let mut dir = std::env::current_exe().unwrap_or_default();
    dir.pop();
    if dir.ends_with("deps") {
        dir.pop();
    }
    dir.join(name)
}

fn send_signal(pid: u32, signal: rustix::process::Signal) {
    let pid = rustix::process::Pid::from_raw(pid as i32).expect("a pid");
    rustix::process::kill_process(pid, signal).expect("signal a process of the test");
}

/// [`workspace_binary`], which must exist.
fn built_binary(name: &str) -> PathBuf {
    let path = workspace_binary(name);
    assert!(
        path.is_file(),
        "{} is missing: build the workspace first (`cargo build --workspace`, or run \
         `cargo test --workspace`), then run these tests",
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

/// Waits until some pixel of `rect` differs from `before`; returns the new screenshot.
pub fn wait_change(airgui: &Airgui, what: &str, rect: Rect, before: &Image) -> Image {
    wait_for(what, || {
        let now = airgui.screenshot();
        if now.mismatches(rect, |x, y| before.pixel(x, y)).is_empty() {
            Err(rect)
        } else {
            Ok(now)
        }
    })
}

/// The title bar is the label's colour (darkened without focus), mostly (the title text and
/// close button are drawn on it): airgui's decorations, not the client's.
pub fn assert_decorated(shot: &Image, window: &Window, label: &str) {
    let bar = window.title_bar();
    let coloured = shot.count(bar, title_bar_colour(label, window.focused));
    assert!(
        coloured * 2 > bar.area() as usize,
        "only {coloured} of the {} title bar pixels are {label} (focused: {})",
        bar.area(),
        window.focused
    );
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

/// What an airgui is started with: the output size, the qubes and any other TOML.
#[derive(Clone, Debug)]
pub struct Setup {
    width: u32,
    height: u32,
    qubes: Vec<QubeEntry>,
    toml: String,
    rdp: Option<RdpEntry>,
    zone_links: Vec<ZoneLinkEntry>,
    /// `--backend winit` in a window of this X display, instead of headless.
    nested_in: Option<String>,
}

/// A `[[zone_link]]` table to write, see [`Setup::zone_link`].
#[derive(Clone, Debug)]
struct ZoneLinkEntry {
    name: String,
    label: String,
    address: String,
    fingerprint: String,
    password: String,
}

/// The `[rdp]` table to write, see [`Setup::rdp`].
#[derive(Clone, Debug)]
struct RdpEntry {
    user: String,
    password: String,
    keys: String,
}

#[derive(Clone, Debug)]
struct QubeEntry {
    name: String,
    label: String,
    keys: String,
    /// Connect mode: the agent listens (the vchan-socket layout) and airgui connects.
    vchan: bool,
}

impl Default for Setup {
    fn default() -> Self {
        Setup {
            width: 800,
            height: 600,
            qubes: Vec::new(),
            toml: String::new(),
            rdp: None,
            zone_links: Vec::new(),
            nested_in: None,
        }
    }
}

impl Setup {
    /// An 800x600 output and no qubes.
    pub fn new() -> Self {
        Setup::default()
    }

    pub fn output(mut self, width: u32, height: u32) -> Self {
        self.width = width;
        self.height = height;
        self
    }

    /// A qube in listen mode: its socket is `<dir>/<name>.sock`.
    pub fn qube(self, name: &str, label: &str) -> Self {
        self.qube_with(name, label, "")
    }

    /// A qube with more keys of its `[[qube]]` table, such as `max_windows = 3`.
    pub fn qube_with(mut self, name: &str, label: &str, keys: &str) -> Self {
        self.qubes.push(QubeEntry {
            name: name.into(),
            label: label.into(),
            keys: keys.into(),
            vchan: false,
        });
        self
    }

    /// A qube in connect mode: its agent listens on `<dir>/vchan.<name>.sock` and airgui
    /// connects, retrying while nobody listens.
    pub fn vchan_qube(self, name: &str, label: &str) -> Self {
        self.vchan_qube_with(name, label, "")
    }

    /// A qube in connect mode with more keys of its `[[qube]]` table, such as `pool = "..."`.
    pub fn vchan_qube_with(mut self, name: &str, label: &str, keys: &str) -> Self {
        self.qubes.push(QubeEntry {
            name: name.into(),
            label: label.into(),
            keys: keys.into(),
            vchan: true,
        });
        self
    }

    /// Runs airgui nested (`--backend winit`) in a window on this X server, rendering with GLES
    /// (Mesa's software renderer under Xvfb).
    pub fn nested(mut self, xvfb: &Xvfb) -> Self {
        self.nested_in = Some(xvfb.display().to_owned());
        self
    }

    /// More TOML, such as a `[clipboard]` table.
    pub fn toml(mut self, toml: &str) -> Self {
        self.toml.push_str(toml);
        self.toml.push('\n');
        self
    }

    /// Serves RDP on a free loopback port (see [`Airgui::rdp_address`]) to `user` with
    /// `password`, which goes into a 0600 file in the test's directory; the TLS certificate and
    /// key are made there too, so nothing outside it is touched.
    pub fn rdp(self, user: &str, password: &str) -> Self {
        self.rdp_with(user, password, "")
    }

    /// [`Setup::rdp`] with more keys of the `[rdp]` table, such as `security = "tls"`.
    pub fn rdp_with(mut self, user: &str, password: &str, keys: &str) -> Self {
        self.rdp = Some(RdpEntry {
            user: user.into(),
            password: password.into(),
            keys: keys.into(),
        });
        self
    }

    /// Makes this airgui a master linked to `slave` (an airgui serving RDP) as zone `name`,
    /// with the slave's certificate fingerprint and this password for its RDP user.
    pub fn zone_link(self, name: &str, label: &str, slave: &Airgui, password: &str) -> Self {
        let fingerprint = slave.rdp()["fingerprint"]
            .as_str()
            .expect("the slave's fingerprint")
            .to_owned();
        self.zone_link_to(name, label, &slave.rdp_address(), &fingerprint, password)
    }

    /// [`Setup::zone_link`] with every detail given: the address, the pinned fingerprint and the
    /// password, right or wrong.
    pub fn zone_link_to(
        mut self,
        name: &str,
        label: &str,
        address: &str,
        fingerprint: &str,
        password: &str,
    ) -> Self {
        self.zone_links.push(ZoneLinkEntry {
            name: name.into(),
            label: label.into(),
            address: address.into(),
            fingerprint: fingerprint.into(),
            password: password.into(),
        });
        self
    }

    /// Starts airgui and waits until its IPC socket answers.
    pub fn start(self) -> Airgui {
        let dir = tempfile::Builder::new()
            .prefix("airgui-e2e-")
            .tempdir()
            .expect("a temporary directory");
        let ipc = dir.path().join("airgui.ipc");
        let role = if self.zone_links.is_empty() {
            ""
        } else {
            "[zone]\nrole = \"master\"\n\n"
        };
        let mut config = format!(
            "{role}[output]\nwidth = {}\nheight = {}\n\n[ipc]\nsocket = \"{}\"\n\n{}\n",
            self.width,
            self.height,
            ipc.display(),
            self.toml
        );
        if let Some(rdp) = &self.rdp {
            let password_file = write_password(dir.path(), "rdp", &rdp.password);
            config.push_str(&format!(
                "[rdp]\nlisten = \"127.0.0.1:0\"\nuser = \"{}\"\npassword_file = \"{}\"\n\
                 cert = \"{}\"\nkey = \"{}\"\n{}\n\n",
                rdp.user,
                password_file.display(),
                dir.path().join("rdp-cert.pem").display(),
                dir.path().join("rdp-key.pem").display(),
                rdp.keys
            ));
        }
        for qube in &self.qubes {
            let (name, label, keys) = (&qube.name, &qube.label, &qube.keys);
            let (endpoint, socket) = match qube.vchan {
                false => ("listen", socket_path(dir.path(), name, false)),
                true => ("connect", socket_path(dir.path(), name, true)),
            };
            config.push_str(&format!(
                "[[qube]]\nname = \"{name}\"\nlabel = \"{label}\"\n{endpoint} = \"{}\"\n{keys}\n\n",
                socket.display()
            ));
        }
        for link in &self.zone_links {
            let password_file = write_password(dir.path(), &link.name, &link.password);
            config.push_str(&format!(
                "[[zone_link]]\nname = \"{}\"\nlabel = \"{}\"\naddress = \"{}\"\n\
                 user = \"{ZONE_USER}\"\npassword_file = \"{}\"\nfingerprint = \"{}\"\n\n",
                link.name,
                link.label,
                link.address,
                password_file.display(),
                link.fingerprint,
            ));
        }
        let config_path = dir.path().join("airgui.toml");
        std::fs::write(&config_path, &config).expect("write the configuration");
        let log = dir.path().join("airgui.log");
        let child = spawn_airgui(dir.path(), &log, self.nested_in.as_deref());
        let airgui = Airgui {
            dir: Some(dir),
            child: RefCell::new(child),
            ipc,
            log,
            files: Cell::new(0),
            vchan: self
                .qubes
                .iter()
                .filter(|q| q.vchan)
                .map(|q| q.name.clone())
                .collect(),
            nested_in: self.nested_in.clone(),
        };
        airgui.wait_answering();
        airgui
    }
}

/// The RDP user of every slave that a [`Setup::zone_link`] links to.
pub const ZONE_USER: &str = "master";

/// Writes `<dir>/<stem>.pass`, mode 0600, holding `password`.
fn write_password(dir: &Path, stem: &str, password: &str) -> PathBuf {
    let path = dir.join(format!("{stem}.pass"));
    std::fs::OpenOptions::new()
        .write(true)
        .create_new(true)
        .mode(0o600)
        .open(&path)
        .and_then(|mut file| writeln!(file, "{password}"))
        .expect("write a password file");
    path
}

/// Starts `airgui --test-input` with `<dir>/airgui.toml`, its stderr appended to `log`;
/// headless, or nested in a window on the X display `nested_in`.
fn spawn_airgui(dir: &Path, log: &Path, nested_in: Option<&str>) -> Child {
    let log = File::options()
        .create(true)
        .append(true)
        .open(log)
        .expect("log file");
    let mut command = Command::new(built_binary("airgui"));
    match nested_in {
        Some(display) => command
            .args(["--backend", "winit"])
            .env("DISPLAY", display)
            .env_remove("WAYLAND_DISPLAY"),
        None => command.args(["--backend", "headless"]),
    };
    command
        .arg("--config")
        .arg(dir.join("airgui.toml"))
        .arg("--test-input")
        .env("NO_COLOR", "1")
        // The GUI qube's own Wayland socket goes here, the first free wayland-N.
        .env("XDG_RUNTIME_DIR", dir)
        .stdin(Stdio::null())
        .stdout(File::create(dir.join("airgui.out")).expect("stdout file"))
        .stderr(log)
        .spawn()
        .expect("start airgui")
}

/// A running airgui, killed on drop. When a test fails, its log is printed (and its directory
/// kept if `AIRGUI_E2E_KEEP` is set).
#[derive(Debug)]
pub struct Airgui {
    dir: Option<tempfile::TempDir>,
    child: RefCell<Child>,
    ipc: PathBuf,
    log: PathBuf,
    /// Numbers files made in the directory (screenshots, agent logs).
    files: Cell<u32>,
    /// The qubes in connect mode.
    vchan: Vec<String>,
    /// The X display airgui is nested in, if not headless.
    nested_in: Option<String>,
}

/// Where a qube's agent and airgui meet.
fn socket_path(dir: &Path, qube: &str, vchan: bool) -> PathBuf {
    match vchan {
        false => dir.join(format!("{qube}.sock")),
        true => dir.join(format!("vchan.{qube}.sock")),
    }
}

impl Drop for Airgui {
    fn drop(&mut self) {
        let child = self.child.get_mut();
        let _ = child.kill();
        let _ = child.wait();
        if std::thread::panicking() {
            eprintln!("---- airgui's log ----\n{}", self.log());
            if std::env::var_os("AIRGUI_E2E_KEEP").is_some() {
                if let Some(dir) = self.dir.take() {
                    eprintln!("kept {}", dir.keep().display());
                }
            }
        }
    }
}

impl Airgui {
    /// The temporary directory holding the sockets, logs and screenshots.
    pub fn dir(&self) -> &Path {
        self.dir.as_ref().expect("the directory").path()
    }

    /// The socket where a qube's agent and airgui meet: airgui listens on it, or for a
    /// [`Setup::vchan_qube`] the agent does.
    pub fn qube_socket(&self, qube: &str) -> PathBuf {
        socket_path(self.dir(), qube, self.vchan.iter().any(|q| q == qube))
    }

    /// The IPC socket, for tests that speak to it themselves.
    pub fn ipc_socket(&self) -> &Path {
        &self.ipc
    }

    /// airgui's log (its stderr) so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    fn wait_answering(&self) {
        wait_for("airgui's IPC socket to answer", || {
            self.assert_alive();
            self.try_msg(&json!({"command": "qubes"}))
                .map_err(|error| error.to_string())
        });
    }

    /// Kills airgui (SIGKILL) as a crash would, keeping its directory for [`Airgui::restart`].
    pub fn kill(&self) {
        let mut child = self.child.borrow_mut();
        let _ = child.kill();
        let _ = child.wait();
    }

    /// Starts airgui again after [`Airgui::kill`], with the same configuration, certificate
    /// and RDP address (`rdp_address`, as it was before).
    pub fn restart(&self, rdp_address: &str) {
        let config = self.dir().join("airgui.toml");
        let text = std::fs::read_to_string(&config).expect("the configuration");
        let text = text.replace(
            "listen = \"127.0.0.1:0\"",
            &format!("listen = \"{rdp_address}\""),
        );
        std::fs::write(&config, text).expect("rewrite the configuration");
        *self.child.borrow_mut() = spawn_airgui(self.dir(), &self.log, self.nested_in.as_deref());
        self.wait_answering();
    }

    /// A master's zones as `zones` lists them: name, label, state (`connecting`, `connected`,
    /// `failing` with a `reason`), size, frames, the frame's content rectangle, focused.
    pub fn zones(&self) -> Vec<Value> {
        let reply = self.msg(json!({"command": "zones"}));
        reply["zones"].as_array().expect("a zones array").clone()
    }

    /// A zone as [`Airgui::zones`] lists it.
    pub fn zone(&self, name: &str) -> Value {
        let zones = self.zones();
        zones
            .iter()
            .find(|z| z["name"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("no zone {name} in {zones:?}"))
    }

    /// Waits until a zone's link is in `state`; returns the zone.
    pub fn wait_zone_state(&self, name: &str, state: &str, timeout: Duration) -> Value {
        wait_until(&format!("zone {name} to be {state}"), timeout, || {
            let zone = self.zone(name);
            if zone["state"] == state {
                Ok(zone)
            } else {
                Err(zone)
            }
        })
    }

    /// Drags with the left button from one output position to another.
    pub fn drag(&self, from: (f64, f64), to: (f64, f64)) {
        self.msg(json!({"command": "drag", "from": [from.0, from.1], "to": [to.0, to.1]}));
    }

    /// airgui's process id.
    pub fn pid(&self) -> u32 {
        self.child.borrow().id()
    }

    /// Stops airgui (SIGSTOP): it reads nothing from its qubes until [`Airgui::resume`].
    pub fn pause(&self) {
        send_signal(self.pid(), rustix::process::Signal::STOP);
    }

    pub fn resume(&self) {
        send_signal(self.pid(), rustix::process::Signal::CONT);
    }

    /// Panics if airgui has exited.
    pub fn assert_alive(&self) {
        if let Some(status) = self.child.borrow_mut().try_wait().expect("try_wait") {
            panic!("airgui exited ({status}); its log:\n{}", self.log());
        }
    }

    fn next_file(&self, stem: &str, extension: &str) -> PathBuf {
        let n = self.files.get() + 1;
        self.files.set(n);
        self.dir().join(format!("{stem}-{n}.{extension}"))
    }

    /// Sends one IPC request and reads its reply, whatever it says.
    pub fn try_msg(&self, request: &Value) -> io::Result<Value> {
        let mut stream = UnixStream::connect(&self.ipc)?;
        stream.set_read_timeout(Some(Duration::from_secs(60)))?;
        let mut line = request.to_string();
        line.push('\n');
        stream.write_all(line.as_bytes())?;
        let mut reply = String::new();
        BufReader::new(stream).read_line(&mut reply)?;
        serde_json::from_str(&reply).map_err(io::Error::other)
    }

    /// Sends one IPC request; the reply must say `"ok": true`.
    pub fn msg(&self, request: Value) -> Value {
        let reply = match self.try_msg(&request) {
            Ok(reply) => reply,
            Err(error) => {
                self.assert_alive();
                panic!("IPC request {request} failed: {error}");
            }
        };
        assert_eq!(reply["ok"], true, "IPC request {request} answered {reply}");
        reply
    }

    /// Every window, topmost first.
    /// The windows holding keyboard focus, as (qube, id): none or one.
    pub fn focused(&self) -> Vec<(String, u32)> {
        self.windows()
            .into_iter()
            .filter(|w| w.focused)
            .map(|w| (w.qube, w.id))
            .collect()
    }

    /// Waits until window 1 of `qube`, and only it, has focus.
    pub fn wait_focus(&self, qube: &str) {
        wait_for(&format!("{qube}'s window to have focus"), || {
            let now = self.focused();
            if now == [(qube.to_string(), 1)] {
                Ok(())
            } else {
                Err(now)
            }
        });
    }

    pub fn windows(&self) -> Vec<Window> {
        let reply = self.msg(json!({"command": "windows"}));
        reply["windows"]
            .as_array()
            .expect("a windows array")
            .iter()
            .map(Window::from_json)
            .collect()
    }

    /// A qube's windows.
    pub fn windows_of(&self, qube: &str) -> Vec<Window> {
        self.windows()
            .into_iter()
            .filter(|w| w.qube == qube)
            .collect()
    }

    /// A window, if listed.
    pub fn window(&self, qube: &str, id: u32) -> Option<Window> {
        self.windows()
            .into_iter()
            .find(|w| w.qube == qube && w.id == id)
    }

    /// Waits until a qube's window is listed and mapped.
    pub fn wait_window(&self, qube: &str, id: u32) -> Window {
        wait_for(&format!("window {id} of {qube} to be mapped"), || {
            let windows = self.windows();
            match windows
                .iter()
                .find(|w| w.qube == qube && w.id == id && w.mapped)
            {
                Some(window) => Ok(window.clone()),
                None => Err(windows),
            }
        })
    }

    /// A qube as `qubes` lists it: name, label, colour, connected, windows.
    pub fn qube(&self, name: &str) -> Value {
        let reply = self.msg(json!({"command": "qubes"}));
        reply["qubes"]
            .as_array()
            .expect("a qubes array")
            .iter()
            .find(|q| q["name"] == name)
            .cloned()
            .unwrap_or_else(|| panic!("no qube {name} in {reply}"))
    }

    /// Whether a qube's agent is connected.
    pub fn connected(&self, qube: &str) -> bool {
        self.qube(qube)["connected"] == true
    }

    /// Waits until a qube is disconnected and none of its windows is listed.
    pub fn wait_gone(&self, qube: &str) {
        wait_for(
            &format!("{qube} to be disconnected without windows"),
            || {
                let (state, windows) = (self.qube(qube), self.windows_of(qube));
                if state["connected"] == false && windows.is_empty() {
                    Ok(())
                } else {
                    Err((state, windows))
                }
            },
        )
    }

    /// What the clipboard holds: `holds`, and `source` and `bytes` when it does.
    pub fn clipboard(&self) -> Value {
        self.msg(json!({"command": "clipboard"}))
    }

    /// The frame count and the damage of the recent frames.
    pub fn frames(&self) -> Frames {
        Frames::from_json(&self.msg(json!({"command": "frames"})))
    }

    /// The composed output.
    pub fn screenshot(&self) -> Image {
        let path = self.next_file("screenshot", "png");
        self.msg(json!({"command": "screenshot", "path": path}));
        Image::read(&path)
    }

    /// Moves the pointer there and clicks the left button.
    pub fn click(&self, (x, y): (f64, f64)) {
        self.msg(json!({"command": "click", "x": x, "y": y, "button": 1}));
    }

    /// Moves the pointer there and clicks `button` (1 left, 2 middle, 3 right).
    pub fn click_button(&self, (x, y): (f64, f64), button: u32) {
        self.msg(json!({"command": "click", "x": x, "y": y, "button": button}));
    }

    /// Presses and releases a key or chord, such as `ctrl+shift+c`.
    pub fn key(&self, name: &str) {
        self.msg(json!({"command": "key", "name": name}));
    }

    /// Types text.
    pub fn type_text(&self, text: &str) {
        self.msg(json!({"command": "type", "text": text}));
    }

    pub fn pointer_move(&self, (x, y): (f64, f64)) {
        self.msg(json!({"command": "pointer-move", "x": x, "y": y}));
    }

    /// A demo agent for `qube`, to be configured and started.
    pub fn agent(&self, qube: &str) -> AgentBuilder<'_> {
        AgentBuilder {
            airgui: self,
            qube: qube.into(),
            args: Vec::new(),
        }
    }

    /// `airgui agent` for `qube`, connected to its socket, with the Wayland socket
    /// `<dir>/wayland-<qube>` for the qube's applications; returns once that socket exists.
    pub fn qube_agent(&self, qube: &str) -> QubeAgent {
        QubeAgent::start(self, qube)
    }

    /// What `rdp` says: `enabled`, `listen`, `fingerprint`, `client` (the logged-in peer or
    /// null), `width`, `height`.
    pub fn rdp(&self) -> Value {
        self.msg(json!({"command": "rdp"}))
    }

    /// The address the RDP server listens on, such as `127.0.0.1:41234` (see [`Setup::rdp`]).
    pub fn rdp_address(&self) -> String {
        let rdp = self.rdp();
        assert_eq!(rdp["enabled"], true, "RDP is not configured: {rdp}");
        rdp["listen"].as_str().expect("the RDP address").into()
    }

    /// The logged-in RDP client's address, if any.
    pub fn rdp_client(&self) -> Option<String> {
        self.rdp()["client"].as_str().map(String::from)
    }

    /// A hostile qube connected to `qube`'s socket, past the handshake.
    pub fn raw_agent(&self, qube: &str) -> RawAgent {
        RawAgent::connect(&self.qube_socket(qube))
    }

    /// What `native` says: `wayland_display`, `label`, `colour`, `screencopy`.
    pub fn native(&self) -> Value {
        self.msg(json!({"command": "native"}))
    }

    /// The GUI qube's own Wayland socket, as `WAYLAND_DISPLAY` (in the test's directory).
    pub fn wayland_display(&self) -> String {
        let native = self.native();
        native["wayland_display"]
            .as_str()
            .unwrap_or_else(|| panic!("airgui serves no Wayland socket: {native}"))
            .into()
    }

    /// Starts `program` as one of the GUI qube's own programs: a Wayland client of airgui.
    pub fn native_app(&self, program: &str, args: &[&str]) -> App {
        let log = self.next_file(&format!("gui-{program}"), "out");
        App::start(
            self.dir(),
            std::ffi::OsStr::new(&self.wayland_display()),
            &self.dir().join("gui-config"),
            &log.file_stem().expect("a file name").to_string_lossy(),
            program,
            args,
        )
    }

    /// Starts one of this crate's Wayland test clients (`src/bin`) as one of the GUI qube's own
    /// programs.
    pub fn native_test_client(&self, name: &str, args: &[&str]) -> App {
        let log = self.next_file(&format!("gui-{name}"), "out");
        App::start(
            self.dir(),
            std::ffi::OsStr::new(&self.wayland_display()),
            &self.dir().join("gui-config"),
            &log.file_stem().expect("a file name").to_string_lossy(),
            &built_binary(name).to_string_lossy(),
            args,
        )
    }

    /// The GUI qube's own windows, topmost first.
    pub fn native_windows(&self) -> Vec<Window> {
        self.windows().into_iter().filter(|w| w.native).collect()
    }

    /// Waits until a mapped native window `matches`.
    pub fn wait_native_window(&self, what: &str, matches: impl Fn(&Window) -> bool) -> Window {
        wait_for(what, || {
            let windows = self.native_windows();
            match windows.iter().find(|w| w.mapped && matches(w)) {
                Some(window) => Ok(window.clone()),
                None => Err(windows),
            }
        })
    }

    /// The output as `grim` (a client of the GUI qube's Wayland socket, through
    /// wlr-screencopy) sees it.
    pub fn grim(&self) -> Image {
        let path = self.next_file("grim", "png");
        let output = Command::new("grim")
            .arg(&path)
            .env("WAYLAND_DISPLAY", self.wayland_display())
            .env("XDG_RUNTIME_DIR", self.dir())
            .output()
            .unwrap_or_else(|error| {
                panic!("cannot run grim ({error}); scripts/install-deps installs it")
            });
        assert!(
            output.status.success(),
            "grim failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
        Image::read(&path)
    }
}

/// A window as `windows` lists it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Window {
    /// Empty for the GUI qube's own windows.
    pub qube: String,
    /// One of the GUI qube's own windows (a client of airgui's Wayland socket).
    pub native: bool,
    pub id: u32,
    /// Sanitized, without the `[qube]` prefix.
    pub title: String,
    /// The content, in output coordinates.
    pub content: Rect,
    pub mapped: bool,
    pub minimized: bool,
    pub override_redirect: bool,
    pub focused: bool,
    pub stacking: u64,
}

impl Window {
    fn from_json(value: &Value) -> Window {
        let int = |key: &str| {
            value[key]
                .as_i64()
                .unwrap_or_else(|| panic!("{key} in {value}"))
        };
        let flag = |key: &str| {
            value[key]
                .as_bool()
                .unwrap_or_else(|| panic!("{key} in {value}"))
        };
        Window {
            native: flag("native"),
            qube: if flag("native") {
                String::new()
            } else {
                value["qube"].as_str().expect("qube").into()
            },
            id: int("id") as u32,
            title: value["title"].as_str().expect("title").into(),
            content: Rect::new(
                int("x") as i32,
                int("y") as i32,
                int("width") as u32,
                int("height") as u32,
            ),
            mapped: flag("mapped"),
            minimized: flag("minimized"),
            override_redirect: flag("override_redirect"),
            focused: flag("focused"),
            stacking: int("stacking") as u64,
        }
    }

    /// The middle of the content, to click.
    pub fn centre(&self) -> (f64, f64) {
        let c = self.content;
        (
            f64::from(c.x) + f64::from(c.width) / 2.0,
            f64::from(c.y) + f64::from(c.height) / 2.0,
        )
    }

    /// The title bar: the label-coloured strip above the content, top border included.
    pub fn title_bar(&self) -> Rect {
        let c = self.content;
        Rect::new(
            c.x - BORDER,
            c.y - BAR,
            c.width + 2 * BORDER as u32,
            BAR as u32,
        )
    }

    /// The left, right and bottom borders.
    pub fn borders(&self) -> [Rect; 3] {
        let c = self.content;
        let (right, bottom) = (c.x + c.width as i32, c.y + c.height as i32);
        [
            Rect::new(c.x - BORDER, c.y, BORDER as u32, c.height),
            Rect::new(right, c.y, BORDER as u32, c.height),
            Rect::new(
                c.x - BORDER,
                bottom,
                c.width + 2 * BORDER as u32,
                BORDER as u32,
            ),
        ]
    }
}

/// What `frames` says.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Frames {
    pub count: u64,
    /// (frame number, the output rectangles it redrew), oldest first.
    pub recent: Vec<(u64, Vec<Rect>)>,
}

impl Frames {
    fn from_json(value: &Value) -> Frames {
        let recent = value["recent"]
            .as_array()
            .expect("recent frames")
            .iter()
            .map(|frame| {
                let damage = frame["damage"]
                    .as_array()
                    .expect("damage")
                    .iter()
                    .map(|r| {
                        Rect::new(
                            r["x"].as_i64().expect("x") as i32,
                            r["y"].as_i64().expect("y") as i32,
                            r["width"].as_u64().expect("width") as u32,
                            r["height"].as_u64().expect("height") as u32,
                        )
                    })
                    .collect();
                (frame["frame"].as_u64().expect("frame number"), damage)
            })
            .collect();
        Frames {
            count: value["count"].as_u64().expect("count"),
            recent,
        }
    }
}

/// weston-simple-shm's `window` keeps updating (several frames in a row differ from the one
/// before, starting from `first`), and each redraw is exactly its damage: all of the window but a
/// 20-pixel margin, so nothing copies or reports more than the client changed.
pub fn assert_simple_shm_animates(airgui: &Airgui, window: &Window, first: Image) {
    let mut before = first;
    for frame in 0..3 {
        before = wait_change(
            airgui,
            &format!("animation frame {frame} to reach the screen"),
            window.content,
            &before,
        );
    }
    let c = window.content;
    let inner = Rect::new(c.x + 20, c.y + 20, c.width - 40, c.height - 40);
    wait_for("frames redrawing exactly the client's damage", || {
        let frames = airgui.frames();
        match frames.recent.last() {
            Some((_, damage)) if damage == &[inner] => Ok(()),
            _ => Err(frames),
        }
    });
}

/// Whether `inner` lies inside `outer`.
pub fn rect_within(inner: &Rect, outer: &Rect) -> bool {
    let right = |r: &Rect| i64::from(r.x) + i64::from(r.width);
    let bottom = |r: &Rect| i64::from(r.y) + i64::from(r.height);
    inner.x >= outer.x
        && inner.y >= outer.y
        && right(inner) <= right(outer)
        && bottom(inner) <= bottom(outer)
}

/// A screenshot: R, G, B pixels.
#[derive(Clone, Debug)]
pub struct Image {
    pub width: u32,
    pub height: u32,
    rgb: Vec<u8>,
}

impl Image {
    /// Reads a binary PPM (P6, 8 bits a channel: what QEMU's `screendump` writes).
    pub fn read_ppm(path: &Path) -> Image {
        let data = std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        // The header is four whitespace-separated fields: P6, width, height, maximum value.
        let mut fields = Vec::new();
        let mut at = 0;
        while fields.len() < 4 {
            while data[at].is_ascii_whitespace() {
                at += 1;
            }
            let start = at;
            while !data[at].is_ascii_whitespace() {
                at += 1;
            }
            fields.push(String::from_utf8_lossy(&data[start..at]).into_owned());
        }
        assert_eq!(
            (fields[0].as_str(), fields[3].as_str()),
            ("P6", "255"),
            "an 8-bit P6 PPM"
        );
        let width: u32 = fields[1].parse().expect("the PPM's width");
        let height: u32 = fields[2].parse().expect("the PPM's height");
        let rgb = data[at + 1..].to_vec();
        assert_eq!(
            rgb.len(),
            width as usize * height as usize * 3,
            "the PPM's pixels"
        );
        Image { width, height, rgb }
    }

    /// Reads an 8-bit RGB PNG (airgui's and grim's screenshots).
    pub fn read(path: &Path) -> Image {
        let file = File::open(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let mut reader = png::Decoder::new(BufReader::new(file))
            .read_info()
            .expect("a PNG");
        let mut rgb = vec![0; reader.output_buffer_size()];
        let info = reader.next_frame(&mut rgb).expect("the PNG's pixels");
        assert_eq!(
            (info.color_type, info.bit_depth),
            (png::ColorType::Rgb, png::BitDepth::Eight),
            "screenshots are 8-bit RGB"
        );
        rgb.truncate(info.buffer_size());
        Image {
            width: info.width,
            height: info.height,
            rgb,
        }
    }

    /// The pixel at (x, y), which must lie inside the image.
    pub fn pixel(&self, x: i32, y: i32) -> [u8; 3] {
        assert!(
            (0..self.width as i32).contains(&x) && (0..self.height as i32).contains(&y),
            "pixel ({x}, {y}) is outside the {}x{} screenshot",
            self.width,
            self.height
        );
        let at = (y as usize * self.width as usize + x as usize) * 3;
        [self.rgb[at], self.rgb[at + 1], self.rgb[at + 2]]
    }

    /// Every pixel of `rect` that lies inside the image, as (x, y, colour).
    pub fn pixels_in(&self, rect: Rect) -> impl Iterator<Item = (i32, i32, [u8; 3])> + '_ {
        let x0 = rect.x.max(0);
        let y0 = rect.y.max(0);
        let x1 = (rect.x + rect.width as i32).min(self.width as i32);
        let y1 = (rect.y + rect.height as i32).min(self.height as i32);
        (y0..y1).flat_map(move |y| (x0..x1).map(move |x| (x, y, self.pixel(x, y))))
    }

    /// How many pixels of `rect` have exactly this colour.
    pub fn count(&self, rect: Rect, colour: [u8; 3]) -> usize {
        self.pixels_in(rect)
            .filter(|(_, _, c)| *c == colour)
            .count()
    }

    /// The pixels of `rect` that differ from `expected(x, y)`.
    pub fn mismatches(
        &self,
        rect: Rect,
        expected: impl Fn(i32, i32) -> [u8; 3],
    ) -> Vec<(i32, i32, [u8; 3], [u8; 3])> {
        self.pixels_in(rect)
            .filter_map(|(x, y, got)| {
                let want = expected(x, y);
                (got != want).then_some((x, y, got, want))
            })
            .collect()
    }

    /// Every pixel of `rect` must be `expected(x, y)`.
    pub fn assert_region(&self, what: &str, rect: Rect, expected: impl Fn(i32, i32) -> [u8; 3]) {
        let wrong = self.mismatches(rect, expected);
        assert!(
            wrong.is_empty(),
            "{what}: {} pixels of {rect:?} differ; the first (x, y, got, expected): {:?}",
            wrong.len(),
            &wrong[..wrong.len().min(8)]
        );
    }
}

/// A demo agent to be started: `--window` specs, `--clipboard`, `--reconnect`.
#[derive(Debug)]
pub struct AgentBuilder<'a> {
    airgui: &'a Airgui,
    qube: String,
    args: Vec<OsString>,
}

impl AgentBuilder<'_> {
    /// A window such as `w=200,h=100,x=50,y=60,title=Hello,pattern=solid:#3465a4`.
    pub fn window(mut self, spec: &str) -> Self {
        self.args.extend(["--window".into(), spec.into()]);
        self
    }

    /// After a disconnect, connect again and list every window again.
    pub fn reconnect(mut self) -> Self {
        self.args.push("--reconnect".into());
        self
    }

    /// The text the qube's clipboard holds.
    pub fn clipboard(mut self, text: &str) -> Self {
        self.args.extend(["--clipboard".into(), text.into()]);
        self
    }

    pub fn start(self) -> Agent {
        let log = self.airgui.next_file(&self.qube, "jsonl");
        let stderr = File::create(log.with_extension("err")).expect("agent stderr file");
        let vchan = self.airgui.vchan.contains(&self.qube);
        let child = Command::new(built_binary("guid-demo-agent"))
            .arg(if vchan { "--listen" } else { "--connect" })
            .arg(self.airgui.qube_socket(&self.qube))
            .arg("--log")
            .arg(&log)
            .args(&self.args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(stderr)
            .spawn()
            .expect("start guid-demo-agent");
        Agent {
            child,
            log,
            qube: self.qube,
        }
    }
}

/// A running demo agent, killed on drop.
#[derive(Debug)]
pub struct Agent {
    child: Child,
    log: PathBuf,
    pub qube: String,
}

impl Drop for Agent {
    fn drop(&mut self) {
        self.kill();
    }
}

impl Agent {
    /// Every event the agent has logged so far, one JSON object per daemon→agent message.
    pub fn events(&self) -> Vec<Value> {
        let text = std::fs::read_to_string(&self.log).unwrap_or_default();
        // Each line is written whole; a line without its newline yet is left for later.
        let complete = text.rfind('\n').map_or("", |end| &text[..end]);
        complete
            .lines()
            .map(|line| serde_json::from_str(line).expect("a JSON log line"))
            .collect()
    }

    /// Waits until the log satisfies `done`; returns it.
    pub fn wait_events(&self, what: &str, done: impl Fn(&[Value]) -> bool) -> Vec<Value> {
        wait_for(&format!("{what} in {}'s agent log", self.qube), || {
            let events = self.events();
            if done(&events) {
                Ok(events)
            } else {
                Err(events)
            }
        })
    }

    /// Kills the agent (SIGKILL) and reaps it.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// The events named `name` (such as "keypress" or "focus").
pub fn named<'a>(events: &'a [Value], name: &str) -> Vec<&'a Value> {
    events.iter().filter(|e| e["event"] == name).collect()
}

/// The keypress events as (type, X keycode): type 2 press, 3 release.
pub fn keypresses(events: &[Value]) -> Vec<(u64, u64)> {
    named(events, "keypress")
        .into_iter()
        .map(|e| (e["type"].as_u64().unwrap(), e["keycode"].as_u64().unwrap()))
        .collect()
}

/// Where the first event matching `matches` is in the log.
pub fn position(events: &[Value], matches: impl Fn(&Value) -> bool) -> Option<usize> {
    events.iter().position(matches)
}

/// A qube written in the test: it speaks the protocol byte by byte, so it can break any rule.
/// What the daemon sends it is decoded into [`RawAgent::inbox`] when asked for.
#[derive(Debug)]
pub struct RawAgent {
    stream: QubeStream,
    connection: AgentConnection,
    pub pool: PoolAllocator,
    /// The messages the daemon sent, as (window, message), oldest first.
    pub inbox: Vec<(u32, Message)>,
}

impl RawAgent {
    /// Connects, hands over a sealed pool with the version word and reads the daemon's greeting.
    pub fn connect(socket: &Path) -> RawAgent {
        let pool = PoolAllocator::new(64, 4096).expect("a grant pool");
        RawAgent::handshake(socket, Version::CURRENT, pool, None)
            .expect("the daemon refused the connection")
    }

    /// Connects and offers `offered` with `pool`'s descriptor, or with `descriptor` instead when
    /// given; then waits for the daemon's greeting (`Some`) or its hanging up (`None`).
    pub fn handshake(
        socket: &Path,
        offered: Version,
        pool: PoolAllocator,
        descriptor: Option<std::os::fd::BorrowedFd<'_>>,
    ) -> Option<RawAgent> {
        let stream = wait_for(&format!("to connect to {}", socket.display()), || {
            QubeStream::connect(socket).map_err(|error| error.to_string())
        });
        let mut connection = AgentConnection::new(offered);
        stream
            .send_version_with_pool(connection.outgoing(), descriptor.unwrap_or(pool.fd()))
            .expect("send the version and the pool");
        let mut agent = RawAgent {
            stream,
            connection,
            pool,
            inbox: Vec::new(),
        };
        wait_for("the daemon's greeting or hanging up", || {
            if agent.connection.version().is_some() {
                return Ok(true);
            }
            poll(&agent.stream, PollFlags::IN);
            match agent.read() {
                Ok(true) => Err("no greeting yet"),
                Ok(false) | Err(_) => Ok(false),
            }
        });
        agent.connection.version().map(|_| agent)
    }

    /// The version the daemon answered.
    pub fn version(&self) -> Option<Version> {
        self.connection.version()
    }

    /// A second descriptor of the socket, for writing from another thread.
    pub fn socket_clone(&self) -> std::os::fd::OwnedFd {
        self.stream
            .as_fd()
            .try_clone_to_owned()
            .expect("dup the socket")
    }

    /// Reads and decodes what is available. `Ok(false)` once the daemon has hung up.
    fn read(&mut self) -> io::Result<bool> {
        let mut buffer = vec![0u8; 64 * 1024];
        loop {
            match self.stream.recv(&mut buffer) {
                Ok(received) if received.len == 0 => return Ok(false),
                Ok(received) => {
                    let mut input = &buffer[..received.len];
                    while let Some(event) = self
                        .connection
                        .receive(&mut input)
                        .map_err(io::Error::other)?
                    {
                        if let AgentEvent::Message { window, message } = event {
                            self.inbox.push((window, message));
                        }
                    }
                }
                Err(error) if error.kind() == io::ErrorKind::WouldBlock => return Ok(true),
                Err(error) if error.kind() == io::ErrorKind::Interrupted => {}
                Err(error) => return Err(error),
            }
        }
    }

    /// Waits until the daemon has sent a message matching `matches`; returns it.
    pub fn wait_message(
        &mut self,
        what: &str,
        matches: impl Fn(u32, &Message) -> bool,
    ) -> (u32, Message) {
        wait_for(&format!("{what} from the daemon"), || {
            let open = self.read().unwrap_or(false);
            if let Some(found) = self.inbox.iter().find(|(w, m)| matches(*w, m)) {
                return Ok(found.clone());
            }
            poll(&self.stream, PollFlags::IN);
            Err((open, self.inbox.clone()))
        })
    }

    /// Writes bytes, waiting while the socket is full. An error means the daemon hung up.
    pub fn send_raw(&self, mut bytes: &[u8]) -> io::Result<()> {
        let deadline = Instant::now() + PATIENCE;
        while !bytes.is_empty() {
            let flags = rustix::net::SendFlags::NOSIGNAL | rustix::net::SendFlags::DONTWAIT;
            match rustix::net::send(self.stream.as_fd(), bytes, flags) {
                Ok(n) => bytes = &bytes[n..],
                Err(rustix::io::Errno::AGAIN) => {
                    assert!(Instant::now() < deadline, "the daemon stopped reading");
                    poll(&self.stream, PollFlags::OUT);
                }
                Err(rustix::io::Errno::INTR) => {}
                Err(error) => return Err(error.into()),
            }
        }
        Ok(())
    }

    /// Sends a message of any type for `window`, whoever may send it.
    pub fn send(&self, window: u32, message: &Message) -> io::Result<()> {
        let mut bytes = Vec::new();
        codec::encode(window, message, &mut bytes);
        self.send_raw(&bytes)
    }

    /// A header of any type claiming any body length, followed by `body` (which may be shorter
    /// or longer than claimed).
    pub fn send_header(
        &self,
        msg_type: u32,
        window: u32,
        claimed_len: u32,
        body: &[u8],
    ) -> io::Result<()> {
        let header = codec::Header {
            msg_type,
            window,
            untrusted_len: claimed_len,
        };
        let mut bytes = header.encode().to_vec();
        bytes.extend_from_slice(body);
        self.send_raw(&bytes)
    }

    /// Creates, titles and maps a window and gives it an image painted with `pattern`, as a
    /// well-behaved agent does.
    pub fn create_window(&mut self, id: u32, geometry: Rect, title: &[u8], pattern: Pattern) {
        self.try_create_window(id, geometry, title, pattern)
            .expect("the daemon took the window");
    }

    /// [`RawAgent::create_window`], for when the daemon may hang up on the way.
    pub fn try_create_window(
        &mut self,
        id: u32,
        geometry: Rect,
        title: &[u8],
        pattern: Pattern,
    ) -> io::Result<()> {
        let (width, height) = (geometry.width, geometry.height);
        let run = self
            .pool
            .alloc(width as usize * height as usize * 4)
            .expect("pool pages");
        let whole = Rect::new(0, 0, width, height);
        pattern.paint(self.pool.bytes_mut(&run), width, whole, 0);
        let messages = [
            Message::Create(Create {
                x: geometry.x,
                y: geometry.y,
                width,
                height,
                parent: 0,
                override_redirect: 0,
            }),
            Message::WmName(WmName::new(title)),
            Message::Map(Map {
                transient_for: 0,
                override_redirect: 0,
            }),
            Message::WindowDump(run.dump(width, height)),
            Message::ShmImage(ShmImage {
                x: 0,
                y: 0,
                width,
                height,
            }),
        ];
        messages
            .iter()
            .try_for_each(|message| self.send(id, message))
    }
}

/// Waits up to 100 ms for a socket to be ready for `flags`.
pub fn poll(socket: &impl AsFd, flags: PollFlags) {
    let timeout = Timespec::try_from(Duration::from_millis(100)).expect("a timespec");
    let mut fds = [PollFd::new(socket, flags)];
    match rustix::event::poll(&mut fds, Some(&timeout)) {
        Ok(_) | Err(rustix::io::Errno::INTR) => {}
        Err(error) => panic!("poll: {error}"),
    }
}

/// An X server of the test's own: `Xvfb` on a display it picks itself (tests run in parallel, so
/// never a fixed number), with a black root window, killed on drop. Its directory holds its log
/// and screenshots, and is the `HOME` of the X clients started with [`Xvfb::command`].
#[derive(Debug)]
pub struct Xvfb {
    child: Child,
    /// Such as `:3`.
    display: String,
    dir: Option<tempfile::TempDir>,
    files: Cell<u32>,
}

impl Drop for Xvfb {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
        if std::thread::panicking() && std::env::var_os("AIRGUI_E2E_KEEP").is_some() {
            if let Some(dir) = self.dir.take() {
                eprintln!("kept {} (Xvfb {})", dir.keep().display(), self.display);
            }
        }
    }
}

impl Xvfb {
    /// Starts Xvfb with one `width`x`height` screen and waits until it takes clients.
    pub fn start(width: u32, height: u32) -> Xvfb {
        let dir = tempfile::Builder::new()
            .prefix("airgui-e2e-x-")
            .tempdir()
            .expect("a temporary directory");
        // -displayfd: Xvfb picks a free display and writes its number there once it is ready.
        let mut child = Command::new("Xvfb")
            .args(["-displayfd", "1", "-screen", "0"])
            .arg(format!("{width}x{height}x24"))
            .args(["-nolisten", "tcp", "-br"])
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(File::create(dir.path().join("xvfb.log")).expect("Xvfb's log file"))
            .spawn()
            .expect("start Xvfb (scripts/install-deps installs it)");
        let stdout = child.stdout.take().expect("Xvfb's stdout");
        let (sender, receiver) = std::sync::mpsc::channel();
        std::thread::spawn(move || {
            let mut reader = BufReader::new(stdout);
            let mut line = String::new();
            let _ = reader.read_line(&mut line);
            let _ = sender.send(line);
            // Keep the pipe open (and drained) for as long as Xvfb runs.
            let _ = reader.read_to_end(&mut Vec::new());
        });
        let mut xvfb = Xvfb {
            child,
            display: String::new(),
            dir: Some(dir),
            files: Cell::new(0),
        };
        let line = receiver.recv_timeout(PATIENCE).unwrap_or_default();
        let number: u32 = line.trim().parse().unwrap_or_else(|_| {
            panic!(
                "Xvfb did not say which display it took (it wrote {line:?}); its log:\n{}",
                xvfb.log()
            )
        });
        xvfb.display = format!(":{number}");
        xvfb
    }

    /// The display, such as `:3`.
    pub fn display(&self) -> &str {
        &self.display
    }

    /// The temporary directory holding the log and screenshots.
    pub fn dir(&self) -> &Path {
        self.dir.as_ref().expect("the directory").path()
    }

    /// Xvfb's log (its stderr) so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(self.dir().join("xvfb.log")).unwrap_or_default()
    }

    fn next_file(&self, stem: &str, extension: &str) -> PathBuf {
        let n = self.files.get() + 1;
        self.files.set(n);
        self.dir().join(format!("{stem}-{n}.{extension}"))
    }

    /// A command for an X client of this server: `DISPLAY` is set, and `HOME` and
    /// `XDG_CONFIG_HOME` point into the directory so that nothing writes to the user's home.
    pub fn command(&self, program: &str) -> Command {
        let mut command = Command::new(program);
        command
            .env("DISPLAY", &self.display)
            .env("HOME", self.dir())
            .env("XDG_CONFIG_HOME", self.dir().join("config"))
            .env_remove("XAUTHORITY")
            .env_remove("WAYLAND_DISPLAY")
            .stdin(Stdio::null());
        command
    }

    /// Runs `xdotool` with these arguments, which must succeed (such as `["type", "aB"]`).
    pub fn xdotool(&self, args: &[&str]) {
        let output = self
            .command("xdotool")
            .args(args)
            .output()
            .expect("run xdotool (scripts/install-deps installs it)");
        assert!(
            output.status.success(),
            "xdotool {args:?} failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
    }

    /// Moves the pointer to (x, y) on the screen and clicks the left button there.
    pub fn click(&self, x: i32, y: i32) {
        let (x, y) = (x.to_string(), y.to_string());
        self.xdotool(&["mousemove", "--sync", &x, &y, "click", "1"]);
    }

    /// The whole screen, as ImageMagick's `import` sees it.
    pub fn screenshot(&self) -> Image {
        let path = self.next_file("xvfb", "png");
        let output = self
            .command("import")
            .args(["-window", "root"])
            // Always 8-bit RGB, whatever colours the screen happens to hold.
            .arg(format!("PNG24:{}", path.display()))
            .output()
            .expect("run import (ImageMagick; scripts/install-deps installs it)");
        assert!(
            output.status.success(),
            "import failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr)
        );
        Image::read(&path)
    }
}

/// A running `xfreerdp` on an [`Xvfb`], killed on drop. Its output goes to a file, printed when
/// a test fails.
#[derive(Debug)]
pub struct FreeRdp {
    child: RefCell<Child>,
    output: PathBuf,
}

impl Drop for FreeRdp {
    fn drop(&mut self) {
        let child = self.child.get_mut();
        let _ = child.kill();
        let _ = child.wait();
        if std::thread::panicking() {
            eprintln!("---- xfreerdp's output ----\n{}", self.output());
        }
    }
}

impl FreeRdp {
    /// Starts `xfreerdp /v:ADDRESS /u:USER /p:PASSWORD /cert:ignore` with `args` added, such as
    /// `/rfx` and `/size:800x600`. (`/cert:ignore`: each test's certificate is new.)
    pub fn start(xvfb: &Xvfb, address: &str, user: &str, password: &str, args: &[&str]) -> Self {
        let output = xvfb.next_file("xfreerdp", "log");
        let file = File::create(&output).expect("xfreerdp's output file");
        let child = xvfb
            .command("xfreerdp")
            .arg(format!("/v:{address}"))
            .arg(format!("/u:{user}"))
            .arg(format!("/p:{password}"))
            .arg("/cert:ignore")
            .args(args)
            .stdout(file.try_clone().expect("dup the output file"))
            .stderr(file)
            .spawn()
            .expect("start xfreerdp (scripts/install-deps installs it)");
        FreeRdp {
            child: RefCell::new(child),
            output,
        }
    }

    /// What xfreerdp printed so far.
    pub fn output(&self) -> String {
        std::fs::read_to_string(&self.output).unwrap_or_default()
    }

    /// How xfreerdp exited, if it has.
    pub fn exit_status(&self) -> Option<ExitStatus> {
        self.child.borrow_mut().try_wait().expect("try_wait")
    }

    /// Waits until xfreerdp exits; returns how.
    pub fn wait_exit(&self) -> ExitStatus {
        wait_for("xfreerdp to exit", || self.exit_status().ok_or(()))
    }

    /// Panics if xfreerdp has exited.
    pub fn assert_running(&self) {
        if let Some(status) = self.exit_status() {
            panic!("xfreerdp exited ({status}); its output:\n{}", self.output());
        }
    }
}

/// A running `airgui agent` (the qube side: a Wayland compositor whose applications' windows
/// airgui shows), killed on drop with every application started in it. Its log is printed when
/// a test fails.
#[derive(Debug)]
pub struct QubeAgent {
    child: Child,
    pub qube: String,
    /// The directory of the test: the applications' `XDG_RUNTIME_DIR`.
    dir: PathBuf,
    wayland_display: PathBuf,
    log: PathBuf,
}

impl Drop for QubeAgent {
    fn drop(&mut self) {
        self.kill();
        if std::thread::panicking() {
            eprintln!("---- {}'s airgui agent log ----\n{}", self.qube, self.log());
        }
    }
}

impl QubeAgent {
    fn start(airgui: &Airgui, qube: &str) -> QubeAgent {
        let dir = airgui.dir().to_owned();
        let wayland_display = dir.join(format!("wayland-{qube}"));
        let log = dir.join(format!("{qube}-agent.log"));
        let vchan = airgui.vchan.iter().any(|q| q == qube);
        let child = Command::new(built_binary("airgui"))
            .arg("agent")
            .arg(if vchan { "--listen" } else { "--connect" })
            .arg(airgui.qube_socket(qube))
            .arg("--wayland-display")
            .arg(&wayland_display)
            // The GUI qube's own configuration, for its keymap.
            .arg("--config")
            .arg(dir.join("airgui.toml"))
            .env("NO_COLOR", "1")
            .env("XDG_RUNTIME_DIR", &dir)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(File::create(&log).expect("the agent's log file"))
            .spawn()
            .expect("start airgui agent");
        let mut agent = QubeAgent {
            child,
            qube: qube.into(),
            dir,
            wayland_display,
            log,
        };
        wait_for(
            &format!("{qube}'s agent to open its Wayland socket"),
            || {
                if let Some(status) = agent.child.try_wait().expect("try_wait") {
                    panic!("airgui agent exited ({status}); its log:\n{}", agent.log());
                }
                if agent.wayland_display.exists() {
                    Ok(())
                } else {
                    Err(agent.log())
                }
            },
        );
        agent
    }

    /// The agent's log (its stderr) so far.
    pub fn log(&self) -> String {
        std::fs::read_to_string(&self.log).unwrap_or_default()
    }

    /// Where the qube's applications read their configuration (`XDG_CONFIG_HOME`), such as
    /// `foot/foot.ini`.
    pub fn config_home(&self) -> PathBuf {
        self.dir.join(format!("{}-config", self.qube))
    }

    /// Writes `text` to `path` under [`QubeAgent::config_home`].
    pub fn write_config(&self, path: &str, text: &str) {
        let path = self.config_home().join(path);
        std::fs::create_dir_all(path.parent().expect("a directory")).expect("config directory");
        std::fs::write(&path, text).expect("write the application's configuration");
    }

    /// Starts `program` as a Wayland client of this agent. It must be installed
    /// (scripts/install-deps installs weston and foot); a missing one fails the test.
    pub fn app(&self, program: &str, args: &[&str]) -> App {
        App::start(
            &self.dir,
            self.wayland_display.as_os_str(),
            &self.config_home(),
            &format!("{}-{program}", self.qube),
            program,
            args,
        )
    }

    /// Starts one of this crate's Wayland test clients (`src/bin`) in the qube.
    pub fn test_client(&self, name: &str, args: &[&str]) -> App {
        App::start(
            &self.dir,
            self.wayland_display.as_os_str(),
            &self.config_home(),
            &format!("{}-{name}", self.qube),
            &built_binary(name).to_string_lossy(),
            args,
        )
    }

    /// The agent's process id.
    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Kills the agent (SIGKILL) and reaps it.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// A Wayland application running in a qube, killed on drop. Its output is printed when a test
/// fails.
#[derive(Debug)]
pub struct App {
    child: RefCell<Child>,
    pub name: String,
    output: PathBuf,
}

impl Drop for App {
    fn drop(&mut self) {
        let child = self.child.get_mut();
        let _ = child.kill();
        let _ = child.wait();
        if std::thread::panicking() {
            eprintln!("---- {}'s output ----\n{}", self.name, self.output());
        }
    }
}

impl App {
    /// Starts `program` as a Wayland client of the socket `wayland_display`, with its runtime
    /// directory `dir` and its configuration in `config_home`; its output goes to
    /// `<dir>/<log>.log`. A missing program fails the test (scripts/install-deps installs it).
    fn start(
        dir: &Path,
        wayland_display: &std::ffi::OsStr,
        config_home: &Path,
        log: &str,
        program: &str,
        args: &[&str],
    ) -> App {
        let output = dir.join(format!("{log}.log"));
        let file = File::create(&output).expect("the application's output file");
        let child = Command::new(program)
            .args(args)
            .env("WAYLAND_DISPLAY", wayland_display)
            .env("XDG_RUNTIME_DIR", dir)
            .env("XDG_CONFIG_HOME", config_home)
            .env("HOME", dir)
            .env_remove("DISPLAY")
            .stdin(Stdio::null())
            .stdout(file.try_clone().expect("dup the output file"))
            .stderr(file)
            .spawn()
            .unwrap_or_else(|error| {
                panic!("cannot start {program} ({error}); scripts/install-deps installs it")
            });
        App {
            child: RefCell::new(child),
            name: program.into(),
            output,
        }
    }

    /// Stops the application (SIGSTOP): it draws nothing more until [`App::resume`].
    pub fn pause(&self) {
        self.signal(rustix::process::Signal::STOP);
    }

    pub fn resume(&self) {
        self.signal(rustix::process::Signal::CONT);
    }

    fn signal(&self, signal: rustix::process::Signal) {
        send_signal(self.child.borrow().id(), signal);
    }

    /// What the application printed so far.
    pub fn output(&self) -> String {
        std::fs::read_to_string(&self.output).unwrap_or_default()
    }

    /// How the application exited, if it has.
    pub fn exit_status(&self) -> Option<ExitStatus> {
        self.child.borrow_mut().try_wait().expect("try_wait")
    }

    /// Panics if the application has exited.
    pub fn assert_running(&self) {
        if let Some(status) = self.exit_status() {
            panic!(
                "{} exited ({status}); its output:\n{}",
                self.name,
                self.output()
            );
        }
    }

    /// Kills the application (SIGKILL) and reaps it.
    pub fn kill(&self) {
        let mut child = self.child.borrow_mut();
        let _ = child.kill();
        let _ = child.wait();
    }
}
