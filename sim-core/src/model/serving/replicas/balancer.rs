//! Load balancing across replicas: round robin, least outstanding requests,
//! least KV in use, and prefix affinity with an overflow threshold (the
//! consistent prefix-aware routing of e.g. SGLang's router and llm-d's
//! prefix-cache-aware scorer, reduced to a home replica per prefix key).
//! Ties always go to the lowest replica index.

use super::kv::kv_block_identity;
use super::replica::Replica;
use crate::model::cache::PassThroughHasher;
use crate::model::prompt::Block;
use crate::rng::splitmix64;
use crate::scenario::Balancer;
use crate::time::SimTime;
use std::collections::HashMap;
use std::hash::BuildHasherDefault;

/// Microseconds per minute: one request's worth in a bucket's units.
const MINUTE_US: u128 = 60_000_000;

/// Per prefix key, a token bucket of `limit` requests refilled at `limit`
/// per minute, in exact integer units (1 request = 60e6 units, refill =
/// `limit` units per microsecond).
#[derive(Clone, Copy, Debug)]
struct Bucket {
    level: u128,
    at: SimTime,
}

/// The balancer's state.
#[derive(Clone, Debug)]
pub(super) struct Router {
    policy: Balancer,
    block_tokens: u64,
    next_rr: usize,
    buckets: HashMap<u64, Bucket, BuildHasherDefault<PassThroughHasher>>,
    /// Bucket count after the last purge of full buckets.
    purged_at: usize,
}

impl Router {
    pub fn new(policy: Balancer, block_tokens: u64) -> Self {
        Router { policy, block_tokens, next_rr: 0, buckets: HashMap::default(), purged_at: 0 }
    }

    /// The replica for a request with prompt `blocks` and `cache_key`, arriving at `now`.
    pub fn pick(&mut self, replicas: &[Replica], blocks: &[Block], cache_key: u64, now: SimTime) -> usize {
        let n = replicas.len();
        match self.policy {
            Balancer::RoundRobin => {
                let r = self.next_rr;
                self.next_rr = (r + 1) % n;
                r
            }
            Balancer::LeastOutstanding => least_by(replicas, None, |r| r.outstanding() as u64),
            Balancer::LeastKv => least_by(replicas, None, Replica::kv_blocks_used),
            Balancer::PrefixAffinity { affinity_tokens, overflow_per_minute } => {
                let key = self.prefix_key(blocks, affinity_tokens, cache_key);
                let home = ((u128::from(key) * n as u128) >> 64) as usize;
                match overflow_per_minute {
                    Some(limit) if n > 1 && !self.take(key, limit, now) => {
                        least_by(replicas, Some(home), |r| r.outstanding() as u64)
                    }
                    _ => home,
                }
            }
        }
    }

    /// The identity of the KV block covering token `affinity_tokens - 1`
    /// (or the prompt's last block if shorter), mixed with the cache key.
    fn prefix_key(&self, blocks: &[Block], affinity_tokens: u64, cache_key: u64) -> u64 {
        let tokens = blocks.last().map_or(0, |b| b.end_tokens);
        let end = affinity_tokens.max(1).div_ceil(self.block_tokens).saturating_mul(self.block_tokens).min(tokens);
        splitmix64(kv_block_identity(blocks, end) ^ splitmix64(cache_key ^ 0x6166_6669_6e69_7479))
    }

    /// Takes one request from `key`'s bucket; false if it is empty.
    fn take(&mut self, key: u64, limit: u64, now: SimTime) -> bool {
        let cap = u128::from(limit) * MINUTE_US;
        let b = self.buckets.entry(key).or_insert(Bucket { level: cap, at: now });
        let refill = u128::from(now.saturating_since(b.at).as_micros()) * u128::from(limit);
        b.level = (b.level + refill).min(cap);
        b.at = now;
        let ok = b.level >= MINUTE_US;
        if ok {
            b.level -= MINUTE_US;
        }
        if self.buckets.len() > 2 * self.purged_at.max(512) {
            // A full bucket behaves as an absent one: drop those, so memory
            // follows the keys seen in the last minute, not all keys ever.
            self.buckets
                .retain(|_, b| b.level + u128::from(now.saturating_since(b.at).as_micros()) * u128::from(limit) < cap);
            self.purged_at = self.buckets.len();
        }
        ok
    }
}

/// The replica with the least `load`, skipping `except`; ties to the lowest index.
fn least_by(replicas: &[Replica], except: Option<usize>, load: impl Fn(&Replica) -> u64) -> usize {
    let mut best: Option<(u64, usize)> = None;
    for (i, r) in replicas.iter().enumerate() {
        if Some(i) == except {
            continue;
        }
        let l = load(r);
        if best.is_none_or(|(bl, _)| l < bl) {
            best = Some((l, i));
        }
    }
    best.map_or(0, |(_, i)| i)
}
