//! Private chains whose expiry is not monotone along the chain (no refresh
//! on hit, or a lifetime cap), as classes of blocks that share their state:
//! exactly the per-block state in O(log classes) amortised per request,
//! whatever the session's length.
//!
//! Without refresh a read block keeps its expiry; with a lifetime cap each
//! block's expiry is bounded by its own creation. Either way, once an expired
//! prefix is re-written it outlives the blocks after it, and purges leave
//! holes. But every request uses every block of its chain at once: a live
//! block's visibility falls to `min(visible, v)` and (with refresh) its
//! expiry rises to `min(E, created + cap)` for the request's idle end `E`,
//! while every expired or missing block is (re)written with the request's own
//! values. So the blocks written by one request share their state for the
//! rest of their lives, and a request merges every expired class and every
//! hole into its own class. A class keeps its count, its tokens and its first
//! position (a look-up stops at the first block that is missing or not live).
//!
//! A class's expiry is `min(end, latest E since its write)` (with refresh:
//! `max_i min(E_i, C) = min(max_i E_i, C)`), `end` being its fixed bound.
//! Classes are indexed by `end`, and the latest `E` since a write is kept as a
//! queue of decreasing idle ends, so the classes whose idle end has passed
//! are the newest ones, split off in one step. Finding expired classes costs
//! O(log) each; a write visible earlier than some class (rare: a session's
//! requests end in order) is the only scan of them all. Used only when
//! storage is not billed (spans are per block) and without capacity.

use super::BlockMap;
use crate::model::prompt::Block;
use crate::time::SimTime;
use std::collections::{BTreeMap, BTreeSet, VecDeque};

/// Blocks written by one request and still stored.
#[derive(Clone, Copy, Debug)]
struct Class {
    /// Fixed bound on its expiry: the expiry itself without refresh on hit,
    /// its creation + `max_lifetime` with it.
    end: SimTime,
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
    /// By the index of the write that created them.
    classes: BTreeMap<u64, Class>,
    /// (end, index) of every class: those past their end come first.
    by_end: BTreeSet<(SimTime, u64)>,
    /// With refresh on hit only: (write index, idle end) of the writes whose
    /// idle end is later than every later write's, so the latest idle end
    /// since write `k` (a class's refreshed expiry, before its cap) is the
    /// first entry at or after `k`; idle ends decrease along the queue.
    idle: VecDeque<(u64, SimTime)>,
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
    /// Classes created at or after this write have an idle end at or before
    /// `now` (none without refresh on hit): the newest classes are the
    /// fewest refreshed.
    fn idle_expired_from(&self, now: SimTime) -> u64 {
        if self.idle.is_empty() {
            return u64::MAX;
        }
        match self.idle.partition_point(|&(_, end)| end > now) {
            0 => 0,
            q => self.idle[q - 1].0 + 1,
        }
    }

    fn live_prefix(&self, now: SimTime) -> usize {
        let idle_expired = self.classes.range(self.idle_expired_from(now)..).map(|(_, c)| c.first);
        let ended = self.by_end.iter().take_while(|(end, _)| *end <= now).map(|(_, k)| self.classes[k].first);
        let unseen =
            (self.visible_by > now).then(|| self.classes.values().filter(|c| c.visible > now).map(|c| c.first));
        let dead = idle_expired.chain(ended).chain(unseen.into_iter().flatten());
        dead.chain(self.first_hole).fold(self.known, usize::min)
    }

    /// Takes out the classes expired at `now`; returns their (blocks, tokens, first position).
    fn take_expired(&mut self, now: SimTime) -> (usize, u64, Option<usize>) {
        let (mut blocks, mut tokens, mut first) = (0, 0, None::<usize>);
        let mut gone = |c: Class| {
            blocks += c.blocks;
            tokens += c.tokens;
            first = Some(first.map_or(c.first, |f: usize| f.min(c.first)));
        };
        for (k, c) in self.classes.split_off(&self.idle_expired_from(now)) {
            self.by_end.remove(&(c.end, k));
            gone(c);
        }
        while let Some(&(end, k)) = self.by_end.first().filter(|(end, _)| *end <= now) {
            self.by_end.remove(&(end, k));
            gone(self.classes.remove(&k).expect("indexed class"));
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
    /// tokens before it): live blocks take the earlier visibility (and with
    /// refresh on hit, `idle_end` = the request's TTL end, up to their cap),
    /// expired and missing ones are written visible from `visible_at`,
    /// expiring at `end` (without refresh) or at `min(idle_end, end)`.
    pub(super) fn write(
        &mut self,
        private: &[Block],
        base: u64,
        now: SimTime,
        end: SimTime,
        idle_end: Option<SimTime>,
        visible_at: SimTime,
    ) {
        let (Some(first), Some(last)) = (private.first(), private.last()) else { return };
        let chain = self.map.entry(first.hash).or_default();
        debug_assert!(chain.known <= private.len(), "a chain's prompt shrank");
        let mut fresh = Class { end, visible: visible_at, blocks: 0, tokens: 0, first: usize::MAX };
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
        let k = chain.writes;
        chain.writes += 1;
        if let Some(idle_end) = idle_end {
            while chain.idle.back().is_some_and(|&(_, e)| e <= idle_end) {
                chain.idle.pop_back();
            }
            chain.idle.push_back((k, idle_end));
        }
        if fresh.blocks > 0 {
            chain.classes.insert(k, fresh);
            chain.by_end.insert((end, k));
            chain.visible_by = chain.visible_by.max(visible_at);
        }
        // Entries before the oldest class are never asked for again.
        let oldest = chain.classes.first_key_value().map_or(k, |(&k, _)| k);
        while chain.idle.len() > 1 && chain.idle[0].0 < oldest {
            chain.idle.pop_front();
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
