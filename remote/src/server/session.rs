//! Connections: our own accept loop in front of ironrdp-server's `run_connection`, so that we
//! decide what a second client, a password guesser or a stalled handshake gets.
//!
//! * One client at a time (ironrdp-server 0.13 holds `&mut RdpServer` for a whole session). A
//!   client that connects while another is logged in is refused: its TCP connection is closed at
//!   once and a warning names both peers. The connected client is never disturbed.
//! * A peer whose last logins failed waits before it is served (see [`super::backoff`]); the wait
//!   happens in a task of its own, so other peers are not held up.
//! * A connection must log in within [`LOGIN_TIMEOUT`], or it is closed and counted as failed:
//!   otherwise one silent TCP connection would hold the only slot forever.

use std::cell::{Cell, RefCell};
use std::net::SocketAddr;
use std::rc::Rc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use ironrdp_server::{
    CredentialDecision, CredentialValidationError, CredentialValidator, Credentials, RdpServer,
};
use tokio::io::AsyncWriteExt as _;
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::{mpsc, watch};
use tracing::{debug, info, info_span, warn, Instrument as _};

use super::backoff::Backoff;
use super::negotiation::{failure_pdu, offered_protocols, read_request, refusal, Prefixed};
use super::{EventSink, Security, ServerEvent};
use crate::credentials::AccountCheck;

/// How long a connection may take from TCP accept to a logged-in session.
pub(crate) const LOGIN_TIMEOUT: Duration = Duration::from_secs(30);
/// Connections sitting out a backoff delay at once; more are closed straight away.
const MAX_WAITING: usize = 16;
/// After shutdown is asked for, how long a session gets to end cleanly.
const SHUTDOWN_GRACE: Duration = Duration::from_secs(1);

/// Who is connected, shared by the accept loop, the display handler and the compositor's handle.
#[derive(Debug, Default)]
pub(crate) struct SessionState {
    peer: Mutex<Option<SocketAddr>>,
    activated: AtomicBool,
    connection: AtomicU64,
}

impl SessionState {
    fn begin(&self, peer: SocketAddr) {
        *self
            .peer
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(peer);
        self.activated.store(false, Ordering::SeqCst);
        self.connection.fetch_add(1, Ordering::SeqCst);
    }

    /// Called on each activation; returns the peer the first time for this connection.
    pub(crate) fn mark_activated(&self) -> Option<SocketAddr> {
        if self.activated.swap(true, Ordering::SeqCst) {
            return None;
        }
        self.current_peer()
    }

    /// Ends the connection; returns whether it had logged in.
    fn end(&self) -> bool {
        *self
            .peer
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner) = None;
        self.activated.swap(false, Ordering::SeqCst)
    }

    fn current_peer(&self) -> Option<SocketAddr> {
        *self
            .peer
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
    }

    /// The logged-in client, if any.
    pub(crate) fn client(&self) -> Option<SocketAddr> {
        if self.activated.load(Ordering::SeqCst) {
            self.current_peer()
        } else {
            None
        }
    }

    fn is_activated(&self) -> bool {
        self.activated.load(Ordering::SeqCst)
    }

    /// Changes with every new connection, so per-client state elsewhere can reset itself.
    pub(crate) fn connection(&self) -> u64 {
        self.connection.load(Ordering::SeqCst)
    }
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

/// What the accept loop and the session loop share (all on the server thread).
pub(crate) struct Ctx {
    pub(crate) session: Arc<SessionState>,
    pub(crate) events: EventSink,
    pub(crate) security: Security,
    backoff: RefCell<Backoff>,
    busy: Cell<bool>,
    waiting: Cell<usize>,
}

impl Ctx {
    pub(crate) fn new(session: Arc<SessionState>, events: EventSink, security: Security) -> Self {
        Self {
            session,
            events,
            security,
            backoff: RefCell::new(Backoff::default()),
            busy: Cell::new(false),
            waiting: Cell::new(0),
        }
    }
}

/// Serves connections until `shutdown` turns true. Must run inside a `LocalSet`.
pub(crate) async fn run(
    mut server: RdpServer,
    listener: TcpListener,
    ctx: Rc<Ctx>,
    mut shutdown: watch::Receiver<bool>,
) {
    let (admitted_tx, mut admitted_rx) = mpsc::unbounded_channel();
    tokio::task::spawn_local(accept_loop(
        listener,
        Rc::clone(&ctx),
        admitted_tx,
        shutdown.clone(),
    ));
    loop {
        let next = tokio::select! {
            _ = shutdown.wait_for(|stop| *stop) => None,
            next = admitted_rx.recv() => next,
        };
        let Some((stream, peer)) = next else {
            break;
        };
        serve_one(&mut server, stream, peer, &ctx, shutdown.clone())
            .instrument(info_span!("rdp_client", %peer))
            .await;
        ctx.busy.set(false);
    }
}

async fn accept_loop(
    listener: TcpListener,
    ctx: Rc<Ctx>,
    admitted: mpsc::UnboundedSender<(TcpStream, SocketAddr)>,
    mut shutdown: watch::Receiver<bool>,
) {
    loop {
        let accepted = tokio::select! {
            _ = shutdown.wait_for(|stop| *stop) => return,
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
        if ctx.waiting.get() >= MAX_WAITING {
            warn!(%peer, "too many RDP connections waiting after failed logins; closed");
            continue;
        }
        tokio::task::spawn_local(admit(stream, peer, Rc::clone(&ctx), admitted.clone()));
    }
}

async fn admit(
    stream: TcpStream,
    peer: SocketAddr,
    ctx: Rc<Ctx>,
    admitted: mpsc::UnboundedSender<(TcpStream, SocketAddr)>,
) {
    let wait = ctx.backoff.borrow_mut().wait_for(peer.ip(), Instant::now());
    if !wait.is_zero() {
        info!(%peer, ?wait, "delaying an RDP client after failed logins");
        ctx.waiting.set(ctx.waiting.get() + 1);
        tokio::time::sleep(wait).await;
        ctx.waiting.set(ctx.waiting.get().saturating_sub(1));
    }
    if ctx.busy.get() {
        warn!(
            %peer,
            connected = ?ctx.session.current_peer(),
            "refusing an RDP client: another client is connected (one session at a time)"
        );
        return;
    }
    ctx.busy.set(true);
    if admitted.send((stream, peer)).is_err() {
        ctx.busy.set(false);
    }
}

async fn serve_one(
    server: &mut RdpServer,
    stream: TcpStream,
    peer: SocketAddr,
    ctx: &Ctx,
    mut shutdown: watch::Receiver<bool>,
) {
    let _ = stream.set_nodelay(true);
    ctx.session.begin(peer);
    debug!("RDP connection accepted");
    let session = Arc::clone(&ctx.session);
    let login_deadline = async move {
        tokio::time::sleep(LOGIN_TIMEOUT).await;
        if session.is_activated() {
            std::future::pending::<()>().await;
        }
    };
    let stop = async move {
        let _ = shutdown.wait_for(|stop| *stop).await;
        tokio::time::sleep(SHUTDOWN_GRACE).await;
    };
    let security = ctx.security;
    let connection = async move {
        let mut stream = stream;
        let request = match read_request(&mut stream).await {
            Ok(request) => request,
            Err(error) => return Outcome::Ended(Err(error.into())),
        };
        if let Some(offered) = offered_protocols(&request) {
            if let Some(code) = refusal(security, offered) {
                let _ = stream.write_all(&failure_pdu(code)).await;
                let _ = stream.shutdown().await;
                return Outcome::Refused(match security {
                    Security::Nla => format!(
                        "the client does not offer NLA (CredSSP), which this server requires \
                         (offered protocols {offered:#x}; 0 is standard RDP security)"
                    ),
                    Security::TlsPassword => format!(
                        "the client does not offer TLS, which this server requires \
                         (offered protocols {offered:#x}; 0 is standard RDP security)"
                    ),
                });
            }
        }
        Outcome::Ended(server.run_connection(Prefixed::new(request, stream)).await)
    };
    let outcome = tokio::select! {
        outcome = connection => outcome,
        () = login_deadline => Outcome::LoginTimeout,
        () = stop => Outcome::Stopped,
    };
    let logged_in = ctx.session.end();
    if logged_in {
        ctx.backoff.borrow_mut().record_success(peer.ip());
        match outcome {
            Outcome::Ended(Err(error)) => {
                info!(
                    error = format!("{error:#}"),
                    "RDP client disconnected with an error"
                );
            }
            _ => info!("RDP client disconnected"),
        }
        ctx.events.emit(ServerEvent::ClientDisconnected { peer });
        return;
    }
    if matches!(outcome, Outcome::Stopped) {
        return;
    }
    let reason = match &outcome {
        Outcome::Ended(Ok(())) => {
            "closed before logging in (TLS handshake failed or the client gave up)".to_owned()
        }
        Outcome::Ended(Err(error)) => describe_failure(error),
        Outcome::LoginTimeout => format!("did not log in within {} s", LOGIN_TIMEOUT.as_secs()),
        Outcome::Refused(reason) => reason.clone(),
        Outcome::Stopped => String::new(),
    };
    if let Outcome::Ended(Err(error)) = &outcome {
        debug!(error = format!("{error:#}"), "RDP login failure details");
    }
    let next_delay = ctx
        .backoff
        .borrow_mut()
        .record_failure(peer.ip(), Instant::now());
    warn!(%peer, %reason, ?next_delay, "RDP login failed");
    ctx.events.emit(ServerEvent::LoginFailed { peer });
}

enum Outcome {
    Ended(anyhow::Result<()>),
    /// Refused before ironrdp-server saw it (no acceptable security offered).
    Refused(String),
    LoginTimeout,
    Stopped,
}

/// A short reason for the log, from the error chain ironrdp returns.
fn describe_failure(error: &anyhow::Error) -> String {
    let text = format!("{error:#}").to_lowercase();
    let credential_words = [
        "credential",
        "credssp",
        "logon",
        "invalid username",
        "access denied",
    ];
    if credential_words.iter().any(|w| text.contains(w)) {
        "wrong user name or password".to_owned()
    } else if text.contains("security protocol mismatch") {
        "the client offered no TLS (standard RDP security is refused)".to_owned()
    } else {
        format!("handshake failed: {error:#}")
    }
}
