//! The anatomy keys: what they load to, and every bad value located.

use super::tests::{BASE, run};
use super::*;
use crate::dist::{Dist, TokenDist};

fn with(extra: &str) -> String {
    BASE.replace("output_tokens = 100\n", &format!("output_tokens = 100\n{extra}"))
}

fn problems(text: &str) -> Vec<String> {
    match run(text, &[]) {
        Ok(_) => panic!("loaded:\n{text}"),
        Err(p) => p,
    }
}

#[test]
fn every_anatomy_key_loads() {
    let text = with(
        r#"shared_segments = [{ name = "system", tokens = 3000 }]
tool_calls = { kind = "uniform_int", low = 1, high = 4 }
tool_latency = { kind = "mixture", components = [{ weight = 0.8, value = "20s" }, { weight = 0.2, value = { kind = "lognormal", median = "6m", p90 = "20m" } }] }
[workloads.human]
every = 9
pause = "21m"
[workloads.knowledge_base]
documents = 500
tokens = 1500
[[workloads.cache_busting]]
segment = "system"
probability = 0.02
"#,
    );
    let s = run(&text, &[]).unwrap_or_else(|p| panic!("{p:#?}"));
    let a = &s.workloads[0].anatomy;
    assert_eq!(a.tool_calls, TokenDist::new(Dist::UniformInt { low: 1, high: 4 }));
    let Dist::Mixture { weights, components } = &a.tool_latency else { panic!("{:?}", a.tool_latency) };
    assert_eq!((weights.as_slice(), &components[0]), ([0.8, 0.2].as_slice(), &Dist::Fixed(20.0)));
    // Weighted mean: 0.8 x 20 s + 0.2 x e^(ln 360 + sigma^2 / 2).
    let sigma = (1200.0f64 / 360.0).ln() / crate::dist::Z90;
    let expect = 0.8 * 20.0 + 0.2 * (360f64.ln() + sigma * sigma / 2.0).exp();
    assert!((a.tool_latency.mean() - expect).abs() < 1e-9);
    let h = a.human.as_ref().unwrap();
    assert_eq!(
        (&h.every, &h.pause, &h.message_tokens),
        (&TokenDist::new(Dist::Fixed(9.0)), &Dist::Fixed(1260.0), &TokenDist::new(Dist::Fixed(0.0)))
    );
    let kb = a.knowledge_base.as_ref().unwrap();
    assert_eq!((kb.documents, kb.zipf_s, kb.cumulative.len()), (500, 1.0, 500));
    assert_eq!(a.cache_busting, [CacheBust { target: BustTarget::Segment("system".into()), probability: 0.02 }]);
}

#[test]
fn stop_probability_is_a_capped_geometric_count() {
    let text = BASE.replace("steps = 10\n", "stop_probability = 0.1\n");
    let s = run(&text, &[]).unwrap();
    assert_eq!(s.workloads[0].steps, TokenDist::new(Dist::Geometric { p: 0.1, max: DEFAULT_MAX_STEPS }));
    let text = BASE.replace("steps = 10\n", "stop_probability = 1\nmax_steps = 3\n");
    assert_eq!(run(&text, &[]).unwrap().workloads[0].steps, TokenDist::new(Dist::Geometric { p: 1.0, max: 3 }));
}

#[test]
fn bad_anatomy_values_are_located() {
    let text = BASE.replace("steps = 10\n", "steps = 10\nstop_probability = 0.1\n");
    assert_eq!(
        problems(&text),
        ["s.toml:13:1: workloads[0].stop_probability: give either `steps` or `stop_probability`, not both"]
    );
    let text = BASE.replace("steps = 10\n", "stop_probability = 0\nmax_steps = 0\n");
    assert_eq!(
        problems(&text),
        [
            "s.toml:12:20: workloads[0].stop_probability: must be in (0, 1], got 0",
            "s.toml:13:13: workloads[0].max_steps: must be >= 1, got 0",
        ]
    );
    let text = with(
        r#"tool_latency = { kind = "mixture", components = [{ weight = 0, value = "1s" }, { value = { kind = "mixture", components = [] } }, { weight = 1, value = "1s", extra = 2 }] }
[workloads.knowledge_base]
documents = 2000000
tokens = { kind = "mixture", components = [{ weight = 1, value = { kind = "fixed", value = 5, offset = 1 } }] }
zipf_s = -1
[[workloads.cache_busting]]
segment = "nope"
probability = 1.5
"#,
    );
    assert_eq!(
        problems(&text),
        [
            "s.toml:14:61: workloads[0].tool_latency.components[0].weight: must be > 0, got 0",
            "s.toml:14:80: workloads[0].tool_latency.components[1].weight: missing key `weight` (a number > 0)",
            "s.toml:14:99: workloads[0].tool_latency.components[1].value.kind: a mixture's component may not be a mixture; list its components in the outer mixture instead",
            "s.toml:14:159: workloads[0].tool_latency.components[2].extra: unknown key `extra` for a mixture component; expected one of: weight, value",
            "s.toml:16:13: workloads[0].knowledge_base.documents: must be <= 1000000, got 2000000",
            "s.toml:17:95: workloads[0].knowledge_base.tokens.components[0].value.offset: `offset` applies to the whole mixture: put it beside `kind = \"mixture\"`",
            "s.toml:18:10: workloads[0].knowledge_base.zipf_s: must be in [0, 10], got -1",
            "s.toml:20:11: workloads[0].cache_busting[0].segment: unknown segment `nope`; this workload's segments: task",
            "s.toml:21:15: workloads[0].cache_busting[0].probability: must be in [0, 1], got 1.5",
        ]
    );
}
