//! A real RDP client of the test's own: [`Xvfb`], an X server to show it on, and [`FreeRdp`],
//! xfreerdp in it.

use std::cell::{Cell, RefCell};
use std::fmt::Debug;
use std::fs::File;
use std::io::{BufRead, BufReader, Read};
use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};

use crate::{wait_for, Image, PATIENCE};

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

    pub(crate) fn next_file(&self, stem: &str, extension: &str) -> PathBuf {
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
