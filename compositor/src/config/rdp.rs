//! The `[rdp]` table: the RDP listener of this zone. RDP is off unless the table is there.

use std::net::SocketAddr;
use std::path::PathBuf;

use serde::Deserialize;

use super::ConfigError;

/// Smallest desktop a client may resize to, by default.
const DEFAULT_MIN: (u16, u16) = (640, 480);
/// Largest desktop a client may resize to, by default.
const DEFAULT_MAX: (u16, u16) = (7680, 4320);

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RdpConfig {
    /// Address and port to listen on, e.g. "127.0.0.1:3389".
    pub listen: SocketAddr,
    /// The one account that may log in.
    pub user: String,
    /// A file whose first line is the password; refused unless only its owner can read it
    /// (mode 0600).
    pub password_file: PathBuf,
    #[serde(default)]
    pub security: RdpSecurity,
    /// TLS certificate and key (PEM); created on first start when missing.
    /// Default: $XDG_STATE_HOME/airgui/rdp/ (or ~/.local/state/airgui/rdp/).
    #[serde(default)]
    pub cert: Option<PathBuf>,
    #[serde(default)]
    pub key: Option<PathBuf>,
    /// The sizes a client may ask the desktop to take.
    #[serde(default = "min_size")]
    pub min_size: [u16; 2],
    #[serde(default = "max_size")]
    pub max_size: [u16; 2],
}

fn min_size() -> [u16; 2] {
    [DEFAULT_MIN.0, DEFAULT_MIN.1]
}

fn max_size() -> [u16; 2] {
    [DEFAULT_MAX.0, DEFAULT_MAX.1]
}

/// How RDP clients authenticate; both inside TLS.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "lowercase")]
pub enum RdpSecurity {
    /// Network Level Authentication (CredSSP).
    #[default]
    Nla,
    /// TLS, then the password from the client's logon info (clients without NLA).
    Tls,
}

impl RdpConfig {
    pub(super) fn validate(&self) -> Result<(), ConfigError> {
        if self.user.is_empty() || !self.user.chars().all(|c| c.is_ascii_graphic()) {
            return Err(ConfigError::invalid(
                "rdp.user",
                format!(
                    "{:?} is not a user name (printable ASCII, no spaces)",
                    self.user
                ),
            ));
        }
        if self.password_file.as_os_str().is_empty() {
            return Err(ConfigError::invalid(
                "rdp.password_file",
                "is empty: name a file holding the password",
            ));
        }
        let [min_w, min_h] = self.min_size;
        let [max_w, max_h] = self.max_size;
        if min_w == 0 || min_h == 0 || min_w > max_w || min_h > max_h {
            return Err(ConfigError::invalid(
                "rdp.min_size",
                format!("{min_w}x{min_h} must be at least 1x1 and at most rdp.max_size ({max_w}x{max_h})"),
            ));
        }
        if max_w > 8192 || max_h > 8192 {
            return Err(ConfigError::invalid(
                "rdp.max_size",
                format!("{max_w}x{max_h} is larger than 8192x8192"),
            ));
        }
        if self.cert.is_some() != self.key.is_some() {
            return Err(ConfigError::invalid(
                "rdp.cert",
                "give both rdp.cert and rdp.key, or neither",
            ));
        }
        Ok(())
    }

    /// The certificate and key paths: configured, or under the state directory.
    pub fn identity_paths(&self) -> Result<(PathBuf, PathBuf), String> {
        if let (Some(cert), Some(key)) = (&self.cert, &self.key) {
            return Ok((cert.clone(), key.clone()));
        }
        let state = std::env::var_os("XDG_STATE_HOME")
            .map(PathBuf::from)
            .filter(|dir| dir.is_absolute())
            .or_else(|| {
                std::env::var_os("HOME").map(|home| PathBuf::from(home).join(".local/state"))
            })
            .ok_or("neither XDG_STATE_HOME nor HOME is set: set rdp.cert and rdp.key")?;
        let dir = state.join("airgui").join("rdp");
        Ok((dir.join("cert.pem"), dir.join("key.pem")))
    }
}

#[cfg(test)]
mod tests {
    use super::super::Config;

    fn rdp(extra: &str) -> String {
        format!("[rdp]\nlisten = \"127.0.0.1:3389\"\nuser = \"airgui\"\npassword_file = \"/etc/airgui/rdp.pass\"\n{extra}")
    }

    #[test]
    fn rdp_is_off_unless_configured() {
        assert_eq!(Config::from_overlay(None).unwrap().rdp, None);
        let config = Config::from_overlay(Some(&rdp(""))).unwrap();
        let rdp = config.rdp.unwrap();
        assert_eq!(rdp.security, super::RdpSecurity::Nla);
        assert_eq!((rdp.min_size, rdp.max_size), ([640, 480], [7680, 4320]));
    }

    #[test]
    fn bad_rdp_settings_name_their_key() {
        for (extra, key) in [
            ("security = \"none\"\n", "rdp.security"),
            (
                "min_size = [800, 600]\nmax_size = [640, 480]\n",
                "rdp.min_size",
            ),
            ("max_size = [10000, 600]\n", "rdp.max_size"),
            ("cert = \"/a.pem\"\n", "rdp.cert"),
        ] {
            let error = Config::from_overlay(Some(&rdp(extra)))
                .unwrap_err()
                .to_string();
            assert!(error.contains(key), "{extra}: {error}");
        }
        let error = Config::from_overlay(Some(
            "[rdp]\nlisten = \"nowhere\"\nuser = \"a\"\npassword_file = \"/p\"\n",
        ))
        .unwrap_err()
        .to_string();
        assert!(error.contains("rdp.listen"), "{error}");
    }

    #[test]
    fn the_commented_rdp_example_is_valid() {
        let defaults = include_str!("../../../assets/airgui.toml");
        let start = defaults.find("# [rdp]").unwrap();
        let block: Vec<&str> = defaults[start..]
            .lines()
            .take_while(|line| line.starts_with('#'))
            .map(|line| line.strip_prefix("# ").unwrap_or(""))
            .collect();
        let rdp = Config::from_overlay(Some(&block.join("\n")))
            .unwrap()
            .rdp
            .unwrap();
        assert_eq!(rdp.listen.port(), 3389);
        assert_eq!(
            (rdp.min_size, rdp.max_size),
            (super::min_size(), super::max_size())
        );
    }
}
