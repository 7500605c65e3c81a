//! The bundled routing example end to end (docs/routing.md): each policy's
//! signature in summary.json (switches, failovers, per-provider requests),
//! the report naming the route, and `plan --across-providers` refusing a
//! routed workload.

use crate::support::{Scratch, agentsim, arg, bundled, bundled_run, read_json};

#[test]
fn the_routing_example_shows_each_policy() {
    let (_s, out) = bundled_run("routing", "examples/routing.toml", &["--replicates", "2"]);
    let summary = read_json(&out.join("summary.json"));
    let variants = summary["variants"].as_array().unwrap();
    let by_name = |name: &str| variants.iter().find(|v| v["name"] == name).unwrap_or_else(|| panic!("{name}"));
    let mean = |v: &serde_json::Value, metric: &str| v["metrics"][metric]["mean"].as_f64().unwrap();
    let provider_mean = |v: &serde_json::Value, p: &str, metric: &str| {
        v["by_provider"][p][metric]["mean"].as_f64().unwrap_or_else(|| panic!("{p} {metric}"))
    };
    // The 50/50 split hops between caches; weight 0 sends nothing to together.
    let baseline = by_name("baseline");
    assert!(mean(baseline, "route_switches") > 100.0);
    assert_eq!(provider_mean(baseline, "together", "requests"), 0.0);
    assert!(provider_mean(baseline, "fireworks", "requests") > 0.0);
    // Sticky sessions never switch, and read more of their cache.
    let sticky = by_name("sticky");
    assert_eq!(mean(sticky, "route_switches"), 0.0);
    assert!(mean(sticky, "cache_hit_rate") > mean(baseline, "cache_hit_rate"));
    // Fixed on fireworks: every request there, none switches; its outage
    // fails steps that fallback moves to groq instead.
    let fixed = by_name("fixed-fireworks");
    assert_eq!(mean(fixed, "route_switches"), 0.0);
    assert_eq!(provider_mean(fixed, "fireworks", "requests"), mean(fixed, "requests"));
    let fallback = by_name("fallback");
    assert!(mean(fallback, "failovers") > 0.0);
    assert_eq!(provider_mean(fallback, "fireworks", "failovers"), mean(fallback, "failovers"));
    assert!(provider_mean(fallback, "groq", "requests") > 0.0);
    assert!(mean(fallback, "sessions_completed") > mean(fixed, "sessions_completed"));
    // Only fallback fails over.
    for v in variants.iter().filter(|v| v["name"] != "fallback") {
        assert_eq!(mean(v, "failovers"), 0.0, "{}", v["name"]);
    }
    // The report says how the workload was routed, from scenario.resolved.toml.
    let report = std::fs::read_to_string(out.join("report.md")).unwrap();
    assert!(
        report.contains("workload agents routed (weighted) across providers fireworks, groq, together"),
        "{report}"
    );
}

#[test]
fn plan_across_providers_refuses_a_routed_workload() {
    let s = Scratch::new("routing-plan");
    let o = agentsim([
        "plan",
        &arg(&bundled("examples/routing.toml")),
        "--out",
        &arg(&s.path("p")),
        "--cheapest",
        "--across-providers",
        "--slo",
        "ttft_s_p95<=10",
    ]);
    let o = o.expect_code(2);
    assert!(o.stderr.contains("workload `agents` routes across providers ([workloads.routing])"), "{}", o.stderr);
    assert!(!s.path("p").exists());
}
