//! The work and memory a run will take, estimated from the scenario before
//! simulating, so a run that would take hours or exhaust memory is refused
//! up front with the estimate and the flag that overrides it.
//!
//! Figures come from the distributions' means and Little's law (live sessions
//! = arrival rate x mean session duration); they are estimates, not bounds.
//! The constants are calibrated on the bundled benchmark (docs/performance
//! figures in README "Benchmarks"); tests check the estimate against real runs
//! of the bundled scenarios.

use crate::maths;
use crate::model::cache::CacheRules;
use crate::montecarlo::RunOptions;
use crate::scenario::limits::{WorkloadMeans, closed_gap_s};
use crate::scenario::{Arrivals, BreakpointAt, CacheMode, ReplicasServing, Scenario};
use std::fmt;

/// Events one core simulates per second: 4.5-5 M/s on the agent benchmark
/// (small caches), about 1.1 M/s with 8,000 live sessions and 280,000 cache
/// entries (memory-bound); close to the slow end, so time estimates err long.
pub const EVENTS_PER_CORE_SECOND: f64 = 1.5e6;
/// Per-block cache visits one core makes per second (measured on the
/// per-block path with a capacity, one session of 30,000 steps: 4.5e8 visits
/// in 57 s).
pub const BLOCK_VISITS_PER_CORE_SECOND: f64 = 8.0e6;
/// Bytes a live session holds besides its prompt blocks (session state, its
/// slab slot, queue entries).
const SESSION_BYTES: f64 = 320.0;
/// Bytes per prompt block a live session holds (identity and end offset).
const BLOCK_BYTES: f64 = 16.0;
/// Bytes per live cache entry (hash-map slot with its load factor, plus the
/// eviction index when capacity is bounded).
const CACHE_ENTRY_BYTES: f64 = 96.0;
/// Bytes per KV block a replica has cached (its node, and its map entry with
/// the stale entries evictions leave behind until the next sweep).
const KV_BLOCK_BYTES: f64 = 72.0;
/// Bytes per recorded request (`--requests-csv`).
const RECORD_BYTES: f64 = 160.0;
/// Bytes per trace request block kept in memory (shared by all replicates).
const TRACE_BLOCK_BYTES: f64 = 8.0;
/// Bytes a replicate holds whatever its size (histograms of every scope,
/// queues, buffers), and the process's own baseline.
const REPLICATE_BASE_BYTES: f64 = 2.0 * 1024.0 * 1024.0;
const PROCESS_BASE_BYTES: f64 = 8.0 * 1024.0 * 1024.0;

/// Default refusal thresholds (overridable from the command line).
/// About an hour of one core (`EVENTS_PER_CORE_SECOND`).
pub const DEFAULT_MAX_EVENTS: f64 = 5e9;
pub const DEFAULT_MAX_MEMORY_BYTES: f64 = 8.0 * 1024.0 * 1024.0 * 1024.0;

/// What a run is expected to take.
#[derive(Clone, Debug, PartialEq)]
pub struct WorkEstimate {
    pub replicates: u32,
    /// Replicates simulated at once (at most the threads).
    pub concurrent: u32,
    pub sessions_per_replicate: f64,
    pub requests_per_replicate: f64,
    pub keep_alive_per_replicate: f64,
    pub events_per_replicate: f64,
    /// Iterations of self-hosted replicas (one event each), included in
    /// `events_per_replicate`.
    pub iterations_per_replicate: f64,
    /// Cache block visits of modes whose per-request work grows with the
    /// prompt's blocks (see `CacheRules::per_block_work`), per replicate.
    pub cache_block_visits_per_replicate: f64,
    pub peak_live_sessions: f64,
    pub peak_cache_entries: f64,
    /// Peak resident memory of the whole run, bytes.
    pub peak_memory_bytes: f64,
    /// Total events of the run (every replicate).
    pub total_events: f64,
    /// Single-core seconds of simulation (events, plus per-block cache work
    /// counted as events).
    pub cpu_seconds: f64,
    /// Providers whose offered load meets or exceeds their slots: their queue
    /// grows for as long as sessions arrive.
    pub overloaded: Vec<Overload>,
    /// Scenarios run on every replicate: the baseline and its variants. The
    /// per-replicate figures are the baseline's; the totals are the run's.
    pub variants: u32,
}

#[derive(Clone, Debug, PartialEq)]
pub struct Overload {
    pub provider: String,
    /// Offered load / slots (for replicas: iteration time the requests need
    /// per second of the fleet, at full batches).
    pub utilisation: f64,
    /// Served by self-hosted replicas.
    pub self_hosted: bool,
}

/// The thresholds above which a run is refused.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct WorkLimits {
    pub max_events: f64,
    pub max_memory_bytes: f64,
}

impl Default for WorkLimits {
    fn default() -> Self {
        WorkLimits { max_events: DEFAULT_MAX_EVENTS, max_memory_bytes: DEFAULT_MAX_MEMORY_BYTES }
    }
}

/// A run estimated beyond a limit; the CLI adds which flag overrides it.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum TooLarge {
    #[error(
        "the run is estimated at {events:.3e} events (about {cpu:.0} CPU-seconds), more than the limit of {limit:.3e}"
    )]
    Events { events: f64, cpu: f64, limit: f64 },
    #[error("the run is estimated to need {} of memory at its peak, more than the limit of {}", bytes(*.need), bytes(*.limit))]
    Memory { need: f64, limit: f64 },
}

impl WorkEstimate {
    /// Estimates a run of `sc` with `opts` on `threads` worker threads.
    pub fn of(sc: &Scenario, opts: &RunOptions, threads: usize) -> Self {
        let concurrent = (threads.max(1) as u32).min(opts.replicates.max(1));
        let mut e = WorkEstimate {
            replicates: opts.replicates,
            concurrent,
            sessions_per_replicate: 0.0,
            requests_per_replicate: 0.0,
            keep_alive_per_replicate: 0.0,
            events_per_replicate: 0.0,
            iterations_per_replicate: 0.0,
            cache_block_visits_per_replicate: 0.0,
            peak_live_sessions: 0.0,
            peak_cache_entries: 0.0,
            peak_memory_bytes: 0.0,
            total_events: 0.0,
            cpu_seconds: 0.0,
            overloaded: Vec::new(),
            variants: 1,
        };
        let mut replicate_bytes = REPLICATE_BASE_BYTES;
        let mut shared_bytes = PROCESS_BASE_BYTES;
        let mut offered = vec![0.0; sc.providers.len()];
        let mut fleets = vec![FleetLoad::default(); sc.providers.len()];
        let mut live_blocks = 0.0;
        for w in &sc.workloads {
            let m = WorkloadMeans::of(w);
            // A routed workload: its most demanding candidate for the work,
            // its expected split for each provider's load (docs/routing.md).
            let p = &sc.providers[sc.conservative_candidate(w)];
            let shares = sc.route_shares(w);
            // Expected retries of transient errors; 429s, outages and
            // timeouts depend on the run's own load and are not estimated.
            let retries = w.retry.unwrap_or_else(|| p.failures.retry_config()).max_attempts.saturating_sub(1);
            let (attempts, steps) = attempts_and_steps(p.failures.error_rate, retries, m.steps);
            // Children's and summarisation requests ride on the steps (limits.rs).
            let requests = m.sessions * steps * attempts * m.requests_per_step;
            // With a cache, each prompt token is prefilled about once per
            // session (hits skip the rest); without, every request prefills
            // its whole prompt.
            let prefill_tokens = if p.cache.enabled { m.last_prompt() / m.steps.max(1.0) } else { m.mean_prompt() };
            let cached_tokens = m.mean_prompt() - prefill_tokens;
            let service_s = p.serving.mean_prefill_s(prefill_tokens, cached_tokens) + p.serving.mean_decode_s(m.output);
            // The overhead before the queue holds no slot but lengthens the session.
            let before_queue_s = p.serving.overhead_before_queue.mean_upper_bound();
            let session_s = m.steps * (service_s + before_queue_s) + (m.steps - 1.0) * m.think_s;
            let rate = arrival_rate(w, &m, session_s + closed_gap_s(&w.arrivals));
            let gaps = m.sessions * (steps - 1.0).max(0.0);
            // E[floor(T / interval)] <= E[T] / interval: an upper bound that
            // also counts the pings of long tail pauses.
            let pings = w.keep_alive.map_or(0.0, |ka| gaps * m.think_s / ka.interval.as_secs_f64());
            let live = (rate * session_s).min(m.sessions);
            // Requests in service or waiting, if slots were unlimited: live
            // sessions times the share of their life spent in service.
            for &(c, share) in &shares {
                offered[c] += share * live * attempts * m.steps * service_s / session_s.max(1e-9);
            }
            // Mean prompt blocks per request.
            let (blocks, per_block) = match &w.arrivals {
                Arrivals::Trace { trace: t, .. } => {
                    let n = t.requests.len().max(1) as f64;
                    (t.requests.iter().map(|r| r.blocks.len() as f64).sum::<f64>() / n, true)
                }
                Arrivals::Poisson { .. } | Arrivals::Process { .. } => {
                    let chain_prompts = !sc.cache_has_branching_prompts(w);
                    (
                        w.shared_segments.len() as f64
                            + w.anatomy
                                .knowledge_base
                                .as_ref()
                                .map_or(0.0, |k| k.per_session.mean_upper_bound().min(k.documents as f64))
                            + 1.0
                            + (m.steps - 1.0) / 2.0,
                        CacheRules::from_config(&p.cache).per_block_work(chain_prompts, p.pricing.bills_storage()),
                    )
                }
            };
            let block_visits = if per_block && p.cache.enabled {
                // Every request visits every block of its prompt.
                (requests + pings) * blocks
            } else {
                0.0
            };
            for &(c, share) in &shares {
                if let Some(cfg) = &sc.providers[c].replicas {
                    fleets[c].add(cfg, &m, requests * share, rate * attempts * steps * share);
                }
            }
            e.sessions_per_replicate += m.sessions;
            e.requests_per_replicate += requests;
            e.keep_alive_per_replicate += pings;
            e.events_per_replicate += m.sessions + 2.0 * requests + pings;
            e.cache_block_visits_per_replicate += block_visits;
            e.peak_live_sessions += live;
            replicate_bytes += live * (SESSION_BYTES + BLOCK_BYTES * blocks);
            if let Arrivals::Trace { trace: t, .. } = &w.arrivals {
                shared_bytes += t.requests.iter().map(|r| r.blocks.len() as f64).sum::<f64>() * TRACE_BLOCK_BYTES;
            }
            if p.cache.enabled {
                let tier_ttl = |tier: usize| p.cache.tiers.get(tier).map_or(0.0, |t| t.ttl.as_secs_f64());
                let step_s = (m.think_s + service_s).max(1e-3);
                // Entries live a TTL after their last use, and up to one more
                // until the periodic purge removes them: about 2 TTLs.
                let (ttl_s, per_session) = match p.cache.mode {
                    // A live session holds, on average, its task and half its
                    // history; shared segments are one entry for everyone.
                    CacheMode::Automatic => (tier_ttl(0), 1.0 + (m.steps - 1.0) / 2.0),
                    // Task breakpoints, plus the rolling end's entries still
                    // within their TTL (one per step).
                    CacheMode::Explicit { .. } => {
                        let end_ttl =
                            w.breakpoints.iter().find(|b| b.at == BreakpointAt::End).map_or(0.0, |b| tier_ttl(b.tier));
                        let tasks = w.breakpoints.iter().filter(|b| b.at == BreakpointAt::AfterTask).count();
                        let ends = if end_ttl > 0.0 { m.steps.min(1.0 + 2.0 * end_ttl / step_s) } else { 0.0 };
                        (end_ttl, tasks as f64 + ends)
                    }
                };
                // Sessions that ended within the last 2 TTLs still hold all
                // their entries.
                let ended = (rate * 2.0 * ttl_s).min(m.sessions - live).max(0.0);
                let whole = match p.cache.mode {
                    CacheMode::Automatic => m.steps,
                    CacheMode::Explicit { .. } => per_session,
                };
                // A routed session may leave entries at every candidate.
                let copies = w.candidates().len() as f64;
                let mut entries = copies * (live * per_session + ended * whole + w.shared_segments.len() as f64);
                if let Some(cap) = p.cache.capacity_tokens {
                    let tokens_per_entry = (m.mean_prompt() / per_session.max(1.0)).max(1.0);
                    entries = entries.min(cap as f64 / tokens_per_entry);
                }
                live_blocks += entries;
            }
            if opts.record_requests {
                shared_bytes += (requests + pings) * RECORD_BYTES;
            }
        }
        e.peak_cache_entries = live_blocks;
        replicate_bytes += live_blocks * CACHE_ENTRY_BYTES;
        for (i, p) in sc.providers.iter().enumerate() {
            let utilisation = match &p.replicas {
                Some(cfg) => {
                    let f = &fleets[i];
                    let iterations = f.iterations(cfg);
                    e.iterations_per_replicate += iterations;
                    e.events_per_replicate += iterations;
                    let per_replica =
                        (f.blocks / f64::from(cfg.replicas)).min(cfg.kv_memory.blocks(cfg.block_tokens) as f64);
                    replicate_bytes += f64::from(cfg.replicas) * per_replica * KV_BLOCK_BYTES;
                    f.utilisation(cfg)
                }
                None => offered[i] / f64::from(p.serving.slots),
            };
            if utilisation >= 1.0 {
                e.overloaded.push(Overload {
                    provider: p.name.clone(),
                    utilisation,
                    self_hosted: p.replicas.is_some(),
                });
            }
        }
        if !e.overloaded.is_empty() {
            // An overloaded queue keeps every session that arrived alive.
            let extra = e.sessions_per_replicate - e.peak_live_sessions;
            replicate_bytes += extra.max(0.0) * SESSION_BYTES;
            e.peak_live_sessions = e.peak_live_sessions.max(e.sessions_per_replicate);
        }
        e.peak_memory_bytes = shared_bytes + replicate_bytes * f64::from(concurrent);
        e.total_events = e.events_per_replicate * f64::from(opts.replicates);
        e.cpu_seconds = e.work_events() / EVENTS_PER_CORE_SECOND;
        e
    }

    /// The estimate of a run of `baseline` and its `variants` on the same
    /// replicates: events, CPU time and cache work add up; a task runs one
    /// replicate of each in turn, so memory is the largest of them.
    pub fn of_run(baseline: &Scenario, variants: &[&Scenario], opts: &RunOptions, threads: usize) -> Self {
        let mut run = WorkEstimate::of(baseline, opts, threads);
        for v in variants {
            let e = WorkEstimate::of(v, opts, threads);
            run.total_events += e.total_events;
            run.cpu_seconds += e.cpu_seconds;
            run.cache_block_visits_per_replicate += e.cache_block_visits_per_replicate;
            run.peak_memory_bytes = run.peak_memory_bytes.max(e.peak_memory_bytes);
            for o in e.overloaded {
                if !run.overloaded.contains(&o) {
                    run.overloaded.push(o);
                }
            }
            run.variants += 1;
        }
        run
    }

    /// The run's work in event equivalents: its events, plus its per-block
    /// cache visits at their relative cost (the limit `--max-events` checks).
    pub fn work_events(&self) -> f64 {
        let visit = EVENTS_PER_CORE_SECOND / BLOCK_VISITS_PER_CORE_SECOND;
        self.total_events + self.cache_block_visits_per_replicate * f64::from(self.replicates) * visit
    }

    /// Refuses the run when an estimate passes a limit.
    pub fn check(&self, limits: &WorkLimits) -> Result<(), TooLarge> {
        let work = self.work_events();
        if work > limits.max_events {
            return Err(TooLarge::Events { events: work, cpu: self.cpu_seconds, limit: limits.max_events });
        }
        if self.peak_memory_bytes > limits.max_memory_bytes {
            return Err(TooLarge::Memory { need: self.peak_memory_bytes, limit: limits.max_memory_bytes });
        }
        Ok(())
    }
}

/// Expected attempts per step and steps run per session, when each attempt
/// fails with probability `e`, a step gives up after `retries` retries and a
/// session ends at its first failed step: attempts = (1 - e^(R+1)) / (1 - e)
/// (at most R + 1), a step succeeds with s = 1 - e^(R+1), and a session of
/// `steps` steps runs (1 - s^steps) / (1 - s) of them.
fn attempts_and_steps(e: f64, retries: u32, steps: f64) -> (f64, f64) {
    if e == 0.0 {
        return (1.0, steps);
    }
    let fail_step = maths::powi(e, retries.min(10_000) as i32 + 1);
    let attempts = (1.0 - fail_step) / (1.0 - e);
    let run = if fail_step > 0.0 { (1.0 - maths::powf(1.0 - fail_step, steps)) / fail_step } else { steps };
    (attempts, run.min(steps))
}

/// What the workloads offer one provider of self-hosted replicas.
#[derive(Clone, Copy, Debug, Default)]
struct FleetLoad {
    /// Requests per second while the sessions arrive.
    rate: f64,
    /// Seconds of iteration time per second the requests need besides the
    /// fixed b0 per iteration (prefill, decoding seats, context reads).
    work: f64,
    /// Seconds per second of b0 when every iteration runs a full batch.
    full_batch_b0: f64,
    /// Iterations per second if each request ran alone (one per output token).
    alone: f64,
    /// Decode tokens (all but the first output token of each request) per replicate.
    decode_tokens: f64,
    /// Prompt blocks the fleet computes per replicate (what its caches could hold).
    blocks: f64,
    /// Seconds over which requests arrive (the longest workload's).
    span_s: f64,
}

impl FleetLoad {
    /// Adds `requests` requests of a workload with means `m`, arriving at `rate` per second.
    fn add(&mut self, cfg: &ReplicasServing, m: &WorkloadMeans, requests: f64, rate: f64) {
        let c = cfg.step.coefficients();
        // With prefix caching a session prefills each prompt token about once
        // (hits skip the rest); without, every request prefills its whole prompt.
        let prefill = if cfg.prefix_caching { m.last_prompt() / m.steps.max(1.0) } else { m.mean_prompt() };
        let decode = (m.output - 1.0).max(0.0);
        // A decoder reads its prompt and, on average, half its output per iteration.
        let context = m.mean_prompt() + m.output / 2.0;
        let us_per_request = c.b1_us_per_prefill_token * prefill
            + (c.b2_us_per_decode_seq + c.b3_us_per_context_token * context) * decode;
        self.rate += rate;
        self.work += rate * us_per_request * 1e-6;
        self.full_batch_b0 += rate * decode / f64::from(cfg.max_num_seqs) * c.b0_us * 1e-6;
        self.alone += rate * m.output.max(1.0);
        self.decode_tokens += requests * decode;
        self.blocks += requests * prefill / cfg.block_tokens as f64;
        self.span_s = self.span_s.max(if rate > 0.0 { requests / rate } else { 0.0 });
    }

    /// Iterations per replicate. A replica with work runs iterations back to
    /// back, each b0 + the requests' share, so in steady state it runs
    /// r = (1 - work share) / b0 per second, of T = 1 / r each; a lightly
    /// loaded replica runs about one per output token of each request (when
    /// that is fewer). An overloaded fleet runs full batches: the decode
    /// tokens / max_num_seqs.
    ///
    /// The batch fills over the first request lifetime (o iterations of T)
    /// and empties over the last, and a smaller batch steps faster: with the
    /// step growing linearly from b0 to T over a lifetime L = o T, the ramp
    /// runs the integral of dt / step = o T / (T - b0) x ln(T / b0)
    /// iterations instead of o. Each edge adds that excess, and the drain
    /// after the last arrival adds its o.
    fn iterations(&self, cfg: &ReplicasServing) -> f64 {
        let n = f64::from(cfg.replicas);
        let b0_s = cfg.step.coefficients().b0_us * 1e-6;
        let share = self.work / n;
        let busy = if b0_s > 0.0 { (1.0 - share).max(0.0) / b0_s } else { f64::INFINITY };
        let alone = self.alone / n;
        let steady = alone.min(busy) * self.span_s;
        let output = if self.rate > 0.0 { self.alone / self.rate } else { 0.0 };
        let edges = if busy < alone && share < 1.0 {
            let step = 1.0 / busy;
            let ramp = if step > b0_s * (1.0 + 1e-9) { step / (step - b0_s) * maths::ln(step / b0_s) } else { 1.0 };
            output * (2.0 * ramp - 1.0)
        } else {
            0.0
        };
        ((steady + edges) * n).max(self.decode_tokens / f64::from(cfg.max_num_seqs))
    }

    /// The fleet's share of iteration time the requests need at full batches.
    fn utilisation(&self, cfg: &ReplicasServing) -> f64 {
        (self.work + self.full_batch_b0) / f64::from(cfg.replicas)
    }
}

/// Sessions per second while the workload's sessions arrive.
fn arrival_rate(w: &crate::scenario::Workload, m: &WorkloadMeans, closed_session_s: f64) -> f64 {
    match &w.arrivals {
        Arrivals::Poisson { .. } | Arrivals::Process { .. } => {
            w.arrivals.mean_rate_per_s(closed_session_s).unwrap_or(0.0)
        }
        Arrivals::Trace { trace: t, .. } => {
            let span_s = t.requests.last().map_or(0.0, |r| r.arrival_us as f64 / 1e6).max(1e-6);
            m.sessions / span_s
        }
    }
}

/// `n` bytes as KiB/MiB/GiB.
pub fn bytes(n: f64) -> String {
    const UNITS: [&str; 5] = ["B", "KiB", "MiB", "GiB", "TiB"];
    let mut x = n;
    let mut unit = 0;
    while x >= 1024.0 && unit + 1 < UNITS.len() {
        x /= 1024.0;
        unit += 1;
    }
    if unit == 0 { format!("{x:.0} B") } else { format!("{x:.1} {}", UNITS[unit]) }
}

impl fmt::Display for WorkEstimate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        writeln!(
            f,
            "estimate per replicate: {:.3e} sessions, {:.3e} requests, {:.3e} keep-alives, {:.3e} events",
            self.sessions_per_replicate,
            self.requests_per_replicate,
            self.keep_alive_per_replicate,
            self.events_per_replicate
        )?;
        if self.iterations_per_replicate > 0.0 {
            writeln!(f, "  of which {:.3e} iterations of self-hosted replicas", self.iterations_per_replicate)?;
        }
        if self.cache_block_visits_per_replicate > 0.0 {
            writeln!(
                f,
                "  cache work growing with prompt length: {:.3e} block visits per replicate",
                self.cache_block_visits_per_replicate
            )?;
        }
        writeln!(
            f,
            "  peak {:.3e} live sessions and {:.3e} cache entries per replicate",
            self.peak_live_sessions, self.peak_cache_entries
        )?;
        writeln!(
            f,
            "estimate for {} replicate(s){}, {} at a time: {:.3e} events, about {:.1} CPU-seconds, peak memory about {}",
            self.replicates,
            if self.variants > 1 {
                format!(" x {} scenarios (baseline, variants, sweep points)", self.variants)
            } else {
                String::new()
            },
            self.concurrent,
            self.total_events,
            self.cpu_seconds,
            bytes(self.peak_memory_bytes)
        )?;
        for o in &self.overloaded {
            writeln!(
                f,
                "warning: provider `{}` is offered {:.2}x its {}: its queue grows as long as sessions arrive (latencies then grow with the horizon)",
                o.provider,
                o.utilisation,
                if o.self_hosted { "replicas' iteration time at full batches" } else { "slots" }
            )?;
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::{FleetLoad, attempts_and_steps};
    use crate::scenario::{KvMemory, ReplicasServing, StepCoefficients, StepModel};

    /// Two replicas, b0 = 10 ms, b2 = 1 ms per decoding sequence.
    fn fleet() -> ReplicasServing {
        let step = StepModel::Fitted(StepCoefficients {
            b0_us: 10_000.0,
            b1_us_per_prefill_token: 0.0,
            b2_us_per_decode_seq: 1_000.0,
            b3_us_per_context_token: 0.0,
        });
        ReplicasServing::new(2, step, KvMemory::Blocks(1000))
    }

    #[test]
    fn busy_replicas_run_one_minus_their_work_share_over_b0_iterations_per_second() {
        // 10 requests/s of 101 output tokens over 100 s: 100 decode tokens
        // each, 0.1 s of decode seats per request, 1 s per second over 2
        // replicas: work share 0.5, so (1 - 0.5) / 10 ms = 50 iterations/s per
        // replica (T = 20 ms), 10,000 in the steady 100 s. Edges: the ramp
        // runs 101 x 20 / (20 - 10) x ln 2 = 140.02 iterations instead of
        // 101, twice, less the 101 already counted: 101 x (2 x 2 ln 2 - 1)
        // = 179.05 per replica. 2 x (5,000 + 179.05) = 10,358.1.
        let f = FleetLoad {
            rate: 10.0,
            work: 1.0,
            full_batch_b0: 0.0,
            alone: 1010.0,
            decode_tokens: 100_000.0,
            blocks: 0.0,
            span_s: 100.0,
        };
        let it = f.iterations(&fleet());
        assert!((it - 10_358.1).abs() < 0.1, "{it}");
        // Alone each request would run 101 iterations: 505/s per replica, more than 50.
        // At 0.1 requests/s the requests run alone: 0.05 x 101 x 100 s x 2 = 1,010.
        let light = FleetLoad { rate: 0.1, work: 0.01, alone: 10.1, decode_tokens: 1000.0, ..f };
        assert!((light.iterations(&fleet()) - 1010.0).abs() < 1e-9);
        // Overloaded: full batches of 256, 100,000 / 256 = 390.6 iterations at least.
        let over = FleetLoad { work: 3.0, ..f };
        assert!((over.iterations(&fleet()) - 390.625).abs() < 1e-9);
    }

    #[test]
    fn attempts_count_retries_and_failed_sessions() {
        assert_eq!(attempts_and_steps(0.0, 2, 10.0), (1.0, 10.0));
        // 1% failures, 2 retries: 1.0101 attempts; steps barely shortened.
        let (a, s) = attempts_and_steps(0.01, 2, 10.0);
        assert!((a - 1.0101).abs() < 1e-12 && (s - 10.0).abs() < 1e-4, "{a} {s}");
        // Almost every attempt fails: 3 attempts per step, sessions end at step 1.
        let (a, s) = attempts_and_steps(0.999_999, 2, 17.5);
        assert!((a - 3.0).abs() < 1e-4 && (s - 1.0).abs() < 1e-4, "{a} {s}");
    }
}
