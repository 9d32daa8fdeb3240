//! Slows down password guessing: after each failed login a peer waits longer before its next
//! connection is served (1 s, 2 s, 4 s ... up to 30 s). Other peers are not delayed, and the
//! table is small and bounded so a flood of addresses cannot grow it.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

/// The delay after the first failure; it doubles with each further one.
pub(crate) const FIRST_DELAY: Duration = Duration::from_secs(1);
/// The delay never grows beyond this.
pub(crate) const MAX_DELAY: Duration = Duration::from_secs(30);
/// A peer with no failure for this long starts again from nothing.
pub(crate) const FORGET_AFTER: Duration = Duration::from_secs(15 * 60);
/// At most this many peers are remembered; the one whose last failure is oldest goes first.
pub(crate) const CAPACITY: usize = 256;

/// Who a delay applies to: an IPv4 address, or an IPv6 /64 (one host usually owns a whole /64,
/// so counting single IPv6 addresses would let it rotate through them).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub(crate) struct PeerKey(IpAddr);

impl PeerKey {
    pub(crate) fn of(ip: IpAddr) -> Self {
        match ip {
            IpAddr::V4(v4) => PeerKey(IpAddr::V4(v4)),
            IpAddr::V6(v6) => match v6.to_ipv4_mapped() {
                Some(v4) => PeerKey(IpAddr::V4(v4)),
                None => {
                    let prefix = u128::from(v6) & !((1u128 << 64) - 1);
                    PeerKey(IpAddr::V6(prefix.into()))
                }
            },
        }
    }
}

#[derive(Clone, Copy, Debug)]
struct Entry {
    failures: u32,
    last_failure: Instant,
}

impl Entry {
    fn delay(&self) -> Duration {
        let doublings = self.failures.saturating_sub(1).min(16);
        FIRST_DELAY.saturating_mul(1u32 << doublings).min(MAX_DELAY)
    }
}

/// Failed-login counts per peer.
#[derive(Debug, Default)]
pub(crate) struct Backoff {
    entries: HashMap<PeerKey, Entry>,
}

impl Backoff {
    /// How long a new connection from `ip` must wait before it is served.
    pub(crate) fn wait_for(&mut self, ip: IpAddr, now: Instant) -> Duration {
        let key = PeerKey::of(ip);
        let Some(entry) = self.entries.get(&key).copied() else {
            return Duration::ZERO;
        };
        let since = now.saturating_duration_since(entry.last_failure);
        if since >= FORGET_AFTER {
            self.entries.remove(&key);
            return Duration::ZERO;
        }
        entry.delay().saturating_sub(since)
    }

    /// Counts a failed login and returns the delay the next attempt will get.
    pub(crate) fn record_failure(&mut self, ip: IpAddr, now: Instant) -> Duration {
        let key = PeerKey::of(ip);
        if !self.entries.contains_key(&key) && self.entries.len() >= CAPACITY {
            self.evict(now);
        }
        let entry = self.entries.entry(key).or_insert(Entry {
            failures: 0,
            last_failure: now,
        });
        if now.saturating_duration_since(entry.last_failure) >= FORGET_AFTER {
            entry.failures = 0;
        }
        entry.failures = entry.failures.saturating_add(1);
        entry.last_failure = now;
        entry.delay()
    }

    /// A successful login clears the peer's record.
    pub(crate) fn record_success(&mut self, ip: IpAddr) {
        self.entries.remove(&PeerKey::of(ip));
    }

    fn evict(&mut self, now: Instant) {
        self.entries
            .retain(|_, e| now.saturating_duration_since(e.last_failure) < FORGET_AFTER);
        if self.entries.len() < CAPACITY {
            return;
        }
        if let Some(oldest) = self
            .entries
            .iter()
            .min_by_key(|(_, e)| e.last_failure)
            .map(|(k, _)| *k)
        {
            self.entries.remove(&oldest);
        }
    }

    #[cfg(test)]
    pub(crate) fn len(&self) -> usize {
        self.entries.len()
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::net::{Ipv4Addr, Ipv6Addr};

    use super::*;

    const A: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 1));
    const B: IpAddr = IpAddr::V4(Ipv4Addr::new(192, 0, 2, 2));

    #[test]
    fn delay_doubles_up_to_the_cap() {
        let mut b = Backoff::default();
        let now = Instant::now();
        assert_eq!(b.wait_for(A, now), Duration::ZERO);
        let delays: Vec<u64> = (0..8).map(|_| b.record_failure(A, now).as_secs()).collect();
        assert_eq!(delays, vec![1, 2, 4, 8, 16, 30, 30, 30]);
        assert_eq!(b.wait_for(A, now), MAX_DELAY);
        assert_eq!(
            b.wait_for(A, now + Duration::from_secs(10)),
            Duration::from_secs(20)
        );
        assert_eq!(b.wait_for(A, now + MAX_DELAY), Duration::ZERO);
    }

    #[test]
    fn peers_are_independent_and_success_clears() {
        let mut b = Backoff::default();
        let now = Instant::now();
        b.record_failure(A, now);
        assert_eq!(b.wait_for(B, now), Duration::ZERO);
        assert_eq!(b.wait_for(A, now), FIRST_DELAY);
        b.record_success(A);
        assert_eq!(b.wait_for(A, now), Duration::ZERO);
    }

    #[test]
    fn old_failures_are_forgotten() {
        let mut b = Backoff::default();
        let now = Instant::now();
        for _ in 0..5 {
            b.record_failure(A, now);
        }
        let later = now + FORGET_AFTER;
        assert_eq!(b.wait_for(A, later), Duration::ZERO);
        assert_eq!(b.record_failure(A, later), FIRST_DELAY);
    }

    #[test]
    fn memory_is_bounded() {
        let mut b = Backoff::default();
        let now = Instant::now();
        for i in 0..(CAPACITY as u32 * 4) {
            let ip = IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + i));
            b.record_failure(ip, now + Duration::from_millis(u64::from(i)));
            assert!(b.len() <= CAPACITY);
        }
        // The newest peer is remembered, the oldest was evicted.
        let newest = IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + CAPACITY as u32 * 4 - 1));
        assert!(b.wait_for(newest, now) > Duration::ZERO);
        let oldest = IpAddr::V4(Ipv4Addr::from(0x0a00_0000));
        assert_eq!(b.wait_for(oldest, now), Duration::ZERO);
    }

    #[test]
    fn ipv6_counts_by_64_prefix_and_mapped_v4_as_v4() {
        let mut b = Backoff::default();
        let now = Instant::now();
        let one: Ipv6Addr = "2001:db8:1:2::1".parse().unwrap();
        let other: Ipv6Addr = "2001:db8:1:2:ffff::9".parse().unwrap();
        let elsewhere: Ipv6Addr = "2001:db8:1:3::1".parse().unwrap();
        b.record_failure(IpAddr::V6(one), now);
        assert!(b.wait_for(IpAddr::V6(other), now) > Duration::ZERO);
        assert_eq!(b.wait_for(IpAddr::V6(elsewhere), now), Duration::ZERO);

        b.record_failure(A, now);
        let mapped = match A {
            IpAddr::V4(v4) => IpAddr::V6(v4.to_ipv6_mapped()),
            IpAddr::V6(_) => unreachable!(),
        };
        assert!(b.wait_for(mapped, now) > Duration::ZERO);
    }
}
