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

    /// True when chain records give exactly the per-block semantics for
    /// prompts that branch only after their shared blocks: idle expiry
    /// (refresh on hit, no lifetime cap), unbounded or LRU (see the module
    /// docs of `cache`).
    pub fn chain_shortcut_is_exact(&self) -> bool {
        self.explicit_lookback.is_none()
            && (self.capacity_tokens.is_none() || self.eviction == Eviction::Lru)
            && self.refresh_on_hit
            && self.max_lifetime.is_none()
    }

    /// True when chain classes (`cache/classes.rs`) give exactly the
    /// per-block semantics for prompts that branch only after their shared
    /// blocks, storage not billed: no refresh on hit or a lifetime cap, no
    /// capacity.
    pub fn chain_classes_are_exact(&self) -> bool {
        self.explicit_lookback.is_none()
            && self.capacity_tokens.is_none()
            && (!self.refresh_on_hit || self.max_lifetime.is_some())
    }

    /// True when a request's cost grows with its prompt's block count, so a
    /// session of `n` steps costs O(n^2) (measured: 30,000 steps take 12 s
    /// or more): the per-block path (LFU or `none` eviction; refresh off or
    /// a lifetime cap with a capacity or billed storage; trace prompts), and
    /// chain records whose storage is billed (spans are per block, so
    /// re-storing an expired chain touches each block). A bounded LRU chain that was lost entirely copies its block
    /// sizes when re-stored (a few ns per block, no per-block map work).
    /// Explicit caches look at breakpoints only. For the run's up-front work
    /// estimate: refuse when the sum over sessions of steps^2 is too large.
    pub fn per_block_work(&self, chain_prompts: bool, track_storage: bool) -> bool {
        let grouped = self.chain_shortcut_is_exact() || self.chain_classes_are_exact();
        self.explicit_lookback.is_none() && !(chain_prompts && grouped && !track_storage)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_unbilled_chain_records_and_explicit_caches_avoid_per_block_work() {
        let idle = CacheRules::block_cache(None, Eviction::Lru, Some(SimDuration::from_secs(300)));
        assert!(!idle.per_block_work(true, false));
        assert!(idle.per_block_work(true, true));
        assert!(idle.per_block_work(false, false));
        let mut capped = idle.clone();
        capped.max_lifetime = Some(SimDuration::from_secs(3600));
        assert!(!capped.per_block_work(true, false));
        assert!(capped.per_block_work(true, true));
        let mut capped_bounded = capped.clone();
        capped_bounded.capacity_tokens = Some(1000);
        let mut no_refresh = idle.clone();
        no_refresh.refresh_on_hit = false;
        assert!(!no_refresh.per_block_work(true, false));
        assert!(no_refresh.per_block_work(true, true));
        assert!(no_refresh.per_block_work(false, false));
        let mut no_refresh_capped = no_refresh.clone();
        no_refresh_capped.max_lifetime = Some(SimDuration::from_secs(3600));
        assert!(!no_refresh_capped.per_block_work(true, false));
        let mut no_refresh_bounded = no_refresh.clone();
        no_refresh_bounded.capacity_tokens = Some(1000);
        let bounded = CacheRules::block_cache(Some(1000), Eviction::Lru, None);
        assert!(!bounded.per_block_work(true, false));
        assert!(bounded.per_block_work(true, true));
        assert!(bounded.per_block_work(false, false));
        let lfu = CacheRules::block_cache(Some(1000), Eviction::Lfu, None);
        let refusing = CacheRules::block_cache(Some(1000), Eviction::None, None);
        for r in [&capped_bounded, &no_refresh_bounded, &lfu, &refusing] {
            assert!(r.per_block_work(true, false), "{r:?}");
        }
        let mut explicit = bounded.clone();
        explicit.explicit_lookback = Some(20);
        assert!(!explicit.per_block_work(false, true));
    }
}
