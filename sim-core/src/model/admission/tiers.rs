//! Admission rules of service tiers: flex refused when the provider is busy,
//! batch completing within a window, priority served ahead of standard.
//!
//! - Flex: OpenAI's flex processing trades price for availability; when capacity
//!   is short a request "may return a 429 Resource Unavailable" error (OpenAI
//!   platform docs, "Flex processing"). Modelled as: admitted only while the
//!   provider's utilisation, busy / capacity, is below a threshold.
//! - Batch: OpenAI's Batch API completes "within 24 hours" and batches not done
//!   by then expire, their unfinished requests cancelled (OpenAI docs, "Batch
//!   API"); Anthropic's Message Batches finish mostly within an hour and
//!   expire after 24 hours (Anthropic docs, "Batch processing"). Modelled as a
//!   completion delay drawn from a distribution in seconds; a draw beyond the
//!   window means the request expires at the window's end.
//! - Priority: a queue discipline, priority requests ahead of standard ones
//!   (OpenAI "Priority processing", Anthropic "Service tiers"), FIFO within each.

use crate::dist::Dist;
use crate::scenario::ServiceTier;
use crate::time::SimDuration;
use rand::Rng;
use std::collections::VecDeque;

/// A flex request refused because the provider is too busy (HTTP 429).
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("429 Resource Unavailable: {busy} of {capacity} busy, at or above the flex threshold")]
pub struct ResourceUnavailable {
    pub busy: u64,
    pub capacity: u64,
}

/// A tier rule that cannot be built.
#[derive(Clone, Copy, Debug, PartialEq, thiserror::Error)]
pub enum TierError {
    #[error("flex utilisation threshold {0} must be in (0, 1]")]
    FlexThreshold(f64),
}

/// The flex tier's admission rule.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct FlexAdmission {
    threshold: f64,
}

impl FlexAdmission {
    /// `threshold` in (0, 1]: at 1, flex is admitted while anything is free.
    pub fn new(threshold: f64) -> Result<Self, TierError> {
        if threshold > 0.0 && threshold <= 1.0 {
            Ok(FlexAdmission { threshold })
        } else {
            Err(TierError::FlexThreshold(threshold))
        }
    }

    /// Admits while `busy / capacity` is strictly below the threshold; a
    /// provider without capacity admits nothing.
    pub fn admit(&self, busy: u64, capacity: u64) -> Result<(), ResourceUnavailable> {
        // The quotient is correctly rounded, so a utilisation equal to the
        // threshold as written (8 of 10 against 0.8) compares equal: refused.
        if capacity > 0 && (busy as f64 / capacity as f64) < self.threshold {
            Ok(())
        } else {
            Err(ResourceUnavailable { busy, capacity })
        }
    }
}

/// How a batch request ends, counted from its submission.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BatchOutcome {
    /// Its result is ready after this delay (at most the window).
    Completes(SimDuration),
    /// Not processed within the window: it expires when the window ends.
    Expires(SimDuration),
}

/// The batch tier's completion delay.
#[derive(Clone, Debug, PartialEq)]
pub struct BatchCompletion {
    /// In seconds.
    pub delay_s: Dist,
    /// 24 h at OpenAI and Anthropic.
    pub window: SimDuration,
}

impl BatchCompletion {
    /// Draws one request's outcome; a delay of exactly the window still completes.
    pub fn sample<R: Rng + ?Sized>(&self, rng: &mut R) -> BatchOutcome {
        let delay = SimDuration::from_secs_f64(self.delay_s.sample(rng));
        if delay <= self.window { BatchOutcome::Completes(delay) } else { BatchOutcome::Expires(self.window) }
    }
}

/// The two queue classes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum QueueClass {
    Priority,
    Standard,
}

impl QueueClass {
    /// Only the priority tier jumps the queue; flex and batch wait with standard.
    pub fn of(tier: ServiceTier) -> Self {
        match tier {
            ServiceTier::Priority => QueueClass::Priority,
            ServiceTier::Standard | ServiceTier::Batch | ServiceTier::Flex => QueueClass::Standard,
        }
    }
}

/// A waiting line where every priority item leaves before any standard one,
/// FIFO within a class; push and pop are O(1) (amortised).
#[derive(Clone, Debug)]
pub struct TwoClassQueue<T> {
    priority: VecDeque<T>,
    standard: VecDeque<T>,
}

impl<T> Default for TwoClassQueue<T> {
    fn default() -> Self {
        TwoClassQueue { priority: VecDeque::new(), standard: VecDeque::new() }
    }
}

impl<T> TwoClassQueue<T> {
    pub fn new() -> Self {
        Self::default()
    }

    pub fn push(&mut self, class: QueueClass, item: T) {
        self.line(class).push_back(item);
    }

    /// The next item and its class: the oldest priority item, else the oldest standard one.
    pub fn pop(&mut self) -> Option<(QueueClass, T)> {
        match self.priority.pop_front() {
            Some(item) => Some((QueueClass::Priority, item)),
            None => self.standard.pop_front().map(|item| (QueueClass::Standard, item)),
        }
    }

    pub fn len(&self) -> usize {
        self.priority.len() + self.standard.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    pub fn len_of(&self, class: QueueClass) -> usize {
        match class {
            QueueClass::Priority => self.priority.len(),
            QueueClass::Standard => self.standard.len(),
        }
    }

    /// Removes the first item matching `is` (either class); false if none.
    /// Linear in the queue.
    pub fn remove(&mut self, is: impl Fn(&T) -> bool) -> bool {
        for line in [&mut self.priority, &mut self.standard] {
            if let Some(i) = line.iter().position(&is) {
                line.remove(i);
                return true;
            }
        }
        false
    }

    fn line(&mut self, class: QueueClass) -> &mut VecDeque<T> {
        match class {
            QueueClass::Priority => &mut self.priority,
            QueueClass::Standard => &mut self.standard,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use rand::SeedableRng as _;
    use rand_pcg::Pcg64Mcg;

    #[test]
    fn flex_is_admitted_only_below_the_threshold() {
        let flex = FlexAdmission::new(0.8).unwrap();
        assert_eq!(flex.admit(0, 10), Ok(()));
        assert_eq!(flex.admit(7, 10), Ok(()));
        assert_eq!(flex.admit(8, 10), Err(ResourceUnavailable { busy: 8, capacity: 10 }));
        assert_eq!(flex.admit(12, 10), Err(ResourceUnavailable { busy: 12, capacity: 10 }));
        // 799 of 1000 is below 0.8; 800 is not.
        assert_eq!(flex.admit(799, 1_000), Ok(()));
        assert!(flex.admit(800, 1_000).is_err());
        assert!(flex.admit(0, 0).is_err());
        assert!(flex.admit(8, 10).unwrap_err().to_string().starts_with("429 Resource Unavailable"));
    }

    #[test]
    fn a_threshold_of_one_admits_while_anything_is_free() {
        let flex = FlexAdmission::new(1.0).unwrap();
        assert_eq!(flex.admit(9, 10), Ok(()));
        assert!(flex.admit(10, 10).is_err());
    }

    #[test]
    fn a_flex_threshold_outside_zero_one_is_refused() {
        for t in [0.0, -0.1, 1.01, f64::NAN] {
            assert!(FlexAdmission::new(t).is_err(), "{t}");
        }
    }

    #[test]
    fn a_batch_completes_within_its_window_or_expires_at_its_end() {
        let day = SimDuration::from_secs(86_400);
        let mut rng = Pcg64Mcg::seed_from_u64(1);
        let fixed = |s: f64| BatchCompletion { delay_s: Dist::Fixed(s), window: day };
        assert_eq!(fixed(3_600.0).sample(&mut rng), BatchOutcome::Completes(SimDuration::from_secs(3_600)));
        assert_eq!(fixed(86_400.0).sample(&mut rng), BatchOutcome::Completes(day));
        assert_eq!(fixed(86_400.000_001).sample(&mut rng), BatchOutcome::Expires(day));
        assert_eq!(fixed(200_000.0).sample(&mut rng), BatchOutcome::Expires(day));
    }

    #[test]
    fn a_uniform_delay_over_two_windows_expires_about_half_the_time() {
        let b = BatchCompletion {
            delay_s: Dist::Uniform { low: 0.0, high: 2.0 * 86_400.0 },
            window: SimDuration::from_secs(86_400),
        };
        let mut rng = Pcg64Mcg::seed_from_u64(5);
        let expired = (0..10_000).filter(|_| matches!(b.sample(&mut rng), BatchOutcome::Expires(_))).count();
        // Binomial(10,000, 0.5): sd 50, so 4,800..5,200 is 4 sd either side.
        assert!((4_800..=5_200).contains(&expired), "{expired}");
    }

    #[test]
    fn priority_items_leave_first_and_each_class_is_fifo() {
        let mut q = TwoClassQueue::new();
        q.push(QueueClass::Standard, "s1");
        q.push(QueueClass::Priority, "p1");
        q.push(QueueClass::Standard, "s2");
        q.push(QueueClass::Priority, "p2");
        assert_eq!((q.len(), q.len_of(QueueClass::Priority), q.len_of(QueueClass::Standard)), (4, 2, 2));
        assert_eq!(q.pop(), Some((QueueClass::Priority, "p1")));
        assert_eq!(q.pop(), Some((QueueClass::Priority, "p2")));
        // A priority item arriving now still goes ahead of the waiting standard ones.
        q.push(QueueClass::Priority, "p3");
        assert_eq!(q.pop(), Some((QueueClass::Priority, "p3")));
        assert_eq!(q.pop(), Some((QueueClass::Standard, "s1")));
        assert_eq!(q.pop(), Some((QueueClass::Standard, "s2")));
        assert_eq!(q.pop(), None);
        assert!(q.is_empty());
    }

    #[test]
    fn only_the_priority_tier_is_queued_as_priority() {
        assert_eq!(QueueClass::of(ServiceTier::Priority), QueueClass::Priority);
        for t in [ServiceTier::Standard, ServiceTier::Batch, ServiceTier::Flex] {
            assert_eq!(QueueClass::of(t), QueueClass::Standard);
        }
    }
}
