//! One replicate: sessions arrive, issue requests to their provider, wait in
//! its FIFO for a slot, read and write the prompt cache, pay per token class,
//! think, and issue the next step, until every session is done (or `end`).

use super::slab::Slab;
use crate::event_queue::EventQueue;
use crate::metrics::{ReplicateMetrics, RequestOutcome, ScopeMetrics, TokenCounts};
use crate::model::cache::PrefixCache;
use crate::model::pricing::{classify_tokens, cost};
use crate::model::serving::{SlotQueue, service_timing};
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
}

#[derive(Clone, Copy, Debug)]
enum Event {
    /// The next session of workload `.0` arrives.
    Arrival(u32),
    /// Session `.0` sends its current step's request (first attempt or retry).
    Issue(u32),
    /// The attempt of session `.0` in service finishes.
    Done(u32),
}

/// The attempt a session has in flight.
#[derive(Clone, Copy, Debug, Default)]
struct Attempt {
    issued: SimTime,
    start: SimTime,
    first_token: SimTime,
    end: SimTime,
    hit_blocks: usize,
    tokens: TokenCounts,
    failed: bool,
}

struct ProviderState {
    slots: SlotQueue,
    cache: Option<PrefixCache>,
    latency_rng: StreamRng,
    failure_rng: StreamRng,
}

struct WorkloadState {
    arrival_rng: StreamRng,
    next_index: u64,
}

struct Live {
    session: Session,
    attempt: Attempt,
}

struct Replicate<'a> {
    sc: &'a Scenario,
    seed: ReplicateSeed,
    replicate: u32,
    queue: EventQueue<Event>,
    live: Slab<Live>,
    providers: Vec<ProviderState>,
    workloads: Vec<WorkloadState>,
    by_provider: Vec<ScopeMetrics>,
    by_workload: Vec<ScopeMetrics>,
    records: Option<Vec<RequestRecord>>,
}

/// Runs replicate `replicate` of `sc` with master seed `seed`. Deterministic:
/// the same inputs give the same output on any machine and thread.
pub fn simulate_replicate(
    sc: &Scenario,
    seed: u64,
    replicate: u32,
    record_requests: bool,
) -> ReplicateOutput {
    let rs = ReplicateSeed::new(seed, u64::from(replicate));
    let providers = sc
        .providers
        .iter()
        .enumerate()
        .map(|(i, p)| ProviderState {
            slots: SlotQueue::new(p.serving.slots),
            cache: p
                .cache
                .enabled
                .then(|| PrefixCache::new(p.cache.ttl, p.cache.refresh_on_hit)),
            latency_rng: rs.stream(StreamId::indexed("serving.latency", i as u64, 0)),
            failure_rng: rs.stream(StreamId::indexed("serving.failures", i as u64, 0)),
        })
        .collect();
    let workloads = (0..sc.workloads.len())
        .map(|i| WorkloadState {
            arrival_rng: rs.stream(StreamId::indexed("arrivals", i as u64, 0)),
            next_index: 0,
        })
        .collect();
    let mut r = Replicate {
        sc,
        seed: rs,
        replicate,
        queue: EventQueue::new(),
        live: Slab::default(),
        providers,
        workloads,
        by_provider: vec![ScopeMetrics::default(); sc.providers.len()],
        by_workload: vec![ScopeMetrics::default(); sc.workloads.len()],
        records: record_requests.then(Vec::new),
    };
    for w in 0..sc.workloads.len() {
        r.schedule_next_arrival(w, SimTime::ZERO);
    }
    let end = sc.simulation.end.unwrap_or(SimTime::MAX);
    let mut now = SimTime::ZERO;
    let mut events = 0u64;
    while let Some(t) = r.queue.peek_time() {
        if t > end {
            now = end;
            break;
        }
        let (t, ev) = r.queue.pop().expect("peeked");
        debug_assert!(t >= now, "clock went backwards");
        now = t;
        events += 1;
        match ev {
            Event::Arrival(w) => r.on_arrival(w as usize, now),
            Event::Issue(id) => r.on_issue(id, now),
            Event::Done(id) => r.on_done(id, now),
        }
    }
    let mut overall = ScopeMetrics::default();
    for w in &r.by_workload {
        overall.merge(w);
    }
    ReplicateOutput {
        metrics: ReplicateMetrics {
            replicate,
            overall,
            by_provider: r.by_provider,
            by_workload: r.by_workload,
            events,
            sim_end_s: now.as_secs_f64(),
        },
        requests: r.records.unwrap_or_default(),
    }
}

impl Replicate<'_> {
    /// Schedules workload `w`'s next arrival after `after`, if its stop rule allows.
    fn schedule_next_arrival(&mut self, w: usize, after: SimTime) {
        let ws = &mut self.workloads[w];
        let Arrivals::Poisson { rate_per_s, stop } = self.sc.workloads[w].arrivals;
        if let ArrivalStop::Sessions(n) = stop
            && ws.next_index >= n
        {
            return;
        }
        let u: f64 = ws.arrival_rng.random();
        let t = after + SimDuration::from_secs_f64(-(1.0 - u).ln() / rate_per_s);
        if let ArrivalStop::Horizon(h) = stop
            && t >= h
        {
            return;
        }
        self.queue.push(t, Event::Arrival(w as u32));
    }

    /// The scopes an event of `workload` on `provider` counts in. The overall
    /// scope is merged from the workloads at the end, which halves the
    /// histogram work on the hot path.
    fn scopes(&mut self, provider: usize, workload: usize) -> [&mut ScopeMetrics; 2] {
        [
            &mut self.by_provider[provider],
            &mut self.by_workload[workload],
        ]
    }

    fn on_arrival(&mut self, w: usize, now: SimTime) {
        let index = self.workloads[w].next_index;
        self.workloads[w].next_index += 1;
        let session = Session::start(&self.seed, &self.sc.workloads[w], w, index, now);
        let id = self.live.insert(Live {
            session,
            attempt: Attempt::default(),
        });
        let p = self.sc.workloads[w].provider;
        for s in self.scopes(p, w) {
            s.sessions_started += 1;
        }
        self.schedule_next_arrival(w, now);
        self.on_issue(id, now);
    }

    fn on_issue(&mut self, id: u32, now: SimTime) {
        let l = self.live.get_mut(id);
        l.attempt.issued = now;
        let p = self.sc.workloads[l.session.workload].provider;
        if self.providers[p].slots.arrive(id) {
            self.start_service(id, now);
        }
    }

    fn start_service(&mut self, id: u32, now: SimTime) {
        let l = self.live.get_mut(id);
        let w = &self.sc.workloads[l.session.workload];
        let provider = &self.sc.providers[w.provider];
        let ps = &mut self.providers[w.provider];
        let blocks = l.session.prompt.blocks();
        let hit = ps
            .cache
            .as_ref()
            .map(|c| c.lookup(now, blocks))
            .unwrap_or_default();
        let input = l.session.prompt.tokens();
        let output = l.session.output_tokens;
        let base_s = provider.serving.base_latency.sample(&mut ps.latency_rng);
        let failed = provider.failures.error_rate > 0.0
            && ps.failure_rng.random_bool(provider.failures.error_rate);
        // A failed attempt returns an error after the base latency: no prefill,
        // no output, nothing billed, nothing cached.
        let timing = if failed {
            service_timing(&provider.serving, base_s, 0, 0)
        } else {
            service_timing(&provider.serving, base_s, input - hit.tokens, output)
        };
        l.attempt = Attempt {
            issued: l.attempt.issued,
            start: now,
            first_token: now + timing.to_first_token,
            end: now + timing.total,
            hit_blocks: hit.blocks,
            tokens: if failed {
                TokenCounts::default()
            } else {
                classify_tokens(input, hit.tokens, output, ps.cache.is_some())
            },
            failed,
        };
        self.queue.push(l.attempt.end, Event::Done(id));
    }

    fn on_done(&mut self, id: u32, now: SimTime) {
        let l = self.live.get(id);
        let (w, p, a) = (
            l.session.workload,
            self.sc.workloads[l.session.workload].provider,
            l.attempt,
        );
        if let Some(next) = self.providers[p].slots.release() {
            self.start_service(next, now);
        }
        if a.failed {
            self.on_failed_attempt(id, w, p, a, now);
        } else {
            self.on_success(id, w, p, a, now);
        }
    }

    fn on_failed_attempt(&mut self, id: u32, w: usize, p: usize, a: Attempt, now: SimTime) {
        self.record(id, a, RequestStatus::Error, 0.0);
        let f = &self.sc.providers[p].failures;
        let attempt = self.live.get(id).session.attempt;
        let retry = attempt < f.max_retries;
        for s in self.scopes(p, w) {
            s.errors += 1;
            s.retries += u64::from(retry);
        }
        if retry {
            let backoff = SimDuration::from_micros(
                f.retry_backoff
                    .as_micros()
                    .saturating_mul(1u64 << attempt.min(40)),
            );
            self.live.get_mut(id).session.attempt += 1;
            self.queue.push(now + backoff, Event::Issue(id));
        } else {
            // The agent cannot continue without this answer: the session fails.
            self.live.remove(id);
        }
    }

    fn on_success(&mut self, id: u32, w: usize, p: usize, a: Attempt, now: SimTime) {
        let c = cost(&self.sc.providers[p].pricing, &a.tokens);
        self.record(id, a, RequestStatus::Ok, c.total());
        let l = self.live.get_mut(id);
        if let Some(cache) = self.providers[p].cache.as_mut() {
            cache.commit(
                now,
                l.session.prompt.blocks(),
                l.session.prompt.shared_blocks(),
                a.hit_blocks,
            );
        }
        let outcome = RequestOutcome {
            tokens: a.tokens,
            cost: c,
            queue_wait: a.start - a.issued,
            ttft: a.first_token - l.session.step_issued,
            e2e: a.end - l.session.step_issued,
        };
        let workload = &self.sc.workloads[w];
        let next = l.session.finish_step(workload);
        if let Some(think) = next {
            let at = now + think;
            l.session.begin_next_step(workload, at);
            self.queue.push(at, Event::Issue(id));
        }
        let session_done = next.is_none().then(|| now - l.session.arrival);
        for s in self.scopes(p, w) {
            s.record_request(&outcome);
            if let Some(d) = session_done {
                s.record_session_end(d);
            }
        }
        if session_done.is_some() {
            self.live.remove(id);
        }
    }

    fn record(&mut self, id: u32, a: Attempt, status: RequestStatus, cost_usd: f64) {
        let Some(records) = self.records.as_mut() else {
            return;
        };
        let s = &self.live.get(id).session;
        records.push(RequestRecord {
            replicate: self.replicate,
            workload: s.workload,
            session: s.index,
            step: s.step,
            provider: self.sc.workloads[s.workload].provider,
            arrival: a.issued,
            start: a.start,
            first_token: a.first_token,
            end: a.end,
            input_tokens: a.tokens.input,
            uncached_tokens: a.tokens.uncached,
            cache_read_tokens: a.tokens.cache_read,
            cache_write_tokens: a.tokens.cache_write,
            output_tokens: a.tokens.output,
            cost_usd,
            status,
        });
    }
}
