//! When each WINDOW_DUMP_ACK is due (protocol 1.7 and later).
//!
//! The ack of a window's dump tells the agent that the daemon let go of the image that dump
//! replaced: the agent then reuses those pages. So, as the reference daemon releases the old
//! mapping before it acks, the ack here waits until every holder of the older images (the
//! compositor's window, a texture reading them in place) has dropped them. Acks leave in dump
//! order: the agent frees, for each ack, the pages of the oldest dump not yet acknowledged.

use std::collections::{HashMap, VecDeque};
use std::sync::{Arc, Weak};

use crate::pool::PoolView;
use crate::types::WindowId;

/// Per window, the images handed out whose successors' acks are not sent yet, oldest first.
#[derive(Debug, Default)]
pub(super) struct DumpAcks {
    windows: HashMap<WindowId, VecDeque<Held>>,
}

#[derive(Debug)]
struct Held {
    image: Weak<PoolView>,
    /// Acks due once this image and every older one are released.
    acks_waiting: u32,
}

impl DumpAcks {
    /// A dump of `window` became `image`. Returns how many acks are due now: this dump's when
    /// nothing older is still held, and those of earlier dumps whose images went meanwhile.
    pub(super) fn dumped(&mut self, window: WindowId, image: &Arc<PoolView>) -> u32 {
        let held = self.windows.entry(window).or_default();
        let mut due = settle(held);
        match held.back_mut() {
            Some(newest) => newest.acks_waiting += 1,
            None => due += 1,
        }
        held.push_back(Held {
            image: Arc::downgrade(image),
            acks_waiting: 0,
        });
        due
    }

    /// The acks due because images were released since the last call, per window.
    pub(super) fn released(&mut self) -> Vec<(WindowId, u32)> {
        let mut due = Vec::new();
        self.windows.retain(|window, held| {
            let count = settle(held);
            if count > 0 {
                due.push((*window, count));
            }
            !held.is_empty()
        });
        due
    }

    /// The window is gone: its agent expects no more acks for it.
    pub(super) fn forget(&mut self, window: WindowId) {
        self.windows.remove(&window);
    }
}

/// Drops the released images: those at the front free their acks (returned), those behind a
/// held one pass their acks to the one before them, which keeps the queue as short as the
/// images still held.
fn settle(held: &mut VecDeque<Held>) -> u32 {
    let mut due = 0;
    while held
        .front()
        .is_some_and(|oldest| oldest.image.strong_count() == 0)
    {
        due += held.pop_front().map_or(0, |oldest| oldest.acks_waiting);
    }
    let mut kept: VecDeque<Held> = VecDeque::with_capacity(held.len());
    for entry in held.drain(..) {
        match kept.back_mut() {
            Some(previous) if entry.image.strong_count() == 0 => {
                previous.acks_waiting += entry.acks_waiting
            }
            _ => kept.push_back(entry),
        }
    }
    *held = kept;
    due
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pool::{GrantPool, PoolAllocator, DEFAULT_MAX_POOL_BYTES};
    use crate::sanitize::DumpLayout;

    fn views(count: usize) -> Vec<Arc<PoolView>> {
        let agent = PoolAllocator::new(1, 1).unwrap();
        let fd = agent.fd().try_clone_to_owned().unwrap();
        let pool = GrantPool::from_fd(fd, DEFAULT_MAX_POOL_BYTES).unwrap();
        let layout = DumpLayout {
            width: 1,
            height: 1,
            refs: vec![0],
        };
        (0..count)
            .map(|_| pool.map(&layout).unwrap().view)
            .collect()
    }

    fn window() -> WindowId {
        WindowId::new(7).unwrap()
    }

    #[test]
    fn a_dump_is_acked_once_the_image_it_replaces_is_released() {
        let mut acks = DumpAcks::default();
        let mut images = views(2).into_iter();
        let first = images.next().unwrap();
        assert_eq!(acks.dumped(window(), &first), 1, "it replaced nothing");
        let second = images.next().unwrap();
        assert_eq!(acks.dumped(window(), &second), 0, "the first is still held");
        assert!(acks.released().is_empty());
        drop(first);
        assert_eq!(acks.released(), vec![(window(), 1)]);
        assert!(acks.released().is_empty(), "each ack once");
    }

    /// An image kept by a texture while a newer one already went: no ack may pass the held one.
    #[test]
    fn acks_wait_for_every_older_image_in_order() {
        let mut acks = DumpAcks::default();
        let [a, b, c, d]: [Arc<PoolView>; 4] = views(4).try_into().unwrap();
        assert_eq!(acks.dumped(window(), &a), 1);
        assert_eq!(acks.dumped(window(), &b), 0);
        drop(b);
        assert_eq!(acks.dumped(window(), &c), 0, "a still held");
        drop(c);
        assert_eq!(acks.dumped(window(), &d), 0, "a still held");
        assert!(acks.released().is_empty());
        drop(a);
        assert_eq!(
            acks.released(),
            vec![(window(), 3)],
            "the acks of b, c and d"
        );
        drop(d);
        assert!(acks.released().is_empty());
        assert_eq!(acks.dumped(window(), &views(1)[0]), 1);
    }

    #[test]
    fn the_queue_stays_as_short_as_the_images_held() {
        let mut acks = DumpAcks::default();
        let kept = views(1).remove(0);
        acks.dumped(window(), &kept);
        for image in views(1000) {
            acks.dumped(window(), &image);
        }
        assert!(acks.windows[&window()].len() <= 2);
        drop(kept);
        assert_eq!(acks.released(), vec![(window(), 1000)]);
    }
}
