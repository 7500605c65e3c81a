//! Private chains as grouped records: the exact per-block state of a
//! session's private blocks in O(1) amortised work per request.
//!
//! Used when expiry is idle-based and nothing is evicted (automatic mode,
//! refresh on hit, no lifetime cap, no capacity) and prompts branch only
//! after their shared blocks. A session's private chain is then used only by
//! that session's requests, each of which reads or writes every block of it
//! at once. Per block, such a request sets `expires := max(expires, E)` and
//! `visible_at := min(visible_at, v)` on the blocks already stored, appends
//! the rest with `E` and `v`, and first replaces the expired ones. By
//! induction, expiry is non-increasing and visibility non-decreasing along
//! the chain, so both are step functions kept as stacks of segments: a
//! request pops the segments it overrides and pushes at most one, the live
//! prefix is found by binary search, and expired blocks are always a suffix
//! made of whole expiry segments. Nothing here depends on the prompt's length
//! except storage records, kept per block only when storage is billed.

use super::{BlockMap, StoredSpan};
use crate::model::prompt::Block;
use crate::time::SimTime;

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
    expires: Vec<Seg>,
    /// Visibility segments, values non-decreasing.
    visible: Vec<Seg>,
    /// One record per stored block, only when storage is tracked.
    stored: Vec<Stored>,
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
        self.expires.truncate(k);
        let v = self.visible.partition_point(|s| s.start < cut.start);
        self.visible.truncate(v);
        self.len = cut.start;
        self.tokens = cut.offset;
        removed
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
fn merge_tail(segs: &mut Vec<Seg>, at: SimTime, replaced: impl Fn(SimTime) -> bool) {
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

/// The private chains of one cache, keyed by their first block.
#[derive(Clone, Debug, Default)]
pub(super) struct Chains {
    map: BlockMap<Chain>,
    track_storage: bool,
    blocks: usize,
    tokens: u64,
}

impl Chains {
    pub(super) fn new(track_storage: bool) -> Self {
        Chains { track_storage, ..Default::default() }
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
        mut left: impl FnMut(u64, StoredSpan),
    ) {
        let Some(first) = private.first() else { return };
        let chain = self.map.entry(first.hash).or_default();
        let (gone, gone_tokens) = chain.trim_expired(now, &mut left);
        chain.refresh(expires, visible_at);
        // A chain is extended by its own session alone and its prompts only grow.
        debug_assert!(chain.len <= private.len(), "a chain's prompt shrank");
        let old_len = chain.len.min(private.len());
        let before = if old_len == 0 { base } else { private[old_len - 1].end_tokens };
        let added = private.len() - old_len;
        let added_tokens = private[private.len() - 1].end_tokens - before;
        chain.append(added, added_tokens, expires, visible_at);
        if self.track_storage {
            let mut parent_end = before;
            for b in &private[old_len..] {
                let tokens = b.end_tokens - parent_end;
                parent_end = b.end_tokens;
                chain.stored.push(Stored { hash: b.hash, tokens, created: visible_at, owner });
            }
        }
        self.blocks = self.blocks - gone + added;
        self.tokens = self.tokens - gone_tokens + added_tokens;
    }

    /// Removes every block expired at `now` (spans to `left`, in no
    /// particular order); returns (blocks, tokens) removed.
    pub(super) fn purge(&mut self, now: SimTime, mut left: impl FnMut(u64, StoredSpan)) -> (usize, u64) {
        let (mut blocks, mut tokens) = (0, 0);
        self.map.retain(|_, c| {
            let (b, t) = c.trim_expired(now, &mut left);
            blocks += b;
            tokens += t;
            c.len > 0
        });
        self.blocks -= blocks;
        self.tokens -= tokens;
        (blocks, tokens)
    }

    /// Removes everything; each block's span (until its expiry) goes to `left`.
    pub(super) fn close(&mut self, mut left: impl FnMut(u64, StoredSpan)) {
        if self.track_storage {
            for c in self.map.values() {
                c.spans(&mut left);
            }
        }
        *self = Chains::new(self.track_storage);
    }
}
