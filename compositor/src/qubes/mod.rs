//! The qubes of this zone: their configuration, live connections and windows.

pub mod events;
pub mod flags;
pub mod link;
pub mod listing;
pub mod window;

use std::collections::BTreeMap;
use std::rc::Rc;

use guid_protocol::transport::QubeStream;
use guid_protocol::{DaemonConnection, Message, SendError, WindowId};
use smithay::reexports::calloop::RegistrationToken;

use crate::config::{Config, QubeConfig, Rgb};
pub use window::{QubeTarget, QubeWindow, WindowKey};

/// A live connection: the protocol state machine and the socket it is fed from.
#[derive(Debug)]
pub struct QubeLink {
    pub connection: DaemonConnection,
    pub(super) stream: Rc<QubeStream>,
    pub(super) read: RegistrationToken,
    /// Present while written bytes wait for the socket to drain.
    pub(super) write: Option<RegistrationToken>,
}

/// One configured qube. Its identity is where its connection arrives, never what it says.
#[derive(Debug)]
pub struct Qube {
    pub config: QubeConfig,
    pub colour: Rgb,
    pub link: Option<QubeLink>,
    /// While there is no link: why, for the log and `airgui msg qubes`.
    pub not_connected_because: Option<String>,
    pub windows: BTreeMap<WindowId, QubeWindow>,
    /// Bytes are waiting to be written to the agent.
    pub needs_flush: bool,
    /// How far the agent is in listing the windows it had before it connected.
    pub listing: listing::Listing,
}

impl Qube {
    pub fn name(&self) -> &str {
        &self.config.name
    }

    /// Queues a message for the agent. `Err` (with the reason) means the qube stopped reading
    /// and must be cut off; other refusals (a window that just went) are only logged.
    pub fn send(&mut self, window: Option<WindowId>, message: &Message) -> Result<(), String> {
        let Some(link) = &mut self.link else {
            return Ok(());
        };
        let result = link.connection.send(window, message);
        self.queued(result)
    }

    /// Sends FOCUS in or CROSSING enter, with the keys held first.
    pub fn enter(
        &mut self,
        window: WindowId,
        message: &Message,
        keys: [u8; 32],
    ) -> Result<(), String> {
        let Some(link) = &mut self.link else {
            return Ok(());
        };
        let result = link.connection.enter(window, message, keys);
        self.queued(result)
    }

    fn queued(&mut self, result: Result<(), SendError>) -> Result<(), String> {
        match result {
            Ok(()) => {
                self.needs_flush = true;
                Ok(())
            }
            Err(SendError::Fatal(error)) => Err(error.to_string()),
            Err(error) => {
                tracing::debug!(qube = %self.config.name, %error, "message not sent");
                Ok(())
            }
        }
    }
}

/// Every configured qube, by index in the configuration.
pub fn from_config(config: &Config) -> Vec<Qube> {
    config
        .qubes
        .iter()
        .map(|qube| Qube {
            colour: config
                .label_colour(&qube.label)
                .unwrap_or(Rgb { r: 0, g: 0, b: 0 }),
            config: qube.clone(),
            link: None,
            not_connected_because: None,
            windows: BTreeMap::new(),
            needs_flush: false,
            listing: listing::Listing::default(),
        })
        .collect()
}
