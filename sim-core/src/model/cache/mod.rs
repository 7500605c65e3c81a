//! The prompt cache: prefix entries with TTL tiers, refresh on hit, an
//! absolute lifetime cap, minimum size, granularity, capacity with LRU/LFU
//! eviction, write visibility and explicit breakpoints (docs/caching.md).
//!
//! Entries are keyed by block identity (`prompt::Block::hash`), so equal
//! prefixes share entries wherever they come from, and memory follows live
//! entries, never requests served.
//!
//! **Automatic mode** is a block cache: every block of a cached prompt is an
//! entry holding its own tokens; a look-up reads the longest run of leading
//! blocks that are live and visible; a request refreshes every block it read
//! and writes every block it did not.
//!
//! **Explicit mode** caches only prefixes that end at a client breakpoint:
//! each entry holds its whole prefix; a look-up at a breakpoint also checks
//! the `lookback` blocks before it (Anthropic looks back up to 20 blocks) and
//! takes the deepest live entry found.
//!
//! **Chain records.** Agent prompts branch only after their shared leading
//! blocks: a session's private chain is extended by that session alone. For
//! such prompts, and when expiry is purely idle-based (refresh on hit, no
//! lifetime cap) with no capacity or LRU eviction, each private chain is one
//! grouped record (`chains.rs`; in the LRU order too, `bounded.rs`) holding
//! the per-block state (visibility instants already passed are merged: every
//! later look-up reads them alike), so a request costs O(shared blocks + log)
//! instead of O(prompt blocks). Without refresh on hit or with a lifetime cap
//! (no capacity, storage not billed) each chain is a set of classes of blocks
//! written by the same request (`classes.rs`). Shared blocks stay per-block entries. Every other
//! mode runs the per-block path, which is also the reference: property tests
//! check the records and classes against it.

mod bounded;
#[cfg(test)]
mod chain_tests;
mod chains;
mod classes;
mod rules;
#[cfg(test)]
mod tests;

pub use rules::{CacheRules, NO_EXPIRY};

use super::prompt::Block;
use crate::metrics::MAX_CACHE_TIERS;
use crate::scenario::Eviction;
use crate::time::{SimDuration, SimTime};
use chains::Chains;
use classes::Classes;
use std::collections::{BTreeSet, HashMap};
use std::hash::{BuildHasherDefault, Hasher};

/// Block identities are already well-mixed 64-bit hashes, so the map uses
/// them as they are. A fixed hasher also keeps look-ups deterministic (no
/// iteration order of this map ever reaches a result).
#[derive(Default, Clone, Copy, Debug)]
pub struct PassThroughHasher(u64);

impl Hasher for PassThroughHasher {
    fn finish(&self) -> u64 {
        self.0
    }
    fn write(&mut self, bytes: &[u8]) {
        for &b in bytes {
            self.0 = (self.0 << 8) ^ u64::from(b);
        }
    }
    fn write_u64(&mut self, v: u64) {
        self.0 = v;
    }
}

type BlockMap<V> = HashMap<u64, V, BuildHasherDefault<PassThroughHasher>>;

/// A client breakpoint in one prompt: the prefix ending with block `block`
/// (0-based) is cached in tier `tier`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PromptBreakpoint {
    pub block: usize,
    pub tier: usize,
}

/// The instants of a request that matter to the cache.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct WriteTimes {
    /// When the request started service (its look-up).
    pub now: SimTime,
    /// When what it writes becomes readable (its prefill end).
    pub visible_at: SimTime,
    /// When the TTL of what it writes or reads starts (>= `visible_at`).
    pub ttl_from: SimTime,
}

impl WriteTimes {
    /// Everything at one instant (trace replay: the cache model alone).
    pub fn instant(now: SimTime) -> Self {
        WriteTimes { now, visible_at: now, ttl_from: now }
    }
}

/// What a look-up found.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Lookup {
    /// Leading blocks covered by the hit (the prefix that was read).
    pub blocks: usize,
    /// Tokens read from the cache (rounded down to the granularity; 0 below
    /// the minimum).
    pub tokens: u64,
}

/// What a request wrote, in tokens per tier.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Writes {
    pub by_tier: [u64; MAX_CACHE_TIERS],
}

impl Writes {
    pub fn total(&self) -> u64 {
        self.by_tier.iter().sum()
    }
}

/// An entry that left the cache (or is still live at the end): how long it
/// was stored, for storage billing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct StoredSpan {
    pub owner: u32,
    pub tokens: u64,
    pub created: SimTime,
    pub stored: SimDuration,
}

#[derive(Clone, Debug)]
struct Entry {
    /// Tokens this entry occupies (its own block in automatic mode, its whole
    /// prefix in explicit mode).
    tokens: u64,
    created: SimTime,
    visible_at: SimTime,
    expires: SimTime,
    /// Rank of the last use in the cache's order of uses (LRU recency).
    used_rank: u64,
    uses: u64,
    owner: u32,
    tier: u8,
}

impl Entry {
    fn live(&self, now: SimTime) -> bool {
        self.visible_at <= now && now < self.expires
    }

    /// Key in the eviction order: the smallest is evicted first. Recency is
    /// the rank in the order of uses, not the instant: a request uses its
    /// blocks deepest first, so a prefix outlives its extensions, and every
    /// request touches all its blocks whatever the capacity, which makes LRU
    /// a stack algorithm (a larger cache never holds less of a trace).
    fn eviction_key(&self, policy: Eviction, hash: u64) -> (u64, u64, u64) {
        match policy {
            Eviction::Lfu => (self.uses, self.used_rank, hash),
            Eviction::Lru | Eviction::None => (self.used_rank, 0, hash),
        }
    }
}

/// One prompt cache (one provider, or one API key at a provider).
#[derive(Clone, Debug)]
pub struct PromptCache {
    rules: CacheRules,
    shortcut: bool,
    entries: BlockMap<Entry>,
    /// Private chains as grouped records (only with `shortcut`).
    chains: Chains,
    /// Private chains as classes of blocks (only with `classed`).
    classed: bool,
    classes: Classes,
    /// Eviction order; maintained only when capacity is bounded and evicting.
    order: BTreeSet<(u64, u64, u64)>,
    /// Rank of the next use (see `Entry::eviction_key`).
    next_rank: u64,
    /// Tokens of `entries` (chains count their own).
    tokens: u64,
    peak_entries: usize,
    peak_tokens: u64,
    next_purge: SimTime,
    purge_every: SimDuration,
    last_full_purge: Option<SimTime>,
    track_storage: bool,
    stored: Vec<StoredSpan>,
}

impl PromptCache {
    /// `chain_prompts`: every prompt given to this cache branches only after
    /// its shared blocks (true for generated agent sessions, false for traces).
    /// `track_storage`: keep `StoredSpan`s for storage billing.
    pub fn new(rules: CacheRules, chain_prompts: bool, track_storage: bool) -> Self {
        let shortest = rules.tier_ttls.iter().copied().min().unwrap_or(NO_EXPIRY);
        let purge_every = shortest.max(SimDuration::from_secs(1));
        let bounded = rules.capacity_tokens.is_some();
        PromptCache {
            shortcut: chain_prompts && rules.chain_shortcut_is_exact(),
            classed: chain_prompts && !track_storage && rules.chain_classes_are_exact(),
            classes: Classes::default(),
            rules,
            entries: BlockMap::default(),
            chains: Chains::new(track_storage, bounded),
            order: BTreeSet::new(),
            next_rank: 0,
            tokens: 0,
            peak_entries: 0,
            peak_tokens: 0,
            next_purge: SimTime::ZERO + purge_every,
            purge_every,
            last_full_purge: None,
            track_storage,
            stored: Vec::new(),
        }
    }

    pub fn rules(&self) -> &CacheRules {
        &self.rules
    }

    fn ordered(&self) -> bool {
        self.rules.capacity_tokens.is_some() && self.rules.eviction != Eviction::None
    }

    fn is_live(&self, hash: u64, now: SimTime) -> bool {
        self.entries.get(&hash).is_some_and(|e| e.live(now))
    }

    /// The prefix of `blocks` readable at `now`. `breakpoints` (sorted by
    /// block) matter only in explicit mode.
    /// `shared` = leading shared blocks (as for `write`).
    pub fn lookup(&self, now: SimTime, blocks: &[Block], shared: usize, breakpoints: &[PromptBreakpoint]) -> Lookup {
        let covered = match self.rules.explicit_lookback {
            Some(lookback) => self.explicit_hit(now, blocks, breakpoints, lookback as usize),
            None if self.shortcut || self.classed => self.chained_hit(now, blocks, shared),
            None => blocks.iter().take_while(|b| self.is_live(b.hash, now)).count(),
        };
        let raw = if covered == 0 { 0 } else { blocks[covered - 1].end_tokens };
        let tokens = self.rules.round_down(raw);
        if tokens == 0 || tokens < self.rules.min_tokens {
            return Lookup::default();
        }
        Lookup { blocks: covered, tokens }
    }

    /// The per-block prefix rule, with the private blocks read from their chain.
    fn chained_hit(&self, now: SimTime, blocks: &[Block], shared: usize) -> usize {
        let shared = shared.min(blocks.len());
        let live = blocks[..shared].iter().take_while(|b| self.is_live(b.hash, now)).count();
        if live < shared {
            return live;
        }
        if self.classed {
            return shared + self.classes.live_prefix(&blocks[shared..], now);
        }
        shared + self.chains.live_prefix(&blocks[shared..], now)
    }

    fn explicit_hit(&self, now: SimTime, blocks: &[Block], breakpoints: &[PromptBreakpoint], lookback: usize) -> usize {
        breakpoints
            .iter()
            .filter_map(|bp| {
                let b = bp.block.min(blocks.len().checked_sub(1)?);
                (b.saturating_sub(lookback)..=b).rev().find(|&j| self.is_live(blocks[j].hash, now))
            })
            .max()
            .map_or(0, |j| j + 1)
    }

    /// Records a request that read `hit` (see `WriteTimes`). Returns the
    /// tokens written per tier. `shared` = leading shared blocks; `owner` =
    /// who pays for storage.
    pub fn write(
        &mut self,
        at: WriteTimes,
        blocks: &[Block],
        shared: usize,
        breakpoints: &[PromptBreakpoint],
        hit: Lookup,
        owner: u32,
    ) -> Writes {
        self.purge_expired(at.now);
        let prompt_tokens = blocks.last().map_or(0, |b| b.end_tokens);
        let writes = if self.rules.explicit_lookback.is_some() {
            self.write_explicit(at, blocks, breakpoints, hit, owner)
        } else {
            self.write_automatic(at, blocks, shared, hit, owner, prompt_tokens)
        };
        self.peak_entries = self.peak_entries.max(self.entries());
        self.peak_tokens = self.peak_tokens.max(self.tokens());
        writes
    }

    fn write_automatic(
        &mut self,
        at: WriteTimes,
        blocks: &[Block],
        shared: usize,
        hit: Lookup,
        owner: u32,
        prompt_tokens: u64,
    ) -> Writes {
        let cacheable = self.rules.round_down(prompt_tokens);
        if cacheable == 0 || cacheable < self.rules.min_tokens {
            return Writes::default();
        }
        // The private chain as one record, then shared blocks one by one:
        // the same deepest-first order as the per-block path.
        let shared = shared.min(blocks.len());
        let private = &blocks[shared..];
        let base = if shared == 0 { 0 } else { blocks[shared - 1].end_tokens };
        if self.shortcut && self.rules.capacity_tokens.is_some() {
            self.ensure_chains_fit(private, base);
        }
        let per_block = if self.classed {
            // With refresh, a class's expiry is its cap, lowered to the latest idle end.
            let (end, idle_end) = match self.rules.max_lifetime {
                Some(cap) if self.rules.refresh_on_hit => {
                    (at.visible_at + cap, Some(at.ttl_from + self.rules.tier_ttls[0]))
                }
                _ => (self.lifetime_end(at.visible_at, at.ttl_from, 0), None),
            };
            self.classes.write(private, base, at.now, end, idle_end, at.visible_at);
            &blocks[..shared]
        } else if self.shortcut {
            // Block `i` of the private chain takes rank `top_rank - i`, as the per-block walk gives it.
            let top_rank = (self.next_rank + private.len() as u64).saturating_sub(1);
            self.next_rank += private.len() as u64;
            if self.rules.capacity_tokens.is_some() {
                self.write_bounded_chain(at, private, base, owner, top_rank);
            } else {
                let expires = self.lifetime_end(at.visible_at, at.ttl_from, 0);
                let stored = &mut self.stored;
                let track = self.track_storage;
                self.chains.write(private, base, at.now, expires, at.visible_at, owner, top_rank, |_, span| {
                    if track {
                        stored.push(span);
                    }
                });
            }
            &blocks[..shared]
        } else {
            blocks
        };
        // Deepest first: the request's prefix ends up the most recently used.
        for (i, b) in per_block.iter().enumerate().rev() {
            // Every block is an access: a live one is refreshed, a missing
            // one stored. Accessing read blocks the same way (rather than only
            // touching them) keeps this an exact LRU over the sequence of
            // block accesses, which does not depend on the capacity.
            let parent_end = if i == 0 { 0 } else { blocks[i - 1].end_tokens };
            self.insert(b.hash, b.end_tokens - parent_end, at, 0, owner);
        }
        let mut w = Writes::default();
        w.by_tier[0] = cacheable.saturating_sub(hit.tokens);
        w
    }

    fn write_explicit(
        &mut self,
        at: WriteTimes,
        blocks: &[Block],
        breakpoints: &[PromptBreakpoint],
        hit: Lookup,
        owner: u32,
    ) -> Writes {
        let mut w = Writes::default();
        let mut written_to = hit.tokens;
        for bp in breakpoints {
            let Some(b) = blocks.get(bp.block) else { continue };
            if bp.block < hit.blocks {
                // A breakpoint inside the prefix that was read: its entry, if
                // live, was used too and is refreshed like the hit.
                if self.is_live(b.hash, at.now) {
                    self.touch(b.hash, at);
                }
                continue;
            }
            let end = self.rules.round_down(b.end_tokens);
            if end < self.rules.min_tokens || end <= written_to {
                continue;
            }
            self.insert(b.hash, end, at, bp.tier, owner);
            w.by_tier[bp.tier] += end - written_to;
            written_to = end;
        }
        if hit.blocks > 0 {
            self.touch(blocks[hit.blocks - 1].hash, at);
        }
        w
    }

    /// When an entry created at `created` dies if its TTL (of `tier`) starts at `from`.
    fn lifetime_end(&self, created: SimTime, from: SimTime, tier: usize) -> SimTime {
        let ttl = self.rules.tier_ttls.get(tier).copied().unwrap_or(self.rules.tier_ttls[0]);
        let idle_end = from + ttl;
        match self.rules.max_lifetime {
            Some(cap) => idle_end.min(created + cap),
            None => idle_end,
        }
    }

    /// A read of a live entry: counts as a use; with `refresh_on_hit` its
    /// lifetime (of its own tier) restarts at `at.ttl_from`.
    fn touch(&mut self, hash: u64, at: WriteTimes) {
        let ordered = self.ordered();
        let policy = self.rules.eviction;
        let Some(e) = self.entries.get(&hash) else { return };
        let new_expiry = if self.rules.refresh_on_hit {
            self.lifetime_end(e.created, at.ttl_from, usize::from(e.tier)).max(e.expires)
        } else {
            e.expires
        };
        let rank = self.next_rank;
        self.next_rank += 1;
        let e = self.entries.get_mut(&hash).expect("present");
        if ordered {
            self.order.remove(&e.eviction_key(policy, hash));
        }
        e.used_rank = rank;
        e.uses += 1;
        e.expires = new_expiry;
        if ordered {
            self.order.insert(e.eviction_key(policy, hash));
        }
    }

    /// A write of a block not read by this request. A live entry (written by
    /// a concurrent request) keeps its earlier visibility; a dead one is replaced.
    fn insert(&mut self, hash: u64, tokens: u64, at: WriteTimes, tier: usize, owner: u32) {
        if let Some(e) = self.entries.get(&hash) {
            if at.now < e.expires {
                let visible = e.visible_at.min(at.visible_at);
                self.touch(hash, at);
                self.entries.get_mut(&hash).expect("present").visible_at = visible;
                return;
            }
            self.remove(hash, at.now);
        }
        if let Some(cap) = self.rules.capacity_tokens {
            if tokens > cap {
                return;
            }
            while self.tokens() + tokens > cap {
                if !self.evict_one(at.now, tokens) {
                    // Eviction `none` and full: the entry is simply not stored.
                    return;
                }
            }
        }
        let entry = Entry {
            tokens,
            created: at.visible_at,
            visible_at: at.visible_at,
            expires: self.lifetime_end(at.visible_at, at.ttl_from, tier),
            used_rank: self.next_rank,
            uses: 1,
            owner,
            tier: tier as u8,
        };
        self.next_rank += 1;
        if self.ordered() {
            self.order.insert(entry.eviction_key(self.rules.eviction, hash));
        }
        self.tokens += tokens;
        self.entries.insert(hash, entry);
    }

    /// Frees space for `need` tokens: the first entry in eviction order (or
    /// the fewest deepest blocks of the first chain), or with eviction `none`
    /// any expired entries (scanned at most once per instant). False when
    /// nothing may be evicted.
    fn evict_one(&mut self, now: SimTime, need: u64) -> bool {
        if !self.ordered() {
            if self.last_full_purge == Some(now) {
                return false;
            }
            self.last_full_purge = Some(now);
            return self.purge_expired_now(now);
        }
        self.evict_front(now, need, None)
    }

    fn remove(&mut self, hash: u64, now: SimTime) {
        if let Some(span) = self.take_entry(hash, now)
            && self.track_storage
        {
            self.stored.push(span);
        }
    }

    /// Removes an entry; returns its storage span as if it left at `now`.
    fn take_entry(&mut self, hash: u64, now: SimTime) -> Option<StoredSpan> {
        let e = self.entries.remove(&hash)?;
        if self.ordered() {
            self.order.remove(&e.eviction_key(self.rules.eviction, hash));
        }
        self.tokens -= e.tokens;
        let until = now.min(e.expires);
        Some(StoredSpan { owner: e.owner, tokens: e.tokens, created: e.created, stored: until - e.created })
    }

    fn purge_expired(&mut self, now: SimTime) {
        if now >= self.next_purge {
            self.purge_expired_now(now);
            self.next_purge = now + self.purge_every;
        }
    }

    /// Removes every expired entry; true if any was removed.
    fn purge_expired_now(&mut self, now: SimTime) -> bool {
        if self.track_storage || self.ordered() {
            // Removal goes through `take_entry` (eviction order); spans are
            // stored sorted by block so they never depend on hash-map order.
            let dead: Vec<u64> = self.entries.iter().filter(|(_, e)| now >= e.expires).map(|(h, _)| *h).collect();
            let mut left: Vec<(u64, StoredSpan)> =
                dead.into_iter().filter_map(|h| Some((h, self.take_entry(h, now)?))).collect();
            let (chain_blocks, _) = self.chains.purge(now, |h, span| left.push((h, span)));
            left.sort_unstable_by_key(|(h, _)| *h);
            if self.track_storage {
                self.stored.extend(left.iter().map(|(_, span)| *span));
            }
            return !left.is_empty() || chain_blocks > 0;
        }
        let (chain_blocks, _) = self.chains.purge(now, |_, _| {});
        let chain_blocks = chain_blocks + self.classes.purge(now);
        let before = self.entries.len();
        let mut freed = 0;
        self.entries.retain(|_, e| {
            let keep = now < e.expires;
            if !keep {
                freed += e.tokens;
            }
            keep
        });
        self.tokens -= freed;
        self.entries.len() < before || chain_blocks > 0
    }

    /// Storage spans of entries that left since the last call.
    pub fn take_stored(&mut self) -> Vec<StoredSpan> {
        std::mem::take(&mut self.stored)
    }

    /// Hands each span of an entry that left since the last call to `bill`,
    /// keeping the buffer (this runs after every request).
    pub fn drain_stored(&mut self, mut bill: impl FnMut(&StoredSpan)) {
        for span in self.stored.drain(..) {
            bill(&span);
        }
    }

    /// Ends the cache's life: every remaining entry leaves as if held until
    /// it would have expired (the client committed to its TTL); its span is
    /// then in `take_stored`.
    pub fn close(&mut self) {
        let live: Vec<u64> = self.entries.keys().copied().collect();
        let mut left: Vec<(u64, StoredSpan)> = live
            .into_iter()
            .filter_map(|h| {
                let expires = self.entries[&h].expires;
                Some((h, self.take_entry(h, expires)?))
            })
            .collect();
        self.chains.close(|h, span| left.push((h, span)));
        self.classes.clear();
        left.sort_unstable_by_key(|(h, _)| *h);
        if self.track_storage {
            self.stored.extend(left.iter().map(|(_, span)| *span));
        }
    }

    /// Entries currently stored (including expired ones not yet purged).
    pub fn entries(&self) -> usize {
        self.entries.len() + self.chains.blocks() + self.classes.blocks()
    }

    pub fn tokens(&self) -> u64 {
        self.tokens + self.chains.tokens() + self.classes.tokens()
    }

    pub fn peak_entries(&self) -> usize {
        self.peak_entries
    }

    pub fn peak_tokens(&self) -> u64 {
        self.peak_tokens
    }
}
