//! A Wayland client for the e2e tests that opens more windows than a compositor allows: it makes
//! COUNT toplevels (no buffers), waits until each has had a configure, prints how many had one
//! and which the compositor asked to close ("configured N closed {I, ...}") and stays until
//! killed. Usage: `window-flood COUNT`.

// A test helper fails loudly; that is what unwrap and expect are for here.
#![allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]

use std::collections::BTreeSet;
use std::io::Write;

use wayland_client::protocol::{wl_compositor, wl_registry, wl_surface};
use wayland_client::{delegate_noop, Connection, Dispatch, QueueHandle};
use wayland_protocols::xdg::shell::client::{xdg_surface, xdg_toplevel, xdg_wm_base};

#[derive(Debug, Default)]
struct State {
    compositor: Option<wl_compositor::WlCompositor>,
    wm_base: Option<xdg_wm_base::XdgWmBase>,
    /// The windows (by index) that had a configure, and those asked to close.
    configured: BTreeSet<usize>,
    closed: BTreeSet<usize>,
}

fn main() {
    let count: usize = std::env::args()
        .nth(1)
        .and_then(|n| n.parse().ok())
        .expect("usage: window-flood COUNT");
    let conn = Connection::connect_to_env().expect("connect to WAYLAND_DISPLAY");
    let mut queue = conn.new_event_queue();
    let qh = queue.handle();
    conn.display().get_registry(&qh, ());
    let mut state = State::default();
    queue.roundtrip(&mut state).unwrap();

    let mut windows = Vec::with_capacity(count);
    for i in 0..count {
        let surface = state.compositor.as_ref().unwrap().create_surface(&qh, ());
        let xdg = state
            .wm_base
            .as_ref()
            .unwrap()
            .get_xdg_surface(&surface, &qh, i);
        let toplevel = xdg.get_toplevel(&qh, i);
        toplevel.set_title(format!("window {i}"));
        surface.commit();
        windows.push((surface, xdg, toplevel));
        // Now and then, so that the requests never outgrow the socket.
        if i % 100 == 99 {
            queue.roundtrip(&mut state).unwrap();
        }
    }
    while state.configured.len() < count {
        queue.blocking_dispatch(&mut state).unwrap();
    }
    queue.roundtrip(&mut state).unwrap();
    println!(
        "configured {} closed {:?}",
        state.configured.len(),
        state.closed
    );
    std::io::stdout().flush().unwrap();
    loop {
        queue.blocking_dispatch(&mut state).unwrap();
    }
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
