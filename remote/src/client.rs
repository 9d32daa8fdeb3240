//! The RDP client half: a master's links to its slave zones, on the same IronRDP line as the
//! server (connector 0.10, session 0.11, tokio 0.10).
//!
//! [`ZoneClients`] runs one tokio runtime (its own threads) with one task per zone. Each task
//! connects (TLS pinned to the zone's certificate fingerprint, then NLA with the zone's account),
//! decodes the slave's desktop into a zone framebuffer, and reports to the compositor through
//! one callback: [`ZoneEvent::Connected`], [`ZoneEvent::Frame`] (only the damaged rectangles,
//! and the zone's pointer shape when it changed), [`ZoneEvent::Resized`] (the slave changed
//! size), [`ZoneEvent::Disconnected`] (with a reason that says what to fix). A link that fails
//! is retried after 0.5 s, doubling to 10 s, for as long as the zone is configured.
//!
//! Flow control: frames are never queued. There is at most one outstanding `Frame` per zone;
//! the next is sent when the compositor drops the previous one's [`ZoneFrame`], with the damage
//! of everything decoded meanwhile merged (see `client/framebuffer.rs`). The callback runs on
//! the link runtime's threads, so it should only forward, e.g. into a calloop channel (and must
//! not drop the [`ZoneClients`]).
//!
//! Input goes the other way through [`ZoneClients::send_input`] (`client/input.rs` says which
//! PDU each event takes to survive ironrdp-server 0.13), and [`ZoneClients::request_resize`]
//! asks the slave to resize its output through the display-control channel.
//!
//! Security: the certificate must match the configured SHA-256 fingerprint before anything else
//! is sent (a mismatch is [`LinkError::FingerprintMismatch`]); only NLA is offered, so the
//! password is never sent to a server that has not proven it holds that certificate's key.

mod ainput;
mod backoff;
mod connect;
mod damage;
mod framebuffer;
mod input;
mod link;
mod pinning;
mod session;

use std::collections::HashMap;
use std::sync::{Arc, Mutex, PoisonError};
use std::thread::JoinHandle;
use std::time::Duration;

use tokio::sync::{mpsc, oneshot};
use tracing::info;

pub use self::backoff::{FIRST_RETRY, MAX_RETRY};
pub use self::connect::{CONNECT_TIMEOUT, LOGIN_TIMEOUT};
use self::framebuffer::{EventSink, ZoneShared};
pub use self::framebuffer::{FrameGuard, ZoneEventCallback, ZoneFrame};
pub use self::session::MAX_ZONE_PIXELS;
use crate::frame::{InputEvent, Rect};
use crate::server::Cursor;

/// Input events queued per zone; beyond this, [`ZoneClients::send_input`] reports
/// [`ClientError::Busy`] instead of growing the queue.
pub const INPUT_QUEUE: usize = 512;
/// The largest desktop side a zone link may ask for (MS-RDPEDISP's limit).
pub const MAX_REQUEST_SIDE: u16 = 8192;

/// One slave zone to link to (the master's `[[zone_link]]`).
#[derive(Clone)]
pub struct ZoneLinkConfig {
    /// The zone's name, shown to the user and used in every event and log line.
    pub name: String,
    /// `host:port` of the zone's RDP server (resolved again at each attempt).
    pub address: String,
    /// The zone's RDP account.
    pub user: String,
    pub password: String,
    /// The zone certificate's SHA-256 fingerprint, `sha256:AB:CD:...` as the zone prints it
    /// (case and colons are forgiven).
    pub fingerprint: String,
    /// The desktop size to ask the slave for, until [`ZoneClients::request_resize`] says
    /// otherwise. An airgui slave picks its own initial size; the link then asks for this one
    /// through display control.
    pub desktop_size: (u16, u16),
}

impl std::fmt::Debug for ZoneLinkConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ZoneLinkConfig")
            .field("name", &self.name)
            .field("address", &self.address)
            .field("user", &self.user)
            .field("password", &"<redacted>")
            .field("fingerprint", &self.fingerprint)
            .field("desktop_size", &self.desktop_size)
            .finish()
    }
}

impl ZoneLinkConfig {
    /// The checked config's canonical fingerprint, or what is wrong with it.
    fn validate(&self) -> Result<String, ClientError> {
        let invalid = |reason: String| ClientError::Config {
            zone: self.name.clone(),
            reason,
        };
        if self.name.trim().is_empty() {
            return Err(invalid("the zone name is empty".to_owned()));
        }
        if !self.address.contains(':') {
            return Err(invalid(format!(
                "address {:?} has no port (write host:port, e.g. 10.0.0.2:3389)",
                self.address
            )));
        }
        if self.user.is_empty() || self.password.is_empty() {
            return Err(invalid(
                "the user name and password must not be empty".to_owned(),
            ));
        }
        let (width, height) = self.desktop_size;
        if let Err(reason) = check_request_size(width, height) {
            return Err(invalid(format!("desktop_size {reason}")));
        }
        pinning::canonical_fingerprint(&self.fingerprint).map_err(invalid)
    }
}

/// A size a link may ask a slave for: what display control carries, and no more pixels than a
/// link accepts back ([`MAX_ZONE_PIXELS`]).
fn check_request_size(width: u16, height: u16) -> Result<(), String> {
    let fits = width > 0
        && height > 0
        && width <= MAX_REQUEST_SIDE
        && height <= MAX_REQUEST_SIDE
        && u32::from(width) * u32::from(height) <= MAX_ZONE_PIXELS;
    if fits {
        Ok(())
    } else {
        Err(format!(
            "{width}x{height} is not between 1x1 and {MAX_REQUEST_SIDE}x{MAX_REQUEST_SIDE} \
             with at most {MAX_ZONE_PIXELS} pixels"
        ))
    }
}

/// What a zone link tells the compositor.
#[derive(Debug)]
pub enum ZoneEvent {
    /// Logged in; the zone framebuffer is now `width` x `height` and black until the slave's
    /// first frame (which follows as `Frame` events).
    Connected {
        zone: String,
        width: u16,
        height: u16,
    },
    /// Part of the zone changed. `damage` lists the changed rectangles of the `width` x `height`
    /// framebuffer that `frame` gives access to; `cursor` is a new pointer shape for the zone, if
    /// it changed (then `damage` may be empty). Drop `frame` once the pixels are copied: the
    /// next `Frame` of this zone waits for that.
    Frame {
        zone: String,
        width: u16,
        height: u16,
        damage: Vec<Rect>,
        cursor: Option<Cursor>,
        frame: ZoneFrame,
    },
    /// The slave changed its desktop size (it reactivated the session): the framebuffer is
    /// replaced by a black one of the new size, and frames of it follow.
    Resized {
        zone: String,
        width: u16,
        height: u16,
    },
    /// The link failed or could not be made; it is tried again after `retry_in`.
    Disconnected {
        zone: String,
        reason: LinkError,
        retry_in: Duration,
    },
}

impl ZoneEvent {
    /// The zone the event is about.
    pub fn zone(&self) -> &str {
        match self {
            ZoneEvent::Connected { zone, .. }
            | ZoneEvent::Frame { zone, .. }
            | ZoneEvent::Resized { zone, .. }
            | ZoneEvent::Disconnected { zone, .. } => zone,
        }
    }
}

/// Why a zone link is down, worded for the person who has to fix it.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum LinkError {
    #[error("cannot resolve the zone address {address}: {reason}")]
    Resolve { address: String, reason: String },
    #[error(
        "connection to {address} refused: is the zone's airgui running, with RDP listening on \
         that address and port?"
    )]
    Refused { address: String },
    #[error("cannot connect to {address}: {reason}")]
    Connect { address: String, reason: String },
    #[error(
        "no answer from {address} within {} s while {stage} (wrong address, a firewall, or the \
         zone is stuck)",
        after.as_secs()
    )]
    Timeout {
        address: String,
        stage: &'static str,
        after: Duration,
    },
    #[error(
        "{address} closed the connection before TLS: an airgui zone serves one client at a time, \
         so another master may be connected to it (or it is not an RDP server)"
    )]
    ClosedBeforeTls { address: String },
    #[error(
        "certificate fingerprint {actual} does not match the pinned one for zone {zone} \
         ({expected}); the link is refused before logging in. If the zone's certificate was \
         replaced on purpose, put its new fingerprint in the zone_link"
    )]
    FingerprintMismatch {
        zone: String,
        expected: String,
        actual: String,
    },
    #[error("TLS with {address} failed: {reason}")]
    Tls { address: String, reason: String },
    #[error(
        "zone {zone} refused the user name {user:?} or its password (NLA): check the zone_link's \
         user and password_file against the zone's [rdp] account ({detail})"
    )]
    WrongCredentials {
        zone: String,
        user: String,
        detail: String,
    },
    #[error("the RDP connection to {address} failed: {reason}")]
    Protocol { address: String, reason: String },
    #[error("zone {zone} ended the session: {reason}")]
    Terminated { zone: String, reason: String },
    #[error("zone {zone} misbehaved and was disconnected: {reason}")]
    Misbehaved { zone: String, reason: String },
    #[error("the link to zone {zone} was lost: {reason}")]
    Lost { zone: String, reason: String },
}

/// A request the links cannot carry out.
#[derive(Debug, thiserror::Error)]
pub enum ClientError {
    #[error("invalid zone_link {zone:?}: {reason}")]
    Config { zone: String, reason: String },
    #[error("a zone named {0:?} is already linked")]
    Duplicate(String),
    #[error("no zone named {0:?} is linked")]
    UnknownZone(String),
    #[error("zone {0:?} is not connected; the input was dropped")]
    NotConnected(String),
    #[error("zone {0:?} is not taking input fast enough; the input was dropped")]
    Busy(String),
    #[error("cannot start the zone link runtime: {0}")]
    Start(String),
}

struct Zone {
    shared: Arc<ZoneShared>,
    input: mpsc::Sender<InputEvent>,
    task: tokio::task::JoinHandle<()>,
}

/// The master's links to its zones. Dropping it (or [`ZoneClients::shutdown`]) closes them all.
pub struct ZoneClients {
    runtime: tokio::runtime::Handle,
    events: EventSink,
    zones: Mutex<HashMap<String, Zone>>,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for ZoneClients {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ZoneClients")
            .field("zones", &self.zones())
            .finish_non_exhaustive()
    }
}

/// Starts the link runtime and one link per config; see [`ZoneClients`].
pub fn spawn_zone_links(
    links: Vec<ZoneLinkConfig>,
    events: ZoneEventCallback,
) -> Result<ZoneClients, ClientError> {
    // All configs are checked before anything starts, so a typo does not half-start the set.
    let mut names = std::collections::HashSet::new();
    for link in &links {
        link.validate()?;
        if !names.insert(link.name.as_str()) {
            return Err(ClientError::Duplicate(link.name.clone()));
        }
    }
    let clients = ZoneClients::new(events)?;
    for link in links {
        clients.add(link)?;
    }
    Ok(clients)
}

impl ZoneClients {
    /// Starts the runtime with no zone. The session state IronRDP keeps is `Send`, so the
    /// runtime is a multi-thread one: two zones can decode on both cores. It is owned by a
    /// thread of its own so that dropping `ZoneClients` is allowed anywhere, also inside
    /// another tokio runtime.
    pub fn new(events: ZoneEventCallback) -> Result<Self, ClientError> {
        let (started_tx, started_rx) = std::sync::mpsc::sync_channel(1);
        let (stop_tx, stop_rx) = oneshot::channel::<()>();
        let thread = std::thread::Builder::new()
            .name("airgui-zone-links".to_owned())
            .spawn(move || {
                let runtime = match tokio::runtime::Builder::new_multi_thread()
                    .worker_threads(2)
                    .thread_name("airgui-zone-link")
                    .enable_all()
                    .build()
                {
                    Ok(runtime) => runtime,
                    Err(error) => {
                        let _ = started_tx.send(Err(error.to_string()));
                        return;
                    }
                };
                let _ = started_tx.send(Ok(runtime.handle().clone()));
                runtime.block_on(async {
                    let _ = stop_rx.await;
                });
                runtime.shutdown_timeout(Duration::from_secs(1));
            })
            .map_err(|e| ClientError::Start(e.to_string()))?;
        let runtime = match started_rx.recv() {
            Ok(Ok(handle)) => handle,
            Ok(Err(reason)) => {
                let _ = thread.join();
                return Err(ClientError::Start(reason));
            }
            Err(_) => {
                let _ = thread.join();
                return Err(ClientError::Start(
                    "the runtime thread ended early".to_owned(),
                ));
            }
        };
        Ok(Self {
            runtime,
            events: EventSink::new(events),
            zones: Mutex::new(HashMap::new()),
            stop: Some(stop_tx),
            thread: Some(thread),
        })
    }

    fn zones_lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, Zone>> {
        self.zones.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// Starts linking to a zone (the first attempt right away).
    pub fn add(&self, config: ZoneLinkConfig) -> Result<(), ClientError> {
        let fingerprint = config.validate()?;
        let mut zones = self.zones_lock();
        if zones.contains_key(&config.name) {
            return Err(ClientError::Duplicate(config.name));
        }
        let shared = ZoneShared::new(
            config.name.clone(),
            config.desktop_size,
            self.events.clone(),
        );
        let (input, commands) = mpsc::channel(INPUT_QUEUE);
        info!(zone = %config.name, address = %config.address, %fingerprint, "linking to zone");
        let name = config.name.clone();
        let task = self.runtime.spawn(link::run(link::Link {
            config,
            fingerprint,
            shared: Arc::clone(&shared),
            commands,
        }));
        zones.insert(
            name,
            Zone {
                shared,
                input,
                task,
            },
        );
        Ok(())
    }

    /// Stops linking to a zone and closes its connection; no further event comes for it.
    /// Returns whether the zone was linked.
    pub fn remove(&self, zone: &str) -> bool {
        let Some(removed) = self.zones_lock().remove(zone) else {
            return false;
        };
        removed.task.abort();
        removed.shared.set_connected(false);
        info!(zone, "zone link removed");
        true
    }

    /// The linked zones' names, sorted.
    pub fn zones(&self) -> Vec<String> {
        let mut names: Vec<String> = self.zones_lock().keys().cloned().collect();
        names.sort();
        names
    }

    /// Whether the zone is logged in right now.
    pub fn is_connected(&self, zone: &str) -> bool {
        self.zones_lock()
            .get(zone)
            .is_some_and(|z| z.shared.is_connected())
    }

    /// Sends input to a zone: keys as evdev codes, the pointer in zone pixels. Never blocks;
    /// input for a zone that is down is dropped (and reported), as it would be stale on
    /// reconnection.
    pub fn send_input(&self, zone: &str, event: InputEvent) -> Result<(), ClientError> {
        let zones = self.zones_lock();
        let target = zones
            .get(zone)
            .ok_or_else(|| ClientError::UnknownZone(zone.to_owned()))?;
        if !target.shared.is_connected() {
            return Err(ClientError::NotConnected(zone.to_owned()));
        }
        target.input.try_send(event).map_err(|error| match error {
            mpsc::error::TrySendError::Full(_) => ClientError::Busy(zone.to_owned()),
            mpsc::error::TrySendError::Closed(_) => ClientError::NotConnected(zone.to_owned()),
        })
    }

    /// Asks the slave to resize its output to `width` x `height` (the zone frame's new size),
    /// through the display-control channel; remembered for the next connection too. The
    /// slave decides (an airgui slave clamps to its bounds, width to a multiple of 4) and
    /// answers with a [`ZoneEvent::Resized`] if its size changes.
    pub fn request_resize(&self, zone: &str, width: u16, height: u16) -> Result<(), ClientError> {
        check_request_size(width, height).map_err(|reason| ClientError::Config {
            zone: zone.to_owned(),
            reason: format!("size {reason}"),
        })?;
        let zones = self.zones_lock();
        let target = zones
            .get(zone)
            .ok_or_else(|| ClientError::UnknownZone(zone.to_owned()))?;
        target.shared.want_size(width, height);
        Ok(())
    }

    /// Closes every link and stops the runtime (waits at most about a second).
    pub fn shutdown(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        for (_, zone) in self.zones_lock().drain() {
            zone.task.abort();
        }
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for ZoneClients {
    fn drop(&mut self) {
        self.stop();
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    const FP: &str = "sha256:E3:B0:C4:42:98:FC:1C:14:9A:FB:F4:C8:99:6F:B9:24:\
                      27:AE:41:E4:64:9B:93:4C:A4:95:99:1B:78:52:B8:55";

    fn config() -> ZoneLinkConfig {
        ZoneLinkConfig {
            name: "cloud".to_owned(),
            // Nothing listens on port 1: the link keeps retrying in the background.
            address: "127.0.0.1:1".to_owned(),
            user: "master".to_owned(),
            password: "hunter2".to_owned(),
            fingerprint: FP.to_lowercase(),
            desktop_size: (1024, 768),
        }
    }

    #[test]
    fn configs_are_checked() {
        assert_eq!(config().validate().unwrap(), FP);
        let broken = [
            ZoneLinkConfig {
                name: " ".to_owned(),
                ..config()
            },
            ZoneLinkConfig {
                address: "localhost".to_owned(),
                ..config()
            },
            ZoneLinkConfig {
                password: String::new(),
                ..config()
            },
            ZoneLinkConfig {
                fingerprint: "sha256:AB".to_owned(),
                ..config()
            },
            ZoneLinkConfig {
                desktop_size: (0, 768),
                ..config()
            },
        ];
        for config in broken {
            assert!(
                matches!(config.validate(), Err(ClientError::Config { .. })),
                "{config:?}"
            );
        }
        assert!(!format!("{:?}", config()).contains("hunter2"));
    }

    #[test]
    fn zones_are_managed_by_name() {
        let err = spawn_zone_links(vec![config(), config()], Box::new(|_| {})).unwrap_err();
        assert!(matches!(err, ClientError::Duplicate(_)), "{err}");

        let clients = spawn_zone_links(vec![config()], Box::new(|_| {})).unwrap();
        assert!(matches!(
            clients.add(config()),
            Err(ClientError::Duplicate(_))
        ));
        assert_eq!(clients.zones(), vec!["cloud".to_owned()]);
        let key = InputEvent::Key {
            evdev_code: 30,
            pressed: true,
        };
        assert!(matches!(
            clients.send_input("cloud", key),
            Err(ClientError::NotConnected(_))
        ));
        assert!(matches!(
            clients.send_input("other", key),
            Err(ClientError::UnknownZone(_))
        ));
        assert!(clients.request_resize("cloud", 800, 600).is_ok());
        assert!(clients.request_resize("cloud", 0, 600).is_err());
        assert!(clients.request_resize("cloud", 8192, 8192).is_err());
        assert!(clients.remove("cloud"));
        assert!(!clients.remove("cloud"));
        clients.shutdown();
    }
}
