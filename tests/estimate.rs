//! The up-front work estimate against what the bundled scenarios really do:
//! requests within 5%, keep-alive pings bounded above (by at most 2.5x) and
//! peak cache entries within a factor 2. docs/model.md ("Limits") states these.

use sim_core::estimate::WorkEstimate;
use sim_core::metrics::{ReplicateMetrics, VariantRecord};
use sim_core::montecarlo::{self, RunHooks, RunOptions};
use sim_core::scenario::{SourceText, load};

fn mean_of(summary: &sim_core::metrics::Summary, metric: &str) -> f64 {
    summary.variants[0].metrics.get(metric).and_then(|s| s.mean).unwrap_or(0.0)
}

#[test]
fn estimates_match_the_bundled_scenarios() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    for file in [
        "scenarios/quickstart.toml",
        "scenarios/bench/agents_10k.toml",
        "scenarios/examples/explicit_breakpoints.toml",
        "scenarios/examples/provider_comparison.toml",
        "scenarios/examples/ttl_comparison.toml",
    ] {
        let text = std::fs::read_to_string(format!("{root}/{file}")).unwrap();
        let sc = load(&SourceText { name: file, text: &text }, &[]).unwrap();
        let opts = RunOptions { replicates: 3, ..RunOptions::from_scenario(&sc) };
        let e = WorkEstimate::of(&sc, &opts, 1);
        let hooks =
            RunHooks { on_done: &|| {}, on_replicate: &mut |_: &str, _: &ReplicateMetrics, _: &VariantRecord| {} };
        let run = montecarlo::run(&sc, &[], &opts, hooks).unwrap();
        let pings = mean_of(&run.summary, "keep_alive_requests");
        let requests = mean_of(&run.summary, "requests") - pings;
        let entries = mean_of(&run.summary, "cache_entries_peak");
        let ratio = e.requests_per_replicate / requests;
        assert!(
            (0.95..=1.05).contains(&ratio),
            "{file}: requests estimated {} vs {requests}",
            e.requests_per_replicate
        );
        assert!(
            e.keep_alive_per_replicate >= pings,
            "{file}: pings estimated {} < {pings}",
            e.keep_alive_per_replicate
        );
        assert!(
            e.keep_alive_per_replicate <= 2.5 * pings + 1.0,
            "{file}: pings {} vs {pings}",
            e.keep_alive_per_replicate
        );
        let ratio = e.peak_cache_entries / entries;
        assert!((0.5..=2.0).contains(&ratio), "{file}: cache entries estimated {} vs {entries}", e.peak_cache_entries);
    }
}

/// A replicas provider's events are mostly its iterations: the estimate
/// against real runs of the bundled benchmark at a light and a heavy load
/// (5,000 requests each, so the drain after the last arrival weighs more
/// than in the benchmark itself).
#[test]
fn replicas_iterations_are_estimated_within_a_third() {
    let root = concat!(env!("CARGO_MANIFEST_DIR"), "/..");
    let file = "scenarios/bench/replicas.toml";
    let text = std::fs::read_to_string(format!("{root}/{file}")).unwrap();
    for rate in ["4", "32"] {
        let sets =
            ["workloads[0].arrivals.sessions=5000".to_string(), format!("workloads[0].arrivals.rate_per_s={rate}")];
        let overrides: Vec<_> = sets.iter().map(|s| sim_core::scenario::parse_override(s).unwrap()).collect();
        let sc = load(&SourceText { name: file, text: &text }, &overrides).unwrap();
        let opts = RunOptions { replicates: 1, ..RunOptions::from_scenario(&sc) };
        let e = WorkEstimate::of(&sc, &opts, 1);
        let mut real = (0.0, 0.0);
        let mut on_replicate = |_: &str, m: &ReplicateMetrics, _: &VariantRecord| {
            real = (m.overall.serving.map_or(0, |g| g.iterations) as f64, m.events as f64);
        };
        montecarlo::run(&sc, &[], &opts, RunHooks { on_done: &|| {}, on_replicate: &mut on_replicate }).unwrap();
        let (iterations, events) = real;
        let ratio = e.iterations_per_replicate / iterations;
        assert!(
            (0.75..=1.33).contains(&ratio),
            "rate {rate}: iterations estimated {} vs {iterations}",
            e.iterations_per_replicate
        );
        let ratio = e.events_per_replicate / events;
        assert!((0.75..=1.33).contains(&ratio), "rate {rate}: events estimated {} vs {events}", e.events_per_replicate);
    }
}

#[test]
fn variants_add_their_work_to_the_run() {
    // Every variant runs on every replicate: a variant with twice the
    // arrival rate adds about twice the baseline's events, and the largest
    // memory wins.
    let file = "scenarios/quickstart.toml";
    let text = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/../scenarios/quickstart.toml")).unwrap();
    let sc = load(&SourceText { name: file, text: &text }, &[]).unwrap();
    let mut bigger = sc.clone();
    for w in &mut bigger.workloads {
        if let sim_core::scenario::Arrivals::Poisson { rate_per_s, stop } = &mut w.arrivals {
            *rate_per_s *= 2.0;
            if let sim_core::scenario::ArrivalStop::Sessions(n) = stop {
                *n *= 2;
            }
        }
    }
    let opts = RunOptions::from_scenario(&sc);
    let (one, two) = (WorkEstimate::of(&sc, &opts, 2), WorkEstimate::of(&bigger, &opts, 2));
    let run = WorkEstimate::of_run(&sc, &[&bigger], &opts, 2);
    assert_eq!(run.variants, 2);
    assert!((run.total_events - (one.total_events + two.total_events)).abs() <= 1e-9 * run.total_events);
    assert!(two.total_events > 1.5 * one.total_events, "the variant has more sessions");
    assert_eq!(run.peak_memory_bytes, one.peak_memory_bytes.max(two.peak_memory_bytes));
    assert!(run.to_string().contains("x 2 scenarios"), "{run}");
}
