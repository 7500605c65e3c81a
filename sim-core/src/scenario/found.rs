//! The problems a load finds, kept bounded: the first [`MAX_PROBLEMS`] by where
//! they were written, the rest only counted, then located in one pass.

use std::cmp::Ordering;
use std::collections::BinaryHeap;
use std::ops::Range;

use super::location::SourceMap;
use super::{Problem, ScenarioError};

/// The most problems a [`ScenarioError`] lists; the rest are only counted
/// (as a trace's bad lines are), so a wholly broken file stays readable and
/// its problems cost no memory.
pub const MAX_PROBLEMS: usize = 50;

/// A problem with its span in the virtual source (file, then overrides).
#[derive(Debug)]
pub(crate) struct Found {
    pub(crate) span: Range<usize>,
    pub(crate) path: String,
    pub(crate) message: String,
}

/// A kept problem, ordered by position, then by when it was found (so equal
/// positions keep the order the checks ran in).
#[derive(Debug)]
struct Ranked {
    key: (usize, usize),
    found: Found,
}

impl PartialEq for Ranked {
    fn eq(&self, other: &Self) -> bool {
        self.key == other.key
    }
}
impl Eq for Ranked {}
impl PartialOrd for Ranked {
    fn partial_cmp(&self, other: &Self) -> Option<Ordering> {
        Some(self.cmp(other))
    }
}
impl Ord for Ranked {
    fn cmp(&self, other: &Self) -> Ordering {
        self.key.cmp(&other.key)
    }
}

/// Every problem found so far: the first [`MAX_PROBLEMS`] by position (a
/// max-heap, whose top is the one to drop when an earlier one arrives) and
/// how many there were in all.
#[derive(Debug, Default)]
pub(crate) struct FoundSet {
    kept: BinaryHeap<Ranked>,
    total: usize,
}

impl FoundSet {
    pub(crate) fn push(&mut self, found: Found) {
        let ranked = Ranked { key: (found.span.start, self.total), found };
        self.total += 1;
        if self.kept.len() < MAX_PROBLEMS {
            self.kept.push(ranked);
        } else if self.kept.peek().is_some_and(|last| ranked < *last) {
            self.kept.pop();
            self.kept.push(ranked);
        }
    }

    pub(crate) fn is_empty(&self) -> bool {
        self.total == 0
    }

    /// The kept problems in the order they were written, each located, and
    /// the count of the rest. Locating walks the text once, so reporting is
    /// linear in the file however many problems it holds.
    pub(crate) fn into_error(self, map: &SourceMap<'_>) -> ScenarioError {
        let more = self.total - self.kept.len();
        let kept: Vec<Found> = self.kept.into_sorted_vec().into_iter().map(|r| r.found).collect();
        let origins = map.origins(kept.iter().map(|f| f.span.start));
        let problems = kept
            .into_iter()
            .zip(origins)
            .map(|(f, origin)| Problem {
                origin,
                path: f.path,
                message: crate::echo::bound_message(&f.message).into_owned(),
            })
            .collect();
        ScenarioError { problems, more }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn found(start: usize, message: &str) -> Found {
        Found { span: start..start + 1, path: String::new(), message: message.to_string() }
    }

    #[test]
    fn keeps_the_first_by_position_in_order_of_discovery() {
        let text = "x\n".repeat(200);
        let map = SourceMap::new("f", &text);
        let mut set = FoundSet::default();
        // Found out of order, with ties: position 10 twice, then position 4.
        for start in (0..300).rev() {
            set.push(found(start, &format!("p{start}")));
        }
        set.push(found(10, "second at 10"));
        let err = set.into_error(&map);
        assert_eq!((err.problems.len(), err.more), (MAX_PROBLEMS, 301 - MAX_PROBLEMS));
        let messages: Vec<&str> = err.problems.iter().map(|p| p.message.as_str()).collect();
        assert_eq!(&messages[..3], ["p0", "p1", "p2"]);
        assert_eq!(&messages[10..12], ["p10", "second at 10"]);
        assert_eq!(messages[49], "p48");
    }
}
