//! `[workloads.routing]` and `providers.family` as written: what loads, every
//! bad value reported with its line:column and key path, and the resolved
//! file reloading to the same route.

use super::tests::run;
use super::*;
use crate::time::SimDuration;

/// Three providers (a and b of one family) and a workload routed by `routing`
/// (the lines of a `[workloads.routing]` table), line 28 onwards.
fn routed(routing: &str) -> String {
    format!(
        r#"name = "routed"

[[providers]]
name = "a"
family = "oss"
[providers.pricing]
input_usd_per_mtok = 1
output_usd_per_mtok = 2

[[providers]]
name = "b"
family = "oss"
[providers.pricing]
input_usd_per_mtok = 3
output_usd_per_mtok = 4

[[providers]]
name = "c"
[providers.pricing]
input_usd_per_mtok = 5
output_usd_per_mtok = 6

[[workloads]]
name = "w"
steps = 3
output_tokens = 100
arrivals = {{ rate_per_s = 1, sessions = 5 }}
[workloads.routing]
{routing}
"#
    )
}

fn problems(text: &str, sets: &[&str]) -> Vec<String> {
    match run(text, sets) {
        Ok(s) => panic!("expected problems, but it loaded: {:#?}", s.workloads[0].route),
        Err(p) => p,
    }
}

#[test]
fn routes_load_with_their_defaults() {
    let s = run(&routed("policy = \"fallback\"\nproviders = [\"b\", \"a\"]"), &[]).unwrap();
    let w = &s.workloads[0];
    let r = w.route.as_ref().unwrap();
    assert_eq!((w.provider, w.candidates()), (1, &[1usize, 0][..]));
    assert_eq!(r.policy, RoutePolicy::Fallback);
    assert_eq!(r.on, FailoverOn::ALL);
    assert_eq!(r.cooldown, SimDuration::from_secs(60));
    assert_eq!(r.weights, [1.0, 1.0]);
    // A family is every provider labelled with it, in file order.
    let s = run(&routed("policy = \"weighted\"\nfamily = \"oss\"\nweights = [3, 1]"), &[]).unwrap();
    let r = s.workloads[0].route.as_ref().unwrap();
    assert_eq!(
        (r.providers.as_slice(), r.family.as_deref(), r.weights.as_slice()),
        (&[0, 1][..], Some("oss"), &[3.0, 1.0][..])
    );
    assert_eq!(s.providers[0].family.as_deref(), Some("oss"));
    assert_eq!(s.providers[2].family, None);
    // Only the keys of the policy: fallback's triggers and cooldown.
    let s =
        run(&routed("policy = \"fallback\"\nfamily = \"oss\"\non = [\"outage\", \"timeout\"]\ncooldown = \"2m\""), &[])
            .unwrap();
    let r = s.workloads[0].route.as_ref().unwrap();
    assert_eq!(r.on, FailoverOn { rate_limited: false, error: false, timeout: true, outage: true });
    assert_eq!(r.cooldown, SimDuration::from_secs(120));
}

#[test]
fn every_bad_routing_value_is_reported_where_it_is() {
    let cases: [(&str, &[&str]); 9] = [
        (
            "policy = \"random\"\nproviders = [\"a\", \"b\"]",
            &[
                "s.toml:29:10: workloads[0].routing.policy: unknown routing policy `random`; expected one of: weighted, sticky, fallback, cost_aware, least_outstanding, lowest_latency",
            ],
        ),
        (
            "policy = \"weighted\"\nproviders = [\"a\", \"bb\", \"a\"]",
            &[
                "s.toml:30:19: workloads[0].routing.providers[1]: unknown provider `bb`; defined providers: a, b, c (did you mean `b`?)",
                "s.toml:30:25: workloads[0].routing.providers[2]: provider `a` is already listed (as workloads[0].routing.providers[0])",
            ],
        ),
        (
            "policy = \"weighted\"\nproviders = [\"a\"]",
            &[
                "s.toml:30:13: workloads[0].routing.providers: routing needs at least two providers, got 1; write provider = \"...\" for one",
            ],
        ),
        (
            "policy = \"weighted\"\nproviders = [\"a\", \"b\"]\nweights = [1, -2]",
            &["s.toml:31:15: workloads[0].routing.weights[1]: must be a number >= 0, got -2"],
        ),
        (
            "policy = \"sticky\"\nproviders = [\"a\", \"b\"]\nweights = [1, 2, 3]",
            &["s.toml:31:11: workloads[0].routing.weights: must hold one weight per provider (2), got 3"],
        ),
        (
            "policy = \"weighted\"\nproviders = [\"a\", \"b\"]\nweights = [0, 0]",
            &["s.toml:31:11: workloads[0].routing.weights: must not all be zero"],
        ),
        (
            "policy = \"weighted\"\nfamily = \"gpu\"",
            &[
                "s.toml:30:10: workloads[0].routing.family: family `gpu` names 0 provider(s); routing needs at least two (set `family` on the providers; families defined: oss)",
            ],
        ),
        (
            "policy = \"fallback\"\nproviders = [\"a\", \"b\"]\non = [\"error\", \"crash\", \"error\"]\nweights = [1, 1]",
            &[
                "s.toml:31:16: workloads[0].routing.on[1]: unknown failover trigger `crash`; expected one of: rate_limited, error, timeout, outage",
                "s.toml:31:25: workloads[0].routing.on[2]: \"error\" is listed twice",
                "s.toml:32:1: workloads[0].routing.weights: only the weighted and sticky policies draw by weight",
            ],
        ),
        (
            "policy = \"weighted\"\nproviders = [\"a\", \"b\"]\nfamily = \"oss\"\ncooldown = \"1m\"\nlatency_smoothing = 0",
            &[
                "s.toml:31:1: workloads[0].routing.family: set either `providers` or `family`, not both",
                "s.toml:32:1: workloads[0].routing.cooldown: only the fallback policy has a cooldown",
                "s.toml:33:1: workloads[0].routing.latency_smoothing: only the lowest_latency policy averages latencies",
            ],
        ),
    ];
    for (routing, expect) in cases {
        assert_eq!(problems(&routed(routing), &[]), expect, "\n{routing}");
    }
    // Required keys, and the smoothing's range.
    assert_eq!(
        problems(&routed("providers = [\"a\", \"b\"]"), &[]),
        [
            "s.toml:28:1: workloads[0].routing.policy: missing required key `policy` (how each request picks its provider: weighted, sticky, fallback, cost_aware, least_outstanding or lowest_latency)"
        ]
    );
    assert_eq!(
        problems(&routed("policy = \"lowest_latency\"\nproviders = [\"a\", \"b\"]\nlatency_smoothing = 1.5"), &[]),
        [
            "s.toml:31:21: workloads[0].routing.latency_smoothing: must be in (0, 1] (the newest observation's weight), got 1.5"
        ]
    );
}

#[test]
fn routing_and_provider_exclude_each_other() {
    let text = routed("policy = \"weighted\"\nproviders = [\"a\", \"b\"]");
    assert_eq!(
        problems(&text, &["workloads[0].provider=\"a\""]),
        [
            "--set #1 `workloads[0].provider=\"a\"`: workloads[0].provider: set either `provider` (fixed routing) or a [workloads.routing] table, not both"
        ]
    );
    // A workload needs one or the other.
    let fixed = text.replace("[workloads.routing]\npolicy = \"weighted\"\nproviders = [\"a\", \"b\"]\n", "");
    let p = problems(&fixed, &[]);
    assert_eq!(p.len(), 1, "{p:?}");
    assert!(p[0].contains("workloads[0].provider: missing required key `provider`"), "{p:?}");
    // A fixed workload's provider can still be set from the command line.
    let s = run(&fixed, &["workloads[0].provider=\"c\""]).unwrap();
    assert_eq!((s.workloads[0].provider, s.workloads[0].route.is_none()), (2, true));
}

#[test]
fn a_route_is_written_back_and_reloads_equal() {
    for routing in [
        "policy = \"sticky\"\nproviders = [\"b\", \"c\"]\nweights = [0.25, 0.75]",
        "policy = \"fallback\"\nfamily = \"oss\"\non = [\"rate_limited\", \"outage\"]\ncooldown = \"90s\"",
        "policy = \"lowest_latency\"\nproviders = [\"c\", \"a\", \"b\"]\nlatency_smoothing = 0.5",
        "policy = \"cost_aware\"\nproviders = [\"a\", \"c\"]",
    ] {
        let s = run(&routed(routing), &[]).unwrap();
        let text = resolved::to_toml(&s);
        assert!(text.contains("[workloads.routing]"), "{text}");
        let back = run(&text, &[]).unwrap_or_else(|p| panic!("{p:#?}\n{text}"));
        assert_eq!(back.workloads, s.workloads, "{text}");
        assert_eq!(
            back.providers.iter().map(|p| &p.family).collect::<Vec<_>>(),
            [&s.providers[0].family, &s.providers[1].family, &None]
        );
    }
}
