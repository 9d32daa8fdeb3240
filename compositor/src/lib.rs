//! airgui: the GUI qube of a zone. Qubes send their windows over the GUI protocol; airgui draws
//! them with trust decorations, routes input only to the focused window and mediates the
//! clipboard.

mod backend;
mod clipboard;
pub mod config;
mod frame;
mod geometry;
#[cfg(any(feature = "winit", feature = "udev"))]
mod host;
mod input;
mod ipc;
mod qubes;
mod rdp;
mod render;
mod shell;
mod shell_key;
mod state;
mod wayland;
mod zones;

use std::path::PathBuf;

use anyhow::Context;
use clap::{Parser, Subcommand, ValueEnum};
use smithay::reexports::calloop::EventLoop;
use smithay::reexports::wayland_server::Display;

use crate::backend::{Backend, Headless};
use crate::config::Config;
use crate::state::State;

/// airgui, the GUI qube of a zone.
#[derive(Debug, Parser)]
#[command(version, args_conflicts_with_subcommands = true)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,
    #[command(flatten)]
    run: RunArgs,
}

#[derive(Debug, Subcommand)]
enum Command {
    /// Talk to a running airgui over its IPC socket.
    Msg(ipc::client::MsgArgs),
}

#[derive(Debug, clap::Args)]
struct RunArgs {
    /// A TOML file overlaying the built-in defaults (assets/airgui.toml).
    #[arg(long)]
    config: Option<PathBuf>,
    /// Where the output goes.
    #[arg(long, value_enum, default_value_t = BackendKind::Headless)]
    backend: BackendKind,
    /// Let `airgui msg` inject keys and pointer events (for tests; never in production).
    #[arg(long)]
    test_input: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
enum BackendKind {
    /// No screen and no GPU: render into memory (cloud zones, tests).
    Headless,
    /// In a window of another desktop (X11 or Wayland), for development.
    #[cfg(feature = "winit")]
    Winit,
    /// A login session on this machine's monitors, keyboard and mouse (DRM/KMS, libinput),
    /// with a seat from seatd or systemd-logind.
    #[cfg(feature = "udev")]
    Udev,
}

/// The `airgui` command: parses the command line and runs what it asks for.
pub fn main() -> anyhow::Result<()> {
    airgui_wayland_common::logging::init();
    let cli = Cli::parse();
    match cli.command {
        Some(Command::Msg(args)) => ipc::client::run(args),
        None => run(cli.run),
    }
}

fn run(args: RunArgs) -> anyhow::Result<()> {
    let config = Config::load(args.config.as_deref())?;
    let mut event_loop: EventLoop<'static, State> =
        EventLoop::try_new().context("cannot create the event loop")?;
    let (width, height) = (config.output.width, config.output.height);
    let backend = match args.backend {
        BackendKind::Headless => Backend::Headless(Box::new(Headless::new(width, height)?)),
        #[cfg(feature = "winit")]
        BackendKind::Winit => Backend::Winit(Box::new(backend::Winit::new(
            &event_loop.handle(),
            width,
            height,
        )?)),
        #[cfg(feature = "udev")]
        BackendKind::Udev => Backend::Udev(Box::new(backend::Udev::new(
            &event_loop.handle(),
            &config.output,
        )?)),
    };
    let zone = config.zone.name.clone();
    let size = backend.size();
    let backend_name = backend.name();
    let mut config = config;
    // The output is what the backend got (a window may not take the size asked).
    (config.output.width, config.output.height) = size;
    let display: Display<State> = Display::new().context("cannot create the Wayland display")?;
    let native = wayland::Native::new(&display.handle(), &config);
    let mut state = State::new(
        config,
        backend,
        native,
        &display.handle(),
        event_loop.handle(),
        args.test_input,
    )?;
    state.airgui.loop_signal = Some(event_loop.get_signal());
    let wayland_display = wayland::start(&mut state, display)?;
    qubes::link::start_endpoints(&mut state)?;
    let ipc = ipc::server::start(&mut state)?;
    let rdp = rdp::start(&mut state)?;
    let zones = zones::start(&mut state)?;
    state.airgui.queue_redraw();
    println!(
        "airgui: zone {zone}, {} output {}x{}\n  IPC: {}\n  look at it: airgui msg --socket {} screenshot /tmp/airgui.png",
        backend_name,
        size.0,
        size.1,
        ipc.display(),
        ipc.display()
    );
    let native =
        wayland_display.map(|name| format!("the GUI qube's own programs: WAYLAND_DISPLAY={name}"));
    for line in [native, rdp, zones].into_iter().flatten() {
        println!("  {line}");
    }
    event_loop
        .run(None, &mut state, State::after_dispatch)
        .context("the event loop failed")
}
