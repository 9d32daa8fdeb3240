//! airgui-agent: the qube side. A small headless Wayland compositor for the qube's own
//! applications that forwards each of their windows to the GUI qube over the GUI protocol
//! (`docs/guid-protocol.md`) and plays back the input the GUI qube sends.
//!
//! Nothing is rendered here: a commit copies the damaged part of the client's wl_shm buffer
//! (with its subsurfaces) into the window's grant-pool pages and tells the daemon which
//! rectangle changed. The pieces:
//! * [`daemon`]: the connection to the GUI qube (handshake, reading, queued writes);
//! * [`backlog`]: window state kept, latest only, while the GUI qube is not reading;
//! * [`windows`]: which Wayland surface is which GUI-protocol window, and what the daemon knows
//!   of it; [`compose`] copies a window's damage into its pages;
//! * [`input`]: KEYPRESS, BUTTON, MOTION, CROSSING, FOCUS, CLOSE, CONFIGURE → the seat and shell;
//! * [`clipboard`]: CLIPBOARD_REQ and CLIPBOARD_DATA ↔ the qube's selection;
//! * [`frames`]: frame callbacks at the daemon's pace;
//! * [`keyboard_config`]: the keymap, from the GUI qube's configuration file;
//! * [`handlers`]: one file per Wayland protocol.

mod backlog;
mod clipboard;
mod compose;
mod daemon;
mod frames;
mod handlers;
mod input;
mod keyboard_config;
mod windows;

use std::path::PathBuf;
use std::time::Instant;

use anyhow::Context;
use smithay::input::{Seat, SeatState};
use smithay::output::Output;
use smithay::reexports::calloop::{EventLoop, LoopHandle, LoopSignal};
use smithay::reexports::wayland_server::{Display, DisplayHandle};
use smithay::wayland::compositor::CompositorState;
use smithay::wayland::output::OutputManagerState;
use smithay::wayland::selection::data_device::DataDeviceState;
use smithay::wayland::selection::primary_selection::PrimarySelectionState;
use smithay::wayland::shell::xdg::decoration::XdgDecorationState;
use smithay::wayland::shell::xdg::XdgShellState;
use smithay::wayland::shm::ShmState;
use tracing::info;

use airgui_wayland_common::client::ClientState;
use airgui_wayland_common::keyboard::add_keyboard;
use airgui_wayland_common::socket;

/// airgui-agent, the qube side of airgui: a Wayland compositor for the qube's applications that
/// shows their windows in the GUI qube.
#[derive(Debug, clap::Parser)]
#[command(version, group(clap::ArgGroup::new("daemon").required(true)))]
pub struct AgentArgs {
    /// Connect to the GUI qube's socket for this qube (the GUI qube listens).
    #[arg(long, group = "daemon", value_name = "SOCKET")]
    connect: Option<PathBuf>,
    /// Listen on this socket and let the GUI qube connect (the vchan-socket layout).
    #[arg(long, group = "daemon", value_name = "SOCKET")]
    listen: Option<PathBuf>,
    /// The Wayland socket for the qube's applications: a name in $XDG_RUNTIME_DIR or an
    /// absolute path. By default the first free `wayland-N`.
    #[arg(long, value_name = "NAME|PATH")]
    wayland_display: Option<String>,
    /// An airgui TOML file whose `[keyboard]` table gives the keymap; give the GUI qube's own,
    /// so that its X keycodes mean the same keys here.
    #[arg(long)]
    config: Option<PathBuf>,
}

/// The agent's state: the Wayland globals, the seat, the link to the daemon and the windows.
pub struct Agent {
    pub display: DisplayHandle,
    pub handle: LoopHandle<'static, Agent>,
    pub signal: LoopSignal,
    pub compositor_state: CompositorState,
    pub xdg_shell_state: XdgShellState,
    pub xdg_decoration_state: XdgDecorationState,
    pub shm_state: ShmState,
    pub output_manager_state: OutputManagerState,
    pub seat_state: SeatState<Agent>,
    pub data_device_state: DataDeviceState,
    pub primary_selection_state: PrimarySelectionState,
    pub seat: Seat<Agent>,
    pub output: Output,
    pub link: daemon::DaemonLink,
    pub windows: windows::Windows,
    pub frames: frames::FramePacer,
    pub clipboard: clipboard::ClipboardState,
    pub input: input::PointerState,
    started: Instant,
}

impl std::fmt::Debug for Agent {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Agent")
            .field("windows", &self.windows)
            .finish_non_exhaustive()
    }
}

impl Agent {
    /// Milliseconds since the agent started, the clock of Wayland input and frame events.
    pub fn now_ms(&self) -> u32 {
        self.started.elapsed().as_millis() as u32
    }
}

/// The `airgui-agent` command: parses the command line and runs the agent.
pub fn main() -> anyhow::Result<()> {
    airgui_wayland_common::logging::init();
    run(<AgentArgs as clap::Parser>::parse())
}

/// Runs the agent until the daemon goes away.
pub fn run(args: AgentArgs) -> anyhow::Result<()> {
    let keyboard = keyboard_config::load(args.config.as_deref())?;
    let stream = daemon::open(args.connect.as_deref(), args.listen.as_deref())?;
    let link = daemon::DaemonLink::handshake(stream)?;
    let xconf = link.xconf;
    info!(version = %link.version, width = xconf.width, height = xconf.height, "connected to the GUI qube");

    let mut event_loop: EventLoop<'static, Agent> =
        EventLoop::try_new().context("cannot create the event loop")?;
    let display: Display<Agent> = Display::new().context("cannot create the Wayland display")?;
    let dh = display.handle();
    let mut seat_state = SeatState::new();
    let mut seat = seat_state.new_wl_seat(&dh, "seat0");
    // The GUI qube's keymap, so that its X keycodes are the same keys here.
    add_keyboard(&mut seat, &keyboard)?;
    seat.add_pointer();
    let output = headless_output(&dh, xconf.width, xconf.height);

    let mut agent = Agent {
        compositor_state: CompositorState::new::<Agent>(&dh),
        xdg_shell_state: XdgShellState::new::<Agent>(&dh),
        xdg_decoration_state: XdgDecorationState::new::<Agent>(&dh),
        shm_state: ShmState::new::<Agent>(&dh, Vec::new()),
        output_manager_state: OutputManagerState::new_with_xdg_output::<Agent>(&dh),
        data_device_state: DataDeviceState::new::<Agent>(&dh),
        primary_selection_state: PrimarySelectionState::new::<Agent>(&dh),
        seat_state,
        seat,
        output,
        link,
        windows: windows::Windows::default(),
        frames: frames::FramePacer::default(),
        clipboard: clipboard::ClipboardState::default(),
        input: input::PointerState::default(),
        display: dh,
        handle: event_loop.handle(),
        signal: event_loop.get_signal(),
        started: Instant::now(),
    };

    let handle = event_loop.handle();
    socket::dispatch_from(&handle, display)?;
    let (socket, name) = socket::bind(args.wayland_display.as_deref())?;
    socket::watch(&handle, socket, |agent: &mut Agent, stream| {
        agent
            .display
            .insert_client(stream, std::sync::Arc::new(ClientState::default()))
    })?;
    daemon::watch(&mut agent)?;

    println!("WAYLAND_DISPLAY={name}");
    info!(wayland_display = %name, "the qube's applications may connect");
    event_loop
        .run(None, &mut agent, Agent::after_dispatch)
        .context("the event loop failed")?;
    agent.link.closed_reason().map_or(Ok(()), |reason| {
        info!("{reason}");
        Ok(())
    })
}

impl Agent {
    /// After each turn of the loop: what the clients and the daemon are owed goes out.
    fn after_dispatch(&mut self) {
        // The daemon first: catching up with it may fire frame callbacks for the clients.
        daemon::flush(self);
        if let Err(error) = self.display.flush_clients() {
            tracing::warn!(%error, "flushing the Wayland clients failed");
        }
    }
}

/// One output of the size the daemon announced in its xconf.
fn headless_output(dh: &DisplayHandle, width: u32, height: u32) -> Output {
    let output =
        airgui_wayland_common::output::headless_output("qube-1", "GUI qube", (width, height));
    output.create_global::<Agent>(dh);
    output
}
