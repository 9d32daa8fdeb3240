//! The server's side of the display: the connected client's [`Updates`] stream takes what the
//! compositor left in [`Shared`] (one framebuffer, one merged damage set) when the server is
//! ready to write. Nothing is queued per frame, so a slow client only makes updates bigger.

use std::collections::VecDeque;
use std::net::SocketAddr;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use ironrdp_displaycontrol::pdu::DisplayControlMonitorLayout;
use ironrdp_server::{DesktopSize, DisplayUpdate, RdpServerDisplay, RdpServerDisplayUpdates};
use tokio::sync::watch;
use tracing::{debug, info};

use super::cursor::cursor_update;
use super::damage::Damage;
use super::framebuffer::{bitmap_update, Shared};
use super::session::{refuse_busy, Activation, SessionState, BUSY_GRACE};
use super::{EventSink, ServerEvent, SizeBounds};
use crate::frame::Rect;
use crate::read_budget::BudgetLift;

/// While the client has asked for no output, the stream looks at the flag this often (the server
/// clears it without telling anyone).
const SUPPRESSED_POLL: Duration = Duration::from_millis(200);

/// How far one connection's login got; its display handler sees the session start.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum LoginState {
    Pending,
    LoggedIn,
    /// It reached its session while another client was logged in, and was refused.
    Refused,
}

/// The connection a [`Display`] serves, and what it tells when that connection logs in.
pub(crate) struct ConnectionLogin {
    pub(crate) id: u64,
    pub(crate) peer: SocketAddr,
    pub(crate) state: watch::Sender<LoginState>,
    /// The limit on what the client may send before logging in, lifted once it has.
    pub(crate) budget: BudgetLift,
}

/// ironrdp-server's display handler, one per connection: asked for a fresh [`Updates`] stream
/// on every activation (the login, and again after every resize).
pub(crate) struct Display {
    pub(crate) shared: Arc<Shared>,
    pub(crate) suppressed: Arc<AtomicBool>,
    pub(crate) events: EventSink,
    pub(crate) bounds: SizeBounds,
    pub(crate) session: Arc<SessionState>,
    pub(crate) connection: ConnectionLogin,
    /// The desktop size this connection was told about, which can lag behind the framebuffer's
    /// while a resize is on its way. The acceptor, the encoder and the update stream must all
    /// use this one, or updates land outside the client's desktop.
    pub(crate) negotiated: Arc<Mutex<Option<(u16, u16)>>>,
}

impl Display {
    /// The negotiated size: fixed at the first query, then changed only by the resizes the
    /// update stream announces.
    fn negotiated_size(&self) -> (u16, u16) {
        let live = self.shared.size();
        *lock(&self.negotiated).get_or_insert(live)
    }
}

fn lock<T>(mutex: &Mutex<T>) -> std::sync::MutexGuard<'_, T> {
    mutex
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}

#[async_trait::async_trait]
impl RdpServerDisplay for Display {
    async fn size(&mut self) -> DesktopSize {
        let (width, height) = self.negotiated_size();
        DesktopSize { width, height }
    }

    async fn updates(&mut self) -> anyhow::Result<Box<dyn RdpServerDisplayUpdates>> {
        let ConnectionLogin {
            id,
            peer,
            state,
            budget,
        } = &self.connection;
        match (self.session).activate_within(*id, *peer, BUSY_GRACE).await {
            Activation::Busy(client) => {
                refuse_busy(*peer, client);
                state.send_replace(LoginState::Refused);
                anyhow::bail!("another client is logged in");
            }
            Activation::First => {
                budget.lift();
                state.send_replace(LoginState::LoggedIn);
                info!(%peer, "RDP client logged in");
                self.events
                    .emit(ServerEvent::ClientConnected { peer: *peer });
            }
            Activation::Again => {}
        }
        // The server made a fresh encoder with no cached framebuffer: the client needs
        // everything, and its pointer shape, again.
        let client_size = self.negotiated_size();
        {
            let mut state = self.shared.lock();
            state.pending.mark_full();
            state.cursor_dirty = true;
        }
        Ok(Box::new(Updates {
            shared: Arc::clone(&self.shared),
            suppressed: Arc::clone(&self.suppressed),
            negotiated: Arc::clone(&self.negotiated),
            client_size,
            queue: VecDeque::new(),
            first_sent: false,
        }))
    }

    fn request_layout(&mut self, layout: DisplayControlMonitorLayout) {
        let monitors = layout.monitors();
        let Some(monitor) = monitors
            .iter()
            .find(|m| m.is_primary())
            .or_else(|| monitors.first())
        else {
            return;
        };
        let (want_w, want_h) = monitor.dimensions();
        let (width, height) = self.bounds.clamp(want_w, want_h);
        if monitors.len() > 1 {
            debug!(
                count = monitors.len(),
                "client has several monitors; airgui serves one"
            );
        }
        if (width, height) == self.shared.size() {
            return;
        }
        info!(
            requested = ?(want_w, want_h),
            granted = ?(width, height),
            "RDP client asks for a new desktop size"
        );
        self.events
            .emit(ServerEvent::ResizeRequest { width, height });
    }
}

/// The update stream of one activation. Cancellation-safe: the only await is on the
/// notification, and whatever was taken from the shared state sits in `queue` until returned.
pub(crate) struct Updates {
    shared: Arc<Shared>,
    suppressed: Arc<AtomicBool>,
    /// The connection's negotiated size, updated when a resize is announced.
    negotiated: Arc<Mutex<Option<(u16, u16)>>>,
    /// The desktop size this activation was negotiated at.
    client_size: (u16, u16),
    queue: VecDeque<DisplayUpdate>,
    /// Suppress-output is ignored until the first frame went out: mstsc sends it during its
    /// handshake and would otherwise stay blank (see `RdpServer::display_suppressed_handle`).
    first_sent: bool,
}

impl Updates {
    /// Moves whatever is pending into `queue`; returns false when the stream must end.
    fn collect(&mut self) -> bool {
        let mut state = self.shared.lock();
        if state.shutdown {
            return false;
        }
        let size = (state.width, state.height);
        if size != self.client_size {
            // The output changed size: the server deactivates and reactivates the client at the
            // new size, then asks for a new stream, which starts with a full frame.
            self.client_size = size;
            *lock(&self.negotiated) = Some(size);
            self.queue.push_back(DisplayUpdate::Resize(DesktopSize {
                width: size.0,
                height: size.1,
            }));
            return true;
        }
        if self.first_sent && self.suppressed.load(Ordering::Relaxed) {
            return true;
        }
        if std::mem::take(&mut state.cursor_dirty) {
            self.queue.push_back(cursor_update(&state.cursor));
        }
        let rects = match state.pending.take() {
            None => Vec::new(),
            Some(Damage::Full) => vec![Rect::new(
                0,
                0,
                u32::from(state.width),
                u32::from(state.height),
            )],
            Some(Damage::Rects(rects)) => rects,
        };
        for rect in rects {
            if let Some(update) = bitmap_update(&state, rect) {
                self.queue.push_back(update);
                self.first_sent = true;
            }
        }
        true
    }
}

#[async_trait::async_trait]
impl RdpServerDisplayUpdates for Updates {
    async fn next_update(&mut self) -> anyhow::Result<Option<DisplayUpdate>> {
        loop {
            if let Some(update) = self.queue.pop_front() {
                return Ok(Some(update));
            }
            if !self.collect() {
                return Ok(None);
            }
            if !self.queue.is_empty() {
                continue;
            }
            if self.first_sent && self.suppressed.load(Ordering::Relaxed) {
                let _ = tokio::time::timeout(SUPPRESSED_POLL, self.shared.notify.notified()).await;
            } else {
                self.shared.notify.notified().await;
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::expect_used, clippy::indexing_slicing)]
mod tests {
    use super::*;
    use crate::frame::FrameRef;
    use ironrdp_server::PixelFormat;

    fn solid(width: u16, height: u16, stride: usize, bgrx: [u8; 4]) -> Vec<u8> {
        let mut pixels = vec![0u8; stride * usize::from(height)];
        for row in pixels.chunks_exact_mut(stride) {
            for px in row[..usize::from(width) * 4].chunks_exact_mut(4) {
                px.copy_from_slice(&bgrx);
            }
        }
        pixels
    }

    fn take_all(shared: &Arc<Shared>, updates: &mut Updates) -> Vec<DisplayUpdate> {
        let _ = shared;
        assert!(updates.collect());
        updates.queue.drain(..).collect()
    }

    fn updates_for(shared: &Arc<Shared>) -> Updates {
        let mut state = shared.lock();
        state.pending.mark_full();
        let size = (state.width, state.height);
        drop(state);
        Updates {
            shared: Arc::clone(shared),
            suppressed: Arc::new(AtomicBool::new(false)),
            negotiated: Arc::default(),
            client_size: size,
            queue: VecDeque::new(),
            first_sent: false,
        }
    }

    fn rects(updates: &[DisplayUpdate]) -> Vec<(u16, u16, u16, u16)> {
        updates
            .iter()
            .filter_map(|u| match u {
                DisplayUpdate::Bitmap(b) => Some((b.x, b.y, b.width.get(), b.height.get())),
                _ => None,
            })
            .collect()
    }

    #[test]
    fn new_stream_starts_with_cursor_and_full_frame() {
        let shared = Arc::new(Shared::new(64, 32));
        let mut updates = updates_for(&shared);
        let got = take_all(&shared, &mut updates);
        assert!(matches!(got[0], DisplayUpdate::DefaultPointer));
        assert_eq!(rects(&got), vec![(0, 0, 64, 32)]);
        assert!(take_all(&shared, &mut updates).is_empty());
    }

    #[test]
    fn damage_is_copied_aligned_and_merged() {
        let shared = Arc::new(Shared::new(64, 32));
        let mut updates = updates_for(&shared);
        take_all(&shared, &mut updates);
        let stride = 64 * 4 + 16;
        let pixels = solid(64, 32, stride, [1, 2, 3, 0]);
        // Three submissions before the client is ready: one pending set.
        for damage in [
            Rect::new(5, 5, 3, 3),
            Rect::new(6, 6, 4, 4),
            Rect::new(40, 20, 2, 2),
        ] {
            shared
                .submit(FrameRef {
                    width: 64,
                    height: 32,
                    stride,
                    pixels: &pixels,
                    damage: &[damage],
                })
                .unwrap();
        }
        let got = take_all(&shared, &mut updates);
        let mut got_rects = rects(&got);
        got_rects.sort_unstable();
        assert_eq!(got_rects, vec![(4, 5, 8, 5), (40, 20, 4, 2)]);
        let DisplayUpdate::Bitmap(b) = &got[0] else {
            panic!("bitmap expected")
        };
        assert_eq!(b.format, PixelFormat::BgrX32);
        // Only damaged pixels were copied: (4,5) was not damaged (x aligned down), (5,5) was.
        assert_eq!(&b.data[0..4], &[0, 0, 0, 0]);
        assert_eq!(&b.data[4..8], &[1, 2, 3, 0]);
    }

    #[test]
    fn new_size_means_resize_then_full_frame() {
        let shared = Arc::new(Shared::new(64, 32));
        let mut updates = updates_for(&shared);
        take_all(&shared, &mut updates);
        let pixels = solid(70, 40, 70 * 4, [9, 9, 9, 0]);
        shared
            .submit(FrameRef {
                width: 70,
                height: 40,
                stride: 70 * 4,
                pixels: &pixels,
                damage: &[],
            })
            .unwrap();
        let got = take_all(&shared, &mut updates);
        assert!(matches!(
            got.as_slice(),
            [DisplayUpdate::Resize(DesktopSize {
                width: 72,
                height: 40
            })]
        ));
        // The server then asks for a new stream.
        let mut updates = updates_for(&shared);
        let got = take_all(&shared, &mut updates);
        assert_eq!(rects(&got), vec![(0, 0, 72, 40)]);
        let DisplayUpdate::Bitmap(b) = got.last().unwrap() else {
            panic!("bitmap expected")
        };
        // The padding column stays black.
        assert_eq!(&b.data[69 * 4..70 * 4], &[9, 9, 9, 0]);
        assert_eq!(&b.data[70 * 4..71 * 4], &[0, 0, 0, 0]);
    }

    fn display_for(
        shared: &Arc<Shared>,
        session: &Arc<SessionState>,
        id: u64,
    ) -> (Display, watch::Receiver<LoginState>) {
        let (state, login) = watch::channel(LoginState::Pending);
        let display = Display {
            shared: Arc::clone(shared),
            suppressed: Arc::new(AtomicBool::new(false)),
            events: EventSink::new(Box::new(|_| {})),
            bounds: SizeBounds {
                min_width: 4,
                min_height: 1,
                max_width: 8000,
                max_height: 8000,
            },
            session: Arc::clone(session),
            connection: ConnectionLogin {
                id,
                peer: SocketAddr::from(([192, 0, 2, 1], 1000 + u16::try_from(id).unwrap())),
                state,
                budget: BudgetLift::default(),
            },
            negotiated: Arc::default(),
        };
        (display, login)
    }

    #[tokio::test]
    async fn a_connection_keeps_its_size_until_a_resize_is_announced() {
        let shared = Arc::new(Shared::new(64, 32));
        let session = Arc::new(SessionState::default());
        let (mut display, _login) = display_for(&shared, &session, 1);
        assert_eq!(
            display.size().await,
            DesktopSize {
                width: 64,
                height: 32
            }
        );
        let pixels = solid(72, 40, 72 * 4, [1, 1, 1, 0]);
        let frame = FrameRef {
            width: 72,
            height: 40,
            stride: 72 * 4,
            pixels: &pixels,
            damage: &[],
        };
        shared.submit(frame).unwrap();
        // The acceptor and the encoder of this connection still see the size it was told about.
        assert_eq!(
            display.size().await,
            DesktopSize {
                width: 64,
                height: 32
            }
        );
        let mut updates = Updates {
            shared: Arc::clone(&shared),
            suppressed: Arc::new(AtomicBool::new(false)),
            negotiated: Arc::clone(&display.negotiated),
            client_size: (64, 32),
            queue: VecDeque::new(),
            first_sent: false,
        };
        let got = take_all(&shared, &mut updates);
        assert!(matches!(
            got.as_slice(),
            [DisplayUpdate::Resize(DesktopSize {
                width: 72,
                height: 40
            })]
        ));
        assert_eq!(
            display.size().await,
            DesktopSize {
                width: 72,
                height: 40
            }
        );
        // A new connection starts from the live size.
        let (mut other, _login) = display_for(&shared, &session, 2);
        assert_eq!(
            other.size().await,
            DesktopSize {
                width: 72,
                height: 40
            }
        );
    }

    #[tokio::test(start_paused = true)]
    async fn a_second_connection_reaching_its_session_is_refused() {
        let shared = Arc::new(Shared::new(64, 32));
        let session = Arc::new(SessionState::default());
        let (mut first, first_login) = display_for(&shared, &session, 1);
        let (mut second, second_login) = display_for(&shared, &session, 2);
        assert!(first.updates().await.is_ok());
        assert_eq!(*first_login.borrow(), LoginState::LoggedIn);
        assert!(second.updates().await.is_err());
        assert_eq!(*second_login.borrow(), LoginState::Refused);
        // The first is reactivated after a resize as before; the second never took over.
        assert!(first.updates().await.is_ok());
        assert_eq!(session.client(), Some(first.connection.peer));
        assert!(!session.input_allowed(2));
        assert!(session.end(1));
        assert!(session.input_allowed(2));
    }

    #[tokio::test(start_paused = true)]
    async fn a_connection_reaching_its_session_as_the_old_one_ends_takes_its_place() {
        let shared = Arc::new(Shared::new(64, 32));
        let session = Arc::new(SessionState::default());
        let (mut first, _) = display_for(&shared, &session, 1);
        let (mut second, second_login) = display_for(&shared, &session, 2);
        assert!(first.updates().await.is_ok());
        // The old connection is found dead a moment after the client logged in again.
        let ending = Arc::clone(&session);
        tokio::spawn(async move {
            tokio::time::sleep(BUSY_GRACE / 2).await;
            assert!(ending.end(1));
        });
        assert!(second.updates().await.is_ok());
        assert_eq!(*second_login.borrow(), LoginState::LoggedIn);
        assert_eq!(session.client(), Some(second.connection.peer));
    }

    #[test]
    fn suppressed_output_waits_after_the_first_frame() {
        let shared = Arc::new(Shared::new(64, 32));
        let mut updates = updates_for(&shared);
        updates.suppressed.store(true, Ordering::Relaxed);
        // The first frame goes out anyway.
        assert_eq!(rects(&take_all(&shared, &mut updates)).len(), 1);
        let pixels = solid(64, 32, 256, [1, 1, 1, 0]);
        let frame = FrameRef {
            width: 64,
            height: 32,
            stride: 256,
            pixels: &pixels,
            damage: &[Rect::new(0, 0, 8, 8)],
        };
        shared.submit(frame).unwrap();
        assert!(take_all(&shared, &mut updates).is_empty());
        updates.suppressed.store(false, Ordering::Relaxed);
        assert_eq!(rects(&take_all(&shared, &mut updates)), vec![(0, 0, 8, 8)]);
    }
}
