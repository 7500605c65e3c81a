//! Private chains in a capacity-bounded LRU cache: a request's cost does not
//! grow with its chain's length, with exactly the per-block evictions.
//!
//! A request uses its private blocks deepest first with consecutive ranks, so
//! a chain's blocks hold a contiguous range of the LRU order, deepest oldest:
//! the chain is one record in that order, keyed by its deepest block's rank,
//! and eviction trims it from its deep end (the per-block LRU's victims, in
//! its order). Stored blocks stay a prefix of the chain.
//!
//! The per-block walk first inserts the blocks the chain lacks (evicting from
//! the front of the order), then uses the stored ones. If the free space and
//! the entries older than the chain cover the missing blocks, the stored ones
//! are merely refreshed (an expired one is replaced by a block of the same
//! size, which needs no room). Otherwise eviction reaches the chain itself:
//! every insertion then evicts the chain's deepest untouched blocks, which
//! the walk re-inserts in turn, so the whole stored chain leaves and comes
//! back fresh (free + chain tokens never cover the missing blocks again: the
//! deficit carries over block for block), and the rest of the room comes from
//! the entries used after it. If even that is not enough, nothing else is
//! left and the request's own deepest blocks go, leaving the longest prefix
//! that fits.

use super::*;

impl PromptCache {
    /// A block larger than the whole cache is never stored, which leaves a
    /// hole in its chain that no chain record can hold: the cache then turns
    /// every chain into per-block entries and runs per block from then on.
    /// Blocks are checked once per chain record: a session whose chain
    /// outgrew the cache keeps only a prefix, and re-checking the rest at
    /// every step would cost O(prompt).
    pub(super) fn ensure_chains_fit(&mut self, private: &[Block], base: u64) {
        let (Some(cap), Some(first)) = (self.rules.capacity_tokens, private.first()) else { return };
        let checked = self.chains.fitting(first.hash).min(private.len());
        let mut parent_end = if checked == 0 { base } else { private[checked - 1].end_tokens };
        let too_big = private[checked..].iter().any(|b| {
            let tokens = b.end_tokens - parent_end;
            parent_end = b.end_tokens;
            tokens > cap
        });
        if too_big {
            self.demote_chains();
        }
    }

    fn demote_chains(&mut self) {
        self.shortcut = false;
        let (ordered, policy) = (self.ordered(), self.rules.eviction);
        for b in self.chains.take_all() {
            let e = Entry {
                tokens: b.tokens,
                created: b.created,
                visible_at: b.visible_at,
                expires: b.expires,
                used_rank: b.rank,
                // Only LRU caches keep chain records, and LRU ignores use counts.
                uses: 1,
                owner: b.owner,
                tier: 0,
            };
            if ordered {
                self.order.insert(e.eviction_key(policy, b.hash));
            }
            self.tokens += b.tokens;
            self.entries.insert(b.hash, e);
        }
    }

    /// Evicts the front of the LRU order, a per-block entry or the fewest
    /// deepest blocks of a chain, to make room for `need` tokens. False when
    /// the order is empty or its front is the chain `spare`.
    pub(super) fn evict_front(&mut self, now: SimTime, need: u64, spare: Option<u64>) -> bool {
        let entry = self.order.first().copied();
        let chain = self.chains.first().filter(|c| entry.is_none_or(|e| c.0 < e.0));
        match (chain, entry) {
            (Some((_, key)), _) => {
                if spare == Some(key) {
                    return false;
                }
                let cap = self.rules.capacity_tokens.unwrap_or(u64::MAX);
                let deficit = (self.tokens() + need).saturating_sub(cap);
                let (stored, track) = (&mut self.stored, self.track_storage);
                self.chains.evict(key, deficit, now, |_, span| {
                    if track {
                        stored.push(span);
                    }
                });
                true
            }
            (None, Some(e)) => {
                self.remove(e.2, now);
                true
            }
            (None, None) => false,
        }
    }

    /// Evicts until `need` tokens fit; false if the order ran out or reached `spare`.
    fn make_room(&mut self, now: SimTime, need: u64, spare: Option<u64>) -> bool {
        let cap = self.rules.capacity_tokens.unwrap_or(u64::MAX);
        while self.tokens() + need > cap {
            if !self.evict_front(now, need, spare) {
                return false;
            }
        }
        true
    }

    /// The per-block walk over a private chain in a bounded LRU
    /// cache (see the module docs); block `i` takes rank `top_rank - i`.
    pub(super) fn write_bounded_chain(
        &mut self,
        at: WriteTimes,
        mut private: &[Block],
        base: u64,
        owner: u32,
        top_rank: u64,
    ) {
        let (Some(first), Some(last)) = (private.first(), private.last()) else { return };
        let (key, last, checked_blocks) = (first.hash, last.end_tokens, private.len());
        let stored = self.chains.len_of(key).min(private.len());
        let before = if stored == 0 { base } else { private[stored - 1].end_tokens };
        let expires = self.lifetime_end(at.visible_at, at.ttl_from, 0);
        let track = self.track_storage;
        if !self.make_room(at.now, last - before, Some(key)) {
            let stored_spans = &mut self.stored;
            self.chains.evict(key, u64::MAX, at.now, |_, span| {
                if track {
                    stored_spans.push(span);
                }
            });
            if !self.make_room(at.now, last - base, None) {
                let room = self.rules.capacity_tokens.unwrap_or(u64::MAX) - self.tokens();
                let fits = private.partition_point(|b| b.end_tokens - base <= room);
                if track {
                    // Stored, then evicted by the request's shallower blocks, deepest first.
                    for (i, b) in private.iter().enumerate().skip(fits).rev() {
                        let parent_end = if i == 0 { base } else { private[i - 1].end_tokens };
                        let created = at.visible_at;
                        let stored = at.now.min(expires) - created;
                        self.stored.push(StoredSpan { owner, tokens: b.end_tokens - parent_end, created, stored });
                    }
                }
                private = &private[..fits];
            }
        }
        let stored_spans = &mut self.stored;
        self.chains.write(private, base, at.now, expires, at.visible_at, owner, top_rank, |_, span| {
            if track {
                stored_spans.push(span);
            }
        });
        // `ensure_chains_fit` checked every block of the request.
        self.chains.set_fitting(key, checked_blocks);
    }
}
