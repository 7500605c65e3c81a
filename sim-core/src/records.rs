//! Per-request records (only kept when the user asks for `requests.csv`) and
//! their CSV form.

use crate::metrics::{CostBreakdown, TokenCounts};
use crate::scenario::Scenario;
use crate::time::SimTime;

/// How a request attempt ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RequestStatus {
    Ok,
    /// The attempt failed; the client retried or gave up (see `errors`, `retries`).
    Error,
    /// A keep-alive ping sent during a pause (billed and counted in
    /// `requests`, never a latency sample).
    KeepAlive,
    /// Refused with 429 by a rate limit (or a busy provider, for flex).
    RateLimited,
    /// Abandoned by the client at its timeout.
    Timeout,
    /// Refused during an outage.
    Unavailable,
}

impl RequestStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RequestStatus::Ok => "ok",
            RequestStatus::Error => "error",
            RequestStatus::KeepAlive => "keep_alive",
            RequestStatus::RateLimited => "rate_limited",
            RequestStatus::Timeout => "timeout",
            RequestStatus::Unavailable => "unavailable",
        }
    }
}

/// One request attempt as the engine saw it. Indices refer to the scenario;
/// per-tier writes are in scenario tier order (`Scenario::cache_tier_names`).
#[derive(Clone, Debug, PartialEq)]
pub struct RequestRecord {
    pub replicate: u32,
    pub workload: usize,
    pub session: u64,
    pub step: u32,
    pub provider: usize,
    pub arrival: SimTime,
    pub start: SimTime,
    pub first_token: SimTime,
    pub end: SimTime,
    pub tokens: TokenCounts,
    pub cost: CostBreakdown,
    pub status: RequestStatus,
    /// 1 for a step's first attempt, 2 for its first retry, ... (keep-alive
    /// pings: the attempt of the step they follow).
    pub attempt: u32,
}

/// The `requests.csv` header for `sc` (documented in docs/outputs.md).
pub fn request_columns(sc: &Scenario) -> Vec<String> {
    let mut cols: Vec<String> = [
        "replicate",
        "variant",
        "workload",
        "session",
        "step",
        "provider",
        "model",
        "arrival_s",
        "start_s",
        "first_token_s",
        "end_s",
        "input_tokens",
        "uncached_tokens",
        "cache_read_tokens",
        "cache_write_tokens",
        "output_tokens",
        "reasoning_tokens",
        "cost_usd",
        "cost_usd_uncached",
        "cost_usd_cache_read",
        "cost_usd_cache_write",
        "cost_usd_output",
        "status",
        "attempt",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    let tiers = sc.cache_tier_names();
    let at = cols.iter().position(|c| c == "output_tokens").expect("listed");
    for (i, t) in tiers.iter().enumerate() {
        cols.insert(at + i, format!("cache_write_tokens_{t}"));
    }
    cols
}

impl RequestRecord {
    /// The record's cells, in `request_columns` order. Numbers use Rust's
    /// shortest round-trip formatting, so the text is deterministic.
    pub fn cells(&self, sc: &Scenario, variant: &str) -> Vec<String> {
        let p = &sc.providers[self.provider];
        let t = &self.tokens;
        let c = &self.cost;
        let mut cells = vec![
            self.replicate.to_string(),
            variant.to_string(),
            sc.workloads[self.workload].name.clone(),
            self.session.to_string(),
            self.step.to_string(),
            p.name.clone(),
            p.model.clone(),
            self.arrival.as_secs_f64().to_string(),
            self.start.as_secs_f64().to_string(),
            self.first_token.as_secs_f64().to_string(),
            self.end.as_secs_f64().to_string(),
            t.input.to_string(),
            t.uncached.to_string(),
            t.cache_read.to_string(),
            t.cache_write.to_string(),
        ];
        let n_tiers = sc.cache_tier_names().len();
        cells.extend(t.cache_write_by_tier[..n_tiers].iter().map(u64::to_string));
        cells.extend([
            t.output.to_string(),
            t.reasoning.to_string(),
            c.total().to_string(),
            c.uncached.to_string(),
            c.cache_read.to_string(),
            c.cache_write.to_string(),
            c.output.to_string(),
            self.status.as_str().to_string(),
            self.attempt.to_string(),
        ]);
        cells
    }
}
