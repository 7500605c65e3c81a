//! Tests of the ranking: hand-made replicate values, ties, undefined values.

use super::*;
use crate::metrics::{ReplicateMetrics, ScopeMetrics};

/// A replicate whose `cost_usd_per_session` is `usd / sessions` (undefined
/// with no sessions).
fn rep(i: u32, usd: f64, sessions: u64) -> VariantRecord {
    let mut overall = ScopeMetrics { sessions_started: sessions, ..ScopeMetrics::default() };
    overall.cost.output.add(usd);
    let m = ReplicateMetrics { replicate: i, overall, ..ReplicateMetrics::default() };
    VariantRecord::of(&m, 0)
}

const NAMES: [&str; 3] = ["baseline", "a", "b"];

fn acc(rank_by: RankBy) -> RankingAccumulator {
    RankingAccumulator::new(rank_by, NAMES.iter().map(|n| (*n, &[][..])))
}

fn p_best(r: &Ranking) -> Vec<Option<f64>> {
    r.variants.iter().map(|v| v.p_best).collect()
}

/// Four replicates of three variants (cost per session, $):
///   0: 2, 1, 3       a best
///   1: 1, 1, 4       baseline and a tie: 1/2 each
///   2: 5, 2, (none)  b undefined: left out
///   3: 3, 3, 3       three-way tie: 1/3 each
/// Used 3; wins baseline 1/2 + 1/3 = 5/6, a 1 + 1/2 + 1/3 = 11/6, b 1/3.
#[test]
fn lower_is_better_with_ties_and_an_undefined_value() {
    let mut a = acc(RankBy::default());
    let reps = [
        [rep(0, 4.0, 2), rep(0, 2.0, 2), rep(0, 6.0, 2)],
        [rep(1, 1.0, 1), rep(1, 2.0, 2), rep(1, 4.0, 1)],
        [rep(2, 5.0, 1), rep(2, 2.0, 1), rep(2, 7.0, 0)],
        [rep(3, 3.0, 1), rep(3, 6.0, 2), rep(3, 9.0, 3)],
    ];
    for r in &reps {
        a.push(&r.iter().collect::<Vec<_>>());
    }
    let r = a.finish();
    assert_eq!(r.metric, "cost_usd_per_session");
    assert_eq!(r.better, Better::Lower);
    assert_eq!(r.replicates, 3);
    let p = p_best(&r);
    let want = [5.0 / 18.0, 11.0 / 18.0, 1.0 / 9.0];
    for (got, want) in p.iter().zip(want) {
        assert!((got.unwrap() - want).abs() < 1e-12, "{p:?}");
    }
    let names: Vec<_> = r.variants.iter().map(|v| v.name.as_str()).collect();
    assert_eq!(names, NAMES);
}

#[test]
fn higher_is_better_picks_the_largest() {
    let mut a = acc(RankBy::parse("cost_usd:max").unwrap());
    a.push(&[&rep(0, 1.0, 1), &rep(0, 3.0, 1), &rep(0, 2.0, 1)]);
    a.push(&[&rep(1, 4.0, 1), &rep(1, 3.0, 1), &rep(1, 2.0, 1)]);
    let r = a.finish();
    assert_eq!((r.better, r.replicates), (Better::Higher, 2));
    assert_eq!(p_best(&r), [Some(0.5), Some(0.5), Some(0.0)]);
}

#[test]
fn no_usable_replicate_gives_no_probability() {
    let mut a = acc(RankBy::default());
    a.push(&[&rep(0, 1.0, 0), &rep(0, 1.0, 1), &rep(0, 1.0, 1)]);
    let r = a.finish();
    assert_eq!(r.replicates, 0);
    assert_eq!(p_best(&r), [None, None, None]);
}

#[test]
fn a_variant_without_the_metric_is_refused_by_check() {
    // A per-tier metric exists only for scenarios with that tier.
    let tiers = ["1h".to_string()];
    let metric = crate::metrics::metric_names(&tiers).into_iter().find(|m| m.contains("1h")).unwrap();
    let rank_by = RankBy { metric: metric.clone(), better: Better::Lower };
    assert_eq!(rank_by.check([("baseline", &tiers[..])]), Ok(()));
    assert_eq!(
        rank_by.check([("baseline", &tiers[..]), ("v", &[][..])]),
        Err(RankError::UnknownMetric { metric, variant: "v".into() })
    );
}

#[test]
fn parse_reads_the_direction_suffix() {
    let p = |s| RankBy::parse(s);
    assert_eq!(p("e2e_p99_s"), Ok(RankBy { metric: "e2e_p99_s".into(), better: Better::Lower }));
    assert_eq!(p("e2e_p99_s:min"), Ok(RankBy { metric: "e2e_p99_s".into(), better: Better::Lower }));
    assert_eq!(p("slo_met:max"), Ok(RankBy { metric: "slo_met".into(), better: Better::Higher }));
    assert_eq!(p("x:best"), Err(RankError::Direction("best".into())));
    assert_eq!(p(":max"), Err(RankError::Empty));
    assert_eq!(p(""), Err(RankError::Empty));
}

#[test]
fn a_rate_ranks_higher_first_unless_told_otherwise() {
    let hit = RankBy::parse("cache_hit_rate").unwrap();
    assert_eq!(hit.better, Better::Higher);
    assert_eq!(RankBy::parse(&hit.arg()).unwrap(), hit, "arg() reads back");
    let low = RankBy::parse("cache_hit_rate:min").unwrap();
    assert_eq!((low.better, low.arg().as_str()), (Better::Lower, "cache_hit_rate:min"));
    assert_eq!(RankBy::parse("ttft_s_p95").unwrap().better, Better::Lower);
    assert_eq!(RankBy::parse("ttft_s_p95:max").unwrap().arg(), "ttft_s_p95:max");
}
