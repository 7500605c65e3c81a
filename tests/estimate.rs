//! The up-front work estimate against what the bundled scenarios really do:
//! requests within 5%, keep-alive pings bounded above (by at most 2.5x) and
//! peak cache entries within a factor 2. docs/model.md ("Limits") states these.

use sim_core::estimate::WorkEstimate;
use sim_core::metrics::ReplicateMetrics;
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
        let hooks = RunHooks { on_done: &|| {}, on_replicate: &mut |_: &ReplicateMetrics| {} };
        let run = montecarlo::run(&sc, &opts, hooks).unwrap();
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
