//! When to try a zone again: 0.5 s after the first failure, doubling to 10 s, forever. A zone
//! that comes back is found within 10 s, and a zone that stays down costs one attempt per 10 s.

use std::time::Duration;

/// The wait after the first failure.
pub const FIRST_RETRY: Duration = Duration::from_millis(500);
/// The wait never grows beyond this.
pub const MAX_RETRY: Duration = Duration::from_secs(10);

/// The retry schedule of one zone link.
#[derive(Clone, Debug)]
pub(crate) struct Backoff {
    next: Duration,
}

impl Default for Backoff {
    fn default() -> Self {
        Self { next: FIRST_RETRY }
    }
}

impl Backoff {
    /// The wait before the next attempt; the one after it is twice as long, up to the maximum.
    pub(crate) fn next_delay(&mut self) -> Duration {
        let delay = self.next;
        self.next = self.next.saturating_mul(2).min(MAX_RETRY);
        delay
    }

    /// A session was established: the next failure starts the schedule again.
    pub(crate) fn reset(&mut self) {
        self.next = FIRST_RETRY;
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn doubles_to_ten_seconds_and_resets() {
        let mut b = Backoff::default();
        let delays: Vec<u128> = (0..8).map(|_| b.next_delay().as_millis()).collect();
        assert_eq!(
            delays,
            [500, 1000, 2000, 4000, 8000, 10_000, 10_000, 10_000]
        );
        b.reset();
        assert_eq!(b.next_delay(), FIRST_RETRY);
    }
}
