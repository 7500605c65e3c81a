//! `[providers.serving]` keys of the api model: what each new key loads as,
//! and a located message for each bad value.

use super::tests::{BASE, run};
use super::*;
use crate::dist::Dist;
use crate::time::SimDuration;

/// BASE with `serving` written as `[providers.serving]` (line 8 on).
fn with_serving(serving: &str) -> String {
    BASE.replace("[providers.pricing]", &format!("[providers.serving]\n{serving}\n[providers.pricing]"))
}

fn serving_of(serving: &str) -> Serving {
    match run(&with_serving(serving), &[]) {
        Ok(s) => s.providers[0].serving.clone(),
        Err(p) => panic!("unexpected problems: {p:#?}"),
    }
}

fn problems(serving: &str) -> Vec<String> {
    run(&with_serving(serving), &[]).err().unwrap_or_default()
}

#[test]
fn new_keys_default_to_the_plain_model() {
    let s = serving_of("");
    assert_eq!(s.cached_prefill_tokens_per_s, None);
    assert_eq!(s.decode_tokens_per_s, Dist::Fixed(50.0));
    assert_eq!(s.load_curve, None);
    assert_eq!(s.overhead_before_queue, Dist::Fixed(0.0));
    assert_eq!(s.overhead_per_output_token, SimDuration::ZERO);
}

#[test]
fn new_keys_load() {
    let s = serving_of(
        "cached_prefill_tokens_per_s = 200000\n\
         decode_tokens_per_s = { kind = \"lognormal\", median = 90, p90 = 120 }\n\
         load_curve = [[0, 1.0], [32, 0.8], [64, 0.5]]\n\
         overhead_before_queue = { kind = \"uniform\", low = \"10ms\", high = \"30ms\" }\n\
         overhead_per_output_token = \"2ms\"",
    );
    assert_eq!(s.cached_prefill_tokens_per_s, Some(200_000.0));
    assert_eq!(s.decode_tokens_per_s, Dist::lognormal_from_median_p90(90.0, 120.0));
    assert_eq!(s.load_curve, Some(LoadCurve { points: vec![(0, 1.0), (32, 0.8), (64, 0.5)] }));
    assert_eq!(s.overhead_before_queue, Dist::Uniform { low: 0.01, high: 0.03 });
    assert_eq!(s.overhead_per_output_token, SimDuration::from_millis(2));
    assert_eq!(serving_of("decode_tokens_per_s = 85").decode_tokens_per_s, Dist::Fixed(85.0));
}

#[test]
fn bad_cached_prefill_rates_are_located() {
    let at = "s.toml:6:31: providers[0].serving.cached_prefill_tokens_per_s";
    assert_eq!(problems("cached_prefill_tokens_per_s = 0"), [format!("{at}: must be > 0, got 0")]);
    assert_eq!(
        problems("cached_prefill_tokens_per_s = 2e9"),
        [format!("{at}: must be <= 1000000000 tokens per second, got 2000000000.0")]
    );
    assert_eq!(
        problems("cached_prefill_tokens_per_s = \"fast\""),
        [format!("{at}: expected a number, got string \"fast\"")]
    );
}

#[test]
fn bad_decode_rates_are_located() {
    let at = "s.toml:6:23: providers[0].serving.decode_tokens_per_s";
    assert_eq!(problems("decode_tokens_per_s = -5"), [format!("{at}: must be > 0, got -5")]);
    assert_eq!(
        problems("decode_tokens_per_s = 1e10"),
        [format!("{at}: must be <= 1000000000 tokens per second, got 10000000000.0")]
    );
    let infinite = "the mean time per token, E[1 / rate], is infinite: this distribution draws rates arbitrarily close to 0; use a lognormal, a gamma or weibull with shape > 1, a uniform with low > 0, or positive values";
    for d in [
        "{ kind = \"exponential\", mean = 80 }",
        "{ kind = \"gamma\", shape = 1, scale = 80 }",
        "{ kind = \"uniform\", low = 0, high = 100 }",
        "{ kind = \"empirical\", values = [0, 100] }",
    ] {
        assert_eq!(problems(&format!("decode_tokens_per_s = {d}")), [format!("{at}: {infinite}")], "{d}");
    }
    assert_eq!(
        problems("decode_tokens_per_s = { kind = \"lognormal\", median = 90, p90 = 80 }"),
        ["s.toml:6:64: providers[0].serving.decode_tokens_per_s.p90: must be > median (90), got 80"]
    );
    assert_eq!(
        problems("decode_tokens_per_s = { kind = \"uniform_int\", low = 50, high = 90 }"),
        [
            "s.toml:6:32: providers[0].serving.decode_tokens_per_s.kind: unknown distribution kind `uniform_int` (uniform_int draws integers, for counts only; use uniform for rates); expected one of: fixed, uniform, exponential, normal, lognormal, gamma, weibull, empirical, mixture"
        ]
    );
    assert_eq!(
        problems("decode_tokens_per_s = { kind = \"fixed\", value = 2e9 }"),
        [format!("{at}: the distribution's mean is 2.0000e9, more than 1000000000 tokens per second")]
    );
}

#[test]
fn bad_load_curves_are_located_at_their_point() {
    let at = "providers[0].serving.load_curve";
    assert_eq!(
        problems("load_curve = 0.5"),
        [format!(
            "s.toml:6:14: {at}: expected an array of [load, factor] points, e.g. [[0, 1.0], [32, 0.8], [64, 0.5]], got number 0.5"
        )]
    );
    assert_eq!(
        problems("load_curve = []"),
        [format!(
            "s.toml:6:14: {at}: must list at least one [load, factor] point, e.g. [[0, 1.0], [32, 0.8], [64, 0.5]]"
        )]
    );
    assert_eq!(
        problems("load_curve = [[0, 1.0], [32, 0.8, 1]]"),
        [format!("s.toml:6:25: {at}[1]: expected a [load, factor] pair such as [32, 0.8], got an array of 3 elements")]
    );
    assert_eq!(
        problems("load_curve = [[0, 1.0], [32, 1.5], [-1, 0.5]]"),
        [
            format!("s.toml:6:30: {at}[1][1]: the factor must be in (0, 1], got 1.5"),
            format!(
                "s.toml:6:37: {at}[2][0]: the load (requests in service) must be an integer in 0..=4294967295, got -1"
            ),
        ]
    );
    assert_eq!(
        problems("load_curve = [[8, 1.0], [8, 0.5], [4, 0.0]]"),
        [
            format!("s.toml:6:26: {at}[1][0]: loads must increase: 8 follows 8"),
            format!("s.toml:6:39: {at}[2][1]: the factor must be in (0, 1], got 0.0"),
        ]
    );
    assert_eq!(
        problems("load_curve = [[1.5, 1.0]]"),
        [format!("s.toml:6:16: {at}[0][0]: the load (requests in service) must be an integer >= 0, got number 1.5")]
    );
}

#[test]
fn bad_overheads_are_located() {
    assert_eq!(
        problems("overhead_before_queue = 5"),
        [
            "s.toml:6:25: providers[0].serving.overhead_before_queue: `5` has no unit; write e.g. \"5s\" (units: us, ms, s, m, h, d)"
        ]
    );
    assert_eq!(
        problems("overhead_before_queue = { kind = \"exponential\", mean = \"-1s\" }"),
        ["s.toml:6:56: providers[0].serving.overhead_before_queue.mean: `-1s` is negative; durations must be >= 0"]
    );
    assert_eq!(
        problems("overhead_per_output_token = 0.002"),
        [
            "s.toml:6:29: providers[0].serving.overhead_per_output_token: `0.002` has no unit; write e.g. \"0.002s\" (units: us, ms, s, m, h, d)"
        ]
    );
}

#[test]
fn slow_overheads_are_refused_with_the_dominant_key() {
    let got = problems("overhead_per_output_token = \"4d\"");
    assert_eq!(got.len(), 1, "{got:#?}");
    assert!(got[0].starts_with("s.toml:6:29: providers[0].serving.overhead_per_output_token: a request of workload `w` would take 3.4560e7 s"), "{}", got[0]);
    assert!(got[0].contains("output tokens (mean 1.0000e2) x overhead_per_output_token dominates"), "{}", got[0]);
}

#[test]
fn a_preset_distribution_is_replaced_whole_by_the_users() {
    let text = BASE.replace(
        "[providers.pricing]",
        "preset = \"anthropic/claude-sonnet-4-6\"\n[providers.serving]\nbase_latency = { kind = \"exponential\", mean = \"1s\" }\n[providers.pricing]",
    );
    let s = run(&text, &[]).unwrap_or_else(|p| panic!("{p:#?}"));
    assert_eq!(s.providers[0].serving.base_latency, Dist::Exponential { mean: 1.0 });
}
