//! Connections: our own accept loop, in front of one ironrdp-server per connection, so that we
//! decide what a second client, a password guesser, a flood or a stalled handshake gets.
//!
//! * One *logged-in* client at a time. While one is, a new connection is refused: its TCP
//!   connection is closed at once and a warning names both peers. The connected client is never
//!   disturbed.
//! * Until then, several connections may log in side by side (see [`super::admission`]), each on
//!   its own ironrdp-server, so that a connection that never logs in cannot hold the owner out.
//!   The first to log in gets the session; one still logging in then is refused when it gets
//!   there, the same way.
//! * A peer whose last logins failed waits before it is served (see [`super::backoff`]), in a
//!   task of its own, one connection per peer, so other peers are not held up.
//! * A connection must log in within [`LOGIN_TIMEOUT`] of starting to, or it is closed and
//!   counted as failed.
//! * A panic in a connection's work ends that connection and is logged; the server keeps going.

use std::cell::RefCell;
use std::net::SocketAddr;
use std::rc::Rc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Mutex;
use std::time::{Duration, Instant};

use ironrdp_server::{
    CredentialDecision, CredentialValidationError, CredentialValidator, Credentials,
};
use tokio::net::TcpListener;
use tokio::sync::{watch, Notify};
use tokio::task::JoinSet;
use tracing::{error, warn};

use super::admission::{Admission, RefusalLog};
use super::backoff::{Backoff, PeerKey};
use super::connection::{self, ServerFactory};
use super::{EventSink, Security};
use crate::credentials::AccountCheck;

/// How long a connection may take from starting to log in to a logged-in session.
pub(crate) const LOGIN_TIMEOUT: Duration = Duration::from_secs(30);
/// After shutdown is asked for, how long a session gets to end cleanly.
pub(crate) const SHUTDOWN_GRACE: Duration = Duration::from_secs(1);

/// How long a client that reaches its session while another is logged in waits for that one to
/// end before it is refused: a client reconnecting after a network drop often logs in before
/// the server has noticed its old connection is gone.
pub(crate) const BUSY_GRACE: Duration = Duration::from_secs(5);

/// Who is logged in, shared by the accept loop, each connection's handlers and the compositor's
/// handle.
#[derive(Debug, Default)]
pub(crate) struct SessionState {
    /// The logged-in connection: its id and peer.
    active: Mutex<Option<(u64, SocketAddr)>>,
    /// Woken when the logged-in connection ends.
    ended: Notify,
    next_id: AtomicU64,
}

/// What [`SessionState::activate`] found.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Activation {
    /// This connection just logged in.
    First,
    /// It is reactivated (after a resize); nothing changes.
    Again,
    /// Another client is logged in.
    Busy(SocketAddr),
}

impl SessionState {
    fn active(&self) -> std::sync::MutexGuard<'_, Option<(u64, SocketAddr)>> {
        self.active
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// An id for a new connection, so per-connection state can tell connections apart.
    pub(crate) fn new_connection(&self) -> u64 {
        self.next_id.fetch_add(1, Ordering::Relaxed)
    }

    /// Connection `id` reached its session (called on each activation).
    pub(crate) fn activate(&self, id: u64, peer: SocketAddr) -> Activation {
        let mut active = self.active();
        match *active {
            None => {
                *active = Some((id, peer));
                Activation::First
            }
            Some((current, _)) if current == id => Activation::Again,
            Some((_, other)) => Activation::Busy(other),
        }
    }

    /// Like [`Self::activate`], but while another client is logged in waits up to `grace` for
    /// it to end.
    pub(crate) async fn activate_within(
        &self,
        id: u64,
        peer: SocketAddr,
        grace: Duration,
    ) -> Activation {
        let deadline = tokio::time::Instant::now() + grace;
        loop {
            // Made before the check, so an end between the two still wakes it.
            let ended = self.ended.notified();
            let activation = self.activate(id, peer);
            if !matches!(activation, Activation::Busy(_))
                || tokio::time::timeout_at(deadline, ended).await.is_err()
            {
                return activation;
            }
        }
    }

    /// Connection `id` ended; returns whether it was the logged-in one.
    pub(crate) fn end(&self, id: u64) -> bool {
        let mut active = self.active();
        if matches!(*active, Some((current, _)) if current == id) {
            *active = None;
            self.ended.notify_waiters();
            true
        } else {
            false
        }
    }

    /// Whether input from connection `id` may reach the compositor: not while another client is
    /// logged in (the input a client sends while its login finishes is let through).
    pub(crate) fn input_allowed(&self, id: u64) -> bool {
        match *self.active() {
            None => true,
            Some((current, _)) => current == id,
        }
    }

    /// The logged-in client, if any.
    pub(crate) fn client(&self) -> Option<SocketAddr> {
        self.active().map(|(_, peer)| peer)
    }
}

/// Logs the refusal of a client because `client` is logged in.
pub(crate) fn refuse_busy(peer: SocketAddr, client: SocketAddr) {
    warn!(
        %peer,
        connected = %client,
        "refusing an RDP client: another client is logged in (one session at a time)"
    );
}

/// The password check for TLS-only security (with NLA, CredSSP checks the password instead).
pub(crate) struct PasswordValidator {
    pub(crate) check: AccountCheck,
}

#[async_trait::async_trait]
impl CredentialValidator for PasswordValidator {
    async fn validate(
        &self,
        credentials: &Credentials,
    ) -> Result<CredentialDecision, CredentialValidationError> {
        if self
            .check
            .matches(&credentials.username, &credentials.password)
        {
            Ok(CredentialDecision::Accept)
        } else {
            Ok(CredentialDecision::Reject)
        }
    }
}

/// What the accept loop and the connections share (all on the server thread).
pub(crate) struct Ctx {
    pub(crate) factory: ServerFactory,
    pub(crate) backoff: RefCell<Backoff>,
    pub(crate) admission: RefCell<Admission<Rc<Notify>>>,
    /// The peers with a connection sitting out a backoff delay.
    pub(crate) waiting: RefCell<Vec<PeerKey>>,
    refusals: RefCell<RefusalLog>,
}

impl Ctx {
    pub(crate) fn new(factory: ServerFactory) -> Self {
        Self {
            factory,
            backoff: RefCell::new(Backoff::default()),
            admission: RefCell::new(Admission::default()),
            waiting: RefCell::new(Vec::new()),
            refusals: RefCell::new(RefusalLog::default()),
        }
    }

    pub(crate) fn events(&self) -> &EventSink {
        &self.factory.events
    }

    pub(crate) fn session(&self) -> &SessionState {
        &self.factory.session
    }

    pub(crate) fn security(&self) -> Security {
        self.factory.security
    }
}

/// Serves connections until `shutdown` turns true, then gives the running ones
/// [`SHUTDOWN_GRACE`] to end. Must run inside a `LocalSet`.
pub(crate) async fn run(listener: TcpListener, ctx: Rc<Ctx>, mut shutdown: watch::Receiver<bool>) {
    let mut connections = JoinSet::new();
    loop {
        let accepted = tokio::select! {
            _ = shutdown.wait_for(|stop| *stop) => break,
            Some(joined) = connections.join_next(), if !connections.is_empty() => {
                // Each connection contains its own panics; this would be one in our bookkeeping.
                if let Err(failure) = joined {
                    error!(%failure, "an RDP connection task failed");
                }
                continue;
            }
            accepted = listener.accept() => accepted,
        };
        let (stream, peer) = match accepted {
            Ok(accepted) => accepted,
            Err(error) => {
                // Out of file descriptors and the like: wait instead of spinning.
                warn!(%error, "cannot accept an RDP connection");
                tokio::time::sleep(Duration::from_millis(200)).await;
                continue;
            }
        };
        let now = Instant::now();
        let admitted = ctx.admission.borrow_mut().arrive(peer.ip(), now);
        if let Err(limit) = admitted {
            if let Some(unlogged) = ctx.refusals.borrow_mut().note(now) {
                warn!(
                    %peer,
                    "refusing an RDP connection: {limit} ({unlogged} more refused since this \
                     was last logged)"
                );
            }
            continue;
        }
        if let Some(client) = ctx.session().client() {
            refuse_busy(peer, client);
            continue;
        }
        connections.spawn_local(connection::handle(
            stream,
            peer,
            Rc::clone(&ctx),
            shutdown.clone(),
        ));
    }
    drop(listener);
    let drained = async { while connections.join_next().await.is_some() {} };
    let _ = tokio::time::timeout(SHUTDOWN_GRACE * 2, drained).await;
}
