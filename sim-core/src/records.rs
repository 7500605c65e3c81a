//! Per-request records (only kept when the user asks for `requests.csv`).

use crate::scenario::Scenario;
use crate::time::SimTime;
use serde::Serialize;

/// How a request attempt ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RequestStatus {
    Ok,
    /// The attempt failed; the client retried or gave up (see `errors`, `retries`).
    Error,
}

impl RequestStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            RequestStatus::Ok => "ok",
            RequestStatus::Error => "error",
        }
    }
}

/// One request attempt as the engine saw it. Indices refer to the scenario.
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
    pub input_tokens: u64,
    pub uncached_tokens: u64,
    pub cache_read_tokens: u64,
    pub cache_write_tokens: u64,
    pub output_tokens: u64,
    pub cost_usd: f64,
    pub status: RequestStatus,
}

/// A `requests.csv` row: `RequestRecord` with names resolved. Column order is
/// the field order here (documented in docs/outputs.md).
#[derive(Clone, Debug, Serialize)]
pub struct RequestRow<'a> {
    pub replicate: u32,
    pub variant: &'a str,
    pub workload: &'a str,
    pub session: u64,
    pub step: u32,
    pub provider: &'a str,
    pub model: &'a str,
    pub arrival_s: f64,
    pub start_s: f64,
    pub first_token_s: f64,
    pub end_s: f64,
    pub input_tokens: u64,
    pub uncached_tokens: u64,
    pub cache_read_tokens: u64,
    pub cache_write_tokens: u64,
    pub output_tokens: u64,
    pub cost_usd: f64,
    pub status: &'static str,
}

impl RequestRecord {
    pub fn row<'a>(&self, scenario: &'a Scenario, variant: &'a str) -> RequestRow<'a> {
        let p = &scenario.providers[self.provider];
        RequestRow {
            replicate: self.replicate,
            variant,
            workload: &scenario.workloads[self.workload].name,
            session: self.session,
            step: self.step,
            provider: &p.name,
            model: &p.model,
            arrival_s: self.arrival.as_secs_f64(),
            start_s: self.start.as_secs_f64(),
            first_token_s: self.first_token.as_secs_f64(),
            end_s: self.end.as_secs_f64(),
            input_tokens: self.input_tokens,
            uncached_tokens: self.uncached_tokens,
            cache_read_tokens: self.cache_read_tokens,
            cache_write_tokens: self.cache_write_tokens,
            output_tokens: self.output_tokens,
            cost_usd: self.cost_usd,
            status: self.status.as_str(),
        }
    }
}
