//! One replicate: sessions arrive, issue requests to their provider, wait in
//! its FIFO for a slot, read and write the prompt cache, pay per token class,
//! think (sending keep-alives during long pauses), and issue the next step,
//! until every session is done (or `end`).

use super::arrivals::ProcessArrivals;
use super::caches::{CacheSet, CachedRequest};
use super::cells::Cells;
use super::gate::Gate;
use super::limits::{SimLimit, clock_limit_years};
use super::routing::{Router, SessionRoute};
use super::slab::Slab;
use super::subagents::Family;
use super::timeseries::{ProviderSample, TimeseriesRecorder, TimeseriesRow};
use crate::event_queue::EventQueue;
use crate::metrics::{CostBreakdown, ReplicateMetrics, ScopeMetrics, TimeWeighted, TokenCounts, UsdSum, VariantRecord};
use crate::model::cache::Lookup;
use crate::model::cache::PromptBreakpoint;
use crate::model::pricing::classify_tokens;
use crate::model::serving::Server;
use crate::model::serving::replicas::compute_cost_usd;
use crate::model::session::{Session, SessionSeeds};
use crate::model::start_spread::SpreadBins;
use crate::records::{RequestRecord, RequestStatus};
use crate::rng::{KeyedStreams, ReplicateSeed, RequestKey, StreamId, StreamRng, fnv1a};
use crate::scenario::{ArrivalStop, Arrivals, Scenario};
use crate::time::{SimDuration, SimTime};
use crate::trace::ReplayMode;
use rand::Rng;

/// What one replicate produces.
#[derive(Debug)]
pub struct ReplicateOutput {
    pub metrics: ReplicateMetrics,
    /// The metrics' values as the fold and `replicates.csv` read them,
    /// computed once, by the worker that ran the replicate.
    pub record: VariantRecord,
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
pub(super) enum Event {
    /// The next session of workload `.0` arrives.
    Arrival(u32),
    /// Session `.0` sends its current step's request (first attempt or retry).
    Issue(u32),
    /// The request of session `.0` (attempt generation `.1`) reaches its provider's queue.
    Admit(u32, u32),
    /// The provider processes batch request of session `.0` (attempt generation `.1`).
    BatchRun(u32, u32),
    /// The client of session `.0` gives up on attempt generation `.1`.
    Timeout(u32, u32),
    /// A timer of provider `.0`'s server fires, with the server's token `.1`.
    ServerWake(u32, u32),
    /// Attempt generation `.1` of session `.0` gets its first token (prefill
    /// end) from a server that decides it as it goes (replicas); a planned
    /// attempt (`api`) knows it when it starts and schedules no such event.
    FirstToken(u32, u32),
    /// Attempt generation `.1` of session `.0` finishes.
    Done(u32, u32),
    /// Session `.0`, pausing, sends a keep-alive request.
    KeepAlive(u32),
}

impl Event {
    /// The session the event is for, if it is for one.
    fn session(&self) -> Option<u32> {
        match *self {
            Event::Issue(id)
            | Event::Admit(id, _)
            | Event::BatchRun(id, _)
            | Event::Timeout(id, _)
            | Event::FirstToken(id, _)
            | Event::Done(id, _)
            | Event::KeepAlive(id) => Some(id),
            Event::Arrival(_) | Event::ServerWake(..) => None,
        }
    }
}

/// The attempt a session has in flight.
#[derive(Clone, Copy, Debug, Default)]
pub(super) struct Attempt {
    /// The provider it was sent to, and that provider's position among the
    /// workload's candidates.
    pub(super) provider: usize,
    pub(super) slot: usize,
    pub(super) issued: SimTime,
    pub(super) start: SimTime,
    pub(super) first_token: SimTime,
    pub(super) end: SimTime,
    /// In the provider's tier order.
    pub(super) tokens: TokenCounts,
    pub(super) cost: CostBreakdown,
    /// The instant `cost` was priced at (what its time-of-day window follows).
    pub(super) priced_at: SimTime,
    pub(super) failed: bool,
    /// Admitted to (or on its way to) the provider's server.
    pub(super) in_server: bool,
    /// Passed the gate (served, batched or expiring): it took from the rate
    /// limits, which are settled when it ends.
    pub(super) admitted: bool,
    /// Its service began (`Host::begin`).
    pub(super) begun: bool,
    /// Its first-token and end instants are known.
    pub(super) planned: bool,
    pub(super) first_token_seen: bool,
    /// Answered, failed or abandoned: later events of it are stale.
    pub(super) closed: bool,
}

impl Attempt {
    pub(super) fn open(&self) -> bool {
        !self.closed
    }
}

pub(super) struct WorkloadState {
    pub(super) arrival_rng: StreamRng,
    next_index: u64,
    pub(super) process: ProcessArrivals,
}

#[derive(Debug)]
pub(super) struct Live {
    pub(super) session: Session,
    pub(super) attempt: Attempt,
    /// When the next step will be issued (keep-alives stop before it).
    pub(super) next_issue: SimTime,
    /// Arrived after the warm-up: its requests and costs are counted.
    pub(super) counted: bool,
    /// Keep-alive pings sent so far (what their draws are keyed by).
    pub(super) pings: u32,
    /// Everything billed to this session's requests so far, summed exactly
    /// (a parent's includes its children's, once they end).
    pub(super) cost: UsdSum,
    /// Subagents: a child's parent, a parent's children.
    pub(super) family: Family,
    /// Where its requests go (docs/routing.md).
    pub(super) route: SessionRoute,
}

impl Live {
    /// A session starting at `now`, before its first attempt.
    #[inline(always)]
    pub(super) fn new(session: Session, now: SimTime, counted: bool, family: Family) -> Self {
        Live {
            session,
            attempt: Attempt::default(),
            next_issue: now,
            counted,
            pings: 0,
            cost: UsdSum::default(),
            family,
            route: SessionRoute::default(),
        }
    }

    /// [`Live::new`] in place, around a session already started in it.
    #[inline(always)]
    pub(super) fn restart(&mut self, now: SimTime, counted: bool, family: Family) {
        // Every field is named: one added later must be reset here too.
        let Live { session: _, attempt, next_issue, counted: l_counted, pings, cost, family: l_family, route } = self;
        *attempt = Attempt::default();
        *next_issue = now;
        *l_counted = counted;
        *pings = 0;
        *cost = UsdSum::default();
        *l_family = family;
        *route = SessionRoute::default();
    }
}

/// Levels of one workload over time.
#[derive(Clone, Copy)]
pub(super) struct CellGauges {
    /// Steps issued and not finished.
    pub(super) in_system: TimeWeighted,
    pub(super) sessions: TimeWeighted,
}

pub(super) struct Replicate<'a> {
    pub(super) sc: &'a Scenario,
    pub(super) seed: ReplicateSeed,
    pub(super) session_seeds: SessionSeeds,
    pub(super) replicate: u32,
    pub(super) queue: EventQueue<Event>,
    pub(super) live: Slab<Live>,
    /// Whether an attempt fails, drawn per request.
    pub(super) failure_streams: KeyedStreams,
    /// Taken out while a server runs, so it can call back into the engine.
    pub(super) servers: Vec<Server>,
    /// The cache look-up of the attempt whose service is beginning, between
    /// `Host::begin` and `Host::planned` (`None`: the attempt fails).
    pub(super) pending_lookup: Option<Lookup>,
    /// The provider whose server is running (while `servers` is taken out).
    pub(super) serving_provider: usize,
    pub(super) workloads: Vec<WorkloadState>,
    pub(super) caches: CacheSet,
    /// Metrics per workload, and per candidate provider of a routed workload.
    pub(super) cells: Cells,
    /// What the client-side router knows (routed workloads).
    pub(super) router: Router,
    /// Weighted routing's draws, per request; sticky routing's, per session.
    pub(super) route_streams: KeyedStreams,
    pub(super) sticky_streams: KeyedStreams,
    /// What sessions that arrived during the warm-up record: simulated, never counted.
    pub(super) uncounted: ScopeMetrics,
    pub(super) gauges: Vec<CellGauges>,
    /// The warm-up's end.
    pub(super) counted_from: SimTime,
    pub(super) records: Option<Vec<RequestRecord>>,
    pub(super) timeseries: Option<TimeseriesRecorder>,
    pub(super) breakpoints: Vec<PromptBreakpoint>,
    /// The first limit reached; the loop stops at the next event.
    pub(super) fault: Option<SimLimit>,
    pub(super) gate: Gate,
    /// Counted requests' prices before the time-of-day window, when a
    /// provider bills by time of day (`model::start_spread`).
    pub(super) spread: Option<SpreadBins>,
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
    let warmup_end = SimTime::ZERO + sc.simulation.warmup;
    let servers = sc.providers.iter().map(|p| Server::new(p, &rs, warmup_end)).collect();
    // Keyed by name, not position: reordering the scenario's lists changes nothing.
    let workloads = sc
        .workloads
        .iter()
        .enumerate()
        .map(|(i, w)| {
            let mut arrival_rng = rs.stream(StreamId::indexed("arrivals", fnv1a(w.name.as_bytes()), 0));
            let process = ProcessArrivals::new(sc, i, &mut arrival_rng);
            WorkloadState { arrival_rng, next_index: 0, process }
        })
        .collect();
    let mut r = Replicate {
        sc,
        seed: rs,
        session_seeds: SessionSeeds::new(&rs),
        replicate,
        queue: EventQueue::new(),
        live: Slab::default(),
        failure_streams: rs.keyed("serving.failures"),
        servers,
        pending_lookup: None,
        serving_provider: 0,
        workloads,
        caches: CacheSet::new(sc, &rs),
        cells: Cells::new(sc),
        router: Router::new(sc),
        route_streams: rs.keyed("routing.weighted"),
        sticky_streams: rs.keyed("routing.sticky"),
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
        gate: Gate::new(sc, &rs),
        spread: SpreadBins::new(sc),
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
        // The next event's session is loaded while this one is handled.
        if let Some(id) = r.queue.peek().and_then(Event::session) {
            r.live.prefetch(id);
        }
        match ev {
            Event::Arrival(w) => r.on_arrival(w as usize, now),
            Event::Issue(id) => r.on_issue(id, now),
            Event::Admit(id, generation) => r.on_admit(id, generation, now),
            Event::BatchRun(id, generation) => r.on_batch_run(id, generation, now),
            Event::Timeout(id, generation) => r.on_timeout(id, generation, now),
            Event::ServerWake(p, token) => {
                r.with_server(p as usize, now, |server, host| server.wake(token, now, host));
            }
            Event::FirstToken(id, generation) => r.on_first_token(id, generation, now),
            Event::Done(id, generation) => r.on_done(id, generation, now),
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
    let gauges = &mut r.gauges;
    let cells = std::mem::take(&mut r.cells);
    let (mut overall, mut by_provider, by_workload) = cells.finish(sc.providers.len(), span_s, |w, cell| {
        cell.concurrency = gauges[w].in_system.close(now);
        cell.sessions_active = gauges[w].sessions.close(now);
    });
    // Self-hosted replicas are paid by the hour, for the span observed.
    for (p, m) in by_provider.iter_mut().enumerate() {
        if let Some(cfg) = &sc.providers[p].replicas {
            let name = fnv1a(sc.providers[p].name.as_bytes());
            let mut price_rng = r.seed.stream(StreamId::indexed("serving.compute_price", name, 0));
            let hourly = cfg.usd_per_replica_hour.sample(&mut price_rng);
            let span = now.max(warmup_end) - warmup_end;
            m.cost.compute.add(compute_cost_usd(cfg.replicas, hourly, span));
            overall.cost.compute.merge(m.cost.compute);
        }
    }
    let mut all_serving = crate::metrics::ServingGauges::default();
    for (m, server) in by_provider.iter_mut().zip(&mut r.servers) {
        let g = server.close(now);
        all_serving.merge(&g);
        m.serving = Some(g);
    }
    overall.serving = Some(all_serving);
    r.caches.set_peaks(&mut overall, &mut by_provider);
    let start_spread = super::spread::record(sc, r.spread.as_ref(), &overall);
    let metrics = ReplicateMetrics {
        replicate,
        overall,
        by_provider,
        by_workload,
        events,
        sim_end_s: now.as_secs_f64(),
        start_spread,
    };
    let record = checked_record(&metrics, sc)?;
    Ok(ReplicateOutput { metrics, record, requests: r.records.unwrap_or_default(), timeseries })
}

/// The replicate's record, after the last line of defence: a replicate
/// whose counters overflowed, or one of whose metrics is not finite, is an
/// error rather than a result.
fn checked_record(m: &ReplicateMetrics, sc: &Scenario) -> Result<VariantRecord, SimLimit> {
    let scopes = || std::iter::once(&m.overall).chain(&m.by_provider).chain(&m.by_workload);
    if scopes().any(|s| s.counter_overflow) {
        return Err(SimLimit::TokenCounters { replicate: m.replicate });
    }
    let tiers = sc.cache_tier_names();
    let record = VariantRecord::of(m, tiers.len());
    let values = std::iter::once(&record.overall).chain(&record.by_provider).chain(&record.by_workload);
    for s in values {
        if let Some(i) = s.0.iter().position(|v| v.is_some_and(|x| !x.is_finite())) {
            let metric = crate::metrics::metric_names(&tiers)[i].clone();
            return Err(SimLimit::NonFinite { replicate: m.replicate, metric });
        }
    }
    Ok(record)
}

impl Replicate<'_> {
    /// Schedules `ev` for session or workload events at `t`, unless `t` is
    /// past the clock's limit: then the replicate stops with an error (time
    /// sums saturate at `u64::MAX`, so a saturated instant always lands here).
    pub(super) fn schedule(&mut self, t: SimTime, ev: Event, workload: usize) {
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
    pub(super) fn schedule_next_arrival(&mut self, w: usize, after: SimTime) {
        let ws = &mut self.workloads[w];
        match &self.sc.workloads[w].arrivals {
            Arrivals::Poisson { rate_per_s, stop } => {
                if let ArrivalStop::Sessions(n) = stop
                    && ws.next_index >= *n
                {
                    return;
                }
                let u: f64 = ws.arrival_rng.random();
                let t = after + SimDuration::from_secs_f64(-crate::maths::ln(1.0 - u) / rate_per_s);
                if let ArrivalStop::Horizon(h) = stop
                    && t >= *h
                {
                    return;
                }
                self.schedule(t, Event::Arrival(w as u32), w);
            }
            Arrivals::Trace { trace, read, .. } => {
                // Closed loop: one arrival per traced session, at its first request.
                let first = match read.replay {
                    ReplayMode::Open => Some(ws.next_index as usize),
                    ReplayMode::Closed => trace.sessions.get(ws.next_index as usize).map(|s| s[0] as usize),
                };
                if let Some(req) = first.and_then(|i| trace.requests.get(i)) {
                    let t = SimTime::from_micros(req.arrival_us).max(after);
                    self.schedule(t, Event::Arrival(w as u32), w);
                }
            }
            Arrivals::Process { .. } => self.schedule_process_arrival(w, after),
        }
    }

    pub(super) fn on_arrival(&mut self, w: usize, now: SimTime) {
        let index = self.workloads[w].next_index;
        self.workloads[w].next_index += 1;
        let wl = &self.sc.workloads[w];
        let counted = now >= self.counted_from;
        let id = match &wl.arrivals {
            Arrivals::Trace { trace, read, .. } => {
                let session = match read.replay {
                    ReplayMode::Open => Session::from_trace(wl, trace, &trace.requests[index as usize], w, index, now),
                    ReplayMode::Closed => Session::from_trace_session(wl, trace, w, index, now),
                };
                self.live.insert(Live::new(session, now, counted, Family::default()))
            }
            Arrivals::Poisson { .. } | Arrivals::Process { .. } => {
                // Built over a finished session's record where one is free:
                // the large record is never moved.
                let seeds = &self.session_seeds;
                let vacant = || Live::new(Session::vacant(), now, counted, Family::default());
                self.live.insert_in_place(vacant, |l| {
                    l.session.restart(seeds, wl, w, index, now);
                    l.restart(now, counted, Family::default());
                })
            }
        };
        self.cell(id).sessions_started += 1;
        self.gauges[w].sessions.add(now, 1);
        self.schedule_next_arrival(w, now);
        self.on_issue(id, now);
    }

    /// Emits the time series' boundaries before `t` (state is constant since the last event).
    pub(super) fn sample_timeseries(&mut self, t: SimTime) {
        if let Some(mut ts) = self.timeseries.take() {
            ts.sample_before(t, |p| self.provider_sample(p));
            self.timeseries = Some(ts);
        }
    }

    /// Provider `p` now, for the time series. The cost is summed exactly
    /// over its workloads, so the last row equals its `cost_usd` metric.
    fn provider_sample(&self, p: usize) -> ProviderSample {
        let cost = self.cells.provider_cost(p);
        ProviderSample {
            levels: self.servers[p].levels(),
            cache_tokens: self.caches.tokens_held(p),
            cost_usd_cumulative: cost.total(),
        }
    }

    /// A keep-alive: the prompt the session last sent, a minimal output, no
    /// slot taken (it adds negligible load), billed and counted.
    pub(super) fn on_keep_alive(&mut self, id: u32, now: SimTime) {
        let w = self.live.get(id).session.workload;
        let wl = &self.sc.workloads[w];
        let Some(ka) = wl.keep_alive else { return };
        // To the provider the session's last request went to: the cache it
        // keeps warm. Replicas keep prefixes in KV memory with no TTL: none
        // is sent there (a routed workload may mix them with TTL caches).
        let (p, slot) = self.live.get(id).route.last.unwrap_or((wl.provider, 0));
        if self.sc.providers[p].replicas.is_some() {
            return;
        }
        let l = self.live.get_mut(id);
        let key = RequestKey { attempt: l.pings, ..l.session.request_key() };
        l.pings += 1;
        let l = self.live.get(id);
        let blocks = &l.session.prompt.blocks()[..l.session.last_sent_blocks];
        let input = blocks.last().map_or(0, |b| b.end_tokens);
        if self.caches.needs_breakpoints(w, slot) {
            l.session.breakpoints_within(blocks.len(), &mut self.breakpoints);
        } else {
            self.breakpoints.clear();
        }
        let req = CachedRequest {
            workload: w,
            slot,
            now,
            blocks,
            shared: l.session.prompt.shared_blocks().min(blocks.len()),
            breakpoints: &self.breakpoints,
            key,
            ping: true,
        };
        let hit = self.caches.lookup(self.sc, &req);
        let (first_token, end) = self.servers[p].ping_timing(now, input, hit.tokens, ka.output_tokens);
        let writes = self.caches.commit(self.sc, &req, hit, first_token, end);
        let tokens = classify_tokens(input, hit.tokens, &writes, ka.output_tokens, 0);
        let cost = self.bill(w, p, now, &tokens);
        let ping = Attempt {
            provider: p,
            slot,
            issued: now,
            start: now,
            first_token,
            end,
            tokens,
            cost,
            priced_at: now,
            ..Attempt::default()
        };
        self.record(id, ping, RequestStatus::KeepAlive);
        self.spread_add(id, p, now, &tokens);
        let tokens = self.caches.to_scenario_tiers(p, &tokens);
        self.live.get_mut(id).cost.add(cost.total());
        self.req_cell(id, slot).record_keep_alive(&tokens, &cost);
        let next = now + ka.interval;
        if next < self.live.get(id).next_issue {
            self.schedule(next, Event::KeepAlive(id), w);
        }
        self.caches.bill_storage(self.sc, &mut self.cells, self.counted_from);
    }

    /// Where session `id`'s session-level counts go: its workload's session
    /// cell, or nowhere when it arrived during the warm-up.
    pub(super) fn cell(&mut self, id: u32) -> &mut ScopeMetrics {
        let l = self.live.get(id);
        if l.counted { self.cells.session(l.session.workload) } else { &mut self.uncounted }
    }

    /// Where session `id`'s requests to candidate `slot` are counted (nowhere
    /// during the warm-up).
    pub(super) fn req_cell(&mut self, id: u32, slot: usize) -> &mut ScopeMetrics {
        let l = self.live.get(id);
        if l.counted { self.cells.request(l.session.workload, slot) } else { &mut self.uncounted }
    }

    /// Session `id` of workload `w` leaves the system (done or failed).
    pub(super) fn leave(&mut self, id: u32, w: usize, now: SimTime) {
        let l = self.live.get_mut(id);
        let (family, cost) = (l.family, l.cost);
        // The record stays where it lies, for the next session to be built
        // over; what it holds on the heap goes now.
        l.session.release_buffers();
        self.live.discard(id);
        // A child is not a session of its own: its parent hears instead.
        if family.is_child() {
            self.child_left(family, cost, now);
        } else {
            self.gauges[w].sessions.add(now, -1);
            self.replace_closed(w, now);
        }
    }

    pub(super) fn record(&mut self, id: u32, a: Attempt, status: RequestStatus) {
        let Some(records) = self.records.as_mut() else { return };
        let l = self.live.get(id);
        if !l.counted {
            return;
        }
        let s = &l.session;
        let p = a.provider;
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
            attempt: s.attempt + 1,
        });
    }
}

/// The request of `session` as its provider's cache sees it (`breakpoints`
/// are its breakpoints when its cache needs them).
pub(super) fn cached_request<'a>(
    session: &'a Session,
    slot: usize,
    breakpoints: &'a [PromptBreakpoint],
    now: SimTime,
) -> CachedRequest<'a> {
    CachedRequest {
        workload: session.workload,
        slot,
        now,
        blocks: session.prompt.blocks(),
        shared: session.prompt.shared_blocks(),
        breakpoints,
        key: session.request_key(),
        ping: false,
    }
}
