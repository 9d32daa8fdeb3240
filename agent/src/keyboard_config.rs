//! The agent's one piece of configuration: the `[keyboard]` table of an airgui TOML file. Given
//! the GUI qube's own file, an X keycode from the GUI qube is the same key here. What the table
//! leaves out comes from airgui's defaults (assets/airgui.toml); the rest of the file is the GUI
//! qube's business and is not read.

use std::path::Path;

use airgui_wayland_common::keyboard::KeyboardConfig;
use anyhow::{bail, Context};

const DEFAULTS: &str = include_str!("../../assets/airgui.toml");

/// The keyboard configured in the airgui TOML file at `path`, or the default keyboard.
pub fn load(path: Option<&Path>) -> anyhow::Result<KeyboardConfig> {
    let Some(path) = path else {
        return from_toml(None);
    };
    let text = std::fs::read_to_string(path)
        .with_context(|| format!("cannot read the configuration {}", path.display()))?;
    from_toml(Some(&text)).with_context(|| format!("in {}", path.display()))
}

fn from_toml(user: Option<&str>) -> anyhow::Result<KeyboardConfig> {
    let mut keyboard = keyboard_table(DEFAULTS)?;
    if let Some(user) = user {
        // Every key of the table is a scalar: the user's replace the defaults one by one.
        keyboard.extend(keyboard_table(user)?);
    }
    let config: KeyboardConfig = toml::Value::Table(keyboard)
        .try_into()
        .map_err(|error| anyhow::anyhow!("keyboard: {error}"))?;
    config.check()?;
    Ok(config)
}

fn keyboard_table(text: &str) -> anyhow::Result<toml::Table> {
    let mut file: toml::Table = text.parse().context("not a TOML file")?;
    match file.remove("keyboard") {
        None => Ok(toml::Table::new()),
        Some(toml::Value::Table(table)) => Ok(table),
        Some(_) => bail!("keyboard: not a table"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn no_file_is_the_default_keyboard() {
        let keyboard = from_toml(None).expect("the defaults load");
        assert_eq!(keyboard.layout, "us");
        assert_eq!(keyboard.repeat_delay_ms, 600);
    }

    #[test]
    fn the_file_overlays_the_defaults_and_the_rest_is_not_read() {
        let keyboard = from_toml(Some(
            "[zone]\nname = \"not checked here\"\n[keyboard]\nlayout = \"de\"\n",
        ))
        .expect("a partial keyboard table loads");
        assert_eq!(keyboard.layout, "de");
        assert_eq!(keyboard.repeat_rate_hz, 25);
    }

    #[test]
    fn a_bad_keyboard_table_is_refused_with_its_key() {
        let error = |toml: &str| format!("{:#}", from_toml(Some(toml)).unwrap_err());
        assert!(error("[keyboard]\nlayout = \"de us\"\n").contains("keyboard.layout"));
        assert!(error("[keyboard]\nrepeat_rate_hz = 5000\n").contains("keyboard.repeat_rate_hz"));
        assert!(error("[keyboard]\nlayuot = \"de\"\n").contains("layuot"));
        assert!(error("keyboard = 3\n").contains("not a table"));
    }
}
