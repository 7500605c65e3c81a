//! A step's request attempts: sent through the gate (rate limits, outages,
//! tiers), admitted to the provider's server, answered, failed, timed out,
//! retried; and what a finished step does to its session.

use super::gate::Verdict;
use super::limits::SimLimit;
use super::replicate::{Attempt, Event, Replicate};
use crate::metrics::{CostBreakdown, RequestOutcome, TokenCounts};
use crate::model::admission::QueueClass;
use crate::model::pricing::request_cost;
use crate::model::prompt::MAX_PROMPT_TOKENS;
use crate::model::serving::{Host, Server};
use crate::records::RequestStatus;
use crate::scenario::{ServiceTier, StepFailure};
use crate::time::{SimDuration, SimTime};

impl Replicate<'_> {
    /// Session `id` sends its current step's request (a first attempt or a retry).
    pub(super) fn on_issue(&mut self, id: u32, now: SimTime) {
        let generation = self.live.next_generation(id);
        let l = self.live.get(id);
        let (w, first) = (l.session.workload, l.session.attempt == 0);
        if first {
            self.gauges[w].in_system.add(now, 1);
            self.route_step(id, now);
        }
        let l = self.live.get_mut(id);
        let (p, slot) = (l.route.provider, l.route.slot);
        l.attempt = Attempt { provider: p, slot, issued: now, ..Attempt::default() };
        let key = l.session.request_key();
        self.route_sent(id);
        let input = self.counted_input(id, now);
        let server = &self.servers[p];
        match self.gate.check(self.sc, (w, slot), key, now, input, || server.load()) {
            Verdict::Admit => {
                self.arm_timeout(id, w, generation, now);
                let a = &mut self.live.get_mut(id).attempt;
                a.in_server = true;
                a.admitted = true;
                let delay = self.servers[p].before_queue(key);
                if delay == SimDuration::ZERO {
                    self.on_admit(id, generation, now);
                } else {
                    self.schedule(now + delay, Event::Admit(id, generation), w);
                }
            }
            Verdict::RateLimited(wait) => self.attempt_failed(id, now, RequestStatus::RateLimited, Some(wait), false),
            Verdict::FlexRefused => self.attempt_failed(id, now, RequestStatus::RateLimited, None, false),
            Verdict::Unavailable => self.attempt_failed(id, now, RequestStatus::Unavailable, None, false),
            // Never retried: the same request would be refused again.
            Verdict::TooLarge => self.attempt_failed(id, now, RequestStatus::Error, None, true),
            // No answer will come; only the client's timeout (required by
            // validation) ends the attempt.
            Verdict::Hang => self.arm_timeout(id, w, generation, now),
            Verdict::Batch(delay) => {
                self.arm_timeout(id, w, generation, now);
                self.live.get_mut(id).attempt.admitted = true;
                self.schedule(now + delay, Event::BatchRun(id, generation), w);
            }
            Verdict::Expired(window) => {
                self.arm_timeout(id, w, generation, now);
                let a = &mut self.live.get_mut(id).attempt;
                a.admitted = true;
                a.failed = true;
                a.first_token = now + window;
                a.end = now + window;
                a.planned = true;
                self.schedule(now + window, Event::Done(id, generation), w);
            }
        }
    }

    /// Input tokens of session `id`'s request as its provider's rate limits
    /// count them: cache reads (as the cache holds them now) left out unless
    /// they count.
    fn counted_input(&mut self, id: u32, now: SimTime) -> u64 {
        let l = self.live.get(id);
        let (s, p, slot) = (&l.session, l.attempt.provider, l.attempt.slot);
        let Some(rl) = &self.sc.providers[p].admission.rate_limits else { return 0 };
        let input = s.prompt.tokens();
        if rl.cache_reads_count {
            return input;
        }
        if self.caches.needs_breakpoints(s.workload, slot) {
            s.breakpoints(&mut self.breakpoints);
        } else {
            self.breakpoints.clear();
        }
        let req = super::replicate::cached_request(s, slot, &self.breakpoints, now);
        input - self.caches.peek(&req).min(input)
    }

    fn arm_timeout(&mut self, id: u32, w: usize, generation: u32, now: SimTime) {
        if let Some(t) = self.retry_timeout(w) {
            self.schedule(now + t, Event::Timeout(id, generation), w);
        }
    }

    fn retry_timeout(&self, w: usize) -> Option<SimDuration> {
        self.sc.workloads[w].retry.and_then(|r| r.timeout)
    }

    pub(super) fn on_admit(&mut self, id: u32, generation: u32, now: SimTime) {
        let Some(l) = self.live.current(id, generation).filter(|l| l.attempt.open()) else { return };
        let (wl, p) = (&self.sc.workloads[l.session.workload], l.attempt.provider);
        let class = if wl.service_tier == ServiceTier::Priority { QueueClass::Priority } else { QueueClass::Standard };
        if let Some(ts) = self.timeseries.as_mut() {
            ts.arrival(p, now);
        }
        self.with_server(p, now, |server, host| server.admit(id, class, now, host));
    }

    /// Batch work is done off the real-time servers, when the provider gets
    /// to it: the request reads and writes the cache then (so a batch's
    /// later requests read what its earlier ones wrote) and answers at once.
    pub(super) fn on_batch_run(&mut self, id: u32, generation: u32, now: SimTime) {
        if self.live.current(id, generation).is_some_and(|l| l.attempt.open()) {
            self.begin(id, now);
            self.planned(id, now, now, now);
        }
    }

    /// Runs `f` on provider `p`'s server with the engine as its host.
    pub(super) fn with_server(&mut self, p: usize, now: SimTime, f: impl FnOnce(&mut Server, &mut Self)) {
        let mut servers = std::mem::take(&mut self.servers);
        self.serving_provider = p;
        if self.gate.has_faults(p) {
            servers[p].set_speed_factor(self.gate.speed_factor(p, now));
        }
        f(&mut servers[p], self);
        self.servers = servers;
    }

    /// What the tokens of workload `w` served by provider `p` cost at `now`:
    /// the one place a request or a ping is billed.
    pub(super) fn bill(&self, w: usize, p: usize, now: SimTime, tokens: &TokenCounts) -> CostBreakdown {
        let wl = &self.sc.workloads[w];
        let pricing = &self.sc.providers[p].pricing;
        request_cost(pricing, now, self.sc.simulation.start_time_of_day_s, wl.service_tier, tokens)
    }

    /// The attempt of session `id` gets its first token.
    pub(super) fn on_first_token(&mut self, id: u32, generation: u32, now: SimTime) {
        if self.live.current(id, generation).is_some_and(|l| l.attempt.open()) {
            let a = &mut self.live.get_mut(id).attempt;
            a.first_token_seen = true;
            debug_assert_eq!(a.first_token, now);
        }
    }

    pub(super) fn on_done(&mut self, id: u32, generation: u32, now: SimTime) {
        let Some(l) = self.live.current(id, generation).filter(|l| l.attempt.open()) else { return };
        let (w, a) = (l.session.workload, l.attempt);
        let p = a.provider;
        self.live.get_mut(id).attempt.closed = true;
        if a.in_server {
            self.with_server(p, now, |server, host| server.release(id, now, host));
        }
        self.gate.completed(self.sc, w, a.slot, now, a.tokens.output);
        if a.failed {
            self.attempt_failed(id, now, RequestStatus::Error, None, false);
        } else {
            self.on_success(id, w, p, a, now);
        }
    }

    /// The client gives up on the attempt of session `id` at `now`.
    pub(super) fn on_timeout(&mut self, id: u32, generation: u32, now: SimTime) {
        // Events outlive their attempt (and their session): only the
        // current attempt's own timer counts. An answer due exactly at the
        // deadline is in time.
        let Some(l) = self.live.current(id, generation) else { return };
        if !l.attempt.open() || (l.attempt.planned && l.attempt.end <= now) {
            return;
        }
        let (w, a) = (l.session.workload, l.attempt);
        let p = a.provider;
        self.live.get_mut(id).attempt.closed = true;
        if a.in_server {
            self.with_server(p, now, |server, host| server.abandon(id, a.begun, now, host));
        }
        // Billed: nothing before the first token; after it, the prompt and
        // the output produced until now (docs/admission.md).
        let prefilled = a.first_token_seen || (a.planned && now >= a.first_token);
        let billed = a.begun && !a.failed && prefilled;
        let tokens = if billed {
            let mut t = a.tokens;
            // Output so far, pro rata over the planned decode; a model that
            // plans nothing ahead (replicas) bills the prompt only.
            t.output = if a.planned {
                let decode = (a.end - a.first_token).as_micros().max(1);
                let done = (now - a.first_token).as_micros().min(decode);
                (u128::from(a.tokens.output) * u128::from(done) / u128::from(decode)) as u64
            } else {
                0
            };
            t.reasoning = t.reasoning.min(t.output);
            t
        } else {
            TokenCounts::default()
        };
        let priced_at = a.start;
        let cost = if billed { self.bill(w, p, priced_at, &tokens) } else { CostBreakdown::default() };
        let a = &mut self.live.get_mut(id).attempt;
        a.tokens = tokens;
        a.cost = cost;
        a.priced_at = priced_at;
        a.end = now;
        a.first_token = a.first_token.min(now);
        // A hung attempt never reached the rate limits: nothing to settle.
        if a.admitted {
            self.gate.completed(self.sc, w, a.slot, now, tokens.output);
        }
        // Decided on what was produced, not on its price (a free model's
        // tokens are still tokens).
        if billed {
            self.spread_add(id, p, priced_at, &tokens);
            let tokens = self.caches.to_scenario_tiers(p, &tokens);
            self.live.get_mut(id).cost.add(cost.total());
            let slot = self.live.get(id).attempt.slot;
            self.req_cell(id, slot).record_abandoned(&tokens, &cost);
        }
        self.attempt_failed(id, now, RequestStatus::Timeout, None, false);
    }

    /// The attempt of session `id` failed at `now`: recorded, then retried
    /// (after the policy's backoff, at least `retry_after`) unless it was the
    /// last attempt or `final_` (then the step fails, and the session ends or
    /// skips it as its workload says).
    pub(super) fn attempt_failed(
        &mut self,
        id: u32,
        now: SimTime,
        status: RequestStatus,
        retry_after: Option<SimDuration>,
        final_: bool,
    ) {
        {
            // An attempt that never reached service ends where it failed.
            let a = &mut self.live.get_mut(id).attempt;
            a.closed = true;
            if !a.begun {
                a.start = now;
            }
            if !a.planned {
                a.first_token = now;
                a.end = now;
            }
        }
        let a = self.live.get(id).attempt;
        self.record(id, a, status);
        self.route_ended(id, &a, false);
        let l = self.live.get(id);
        if let Some(ts) = self.timeseries.as_mut() {
            let p = a.provider;
            if status == RequestStatus::RateLimited { ts.rate_limited(p, now) } else { ts.error(p, now) }
        }
        let (w, key) = (l.session.workload, l.session.request_key());
        // A provider that took over the step by a failover gets its own retries.
        let tries = key.attempt - l.route.attempt_base;
        let delay = if final_ { None } else { self.gate.retry_delay(w, a.slot, key, tries, retry_after) };
        let cell = self.req_cell(id, a.slot);
        match status {
            RequestStatus::RateLimited => cell.rate_limited += 1,
            RequestStatus::Timeout => cell.timeouts += 1,
            _ => cell.errors += 1,
        }
        cell.retries += u64::from(delay.is_some());
        if let Some(d) = delay {
            self.live.get_mut(id).session.attempt += 1;
            self.schedule(now + d, Event::Issue(id), w);
            return;
        }
        if self.fail_over(id, status, now) {
            // At once: the next provider has not seen this request.
            self.schedule(now, Event::Issue(id), w);
            return;
        }
        if self.sc.workloads[w].objectives.any() {
            self.req_cell(id, a.slot).record_failed_step_slo();
        }
        self.gauges[w].in_system.add(now, -1);
        match self.sc.workloads[w].retry.map(|r| r.on_failure).unwrap_or_default() {
            // The agent cannot continue without this answer: the session fails.
            StepFailure::Abort => self.leave(id, w, now),
            StepFailure::Skip => self.next_step(id, w, now),
        }
    }

    fn on_success(&mut self, id: u32, w: usize, p: usize, a: Attempt, now: SimTime) {
        self.record(id, a, RequestStatus::Ok);
        self.route_ended(id, &a, true);
        if let Some(ts) = self.timeseries.as_mut() {
            ts.completion(p, now, a.tokens.input, a.tokens.cache_read);
        }
        let outcome = {
            let s = &self.live.get(id).session;
            let (ttft, e2e, decode) = (a.first_token - s.step_issued, a.end - s.step_issued, a.end - a.first_token);
            let o = self.sc.workloads[w].objectives;
            let tpot = (a.tokens.output >= 2).then(|| decode.as_micros() / (a.tokens.output - 1));
            let slo_met = o.any().then(|| {
                o.ttft.is_none_or(|x| ttft <= x)
                    && o.e2e.is_none_or(|x| e2e <= x)
                    && o.tpot.is_none_or(|x| tpot.is_none_or(|t| t <= x.as_micros()))
            });
            RequestOutcome {
                tokens: self.caches.to_scenario_tiers(p, &a.tokens),
                cost: a.cost,
                queue_wait: a.start - a.issued,
                ttft,
                e2e,
                decode,
                output_tokens: a.tokens.output,
                slo_met,
            }
        };
        self.gauges[w].in_system.add(now, -1);
        self.live.get_mut(id).cost.add(outcome.cost.total());
        self.spread_add(id, p, a.priced_at, &a.tokens);
        self.req_cell(id, a.slot).record_request(&outcome);
        self.next_step(id, w, now);
    }

    /// The step of session `id` is over (answered, or skipped): the session
    /// thinks and sends its next step (after any subagents it spawns, and
    /// any summarisation its prompt needs), or ends.
    fn next_step(&mut self, id: u32, w: usize, now: SimTime) {
        if self.finish_compaction(id, w, now) {
            return;
        }
        let workload = self.plan_of(id);
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
        let busts = l.session.anatomy.as_mut().map_or(0, |a| std::mem::take(&mut a.busts));
        if busts > 0 {
            self.cell(id).cache_busts += busts;
        }
        match next {
            Some(think) => {
                if !self.spawn_subagents(id, w, think, now) {
                    self.schedule_step(id, w, think, now);
                }
            }
            None => self.end_session(id, w, now),
        }
    }

    /// Session `id` thinks for `think` from `now`, then sends its next step
    /// (or first a summarisation of its history).
    pub(super) fn schedule_step(&mut self, id: u32, w: usize, think: SimDuration, now: SimTime) {
        let workload = self.plan_of(id);
        let at = now + think;
        if !self.begin_compaction(id, at) {
            self.live.get_mut(id).session.begin_next_step(workload, at);
        }
        self.live.get_mut(id).next_issue = at;
        let keep_alive = workload.keep_alive.map(|ka| now + ka.interval).filter(|t| *t < at);
        self.schedule(at, Event::Issue(id), w);
        if let Some(t) = keep_alive {
            self.schedule(t, Event::KeepAlive(id), w);
        }
    }
}
