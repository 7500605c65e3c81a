//! Monte Carlo: independent replicates in parallel (rayon), merged in replicate
//! order so the result never depends on the thread count or scheduling.

use crate::engine::{ReplicateOutput, simulate_replicate};
use crate::metrics::{ReplicateMetrics, SCHEMA_VERSION, Summary, VariantSummary};
use crate::records::RequestRecord;
use crate::scenario::Scenario;
use rayon::prelude::*;

/// Name of the only variant until experiments (roadmap 3) add more.
pub const BASELINE: &str = "baseline";

/// What to run; the CLI fills these from the scenario and its flags.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunOptions {
    pub seed: u64,
    pub replicates: u32,
    /// Keep every request of replicate 0 (memory grows with simulated time).
    pub record_requests: bool,
}

impl RunOptions {
    pub fn from_scenario(s: &Scenario) -> Self {
        RunOptions { seed: s.simulation.seed, replicates: s.simulation.replicates, record_requests: false }
    }
}

/// Everything a run produces, in replicate order.
#[derive(Debug)]
pub struct RunResult {
    pub summary: Summary,
    pub replicates: Vec<ReplicateMetrics>,
    /// Requests of replicate 0 when `record_requests` was set, else empty.
    pub requests: Vec<RequestRecord>,
}

/// Runs `opts.replicates` replicates on the current rayon pool. `on_done` is
/// called once per finished replicate (from any thread; for progress bars).
pub fn run(scenario: &Scenario, opts: &RunOptions, on_done: &(dyn Fn() + Sync)) -> RunResult {
    let outputs: Vec<ReplicateOutput> = (0..opts.replicates)
        .into_par_iter()
        .map(|rep| {
            let out = simulate_replicate(scenario, opts.seed, rep, opts.record_requests && rep == 0);
            on_done();
            out
        })
        .collect();
    let mut requests = Vec::new();
    let mut replicates = Vec::with_capacity(outputs.len());
    for out in outputs {
        if out.metrics.replicate == 0 {
            requests = out.requests;
        }
        replicates.push(out.metrics);
    }
    let provider_names: Vec<String> = scenario.providers.iter().map(|p| p.name.clone()).collect();
    let workload_names: Vec<String> = scenario.workloads.iter().map(|w| w.name.clone()).collect();
    let summary = Summary {
        schema_version: SCHEMA_VERSION,
        scenario: scenario.name.clone(),
        seed: opts.seed,
        replicates: opts.replicates,
        variants: vec![VariantSummary::from_replicates(
            BASELINE,
            &provider_names,
            &workload_names,
            &scenario.cache_tier_names(),
            &replicates,
        )],
    };
    RunResult { summary, replicates, requests }
}
