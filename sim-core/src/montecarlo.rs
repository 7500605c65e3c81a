//! Monte Carlo: independent replicates in parallel (rayon), folded in
//! replicate order as they finish, so the result never depends on the thread
//! count or scheduling, and memory never depends on the replicate count.
//!
//! Workers claim replicate indices in increasing order; a finished replicate
//! waits in a reorder buffer until every earlier one has been folded. A worker
//! may not claim an index more than `2 x threads` ahead of the next one to
//! fold, so the buffer holds at most that many replicates.

use crate::engine::{Recording, ReplicateOutput, SimLimit, TimeseriesRow, simulate_replicate_with};
use crate::metrics::{ReplicateMetrics, SCHEMA_VERSION, Summary, VariantAccumulator};
use crate::records::RequestRecord;
use crate::scenario::Scenario;
use std::collections::BTreeMap;
use std::panic::{self, AssertUnwindSafe};
use std::sync::{Condvar, Mutex, PoisonError};

/// Name of the only variant until experiments (roadmap 3) add more.
pub const BASELINE: &str = "baseline";

/// What to run; the CLI fills these from the scenario and its flags.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RunOptions {
    pub seed: u64,
    pub replicates: u32,
    /// Keep every request of replicate 0 (memory grows with simulated time).
    pub record_requests: bool,
    /// Keep the time series of replicate 0 (one row per provider per
    /// interval: memory grows with simulated time).
    pub record_timeseries: bool,
}

impl RunOptions {
    pub fn from_scenario(s: &Scenario) -> Self {
        RunOptions {
            seed: s.simulation.seed,
            replicates: s.simulation.replicates,
            record_requests: false,
            record_timeseries: false,
        }
    }
}

/// Everything a run keeps: the summary, and the requests and time series of
/// replicate 0 when they were asked for. Per-replicate metrics go to the
/// caller's sink.
#[derive(Debug)]
pub struct RunResult {
    pub summary: Summary,
    /// Requests of replicate 0 when `record_requests` was set, else empty.
    pub requests: Vec<RequestRecord>,
    /// Time series of replicate 0 when `record_timeseries` was set, else empty.
    pub timeseries: Vec<TimeseriesRow>,
}

/// The callbacks of a run. `on_done` is called once per finished replicate,
/// from any thread (progress bars); `on_replicate` once per replicate in
/// replicate order (e.g. to stream `replicates.csv`), never concurrently.
pub struct RunHooks<'a> {
    pub on_done: &'a (dyn Fn() + Sync),
    pub on_replicate: &'a mut (dyn FnMut(&ReplicateMetrics) + Send),
}

impl std::fmt::Debug for RunHooks<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RunHooks")
    }
}

/// State shared by the workers, behind one mutex.
struct Fold<'a> {
    /// Next index a worker may claim.
    next_claim: u32,
    /// Next index to fold; every earlier one has been folded.
    next_fold: u32,
    pending: BTreeMap<u32, Result<ReplicateOutput, SimLimit>>,
    acc: VariantAccumulator,
    requests: Vec<RequestRecord>,
    timeseries: Vec<TimeseriesRow>,
    on_replicate: &'a mut (dyn FnMut(&ReplicateMetrics) + Send),
    /// The error of the lowest-numbered failed replicate, once folded.
    error: Option<SimLimit>,
    /// Set when any replicate failed: no new claims.
    stop: bool,
}

impl Fold<'_> {
    /// Folds every buffered replicate that is next in order.
    fn drain(&mut self) {
        while self.error.is_none()
            && let Some(out) = self.pending.remove(&self.next_fold)
        {
            match out {
                Ok(out) => {
                    self.acc.push(&out.metrics);
                    (self.on_replicate)(&out.metrics);
                    if out.metrics.replicate == 0 {
                        self.requests = out.requests;
                        self.timeseries = out.timeseries;
                    }
                    self.next_fold += 1;
                }
                // Every lower index was claimed earlier and has been folded,
                // so this is the lowest failing replicate whatever the
                // scheduling: the error is deterministic too.
                Err(e) => self.error = Some(e),
            }
        }
    }
}

/// Runs `opts.replicates` replicates on the current rayon pool. Fails with the
/// lowest-numbered replicate's error if any replicate reaches a limit of the
/// engine; nothing of a failed run should be published.
pub fn run(scenario: &Scenario, opts: &RunOptions, hooks: RunHooks<'_>) -> Result<RunResult, SimLimit> {
    let threads = rayon::current_num_threads().max(1);
    let window = u32::try_from(2 * threads).unwrap_or(u32::MAX);
    let fold = Mutex::new(Fold {
        next_claim: 0,
        next_fold: 0,
        pending: BTreeMap::new(),
        acc: VariantAccumulator::new(
            BASELINE,
            &scenario.provider_names(),
            &scenario.workload_names(),
            &scenario.cache_tier_names(),
        ),
        requests: Vec::new(),
        timeseries: Vec::new(),
        on_replicate: hooks.on_replicate,
        error: None,
        stop: false,
    });
    let turn = Condvar::new();
    let on_done = hooks.on_done;
    let panicked = Mutex::new(None);
    let work = || {
        loop {
            let rep = {
                let mut f = fold.lock().unwrap_or_else(PoisonError::into_inner);
                while !f.stop && f.next_claim < opts.replicates && f.next_claim >= f.next_fold.saturating_add(window) {
                    f = turn.wait(f).unwrap_or_else(PoisonError::into_inner);
                }
                if f.stop || f.next_claim >= opts.replicates {
                    return;
                }
                f.next_claim += 1;
                f.next_claim - 1
            };
            let record = Recording {
                requests: opts.record_requests && rep == 0,
                timeseries: opts.record_timeseries && rep == 0,
            };
            let out = simulate_replicate_with(scenario, opts.seed, rep, record);
            on_done();
            let mut f = fold.lock().unwrap_or_else(PoisonError::into_inner);
            f.stop |= out.is_err();
            f.pending.insert(rep, out);
            f.drain();
            drop(f);
            turn.notify_all();
        }
    };
    // A panic in one worker (a bug) must not leave the others waiting for a
    // replicate that will never be folded: stop everyone, then re-raise it.
    let worker = || {
        if let Err(payload) = panic::catch_unwind(AssertUnwindSafe(work)) {
            fold.lock().unwrap_or_else(PoisonError::into_inner).stop = true;
            turn.notify_all();
            panicked.lock().unwrap_or_else(PoisonError::into_inner).get_or_insert(payload);
        }
    };
    rayon::scope(|s| {
        for _ in 0..threads {
            s.spawn(|_| worker());
        }
    });
    if let Some(payload) = panicked.into_inner().unwrap_or_else(PoisonError::into_inner) {
        panic::resume_unwind(payload);
    }
    let f = fold.into_inner().unwrap_or_else(PoisonError::into_inner);
    if let Some(e) = f.error {
        return Err(e);
    }
    debug_assert_eq!(f.next_fold, opts.replicates, "every replicate folded");
    let summary = Summary {
        schema_version: SCHEMA_VERSION,
        scenario: scenario.name.clone(),
        seed: opts.seed,
        replicates: opts.replicates,
        variants: vec![f.acc.finish()],
    };
    Ok(RunResult { summary, requests: f.requests, timeseries: f.timeseries })
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{SourceText, load};

    const SMALL: &str = r#"
name = "mc"
[[providers]]
name = "p"
pricing = { input_usd_per_mtok = 1, output_usd_per_mtok = 2 }
[[workloads]]
name = "w"
provider = "p"
steps = 3
output_tokens = 10
arrivals = { rate_per_s = 1, sessions = 5 }
"#;

    #[test]
    fn a_panicking_sink_stops_every_worker_instead_of_hanging() {
        let sc = load(&SourceText { name: "mc.toml", text: SMALL }, &[]).unwrap();
        let opts = RunOptions { seed: 1, replicates: 12, record_requests: false, record_timeseries: false };
        let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
        let result = pool.install(|| {
            panic::catch_unwind(AssertUnwindSafe(|| {
                let mut sink = |r: &ReplicateMetrics| assert!(r.replicate != 1, "sink fails on replicate 1");
                run(&sc, &opts, RunHooks { on_done: &|| {}, on_replicate: &mut sink })
            }))
        });
        assert!(result.is_err(), "the panic reaches the caller");
    }

    #[test]
    fn replicates_reach_the_sink_in_order() {
        let sc = load(&SourceText { name: "mc.toml", text: SMALL }, &[]).unwrap();
        let opts = RunOptions { seed: 1, replicates: 20, record_requests: false, record_timeseries: false };
        let pool = rayon::ThreadPoolBuilder::new().num_threads(3).build().unwrap();
        let mut seen = Vec::new();
        let mut sink = |r: &ReplicateMetrics| seen.push(r.replicate);
        let run = pool.install(|| run(&sc, &opts, RunHooks { on_done: &|| {}, on_replicate: &mut sink })).unwrap();
        assert_eq!(seen, (0..20).collect::<Vec<_>>());
        assert_eq!(run.summary.variants[0].metrics.get("sessions_started").unwrap().n, 20);
    }
}
