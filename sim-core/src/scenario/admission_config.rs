//! Validated admission settings: rate limits, fault windows and service
//! tiers of a provider; the retry policy and objectives of a workload. Plain
//! data; `model::admission` holds the behaviour.

use crate::dist::Dist;
use crate::time::{SimDuration, SimTime};

/// A provider's admission rules.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct ProviderAdmission {
    pub rate_limits: Option<RateLimitConfig>,
    pub outages: Vec<Outage>,
    pub degraded: Vec<Degraded>,
    pub tiers: TierRules,
}

/// Requests and tokens per minute, as continuously refilling buckets.
#[derive(Clone, Debug, PartialEq, Default)]
pub struct RateLimitConfig {
    pub requests_per_min: Option<u64>,
    pub input_tokens_per_min: Option<u64>,
    pub output_tokens_per_min: Option<u64>,
    /// One set of buckets per API key (`true`, as providers enforce limits
    /// per organisation) or one for the whole provider.
    pub per_api_key: bool,
    /// Whether cache reads count toward input tokens (current Anthropic
    /// models: no; cache writes always do).
    pub cache_reads_count: bool,
    /// Output is reserved from the request's `max_tokens` at admission and
    /// corrected at completion; otherwise charged at completion.
    pub reserve_output: bool,
}

/// During an outage requests fail at once, or hang until the client's timeout.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Outage {
    pub start: SimTime,
    pub end: SimTime,
    pub hang: bool,
}

/// During a degraded window the provider serves at `factor` of its speed.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Degraded {
    pub start: SimTime,
    pub end: SimTime,
    pub factor: f64,
}

/// The queueing effects of service tiers.
#[derive(Clone, Debug, PartialEq)]
pub struct TierRules {
    /// `flex` requests are admitted only while the provider's utilisation
    /// (busy capacity / capacity) is below this.
    pub flex_max_utilization: f64,
    /// `batch` requests complete after this delay (seconds), unless it
    /// passes `batch_window`: then they expire.
    pub batch_delay: Dist,
    pub batch_window: SimDuration,
    /// Whether batch requests count toward the real-time rate limits.
    pub batch_in_rate_limits: bool,
}

impl Default for TierRules {
    fn default() -> Self {
        TierRules {
            flex_max_utilization: 0.8,
            // Median 7 min, 90% within 1 h (OpenRouter's published batch figures).
            batch_delay: Dist::lognormal_from_median_p90(420.0, 3600.0),
            batch_window: SimDuration::from_secs(24 * 3600),
            batch_in_rate_limits: false,
        }
    }
}

/// What a session does when a step's last attempt fails.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub enum StepFailure {
    /// The session ends (it cannot continue without the answer).
    #[default]
    Abort,
    /// The session goes on to its next step without this answer.
    Skip,
}

/// The client's retry policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryConfig {
    /// Attempts in all, the first included (>= 1).
    pub max_attempts: u32,
    /// The wait before retry k (k = 1, 2, ...) is drawn up to
    /// min(cap, base x 2^(k-1)); exactly that without jitter.
    pub backoff_base: SimDuration,
    pub backoff_cap: SimDuration,
    pub full_jitter: bool,
    pub on_failure: StepFailure,
    /// The client abandons an attempt not finished this long after it was sent.
    pub timeout: Option<SimDuration>,
}

/// Latency objectives of a workload's requests, for `slo_attainment`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Objectives {
    pub ttft: Option<SimDuration>,
    pub tpot: Option<SimDuration>,
    pub e2e: Option<SimDuration>,
}

impl Objectives {
    pub fn any(&self) -> bool {
        self.ttft.is_some() || self.tpot.is_some() || self.e2e.is_some()
    }
}
