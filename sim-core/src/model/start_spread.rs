//! What a run's requests would have cost had the run started at another time
//! of day: the spread over `simulation.start_time_utc` that time-of-day prices
//! make, measured from one run instead of a sweep.
//!
//! A time-of-day window multiplies a request's whole price
//! (`pricing::cost_before_window` times the window's multiplier). When
//! nothing else reads the start (see [`not_exact_reason`]), a run started at
//! S serves the same requests at the same simulated times, so its cost is the
//! fixed part (storage, compute, untimed providers) plus, per request, its
//! price before the window times the multiplier at S + t. The replicate sums
//! each counted request's price before the window into one bin per piece of
//! the relative day over which the multiplier is constant for every candidate
//! start; the cost at a candidate start then follows exactly from the bins.
//! Bins are integer sums ([`UsdSum`]), their count bounded by the windows and
//! the candidates, never by simulated time.

use super::pricing::{time_of_day, window_multiplier};
use crate::metrics::UsdSum;
use crate::scenario::{ArrivalProcess, Arrivals, PriceWindow, RoutePolicy, Scenario};
use crate::time::SimTime;

const DAY_S: u32 = 86_400;

/// The starts a run is repriced at: the 24 whole hours UTC and the
/// scenario's own start, in time-of-day order.
pub fn candidate_starts(own_s: u32) -> Vec<u32> {
    let mut starts: Vec<u32> = (0..24).map(|h| h * 3600).collect();
    if !starts.contains(&own_s) {
        let at = starts.partition_point(|s| *s < own_s);
        starts.insert(at, own_s);
    }
    starts
}

/// Why the traffic itself, not only its price, depends on the start (so
/// repricing one run would not give what a run at another start costs);
/// `None` when it does not.
pub fn not_exact_reason(sc: &Scenario) -> Option<String> {
    let timed = |p: usize| sc.providers[p].pricing.windows.iter().any(|w| w.multiplier != 1.0);
    for w in &sc.workloads {
        if let Arrivals::Process { process: ArrivalProcess::Daily { .. }, .. } = w.arrivals {
            return Some(format!("workload `{}` arrives by a daily profile, which moves with the start", w.name));
        }
        if w.route.as_ref().is_some_and(|r| r.policy == RoutePolicy::CostAware)
            && w.candidates().iter().any(|p| timed(*p))
        {
            return Some(format!("workload `{}` routes by cost, which reads the time-of-day price", w.name));
        }
    }
    None
}

/// One provider's bins: `cuts` are the relative seconds of day (since the
/// simulation's start, mod 24 h) at which the multiplier changes at some
/// candidate start; bin `i` holds the prices before the window of the
/// requests priced in `cuts[i]..cuts[i + 1]`.
#[derive(Clone, Debug)]
struct ProviderBins {
    windows: Vec<PriceWindow>,
    cuts: Vec<u32>,
    bins: Vec<UsdSum>,
}

impl ProviderBins {
    fn new(windows: &[PriceWindow], starts: &[u32]) -> Self {
        // Midnight too: the windows' cover wraps there.
        let edges = windows.iter().flat_map(|w| [w.start_s, w.end_s]).chain([0]);
        let mut cuts: Vec<u32> = edges.flat_map(|e| starts.iter().map(move |s| (e + DAY_S - s) % DAY_S)).collect();
        cuts.push(0);
        cuts.sort_unstable();
        cuts.dedup();
        let bins = vec![UsdSum::default(); cuts.len()];
        ProviderBins { windows: windows.to_vec(), cuts, bins }
    }

    /// The window multiplier of bin `i` at start `start_s`: constant over
    /// the bin, since no boundary falls inside it at any candidate start.
    fn multiplier(&self, i: usize, start_s: u32) -> f64 {
        window_multiplier(&self.windows, (self.cuts[i] + start_s) % DAY_S).unwrap_or(1.0)
    }
}

/// A replicate's bins, for the providers that bill by time of day.
#[derive(Clone, Debug)]
pub struct SpreadBins {
    own_s: u32,
    starts: Vec<u32>,
    /// Per provider of the scenario: its bins, when it bills by time of day.
    providers: Vec<Option<ProviderBins>>,
}

impl SpreadBins {
    /// `None` when no provider a workload uses bills by time of day (nothing
    /// to reprice, nothing kept) or when repricing would not be exact.
    pub fn new(sc: &Scenario) -> Option<Self> {
        let priced = super::time_of_day::time_of_day_prices(sc);
        if priced.is_empty() || not_exact_reason(sc).is_some() {
            return None;
        }
        let own_s = sc.simulation.start_time_of_day_s;
        let starts = candidate_starts(own_s);
        let providers = sc
            .providers
            .iter()
            .map(|p| {
                priced.iter().any(|t| t.provider == p.name).then(|| ProviderBins::new(&p.pricing.windows, &starts))
            })
            .collect();
        Some(SpreadBins { own_s, starts, providers })
    }

    /// Whether provider `p`'s requests are binned.
    pub fn bins_provider(&self, p: usize) -> bool {
        self.providers[p].is_some()
    }

    /// A counted request of provider `p` priced at `at`, whose price before
    /// the window is `usd` (`pricing::cost_before_window`).
    pub fn add(&mut self, p: usize, at: SimTime, usd: f64) {
        if let Some(b) = &mut self.providers[p] {
            let r = time_of_day(at, 0);
            let i = b.cuts.partition_point(|c| *c <= r) - 1;
            b.bins[i].add(usd);
        }
    }

    /// The candidate starts, seconds of day UTC.
    pub fn starts(&self) -> &[u32] {
        &self.starts
    }

    /// The run's cost at each candidate start, given its cost `run_usd` at
    /// its own: each bin moves by its multiplier's change, so the own start
    /// gives `run_usd` itself.
    pub fn costs(&self, run_usd: f64) -> Vec<f64> {
        let b = self.providers.iter().flatten();
        let moved = |s: u32| -> f64 {
            b.clone()
                .flat_map(|b| {
                    (0..b.bins.len()).map(move |i| b.bins[i].usd() * (b.multiplier(i, s) - b.multiplier(i, self.own_s)))
                })
                .sum()
        };
        self.starts.iter().map(|s| run_usd + moved(*s)).collect()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window(start_s: u32, end_s: u32, multiplier: f64) -> PriceWindow {
        PriceWindow { start_s, end_s, multiplier }
    }

    fn bins(windows: Vec<PriceWindow>, own_s: u32) -> SpreadBins {
        let starts = candidate_starts(own_s);
        SpreadBins { own_s, providers: vec![Some(ProviderBins::new(&windows, &starts)), None], starts }
    }

    fn at_s(s: u64) -> SimTime {
        SimTime::from_micros(s * 1_000_000)
    }

    #[test]
    fn the_candidates_are_the_whole_hours_and_the_own_start() {
        assert_eq!(candidate_starts(7200).len(), 24);
        let odd = candidate_starts(9 * 3600 + 1815);
        assert_eq!(odd.len(), 25);
        assert_eq!(odd[9..12], [9 * 3600, 9 * 3600 + 1815, 10 * 3600]);
    }

    #[test]
    fn no_boundary_falls_inside_a_bin_at_any_candidate_start() {
        let b = bins(vec![window(16 * 3600 + 1800, 1800, 0.5), window(4 * 3600 + 17, 6 * 3600, 0.25)], 9 * 3600 + 5);
        let p = b.providers[0].as_ref().unwrap();
        for (i, from) in p.cuts.iter().enumerate() {
            let to = p.cuts.get(i + 1).copied().unwrap_or(DAY_S);
            for s in &b.starts {
                let m = |r: u32| window_multiplier(&p.windows, (r + s) % DAY_S);
                assert!((*from..to).all(|r| m(r) == m(*from)), "bin {from}..{to} at start {s}");
            }
        }
    }

    #[test]
    fn hand_computed_two_window_repricing() {
        // Half price 10:00-22:00 UTC, list price otherwise; the run starts at 08:00.
        let mut b = bins(vec![window(10 * 3600, 22 * 3600, 0.5)], 8 * 3600);
        // $1 before the window at 08:30 (list), $2 at 11:00 (half), $4 at
        // 23:00 and $8 at 09:59:59 the next day (list), all relative to an 08:00 start.
        b.add(0, at_s(1800), 1.0);
        b.add(0, at_s(3 * 3600), 2.0);
        b.add(0, at_s(15 * 3600), 4.0);
        b.add(0, at_s(86_400 + 2 * 3600 - 1), 8.0);
        // A provider without windows is never binned.
        b.add(1, at_s(0), 100.0);
        // The run billed 1 + 1 + 4 + 8 = $14 for them, plus $3 of storage.
        let run = 17.0;
        let costs = b.costs(run);
        let at = |h: u32| costs[b.starts.iter().position(|s| *s == h * 3600).unwrap()];
        assert_eq!(at(8), run);
        // From 00:00 the requests fall at 00:30, 03:00, 15:00 (half) and 01:59:59.
        assert_eq!(at(0), 3.0 + 1.0 + 2.0 + 2.0 + 8.0);
        // From 10:00: 10:30 and 13:00 (half), 01:00 (list), 11:59:59 (half).
        assert_eq!(at(10), 3.0 + 0.5 + 1.0 + 4.0 + 4.0);
        // From 20:00: 20:30 (half), 23:00 (list), 11:00 and 21:59:59 (half).
        assert_eq!(at(20), 3.0 + 0.5 + 2.0 + 2.0 + 4.0);
    }

    #[test]
    fn the_sum_does_not_depend_on_the_order_requests_are_added() {
        let w = vec![window(0, 3600, 0.5)];
        let (mut a, mut b) = (bins(w.clone(), 0), bins(w, 0));
        let reqs: Vec<(u64, f64)> = (0..200).map(|i| (i * 977 % 86_400, 0.1 + i as f64 * 1e-7)).collect();
        for (t, usd) in &reqs {
            a.add(0, at_s(*t), *usd);
        }
        for (t, usd) in reqs.iter().rev() {
            b.add(0, at_s(*t), *usd);
        }
        let bits = |b: &SpreadBins| b.costs(50.0).iter().map(|c| c.to_bits()).collect::<Vec<_>>();
        assert_eq!(bits(&a), bits(&b));
    }
}
