//! A slab of live items addressed by small integer ids that are reused once
//! freed, so memory follows the number of live sessions, not the total.
//! Each slot also counts generations across its occupants, so an event
//! scheduled for one occupant can never be taken for a later one. A freed
//! slot keeps its last occupant, unreachable, so the next one can be built
//! in place over it ([`Slab::insert_in_place`]) instead of being built
//! elsewhere and moved in.

#[derive(Clone, Debug)]
struct Slot<T> {
    live: bool,
    item: T,
}

#[derive(Clone, Debug)]
pub struct Slab<T> {
    slots: Vec<Slot<T>>,
    free: Vec<u32>,
    /// Per slot; not reset when the slot is reused.
    generations: Vec<u32>,
}

impl<T> Default for Slab<T> {
    fn default() -> Self {
        Slab { slots: Vec::new(), free: Vec::new(), generations: Vec::new() }
    }
}

impl<T> Slab<T> {
    /// Inserts `item`, dropping a free slot's former occupant if it takes one.
    #[inline(always)]
    pub fn insert(&mut self, item: T) -> u32 {
        match self.free.pop() {
            Some(id) => {
                self.slots[id as usize] = Slot { live: true, item };
                id
            }
            None => self.push(item),
        }
    }

    /// Inserts an item built in place by `fill`: over a free slot's former
    /// occupant when there is one (so nothing large is moved), else over
    /// `vacant()`. `fill` must set every field.
    #[inline(always)]
    pub fn insert_in_place(&mut self, vacant: impl FnOnce() -> T, fill: impl FnOnce(&mut T)) -> u32 {
        let id = match self.free.pop() {
            Some(id) => id,
            None => self.push(vacant()),
        };
        let slot = &mut self.slots[id as usize];
        fill(&mut slot.item);
        // Readable only once built (a `fill` that panicked leaves it free).
        slot.live = true;
        id
    }

    fn push(&mut self, item: T) -> u32 {
        self.slots.push(Slot { live: true, item });
        self.generations.push(0);
        (self.slots.len() - 1) as u32
    }

    /// Frees slot `id`. Its occupant stays in place, unreachable, for the
    /// next [`Slab::insert_in_place`] to reuse.
    pub fn discard(&mut self, id: u32) {
        let slot = &mut self.slots[id as usize];
        assert!(slot.live, "slab id is live");
        slot.live = false;
        // The next occupant starts past every generation of this one.
        self.next_generation(id);
        self.free.push(id);
    }

    /// Starts loading slot `id` into the processor's cache (a hint; see
    /// [`crate::prefetch`]).
    pub fn prefetch(&self, id: u32) {
        if let Some(slot) = self.slots.get(id as usize) {
            crate::prefetch::prefetch(slot);
        }
    }

    pub fn get(&self, id: u32) -> &T {
        let slot = &self.slots[id as usize];
        assert!(slot.live, "slab id is live");
        &slot.item
    }

    pub fn get_mut(&mut self, id: u32) -> &mut T {
        let slot = &mut self.slots[id as usize];
        assert!(slot.live, "slab id is live");
        &mut slot.item
    }

    /// Starts a new generation of slot `id` and returns it. Generations run
    /// on across occupants (wrapping after 2^32 in one slot).
    pub fn next_generation(&mut self, id: u32) -> u32 {
        let g = &mut self.generations[id as usize];
        *g = g.wrapping_add(1);
        *g
    }

    pub fn generation(&self, id: u32) -> u32 {
        self.generations[id as usize]
    }

    /// The item in slot `id` if it is live and still at `generation`.
    pub fn current(&self, id: u32, generation: u32) -> Option<&T> {
        let slot = &self.slots[id as usize];
        (slot.live && self.generations[id as usize] == generation).then_some(&slot.item)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_reused_after_removal() {
        let mut s = Slab::default();
        let a = s.insert('a');
        let b = s.insert('b');
        s.discard(a);
        let c = s.insert('c');
        assert_eq!(c, a);
        assert_eq!((*s.get(b), *s.get(c)), ('b', 'c'));
        s.discard(b);
        assert_eq!(s.current(b, 1), None);
        assert_eq!(s.insert('d'), b);
    }

    #[test]
    fn in_place_inserts_build_over_the_former_occupant() {
        let mut s: Slab<Vec<u32>> = Slab::default();
        let a = s.insert_in_place(Vec::new, |v| v.push(1));
        assert_eq!(s.get(a), &[1]);
        s.get_mut(a).reserve(100);
        let capacity = s.get(a).capacity();
        s.discard(a);
        // The freed occupant is handed back as it was left: its buffer too.
        let b = s.insert_in_place(Vec::new, |v| {
            assert_eq!(v.as_slice(), &[1]);
            v.clear();
            v.push(2);
        });
        assert_eq!(b, a);
        assert_eq!((s.get(b).as_slice(), s.get(b).capacity()), (&[2][..], capacity));
        let c = s.insert_in_place(|| vec![9], |v| v.push(3));
        assert_eq!(s.get(c), &[9, 3]);
    }

    #[test]
    #[should_panic(expected = "slab id is live")]
    fn a_freed_slot_is_not_readable() {
        let mut s = Slab::default();
        let a = s.insert('a');
        s.discard(a);
        s.get(a);
    }

    #[test]
    fn a_generation_of_a_former_occupant_is_never_current() {
        let mut s = Slab::default();
        let a = s.insert('a');
        assert_eq!(s.next_generation(a), 1);
        assert_eq!(s.current(a, 1), Some(&'a'));
        s.discard(a);
        assert_eq!(s.current(a, 1), None);
        let b = s.insert('b');
        assert_eq!(b, a);
        // The new occupant is never at its predecessor's generation.
        assert_eq!(s.current(b, 1), None);
        assert_eq!(s.next_generation(b), 3);
        assert_eq!((s.current(b, 1), s.current(b, 3)), (None, Some(&'b')));
    }
}
