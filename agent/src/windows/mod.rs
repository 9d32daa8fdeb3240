//! Which Wayland surface is which GUI-protocol window, and what the daemon knows of each: each
//! xdg toplevel is a window, each xdg popup an override-redirect window placed relative to its
//! parent, and subsurfaces are composited into their root's image ([`image`]); what it is
//! called and how it may be sized is [`describe`].

mod describe;
mod image;

use std::collections::BTreeMap;

use guid_protocol::msg::{
    Configure, Create, Cursor, Map, Message, MAX_WINDOW_HEIGHT, MAX_WINDOW_WIDTH,
};
use guid_protocol::{Rect, WindowPages};
use smithay::backend::renderer::utils::RendererSurfaceStateUserData;
use smithay::reexports::wayland_server::protocol::wl_surface::WlSurface;
use smithay::reexports::wayland_server::Resource;
use smithay::utils::{IsAlive, Logical, Point, Size};
use smithay::wayland::compositor;
use smithay::wayland::shell::xdg::{
    PopupSurface, SurfaceCachedState, ToplevelSurface, XDG_POPUP_ROLE, XDG_TOPLEVEL_ROLE,
};

use crate::backlog::{Mirrored, Owed};
use crate::Agent;
use describe::description_messages;
pub use describe::{cursor_changed, describe};
use image::{shm_image, update};

/// The daemon's default limit on a qube's windows (spec §4): more would lose the connection.
const MAX_WINDOWS: usize = 500;
/// Grabbing popups remembered at once (menus nest a few deep).
const MAX_GRABS: usize = 64;

/// What makes a surface a window.
#[derive(Debug, Clone)]
pub enum Role {
    Toplevel(ToplevelSurface),
    /// An override-redirect window; `parent` is the window it is placed against.
    Popup {
        popup: PopupSurface,
        parent: u32,
    },
}

impl Role {
    pub fn wl_surface(&self) -> &WlSurface {
        match self {
            Role::Toplevel(toplevel) => toplevel.wl_surface(),
            Role::Popup { popup, .. } => popup.wl_surface(),
        }
    }

    fn override_redirect(&self) -> bool {
        matches!(self, Role::Popup { .. })
    }
}

/// What a toplevel last told the daemon about itself.
#[derive(Debug, Default, PartialEq, Eq)]
struct Described {
    title: Option<String>,
    app_id: Option<String>,
    min_max: (Size<i32, Logical>, Size<i32, Logical>),
}

/// One GUI-protocol window.
#[derive(Debug)]
pub struct GuiWindow {
    pub id: u32,
    pub role: Role,
    /// Where the daemon shows the window: content origin and size, in output coordinates, as
    /// the last CONFIGURE either side sent says.
    pub geometry: Rect,
    /// The xdg window geometry's origin in the root surface: the image starts there.
    pub origin: Point<i32, Logical>,
    /// The size of the image in the pages the daemon maps.
    image_size: (u32, u32),
    pages: WindowPages,
    described: Mirrored<Described>,
    /// The CURSOR the window asks for.
    cursor: Mirrored<Option<u32>>,
    /// What waits for the daemon to read again.
    owed: Owed,
    /// The pool had no pages for the image: warned once until it has again.
    out_of_pages: bool,
}

impl GuiWindow {
    /// Output coordinates of the root surface's origin.
    pub fn surface_origin(&self) -> Point<i32, Logical> {
        Point::from((self.geometry.x, self.geometry.y)) - self.origin
    }

    /// CONFIGURE with the window's geometry, unless the queue is congested: then it is owed.
    fn configure_unless(&mut self, congested: bool) -> Option<Message> {
        self.owed.configure = congested;
        (!congested).then(|| configure_message(self))
    }

    /// Whether anything waits for the daemon to read again.
    fn owes(&self) -> bool {
        self.owed.is_due() || self.described.is_waiting() || self.cursor.is_waiting()
    }
}

/// The windows, by id.
#[derive(Debug, Default)]
pub struct Windows {
    windows: BTreeMap<u32, GuiWindow>,
    last_id: u32,
    /// Popups that asked for a grab (menus), oldest first, with the root surface of the
    /// toplevel they belong to.
    grabs: Vec<(PopupSurface, WlSurface)>,
    /// Root surfaces that got their first buffer while the daemon was not reading, oldest
    /// first (a popup's parent before it): their windows are made once it reads again.
    unshown: Vec<WlSurface>,
}

impl Windows {
    pub fn get(&self, id: u32) -> Option<&GuiWindow> {
        self.windows.get(&id)
    }

    pub fn get_mut(&mut self, id: u32) -> Option<&mut GuiWindow> {
        self.windows.get_mut(&id)
    }

    /// The window whose root surface this is.
    pub fn by_surface(&self, surface: &WlSurface) -> Option<u32> {
        self.windows
            .values()
            .find(|w| w.role.wl_surface() == surface)
            .map(|w| w.id)
    }

    pub fn iter(&self) -> impl Iterator<Item = &GuiWindow> {
        self.windows.values()
    }

    /// A popup asked for a grab: keys for its toplevel go to it, and a click outside closes it.
    pub fn grab(&mut self, popup: PopupSurface, toplevel: WlSurface) {
        self.grabs.retain(|(p, _)| p.alive());
        if self.grabs.len() < MAX_GRABS {
            self.grabs.push((popup, toplevel));
        }
    }

    /// The topmost grabbing popup of a toplevel window, which takes its keys.
    pub fn grabbing_popup(&self, id: u32) -> Option<WlSurface> {
        let root = self.get(id)?.role.wl_surface();
        self.grabs
            .iter()
            .rev()
            .find(|(popup, toplevel)| popup.alive() && toplevel == root)
            .map(|(popup, _)| popup.wl_surface().clone())
    }

    /// A click on window `clicked` (0: none, focus left the qube's window): unless it hit one of
    /// the grabbing popups, they all close, topmost first.
    pub fn grabbing_popups_outside(&mut self, clicked: u32) -> Vec<PopupSurface> {
        let clicked = self.get(clicked).map(|w| w.role.wl_surface().clone());
        let inside = self
            .grabs
            .iter()
            .any(|(popup, _)| Some(popup.wl_surface()) == clicked.as_ref());
        if inside {
            return Vec::new();
        }
        let mut closing: Vec<PopupSurface> = self.grabs.drain(..).map(|(popup, _)| popup).collect();
        closing.reverse();
        closing.retain(|popup| popup.alive());
        closing
    }

    fn next_id(&mut self) -> u32 {
        // Ids are never reused while the agent runs: a late event for a destroyed window must
        // not reach a new one.
        self.last_id = self.last_id.wrapping_add(1).max(1);
        self.last_id
    }
}

/// The root of a surface's subsurface tree.
pub fn root_of(surface: &WlSurface) -> WlSurface {
    let mut root = surface.clone();
    while let Some(parent) = compositor::get_parent(&root) {
        root = parent;
    }
    root
}

/// A root surface (and its subsurfaces) committed: create, update or destroy its window.
pub fn surface_committed(agent: &mut Agent, root: &WlSurface) {
    let id = match agent.windows.by_surface(root) {
        Some(id) => id,
        // Behind windows already waiting, so that a popup's parent is made before it.
        None if agent.link.congested() || !agent.windows.unshown.is_empty() => {
            let role = compositor::get_role(root);
            if has_buffer(root) && (role == Some(XDG_TOPLEVEL_ROLE) || role == Some(XDG_POPUP_ROLE))
            {
                keep_unshown(&mut agent.windows, root);
            }
            return;
        }
        None => match role_of(agent, root) {
            Some(role) if has_buffer(root) => match create(agent, role) {
                Some(id) => id,
                None => return,
            },
            _ => return,
        },
    };
    if !has_buffer(root) {
        // The client unmapped it; a later buffer makes a new window.
        destroy(agent, id);
        return;
    }
    update(agent, id);
}

/// Remembers a root whose window waits for the daemon to read, unless as many windows as the
/// daemon takes already wait.
fn keep_unshown(windows: &mut Windows, root: &WlSurface) {
    if windows.unshown.contains(root) {
        return;
    }
    if windows.unshown.len() >= MAX_WINDOWS {
        windows.unshown.retain(IsAlive::alive);
    }
    if windows.unshown.len() < MAX_WINDOWS {
        windows.unshown.push(root.clone());
    } else {
        tracing::warn!("{MAX_WINDOWS} new windows wait for the GUI qube; a new one is not shown");
    }
}

fn has_buffer(surface: &WlSurface) -> bool {
    compositor::with_states(surface, |states| {
        states
            .data_map
            .get::<RendererSurfaceStateUserData>()
            .and_then(|data| data.lock().ok().map(|data| data.buffer().is_some()))
            .unwrap_or(false)
    })
}

/// Whether the root is an xdg toplevel or popup (anything else, such as a cursor, is no window).
fn role_of(agent: &Agent, root: &WlSurface) -> Option<Role> {
    let shell = &agent.xdg_shell_state;
    if let Some(toplevel) = shell
        .toplevel_surfaces()
        .iter()
        .find(|t| t.wl_surface() == root)
    {
        return Some(Role::Toplevel(toplevel.clone()));
    }
    let popup = shell
        .popup_surfaces()
        .iter()
        .find(|p| p.wl_surface() == root)?;
    let parent = popup.get_parent_surface()?;
    let parent = agent.windows.by_surface(&root_of(&parent))?;
    Some(Role::Popup {
        popup: popup.clone(),
        parent,
    })
}

/// The window geometry in root-surface coordinates: the xdg geometry, else the root's size;
/// cut to the largest window the daemon takes (a larger WINDOW_DUMP would cost the connection).
fn window_geometry(root: &WlSurface) -> Option<(Point<i32, Logical>, Size<i32, Logical>)> {
    let (origin, size) = client_window_geometry(root)?;
    let max_w = i32::try_from(MAX_WINDOW_WIDTH).unwrap_or(i32::MAX);
    let max_h = i32::try_from(MAX_WINDOW_HEIGHT).unwrap_or(i32::MAX);
    Some((origin, Size::from((size.w.min(max_w), size.h.min(max_h)))))
}

/// The window geometry as the client gives it.
fn client_window_geometry(root: &WlSurface) -> Option<(Point<i32, Logical>, Size<i32, Logical>)> {
    let (geometry, size) = compositor::with_states(root, |states| {
        let geometry = states
            .cached_state
            .get::<SurfaceCachedState>()
            .current()
            .geometry;
        let size = states
            .data_map
            .get::<RendererSurfaceStateUserData>()
            .and_then(|data| data.lock().ok().and_then(|data| data.surface_size()));
        (geometry, size)
    });
    match geometry {
        Some(geometry) if geometry.size.w > 0 && geometry.size.h > 0 => {
            Some((geometry.loc, geometry.size))
        }
        _ => size
            .filter(|size| size.w > 0 && size.h > 0)
            .map(|size| (Point::from((0, 0)), size)),
    }
}

/// A new window: CREATE, its names and hints, MAP. The image follows in [`update`].
fn create(agent: &mut Agent, role: Role) -> Option<u32> {
    if agent.windows.windows.len() >= MAX_WINDOWS {
        tracing::warn!("the qube has {MAX_WINDOWS} windows; a new one is not shown");
        return None;
    }
    let (origin, size) = window_geometry(role.wl_surface())?;
    let (width, height) = (size.w as u32, size.h as u32);
    let (x, y) = match &role {
        Role::Toplevel(_) => {
            // Centred; the daemon places it as it sees fit and says where with CONFIGURE.
            let (out_w, out_h) = (agent.link.xconf.width, agent.link.xconf.height);
            (
                (out_w.saturating_sub(width) / 2) as i32,
                (out_h.saturating_sub(height) / 2) as i32,
            )
        }
        Role::Popup { popup, parent } => popup_position(agent, popup, *parent),
    };
    let id = agent.windows.next_id();
    let override_redirect = u32::from(role.override_redirect());
    let transient_for = match &role {
        Role::Popup { parent, .. } => *parent,
        Role::Toplevel(_) => 0,
    };
    agent.link.send(
        id,
        &Message::Create(Create {
            x,
            y,
            width,
            height,
            parent: 0,
            override_redirect,
        }),
    );
    tracing::debug!(id, width, height, override_redirect, "new window");
    agent.windows.windows.insert(
        id,
        GuiWindow {
            id,
            role,
            geometry: Rect::new(x, y, width, height),
            origin,
            image_size: (0, 0),
            pages: WindowPages::default(),
            described: Mirrored::default(),
            cursor: Mirrored::default(),
            owed: Owed::default(),
            out_of_pages: false,
        },
    );
    describe(agent, id);
    agent.link.send(
        id,
        &Message::Map(Map {
            transient_for,
            override_redirect,
        }),
    );
    Some(id)
}

/// Where a popup goes: its parent's content origin plus the popup's place relative to it.
fn popup_position(agent: &Agent, popup: &PopupSurface, parent: u32) -> (i32, i32) {
    let place = popup.with_pending_state(|state| state.geometry.loc);
    agent.windows.get(parent).map_or((place.x, place.y), |p| {
        (
            p.geometry.x.saturating_add(place.x),
            p.geometry.y.saturating_add(place.y),
        )
    })
}

/// The daemon reads again: what its windows owe it goes, latest state only, and the windows
/// made while it was not reading are made.
pub fn catch_up(agent: &mut Agent) {
    let ids: Vec<u32> = agent
        .windows
        .iter()
        .filter(|w| w.owes())
        .map(|w| w.id)
        .collect();
    for id in ids {
        let resize = agent
            .windows
            .get_mut(id)
            .is_some_and(|w| std::mem::take(&mut w.owed.resize));
        if resize {
            update(agent, id);
        }
        let Some(window) = agent.windows.get_mut(id) else {
            continue;
        };
        let mut messages = window
            .described
            .drain()
            .map(|(before, now)| description_messages(&before, now))
            .unwrap_or_default();
        if std::mem::take(&mut window.owed.configure) {
            messages.push(configure_message(window));
        }
        if let Some((_, Some(cursor))) = window.cursor.drain() {
            messages.push(Message::Cursor(Cursor { cursor: *cursor }));
        }
        messages.extend(window.owed.damage.take().map(shm_image));
        for message in messages {
            agent.link.send(id, &message);
        }
    }
    for root in std::mem::take(&mut agent.windows.unshown) {
        if root.alive() {
            surface_committed(agent, &root);
        }
    }
}

/// Tells the daemon where window `id` is now (CONFIGURE), or once it reads again.
pub fn configure(agent: &mut Agent, id: u32) {
    let congested = agent.link.congested();
    let Some(message) = agent
        .windows
        .get_mut(id)
        .and_then(|window| window.configure_unless(congested))
    else {
        return;
    };
    agent.link.send(id, &message);
}

/// CONFIGURE with where the daemon has the window and the size it has now.
fn configure_message(window: &GuiWindow) -> Message {
    let g = window.geometry;
    Message::Configure(Configure {
        x: g.x,
        y: g.y,
        width: g.width,
        height: g.height,
        override_redirect: u32::from(window.role.override_redirect()),
    })
}

/// The window is gone (destroyed, unmapped, or its client left): DESTROY, and its pages go back
/// to the pool. Popups placed against it go with it.
pub fn destroy(agent: &mut Agent, id: u32) {
    let Some(mut window) = agent.windows.windows.remove(&id) else {
        return;
    };
    agent.link.send(id, &Message::Destroy);
    // The daemon unmaps the pages when it processes DESTROY, before anything sent later uses
    // them again.
    window.pages.release_all(&mut agent.link.pool);
    let children: Vec<u32> = agent
        .windows
        .iter()
        .filter(|w| matches!(w.role, Role::Popup { parent, .. } if parent == id))
        .map(|w| w.id)
        .collect();
    for child in children {
        if let Some(Role::Popup { popup, .. }) = agent.windows.get(child).map(|w| w.role.clone()) {
            popup.send_popup_done();
        }
        destroy(agent, child);
    }
    tracing::debug!(id, surface = ?window.role.wl_surface().id(), "window gone");
}

/// The daemon acknowledged a dump of this window: its oldest replaced pages are free.
pub fn dump_acknowledged(agent: &mut Agent, id: u32) {
    if let Some(window) = agent.windows.windows.get_mut(&id) {
        window.pages.dump_acknowledged(&mut agent.link.pool);
    }
}

/// The client moved a popup (xdg_popup.reposition): tell the daemon where it is now.
pub fn popup_moved(agent: &mut Agent, root: &WlSurface) {
    let Some(id) = agent.windows.by_surface(root) else {
        return;
    };
    let Some(Role::Popup { popup, parent }) = agent.windows.get(id).map(|w| w.role.clone()) else {
        return;
    };
    let (x, y) = popup_position(agent, &popup, parent);
    if let Some(window) = agent.windows.get_mut(id) {
        window.geometry.x = x;
        window.geometry.y = y;
        configure(agent, id);
    }
}
