//! The serving metrics of a scope by hand: TPOT percentiles and output speed,
//! error rate, SLO attainment, time-weighted means from given gauges, and the
//! merge of several providers' gauges.

use super::*;
use crate::metrics::Area;
use crate::metrics::metric_names;

/// `name`'s value in a scope without cache tiers.
fn value(m: &ScopeMetrics, name: &str) -> Option<f64> {
    let names = metric_names(&[]);
    m.values(0)[names.iter().position(|n| n == name).expect("a metric name")]
}

/// An answered request of `output` tokens whose decode took `decode_ms`.
fn answered(output: u64, decode_ms: u64, slo_met: Option<bool>) -> RequestOutcome {
    RequestOutcome {
        tokens: TokenCounts { input: 100, uncached: 100, output, ..TokenCounts::default() },
        cost: CostBreakdown::default(),
        queue_wait: SimDuration::ZERO,
        ttft: SimDuration::from_millis(200),
        e2e: SimDuration::from_millis(200 + decode_ms),
        decode: SimDuration::from_millis(decode_ms),
        output_tokens: output,
        slo_met,
    }
}

fn close(x: Option<f64>, expected: f64, rel: f64) {
    let x = x.expect("defined");
    assert!((x - expected).abs() <= rel * expected.abs(), "{x} vs {expected}");
}

#[test]
fn tpot_percentiles_and_output_speed_by_hand() {
    let mut m = ScopeMetrics::default();
    // 11 tokens decoded in 10 i ms: 10 gaps of i ms, so TPOT = i ms, speed 1000 / i tokens/s.
    for i in 1..=100 {
        m.record_request(&answered(11, 10 * i, None));
    }
    // No TPOT sample: one token has no gap; a decode of no time (a batch
    // answer delivered at once) has no speed.
    m.record_request(&answered(1, 0, None));
    m.record_request(&answered(5, 0, None));
    assert_eq!(m.tpot.count(), 100);
    // Percentiles of 1..100 ms: the 50th, 95th and 99th samples (HdrHistogram, 0.1%).
    close(value(&m, "tpot_s_p50"), 0.050, 1e-3);
    close(value(&m, "tpot_s_p95"), 0.095, 1e-3);
    close(value(&m, "tpot_s_p99"), 0.099, 1e-3);
    // Mean of 1000 / i over i = 1..100: 10 x H(100), H(100) = 5.187377517639621.
    close(value(&m, "output_tokens_per_s_mean"), 51.87377517639621, 1e-12);
    // Every answered request is an e2e sample: (100 x 0.2 + 10 x 5,050 ms + 2 x 0.2) / 102.
    close(value(&m, "e2e_s_mean"), (20.0 + 50.5 + 0.4) / 102.0, 1e-12);
}

#[test]
fn error_rate_counts_errors_among_answers_errors_and_timeouts() {
    let mut m = ScopeMetrics::default();
    for _ in 0..7 {
        m.record_request(&answered(10, 100, None));
    }
    m.errors = 2;
    m.timeouts = 1;
    // Neither 429s, pings nor abandoned attempts are in the denominator.
    m.rate_limited = 5;
    m.record_keep_alive(&TokenCounts::default(), &CostBreakdown::default());
    m.record_abandoned(&TokenCounts::default(), &CostBreakdown::default());
    assert_eq!(value(&m, "requests"), Some(9.0));
    assert_eq!(value(&m, "error_rate"), Some(2.0 / 10.0));
    assert_eq!(value(&m, "timeouts"), Some(1.0));
    assert_eq!(value(&ScopeMetrics::default(), "error_rate"), None);
}

#[test]
fn slo_attainment_judges_answered_and_unanswered_steps() {
    let mut m = ScopeMetrics::default();
    assert_eq!(value(&m, "slo_attainment"), None, "no objectives: undefined");
    for met in [true, true, true, true, false] {
        m.record_request(&answered(10, 100, Some(met)));
    }
    // A workload without objectives is not judged.
    m.record_request(&answered(10, 100, None));
    m.record_failed_step_slo();
    assert_eq!(value(&m, "slo_attainment"), Some(4.0 / 6.0));
}

#[test]
fn time_weighted_means_from_given_gauges() {
    let mut m = ScopeMetrics { span_s: 50.0, ..ScopeMetrics::default() };
    m.tokens.output = 1_000;
    m.concurrency = Area { level_s: 80.0, peak: 5 };
    m.sessions_active = Area { level_s: 25.0, peak: 2 };
    // Without a server (a workload's scope) the serving metrics are undefined.
    for name in ["utilization", "queue_len_mean", "queue_len_max", "preemptions", "kv_util_peak"] {
        assert_eq!(value(&m, name), None, "{name}");
    }
    m.serving = Some(ServingGauges {
        queue: Area { level_s: 30.0, peak: 4 },
        busy: Area { level_s: 45.0, peak: 2 },
        capacity_s: 2.0 * 50.0,
        preemptions: 3,
        kv_util_peak: Some(0.75),
        iterations: 0,
    });
    assert_eq!(value(&m, "throughput_output_tokens_per_s"), Some(20.0));
    assert_eq!(value(&m, "concurrency_mean"), Some(1.6));
    assert_eq!(value(&m, "sessions_active_mean"), Some(0.5));
    assert_eq!(value(&m, "utilization"), Some(0.45));
    assert_eq!(value(&m, "queue_len_mean"), Some(0.6));
    assert_eq!(value(&m, "queue_len_max"), Some(4.0));
    assert_eq!(value(&m, "preemptions"), Some(3.0));
    assert_eq!(value(&m, "kv_util_peak"), Some(0.75));
    // A replicate that ended before its warm-up observed nothing.
    m.span_s = 0.0;
    assert_eq!(value(&m, "throughput_output_tokens_per_s"), None);
    assert_eq!(value(&m, "queue_len_mean"), None);
}

#[test]
fn merged_serving_gauges_add_areas_and_keep_the_largest_peaks() {
    let api = ServingGauges {
        queue: Area { level_s: 10.0, peak: 6 },
        busy: Area { level_s: 30.0, peak: 4 },
        capacity_s: 40.0,
        ..ServingGauges::default()
    };
    let replicas = ServingGauges {
        queue: Area { level_s: 2.0, peak: 3 },
        busy: Area { level_s: 5.0, peak: 1 },
        capacity_s: 10.0,
        preemptions: 7,
        kv_util_peak: Some(0.5),
        iterations: 9,
    };
    let mut all = ServingGauges::default();
    all.merge(&api);
    all.merge(&replicas);
    assert_eq!(all.queue, Area { level_s: 12.0, peak: 6 });
    assert_eq!(all.busy, Area { level_s: 35.0, peak: 4 });
    assert_eq!((all.capacity_s, all.preemptions, all.kv_util_peak, all.iterations), (50.0, 7, Some(0.5), 9));
    let mut more = ServingGauges { kv_util_peak: Some(0.25), ..replicas };
    more.merge(&all);
    assert_eq!(more.kv_util_peak, Some(0.5));
    // Overall utilisation is capacity-weighted: 35 / 50, not the mean of 0.75 and 0.5.
    let m = ScopeMetrics { span_s: 10.0, serving: Some(all), ..ScopeMetrics::default() };
    assert_eq!(value(&m, "utilization"), Some(0.7));
    assert_eq!(value(&m, "queue_len_mean"), Some(1.2));
}

#[test]
fn dollar_sums_do_not_depend_on_the_order_of_the_amounts() {
    // In floating point, (a + b) + c != a + (c + b) for these: the exact sum does not care.
    let amounts = [0.1, 1e-9, 0.2, 3.0e-7, 0.7, 1.0e-12];
    let (mut forward, mut backward) = (UsdSum::default(), UsdSum::default());
    amounts.iter().for_each(|a| forward.add(*a));
    amounts.iter().rev().for_each(|a| backward.add(*a));
    assert_eq!(forward, backward);
    assert!((forward.usd() - amounts.iter().sum::<f64>()).abs() < 1e-14);
    let float_forward = amounts.iter().fold(0.0, |s, a| s + a);
    let float_backward = amounts.iter().rev().fold(0.0, |s, a| s + a);
    assert_ne!(float_forward, float_backward, "the float sums differ, which is why");
}
