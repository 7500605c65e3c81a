//! Whether a run saturated a provider: its queue grew without bound while
//! the load was on, so no mean or percentile of the run describes a steady
//! state, and the point never meets an objective.
//!
//! The rule reads replicate 0's time series, provider by provider, over
//! the loaded phase: from the warm-up's end to the last session arrival
//! ([`load_window`]: a workload's `horizon`, or its expected last arrival
//! with a `sessions` count, whichever is latest; the run's `end` if
//! earlier), so the drain after the last arrival is left out (closed-loop
//! agents keep the server busy while draining a backlog, so the server's own
//! arrivals do not show where the load stops). Split in thirds, the phase is
//! saturated when the mean waiting queue of the last third exceeds 1.5 times
//! that of the first third plus one request, while the capacity is at least
//! 95% busy over the last third. A stable queue has the same mean in both
//! thirds up to noise and, below saturation, idle capacity; a queue fed
//! faster than it is served grows about linearly, so its last third holds
//! several times the first third's (5 times from a start at zero). Near
//! rho = 1 a stable queue relaxes so slowly that a finite run may see it
//! grow: the rule then calls it saturated, which is what the run showed.
//! Fewer than 6 rows in the phase decide nothing (not saturated): shorten
//! `simulation.timeseries_interval` to judge a short run. Trace workloads
//! have no known last arrival: their phase runs to the end of the series.

use crate::engine::TimeseriesRow;
use crate::scenario::{ArrivalStop, Arrivals, Scenario};
use crate::time::{SimDuration, SimTime};

/// Rows needed in the loaded phase for the rule to decide.
pub const MIN_ROWS: usize = 6;
/// The last third's mean queue must exceed this many times the first third's...
const GROWTH: f64 = 1.5;
/// ...plus this many requests, so a queue of a few requests is never "growing".
const SLACK_REQUESTS: f64 = 1.0;
/// Share of the capacity busy in the last third for a saturated provider.
const BUSY: f64 = 0.95;

/// The loaded phase of `sc`: (warm-up end, last arrival if known).
pub fn load_window(sc: &Scenario) -> (SimTime, Option<SimTime>) {
    let start = SimTime::from_micros(sc.simulation.warmup.as_micros());
    let mut last = Some(SimTime::ZERO);
    for w in &sc.workloads {
        let end = match w.arrivals {
            Arrivals::Poisson { stop: ArrivalStop::Horizon(t), .. } => Some(t),
            Arrivals::Poisson { stop: ArrivalStop::Sessions(n), rate_per_s } => {
                Some(SimTime::from_micros(SimDuration::from_secs_f64(n as f64 / rate_per_s).as_micros()))
            }
            Arrivals::Process { stop: ArrivalStop::Horizon(t), .. } => Some(t),
            Arrivals::Process { ref process, stop: ArrivalStop::Sessions(n) } => process
                .mean_rate_per_s()
                .map(|r| SimTime::from_micros(SimDuration::from_secs_f64(n as f64 / r).as_micros())),
            Arrivals::Trace { .. } => None,
        };
        last = last.zip(end).map(|(a, b)| a.max(b));
    }
    let last = match (last, sc.simulation.end) {
        (Some(l), Some(e)) => Some(l.min(e)),
        (l, e) => l.or(e),
    };
    (start, last)
}

/// The first provider (index in scenario order) that `rows` (one replicate's
/// time series, every provider) show saturated over `window` (see
/// [`load_window`]), if any.
pub fn saturated_provider(
    rows: &[TimeseriesRow],
    providers: usize,
    (start, end): (SimTime, Option<SimTime>),
) -> Option<usize> {
    (0..providers).find(|&p| {
        let mine: Vec<&TimeseriesRow> =
            rows.iter().filter(|r| r.provider == p && r.time > start && end.is_none_or(|e| r.time <= e)).collect();
        is_saturated(&mine)
    })
}

fn is_saturated(loaded: &[&TimeseriesRow]) -> bool {
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
        let out = run(&sc, &[], &opts, RunHooks { on_done: &|| {}, on_replicate: &mut |_, _, _| {} }).unwrap();
        saturated_provider(&out.timeseries, 1, load_window(&sc)).is_some()
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
    fn the_window_leaves_out_the_drain_and_short_runs() {
        // Growing while loaded (rows 1..=6), then draining.
        let rows: Vec<_> = (1..=20).map(|i| row(i, 10, if i <= 6 { 10 * i } else { 120 - 6 * i }, 1)).collect();
        let at = |s: u64| SimTime::from_micros(s * 1_000_000);
        assert_eq!(saturated_provider(&rows, 1, (SimTime::ZERO, Some(at(6)))), Some(0));
        assert_eq!(saturated_provider(&rows, 1, (SimTime::ZERO, None)), None, "the drain hides the growth");
        assert_eq!(saturated_provider(&rows, 1, (at(1), Some(at(6)))), None, "5 rows are too few to judge");
        // Growing with idle capacity is not saturation (a burst being absorbed).
        let idle: Vec<_> = (1..=6).map(|i| row(i, 10, 10 * i, u64::from(i % 2 == 0))).collect();
        assert_eq!(saturated_provider(&idle, 1, (SimTime::ZERO, None)), None);
    }

    #[test]
    fn the_window_ends_at_the_last_arrival() {
        let text = |arrivals: &str, end: &str| {
            format!(
                "name = \"w\"\n[simulation]\nwarmup = \"10s\"\n{end}\n[[providers]]\nname = \"p\"\n\
                 pricing = {{ input_usd_per_mtok = 1, output_usd_per_mtok = 1 }}\n\
                 [[workloads]]\nname = \"a\"\nprovider = \"p\"\nsteps = 1\noutput_tokens = 1\narrivals = {{ rate_per_s = 2, horizon = \"100s\" }}\n\
                 [[workloads]]\nname = \"b\"\nprovider = \"p\"\nsteps = 1\noutput_tokens = 1\narrivals = {arrivals}\n"
            )
        };
        let window = |arrivals: &str, end: &str| {
            let t = text(arrivals, end);
            load_window(&load(&SourceText { name: "w.toml", text: &t }, &[]).unwrap())
        };
        let s = |x: u64| SimTime::from_micros(x * 1_000_000);
        assert_eq!(window("{ rate_per_s = 2, sessions = 500 }", ""), (s(10), Some(s(250))));
        assert_eq!(window("{ rate_per_s = 2, sessions = 100 }", ""), (s(10), Some(s(100))));
        assert_eq!(window("{ rate_per_s = 2, sessions = 500 }", "end = \"200s\""), (s(10), Some(s(200))));
    }
}
