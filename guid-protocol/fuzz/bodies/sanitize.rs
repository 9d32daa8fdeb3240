//! The sanitizers: any decodable message against a table of known windows, with arbitrary
//! limits. Whatever comes out must respect the rules it claims to enforce.

use std::collections::HashMap;

use guid_protocol::codec::{DecodeLimits, Header};
use guid_protocol::msg::{HEADER_LEN, MAX_CLIPBOARD_V18, MAX_WINDOW_HEIGHT, MAX_WINDOW_WIDTH};
use guid_protocol::sanitize::{self, KnownWindows, Limits, Sanitized, WindowFacts};
use guid_protocol::untrusted::UntrustedMessage;
use guid_protocol::{QubeEvent, Rect, WindowId};

struct Table(HashMap<WindowId, WindowFacts>);

impl KnownWindows for Table {
    fn facts(&self, window: WindowId) -> Option<WindowFacts> {
        self.0.get(&window).copied()
    }
    fn count(&self) -> usize {
        self.0.len()
    }
}

/// One input, as the fuzzer and the seed replay give it.
pub fn run(data: &[u8]) {
    let Some((setup, rest)) = data.split_first_chunk::<4>() else {
        return;
    };
    let Some((header, body)) = rest.split_first_chunk::<HEADER_LEN>() else {
        return;
    };
    let limits = Limits {
        max_windows: usize::from(setup[0] % 8),
        allow_utf8_titles: setup[1] & 1 == 1,
        output_width: u32::from(setup[2]) * 16 + 1,
        output_height: u32::from(setup[3]) * 16 + 1,
    };
    // Windows 1 to 4, mapped or not, with images of a few sizes.
    let table = Table(
        (1..=4u32)
            .filter_map(|id| WindowId::new(id).map(|w| (id, w)))
            .map(|(id, window)| {
                let facts = WindowFacts {
                    geometry: Rect::new(0, 0, 100 * id, 50 * id),
                    mapped: setup[1] & (1 << id) != 0,
                    override_redirect: setup[0] & (1 << id) != 0,
                    image: (id % 2 == 0).then_some((64 * id, 32 * id)),
                };
                (window, facts)
            })
            .collect(),
    );
    let header = Header::decode(header);
    let limits_decode = DecodeLimits {
        clipboard_max: MAX_CLIPBOARD_V18,
    };
    let Ok(untrusted) = UntrustedMessage::decode(&header, body, &limits_decode) else {
        return;
    };
    match sanitize::message(untrusted, &table, &limits) {
        Ok(Sanitized::Event(QubeEvent::Damage { window, rect })) => {
            let (w, h) = table
                .facts(window)
                .and_then(|f| f.image)
                .unwrap_or_default();
            assert!(!rect.is_empty() && rect.x >= 0 && rect.y >= 0);
            assert!(rect.x as u32 + rect.width <= w && rect.y as u32 + rect.height <= h);
        }
        Ok(Sanitized::Event(QubeEvent::WindowCreated { geometry, .. }))
        | Ok(Sanitized::Event(QubeEvent::WindowConfigured { geometry, .. })) => {
            assert!(geometry.width >= 1 && geometry.width <= MAX_WINDOW_WIDTH);
            assert!(geometry.height >= 1 && geometry.height <= MAX_WINDOW_HEIGHT);
        }
        Ok(Sanitized::Event(QubeEvent::Title { title, .. })) => {
            assert!(title.as_str().chars().all(|c| !c.is_control()));
            if !limits.allow_utf8_titles {
                assert!(title.as_str().bytes().all(|b| (0x20..0x7f).contains(&b)));
            }
        }
        Ok(Sanitized::Dump { layout, .. }) => {
            assert!(layout.refs.len() * 4096 >= layout.byte_len());
        }
        _ => {}
    }
}
