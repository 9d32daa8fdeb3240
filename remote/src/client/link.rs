//! One zone's task: connect, run the session, and when either fails, report why and try again
//! after the backoff delay, for as long as the zone is configured (the task is aborted when the
//! zone is removed).
//!
//! Each attempt runs in a task of its own, so that a panic inside the RDP stack (IronRDP has
//! `debug_assert!`s and `expect`s on peer-controlled paths) ends only that attempt: a slave that
//! triggers one is reported as misbehaving and retried like any other failure, and the other
//! zones go on.

use std::sync::Arc;
use std::time::{Duration, Instant};

use tokio::sync::{mpsc, Mutex};
use tokio::task::JoinHandle;
use tracing::{info, info_span, warn, Instrument as _};

use super::backoff::Backoff;
use super::connect::connect;
use super::framebuffer::ZoneShared;
use super::session::{self, SessionEnd};
use super::{LinkError, ZoneEvent, ZoneLinkConfig};
use crate::frame::InputEvent;

/// How long a session must have run for its end to restart the backoff from its first delay.
const HEALTHY_SESSION: Duration = super::backoff::MAX_RETRY;

/// What a link task owns.
pub(crate) struct Link {
    pub(crate) config: ZoneLinkConfig,
    /// Canonical, see [`super::pinning::canonical_fingerprint`].
    pub(crate) fingerprint: String,
    pub(crate) shared: Arc<ZoneShared>,
    pub(crate) commands: mpsc::Receiver<InputEvent>,
}

/// Runs until the zone is removed.
pub(crate) async fn run(link: Link) {
    let span = info_span!("zone_link", zone = %link.config.name, address = %link.config.address);
    run_inner(link).instrument(span).await;
}

/// How one attempt ended.
enum Attempt {
    /// The zone was removed.
    Stopped,
    /// Logged in, then the session ended after `lasted`.
    SessionEnded { reason: LinkError, lasted: Duration },
    /// Did not get as far as a session.
    Failed(LinkError),
}

/// Aborts the attempt when the link task itself is aborted (the zone was removed): dropping a
/// `JoinHandle` alone would leave the attempt running.
struct AbortOnDrop(JoinHandle<Attempt>);

impl Drop for AbortOnDrop {
    fn drop(&mut self) {
        self.0.abort();
    }
}

async fn run_inner(link: Link) {
    let Link {
        config,
        fingerprint,
        shared,
        commands,
    } = link;
    let config = Arc::new(config);
    let fingerprint: Arc<str> = fingerprint.into();
    // Shared with each attempt's task; a panicking attempt releases it while unwinding.
    let commands = Arc::new(Mutex::new(commands));
    let mut backoff = Backoff::default();
    let mut last_reason = String::new();
    loop {
        let task = tokio::spawn(
            attempt(
                Arc::clone(&config),
                Arc::clone(&fingerprint),
                Arc::clone(&shared),
                Arc::clone(&commands),
            )
            .in_current_span(),
        );
        let mut task = AbortOnDrop(task);
        let reason = match (&mut task.0).await {
            Ok(Attempt::Stopped) => {
                info!("zone link stopped");
                return;
            }
            Ok(Attempt::SessionEnded { reason, lasted }) => {
                // Only a session that worked for a while earns a quick retry: a slave that
                // logs in and then misbehaves at once is retried ever more slowly.
                if lasted >= HEALTHY_SESSION {
                    backoff.reset();
                    last_reason.clear();
                }
                reason
            }
            Ok(Attempt::Failed(reason)) => reason,
            Err(error) => {
                shared.set_connected(false);
                LinkError::Misbehaved {
                    zone: config.name.clone(),
                    reason: format!(
                        "the RDP client stack failed on what it sent ({error}); this is a bug \
                         to report, with the zone's version"
                    ),
                }
            }
        };
        let retry_in = backoff.next_delay();
        // The same failure every 10 s forever would drown the log: warn when it changes.
        let text = reason.to_string();
        if text == last_reason {
            info!(reason = %text, ?retry_in, "zone link still down");
        } else {
            warn!(reason = %text, ?retry_in, "zone link down");
            last_reason = text;
        }
        shared.emit(ZoneEvent::Disconnected {
            zone: config.name.clone(),
            reason,
            retry_in,
        });
        tokio::time::sleep(retry_in).await;
    }
}

async fn attempt(
    config: Arc<ZoneLinkConfig>,
    fingerprint: Arc<str>,
    shared: Arc<ZoneShared>,
    commands: Arc<Mutex<mpsc::Receiver<InputEvent>>>,
) -> Attempt {
    let connected = match connect(&config, &fingerprint, shared.wanted_size()).await {
        Ok(connected) => connected,
        Err(reason) => return Attempt::Failed(reason),
    };
    let mut commands = commands.lock().await;
    let started = Instant::now();
    let end = session::run(connected, &shared, &mut commands).await;
    shared.set_connected(false);
    match end {
        SessionEnd::Stopped => Attempt::Stopped,
        SessionEnd::Failed(reason) => Attempt::SessionEnded {
            reason,
            lasted: started.elapsed(),
        },
    }
}
