//! The RDP server: exports composed frames by damage and returns the client's input, on
//! ironrdp-server 0.13, always over TLS and always with a password.
//!
//! The server runs on its own thread with a current-thread tokio runtime (ironrdp-server's
//! session future is not `Send`). The compositor talks to it through [`RdpServerHandle`]: it
//! hands over each frame's damaged rectangles, and gets [`ServerEvent`]s back through the
//! callback given to [`spawn`], on the server thread (so the callback should only forward, e.g.
//! into a calloop channel).

mod admission;
mod backoff;
mod connection;
mod contain;
mod cursor;
mod damage;
mod display;
mod framebuffer;
mod input;
mod negotiation;
mod session;

use std::net::SocketAddr;
use std::path::PathBuf;
use std::rc::Rc;
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;

use ironrdp_server::Credentials;
use tracing::{info, info_span};

use self::connection::ServerFactory;
pub use self::cursor::{Cursor, CursorImage, MAX_CURSOR_SIDE};
use self::framebuffer::Shared;
pub use self::framebuffer::{FrameError, MAX_DESKTOP_SIDE};
use self::session::{Ctx, PasswordValidator, SessionState};
use crate::credentials::AccountCheck;
use crate::frame::{Frame, FrameRef, InputEvent};
use crate::tls::{TlsError, TlsIdentity};

/// The smallest desktop a client may ask for by default.
pub const DEFAULT_MIN_SIZE: (u16, u16) = (640, 480);
/// The largest desktop a client may ask for by default (8K UHD).
pub const DEFAULT_MAX_SIZE: (u16, u16) = (7680, 4320);

/// How the client proves it knows the password. Both run inside TLS; there is no unencrypted
/// mode (ironrdp-server's `with_no_security` is never used).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Security {
    /// Network Level Authentication (CredSSP/NTLM): the password is checked before the RDP
    /// session starts, and the client proves it talks to the holder of our TLS key. The default.
    #[default]
    Nla,
    /// TLS, then the user name and password from the client's logon info, checked before the
    /// session is activated. For clients without NLA; mstsc sends no password this way.
    TlsPassword,
}

/// Everything the server needs; the compositor builds it from its `[rdp]` config.
#[derive(Clone)]
pub struct RdpServerConfig {
    /// Where to listen, e.g. `127.0.0.1:3389`. Port 0 picks a free port (see
    /// [`RdpServerHandle::local_addr`]).
    pub listen: SocketAddr,
    pub security: Security,
    /// The one account that may log in.
    pub user: String,
    /// Its password, read by the caller (see [`crate::credentials::read_password_file`]).
    pub password: String,
    /// The PEM certificate and key; created on first start when neither exists.
    pub cert_path: PathBuf,
    pub key_path: PathBuf,
    /// The smallest and largest desktop a client's resize request is granted, as (width,
    /// height). Widths are kept to multiples of 4.
    pub min_size: (u16, u16),
    pub max_size: (u16, u16),
}

impl RdpServerConfig {
    /// A config with NLA and the default size bounds.
    pub fn new(
        listen: SocketAddr,
        user: impl Into<String>,
        password: impl Into<String>,
        cert_path: impl Into<PathBuf>,
        key_path: impl Into<PathBuf>,
    ) -> Self {
        Self {
            listen,
            security: Security::default(),
            user: user.into(),
            password: password.into(),
            cert_path: cert_path.into(),
            key_path: key_path.into(),
            min_size: DEFAULT_MIN_SIZE,
            max_size: DEFAULT_MAX_SIZE,
        }
    }

    fn bounds(&self) -> Result<SizeBounds, RdpError> {
        let bounds = SizeBounds {
            // Widths to multiples of 4, inwards, so every clamped width is one too.
            min_width: self.min_size.0.max(4).saturating_add(3) & !3,
            min_height: self.min_size.1.max(1),
            max_width: self.max_size.0.min(MAX_DESKTOP_SIDE) & !3,
            max_height: self.max_size.1.min(MAX_DESKTOP_SIDE),
        };
        if bounds.min_width > bounds.max_width || bounds.min_height > bounds.max_height {
            return Err(RdpError::Config(format!(
                "min_size {:?} is larger than max_size {:?} (after keeping widths to multiples \
                 of 4 and sizes within {MAX_DESKTOP_SIDE})",
                self.min_size, self.max_size
            )));
        }
        Ok(bounds)
    }
}

impl std::fmt::Debug for RdpServerConfig {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RdpServerConfig")
            .field("listen", &self.listen)
            .field("security", &self.security)
            .field("user", &self.user)
            .field("password", &"<redacted>")
            .field("cert_path", &self.cert_path)
            .field("key_path", &self.key_path)
            .field("min_size", &self.min_size)
            .field("max_size", &self.max_size)
            .finish()
    }
}

/// The sizes a client's resize request is clamped to.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct SizeBounds {
    min_width: u16,
    min_height: u16,
    max_width: u16,
    max_height: u16,
}

impl SizeBounds {
    /// Clamps a requested size; the width comes out a multiple of 4.
    pub(crate) fn clamp(&self, width: u32, height: u32) -> (u16, u16) {
        let clamp = |v: u32, min: u16, max: u16| {
            u16::try_from(v.clamp(u32::from(min), u32::from(max))).unwrap_or(max)
        };
        let width = clamp(width, self.min_width, self.max_width) & !3;
        (
            width.max(self.min_width),
            clamp(height, self.min_height, self.max_height),
        )
    }
}

/// What the server tells the compositor. Emitted on the server thread.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ServerEvent {
    /// Input from the logged-in client.
    Input(InputEvent),
    /// The client asked (display control) for this desktop size, already clamped to the bounds.
    /// The compositor resizes its output (or not); the next submitted frame's size is what the
    /// client gets.
    ResizeRequest { width: u16, height: u16 },
    /// A client logged in; it is being sent a full frame.
    ClientConnected { peer: SocketAddr },
    /// The logged-in client went away; the server waits for the next one.
    ClientDisconnected { peer: SocketAddr },
    /// A connection failed to log in (wrong credentials, no TLS, a timeout, more data than a
    /// login needs, a panic); already logged. Not sent for one pushed out by a newer login.
    LoginFailed { peer: SocketAddr },
}

/// Why the server could not start.
#[derive(Debug, thiserror::Error)]
pub enum RdpError {
    #[error("invalid RDP server configuration: {0}")]
    Config(String),
    #[error("RDP TLS identity: {0}")]
    Tls(#[from] TlsError),
    #[error(
        "cannot listen for RDP on {addr}: {source} \
         (another RDP server on that port? choose another [rdp] listen address)"
    )]
    Listen {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("cannot start the RDP server thread: {0}")]
    Start(String),
}

/// The compositor's callback; called on the server thread.
pub type EventCallback = Box<dyn Fn(ServerEvent) + Send>;

/// Shared by the input and display handlers, which ironrdp-server may call from a blocking-pool
/// thread (ainput, display control), hence the mutex.
#[derive(Clone)]
pub(crate) struct EventSink(Arc<Mutex<EventCallback>>);

impl EventSink {
    fn new(callback: EventCallback) -> Self {
        Self(Arc::new(Mutex::new(callback)))
    }

    pub(crate) fn emit(&self, event: ServerEvent) {
        let callback = self
            .0
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        callback(event);
    }
}

/// Starts the RDP server on its own thread and returns once it listens.
///
/// `initial` is the output size until the first [`RdpServerHandle::submit`]; clients see black
/// until then. `events` gets input, resize requests and session changes.
///
/// Sessions: one logged-in client at a time. While a client is logged in, a new connection is
/// **refused**: its TCP connection is closed right away (before TLS; RDP has no "busy" answer,
/// so the client reports a closed connection) and a warning names both peers. The connected
/// client keeps its session; taking over would let anyone who reaches the port disconnect the
/// user. When a client disconnects (or is dropped), everything keeps running and the next client
/// can connect.
///
/// Logging in: until someone is logged in, up to 8 connections log in side by side (2 per
/// address; a newer one pushes out the oldest of the address holding the most), and new
/// connections are rate limited per address and overall, so sockets that never log in cannot
/// lock the owner out. What a client may send before logging in is bounded.
///
/// Security: TLS always, with NLA or a password check (see [`Security`]); wrong credentials end
/// the connection before any pixel is sent. Each failed login is logged with the peer address,
/// and that peer's next connection waits 1 s, doubling to 30 s (other peers are not delayed). A
/// connection that has not logged in 30 s after it started to is closed and counts as a failure.
/// A panic in one connection's work (IronRDP included) ends that connection and is logged; the
/// server keeps listening.
pub fn spawn(
    config: RdpServerConfig,
    initial: (u16, u16),
    events: EventCallback,
) -> Result<RdpServerHandle, RdpError> {
    let bounds = config.bounds()?;
    if config.user.is_empty() || config.password.is_empty() {
        return Err(RdpError::Config(
            "the RDP user name and password must not be empty".to_owned(),
        ));
    }
    let (width, height) = initial;
    if width == 0 || height == 0 || width > MAX_DESKTOP_SIDE || height > MAX_DESKTOP_SIDE {
        return Err(RdpError::Config(format!(
            "initial size {width}x{height} is not between 1x1 and {MAX_DESKTOP_SIDE}x{MAX_DESKTOP_SIDE}"
        )));
    }
    let identity = TlsIdentity::load_or_create(&config.cert_path, &config.key_path)?;
    let acceptor = identity.acceptor()?;

    let listener =
        std::net::TcpListener::bind(config.listen).map_err(|source| RdpError::Listen {
            addr: config.listen,
            source,
        })?;
    let local_addr = listener.local_addr().map_err(|source| RdpError::Listen {
        addr: config.listen,
        source,
    })?;
    listener
        .set_nonblocking(true)
        .map_err(|source| RdpError::Listen {
            addr: config.listen,
            source,
        })?;

    let shared = Arc::new(Shared::new(width, height));
    let session = Arc::new(SessionState::default());
    let factory = ServerFactory {
        listen: config.listen,
        security: config.security,
        acceptor,
        public_key: identity.public_key().to_vec(),
        validator: Some(Arc::new(PasswordValidator {
            check: AccountCheck::new(&config.user, &config.password),
        })),
        credentials: Credentials {
            username: config.user.clone(),
            password: config.password.clone(),
            domain: None,
        },
        shared: Arc::clone(&shared),
        session: Arc::clone(&session),
        events: EventSink::new(events),
        bounds,
    };
    let (shutdown_tx, shutdown_rx) = tokio::sync::watch::channel(false);
    let (started_tx, started_rx) = std::sync::mpsc::sync_channel(1);
    let security = config.security;

    let thread = std::thread::Builder::new()
        .name("airgui-rdp".to_owned())
        .spawn(move || {
            let span = info_span!("rdp_server", listen = %local_addr);
            let _entered = span.enter();
            let runtime = match tokio::runtime::Builder::new_current_thread()
                .enable_all()
                .build()
            {
                Ok(runtime) => runtime,
                Err(error) => {
                    let _ = started_tx.send(Err(format!("tokio runtime: {error}")));
                    return;
                }
            };
            let listener = {
                let _guard = runtime.enter();
                match tokio::net::TcpListener::from_std(listener) {
                    Ok(listener) => listener,
                    Err(error) => {
                        let _ = started_tx.send(Err(format!("listener: {error}")));
                        return;
                    }
                }
            };
            let _ = started_tx.send(Ok(()));
            let ctx = Rc::new(Ctx::new(factory));
            let local = tokio::task::LocalSet::new();
            local.block_on(&runtime, session::run(listener, ctx, shutdown_rx));
            drop(local);
            runtime.shutdown_timeout(std::time::Duration::from_secs(1));
            info!("RDP server stopped");
        })
        .map_err(|error| RdpError::Start(error.to_string()))?;

    match started_rx.recv() {
        Ok(Ok(())) => {}
        Ok(Err(reason)) => {
            let _ = thread.join();
            return Err(RdpError::Start(reason));
        }
        Err(_) => {
            let _ = thread.join();
            return Err(RdpError::Start("the server thread ended early".to_owned()));
        }
    }
    info!(
        listen = %local_addr,
        fingerprint = %identity.fingerprint(),
        security = ?security,
        "RDP server listening"
    );
    Ok(RdpServerHandle {
        shared,
        session,
        local_addr,
        fingerprint: identity.fingerprint().to_owned(),
        shutdown: shutdown_tx,
        thread: Some(thread),
    })
}

/// The compositor's side of a running server. Dropping it stops the server (the connected
/// client is disconnected cleanly, within about a second).
pub struct RdpServerHandle {
    shared: Arc<Shared>,
    session: Arc<SessionState>,
    local_addr: SocketAddr,
    fingerprint: String,
    shutdown: tokio::sync::watch::Sender<bool>,
    thread: Option<JoinHandle<()>>,
}

impl std::fmt::Debug for RdpServerHandle {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("RdpServerHandle")
            .field("local_addr", &self.local_addr)
            .field("fingerprint", &self.fingerprint)
            .field("client", &self.client())
            .finish_non_exhaustive()
    }
}

impl RdpServerHandle {
    /// Hands over a composed frame. Only `frame.damage` is copied (and sent); a frame of a new
    /// size is taken whole and makes the client resize. Never blocks on the client: damage that
    /// the client has not taken yet is merged with the new damage.
    pub fn submit(&self, frame: Frame) -> Result<(), FrameError> {
        self.shared.submit(frame.as_frame_ref())
    }

    /// [`submit`](Self::submit) without handing over the buffer: the compositor can pass its
    /// render buffer directly.
    pub fn submit_ref(&self, frame: FrameRef<'_>) -> Result<(), FrameError> {
        self.shared.submit(frame)
    }

    /// Sets the pointer shape the client shows at its own pointer position. The default is the
    /// client's arrow. (The position is the client's: RDP clients draw the pointer locally.)
    pub fn set_cursor(&self, cursor: Cursor) {
        self.shared.set_cursor(cursor);
    }

    /// The address the server listens on (with the real port when the config said port 0).
    pub fn local_addr(&self) -> SocketAddr {
        self.local_addr
    }

    /// The TLS certificate's fingerprint, `sha256:AB:CD:...`, for clients to pin.
    pub fn fingerprint(&self) -> &str {
        &self.fingerprint
    }

    /// The logged-in client, if any.
    pub fn client(&self) -> Option<SocketAddr> {
        self.session.client()
    }

    /// The desktop size clients get (the last frame's, width rounded up to a multiple of 4).
    pub fn desktop_size(&self) -> (u16, u16) {
        self.shared.size()
    }

    /// Stops the server and waits for its thread.
    pub fn shutdown(mut self) {
        self.stop();
    }

    fn stop(&mut self) {
        self.shared.shutdown();
        let _ = self.shutdown.send(true);
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

impl Drop for RdpServerHandle {
    fn drop(&mut self) {
        self.stop();
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use super::*;

    fn config() -> RdpServerConfig {
        RdpServerConfig::new(
            "127.0.0.1:0".parse().unwrap(),
            "u",
            "p",
            "/nonexistent/c",
            "/nonexistent/k",
        )
    }

    #[test]
    fn resize_requests_are_clamped() {
        let bounds = config().bounds().unwrap();
        assert_eq!(bounds.clamp(1920, 1080), (1920, 1080));
        assert_eq!(bounds.clamp(1366, 768), (1364, 768));
        assert_eq!(bounds.clamp(100, 100), (640, 480));
        assert_eq!(bounds.clamp(100_000, 100_000), (7680, 4320));
    }

    #[test]
    fn odd_bounds_are_kept_to_multiples_of_four() {
        let mut c = config();
        c.min_size = (801, 600);
        c.max_size = (1023, 768);
        let bounds = c.bounds().unwrap();
        assert_eq!(bounds.clamp(0, 0), (804, 600));
        assert_eq!(bounds.clamp(5000, 5000), (1020, 768));
        c.min_size = (1000, 600);
        c.max_size = (900, 768);
        assert!(matches!(c.bounds(), Err(RdpError::Config(_))));
    }

    #[test]
    fn password_is_not_in_debug_output() {
        let mut c = config();
        c.password = "hunter2".to_owned();
        assert!(!format!("{c:?}").contains("hunter2"));
    }
}
