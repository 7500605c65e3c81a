//! `cargo bench -p agentsim-bench`: one replicate of each benchmark
//! scenario, best and median of several runs. Times are the thread's CPU
//! time (Linux `/proc/thread-self/schedstat`, wall clock elsewhere), so a
//! shared machine's other work does not count against a run. `agents_10k` reports simulated requests
//! and events per second; `replicas` (8 continuous-batching replicas, where
//! the work is one event per replica iteration) reports engine iterations
//! and output tokens per second; `mmc` (the M/M/4 validation queue run for
//! longer) reports the bare engine's events per second. With
//! `AGENTSIM_BENCH_1M=1`, one more run: 1M sessions at 70/s on 6,400 slots,
//! its time and the process's peak RSS.

use agentsim_bench::{bundled_scenario, bundled_scenario_with};
use sim_core::engine::{ReplicateOutput, simulate_replicate};
use sim_core::scenario::Scenario;
use std::time::Instant;

const RUNS: usize = 9;

/// The `agentsim` binary's allocator, so the figures are the product's.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

fn main() {
    let (out, best, median) = time_runs(&bundled_scenario("scenarios/bench/agents_10k.toml"), RUNS);
    print_requests_events("agents_10k", &out, best, median);

    let (out, best, median) = time_runs(&bundled_scenario("scenarios/bench/replicas.toml"), RUNS);
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

    // The validation M/M/4 queue (rho = 0.75) over 200,000 s (600,000
    // single-request sessions): almost nothing but the event loop, the queue
    // and the metrics.
    let mmc = bundled_scenario_with(
        "scenarios/validation/mmc.toml",
        &[("simulation.warmup", "\"0s\""), ("workloads[0].arrivals.horizon", "\"200000s\"")],
    );
    let (out, best, median) = time_runs(&mmc, RUNS);
    print_requests_events("mmc", &out, best, median);

    if std::env::var_os("AGENTSIM_BENCH_1M").is_some() {
        // The scale target: agents_10k's sessions, 1M of them at
        // 70/s (about 50,000 live at once) on 6,400 slots.
        let big = bundled_scenario_with(
            "scenarios/bench/agents_10k.toml",
            &[
                ("workloads[0].arrivals.sessions", "1000000"),
                ("workloads[0].arrivals.rate_per_s", "70"),
                ("providers[0].serving.slots", "6400"),
            ],
        );
        let (out, secs, _) = time_runs(&big, 1);
        println!(
            "sessions_1m: {} requests, {} events: {:.2} s, {:.2} M requests/s, peak RSS {} MiB",
            out.metrics.overall.requests,
            out.metrics.events,
            secs,
            out.metrics.overall.requests as f64 / secs / 1e6,
            peak_rss_kib().map_or("unknown".to_string(), |k| (k / 1024).to_string())
        );
    }
}

/// The figures of a request-counting benchmark: requests and events per second.
fn print_requests_events(name: &str, out: &ReplicateOutput, best: f64, median: f64) {
    let requests = out.metrics.overall.requests as f64;
    let events = out.metrics.events as f64;
    println!("{name}: {requests} requests, {events} events per replicate ({RUNS} runs)");
    for (label, secs) in [("best", best), ("median", median)] {
        println!(
            "  {label:<6} {:>8.2} ms  {:>6.2} M requests/s  {:>6.2} M events/s",
            secs * 1e3,
            requests / secs / 1e6,
            events / secs / 1e6
        );
    }
}

/// The last run's output, and the best and median wall time in seconds.
fn time_runs(scenario: &Scenario, runs: usize) -> (ReplicateOutput, f64, f64) {
    let mut secs = Vec::with_capacity(runs);
    let mut last = None;
    for _ in 0..runs {
        let (t, cpu) = (Instant::now(), thread_cpu_secs());
        let out = simulate_replicate(scenario, scenario.simulation.seed, 0, false).unwrap();
        secs.push(match (cpu, thread_cpu_secs()) {
            (Some(a), Some(b)) => b - a,
            _ => t.elapsed().as_secs_f64(),
        });
        last = Some(out);
    }
    secs.sort_by(f64::total_cmp);
    (last.expect("at least one run"), secs[0], secs[runs / 2])
}

/// The calling thread's CPU time so far, in seconds (Linux).
fn thread_cpu_secs() -> Option<f64> {
    let stat = std::fs::read_to_string("/proc/thread-self/schedstat").ok()?;
    let ns: u64 = stat.split_whitespace().next()?.parse().ok()?;
    Some(ns as f64 / 1e9)
}

/// The process's peak resident set (Linux `VmHWM`), in KiB.
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
