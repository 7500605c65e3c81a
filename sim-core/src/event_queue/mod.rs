//! The future event list, ordered by `(time, seq)`.
//!
//! Ordering guarantee: events pop in increasing time; events scheduled for the
//! same instant pop in the order they were scheduled (first in, first out).
//! Events may not be scheduled before the last popped instant (the clock never
//! goes backwards).
//!
//! Implementation: an implicit 4-ary min-heap keyed `(time, seq)` packed in
//! one `u128` (`heap.rs`). It replaced a radix heap: with agent workloads'
//! spread-out times (think times, arrivals hours apart) the radix heap moved
//! each event through many buckets, and its refill was the engine's largest
//! cost. From `CALENDAR_FROM` pending events (one think timer per live session
//! in a large run), one heap of all of them is several cache misses deep, so
//! the heap then holds only the current time bucket's events and the later
//! ones wait unsorted in a calendar of buckets (`far.rs`), each heapified when
//! the clock reaches it. The calendar ends when no event waits after the
//! current bucket (the heap alone again until the queue regrows). A test
//! checks the queue against a `BTreeMap` keyed `(time, seq)`, calendar and all.

mod far;
mod heap;

use crate::time::SimTime;
use far::Far;
use heap::Entry;

/// Pending events from which the later ones wait in the calendar.
const CALENDAR_FROM: usize = 4096;

/// A monotone min-priority queue of events with FIFO ties.
pub struct EventQueue<E> {
    /// The heap of the events before `horizon`; never empty while events wait.
    near: Vec<Entry<E>>,
    /// The events from `horizon` on (only while the calendar runs).
    far: Far<E>,
    /// The first instant whose events go to `far`: past `u64::MAX` when the
    /// current bucket is the last, `u128::MAX` when no calendar runs.
    horizon: u128,
    /// Pending events from which the calendar starts.
    calendar_from: usize,
    /// Pops since the calendar's bucket width was last chosen.
    pops_since_sizing: usize,
    /// The scheduling counter: the next event's tie-breaker.
    seq: u64,
    /// The last popped time; earlier times are refused.
    last: u64,
}

impl<E> std::fmt::Debug for EventQueue<E> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("EventQueue").field("len", &self.len()).field("calendar", &self.calendar()).finish()
    }
}

impl<E> Default for EventQueue<E> {
    fn default() -> Self {
        Self::new()
    }
}

impl<E> EventQueue<E> {
    pub fn new() -> Self {
        Self::with_calendar_from(CALENDAR_FROM)
    }

    /// A queue whose calendar starts at `pending` events (tests use small ones).
    fn with_calendar_from(pending: usize) -> Self {
        EventQueue {
            near: Vec::new(),
            far: Far::new(),
            horizon: u128::MAX,
            calendar_from: pending.max(2),
            pops_since_sizing: 0,
            seq: 0,
            last: 0,
        }
    }

    /// Schedules `event` at `time`, which must not precede the last popped time.
    pub fn push(&mut self, time: SimTime, event: E) {
        let t = time.as_micros();
        assert!(t >= self.last, "event scheduled in the past: {t} < {}", self.last);
        let key = (u128::from(t) << 64) | u128::from(self.seq);
        self.seq += 1;
        let entry = Entry { key, event };
        if u128::from(t) >= self.horizon {
            self.far.insert(entry);
            return;
        }
        heap::push(&mut self.near, entry);
        if !self.calendar() && self.near.len() >= self.calendar_from {
            self.start_calendar();
        }
    }

    pub fn pop(&mut self) -> Option<(SimTime, E)> {
        let top = heap::pop(&mut self.near)?;
        self.last = top.time();
        if self.calendar() {
            self.pops_since_sizing += 1;
            if self.near.is_empty() {
                self.refill();
            }
        }
        Some((SimTime::from_micros(self.last), top.event))
    }

    /// Loads the next bucket into the emptied heap, re-sizing the buckets
    /// when it is far fuller than they were sized for: the width was chosen
    /// while the queue was smaller. Re-sizing costs a pass over the queue, so
    /// it happens at most once per queue length of pops.
    fn refill(&mut self) {
        if self.load_next() && self.near.len() > 16 * far::TARGET_PER_BUCKET && self.pops_since_sizing >= self.len() {
            self.far.drain_into(&mut self.near);
            self.start_calendar();
        }
    }

    /// Loads the next bucket into the empty heap; ends the calendar when no
    /// event waits.
    fn load_next(&mut self) -> bool {
        let loaded = self.far.advance(&mut self.near);
        self.horizon = if loaded { self.far.horizon() } else { u128::MAX };
        loaded
    }

    /// Moves the events after the current bucket into a new calendar.
    fn start_calendar(&mut self) {
        let shift = far::width_for(&self.near, self.last);
        self.far.start(shift, self.last);
        self.horizon = self.far.horizon();
        let mut kept = Vec::new();
        for entry in self.near.drain(..) {
            if u128::from(entry.time()) < self.horizon {
                kept.push(entry);
            } else {
                self.far.insert(entry);
            }
        }
        heap::heapify(&mut kept);
        self.near = kept;
        self.pops_since_sizing = 0;
        if self.near.is_empty() {
            self.load_next();
        }
    }

    /// Whether later events wait in the calendar (a bucket's horizon, even
    /// the last one's, is below `u128::MAX`).
    fn calendar(&self) -> bool {
        self.horizon != u128::MAX
    }

    /// The next event to pop, if any.
    pub fn peek(&self) -> Option<&E> {
        self.near.first().map(|e| &e.event)
    }

    pub fn peek_time(&mut self) -> Option<SimTime> {
        self.near.first().map(|e| SimTime::from_micros(e.time()))
    }

    pub fn len(&self) -> usize {
        self.near.len() + self.far.len()
    }

    pub fn is_empty(&self) -> bool {
        self.near.is_empty()
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

    /// Random pushes and pops against a `BTreeMap` keyed `(time, seq)`:
    /// `far` is the chance of a time up to `far_range` µs ahead, `spread` the
    /// range of the others (many exact ties when small).
    fn check_against_shadow(mut q: EventQueue<u32>, seed: u64, push_p: f64, spread: u64, (far, far_range): (f64, u64)) {
        let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(seed);
        let mut shadow: BTreeMap<(u64, u64), u32> = BTreeMap::new();
        let (mut seq, mut now) = (0u64, 0u64);
        for i in 0..200_000u32 {
            if rng.random_bool(push_p) {
                let dt =
                    if rng.random_bool(far) { rng.random_range(0..far_range) } else { rng.random_range(0..spread) };
                q.push(SimTime::from_micros(now + dt), i);
                shadow.insert((now + dt, seq), i);
                seq += 1;
            } else {
                let expect = shadow.pop_first().map(|((t, _), e)| (SimTime::from_micros(t), e));
                assert_eq!(q.peek_time(), expect.map(|(t, _)| t));
                assert_eq!(q.peek().copied(), expect.map(|(_, e)| e));
                let got = q.pop();
                assert_eq!(got, expect, "pop {i}");
                if let Some((t, _)) = got {
                    now = t.as_micros();
                }
            }
            assert_eq!(q.len(), shadow.len());
            assert_eq!(q.is_empty(), shadow.is_empty());
        }
        // Then drain, reaching the far outliers.
        let expect: Vec<(SimTime, u32)> =
            std::mem::take(&mut shadow).into_iter().map(|((t, _), e)| (SimTime::from_micros(t), e)).collect();
        let got: Vec<(SimTime, u32)> = std::iter::from_fn(|| q.pop()).collect();
        assert_eq!(got, expect);
        assert_eq!((q.is_empty(), q.len()), (true, 0));
    }

    #[test]
    fn matches_btreemap_shadow_under_random_operations() {
        check_against_shadow(EventQueue::new(), 1, 0.55, 8, (0.1, 1 << 40));
    }

    #[test]
    fn the_calendar_keeps_the_order_whatever_the_times() {
        // Small thresholds start, re-size and end calendars thousands of
        // times: bursts of ties, times spread over microseconds or hours,
        // outliers beyond the ring's window, a queue that grows and one that
        // drains.
        let cases = [
            (0.55, 8, (0.1, 1 << 40)),
            (0.55, 1 << 24, (0.01, 1 << 40)),
            (0.5, 1 << 16, (0.0, 1)),
            (0.6, 2, (0.0, 1)),
            (0.45, 1 << 30, (0.3, 1 << 40)),
            (0.52, 1 << 10, (0.05, 1 << 26)),
            (0.5, 1 << 12, (0.2, 1 << 22)),
        ];
        for (k, &(push_p, spread, far)) in cases.iter().enumerate() {
            for from in [2, 16, 300, 5000] {
                check_against_shadow(EventQueue::with_calendar_from(from), 10 + k as u64, push_p, spread, far);
            }
        }
    }

    #[test]
    fn times_up_to_the_last_microsecond_keep_their_order() {
        // Pushes after pops reach the last buckets, whose horizon is past u64::MAX.
        let near_end = [u64::MAX, u64::MAX - 1, 1 << 62, u64::MAX, 7, u64::MAX - (1 << 40), 7];
        let later = [u64::MAX, u64::MAX - 3, u64::MAX];
        for from in [2, 3, CALENDAR_FROM] {
            let mut q = EventQueue::with_calendar_from(from);
            let mut shadow = BTreeMap::new();
            let mut seq = 0;
            let mut push = |q: &mut EventQueue<u64>, t: u64| {
                q.push(SimTime::from_micros(t), seq);
                shadow.insert((t, seq), seq);
                seq += 1;
            };
            for &t in &near_end {
                push(&mut q, t);
            }
            for _ in 0..4 {
                q.pop();
            }
            for &t in &later {
                push(&mut q, t);
            }
            let expect: Vec<u64> = shadow.into_values().skip(4).collect();
            let got: Vec<u64> = std::iter::from_fn(|| q.pop().map(|(_, e)| e)).collect();
            assert_eq!(got, expect, "calendar from {from}");
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
