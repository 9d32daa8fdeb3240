//! The daemon's side of one qube's connection, without I/O: bytes and the pool descriptor in,
//! [`QubeEvent`]s out; messages in, bytes out.

use std::collections::HashMap;
use std::os::fd::OwnedFd;

use crate::codec::{self, DecodeLimits, Framer};
use crate::error::ProtocolError;
use crate::event::QubeEvent;
use crate::msg::*;
use crate::outgoing::{Outgoing, MAX_QUEUED_BYTES};
use crate::pool::{GrantPool, DEFAULT_MAX_POOL_BYTES};
use crate::sanitize::{self, DumpLayout, KnownWindows, Limits, Sanitized, WindowFacts};
use crate::types::{Rect, WindowId};
use crate::untrusted::{UntrustedMessage, UntrustedVersion};

mod acks;

/// Settings of one qube's connection.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DaemonConfig {
    pub limits: Limits,
    pub max_pool_bytes: u64,
}

impl Default for DaemonConfig {
    fn default() -> Self {
        DaemonConfig {
            limits: Limits::default(),
            max_pool_bytes: DEFAULT_MAX_POOL_BYTES,
        }
    }
}

/// Why a message could not be sent to the agent.
#[derive(Debug, thiserror::Error)]
pub enum SendError {
    #[error("the handshake has not completed")]
    NotConnected,
    #[error("{0} is not sent by the daemon this way")]
    NotFromDaemon(MsgType),
    #[error("{0} must be preceded by KEYMAP_NOTIFY: use `enter`")]
    NeedsKeymap(MsgType),
    #[error("window {0} does not exist")]
    UnknownWindow(WindowId),
    #[error("keycode {0} is outside X's 8..=255, so the agent's X server has no such key")]
    NotAnXKeycode(u32),
    #[error("clipboard data of {bytes} bytes, more than protocol {version} takes ({max})")]
    ClipboardTooLong {
        bytes: usize,
        max: usize,
        version: Version,
    },
    /// The agent stopped reading; the connection is finished.
    #[error(transparent)]
    Fatal(#[from] ProtocolError),
}

#[derive(Debug)]
enum Phase {
    /// Waiting for the agent's 4-byte version word.
    Version {
        word: [u8; 4],
        have: usize,
    },
    Running {
        version: Version,
        limits: DecodeLimits,
    },
    Failed,
}

#[derive(Clone, Copy, Debug)]
struct WindowRecord {
    facts: WindowFacts,
    /// Geometry the daemon sent and the agent has not yet confirmed.
    pending_configure: Option<Rect>,
}

#[derive(Debug, Default)]
struct WindowTable(HashMap<WindowId, WindowRecord>);

impl KnownWindows for WindowTable {
    fn facts(&self, window: WindowId) -> Option<WindowFacts> {
        self.0.get(&window).map(|record| record.facts)
    }

    fn count(&self) -> usize {
        self.0.len()
    }
}

/// One qube's connection as the daemon sees it.
#[derive(Debug)]
pub struct DaemonConnection {
    config: DaemonConfig,
    phase: Phase,
    framer: Framer,
    windows: WindowTable,
    pool: Option<GrantPool>,
    outgoing: Outgoing,
    acks: acks::DumpAcks,
    clipboard_requested: bool,
}

impl DaemonConnection {
    pub fn new(config: DaemonConfig) -> Self {
        DaemonConnection {
            config,
            phase: Phase::Version {
                word: [0; 4],
                have: 0,
            },
            framer: Framer::new(),
            windows: WindowTable::default(),
            pool: None,
            outgoing: Outgoing::default(),
            acks: acks::DumpAcks::default(),
            clipboard_requested: false,
        }
    }

    /// A connection whose pool was opened from the configured path, for agents that send none.
    pub fn with_pool(config: DaemonConfig, pool: GrantPool) -> Self {
        DaemonConnection {
            pool: Some(pool),
            ..DaemonConnection::new(config)
        }
    }

    /// The negotiated version, once the handshake is done.
    pub fn version(&self) -> Option<Version> {
        match self.phase {
            Phase::Running { version, .. } => Some(version),
            _ => None,
        }
    }

    pub fn window_count(&self) -> usize {
        self.windows.0.len()
    }

    /// Bytes to write to the agent.
    pub fn outgoing(&mut self) -> &mut Outgoing {
        &mut self.outgoing
    }

    /// The output changed size: it bounds override-redirect windows from now on.
    pub fn set_output_size(&mut self, width: u32, height: u32) {
        self.config.limits.output_width = width;
        self.config.limits.output_height = height;
    }

    /// A descriptor that arrived with the version word: the grant pool.
    pub fn receive_descriptor(&mut self, fd: OwnedFd) -> Result<(), ProtocolError> {
        let result = match (&self.phase, &self.pool) {
            (Phase::Version { .. }, None) => GrantPool::from_fd(fd, self.config.max_pool_bytes)
                .map(|pool| self.pool = Some(pool))
                .map_err(ProtocolError::from),
            _ => Err(ProtocolError::UnexpectedDescriptor),
        };
        self.fail_on_error(result)
    }

    /// Consumes bytes from the front of `input` until one event is ready or the input is used up.
    /// Call again until it returns `Ok(None)`. An error ends the connection.
    pub fn receive(&mut self, input: &mut &[u8]) -> Result<Option<QubeEvent>, ProtocolError> {
        let result = self.receive_one(input);
        self.fail_on_error(result)
    }

    /// Sends a message to the agent. FOCUS in and CROSSING enter go through [`Self::enter`].
    pub fn send(&mut self, window: Option<WindowId>, message: &Message) -> Result<(), SendError> {
        let msg_type = message.msg_type();
        match message {
            Message::Focus(focus) if focus.kind == kind::FOCUS_IN => {
                return Err(SendError::NeedsKeymap(msg_type))
            }
            Message::Crossing(crossing) if crossing.kind == kind::ENTER => {
                return Err(SendError::NeedsKeymap(msg_type))
            }
            _ => {}
        }
        self.send_checked(window, message)
    }

    /// Sends FOCUS in or CROSSING enter, preceded by KEYMAP_NOTIFY with the keys held (spec §3).
    pub fn enter(
        &mut self,
        window: WindowId,
        message: &Message,
        keys_held: [u8; KEYMAP_LEN],
    ) -> Result<(), SendError> {
        self.send_checked(None, &Message::KeymapNotify(keys_held))?;
        self.send_checked(Some(window), message)
    }

    fn send_checked(
        &mut self,
        window: Option<WindowId>,
        message: &Message,
    ) -> Result<(), SendError> {
        let Some(version) = self.version() else {
            return Err(SendError::NotConnected);
        };
        match message {
            Message::Keypress(key) if !X_KEYCODES.contains(&key.keycode) => {
                return Err(SendError::NotAnXKeycode(key.keycode))
            }
            Message::ClipboardData(data) if data.len() > version.max_clipboard() => {
                return Err(SendError::ClipboardTooLong {
                    bytes: data.len(),
                    max: version.max_clipboard(),
                    version,
                })
            }
            _ => {}
        }
        let msg_type = message.msg_type();
        let allowed = matches!(msg_type.direction(), Direction::ToAgent | Direction::Both)
            && !matches!(msg_type, MsgType::Destroy | MsgType::WindowDumpAck);
        if !allowed {
            return Err(SendError::NotFromDaemon(msg_type));
        }
        let mut clamped = None;
        if let Some(id) = window {
            let record = self
                .windows
                .0
                .get_mut(&id)
                .ok_or(SendError::UnknownWindow(id))?;
            if let Message::Configure(configure) = message {
                // The agent's answer is clamped to the protocol's limits on the way back: a
                // geometry beyond them would never be confirmed and be sent again and again.
                let geometry = sanitize::geometry(
                    configure.x,
                    configure.y,
                    configure.width.max(1),
                    configure.height.max(1),
                )
                .unwrap_or(record.facts.geometry);
                record.pending_configure = Some(geometry);
                record.facts.geometry = geometry;
                clamped = Some(Message::Configure(Configure {
                    x: geometry.x,
                    y: geometry.y,
                    width: geometry.width,
                    height: geometry.height,
                    ..*configure
                }));
            }
        }
        if msg_type == MsgType::ClipboardReq {
            self.clipboard_requested = true;
        }
        self.queue(
            window.map_or(0, WindowId::get),
            clamped.as_ref().unwrap_or(message),
        )
        .map_err(SendError::Fatal)
    }

    fn queue(&mut self, window: u32, message: &Message) -> Result<(), ProtocolError> {
        codec::encode(window, message, self.outgoing.buffer());
        if self.outgoing.len() > MAX_QUEUED_BYTES {
            self.phase = Phase::Failed;
            return Err(ProtocolError::WriteQueueFull(MAX_QUEUED_BYTES));
        }
        Ok(())
    }

    /// Queues the WINDOW_DUMP_ACKs that became due because images were dropped since the last
    /// call; true if any was. Call after letting go of replaced images (once per turn of the
    /// event loop does). An error means the agent stopped reading.
    pub fn queue_released_acks(&mut self) -> Result<bool, ProtocolError> {
        if self.version().is_none() {
            return Ok(false);
        }
        let due = self.acks.released();
        for (window, count) in &due {
            let result = self.queue_acks(*window, *count);
            self.fail_on_error(result)?;
        }
        Ok(!due.is_empty())
    }

    fn queue_acks(&mut self, window: WindowId, count: u32) -> Result<(), ProtocolError> {
        for _ in 0..count {
            self.queue(window.get(), &Message::WindowDumpAck)?;
        }
        Ok(())
    }

    fn fail_on_error<T>(&mut self, result: Result<T, ProtocolError>) -> Result<T, ProtocolError> {
        if result.is_err() {
            self.phase = Phase::Failed;
        }
        result
    }

    fn receive_one(&mut self, input: &mut &[u8]) -> Result<Option<QubeEvent>, ProtocolError> {
        loop {
            match &mut self.phase {
                Phase::Failed => return Err(ProtocolError::AlreadyFailed),
                Phase::Version { word, have } => {
                    if !codec::fill_fixed(word, have, input) {
                        return Ok(None);
                    }
                    let claimed = UntrustedVersion::new(u32::from_le_bytes(*word));
                    return self.handshake(claimed).map(Some);
                }
                Phase::Running { limits, .. } => {
                    let limits = *limits;
                    let Some((header, message)) = self.framer.next_message(input, &limits)? else {
                        return Ok(None);
                    };
                    if let Some(event) =
                        self.handle(UntrustedMessage::new(header.window, message))?
                    {
                        return Ok(Some(event));
                    }
                }
            }
        }
    }

    fn handshake(&mut self, claimed: UntrustedVersion) -> Result<QubeEvent, ProtocolError> {
        let version = sanitize::version(claimed)?;
        self.phase = Phase::Running {
            version,
            limits: DecodeLimits::for_version(version),
        };
        let xconf = XConf::for_output(
            self.config.limits.output_width,
            self.config.limits.output_height,
        );
        let buffer = self.outgoing.buffer();
        buffer.extend_from_slice(&version.to_word().to_le_bytes());
        buffer.extend_from_slice(&xconf.encode());
        Ok(QubeEvent::Connected { version })
    }

    fn handle(&mut self, untrusted: UntrustedMessage) -> Result<Option<QubeEvent>, ProtocolError> {
        let version = self.version().unwrap_or(Version::CURRENT);
        match sanitize::message(untrusted, &self.windows, &self.config.limits)? {
            Sanitized::Ignored => Ok(None),
            Sanitized::Dump { window, layout } => {
                let pool = self.pool.as_ref().ok_or(ProtocolError::NoPool)?;
                self.check_image_bytes(window, &layout)?;
                let image = pool.map(&layout)?;
                if let Some(record) = self.windows.0.get_mut(&window) {
                    record.facts.image = Some((layout.width, layout.height));
                }
                if version.minor >= 7 {
                    let due = self.acks.dumped(window, &image.view);
                    self.queue_acks(window, due)?;
                }
                Ok(Some(QubeEvent::Image { window, image }))
            }
            Sanitized::Event(event) => self.apply(event, version),
        }
    }

    /// Updates the window table for an event; returns the event unless it is swallowed.
    fn apply(
        &mut self,
        event: QubeEvent,
        version: Version,
    ) -> Result<Option<QubeEvent>, ProtocolError> {
        match &event {
            QubeEvent::WindowCreated {
                window,
                geometry,
                override_redirect,
            } => {
                self.windows.0.insert(
                    *window,
                    WindowRecord {
                        facts: WindowFacts {
                            geometry: *geometry,
                            mapped: false,
                            override_redirect: *override_redirect,
                            image: None,
                        },
                        pending_configure: None,
                    },
                );
            }
            QubeEvent::WindowDestroyed { window } => {
                self.windows.0.remove(window);
                self.acks.forget(*window);
                if version.minor >= 5 {
                    self.queue(window.get(), &Message::Destroy)?;
                }
            }
            QubeEvent::WindowMapped {
                window,
                override_redirect,
                ..
            } => self.update(*window, |facts| {
                facts.mapped = true;
                facts.override_redirect = *override_redirect;
            }),
            QubeEvent::WindowUnmapped { window } => {
                self.update(*window, |facts| facts.mapped = false)
            }
            QubeEvent::WindowConfigured {
                window,
                geometry,
                override_redirect,
            } => {
                let Some(record) = self.windows.0.get_mut(window) else {
                    return Ok(None);
                };
                match record.pending_configure {
                    // The daemon owns the geometry until the agent confirms it: say it again.
                    Some(pending) if pending != *geometry => {
                        let again = Message::Configure(Configure {
                            x: pending.x,
                            y: pending.y,
                            width: pending.width,
                            height: pending.height,
                            override_redirect: u32::from(record.facts.override_redirect),
                        });
                        self.queue(window.get(), &again)?;
                        return Ok(None);
                    }
                    _ => {
                        record.pending_configure = None;
                        record.facts.geometry = *geometry;
                        record.facts.override_redirect = *override_redirect;
                    }
                }
            }
            QubeEvent::ClipboardData { .. } if !std::mem::take(&mut self.clipboard_requested) => {
                tracing::warn!("dropped clipboard data the user did not ask for");
                return Ok(None);
            }
            _ => {}
        }
        Ok(Some(event))
    }

    /// The images of a qube's windows together may hold no more pixel bytes than its pool may:
    /// an agent cannot make the daemon copy the same pages into textures window after window.
    fn check_image_bytes(
        &self,
        window: WindowId,
        layout: &DumpLayout,
    ) -> Result<(), ProtocolError> {
        let others: u64 = (self.windows.0.iter())
            .filter(|(id, _)| **id != window)
            .filter_map(|(_, record)| record.facts.image)
            .map(|(width, height)| u64::from(width) * u64::from(height) * 4)
            .sum();
        let bytes = others + layout.byte_len() as u64;
        if bytes > self.config.max_pool_bytes {
            return Err(ProtocolError::ImagesTooLarge {
                bytes,
                max: self.config.max_pool_bytes,
            });
        }
        Ok(())
    }

    fn update(&mut self, window: WindowId, change: impl FnOnce(&mut WindowFacts)) {
        if let Some(record) = self.windows.0.get_mut(&window) {
            change(&mut record.facts);
        }
    }
}

#[cfg(test)]
mod tests;
