//! The compositor's state, split as `State { backend, airgui }` so that the backend and the
//! rest can be borrowed apart.

use std::collections::VecDeque;
use std::time::{Duration, Instant};

use airgui_remote::client::ZoneClients;
use airgui_remote::RdpServerHandle;
use airgui_wayland_common::keyboard::add_keyboard;
use guid_protocol::{Message, Rect, WindowId};
use smithay::input::{Seat, SeatState};
use smithay::reexports::calloop::timer::{TimeoutAction, Timer};
use smithay::reexports::calloop::{LoopHandle, LoopSignal, RegistrationToken};
use smithay::reexports::wayland_server::DisplayHandle;
use tracing::warn;

use crate::backend::Backend;
use crate::clipboard::Clipboard;
use crate::config::Config;
use crate::input::keymap::KeyResolver;
use crate::input::tracking::InputState;
use crate::qubes::{self, Qube, WindowKey};
use crate::render::decorations::ZONE_GAP;
use crate::shell::{Metrics, Shell};
use crate::shell_key::ShellKey;
use crate::wayland::native::Native;
use crate::zones::zone::Zone;

pub struct State {
    pub backend: Backend,
    pub airgui: Airgui,
}

/// Everything but the backend.
pub struct Airgui {
    pub config: Config,
    pub handle: LoopHandle<'static, State>,
    pub seat_state: SeatState<State>,
    pub seat: Seat<State>,
    pub shell: Shell<ShellKey>,
    pub qubes: Vec<Qube>,
    /// A master's slave zones, by index in `[[zone_link]]` (empty elsewhere).
    pub zones: Vec<Zone>,
    /// The links to them.
    pub zone_clients: Option<ZoneClients>,
    pub clipboard: Clipboard,
    /// The GUI qube's own Wayland clients.
    pub native: Native,
    pub input: InputState,
    pub keys: KeyResolver,
    pub redraw: RedrawSchedule,
    /// What the last frames redrew, for `airgui msg frames`.
    pub frames: FrameLog,
    /// The RDP server, when `[rdp]` is configured.
    pub rdp: Option<RdpServerHandle>,
    /// Reused for every read from a qube.
    pub read_buffer: Vec<u8>,
    /// Whether `airgui msg` may inject input (`--test-input`).
    pub test_input: bool,
    /// Stops the event loop (set once it runs).
    pub loop_signal: Option<LoopSignal>,
    /// Qubes to disconnect once the current event is handled, with the reason.
    doomed: Vec<(usize, String)>,
    started: Instant,
}

impl std::fmt::Debug for Airgui {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Airgui")
            .field("zone", &self.config.zone.name)
            .field("qubes", &self.qubes.len())
            .finish_non_exhaustive()
    }
}

/// Frames are drawn only when something changed, about once per refresh interval.
///
/// The pacing is the generic cell rate algorithm with one frame of slack: a frame may come up to
/// one interval early, as long as the frames before it left room. Without the slack, a qube or
/// zone drawing at the refresh rate locks to whatever phase airgui's frames happen to have, and
/// its damage waits up to an interval at every frame; with it, damage is drawn as it arrives.
/// Each frame takes [`CATCH_UP`] less than an interval from the budget, so that slack spent (a
/// window mapped between two frames of an animation) comes back within a second even when the
/// damage comes at exactly the refresh rate.
#[derive(Debug)]
pub struct RedrawSchedule {
    /// The timer of the queued frame.
    queued: Option<RegistrationToken>,
    /// When the next frame would be due if every frame so far had come exactly one interval
    /// after the one before (or now, if that is later).
    due: Option<Instant>,
    interval: Duration,
}

/// The part of an interval each frame leaves in the budget: frames come at most this much faster
/// than the refresh rate on average.
const CATCH_UP: u32 = 16;

impl RedrawSchedule {
    fn new(interval: Duration) -> Self {
        RedrawSchedule {
            queued: None,
            due: None,
            interval,
        }
    }

    pub fn interval(&self) -> Duration {
        self.interval
    }

    /// Whether a frame is queued.
    pub fn is_queued(&self) -> bool {
        self.queued.is_some()
    }

    /// How long a frame wanted at `now` waits.
    fn delay(&self, now: Instant) -> Duration {
        self.due
            .and_then(|due| due.checked_sub(self.interval))
            .map_or(Duration::ZERO, |earliest| {
                earliest.saturating_duration_since(now)
            })
    }

    /// A frame is drawn at `now`.
    fn drawn(&mut self, now: Instant) {
        let due = self.due.map_or(now, |due| due.max(now));
        self.due = Some(due + self.interval - self.interval / CATCH_UP);
    }
}

/// The damage of the most recent frames.
#[derive(Debug, Default)]
pub struct FrameLog {
    pub count: u64,
    /// (frame number, damage, when rendering finished in CLOCK_MONOTONIC microseconds). The
    /// clock is system-wide, so `make bench` compares it with a demo agent's `damage_sent`.
    pub recent: VecDeque<(u64, Vec<Rect>, u64)>,
}

impl FrameLog {
    const KEPT: usize = 64;

    pub fn record(&mut self, damage: Vec<Rect>) {
        self.count += 1;
        if self.recent.len() == Self::KEPT {
            self.recent.pop_front();
        }
        self.recent.push_back((self.count, damage, monotonic_us()));
    }
}

/// CLOCK_MONOTONIC in microseconds (`Instant` cannot be compared across processes).
fn monotonic_us() -> u64 {
    let now = rustix::time::clock_gettime(rustix::time::ClockId::Monotonic);
    (now.tv_sec as u64) * 1_000_000 + (now.tv_nsec as u64) / 1_000
}

impl State {
    pub fn new(
        config: Config,
        backend: Backend,
        native: Native,
        display: &DisplayHandle,
        handle: LoopHandle<'static, State>,
        test_input: bool,
    ) -> anyhow::Result<State> {
        let mut seat_state = SeatState::new();
        // A wl_seat global: the GUI qube's own clients get keys and pointer events through it
        // while one of their surfaces has the focus, and only then.
        let mut seat = seat_state.new_wl_seat(display, "seat0");
        let keyboard = &config.keyboard;
        add_keyboard(&mut seat, keyboard)?;
        seat.add_pointer();
        let keys = KeyResolver::new(keyboard)?;
        let metrics = Metrics {
            border: config.decorations.border_width,
            title: config.decorations.title_height,
        };
        // A zone frame's border holds two bands of the window border with a line between.
        let zone_metrics = Metrics {
            border: 2 * metrics.border + ZONE_GAP,
            title: metrics.title,
        };
        let output = (config.output.width, config.output.height);
        let interval = Duration::from_secs(1) / config.output.refresh_hz.max(1);
        Ok(State {
            backend,
            airgui: Airgui {
                qubes: qubes::from_config(&config),
                shell: Shell::new(output, metrics, zone_metrics),
                zones: Vec::new(),
                zone_clients: None,
                config,
                handle,
                seat_state,
                seat,
                clipboard: Clipboard::default(),
                native,
                input: InputState::default(),
                keys,
                redraw: RedrawSchedule::new(interval),
                frames: FrameLog::default(),
                rdp: None,
                read_buffer: Vec::new(),
                test_input,
                loop_signal: None,
                doomed: Vec::new(),
                started: Instant::now(),
            },
        })
    }

    /// Queues a message for a qube's agent; a qube that no longer reads is cut off afterwards.
    pub fn send(&mut self, qube: usize, window: Option<WindowId>, message: &Message) {
        let Some(target) = self.airgui.qubes.get_mut(qube) else {
            return;
        };
        if let Err(reason) = target.send(window, message) {
            self.airgui.doomed.push((qube, reason));
        }
    }

    /// Sends FOCUS in or CROSSING enter, preceded by the keys held (as KEYMAP_NOTIFY's bitmap).
    pub fn enter(&mut self, key: WindowKey, message: &Message, keys: [u8; 32]) {
        let Some(target) = self.airgui.qubes.get_mut(key.qube) else {
            return;
        };
        if let Err(reason) = target.enter(key.window, message, keys) {
            self.airgui.doomed.push((key.qube, reason));
        }
    }
}

impl Airgui {
    /// A frame is being drawn now: a queued one is no longer due.
    pub fn frame_started(&mut self) {
        if let Some(timer) = self.redraw.queued.take() {
            self.handle.remove(timer);
        }
        self.redraw.drawn(Instant::now());
    }

    /// The qubes that broke a rule since the last call, with the reason: to be cut off.
    pub fn take_doomed(&mut self) -> Vec<(usize, String)> {
        std::mem::take(&mut self.doomed)
    }

    /// Something visible changed: draw at the next frame time, unless a frame is already queued.
    pub fn queue_redraw(&mut self) {
        if self.redraw.queued.is_some() {
            return;
        }
        let timer = Timer::from_duration(self.redraw.delay(Instant::now()));
        let inserted = self.handle.insert_source(timer, |_, _, state| {
            // Returning Drop removes the timer: forget its token before rendering.
            state.airgui.redraw.queued = None;
            state.render();
            TimeoutAction::Drop
        });
        match inserted {
            Ok(token) => self.redraw.queued = Some(token),
            Err(error) => warn!(%error, "cannot schedule a frame"),
        }
    }

    /// Ends the event loop: airgui exits (the nested window was closed, the session ended).
    #[cfg(any(feature = "winit", feature = "udev"))]
    pub fn stop(&self) {
        if let Some(signal) = &self.loop_signal {
            signal.stop();
        }
    }

    /// The colour of the GUI qube's own windows (`native.label`; always a known label once the
    /// config is valid).
    pub fn native_colour(&self) -> crate::config::Rgb {
        self.config
            .label_colour(&self.config.native.label)
            .unwrap_or(crate::config::Rgb {
                r: 0x9a,
                g: 0x99,
                b: 0x96,
            })
    }

    /// When airgui started: the clock of input event and frame callback times.
    pub fn started(&self) -> Instant {
        self.started
    }

    /// Milliseconds since start, for input event times.
    pub fn now_ms(&self) -> u32 {
        self.started.elapsed().as_millis() as u32
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_frame_log_keeps_the_latest_frames_with_monotonic_times() {
        let mut log = FrameLog::default();
        let before = monotonic_us();
        for _ in 0..FrameLog::KEPT + 3 {
            log.record(Vec::new());
        }
        assert_eq!(log.count, FrameLog::KEPT as u64 + 3);
        assert_eq!(log.recent.len(), FrameLog::KEPT);
        assert_eq!(log.recent.front().map(|f| f.0), Some(4));
        let times: Vec<u64> = log.recent.iter().map(|f| f.2).collect();
        assert!(times.windows(2).all(|pair| pair[0] <= pair[1]));
        assert!(times.iter().all(|&t| t >= before && t <= monotonic_us()));
    }

    const INTERVAL: Duration = Duration::from_micros(16_667);

    #[test]
    fn damage_at_the_refresh_rate_is_drawn_as_it_arrives_whatever_the_phase() {
        let mut redraw = RedrawSchedule::new(INTERVAL);
        let start = Instant::now();
        redraw.drawn(start);
        // A zone's frames come at the refresh rate, 5 ms after airgui's own frames would be due.
        for n in 1..=100u32 {
            let arrives = start + INTERVAL * n + Duration::from_millis(5);
            assert_eq!(redraw.delay(arrives), Duration::ZERO, "frame {n}");
            redraw.drawn(arrives);
        }
    }

    #[test]
    fn frames_never_come_faster_than_the_refresh_rate() {
        let mut redraw = RedrawSchedule::new(INTERVAL);
        let start = Instant::now();
        let mut now = start;
        let mut drawn = Vec::new();
        // Something wants a frame every millisecond for a second.
        for _ in 0..1000 {
            if redraw.delay(now).is_zero() {
                redraw.drawn(now);
                drawn.push(now);
            }
            now += Duration::from_millis(1);
        }
        // Frame n comes no earlier than n (slightly short) intervals after the first, less the
        // one interval of slack.
        let step = INTERVAL - INTERVAL / CATCH_UP;
        for (n, at) in (0u32..).zip(&drawn) {
            assert!(*at + INTERVAL >= start + step * n, "frame {n}");
        }
        assert!((60..=66).contains(&drawn.len()), "{} frames", drawn.len());
    }

    #[test]
    fn slack_spent_on_a_burst_comes_back_under_damage_at_the_refresh_rate() {
        let mut redraw = RedrawSchedule::new(INTERVAL);
        let start = Instant::now();
        // Two frames at once: a third would wait for the second's slot.
        redraw.drawn(start);
        redraw.drawn(start);
        assert!(redraw.delay(start) > INTERVAL / 2);
        // Damage at the refresh rate, each arriving just after a frame would be due: it waits at
        // first, then less and less, then not at all.
        let mut now = start;
        let mut waits = Vec::new();
        for _ in 0..60 {
            now += INTERVAL;
            let wait = redraw.delay(now);
            waits.push(wait);
            now += wait;
            redraw.drawn(now);
        }
        assert!(waits.windows(2).all(|pair| pair[1] <= pair[0]), "{waits:?}");
        assert!(
            waits.iter().skip(20).all(|wait| wait.is_zero()),
            "{waits:?}"
        );
    }

    #[test]
    fn after_a_pause_the_next_frame_is_drawn_at_once() {
        let mut redraw = RedrawSchedule::new(INTERVAL);
        let start = Instant::now();
        redraw.drawn(start);
        redraw.drawn(start);
        let later = start + Duration::from_secs(2);
        assert_eq!(redraw.delay(later), Duration::ZERO);
        assert_eq!(redraw.delay(later + INTERVAL), Duration::ZERO);
    }
}
