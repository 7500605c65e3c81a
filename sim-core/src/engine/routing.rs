//! Client-side routing (docs/routing.md): which provider a step's request
//! goes to, decided when the step is first sent, kept across its retries,
//! and moved down a fallback chain when a failover trigger ends its
//! attempts at one provider. The router sees only what a client can: what
//! it sent, what came back and when; never a provider's real cache state.

use super::replicate::{Attempt, Replicate};
use crate::model::pricing::{classify_tokens, request_cost};
use crate::records::RequestStatus;
use crate::rng::RequestKey;
use crate::scenario::{BreakpointAt, CacheMode, Route, RoutePolicy, Scenario, Workload};
use crate::time::{SimDuration, SimTime};
use rand::Rng;

/// The last prompt of a session a provider answered, as its client remembers it.
#[derive(Clone, Copy, Debug)]
pub(super) struct Sent {
    /// When its first token came: the provider had read its prompt by then.
    at: SimTime,
    /// Its length in blocks, and the identity of its last block (a chain
    /// hash, so equal last blocks mean equal prompts up to there).
    blocks: usize,
    last_hash: u64,
}

/// A session's routing state.
#[derive(Clone, Debug, Default)]
pub(super) struct SessionRoute {
    /// The provider (and its position among the candidates) the current
    /// step's attempts go to.
    pub(super) provider: usize,
    pub(super) slot: usize,
    /// The provider the session's previous attempt went to (route switches,
    /// and where keep-alive pings go).
    pub(super) last: Option<(usize, usize)>,
    /// Sticky: the candidate the session drew.
    sticky: Option<usize>,
    /// The session's attempt count when the current provider took over the
    /// step (a failover): that provider's retry policy counts from here.
    pub(super) attempt_base: u32,
    /// Cost-aware: per candidate, the last prompt it answered.
    sent: Vec<Option<Sent>>,
}

/// What the router knows of each provider from every client's requests.
#[derive(Clone, Debug)]
pub(super) struct Router {
    /// Attempts sent and not yet ended.
    in_flight: Vec<u32>,
    /// Moving average of observed time to first token, seconds (`None`: never answered).
    ttft_s: Vec<Option<f64>>,
    /// Per workload and candidate: skipped by its fallback chain until then.
    cooldown_until: Vec<Vec<SimTime>>,
    /// Per workload: mean output tokens of a request (cost-aware estimates).
    mean_output: Vec<u64>,
}

impl Router {
    pub(super) fn new(sc: &Scenario) -> Self {
        let n = sc.providers.len();
        Router {
            in_flight: vec![0; n],
            ttft_s: vec![None; n],
            cooldown_until: sc.workloads.iter().map(|w| vec![SimTime::ZERO; w.candidates().len()]).collect(),
            mean_output: sc.workloads.iter().map(mean_output).collect(),
        }
    }
}

/// The mean output (reasoning included) a client expects of a request.
fn mean_output(w: &Workload) -> u64 {
    let mean = |d: &crate::dist::TokenDist| (d.dist.mean() + d.offset).max(0.0);
    (mean(&w.output_tokens) + mean(&w.reasoning_tokens)).round() as u64
}

/// A draw by `weights` (not all zero) from `u` in [0, 1).
fn by_weight(weights: &[f64], u: f64) -> usize {
    let total: f64 = weights.iter().sum();
    let mut x = u * total;
    for (i, w) in weights.iter().enumerate() {
        if x < *w {
            return i;
        }
        x -= w;
    }
    // Rounding left `x` past the last weight: the last positive one.
    weights.iter().rposition(|w| *w > 0.0).expect("validated: not all zero")
}

/// The first index of the smallest key (ties go to the earlier candidate).
fn first_min<T: PartialOrd>(keys: impl Iterator<Item = T>) -> usize {
    let mut best: Option<(usize, T)> = None;
    for (i, k) in keys.enumerate() {
        if best.as_ref().is_none_or(|(_, b)| k < *b) {
            best = Some((i, k));
        }
    }
    best.map_or(0, |(i, _)| i)
}

impl Replicate<'_> {
    /// Session `id` sends a step's first attempt at `now`: its provider is
    /// decided (fixed workloads: their provider).
    pub(super) fn route_step(&mut self, id: u32, now: SimTime) {
        let l = self.live.get(id);
        let w = l.session.workload;
        let slot = match &self.sc.workloads[w].route {
            None => 0,
            Some(r) => self.pick(id, w, r, now),
        };
        let route = &mut self.live.get_mut(id).route;
        route.slot = slot;
        route.provider = self.sc.workloads[w].candidates()[slot];
        route.attempt_base = 0;
    }

    fn pick(&mut self, id: u32, w: usize, r: &Route, now: SimTime) -> usize {
        let s = &self.live.get(id).session;
        // Keyed by the request with its attempt cleared: the draw is the
        // same whatever retries came before (common random numbers).
        let key = RequestKey { attempt: 0, ..s.request_key() };
        match r.policy {
            RoutePolicy::Weighted => by_weight(&r.weights, self.route_streams.request(key).random()),
            RoutePolicy::Sticky => {
                if let Some(slot) = self.live.get(id).route.sticky {
                    return slot;
                }
                // One draw per session: keyed by the session alone.
                let key = RequestKey { step: 0, attempt: 0, ..key };
                let slot = by_weight(&r.weights, self.sticky_streams.request(key).random());
                self.live.get_mut(id).route.sticky = Some(slot);
                slot
            }
            RoutePolicy::Fallback => {
                let cool = &self.router.cooldown_until[w];
                cool.iter().position(|t| *t <= now).unwrap_or(0)
            }
            RoutePolicy::LeastOutstanding => first_min(r.providers.iter().map(|&p| self.router.in_flight[p])),
            RoutePolicy::LowestLatency => {
                // Untried providers first, in order: the client has nothing to compare them by.
                let ttft = &self.router.ttft_s;
                r.providers
                    .iter()
                    .position(|&p| ttft[p].is_none())
                    .unwrap_or_else(|| first_min(r.providers.iter().map(|&p| ttft[p].expect("tried"))))
            }
            RoutePolicy::CostAware => {
                let costs: Vec<f64> = (0..r.providers.len()).map(|slot| self.expected_cost(id, w, slot, now)).collect();
                first_min(costs.into_iter())
            }
        }
    }

    /// What session `id`'s request would cost at candidate `slot`, by list
    /// prices and what the client can know was cached there: the prompt it
    /// last had answered there, if still within that provider's TTL and a
    /// prefix of this one (docs/routing.md, "cost_aware").
    pub(super) fn expected_cost(&self, id: u32, w: usize, slot: usize, now: SimTime) -> f64 {
        let wl = &self.sc.workloads[w];
        let p = &self.sc.providers[wl.candidates()[slot]];
        let l = self.live.get(id);
        let blocks = l.session.prompt.blocks();
        let input = l.session.prompt.tokens();
        let c = &p.cache;
        // The tier its writes go to: automatic caches write tier 0; explicit
        // ones at the client's end breakpoint (none: nothing is written).
        let write_tier = match c.mode {
            CacheMode::Automatic => Some(0),
            CacheMode::Explicit { .. } => wl.breakpoints.iter().find(|b| b.at == BreakpointAt::End).map(|b| b.tier),
        }
        .filter(|_| c.enabled);
        let ttl = write_tier.and_then(|t| c.tiers.get(t)).map_or(SimDuration::ZERO, |t| t.ttl);
        let warm = l.route.sent.get(slot).copied().flatten().filter(|s| {
            now.saturating_since(s.at) < ttl
                && s.blocks <= blocks.len()
                && s.blocks > 0
                && blocks[s.blocks - 1].hash == s.last_hash
        });
        let mut read = warm.map_or(0, |s| blocks[s.blocks - 1].end_tokens);
        if read < c.min_tokens {
            read = 0;
        }
        read -= read % c.granularity_tokens.max(1);
        let mut writes = [0u64; crate::metrics::MAX_CACHE_TIERS];
        if let Some(t) = write_tier.filter(|_| input >= c.min_tokens) {
            writes[t] = input - read;
        }
        let tokens = classify_tokens(input, read, &writes, self.router.mean_output[w], 0);
        request_cost(&p.pricing, now, self.sc.simulation.start_time_of_day_s, wl.service_tier, &tokens).total()
    }

    /// An attempt of session `id` is sent: counted in flight, and a switch
    /// when it goes elsewhere than the session's previous attempt.
    pub(super) fn route_sent(&mut self, id: u32) {
        let route = &mut self.live.get_mut(id).route;
        let (p, slot) = (route.provider, route.slot);
        let switched = route.last.is_some_and(|(q, _)| q != p);
        route.last = Some((p, slot));
        self.router.in_flight[p] += 1;
        if switched {
            self.req_cell(id, slot).route_switches += 1;
        }
    }

    /// Attempt `a` of session `id` ended (answered or failed).
    pub(super) fn route_ended(&mut self, id: u32, a: &Attempt, answered: bool) {
        let p = a.provider;
        self.router.in_flight[p] -= 1;
        if !answered {
            return;
        }
        let w = self.live.get(id).session.workload;
        let Some(r) = &self.sc.workloads[w].route else { return };
        match r.policy {
            RoutePolicy::LowestLatency => {
                let ttft = (a.first_token - a.issued).as_secs_f64();
                let alpha = r.latency_smoothing;
                let avg = &mut self.router.ttft_s[p];
                *avg = Some(avg.map_or(ttft, |m| alpha * ttft + (1.0 - alpha) * m));
            }
            RoutePolicy::CostAware => {
                let l = self.live.get_mut(id);
                let blocks = l.session.prompt.blocks();
                let n = r.providers.len();
                let sent = &mut l.route.sent;
                if sent.len() < n {
                    sent.resize(n, None);
                }
                sent[a.slot] =
                    blocks.last().map(|b| Sent { at: a.first_token, blocks: blocks.len(), last_hash: b.hash });
            }
            _ => {}
        }
    }

    /// The step of session `id` failed for good at its current provider with
    /// `status`: under fallback routing, when that kind triggers a failover
    /// and a later candidate is not cooling down, the step moves there
    /// (returns true); the provider left cools down.
    pub(super) fn fail_over(&mut self, id: u32, status: RequestStatus, now: SimTime) -> bool {
        let l = self.live.get(id);
        let w = l.session.workload;
        let Some(r) = &self.sc.workloads[w].route else { return false };
        let on = r.on;
        let triggered = r.policy == RoutePolicy::Fallback
            && match status {
                RequestStatus::RateLimited => on.rate_limited,
                RequestStatus::Error => on.error,
                RequestStatus::Timeout => on.timeout,
                RequestStatus::Unavailable => on.outage,
                RequestStatus::Ok | RequestStatus::KeepAlive => false,
            };
        if !triggered {
            return false;
        }
        let from = l.route.slot;
        let cool = &mut self.router.cooldown_until[w];
        cool[from] = now + r.cooldown;
        let Some(next) = (from + 1..r.providers.len()).find(|&s| cool[s] <= now) else { return false };
        self.req_cell(id, from).failovers += 1;
        let l = self.live.get_mut(id);
        l.session.attempt += 1;
        l.route.slot = next;
        l.route.provider = r.providers[next];
        l.route.attempt_base = l.session.attempt;
        true
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weights_split_the_unit_interval_in_order() {
        let w = [0.7, 0.3];
        assert_eq!(by_weight(&w, 0.0), 0);
        assert_eq!(by_weight(&w, 0.6999), 0);
        assert_eq!(by_weight(&w, 0.7001), 1);
        assert_eq!(by_weight(&w, 0.999_999), 1);
        // A zero weight is never drawn, even at the edges.
        assert_eq!(by_weight(&[0.0, 1.0, 0.0], 0.0), 1);
        assert_eq!(by_weight(&[0.0, 1.0, 0.0], 1.0 - f64::EPSILON), 1);
    }

    #[test]
    fn ties_go_to_the_earlier_candidate() {
        assert_eq!(first_min([3, 1, 1, 2].into_iter()), 1);
        assert_eq!(first_min([0.5, 0.5].into_iter()), 0);
    }
}
