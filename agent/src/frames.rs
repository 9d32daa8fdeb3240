//! Frame callbacks at the daemon's pace. A client draws its next frame when its frame callback
//! fires; the agent fires them at most once per frame interval, and only once the daemon has
//! read everything sent so far. A client animating faster than the daemon takes its damage
//! therefore slows to the daemon's pace instead of piling damage up; an idle agent has no timer.

use std::time::{Duration, Instant};

use smithay::reexports::calloop::timer::{TimeoutAction, Timer};
use smithay::reexports::calloop::RegistrationToken;
use smithay::reexports::wayland_server::protocol::wl_surface::WlSurface;
use smithay::utils::IsAlive;
use smithay::wayland::compositor::{self, SurfaceAttributes, TraversalAction};

use super::Agent;

/// The frame interval: the GUI qube's default refresh rate, 60 Hz.
const FRAME_INTERVAL: Duration = Duration::from_micros(16_667);
/// Roots waiting for their callbacks; every client surface is at most once in the list. Past
/// this, a new root's callbacks fire at once, unpaced, rather than never.
const MAX_WAITING: usize = 4096;

/// Root surfaces that committed since their callbacks last fired, and the timer that fires them.
#[derive(Debug, Default)]
pub struct FramePacer {
    waiting: Vec<WlSurface>,
    last: Option<Instant>,
    timer: Option<RegistrationToken>,
    /// The timer fired while the daemon had not read everything: fire when it has.
    held: bool,
}

impl FramePacer {
    /// When the next callbacks may fire: one interval after the last, and not before `now`.
    fn due(&self, now: Instant) -> Instant {
        self.last.map_or(now, |last| last + FRAME_INTERVAL).max(now)
    }
}

/// A root surface committed: its tree's frame callbacks fire at the next frame.
pub fn committed(agent: &mut Agent, root: &WlSurface) {
    let time = agent.now_ms();
    let pacer = &mut agent.frames;
    if !pacer.waiting.contains(root) {
        if pacer.waiting.len() >= MAX_WAITING {
            pacer.waiting.retain(IsAlive::alive);
        }
        if pacer.waiting.len() >= MAX_WAITING {
            // Dropped from the list, the client would wait for its callbacks forever.
            fire_tree(root, time);
            return;
        }
        pacer.waiting.push(root.clone());
    }
    if pacer.timer.is_some() || pacer.held {
        return;
    }
    let timer = Timer::from_deadline(pacer.due(Instant::now()));
    match agent.handle.insert_source(timer, |_, _, agent| {
        agent.frames.timer = None;
        if agent.link.is_flushed() {
            fire(agent);
        } else {
            agent.frames.held = true;
        }
        TimeoutAction::Drop
    }) {
        Ok(token) => agent.frames.timer = Some(token),
        Err(error) => {
            tracing::warn!(%error, "cannot schedule frame callbacks; firing them now");
            fire(agent);
        }
    }
}

/// The daemon has read everything: callbacks held back for it fire.
pub fn daemon_caught_up(agent: &mut Agent) {
    if std::mem::take(&mut agent.frames.held) {
        fire(agent);
    }
}

/// Fires the frame callbacks of every waiting tree.
fn fire(agent: &mut Agent) {
    let now = Instant::now();
    agent.frames.last = Some(now);
    let time = agent.now_ms();
    for root in std::mem::take(&mut agent.frames.waiting) {
        if root.alive() {
            fire_tree(&root, time);
        }
    }
}

/// Fires the frame callbacks of a root surface and its subsurfaces.
fn fire_tree(root: &WlSurface, time: u32) {
    compositor::with_surface_tree_downward(
        root,
        (),
        |_, _, _| TraversalAction::DoChildren(()),
        |_, states, _| {
            let callbacks = std::mem::take(
                &mut states
                    .cached_state
                    .get::<SurfaceAttributes>()
                    .current()
                    .frame_callbacks,
            );
            for callback in callbacks {
                callback.done(time);
            }
        },
        |_, _, _| true,
    );
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn frames_fire_at_once_after_a_pause_and_an_interval_apart_while_busy() {
        let start = Instant::now();
        let mut pacer = FramePacer::default();
        assert_eq!(pacer.due(start), start, "the first frame is not delayed");
        pacer.last = Some(start);
        let soon = start + FRAME_INTERVAL / 4;
        assert_eq!(
            pacer.due(soon),
            start + FRAME_INTERVAL,
            "no faster than the interval"
        );
        let later = start + 10 * FRAME_INTERVAL;
        assert_eq!(pacer.due(later), later, "after a pause, at once");
    }
}
