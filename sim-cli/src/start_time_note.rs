//! The note a run or `validate` prints when the scenario's cost depends on
//! `simulation.start_time_utc`: a provider bills by time of day, so the same
//! traffic started at another hour costs something else. It names the
//! providers, the multipliers' range and the sweep that measures the spread.

use sim_core::model::time_of_day::time_of_day_prices;
use sim_core::scenario::Scenario;
use std::path::Path;

/// The note's lines (empty when no used provider bills by time of day).
pub fn lines(sc: &Scenario, file: &Path) -> String {
    let priced = time_of_day_prices(sc);
    if priced.is_empty() {
        return String::new();
    }
    let start = sc.simulation.start_time_of_day_s;
    let mut out = String::new();
    for p in &priced {
        let (lo, hi) = p.range();
        out.push_str(&format!("note: {}: the same request costs between x{lo} and x{hi} by the hour\n", p));
    }
    out.push_str(&format!(
        "note: so this run's cost depends on its start, {:02}:{:02} UTC (simulation.start_time_utc); the spread over start times: \
         agentsim run {} --sweep 'simulation.start_time_utc=00:00,04:00,08:00,12:00,16:00,20:00'\n",
        start / 3600,
        start / 60 % 60,
        file.display()
    ));
    out
}
