//! `cargo bench -p agentsim-bench`: one replicate of each benchmark
//! scenario, best and median of several runs (wall clock here is fine: this
//! is not a test and not sim-core). `agents_10k` reports simulated requests
//! and events per second; `replicas` (8 continuous-batching replicas, where
//! the work is one event per replica iteration) reports engine iterations
//! and output tokens per second.

use agentsim_bench::bundled_scenario;
use sim_core::engine::{ReplicateOutput, simulate_replicate};
use std::time::Instant;

const RUNS: usize = 9;

fn main() {
    let (out, best, median) = time_runs("scenarios/bench/agents_10k.toml");
    let requests = out.metrics.overall.requests as f64;
    let events = out.metrics.events as f64;
    println!("agents_10k: {requests} requests, {events} events per replicate ({RUNS} runs)");
    for (label, secs) in [("best", best), ("median", median)] {
        println!(
            "  {label:<6} {:>8.2} ms  {:>6.2} M requests/s  {:>6.2} M events/s",
            secs * 1e3,
            requests / secs / 1e6,
            events / secs / 1e6
        );
    }

    let (out, best, median) = time_runs("scenarios/bench/replicas.toml");
    let m = &out.metrics;
    let iterations = m.overall.serving.map_or(0, |g| g.iterations) as f64;
    let tokens = m.overall.tokens.output as f64;
    println!(
        "replicas: {} requests, {iterations} iterations, {tokens} output tokens, {} events per replicate ({RUNS} runs)",
        m.overall.requests, m.events
    );
    for (label, secs) in [("best", best), ("median", median)] {
        println!(
            "  {label:<6} {:>8.2} ms  {:>6.2} M iterations/s  {:>6.1} M output tokens/s",
            secs * 1e3,
            iterations / secs / 1e6,
            tokens / secs / 1e6
        );
    }
}

/// The last run's output, and the best and median wall time in seconds.
fn time_runs(scenario: &str) -> (ReplicateOutput, f64, f64) {
    let scenario = bundled_scenario(scenario);
    let mut secs = Vec::with_capacity(RUNS);
    let mut last = None;
    for _ in 0..RUNS {
        let t = Instant::now();
        let out = simulate_replicate(&scenario, scenario.simulation.seed, 0, false).unwrap();
        secs.push(t.elapsed().as_secs_f64());
        last = Some(out);
    }
    secs.sort_by(f64::total_cmp);
    (last.expect("at least one run"), secs[0], secs[RUNS / 2])
}
