//! A slave zone as the master holds it: its link's state, its framebuffer waiting to be shown,
//! and the frame it is shown in.

use std::collections::BTreeSet;
use std::time::{Duration, Instant};

use airgui_remote::client::{self, ZoneFrame, MAX_ZONE_PIXELS};
use airgui_remote::Cursor;
use guid_protocol::Rect;
use smithay::backend::renderer::element::solid::SolidColorBuffer;

use crate::config::{Config, Rgb, ZoneLinkConfig};
use crate::render::decorations::Decorations;
use crate::render::upload_plan::PendingUpload;
use crate::shell::Metrics;

/// A zone: its index in the configuration's `[[zone_link]]` list.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ZoneId(pub usize);

/// Where a zone's link stands.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum ZoneStatus {
    /// The first attempt has not ended yet.
    Connecting,
    Connected {
        since: Instant,
    },
    /// The link failed; it is tried again after `retry_in`.
    Failing {
        reason: String,
        since: Instant,
        retry_in: Duration,
    },
}

impl ZoneStatus {
    pub fn is_connected(&self) -> bool {
        matches!(self, ZoneStatus::Connected { .. })
    }

    /// One word for `airgui msg zones`.
    pub fn word(&self) -> &'static str {
        match self {
            ZoneStatus::Connecting => "connecting",
            ZoneStatus::Connected { .. } => "connected",
            ZoneStatus::Failing { .. } => "failing",
        }
    }
}

#[derive(Debug)]
pub struct Zone {
    pub config: ZoneLinkConfig,
    pub colour: Rgb,
    pub status: ZoneStatus,
    /// The slave's desktop size, once a link told it.
    pub size: Option<(u32, u32)>,
    /// The link's latest frame, held until the next render copies its damage; the link sends
    /// the next one (with everything that changed meanwhile) only once it is dropped.
    pub frame: Option<ZoneFrame>,
    pub upload: PendingUpload,
    pub decorations: Decorations,
    /// The veil over the picture of a zone that is down.
    pub veil: SolidColorBuffer,
    /// evdev codes of keys pressed in the zone and not released there yet.
    pub keys_down: BTreeSet<u32>,
    /// The zone's pointer shape, as its slave last sent it.
    pub cursor: Cursor,
    /// Frames received from the link.
    pub frames: u64,
}

impl Zone {
    pub fn name(&self) -> &str {
        &self.config.name
    }

    /// The title of its frame: what it is, and whether it is live.
    pub fn title(&self) -> String {
        match self.status {
            ZoneStatus::Connected { .. } => format!("zone: {}", self.config.name),
            _ => format!("zone: {} (connecting)", self.config.name),
        }
    }
}

/// The smallest default zone size: what an airgui slave accepts by default (`[rdp] min_size`).
const MIN_DEFAULT_SIZE: (u32, u32) = (640, 480);

/// The default content size of each of `count` zone frames side by side on the output: their
/// share of its width and all of its height, within what a link accepts.
fn default_size(output: (u32, u32), count: usize, metrics: Metrics) -> (u32, u32) {
    let count = u32::try_from(count.max(1)).unwrap_or(u32::MAX);
    let width = (output.0 / count).saturating_sub(2 * metrics.border);
    let height = output
        .1
        .saturating_sub(metrics.bar_height() + metrics.border);
    // An airgui slave keeps its width a multiple of 4.
    let max_side = u32::from(client::MAX_REQUEST_SIDE);
    let width = (width.clamp(MIN_DEFAULT_SIZE.0, max_side) / 4) * 4;
    let height = height.clamp(MIN_DEFAULT_SIZE.1, max_side);
    (width, height.min(MAX_ZONE_PIXELS / width))
}

/// The zones of the configuration, laid out side by side from the left edge.
pub fn from_config(config: &Config, metrics: Metrics) -> Vec<(Zone, Rect)> {
    let output = (config.output.width, config.output.height);
    let fallback = default_size(output, config.zone_links.len(), metrics);
    let mut left = 0i32;
    config
        .zone_links
        .iter()
        .map(|link| {
            let (width, height) = link.size.map_or(fallback, |[w, h]| (w, h));
            let frame = Rect::new(
                left,
                0,
                width + 2 * metrics.border,
                height + metrics.bar_height() + metrics.border,
            );
            left = left.saturating_add(frame.width as i32);
            let zone = Zone {
                colour: config
                    .label_colour(&link.label)
                    .unwrap_or(Rgb { r: 0, g: 0, b: 0 }),
                config: link.clone(),
                status: ZoneStatus::Connecting,
                size: None,
                frame: None,
                upload: PendingUpload::default(),
                decorations: Decorations::default(),
                veil: SolidColorBuffer::default(),
                keys_down: BTreeSet::new(),
                cursor: Cursor::Default,
                frames: 0,
            };
            (zone, metrics.content(frame))
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    const METRICS: Metrics = Metrics {
        border: 8,
        title: 24,
    };

    #[test]
    fn zones_share_the_output_side_by_side() {
        let (width, height) = default_size((1920, 1080), 2, METRICS);
        assert_eq!((width, height), (944, 1040));
        assert_eq!(width % 4, 0);
        let (width, _) = default_size((1920, 1080), 40, METRICS);
        assert_eq!(width, MIN_DEFAULT_SIZE.0);
        let (width, height) = default_size((16384, 16384), 1, METRICS);
        assert!(width * height <= MAX_ZONE_PIXELS);
    }
}
