//! A master's slave zones: each is shown as a zone frame, a window-like element in the zone's
//! colour holding the slave's whole desktop as its RDP link decodes it. The links themselves
//! (TLS pinning, NLA, reconnection) live in `airgui_remote::client`; this module keeps what the
//! compositor needs of them and turns their events into desktop changes (`events.rs`).

pub mod events;
pub mod pointer;
pub mod zone;

use airgui_remote::client::{self, ZoneEvent};
use airgui_remote::credentials::read_password_file;
use airgui_remote::InputEvent;
use anyhow::Context;
use guid_protocol::Rect;
use smithay::reexports::calloop::channel::{self, Event};
use tracing::debug;

use crate::shell::WindowKind;
use crate::shell_key::ShellKey;
use crate::state::State;
use zone::{from_config, ZoneId};

/// Shows every configured zone's frame (connecting) and starts the links. Returns a line for
/// the start-up banner, or `None` when this airgui links to no zone.
pub fn start(state: &mut State) -> anyhow::Result<Option<String>> {
    let metrics = state.airgui.shell.metrics_of(WindowKind::Zone);
    let zones = from_config(&state.airgui.config, metrics);
    if zones.is_empty() {
        return Ok(None);
    }
    let mut links = Vec::with_capacity(zones.len());
    for (index, (zone, content)) in zones.into_iter().enumerate() {
        let link = &zone.config;
        let password = read_password_file(&link.password_file).with_context(|| {
            format!(
                "zone_link {:?}: password_file {}",
                link.name,
                link.password_file.display()
            )
        })?;
        links.push(client::ZoneLinkConfig {
            name: link.name.clone(),
            address: link.address.clone(),
            user: link.user.clone(),
            password,
            fingerprint: link.fingerprint.clone(),
            desktop_size: (side(content.width), side(content.height)),
        });
        let key = ShellKey::Zone(ZoneId(index));
        state.airgui.shell.add(key, content, WindowKind::Zone);
        state.airgui.shell.map(key, WindowKind::Zone);
        state.airgui.zones.push(zone);
    }
    let names: Vec<String> = links.iter().map(|l| l.name.clone()).collect();
    let (sender, events) = channel::channel::<ZoneEvent>();
    let clients = client::spawn_zone_links(
        links,
        Box::new(move |event| {
            // The loop is gone only when airgui exits; nothing is left to tell then.
            let _ = sender.send(event);
        }),
    )
    .context("cannot start the zone links")?;
    state
        .airgui
        .handle
        .insert_source(events, |event, _, state| {
            if let Event::Msg(event) = event {
                events::apply(state, event);
            }
        })
        .map_err(|error| anyhow::anyhow!("cannot watch the zone links: {error}"))?;
    state.airgui.zone_clients = Some(clients);
    state.airgui.input.layout_changed = true;
    state.airgui.queue_redraw();
    Ok(Some(format!("zones: {}", names.join(", "))))
}

/// A size for the link: zone sizes are checked against the link's bounds in the config.
fn side(pixels: u32) -> u16 {
    u16::try_from(pixels).unwrap_or(u16::MAX)
}

impl State {
    /// Sends input to a zone's slave; input for a zone that is down is dropped.
    pub fn send_to_zone(&mut self, zone: ZoneId, input: InputEvent) {
        let (Some(clients), Some(target)) =
            (&self.airgui.zone_clients, self.airgui.zones.get(zone.0))
        else {
            return;
        };
        if let Err(error) = clients.send_input(target.name(), input) {
            debug!(zone = %target.name(), %error, "zone input dropped");
        }
    }

    /// Asks a zone's slave to take the size of its frame's content.
    pub fn request_zone_size(&mut self, zone: ZoneId, content: Rect) {
        let (Some(clients), Some(target)) =
            (&self.airgui.zone_clients, self.airgui.zones.get(zone.0))
        else {
            return;
        };
        if let Err(error) =
            clients.request_resize(target.name(), side(content.width), side(content.height))
        {
            debug!(zone = %target.name(), %error, "zone resize not requested");
        }
    }
}
