//! End-to-end tests of `load`: whole files and overrides in, a `Scenario` or the
//! exact list of problems (origin, path, message) out.

use super::*;
use crate::dist::{Dist, Rounding, TokenDist};
use crate::time::{SimDuration, SimTime};

/// A small valid scenario; tests edit it with `str::replace` so line numbers stay readable.
const BASE: &str = r#"name = "base"

[[providers]]
name = "p"
[providers.pricing]
input_usd_per_mtok = 3
output_usd_per_mtok = 15

[[workloads]]
name = "w"
provider = "p"
steps = 10
output_tokens = 100
[workloads.arrivals]
rate_per_s = 1
sessions = 5
"#;

fn run(text: &str, sets: &[&str]) -> Result<Scenario, Vec<String>> {
    let overrides: Vec<Override> = sets.iter().map(|s| parse_override(s).unwrap()).collect();
    load(
        &SourceText {
            name: "s.toml",
            text,
        },
        &overrides,
    )
    .map_err(|e| e.problems.iter().map(ToString::to_string).collect())
}

/// Asserts the exact problems, rendered as `origin: path: message`.
fn check(text: &str, sets: &[&str], expect: &[&str]) {
    match run(text, sets) {
        Ok(s) => panic!("expected problems {expect:#?}, but it loaded: {s:#?}"),
        Err(got) => assert_eq!(got, expect, "\n{text}"),
    }
}

fn load_ok(text: &str, sets: &[&str]) -> Scenario {
    run(text, sets).unwrap_or_else(|p| panic!("unexpected problems: {p:#?}\n{text}"))
}

#[test]
fn bundled_quickstart_loads() {
    let s = load_ok(include_str!("../../../scenarios/quickstart.toml"), &[]);
    assert_eq!(s.name, "quickstart");
    assert_eq!(s.simulation.replicates, 20);
    assert_eq!(s.providers[0].model, "claude-sonnet-4-6");
    assert_eq!(s.providers[0].pricing.cache_write_usd_per_mtok, 3.75);
    assert_eq!(s.workloads[0].think_time, Dist::Exponential { mean: 20.0 });
    let Arrivals::Poisson { rate_per_s, stop } = s.workloads[0].arrivals;
    assert_eq!(
        (rate_per_s, stop),
        (0.5, ArrivalStop::Horizon(SimTime::from_micros(900_000_000)))
    );
}

#[test]
fn bundled_bench_has_pinned_semantics() {
    let s = load_ok(
        include_str!("../../../scenarios/bench/agents_10k.toml"),
        &[],
    );
    assert_eq!(
        s.simulation,
        SimulationSettings {
            seed: 1,
            replicates: 1,
            end: None
        }
    );
    assert_eq!(s.providers.len(), 1);
    let p = &s.providers[0];
    assert_eq!(
        p.serving,
        Serving {
            slots: 64,
            base_latency: Dist::Fixed(0.0),
            prefill_tokens_per_s: 10_000.0,
            decode_tokens_per_s: 50.0
        }
    );
    assert_eq!(
        p.cache,
        CacheConfig {
            enabled: true,
            ttl: SimDuration::from_secs(60),
            refresh_on_hit: true
        }
    );
    assert_eq!(
        p.pricing,
        Pricing {
            input_usd_per_mtok: 3.0,
            cache_read_usd_per_mtok: 0.3,
            cache_write_usd_per_mtok: 3.75,
            output_usd_per_mtok: 15.0
        }
    );
    assert_eq!(p.failures.error_rate, 0.0);
    let w = &s.workloads[0];
    assert_eq!(w.provider, 0);
    assert_eq!(
        w.arrivals,
        Arrivals::Poisson {
            rate_per_s: 0.7,
            stop: ArrivalStop::Sessions(10_000)
        }
    );
    assert_eq!(w.shared_prefix_tokens, 0);
    assert_eq!(w.steps, TokenDist::new(Dist::Fixed(20.0)));
    assert_eq!(
        w.task_tokens,
        TokenDist::new(Dist::UniformInt {
            low: 2000,
            high: 4000
        })
    );
    assert_eq!(
        w.output_tokens,
        TokenDist {
            dist: Dist::Exponential { mean: 200.0 },
            offset: 1.0,
            rounding: Rounding::Floor
        }
    );
    assert_eq!(
        w.tool_result_tokens,
        TokenDist::new(Dist::UniformInt {
            low: 100,
            high: 1500
        })
    );
    assert_eq!(w.think_time, Dist::Exponential { mean: 30.0 });
}

#[test]
fn defaults_fill_optional_keys() {
    let s = load_ok(BASE, &[]);
    assert_eq!(s.description, "");
    assert_eq!(
        s.simulation,
        SimulationSettings {
            seed: 1,
            replicates: 10,
            end: None
        }
    );
    let p = &s.providers[0];
    assert_eq!(p.model, "p");
    assert_eq!(
        p.serving,
        Serving {
            slots: 16,
            base_latency: Dist::Fixed(0.0),
            prefill_tokens_per_s: 10_000.0,
            decode_tokens_per_s: 50.0
        }
    );
    assert_eq!(
        p.cache,
        CacheConfig {
            enabled: true,
            ttl: SimDuration::from_secs(300),
            refresh_on_hit: true
        }
    );
    assert_eq!(p.pricing.cache_read_usd_per_mtok, 3.0);
    assert_eq!(p.pricing.cache_write_usd_per_mtok, 3.0);
    assert_eq!(
        p.failures,
        Failures {
            error_rate: 0.0,
            max_retries: 2,
            retry_backoff: SimDuration::from_secs(1)
        }
    );
    let w = &s.workloads[0];
    assert_eq!(w.shared_prefix_tokens, 0);
    assert_eq!(w.task_tokens, TokenDist::new(Dist::Fixed(0.0)));
    assert_eq!(w.tool_result_tokens, TokenDist::new(Dist::Fixed(0.0)));
    assert_eq!(w.think_time, Dist::Fixed(0.0));
    assert_eq!(
        w.arrivals,
        Arrivals::Poisson {
            rate_per_s: 1.0,
            stop: ArrivalStop::Sessions(5)
        }
    );
}

#[test]
fn end_and_horizon_are_instants() {
    let text = BASE.replace("sessions = 5", "horizon = \"1h\"").replace(
        "name = \"base\"",
        "name = \"b\"\n[simulation]\nend = \"2h\"",
    );
    let s = load_ok(&text, &[]);
    assert_eq!(s.simulation.end, Some(SimTime::from_micros(7_200_000_000)));
    assert_eq!(
        s.workloads[0].arrivals,
        Arrivals::Poisson {
            rate_per_s: 1.0,
            stop: ArrivalStop::Horizon(SimTime::from_micros(3_600_000_000))
        }
    );
}

#[test]
fn wrong_values_point_at_the_value() {
    check(
        &BASE.replace("output_usd_per_mtok = 15", "output_usd_per_mtok = -3"),
        &[],
        &["s.toml:7:23: providers[0].pricing.output_usd_per_mtok: must be >= 0, got -3"],
    );
    check(
        &BASE.replace("rate_per_s = 1", "rate_per_s = 0"),
        &[],
        &["s.toml:15:14: workloads[0].arrivals.rate_per_s: must be > 0, got 0"],
    );
    check(
        &BASE.replace("steps = 10", "steps = \"ten\""),
        &[],
        &[
            "s.toml:12:9: workloads[0].steps: expected a number or a distribution table such as { kind = \"uniform_int\", low = 1, high = 10 }, got string \"ten\"",
        ],
    );
    check(
        &BASE.replace("provider = \"p\"", "provider = \"foo\""),
        &[],
        &["s.toml:11:12: workloads[0].provider: unknown provider `foo`; defined providers: p"],
    );
    check(
        &BASE.replace("name = \"base\"", "name = \"my scenario\""),
        &[],
        &[
            "s.toml:1:8: name: must be non-empty and use only letters, digits, `.`, `_` and `-` (it names output directories), got \"my scenario\"",
        ],
    );
    check(
        &BASE.replace("sessions = 5", "sessions = 5\nhorizon = \"1h\""),
        &[],
        &[
            "s.toml:14:1: workloads[0].arrivals: set exactly one of `horizon` or `sessions`, not both",
        ],
    );
    check(
        &BASE.replace(
            "output_tokens = 100",
            "output_tokens = { kind = \"exponential\", mean = 200, p90 = 3 }",
        ),
        &[],
        &[
            "s.toml:13:53: workloads[0].output_tokens.p90: unknown key `p90` for an exponential distribution; expected one of: kind, mean, offset, round",
        ],
    );
    check(
        &BASE.replace("steps = 10", "steps = 10\nthink_time = 30"),
        &[],
        &[
            "s.toml:13:14: workloads[0].think_time: `30` has no unit; write e.g. \"30s\" (units: us, ms, s, m, h, d)",
        ],
    );
}

#[test]
fn missing_keys_point_at_the_parent_table() {
    check(
        &BASE.replace("input_usd_per_mtok = 3\n", ""),
        &[],
        &[
            "s.toml:5:1: providers[0].pricing.input_usd_per_mtok: missing required key `input_usd_per_mtok` (a price in USD per million tokens, >= 0)",
        ],
    );
    check(
        &BASE.replace("sessions = 5\n", ""),
        &[],
        &[
            "s.toml:14:1: workloads[0].arrivals: missing `horizon` or `sessions`; set exactly one (e.g. horizon = \"1h\" or sessions = 1000)",
        ],
    );
    check(
        &BASE.replace("steps = 10\n", ""),
        &[],
        &[
            "s.toml:9:1: workloads[0].steps: missing required key `steps` (a token distribution, e.g. 20 or { kind = \"uniform_int\", low = 5, high = 30 })",
        ],
    );
    check(
        "name = \"x\"\n",
        &[],
        &[
            "s.toml:1:1: providers: missing required key `providers` (at least one [[providers]] table)",
            "s.toml:1:1: workloads: missing required key `workloads` (at least one [[workloads]] table)",
        ],
    );
    check(
        "providers = []\nworkloads = []\n",
        &[],
        &[
            "s.toml:1:1: name: missing required key `name` (the scenario's name, e.g. name = \"quickstart\")",
            "s.toml:1:13: providers: at least one provider is required",
            "s.toml:2:13: workloads: at least one workload is required",
        ],
    );
}

#[test]
fn unknown_keys_at_every_depth() {
    let text = BASE
        .replace(
            "name = \"base\"",
            "name = \"base\"\ncolour = 1\n[simulation]\nsed = 3",
        )
        .replace(
            "output_usd_per_mtok = 15",
            "output_usd_per_mtok = 15\noutput_usd = 2",
        )
        .replace("rate_per_s = 1", "ratee_per_s = 1\nrate_per_s = 1");
    check(
        &text,
        &[],
        &[
            "s.toml:2:1: colour: unknown key `colour`; expected one of: name, description, simulation, providers, workloads",
            "s.toml:4:1: simulation.sed: unknown key `sed`; expected one of: seed, replicates, end (did you mean `seed`?)",
            "s.toml:11:1: providers[0].pricing.output_usd: unknown key `output_usd`; expected one of: input_usd_per_mtok, cache_read_usd_per_mtok, cache_write_usd_per_mtok, output_usd_per_mtok",
            "s.toml:19:1: workloads[0].arrivals.ratee_per_s: unknown key `ratee_per_s`; expected one of: kind, rate_per_s, horizon, sessions (did you mean `rate_per_s`?)",
        ],
    );
}

#[test]
fn many_problems_reported_at_once_in_file_order() {
    let text = r#"name = "multi"
[simulation]
replicates = 0
seed = -1

[[providers]]
name = "a"
[providers.serving]
slots = 0
decode_tokens_per_s = "fast"
[providers.cache]
ttl = "0s"
[providers.pricing]
input_usd_per_mtok = 3
[providers.failures]
error_rate = 1.0

[[providers]]
name = "a"
[providers.pricing]
input_usd_per_mtok = 1
output_usd_per_mtok = 2

[[workloads]]
name = "w"
provider = "b"
steps = { kind = "uniform_int", low = 30, high = 5 }
output_tokens = { kind = "lognormal", median = 10, p90 = 5 }
think_time = { kind = "exponential", mean = "0s" }
[workloads.arrivals]
kind = "closed"
rate_per_s = 1
horizon = "1h"
"#;
    check(
        text,
        &[],
        &[
            "s.toml:3:14: simulation.replicates: must be >= 1, got 0",
            "s.toml:4:8: simulation.seed: must be >= 0, got -1",
            "s.toml:9:9: providers[0].serving.slots: must be >= 1, got 0",
            "s.toml:10:23: providers[0].serving.decode_tokens_per_s: expected a number, got string \"fast\"",
            "s.toml:12:7: providers[0].cache.ttl: must be > 0, got \"0s\"",
            "s.toml:13:1: providers[0].pricing.output_usd_per_mtok: missing required key `output_usd_per_mtok` (a price in USD per million tokens, >= 0)",
            "s.toml:16:14: providers[0].failures.error_rate: must be in [0, 1), got 1.0",
            "s.toml:19:8: providers[1].name: duplicate provider name `a` (already used by providers[0]); names must be unique",
            "s.toml:26:12: workloads[0].provider: unknown provider `b`; defined providers: a, a",
            "s.toml:27:50: workloads[0].steps.high: must be >= low (30), got 5",
            "s.toml:28:58: workloads[0].output_tokens.p90: must be > median (10), got 5",
            "s.toml:29:45: workloads[0].think_time.mean: must be > 0, got \"0s\"",
            "s.toml:31:8: workloads[0].arrivals.kind: unknown arrival kind `closed`; expected: poisson",
        ],
    );
}

#[test]
fn syntax_errors_are_reported_without_missing_key_noise() {
    let text = BASE
        .replace("rate_per_s = 1", "rate_per_s = 1.2.3")
        .replace("steps = 10", "steps = 10\nslots == 3");
    let got = run(&text, &[]).unwrap_err();
    assert!(got.iter().all(|p| p.starts_with("s.toml:")), "{got:#?}");
    assert!(
        got.iter()
            .any(|p| p.starts_with("s.toml:13:") && p.contains("TOML syntax")),
        "{got:#?}"
    );
    assert!(
        got.iter()
            .any(|p| p.starts_with("s.toml:16:") && p.contains("TOML syntax")),
        "{got:#?}"
    );
    assert!(!got.iter().any(|p| p.contains("missing")), "{got:#?}");
}

#[test]
fn misplaced_tables_are_reported_and_the_rest_still_checked() {
    let text = BASE
        .replace("[providers.pricing]", "serving = 5\n[providers.pricing]")
        .replace("rate_per_s = 1", "rate_per_s = -1");
    check(
        &text,
        &[],
        &[
            "s.toml:5:11: providers[0].serving: expected a table, got integer `5`",
            "s.toml:16:14: workloads[0].arrivals.rate_per_s: must be > 0, got -1",
        ],
    );
    let text = BASE.replace("[[providers]]", "[providers]");
    check(
        &text,
        &[],
        &[
            "s.toml:3:1: providers: expected an array of tables (write each as [[name]]), got a table",
            "s.toml:11:12: workloads[0].provider: unknown provider `p`; defined providers: (none)",
        ],
    );
}

#[test]
fn overrides_set_existing_and_new_keys() {
    let s = load_ok(
        BASE,
        &[
            "simulation.seed=7",
            "providers[0].cache.ttl=1h",
            "workloads[0].steps={ kind = \"fixed\", value = 3 }",
        ],
    );
    assert_eq!(s.simulation.seed, 7);
    assert_eq!(s.providers[0].cache.ttl, SimDuration::from_secs(3600));
    assert_eq!(s.workloads[0].steps, TokenDist::new(Dist::Fixed(3.0)));
    let s = load_ok(
        BASE,
        &[
            "providers[0].pricing.output_usd_per_mtok=5",
            "name=other",
            "workloads[0].arrivals.rate_per_s=0.25",
        ],
    );
    assert_eq!(s.providers[0].pricing.output_usd_per_mtok, 5.0);
    assert_eq!(s.name, "other");
    assert_eq!(
        s.workloads[0].arrivals,
        Arrivals::Poisson {
            rate_per_s: 0.25,
            stop: ArrivalStop::Sessions(5)
        }
    );
    // Later overrides win.
    let s = load_ok(
        BASE,
        &["simulation.replicates=3", "simulation.replicates=4"],
    );
    assert_eq!(s.simulation.replicates, 4);
}

#[test]
fn override_problems_name_the_override() {
    check(
        BASE,
        &["providers[0].pricing.output_usd_per_mtok=-2"],
        &[
            "--set #1 `providers[0].pricing.output_usd_per_mtok=-2`: providers[0].pricing.output_usd_per_mtok: must be >= 0, got -2",
        ],
    );
    check(
        BASE,
        &["simulation.seed=1", "providers[3].slots=2"],
        &[
            "--set #2 `providers[3].slots=2`: providers[3].slots: index 3 is out of range: `providers` has 1 element; overrides cannot add array elements",
        ],
    );
    check(
        BASE,
        &["simulation.sed=3"],
        &[
            "--set #1 `simulation.sed=3`: simulation.sed: unknown key `sed`; expected one of: seed, replicates, end (did you mean `seed`?)",
        ],
    );
    check(
        BASE,
        &["workloads[0].think_time={ kind = \"exponential\", mean = 30 }"],
        &[
            "--set #1 `workloads[0].think_time={ kind = \"exponential\", mean = 30 }`: workloads[0].think_time.mean: `30` has no unit; write e.g. \"30s\" (units: us, ms, s, m, h, d)",
        ],
    );
    // File problems come first, then overrides in command-line order.
    check(
        &BASE.replace("sessions = 5", "sessions = 0"),
        &["simulation.replicates=x", "name=a/b"],
        &[
            "s.toml:16:12: workloads[0].arrivals.sessions: must be >= 1, got 0",
            "--set #1 `simulation.replicates=x`: simulation.replicates: expected a non-negative integer, got string \"x\"",
            "--set #2 `name=a/b`: name: must be non-empty and use only letters, digits, `.`, `_` and `-` (it names output directories), got \"a/b\"",
        ],
    );
}

#[test]
fn malformed_override_paths_are_problems_not_panics() {
    let overrides = [Override {
        path: "a[".into(),
        value: "1".into(),
    }];
    let err = load(
        &SourceText {
            name: "s.toml",
            text: BASE,
        },
        &overrides,
    )
    .unwrap_err();
    assert_eq!(err.problems.len(), 1);
    assert_eq!(
        err.problems[0].origin,
        Origin::Override {
            index: 0,
            text: "a[=1".into()
        }
    );
    assert!(
        err.problems[0].message.contains("missing `]`"),
        "{}",
        err.problems[0].message
    );
}

#[test]
fn error_display_lists_every_problem() {
    let err = load(
        &SourceText {
            name: "s.toml",
            text: "",
        },
        &[],
    )
    .unwrap_err();
    let shown = err.to_string();
    assert!(shown.starts_with("3 problems in scenario:\n"), "{shown}");
    assert_eq!(shown.lines().count(), 4, "{shown}");
}

mod no_panic {
    use super::*;
    use proptest::prelude::*;

    /// Fragments that push the loader down its error paths when spliced in anywhere.
    const SPLICES: &[&str] = &[
        "",
        "\n",
        "=",
        "[",
        "]",
        "[[",
        "]]",
        "\"",
        "{",
        "}",
        ",",
        ".",
        "-",
        "1e999",
        "nan",
        "-1",
        "0",
        "kind",
        "[x]\n",
        "[[providers]]\n",
        "[workloads.arrivals]\n",
        "= { kind = \"lognormal\" }",
        "\u{e9}",
        "\u{0}",
        "#",
        "'''",
        "steps = []\n",
        "providers = 3\n",
        "workloads = [1, {}]\n",
    ];
    const SETS: &[&str] = &[
        "providers[0]=1",
        "providers=1",
        "workloads[0].steps={kind=\"empirical\",values=[]}",
        "a.b.c.d=1",
        "name={}",
        "providers[0].pricing=[]",
        "simulation=3",
        "workloads[9].x=1",
        "x[0]=1",
        "=",
        "steps=",
        "name=\"",
    ];

    proptest! {
        #![proptest_config(ProptestConfig { cases: 512, ..ProptestConfig::default() })]

        #[test]
        fn load_never_panics(
            edits in proptest::collection::vec((any::<prop::sample::Index>(), 0..SPLICES.len(), 0usize..4), 0..6),
            sets in proptest::collection::vec(0..SETS.len(), 0..3),
            quickstart in any::<bool>(),
        ) {
            let mut text = if quickstart { include_str!("../../../scenarios/quickstart.toml").to_string() } else { BASE.to_string() };
            for (at, splice, cut) in edits {
                let mut i = at.index(text.len() + 1);
                while !text.is_char_boundary(i) {
                    i -= 1;
                }
                let mut end = (i + cut).min(text.len());
                while !text.is_char_boundary(end) {
                    end -= 1;
                }
                text.replace_range(i..end, SPLICES[splice]);
            }
            let overrides: Vec<Override> = sets
                .iter()
                .map(|&i| parse_override(SETS[i]).unwrap_or(Override { path: SETS[i].into(), value: String::new() }))
                .collect();
            if let Err(e) = load(&SourceText { name: "f", text: &text }, &overrides) {
                prop_assert!(!e.problems.is_empty());
            }
        }

        #[test]
        fn arbitrary_text_never_panics(text in "\\PC{0,200}", set in "\\PC{0,40}") {
            let overrides: Vec<Override> = parse_override(&set).into_iter().collect();
            let _ = load(&SourceText { name: "f", text: &text }, &overrides);
        }
    }
}
