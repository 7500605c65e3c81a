//! Private chains as grouped records: the exact per-block state of a
//! session's private blocks in O(1) amortised work per request.
//!
//! Used when expiry is idle-based (automatic mode, refresh on hit, no
//! lifetime cap), with no capacity or LRU eviction (`bounded.rs`), and
//! prompts branch only after their shared blocks. A session's private chain is then used only by
//! that session's requests, each of which reads or writes every block of it
//! at once. Per block, such a request sets `expires := max(expires, E)` and
//! `visible_at := min(visible_at, v)` on the blocks already stored, appends
//! the rest with `E` and `v`, and first replaces the expired ones. By
//! induction, expiry is non-increasing and visibility non-decreasing along
//! the chain, so both are step functions kept as stacks of segments: a
//! request pops the segments it overrides and pushes at most one, merges the
//! visibility segments already reached (they read alike from now on), the live
//! prefix is found by binary search, and expired blocks are always a suffix
//! made of whole expiry segments; LRU eviction removes a suffix too (the
//! deepest blocks are the least recently used). Nothing here depends on the
//! prompt's length except per-block records: storage spans when storage is
//! billed, and with a capacity each block's size and identity (appended once
//! per stored block, so only re-storing a lost chain copies them again).

use super::{BlockMap, StoredSpan};
use crate::model::prompt::Block;
use crate::time::SimTime;
use smallvec::SmallVec;
use std::collections::BTreeSet;

/// A chain's segments: almost always one or two (a request leaves one expiry
/// and, once the visibilities already reached are merged, usually two), kept
/// inline: no allocation per chain.
type Segs = SmallVec<[Seg; 2]>;

/// A run of blocks sharing one value, from block `start` on; `offset` =
/// tokens of the chain's blocks before `start`.
#[derive(Clone, Copy, Debug)]
struct Seg {
    start: usize,
    at: SimTime,
    offset: u64,
}

/// What storage billing needs of one stored block.
#[derive(Clone, Copy, Debug)]
struct Stored {
    hash: u64,
    tokens: u64,
    created: SimTime,
    owner: u32,
}

#[derive(Clone, Debug, Default)]
struct Chain {
    /// Blocks stored (expired ones count until removed, as entries do).
    len: usize,
    tokens: u64,
    /// Expiry segments, values non-increasing.
    expires: Segs,
    /// Visibility segments, values non-decreasing.
    visible: Segs,
    /// One record per stored block, only when storage is tracked.
    stored: Vec<Stored>,
    /// Tokens of blocks `0..=i` of the chain, only when capacity is bounded
    /// (eviction trims a chain by tokens).
    ends: Vec<u64>,
    /// LRU rank of block 0; block `i` has rank `top_rank - i` (a request
    /// uses its blocks deepest first, one rank each).
    top_rank: u64,
    /// Leading blocks of the chain known to fit a bounded cache (checked
    /// once each, even when a request stores fewer of them).
    fitting: usize,
}

impl Chain {
    /// Leading blocks live at `now` (visible and not expired).
    fn live_prefix(&self, now: SimTime) -> usize {
        let visible = self.visible.partition_point(|s| s.at <= now);
        let visible = self.visible.get(visible).map_or(self.len, |s| s.start);
        self.live_until(now).min(visible)
    }

    /// Leading blocks not expired at `now`: the rest is a suffix of whole segments.
    fn live_until(&self, now: SimTime) -> usize {
        let k = self.expires.partition_point(|s| s.at > now);
        self.expires.get(k).map_or(self.len, |s| s.start)
    }

    /// Removes the blocks expired at `now`, deepest first; returns (blocks, tokens) removed.
    fn trim_expired(&mut self, now: SimTime, mut left: impl FnMut(u64, StoredSpan)) -> (usize, u64) {
        let k = self.expires.partition_point(|s| s.at > now);
        let Some(&cut) = self.expires.get(k) else { return (0, 0) };
        for seg in self.expires[k..].iter().rev() {
            let end = self.stored.len();
            for b in self.stored.drain(seg.start.min(end)..).rev() {
                left(b.hash, span(&b, seg.at));
            }
        }
        let removed = (self.len - cut.start, self.tokens - cut.offset);
        self.cut(cut.start, cut.offset);
        removed
    }

    /// Tokens of the chain's first `blocks` blocks (bounded caches only).
    fn tokens_before(&self, blocks: usize) -> u64 {
        if blocks == 0 { 0 } else { self.ends[blocks - 1] }
    }

    /// Keeps the first `len` blocks (holding `tokens` tokens).
    fn cut(&mut self, len: usize, tokens: u64) {
        let k = self.expires.partition_point(|s| s.start < len);
        self.expires.truncate(k);
        let v = self.visible.partition_point(|s| s.start < len);
        self.visible.truncate(v);
        self.stored.truncate(len);
        self.ends.truncate(len);
        self.len = len;
        self.tokens = tokens;
    }

    /// Evicts the fewest deepest blocks that free `need` tokens (all of them
    /// if the chain holds fewer), deepest first as the per-block LRU does;
    /// returns (blocks, tokens) removed.
    fn evict_deepest(&mut self, need: u64, now: SimTime, mut left: impl FnMut(u64, StoredSpan)) -> (usize, u64) {
        let keep_tokens = self.tokens.saturating_sub(need);
        let keep = self.ends[..self.len].partition_point(|&e| e <= keep_tokens);
        for seg in self.expires.iter().rev() {
            let end = self.stored.len();
            for b in self.stored.drain(seg.start.max(keep).min(end)..).rev() {
                left(b.hash, span(&b, now.min(seg.at)));
            }
            if seg.start <= keep {
                break;
            }
        }
        let kept = self.tokens_before(keep);
        let removed = (self.len - keep, self.tokens - kept);
        self.cut(keep, kept);
        removed
    }

    /// LRU rank of the deepest stored block (the chain's place in the eviction order).
    fn deepest_rank(&self) -> Option<u64> {
        (self.len > 0).then(|| self.top_rank - (self.len as u64 - 1))
    }

    /// Merges the visibility segments already reached at `now` into the
    /// first: look-ups come at `now` or later, so all of them read those
    /// blocks as visible whatever their instants. Without it each request
    /// that extends the chain would leave one more segment behind.
    fn forget_past_visibility(&mut self, now: SimTime) {
        let reached = self.visible.partition_point(|s| s.at <= now);
        if reached > 1 {
            self.visible.drain(1..reached);
        }
    }

    /// A request uses every stored block: expiry rises to at least `expires`,
    /// visibility falls to at most `visible_at`.
    fn refresh(&mut self, expires: SimTime, visible_at: SimTime) {
        merge_tail(&mut self.expires, expires, |old| old <= expires);
        merge_tail(&mut self.visible, visible_at, |old| old >= visible_at);
    }

    /// Appends `tokens` tokens in `count` blocks, expiring at `expires` (no
    /// later than any stored block after `refresh`) and visible from
    /// `visible_at` (no earlier than any).
    fn append(&mut self, count: usize, tokens: u64, expires: SimTime, visible_at: SimTime) {
        if count == 0 {
            return;
        }
        for (segs, at) in [(&mut self.expires, expires), (&mut self.visible, visible_at)] {
            if segs.last().is_none_or(|s| s.at != at) {
                segs.push(Seg { start: self.len, at, offset: self.tokens });
            }
        }
        self.len += count;
        self.tokens += tokens;
    }

    /// Every stored block with its expiry (for `close`).
    fn spans(&self, mut out: impl FnMut(u64, StoredSpan)) {
        for (i, seg) in self.expires.iter().enumerate() {
            let end = self.expires.get(i + 1).map_or(self.len, |s| s.start);
            for b in &self.stored[seg.start..end] {
                out(b.hash, span(b, seg.at));
            }
        }
    }
}

/// Overrides the tail segments whose value `replaced` says `at` beats with
/// one segment of `at` (the sequence stays monotone).
fn merge_tail(segs: &mut Segs, at: SimTime, replaced: impl Fn(SimTime) -> bool) {
    let mut first = None;
    while let Some(s) = segs.last().copied().filter(|s| replaced(s.at)) {
        segs.pop();
        first = Some(s);
    }
    if let Some(s) = first {
        segs.push(Seg { at, ..s });
    }
}

/// An entry leaving at its expiry (the per-block `remove` with `now >= expires`).
fn span(b: &Stored, expires: SimTime) -> StoredSpan {
    StoredSpan { owner: b.owner, tokens: b.tokens, created: b.created, stored: expires - b.created }
}

/// One stored block of a chain, as a per-block entry would hold it.
pub(super) struct BlockState {
    pub(super) hash: u64,
    pub(super) tokens: u64,
    pub(super) created: SimTime,
    pub(super) owner: u32,
    pub(super) visible_at: SimTime,
    pub(super) expires: SimTime,
    pub(super) rank: u64,
}

/// The private chains of one cache, keyed by their first block.
#[derive(Clone, Debug, Default)]
pub(super) struct Chains {
    map: BlockMap<Chain>,
    track_storage: bool,
    /// Capacity is bounded: chains keep block sizes, block records (a chain
    /// may have to become per-block entries, see `take_all`) and an LRU order.
    bounded: bool,
    /// (rank of the deepest stored block, chain key) of every non-empty
    /// chain, only when bounded: a chain's blocks hold consecutive ranks, so
    /// the chain is one record in the LRU order, trimmed from its deep end.
    order: BTreeSet<(u64, u64)>,
    blocks: usize,
    tokens: u64,
}

impl Chains {
    pub(super) fn new(track_storage: bool, bounded: bool) -> Self {
        Chains { track_storage, bounded, ..Default::default() }
    }

    /// Blocks stored in the chain starting with block `key`.
    pub(super) fn len_of(&self, key: u64) -> usize {
        self.map.get(&key).map_or(0, |c| c.len)
    }

    /// Leading blocks of the chain starting with `key` known to fit the cache.
    pub(super) fn fitting(&self, key: u64) -> usize {
        self.map.get(&key).map_or(0, |c| c.fitting.max(c.len))
    }

    /// Records that the first `blocks` blocks of chain `key` (if stored) fit the cache.
    pub(super) fn set_fitting(&mut self, key: u64, blocks: usize) {
        if let Some(c) = self.map.get_mut(&key) {
            c.fitting = c.fitting.max(blocks);
        }
    }

    /// The least recently used chain: (rank of its deepest block, key).
    pub(super) fn first(&self) -> Option<(u64, u64)> {
        self.order.first().copied()
    }

    /// Evicts the fewest deepest blocks of chain `key` that free `need`
    /// tokens (all if it holds fewer); spans go to `left`, deepest first.
    /// Returns the tokens freed.
    pub(super) fn evict(&mut self, key: u64, need: u64, now: SimTime, left: impl FnMut(u64, StoredSpan)) -> u64 {
        let Some(c) = self.map.get_mut(&key) else { return 0 };
        let old = c.deepest_rank();
        let (blocks, tokens) = c.evict_deepest(need, now, left);
        self.settle(key, old);
        self.blocks -= blocks;
        self.tokens -= tokens;
        tokens
    }

    /// Re-keys chain `key` in the LRU order after a change (its deepest rank
    /// was `old`) and drops it once empty.
    fn settle(&mut self, key: u64, old: Option<u64>) {
        if !self.bounded {
            if self.map.get(&key).is_some_and(|c| c.len == 0) {
                self.map.remove(&key);
            }
            return;
        }
        if let Some(r) = old {
            self.order.remove(&(r, key));
        }
        match self.map.get(&key).and_then(Chain::deepest_rank) {
            Some(r) => {
                self.order.insert((r, key));
            }
            None => {
                self.map.remove(&key);
            }
        }
    }

    /// Expiry and visibility segments of chain `key`.
    #[cfg(test)]
    pub(super) fn segments(&self, key: u64) -> (usize, usize) {
        self.map.get(&key).map_or((0, 0), |c| (c.expires.len(), c.visible.len()))
    }

    /// Blocks stored in chains.
    pub(super) fn blocks(&self) -> usize {
        self.blocks
    }

    pub(super) fn tokens(&self) -> u64 {
        self.tokens
    }

    /// Leading blocks of `private` (a prompt's blocks after its shared ones)
    /// live at `now`.
    pub(super) fn live_prefix(&self, private: &[Block], now: SimTime) -> usize {
        let Some(first) = private.first() else { return 0 };
        self.map.get(&first.hash).map_or(0, |c| c.live_prefix(now).min(private.len()))
    }

    /// A request uses every block of `private` (whose prompt has `base`
    /// tokens before it): expired blocks leave (their spans go to `left`,
    /// deepest first), stored ones are refreshed, missing ones stored.
    #[allow(clippy::too_many_arguments)]
    pub(super) fn write(
        &mut self,
        private: &[Block],
        base: u64,
        now: SimTime,
        expires: SimTime,
        visible_at: SimTime,
        owner: u32,
        top_rank: u64,
        mut left: impl FnMut(u64, StoredSpan),
    ) {
        let Some(first) = private.first() else { return };
        let chain = self.map.entry(first.hash).or_default();
        let old_rank = chain.deepest_rank();
        let (gone, gone_tokens) = chain.trim_expired(now, &mut left);
        chain.forget_past_visibility(now);
        chain.refresh(expires, visible_at);
        // A chain is extended by its own session alone and its prompts only grow.
        debug_assert!(chain.len <= private.len(), "a chain's prompt shrank");
        let old_len = chain.len.min(private.len());
        let before = if old_len == 0 { base } else { private[old_len - 1].end_tokens };
        let added = private.len() - old_len;
        let added_tokens = private[private.len() - 1].end_tokens - before;
        chain.append(added, added_tokens, expires, visible_at);
        chain.top_rank = top_rank;
        if self.bounded {
            chain.ends.extend(private[old_len..].iter().map(|b| b.end_tokens - base));
        }
        if self.track_storage || self.bounded {
            let mut parent_end = before;
            for b in &private[old_len..] {
                let tokens = b.end_tokens - parent_end;
                parent_end = b.end_tokens;
                chain.stored.push(Stored { hash: b.hash, tokens, created: visible_at, owner });
            }
        }
        self.blocks = self.blocks - gone + added;
        self.tokens = self.tokens - gone_tokens + added_tokens;
        self.settle(first.hash, old_rank);
    }

    /// Removes every block expired at `now` (spans to `left`, in no
    /// particular order); returns (blocks, tokens) removed.
    pub(super) fn purge(&mut self, now: SimTime, mut left: impl FnMut(u64, StoredSpan)) -> (usize, u64) {
        let (mut blocks, mut tokens) = (0, 0);
        let (order, bounded) = (&mut self.order, self.bounded);
        self.map.retain(|&key, c| {
            let old = c.deepest_rank();
            let (b, t) = c.trim_expired(now, &mut left);
            blocks += b;
            tokens += t;
            if b > 0 && bounded {
                // Each change re-keys its own chain: the result is independent of map order.
                if let Some(r) = old {
                    order.remove(&(r, key));
                }
                if let Some(r) = c.deepest_rank() {
                    order.insert((r, key));
                }
            }
            c.len > 0
        });
        self.blocks -= blocks;
        self.tokens -= tokens;
        (blocks, tokens)
    }

    /// Removes every chain, returning each stored block's full state (bounded
    /// caches only: they keep a record per block).
    pub(super) fn take_all(&mut self) -> Vec<BlockState> {
        let mut out = Vec::with_capacity(self.blocks);
        for c in self.map.values() {
            let value_at = |segs: &[Seg], i: usize| segs[segs.partition_point(|s| s.start <= i) - 1].at;
            for (i, b) in c.stored.iter().enumerate() {
                out.push(BlockState {
                    hash: b.hash,
                    tokens: b.tokens,
                    created: b.created,
                    owner: b.owner,
                    visible_at: value_at(&c.visible, i),
                    expires: value_at(&c.expires, i),
                    rank: c.top_rank - i as u64,
                });
            }
        }
        *self = Chains::new(self.track_storage, self.bounded);
        out
    }

    /// Removes everything; each block's span (until its expiry) goes to `left`.
    pub(super) fn close(&mut self, mut left: impl FnMut(u64, StoredSpan)) {
        if self.track_storage {
            for c in self.map.values() {
                c.spans(&mut left);
            }
        }
        *self = Chains::new(self.track_storage, self.bounded);
    }
}
