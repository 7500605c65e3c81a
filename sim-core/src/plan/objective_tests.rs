//! Objective parsing, checking against a scenario's names, and verdicts.

use super::*;

fn stats(mean: f64, low: f64, high: f64) -> MetricStats {
    MetricStats { mean: Some(mean), std: Some(1.0), ci95_low: Some(low), ci95_high: Some(high), n: 10 }
}

#[test]
fn objectives_parse_with_every_operator_and_scope() {
    let o = Objective::parse(" ttft_s_p95 <= 3 ").unwrap();
    assert_eq!((o.scope.clone(), o.metric.as_str(), o.cmp, o.threshold), (Scope::Overall, "ttft_s_p95", Cmp::Le, 3.0));
    assert_eq!(Objective::parse("x<1").unwrap().cmp, Cmp::Lt);
    assert_eq!(Objective::parse("x>=1").unwrap().cmp, Cmp::Ge);
    assert_eq!(Objective::parse("x>1e-3").unwrap().threshold, 1e-3);
    let p = Objective::parse("provider:api:utilization<0.8").unwrap();
    assert_eq!(
        (p.scope.clone(), p.label()),
        (Scope::Provider("api".into()), "provider:api:utilization<0.8".to_string())
    );
    assert_eq!(Objective::parse("workload:w:e2e_s_p50>=2").unwrap().scope, Scope::Workload("w".into()));
}

#[test]
fn malformed_objectives_say_what_is_expected() {
    assert!(Objective::parse("ttft_s_p95=3").unwrap_err().contains("expected METRIC<=X"));
    assert!(Objective::parse("ttft<=fast").unwrap_err().contains("threshold `fast` is not a finite number"));
    assert!(Objective::parse("ttft<=inf").unwrap_err().contains("not a finite number"));
    assert!(Objective::parse("region:x:ttft<=1").unwrap_err().contains("provider:NAME:METRIC"));
    assert_eq!(Objective::parse("<=1").unwrap_err(), "empty metric name");
}

#[test]
fn unknown_names_suggest_the_nearest() {
    let (p, w) = (vec!["api".to_string()], vec!["agents".to_string()]);
    let check = |t: &str| Objective::parse(t).unwrap().check(&[], &p, &w);
    assert_eq!(check("ttft_p95<=3").unwrap_err(), "unknown metric `ttft_p95` (did you mean `ttft_s_p95`?)");
    assert!(check("provider:apj:ttft_s_p95<=3").unwrap_err().contains("unknown provider `apj` (did you mean `api`?)"));
    assert!(check("workload:agents:utilization<=1").unwrap_err().contains("not per workload"));
    assert!(check("zzzzzzzzzzzz<=1").unwrap_err().contains("docs/outputs.md"));
    assert_eq!(
        check("queue_wat<=1").unwrap_err(),
        "unknown metric `queue_wat` (did you mean `queue_wait_s_mean`, `queue_len_mean`, `queue_len_max`?)"
    );
    assert_eq!(check("workload:agents:ttft_s_p95<=3"), Ok(()));
}

#[test]
fn every_bad_slo_is_reported_at_once() {
    let texts = ["ttft_p95<=3".to_string(), "cost_usd<=1".to_string(), "x=1".to_string()];
    let err = parse_objectives(&texts, &[], &[], &[]).unwrap_err();
    assert_eq!(err.problems.len(), 2);
    let text = err.to_string();
    assert!(text.starts_with("--slo `ttft_p95<=3`: unknown metric"), "{text}");
    assert!(text.contains("\n--slo `x=1`: expected"), "{text}");
    assert!(parse_objectives(&[], &[], &[], &[]).unwrap_err().to_string().contains("at least one objective"));
}

#[test]
fn verdicts_need_the_whole_interval_on_one_side() {
    let le = Objective::parse("m<=3").unwrap();
    assert_eq!(le.verdict(&stats(2.0, 1.0, 3.0)), Verdict::Met, "the bound itself meets <=");
    assert_eq!(le.verdict(&stats(2.9, 2.8, 3.1)), Verdict::Uncertain);
    assert_eq!(le.verdict(&stats(4.0, 3.5, 4.5)), Verdict::Missed);
    let lt = Objective::parse("m<3").unwrap();
    assert_eq!(lt.verdict(&stats(2.0, 1.0, 3.0)), Verdict::Uncertain, "the bound itself does not meet <");
    assert_eq!(lt.verdict(&stats(4.0, 3.0, 5.0)), Verdict::Missed);
    let ge = Objective::parse("m>=0.9").unwrap();
    assert_eq!(ge.verdict(&stats(0.95, 0.9, 1.0)), Verdict::Met);
    assert_eq!(ge.verdict(&stats(0.5, 0.4, 0.6)), Verdict::Missed);
    let gt = Objective::parse("m>0.9").unwrap();
    assert_eq!(gt.verdict(&stats(0.95, 0.9, 1.0)), Verdict::Uncertain);
    let undefined = MetricStats { mean: None, std: None, ci95_low: None, ci95_high: None, n: 0 };
    assert_eq!(le.verdict(&undefined), Verdict::Undefined);
    let single = MetricStats { mean: Some(1.0), std: None, ci95_low: None, ci95_high: None, n: 1 };
    assert_eq!(le.verdict(&single), Verdict::Uncertain, "one replicate has no interval");
}
