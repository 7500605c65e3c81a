//! The spread of a run's cost over start times (`model::start_spread`): each
//! replicate's costs at the candidate starts, carried in its record, and
//! their means folded in replicate order into summary.json's
//! `start_time_spread`. Needs no scenario, so a merge folds it too.

use super::record::ScopeValues;
use super::stats::StatsAccumulator;
use serde::{Deserialize, Serialize};

/// One replicate's costs had it started at each candidate start.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct SpreadRecord {
    /// The run's own start, UTC seconds of day.
    pub start_s: u32,
    /// Why the run was not repriced; `None` when it was.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_exact: Option<String>,
    /// The candidate starts (empty when not repriced).
    #[serde(default)]
    pub starts_s: Vec<u32>,
    /// The overall `cost_usd` at each candidate start.
    #[serde(default)]
    pub cost_usd: ScopeValues,
    /// The overall `cost_usd_per_session` at each candidate start.
    #[serde(default)]
    pub cost_usd_per_session: ScopeValues,
}

impl SpreadRecord {
    /// The record of costs `cost_usd` at `starts_s` over `sessions` counted sessions.
    pub fn exact(start_s: u32, starts_s: Vec<u32>, cost_usd: Vec<f64>, sessions: u64) -> Self {
        let per_session = cost_usd.iter().map(|c| (sessions > 0).then(|| c / sessions as f64)).collect();
        SpreadRecord {
            start_s,
            not_exact: None,
            starts_s,
            cost_usd: ScopeValues(cost_usd.into_iter().map(Some).collect()),
            cost_usd_per_session: ScopeValues(per_session),
        }
    }

    pub fn not_exact(start_s: u32, why: String) -> Self {
        SpreadRecord {
            start_s,
            not_exact: Some(why),
            starts_s: vec![],
            cost_usd: ScopeValues::default(),
            cost_usd_per_session: ScopeValues::default(),
        }
    }
}

/// The mean cost at one start.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StartCost {
    /// `HH:MM` (`HH:MM:SS` when not a whole minute), UTC.
    pub start_utc: String,
    pub cost_usd: Option<f64>,
    pub cost_usd_per_session: Option<f64>,
}

/// summary.json's `start_time_spread` of one variant.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
pub struct StartTimeSpread {
    /// Whether the costs below are what runs at those starts would cost
    /// (false: the traffic moves with the start; no cost is given).
    pub exact: bool,
    /// The run's own start.
    pub start_utc: String,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub not_exact_because: Option<String>,
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub starts: Vec<StartCost>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub cheapest: Option<StartCost>,
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub dearest: Option<StartCost>,
}

impl StartTimeSpread {
    /// The own start's entry, when repriced.
    pub fn own(&self) -> Option<&StartCost> {
        self.starts.iter().find(|s| s.start_utc == self.start_utc)
    }

    /// How start `c` compares with the run's own start per session, in
    /// percent; `None` for the own start itself or when either has no cost
    /// per session or the own one is 0.
    pub fn change_percent(&self, c: &StartCost) -> Option<f64> {
        let own = self.own()?.cost_usd_per_session.filter(|o| *o > 0.0)?;
        (c.start_utc != self.start_utc).then_some(100.0 * (c.cost_usd_per_session? / own - 1.0))
    }
}

/// A variant's spread folded replicate by replicate.
#[derive(Clone, Debug)]
pub struct SpreadAccumulator {
    first: SpreadRecord,
    cost: Vec<StatsAccumulator>,
    per_session: Vec<StatsAccumulator>,
}

impl SpreadAccumulator {
    pub fn new(first: &SpreadRecord) -> Self {
        let n = first.starts_s.len();
        SpreadAccumulator {
            first: first.clone(),
            cost: vec![StatsAccumulator::default(); n],
            per_session: vec![StatsAccumulator::default(); n],
        }
    }

    /// Adds the next replicate (every replicate of a variant has the same starts).
    pub fn push(&mut self, r: &SpreadRecord) {
        debug_assert_eq!(r.starts_s, self.first.starts_s, "one variant, one set of starts");
        for (acc, v) in self.cost.iter_mut().zip(&r.cost_usd.0) {
            acc.push(*v);
        }
        for (acc, v) in self.per_session.iter_mut().zip(&r.cost_usd_per_session.0) {
            acc.push(*v);
        }
    }

    pub fn finish(&self) -> StartTimeSpread {
        let starts: Vec<StartCost> = self
            .first
            .starts_s
            .iter()
            .enumerate()
            .map(|(i, s)| StartCost {
                start_utc: hhmm(*s),
                cost_usd: self.cost[i].finish().mean,
                cost_usd_per_session: self.per_session[i].finish().mean,
            })
            .collect();
        // By cost per session, the figure the run's note compares (the mean
        // of per-replicate ratios, which the mean total cost need not order
        // the same way when replicates count different sessions); by total
        // cost when no session was counted. The first of equals: the
        // earliest start.
        let per_session = starts.iter().all(|s| s.cost_usd_per_session.is_some());
        let key = |s: &StartCost| if per_session { s.cost_usd_per_session } else { s.cost_usd };
        let by_cost = |pick: fn(f64, f64) -> bool| {
            starts.iter().filter(|s| key(s).is_some()).fold(None::<&StartCost>, |best, s| match best {
                Some(b) if !pick(key(s).unwrap_or(0.0), key(b).unwrap_or(0.0)) => Some(b),
                _ => Some(s),
            })
        };
        let cheapest = by_cost(|a, b| a < b).cloned();
        let dearest = by_cost(|a, b| a > b).cloned();
        StartTimeSpread {
            exact: self.first.not_exact.is_none(),
            start_utc: hhmm(self.first.start_s),
            not_exact_because: self.first.not_exact.clone(),
            starts,
            cheapest,
            dearest,
        }
    }
}

/// UTC second of day `s` as `HH:MM`, or `HH:MM:SS` when not a whole minute.
pub fn hhmm(s: u32) -> String {
    match s % 60 {
        0 => format!("{:02}:{:02}", s / 3600, s / 60 % 60),
        sec => format!("{:02}:{:02}:{sec:02}", s / 3600, s / 60 % 60),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn means_and_the_cheapest_and_dearest_start() {
        let starts = vec![0, 3600, 7200];
        let mut acc = SpreadAccumulator::new(&SpreadRecord::exact(3600, starts.clone(), vec![2.0, 4.0, 1.0], 2));
        for (costs, sessions) in [(vec![2.0, 4.0, 1.0], 2), (vec![4.0, 6.0, 1.0], 4)] {
            acc.push(&SpreadRecord::exact(3600, starts.clone(), costs, sessions));
        }
        let s = acc.finish();
        assert!(s.exact);
        assert_eq!(s.start_utc, "01:00");
        assert_eq!(
            s.starts[0],
            StartCost { start_utc: "00:00".into(), cost_usd: Some(3.0), cost_usd_per_session: Some(1.0) }
        );
        assert_eq!(s.own().and_then(|o| o.cost_usd), Some(5.0));
        assert_eq!(s.cheapest.unwrap().start_utc, "02:00");
        assert_eq!(s.dearest.unwrap().start_utc, "01:00");
    }

    #[test]
    fn the_ends_are_by_cost_per_session_when_it_and_the_total_disagree() {
        // Total cost means: 5.5 at 00:00, 5.7 at 01:00; per session (the
        // mean of each replicate's ratio): 1.0 and 0.975.
        let starts = vec![0, 3600];
        let a = SpreadRecord::exact(0, starts.clone(), vec![1.0, 0.9], 1);
        let b = SpreadRecord::exact(0, starts, vec![10.0, 10.5], 10);
        let mut acc = SpreadAccumulator::new(&a);
        acc.push(&a);
        acc.push(&b);
        let s = acc.finish();
        assert_eq!((s.starts[0].cost_usd, s.starts[1].cost_usd), (Some(5.5), Some(5.7)));
        assert_eq!(s.cheapest.unwrap().start_utc, "01:00");
        assert_eq!(s.dearest.unwrap().start_utc, "00:00");
    }

    #[test]
    fn ties_go_to_the_earliest_start_and_odd_starts_show_seconds() {
        let r = SpreadRecord::exact(5, vec![0, 5, 3600], vec![1.0, 1.0, 1.0], 0);
        let mut acc = SpreadAccumulator::new(&r);
        acc.push(&r);
        let s = acc.finish();
        assert_eq!(s.start_utc, "00:00:05");
        assert_eq!((s.cheapest.unwrap().start_utc, s.dearest.unwrap().start_utc), ("00:00".into(), "00:00".into()));
        assert_eq!(s.starts[1].cost_usd_per_session, None);
    }

    #[test]
    fn a_run_not_repriced_gives_no_cost() {
        let r = SpreadRecord::not_exact(0, "daily".into());
        let mut acc = SpreadAccumulator::new(&r);
        acc.push(&r);
        let s = acc.finish();
        assert!(!s.exact && s.starts.is_empty() && s.cheapest.is_none());
        let json = serde_json::to_string(&s).unwrap();
        assert_eq!(json, r#"{"exact":false,"start_utc":"00:00","not_exact_because":"daily"}"#);
        assert_eq!(serde_json::from_str::<StartTimeSpread>(&json).unwrap(), s);
    }
}
