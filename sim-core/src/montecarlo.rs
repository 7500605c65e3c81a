//! Monte Carlo: independent replicates in parallel (rayon), folded in
//! replicate order as they finish, so the result never depends on the thread
//! count or scheduling, and memory never depends on the replicate count.
//!
//! Workers claim replicate indices in increasing order; a finished replicate
//! waits in a reorder buffer until every earlier one has been folded. A worker
//! may not claim an index more than `2 x threads` ahead of the next one to
//! fold, so the buffer holds at most that many replicates.
//!
//! [`run_tasks`] computes a subset of the replicate indices ([`Tasks`]: a
//! shard's share, or what a resumed run still lacks) and hands each task's
//! exact record (`metrics::record`) to the caller, who persists it and/or
//! folds it (`metrics::fold`); [`run`] computes and folds them all.
//!
//! Variants run on the same replicate indices and seed as the baseline: a
//! task is one replicate of every variant, folded baseline first then in
//! variant order, and each variant's paired difference from the baseline is
//! accumulated as the pair is folded (see `metrics::paired`); once a
//! replicate index's variants are all known, the ranking counts which one
//! was best (see `metrics::ranking`).

use crate::engine::{Recording, ReplicateOutput, SimLimit, TimeseriesRow, simulate_replicate_with};
use crate::metrics::{FoldNames, RankBy, ReplicateMetrics, RunFold, Summary, TaskRecord, VariantRecord};
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

/// What only replicate 0 yields: its requests and time series when they
/// were asked for and replicate 0 was among the tasks, else empty.
#[derive(Debug, Default)]
pub struct Replicate0 {
    pub requests: Vec<RequestRecord>,
    pub timeseries: Vec<TimeseriesRow>,
}

/// The replicate indices of one sweep point a run computes: `first`,
/// `first + stride`, ... below `end`, in that order.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Tasks {
    pub first: u32,
    pub stride: u32,
    pub end: u32,
}

impl Tasks {
    /// Every replicate from `first` to `end` (excluded).
    pub fn range(first: u32, end: u32) -> Self {
        Tasks { first, stride: 1, end }
    }

    /// Shard `index` (1-based) of `count`: the tasks of a run are numbered
    /// `point * replicates + replicate` and dealt round-robin, so every shard
    /// gets a share within one task of the others at every point.
    pub fn shard(point: u32, replicates: u32, index: u32, count: u32) -> Self {
        let global = u64::from(point) * u64::from(replicates);
        let first = (u64::from(index - 1) + u64::from(count) - global % u64::from(count)) % u64::from(count);
        Tasks { first: u32::try_from(first).unwrap_or(u32::MAX), stride: count, end: replicates }
    }

    /// The `k`-th replicate index, if below `end`.
    pub fn nth(&self, k: u32) -> Option<u32> {
        u64::from(self.first)
            .checked_add(u64::from(k) * u64::from(self.stride))
            .filter(|r| *r < u64::from(self.end))
            .map(|r| r as u32)
    }

    /// Whether `replicate` is one of these tasks.
    pub fn contains(&self, replicate: u32) -> bool {
        replicate >= self.first && replicate < self.end && (replicate - self.first).is_multiple_of(self.stride)
    }

    /// How many tasks there are.
    pub fn len(&self) -> u32 {
        if self.first >= self.end { 0 } else { (self.end - self.first - 1) / self.stride + 1 }
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }
}

/// The callbacks of a run. `on_done` is called once per finished replicate,
/// from any thread (progress bars); `on_replicate` once per replicate in
/// replicate order (e.g. to stream `replicates.csv`), never concurrently,
/// with the variant's name (the baseline first, then the variants in order),
/// the replicate's metrics and their record (the values already computed).
pub struct RunHooks<'a> {
    pub on_done: &'a (dyn Fn() + Sync),
    pub on_replicate: &'a mut (dyn FnMut(&str, &ReplicateMetrics, &VariantRecord) + Send),
}

impl std::fmt::Debug for RunHooks<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RunHooks")
    }
}

/// The callbacks of [`run_tasks`]: `on_done` as in [`RunHooks`]; `on_task`
/// receives each task's record in task order, never concurrently, and
/// returns false to claim no further task (the tasks already under way are
/// then discarded, never delivered).
pub struct TaskHooks<'a> {
    pub on_done: &'a (dyn Fn() + Sync),
    pub on_task: &'a mut (dyn FnMut(TaskRecord) -> bool + Send),
}

impl std::fmt::Debug for TaskHooks<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("TaskHooks")
    }
}

/// What a task yields: the baseline's output, then each variant's.
type TaskOutput = Result<Vec<ReplicateOutput>, SimLimit>;

/// State shared by the workers, behind one mutex.
struct Queue<'a> {
    /// Next task number (into `Tasks`) a worker may claim.
    next_claim: u32,
    /// Next task number to deliver; every earlier one has been delivered.
    next_fold: u32,
    pending: BTreeMap<u32, TaskOutput>,
    deliver: &'a mut (dyn FnMut(Vec<ReplicateOutput>) -> bool + Send),
    /// The error of the lowest-numbered failed task, once reached.
    error: Option<SimLimit>,
    /// Set when a task failed or the caller wants no more: no new claims.
    stop: bool,
}

impl Queue<'_> {
    /// Delivers every buffered task that is next in order.
    fn drain(&mut self) {
        while !self.stop
            && let Some(out) = self.pending.remove(&self.next_fold)
        {
            match out {
                Ok(outs) => {
                    self.next_fold += 1;
                    self.stop = !(self.deliver)(outs);
                }
                // Every lower task was claimed earlier and has been
                // delivered, so this is the lowest failing one whatever the
                // scheduling: the error is deterministic too.
                Err(e) => {
                    self.error = Some(e);
                    self.stop = true;
                }
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

/// The names that fold this run's records (see [`RunFold`]).
pub fn fold_names(scenario: &Scenario, variants: &[Variant], rank_by: &RankBy) -> FoldNames {
    FoldNames {
        scenario: scenario.name.clone(),
        providers: scenario.provider_names(),
        workloads: scenario.workload_names(),
        variants: variant_tiers(scenario, variants).into_iter().map(|(n, t)| (n.to_string(), t)).collect(),
        rank_by: rank_by.arg(),
    }
}

/// Runs the `tasks` of `scenario` and of each variant (sweep point `point`,
/// which the records carry; 0 without a sweep) on the current rayon pool,
/// delivering each task's record to `hooks.on_task` in task order.
/// Fails with the lowest-numbered task's error if one reaches a limit of the
/// engine (tasks after it are not delivered).
pub fn run_tasks(
    scenario: &Scenario,
    variants: &[Variant],
    opts: &RunOptions,
    point: u32,
    tasks: Tasks,
    hooks: TaskHooks<'_>,
) -> Result<Replicate0, SimLimit> {
    let mut first = Replicate0::default();
    let on_task = hooks.on_task;
    let mut deliver = |mut outs: Vec<ReplicateOutput>| {
        let replicate = outs[0].metrics.replicate;
        let record = TaskRecord { point, replicate, variants: outs.iter().map(|o| o.record.clone()).collect() };
        if replicate == 0 {
            let base = outs.swap_remove(0);
            first = Replicate0 { requests: base.requests, timeseries: base.timeseries };
        }
        on_task(record)
    };
    drive(scenario, variants, opts, tasks, hooks.on_done, &mut deliver)?;
    Ok(first)
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
    let names = fold_names(scenario, variants, &opts.rank_by);
    let mut fold = RunFold::new(&names).expect("a RankBy's own text parses");
    let mut first = Replicate0::default();
    let on_replicate = hooks.on_replicate;
    let mut deliver = |mut outs: Vec<ReplicateOutput>| {
        let replicate = outs[0].metrics.replicate;
        for (o, (name, _)) in outs.iter().zip(&names.variants) {
            on_replicate(name, &o.metrics, &o.record);
        }
        let variants = outs.iter().map(|o| o.record.clone()).collect();
        fold.push(&TaskRecord { point: 0, replicate, variants });
        if replicate == 0 {
            let base = outs.swap_remove(0);
            first = Replicate0 { requests: base.requests, timeseries: base.timeseries };
        }
        true
    };
    drive(scenario, variants, opts, Tasks::range(0, opts.replicates), hooks.on_done, &mut deliver)?;
    debug_assert_eq!(fold.folded(), opts.replicates, "every replicate folded");
    Ok(RunResult { summary: fold.summary(opts.seed), requests: first.requests, timeseries: first.timeseries })
}

/// The parallel engine of a run: workers claim tasks in order, at most
/// `2 x threads` ahead of the next one to deliver; finished tasks wait in a
/// reorder buffer and are delivered in order.
fn drive(
    scenario: &Scenario,
    variants: &[Variant],
    opts: &RunOptions,
    tasks: Tasks,
    on_done: &(dyn Fn() + Sync),
    deliver: &mut (dyn FnMut(Vec<ReplicateOutput>) -> bool + Send),
) -> Result<(), SimLimit> {
    let threads = rayon::current_num_threads().max(1);
    let window = u32::try_from(2 * threads).unwrap_or(u32::MAX);
    let count = tasks.len();
    let queue =
        Mutex::new(Queue { next_claim: 0, next_fold: 0, pending: BTreeMap::new(), deliver, error: None, stop: false });
    let turn = Condvar::new();
    let panicked = Mutex::new(None);
    let work = || {
        loop {
            let k = {
                let mut q = queue.lock().unwrap_or_else(PoisonError::into_inner);
                while !q.stop && q.next_claim < count && q.next_claim >= q.next_fold.saturating_add(window) {
                    q = turn.wait(q).unwrap_or_else(PoisonError::into_inner);
                }
                if q.stop || q.next_claim >= count {
                    return;
                }
                q.next_claim += 1;
                q.next_claim - 1
            };
            let rep = tasks.nth(k).expect("a claimed task exists");
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
            let mut q = queue.lock().unwrap_or_else(PoisonError::into_inner);
            q.pending.insert(k, out);
            q.drain();
            drop(q);
            turn.notify_all();
        }
    };
    // A panic in one worker (a bug) must not leave the others waiting for a
    // replicate that will never be folded: stop everyone, then re-raise it.
    let worker = || {
        if let Err(payload) = panic::catch_unwind(AssertUnwindSafe(work)) {
            queue.lock().unwrap_or_else(PoisonError::into_inner).stop = true;
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
    let q = queue.into_inner().unwrap_or_else(PoisonError::into_inner);
    match q.error {
        Some(e) => Err(e),
        None => Ok(()),
    }
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
                let mut sink = |_: &str, r: &ReplicateMetrics, _: &VariantRecord| {
                    assert!(r.replicate != 1, "sink fails on replicate 1")
                };
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
        let mut sink = |_: &str, r: &ReplicateMetrics, _: &VariantRecord| seen.push(r.replicate);
        let run = pool.install(|| run(&sc, &[], &opts, RunHooks { on_done: &|| {}, on_replicate: &mut sink })).unwrap();
        assert_eq!(seen, (0..20).collect::<Vec<_>>());
        assert_eq!(run.summary.variants[0].metrics.get("sessions_started").unwrap().n, 20);
    }
}

#[cfg(test)]
mod task_tests {
    use super::tests::SMALL;
    use super::*;
    use crate::scenario::{SourceText, load};

    fn records(tasks: Tasks, threads: usize, stop_after: usize) -> Vec<TaskRecord> {
        records_at(0, tasks, threads, stop_after)
    }

    fn records_at(point: u32, tasks: Tasks, threads: usize, stop_after: usize) -> Vec<TaskRecord> {
        let sc = load(&SourceText { name: "mc.toml", text: SMALL }, &[]).unwrap();
        let opts = RunOptions { replicates: 9, ..RunOptions::from_scenario(&sc) };
        let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
        let mut got = Vec::new();
        let mut on_task = |t: TaskRecord| {
            got.push(t);
            got.len() < stop_after
        };
        pool.install(|| run_tasks(&sc, &[], &opts, point, tasks, TaskHooks { on_done: &|| {}, on_task: &mut on_task }))
            .unwrap();
        got
    }

    #[test]
    fn a_shards_records_are_the_full_runs_records_of_its_replicates() {
        let all = records(Tasks::range(0, 9), 3, usize::MAX);
        assert_eq!(all.iter().map(|t| t.replicate).collect::<Vec<_>>(), (0..9).collect::<Vec<_>>());
        for (index, expected) in [(1, vec![0, 3, 6]), (2, vec![1, 4, 7]), (3, vec![2, 5, 8])] {
            let share = records(Tasks::shard(0, 9, index, 3), 2, usize::MAX);
            assert_eq!(share.iter().map(|t| t.replicate).collect::<Vec<_>>(), expected);
            for t in &share {
                assert_eq!(*t, all[t.replicate as usize]);
            }
        }
        // Point 1 of a 9-replicate sweep: tasks 9..18, shard 1 of 4 takes 12 and 16.
        assert_eq!(Tasks::shard(1, 9, 1, 4), Tasks { first: 3, stride: 4, end: 9 });
    }

    #[test]
    fn records_carry_the_point_they_were_run_for() {
        let at_0 = records(Tasks::range(0, 3), 2, usize::MAX);
        let at_2 = records_at(2, Tasks::range(0, 3), 2, usize::MAX);
        assert_eq!(at_2.iter().map(|t| (t.point, t.replicate)).collect::<Vec<_>>(), [(2, 0), (2, 1), (2, 2)]);
        // The point only labels the record: the same scenario gives the same values.
        assert!(at_0.iter().zip(&at_2).all(|(a, b)| a.variants == b.variants));
    }

    #[test]
    fn no_task_is_delivered_after_the_caller_stops() {
        for threads in [1, 4] {
            let got = records(Tasks::range(0, 9), threads, 4);
            assert_eq!(got.iter().map(|t| t.replicate).collect::<Vec<_>>(), [0, 1, 2, 3]);
        }
    }
}

#[cfg(test)]
#[path = "montecarlo_variants_tests.rs"]
mod variants_tests;
