//! [`Setup`]: the configuration an airgui is started with (output, qubes, RDP, zone links, any
//! TOML), written into a fresh directory, and the airgui process it starts.

use std::cell::{Cell, RefCell};
use std::fmt::Debug;
use std::fs::File;
use std::io::Write;
use std::os::unix::fs::OpenOptionsExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};

use crate::{built_binary, socket_path, Airgui, Xvfb};

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
pub(crate) struct ZoneLinkEntry {
    name: String,
    label: String,
    address: String,
    fingerprint: String,
    password: String,
}

/// The `[rdp]` table to write, see [`Setup::rdp`].
#[derive(Clone, Debug)]
pub(crate) struct RdpEntry {
    user: String,
    password: String,
    keys: String,
}

#[derive(Clone, Debug)]
pub(crate) struct QubeEntry {
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
pub(crate) fn write_password(dir: &Path, stem: &str, password: &str) -> PathBuf {
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
pub(crate) fn spawn_airgui(dir: &Path, log: &Path, nested_in: Option<&str>) -> Child {
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
