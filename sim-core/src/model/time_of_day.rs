//! Which providers of a scenario bill by time of day, so a run can say that
//! its cost depends on `simulation.start_time_utc` (the same traffic started
//! at another hour is billed at other multipliers).

use super::pricing;
use crate::scenario::{PriceWindow, Scenario};
use std::fmt;

/// A provider some workload can send to whose prices vary with the UTC time
/// of day (a window with a multiplier other than 1).
#[derive(Clone, Debug, PartialEq)]
pub struct TimeOfDayPrices {
    pub provider: String,
    pub windows: Vec<PriceWindow>,
}

impl TimeOfDayPrices {
    /// The multiplier in force at each piece of the day: the price is
    /// constant between window boundaries, so one instant per piece (each
    /// boundary, and midnight) covers the day.
    fn pieces(&self) -> impl Iterator<Item = Option<f64>> + '_ {
        let starts = self.windows.iter().flat_map(|w| [w.start_s, w.end_s]).chain([0]);
        starts.map(|t| pricing::window_multiplier(&self.windows, t))
    }

    /// The lowest and highest multiplier over the day (1 where no window is).
    pub fn range(&self) -> (f64, f64) {
        let all = self.pieces().map(|m| m.unwrap_or(1.0));
        all.fold((f64::INFINITY, f64::NEG_INFINITY), |(lo, hi), m| (lo.min(m), hi.max(m)))
    }

    /// Whether some time of day is in no window.
    fn leaves_gaps(&self) -> bool {
        self.pieces().any(|m| m.is_none())
    }
}

impl fmt::Display for TimeOfDayPrices {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let hhmm = |s: u32| format!("{:02}:{:02}", s / 3600, s / 60 % 60);
        let windows: Vec<String> =
            self.windows.iter().map(|w| format!("x{} {}-{}", w.multiplier, hhmm(w.start_s), hhmm(w.end_s))).collect();
        let rest = if self.leaves_gaps() { ", x1 otherwise" } else { "" };
        write!(f, "provider `{}` bills by time of day ({} UTC{rest})", self.provider, windows.join(", "))
    }
}

/// The providers, in scenario order, that a workload of `sc` may send to and
/// whose price windows change a price.
pub fn time_of_day_prices(sc: &Scenario) -> Vec<TimeOfDayPrices> {
    let used = |p: usize| sc.workloads.iter().any(|w| w.candidates().contains(&p));
    sc.providers
        .iter()
        .enumerate()
        .filter(|(i, p)| used(*i) && p.pricing.windows.iter().any(|w| w.multiplier != 1.0))
        .map(|(_, p)| TimeOfDayPrices { provider: p.name.clone(), windows: p.pricing.windows.clone() })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn window(start_h: u32, end_h: u32, multiplier: f64) -> PriceWindow {
        PriceWindow { start_s: start_h * 3600, end_s: end_h * 3600, multiplier }
    }

    #[test]
    fn the_range_includes_list_price_only_when_some_hour_is_outside_every_window() {
        let partial = TimeOfDayPrices { provider: "d".into(), windows: vec![window(10, 0, 0.5), window(4, 6, 0.5)] };
        assert_eq!(partial.range(), (0.5, 1.0));
        let whole = TimeOfDayPrices { provider: "d".into(), windows: vec![window(8, 20, 0.75), window(20, 8, 1.5)] };
        assert_eq!(whole.range(), (0.75, 1.5));
        assert_eq!(whole.to_string(), "provider `d` bills by time of day (x0.75 08:00-20:00, x1.5 20:00-08:00 UTC)");
        // Overlapping windows: the first one containing an instant bills it.
        let shadowed = TimeOfDayPrices {
            provider: "d".into(),
            windows: vec![window(0, 12, 0.5), window(12, 0, 0.5), window(1, 2, 3.0)],
        };
        assert_eq!(shadowed.range(), (0.5, 0.5));
        assert_eq!(
            partial.to_string(),
            "provider `d` bills by time of day (x0.5 10:00-00:00, x0.5 04:00-06:00 UTC, x1 otherwise)"
        );
    }
}
