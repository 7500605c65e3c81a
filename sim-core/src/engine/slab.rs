//! A slab of live items addressed by small integer ids that are reused once
//! freed, so memory follows the number of live sessions, not the total.
//! Each slot also counts generations across its occupants, so an event
//! scheduled for one occupant can never be taken for a later one.

#[derive(Clone, Debug)]
pub struct Slab<T> {
    items: Vec<Option<T>>,
    free: Vec<u32>,
    /// Per slot; not reset when the slot is reused.
    generations: Vec<u32>,
}

impl<T> Default for Slab<T> {
    fn default() -> Self {
        Slab { items: Vec::new(), free: Vec::new(), generations: Vec::new() }
    }
}

impl<T> Slab<T> {
    #[inline(always)]
    pub fn insert(&mut self, item: T) -> u32 {
        match self.free.pop() {
            Some(id) => {
                self.items[id as usize] = Some(item);
                id
            }
            None => {
                self.items.push(Some(item));
                self.generations.push(0);
                (self.items.len() - 1) as u32
            }
        }
    }

    pub fn remove(&mut self, id: u32) -> T {
        let item = self.items[id as usize].take().expect("slab id is live");
        // The next occupant starts past every generation of this one.
        self.next_generation(id);
        self.free.push(id);
        item
    }

    /// [`Slab::remove`] without returning the item: it is dropped in place,
    /// not moved out first.
    pub fn discard(&mut self, id: u32) {
        let slot = &mut self.items[id as usize];
        assert!(slot.is_some(), "slab id is live");
        *slot = None;
        self.next_generation(id);
        self.free.push(id);
    }

    /// Starts loading slot `id` into the processor's cache (a hint; see
    /// [`crate::prefetch`]).
    pub fn prefetch(&self, id: u32) {
        if let Some(slot) = self.items.get(id as usize) {
            crate::prefetch::prefetch(slot);
        }
    }

    pub fn get(&self, id: u32) -> &T {
        self.items[id as usize].as_ref().expect("slab id is live")
    }

    pub fn get_mut(&mut self, id: u32) -> &mut T {
        self.items[id as usize].as_mut().expect("slab id is live")
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
        let item = self.items[id as usize].as_ref()?;
        (self.generations[id as usize] == generation).then_some(item)
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
        assert_eq!(s.remove(a), 'a');
        let c = s.insert('c');
        assert_eq!(c, a);
        assert_eq!((*s.get(b), *s.get(c)), ('b', 'c'));
        s.discard(b);
        assert_eq!(s.current(b, 1), None);
        assert_eq!(s.insert('d'), b);
    }

    #[test]
    fn a_generation_of_a_former_occupant_is_never_current() {
        let mut s = Slab::default();
        let a = s.insert('a');
        assert_eq!(s.next_generation(a), 1);
        assert_eq!(s.current(a, 1), Some(&'a'));
        s.remove(a);
        assert_eq!(s.current(a, 1), None);
        let b = s.insert('b');
        assert_eq!(b, a);
        // The new occupant is never at its predecessor's generation.
        assert_eq!(s.current(b, 1), None);
        assert_eq!(s.next_generation(b), 3);
        assert_eq!((s.current(b, 1), s.current(b, 3)), (None, Some(&'b')));
    }
}
