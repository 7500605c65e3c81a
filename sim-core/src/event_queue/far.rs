//! The far future of a large event queue: a calendar of time buckets.
//!
//! With tens of thousands of pending events (one think timer per live
//! session), one heap of all of them is several cache misses deep on every
//! pop. The queue instead keeps only the events of the current time bucket
//! in its heap; later ones wait here, unsorted, each in the bucket of its
//! time (`time >> shift`) in a ring of `RING` buckets, and those beyond the
//! ring's window in an overflow heap. A bucket is heapified only when the
//! clock reaches it, so most events cost an append and a place in a small
//! heap. Where events wait changes no order: every pop is still the smallest
//! `(time, seq)` of all (the queue's tests check it against a `BTreeMap`).

use super::heap::{self, Entry};

/// Buckets in the ring: the window ahead of the current bucket.
pub(super) const RING: usize = 4096;
const MASK: u64 = RING as u64 - 1;

/// Events per bucket the bucket width is sized for.
pub(super) const TARGET_PER_BUCKET: usize = 64;

/// Events waiting after the current bucket.
pub(super) struct Far<E> {
    /// log2 of the bucket width in microseconds.
    shift: u32,
    /// The bucket whose events are in the queue's heap.
    current: u64,
    /// Bucket `b` (`current < b < current + RING`) is `ring[b & MASK]`;
    /// empty until the calendar is first used.
    ring: Vec<Vec<Entry<E>>>,
    /// Which ring buckets hold events.
    occupied: Vec<u64>,
    in_ring: usize,
    /// Events of buckets `>= current + RING`, as a heap.
    overflow: Vec<Entry<E>>,
    /// Emptied bucket vectors, reused by the next buckets to fill. An empty
    /// bucket keeps no capacity: a ring bucket is idle for most of a turn
    /// of the ring, so kept capacities would cost memory for every bucket.
    spare: Vec<Vec<Entry<E>>>,
}

/// Emptied bucket vectors kept for reuse, and the largest capacity kept.
const SPARE: usize = 64;
const SPARE_CAPACITY: usize = 4 * TARGET_PER_BUCKET;

impl<E> Far<E> {
    pub(super) fn new() -> Self {
        Far {
            shift: 0,
            current: 0,
            ring: Vec::new(),
            occupied: vec![0; RING / 64],
            in_ring: 0,
            overflow: Vec::new(),
            spare: Vec::new(),
        }
    }

    pub(super) fn len(&self) -> usize {
        self.in_ring + self.overflow.len()
    }

    /// The first instant after the current bucket (past `u64::MAX` for the last).
    pub(super) fn horizon(&self) -> u128 {
        (u128::from(self.current) + 1) << self.shift
    }

    /// Starts a calendar of buckets `2^shift` wide whose current bucket holds `now`.
    pub(super) fn start(&mut self, shift: u32, now: u64) {
        debug_assert_eq!(self.len(), 0, "a calendar restarts empty");
        if self.ring.is_empty() {
            self.ring.resize_with(RING, Vec::new);
        }
        self.shift = shift;
        self.current = now >> shift;
    }

    /// Files an event at or after `horizon()`.
    pub(super) fn insert(&mut self, entry: Entry<E>) {
        let b = entry.time() >> self.shift;
        debug_assert!(b > self.current, "the current bucket's events go to the heap");
        if b - self.current < RING as u64 {
            let slot = (b & MASK) as usize;
            let bucket = &mut self.ring[slot];
            if bucket.capacity() == 0
                && let Some(spare) = self.spare.pop()
            {
                *bucket = spare;
            }
            bucket.push(entry);
            self.occupied[slot / 64] |= 1 << (slot % 64);
            self.in_ring += 1;
        } else {
            heap::push(&mut self.overflow, entry);
        }
    }

    /// Moves the next non-empty bucket's events into `near` (empty), which
    /// becomes their heap, and makes that bucket the current one. Returns
    /// false when no event waits.
    pub(super) fn advance(&mut self, near: &mut Vec<Entry<E>>) -> bool {
        debug_assert!(near.is_empty());
        let next_ring = self.next_occupied();
        let next_overflow = self.overflow.first().map(|e| e.time() >> self.shift);
        let Some(b) = next_ring.into_iter().chain(next_overflow).min() else { return false };
        self.current = b;
        if next_ring == Some(b) {
            let slot = (b & MASK) as usize;
            let emptied = std::mem::replace(near, std::mem::take(&mut self.ring[slot]));
            self.occupied[slot / 64] &= !(1 << (slot % 64));
            self.in_ring -= near.len();
            // Vectors grown by an outsized bucket are let go, or they
            // would circulate through the ring for ever.
            if self.spare.len() < SPARE && emptied.capacity() <= SPARE_CAPACITY {
                self.spare.push(emptied);
            }
        }
        // The window moved: overflow events now inside it take their buckets.
        while let Some(ob) = self.overflow.first().map(|e| e.time() >> self.shift) {
            if ob - b >= RING as u64 {
                break;
            }
            let entry = heap::pop(&mut self.overflow).expect("non-empty");
            if ob == b {
                near.push(entry);
            } else {
                self.insert(entry);
            }
        }
        heap::heapify(near);
        true
    }

    /// The first ring bucket after `current` that holds events.
    fn next_occupied(&self) -> Option<u64> {
        if self.in_ring == 0 {
            return None;
        }
        let start = ((self.current + 1) & MASK) as usize;
        let words = self.occupied.len();
        // One more word than the ring has, to see the low bits of the first.
        for i in 0..=words {
            let w = (start / 64 + i) % words;
            let mut bits = self.occupied[w];
            if i == 0 {
                bits &= !0u64 << (start % 64);
            }
            if bits != 0 {
                let slot = (w * 64 + bits.trailing_zeros() as usize) as u64;
                return Some(self.current + 1 + (slot.wrapping_sub(start as u64) & MASK));
            }
        }
        unreachable!("in_ring counts events in occupied buckets")
    }

    /// Empties the calendar into `out`.
    pub(super) fn drain_into(&mut self, out: &mut Vec<Entry<E>>) {
        for bucket in &mut self.ring {
            out.append(bucket);
            *bucket = Vec::new();
        }
        out.append(&mut self.overflow);
        self.occupied.fill(0);
        self.in_ring = 0;
    }
}

/// The bucket width (log2, microseconds) that puts about
/// `TARGET_PER_BUCKET` of `entries` in each bucket near `now`: the nearer
/// half of them spread over their median distance.
pub(super) fn width_for<E>(entries: &[Entry<E>], now: u64) -> u32 {
    let mut ahead: Vec<u64> = entries.iter().map(|e| e.time() - now).collect();
    let half = ahead.len() / 2;
    if half == 0 {
        return 0;
    }
    let (_, &mut median, _) = ahead.select_nth_unstable(half);
    let width = (u128::from(median) * TARGET_PER_BUCKET as u128 / half as u128).max(1);
    let width = u64::try_from(width).unwrap_or(u64::MAX);
    // The next power of two, at most 2^40 µs (about 12 days).
    (u64::BITS - (width - 1).leading_zeros()).min(40)
}
