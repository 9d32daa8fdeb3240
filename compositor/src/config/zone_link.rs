//! The `[[zone_link]]` tables of a master: the slave zones it connects to over RDP.

use std::path::PathBuf;

use serde::Deserialize;

use super::{check_name, ConfigError, Role};

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ZoneLinkConfig {
    /// The zone's name, shown to the user in its frame's title.
    pub name: String,
    /// The label whose colour frames the zone.
    pub label: String,
    /// The slave's RDP listener, `host:port`.
    pub address: String,
    pub user: String,
    /// A file whose first line is the password; refused unless only its owner can read it
    /// (mode 0600).
    pub password_file: PathBuf,
    /// The slave's certificate, `sha256:AB:CD:...` as `airgui msg rdp` prints it on the slave.
    pub fingerprint: String,
    /// The zone frame's content size, which the slave is asked to take; by default the zones
    /// share the output's width.
    #[serde(default)]
    pub size: Option<[u32; 2]>,
}

/// Hex digits in a SHA-256 fingerprint.
const FINGERPRINT_HEX: usize = 64;

impl ZoneLinkConfig {
    pub(super) fn validate(
        &self,
        index: usize,
        role: Role,
        known_label: bool,
    ) -> Result<(), ConfigError> {
        let key = |field: &str| format!("zone_link[{index}].{field}");
        if role != Role::Master {
            return Err(ConfigError::invalid(
                key("name"),
                "only a master links to other zones: set [zone] role = \"master\"",
            ));
        }
        check_name(&key("name"), &self.name, "zone")?;
        if !known_label {
            return Err(ConfigError::invalid(
                key("label"),
                format!("{:?} is not a label in [labels]", self.label),
            ));
        }
        if self
            .address
            .rsplit_once(':')
            .is_none_or(|(host, port)| host.is_empty() || port.parse::<u16>().is_err())
        {
            return Err(ConfigError::invalid(
                key("address"),
                format!("{:?} is not host:port", self.address),
            ));
        }
        if self.user.is_empty() || !self.user.chars().all(|c| c.is_ascii_graphic()) {
            return Err(ConfigError::invalid(
                key("user"),
                format!("{:?} is not a user name", self.user),
            ));
        }
        if self.password_file.as_os_str().is_empty() {
            return Err(ConfigError::invalid(
                key("password_file"),
                "is empty: name a file holding the password",
            ));
        }
        let hex: String = self
            .fingerprint
            .strip_prefix("sha256:")
            .unwrap_or("")
            .chars()
            .filter(|c| *c != ':')
            .collect();
        if hex.len() != FINGERPRINT_HEX || !hex.chars().all(|c| c.is_ascii_hexdigit()) {
            return Err(ConfigError::invalid(
                key("fingerprint"),
                "is not a SHA-256 fingerprint like sha256:AB:CD:... (run `airgui msg rdp` on the slave)",
            ));
        }
        if let Some([width, height]) = self.size {
            let max = u32::from(airgui_remote::client::MAX_REQUEST_SIDE);
            let fits = (1..=max).contains(&width)
                && (1..=max).contains(&height)
                && width * height <= airgui_remote::client::MAX_ZONE_PIXELS;
            if !fits {
                return Err(ConfigError::invalid(
                    key("size"),
                    format!("{width}x{height} is not between 1x1 and {max}x{max} with at most 7680x4320 pixels"),
                ));
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::super::Config;

    /// A master's config with one link, `replace` overriding one of its lines.
    fn master(replace: Option<(&str, &str)>) -> String {
        let fields = [
            ("name", "\"cloud\""),
            ("label", "\"purple\""),
            ("address", "\"127.0.0.1:3390\""),
            ("user", "\"master\""),
            ("password_file", "\"/etc/airgui/cloud.pass\""),
            ("fingerprint", FINGERPRINT_TOML),
        ];
        let mut link: String = fields
            .iter()
            .map(|(field, value)| match replace {
                Some((f, v)) if f == *field => format!("{field} = {v}\n"),
                _ => format!("{field} = {value}\n"),
            })
            .collect();
        // A field without a default line is added.
        if let Some((field, value)) = replace.filter(|(f, _)| !fields.iter().any(|(g, _)| g == f)) {
            link.push_str(&format!("{field} = {value}\n"));
        }
        format!("[zone]\nrole = \"master\"\n[[zone_link]]\n{link}")
    }

    const FINGERPRINT_TOML: &str = "\"sha256:DA:B9:92:86:52:B7:02:C4:39:31:23:07:79:1D:70:40:B8:3E:2E:18:7E:59:7E:04:5B:DD:0D:B1:92:96:38:2D\"";

    #[test]
    fn a_master_links_to_zones() {
        let config = Config::from_overlay(Some(&master(None))).unwrap();
        assert_eq!(config.zone_links.len(), 1);
        assert_eq!(config.zone_links[0].address, "127.0.0.1:3390");
        assert_eq!(config.zone_links[0].size, None);
        assert!(Config::from_overlay(None).unwrap().zone_links.is_empty());
        let sized = master(Some(("size", "[800, 600]")));
        let config = Config::from_overlay(Some(&sized)).unwrap();
        assert_eq!(config.zone_links[0].size, Some([800, 600]));
    }

    #[test]
    fn bad_links_name_their_key() {
        let slave = master(None).replace("role = \"master\"", "role = \"slave\"");
        let error = Config::from_overlay(Some(&slave)).unwrap_err().to_string();
        assert!(
            error.contains("zone_link[0].name") && error.contains("master"),
            "{error}"
        );
        for (field, bad) in [
            ("name", "\"9\""),
            ("name", "\"local\""),
            ("label", "\"pink\""),
            ("address", "\"nowhere\""),
            ("user", "\"a b\""),
            ("fingerprint", "\"sha256:AB\""),
            ("size", "[0, 480]"),
            ("size", "[8193, 100]"),
            ("size", "[8000, 8000]"),
        ] {
            let error = Config::from_overlay(Some(&master(Some((field, bad)))))
                .unwrap_err()
                .to_string();
            assert!(
                error.contains(&format!("zone_link[0].{field}")),
                "{field}: {error}"
            );
        }
    }
}
