//! The `[keyboard]` table of airgui's configuration and the seat keyboard it gives. The GUI qube
//! and its qubes' agents read the same table, so that an X keycode means the same key in both.

use std::fmt;
use std::ops::RangeInclusive;

use serde::Deserialize;
use smithay::input::keyboard::XkbConfig;
use smithay::input::{Seat, SeatHandler};

const REPEAT_DELAY_MS: RangeInclusive<u32> = 1..=10_000;
const REPEAT_RATE_HZ: RangeInclusive<u32> = 0..=1000;

#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct KeyboardConfig {
    pub layout: String,
    pub variant: String,
    pub options: String,
    pub model: String,
    pub repeat_delay_ms: u32,
    pub repeat_rate_hz: u32,
}

/// A `[keyboard]` value refused: its key path (such as `keyboard.layout`) and why.
#[derive(Debug, PartialEq, Eq, thiserror::Error)]
#[error("{key}: {message}")]
pub struct InvalidKey {
    pub key: String,
    pub message: String,
}

impl KeyboardConfig {
    /// The checks serde cannot express; the first failure is returned.
    pub fn check(&self) -> Result<(), InvalidKey> {
        let invalid = |field: &str, message: String| InvalidKey {
            key: format!("keyboard.{field}"),
            message,
        };
        for (field, value) in [
            ("layout", &self.layout),
            ("variant", &self.variant),
            ("options", &self.options),
            ("model", &self.model),
        ] {
            // xkbcommon takes these as C strings; its binding panics on an interior NUL.
            if !value.chars().all(|c| c.is_ascii_graphic()) {
                return Err(invalid(
                    field,
                    format!("{value:?} is not an xkb name (printable ASCII without spaces)"),
                ));
            }
        }
        for (field, value, range) in [
            ("repeat_delay_ms", self.repeat_delay_ms, REPEAT_DELAY_MS),
            ("repeat_rate_hz", self.repeat_rate_hz, REPEAT_RATE_HZ),
        ] {
            if let Some(message) = out_of_range(value, &range) {
                return Err(invalid(field, message));
            }
        }
        Ok(())
    }
}

/// Why `value` is not in `range`, if it is not: the message of every range check of airgui's
/// configuration.
pub fn out_of_range<T: PartialOrd + fmt::Display>(
    value: T,
    range: &RangeInclusive<T>,
) -> Option<String> {
    (!range.contains(&value)).then(|| {
        format!(
            "{value} is out of range ({} to {})",
            range.start(),
            range.end()
        )
    })
}

/// Gives `seat` a keyboard with the configured keymap and repeat, so that keycodes mean the
/// same keys wherever this configuration is used (the GUI qube and its qubes' agents).
pub fn add_keyboard<D: SeatHandler + 'static>(
    seat: &mut Seat<D>,
    keyboard: &KeyboardConfig,
) -> anyhow::Result<()> {
    let xkb = XkbConfig {
        rules: "",
        model: &keyboard.model,
        layout: &keyboard.layout,
        variant: &keyboard.variant,
        options: (!keyboard.options.is_empty()).then(|| keyboard.options.clone()),
    };
    let delay = i32::try_from(keyboard.repeat_delay_ms).unwrap_or(i32::MAX);
    let rate = i32::try_from(keyboard.repeat_rate_hz).unwrap_or(i32::MAX);
    seat.add_keyboard(xkb, delay, rate).map_err(|error| {
        anyhow::anyhow!(
            "cannot load the keymap (keyboard.layout = {:?}): {error}; is xkb-data installed?",
            keyboard.layout
        )
    })?;
    Ok(())
}
