//! Provider rate limits as continuously refilling token buckets, in exact integer arithmetic.
//!
//! Anthropic and OpenAI both enforce per-minute limits on requests (RPM), input
//! tokens (ITPM) and output tokens (OTPM). Anthropic documents the mechanism:
//! "we use the token bucket algorithm ... your capacity is continuously
//! replenished up to your maximum limit, rather than being reset at fixed
//! intervals" (docs.anthropic.com, API > Rate limits). So a bucket's capacity is
//! its per-minute limit and it refills at limit / 60 per second.
//!
//! Exactness: a level is kept in units of 1/60,000,000 of a token (a minute has
//! 60,000,000 us), so a bucket of limit `L` per minute gains exactly `L` units per
//! simulated microsecond. Refill over any integer span is an integer product:
//! no floating point, no drift, the same on every platform.
//!
//! Which input tokens count is the caller's choice and the caller passes the
//! counted number. On current Anthropic models cache reads do not count toward
//! ITPM while cache writes and uncached input do ("cache-aware ITPM", same page);
//! OpenAI counts all input tokens.
//!
//! Output tokens follow one of two rules ([`OutputRule`]):
//! - `Reserve`: the request's `max_tokens` is taken from the OTPM bucket at
//!   admission and the unused part is returned at completion
//!   ([`RateLimiter::correct_output`]). Anthropic: "OTPM rate limits are
//!   estimated based on max_tokens at the beginning of each request and
//!   adjusted at the end of the request to reflect the actual number of output
//!   tokens used".
//! - `ChargeOnCompletion`: nothing is taken from OTPM at admission; the actual
//!   output is charged when the request completes ([`RateLimiter::charge`]) and
//!   may drive the bucket below zero. Rule chosen here: while the OTPM level is
//!   negative (in deficit), no request is admitted; at level zero or above the
//!   OTPM bucket lets any request through. A burst admitted at one instant can
//!   therefore overshoot the limit, as it can on a provider that only learns
//!   output sizes afterwards; the deficit is then repaid at the refill rate.

use crate::time::SimDuration;
use crate::time::SimTime;

/// Units of bucket level per token: the microseconds in a minute.
const UNITS_PER_TOKEN: u128 = 60_000_000;

/// One of a limiter's buckets.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Bucket {
    /// Requests per minute.
    Requests,
    /// Input tokens per minute.
    InputTokens,
    /// Output tokens per minute.
    OutputTokens,
}

impl Bucket {
    /// The provider's name for the limit.
    pub fn name(self) -> &'static str {
        match self {
            Bucket::Requests => "RPM",
            Bucket::InputTokens => "ITPM",
            Bucket::OutputTokens => "OTPM",
        }
    }
}

/// Per-minute limits of one scope (an organisation, a model, a workspace...);
/// an absent limit is not enforced.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct RateLimits {
    pub requests_per_min: Option<u64>,
    pub input_tokens_per_min: Option<u64>,
    pub output_tokens_per_min: Option<u64>,
}

/// How output tokens meet the OTPM bucket (see the module doc).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum OutputRule {
    #[default]
    Reserve,
    ChargeOnCompletion,
}

/// What one request asks of the buckets.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Demand {
    /// 1 for one request; kept as a field so a batch of requests can be admitted at once.
    pub requests: u64,
    /// Input tokens as the provider counts them (the caller's choice, see the module doc).
    pub input_tokens: u64,
    /// `max_tokens`, taken at admission under [`OutputRule::Reserve`]; ignored at
    /// admission under [`OutputRule::ChargeOnCompletion`].
    pub output_tokens_reserved: u64,
}

/// A refusal: the exact wait until every bucket holds enough for the demand,
/// and the bucket that needs the longest wait.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryAfter {
    /// Rounded up to the next microsecond, so retrying after it always succeeds
    /// if nothing else was taken meanwhile. `u64::MAX` us for a demand no bucket
    /// can ever hold (see [`RateLimiter::impossible`]).
    pub wait: SimDuration,
    pub bucket: Bucket,
}

/// A demand larger than a bucket's capacity: it could never be admitted.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("a request needs {demand} from the {} bucket but its capacity is {capacity} per minute", bucket.name())]
pub struct Impossible {
    pub bucket: Bucket,
    pub demand: u64,
    pub capacity: u64,
}

/// A limit the limiter cannot be built with.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
pub enum RateLimitError {
    /// A zero limit never refills, so any demand would wait forever; leave the
    /// limit out to disable it.
    #[error("the {} limit is 0 per minute; it must be at least 1 (leave it out to disable it)", .0.name())]
    ZeroLimit(Bucket),
}

/// One continuously refilling bucket.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct TokenBucket {
    /// Tokens per minute: the capacity in tokens and the refill in units per microsecond.
    limit: u64,
    /// In units of 1/60,000,000 token; negative only under `ChargeOnCompletion`.
    level: i128,
    /// The instant `level` was last brought up to date.
    updated: SimTime,
}

impl TokenBucket {
    fn full(limit: u64) -> Self {
        TokenBucket { limit, level: Self::units(limit), updated: SimTime::ZERO }
    }

    fn units(tokens: u64) -> i128 {
        // < 2^64 x 2^26: far inside i128.
        i128::from(tokens) * UNITS_PER_TOKEN as i128
    }

    fn capacity(&self) -> i128 {
        Self::units(self.limit)
    }

    /// Adds the refill since the last update, up to capacity. An earlier `now`
    /// (never sent by the engine) adds nothing rather than draining.
    fn refill(&mut self, now: SimTime) {
        if now <= self.updated {
            return;
        }
        let gained = u128::from(self.limit) * u128::from((now - self.updated).as_micros());
        let room = (self.capacity() - self.level).max(0) as u128;
        self.level += gained.min(room) as i128;
        self.updated = now;
    }

    /// Microseconds until the level reaches `need` units, rounded up; 0 if it already has.
    fn wait_for(&self, need: i128) -> u64 {
        let deficit = need - self.level;
        if deficit <= 0 {
            return 0;
        }
        if need > self.capacity() {
            return u64::MAX;
        }
        let limit = i128::from(self.limit);
        let us = (deficit + limit - 1) / limit;
        u64::try_from(us).unwrap_or(u64::MAX)
    }

    fn take(&mut self, units: i128) {
        self.level -= units;
    }

    fn give_back(&mut self, units: i128) {
        self.level = (self.level + units).min(self.capacity());
    }
}

/// The rate limits of one scope: up to three buckets, all full at time zero.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct RateLimiter {
    requests: Option<TokenBucket>,
    input: Option<TokenBucket>,
    output: Option<TokenBucket>,
    output_rule: OutputRule,
}

impl RateLimiter {
    pub fn new(limits: RateLimits, output_rule: OutputRule) -> Result<Self, RateLimitError> {
        let bucket = |limit: Option<u64>, kind| match limit {
            Some(0) => Err(RateLimitError::ZeroLimit(kind)),
            l => Ok(l.map(TokenBucket::full)),
        };
        Ok(RateLimiter {
            requests: bucket(limits.requests_per_min, Bucket::Requests)?,
            input: bucket(limits.input_tokens_per_min, Bucket::InputTokens)?,
            output: bucket(limits.output_tokens_per_min, Bucket::OutputTokens)?,
            output_rule,
        })
    }

    /// The output tokens OTPM must hold at admission: the reservation, or under
    /// `ChargeOnCompletion` none (the bucket must only not be in deficit).
    fn output_at_admission(&self, demand: Demand) -> u64 {
        match self.output_rule {
            OutputRule::Reserve => demand.output_tokens_reserved,
            OutputRule::ChargeOnCompletion => 0,
        }
    }

    /// Each present bucket with the tokens `demand` needs from it at admission.
    fn needs(&mut self, demand: Demand) -> impl Iterator<Item = (Bucket, &mut TokenBucket, u64)> {
        let output = self.output_at_admission(demand);
        [
            (Bucket::Requests, self.requests.as_mut(), demand.requests),
            (Bucket::InputTokens, self.input.as_mut(), demand.input_tokens),
            (Bucket::OutputTokens, self.output.as_mut(), output),
        ]
        .into_iter()
        .filter_map(|(kind, b, n)| b.map(|b| (kind, b, n)))
    }

    /// Admits `demand` at `now` if every bucket holds enough, taking from all of
    /// them; otherwise takes nothing and says how long until all of them will.
    pub fn try_admit(&mut self, now: SimTime, demand: Demand) -> Result<(), RetryAfter> {
        let mut longest: Option<RetryAfter> = None;
        for (kind, b, n) in self.needs(demand) {
            b.refill(now);
            let wait = b.wait_for(TokenBucket::units(n));
            if wait > 0 && longest.is_none_or(|l| wait > l.wait.as_micros()) {
                longest = Some(RetryAfter { wait: SimDuration::from_micros(wait), bucket: kind });
            }
        }
        if let Some(refusal) = longest {
            return Err(refusal);
        }
        for (_, b, n) in self.needs(demand) {
            b.take(TokenBucket::units(n));
        }
        Ok(())
    }

    /// Settles a request admitted under `Reserve` that produced `actual` output
    /// tokens after reserving `reserved`: the unused reservation flows back (never
    /// above capacity); output beyond the reservation, if a caller ever has some,
    /// is charged.
    pub fn correct_output(&mut self, now: SimTime, reserved: u64, actual: u64) {
        let Some(b) = self.output.as_mut() else { return };
        b.refill(now);
        if actual <= reserved {
            b.give_back(TokenBucket::units(reserved - actual));
        } else {
            b.take(TokenBucket::units(actual - reserved));
        }
    }

    /// Charges `output_tokens` at completion under `ChargeOnCompletion`; the
    /// OTPM level may go negative, which holds back admissions until it is repaid.
    pub fn charge(&mut self, now: SimTime, output_tokens: u64) {
        let Some(b) = self.output.as_mut() else { return };
        b.refill(now);
        b.take(TokenBucket::units(output_tokens));
    }

    /// The first bucket (RPM, ITPM, OTPM order) whose capacity is below what
    /// `demand` needs from it: such a request can never be admitted, so a
    /// configuration that produces it should be refused before running.
    pub fn impossible(&self, demand: Demand) -> Option<Impossible> {
        let output = self.output_at_admission(demand);
        [
            (Bucket::Requests, self.requests, demand.requests),
            (Bucket::InputTokens, self.input, demand.input_tokens),
            (Bucket::OutputTokens, self.output, output),
        ]
        .into_iter()
        .find_map(|(bucket, b, demand)| {
            let capacity = b?.limit;
            (demand > capacity).then_some(Impossible { bucket, demand, capacity })
        })
    }
}

#[cfg(test)]
#[path = "rate_limit_tests.rs"]
mod tests;
