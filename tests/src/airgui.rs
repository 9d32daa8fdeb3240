//! [`Airgui`]: a running airgui, spoken to over its IPC socket (windows, focus, input,
//! screenshots), killed on drop.

use std::cell::{Cell, RefCell};
use std::fmt::Debug;
use std::io::{self, BufRead, BufReader, Write};
use std::os::unix::net::UnixStream;
use std::path::{Path, PathBuf};
use std::process::{Child, Command};
use std::time::Duration;

use guid_protocol::Rect;
use serde_json::{json, Value};

use crate::{
    built_binary, send_signal, spawn_airgui, title_bar_colour, wait_for, wait_until, AgentBuilder,
    App, Frames, Image, QubeAgent, RawAgent, Window,
};

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

/// A running airgui, killed on drop. When a test fails, its log is printed (and its directory
/// kept if `AIRGUI_E2E_KEEP` is set).
#[derive(Debug)]
pub struct Airgui {
    pub(crate) dir: Option<tempfile::TempDir>,
    pub(crate) child: RefCell<Child>,
    pub(crate) ipc: PathBuf,
    pub(crate) log: PathBuf,
    /// Numbers files made in the directory (screenshots, agent logs).
    pub(crate) files: Cell<u32>,
    /// The qubes in connect mode.
    pub(crate) vchan: Vec<String>,
    /// The X display airgui is nested in, if not headless.
    pub(crate) nested_in: Option<String>,
}

/// Where a qube's agent and airgui meet.
pub(crate) fn socket_path(dir: &Path, qube: &str, vchan: bool) -> PathBuf {
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

    pub(crate) fn wait_answering(&self) {
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

    pub(crate) fn next_file(&self, stem: &str, extension: &str) -> PathBuf {
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

    /// The `frames` count, once it has stayed the same for a second: an idle desktop is only
    /// seen idle by watching it for a while.
    pub fn settled_frames(&self) -> u64 {
        wait_for("the frame count to stay the same for a second", || {
            let before = self.frames().count;
            std::thread::sleep(Duration::from_secs(1));
            let after = self.frames().count;
            if before == after {
                Ok(after)
            } else {
                Err((before, after))
            }
        })
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

    /// `airgui-agent` for `qube`, connected to its socket, with the Wayland socket
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
