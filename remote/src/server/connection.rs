//! One connection, from its backoff delay to its end: its own ironrdp-server (so that several can
//! log in side by side), the login deadline, being pushed out by a newer login, panics, and what
//! is logged and reported afterwards.

use std::net::SocketAddr;
use std::rc::Rc;
use std::sync::atomic::AtomicBool;
use std::sync::Arc;
use std::time::Instant;

use ironrdp_server::{CredentialValidator, Credentials, RdpServer};
use tokio::io::AsyncWriteExt as _;
use tokio::net::TcpStream;
use tokio::sync::{watch, Notify};
use tokio_rustls::TlsAcceptor;
use tracing::{debug, error, info, info_span, warn, Instrument as _};

use super::admission::{MAX_HANDSHAKES, MAX_HANDSHAKES_PER_PEER};
use super::backoff::PeerKey;
use super::contain::catch_panic;
use super::display::{ConnectionLogin, Display, LoginState};
use super::framebuffer::Shared;
use super::input::InputBridge;
use super::negotiation::{failure_pdu, offered_protocols, read_request, refusal, Prefixed};
use super::session::{refuse_busy, Ctx, SessionState, LOGIN_TIMEOUT, SHUTDOWN_GRACE};
use super::{EventSink, Security, ServerEvent, SizeBounds};
use crate::read_budget::{BudgetLift, ReadBudget};

/// Connections sitting out a backoff delay at once (one per peer); more are closed at once.
const MAX_WAITING: usize = 16;
/// What a client may send before it has logged in. A real login sends a few tens of kilobytes;
/// this bounds what the [`MAX_HANDSHAKES`] logins in progress can make us buffer.
const CLIENT_LOGIN_READ_BUDGET: u64 = 1 << 20;

/// Builds each connection's ironrdp-server, all sharing one framebuffer and one session table.
pub(crate) struct ServerFactory {
    pub(crate) listen: SocketAddr,
    pub(crate) security: Security,
    pub(crate) acceptor: TlsAcceptor,
    pub(crate) public_key: Vec<u8>,
    /// The password check in TLS mode (with NLA, CredSSP checks `credentials`).
    pub(crate) validator: Option<Arc<dyn CredentialValidator>>,
    pub(crate) credentials: Credentials,
    pub(crate) shared: Arc<Shared>,
    pub(crate) session: Arc<SessionState>,
    pub(crate) events: EventSink,
    pub(crate) bounds: SizeBounds,
}

impl ServerFactory {
    fn build(
        &self,
        id: u64,
        peer: SocketAddr,
        login: watch::Sender<LoginState>,
        budget: BudgetLift,
    ) -> RdpServer {
        let suppressed = Arc::new(AtomicBool::new(false));
        let display = Display {
            shared: Arc::clone(&self.shared),
            suppressed: Arc::clone(&suppressed),
            events: self.events.clone(),
            bounds: self.bounds,
            session: Arc::clone(&self.session),
            connection: ConnectionLogin {
                id,
                peer,
                state: login,
                budget,
            },
            negotiated: Arc::default(),
        };
        let input = InputBridge::new(self.events.clone(), Arc::clone(&self.session), id);
        let builder = RdpServer::builder().with_addr(self.listen);
        let builder = match self.security {
            Security::Nla => builder.with_hybrid(self.acceptor.clone(), self.public_key.clone()),
            Security::TlsPassword => builder.with_tls(self.acceptor.clone()),
        };
        let mut server = builder
            .with_input_handler(input)
            .with_display_handler(display)
            .with_display_suppressed_handle(suppressed)
            .with_credential_validator(match self.security {
                Security::Nla => None,
                Security::TlsPassword => self.validator.clone(),
            })
            .build();
        if self.security == Security::Nla {
            // CredSSP's NTLM needs the password itself; the validator is TLS-mode only.
            server.set_credentials(Some(self.credentials.clone()));
        }
        server
    }
}

/// Serves one accepted connection to its end.
pub(crate) async fn handle(
    stream: TcpStream,
    peer: SocketAddr,
    ctx: Rc<Ctx>,
    shutdown: watch::Receiver<bool>,
) {
    async move {
        if !sit_out_backoff(peer, &ctx, shutdown.clone()).await {
            return;
        }
        if let Some(client) = ctx.session().client() {
            refuse_busy(peer, client);
            return;
        }
        let id = ctx.session().new_connection();
        let pushed_out = Rc::new(Notify::new());
        let victim =
            ctx.admission
                .borrow_mut()
                .start(id, peer.ip(), Instant::now(), Rc::clone(&pushed_out));
        if let Some(victim) = victim {
            victim.notify_one();
        }
        let (outcome, login) = serve(stream, peer, id, &ctx, &pushed_out, shutdown).await;
        ctx.admission.borrow_mut().finish(id);
        report(outcome, login, peer, id, &ctx);
    }
    .instrument(info_span!("rdp_client", %peer))
    .await;
}

/// Waits out the peer's backoff delay; false when the connection is to be closed instead.
async fn sit_out_backoff(peer: SocketAddr, ctx: &Ctx, mut shutdown: watch::Receiver<bool>) -> bool {
    let wait = ctx.backoff.borrow_mut().wait_for(peer.ip(), Instant::now());
    if wait.is_zero() {
        return true;
    }
    let key = PeerKey::of(peer.ip());
    {
        let mut waiting = ctx.waiting.borrow_mut();
        if waiting.contains(&key) || waiting.len() >= MAX_WAITING {
            warn!(
                %peer,
                "refusing an RDP client after failed logins: a connection from its address is \
                 already waiting (or {MAX_WAITING} are)"
            );
            return false;
        }
        waiting.push(key);
    }
    info!(%peer, ?wait, "delaying an RDP client after failed logins");
    let waited = tokio::select! {
        () = tokio::time::sleep(wait) => true,
        _ = shutdown.wait_for(|stop| *stop) => false,
    };
    ctx.waiting.borrow_mut().retain(|k| *k != key);
    waited
}

enum Outcome {
    Ended(anyhow::Result<()>),
    /// Refused before ironrdp-server saw it (no acceptable security offered).
    Refused(String),
    Panicked(String),
    LoginTimeout,
    /// A newer login needed its place before it had logged in.
    PushedOut,
    Stopped,
}

async fn serve(
    stream: TcpStream,
    peer: SocketAddr,
    id: u64,
    ctx: &Ctx,
    pushed_out: &Notify,
    mut shutdown: watch::Receiver<bool>,
) -> (Outcome, LoginState) {
    let _ = stream.set_nodelay(true);
    debug!("RDP connection accepted");
    let stream = ReadBudget::new(stream, CLIENT_LOGIN_READ_BUDGET);
    let (login_tx, mut login) = watch::channel(LoginState::Pending);
    let mut server = ctx.factory.build(id, peer, login_tx, stream.lift_handle());
    let security = ctx.security();
    let work = catch_panic(async move { negotiate_and_run(&mut server, stream, security).await });
    let mut work = std::pin::pin!(work);
    let stop = async move {
        let _ = shutdown.wait_for(|stop| *stop).await;
        tokio::time::sleep(SHUTDOWN_GRACE).await;
    };
    let mut stop = std::pin::pin!(stop);
    let finished = |result: Result<Outcome, String>| result.unwrap_or_else(Outcome::Panicked);
    let outcome = tokio::select! {
        biased;
        result = &mut work => finished(result),
        Ok(_) = login.wait_for(|state| *state == LoginState::LoggedIn) => {
            // Logged in: its place goes to the next login, and the deadline is off.
            ctx.admission.borrow_mut().finish(id);
            tokio::select! {
                result = &mut work => finished(result),
                () = &mut stop => Outcome::Stopped,
            }
        }
        () = pushed_out.notified() => Outcome::PushedOut,
        () = tokio::time::sleep(LOGIN_TIMEOUT) => Outcome::LoginTimeout,
        () = &mut stop => Outcome::Stopped,
    };
    let state = *login.borrow();
    (outcome, state)
}

async fn negotiate_and_run(
    server: &mut RdpServer,
    mut stream: ReadBudget<TcpStream>,
    security: Security,
) -> Outcome {
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
}

/// Logs how the connection ended and tells the compositor.
fn report(outcome: Outcome, login: LoginState, peer: SocketAddr, id: u64, ctx: &Ctx) {
    if ctx.session().end(id) {
        ctx.backoff.borrow_mut().record_success(peer.ip());
        match outcome {
            Outcome::Panicked(panic) => error!(
                %panic,
                "RDP session ended by a panic in the RDP server; that client was dropped, the \
                 server keeps listening"
            ),
            Outcome::Ended(Err(error)) => info!(
                error = format!("{error:#}"),
                "RDP client disconnected with an error"
            ),
            _ => info!("RDP client disconnected"),
        }
        ctx.events().emit(ServerEvent::ClientDisconnected { peer });
        return;
    }
    let reason = match outcome {
        Outcome::Stopped => return,
        // Refused when it got to its session: already logged, and not a failed login.
        _ if login == LoginState::Refused => return,
        Outcome::PushedOut => {
            info!(
                "closed an RDP connection that had not logged in yet to make room for a newer \
                 one ({MAX_HANDSHAKES} logins at a time, {MAX_HANDSHAKES_PER_PEER} per address)"
            );
            return;
        }
        Outcome::Panicked(panic) => {
            error!(
                %panic,
                "RDP login ended by a panic in the RDP server; that client was dropped, the \
                 server keeps listening"
            );
            "its data made the RDP server panic".to_owned()
        }
        Outcome::Ended(Ok(())) => {
            "closed before logging in (TLS handshake failed or the client gave up)".to_owned()
        }
        Outcome::Ended(Err(error)) => {
            debug!(error = format!("{error:#}"), "RDP login failure details");
            describe_failure(&error)
        }
        Outcome::LoginTimeout => format!("did not log in within {} s", LOGIN_TIMEOUT.as_secs()),
        Outcome::Refused(reason) => reason,
    };
    let next_delay = ctx
        .backoff
        .borrow_mut()
        .record_failure(peer.ip(), Instant::now());
    warn!(%peer, %reason, ?next_delay, "RDP login failed");
    ctx.events().emit(ServerEvent::LoginFailed { peer });
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
    if text.contains("while logging in") {
        format!("it sent more than {CLIENT_LOGIN_READ_BUDGET} bytes before logging in")
    } else if credential_words.iter().any(|w| text.contains(w)) {
        "wrong user name or password".to_owned()
    } else if text.contains("security protocol mismatch") {
        "the client offered no TLS (standard RDP security is refused)".to_owned()
    } else {
        format!("handshake failed: {error:#}")
    }
}
