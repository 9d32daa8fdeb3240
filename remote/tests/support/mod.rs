//! A small IronRDP client (the same 0.10/0.11 generation as ironrdp-server 0.13) and a server
//! fixture, for loopback tests.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::indexing_slicing,
    clippy::panic,
    dead_code,
    missing_debug_implementations
)]

use std::net::{IpAddr, SocketAddr};
use std::sync::{mpsc, Arc, Mutex, OnceLock};
use std::time::Duration;

use airgui_remote::frame::{FrameRef, Rect};
use airgui_remote::server::{spawn, RdpServerConfig, RdpServerHandle, Security, ServerEvent};
use ironrdp_connector::connection_activation::{
    ConnectionActivationFactory, ConnectionActivationState,
};
use ironrdp_connector::{ClientConnector, Config, Credentials, DesktopSize};
use ironrdp_core::WriteBuf;
use ironrdp_displaycontrol::client::DisplayControlClient;
use ironrdp_dvc::DrdynvcClient;
use ironrdp_pdu::gcc::KeyboardType;
use ironrdp_pdu::input::fast_path::FastPathInputEvent;
use ironrdp_pdu::rdp::capability_sets::MajorPlatformType;
use ironrdp_pdu::rdp::client_info::{PerformanceFlags, TimezoneInfo};
use ironrdp_server::PixelFormat;
use ironrdp_session::image::DecodedImage;
use ironrdp_session::{fast_path, ActiveStage, ActiveStageBuilder, ActiveStageOutput};
use ironrdp_tokio::{FramedWrite as _, TokioFramed};
use tokio::io::{AsyncReadExt as _, AsyncWriteExt as _};
use tokio::net::{TcpSocket, TcpStream};

pub const USER: &str = "alice";
pub const PASSWORD: &str = "correct horse battery staple";
pub const WIDTH: u16 = 256;
pub const HEIGHT: u16 = 192;

/// A rectangle of an RDP output, whose sides are `u16`s.
pub fn output_rect(x: u16, y: u16, width: u16, height: u16) -> Rect {
    Rect::new(
        i32::from(x),
        i32::from(y),
        u32::from(width),
        u32::from(height),
    )
}
/// The colour every test frame starts with, B, G, R, X.
pub const BACKGROUND: [u8; 4] = [0x20, 0x40, 0x60, 0];
pub const RED: [u8; 4] = [0, 0, 0xFF, 0];
/// A bound on every network wait, so a broken server fails the test instead of hanging it.
pub const STEP: Duration = Duration::from_secs(15);

/// The compositor's side: a server and what it reported.
pub struct TestServer {
    pub handle: RdpServerHandle,
    events: mpsc::Receiver<ServerEvent>,
    pub canvas: Canvas,
    _dir: tempfile::TempDir,
}

impl TestServer {
    pub fn start(security: Security) -> Self {
        Self::start_with_hook(security, |_| {})
    }

    /// A server whose event callback first calls `hook`, as the compositor's callback would run
    /// on the server thread.
    pub fn start_with_hook(
        security: Security,
        hook: impl Fn(&ServerEvent) + Send + 'static,
    ) -> Self {
        let dir = tempfile::tempdir().unwrap();
        let mut config = RdpServerConfig::new(
            "127.0.0.1:0".parse().unwrap(),
            USER,
            PASSWORD,
            dir.path().join("state/cert.pem"),
            dir.path().join("state/key.pem"),
        );
        config.security = security;
        let (tx, rx) = mpsc::channel();
        let handle = spawn(
            config,
            (WIDTH, HEIGHT),
            Box::new(move |event| {
                hook(&event);
                let _ = tx.send(event);
            }),
        )
        .unwrap();
        let canvas = Canvas::new(WIDTH, HEIGHT, BACKGROUND);
        handle
            .submit_ref(canvas.frame(&[output_rect(0, 0, WIDTH, HEIGHT)]))
            .unwrap();
        Self {
            handle,
            events: rx,
            canvas,
            _dir: dir,
        }
    }

    pub fn addr(&self) -> SocketAddr {
        self.handle.local_addr()
    }

    /// Paints a rectangle and submits only it as damage.
    pub fn paint(&mut self, rect: Rect, bgrx: [u8; 4]) {
        self.canvas.fill(rect, bgrx);
        self.handle.submit_ref(self.canvas.frame(&[rect])).unwrap();
    }

    /// Waits (without blocking the test's runtime) for an event that `want` accepts; the events
    /// before it are returned too.
    pub async fn wait_event(
        &self,
        want: impl Fn(&ServerEvent) -> bool,
    ) -> Result<Vec<ServerEvent>, Vec<ServerEvent>> {
        let deadline = tokio::time::Instant::now() + STEP;
        let mut seen = Vec::new();
        loop {
            match self.events.try_recv() {
                Ok(event) => {
                    let done = want(&event);
                    seen.push(event);
                    if done {
                        return Ok(seen);
                    }
                }
                Err(mpsc::TryRecvError::Empty) => {
                    if tokio::time::Instant::now() > deadline {
                        return Err(seen);
                    }
                    tokio::time::sleep(Duration::from_millis(10)).await;
                }
                Err(mpsc::TryRecvError::Disconnected) => return Err(seen),
            }
        }
    }

    /// Everything reported so far.
    pub fn drain_events(&self) -> Vec<ServerEvent> {
        self.events.try_iter().collect()
    }
}

/// The compositor's output buffer.
pub struct Canvas {
    pub width: u16,
    pub height: u16,
    pub pixels: Vec<u8>,
}

impl Canvas {
    pub fn new(width: u16, height: u16, bgrx: [u8; 4]) -> Self {
        let mut canvas = Self {
            width,
            height,
            pixels: vec![0; usize::from(width) * usize::from(height) * 4],
        };
        canvas.fill(output_rect(0, 0, width, height), bgrx);
        canvas
    }

    pub fn fill(&mut self, rect: Rect, bgrx: [u8; 4]) {
        let [x0, y0, width, height] = rect.to_usize().unwrap();
        for y in y0..y0 + height {
            for x in x0..x0 + width {
                let i = (y * usize::from(self.width) + x) * 4;
                self.pixels[i..i + 4].copy_from_slice(&bgrx);
            }
        }
    }

    pub fn frame<'a>(&'a self, damage: &'a [Rect]) -> FrameRef<'a> {
        FrameRef {
            width: self.width,
            height: self.height,
            stride: usize::from(self.width) * 4,
            pixels: &self.pixels,
            damage,
        }
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mode {
    Nla,
    Tls,
}

/// A connected IronRDP client with its decoded desktop.
pub struct Client {
    framed: TokioFramed<ironrdp_tls::TlsStream<TcpStream>>,
    stage: ActiveStage,
    pub image: DecodedImage,
    activation: ConnectionActivationFactory,
    io_channel_id: u16,
    user_channel_id: u16,
    /// The server's certificate, DER.
    pub certificate: Vec<u8>,
    pub graphics_updates: usize,
}

fn client_config(user: &str, password: &str, mode: Mode) -> Config {
    Config {
        desktop_size: DesktopSize {
            width: 1024,
            height: 768,
        },
        desktop_scale_factor: 0,
        enable_tls: mode == Mode::Tls,
        enable_credssp: mode == Mode::Nla,
        credentials: Credentials::UsernamePassword {
            username: user.to_owned(),
            password: password.to_owned(),
        },
        domain: None,
        client_build: 0,
        client_name: "loopback-test".to_owned(),
        keyboard_type: KeyboardType::IbmEnhanced,
        keyboard_subtype: 0,
        keyboard_functional_keys_count: 12,
        keyboard_layout: 0,
        ime_file_name: String::new(),
        // None: 32 bpp and every codec this build supports (RemoteFX, QOI, QOIZ).
        bitmap: None,
        dig_product_id: String::new(),
        client_dir: String::new(),
        alternate_shell: String::new(),
        work_dir: String::new(),
        platform: MajorPlatformType::UNIX,
        hardware_id: None,
        request_data: None,
        autologon: false,
        enable_audio_playback: false,
        performance_flags: PerformanceFlags::default(),
        license_cache: None,
        timezone_info: TimezoneInfo::default(),
        compression_type: None,
        enable_server_pointer: true,
        pointer_software_rendering: false,
        multitransport_flags: None,
    }
}

/// Connects and logs in; `Err` carries the reason (e.g. CredSSP refusing the password).
pub async fn connect(
    addr: SocketAddr,
    user: &str,
    password: &str,
    mode: Mode,
) -> Result<Client, String> {
    tokio::time::timeout(STEP, connect_inner(addr, user, password, mode))
        .await
        .map_err(|_| "connect timed out".to_owned())?
}

async fn connect_inner(
    addr: SocketAddr,
    user: &str,
    password: &str,
    mode: Mode,
) -> Result<Client, String> {
    let tcp = TcpStream::connect(addr).await.map_err(|e| e.to_string())?;
    let client_addr = tcp.local_addr().map_err(|e| e.to_string())?;
    let mut framed = TokioFramed::new(tcp);
    let drdynvc =
        DrdynvcClient::new().with_dynamic_channel(DisplayControlClient::new(|_| Ok(Vec::new())));
    let mut connector = ClientConnector::new(client_config(user, password, mode), client_addr)
        .with_static_channel(drdynvc);
    let should_upgrade = ironrdp_tokio::connect_begin(&mut framed, &mut connector)
        .await
        .map_err(|e| format!("connect_begin: {e:#}"))?;
    let (tls, cert) = ironrdp_tls::upgrade(framed.into_inner_no_leftover(), "airgui")
        .await
        .map_err(|e| format!("TLS: {e}"))?;
    let certificate = x509_cert::der::Encode::to_der(&cert).unwrap();
    let public_key = ironrdp_tls::extract_tls_server_public_key(&cert)
        .unwrap()
        .to_vec();
    let upgraded = ironrdp_tokio::mark_as_upgraded(should_upgrade, &mut connector);
    let mut framed = TokioFramed::new(tls);
    let mut network = ironrdp_tokio::reqwest::ReqwestNetworkClient::new();
    let result = ironrdp_tokio::connect_finalize(
        upgraded,
        connector,
        &mut framed,
        &mut network,
        "airgui".into(),
        public_key,
        None,
    )
    .await
    .map_err(|e| format!("connect_finalize: {e:#}"))?;
    let image = DecodedImage::new(
        PixelFormat::BgrA32,
        result.desktop_size.width,
        result.desktop_size.height,
    );
    let stage = ActiveStageBuilder {
        static_channels: result.static_channels,
        user_channel_id: result.user_channel_id,
        io_channel_id: result.io_channel_id,
        message_channel_id: result.message_channel_id,
        share_id: result.share_id,
        compression_type: result.compression_type,
        enable_server_pointer: result.enable_server_pointer,
        pointer_software_rendering: result.pointer_software_rendering,
    }
    .build();
    Ok(Client {
        framed,
        stage,
        image,
        activation: result.activation_factory,
        io_channel_id: result.io_channel_id,
        user_channel_id: result.user_channel_id,
        certificate,
        graphics_updates: 0,
    })
}

/// What one read from the server produced, besides responses (which are sent on).
#[derive(Debug)]
pub enum Got {
    Graphics,
    Pointer,
    /// The server reactivated the session at a new size.
    Resized(u16, u16),
    Terminated(String),
    Other,
}

impl Client {
    pub fn size(&self) -> (u16, u16) {
        (self.image.width(), self.image.height())
    }

    /// The B, G, R bytes of one decoded pixel.
    pub fn pixel(&self, x: u16, y: u16) -> [u8; 3] {
        let i = usize::from(y) * self.image.stride() + usize::from(x) * 4;
        let d = self.image.data();
        [d[i], d[i + 1], d[i + 2]]
    }

    pub fn rect_is(&self, rect: Rect, bgrx: [u8; 4]) -> bool {
        let [x0, y0, width, height] = rect.to_usize().unwrap();
        let side = |v: usize| u16::try_from(v).unwrap();
        (y0..y0 + height).all(|y| {
            (x0..x0 + width).all(|x| self.pixel(side(x), side(y)) == [bgrx[0], bgrx[1], bgrx[2]])
        })
    }

    /// Reads and processes one PDU (bounded by [`STEP`]).
    pub async fn step(&mut self) -> Result<Vec<Got>, String> {
        let (action, payload) = tokio::time::timeout(STEP, self.framed.read_pdu())
            .await
            .map_err(|_| "no PDU from the server".to_owned())?
            .map_err(|e| format!("read: {e}"))?;
        let outputs = self
            .stage
            .process(&mut self.image, action, &payload)
            .map_err(|e| format!("process: {e:#}"))?;
        let mut got = Vec::new();
        for output in outputs {
            match output {
                ActiveStageOutput::ResponseFrame(frame) => {
                    if !frame.is_empty() {
                        self.framed
                            .write_all(&frame)
                            .await
                            .map_err(|e| e.to_string())?;
                    }
                }
                ActiveStageOutput::GraphicsUpdate(_) => {
                    self.graphics_updates += 1;
                    got.push(Got::Graphics);
                }
                ActiveStageOutput::PointerDefault
                | ActiveStageOutput::PointerHidden
                | ActiveStageOutput::PointerPosition { .. }
                | ActiveStageOutput::PointerBitmap(_) => got.push(Got::Pointer),
                ActiveStageOutput::Terminate(reason) => {
                    got.push(Got::Terminated(reason.description()));
                }
                ActiveStageOutput::DeactivateAll => {
                    let (w, h) = self.reactivate().await?;
                    got.push(Got::Resized(w, h));
                }
                _ => got.push(Got::Other),
            }
        }
        Ok(got)
    }

    /// Reads until `done` holds after a graphics update or a resize.
    pub async fn until(&mut self, mut done: impl FnMut(&Client) -> bool) -> Result<(), String> {
        let deadline = tokio::time::Instant::now() + STEP;
        loop {
            if tokio::time::Instant::now() > deadline {
                return Err("the expected picture never arrived".to_owned());
            }
            for got in self.step().await? {
                if let Got::Terminated(reason) = got {
                    return Err(format!("terminated: {reason}"));
                }
            }
            if done(self) {
                return Ok(());
            }
        }
    }

    /// The Deactivation-Reactivation sequence after a server-side resize.
    async fn reactivate(&mut self) -> Result<(u16, u16), String> {
        let mut sequence = self.activation.create();
        let mut buf = WriteBuf::new();
        loop {
            ironrdp_tokio::single_sequence_step(&mut self.framed, &mut sequence, &mut buf)
                .await
                .map_err(|e| format!("reactivation: {e:#}"))?;
            if let ConnectionActivationState::Finalized {
                desktop_size,
                share_id,
                enable_server_pointer,
                pointer_software_rendering,
            } = sequence.connection_activation_state()
            {
                self.image =
                    DecodedImage::new(PixelFormat::BgrA32, desktop_size.width, desktop_size.height);
                self.stage.set_fastpath_processor(
                    fast_path::ProcessorBuilder {
                        io_channel_id: self.io_channel_id,
                        user_channel_id: self.user_channel_id,
                        share_id,
                        enable_server_pointer,
                        pointer_software_rendering,
                        bulk_decompressor: None,
                    }
                    .build(),
                );
                self.stage.set_share_id(share_id);
                self.stage.set_enable_server_pointer(enable_server_pointer);
                return Ok((desktop_size.width, desktop_size.height));
            }
        }
    }

    pub async fn send_input(&mut self, events: &[FastPathInputEvent]) -> Result<(), String> {
        let outputs = self
            .stage
            .process_fastpath_input(&mut self.image, events)
            .map_err(|e| format!("{e:#}"))?;
        for output in outputs {
            if let ActiveStageOutput::ResponseFrame(frame) = output {
                self.framed
                    .write_all(&frame)
                    .await
                    .map_err(|e| e.to_string())?;
            }
        }
        Ok(())
    }

    /// Asks for a new desktop size over the display-control channel; `false` while that channel
    /// is not open yet.
    pub async fn request_size(&mut self, width: u32, height: u32) -> Result<bool, String> {
        match self.stage.encode_resize(width, height, None, None) {
            None => Ok(false),
            Some(Err(e)) => Err(format!("{e:#}")),
            Some(Ok(frame)) => {
                self.framed
                    .write_all(&frame)
                    .await
                    .map_err(|e| e.to_string())?;
                Ok(true)
            }
        }
    }
}

/// A TCP relay to a server that delays everything the server sends by a fixed time, as a
/// zone across a wide-area network would. It serves one connection.
pub struct LaggyRelay {
    addr: SocketAddr,
}

impl LaggyRelay {
    pub fn start(server: SocketAddr, delay: Duration) -> Self {
        use std::net::{TcpListener, TcpStream};
        let listener = TcpListener::bind("127.0.0.1:0").unwrap();
        let addr = listener.local_addr().unwrap();
        std::thread::spawn(move || {
            let Ok((client, _)) = listener.accept() else {
                return;
            };
            let Ok(upstream) = TcpStream::connect(server) else {
                return;
            };
            client.set_nodelay(true).unwrap();
            upstream.set_nodelay(true).unwrap();
            let (mut to_server, mut from_client) =
                (upstream.try_clone().unwrap(), client.try_clone().unwrap());
            std::thread::spawn(move || std::io::copy(&mut from_client, &mut to_server));
            let (chunks, delayed) = mpsc::channel::<(std::time::Instant, Vec<u8>)>();
            let mut to_client = client;
            std::thread::spawn(move || {
                use std::io::Write;
                for (at, bytes) in delayed {
                    let due = at + delay;
                    std::thread::sleep(due.saturating_duration_since(std::time::Instant::now()));
                    if to_client.write_all(&bytes).is_err() {
                        return;
                    }
                }
            });
            let mut from_server = upstream;
            let mut buf = vec![0; 64 * 1024];
            loop {
                use std::io::Read;
                match from_server.read(&mut buf) {
                    Ok(0) | Err(_) => return,
                    Ok(n) => {
                        if chunks
                            .send((std::time::Instant::now(), buf[..n].to_vec()))
                            .is_err()
                        {
                            return;
                        }
                    }
                }
            }
        });
        Self { addr }
    }

    pub fn addr(&self) -> SocketAddr {
        self.addr
    }
}

/// Everything the servers of this test binary log, to check what an administrator would read.
pub fn log() -> Arc<Mutex<Vec<u8>>> {
    static LOG: OnceLock<Arc<Mutex<Vec<u8>>>> = OnceLock::new();
    Arc::clone(LOG.get_or_init(|| {
        let buffer = Arc::new(Mutex::new(Vec::new()));
        let writer = Arc::clone(&buffer);
        tracing_subscriber::fmt()
            .with_ansi(false)
            .with_max_level(tracing::Level::INFO)
            .with_writer(move || Capture(Arc::clone(&writer)))
            .init();
        buffer
    }))
}

struct Capture(Arc<Mutex<Vec<u8>>>);

impl std::io::Write for Capture {
    fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(buf);
        std::io::stderr().write_all(buf)?;
        Ok(buf.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// The logged lines that contain `needle` and `peer` (an address, or an address and port).
pub fn logged_lines(needle: &str, peer: &str) -> Vec<String> {
    let text = String::from_utf8_lossy(&log().lock().unwrap()).into_owned();
    text.lines()
        .filter(|l| l.contains(needle) && l.contains(peer))
        .map(str::to_owned)
        .collect()
}

/// A TCP connection to `server` from `source` (any 127.0.0.0/8 address works on loopback), to
/// play clients at different addresses.
pub async fn tcp_from(source: IpAddr, server: SocketAddr) -> TcpStream {
    let socket = TcpSocket::new_v4().unwrap();
    socket.bind(SocketAddr::new(source, 0)).unwrap();
    tokio::time::timeout(STEP, socket.connect(server))
        .await
        .expect("connect in time")
        .unwrap()
}

/// TPKT + X.224 Connection Request + RDP_NEG_REQ offering TLS and CredSSP, as mstsc sends.
pub const CONNECTION_REQUEST: [u8; 19] = [
    0x03, 0x00, 0x00, 0x13, // TPKT, 19 bytes
    0x0E, 0xE0, 0x00, 0x00, 0x00, 0x00, 0x00, // X.224 CR
    0x01, 0x00, 0x08, 0x00, 0x03, 0x00, 0x00, 0x00, // RDP_NEG_REQ: SSL | HYBRID
];

/// Sends the Connection Request and reads the server's 19-byte Connection Confirm.
pub async fn x224(tcp: &mut TcpStream) {
    tcp.write_all(&CONNECTION_REQUEST).await.unwrap();
    let mut confirm = [0u8; 19];
    tokio::time::timeout(STEP, tcp.read_exact(&mut confirm))
        .await
        .expect("a Connection Confirm in time")
        .unwrap();
    assert_eq!(confirm[5], 0xD0, "{confirm:02x?}");
}

/// X.224, then the TLS handshake (any certificate): where CredSSP starts.
pub async fn x224_and_tls(mut tcp: TcpStream) -> ironrdp_tls::TlsStream<TcpStream> {
    x224(&mut tcp).await;
    let (tls, _) = tokio::time::timeout(STEP, ironrdp_tls::upgrade(tcp, "airgui"))
        .await
        .expect("TLS in time")
        .unwrap();
    tls
}
