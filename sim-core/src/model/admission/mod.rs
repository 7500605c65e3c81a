//! Admission of requests by a provider: rate limits, the client's retry policy,
//! fault windows and service tiers. Pure state machines over simulated time; the
//! engine owns the clock and the random streams and passes them in.

pub mod faults;
pub mod rate_limit;
pub mod retry;
pub mod tiers;

pub use faults::{
    ClientTimeout, DegradedWindow, FaultError, FaultTimeline, OutageMode, OutageWindow, TimeoutWatch, WindowKind,
};
pub use rate_limit::{Bucket, Demand, Impossible, OutputRule, RateLimitError, RateLimiter, RateLimits, RetryAfter};
pub use retry::{Jitter, OnFailure, RetryPolicy};
pub use tiers::{
    BatchCompletion, BatchOutcome, FlexAdmission, QueueClass, ResourceUnavailable, TierError, TwoClassQueue,
};
