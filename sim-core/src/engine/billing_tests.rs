//! Engine-level tests of the cache and price semantics of a whole request
//! flow: keep-alive, storage, long context, time-of-day windows, cache scope,
//! explicit breakpoints, reasoning tokens, ledger reconciliation.

use super::simulate_replicate;
use super::tests::{fixed, provider, scenario, shared, workload};
use crate::dist::Dist;
use crate::metrics::metric_names;
use crate::scenario::*;
use crate::time::SimDuration;

fn close(a: f64, b: f64) {
    assert!((a - b).abs() <= 1e-12 * b.abs().max(1e-6), "{a} vs {b}");
}

#[test]
fn keep_alive_pings_keep_the_prefix_warm_and_are_billed() {
    // One session, 2 steps, a 10-minute pause, a 5-minute TTL.
    let run = |keep_alive: Option<KeepAlive>| {
        let mut p = provider(1);
        p.cache.tiers[0].ttl = SimDuration::from_secs(300);
        let mut w = workload(1, 1.0);
        w.steps = fixed(2.0);
        w.think_time = Dist::Fixed(600.0);
        w.keep_alive = keep_alive;
        simulate_replicate(&scenario(p, w), 1, 0, true).unwrap()
    };
    let without = run(None);
    assert_eq!(without.requests[1].tokens.cache_read, 0);
    let with = run(Some(KeepAlive { interval: SimDuration::from_secs(240), output_tokens: 1 }));
    assert_eq!(with.requests[1].tokens.cache_read, 1_000);
    let m = &with.metrics.overall;
    // Pings at +240 s and +480 s after step 1 ends (the next step is at +600 s).
    assert_eq!((m.keep_alive_requests, m.requests), (2, 4));
    // Each ping reads 1,000 tokens and writes 1 output token.
    let ping = (1_000.0 * 0.3 + 15.0) / 1e6;
    let steps = (1_000.0 * 3.75 + 100.0 * 15.0) + (1_000.0 * 0.3 + 100.0 * 3.75 + 100.0 * 15.0);
    close(m.cost.total(), 2.0 * ping + steps / 1e6);
}

#[test]
fn storage_is_billed_for_the_time_entries_are_held() {
    let mut p = provider(1);
    p.cache.tiers[0].ttl = SimDuration::from_secs(3600);
    p.pricing.base.storage_usd_per_mtok_hour = 4.5;
    let sc = scenario(p, workload(1, 1.0));
    let m = simulate_replicate(&sc, 1, 0, false).unwrap().metrics.overall;
    // 1,000 tokens held for the full hour after the run ends (billed to expiry).
    close(m.cost.storage.usd(), 1_000.0 * 4.5 / 1e6);
}

#[test]
fn long_context_sheet_bills_the_whole_request() {
    let mut p = provider(1);
    p.cache.enabled = false;
    let mut long = p.pricing.base.clone();
    long.input_usd_per_mtok = 6.0;
    long.output_usd_per_mtok = 22.5;
    p.pricing.long_context = Some(LongContext { threshold_tokens: 999, sheet: long });
    let m = simulate_replicate(&scenario(p, workload(1, 1.0)), 1, 0, false).unwrap().metrics.overall;
    close(m.cost.total(), (1_000.0 * 6.0 + 100.0 * 22.5) / 1e6);
}

#[test]
fn off_peak_window_halves_prices_by_time_of_day() {
    let mut p = provider(1);
    p.cache.enabled = false;
    p.pricing.windows = vec![PriceWindow { start_s: 0, end_s: 3600, multiplier: 0.5 }];
    let mut sc = scenario(p, workload(300, 0.05));
    // Simulated zero at 00:00 UTC: the window covers the first hour; at
    // 23:00 it starts an hour in. Requests are 1,000 in + 100 out.
    let full = (1_000.0 * 3.0 + 100.0 * 15.0) / 1e6;
    for start in [0, 23 * 3600] {
        sc.simulation.start_time_of_day_s = start;
        let out = simulate_replicate(&sc, 1, 0, true).unwrap();
        assert!(out.requests.iter().any(|r| r.start.as_secs_f64() > 3600.0));
        for r in &out.requests {
            let tod = (f64::from(start) + r.start.as_secs_f64()) % 86_400.0;
            let expect = if tod < 3600.0 { full / 2.0 } else { full };
            close(r.cost.total(), expect);
        }
    }
}

#[test]
fn api_key_scope_isolates_caches() {
    for (scope, keys, expect_cross_hit) in [
        (CacheScope::Provider, ["a", "b"], true),
        (CacheScope::ApiKey, ["a", "b"], false),
        (CacheScope::ApiKey, ["a", "a"], true),
    ] {
        let mut p = provider(4);
        p.cache.scope = scope;
        let mut w1 = workload(1, 1.0);
        w1.shared_segments = shared(5_000);
        w1.api_key = keys[0].into();
        let mut w2 = w1.clone();
        w2.name = "w2".into();
        w2.api_key = keys[1].into();
        // w2's only session arrives long after w1's wrote the shared prefix.
        w2.arrivals = Arrivals::Poisson { rate_per_s: 0.02, stop: ArrivalStop::Sessions(1) };
        let mut sc = scenario(p, w1);
        sc.workloads.push(w2);
        let out = simulate_replicate(&sc, 3, 0, true).unwrap();
        let second = out.requests.iter().find(|r| r.workload == 1).expect("w2 ran");
        let first_end = out.requests.iter().find(|r| r.workload == 0).expect("w1 ran").end;
        assert!(second.start > first_end && second.start.as_secs_f64() < first_end.as_secs_f64() + 60.0);
        assert_eq!(second.tokens.cache_read > 0, expect_cross_hit, "{scope:?} {keys:?}");
    }
}

#[test]
fn explicit_breakpoints_cache_only_what_the_client_marks() {
    let mut p = provider(4);
    p.cache.mode = CacheMode::Explicit { max_breakpoints: 4, lookback_blocks: 20 };
    p.cache.tiers.push(CacheTier { name: "1h".into(), ttl: SimDuration::from_secs(3600) });
    p.pricing.base.cache_write_usd_per_mtok = vec![3.75, 6.0];
    let mut w = workload(1, 1.0);
    w.shared_segments = shared(5_000);
    w.steps = fixed(3.0);
    w.think_time = Dist::Fixed(10.0);
    w.breakpoints = vec![
        BreakpointRule { at: BreakpointAt::AfterSegment("system".into()), tier: 1 },
        BreakpointRule { at: BreakpointAt::End, tier: 0 },
    ];
    let out = simulate_replicate(&scenario(p, w), 1, 0, true).unwrap();
    let r = &out.requests;
    // Step 1: system (5,000) written at the 1 h tier, task (1,000) at the 5 m tier.
    assert_eq!((r[0].tokens.cache_write_by_tier[0], r[0].tokens.cache_write_by_tier[1]), (1_000, 5_000));
    assert_eq!(r[0].tokens.cache_write, 6_000);
    // Step 2 reads the whole previous prompt via the rolling end breakpoint.
    assert_eq!(r[1].tokens.cache_read, 6_000);
    assert_eq!(r[1].tokens.cache_write, 100);
    let names = metric_names(&["1m".to_string(), "1h".to_string()]);
    let v = out.metrics.overall.values(2);
    let at = |n: &str| v[names.iter().position(|x| x == n).unwrap()].unwrap();
    assert_eq!(at("tokens_cache_write_1h"), 5_000.0);
    assert_eq!(at("tokens_cache_write_1m"), 1_000.0 + 100.0 + 100.0);
}

#[test]
fn reasoning_is_billed_as_output_and_kept_out_of_history_by_default() {
    for (in_history, expect_input) in [(false, 1_100), (true, 1_150)] {
        let mut w = workload(1, 1.0);
        w.steps = fixed(2.0);
        w.reasoning_tokens = fixed(50.0);
        w.reasoning_in_history = in_history;
        let out = simulate_replicate(&scenario(provider(1), w), 1, 0, true).unwrap();
        let r = &out.requests;
        assert_eq!((r[0].tokens.output, r[0].tokens.reasoning), (150, 50));
        assert_eq!(r[1].tokens.input, expect_input);
    }
}

#[test]
fn the_ledger_reconciles_in_every_scope() {
    let mut p = provider(2);
    p.pricing.base.storage_usd_per_mtok_hour = 1.0;
    p.failures.error_rate = 0.1;
    p.failures.max_retries = 3;
    let mut w = workload(300, 1.0);
    w.shared_segments = shared(2_000);
    w.steps = fixed(4.0);
    w.think_time = Dist::Exponential { mean: 90.0 };
    w.keep_alive = Some(KeepAlive { interval: SimDuration::from_secs(30), output_tokens: 1 });
    let out = simulate_replicate(&scenario(p, w), 8, 0, false).unwrap();
    let names = metric_names(&["1m".to_string()]);
    let m = &out.metrics;
    for scope in [&m.overall, &m.by_provider[0], &m.by_workload[0]] {
        let v = scope.values(1);
        let at = |n: &str| v[names.iter().position(|x| x == n).unwrap()].unwrap();
        let classes =
            ["cost_usd_uncached", "cost_usd_cache_read", "cost_usd_cache_write", "cost_usd_output", "cost_usd_storage"];
        close(classes.iter().map(|c| at(c)).sum::<f64>(), at("cost_usd"));
        assert_eq!(at("tokens_uncached") + at("tokens_cache_read") + at("tokens_cache_write"), at("tokens_input"));
        assert!(at("cost_usd_storage") > 0.0 && at("keep_alive_requests") > 0.0);
        // Independently of the per-request sums: at flat prices each class
        // costs its token count times its price.
        let near = |a: f64, b: f64| assert!((a - b).abs() <= 1e-9 * b.max(1e-9), "{a} vs {b}");
        near(at("cost_usd_uncached"), at("tokens_uncached") * 3.0 / 1e6);
        near(at("cost_usd_cache_read"), at("tokens_cache_read") * 0.3 / 1e6);
        near(at("cost_usd_cache_write"), at("tokens_cache_write") * 3.75 / 1e6);
        near(at("cost_usd_output"), at("tokens_output") * 15.0 / 1e6);
    }
}

#[test]
fn simultaneous_requests_with_a_new_prefix_all_miss_and_all_pay_the_write() {
    // 20 sessions arrive within a second; each prefill of the 50,000-token
    // shared prefix takes 5 s, so none can read what the others are writing.
    let mut w = workload(20, 20.0);
    w.shared_segments = shared(50_000);
    let out = simulate_replicate(&scenario(provider(32), w), 4, 0, true).unwrap();
    let (early, late): (Vec<_>, Vec<_>) = out.requests.iter().partition(|r| r.start.as_secs_f64() < 5.0);
    assert!(early.len() >= 10, "{} early requests", early.len());
    assert!(early.iter().all(|r| r.tokens.cache_read == 0 && r.tokens.cache_write == 51_000));
    assert!(late.iter().all(|r| r.tokens.cache_read == 50_000));
}

#[test]
fn best_effort_misses_drop_about_the_configured_share_of_hits() {
    let hits = |miss_probability: f64| {
        let mut p = provider(64);
        p.cache.miss_probability = miss_probability;
        let mut w = workload(2_000, 2.0);
        w.shared_segments = shared(4_000);
        let out = simulate_replicate(&scenario(p, w), 6, 0, false).unwrap();
        out.metrics.overall.requests_with_cache_read as f64
    };
    let (all, some) = (hits(0.0), hits(0.3));
    let ratio = some / all;
    // Binomial share of ~2,000 hits: standard error about 0.01.
    assert!((ratio - 0.7).abs() < 0.05, "kept {ratio} of hits");
}

#[test]
fn keep_alive_pings_write_at_the_sessions_own_breakpoint_tiers() {
    // Explicit cache whose first tier is 1 h; the workload's rolling end
    // breakpoint uses the 5 m tier. Pings every 6 min find the 5 m entry
    // expired and re-write it: at the 5 m tier, never the 1 h one.
    let mut p = provider(1);
    p.cache.mode = CacheMode::Explicit { max_breakpoints: 4, lookback_blocks: 20 };
    p.cache.tiers = vec![
        CacheTier { name: "1h".into(), ttl: SimDuration::from_secs(3600) },
        CacheTier { name: "5m".into(), ttl: SimDuration::from_secs(300) },
    ];
    p.pricing.base.cache_write_usd_per_mtok = vec![6.0, 3.75];
    let mut w = workload(1, 1.0);
    w.steps = fixed(2.0);
    w.think_time = Dist::Fixed(780.0);
    w.breakpoints = vec![BreakpointRule { at: BreakpointAt::End, tier: 1 }];
    w.keep_alive = Some(KeepAlive { interval: SimDuration::from_secs(360), output_tokens: 1 });
    let out = simulate_replicate(&scenario(p, w), 1, 0, false).unwrap();
    let m = &out.metrics.overall;
    assert_eq!(m.keep_alive_requests, 2);
    let names = metric_names(&["1h".to_string(), "5m".to_string()]);
    let v = m.values(2);
    let at = |n: &str| v[names.iter().position(|x| x == n).unwrap()].unwrap();
    assert_eq!(at("tokens_cache_write_1h"), 0.0);
    // Step 1 writes 1,000; each ping re-writes them; step 2 reads them and writes 100.
    assert_eq!(at("tokens_cache_write_5m"), 1_000.0 * 3.0 + 100.0);
}

#[test]
fn trace_sessions_honour_the_workloads_end_breakpoint() {
    use crate::trace::{Trace, TraceRequest};
    use std::sync::Arc;
    let trace = Trace::new(
        512,
        (0..3)
            .map(|i| TraceRequest {
                arrival_us: i * 10_000_000,
                input_tokens: 1_100,
                output_tokens: 1,
                blocks: vec![1, 2, 3],
                ..Default::default()
            })
            .collect(),
    );
    for (rules, expect_read) in [(vec![BreakpointRule { at: BreakpointAt::End, tier: 0 }], 2 * 1_100), (vec![], 0)] {
        let mut p = provider(1);
        p.cache.mode = CacheMode::Explicit { max_breakpoints: 4, lookback_blocks: 20 };
        let mut w = workload(1, 1.0);
        w.arrivals =
            Arrivals::Trace { file: "trace.jsonl".into(), read: Default::default(), trace: Arc::new(trace.clone()) };
        w.breakpoints = rules;
        let m = simulate_replicate(&scenario(p, w), 1, 0, false).unwrap().metrics.overall;
        assert_eq!((m.requests, m.tokens.cache_read), (3, expect_read));
    }
}
