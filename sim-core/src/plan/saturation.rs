//! Whether a run saturated a provider: its queue grew without bound while
//! the load was on, so no mean or percentile of the run describes a steady
//! state, and the point never meets an objective.
//!
//! The rule reads replicate 0's time series, provider by provider. The
//! loaded phase is the rows after the warm-up up to the last one whose
//! arrivals reach half the provider's mean arrivals per interval (so a
//! draining tail after the last arrival is left out). Split in thirds, the
//! phase is saturated when the mean waiting queue of the last third exceeds
//! 1.5 times that of the first third plus one request, while the capacity is
//! at least 95% busy over the last third. A stable queue has the same mean
//! in both thirds up to noise and, below saturation, idle capacity; a queue
//! fed faster than it is served grows about linearly, so its last third
//! holds several times the first third's (5 times from a start at zero).
//! Fewer than 6 loaded rows decide nothing (not saturated): shorten
//! `simulation.timeseries_interval` to judge a short run.

use crate::engine::TimeseriesRow;
use crate::time::SimDuration;

/// Rows needed in the loaded phase for the rule to decide.
pub const MIN_ROWS: usize = 6;
/// The last third's mean queue must exceed this many times the first third's...
const GROWTH: f64 = 1.5;
/// ...plus this many requests, so a queue of a few requests is never "growing".
const SLACK_REQUESTS: f64 = 1.0;
/// Share of the capacity busy in the last third for a saturated provider.
const BUSY: f64 = 0.95;

/// The first provider (index in scenario order) that `rows` (one replicate's
/// time series, every provider) show saturated after `warmup`, if any.
pub fn saturated_provider(rows: &[TimeseriesRow], providers: usize, warmup: SimDuration) -> Option<usize> {
    (0..providers).find(|&p| {
        let mine: Vec<&TimeseriesRow> =
            rows.iter().filter(|r| r.provider == p && r.time.as_micros() > warmup.as_micros()).collect();
        is_saturated(&mine)
    })
}

fn is_saturated(rows: &[&TimeseriesRow]) -> bool {
    let busy_rows = rows.iter().filter(|r| r.arrivals > 0).count();
    if busy_rows == 0 {
        return false;
    }
    let mean_arrivals = rows.iter().map(|r| r.arrivals as f64).sum::<f64>() / busy_rows as f64;
    let Some(last) = rows.iter().rposition(|r| r.arrivals as f64 >= 0.5 * mean_arrivals) else { return false };
    let loaded = &rows[..=last];
    if loaded.len() < MIN_ROWS {
        return false;
    }
    let third = loaded.len() / 3;
    let (first, tail) = (&loaded[..third], &loaded[loaded.len() - third..]);
    let mean_queue = |rs: &[&TimeseriesRow]| rs.iter().map(|r| r.levels.waiting as f64).sum::<f64>() / rs.len() as f64;
    let busy: u64 = tail.iter().map(|r| r.levels.busy).sum();
    let capacity: u64 = tail.iter().map(|r| r.levels.capacity).sum();
    let full = capacity > 0 && busy as f64 >= BUSY * capacity as f64;
    full && mean_queue(tail) > GROWTH * mean_queue(first) + SLACK_REQUESTS
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::serving::ServerLevels;
    use crate::montecarlo::{RunHooks, RunOptions, run};
    use crate::scenario::{SourceText, load};
    use crate::time::SimTime;

    /// M/M/1 with exponential service of mean 1 s at arrival rate `lambda`.
    fn mm1(lambda: f64) -> bool {
        let text = format!(
            r#"
name = "mm1"
[simulation]
replicates = 1
warmup = "100s"
timeseries_interval = "20s"
[[providers]]
name = "server"
serving = {{ slots = 1, base_latency = {{ kind = "exponential", mean = "1s" }}, prefill_tokens_per_s = 1e9, decode_tokens_per_s = 1e9 }}
cache = {{ enabled = false }}
pricing = {{ input_usd_per_mtok = 1.0, output_usd_per_mtok = 1.0 }}
[[workloads]]
name = "jobs"
provider = "server"
steps = 1
output_tokens = 0
arrivals = {{ rate_per_s = {lambda}, horizon = "1000s" }}
"#
        );
        let sc = load(&SourceText { name: "mm1.toml", text: &text }, &[]).unwrap();
        let mut opts = RunOptions::from_scenario(&sc);
        opts.record_timeseries = true;
        let out = run(&sc, &[], &opts, RunHooks { on_done: &|| {}, on_replicate: &mut |_, _| {} }).unwrap();
        saturated_provider(&out.timeseries, 1, sc.simulation.warmup).is_some()
    }

    #[test]
    fn mm1_at_rho_one_and_a_half_is_saturated() {
        assert!(mm1(1.5));
    }

    #[test]
    fn mm1_at_rho_one_half_is_not() {
        assert!(!mm1(0.5));
    }

    fn row(t: u64, arrivals: u64, waiting: u64, busy: u64) -> TimeseriesRow {
        TimeseriesRow {
            time: SimTime::from_micros(t * 1_000_000),
            arrivals,
            levels: ServerLevels { waiting, running: busy, busy, capacity: 1 },
            ..TimeseriesRow::default()
        }
    }

    #[test]
    fn the_draining_tail_and_short_runs_are_left_out() {
        // Growing while loaded (rows 1..=6), then draining without arrivals.
        let mut rows: Vec<_> = (1..=6).map(|i| row(i, 10, 10 * i, 1)).collect();
        rows.extend((7..=20).map(|i| row(i, 0, 120 - 6 * i.min(20), 1)));
        assert_eq!(saturated_provider(&rows, 1, SimDuration::ZERO), Some(0));
        // The same growth over 5 rows is too short to judge.
        assert_eq!(saturated_provider(&rows[1..], 1, SimDuration::ZERO), None);
        // Growing with idle capacity is not saturation (a burst being absorbed).
        let idle: Vec<_> = (1..=6).map(|i| row(i, 10, 10 * i, u64::from(i % 2 == 0))).collect();
        assert_eq!(saturated_provider(&idle, 1, SimDuration::ZERO), None);
    }
}
