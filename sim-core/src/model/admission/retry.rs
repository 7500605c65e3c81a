//! The client's retry policy: capped exponential backoff with optional full
//! jitter, a maximum number of attempts, and the server's retry-after honoured.
//!
//! Full jitter follows Marc Brooker, "Exponential Backoff And Jitter" (AWS
//! Architecture Blog, 2015): `sleep = random_between(0, min(cap, base * 2^attempt))`,
//! which spreads clients that failed together so they do not retry together.
//! When the server says how long to wait (HTTP `retry-after`, sent by Anthropic
//! and OpenAI with 429 responses), the wait is at least that long, as the
//! official SDKs do.

use crate::time::SimDuration;
use rand::Rng;

/// How the backoff ceiling becomes a wait.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Jitter {
    /// Uniform on `[0, ceiling]` microseconds.
    #[default]
    Full,
    /// Exactly the ceiling.
    None,
}

/// What a session does with a step whose request failed for good.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum OnFailure {
    /// The session ends at the failed step.
    #[default]
    Abort,
    /// The session goes on to its next step as if the failed one had not been sent.
    SkipStep,
}

/// A client's retry policy.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// The backoff ceiling before the first retry; doubled for each further one.
    pub base: SimDuration,
    /// The largest backoff ceiling.
    pub cap: SimDuration,
    /// Attempts in all, the first one included: 1 never retries (0 behaves as 1).
    pub max_attempts: u32,
    pub jitter: Jitter,
}

impl RetryPolicy {
    /// The backoff ceiling after the failure of attempt `attempt` (0 = the first
    /// attempt): `min(cap, base * 2^attempt)`, saturating instead of overflowing.
    pub fn ceiling(&self, attempt: u32) -> SimDuration {
        let doubled = self.base.as_micros().saturating_mul(2u64.saturating_pow(attempt));
        SimDuration::from_micros(doubled.min(self.cap.as_micros()))
    }

    /// The wait before retrying after attempt `attempt` (0 = the first attempt)
    /// failed, or `None` when that was the last attempt allowed. With a
    /// `retry_after` from the server the wait is at least that long. Draws one
    /// number from `rng` under full jitter, none otherwise.
    pub fn next_delay<R: Rng + ?Sized>(
        &self,
        attempt: u32,
        retry_after: Option<SimDuration>,
        rng: &mut R,
    ) -> Option<SimDuration> {
        if attempt.saturating_add(1) >= self.max_attempts {
            return None;
        }
        let ceiling = self.ceiling(attempt).as_micros();
        let backoff = match self.jitter {
            Jitter::Full => rng.random_range(0..=ceiling),
            Jitter::None => ceiling,
        };
        Some(SimDuration::from_micros(backoff).max(retry_after.unwrap_or(SimDuration::ZERO)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng as _;
    use rand_pcg::Pcg64Mcg;

    fn policy(base_ms: u64, cap_ms: u64, max_attempts: u32, jitter: Jitter) -> RetryPolicy {
        RetryPolicy {
            base: SimDuration::from_millis(base_ms),
            cap: SimDuration::from_millis(cap_ms),
            max_attempts,
            jitter,
        }
    }

    fn ms(v: u64) -> SimDuration {
        SimDuration::from_millis(v)
    }

    #[test]
    fn without_jitter_the_wait_doubles_from_base_up_to_the_cap() {
        let p = policy(500, 5_000, 10, Jitter::None);
        let mut rng = Pcg64Mcg::seed_from_u64(1);
        let waits: Vec<_> = (0..6).map(|k| p.next_delay(k, None, &mut rng).unwrap()).collect();
        assert_eq!(waits, [ms(500), ms(1_000), ms(2_000), ms(4_000), ms(5_000), ms(5_000)]);
    }

    #[test]
    fn max_attempts_counts_the_first_attempt() {
        let p = policy(100, 1_000, 3, Jitter::None);
        let mut rng = Pcg64Mcg::seed_from_u64(1);
        assert_eq!(p.next_delay(0, None, &mut rng), Some(ms(100)));
        assert_eq!(p.next_delay(1, None, &mut rng), Some(ms(200)));
        assert_eq!(p.next_delay(2, None, &mut rng), None);
        for max_attempts in [0, 1] {
            let once = RetryPolicy { max_attempts, ..p };
            assert_eq!(once.next_delay(0, None, &mut rng), None);
        }
    }

    #[test]
    fn retry_after_is_a_floor_on_the_wait() {
        let p = policy(1_000, 8_000, 5, Jitter::None);
        let mut rng = Pcg64Mcg::seed_from_u64(1);
        // Longer than the backoff: the server wins.
        assert_eq!(p.next_delay(0, Some(ms(3_500)), &mut rng), Some(ms(3_500)));
        // Shorter: the backoff wins.
        assert_eq!(p.next_delay(2, Some(ms(3_500)), &mut rng), Some(ms(4_000)));
        // Beyond the cap too: retry-after is honoured, not capped.
        assert_eq!(p.next_delay(3, Some(ms(60_000)), &mut rng), Some(ms(60_000)));
        // Not past the last attempt, though.
        assert_eq!(p.next_delay(4, Some(ms(1)), &mut rng), None);
    }

    #[test]
    fn full_jitter_stays_within_the_ceiling_and_averages_half_of_it() {
        // Ceilings 1 s, 2 s, 4 s, then the 5 s cap.
        let p = policy(1_000, 5_000, u32::MAX, Jitter::Full);
        let mut rng = Pcg64Mcg::seed_from_u64(7);
        for (attempt, ceiling_us) in [(0u32, 1_000_000u64), (1, 2_000_000), (2, 4_000_000), (9, 5_000_000)] {
            let n = 100_000u64;
            let mut sum = 0u64;
            for _ in 0..n {
                let w = p.next_delay(attempt, None, &mut rng).unwrap().as_micros();
                assert!(w <= ceiling_us, "attempt {attempt}: {w} > {ceiling_us}");
                sum += w;
            }
            // Uniform on [0, c]: mean c/2, sd c/sqrt(12); the mean of 100,000
            // draws has sd c/1095, so 1% of c is more than 10 sd.
            let mean = sum as f64 / n as f64;
            let half = ceiling_us as f64 / 2.0;
            assert!((mean - half).abs() < 0.01 * ceiling_us as f64, "attempt {attempt}: mean {mean} vs {half}");
        }
    }

    #[test]
    fn full_jitter_reaches_both_ends_of_a_tiny_range() {
        // Ceiling 1 us: the draws are 0 or 1, each about half the time.
        let p = RetryPolicy { base: SimDuration::from_micros(1), cap: ms(1), max_attempts: 2, jitter: Jitter::Full };
        let mut rng = Pcg64Mcg::seed_from_u64(3);
        let ones: u64 = (0..1_000).map(|_| p.next_delay(0, None, &mut rng).unwrap().as_micros()).sum();
        assert!((400..=600).contains(&ones), "{ones} ones in 1000 draws");
    }

    #[test]
    fn huge_attempt_numbers_saturate_instead_of_overflowing() {
        let p = RetryPolicy {
            base: SimDuration::from_micros(u64::MAX / 3),
            cap: SimDuration::from_micros(u64::MAX),
            max_attempts: u32::MAX,
            jitter: Jitter::None,
        };
        let mut rng = Pcg64Mcg::seed_from_u64(1);
        assert_eq!(p.ceiling(0).as_micros(), u64::MAX / 3);
        assert_eq!(p.ceiling(1).as_micros(), u64::MAX / 3 * 2);
        assert_eq!(p.ceiling(2).as_micros(), u64::MAX);
        assert_eq!(p.ceiling(u32::MAX - 1).as_micros(), u64::MAX);
        assert_eq!(p.next_delay(u32::MAX - 2, None, &mut rng), Some(SimDuration::from_micros(u64::MAX)));
        assert_eq!(p.next_delay(u32::MAX - 1, None, &mut rng), None);
        assert_eq!(p.next_delay(u32::MAX, None, &mut rng), None);
        // A zero base never waits, whatever the attempt.
        let zero = RetryPolicy { base: SimDuration::ZERO, ..p };
        assert_eq!(zero.next_delay(1_000, None, &mut rng), Some(SimDuration::ZERO));
    }
}
