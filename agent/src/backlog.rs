//! What the agent holds back while the daemon is not reading. Clients may change their windows
//! far faster than the daemon reads (a title set in a loop, a cursor set on every motion), so
//! while the queue to the daemon is congested only the latest state of each window is kept and
//! sent once the queue drains; and past a hard cap on queued bytes, the client asking for more
//! is disconnected rather than the agent's memory growing.

use guid_protocol::Rect;
use smithay::reexports::wayland_server::backend::protocol::ProtocolError;
use smithay::reexports::wayland_server::protocol::wl_surface::WlSurface;
use smithay::reexports::wayland_server::Resource;

use super::Agent;

/// wl_display's error `no_memory` (the server runs no wl_display object of its own to name it).
const WL_DISPLAY_NO_MEMORY: u32 = 2;

/// A piece of window state the daemon mirrors (title, class and hints; cursor): what it was
/// last sent, and while the queue is congested, the latest value waiting to be sent.
#[derive(Debug, Default)]
pub struct Mirrored<T> {
    sent: T,
    waiting: Option<T>,
}

impl<T: PartialEq> Mirrored<T> {
    /// The value changed: returns the value sent before and the new one to send now, or `None`
    /// when the daemon already has it or the queue is congested (it then waits for [`drain`]).
    ///
    /// [`drain`]: Mirrored::drain
    pub fn set(&mut self, value: T, congested: bool) -> Option<(T, &T)> {
        if congested {
            // A value changed back to what the daemon has needs nothing sent.
            self.waiting = (value != self.sent).then_some(value);
            return None;
        }
        self.waiting = None;
        self.sent(value)
    }

    pub fn is_waiting(&self) -> bool {
        self.waiting.is_some()
    }

    /// The queue drained: the waiting value, if any, as [`set`](Mirrored::set) returns it.
    pub fn drain(&mut self) -> Option<(T, &T)> {
        let value = self.waiting.take()?;
        self.sent(value)
    }

    fn sent(&mut self, value: T) -> Option<(T, &T)> {
        if value == self.sent {
            return None;
        }
        let before = std::mem::replace(&mut self.sent, value);
        Some((before, &self.sent))
    }
}

/// What a window owes the daemon once the queue drains, besides its [`Mirrored`] state.
#[derive(Debug, Default)]
pub struct Owed {
    /// Damage not yet announced with SHMIMAGE, merged into one rectangle.
    pub damage: Option<Rect>,
    /// The window's geometry changed: one CONFIGURE with the latest.
    pub configure: bool,
    /// The client resized: the new image (CONFIGURE, WINDOW_DUMP) is made once it drains.
    pub resize: bool,
}

impl Owed {
    pub fn is_due(&self) -> bool {
        self.damage.is_some() || self.configure || self.resize
    }

    /// Damage to announce later, merged with what already waits.
    pub fn add_damage(&mut self, rect: Rect) {
        self.damage = Some(self.damage.map_or(rect, |d| d.union(&rect)));
    }
}

/// If the queue to the daemon passed its hard cap, disconnects the client of `surface`, which
/// just asked for more to be sent: what clients cause is coalesced while the daemon does not
/// read, so only a client that keeps making new work gets here.
pub fn limit(agent: &mut Agent, surface: &WlSurface) {
    if !agent.link.overflowing() {
        return;
    }
    let Ok(client) = agent.display.get_client(surface.id()) else {
        return;
    };
    tracing::warn!(
        client = ?client.id(),
        "the GUI qube is not reading and a client keeps adding to what waits for it; \
         disconnecting the client"
    );
    client.kill(
        &agent.display,
        ProtocolError {
            code: WL_DISPLAY_NO_MEMORY,
            object_id: 1,
            object_interface: "wl_display".into(),
            message: "too much waits for the GUI qube".into(),
        },
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn while_congested_only_the_latest_value_is_sent_once_it_drains() {
        let mut title = Mirrored::<String>::default();
        assert_eq!(
            title.set("a".into(), false),
            Some((String::new(), &"a".to_string()))
        );
        assert_eq!(
            title.set("a".into(), false),
            None,
            "unchanged: nothing sent"
        );
        for i in 0..1000 {
            assert_eq!(title.set(format!("flip {i}"), true), None);
        }
        assert_eq!(
            title.drain(),
            Some(("a".to_string(), &"flip 999".to_string()))
        );
        assert_eq!(title.drain(), None, "sent once");
    }

    #[test]
    fn a_value_changed_back_while_congested_sends_nothing() {
        let mut cursor = Mirrored::<Option<u32>>::default();
        assert!(cursor.set(Some(1), false).is_some());
        assert_eq!(cursor.set(Some(2), true), None);
        assert_eq!(cursor.set(Some(1), true), None);
        assert_eq!(cursor.drain(), None);
        assert_eq!(cursor.set(Some(3), true), None);
        assert_eq!(
            cursor.set(Some(4), false),
            Some((Some(1), &Some(4))),
            "a value sent directly replaces what waited"
        );
        assert_eq!(cursor.drain(), None);
    }

    #[test]
    fn owed_damage_merges_into_one_rectangle() {
        let mut owed = Owed::default();
        owed.add_damage(Rect::new(0, 0, 10, 10));
        owed.add_damage(Rect::new(20, 5, 10, 10));
        assert_eq!(owed.damage, Some(Rect::new(0, 0, 30, 15)));
    }
}
