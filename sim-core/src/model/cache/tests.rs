//! Cache semantics, one hand-computed case each, plus the shortcut shadow test.

use super::*;
use crate::model::prompt::Prompt;
use rand::{Rng, SeedableRng};

fn at(s: u64) -> SimTime {
    SimTime::from_micros(s * 1_000_000)
}

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

fn rules(ttl_s: u64) -> CacheRules {
    CacheRules::block_cache(None, Eviction::Lru, Some(SimDuration::from_secs(ttl_s)))
}

/// Serves `p` at `now` with instant visibility; returns (read, written).
fn serve(c: &mut PromptCache, now: SimTime, p: &Prompt) -> (u64, u64) {
    serve_bp(c, now, now, p, &[])
}

fn serve_bp(c: &mut PromptCache, now: SimTime, visible: SimTime, p: &Prompt, bps: &[PromptBreakpoint]) -> (u64, u64) {
    let hit = c.lookup(now, p.blocks(), p.shared_blocks(), bps);
    let w =
        c.write(WriteTimes { now, visible_at: visible, ttl_from: visible }, p.blocks(), p.shared_blocks(), bps, hit, 0);
    (hit.tokens, w.total())
}

#[test]
fn ttl_boundary_is_exclusive_at_expiry() {
    let mut c = PromptCache::new(rules(60), false, false);
    let p = prompt(&[], &[(1, 100), (2, 50)]);
    assert_eq!(serve(&mut c, at(10), &p), (0, 150));
    let longer = prompt(&[], &[(1, 100), (2, 50), (3, 20)]);
    // Written at 10 s with a 60 s TTL: readable before 70 s, not at 70 s.
    assert_eq!(c.lookup(SimTime::from_micros(69_999_999), longer.blocks(), longer.shared_blocks(), &[]).tokens, 150);
    assert_eq!(c.lookup(at(70), longer.blocks(), longer.shared_blocks(), &[]), Lookup::default());
}

#[test]
fn refresh_on_hit_extends_life_only_when_enabled() {
    for (refresh, expect) in [(true, 150), (false, 0)] {
        let mut r = rules(60);
        r.refresh_on_hit = refresh;
        let mut c = PromptCache::new(r, false, false);
        let p = prompt(&[], &[(1, 100), (2, 50)]);
        serve(&mut c, at(0), &p);
        assert_eq!(serve(&mut c, at(50), &p), (150, 0));
        assert_eq!(c.lookup(at(100), p.blocks(), p.shared_blocks(), &[]).tokens, expect, "refresh {refresh}");
    }
}

#[test]
fn lifetime_cap_ends_an_entry_whatever_its_refreshes() {
    let mut r = rules(600);
    r.max_lifetime = Some(SimDuration::from_secs(3600));
    let mut c = PromptCache::new(r, false, false);
    let p = prompt(&[], &[(1, 2_000)]);
    serve(&mut c, at(0), &p);
    for t in (500..3600).step_by(500) {
        assert_eq!(serve(&mut c, at(t), &p).0, 2_000, "at {t}");
    }
    assert_eq!(c.lookup(at(3600), p.blocks(), p.shared_blocks(), &[]), Lookup::default());
}

#[test]
fn prompts_below_the_minimum_are_neither_read_nor_written() {
    let mut r = rules(300);
    r.min_tokens = 1024;
    let mut c = PromptCache::new(r, false, false);
    let short = prompt(&[], &[(1, 1000)]);
    assert_eq!(serve(&mut c, at(0), &short), (0, 0));
    assert_eq!(serve(&mut c, at(1), &short), (0, 0));
    // A long prompt is cached, but a hit on its first 1,000 tokens alone is too short.
    let long = prompt(&[], &[(1, 1000), (2, 500)]);
    assert_eq!(serve(&mut c, at(2), &long), (0, 1500));
    let branch = prompt(&[], &[(1, 1000), (3, 500)]);
    assert_eq!(serve(&mut c, at(3), &branch), (0, 1500));
    assert_eq!(serve(&mut c, at(4), &long), (1500, 0));
}

#[test]
fn granularity_rounds_reads_and_writes_down() {
    let mut r = rules(300);
    r.granularity_tokens = 128;
    let mut c = PromptCache::new(r, false, false);
    let p = prompt(&[], &[(1, 1000), (2, 300)]);
    // 1,300 tokens: 1,280 cacheable (10 x 128); 20 stay uncached.
    assert_eq!(serve(&mut c, at(0), &p), (0, 1280));
    let next = prompt(&[], &[(1, 1000), (2, 300), (3, 100)]);
    // Hit 1,300 -> 1,280 read; 1,400 -> 1,280 cacheable: nothing new written.
    assert_eq!(serve(&mut c, at(1), &next), (1280, 0));
}

#[test]
fn writes_become_visible_only_at_prefill_end() {
    let mut c = PromptCache::new(rules(300), false, false);
    let p = prompt(&[(7, 4000)], &[(1, 10)]);
    let q = prompt(&[(7, 4000)], &[(2, 10)]);
    // Two requests with the same new prefix start 1 s apart; the first's prefill ends at 3 s.
    assert_eq!(serve_bp(&mut c, at(0), at(3), &p, &[]), (0, 4010));
    assert_eq!(serve_bp(&mut c, at(1), at(4), &q, &[]), (0, 4010));
    // After the first prefill ends, the shared prefix is readable.
    let r = prompt(&[(7, 4000)], &[(3, 10)]);
    assert_eq!(serve_bp(&mut c, at(3), at(5), &r, &[]).0, 4000);
}

#[test]
fn explicit_mode_caches_only_at_breakpoints_and_looks_back() {
    let mut r = rules(300);
    r.explicit_lookback = Some(2);
    r.tier_ttls = vec![SimDuration::from_secs(300), SimDuration::from_secs(3600)];
    let mut c = PromptCache::new(r, true, false);
    // system (1,000) | task (200) | h1 (100); breakpoints after system (1 h) and at the end (5 m).
    let p1 = prompt(&[(1, 1000)], &[(2, 200), (3, 100)]);
    let bps1 = [PromptBreakpoint { block: 0, tier: 1 }, PromptBreakpoint { block: 2, tier: 0 }];
    let hit = c.lookup(at(0), p1.blocks(), p1.shared_blocks(), &bps1);
    let w = c.write(WriteTimes::instant(at(0)), p1.blocks(), 1, &bps1, hit, 0);
    assert_eq!((hit.tokens, w.by_tier[1], w.by_tier[0]), (0, 1000, 300));
    // Next step: the end breakpoint moved one block on; looking back finds the old end.
    let p2 = prompt(&[(1, 1000)], &[(2, 200), (3, 100), (4, 50)]);
    let bps2 = [PromptBreakpoint { block: 0, tier: 1 }, PromptBreakpoint { block: 3, tier: 0 }];
    assert_eq!(serve_bp(&mut c, at(10), at(10), &p2, &bps2), (1300, 50));
    // Without a breakpoint in reach, a cached prefix is not found: only the system one is.
    let far = prompt(&[(1, 1000)], &[(2, 200), (3, 100), (4, 50), (5, 1), (6, 1), (7, 1)]);
    let bps3 = [PromptBreakpoint { block: 0, tier: 1 }, PromptBreakpoint { block: 6, tier: 0 }];
    assert_eq!(c.lookup(at(20), far.blocks(), far.shared_blocks(), &bps3).tokens, 1000);
    // The 1 h system entry outlives the 5 m ones.
    assert_eq!(c.lookup(at(1000), p2.blocks(), p2.shared_blocks(), &bps2).tokens, 1000);
    // A prompt without breakpoints writes nothing.
    let lone = prompt(&[(9, 5000)], &[]);
    assert_eq!(serve_bp(&mut c, at(30), at(30), &lone, &[]), (0, 0));
}

#[test]
fn lru_evicts_least_recently_used_and_deepest_first() {
    let r = CacheRules::block_cache(Some(300), Eviction::Lru, None);
    let mut c = PromptCache::new(r, false, false);
    let a = prompt(&[], &[(1, 100)]);
    let b = prompt(&[], &[(2, 100)]);
    let d = prompt(&[], &[(3, 100)]);
    serve(&mut c, at(0), &a);
    serve(&mut c, at(1), &b);
    serve(&mut c, at(2), &a); // a is now more recent than b
    serve(&mut c, at(3), &d); // full: 300 tokens
    let e = prompt(&[], &[(4, 100)]);
    serve(&mut c, at(4), &e); // evicts b
    assert_eq!(c.lookup(at(5), b.blocks(), b.shared_blocks(), &[]).tokens, 0);
    assert_eq!(c.lookup(at(5), a.blocks(), a.shared_blocks(), &[]).tokens, 100);
    assert_eq!(c.tokens(), 300);
    // A chain touched at one instant loses its tail first.
    let mut c = PromptCache::new(CacheRules::block_cache(Some(250), Eviction::Lru, None), false, false);
    let chain = prompt(&[], &[(1, 100), (2, 100)]);
    serve(&mut c, at(0), &chain);
    serve(&mut c, at(1), &prompt(&[], &[(8, 100)]));
    assert_eq!(c.lookup(at(2), chain.blocks(), chain.shared_blocks(), &[]).tokens, 100);
}

#[test]
fn lfu_keeps_the_most_used_and_none_refuses_new_entries() {
    let mut c = PromptCache::new(CacheRules::block_cache(Some(200), Eviction::Lfu, None), false, false);
    let hot = prompt(&[], &[(1, 100)]);
    let cold = prompt(&[], &[(2, 100)]);
    for t in 0..5 {
        serve(&mut c, at(t), &hot);
    }
    serve(&mut c, at(10), &cold);
    serve(&mut c, at(11), &prompt(&[], &[(3, 100)])); // evicts cold (1 use), not hot (5)
    assert_eq!(c.lookup(at(12), hot.blocks(), hot.shared_blocks(), &[]).tokens, 100);
    assert_eq!(c.lookup(at(12), cold.blocks(), cold.shared_blocks(), &[]).tokens, 0);

    let mut c = PromptCache::new(CacheRules::block_cache(Some(100), Eviction::None, None), false, false);
    serve(&mut c, at(0), &hot);
    serve(&mut c, at(1), &cold);
    assert_eq!(c.lookup(at(2), hot.blocks(), hot.shared_blocks(), &[]).tokens, 100);
    assert_eq!(c.lookup(at(2), cold.blocks(), cold.shared_blocks(), &[]).tokens, 0);
}

#[test]
fn storage_spans_cover_the_time_each_entry_was_held() {
    let mut c = PromptCache::new(rules(600), false, true);
    let p = prompt(&[], &[(1, 1000)]);
    serve(&mut c, at(0), &p);
    serve(&mut c, at(300), &p); // refresh: now lives to 900 s
    serve(&mut c, at(1000), &prompt(&[], &[(2, 10)])); // purge at 1,000 s removes it
    let spans = c.take_stored();
    assert_eq!(spans.len(), 1);
    assert_eq!((spans[0].tokens, spans[0].stored), (1000, SimDuration::from_secs(900)));
    c.close();
    let rest = c.take_stored();
    assert_eq!(rest.len(), 1);
    assert_eq!(rest[0].stored, SimDuration::from_secs(600));
}

#[test]
fn expired_entries_are_purged() {
    let mut c = PromptCache::new(rules(10), false, false);
    for i in 0..100 {
        serve(&mut c, at(i * 20), &prompt(&[], &[(i, 5)]));
    }
    assert!(c.entries() <= 2, "{} entries left", c.entries());
    assert!(c.peak_entries() <= 2);
}

#[test]
fn chain_shortcut_matches_per_block_semantics_on_agent_sessions() {
    let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(5);
    let r = rules(30);
    assert!(r.chain_shortcut_is_exact());
    let mut fast = PromptCache::new(r.clone(), true, false);
    let mut full = PromptCache::new(r, false, false);
    let mut sessions: Vec<Prompt> = Vec::new();
    let mut now = SimTime::ZERO;
    for step in 0..20_000u64 {
        now += SimDuration::from_millis(rng.random_range(0..2_000));
        let i = rng.random_range(0..40usize);
        if i >= sessions.len() || rng.random_bool(0.05) {
            let system = rng.random_range(0..3u64);
            let p = prompt(&[(system, 1_000), (10 + system % 2, 500)], &[(1_000 + step, 50)]);
            if i >= sessions.len() {
                sessions.push(p);
            } else {
                sessions[i] = p;
            }
        } else {
            sessions[i].push(2_000_000 + step, rng.random_range(1..300));
        }
        let p = &sessions[i.min(sessions.len() - 1)];
        let visible = now + SimDuration::from_millis(rng.random_range(0..500));
        let a = fast.lookup(now, p.blocks(), p.shared_blocks(), &[]);
        let b = full.lookup(now, p.blocks(), p.shared_blocks(), &[]);
        assert_eq!(a, b, "step {step}");
        let times = WriteTimes { now, visible_at: visible, ttl_from: visible };
        let wa = fast.write(times, p.blocks(), p.shared_blocks(), &[], a, 0);
        let wb = full.write(times, p.blocks(), p.shared_blocks(), &[], b, 0);
        assert_eq!(wa, wb, "step {step}");
    }
}
