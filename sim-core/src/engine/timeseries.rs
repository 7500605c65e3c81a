//! The per-provider time series of one replicate (`timeseries.csv`): at every
//! boundary k x interval, the counts of the interval that ends there and the
//! levels held there, sampled between events so it costs no event of its own.
//!
//! The state of a replicate only changes at events, so the level at a
//! boundary is the level after the last event at or before it: before an
//! event at `t` is processed, every boundary strictly before `t` is emitted.
//! An event exactly at a boundary therefore belongs to the interval that ends
//! there (intervals are `(b - interval, b]`), and the level emitted at `b`
//! includes it, as for the time-weighted gauges (right-continuous steps).
//! Memory is one row per provider per interval up to the replicate's end.

use crate::model::serving::ServerLevels;
use crate::time::{SimDuration, SimTime};

/// One provider at one boundary.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct TimeseriesRow {
    /// The boundary (or, for the last row, the replicate's end).
    pub time: SimTime,
    /// Provider index, in scenario order.
    pub provider: usize,
    /// Request attempts that reached the provider in the interval.
    pub arrivals: u64,
    /// Attempts that finished successfully in the interval.
    pub completions: u64,
    /// Attempts refused by a rate limit (429) in the interval.
    pub rate_limited: u64,
    /// Attempts that failed in the interval.
    pub errors: u64,
    pub levels: ServerLevels,
    /// Prompt-cache tokens held by the provider's caches (expired entries
    /// count until their cache purges them).
    pub cache_tokens: u64,
    /// The provider's `cost_usd` metric so far (counted sessions only).
    pub cost_usd_cumulative: f64,
    /// Input tokens of the attempts that finished successfully in the
    /// interval, and those of them read from the cache: the interval's
    /// cache hit rate is their ratio.
    pub tokens_input: u64,
    pub tokens_cache_read: u64,
}

/// The column names of `timeseries.csv`, in [`TimeseriesRow::cells`] order.
pub const TIMESERIES_COLUMNS: [&str; 14] = [
    "time_s",
    "provider",
    "arrivals",
    "completions",
    "queue_len",
    "running",
    "busy",
    "capacity",
    "cache_tokens",
    "cost_usd_cumulative",
    "rate_limited",
    "errors",
    "tokens_input",
    "tokens_cache_read",
];

impl TimeseriesRow {
    /// The row's cells, `provider_name` for the provider. Floats use Rust's
    /// shortest round-trip formatting, so the text is deterministic.
    pub fn cells(&self, provider_name: &str) -> [String; 14] {
        let l = &self.levels;
        [
            self.time.as_secs_f64().to_string(),
            provider_name.to_string(),
            self.arrivals.to_string(),
            self.completions.to_string(),
            l.waiting.to_string(),
            l.running.to_string(),
            l.busy.to_string(),
            l.capacity.to_string(),
            self.cache_tokens.to_string(),
            self.cost_usd_cumulative.to_string(),
            self.rate_limited.to_string(),
            self.errors.to_string(),
            self.tokens_input.to_string(),
            self.tokens_cache_read.to_string(),
        ]
    }
}

/// What the engine reports of one provider when a row is taken.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct ProviderSample {
    pub levels: ServerLevels,
    pub cache_tokens: u64,
    pub cost_usd_cumulative: f64,
}

/// Counts since the last boundary, per provider.
#[derive(Clone, Copy, Debug, Default)]
struct Counts {
    arrivals: u64,
    completions: u64,
    rate_limited: u64,
    errors: u64,
    tokens_input: u64,
    tokens_cache_read: u64,
}

/// Collects the rows of one replicate.
#[derive(Debug)]
pub struct TimeseriesRecorder {
    interval: SimDuration,
    /// The warm-up's end: no row before it, no event before it counted.
    from: SimTime,
    /// The next boundary to emit.
    next: SimTime,
    last_row: Option<SimTime>,
    counts: Vec<Counts>,
    rows: Vec<TimeseriesRow>,
}

impl TimeseriesRecorder {
    /// A recorder of `providers` providers sampled every `interval` (> 0),
    /// from `from` (the warm-up's end) on.
    pub fn new(interval: SimDuration, from: SimTime, providers: usize) -> Self {
        assert!(interval > SimDuration::ZERO, "validation keeps the interval >= 1 s");
        let step = interval.as_micros();
        // The first boundary k x interval (k >= 1) not before `from`.
        let k = from.as_micros().div_ceil(step).max(1);
        TimeseriesRecorder {
            interval,
            from,
            next: SimTime::from_micros(k.saturating_mul(step)),
            last_row: None,
            counts: vec![Counts::default(); providers],
            rows: Vec::new(),
        }
    }

    /// Whether a boundary before `t` is still to be emitted: the one check
    /// the event loop makes per event.
    pub fn due(&self, t: SimTime) -> bool {
        self.next < t
    }

    /// Emits every boundary strictly before `t`, before the event at `t` is
    /// processed; `sample(p)` is provider `p`'s state, constant since the
    /// last event.
    pub fn sample_before(&mut self, t: SimTime, mut sample: impl FnMut(usize) -> ProviderSample) {
        while self.next < t {
            self.emit(self.next, &mut sample);
            self.next += self.interval;
        }
    }

    /// The replicate ended at `end`: every boundary up to `end`, then a last
    /// partial row at `end` itself unless it is a boundary. No row when the
    /// replicate ended before the warm-up did.
    pub fn finish(mut self, end: SimTime, mut sample: impl FnMut(usize) -> ProviderSample) -> Vec<TimeseriesRow> {
        self.sample_before(end + SimDuration::from_micros(1), &mut sample);
        if end >= self.from && self.last_row != Some(end) {
            self.emit(end, &mut sample);
        }
        self.rows
    }

    pub fn arrival(&mut self, provider: usize, now: SimTime) {
        self.count(provider, now, |c| &mut c.arrivals);
    }

    /// An attempt answered, with its input tokens and those read from the cache.
    pub fn completion(&mut self, provider: usize, now: SimTime, tokens_input: u64, tokens_cache_read: u64) {
        if now >= self.from {
            let c = &mut self.counts[provider];
            c.completions += 1;
            c.tokens_input += tokens_input;
            c.tokens_cache_read += tokens_cache_read;
        }
    }

    pub fn error(&mut self, provider: usize, now: SimTime) {
        self.count(provider, now, |c| &mut c.errors);
    }

    /// A request refused with a 429 (for the admission models' rate limits).
    pub fn rate_limited(&mut self, provider: usize, now: SimTime) {
        self.count(provider, now, |c| &mut c.rate_limited);
    }

    /// Events before the warm-up's end are not counted.
    fn count(&mut self, provider: usize, now: SimTime, field: impl FnOnce(&mut Counts) -> &mut u64) {
        if now >= self.from {
            *field(&mut self.counts[provider]) += 1;
        }
    }

    fn emit(&mut self, time: SimTime, sample: &mut impl FnMut(usize) -> ProviderSample) {
        for (provider, c) in self.counts.iter_mut().enumerate() {
            let s = sample(provider);
            self.rows.push(TimeseriesRow {
                time,
                provider,
                arrivals: c.arrivals,
                completions: c.completions,
                rate_limited: c.rate_limited,
                errors: c.errors,
                levels: s.levels,
                cache_tokens: s.cache_tokens,
                cost_usd_cumulative: s.cost_usd_cumulative,
                tokens_input: c.tokens_input,
                tokens_cache_read: c.tokens_cache_read,
            });
            *c = Counts::default();
        }
        self.last_row = Some(time);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn s(secs: u64) -> SimTime {
        SimTime::from_micros(secs * 1_000_000)
    }

    /// A sample whose queue length is the number of arrivals so far, so a
    /// row shows which events it saw.
    fn level(queue: u64) -> impl FnMut(usize) -> ProviderSample {
        move |_| ProviderSample {
            levels: ServerLevels { waiting: queue, running: 0, busy: 0, capacity: 1 },
            ..ProviderSample::default()
        }
    }

    fn times(rows: &[TimeseriesRow]) -> Vec<u64> {
        rows.iter().map(|r| r.time.as_micros() / 1_000_000).collect()
    }

    #[test]
    fn an_event_at_a_boundary_belongs_to_the_interval_ending_there() {
        let mut ts = TimeseriesRecorder::new(SimDuration::from_secs(10), SimTime::ZERO, 1);
        let mut queue = 0;
        for t in [s(3), s(10), s(10), s(12)] {
            ts.sample_before(t, level(queue));
            ts.arrival(0, t);
            queue += 1;
        }
        let rows = ts.finish(s(12), level(queue));
        assert_eq!(times(&rows), [10, 12]);
        // The two arrivals at exactly 10 s are in the first row, and so is
        // the level they left behind.
        assert_eq!((rows[0].arrivals, rows[0].levels.waiting), (3, 3));
        assert_eq!((rows[1].arrivals, rows[1].levels.waiting), (1, 4));
    }

    #[test]
    fn a_long_gap_emits_every_boundary_it_spans_with_zero_counts() {
        let mut ts = TimeseriesRecorder::new(SimDuration::from_secs(60), SimTime::ZERO, 2);
        ts.sample_before(s(5), level(0));
        ts.arrival(1, s(5));
        ts.completion(1, s(7), 100, 60);
        // The next event comes at 5 min 1 s: boundaries 1..5 min are sampled
        // with the level set at 5 s.
        ts.sample_before(s(301), level(1));
        ts.error(0, s(301));
        let rows = ts.finish(s(301), level(1));
        assert_eq!(times(&rows), [60, 60, 120, 120, 180, 180, 240, 240, 300, 300, 301, 301]);
        assert_eq!(rows.iter().map(|r| r.provider).collect::<Vec<_>>(), [0, 1, 0, 1, 0, 1, 0, 1, 0, 1, 0, 1]);
        assert_eq!((rows[1].arrivals, rows[1].completions), (1, 1));
        assert_eq!((rows[1].tokens_input, rows[1].tokens_cache_read, rows[3].tokens_input), (100, 60, 0));
        assert!(rows[2..10].iter().all(|r| r.arrivals + r.completions + r.errors == 0 && r.levels.waiting == 1));
        assert_eq!((rows[10].errors, rows[11].errors), (1, 0));
    }

    #[test]
    fn the_last_partial_interval_gets_a_row_and_an_end_on_a_boundary_does_not_repeat() {
        let ts = TimeseriesRecorder::new(SimDuration::from_secs(60), SimTime::ZERO, 1);
        assert_eq!(times(&ts.finish(s(150), level(0))), [60, 120, 150]);
        let mut ts = TimeseriesRecorder::new(SimDuration::from_secs(60), SimTime::ZERO, 1);
        ts.sample_before(s(120), level(0));
        ts.completion(0, s(120), 10, 0);
        let rows = ts.finish(s(120), level(0));
        assert_eq!(times(&rows), [60, 120]);
        assert_eq!(rows[1].completions, 1, "the event at the end is in the row at the end");
    }

    #[test]
    fn no_row_and_no_count_before_the_warm_up_ends() {
        // Warm-up 90 s, interval 60 s: the first row is at 120 s and counts
        // only what happened from 90 s on.
        let mut ts = TimeseriesRecorder::new(SimDuration::from_secs(60), s(90), 1);
        for t in [s(30), s(89), s(90), s(100)] {
            ts.sample_before(t, level(0));
            ts.arrival(0, t);
        }
        let rows = ts.finish(s(130), level(0));
        assert_eq!(times(&rows), [120, 130]);
        assert_eq!(rows[0].arrivals, 2);
        // A replicate that ends during the warm-up has no row.
        let ts = TimeseriesRecorder::new(SimDuration::from_secs(60), s(90), 1);
        assert!(ts.finish(s(80), level(0)).is_empty());
    }

    #[test]
    fn a_warm_up_on_a_boundary_gives_a_row_there_with_the_events_at_that_instant() {
        let mut ts = TimeseriesRecorder::new(SimDuration::from_secs(60), s(60), 1);
        ts.sample_before(s(59), level(0));
        ts.arrival(0, s(59));
        ts.sample_before(s(60), level(0));
        ts.rate_limited(0, s(60));
        let rows = ts.finish(s(60), level(0));
        assert_eq!(times(&rows), [60]);
        assert_eq!((rows[0].arrivals, rows[0].rate_limited), (0, 1));
    }

    #[test]
    fn a_replicate_samples_its_queue_on_the_grid() {
        use crate::engine::tests::{provider, scenario, workload};
        use crate::engine::{Recording, simulate_replicate_with};
        use crate::scenario::Arrivals;
        use crate::trace::{Trace, TraceRequest};
        use std::sync::Arc;
        // One slot, 25 s of service (prefill of 1,000 tokens at 1e12/s rounds
        // to 0 us), requests at 0, 10, 20 and 60 s: served 0-25, 25-50, 50-75
        // and 75-100 s. Each bills 1,000 input tokens at $3/Mtok on completion.
        let mut p = provider(1);
        p.serving.base_latency = crate::dist::Dist::Fixed(25.0);
        p.serving.prefill_tokens_per_s = 1e12;
        p.cache.enabled = false;
        let request = |at: u64| TraceRequest {
            arrival_us: at * 1_000_000,
            input_tokens: 1_000,
            output_tokens: 0,
            blocks: vec![1, 2],
            ..Default::default()
        };
        let trace = Trace::new(512, [0, 10, 20, 60].map(request).to_vec());
        let mut w = workload(4, 1.0);
        w.arrivals = Arrivals::Trace { file: "trace.jsonl".into(), read: Default::default(), trace: Arc::new(trace) };
        let mut sc = scenario(p, w);
        sc.simulation.timeseries_interval = SimDuration::from_secs(30);
        let out = simulate_replicate_with(&sc, 1, 0, Recording { requests: false, timeseries: true }).unwrap();
        let rows = &out.timeseries;
        let got: Vec<[u64; 5]> = rows
            .iter()
            .map(|r| [r.time.as_micros() / 1_000_000, r.arrivals, r.completions, r.levels.waiting, r.levels.running])
            .collect();
        // (0, 30]: three arrivals (the one at 0 s too), the first done at 25 s;
        // the second in service, the third waiting. (30, 60]: the arrival at
        // exactly 60 s is in this row and waits. Then the queue drains.
        assert_eq!(got, [[30, 3, 1, 1, 1], [60, 1, 1, 1, 1], [90, 0, 1, 0, 1], [100, 0, 1, 0, 0]]);
        assert!(rows.iter().all(|r| r.levels.capacity == 1 && r.levels.busy == r.levels.running));
        let costs: Vec<f64> = rows.iter().map(|r| r.cost_usd_cumulative).collect();
        for (c, want) in costs.iter().zip([0.003, 0.006, 0.009, 0.012]) {
            assert!((c - want).abs() < 1e-15, "{costs:?}");
        }
        assert_eq!(costs[3], out.metrics.by_provider[0].cost.total(), "the last row is the metric, exactly");
    }

    #[test]
    fn cells_follow_the_columns() {
        let row = TimeseriesRow {
            time: SimTime::from_micros(90_500_000),
            provider: 0,
            arrivals: 4,
            completions: 3,
            rate_limited: 1,
            errors: 2,
            levels: ServerLevels { waiting: 5, running: 6, busy: 7, capacity: 8 },
            cache_tokens: 9,
            cost_usd_cumulative: 0.25,
            tokens_input: 10,
            tokens_cache_read: 11,
        };
        let line: Vec<String> =
            TIMESERIES_COLUMNS.iter().zip(row.cells("p")).map(|(c, v)| format!("{c}={v}")).collect();
        assert_eq!(
            line.join(","),
            "time_s=90.5,provider=p,arrivals=4,completions=3,queue_len=5,running=6,busy=7,capacity=8,\
             cache_tokens=9,cost_usd_cumulative=0.25,rate_limited=1,errors=2,tokens_input=10,tokens_cache_read=11"
        );
    }
}
