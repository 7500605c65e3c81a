//! Monte Carlo: independent replicates in parallel (rayon), folded in
//! replicate order as they finish, so the result never depends on the thread
//! count or scheduling, and memory never depends on the replicate count.
//!
//! Workers claim replicate indices in increasing order; a finished replicate
//! waits in a reorder buffer until every earlier one has been folded. A worker
//! may not claim an index more than `2 x threads` ahead of the next one to
//! fold, so the buffer holds at most that many replicates.
//!
//! Variants run on the same replicate indices and seed as the baseline: a
//! task is one replicate of every variant, folded baseline first then in
//! variant order, and each variant's paired difference from the baseline is
//! accumulated as the pair is folded (see `metrics::paired`); once a
//! replicate index's variants are all known, the ranking counts which one
//! was best (see `metrics::ranking`).

use crate::engine::{Recording, ReplicateOutput, SimLimit, TimeseriesRow, simulate_replicate_with};
use crate::metrics::{
    DiffAccumulator, RankBy, RankingAccumulator, ReplicateMetrics, SCHEMA_VERSION, Summary, VariantAccumulator,
};
use crate::records::RequestRecord;
use crate::scenario::{Scenario, Variant};
use std::collections::BTreeMap;
use std::panic::{self, AssertUnwindSafe};
use std::sync::{Condvar, Mutex, PoisonError};

pub use crate::scenario::BASELINE;

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
    /// The metric variants are ranked by (only with variants).
    pub rank_by: RankBy,
}

impl RunOptions {
    pub fn from_scenario(s: &Scenario) -> Self {
        RunOptions {
            seed: s.simulation.seed,
            replicates: s.simulation.replicates,
            record_requests: false,
            record_timeseries: false,
            rank_by: RankBy::default(),
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
/// replicate order (e.g. to stream `replicates.csv`), never concurrently,
/// with the variant's name: the baseline first, then the variants in order.
pub struct RunHooks<'a> {
    pub on_done: &'a (dyn Fn() + Sync),
    pub on_replicate: &'a mut (dyn FnMut(&str, &ReplicateMetrics) + Send),
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
    /// Per replicate: the baseline's output, then each variant's.
    pending: BTreeMap<u32, Result<Vec<ReplicateOutput>, SimLimit>>,
    /// The baseline's, then each variant's.
    accs: Vec<VariantAccumulator>,
    /// Each variant's differences from the baseline.
    diffs: Vec<DiffAccumulator>,
    /// Present only with variants.
    ranking: Option<RankingAccumulator>,
    requests: Vec<RequestRecord>,
    timeseries: Vec<TimeseriesRow>,
    on_replicate: &'a mut (dyn FnMut(&str, &ReplicateMetrics) + Send),
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
                Ok(mut outs) => {
                    for (i, out) in outs.iter().enumerate() {
                        self.accs[i].push(&out.metrics);
                        (self.on_replicate)(self.accs[i].name(), &out.metrics);
                        if i > 0 {
                            self.diffs[i - 1].push(&outs[0].metrics, &out.metrics);
                        }
                    }
                    if let Some(r) = &mut self.ranking {
                        r.push(&outs.iter().map(|o| &o.metrics).collect::<Vec<_>>());
                    }
                    let base = outs.swap_remove(0);
                    if base.metrics.replicate == 0 {
                        self.requests = base.requests;
                        self.timeseries = base.timeseries;
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

/// Each variant's name and cache tier names (which name its per-tier
/// metrics), the baseline first.
pub fn variant_tiers<'a>(scenario: &Scenario, variants: &'a [Variant]) -> Vec<(&'a str, Vec<String>)> {
    std::iter::once((BASELINE, scenario.cache_tier_names()))
        .chain(variants.iter().map(|v| (v.name.as_str(), v.scenario.cache_tier_names())))
        .collect()
}

/// Runs `opts.replicates` replicates of `scenario` and of each variant on the
/// current rayon pool. Fails with the lowest-numbered replicate's error if any
/// replicate reaches a limit of the engine; nothing of a failed run should be
/// published. Requests and time series are the baseline's.
pub fn run(
    scenario: &Scenario,
    variants: &[Variant],
    opts: &RunOptions,
    hooks: RunHooks<'_>,
) -> Result<RunResult, SimLimit> {
    let threads = rayon::current_num_threads().max(1);
    let window = u32::try_from(2 * threads).unwrap_or(u32::MAX);
    let (providers, workloads, tiers) =
        (scenario.provider_names(), scenario.workload_names(), scenario.cache_tier_names());
    let tier_names = variant_tiers(scenario, variants);
    let fold = Mutex::new(Fold {
        next_claim: 0,
        next_fold: 0,
        pending: BTreeMap::new(),
        accs: tier_names.iter().map(|(name, t)| VariantAccumulator::new(name, &providers, &workloads, t)).collect(),
        diffs: variants
            .iter()
            .map(|v| DiffAccumulator::new(&providers, &workloads, &tiers, &v.scenario.cache_tier_names()))
            .collect(),
        ranking: (!variants.is_empty())
            .then(|| RankingAccumulator::new(opts.rank_by.clone(), tier_names.iter().map(|(n, t)| (*n, t.as_slice())))),
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
            let out = std::iter::once(scenario)
                .chain(variants.iter().map(|v| &v.scenario))
                .enumerate()
                .map(|(i, sc)| {
                    let record = if i == 0 { record } else { Recording { requests: false, timeseries: false } };
                    simulate_replicate_with(sc, opts.seed, rep, record)
                })
                .collect::<Result<Vec<_>, _>>();
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
        variants: f
            .accs
            .iter()
            .enumerate()
            .map(|(i, acc)| {
                let mut v = acc.finish();
                v.diff_vs_baseline = i.checked_sub(1).map(|d| f.diffs[d].finish());
                v
            })
            .collect(),
        ranking: f.ranking.as_ref().map(RankingAccumulator::finish),
    };
    Ok(RunResult { summary, requests: f.requests, timeseries: f.timeseries })
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::scenario::{SourceText, load};

    /// One provider, one workload, five sessions: the smallest useful scenario.
    pub(crate) const SMALL: &str = r#"
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
        let opts = RunOptions {
            seed: 1,
            replicates: 12,
            record_requests: false,
            record_timeseries: false,
            rank_by: RankBy::default(),
        };
        let pool = rayon::ThreadPoolBuilder::new().num_threads(2).build().unwrap();
        let result = pool.install(|| {
            panic::catch_unwind(AssertUnwindSafe(|| {
                let mut sink = |_: &str, r: &ReplicateMetrics| assert!(r.replicate != 1, "sink fails on replicate 1");
                run(&sc, &[], &opts, RunHooks { on_done: &|| {}, on_replicate: &mut sink })
            }))
        });
        assert!(result.is_err(), "the panic reaches the caller");
    }

    #[test]
    fn replicates_reach_the_sink_in_order() {
        let sc = load(&SourceText { name: "mc.toml", text: SMALL }, &[]).unwrap();
        let opts = RunOptions {
            seed: 1,
            replicates: 20,
            record_requests: false,
            record_timeseries: false,
            rank_by: RankBy::default(),
        };
        let pool = rayon::ThreadPoolBuilder::new().num_threads(3).build().unwrap();
        let mut seen = Vec::new();
        let mut sink = |_: &str, r: &ReplicateMetrics| seen.push(r.replicate);
        let run = pool.install(|| run(&sc, &[], &opts, RunHooks { on_done: &|| {}, on_replicate: &mut sink })).unwrap();
        assert_eq!(seen, (0..20).collect::<Vec<_>>());
        assert_eq!(run.summary.variants[0].metrics.get("sessions_started").unwrap().n, 20);
    }
}

#[cfg(test)]
#[path = "montecarlo_variants_tests.rs"]
mod variants_tests;
