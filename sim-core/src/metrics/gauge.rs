//! Time-weighted levels (queue length, busy slots, requests in the system):
//! the area under a step function from the warm-up on, and its peak, in
//! constant memory.

use crate::time::SimTime;

/// A level that changes at instants; integrates it over `[from, now]`.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct TimeWeighted {
    level: u64,
    since: SimTime,
    /// Level x microseconds since `from` (u128: 2^64 levels for 2^55 us fit).
    area: u128,
    peak: u64,
    from: SimTime,
}

impl TimeWeighted {
    /// A level observed from `from` (the warm-up end) on; changes before it
    /// set the level but add no area and no peak.
    pub fn observed_from(from: SimTime) -> Self {
        TimeWeighted { from, ..Self::default() }
    }

    /// When observation starts.
    pub fn start(&self) -> SimTime {
        self.from
    }

    pub fn level(&self) -> u64 {
        self.level
    }

    /// The level becomes `level` at `now` (instants never go backwards).
    pub fn set(&mut self, now: SimTime, level: u64) {
        self.advance(now);
        self.level = level;
        if now >= self.from {
            self.peak = self.peak.max(level);
        }
    }

    pub fn add(&mut self, now: SimTime, delta: i64) {
        let level = self.level.saturating_add_signed(delta);
        self.set(now, level);
    }

    fn advance(&mut self, now: SimTime) {
        let start = self.since.max(self.from);
        if now > start {
            self.area += u128::from(self.level) * u128::from((now - start).as_micros());
        }
        // The level held when observation starts counts toward the peak.
        if self.since < self.from && now >= self.from {
            self.peak = self.peak.max(self.level);
        }
        self.since = self.since.max(now);
    }

    /// The area up to `end`, in level-seconds, and the peak (the level held
    /// at `end` counts).
    pub fn close(&mut self, end: SimTime) -> Area {
        self.advance(end);
        Area { level_s: self.area as f64 / 1e6, peak: self.peak }
    }
}

/// What a closed gauge holds: mergeable by adding areas and taking peaks.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct Area {
    pub level_s: f64,
    pub peak: u64,
}

impl Area {
    /// Gauges of disjoint parts (workloads of one provider) add up; their
    /// peaks do not (they may fall at different instants), so the merged
    /// peak is a lower bound unless the owner sets it.
    pub fn merge(&mut self, o: &Area) {
        self.level_s += o.level_s;
        self.peak = self.peak.max(o.peak);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn t(s: u64) -> SimTime {
        SimTime::from_micros(s * 1_000_000)
    }

    #[test]
    fn area_of_a_step_function() {
        let mut g = TimeWeighted::observed_from(t(0));
        g.set(t(1), 2); // 2 from 1 s to 4 s
        g.set(t(4), 5); // 5 from 4 s to 5 s
        g.add(t(5), -5);
        let a = g.close(t(10));
        assert_eq!(a.level_s, 2.0 * 3.0 + 5.0);
        assert_eq!(a.peak, 5);
    }

    #[test]
    fn nothing_before_the_warm_up_counts() {
        let mut g = TimeWeighted::observed_from(t(10));
        g.set(t(1), 7); // a peak during warm-up is not seen...
        g.set(t(5), 3); // ...but the level held at the warm-up end is.
        g.set(t(12), 0);
        let a = g.close(t(20));
        assert_eq!(a.level_s, 3.0 * 2.0);
        assert_eq!(a.peak, 3);
    }
}
