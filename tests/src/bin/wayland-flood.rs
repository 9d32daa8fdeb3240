//! A Wayland client for the e2e tests that floods its compositor. Usage:
//! * `wayland-flood title COUNT`: maps a small window titled "start", sets its title COUNT times
//!   ("flip N"), then to "done", prints "flooded" and stays until killed.
//! * `wayland-flood windows COUNT`: makes COUNT toplevels (no buffers), waits until each has had
//!   a configure, prints how many had one and which the compositor asked to close
//!   ("configured N closed {I, ...}") and stays until killed.

// A test helper fails loudly; that is what unwrap and expect are for here.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::collections::BTreeSet;
use std::io::Write;
use std::os::fd::AsFd;

use wayland_client::protocol::{
    wl_buffer, wl_compositor, wl_registry, wl_shm, wl_shm_pool, wl_surface,
};
use wayland_client::{delegate_noop, Connection, Dispatch, EventQueue, QueueHandle};
use wayland_protocols::xdg::shell::client::{xdg_surface, xdg_toplevel, xdg_wm_base};

/// The side of the window `title` maps.
const SIZE: i32 = 64;

#[derive(Debug, Default)]
struct State {
    compositor: Option<wl_compositor::WlCompositor>,
    shm: Option<wl_shm::WlShm>,
    wm_base: Option<xdg_wm_base::XdgWmBase>,
    /// The windows (by index) that had a configure, and those asked to close.
    configured: BTreeSet<usize>,
    closed: BTreeSet<usize>,
}

/// A toplevel; its xdg objects carry its index.
type Window = (
    wl_surface::WlSurface,
    xdg_surface::XdgSurface,
    xdg_toplevel::XdgToplevel,
);

fn main() {
    let mut args = std::env::args().skip(1);
    let (mode, count) = (args.next(), args.next().and_then(|n| n.parse().ok()));
    let (Some(mode), Some(count)) = (mode, count) else {
        panic!("usage: wayland-flood title|windows COUNT");
    };
    let conn = Connection::connect_to_env().expect("connect to WAYLAND_DISPLAY");
    let mut queue = conn.new_event_queue();
    conn.display().get_registry(&queue.handle(), ());
    let mut state = State::default();
    queue.roundtrip(&mut state).unwrap();
    // Whatever the flood made lives until the process is killed.
    let _kept = match mode.as_str() {
        "title" => flood_titles(&mut state, &mut queue, count),
        "windows" => flood_windows(&mut state, &mut queue, count),
        other => panic!("unknown mode {other}: use title or windows"),
    };
    std::io::stdout().flush().unwrap();
    loop {
        queue.blocking_dispatch(&mut state).unwrap();
    }
}

fn toplevel(state: &State, qh: &QueueHandle<State>, index: usize, title: &str) -> Window {
    let surface = state.compositor.as_ref().unwrap().create_surface(qh, ());
    let xdg = state
        .wm_base
        .as_ref()
        .unwrap()
        .get_xdg_surface(&surface, qh, index);
    let toplevel = xdg.get_toplevel(qh, index);
    toplevel.set_title(title.into());
    surface.commit();
    (surface, xdg, toplevel)
}

fn flood_titles(
    state: &mut State,
    queue: &mut EventQueue<State>,
    count: usize,
) -> Box<dyn std::any::Any> {
    let qh = queue.handle();
    let window = toplevel(state, &qh, 0, "start");
    while state.configured.is_empty() {
        queue.blocking_dispatch(state).unwrap();
    }

    let file = tempfile::tempfile().unwrap();
    file.set_len((SIZE * SIZE * 4) as u64).unwrap();
    let pool = state
        .shm
        .as_ref()
        .unwrap()
        .create_pool(file.as_fd(), SIZE * SIZE * 4, &qh, ());
    let buffer = pool.create_buffer(0, SIZE, SIZE, SIZE * 4, wl_shm::Format::Xrgb8888, &qh, ());
    window.0.attach(Some(&buffer), 0, 0);
    window.0.commit();
    queue.roundtrip(state).unwrap();

    for i in 0..count {
        window.2.set_title(format!("flip {i}"));
        // Now and then, so that the requests never outgrow the socket.
        if i % 1000 == 999 {
            queue.roundtrip(state).unwrap();
        }
    }
    window.2.set_title("done".into());
    queue.roundtrip(state).unwrap();
    println!("flooded");
    Box::new((window, buffer, pool, file))
}

fn flood_windows(
    state: &mut State,
    queue: &mut EventQueue<State>,
    count: usize,
) -> Box<dyn std::any::Any> {
    let qh = queue.handle();
    let mut windows = Vec::with_capacity(count);
    for i in 0..count {
        windows.push(toplevel(state, &qh, i, &format!("window {i}")));
        // Now and then, so that the requests never outgrow the socket.
        if i % 100 == 99 {
            queue.roundtrip(state).unwrap();
        }
    }
    while state.configured.len() < count {
        queue.blocking_dispatch(state).unwrap();
    }
    queue.roundtrip(state).unwrap();
    println!(
        "configured {} closed {:?}",
        state.configured.len(),
        state.closed
    );
    Box::new(windows)
}

impl Dispatch<wl_registry::WlRegistry, ()> for State {
    fn event(
        state: &mut Self,
        registry: &wl_registry::WlRegistry,
        event: wl_registry::Event,
        _: &(),
        _: &Connection,
        qh: &QueueHandle<Self>,
    ) {
        if let wl_registry::Event::Global {
            name, interface, ..
        } = event
        {
            match interface.as_str() {
                "wl_compositor" => state.compositor = Some(registry.bind(name, 1, qh, ())),
                "wl_shm" => state.shm = Some(registry.bind(name, 1, qh, ())),
                "xdg_wm_base" => state.wm_base = Some(registry.bind(name, 1, qh, ())),
                _ => {}
            }
        }
    }
}

impl Dispatch<xdg_wm_base::XdgWmBase, ()> for State {
    fn event(
        _: &mut Self,
        wm_base: &xdg_wm_base::XdgWmBase,
        event: xdg_wm_base::Event,
        _: &(),
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        if let xdg_wm_base::Event::Ping { serial } = event {
            wm_base.pong(serial);
        }
    }
}

impl Dispatch<xdg_surface::XdgSurface, usize> for State {
    fn event(
        state: &mut Self,
        xdg: &xdg_surface::XdgSurface,
        event: xdg_surface::Event,
        index: &usize,
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        if let xdg_surface::Event::Configure { serial } = event {
            xdg.ack_configure(serial);
            state.configured.insert(*index);
        }
    }
}

impl Dispatch<xdg_toplevel::XdgToplevel, usize> for State {
    fn event(
        state: &mut Self,
        _: &xdg_toplevel::XdgToplevel,
        event: xdg_toplevel::Event,
        index: &usize,
        _: &Connection,
        _: &QueueHandle<Self>,
    ) {
        if let xdg_toplevel::Event::Close = event {
            state.closed.insert(*index);
        }
    }
}

delegate_noop!(State: ignore wl_compositor::WlCompositor);
delegate_noop!(State: ignore wl_surface::WlSurface);
delegate_noop!(State: ignore wl_shm::WlShm);
delegate_noop!(State: ignore wl_shm_pool::WlShmPool);
delegate_noop!(State: ignore wl_buffer::WlBuffer);
