//! `cargo bench -p agentsim-bench`: simulated requests and events per second
//! of one replicate of `scenarios/bench/agents_10k.toml`, best and median of
//! several runs (wall clock here is fine: this is not a test and not sim-core).

use agentsim_bench::bundled_scenario;
use sim_core::engine::simulate_replicate;
use std::time::Instant;

fn main() {
    let scenario = bundled_scenario("scenarios/bench/agents_10k.toml");
    let runs = 9;
    let mut secs = Vec::with_capacity(runs);
    let mut last = None;
    for _ in 0..runs {
        let t = Instant::now();
        let out = simulate_replicate(&scenario, scenario.simulation.seed, 0, false).unwrap();
        secs.push(t.elapsed().as_secs_f64());
        last = Some(out);
    }
    let out = last.expect("at least one run");
    secs.sort_by(f64::total_cmp);
    let (best, median) = (secs[0], secs[runs / 2]);
    let requests = out.metrics.overall.requests as f64;
    let events = out.metrics.events as f64;
    println!("agents_10k: {requests} requests, {events} events per replicate ({runs} runs)");
    println!(
        "  best   {:>8.2} ms  {:>6.2} M requests/s  {:>6.2} M events/s",
        best * 1e3,
        requests / best / 1e6,
        events / best / 1e6
    );
    println!(
        "  median {:>8.2} ms  {:>6.2} M requests/s  {:>6.2} M events/s",
        median * 1e3,
        requests / median / 1e6,
        events / median / 1e6
    );
}
