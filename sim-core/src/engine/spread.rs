//! The replicate's side of the start-time spread (`model::start_spread`):
//! each counted request's price before the time-of-day window into the bins,
//! and, at the end, the overall cost at every candidate start.

use super::replicate::Replicate;
use crate::metrics::{ScopeMetrics, SpreadRecord, TokenCounts};
use crate::model::pricing::cost_before_window;
use crate::model::start_spread::{SpreadBins, not_exact_reason};
use crate::model::time_of_day::time_of_day_prices;
use crate::scenario::Scenario;
use crate::time::SimTime;

impl Replicate<'_> {
    /// Session `id`'s request to provider `p`, priced at `at` with `tokens`
    /// (in the provider's tier order), is billed: binned when counted (the
    /// requests `cost_usd` counts) and `p` bills by time of day.
    pub(super) fn spread_add(&mut self, id: u32, p: usize, at: SimTime, tokens: &TokenCounts) {
        let Some(bins) = self.spread.as_mut().filter(|b| b.bins_provider(p)) else { return };
        let l = self.live.get(id);
        if l.counted {
            let tier = self.sc.workloads[l.session.workload].service_tier;
            bins.add(p, at, cost_before_window(&self.sc.providers[p].pricing, at, tier, tokens));
        }
    }
}

/// The replicate's record of the spread: nothing when no provider bills by
/// time of day, the reason when repricing would not be exact, else the
/// overall cost (and per counted session) at each candidate start.
pub(super) fn record(sc: &Scenario, bins: Option<&SpreadBins>, overall: &ScopeMetrics) -> Option<SpreadRecord> {
    let start_s = sc.simulation.start_time_of_day_s;
    match bins {
        Some(b) => {
            let costs = b.costs(overall.cost.total());
            Some(SpreadRecord::exact(start_s, b.starts().to_vec(), costs, overall.sessions_started))
        }
        None if time_of_day_prices(sc).is_empty() => None,
        None => not_exact_reason(sc).map(|why| SpreadRecord::not_exact(start_s, why)),
    }
}
