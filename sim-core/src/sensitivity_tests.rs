//! Tests of the sensitivity module: the parameter list against the catalog,
//! default ranges, `--param` parsing, the variants and the tornado's order.

use super::*;
use crate::catalog::{preset_names, preset_toml};
use crate::metrics::{DiffAccumulator, ReplicateMetrics, ScopeMetrics, VariantRecord, VariantSummary};
use crate::scenario::{NoFiles, SourceText, load_variants, load_with};

/// A small scenario on `preset` (one provider `p`, one workload).
fn on_preset(preset: &str, provider_extra: &str) -> String {
    format!(
        "name = \"s\"\n[simulation]\nseed = 1\nreplicates = 2\n\
         [[providers]]\nname = \"p\"\npreset = \"{preset}\"\n{provider_extra}\n\
         [[workloads]]\nname = \"w\"\nprovider = \"p\"\nshared_prefix_tokens = 2000\ntask_tokens = 100\n\
         steps = 2\noutput_tokens = 10\ntool_result_tokens = 10\nthink_time = \"1s\"\n\
         arrivals = {{ sessions = 2, rate_per_s = 1.0 }}\n"
    )
}

/// Every key line of a preset whose own comment says `assumption`, found by
/// a plain text scan independent of `catalog::assumptions`.
fn assumption_lines(text: &str) -> Vec<String> {
    let mut section = String::new();
    let mut out = Vec::new();
    for line in text.lines() {
        if let Some(s) = line.strip_prefix('[').and_then(|l| l.strip_suffix(']')) {
            section = s.to_owned();
        } else if let Some((kv, comment)) = line.split_once('#')
            && comment.trim_start().starts_with("assumption")
            && let Some((key, _)) = kv.split_once('=')
        {
            out.push(format!("{section}.{}", key.trim()));
        }
    }
    out
}

#[test]
fn every_assumed_number_of_every_preset_is_a_parameter_with_a_range_that_loads() {
    for preset in preset_names() {
        let text = on_preset(preset, "");
        let params = assumed_parameters(&text, &[], &NoFiles).unwrap();
        let paths: Vec<String> = params.iter().map(|p| p.path.trim_start_matches("providers[0].").to_owned()).collect();
        for key in assumption_lines(preset_toml(preset).unwrap()) {
            assert!(paths.contains(&key), "{preset}: assumed `{key}` is not a parameter: {paths:?}");
        }
        assert!(!params.is_empty(), "{preset}");
        for p in &params {
            assert!(p.low != p.high, "{preset} {}: the range {}..{} is empty; state one", p.path, p.low, p.high);
            assert!(p.origin == format!("preset {preset}") && p.why.starts_with("assumption"), "{p:?}");
        }
        // Both ends of every parameter are values the scenario accepts.
        let src = SourceText { name: "s.toml", text: &text };
        let base = load_with(&src, &[], &NoFiles).unwrap();
        let variants = load_variants(&src, &[], &NoFiles, &base, &variant_specs(&params))
            .unwrap_or_else(|e| panic!("{preset}: {:?}", e.problems));
        assert_eq!(variants.len(), 2 * params.len());
    }
}

#[test]
fn a_number_the_user_sets_is_not_an_assumption() {
    let text = on_preset("anthropic/claude-haiku-4-5", "serving = { slots = 8 }");
    let set = [Override { path: "providers[0].serving.decode_tokens_per_s".into(), value: "90".into() }];
    let params = assumed_parameters(&text, &set, &NoFiles).unwrap();
    let paths: Vec<&str> = params.iter().map(|p| p.path.as_str()).collect();
    assert_eq!(paths, ["providers[0].serving.base_latency", "providers[0].serving.prefill_tokens_per_s"]);
    assert_eq!(
        (params[0].current.as_str(), params[0].low.as_str(), params[0].high.as_str(), params[0].range.as_str()),
        ("\"600ms\"", "\"300ms\"", "\"1200ms\"", "x0.5..x2")
    );
    // A whole table set by --set covers its keys.
    let set = [Override { path: "providers[0].serving".into(), value: "{ slots = 1 }".into() }];
    assert!(assumed_parameters(&text, &set, &NoFiles).unwrap().is_empty());
}

#[test]
fn litellm_bases_mark_their_assumed_numbers() {
    let catalog = r#"{ "gpt-x": { "litellm_provider": "openai", "mode": "chat",
        "input_cost_per_token": 1e-06, "output_cost_per_token": 2e-06, "cache_read_input_token_cost": 1e-07 } }"#;
    let text = "name = \"s\"\n[[providers]]\nname = \"p\"\nlitellm = { file = \"c.json\", model = \"gpt-x\" }\n";
    let files = |_: &str| Ok(catalog.to_owned());
    let params = assumed_parameters(text, &[], &files).unwrap();
    let paths: Vec<&str> = params.iter().map(|p| p.path.as_str()).collect();
    assert_eq!(
        paths,
        [
            "providers[0].serving.slots",
            "providers[0].serving.base_latency",
            "providers[0].serving.prefill_tokens_per_s",
            "providers[0].serving.decode_tokens_per_s",
            "providers[0].cache.ttl"
        ]
    );
    assert_eq!(params[4].origin, "litellm:gpt-x");
    assert_eq!((params[4].low.as_str(), params[4].high.as_str()), ("\"150s\"", "\"40m\""));
}

#[test]
fn default_ranges_follow_the_kind() {
    let r = |key: &str, v: toml::Value| default_range(key, &v).map(|(l, h, rule)| (l, h, rule.to_owned()));
    assert_eq!(r("serving.slots", toml::Value::Integer(1)), Some(("1".into(), "2".into(), "x0.5..x2".into())));
    assert_eq!(r("serving.slots", toml::Value::Integer(64)), Some(("32".into(), "128".into(), "x0.5..x2".into())));
    assert_eq!(r("x.speed", toml::Value::Float(180.0)), Some(("90.0".into(), "360.0".into(), "x0.5..x2".into())));
    assert_eq!(
        r("cache.ttl", toml::Value::String("24h".into())),
        Some(("\"6h\"".into(), "\"96h\"".into(), "x0.25..x4".into()))
    );
    let pair = toml::Value::Array(vec![toml::Value::Float(2.0), toml::Value::Float(4.0)]);
    assert_eq!(r("replicas.usd_per_replica_hour", pair), Some(("2.0".into(), "4.0".into(), "[low, high]".into())));
    let dist: toml::Value = "d = { kind = \"lognormal\", median = \"70ms\", p90 = \"177ms\" }"
        .parse::<toml::Table>()
        .unwrap()
        .remove("d")
        .unwrap();
    let (lo, hi, _) = default_range("serving.base_latency", &dist).unwrap();
    assert_eq!(lo, "{ kind = \"lognormal\", median = \"35ms\", p90 = \"88500us\" }");
    assert_eq!(hi, "{ kind = \"lognormal\", median = \"140ms\", p90 = \"354ms\" }");
    // A zero is not moved by a factor: its range must be stated.
    assert_eq!(r("cache.min_tokens", toml::Value::Integer(0)), None);
    assert_eq!(r("cache.miss_probability", toml::Value::Float(0.0)), None);
}

#[test]
fn params_parse_with_commas_inside_values() {
    let p = parse_param("providers[0].serving.decode_tokens_per_s=50,200").unwrap();
    assert_eq!(
        (p.path.as_str(), p.low.as_str(), p.high.as_str()),
        ("providers[0].serving.decode_tokens_per_s", "50", "200")
    );
    let p = parse_param("w.x={ kind = \"uniform\", low = 1, high = 2 },3").unwrap();
    assert_eq!(p.low, "{ kind = \"uniform\", low = 1, high = 2 }");
    for bad in ["nopath", "a.b=1", "a.b=1,2,3", "a.b=,2", "a..b=1,2"] {
        assert!(parse_param(bad).is_err(), "{bad}");
    }
    assert!(parse_param("a.b=1,2,3").unwrap_err().contains("PATH=LOW,HIGH"));
}

#[test]
fn user_params_replace_assumed_ones_and_only_params_drops_the_rest() {
    let text = on_preset("anthropic/claude-haiku-4-5", "");
    let assumed = assumed_parameters(&text, &[], &NoFiles).unwrap();
    let user = [
        parse_param("providers[0].serving.slots=4,8").unwrap(),
        parse_param("workloads[0].task_tokens=50,200").unwrap(),
    ];
    let resolved = "[[workloads]]\ntask_tokens = 100\n";
    let all = parameters(assumed.clone(), &user, false, resolved).unwrap();
    assert_eq!(all.len(), assumed.len() + 1);
    assert_eq!((all[0].origin.as_str(), all[0].low.as_str()), ("--param", "4"));
    assert_eq!((all.last().unwrap().current.as_str()), "100");
    let only = parameters(assumed.clone(), &user, true, resolved).unwrap();
    assert_eq!(only.iter().map(|p| p.path.as_str()).collect::<Vec<_>>(), [&user[0].path, &user[1].path]);
    assert_eq!(
        parameters(assumed, &[user[0].clone(), user[0].clone()], false, resolved).unwrap_err(),
        SensitivityError::DuplicateParam { path: user[0].path.clone() }
    );
    assert_eq!(parameters(Vec::new(), &[], false, resolved).unwrap_err(), SensitivityError::NothingToVary);
}

#[test]
fn variant_names_are_valid_and_distinct() {
    assert_eq!(
        variant_name("providers[1].serving.decode_tokens_per_s", "low"),
        "providers.1.serving.decode_tokens_per_s.low"
    );
    assert_eq!(
        variant_name("providers[0].pricing.cache_write_usd_per_mtok.\"5m\"", "high"),
        "providers.0.pricing.cache_write_usd_per_mtok.5m.high"
    );
}

fn rep(i: u32, cost: f64) -> ReplicateMetrics {
    let mut overall = ScopeMetrics::default();
    overall.sessions_started = 1;
    overall.cost.output.add(cost);
    ReplicateMetrics { replicate: i, overall, ..ReplicateMetrics::default() }
}

/// A variant whose per-replicate costs are the baseline's plus `deltas`.
fn variant(name: &str, base: &[f64], deltas: &[f64]) -> VariantSummary {
    let b: Vec<ReplicateMetrics> = base.iter().enumerate().map(|(i, c)| rep(i as u32, *c)).collect();
    let v: Vec<ReplicateMetrics> =
        base.iter().zip(deltas).enumerate().map(|(i, (c, d))| rep(i as u32, c + d)).collect();
    let mut acc = DiffAccumulator::new(&[], &[], &[], &[]);
    for (b, v) in b.iter().zip(&v) {
        acc.push(&VariantRecord::of(b, 0), &VariantRecord::of(v, 0));
    }
    let mut s = VariantSummary::from_replicates(name, &[], &[], &[], &v);
    s.diff_vs_baseline = Some(acc.finish());
    s
}

#[test]
fn tornado_puts_the_largest_effect_first_and_marks_undetectable_ones() {
    let param = |path: &str| Parameter {
        path: path.into(),
        current: "1".into(),
        low: "0".into(),
        high: "2".into(),
        origin: "--param".into(),
        range: "--param".into(),
        why: String::new(),
    };
    let params = [param("a"), param("b"), param("c")];
    let base = [10.0, 20.0, 30.0];
    let summary = Summary {
        schema_version: 2,
        scenario: "t".into(),
        seed: 1,
        replicates: 3,
        target_ci: None,
        variants: vec![
            VariantSummary::from_replicates("baseline", &[], &[], &[], &[rep(0, 10.0), rep(1, 20.0), rep(2, 30.0)]),
            variant("a.low", &base, &[-1.0, -1.0, -1.0]),
            variant("a.high", &base, &[1.0, 1.0, 1.0]),
            variant("b.low", &base, &[0.0, 0.0, 0.0]),
            variant("b.high", &base, &[0.0, 0.0, 0.0]),
            variant("c.low", &base, &[-5.0, -4.0, -6.0]),
            variant("c.high", &base, &[0.5, -0.5, 0.0]),
        ],
        ranking: None,
    };
    let rows = tornado(&params, &summary, "cost_usd_per_session");
    assert_eq!(rows.iter().map(|r| r.param).collect::<Vec<_>>(), [2, 0, 1]);
    assert_eq!(rows[0].low.mean, Some(-5.0));
    assert_eq!(rows[0].swing, Some(5.0));
    assert!(rows[0].detectable && rows[1].detectable);
    assert_eq!((rows[2].low.mean, rows[2].high.mean, rows[2].detectable), (Some(0.0), Some(0.0), false));
    assert_eq!(rows[1].swing, Some(2.0));
}
