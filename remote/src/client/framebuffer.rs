//! A zone's framebuffer, shared between its link task (which decodes into it) and the compositor
//! (which reads the damaged parts), and the flow control between them.
//!
//! The link never queues frames: decoded rectangles are copied into one framebuffer and their
//! damage merged into one [`DamageSet`]. At most one [`ZoneEvent::Frame`] per zone is outstanding:
//! the next one is emitted only after the compositor drops the [`ZoneFrame`] of the previous one,
//! with everything that changed in between. A compositor slower than the link therefore sees
//! fewer, larger updates, and memory stays bounded whatever the slave sends.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard, PoisonError};

use tokio::sync::Notify;

use super::damage::DamageSet;
use super::ZoneEvent;
use crate::frame::Rect;
use crate::server::Cursor;

/// The compositor's callback for [`ZoneEvent`]s; called on the link runtime's threads, so it
/// should only forward (e.g. into a calloop channel).
pub type ZoneEventCallback = Box<dyn Fn(ZoneEvent) + Send>;

/// The callback, shared by all zones' tasks (the mutex serialises them).
#[derive(Clone)]
pub(crate) struct EventSink(Arc<Mutex<ZoneEventCallback>>);

impl EventSink {
    pub(crate) fn new(callback: ZoneEventCallback) -> Self {
        Self(Arc::new(Mutex::new(callback)))
    }

    pub(crate) fn emit(&self, event: ZoneEvent) {
        let callback = self.0.lock().unwrap_or_else(PoisonError::into_inner);
        callback(event);
    }
}

/// The framebuffer and what the consumer has not seen of it.
#[derive(Debug)]
pub(crate) struct FbState {
    width: u16,
    height: u16,
    /// B, G, R, X; `width * 4` bytes per row.
    pixels: Vec<u8>,
    /// Changes whenever `pixels` is replaced (a new session, a server-side resize).
    generation: u64,
    pending: DamageSet,
    /// A pointer shape the consumer has not been given yet.
    cursor: Option<Cursor>,
    /// A [`ZoneFrame`] is out and not dropped yet.
    in_flight: bool,
}

/// One zone's shared state.
pub(crate) struct ZoneShared {
    zone: String,
    state: Mutex<FbState>,
    /// Signalled when a [`ZoneFrame`] is dropped, so the link can send the damage held back.
    released: Notify,
    connected: AtomicBool,
    /// The desktop size the compositor wants the slave to have (its zone frame's size).
    wanted: Mutex<(u16, u16)>,
    /// Signalled when `wanted` changes.
    resize: Notify,
    events: EventSink,
}

impl std::fmt::Debug for ZoneShared {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ZoneShared")
            .field("zone", &self.zone)
            .field("connected", &self.is_connected())
            .finish_non_exhaustive()
    }
}

impl ZoneShared {
    pub(crate) fn new(zone: String, wanted: (u16, u16), events: EventSink) -> Arc<Self> {
        Arc::new(Self {
            zone,
            state: Mutex::new(FbState {
                width: 0,
                height: 0,
                pixels: Vec::new(),
                generation: 0,
                pending: DamageSet::default(),
                cursor: None,
                in_flight: false,
            }),
            released: Notify::new(),
            connected: AtomicBool::new(false),
            wanted: Mutex::new(wanted),
            resize: Notify::new(),
            events,
        })
    }

    pub(crate) fn zone(&self) -> &str {
        &self.zone
    }

    fn lock(&self) -> MutexGuard<'_, FbState> {
        self.state.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn emit(&self, event: ZoneEvent) {
        self.events.emit(event);
    }

    pub(crate) fn is_connected(&self) -> bool {
        self.connected.load(Ordering::SeqCst)
    }

    pub(crate) fn set_connected(&self, connected: bool) {
        self.connected.store(connected, Ordering::SeqCst);
    }

    /// The size to ask for at the next connection, and by display control during a session.
    pub(crate) fn wanted_size(&self) -> (u16, u16) {
        *self.wanted.lock().unwrap_or_else(PoisonError::into_inner)
    }

    pub(crate) fn want_size(&self, width: u16, height: u16) {
        *self.wanted.lock().unwrap_or_else(PoisonError::into_inner) = (width, height);
        self.resize.notify_one();
    }

    /// Resolves once [`Self::want_size`] was called since the last call.
    pub(crate) async fn resize_wanted(&self) {
        self.resize.notified().await;
    }

    /// Replaces the framebuffer by a black one of the new size (a new session, or the server
    /// reactivated the session at a new size). Damage held back for the old one is dropped.
    pub(crate) fn reset(&self, width: u16, height: u16) {
        let mut state = self.lock();
        state.width = width;
        state.height = height;
        state.pixels = vec![0; usize::from(width) * usize::from(height) * 4];
        state.generation = state.generation.wrapping_add(1);
        state.pending.clear();
    }

    /// Copies `rect` of a decoded image (4 bytes per pixel, `src_stride` bytes per row, the same
    /// size as the framebuffer) and records it as damage.
    pub(crate) fn update(&self, src: &[u8], src_stride: usize, rect: Rect) {
        let mut state = self.lock();
        let (width, height) = (state.width, state.height);
        let Some(rect) = rect.clip_to(u32::from(width), u32::from(height)) else {
            return;
        };
        let Some([x, y, w, h]) = rect.to_usize() else {
            return;
        };
        let stride = usize::from(width) * 4;
        let (x, len) = (x * 4, w * 4);
        for row in y..y + h {
            let from = src.get(row * src_stride + x..row * src_stride + x + len);
            let to = state
                .pixels
                .get_mut(row * stride + x..row * stride + x + len);
            if let (Some(from), Some(to)) = (from, to) {
                to.copy_from_slice(from);
            }
        }
        state.pending.add(rect, width, height);
    }

    /// Records a new pointer shape for the next [`ZoneEvent::Frame`].
    pub(crate) fn set_cursor(&self, cursor: Cursor) {
        self.lock().cursor = Some(cursor);
    }

    /// Emits a [`ZoneEvent::Frame`] with everything pending, unless one is still out (then its
    /// drop calls for the next) or nothing changed.
    pub(crate) fn flush(self: &Arc<Self>) {
        let event = {
            let mut state = self.lock();
            if state.in_flight || (state.pending.is_empty() && state.cursor.is_none()) {
                return;
            }
            state.in_flight = true;
            ZoneEvent::Frame {
                zone: self.zone.clone(),
                width: state.width,
                height: state.height,
                damage: state.pending.take(),
                cursor: state.cursor.take(),
                frame: ZoneFrame {
                    shared: Arc::clone(self),
                    generation: state.generation,
                },
            }
        };
        // Outside the lock: the callback may read the frame right away.
        self.emit(event);
    }

    /// Resolves once a [`ZoneFrame`] was dropped since the last call.
    pub(crate) async fn released(&self) {
        self.released.notified().await;
    }

    #[cfg(test)]
    pub(crate) fn pending_rects(&self) -> usize {
        self.lock().pending.len()
    }
}

/// The framebuffer a [`ZoneEvent::Frame`] refers to. Dropping it tells the link that the
/// compositor has taken the damage, so the next `Frame` (with whatever changed meanwhile) can be
/// sent: keep it only as long as the copy takes.
pub struct ZoneFrame {
    shared: Arc<ZoneShared>,
    generation: u64,
}

impl std::fmt::Debug for ZoneFrame {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ZoneFrame")
            .field("zone", &self.shared.zone)
            .field("generation", &self.generation)
            .finish()
    }
}

impl ZoneFrame {
    /// Locks the zone's framebuffer for reading (the link waits meanwhile: copy and let go).
    /// `None` when the framebuffer was replaced since this frame was sent (the session was
    /// re-established or resized): a `Connected` or `Resized` event and a new frame follow.
    pub fn lock(&self) -> Option<FrameGuard<'_>> {
        let state = self.shared.lock();
        (state.generation == self.generation).then_some(FrameGuard { state })
    }
}

impl Drop for ZoneFrame {
    fn drop(&mut self) {
        self.shared.lock().in_flight = false;
        // Stores a permit when the link is busy, so the wake-up is not lost.
        self.shared.released.notify_one();
    }
}

/// Read access to a zone framebuffer: B, G, R, X bytes (X undefined), `stride` bytes per row.
pub struct FrameGuard<'a> {
    state: MutexGuard<'a, FbState>,
}

impl std::fmt::Debug for FrameGuard<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("FrameGuard")
            .field("width", &self.state.width)
            .field("height", &self.state.height)
            .finish_non_exhaustive()
    }
}

impl FrameGuard<'_> {
    pub fn width(&self) -> u16 {
        self.state.width
    }

    pub fn height(&self) -> u16 {
        self.state.height
    }

    /// Bytes per row: always `width * 4`.
    pub fn stride(&self) -> usize {
        usize::from(self.state.width) * 4
    }

    /// The whole framebuffer.
    pub fn pixels(&self) -> &[u8] {
        &self.state.pixels
    }

    /// A copy of `rect` (clamped to the framebuffer), rows packed at `rect.width * 4` bytes;
    /// `None` when nothing of it is inside.
    pub fn rect_pixels(&self, rect: Rect) -> Option<(Rect, Vec<u8>)> {
        let rect = rect.clip_to(u32::from(self.state.width), u32::from(self.state.height))?;
        let [x, y, w, h] = rect.to_usize()?;
        let stride = self.stride();
        let (x, len) = (x * 4, w * 4);
        let mut out = Vec::with_capacity(len * h);
        for row in y..y + h {
            out.extend_from_slice(
                self.state
                    .pixels
                    .get(row * stride + x..row * stride + x + len)?,
            );
        }
        Some((rect, out))
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
mod tests {
    use std::sync::mpsc;

    use super::*;

    fn shared() -> (Arc<ZoneShared>, mpsc::Receiver<ZoneEvent>) {
        let (tx, rx) = mpsc::channel();
        let sink = EventSink::new(Box::new(move |event| {
            let _ = tx.send(event);
        }));
        (ZoneShared::new("cloud".to_owned(), (640, 480), sink), rx)
    }

    fn frame(event: ZoneEvent) -> (Vec<Rect>, ZoneFrame) {
        match event {
            ZoneEvent::Frame { damage, frame, .. } => (damage, frame),
            other => panic!("{other:?}"),
        }
    }

    /// A compositor that holds its frame while the link decodes 1000 updates gets one event
    /// afterwards, with all of it merged; nothing queues meanwhile.
    #[test]
    fn a_slow_consumer_gets_merged_damage_and_one_event_at_a_time() {
        let (shared, events) = shared();
        shared.reset(640, 480);
        let image = vec![0x5Au8; 640 * 480 * 4];
        shared.update(&image, 640 * 4, Rect::new(0, 0, 8, 8));
        shared.flush();
        let (damage, first) = frame(events.try_recv().unwrap());
        assert_eq!(damage, vec![Rect::new(0, 0, 8, 8)]);

        let mut all = Vec::new();
        for i in 0..1000i32 {
            let rect = Rect::new((i % 40) * 16, (i / 40) * 16, 8, 8);
            all.push(rect);
            shared.update(&image, 640 * 4, rect);
            shared.flush();
            assert!(shared.pending_rects() <= super::super::damage::MAX_RECTS);
        }
        assert!(
            events.try_recv().is_err(),
            "nothing queued while one is out"
        );

        drop(first);
        shared.flush();
        let (damage, second) = frame(events.try_recv().unwrap());
        assert!(events.try_recv().is_err(), "exactly one event");
        assert!(damage.len() <= super::super::damage::MAX_RECTS);
        for rect in &all {
            assert!(damage.iter().any(|d| d.contains(rect)), "{rect:?} lost");
        }
        let guard = second.lock().unwrap();
        let (rect, pixels) = guard.rect_pixels(all[999]).unwrap();
        assert_eq!(rect, all[999]);
        assert!(pixels.iter().all(|b| *b == 0x5A));
        drop(guard);
        drop(second);
        shared.flush();
        assert!(events.try_recv().is_err(), "nothing new, no event");
    }

    #[test]
    fn a_frame_of_a_replaced_framebuffer_does_not_lock() {
        let (shared, events) = shared();
        shared.reset(64, 64);
        let image = vec![1u8; 64 * 64 * 4];
        shared.update(&image, 64 * 4, Rect::new(0, 0, 64, 64));
        shared.flush();
        let (_, old) = frame(events.try_recv().unwrap());
        shared.reset(128, 32);
        assert!(old.lock().is_none());
        shared.set_cursor(Cursor::Hidden);
        drop(old);
        shared.flush();
        match events.try_recv().unwrap() {
            ZoneEvent::Frame {
                width,
                height,
                damage,
                cursor,
                frame,
                ..
            } => {
                assert_eq!((width, height), (128, 32));
                assert!(damage.is_empty(), "the old damage is gone");
                assert_eq!(cursor, Some(Cursor::Hidden));
                let guard = frame.lock().unwrap();
                assert_eq!(guard.pixels().len(), 128 * 32 * 4);
                assert!(guard.pixels().iter().all(|b| *b == 0));
            }
            other => panic!("{other:?}"),
        }
    }
}
