//! One replicate: sessions arrive, issue requests to their provider, wait in
//! its FIFO for a slot, read and write the prompt cache, pay per token class,
//! think (sending keep-alives during long pauses), and issue the next step,
//! until every session is done (or `end`).

use super::caches::{CacheSet, CachedRequest};
use super::limits::{SimLimit, clock_limit_years};
use super::slab::Slab;
use super::timeseries::{ProviderSample, TimeseriesRecorder, TimeseriesRow};
use crate::event_queue::EventQueue;
use crate::metrics::{
    CostBreakdown, MAX_CACHE_TIERS, ReplicateMetrics, RequestOutcome, ScopeMetrics, TimeWeighted, TokenCounts,
};
use crate::model::cache::Lookup;
use crate::model::cache::PromptBreakpoint;
use crate::model::pricing::{classify_tokens, request_cost};
use crate::model::prompt::MAX_PROMPT_TOKENS;
use crate::model::serving::{Begin, Host, Server};
use crate::model::session::Session;
use crate::records::{RequestRecord, RequestStatus};
use crate::rng::{ReplicateSeed, StreamId, StreamRng};
use crate::scenario::{ArrivalStop, Arrivals, Scenario};
use crate::time::{SimDuration, SimTime};
use rand::Rng;

/// What one replicate produces.
#[derive(Debug)]
pub struct ReplicateOutput {
    pub metrics: ReplicateMetrics,
    /// Every request attempt, when recording was asked for.
    pub requests: Vec<RequestRecord>,
    /// Per provider and interval, when recording was asked for.
    pub timeseries: Vec<TimeseriesRow>,
}

/// What a replicate keeps beyond its metrics (replicate 0 of a run).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Recording {
    /// Every request attempt (memory grows with the requests).
    pub requests: bool,
    /// One row per provider per `simulation.timeseries_interval` (memory
    /// grows with simulated time).
    pub timeseries: bool,
}

#[derive(Clone, Copy, Debug)]
enum Event {
    /// The next session of workload `.0` arrives.
    Arrival(u32),
    /// Session `.0` sends its current step's request (first attempt or retry).
    Issue(u32),
    /// The request of session `.0` reaches its provider's queue.
    Admit(u32),
    /// A timer of provider `.0`'s server fires, with the server's token `.1`.
    ServerWake(u32, u32),
    /// The attempt of session `.0` in service gets its first token (prefill end).
    FirstToken(u32),
    /// The attempt of session `.0` in service finishes.
    Done(u32),
    /// Session `.0`, pausing, sends a keep-alive request.
    KeepAlive(u32),
}

/// The attempt a session has in flight.
#[derive(Clone, Copy, Debug, Default)]
struct Attempt {
    issued: SimTime,
    start: SimTime,
    first_token: SimTime,
    end: SimTime,
    /// In the provider's tier order.
    tokens: TokenCounts,
    cost: CostBreakdown,
    failed: bool,
}

struct ProviderState {
    failure_rng: StreamRng,
}

struct WorkloadState {
    arrival_rng: StreamRng,
    next_index: u64,
}

struct Live {
    session: Session,
    attempt: Attempt,
    /// When the next step will be issued (keep-alives stop before it).
    next_issue: SimTime,
    /// Arrived after the warm-up: its requests and costs are counted.
    counted: bool,
}

/// Levels of one (workload, provider) cell over time.
#[derive(Clone, Copy)]
struct CellGauges {
    /// Steps issued and not finished.
    in_system: TimeWeighted,
    sessions: TimeWeighted,
}

struct Replicate<'a> {
    sc: &'a Scenario,
    seed: ReplicateSeed,
    replicate: u32,
    queue: EventQueue<Event>,
    live: Slab<Live>,
    providers: Vec<ProviderState>,
    /// Taken out while a server runs, so it can call back into the engine.
    servers: Vec<Server>,
    /// The cache look-up of the attempt whose service is beginning, between
    /// `Host::begin` and `Host::planned` (`None`: the attempt fails).
    pending_lookup: Option<Lookup>,
    /// The provider whose server is running (while `servers` is taken out).
    serving_provider: usize,
    workloads: Vec<WorkloadState>,
    caches: CacheSet,
    /// Metrics per (workload, provider) cell; today a workload has one
    /// provider, so one cell per workload. Provider and overall scopes are
    /// merged from the cells at the end: one record per event on the hot path.
    cells: Vec<ScopeMetrics>,
    /// What sessions that arrived during the warm-up record: simulated, never counted.
    uncounted: ScopeMetrics,
    gauges: Vec<CellGauges>,
    /// The warm-up's end.
    counted_from: SimTime,
    records: Option<Vec<RequestRecord>>,
    timeseries: Option<TimeseriesRecorder>,
    breakpoints: Vec<PromptBreakpoint>,
    /// The first limit reached; the loop stops at the next event.
    fault: Option<SimLimit>,
}

/// Runs replicate `replicate` of `sc` with master seed `seed`. Deterministic:
/// the same inputs give the same output on any thread (and, for a given
/// platform and build, any run). Fails when the replicate reaches a limit of
/// what the engine represents exactly (see `SimLimit`).
pub fn simulate_replicate(
    sc: &Scenario,
    seed: u64,
    replicate: u32,
    record_requests: bool,
) -> Result<ReplicateOutput, SimLimit> {
    simulate_replicate_with(sc, seed, replicate, Recording { requests: record_requests, timeseries: false })
}

/// [`simulate_replicate`], keeping what `record` asks for.
pub fn simulate_replicate_with(
    sc: &Scenario,
    seed: u64,
    replicate: u32,
    record: Recording,
) -> Result<ReplicateOutput, SimLimit> {
    let rs = ReplicateSeed::new(seed, u64::from(replicate));
    let providers = (0..sc.providers.len())
        .map(|i| ProviderState { failure_rng: rs.stream(StreamId::indexed("serving.failures", i as u64, 0)) })
        .collect();
    let warmup_end = SimTime::ZERO + sc.simulation.warmup;
    let servers = sc.providers.iter().enumerate().map(|(i, p)| Server::new(p, i, &rs, warmup_end)).collect();
    let workloads = (0..sc.workloads.len())
        .map(|i| WorkloadState { arrival_rng: rs.stream(StreamId::indexed("arrivals", i as u64, 0)), next_index: 0 })
        .collect();
    let mut r = Replicate {
        sc,
        seed: rs,
        replicate,
        queue: EventQueue::new(),
        live: Slab::default(),
        providers,
        servers,
        pending_lookup: None,
        serving_provider: 0,
        workloads,
        caches: CacheSet::new(sc, &rs),
        cells: vec![ScopeMetrics::default(); sc.workloads.len()],
        uncounted: ScopeMetrics::default(),
        gauges: vec![
            CellGauges {
                in_system: TimeWeighted::observed_from(warmup_end),
                sessions: TimeWeighted::observed_from(warmup_end),
            };
            sc.workloads.len()
        ],
        counted_from: warmup_end,
        records: record.requests.then(Vec::new),
        timeseries: record
            .timeseries
            .then(|| TimeseriesRecorder::new(sc.simulation.timeseries_interval, warmup_end, sc.providers.len())),
        breakpoints: Vec::new(),
        fault: None,
    };
    for w in 0..sc.workloads.len() {
        r.schedule_next_arrival(w, SimTime::ZERO);
    }
    // A first arrival past the clock's limit is a fault before any event.
    if let Some(fault) = r.fault.take() {
        return Err(fault);
    }
    let end = sc.simulation.end.unwrap_or(SimTime::MAX);
    let mut now = SimTime::ZERO;
    let mut events = 0u64;
    while let Some(t) = r.queue.peek_time() {
        if t > end {
            now = end;
            break;
        }
        if r.timeseries.as_ref().is_some_and(|ts| ts.due(t)) {
            r.sample_timeseries(t);
        }
        let (t, ev) = r.queue.pop().expect("peeked");
        debug_assert!(t >= now, "clock went backwards");
        now = t;
        events += 1;
        match ev {
            Event::Arrival(w) => r.on_arrival(w as usize, now),
            Event::Issue(id) => r.on_issue(id, now),
            Event::Admit(id) => r.on_admit(id, now),
            Event::ServerWake(p, token) => {
                r.with_server(p as usize, |server, host| server.wake(token, now, host));
            }
            Event::FirstToken(id) => r.on_first_token(id, now),
            Event::Done(id) => r.on_done(id, now),
            Event::KeepAlive(id) => r.on_keep_alive(id, now),
        }
        if let Some(fault) = r.fault.take() {
            return Err(fault);
        }
    }
    r.caches.close(sc, &mut r.cells, warmup_end);
    // After the cache's close: the last row's cost includes the storage billed there.
    let timeseries = match r.timeseries.take() {
        Some(ts) => ts.finish(now, |p| r.provider_sample(p)),
        None => Vec::new(),
    };
    let span_s = (now.max(warmup_end) - warmup_end).as_secs_f64();
    for (cell, g) in r.cells.iter_mut().zip(&mut r.gauges) {
        cell.concurrency = g.in_system.close(now);
        cell.sessions_active = g.sessions.close(now);
        cell.span_s = span_s;
    }
    let mut overall = ScopeMetrics::default();
    overall.span_s = span_s;
    let mut by_provider = vec![overall.clone(); sc.providers.len()];
    for (w, cell) in r.cells.iter().enumerate() {
        overall.merge(cell);
        by_provider[sc.workloads[w].provider].merge(cell);
    }
    let mut all_serving = crate::metrics::ServingGauges::default();
    for (m, server) in by_provider.iter_mut().zip(&mut r.servers) {
        let g = server.close(now);
        all_serving.merge(&g);
        m.serving = Some(g);
    }
    overall.serving = Some(all_serving);
    r.caches.set_peaks(&mut overall, &mut by_provider);
    let metrics = ReplicateMetrics {
        replicate,
        overall,
        by_provider,
        by_workload: r.cells,
        events,
        sim_end_s: now.as_secs_f64(),
    };
    check_metrics(&metrics, sc)?;
    Ok(ReplicateOutput { metrics, requests: r.records.unwrap_or_default(), timeseries })
}

/// The last line of defence: a replicate whose counters overflowed, or one
/// of whose metrics is not finite, is an error rather than a result.
fn check_metrics(m: &ReplicateMetrics, sc: &Scenario) -> Result<(), SimLimit> {
    let scopes = || std::iter::once(&m.overall).chain(&m.by_provider).chain(&m.by_workload);
    if scopes().any(|s| s.counter_overflow) {
        return Err(SimLimit::TokenCounters { replicate: m.replicate });
    }
    let n_tiers = sc.cache_tier_names().len();
    for s in scopes() {
        if let Some(i) = s.values(n_tiers).iter().position(|v| v.is_some_and(|x| !x.is_finite())) {
            let metric = crate::metrics::metric_names(&sc.cache_tier_names())[i].clone();
            return Err(SimLimit::NonFinite { replicate: m.replicate, metric });
        }
    }
    Ok(())
}

impl Replicate<'_> {
    /// Schedules `ev` for session or workload events at `t`, unless `t` is
    /// past the clock's limit: then the replicate stops with an error (time
    /// sums saturate at `u64::MAX`, so a saturated instant always lands here).
    fn schedule(&mut self, t: SimTime, ev: Event, workload: usize) {
        if t > SimTime::LIMIT {
            self.fault.get_or_insert_with(|| SimLimit::Clock {
                replicate: self.replicate,
                workload: self.sc.workloads[workload].name.clone(),
                limit_years: clock_limit_years(),
            });
            return;
        }
        self.queue.push(t, ev);
    }

    /// Schedules workload `w`'s next arrival after `after`, if its stop rule
    /// (or its trace) allows.
    fn schedule_next_arrival(&mut self, w: usize, after: SimTime) {
        let ws = &mut self.workloads[w];
        match &self.sc.workloads[w].arrivals {
            Arrivals::Poisson { rate_per_s, stop } => {
                if let ArrivalStop::Sessions(n) = stop
                    && ws.next_index >= *n
                {
                    return;
                }
                let u: f64 = ws.arrival_rng.random();
                let t = after + SimDuration::from_secs_f64(-(1.0 - u).ln() / rate_per_s);
                if let ArrivalStop::Horizon(h) = stop
                    && t >= *h
                {
                    return;
                }
                self.schedule(t, Event::Arrival(w as u32), w);
            }
            Arrivals::Trace(trace) => {
                if let Some(req) = trace.requests.get(ws.next_index as usize) {
                    let t = SimTime::from_micros(req.arrival_us).max(after);
                    self.schedule(t, Event::Arrival(w as u32), w);
                }
            }
        }
    }

    fn on_arrival(&mut self, w: usize, now: SimTime) {
        let index = self.workloads[w].next_index;
        self.workloads[w].next_index += 1;
        let wl = &self.sc.workloads[w];
        let session = match &wl.arrivals {
            Arrivals::Trace(trace) => Session::from_trace(wl, trace, &trace.requests[index as usize], w, index, now),
            Arrivals::Poisson { .. } => Session::start(&self.seed, wl, w, index, now),
        };
        let counted = now >= self.counted_from;
        let id = self.live.insert(Live { session, attempt: Attempt::default(), next_issue: now, counted });
        self.cell(id).sessions_started += 1;
        self.gauges[w].sessions.add(now, 1);
        self.schedule_next_arrival(w, now);
        self.on_issue(id, now);
    }

    fn on_issue(&mut self, id: u32, now: SimTime) {
        let l = self.live.get_mut(id);
        l.attempt.issued = now;
        if l.session.attempt == 0 {
            let w = l.session.workload;
            self.gauges[w].in_system.add(now, 1);
        }
        let l = self.live.get(id);
        let w = l.session.workload;
        let p = self.sc.workloads[w].provider;
        let delay = self.servers[p].before_queue();
        if delay == SimDuration::ZERO {
            self.on_admit(id, now);
        } else {
            self.schedule(now + delay, Event::Admit(id), w);
        }
    }

    fn on_admit(&mut self, id: u32, now: SimTime) {
        let p = self.sc.workloads[self.live.get(id).session.workload].provider;
        if let Some(ts) = self.timeseries.as_mut() {
            ts.arrival(p, now);
        }
        self.with_server(p, |server, host| server.admit(id, now, host));
    }

    /// Emits the time series' boundaries before `t` (state is constant since the last event).
    fn sample_timeseries(&mut self, t: SimTime) {
        if let Some(mut ts) = self.timeseries.take() {
            ts.sample_before(t, |p| self.provider_sample(p));
            self.timeseries = Some(ts);
        }
    }

    /// Provider `p` now, for the time series. The cost is summed over its
    /// workloads in the order the provider's `cost_usd` metric merges them,
    /// so the last row equals that metric exactly.
    fn provider_sample(&self, p: usize) -> ProviderSample {
        let mut cost = CostBreakdown::default();
        for (cell, _) in self.cells.iter().zip(&self.sc.workloads).filter(|(_, w)| w.provider == p) {
            cost.add(&cell.cost);
        }
        ProviderSample {
            levels: self.servers[p].levels(),
            cache_tokens: self.caches.tokens_held(p),
            cost_usd_cumulative: cost.total(),
        }
    }

    /// Runs `f` on provider `p`'s server with the engine as its host.
    fn with_server(&mut self, p: usize, f: impl FnOnce(&mut Server, &mut Self)) {
        let mut servers = std::mem::take(&mut self.servers);
        self.serving_provider = p;
        f(&mut servers[p], self);
        self.servers = servers;
    }

    /// What the tokens of workload `w` cost at `now`: the one place a
    /// request or a ping is billed.
    fn bill(&self, w: usize, now: SimTime, tokens: &TokenCounts) -> CostBreakdown {
        let wl = &self.sc.workloads[w];
        let pricing = &self.sc.providers[wl.provider].pricing;
        request_cost(pricing, now, self.sc.simulation.start_time_of_day_s, wl.service_tier, tokens)
    }

    /// The attempt of session `id` gets its first token. Nothing is decided
    /// here yet for the models that plan both instants up front.
    fn on_first_token(&mut self, id: u32, now: SimTime) {
        debug_assert_eq!(self.live.get(id).attempt.first_token, now);
    }

    fn on_done(&mut self, id: u32, now: SimTime) {
        let l = self.live.get(id);
        let (w, a) = (l.session.workload, l.attempt);
        let p = self.sc.workloads[w].provider;
        self.with_server(p, |server, host| server.release(id, now, host));
        if let Some(ts) = self.timeseries.as_mut() {
            if a.failed { ts.error(p, now) } else { ts.completion(p, now) }
        }
        if a.failed {
            self.on_failed_attempt(id, w, p, a, now);
        } else {
            self.on_success(id, w, p, a, now);
        }
    }

    fn on_failed_attempt(&mut self, id: u32, w: usize, p: usize, a: Attempt, now: SimTime) {
        self.record(id, a, RequestStatus::Error);
        let f = &self.sc.providers[p].failures;
        let attempt = self.live.get(id).session.attempt;
        let retry = attempt < f.max_retries;
        let cell = self.cell(id);
        cell.errors += 1;
        cell.retries += u64::from(retry);
        if retry {
            // Exactly backoff x 2^attempt; a product past u64 saturates, and
            // the saturated instant is past the clock's limit (a fault).
            let backoff =
                SimDuration::from_micros(f.retry_backoff.as_micros().saturating_mul(2u64.saturating_pow(attempt)));
            self.live.get_mut(id).session.attempt += 1;
            self.schedule(now + backoff, Event::Issue(id), w);
        } else {
            // The agent cannot continue without this answer: the session fails.
            self.gauges[w].in_system.add(now, -1);
            self.leave(id, w, now);
        }
    }

    fn on_success(&mut self, id: u32, w: usize, p: usize, a: Attempt, now: SimTime) {
        self.record(id, a, RequestStatus::Ok);
        let outcome = {
            let s = &self.live.get(id).session;
            RequestOutcome {
                tokens: self.caches.to_scenario_tiers(p, &a.tokens),
                cost: a.cost,
                queue_wait: a.start - a.issued,
                ttft: a.first_token - s.step_issued,
                e2e: a.end - s.step_issued,
                decode: a.end - a.first_token,
                output_tokens: a.tokens.output,
                slo_met: None,
            }
        };
        let workload = &self.sc.workloads[w];
        let l = self.live.get_mut(id);
        let Ok(next) = l.session.finish_step(workload) else {
            let (session, step) = (l.session.index, l.session.step);
            self.fault = Some(SimLimit::PromptTokens {
                replicate: self.replicate,
                workload: workload.name.clone(),
                session,
                step,
                max: MAX_PROMPT_TOKENS,
            });
            return;
        };
        if let Some(think) = next {
            let at = now + think;
            l.session.begin_next_step(workload, at);
            l.next_issue = at;
            let keep_alive = workload.keep_alive.map(|ka| now + ka.interval).filter(|t| *t < at);
            self.schedule(at, Event::Issue(id), w);
            if let Some(t) = keep_alive {
                self.schedule(t, Event::KeepAlive(id), w);
            }
        }
        self.gauges[w].in_system.add(now, -1);
        let l = self.live.get_mut(id);
        let session_done = next.is_none().then(|| now - l.session.arrival);
        let cell = self.cell(id);
        cell.record_request(&outcome);
        if let Some(d) = session_done {
            cell.record_session_end(d);
            self.leave(id, w, now);
        }
    }

    /// A keep-alive: the prompt the session last sent, a minimal output, no
    /// slot taken (it adds negligible load), billed and counted.
    fn on_keep_alive(&mut self, id: u32, now: SimTime) {
        let l = self.live.get(id);
        let w = l.session.workload;
        let wl = &self.sc.workloads[w];
        let Some(ka) = wl.keep_alive else { return };
        let blocks = &l.session.prompt.blocks()[..l.session.last_sent_blocks];
        let input = blocks.last().map_or(0, |b| b.end_tokens);
        if self.caches.needs_breakpoints(w) {
            l.session.breakpoints_within(blocks.len(), &mut self.breakpoints);
        } else {
            self.breakpoints.clear();
        }
        let req = CachedRequest {
            workload: w,
            now,
            blocks,
            shared: l.session.prompt.shared_blocks().min(blocks.len()),
            breakpoints: &self.breakpoints,
        };
        let hit = self.caches.lookup(self.sc, &req);
        let (first_token, end) = self.servers[wl.provider].ping_timing(now, input, hit.tokens, ka.output_tokens);
        let writes = self.caches.commit(self.sc, &req, hit, first_token, end);
        let tokens = classify_tokens(input, hit.tokens, &writes, ka.output_tokens, 0);
        let cost = self.bill(w, now, &tokens);
        let ping = Attempt { issued: now, start: now, first_token, end, tokens, cost, failed: false };
        self.record(id, ping, RequestStatus::KeepAlive);
        let tokens = self.caches.to_scenario_tiers(wl.provider, &tokens);
        self.cell(id).record_keep_alive(&tokens, &cost);
        let next = now + ka.interval;
        if next < self.live.get(id).next_issue {
            self.schedule(next, Event::KeepAlive(id), w);
        }
        self.caches.bill_storage(self.sc, &mut self.cells, self.counted_from);
    }

    /// The metrics session `id` records into: its cell, or nowhere when it
    /// arrived during the warm-up.
    fn cell(&mut self, id: u32) -> &mut ScopeMetrics {
        let l = self.live.get(id);
        if l.counted { &mut self.cells[l.session.workload] } else { &mut self.uncounted }
    }

    /// Session `id` of workload `w` leaves the system (done or failed).
    fn leave(&mut self, id: u32, w: usize, now: SimTime) {
        self.gauges[w].sessions.add(now, -1);
        self.live.remove(id);
    }

    fn record(&mut self, id: u32, a: Attempt, status: RequestStatus) {
        let Some(records) = self.records.as_mut() else { return };
        let l = self.live.get(id);
        if !l.counted {
            return;
        }
        let s = &l.session;
        let p = self.sc.workloads[s.workload].provider;
        let tokens = self.caches.to_scenario_tiers(p, &a.tokens);
        records.push(RequestRecord {
            replicate: self.replicate,
            workload: s.workload,
            session: s.index,
            step: s.step,
            provider: p,
            arrival: a.issued,
            start: a.start,
            first_token: a.first_token,
            end: a.end,
            tokens,
            cost: a.cost,
            status,
        });
    }
}

/// The request of `session` as its provider's cache sees it (`breakpoints`
/// are its breakpoints when its cache needs them).
fn cached_request<'a>(session: &'a Session, breakpoints: &'a [PromptBreakpoint], now: SimTime) -> CachedRequest<'a> {
    CachedRequest {
        workload: session.workload,
        now,
        blocks: session.prompt.blocks(),
        shared: session.prompt.shared_blocks(),
        breakpoints,
    }
}

impl Host for Replicate<'_> {
    fn begin(&mut self, id: u32, now: SimTime) -> Begin {
        let w = self.live.get(id).session.workload;
        let p = self.sc.workloads[w].provider;
        let error_rate = self.sc.providers[p].failures.error_rate;
        let failed = error_rate > 0.0 && self.providers[p].failure_rng.random_bool(error_rate);
        let a = &mut self.live.get_mut(id).attempt;
        a.start = now;
        a.failed = failed;
        if failed {
            self.pending_lookup = None;
            return Begin { failed: true, ..Begin::default() };
        }
        let session = &self.live.get(id).session;
        if self.caches.needs_breakpoints(w) {
            session.breakpoints(&mut self.breakpoints);
        } else {
            self.breakpoints.clear();
        }
        let input_tokens = session.prompt.tokens();
        let output_tokens = session.output_tokens + session.reasoning_tokens;
        let req = cached_request(&self.live.get(id).session, &self.breakpoints, now);
        let hit = self.caches.lookup(self.sc, &req);
        self.pending_lookup = Some(hit);
        Begin { input_tokens, cached_tokens: hit.tokens, output_tokens, failed: false }
    }

    fn planned(&mut self, id: u32, now: SimTime, first_token: SimTime, end: SimTime) {
        let w = self.live.get(id).session.workload;
        let (tokens, cost, failed) = match self.pending_lookup.take() {
            // A failed attempt: no prefill, no output, nothing billed, nothing cached.
            None => (TokenCounts::default(), CostBreakdown::default(), true),
            Some(hit) => {
                let req = cached_request(&self.live.get(id).session, &self.breakpoints, now);
                let writes = self.caches.commit(self.sc, &req, hit, first_token, end);
                let s = &self.live.get(id).session;
                let input = s.prompt.tokens();
                let tokens = classify_tokens(input, hit.tokens, &writes, s.output_tokens, s.reasoning_tokens);
                (tokens, self.bill(w, now, &tokens), false)
            }
        };
        let a = &mut self.live.get_mut(id).attempt;
        *a = Attempt { issued: a.issued, start: now, first_token, end, tokens, cost, failed };
        self.schedule(first_token, Event::FirstToken(id), w);
        self.schedule(end, Event::Done(id), w);
        self.caches.bill_storage(self.sc, &mut self.cells, self.counted_from);
    }

    fn first_token(&mut self, id: u32, at: SimTime, cached_tokens: u64) {
        let w = self.live.get(id).session.workload;
        let tokens = match self.live.get(id).attempt.failed {
            true => TokenCounts::default(),
            false => {
                // The server's own prefix cache: read at no write premium.
                let s = &self.live.get(id).session;
                let input = s.prompt.tokens();
                classify_tokens(
                    input,
                    cached_tokens.min(input),
                    &[0; MAX_CACHE_TIERS],
                    s.output_tokens,
                    s.reasoning_tokens,
                )
            }
        };
        let cost = self.bill(w, at, &tokens);
        let a = &mut self.live.get_mut(id).attempt;
        a.first_token = at;
        a.tokens = tokens;
        a.cost = cost;
        self.schedule(at, Event::FirstToken(id), w);
    }

    fn done(&mut self, id: u32, at: SimTime) {
        let w = self.live.get(id).session.workload;
        self.live.get_mut(id).attempt.end = at;
        self.schedule(at, Event::Done(id), w);
    }

    fn wake(&mut self, at: SimTime, token: u32) {
        let p = self.serving_provider;
        let w = self.sc.workloads.iter().position(|w| w.provider == p).unwrap_or(0);
        self.schedule(at, Event::ServerWake(p as u32, token), w);
    }
}
