//! Trace replay: a trace through the prompt cache alone (no serving, no
//! pricing), one independent cache per capacity, to measure the hit rate a
//! cache of that size would reach on that workload. Semantics in
//! docs/caching.md, "Trace replay".
//!
//! Each request, in arrival order, at its arrival instant: look up its blocks,
//! then write them, visible at once (there is no prefill to wait for).
//! `chain_prompts = false`: trace prompts may branch at any block, so the
//! cache's chain shortcut would not be exact.

use super::Trace;
use crate::model::cache::{CacheRules, PromptCache, WriteTimes};
use crate::model::prompt::Block;
use crate::scenario::Eviction;
use crate::time::{SimDuration, SimTime};
use rayon::prelude::*;

/// The outcome of replaying one trace through one cache.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ReplayResult {
    /// `None`: unbounded.
    pub capacity_tokens: Option<u64>,
    pub requests: u64,
    pub input_tokens: u64,
    /// Tokens read from the cache, summed over requests.
    pub cached_tokens: u64,
    /// Requests that read at least one token from the cache.
    pub requests_with_hit: u64,
    /// Most tokens / entries stored at once (expired entries count until the
    /// cache purges them, at most one TTL later).
    pub peak_tokens: u64,
    pub peak_entries: u64,
}

impl ReplayResult {
    /// Cached tokens / input tokens; `None` without input.
    pub fn token_hit_rate(&self) -> Option<f64> {
        (self.input_tokens > 0).then(|| self.cached_tokens as f64 / self.input_tokens as f64)
    }

    /// Share of requests that read any cached token; `None` without requests.
    pub fn request_hit_rate(&self) -> Option<f64> {
        (self.requests > 0).then(|| self.requests_with_hit as f64 / self.requests as f64)
    }
}

/// Replays `trace` through an automatic block cache of `capacity_tokens`
/// (`None`: unbounded) with `eviction` and an idle `ttl` refreshed on every
/// hit (`None`: entries never expire).
pub fn replay(
    trace: &Trace,
    capacity_tokens: Option<u64>,
    eviction: Eviction,
    ttl: Option<SimDuration>,
) -> ReplayResult {
    replay_prompts(trace, &prompts(trace), capacity_tokens, eviction, ttl)
}

/// [`replay`] for each capacity, in the order given. The caches are
/// independent, so they run in parallel; the result does not depend on the
/// thread count.
pub fn replay_capacities(
    trace: &Trace,
    capacities: &[Option<u64>],
    eviction: Eviction,
    ttl: Option<SimDuration>,
) -> Vec<ReplayResult> {
    // Built once and shared: every capacity sees the same prompts.
    let prompts = prompts(trace);
    capacities.par_iter().map(|&cap| replay_prompts(trace, &prompts, cap, eviction, ttl)).collect()
}

fn prompts(trace: &Trace) -> Vec<Vec<Block>> {
    trace.requests.iter().map(|r| trace.cache_blocks(r)).collect()
}

fn replay_prompts(
    trace: &Trace,
    prompts: &[Vec<Block>],
    capacity_tokens: Option<u64>,
    eviction: Eviction,
    ttl: Option<SimDuration>,
) -> ReplayResult {
    let mut cache = PromptCache::new(CacheRules::block_cache(capacity_tokens, eviction, ttl), false, false);
    let mut out = ReplayResult {
        capacity_tokens,
        requests: 0,
        input_tokens: 0,
        cached_tokens: 0,
        requests_with_hit: 0,
        peak_tokens: 0,
        peak_entries: 0,
    };
    for (r, blocks) in trace.requests.iter().zip(prompts) {
        let now = SimTime::from_micros(r.arrival_us);
        let hit = cache.lookup(now, blocks, 0, &[]);
        // Visible at `now`: replay models the cache alone, so a request's
        // blocks are readable by the next request even at the same instant.
        cache.write(WriteTimes::instant(now), blocks, 0, &[], hit, 0);
        out.requests += 1;
        out.input_tokens += r.input_tokens;
        out.cached_tokens += hit.tokens;
        out.requests_with_hit += u64::from(hit.tokens > 0);
    }
    out.peak_tokens = cache.peak_tokens();
    out.peak_entries = cache.peak_entries() as u64;
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::trace::{TraceRequest, parse_mooncake};
    use proptest::prelude::*;
    use std::collections::HashSet;

    fn req(arrival_s: u64, input: u64, blocks: &[u64]) -> TraceRequest {
        TraceRequest {
            arrival_us: arrival_s * 1_000_000,
            input_tokens: input,
            output_tokens: 1,
            blocks: blocks.to_vec(),
            ..Default::default()
        }
    }

    fn trace(requests: Vec<TraceRequest>) -> Trace {
        Trace::new(512, requests)
    }

    /// Four requests, hand-computed (512-token blocks):
    /// 1. [0, 1, 2], 1100 tokens (ends 512, 1024, 1100): cold, reads 0.
    /// 2. [0, 1, 3], 1300 tokens: shares blocks 0 and 1, reads 1024.
    /// 3. [0, 1, 2], 1100 tokens: all three blocks live, reads 1100 (the
    ///    partial last block counts its 76 tokens).
    /// 4. [4], 300 tokens: a new first block, reads 0.
    fn four() -> Trace {
        trace(vec![req(0, 1100, &[0, 1, 2]), req(1, 1300, &[0, 1, 3]), req(2, 1100, &[0, 1, 2]), req(3, 300, &[4])])
    }

    #[test]
    fn four_requests_by_hand() {
        let r = replay(&four(), None, Eviction::Lru, None);
        assert_eq!((r.requests, r.input_tokens, r.cached_tokens, r.requests_with_hit), (4, 3800, 2124, 2));
        assert_eq!(r.token_hit_rate(), Some(2124.0 / 3800.0));
        assert_eq!(r.request_hit_rate(), Some(0.5));
        // Distinct blocks 0..=4: 512 + 512 + 76 + 276 + 300 tokens, all kept.
        assert_eq!((r.peak_entries, r.peak_tokens), (5, 1676));
    }

    #[test]
    fn ttl_expires_idle_blocks_exactly_at_the_ttl() {
        // TTL 2 s: request 3 (t = 2) reads blocks 0 and 1, refreshed at t = 1,
        // but block 2 was last used at t = 0 and expires at t = 2 exactly.
        let r = replay(&four(), None, Eviction::Lru, Some(SimDuration::from_secs(2)));
        assert_eq!(r.cached_tokens, 1024 + 1024);
        // TTL 1 s: everything written at t expires at t + 1, when the next request comes.
        let r = replay(&four(), None, Eviction::Lru, Some(SimDuration::from_secs(1)));
        assert_eq!((r.cached_tokens, r.requests_with_hit), (0, 0));
    }

    #[test]
    fn capacity_evicts_least_recently_used_blocks() {
        // 1300 tokens hold request 1's three blocks (1100). Request 2 reads
        // blocks 0 and 1 and writes block 3 (276): LRU evicts block 2, the
        // one least recently used. Request 3 reads blocks 0 and 1 (1024) and
        // writes block 2 back in place of block 3 (now the oldest).
        let r = replay(&four(), Some(1300), Eviction::Lru, None);
        assert_eq!(r.cached_tokens, 1024 + 1024);
        assert_eq!(r.peak_tokens, 1300);
        // Smaller than any block: nothing is ever stored.
        let r = replay(&four(), Some(50), Eviction::Lru, None);
        assert_eq!((r.cached_tokens, r.peak_entries), (0, 0));
        // `none` keeps what came first and refuses block 3: request 3 reads all.
        let r = replay(&four(), Some(1200), Eviction::None, None);
        assert_eq!(r.cached_tokens, 1024 + 1100);
    }

    #[test]
    fn replay_capacities_keeps_the_order_given() {
        let caps = [Some(1300), None, Some(50)];
        let rs = replay_capacities(&four(), &caps, Eviction::Lru, None);
        let got: Vec<_> = rs.iter().map(|r| (r.capacity_tokens, r.cached_tokens)).collect();
        assert_eq!(got, [(Some(1300), 2048), (None, 2124), (Some(50), 0)]);
    }

    #[test]
    fn replay_of_parsed_text_matches_the_hand_computation() {
        let text = r#"{"timestamp": 0, "input_length": 1100, "output_length": 1, "hash_ids": [0, 1, 2]}
{"timestamp": 1000, "input_length": 1300, "output_length": 1, "hash_ids": [0, 1, 3]}
{"timestamp": 2000, "input_length": 1100, "output_length": 1, "hash_ids": [0, 1, 2]}
{"timestamp": 3000, "input_length": 300, "output_length": 1, "hash_ids": [4]}"#;
        assert_eq!(replay(&parse_mooncake(text).unwrap(), None, Eviction::Lru, None).cached_tokens, 2124);
    }

    /// The independent definition: with no capacity and no TTL, a request
    /// reads the tokens up to the end of its longest run of leading ids seen
    /// in any earlier request.
    fn set_walk(t: &Trace) -> u64 {
        let mut seen = HashSet::new();
        let mut cached = 0;
        for r in &t.requests {
            let k = r.blocks.iter().take_while(|id| seen.contains(*id)).count();
            if k > 0 {
                cached += if k == r.blocks.len() { r.input_tokens } else { t.block_tokens * k as u64 };
            }
            seen.extend(r.blocks.iter().copied());
        }
        cached
    }

    /// Random prefix-chained traces: each request either starts a new chain
    /// or follows an earlier request's chain for a random number of blocks,
    /// then branches with fresh ids (like multi-turn conversations and shared
    /// system prompts), or repeats an earlier request exactly. Input lengths
    /// end in a partial block at random. As in real traces (and as the parser
    /// enforces), an id always ends at the same token: only a chain's full
    /// blocks are followed, and a partial last block recurs only in a repeat.
    fn chained_trace() -> impl Strategy<Value = Trace> {
        // Gaps of 0 s are common: real traces share millisecond timestamps.
        let step = (any::<prop::sample::Index>(), 0usize..12, 0usize..6, 1u64..=512, 0u64..4);
        prop::collection::vec(step, 1..60).prop_map(|steps| {
            let mut next_id = 0u64;
            let mut t = trace(Vec::new());
            let mut arrival_s = 0;
            for (parent, keep, fresh, last, gap) in steps {
                arrival_s += gap;
                let parent = (!t.requests.is_empty()).then(|| t.requests[parent.index(t.requests.len())].clone());
                if let Some(p) = parent.as_ref().filter(|p| keep >= p.blocks.len() && fresh == 0) {
                    t.requests.push(req(arrival_s, p.input_tokens, &p.blocks));
                    continue;
                }
                let mut blocks: Vec<u64> = match &parent {
                    Some(p) => {
                        let full = (p.input_tokens / 512) as usize;
                        p.blocks[..keep.min(full)].to_vec()
                    }
                    None => Vec::new(),
                };
                for _ in 0..fresh.max(1) {
                    blocks.push(next_id);
                    next_id += 1;
                }
                let input = 512 * (blocks.len() as u64 - 1) + last;
                t.requests.push(req(arrival_s, input, &blocks));
            }
            t
        })
    }

    proptest! {
        #![proptest_config(ProptestConfig::with_cases(512))]

        /// LRU is a stack algorithm here: every request touches all its
        /// blocks (deepest first), and recency is the order of use, not the
        /// instant, so a bigger cache holds a superset of a smaller one's
        /// blocks and never reads less, even for requests at one instant.
        /// Precondition: a capacity holds at least one full block (a smaller
        /// cache refuses full blocks outright instead of evicting for them).
        /// It does fail with `Eviction::Lfu` or `Eviction::None`.
        #[test]
        fn a_larger_lru_cache_never_lowers_the_token_hit_rate(
            t in chained_trace(),
            caps in prop::collection::vec(512u64..12_000, 2..6),
        ) {
            let mut caps: Vec<Option<u64>> = caps.into_iter().map(Some).collect();
            caps.sort();
            caps.push(None);
            let rs = replay_capacities(&t, &caps, Eviction::Lru, None);
            for w in rs.windows(2) {
                prop_assert!(w[0].cached_tokens <= w[1].cached_tokens, "{:?} then {:?}", w[0], w[1]);
            }
            prop_assert_eq!(rs.last().unwrap().cached_tokens, set_walk(&t));
            for r in &rs {
                prop_assert!(r.cached_tokens <= r.input_tokens);
                prop_assert!(r.peak_tokens <= r.capacity_tokens.unwrap_or(u64::MAX));
            }
        }
    }

    /// Regression: when LRU recency was the instant of use, entries used at
    /// one instant were evicted deepest first whatever their order of use.
    /// All at t = 0: [0] (266 tokens), [1, 2] (512 + 90), [1, 3]. With 778
    /// tokens, writing block 2 evicted block 1, its own parent, so request 3
    /// read nothing while a 602-token cache read 512 tokens. Recency is now
    /// the order of use (real traces share millisecond timestamps).
    #[test]
    fn same_instant_requests_keep_a_larger_lru_cache_reading_more() {
        let t = trace(vec![req(0, 266, &[0]), req(0, 602, &[1, 2]), req(0, 513, &[1, 3])]);
        let rs = replay_capacities(&t, &[Some(602), Some(778)], Eviction::Lru, None);
        assert!(rs[0].cached_tokens <= rs[1].cached_tokens, "{:?} then {:?}", rs[0], rs[1]);
    }
}
