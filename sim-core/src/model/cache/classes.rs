//! Private chains without refresh on hit, as classes of blocks that share
//! their state: exactly the per-block state in O(log classes) amortised per
//! request, whatever the session's length.
//!
//! Without refresh a read block keeps its expiry, so expiry is not monotone
//! along the chain: once a prefix has expired and been re-written it outlives
//! the blocks after it, and purges leave holes. But every request uses every
//! block of its chain at once: a live block keeps its expiry and its
//! visibility falls to `min(visible, v)`, while every expired or missing
//! block is (re)written with the request's own expiry and visibility. So the
//! blocks written by one request share their state for the rest of their
//! lives, and a request merges every expired class and every hole into its
//! own class. A class keeps its count, its tokens and its first position (a
//! look-up stops at the first block that is missing or not live). Classes
//! are ordered by expiry, so finding the expired ones costs O(log) each, and
//! a write visible earlier than some class (rare: a session's requests end
//! in order) is the only scan of them all. Used only
//! when storage is not billed (spans are per block) and without capacity or
//! lifetime cap.

use super::BlockMap;
use crate::model::prompt::Block;
use crate::time::SimTime;
use std::collections::BTreeMap;

/// Blocks written by one request and still stored (its expiry is its key).
#[derive(Clone, Copy, Debug)]
struct Class {
    visible: SimTime,
    blocks: usize,
    tokens: u64,
    /// Position of its first block in the chain.
    first: usize,
}

#[derive(Clone, Debug, Default)]
struct Chain {
    /// Blocks of the chain ever written (the rest of a prompt is missing).
    known: usize,
    /// By (expiry, order of writing): expired classes come first.
    classes: BTreeMap<(SimTime, u64), Class>,
    writes: u64,
    /// No class is visible later than this (an upper bound: checks skip
    /// the scan of every class when `now` or a write's visibility is past it).
    visible_by: SimTime,
    /// Blocks and tokens stored (the classes' sums).
    blocks: usize,
    tokens: u64,
    /// First position purged and not re-written since.
    first_hole: Option<usize>,
}

impl Chain {
    fn live_prefix(&self, now: SimTime) -> usize {
        let expired = self.classes.iter().take_while(|((e, _), _)| *e <= now).map(|(_, c)| c.first);
        let unseen =
            (self.visible_by > now).then(|| self.classes.values().filter(|c| c.visible > now).map(|c| c.first));
        expired.chain(unseen.into_iter().flatten()).chain(self.first_hole).fold(self.known, usize::min)
    }

    /// Takes out the classes expired at `now`; returns their (blocks, tokens, first position).
    fn take_expired(&mut self, now: SimTime) -> (usize, u64, Option<usize>) {
        let (mut blocks, mut tokens, mut first) = (0, 0, None::<usize>);
        while let Some(entry) = self.classes.first_entry().filter(|e| e.key().0 <= now) {
            let c = entry.remove();
            blocks += c.blocks;
            tokens += c.tokens;
            first = Some(first.map_or(c.first, |f| f.min(c.first)));
        }
        (blocks, tokens, first)
    }

    /// Removes the classes expired at `now`; returns (blocks, tokens) removed.
    fn purge(&mut self, now: SimTime) -> (usize, u64) {
        let (blocks, tokens, first) = self.take_expired(now);
        self.first_hole = match (self.first_hole, first) {
            (Some(h), Some(f)) => Some(h.min(f)),
            (h, f) => h.or(f),
        };
        self.blocks -= blocks;
        self.tokens -= tokens;
        (blocks, tokens)
    }
}

/// The private chains of one cache without refresh on hit, keyed by their first block.
#[derive(Clone, Debug, Default)]
pub(super) struct Classes {
    map: BlockMap<Chain>,
    blocks: usize,
    tokens: u64,
}

impl Classes {
    pub(super) fn blocks(&self) -> usize {
        self.blocks
    }

    pub(super) fn tokens(&self) -> u64 {
        self.tokens
    }

    /// Leading blocks of `private` live at `now`.
    pub(super) fn live_prefix(&self, private: &[Block], now: SimTime) -> usize {
        let Some(first) = private.first() else { return 0 };
        self.map.get(&first.hash).map_or(0, |c| c.live_prefix(now).min(private.len()))
    }

    /// A request uses every block of `private` (whose prompt has `base`
    /// tokens before it): live blocks keep their expiry and take the earlier
    /// visibility, expired and missing ones are written with `expires` and
    /// `visible_at`.
    pub(super) fn write(&mut self, private: &[Block], base: u64, now: SimTime, expires: SimTime, visible_at: SimTime) {
        let (Some(first), Some(last)) = (private.first(), private.last()) else { return };
        let chain = self.map.entry(first.hash).or_default();
        debug_assert!(chain.known <= private.len(), "a chain's prompt shrank");
        let mut fresh = Class { visible: visible_at, blocks: 0, tokens: 0, first: usize::MAX };
        let (expired_blocks, expired_tokens, expired_first) = chain.take_expired(now);
        let (live_blocks, live_tokens) = (chain.blocks - expired_blocks, chain.tokens - expired_tokens);
        if let Some(f) = expired_first {
            fresh.first = fresh.first.min(f);
        }
        if visible_at < chain.visible_by {
            for c in chain.classes.values_mut() {
                c.visible = c.visible.min(visible_at);
            }
            chain.visible_by = visible_at;
        }
        if let Some(h) = chain.first_hole.take() {
            fresh.first = fresh.first.min(h);
        }
        if chain.known < private.len() {
            fresh.first = fresh.first.min(chain.known);
        }
        // Everything not live is now the request's: expired, purged and new blocks.
        fresh.blocks = private.len() - live_blocks;
        fresh.tokens = (last.end_tokens - base) - live_tokens;
        if fresh.blocks > 0 {
            chain.classes.insert((expires, chain.writes), fresh);
            chain.writes += 1;
            chain.visible_by = chain.visible_by.max(visible_at);
        }
        self.blocks = self.blocks - chain.blocks + private.len();
        self.tokens = self.tokens - chain.tokens + (last.end_tokens - base);
        chain.known = private.len();
        chain.blocks = private.len();
        chain.tokens = last.end_tokens - base;
    }

    /// Removes every block expired at `now`; returns the blocks removed.
    pub(super) fn purge(&mut self, now: SimTime) -> usize {
        let (mut blocks, mut tokens) = (0, 0);
        self.map.retain(|_, c| {
            let (b, t) = c.purge(now);
            blocks += b;
            tokens += t;
            c.blocks > 0
        });
        self.blocks -= blocks;
        self.tokens -= tokens;
        blocks
    }

    pub(super) fn clear(&mut self) {
        *self = Classes::default();
    }
}
