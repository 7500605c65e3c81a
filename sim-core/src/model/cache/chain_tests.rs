//! Chain records against the per-block reference: everything observable
//! (look-ups, writes, occupancy, peaks, storage spans) must be equal.

use super::*;
use crate::model::prompt::Prompt;
use proptest::prelude::*;
use rand::{Rng, SeedableRng};

/// Shape of one random shadow run.
#[derive(Debug, Clone)]
struct Shape {
    seed: u64,
    ttl_ms: u64,
    min_tokens: u64,
    granularity: u64,
    eviction: Eviction,
    /// Bounded caches evict LRU (the only bounded policy with chain records).
    capacity: Option<u64>,
    /// Without refresh on hit: no capacity, storage not billed (chain classes).
    refresh: bool,
    /// Lifetime cap, ms (chain classes: no capacity, storage not billed).
    max_lifetime_ms: Option<u64>,
    track_storage: bool,
    sessions: usize,
    requests: usize,
    /// Largest gap between requests, ms (relative to the TTL: pauses expire chains).
    gap_ms: u64,
}

fn rules_of(s: &Shape) -> CacheRules {
    let eviction = if s.capacity.is_some() { Eviction::Lru } else { s.eviction };
    let mut r = CacheRules::block_cache(s.capacity, eviction, Some(SimDuration::from_millis(s.ttl_ms)));
    r.min_tokens = s.min_tokens;
    r.refresh_on_hit = s.refresh;
    r.max_lifetime = s.max_lifetime_ms.map(SimDuration::from_millis);
    r.granularity_tokens = s.granularity;
    r
}

/// A new session's prompt: 0-2 shared segments (from a small common set), then
/// maybe a task.
fn new_session(rng: &mut impl Rng, id: u64) -> Prompt {
    let mut p = Prompt::new();
    for k in 0..rng.random_range(0..3u64) {
        let system = rng.random_range(0..2u64);
        p.push_shared(100 * k + system, 200 + 300 * system);
    }
    if rng.random_bool(0.8) {
        p.push(1_000_000 + id, rng.random_range(1..400));
    }
    p
}

/// Runs one shadow comparison; the first difference is an error.
fn compare(s: &Shape) -> Result<(), String> {
    let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(s.seed);
    let r = rules_of(s);
    let mut fast = PromptCache::new(r.clone(), true, s.track_storage);
    let mut full = PromptCache::new(r, false, s.track_storage);
    if !fast.shortcut && !fast.classed {
        return Err("chain records not in use".into());
    }
    let mut sessions: Vec<Prompt> = Vec::new();
    let mut now = SimTime::ZERO;
    for step in 0..s.requests {
        now += SimDuration::from_millis(rng.random_range(0..=s.gap_ms));
        let i = rng.random_range(0..s.sessions);
        if i >= sessions.len() {
            sessions.push(new_session(&mut rng, step as u64));
        } else if rng.random_bool(0.7) {
            // The next step: one history chunk (sometimes two segments).
            for _ in 0..rng.random_range(1..=2) {
                sessions[i].push(2_000_000 + step as u64 * 2 + rng.random_range(0..2), rng.random_range(1..300));
            }
        } // else: a retry or a keep-alive ping resends the same prompt.
        let p = &sessions[i.min(sessions.len() - 1)];
        // Visibility and TTL start in any order across requests (pings, latency draws).
        let visible_at = now + SimDuration::from_millis(rng.random_range(0..s.gap_ms.max(1) * 2));
        let ttl_from = visible_at + SimDuration::from_millis(rng.random_range(0..500));
        let at = WriteTimes { now, visible_at, ttl_from };
        let shared = p.shared_blocks();
        let (a, b) = (fast.lookup(now, p.blocks(), shared, &[]), full.lookup(now, p.blocks(), shared, &[]));
        let wa = fast.write(at, p.blocks(), shared, &[], a, i as u32);
        let wb = full.write(at, p.blocks(), shared, &[], b, i as u32);
        let seen = |c: &mut PromptCache| (c.entries(), c.tokens(), c.peak_entries(), c.peak_tokens(), c.take_stored());
        let (fa, fb) = (seen(&mut fast), seen(&mut full));
        if (a, wa, &fa) != (b, wb, &fb) {
            return Err(format!(
                "request {step}: records {:?} {:?} {:?}, per block {:?} {:?} {:?}",
                a, wa, fa, b, wb, fb
            ));
        }
    }
    fast.close();
    full.close();
    let (ca, cb) = (fast.take_stored(), full.take_stored());
    if ca != cb {
        return Err(format!("close: records {ca:?}, per block {cb:?}"));
    }
    Ok(())
}

fn shapes() -> impl Strategy<Value = Shape> {
    (
        any::<u64>(),
        1u64..20_000,
        prop_oneof![Just(0u64), 100u64..1_500],
        prop_oneof![Just(1u64), 1u64..200],
        prop_oneof![Just(Eviction::Lru), Just(Eviction::Lfu), Just(Eviction::None)],
        // From smaller than one block (chains become per-block entries) to never full.
        prop_oneof![Just(None), (1u64..1_000).prop_map(Some), (1_000u64..60_000).prop_map(Some), Just(Some(1 << 40))],
        (any::<bool>(), any::<bool>(), prop_oneof![2 => Just(None), 1 => (1u64..40_000).prop_map(Some)]),
        1usize..8,
        1usize..300,
        1u64..30_000,
    )
        .prop_map(
            |(
                seed,
                ttl_ms,
                min_tokens,
                granularity,
                eviction,
                capacity,
                (refresh, track_storage, max_lifetime_ms),
                sessions,
                requests,
                gap_ms,
            )| {
                Shape {
                    seed,
                    ttl_ms,
                    min_tokens,
                    granularity,
                    eviction,
                    capacity: capacity.filter(|_| refresh && max_lifetime_ms.is_none()),
                    refresh,
                    max_lifetime_ms,
                    track_storage: track_storage && refresh && max_lifetime_ms.is_none(),
                    sessions,
                    requests,
                    gap_ms,
                }
            },
        )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(400))]

    /// Random sessions, pauses around the TTL, resends, out-of-order
    /// visibility and TTL starts, minimum sizes, granularities, policies,
    /// capacities (LRU), refresh on hit or not (with a lifetime cap), and storage tracking: the
    /// chain records and classes are the per-block cache.
    #[test]
    fn chain_records_match_the_per_block_cache(s in shapes()) {
        prop_assert_eq!(compare(&s), Ok(()));
    }
}

/// Regression: the former shortcut stamped only the shared blocks and the
/// deepest block, so the blocks between them (here the task) were never
/// stored: `cache_entries_peak` and `cache_tokens_peak` were low (quickstart:
/// 4,721 entries instead of 5,883.5) and storage spans too short.
#[test]
fn shortcut_stored_every_block_of_the_chain() {
    let r = CacheRules::block_cache(None, Eviction::Lru, Some(SimDuration::from_secs(30)));
    let mut c = PromptCache::new(r, true, false);
    let mut p = Prompt::new();
    p.push_shared(1, 1000);
    p.push(2, 50);
    p.push(3, 10);
    let hit = c.lookup(SimTime::ZERO, p.blocks(), 1, &[]);
    c.write(WriteTimes::instant(SimTime::ZERO), p.blocks(), 1, &[], hit, 0);
    assert_eq!((c.entries(), c.tokens()), (3, 1060));
}

/// A session's requests, each extending its chain with a prefill that ends
/// before the next request, leave the chain a bounded number of segments (it
/// grew by one visibility segment per request, spilling to the heap).
#[test]
fn a_growing_chain_keeps_few_segments() {
    let r = CacheRules::block_cache(None, Eviction::Lru, Some(SimDuration::from_secs(60)));
    let mut c = PromptCache::new(r, true, false);
    let mut p = Prompt::new();
    p.push(1, 500);
    for step in 0..50u64 {
        let now = SimTime::ZERO + SimDuration::from_secs(10 * step);
        let at =
            WriteTimes { now, visible_at: now + SimDuration::from_secs(1), ttl_from: now + SimDuration::from_secs(5) };
        let hit = c.lookup(now, p.blocks(), 0, &[]);
        assert_eq!(hit.blocks, p.blocks().len() - 1, "step {step} reads all but its new block");
        c.write(at, p.blocks(), 0, &[], hit, 0);
        let (expires, visible) = c.chains.segments(p.blocks()[0].hash);
        assert!(expires == 1 && visible <= 2, "step {step}: {expires} expiry and {visible} visibility segments");
        p.push(100 + step, 200);
    }
}

/// A request larger than a bounded cache keeps the longest prefix of its
/// chain that fits (here exactly the capacity), as the per-block walk does:
/// the deepest block is stored first, then evicted by the shallower ones.
#[test]
fn bounded_chain_keeps_the_longest_prefix_that_fits() {
    let r = CacheRules::block_cache(Some(100), Eviction::Lru, None);
    let mut p = Prompt::new();
    p.push(1, 60);
    p.push(2, 40);
    p.push(3, 30);
    for chain_prompts in [true, false] {
        let mut c = PromptCache::new(r.clone(), chain_prompts, true);
        c.write(WriteTimes::instant(SimTime::ZERO), p.blocks(), 0, &[], Lookup::default(), 0);
        assert_eq!((c.entries(), c.tokens(), c.shortcut), (2, 100, chain_prompts));
        let hit = c.lookup(SimTime::ZERO, p.blocks(), 0, &[]);
        assert_eq!((hit.blocks, hit.tokens), (2, 100));
        let spans = c.take_stored();
        assert_eq!(spans.iter().map(|s| s.tokens).collect::<Vec<_>>(), [30]);
    }
}

/// With refresh on hit and a lifetime cap, a chain written at 0 s and read at
/// 30 s (TTL 60 s) expires exactly at 90 s, its latest idle end, and a block
/// written at 30 s keeps its own, later cap, as in the per-block cache.
#[test]
fn capped_chain_classes_expire_at_the_latest_idle_end() {
    let secs = |s: u64| SimTime::ZERO + SimDuration::from_secs(s);
    let mut r = CacheRules::block_cache(None, Eviction::Lru, Some(SimDuration::from_secs(60)));
    r.max_lifetime = Some(SimDuration::from_secs(80));
    let mut p = Prompt::new();
    p.push(1, 100);
    for chain_prompts in [true, false] {
        let mut c = PromptCache::new(r.clone(), chain_prompts, false);
        assert_eq!(c.classed, chain_prompts);
        let mut q = p.clone();
        c.write(WriteTimes::instant(secs(0)), q.blocks(), 0, &[], Lookup::default(), 0);
        q.push(2, 50);
        let hit = c.lookup(secs(30), q.blocks(), 0, &[]);
        assert_eq!(hit.tokens, 100);
        c.write(WriteTimes::instant(secs(30)), q.blocks(), 0, &[], hit, 0);
        // Block 1: min(90, 0 + 80) = 80 s; block 2: min(90, 30 + 80) = 90 s.
        assert_eq!(c.lookup(secs(79), q.blocks(), 0, &[]).tokens, 150);
        assert_eq!(c.lookup(secs(80), q.blocks(), 0, &[]).tokens, 0);
        let mut r2 = r.clone();
        r2.max_lifetime = Some(SimDuration::from_secs(3600));
        let mut c = PromptCache::new(r2, chain_prompts, false);
        c.write(WriteTimes::instant(secs(0)), q.blocks(), 0, &[], Lookup::default(), 0);
        let hit = c.lookup(secs(30), q.blocks(), 0, &[]);
        c.write(WriteTimes::instant(secs(30)), q.blocks(), 0, &[], hit, 0);
        assert_eq!(c.lookup(SimTime::from_micros(89_999_999), q.blocks(), 0, &[]).tokens, 150);
        assert_eq!(c.lookup(secs(90), q.blocks(), 0, &[]).tokens, 0);
    }
}
