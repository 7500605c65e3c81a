//! The price of a request: token counts by class times the price in force.
//! The only place where dollars are computed.

use crate::metrics::{CostBreakdown, TokenCounts};
use crate::scenario::Pricing;

/// Splits a request's input into billing classes. Tokens not read from the
/// cache are written to it when the provider caches, else billed as uncached.
pub fn classify_tokens(input: u64, cache_read: u64, output: u64, caching: bool) -> TokenCounts {
    debug_assert!(cache_read <= input);
    let rest = input - cache_read;
    let (uncached, cache_write) = if caching { (0, rest) } else { (rest, 0) };
    TokenCounts {
        input,
        uncached,
        cache_read,
        cache_write,
        output,
    }
}

/// Dollar cost per class for `tokens` at `pricing` (USD per million tokens).
pub fn cost(pricing: &Pricing, tokens: &TokenCounts) -> CostBreakdown {
    let usd = |n: u64, per_mtok: f64| n as f64 * per_mtok / 1e6;
    CostBreakdown {
        uncached: usd(tokens.uncached, pricing.input_usd_per_mtok),
        cache_read: usd(tokens.cache_read, pricing.cache_read_usd_per_mtok),
        cache_write: usd(tokens.cache_write, pricing.cache_write_usd_per_mtok),
        output: usd(tokens.output, pricing.output_usd_per_mtok),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes_sum_to_input_and_cost_matches_hand_computation() {
        let p = Pricing {
            input_usd_per_mtok: 3.0,
            cache_read_usd_per_mtok: 0.3,
            cache_write_usd_per_mtok: 3.75,
            output_usd_per_mtok: 15.0,
        };
        let t = classify_tokens(10_000, 8_000, 500, true);
        assert_eq!(t.uncached + t.cache_read + t.cache_write, t.input);
        let c = cost(&p, &t);
        // 8,000 x 0.3 + 2,000 x 3.75 + 500 x 15 = 2,400 + 7,500 + 7,500 micro-dollars.
        assert!((c.total() - 0.0174).abs() < 1e-12, "{}", c.total());
        let t = classify_tokens(10_000, 0, 0, false);
        assert_eq!((t.uncached, t.cache_write), (10_000, 0));
        assert!((cost(&p, &t).total() - 0.03).abs() < 1e-12);
    }
}
