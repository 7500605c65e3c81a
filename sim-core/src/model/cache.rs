//! The prompt cache, first version: prefix entries with a TTL, refreshed on hit.
//!
//! Semantics (a KV-block cache with idle expiry): every block of a finished
//! request's prompt becomes readable, with a lifetime of `ttl` from the instant
//! the request finished; a block read again is refreshed to `ttl` from that
//! request's finish (when `refresh_on_hit`). A request reads the longest prefix
//! of its prompt whose blocks are live. An entry stamped at `t` is live at any
//! instant `< t + ttl`.
//!
//! Representation: an entry stands for its whole prefix, so a prompt's deepest
//! live entry is its hit, found by scanning from the end (usually one or two
//! probes for an agent, whose new prompt extends its previous one). A commit
//! stamps only the prompt's deepest block and its shared blocks. This is exact
//! for prompts that branch only after their shared segments: a private chain
//! is extended by one session at a time, so its deepest block always carries
//! the latest stamp of the whole chain and stamping the inner blocks too would
//! change no look-up. A shadow test checks this against the naive per-block
//! model. Without refresh the two differ on purpose: here a live entry keeps
//! its whole prefix readable even when the shorter entry written earlier has
//! expired, as at providers that cache whole prefixes; the naive model would
//! lose the prefix under a live longer entry.
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
        for (i, b) in blocks.iter().enumerate().rev() {
            if let Some(&exp) = self.expires.get(&b.hash)
                && now < exp
            {
                return CacheHit {
                    blocks: i + 1,
                    tokens: b.end_tokens,
                };
            }
        }
        CacheHit::default()
    }

    /// Writes a finished request's prompt at `now`. Its first `shared` blocks
    /// may be shared with other prompts; `hit_blocks` leading blocks were read
    /// from the cache.
    pub fn commit(&mut self, now: SimTime, blocks: &[Block], shared: usize, hit_blocks: usize) {
        self.purge_expired(now);
        let expiry = now + self.ttl;
        let shared = shared.min(blocks.len());
        for (i, b) in blocks[..shared].iter().enumerate() {
            self.stamp(b.hash, expiry, i < hit_blocks);
        }
        if let Some(last) = blocks.last()
            && blocks.len() > shared
        {
            self.stamp(last.hash, expiry, blocks.len() <= hit_blocks);
        }
        self.peak_entries = self.peak_entries.max(self.expires.len());
    }

    /// Gives `hash` the lifetime `expiry`: always for a block this request
    /// wrote, for a block it read only when hits refresh. A live entry's
    /// lifetime is never shortened (another request may have refreshed it).
    fn stamp(&mut self, hash: u64, expiry: SimTime, was_read: bool) {
        let now_exp = self.expires.entry(hash).or_insert(SimTime::ZERO);
        if (!was_read || self.refresh_on_hit) && *now_exp < expiry {
            *now_exp = expiry;
        }
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
    use rand::{Rng, SeedableRng};

    fn prompt(shared: &[(u64, u64)], private: &[(u64, u64)]) -> Prompt {
        let mut p = Prompt::new();
        for &(c, t) in shared {
            p.push_shared(c, t);
        }
        for &(c, t) in private {
            p.push(c, t);
        }
        p
    }

    fn commit(c: &mut PrefixCache, now: SimTime, p: &Prompt) {
        let hit = c.lookup(now, p.blocks());
        c.commit(now, p.blocks(), p.shared_blocks(), hit.blocks);
    }

    fn at(s: u64) -> SimTime {
        SimTime::from_micros(s * 1_000_000)
    }

    #[test]
    fn hit_is_longest_live_prefix_and_expires_exactly_at_ttl() {
        let mut c = PrefixCache::new(SimDuration::from_secs(60), true);
        commit(&mut c, at(10), &prompt(&[], &[(1, 100), (2, 50)]));
        let p2 = prompt(&[], &[(1, 100), (2, 50), (3, 20)]);
        assert_eq!(
            c.lookup(at(69), p2.blocks()),
            CacheHit {
                blocks: 2,
                tokens: 150
            }
        );
        // Written at 10 s with a 60 s TTL: readable before 70 s, not at 70 s.
        assert_eq!(
            c.lookup(SimTime::from_micros(69_999_999), p2.blocks())
                .tokens,
            150
        );
        assert_eq!(c.lookup(at(70), p2.blocks()), CacheHit::default());
    }

    #[test]
    fn refresh_on_hit_extends_read_blocks_only_when_enabled() {
        for (refresh, expect) in [(true, 150), (false, 0)] {
            let mut c = PrefixCache::new(SimDuration::from_secs(60), refresh);
            let p = prompt(&[], &[(1, 100), (2, 50)]);
            commit(&mut c, at(0), &p);
            commit(&mut c, at(50), &p);
            assert_eq!(
                c.lookup(at(100), p.blocks()).tokens,
                expect,
                "refresh {refresh}"
            );
        }
    }

    #[test]
    fn a_different_prefix_misses_even_with_equal_later_content() {
        let mut c = PrefixCache::new(SimDuration::from_secs(60), true);
        commit(&mut c, at(0), &prompt(&[(1, 100)], &[(9, 10)]));
        let other = prompt(&[(2, 100)], &[(9, 10)]);
        assert_eq!(c.lookup(at(1), other.blocks()), CacheHit::default());
        let shared = prompt(&[(1, 100)], &[(8, 10)]);
        assert_eq!(
            c.lookup(at(1), shared.blocks()),
            CacheHit {
                blocks: 1,
                tokens: 100
            }
        );
    }

    #[test]
    fn expired_entries_are_purged() {
        let mut c = PrefixCache::new(SimDuration::from_secs(10), true);
        for i in 0..100 {
            commit(&mut c, at(i * 20), &prompt(&[], &[(i, 5)]));
        }
        assert!(c.entries() <= 2, "{} entries left", c.entries());
        assert!(c.peak_entries() <= 2);
    }

    /// The naive model: every block carries its own lifetime, all stamped on
    /// every commit; the hit is the longest run of live leading blocks.
    struct Naive {
        ttl: SimDuration,
        refresh: bool,
        exp: std::collections::HashMap<u64, SimTime>,
    }

    impl Naive {
        fn lookup(&self, now: SimTime, blocks: &[Block]) -> usize {
            blocks
                .iter()
                .take_while(|b| self.exp.get(&b.hash).is_some_and(|&e| now < e))
                .count()
        }
        fn commit(&mut self, now: SimTime, blocks: &[Block], hit: usize) {
            for (i, b) in blocks.iter().enumerate() {
                let e = self.exp.entry(b.hash).or_insert(SimTime::ZERO);
                if (i >= hit || self.refresh) && *e < now + self.ttl {
                    *e = now + self.ttl;
                }
            }
        }
    }

    #[test]
    fn matches_naive_model_on_random_agent_sessions() {
        {
            let refresh = true;
            let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(u64::from(refresh));
            let ttl = SimDuration::from_secs(30);
            let mut fast = PrefixCache::new(ttl, refresh);
            let mut naive = Naive {
                ttl,
                refresh,
                exp: Default::default(),
            };
            let mut sessions: Vec<Prompt> = Vec::new();
            let mut now = SimTime::ZERO;
            for step in 0..20_000u64 {
                now += SimDuration::from_millis(rng.random_range(0..2_000));
                let i = rng.random_range(0..40usize);
                if i >= sessions.len() || rng.random_bool(0.05) {
                    let system = rng.random_range(0..3u64);
                    let p = prompt(
                        &[(system, 1_000), (10 + system % 2, 500)],
                        &[(1_000 + step, 50)],
                    );
                    if i >= sessions.len() {
                        sessions.push(p);
                    } else {
                        sessions[i] = p;
                    }
                } else {
                    sessions[i].push(2_000_000 + step, rng.random_range(1..300));
                }
                let i = i.min(sessions.len() - 1);
                let p = &sessions[i];
                let hit = fast.lookup(now, p.blocks());
                assert_eq!(
                    hit.blocks,
                    naive.lookup(now, p.blocks()),
                    "step {step} refresh {refresh}"
                );
                fast.commit(now, p.blocks(), p.shared_blocks(), hit.blocks);
                naive.commit(now, p.blocks(), hit.blocks);
            }
        }
    }
}
