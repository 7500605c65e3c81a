//! What a replicate can represent, and the typed error when a run reaches it.
//!
//! Validation refuses scenarios whose expected values overflow (see
//! docs/model.md, "Limits"); these checks catch what only a random tail can
//! reach. A replicate that reaches a limit stops at once and the whole run
//! fails: no result that passed through a saturated or wrapped number is
//! ever written.

pub use crate::model::prompt::MAX_PROMPT_TOKENS;
use crate::time::SimTime;

/// A limit a replicate reached; the run stops with this error.
#[derive(Clone, Debug, PartialEq, Eq, thiserror::Error)]
pub enum SimLimit {
    #[error(
        "replicate {replicate}: an event of workload `{workload}` would happen after {limit_years} years of simulated time (the clock's limit): a sampled duration (arrival gap, think time, base latency, service time at the given token rates, retry backoff) is absurdly long; check the arrival rate, the distributions' tails and the token rates"
    )]
    Clock { replicate: u32, workload: String, limit_years: u64 },
    #[error(
        "replicate {replicate}: session {session} of workload `{workload}` reached a prompt of more than {max} tokens at step {step}: steps x tokens added per step (output, reasoning in history, tool results) is too large; lower them"
    )]
    PromptTokens { replicate: u32, workload: String, session: u64, step: u32, max: u64 },
    #[error(
        "replicate {replicate}: token counters exceeded 2^64 (about 1.8e19): the run's sessions x requests x prompt tokens is too large to count exactly; simulate fewer sessions or smaller prompts"
    )]
    TokenCounters { replicate: u32 },
    #[error("replicate {replicate}: metric `{metric}` is not a finite number; this is a bug, please report it")]
    NonFinite { replicate: u32, metric: String },
}

/// Simulated years in `SimTime::LIMIT`, for messages.
pub fn clock_limit_years() -> u64 {
    SimTime::LIMIT.as_micros() / (365 * 86_400 * 1_000_000)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn limits_leave_headroom_for_sums() {
        // A request's classes sum to its input; output and reasoning draws are
        // at most 2^32 each, so one request's counts stay below 2^41.
        assert!(MAX_PROMPT_TOKENS.checked_mul(1 << 23).is_some());
        assert_eq!(clock_limit_years(), 1142);
    }
}
