//! The price of a request: token counts by class times the price in force.
//! The only place where dollars are computed.
//!
//! The price in force at an instant is: the base sheet of the latest scheduled
//! change at or before it (or the initial one), the long-context sheet instead
//! when the request's input exceeds its threshold, times the service-tier
//! multiplier, times the first time-of-day window containing the instant.

use crate::metrics::{CostBreakdown, TokenCounts};
use crate::scenario::{LongContext, PriceSheet, PriceWindow, Pricing, ServiceTier};
use crate::time::SimTime;

const SECONDS_PER_DAY: u64 = 86_400;

/// Dollar cost of `n` tokens at `usd_per_mtok`.
pub fn usd(n: u64, usd_per_mtok: f64) -> f64 {
    n as f64 * usd_per_mtok / 1e6
}

/// The base and long-context sheets in force at `at`.
pub fn sheets_at(p: &Pricing, at: SimTime) -> (&PriceSheet, Option<&LongContext>) {
    match p.changes.iter().rev().find(|c| c.at <= at) {
        Some(c) => (&c.base, c.long_context.as_ref()),
        None => (&p.base, p.long_context.as_ref()),
    }
}

/// The sheet that bills a request of `input_tokens` at `at`.
pub fn sheet_for(p: &Pricing, at: SimTime, input_tokens: u64) -> &PriceSheet {
    let (base, long) = sheets_at(p, at);
    match long {
        Some(l) if input_tokens > l.threshold_tokens => &l.sheet,
        _ => base,
    }
}

/// The product of the service-tier and time-of-day multipliers at `at`.
/// `start_tod_s` is the UTC time of day of simulated time zero.
pub fn multiplier(p: &Pricing, at: SimTime, start_tod_s: u32, tier: ServiceTier) -> f64 {
    tier_multiplier(p, tier) * window_multiplier(&p.windows, time_of_day(at, start_tod_s)).unwrap_or(1.0)
}

fn tier_multiplier(p: &Pricing, tier: ServiceTier) -> f64 {
    match tier {
        ServiceTier::Standard => 1.0,
        ServiceTier::Batch => p.tier_multipliers.batch,
        ServiceTier::Flex => p.tier_multipliers.flex,
        ServiceTier::Priority => p.tier_multipliers.priority,
    }
}

/// The UTC second of day of simulated instant `at` when simulated zero is
/// `start_tod_s`: whole seconds, as the price windows are written.
pub fn time_of_day(at: SimTime, start_tod_s: u32) -> u32 {
    ((u64::from(start_tod_s) + at.as_micros() / 1_000_000) % SECONDS_PER_DAY) as u32
}

/// The multiplier of the first window containing UTC second of day `tod`,
/// if any does.
pub fn window_multiplier(windows: &[PriceWindow], tod: u32) -> Option<f64> {
    windows
        .iter()
        .find(
            |w| {
                if w.start_s < w.end_s {
                    (w.start_s..w.end_s).contains(&tod)
                } else {
                    tod >= w.start_s || tod < w.end_s
                }
            },
        )
        .map(|w| w.multiplier)
}

/// Splits a request's input into billing classes given what the cache read
/// and wrote. Tokens neither read nor written are uncached input.
pub fn classify_tokens(
    input: u64,
    cache_read: u64,
    writes_by_tier: &[u64],
    output: u64,
    reasoning: u64,
) -> TokenCounts {
    let cache_write: u64 = writes_by_tier.iter().sum();
    debug_assert!(cache_read + cache_write <= input, "read {cache_read} + write {cache_write} > input {input}");
    let mut by_tier = [0u64; crate::metrics::MAX_CACHE_TIERS];
    for (slot, w) in by_tier.iter_mut().zip(writes_by_tier) {
        *slot = *w;
    }
    TokenCounts {
        input,
        uncached: input - cache_read - cache_write,
        cache_read,
        cache_write,
        cache_write_by_tier: by_tier,
        output: output + reasoning,
        reasoning,
    }
}

/// Dollar cost per class of a request served at `at`. Cache writes are billed
/// per tier (`tokens.cache_write_by_tier` is indexed like the provider's tiers).
pub fn request_cost(
    p: &Pricing,
    at: SimTime,
    start_tod_s: u32,
    tier: ServiceTier,
    tokens: &TokenCounts,
) -> CostBreakdown {
    cost_at(p, at, tokens, multiplier(p, at, start_tod_s, tier))
}

/// What [`request_cost`] bills before the time-of-day window: the request's
/// price at any instant equals this times the window multiplier in force
/// then, which is what lets a run reprice its requests at another start
/// (`model::start_spread`).
pub fn cost_before_window(p: &Pricing, at: SimTime, tier: ServiceTier, tokens: &TokenCounts) -> f64 {
    cost_at(p, at, tokens, tier_multiplier(p, tier)).total()
}

fn cost_at(p: &Pricing, at: SimTime, tokens: &TokenCounts, m: f64) -> CostBreakdown {
    let sheet = sheet_for(p, at, tokens.input);
    let write: f64 =
        tokens.cache_write_by_tier.iter().zip(&sheet.cache_write_usd_per_mtok).map(|(n, price)| usd(*n, *price)).sum();
    CostBreakdown {
        uncached: usd(tokens.uncached, sheet.input_usd_per_mtok) * m,
        cache_read: usd(tokens.cache_read, sheet.cache_read_usd_per_mtok) * m,
        cache_write: write * m,
        output: usd(tokens.output, sheet.output_usd_per_mtok) * m,
        storage: 0.0,
        compute: 0.0,
    }
}

/// Storage cost of holding `tokens` for `seconds`, at the storage price in
/// force when the entry was created.
pub fn storage_cost(p: &Pricing, created: SimTime, tokens: u64, seconds: f64) -> f64 {
    let (sheet, _) = sheets_at(p, created);
    usd(tokens, sheet.storage_usd_per_mtok_hour) * seconds / 3600.0
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use crate::scenario::{PriceChange, PriceWindow, TierMultipliers};

    pub(crate) fn sheet(input: f64, read: f64, writes: &[f64], output: f64) -> PriceSheet {
        PriceSheet {
            input_usd_per_mtok: input,
            cache_read_usd_per_mtok: read,
            cache_write_usd_per_mtok: writes.to_vec(),
            output_usd_per_mtok: output,
            storage_usd_per_mtok_hour: 0.0,
        }
    }

    pub(crate) fn flat(sheet: PriceSheet) -> Pricing {
        Pricing {
            base: sheet,
            long_context: None,
            tier_multipliers: TierMultipliers { batch: 0.5, flex: 0.5, priority: 1.75 },
            windows: vec![],
            changes: vec![],
        }
    }

    fn close(a: f64, b: f64) {
        assert!((a - b).abs() <= 1e-12 * b.abs().max(1e-9), "{a} vs {b}");
    }

    #[test]
    fn classes_sum_to_input_and_cost_matches_hand_computation() {
        let p = flat(sheet(3.0, 0.3, &[3.75, 6.0], 15.0));
        let t = classify_tokens(10_000, 6_000, &[1_000, 2_000], 400, 100);
        assert_eq!(t.uncached + t.cache_read + t.cache_write, t.input);
        assert_eq!((t.uncached, t.output, t.reasoning), (1_000, 500, 100));
        let c = request_cost(&p, SimTime::ZERO, 0, ServiceTier::Standard, &t);
        // 1,000 x 3 + 6,000 x 0.3 + 1,000 x 3.75 + 2,000 x 6 + 500 x 15 micro-dollars.
        close(c.uncached, 0.003);
        close(c.cache_read, 0.0018);
        close(c.cache_write, 0.01575);
        close(c.output, 0.0075);
        let batch = request_cost(&p, SimTime::ZERO, 0, ServiceTier::Batch, &t);
        close(batch.total(), c.total() * 0.5);
    }

    #[test]
    fn long_context_bills_the_whole_request_above_the_threshold() {
        let mut p = flat(sheet(3.0, 0.3, &[3.75], 15.0));
        p.long_context = Some(LongContext { threshold_tokens: 200_000, sheet: sheet(6.0, 0.6, &[7.5], 22.5) });
        let at = |input| {
            let t = classify_tokens(input, 0, &[], 1_000, 0);
            request_cost(&p, SimTime::ZERO, 0, ServiceTier::Standard, &t).total()
        };
        close(at(200_000), 200_000.0 * 3.0 / 1e6 + 1_000.0 * 15.0 / 1e6);
        close(at(200_001), 200_001.0 * 6.0 / 1e6 + 1_000.0 * 22.5 / 1e6);
    }

    #[test]
    fn off_peak_window_wraps_midnight_and_uses_time_of_day() {
        // DeepSeek-style: half price from 16:30 to 00:30 UTC.
        let mut p = flat(sheet(1.0, 0.1, &[1.0], 2.0));
        p.windows = vec![PriceWindow { start_s: 16 * 3600 + 1800, end_s: 1800, multiplier: 0.5 }];
        let start = 16 * 3600; // simulated zero is 16:00 UTC
        let m = |secs: u64| multiplier(&p, SimTime::from_micros(secs * 1_000_000), start, ServiceTier::Standard);
        assert_eq!(m(0), 1.0);
        assert_eq!(m(1_799), 1.0);
        assert_eq!(m(1_800), 0.5); // 16:30
        assert_eq!(m(8 * 3600 + 1_799), 0.5); // 00:29:59 next day
        assert_eq!(m(8 * 3600 + 1_800), 1.0); // 00:30
        assert_eq!(m(86_400 + 1_800), 0.5); // 16:30 a day later
    }

    #[test]
    fn scheduled_changes_apply_from_their_instant() {
        let mut p = flat(sheet(3.0, 0.3, &[3.75], 15.0));
        p.changes = vec![PriceChange {
            at: SimTime::from_micros(3_600_000_000),
            base: sheet(2.0, 0.2, &[2.5], 10.0),
            long_context: None,
        }];
        let t = classify_tokens(1_000_000, 0, &[], 0, 0);
        let cost = |s: u64| request_cost(&p, SimTime::from_micros(s), 0, ServiceTier::Standard, &t).total();
        close(cost(3_599_999_999), 3.0);
        close(cost(3_600_000_000), 2.0);
    }

    #[test]
    fn storage_is_tokens_times_hours() {
        let mut s = sheet(1.25, 0.125, &[1.25], 10.0);
        s.storage_usd_per_mtok_hour = 4.5;
        let p = flat(s);
        close(storage_cost(&p, SimTime::ZERO, 100_000, 1800.0), 0.1 * 4.5 * 0.5);
    }
}
