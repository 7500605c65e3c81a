//! The registry's own promises: complete entries, unique names, values that
//! line up with names, table groups in their reading order, and metrics
//! declared for providers and overall undefined in a workload's scope.

use super::*;
use crate::metrics::{Area, MAX_CACHE_TIERS, ServingGauges};

fn tiers(n: usize) -> Vec<String> {
    (0..n).map(|i| format!("t{i}")).collect()
}

#[test]
fn every_entry_has_a_unit_and_a_one_line_description() {
    for def in METRICS {
        assert!(!def.unit.trim().is_empty(), "{} has no unit", def.name);
        assert!(!def.description.trim().is_empty(), "{} has no description", def.name);
        assert!(!def.description.contains('\n'), "{}'s description is not one line", def.name);
    }
}

#[test]
fn names_are_unique_whatever_the_tiers() {
    for n in [0, 1, MAX_CACHE_TIERS] {
        let names = metric_names(&tiers(n));
        let mut sorted = names.clone();
        sorted.sort();
        sorted.dedup();
        assert_eq!(sorted.len(), names.len(), "a name repeats with {n} tiers");
    }
}

#[test]
fn only_the_per_tier_family_holds_the_placeholder() {
    for def in METRICS {
        let per_tier = matches!(def.value, Value::PerTier(_));
        assert_eq!(def.name.contains(TIER_PLACEHOLDER), per_tier, "{}", def.name);
    }
}

#[test]
fn values_line_up_with_names() {
    let m = ScopeMetrics::default();
    for n in 0..=MAX_CACHE_TIERS {
        assert_eq!(m.values(n).len(), metric_names(&tiers(n)).len(), "{n} tiers");
    }
}

#[test]
fn output_order_is_the_published_one() {
    // 57 fixed metrics, one per tier, three cache metrics, then the two of
    // routing (docs/outputs.md).
    let names = metric_names(&["5m".to_string(), "1h".to_string()]);
    assert_eq!(names.len(), 64);
    assert_eq!(names[0], "sessions_started");
    assert_eq!(names[9], "cost_usd");
    assert_eq!(names[10..13], ["cost_usd_per_session", "cost_usd_per_hour", "cost_usd_per_month_projected"]);
    assert_eq!(names[24..27], ["cost_usd_per_session_p50", "cost_usd_per_session_p95", "cost_usd_per_session_p99"]);
    assert_eq!(names[54..57], ["cost_usd_compute", "subagents_spawned", "compactions"]);
    assert_eq!(names[57..60], ["tokens_cache_write_5m", "tokens_cache_write_1h", "cache_hit_rate_requests"]);
    assert_eq!(names[60..62], ["cache_entries_peak", "cache_tokens_peak"]);
    assert_eq!(names[62..], ["failovers", "route_switches"]);
}

#[test]
fn per_tier_values_follow_the_tier_index() {
    let mut m = ScopeMetrics::default();
    m.tokens.cache_write_by_tier[0] = 700;
    m.tokens.cache_write_by_tier[1] = 30;
    m.tokens.cache_write_by_tier[2] = 5;
    let names = metric_names(&tiers(2));
    let v = m.values(2);
    let at = |name: &str| v[names.iter().position(|n| n == name).unwrap()];
    assert_eq!((at("tokens_cache_write_t0"), at("tokens_cache_write_t1")), (Some(700.0), Some(30.0)));
}

#[test]
fn table_groups_keep_their_reading_order() {
    let main = [
        "requests",
        "cost_usd",
        "cost_usd_cache_write",
        "cost_usd_cache_read",
        "cost_usd_per_session",
        "blended_usd_per_mtok",
        "cache_hit_rate",
        "ttft_s_p50",
        "ttft_s_p95",
        "e2e_s_p95",
        "session_duration_s_p95",
        "errors",
        "cost_usd_per_hour",
    ];
    assert_eq!(table_metrics(TableGroup::Main), main);
    assert_eq!(
        table_metrics(TableGroup::Replicas),
        [
            "cost_usd_compute",
            "tpot_s_p50",
            "throughput_output_tokens_per_s",
            "utilization",
            "preemptions",
            "kv_util_peak"
        ]
    );
    assert_eq!(
        table_metrics(TableGroup::Admission),
        ["rate_limited", "retries", "timeouts", "error_rate", "slo_attainment"]
    );
    assert_eq!(
        table_metrics(TableGroup::Comparison),
        ["cost_usd_per_session", "cost_usd", "cache_hit_rate", "blended_usd_per_mtok", "ttft_s_p50", "ttft_s_p95"]
    );
}

#[test]
fn table_rows_are_numbered_without_gaps_or_repeats() {
    for group in [TableGroup::Main, TableGroup::Replicas, TableGroup::Admission, TableGroup::Comparison] {
        let mut rows: Vec<u8> =
            METRICS.iter().flat_map(|d| d.table.iter().filter(|(g, _)| *g == group).map(|(_, r)| *r)).collect();
        rows.sort_unstable();
        assert_eq!(rows, (0..rows.len() as u8).collect::<Vec<_>>(), "{group:?}");
    }
}

#[test]
fn provider_metrics_are_undefined_in_a_workload_scope() {
    let provider_only = |m: &ScopeMetrics| -> Vec<(&str, Option<f64>)> {
        let values = m.values(0);
        let scalars = METRICS.iter().filter(|d| matches!(d.value, Value::Scalar(_)));
        scalars
            .zip(values)
            .filter(|(d, _)| d.scopes == ScopeSet::ProvidersAndOverall)
            .map(|(d, v)| (d.name, v))
            .collect()
    };
    // A workload's scope: requests, a span, but neither servers nor caches.
    let mut m = ScopeMetrics { span_s: 10.0, requests: 3, ..ScopeMetrics::default() };
    let names: Vec<&str> = provider_only(&m).iter().map(|(n, _)| *n).collect();
    assert_eq!(
        names,
        [
            "utilization",
            "queue_len_mean",
            "queue_len_max",
            "preemptions",
            "kv_util_peak",
            "cache_entries_peak",
            "cache_tokens_peak"
        ]
    );
    assert!(provider_only(&m).iter().all(|(_, v)| v.is_none()));
    // A provider's scope defines them all.
    m.serving = Some(ServingGauges {
        queue: Area { level_s: 5.0, peak: 2 },
        busy: Area { level_s: 10.0, peak: 1 },
        capacity_s: 20.0,
        preemptions: 1,
        kv_util_peak: Some(0.25),
        ..ServingGauges::default()
    });
    m.cache_entries_peak = Some(4);
    m.cache_tokens_peak = Some(4_096);
    let values: Vec<Option<f64>> = provider_only(&m).into_iter().map(|(_, v)| v).collect();
    assert_eq!(values, [Some(0.5), Some(0.5), Some(2.0), Some(1.0), Some(0.25), Some(4.0), Some(4_096.0)]);
}

#[test]
fn cost_per_hour_is_cost_over_the_observed_span() {
    let mut m = ScopeMetrics::default();
    m.cost.output.add(3.0);
    m.cost.uncached.add(1.5);
    m.span_s = 7200.0;
    let names = metric_names(&[]);
    let values = m.values(0);
    let get = |name: &str| values[names.iter().position(|n| n == name).unwrap()];
    // 4.5 USD over two hours.
    assert_eq!(get("cost_usd_per_hour"), Some(2.25));
    assert_eq!(get("cost_usd_per_month_projected"), Some(2.25 * 720.0));
    m.span_s = 0.0;
    assert_eq!(m.values(0)[names.iter().position(|n| n == "cost_usd_per_hour").unwrap()], None);
}
