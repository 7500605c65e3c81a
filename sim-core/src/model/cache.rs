//! The prompt cache, first version: prefix blocks with a TTL, refreshed on hit.
//!
//! A request reads the longest run of leading blocks that are present and not
//! expired; when it finishes, its whole prompt is written (new blocks get a
//! fresh TTL; blocks it read get one too when `refresh_on_hit`). An entry
//! written at `t` with TTL `d` can be read at any instant `< t + d`.
//!
//! Memory is bounded by live entries: expired ones are purged once per TTL.
//! The full cache model (capacity, eviction, breakpoints, granularity, per-tier
//! TTLs, write visibility at prefill end) extends this type.

use super::prompt::Block;
use crate::time::{SimDuration, SimTime};
use std::collections::HashMap;
use std::hash::{BuildHasherDefault, Hasher};

/// Block identities are already well-mixed 64-bit hashes, so the map can use
/// them as they are. A fixed hasher also keeps look-ups deterministic.
#[derive(Default, Clone, Copy, Debug)]
pub struct PassThroughHasher(u64);

impl Hasher for PassThroughHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) ^ u64::from(b);
        }
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = v;
    }
}

type BlockMap<V> = HashMap<u64, V, BuildHasherDefault<PassThroughHasher>>;

/// The outcome of a look-up.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct CacheHit {
    /// Leading blocks found.
    pub blocks: usize,
    /// Prompt tokens they cover.
    pub tokens: u64,
}

/// One provider's prompt cache.
#[derive(Clone, Debug)]
pub struct PrefixCache {
    ttl: SimDuration,
    refresh_on_hit: bool,
    expires: BlockMap<SimTime>,
    next_purge: SimTime,
    peak_entries: usize,
}

impl PrefixCache {
    pub fn new(ttl: SimDuration, refresh_on_hit: bool) -> Self {
        PrefixCache {
            ttl,
            refresh_on_hit,
            expires: BlockMap::default(),
            next_purge: SimTime::ZERO + ttl,
            peak_entries: 0,
        }
    }

    /// The longest live prefix of `blocks` at `now`.
    pub fn lookup(&self, now: SimTime, blocks: &[Block]) -> CacheHit {
        let mut hit = CacheHit::default();
        for b in blocks {
            match self.expires.get(&b.hash) {
                Some(&exp) if now < exp => {
                    hit = CacheHit { blocks: hit.blocks + 1, tokens: b.end_tokens };
                }
                _ => break,
            }
        }
        hit
    }

    /// Writes a finished request's prompt at `now`; `hit_blocks` leading blocks
    /// were read from the cache (refreshed only with `refresh_on_hit`).
    pub fn commit(&mut self, now: SimTime, blocks: &[Block], hit_blocks: usize) {
        self.purge_expired(now);
        let expiry = now + self.ttl;
        let from = if self.refresh_on_hit { 0 } else { hit_blocks.min(blocks.len()) };
        for b in &blocks[from..] {
            let e = self.expires.entry(b.hash).or_insert(expiry);
            // A block may have been written by another request after this one
            // read it; never shorten a lifetime.
            if *e < expiry {
                *e = expiry;
            }
        }
        self.peak_entries = self.peak_entries.max(self.expires.len());
    }

    /// Live entries (including any expired but not yet purged).
    pub fn entries(&self) -> usize {
        self.expires.len()
    }

    pub fn peak_entries(&self) -> usize {
        self.peak_entries
    }

    fn purge_expired(&mut self, now: SimTime) {
        if now < self.next_purge {
            return;
        }
        self.expires.retain(|_, exp| now < *exp);
        self.next_purge = now + self.ttl.saturating_add(SimDuration::from_micros(1));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::prompt::Prompt;

    fn prompt(contents: &[(u64, u64)]) -> Prompt {
        let mut p = Prompt::new();
        for &(c, t) in contents {
            p.push(c, t);
        }
        p
    }

    fn at(s: u64) -> SimTime {
        SimTime::from_micros(s * 1_000_000)
    }

    #[test]
    fn hit_is_longest_live_prefix_and_expires_exactly_at_ttl() {
        let mut c = PrefixCache::new(SimDuration::from_secs(60), true);
        let p1 = prompt(&[(1, 100), (2, 50)]);
        c.commit(at(10), p1.blocks(), 0);
        let p2 = prompt(&[(1, 100), (2, 50), (3, 20)]);
        assert_eq!(c.lookup(at(69), p2.blocks()), CacheHit { blocks: 2, tokens: 150 });
        // Written at 10 s with a 60 s TTL: readable before 70 s, not at 70 s.
        assert_eq!(c.lookup(SimTime::from_micros(69_999_999), p2.blocks()).tokens, 150);
        assert_eq!(c.lookup(at(70), p2.blocks()), CacheHit::default());
    }

    #[test]
    fn refresh_on_hit_extends_read_blocks_only_when_enabled() {
        for (refresh, expect) in [(true, 150), (false, 0)] {
            let mut c = PrefixCache::new(SimDuration::from_secs(60), refresh);
            let p = prompt(&[(1, 100), (2, 50)]);
            c.commit(at(0), p.blocks(), 0);
            c.commit(at(50), p.blocks(), 2);
            assert_eq!(c.lookup(at(100), p.blocks()).tokens, expect, "refresh {refresh}");
        }
    }

    #[test]
    fn a_different_prefix_misses_even_with_equal_later_content() {
        let mut c = PrefixCache::new(SimDuration::from_secs(60), true);
        c.commit(at(0), prompt(&[(1, 100), (9, 10)]).blocks(), 0);
        let other = prompt(&[(2, 100), (9, 10)]);
        assert_eq!(c.lookup(at(1), other.blocks()), CacheHit::default());
        let shared = prompt(&[(1, 100), (8, 10)]);
        assert_eq!(c.lookup(at(1), shared.blocks()).tokens, 100);
    }

    #[test]
    fn expired_entries_are_purged() {
        let mut c = PrefixCache::new(SimDuration::from_secs(10), true);
        for i in 0..100 {
            c.commit(at(i * 20), prompt(&[(i, 5)]).blocks(), 0);
        }
        assert!(c.entries() <= 2, "{} entries left", c.entries());
        assert!(c.peak_entries() <= 2);
    }
}
