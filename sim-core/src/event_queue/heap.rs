//! An implicit 4-ary min-heap of events over a `Vec`, keyed by one `u128`
//! (`time << 64 | seq`), so one integer comparison orders both time and ties.
//!
//! Four children per node halve the depth of a binary heap, and the children
//! of a node share a cache line or two. Free functions over a `Vec` so the
//! queue can hand whole buckets of events to a heap without copying them.

/// One scheduled event: `key` is `time << 64 | seq`.
pub(super) struct Entry<E> {
    pub(super) key: u128,
    pub(super) event: E,
}

impl<E> Entry<E> {
    pub(super) fn time(&self) -> u64 {
        (self.key >> 64) as u64
    }
}

/// Children per node.
const ARITY: usize = 4;

/// Adds `entry`: it swaps with its parent until it fits.
pub(super) fn push<E>(heap: &mut Vec<Entry<E>>, entry: Entry<E>) {
    let key = entry.key;
    let mut i = heap.len();
    heap.push(entry);
    while i > 0 {
        let parent = (i - 1) / ARITY;
        if heap[parent].key <= key {
            break;
        }
        heap.swap(i, parent);
        i = parent;
    }
}

/// Removes the smallest entry.
pub(super) fn pop<E>(heap: &mut Vec<Entry<E>>) -> Option<Entry<E>> {
    let last = heap.pop()?;
    if heap.is_empty() {
        return Some(last);
    }
    let top = std::mem::replace(&mut heap[0], last);
    sift_down(heap, 0);
    Some(top)
}

/// Orders an arbitrary vector as a heap in linear time (Floyd).
pub(super) fn heapify<E>(heap: &mut [Entry<E>]) {
    if heap.len() < 2 {
        return;
    }
    for i in (0..=(heap.len() - 2) / ARITY).rev() {
        sift_down(heap, i);
    }
}

/// Moves entry `i` down to its place below it.
fn sift_down<E>(heap: &mut [Entry<E>], mut i: usize) {
    let n = heap.len();
    let key = heap[i].key;
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

#[cfg(test)]
mod tests {
    use super::*;
    use rand::{Rng, SeedableRng};

    fn drain(mut heap: Vec<Entry<()>>) -> Vec<u128> {
        std::iter::from_fn(|| pop(&mut heap).map(|e| e.key)).collect()
    }

    #[test]
    fn heapify_then_pop_gives_sorted_keys() {
        let mut rng = rand_pcg::Pcg64Mcg::seed_from_u64(3);
        for n in [0usize, 1, 2, 3, 4, 5, 6, 17, 64, 1000] {
            let mut keys: Vec<u128> =
                (0..n).map(|_| u128::from(rng.random_range(0..50u64)) << 64 | rng.random::<u64>() as u128).collect();
            let mut heap: Vec<Entry<()>> = keys.iter().map(|&key| Entry { key, event: () }).collect();
            heapify(&mut heap);
            keys.sort_unstable();
            assert_eq!(drain(heap), keys, "n = {n}");
        }
    }

    #[test]
    fn pushes_then_pops_give_sorted_keys() {
        let mut heap = Vec::new();
        for key in [5u128, 1, 9, 3, 3 << 64, 2, 7] {
            push(&mut heap, Entry { key, event: () });
        }
        assert_eq!(drain(heap), vec![1, 2, 3, 5, 7, 9, 3 << 64]);
    }
}
