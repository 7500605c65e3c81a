//! The future event list, ordered by `(time, seq)`.
//!
//! Ordering guarantee: events pop in increasing time; events scheduled for the
//! same instant pop in the order they were scheduled (first in, first out).
//! Events may not be scheduled before the last popped instant (the clock never
//! goes backwards).
//!
//! Implementation: an implicit 4-ary min-heap keyed `(time, seq)`, packed in
//! one `u128` (time in the high half, a per-queue scheduling counter in the
//! low half), so one integer comparison orders both time and ties. It
//! replaced a radix heap: with agent workloads' spread-out times (think
//! times, arrivals hours apart) the radix heap moved each event through many
//! buckets, and its refill was the engine's largest cost; the heap, a few
//! hundred to a few thousand events deep, does a handful of comparisons per
//! operation over one contiguous array. Four children per node halve the
//! depth of a binary heap, and the children of a node share a cache line or
//! two. A test checks it against a `BTreeMap` keyed `(time, seq)`.

use crate::time::SimTime;

/// One scheduled event: `key` is `time << 64 | seq`.
struct Entry<E> {
    key: u128,
    event: E,
}

/// Children per node.
const ARITY: usize = 4;

/// A monotone min-priority queue of events with FIFO ties.
pub struct EventQueue<E> {
    heap: Vec<Entry<E>>,
    /// The scheduling counter: the next event's tie-breaker.
    seq: u64,
    /// The last popped time; earlier times are refused.
    last: u64,
}

impl<E> std::fmt::Debug for EventQueue<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventQueue").field("len", &self.heap.len()).finish()
    }
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> EventQueue<E> {
    pub fn new() -> Self {
        EventQueue { heap: Vec::new(), seq: 0, last: 0 }
    }

    /// Schedules `event` at `time`, which must not precede the last popped time.
    pub fn push(&mut self, time: SimTime, event: E) {
        let t = time.as_micros();
        assert!(t >= self.last, "event scheduled in the past: {t} < {}", self.last);
        let key = (u128::from(t) << 64) | u128::from(self.seq);
        self.seq += 1;
        // Sift up: the new entry swaps with its parent until it fits.
        let mut i = self.heap.len();
        self.heap.push(Entry { key, event });
        while i > 0 {
            let parent = (i - 1) / ARITY;
            if self.heap[parent].key <= key {
                break;
            }
            self.heap.swap(i, parent);
            i = parent;
        }
    }

    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        let last = self.heap.pop()?;
        let top = if self.heap.is_empty() {
            last
        } else {
            let top = std::mem::replace(&mut self.heap[0], last);
            self.sift_down();
            top
        };
        let t = (top.key >> 64) as u64;
        self.last = t;
        Some((SimTime::from_micros(t), top.event))
    }

    /// Moves the root down to its place.
    fn sift_down(&mut self) {
        let heap = self.heap.as_mut_slice();
        let n = heap.len();
        let key = heap[0].key;
        let mut i = 0;
        loop {
            let first = i * ARITY + 1;
            if first >= n {
                break;
            }
            // The smallest child (keys are unique: no ties to break). A full
            // set of children, the common case, is compared without bounds
            // checks in the loop.
            let (best, best_key) = if first + ARITY <= n {
                let c = &heap[first..first + ARITY];
                let (mut b, mut bk) = (0, c[0].key);
                for (j, e) in c.iter().enumerate().skip(1) {
                    if e.key < bk {
                        b = j;
                        bk = e.key;
                    }
                }
                (first + b, bk)
            } else {
                let mut b = first;
                let mut bk = heap[first].key;
                for (j, e) in heap.iter().enumerate().take(n).skip(first + 1) {
                    if e.key < bk {
                        b = j;
                        bk = e.key;
                    }
                }
                (b, bk)
            };
            if key <= best_key {
                break;
            }
            heap.swap(i, best);
            i = best;
        }
    }

    /// The next event to pop, if any.
    pub fn peek(&self) -> Option<&E> {
        self.heap.first().map(|e| &e.event)
    }

    pub fn peek_time(&mut self) -> Option<SimTime> {
        self.heap.first().map(|e| SimTime::from_micros((e.key >> 64) as u64))
    }

    pub fn len(&self) -> usize {
        self.heap.len()
    }

    pub fn is_empty(&self) -> bool {
        self.heap.is_empty()
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};
    use std::collections::BTreeMap;

    #[test]
    fn equal_times_pop_first_in_first_out() {
        let mut q = EventQueue::new();
        let t = SimTime::from_micros(5);
        for i in 0..100 {
            q.push(t, i);
        }
        q.push(SimTime::from_micros(1), -1);
        assert_eq!(q.pop(), Some((SimTime::from_micros(1), -1)));
        let order: Vec<i32> = std::iter::from_fn(|| q.pop().map(|(_, e)| e)).collect();
        assert_eq!(order, (0..100).collect::<Vec<_>>());
    }

    #[test]
    fn matches_btreemap_shadow_under_random_operations() {
        let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(1);
        let mut q = EventQueue::new();
        let mut shadow: BTreeMap<(u64, u64), u32> = BTreeMap::new();
        let (mut seq, mut now) = (0u64, 0u64);
        for i in 0..200_000u32 {
            if rng.random_bool(0.55) {
                // Mostly near-future times with many exact ties, some far ones.
                let dt = if rng.random_bool(0.9) { rng.random_range(0..8u64) } else { rng.random_range(0..1u64 << 40) };
                q.push(SimTime::from_micros(now + dt), i);
                shadow.insert((now + dt, seq), i);
                seq += 1;
            } else {
                let expect = shadow.pop_first().map(|((t, _), e)| (SimTime::from_micros(t), e));
                let got = q.pop();
                assert_eq!(got, expect);
                if let Some((t, _)) = got {
                    now = t.as_micros();
                }
            }
            assert_eq!(q.len(), shadow.len());
        }
    }

    #[test]
    fn peek_does_not_disturb_order() {
        let mut q = EventQueue::new();
        q.push(SimTime::from_micros(9), 'a');
        q.push(SimTime::from_micros(3), 'b');
        q.push(SimTime::from_micros(3), 'c');
        assert_eq!(q.peek_time(), Some(SimTime::from_micros(3)));
        assert_eq!(q.pop(), Some((SimTime::from_micros(3), 'b')));
        assert_eq!(q.pop(), Some((SimTime::from_micros(3), 'c')));
        assert_eq!(q.pop(), Some((SimTime::from_micros(9), 'a')));
        assert_eq!(q.pop(), None);
    }
}
