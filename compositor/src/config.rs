//! airgui's TOML config: the embedded defaults (`assets/airgui.toml`), overlaid by the user's
//! `--config` file, deserialized strictly and validated before anything starts.
//!
//! Names and label colours decide what the user trusts on screen, so a config that is wrong in
//! any way is refused with the key path and the problem, rather than half-applied.

use std::collections::BTreeMap;
use std::ffi::OsString;
use std::fmt;
use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};
use std::str::FromStr;

use airgui_wayland_common::keyboard::out_of_range;
use guid_protocol::msg::{MAX_WINDOW_HEIGHT, MAX_WINDOW_WIDTH};
use serde::{Deserialize, Deserializer};

/// The defaults, embedded so that airgui runs with no config file at all.
mod rdp;
mod zone_link;

pub use airgui_wayland_common::keyboard::KeyboardConfig;
pub use rdp::{RdpConfig, RdpSecurity};
pub use zone_link::ZoneLinkConfig;

const DEFAULTS: &str = include_str!("../../assets/airgui.toml");

/// What qube and zone names must look like (Qubes' rule), for error messages.
const NAME_RULE: &str = "1 to 31 letters, digits, '-' or '_', starting with a letter";

const GIB: u64 = 1 << 30;
const MAX_WINDOWS: RangeInclusive<usize> = 1..=10_000;
const MAX_POOL_BYTES: RangeInclusive<u64> = 1..=16 * GIB;
const OUTPUT_WIDTH: RangeInclusive<u32> = 1..=MAX_WINDOW_WIDTH;
const OUTPUT_HEIGHT: RangeInclusive<u32> = 1..=MAX_WINDOW_HEIGHT;
const REFRESH_HZ: RangeInclusive<u32> = 1..=1000;
/// A screen's top left corner lies within the largest output (the GUI protocol's largest window).
const SCREEN_X: RangeInclusive<u32> = 0..=MAX_WINDOW_WIDTH - 1;
const SCREEN_Y: RangeInclusive<u32> = 0..=MAX_WINDOW_HEIGHT - 1;
const CLIPBOARD_BYTES: RangeInclusive<usize> = 1..=256_000;
const BORDER_WIDTH: RangeInclusive<u32> = 1..=32;
const TITLE_HEIGHT: RangeInclusive<u32> = 12..=64;

/// The whole configuration, valid once returned by [`Config::load`] or [`Config::from_overlay`].
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Config {
    pub zone: ZoneConfig,
    pub output: OutputConfig,
    pub labels: Labels,
    /// The `[[qube]]` tables; none by default.
    #[serde(rename = "qube", default)]
    pub qubes: Vec<QubeConfig>,
    pub clipboard: ClipboardConfig,
    pub ipc: IpcConfig,
    pub keyboard: KeyboardConfig,
    pub decorations: DecorationConfig,
    pub native: NativeConfig,
    /// The RDP listener; none unless configured.
    #[serde(default)]
    pub rdp: Option<RdpConfig>,
    /// On a master, the slave zones to connect to.
    #[serde(rename = "zone_link", default)]
    pub zone_links: Vec<ZoneLinkConfig>,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ZoneConfig {
    pub name: String,
    pub role: Role,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum Role {
    /// Serves its own qubes over RDP.
    Slave,
    /// Also connects to the slaves and shows their zones.
    Master,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct OutputConfig {
    pub width: u32,
    pub height: u32,
    pub refresh_hz: u32,
    /// What draws the login session's screens (`--backend udev`).
    pub renderer: RendererSetting,
    /// Where the login session's monitors stand; those not listed follow side by side.
    #[serde(rename = "screen", default)]
    pub screens: Vec<ScreenPlacement>,
}

/// `output.renderer`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RendererSetting {
    /// GLES when EGL offers a hardware GPU, pixman otherwise.
    Auto,
    /// GLES on GBM, even on a software EGL device (llvmpipe).
    Gles,
    /// Pixman on dumb buffers: no GL at all.
    Pixman,
}

/// One `[[output.screen]]`: a monitor's connector and its top left corner on the shell's output.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ScreenPlacement {
    /// The connector's name as the kernel gives it, such as `HDMI-A-1` or `Virtual-1`.
    pub connector: String,
    pub x: u32,
    pub y: u32,
}

/// Label name to colour.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(transparent)]
pub struct Labels(pub BTreeMap<String, Rgb>);

/// A colour, written `#rrggbb` in the config.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Rgb {
    pub r: u8,
    pub g: u8,
    pub b: u8,
}

impl Rgb {
    /// As `0xRRGGBB`.
    pub fn to_u32(self) -> u32 {
        u32::from_be_bytes([0, self.r, self.g, self.b])
    }
}

/// One `[[qube]]` table.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(try_from = "QubeTable")]
pub struct QubeConfig {
    pub name: String,
    pub label: String,
    pub endpoint: QubeEndpoint,
    pub pool: Option<PathBuf>,
    pub allow_fullscreen: bool,
    pub max_windows: usize,
    pub allow_utf8_titles: bool,
    pub max_pool_bytes: u64,
}

/// How a qube's agent and airgui meet (see docs/guid-protocol.md, Transport).
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum QubeEndpoint {
    /// airgui creates this socket; whoever connects to it is the qube.
    Listen(PathBuf),
    /// The agent listens on this socket and airgui connects to it.
    Connect(PathBuf),
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClipboardConfig {
    pub max_bytes: usize,
    pub policy: Vec<PolicyRule>,
}

/// One clipboard rule; `from` and `to` are `"*"` or a qube name.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PolicyRule {
    pub from: String,
    pub to: String,
    pub action: PolicyAction,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum PolicyAction {
    Allow,
    Deny,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct IpcConfig {
    /// Empty means the default path; see [`Config::ipc_socket`].
    pub socket: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DecorationConfig {
    pub border_width: u32,
    pub title_height: u32,
}

/// The GUI qube's own Wayland clients.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NativeConfig {
    pub enabled: bool,
    /// Empty means the first free `wayland-N`.
    pub socket: String,
    pub label: String,
    pub screencopy: bool,
    pub virtual_keyboard: bool,
}

/// Why a config was refused.
#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    /// The file could not be read. (The I/O error is in the message, not a `source`, so that
    /// anyhow does not print it twice.)
    #[error("config: cannot read {}: {error}", path.display())]
    Read {
        path: PathBuf,
        error: std::io::Error,
    },
    /// Not TOML; `message` is toml's, with line and column.
    #[error("config: {}{message}", file_prefix(.file.as_deref()))]
    Syntax {
        file: Option<PathBuf>,
        message: String,
    },
    /// TOML, but not a valid config: `key` is the path, e.g. `qube[1].label`.
    #[error("config: {}{key}: {message}", file_prefix(.file.as_deref()))]
    Invalid {
        file: Option<PathBuf>,
        key: String,
        message: String,
    },
}

fn file_prefix(file: Option<&Path>) -> String {
    file.map(|f| format!("{}: ", f.display()))
        .unwrap_or_default()
}

impl ConfigError {
    pub(crate) fn invalid(key: impl Into<String>, message: impl Into<String>) -> Self {
        ConfigError::Invalid {
            file: None,
            key: key.into(),
            message: message.into(),
        }
    }

    /// Names the user file the error came from (the defaults alone are always valid).
    fn in_file(mut self, path: &Path) -> Self {
        match &mut self {
            ConfigError::Syntax { file, .. } | ConfigError::Invalid { file, .. } => {
                *file = Some(path.to_path_buf());
            }
            ConfigError::Read { .. } => {}
        }
        self
    }
}

impl Config {
    /// Defaults overlaid by the file at `path` (if any), validated.
    pub fn load(path: Option<&Path>) -> Result<Config, ConfigError> {
        let Some(path) = path else {
            return Config::from_overlay(None);
        };
        let text = std::fs::read_to_string(path).map_err(|error| ConfigError::Read {
            path: path.to_path_buf(),
            error,
        })?;
        Config::from_overlay(Some(&text)).map_err(|e| e.in_file(path))
    }

    /// Same from a string (for tests and for `load`).
    pub fn from_overlay(user_toml: Option<&str>) -> Result<Config, ConfigError> {
        let mut merged = parse(DEFAULTS)?;
        if let Some(user) = user_toml {
            merge(&mut merged, parse(user)?);
        }
        let config: Config = serde_path_to_error::deserialize(toml::Value::Table(merged))
            .map_err(|e| ConfigError::invalid(e.path().to_string(), e.inner().message()))?;
        config.validate()?;
        Ok(config)
    }

    /// The label's colour for a qube (always resolvable after validation).
    pub fn label_colour(&self, label: &str) -> Option<Rgb> {
        self.labels.0.get(label).copied()
    }

    /// The IPC socket path: `ipc.socket` if not empty, else `$XDG_RUNTIME_DIR/airgui/<zone>.ipc`,
    /// else `/tmp/airgui-<uid>/<zone>.ipc`.
    pub fn ipc_socket(&self) -> PathBuf {
        ipc_socket_path(
            &self.ipc.socket,
            &self.zone.name,
            std::env::var_os("XDG_RUNTIME_DIR"),
            rustix::process::getuid().as_raw(),
        )
    }

    /// The checks serde cannot express; the first failure is returned.
    fn validate(&self) -> Result<(), ConfigError> {
        check_name("zone.name", &self.zone.name, "zone")?;

        let o = &self.output;
        check_range("output.width", o.width, OUTPUT_WIDTH)?;
        check_range("output.height", o.height, OUTPUT_HEIGHT)?;
        check_range("output.refresh_hz", o.refresh_hz, REFRESH_HZ)?;
        for (i, screen) in o.screens.iter().enumerate() {
            let key = |field: &str| format!("output.screen[{i}].{field}");
            let name = &screen.connector;
            if name.is_empty() || !name.chars().all(|c| c.is_ascii_graphic()) {
                return Err(ConfigError::invalid(
                    key("connector"),
                    format!("{name:?} is not a connector name (such as \"HDMI-A-1\")"),
                ));
            }
            if let Some(first) = o.screens.iter().position(|s| s.connector == *name) {
                if first != i {
                    return Err(ConfigError::invalid(
                        key("connector"),
                        format!("{name:?} is already placed by output.screen[{first}]"),
                    ));
                }
            }
            check_range(&key("x"), screen.x, SCREEN_X)?;
            check_range(&key("y"), screen.y, SCREEN_Y)?;
        }

        self.keyboard
            .check()
            .map_err(|refused| ConfigError::invalid(refused.key, refused.message))?;

        let d = &self.decorations;
        check_range("decorations.border_width", d.border_width, BORDER_WIDTH)?;
        check_range("decorations.title_height", d.title_height, TITLE_HEIGHT)?;

        if self.label_colour(&self.native.label).is_none() {
            return Err(ConfigError::invalid(
                "native.label",
                format!("{:?} is not a label in [labels]", self.native.label),
            ));
        }
        if self.native.socket.contains('\0') {
            return Err(ConfigError::invalid("native.socket", "contains a NUL byte"));
        }

        let mut seen: BTreeMap<&str, usize> = BTreeMap::new();
        for (i, q) in self.qubes.iter().enumerate() {
            let key = |field: &str| format!("qube[{i}].{field}");
            check_name(&key("name"), &q.name, "qube")?;
            if let Some(first) = seen.insert(&q.name, i) {
                return Err(ConfigError::invalid(
                    key("name"),
                    format!("{:?} is already the name of qube[{first}]", q.name),
                ));
            }
            if self.label_colour(&q.label).is_none() {
                let known: Vec<&str> = self.labels.0.keys().map(String::as_str).collect();
                return Err(ConfigError::invalid(
                    key("label"),
                    format!(
                        "{:?} is not a label in [labels] (known: {})",
                        q.label,
                        known.join(", ")
                    ),
                ));
            }
            // A qube window must never look like one of the GUI qube's own.
            if q.label == self.native.label {
                return Err(ConfigError::invalid(
                    key("label"),
                    format!(
                        "{:?} is the label of the GUI qube's own windows (native.label); \
                         choose another",
                        q.label
                    ),
                ));
            }
            let (endpoint_key, endpoint_path) = match &q.endpoint {
                QubeEndpoint::Listen(p) => ("listen", p),
                QubeEndpoint::Connect(p) => ("connect", p),
            };
            check_path(&key(endpoint_key), endpoint_path)?;
            if let Some(pool) = &q.pool {
                check_path(&key("pool"), pool)?;
            }
            check_range(&key("max_windows"), q.max_windows, MAX_WINDOWS)?;
            check_range(&key("max_pool_bytes"), q.max_pool_bytes, MAX_POOL_BYTES)?;
        }

        let mut zones: BTreeMap<&str, usize> = BTreeMap::new();
        for (i, link) in self.zone_links.iter().enumerate() {
            let known_label = self.label_colour(&link.label).is_some();
            link.validate(i, self.zone.role, known_label)?;
            if link.name == self.zone.name || zones.insert(&link.name, i).is_some() {
                return Err(ConfigError::invalid(
                    format!("zone_link[{i}].name"),
                    format!("{:?} names this zone or another link already", link.name),
                ));
            }
        }

        if let Some(rdp) = &self.rdp {
            rdp.validate()?;
        }

        let c = &self.clipboard;
        check_range("clipboard.max_bytes", c.max_bytes, CLIPBOARD_BYTES)?;
        for (i, rule) in c.policy.iter().enumerate() {
            for (field, who) in [("from", &rule.from), ("to", &rule.to)] {
                if who != "*" && !seen.contains_key(who.as_str()) {
                    return Err(ConfigError::invalid(
                        format!("clipboard.policy[{i}].{field}"),
                        format!("{who:?} is neither \"*\" nor the name of a configured qube"),
                    ));
                }
            }
        }
        Ok(())
    }
}

impl ClipboardConfig {
    /// May data copied in qube `from` be pasted into qube `to`? The first matching rule decides;
    /// no match denies.
    pub fn allows(&self, from: &str, to: &str) -> bool {
        let matches = |pattern: &str, name: &str| pattern == "*" || pattern == name;
        self.policy
            .iter()
            .find(|rule| matches(&rule.from, from) && matches(&rule.to, to))
            .is_some_and(|rule| rule.action == PolicyAction::Allow)
    }
}

impl FromStr for Rgb {
    type Err = String;

    /// Parses `#rrggbb`, hex digits in either case.
    fn from_str(s: &str) -> Result<Rgb, String> {
        let bad = || format!("{s:?} is not a colour (\"#rrggbb\")");
        let hex = s.strip_prefix('#').ok_or_else(bad)?;
        // from_str_radix alone would also take a sign, so check the digits first.
        if hex.len() != 6 || !hex.bytes().all(|b| b.is_ascii_hexdigit()) {
            return Err(bad());
        }
        let byte = |at: usize| {
            hex.get(at..at + 2)
                .and_then(|h| u8::from_str_radix(h, 16).ok())
                .ok_or_else(bad)
        };
        Ok(Rgb {
            r: byte(0)?,
            g: byte(2)?,
            b: byte(4)?,
        })
    }
}

impl fmt::Display for Rgb {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "#{:02x}{:02x}{:02x}", self.r, self.g, self.b)
    }
}

impl<'de> Deserialize<'de> for Rgb {
    fn deserialize<D: Deserializer<'de>>(deserializer: D) -> Result<Rgb, D::Error> {
        let s = String::deserialize(deserializer)?;
        s.parse().map_err(serde::de::Error::custom)
    }
}

/// A `[[qube]]` table as written; becomes a [`QubeConfig`] once `listen`/`connect` is settled.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct QubeTable {
    name: String,
    label: String,
    listen: Option<PathBuf>,
    connect: Option<PathBuf>,
    pool: Option<PathBuf>,
    #[serde(default)]
    allow_fullscreen: bool,
    #[serde(default = "default_max_windows")]
    max_windows: usize,
    #[serde(default)]
    allow_utf8_titles: bool,
    #[serde(default = "default_max_pool_bytes")]
    max_pool_bytes: u64,
}

// Per-qube defaults live here, not in assets/airgui.toml, because there are no qubes by default;
// they are the protocol crate's, so the two cannot drift apart.
fn default_max_windows() -> usize {
    guid_protocol::sanitize::DEFAULT_MAX_WINDOWS
}

fn default_max_pool_bytes() -> u64 {
    guid_protocol::pool::DEFAULT_MAX_POOL_BYTES
}

impl TryFrom<QubeTable> for QubeConfig {
    type Error = &'static str;

    fn try_from(t: QubeTable) -> Result<QubeConfig, Self::Error> {
        let endpoint = match (t.listen, t.connect) {
            (Some(path), None) => QubeEndpoint::Listen(path),
            (None, Some(path)) => QubeEndpoint::Connect(path),
            (Some(_), Some(_)) => return Err("has both `listen` and `connect`; set exactly one"),
            (None, None) => return Err("has neither `listen` nor `connect`; set exactly one"),
        };
        Ok(QubeConfig {
            name: t.name,
            label: t.label,
            endpoint,
            pool: t.pool,
            allow_fullscreen: t.allow_fullscreen,
            max_windows: t.max_windows,
            allow_utf8_titles: t.allow_utf8_titles,
            max_pool_bytes: t.max_pool_bytes,
        })
    }
}

fn parse(text: &str) -> Result<toml::Table, ConfigError> {
    text.parse::<toml::Table>()
        .map_err(|e| ConfigError::Syntax {
            file: None,
            message: e.to_string().trim_end().to_owned(),
        })
}

/// Overlays `user` on `base`: tables merge key by key, any other value replaces.
fn merge(base: &mut toml::Table, user: toml::Table) {
    for (key, value) in user {
        match (base.get_mut(&key), value) {
            (Some(toml::Value::Table(base_table)), toml::Value::Table(user_table)) => {
                merge(base_table, user_table);
            }
            (_, value) => {
                base.insert(key, value);
            }
        }
    }
}

/// Qubes' rule for qube (and here zone) names.
fn is_valid_name(name: &str) -> bool {
    name.len() <= 31
        && name.starts_with(|c: char| c.is_ascii_alphabetic())
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_')
}

fn check_name(key: &str, name: &str, what: &str) -> Result<(), ConfigError> {
    if is_valid_name(name) {
        Ok(())
    } else {
        Err(ConfigError::invalid(
            key,
            format!("{name:?} is not a {what} name ({NAME_RULE})"),
        ))
    }
}

fn check_range<T>(key: &str, value: T, range: RangeInclusive<T>) -> Result<(), ConfigError>
where
    T: PartialOrd + fmt::Display,
{
    match out_of_range(value, &range) {
        Some(message) => Err(ConfigError::invalid(key, message)),
        None => Ok(()),
    }
}

fn check_path(key: &str, path: &Path) -> Result<(), ConfigError> {
    if path.as_os_str().is_empty() {
        Err(ConfigError::invalid(key, "is empty; give a path"))
    } else {
        Ok(())
    }
}

/// [`Config::ipc_socket`] without the environment, so that it can be tested.
fn ipc_socket_path(socket: &str, zone: &str, runtime_dir: Option<OsString>, uid: u32) -> PathBuf {
    if !socket.is_empty() {
        return PathBuf::from(socket);
    }
    let file = format!("{zone}.ipc");
    // The XDG spec says to ignore a relative XDG_RUNTIME_DIR.
    match runtime_dir.map(PathBuf::from) {
        Some(dir) if dir.is_absolute() => dir.join("airgui").join(file),
        _ => PathBuf::from(format!("/tmp/airgui-{uid}")).join(file),
    }
}

#[cfg(test)]
mod tests;
