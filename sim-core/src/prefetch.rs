//! A hint to the processor to start loading an item into its cache: the one
//! place sim-core uses `unsafe`, enforced by `tests/layering.rs`.
//!
//! With tens of thousands of live sessions the engine's state outgrows the
//! processor's caches, and each event handler first waits on main memory for
//! its session. The main loop knows the next event before it handles the
//! current one, so it asks for the next session's memory early and the wait
//! overlaps the current event's work (docs/performance.md has the figures).
//! A prefetch changes no value and no order: results are the same with or
//! without it, on every platform (elsewhere than x86-64 it does nothing).

/// Asks for every cache line of `item` to be loaded.
#[inline]
pub fn prefetch<T>(item: &T) {
    #[cfg(target_arch = "x86_64")]
    {
        let start = (item as *const T).cast::<i8>();
        for offset in (0..std::mem::size_of::<T>()).step_by(64) {
            // SAFETY: a prefetch reads nothing into the program and cannot
            // fault; the address is inside `item`, a live reference.
            #[allow(unsafe_code)]
            unsafe {
                std::arch::x86_64::_mm_prefetch::<{ std::arch::x86_64::_MM_HINT_T0 }>(start.wrapping_add(offset));
            }
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = item;
}
