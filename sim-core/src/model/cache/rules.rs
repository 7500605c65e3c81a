//! The rules a prompt cache follows, derived from a provider's `CacheConfig`
//! (or from `agentsim replay` flags).

use crate::scenario::{CacheConfig, CacheMode, Eviction};
use crate::time::SimDuration;

/// A TTL long enough to mean "never expires" (about 292,000 years).
pub const NO_EXPIRY: SimDuration = SimDuration::from_micros(u64::MAX / 2);

#[derive(Clone, Debug, PartialEq)]
pub struct CacheRules {
    /// `Some` for explicit (breakpoint) caches: how many blocks before a
    /// breakpoint a look-up also checks.
    pub explicit_lookback: Option<u32>,
    pub min_tokens: u64,
    pub granularity_tokens: u64,
    /// TTL of each tier; automatic writes use tier 0.
    pub tier_ttls: Vec<SimDuration>,
    pub refresh_on_hit: bool,
    pub max_lifetime: Option<SimDuration>,
    pub capacity_tokens: Option<u64>,
    pub eviction: Eviction,
}

impl CacheRules {
    pub fn from_config(c: &CacheConfig) -> Self {
        CacheRules {
            explicit_lookback: match c.mode {
                CacheMode::Automatic => None,
                CacheMode::Explicit { lookback_blocks, .. } => Some(lookback_blocks),
            },
            min_tokens: c.min_tokens,
            granularity_tokens: c.granularity_tokens.max(1),
            tier_ttls: c.tiers.iter().map(|t| t.ttl).collect(),
            refresh_on_hit: c.refresh_on_hit,
            max_lifetime: c.max_lifetime,
            capacity_tokens: c.capacity_tokens,
            eviction: c.eviction,
        }
    }

    /// An automatic block cache as used by trace replay: one tier, optional
    /// TTL (refreshed on hit), optional capacity.
    pub fn block_cache(capacity_tokens: Option<u64>, eviction: Eviction, ttl: Option<SimDuration>) -> Self {
        CacheRules {
            explicit_lookback: None,
            min_tokens: 0,
            granularity_tokens: 1,
            tier_ttls: vec![ttl.unwrap_or(NO_EXPIRY)],
            refresh_on_hit: true,
            max_lifetime: None,
            capacity_tokens,
            eviction,
        }
    }

    /// `tokens` rounded down to the granularity.
    pub fn round_down(&self, tokens: u64) -> u64 {
        tokens - tokens % self.granularity_tokens
    }

    /// True when the deepest-entry shortcut gives exactly the per-block
    /// semantics for prompts that branch only after their shared blocks (see
    /// the module docs of `cache`).
    pub fn chain_shortcut_is_exact(&self) -> bool {
        self.explicit_lookback.is_none()
            && self.capacity_tokens.is_none()
            && self.refresh_on_hit
            && self.max_lifetime.is_none()
    }

    /// True when a request's cache work grows with its prompt's blocks
    /// (automatic mode without the chain shortcut visits every block); the
    /// run's work estimate counts those visits.
    pub fn per_block_work(&self) -> bool {
        self.explicit_lookback.is_none() && !self.chain_shortcut_is_exact()
    }
}
