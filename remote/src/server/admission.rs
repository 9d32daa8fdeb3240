//! Who may start logging in, so that connections that never log in can neither lock the owner out
//! nor wear the server down:
//!
//! * new connections are rate limited per address (IPv4, or IPv6 /64) and overall, so a flood
//!   costs a bounded amount of TLS work and one address cannot use up the overall allowance;
//! * up to [`MAX_HANDSHAKES`] connections log in (TLS, then CredSSP or the password check) at
//!   once, at most [`MAX_HANDSHAKES_PER_PEER`] per address. When all are taken, a new connection
//!   takes the place of the oldest one of the address holding the most: idle sockets and slow
//!   handshakes make room for a login that is actually happening, and one address cannot hold
//!   more than its share.
//!
//! Every table here is bounded; nothing is kept per connection once it has logged in or ended.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use super::backoff::PeerKey;

/// Logins in progress at once.
pub(crate) const MAX_HANDSHAKES: usize = 8;
/// Logins in progress at once from one address.
pub(crate) const MAX_HANDSHAKES_PER_PEER: usize = 2;
/// New connections one address may open in a burst, and how many more it earns per second.
const PEER_BURST: f64 = 10.0;
const PEER_PER_SECOND: f64 = 1.0;
/// The same for all addresses together.
const GLOBAL_BURST: f64 = 40.0;
const GLOBAL_PER_SECOND: f64 = 10.0;
/// Addresses whose rate is tracked; a full bucket is the same as none, so those go first.
const RATE_PEERS: usize = 1024;
/// Refusals are logged at most this often (with a count of the ones not logged).
const REFUSAL_LOG_EVERY: Duration = Duration::from_secs(10);

/// A token bucket: `burst` tokens, refilled at `per_second`.
#[derive(Clone, Copy, Debug)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

impl Bucket {
    fn full(burst: f64, now: Instant) -> Self {
        Bucket {
            tokens: burst,
            at: now,
        }
    }

    fn refill(&mut self, burst: f64, per_second: f64, now: Instant) {
        let elapsed = now.saturating_duration_since(self.at).as_secs_f64();
        self.tokens = (self.tokens + elapsed * per_second).min(burst);
        self.at = now;
    }
}

/// Why a new connection was closed at once.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub(crate) enum RateLimited {
    #[error("too many new connections from this address (more than {PEER_BURST} at once or {PEER_PER_SECOND} per second)")]
    Peer,
    #[error("too many new connections overall (more than {GLOBAL_BURST} at once or {GLOBAL_PER_SECOND} per second)")]
    Overall,
}

#[derive(Debug)]
struct Handshake<T> {
    id: u64,
    peer: PeerKey,
    started: Instant,
    /// What the caller needs to close this connection if it is pushed out.
    handle: T,
}

/// The rate limits and the logins in progress. `T` is how a pushed-out connection is told.
#[derive(Debug)]
pub(crate) struct Admission<T> {
    peers: HashMap<PeerKey, Bucket>,
    overall: Option<Bucket>,
    handshakes: Vec<Handshake<T>>,
}

impl<T> Default for Admission<T> {
    fn default() -> Self {
        Admission {
            peers: HashMap::new(),
            overall: None,
            handshakes: Vec::with_capacity(MAX_HANDSHAKES),
        }
    }
}

impl<T> Admission<T> {
    /// Counts a new connection from `ip` against the rate limits.
    pub(crate) fn arrive(&mut self, ip: IpAddr, now: Instant) -> Result<(), RateLimited> {
        let key = PeerKey::of(ip);
        if !self.peers.contains_key(&key) && self.peers.len() >= RATE_PEERS {
            self.forget_a_peer(now);
        }
        let peer = self
            .peers
            .entry(key)
            .or_insert_with(|| Bucket::full(PEER_BURST, now));
        peer.refill(PEER_BURST, PEER_PER_SECOND, now);
        let overall = self
            .overall
            .get_or_insert_with(|| Bucket::full(GLOBAL_BURST, now));
        overall.refill(GLOBAL_BURST, GLOBAL_PER_SECOND, now);
        if peer.tokens < 1.0 {
            return Err(RateLimited::Peer);
        }
        if overall.tokens < 1.0 {
            return Err(RateLimited::Overall);
        }
        peer.tokens -= 1.0;
        overall.tokens -= 1.0;
        Ok(())
    }

    /// Connection `id` from `ip` starts logging in. Returns the handle of the connection it
    /// pushes out, if all places (or its address's) were taken.
    pub(crate) fn start(&mut self, id: u64, ip: IpAddr, now: Instant, handle: T) -> Option<T> {
        let peer = PeerKey::of(ip);
        let own = self.handshakes.iter().filter(|h| h.peer == peer).count();
        let victim = if own >= MAX_HANDSHAKES_PER_PEER {
            self.oldest_where(|h| h.peer == peer)
        } else if self.handshakes.len() >= MAX_HANDSHAKES {
            self.oldest_of_the_busiest_peer()
        } else {
            None
        };
        let pushed_out = victim.map(|index| self.handshakes.swap_remove(index).handle);
        self.handshakes.push(Handshake {
            id,
            peer,
            started: now,
            handle,
        });
        pushed_out
    }

    /// Connection `id` has logged in or ended (again is harmless).
    pub(crate) fn finish(&mut self, id: u64) {
        self.handshakes.retain(|h| h.id != id);
    }

    #[cfg(test)]
    fn in_progress(&self) -> Vec<u64> {
        let mut ids: Vec<u64> = self.handshakes.iter().map(|h| h.id).collect();
        ids.sort_unstable();
        ids
    }

    fn oldest_where(&self, pick: impl Fn(&Handshake<T>) -> bool) -> Option<usize> {
        self.handshakes
            .iter()
            .enumerate()
            .filter(|(_, h)| pick(h))
            .min_by_key(|(_, h)| h.started)
            .map(|(index, _)| index)
    }

    fn oldest_of_the_busiest_peer(&self) -> Option<usize> {
        let count = |peer: PeerKey| self.handshakes.iter().filter(|h| h.peer == peer).count();
        let busiest = self.handshakes.iter().map(|h| count(h.peer)).max()?;
        self.oldest_where(|h| count(h.peer) == busiest)
    }

    /// Makes room in the rate table: refilled buckets are as good as none; otherwise the fullest.
    fn forget_a_peer(&mut self, now: Instant) {
        for bucket in self.peers.values_mut() {
            bucket.refill(PEER_BURST, PEER_PER_SECOND, now);
        }
        self.peers.retain(|_, b| b.tokens < PEER_BURST);
        if self.peers.len() < RATE_PEERS {
            return;
        }
        if let Some(fullest) = self
            .peers
            .iter()
            .max_by(|a, b| a.1.tokens.total_cmp(&b.1.tokens))
            .map(|(key, _)| *key)
        {
            self.peers.remove(&fullest);
        }
    }
}

/// Rate-limited connections are closed without a word each; the log gets one line per
/// [`REFUSAL_LOG_EVERY`] so that a flood cannot flood the log too.
#[derive(Debug, Default)]
pub(crate) struct RefusalLog {
    last: Option<Instant>,
    unlogged: u64,
}

impl RefusalLog {
    /// Whether to log this refusal, and if so how many went unlogged before it.
    pub(crate) fn note(&mut self, now: Instant) -> Option<u64> {
        match self.last {
            Some(last) if now.saturating_duration_since(last) < REFUSAL_LOG_EVERY => {
                self.unlogged = self.unlogged.saturating_add(1);
                None
            }
            _ => {
                self.last = Some(now);
                Some(std::mem::take(&mut self.unlogged))
            }
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used)]
mod tests {
    use std::net::Ipv4Addr;

    use super::*;

    fn ip(last: u8) -> IpAddr {
        IpAddr::V4(Ipv4Addr::new(192, 0, 2, last))
    }

    #[test]
    fn one_address_is_limited_before_the_others() {
        let mut a = Admission::<()>::default();
        let now = Instant::now();
        for _ in 0..PEER_BURST as usize {
            a.arrive(ip(1), now).unwrap();
        }
        assert_eq!(a.arrive(ip(1), now), Err(RateLimited::Peer));
        // Another address is not affected, and the first earns a connection per second back.
        a.arrive(ip(2), now).unwrap();
        assert_eq!(
            a.arrive(ip(1), now + Duration::from_millis(500)),
            Err(RateLimited::Peer)
        );
        a.arrive(ip(1), now + Duration::from_secs(1)).unwrap();
    }

    #[test]
    fn many_addresses_meet_the_overall_limit() {
        let mut a = Admission::<()>::default();
        let now = Instant::now();
        let mut admitted = 0;
        for last in 0..=255u8 {
            if a.arrive(ip(last), now).is_ok() {
                admitted += 1;
            } else {
                assert_eq!(a.arrive(ip(last), now), Err(RateLimited::Overall));
            }
        }
        assert_eq!(admitted, GLOBAL_BURST as usize);
        a.arrive(ip(7), now + Duration::from_secs(1)).unwrap();
    }

    #[test]
    fn the_rate_table_is_bounded() {
        let mut a = Admission::<()>::default();
        let now = Instant::now();
        for i in 0..(RATE_PEERS as u32 * 3) {
            let at = now + Duration::from_secs(u64::from(i));
            let _ = a.arrive(IpAddr::V4(Ipv4Addr::from(0x0a00_0000 + i)), at);
            assert!(a.peers.len() <= RATE_PEERS);
        }
    }

    #[test]
    fn a_new_login_pushes_out_the_oldest_of_the_busiest_address() {
        let mut a = Admission::default();
        let t0 = Instant::now();
        let at = |s: u64| t0 + Duration::from_secs(s);
        // Eight idle sockets from eight addresses fill every place.
        for id in 0..MAX_HANDSHAKES as u64 {
            assert_eq!(a.start(id, ip(10 + id as u8), at(id), id), None);
        }
        // The owner's login pushes out the oldest.
        assert_eq!(a.start(100, ip(1), at(20), 100), Some(0));
        // More from an address already there: still the oldest while all hold one each...
        assert_eq!(a.start(101, ip(11), at(21), 101), Some(1));
        assert_eq!(a.start(102, ip(11), at(22), 102), Some(2));
        // ...but once one address holds two, a newcomer pushes out its oldest, not the owner.
        assert_eq!(a.start(103, ip(12), at(23), 103), Some(101));
        assert!(a.in_progress().contains(&100));
        // A login that is done frees its place.
        a.finish(100);
        a.finish(100);
        assert_eq!(a.in_progress().len(), MAX_HANDSHAKES - 1);
        assert_eq!(a.start(104, ip(2), at(24), 104), None);
    }

    #[test]
    fn one_address_holds_at_most_its_share() {
        let mut a = Admission::default();
        let now = Instant::now();
        assert_eq!(a.start(1, ip(1), now, 1), None);
        assert_eq!(a.start(2, ip(1), now + Duration::from_secs(1), 2), None);
        assert_eq!(a.start(3, ip(1), now + Duration::from_secs(2), 3), Some(1));
        assert_eq!(a.in_progress(), vec![2, 3]);
    }

    #[test]
    fn refusals_are_logged_at_a_bounded_rate() {
        let mut log = RefusalLog::default();
        let now = Instant::now();
        assert_eq!(log.note(now), Some(0));
        for i in 1..100 {
            assert_eq!(log.note(now + Duration::from_millis(i)), None);
        }
        assert_eq!(log.note(now + REFUSAL_LOG_EVERY), Some(99));
    }
}
