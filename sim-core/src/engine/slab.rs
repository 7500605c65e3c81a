//! A slab of live items addressed by small integer ids that are reused once
//! freed, so memory follows the number of live sessions, not the total.

#[derive(Clone, Debug)]
pub struct Slab<T> {
    items: Vec<Option<T>>,
    free: Vec<u32>,
}

impl<T> Default for Slab<T> {
    fn default() -> Self {
        Slab { items: Vec::new(), free: Vec::new() }
    }
}

impl<T> Slab<T> {
    pub fn insert(&mut self, item: T) -> u32 {
        match self.free.pop() {
            Some(id) => {
                self.items[id as usize] = Some(item);
                id
            }
            None => {
                self.items.push(Some(item));
                (self.items.len() - 1) as u32
            }
        }
    }

    pub fn remove(&mut self, id: u32) -> T {
        let item = self.items[id as usize].take().expect("slab id is live");
        self.free.push(id);
        item
    }

    pub fn get(&self, id: u32) -> &T {
        self.items[id as usize].as_ref().expect("slab id is live")
    }

    /// `id`'s item, or `None` once it was removed.
    pub fn try_get(&self, id: u32) -> Option<&T> {
        self.items.get(id as usize).and_then(Option::as_ref)
    }

    pub fn get_mut(&mut self, id: u32) -> &mut T {
        self.items[id as usize].as_mut().expect("slab id is live")
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
        s.remove(b);
        assert_eq!((s.try_get(b), s.try_get(c), s.try_get(9)), (None, Some(&'c'), None));
    }
}
