//! The prompt caches of a replicate: one per provider, or one per API key at
//! a provider, with the bookkeeping around them (best-effort misses, storage
//! billing, occupancy peaks, tier names).

use super::cells::Cells;
use crate::metrics::{MAX_CACHE_TIERS, ScopeMetrics, TokenCounts};
use crate::model::cache::{CacheRules, Lookup, PromptBreakpoint, PromptCache, WriteTimes};
use crate::model::pricing::storage_cost;
use crate::model::prompt::Block;
use crate::rng::{KeyedStreams, ReplicateSeed, RequestKey};
use crate::scenario::{CacheMode, Scenario, TtlStart};
use crate::time::SimTime;
use rand::Rng;

/// A request as the cache sees it.
#[derive(Debug)]
pub struct CachedRequest<'a> {
    pub workload: usize,
    /// The position of the request's provider among the workload's candidates.
    pub slot: usize,
    pub now: SimTime,
    pub blocks: &'a [Block],
    pub shared: usize,
    pub breakpoints: &'a [PromptBreakpoint],
    /// What its best-effort miss is drawn by.
    pub key: RequestKey,
    /// A keep-alive ping (`key.attempt` is then the ping's ordinal).
    pub ping: bool,
}

#[derive(Debug, Default, Clone, Copy)]
struct Occupancy {
    entries: u64,
    tokens: u64,
    peak_entries: u64,
    peak_tokens: u64,
}

impl Occupancy {
    fn apply(&mut self, d_entries: i64, d_tokens: i64) {
        self.entries = self.entries.saturating_add_signed(d_entries);
        self.tokens = self.tokens.saturating_add_signed(d_tokens);
        self.peak_entries = self.peak_entries.max(self.entries);
        self.peak_tokens = self.peak_tokens.max(self.tokens);
    }
}

#[derive(Debug)]
pub struct CacheSet {
    /// `None` for providers whose cache is disabled.
    caches: Vec<Option<PromptCache>>,
    cache_provider: Vec<usize>,
    /// Per workload and candidate provider: the cache its requests use there.
    workload_cache: Vec<Vec<usize>>,
    /// Per workload and candidate: that cache is explicit, so requests need breakpoints.
    explicit: Vec<Vec<bool>>,
    /// Best-effort misses, drawn per request (pings apart: their keys count pings).
    misses: KeyedStreams,
    ping_misses: KeyedStreams,
    /// Provider tier index -> scenario tier index.
    tier_map: Vec<Vec<usize>>,
    provider_occupancy: Vec<Occupancy>,
    total: Occupancy,
}

impl CacheSet {
    pub fn new(sc: &Scenario, seed: &ReplicateSeed) -> Self {
        let names = sc.cache_tier_names();
        let tier_map = sc
            .providers
            .iter()
            .map(|p| p.cache.tiers.iter().map(|t| names.iter().position(|n| n == &t.name).expect("listed")).collect())
            .collect();
        // First which workloads share a cache (one per provider, or per API
        // key at a provider), then the caches themselves.
        let mut keys: Vec<(usize, &str)> = Vec::new();
        let workload_cache: Vec<Vec<usize>> = sc
            .workloads
            .iter()
            .map(|w| {
                let at = |&p: &usize| {
                    let key = sc.cache_key_at(w, p);
                    keys.iter().position(|k| *k == key).unwrap_or_else(|| {
                        keys.push(key);
                        keys.len() - 1
                    })
                };
                w.candidates().iter().map(at).collect()
            })
            .collect();
        let cache_provider: Vec<usize> = keys.iter().map(|k| k.0).collect();
        let caches = cache_provider
            .iter()
            .enumerate()
            .map(|(ci, &pi)| {
                let p = &sc.providers[pi];
                let track_storage = p.pricing.bills_storage();
                // Generated agent prompts branch only after their shared
                // segments (the chain shortcut is exact for them); trace
                // prompts may branch anywhere.
                let chain_prompts = !sc.cache_has_branching_prompts_at(keys[ci]);
                p.cache
                    .enabled
                    .then(|| PromptCache::new(CacheRules::from_config(&p.cache), chain_prompts, track_storage))
            })
            .collect();
        let explicit = sc
            .workloads
            .iter()
            .map(|w| {
                let explicit = |&p: &usize| {
                    let c = &sc.providers[p].cache;
                    c.enabled && matches!(c.mode, CacheMode::Explicit { .. })
                };
                w.candidates().iter().map(explicit).collect()
            })
            .collect();
        CacheSet {
            caches,
            cache_provider,
            workload_cache,
            explicit,
            misses: seed.keyed("cache.misses"),
            ping_misses: seed.keyed("cache.misses.keep_alive"),
            tier_map,
            provider_occupancy: vec![Occupancy::default(); sc.providers.len()],
            total: Occupancy::default(),
        }
    }

    /// Whether requests of `workload` to its candidate `slot` need their
    /// breakpoints (explicit caches only).
    pub fn needs_breakpoints(&self, workload: usize, slot: usize) -> bool {
        self.explicit[workload][slot]
    }

    /// Tokens the cache holds for the request now, changing nothing (no
    /// refresh, no best-effort miss drawn): what a rate limiter counts.
    pub fn peek(&self, req: &CachedRequest<'_>) -> u64 {
        let ci = self.workload_cache[req.workload][req.slot];
        self.caches[ci].as_ref().map_or(0, |c| c.lookup(req.now, req.blocks, req.shared, req.breakpoints).tokens)
    }

    /// Looks the request up (a best-effort cache may miss what it holds).
    pub fn lookup(&mut self, sc: &Scenario, req: &CachedRequest<'_>) -> Lookup {
        let ci = self.workload_cache[req.workload][req.slot];
        let p = self.cache_provider[ci];
        let Some(cache) = self.caches[ci].as_mut() else { return Lookup::default() };
        let hit = cache.lookup(req.now, req.blocks, req.shared, req.breakpoints);
        let miss_p = sc.providers[p].cache.miss_probability;
        if hit.tokens > 0 && miss_p > 0.0 {
            let streams = if req.ping { &self.ping_misses } else { &self.misses };
            if streams.request(req.key).random_bool(miss_p) {
                return Lookup::default();
            }
        }
        hit
    }

    /// Writes what the request did not read, readable from its prefill end
    /// `first_token`; returns tokens written per provider tier. Called at the
    /// instant of its `lookup`.
    pub fn commit(
        &mut self,
        sc: &Scenario,
        req: &CachedRequest<'_>,
        hit: Lookup,
        first_token: SimTime,
        end: SimTime,
    ) -> [u64; MAX_CACHE_TIERS] {
        let ci = self.workload_cache[req.workload][req.slot];
        let p = self.cache_provider[ci];
        let Some(cache) = self.caches[ci].as_mut() else { return [0; MAX_CACHE_TIERS] };
        let ttl_from = match sc.providers[p].cache.ttl_starts {
            TtlStart::PrefillEnd => first_token,
            TtlStart::ResponseEnd => end,
        };
        let times = WriteTimes { now: req.now, visible_at: first_token, ttl_from };
        let (entries0, tokens0) = (cache.entries() as i64, cache.tokens() as i64);
        let w = cache.write(times, req.blocks, req.shared, req.breakpoints, hit, req.workload as u32);
        let (de, dt) = (cache.entries() as i64 - entries0, cache.tokens() as i64 - tokens0);
        self.provider_occupancy[p].apply(de, dt);
        self.total.apply(de, dt);
        w.by_tier
    }

    /// Re-indexes per-tier writes from provider tiers to scenario tiers.
    pub fn to_scenario_tiers(&self, provider: usize, t: &TokenCounts) -> TokenCounts {
        let mut out = *t;
        out.cache_write_by_tier = [0; MAX_CACHE_TIERS];
        for (i, n) in t.cache_write_by_tier.iter().enumerate().filter(|(_, n)| **n > 0) {
            out.cache_write_by_tier[self.tier_map[provider][i]] += n;
        }
        out
    }

    /// Bills the storage of entries that left the caches since the last call.
    /// Storage is billed to the workload whose request wrote the entry;
    /// entries written before `counted_from` (the warm-up) are not counted.
    pub fn bill_storage(&mut self, sc: &Scenario, cells: &mut Cells, counted_from: SimTime) {
        for (ci, cache) in self.caches.iter_mut().enumerate() {
            let Some(cache) = cache else { continue };
            let p = self.cache_provider[ci];
            cache.drain_stored(|span| {
                if span.created < counted_from {
                    return;
                }
                let usd = storage_cost(&sc.providers[p].pricing, span.created, span.tokens, span.stored.as_secs_f64());
                cells.at_provider(span.owner as usize, p).record_storage(usd);
            });
        }
    }

    /// At the end of the replicate: bills every entry still stored until its expiry.
    pub fn close(&mut self, sc: &Scenario, cells: &mut Cells, counted_from: SimTime) {
        for cache in self.caches.iter_mut().flatten() {
            cache.close();
        }
        // `close` moved the remaining entries to the stored spans.
        self.bill_storage(sc, cells, counted_from);
    }

    /// Tokens held now by provider `p`'s caches (expired entries count until
    /// their cache purges them).
    pub fn tokens_held(&self, p: usize) -> u64 {
        self.provider_occupancy[p].tokens
    }

    /// Occupancy peaks: per provider, and of all caches together.
    pub fn set_peaks(&self, overall: &mut ScopeMetrics, by_provider: &mut [ScopeMetrics]) {
        overall.cache_entries_peak = Some(self.total.peak_entries);
        overall.cache_tokens_peak = Some(self.total.peak_tokens);
        for (m, o) in by_provider.iter_mut().zip(&self.provider_occupancy) {
            m.cache_entries_peak = Some(o.peak_entries);
            m.cache_tokens_peak = Some(o.peak_tokens);
        }
    }
}
