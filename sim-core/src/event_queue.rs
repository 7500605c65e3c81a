//! The future event list, ordered by `(time, seq)`.
//!
//! Ordering guarantee: events pop in increasing time; events scheduled for the
//! same instant pop in the order they were scheduled (first in, first out).
//! Events may not be scheduled before the last popped instant (the clock never
//! goes backwards).
//!
//! Implementation: a radix heap (Ahuja, Mehlhorn, Orlin, Tarjan 1990), which
//! exploits that monotonicity: push is O(1), pop amortised O(log range), and
//! ties need no sequence number in the key. Every event lives in bucket
//! `bit_length(time XOR last_popped_time)`; buckets are FIFO, and a bucket is
//! redistributed in order, so events with equal times always share a bucket
//! and keep their scheduling order. A test checks it against a `BTreeMap`
//! keyed `(time, seq)`.

use crate::time::SimTime;
use std::collections::VecDeque;

const BUCKETS: usize = 65;

/// A monotone min-priority queue of events with FIFO ties.
pub struct EventQueue<E> {
    buckets: Vec<VecDeque<(u64, E)>>,
    /// Bit `i` set when bucket `i` may be non-empty (exactly: set on push,
    /// cleared when a refill empties it), so a refill finds the lowest
    /// non-empty bucket with one instruction instead of a scan.
    occupied: u128,
    last: u64,
    len: usize,
}

impl<E> std::fmt::Debug for EventQueue<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventQueue").field("len", &self.len).finish()
    }
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

fn bucket_of(time: u64, last: u64) -> usize {
    (u64::BITS - (time ^ last).leading_zeros()) as usize
}

impl<E> EventQueue<E> {
    pub fn new() -> Self {
        EventQueue { buckets: (0..BUCKETS).map(|_| VecDeque::new()).collect(), occupied: 0, last: 0, len: 0 }
    }

    /// Schedules `event` at `time`, which must not precede the last popped time.
    pub fn push(&mut self, time: SimTime, event: E) {
        let t = time.as_micros();
        assert!(t >= self.last, "event scheduled in the past: {t} < {}", self.last);
        let b = bucket_of(t, self.last);
        self.buckets[b].push_back((t, event));
        self.occupied |= 1 << b;
        self.len += 1;
    }

    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        if !self.settle() {
            return None;
        }
        let (t, e) = self.buckets[0].pop_front().expect("settled");
        if self.buckets[0].is_empty() {
            self.occupied &= !1;
        }
        self.len -= 1;
        Some((SimTime::from_micros(t), e))
    }

    pub fn peek_time(&mut self) -> Option<SimTime> {
        if !self.settle() {
            return None;
        }
        self.buckets[0].front().map(|(t, _)| SimTime::from_micros(*t))
    }

    /// Brings the next event to the front of bucket 0; false when empty.
    fn settle(&mut self) -> bool {
        if self.len == 0 {
            return false;
        }
        if self.buckets[0].is_empty() {
            self.refill();
        }
        true
    }

    /// Moves the events of the lowest non-empty bucket to lower buckets,
    /// relative to their minimum time, which becomes `last`.
    fn refill(&mut self) {
        // Bucket 0 is empty (the caller checked): the lowest other set bit.
        let i = (self.occupied & !1).trailing_zeros() as usize;
        debug_assert!(i < BUCKETS && !self.buckets[i].is_empty(), "len > 0");
        let mut moving = std::mem::take(&mut self.buckets[i]);
        self.occupied &= !(1 << i);
        self.last = moving.iter().map(|(t, _)| *t).min().expect("non-empty bucket");
        for (t, e) in moving.drain(..) {
            // Every event lands in a bucket below `i` (they agree with the
            // new minimum on all bits above bit i - 1).
            let b = bucket_of(t, self.last);
            self.buckets[b].push_back((t, e));
            self.occupied |= 1 << b;
        }
        // Hand the emptied allocation back so the bucket does not reallocate.
        self.buckets[i] = moving;
    }

    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
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
