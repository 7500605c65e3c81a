//! The engine as its servers' host: when a request's service begins it
//! draws the failure and consults the provider's prompt cache; when the
//! server knows the request's instants it bills the attempt and schedules
//! its first-token and done events.

use super::replicate::{Event, Replicate, cached_request};
use crate::metrics::{CostBreakdown, MAX_CACHE_TIERS, TokenCounts};
use crate::model::pricing::classify_tokens;
use crate::model::prompt::Block;
use crate::model::serving::{Begin, Host};
use crate::rng::{RequestKey, fnv1a};
use crate::time::SimTime;
use rand::Rng;

impl Host for Replicate<'_> {
    fn begin(&mut self, id: u32, now: SimTime) -> Begin {
        let l = self.live.get(id);
        let (w, p, slot) = (l.session.workload, l.attempt.provider, l.attempt.slot);
        let error_rate = self.sc.providers[p].failures.error_rate;
        let failed = error_rate > 0.0
            && self.failure_streams.request(self.live.get(id).session.request_key()).random_bool(error_rate);
        let a = &mut self.live.get_mut(id).attempt;
        a.start = now;
        a.begun = true;
        a.failed = failed;
        if failed {
            self.pending_lookup = None;
            return Begin { failed: true, ..Begin::default() };
        }
        let session = &self.live.get(id).session;
        if self.caches.needs_breakpoints(w, slot) {
            session.breakpoints(&mut self.breakpoints);
        } else {
            self.breakpoints.clear();
        }
        let input_tokens = session.prompt.tokens();
        let output_tokens = session.output_tokens + session.reasoning_tokens;
        let req = cached_request(session, slot, &self.breakpoints, now);
        let hit = self.caches.lookup(self.sc, &req);
        self.pending_lookup = Some(hit);
        Begin { input_tokens, cached_tokens: hit.tokens, output_tokens, failed: false }
    }

    fn planned(&mut self, id: u32, now: SimTime, first_token: SimTime, end: SimTime) {
        let l = self.live.get(id);
        let (w, generation, p, slot) =
            (l.session.workload, self.live.generation(id), l.attempt.provider, l.attempt.slot);
        let (tokens, cost) = match self.pending_lookup.take() {
            // A failed attempt: no prefill, no output, nothing billed, nothing cached.
            None => (TokenCounts::default(), CostBreakdown::default()),
            Some(hit) => {
                let req = cached_request(&l.session, slot, &self.breakpoints, now);
                let writes = self.caches.commit(self.sc, &req, hit, first_token, end);
                let s = &self.live.get(id).session;
                let input = s.prompt.tokens();
                let tokens = classify_tokens(input, hit.tokens, &writes, s.output_tokens, s.reasoning_tokens);
                (tokens, self.bill(w, p, now, &tokens))
            }
        };
        let a = &mut self.live.get_mut(id).attempt;
        a.first_token = first_token;
        a.end = end;
        a.tokens = tokens;
        a.cost = cost;
        a.priced_at = now;
        a.planned = true;
        // No first-token event: a planned attempt's first token is known now,
        // and everything that asks about it (a timeout, docs/admission.md)
        // reads `first_token` itself; an event would change nothing but the
        // count of events.
        self.schedule(end, Event::Done(id, generation), w);
        self.caches.bill_storage(self.sc, &mut self.cells, self.counted_from);
    }

    fn first_token(&mut self, id: u32, at: SimTime, cached_tokens: u64) {
        let l = self.live.get(id);
        let (w, generation, p) = (l.session.workload, self.live.generation(id), l.attempt.provider);
        let tokens = if l.attempt.failed {
            TokenCounts::default()
        } else {
            // The server's own prefix cache: read at no write premium.
            let s = &l.session;
            let input = s.prompt.tokens();
            let no_writes = [0; MAX_CACHE_TIERS];
            classify_tokens(input, cached_tokens.min(input), &no_writes, s.output_tokens, s.reasoning_tokens)
        };
        let cost = self.bill(w, p, at, &tokens);
        let a = &mut self.live.get_mut(id).attempt;
        a.first_token = at;
        a.tokens = tokens;
        a.cost = cost;
        a.priced_at = at;
        self.schedule(at, Event::FirstToken(id, generation), w);
    }

    fn done(&mut self, id: u32, at: SimTime) {
        let l = self.live.get(id);
        let (w, generation) = (l.session.workload, self.live.generation(id));
        let a = &mut self.live.get_mut(id).attempt;
        a.end = at;
        a.planned = true;
        self.schedule(at, Event::Done(id, generation), w);
    }

    fn fail(&mut self, id: u32, at: SimTime) {
        let l = self.live.get(id);
        let (w, generation) = (l.session.workload, self.live.generation(id));
        let a = &mut self.live.get_mut(id).attempt;
        a.failed = true;
        a.tokens = TokenCounts::default();
        a.cost = CostBreakdown::default();
        a.first_token = at;
        a.end = at;
        a.planned = true;
        self.schedule(at, Event::Done(id, generation), w);
    }

    fn prompt(&self, id: u32) -> &[Block] {
        self.live.get(id).session.prompt.blocks()
    }

    fn cache_key(&self, id: u32) -> u64 {
        let w = self.live.get(id).session.workload;
        self.sc.workloads[w].prompt_cache_key.as_deref().map_or(0, |k| fnv1a(k.as_bytes()))
    }

    fn request_key(&self, id: u32) -> RequestKey {
        self.live.get(id).session.request_key()
    }

    fn wake(&mut self, at: SimTime, token: u32) {
        let p = self.serving_provider;
        // One wake per iteration: the workload that names a clock fault is
        // looked up only when there is one.
        let w = if at > SimTime::LIMIT {
            self.sc.workloads.iter().position(|w| w.candidates().contains(&p)).unwrap_or(0)
        } else {
            0
        };
        self.schedule(at, Event::ServerWake(p as u32, token), w);
    }
}
