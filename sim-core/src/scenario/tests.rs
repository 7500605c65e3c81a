//! End-to-end tests of `load`: whole files and overrides in, a `Scenario` or the
//! exact list of problems (origin, path, message) out.

use super::*;
use crate::dist::{Dist, Rounding, TokenDist};
use crate::scenario::{bases, load};
use crate::time::{SimDuration, SimTime};

/// A small valid scenario; tests edit it with `str::replace` so line numbers stay readable.
pub(super) const BASE: &str = r#"name = "base"

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

pub(super) fn run(text: &str, sets: &[&str]) -> Result<Scenario, Vec<String>> {
    let overrides: Vec<Override> = sets.iter().map(|s| parse_override(s).unwrap()).collect();
    load(&SourceText { name: "s.toml", text }, &overrides)
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
    assert_eq!(s.providers[0].pricing.base.cache_write_usd_per_mtok, [3.75]);
    assert_eq!(s.providers[0].cache.tiers[0].name, "5m");
    assert_eq!(s.workloads[0].think_time, Dist::Exponential { mean: 20.0 });
    assert_eq!(s.workloads[0].shared_segments, [SharedSegment { name: "coding-agent/shared".into(), tokens: 6000 }]);
    assert_eq!(
        s.workloads[0].arrivals,
        Arrivals::Poisson { rate_per_s: 0.5, stop: ArrivalStop::Horizon(SimTime::from_micros(900_000_000)) }
    );
}

#[test]
fn bundled_bench_has_pinned_semantics() {
    let s = load_ok(include_str!("../../../scenarios/bench/agents_10k.toml"), &[]);
    assert_eq!(
        s.simulation,
        SimulationSettings {
            seed: 1,
            replicates: 1,
            end: None,
            start_time_of_day_s: 0,
            ..SimulationSettings::default()
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
            decode_tokens_per_s: Dist::Fixed(50.0),
            cached_prefill_tokens_per_s: None,
            load_curve: None,
            overhead_before_queue: Dist::Fixed(0.0),
            overhead_per_output_token: SimDuration::ZERO,
        }
    );
    assert_eq!(
        p.cache,
        CacheConfig {
            enabled: true,
            mode: CacheMode::Automatic,
            min_tokens: 0,
            granularity_tokens: 1,
            tiers: vec![CacheTier { name: "1m".into(), ttl: SimDuration::from_secs(60) }],
            refresh_on_hit: true,
            max_lifetime: None,
            capacity_tokens: None,
            eviction: Eviction::Lru,
            scope: CacheScope::Provider,
            miss_probability: 0.0,
            ttl_starts: TtlStart::ResponseEnd,
        }
    );
    assert_eq!(
        p.pricing,
        Pricing {
            base: PriceSheet {
                input_usd_per_mtok: 3.0,
                cache_read_usd_per_mtok: 0.3,
                cache_write_usd_per_mtok: vec![3.75],
                output_usd_per_mtok: 15.0,
                storage_usd_per_mtok_hour: 0.0,
            },
            long_context: None,
            tier_multipliers: TierMultipliers { batch: 0.5, flex: 0.5, priority: 1.75 },
            windows: vec![],
            changes: vec![],
        }
    );
    assert_eq!(p.provenance, None);
    assert_eq!(p.failures.error_rate, 0.0);
    let w = &s.workloads[0];
    assert_eq!(w.provider, 0);
    assert_eq!(w.arrivals, Arrivals::Poisson { rate_per_s: 0.7, stop: ArrivalStop::Sessions(10_000) });
    assert_eq!(w.shared_segments, []);
    assert_eq!(w.steps, TokenDist::new(Dist::Fixed(20.0)));
    assert_eq!(w.task_tokens, TokenDist::new(Dist::UniformInt { low: 2000, high: 4000 }));
    assert_eq!(
        w.output_tokens,
        TokenDist { dist: Dist::Exponential { mean: 200.0 }, offset: 1.0, rounding: Rounding::Floor }
    );
    assert_eq!(w.tool_result_tokens, TokenDist::new(Dist::UniformInt { low: 100, high: 1500 }));
    assert_eq!(w.think_time, Dist::Exponential { mean: 30.0 });
    assert_eq!(w.reasoning_tokens, TokenDist::new(Dist::Fixed(0.0)));
    assert!(!w.reasoning_in_history);
    assert_eq!(w.service_tier, ServiceTier::Standard);
    assert_eq!(w.api_key, "default");
    assert_eq!(w.breakpoints, [BreakpointRule { at: BreakpointAt::End, tier: 0 }]);
    assert_eq!(w.keep_alive, None);
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
            end: None,
            start_time_of_day_s: 0,
            ..SimulationSettings::default()
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
            decode_tokens_per_s: Dist::Fixed(50.0),
            cached_prefill_tokens_per_s: None,
            load_curve: None,
            overhead_before_queue: Dist::Fixed(0.0),
            overhead_per_output_token: SimDuration::ZERO,
        }
    );
    assert_eq!(p.cache.tiers, [CacheTier { name: "5m".into(), ttl: SimDuration::from_secs(300) }]);
    assert_eq!(p.cache.mode, CacheMode::Automatic);
    assert_eq!(p.pricing.base.cache_read_usd_per_mtok, 3.0);
    assert_eq!(p.pricing.base.cache_write_usd_per_mtok, [3.0]);
    assert_eq!(p.pricing.base.storage_usd_per_mtok_hour, 0.0);
    assert_eq!(p.failures, Failures { error_rate: 0.0, max_retries: 2, retry_backoff: SimDuration::from_secs(1) });
    let w = &s.workloads[0];
    assert_eq!(w.shared_segments, []);
    assert_eq!(w.task_tokens, TokenDist::new(Dist::Fixed(0.0)));
    assert_eq!(w.tool_result_tokens, TokenDist::new(Dist::Fixed(0.0)));
    assert_eq!(w.think_time, Dist::Fixed(0.0));
    assert_eq!(w.arrivals, Arrivals::Poisson { rate_per_s: 1.0, stop: ArrivalStop::Sessions(5) });
}

#[test]
fn end_and_horizon_are_instants() {
    let text = BASE
        .replace("sessions = 5", "horizon = \"1h\"")
        .replace("name = \"base\"", "name = \"b\"\n[simulation]\nend = \"2h\"");
    let s = load_ok(&text, &[]);
    assert_eq!(s.simulation.end, Some(SimTime::from_micros(7_200_000_000)));
    assert_eq!(
        s.workloads[0].arrivals,
        Arrivals::Poisson { rate_per_s: 1.0, stop: ArrivalStop::Horizon(SimTime::from_micros(3_600_000_000)) }
    );
}

/// Each case edits BASE (`from` -> `to`) and expects exactly these problems.
fn check_edits(cases: &[(&str, &str, &[&str])]) {
    for (from, to, expect) in cases {
        assert!(BASE.contains(from), "{from}");
        check(&BASE.replace(from, to), &[], expect);
    }
}

#[test]
fn wrong_values_point_at_the_value() {
    check_edits(&[
        (
            "output_usd_per_mtok = 15",
            "output_usd_per_mtok = -3",
            &["s.toml:7:23: providers[0].pricing.output_usd_per_mtok: must be >= 0, got -3"],
        ),
        ("rate_per_s = 1", "rate_per_s = 0", &["s.toml:15:14: workloads[0].arrivals.rate_per_s: must be > 0, got 0"]),
        (
            "steps = 10",
            "steps = \"ten\"",
            &[
                "s.toml:12:9: workloads[0].steps: expected a number or a distribution table such as { kind = \"uniform_int\", low = 1, high = 10 }, got string \"ten\"",
            ],
        ),
        (
            "provider = \"p\"",
            "provider = \"foo\"",
            &["s.toml:11:12: workloads[0].provider: unknown provider `foo`; defined providers: p"],
        ),
        (
            "name = \"base\"",
            "name = \"my scenario\"",
            &[
                "s.toml:1:8: name: must be non-empty and use only letters, digits, `.`, `_` and `-` (it names output directories), got \"my scenario\"",
            ],
        ),
        (
            "sessions = 5",
            "sessions = 5\nhorizon = \"1h\"",
            &["s.toml:14:1: workloads[0].arrivals: set exactly one of `horizon` or `sessions`, not both"],
        ),
        (
            "output_tokens = 100",
            "output_tokens = { kind = \"exponential\", mean = 200, p90 = 3 }",
            &[
                "s.toml:13:53: workloads[0].output_tokens.p90: unknown key `p90` for an exponential distribution; expected one of: kind, mean, offset, round",
            ],
        ),
        (
            "steps = 10",
            "steps = 10\nthink_time = 30",
            &[
                "s.toml:13:14: workloads[0].think_time: `30` has no unit; write e.g. \"30s\" (units: us, ms, s, m, h, d)",
            ],
        ),
    ]);
}

#[test]
fn values_that_would_break_a_run_are_rejected_with_their_bound() {
    check_edits(&[
        // Distributions: computed parameters must be finite, token values at most 2^32.
        (
            "output_tokens = 100",
            "output_tokens = { kind = \"lognormal\", median = 1e-300, p90 = 1e300 }",
            &[
                "s.toml:13:62: workloads[0].output_tokens.p90: must be <= 4294967296 (2^32 tokens, the most one draw can produce), got 1e300",
            ],
        ),
        (
            "output_tokens = 100",
            "output_tokens = { kind = \"lognormal\", median = 1e-320, p90 = 1e9 }",
            &[
                "s.toml:13:62: workloads[0].output_tokens.p90: p90/median ratio too large: sigma = ln(p90 / median) / 1.2816 is not a finite number (median 1e-320, p90 1000000000.0); raise `median` or lower `p90`",
            ],
        ),
        (
            "output_tokens = 100",
            "output_tokens = { kind = \"lognormal\", mu = 30, sigma = 1 }",
            &[
                "s.toml:13:44: workloads[0].output_tokens.mu: must be <= 22.1807 (ln 2^32: the median e^mu may be at most 4294967296 tokens), got 30",
            ],
        ),
        (
            "output_tokens = 100",
            "output_tokens = { kind = \"empirical\", values = [1, -2], weights = [1] }",
            &[
                "s.toml:13:52: workloads[0].output_tokens.values[1]: must be >= 0, got -2",
                "s.toml:13:67: workloads[0].output_tokens.weights: must have the same length as `values` (2), got 1",
            ],
        ),
        (
            "output_tokens = 100",
            "output_tokens = { kind = \"empirical\", values = [1, 2], weights = [1e308, 1e308] }",
            &[
                "s.toml:13:66: workloads[0].output_tokens.weights: must have a finite sum, got inf; scale the weights down (only their ratios matter)",
            ],
        ),
        (
            "output_tokens = 100",
            "output_tokens = 5000000000",
            &[
                "s.toml:13:17: workloads[0].output_tokens: must be <= 4294967296 (2^32 tokens, the most one draw can produce), got 5000000000",
            ],
        ),
        (
            "output_tokens = 100",
            "output_tokens = 100\nshared_prefix_tokens = 4294967297",
            &[
                "s.toml:14:24: workloads[0].shared_prefix_tokens: must be <= 4294967296 (2^32 tokens, the most one draw can produce), got 4294967297",
            ],
        ),
        // Prices, multipliers and rates.
        (
            "output_usd_per_mtok = 15",
            "output_usd_per_mtok = 2e6\nstorage_usd_per_mtok_hour = 1e7\ncache_write_usd_per_mtok = { 5m = 1e300 }\npriority_multiplier = 1001\nwindows = [{ start = \"01:00\", end = \"02:00\", multiplier = 1e4 }]",
            &[
                "s.toml:7:23: providers[0].pricing.output_usd_per_mtok: must be <= 1000000 USD per million tokens, got 2000000.0",
                "s.toml:8:29: providers[0].pricing.storage_usd_per_mtok_hour: must be <= 1000000 USD per million tokens per hour, got 10000000.0",
                "s.toml:9:35: providers[0].pricing.cache_write_usd_per_mtok.5m: must be <= 1000000 USD per million tokens, got 1e300",
                "s.toml:10:23: providers[0].pricing.priority_multiplier: must be <= 1000, got 1001",
                "s.toml:11:59: providers[0].pricing.windows[0].multiplier: must be <= 1000, got 10000.0",
            ],
        ),
        (
            "[providers.pricing]",
            "serving = { prefill_tokens_per_s = 1e10 }\n[providers.pricing]",
            &[
                "s.toml:5:36: providers[0].serving.prefill_tokens_per_s: must be <= 1000000000 tokens per second, got 10000000000.0",
            ],
        ),
        (
            "rate_per_s = 1",
            "rate_per_s = 2e9",
            &[
                "s.toml:15:14: workloads[0].arrivals.rate_per_s: must be <= 1000000000 sessions per second, got 2000000000.0",
            ],
        ),
        // Steps: at least one, and sessions that can finish.
        (
            "steps = 10",
            "steps = 0",
            &[
                "s.toml:12:9: workloads[0].steps: a session needs at least one step, but this is 0 (draws below 1 would run as 1 step); write steps = 1 if a single step is meant",
            ],
        ),
        (
            "steps = 10",
            "steps = { kind = \"uniform_int\", low = 0, high = 0 }",
            &[
                "s.toml:12:9: workloads[0].steps: a session needs at least one step, but this never draws more than 0 (draws below 1 would run as 1 step); write steps = 1 if a single step is meant",
            ],
        ),
        (
            "steps = 10",
            "steps = { kind = \"exponential\", mean = 2e6 }",
            &[
                "s.toml:12:9: workloads[0].steps: mean of 2000000 steps per session is more than 1000000: each step is one LLM request re-sending the whole history, so such sessions would not finish; steps counts requests per session (agents typically take 5 to 100), e.g. steps = { kind = \"uniform_int\", low = 5, high = 30 }",
            ],
        ),
        // Poisson workloads that could not finish.
        (
            "sessions = 5",
            "sessions = 100000001",
            &[
                "s.toml:16:12: workloads[0].arrivals.sessions: must be <= 100000000, got 100000001: a run that large cannot finish in reasonable time and memory; simulate fewer sessions (a sample of 10000 to 1000000 usually gives tight confidence intervals)",
            ],
        ),
        (
            "rate_per_s = 1\nsessions = 5",
            "rate_per_s = 10000\nhorizon = \"1d\"",
            &[
                "s.toml:16:11: workloads[0].arrivals.horizon: rate_per_s x horizon expects 864000000 sessions, more than the 100000000 one run can simulate in reasonable time and memory; shorten the horizon (at most \"2h46m40s\" at this rate) or lower rate_per_s",
            ],
        ),
    ]);
    // At the bounds themselves each value still loads on its own...
    load_ok(&BASE.replace("output_usd_per_mtok = 15", "output_usd_per_mtok = 1e6\npriority_multiplier = 1000"), &[]);
    let fast = ["providers[0].serving.prefill_tokens_per_s=1e9", "providers[0].serving.decode_tokens_per_s=1e9"];
    load_ok(&BASE.replace("steps = 10", "steps = { kind = \"exponential\", mean = 1e6 }"), &fast);
    load_ok(&BASE.replace("output_tokens = 100", "output_tokens = 4294967296"), &fast);
    load_ok(&BASE.replace("sessions = 5", "sessions = 100000000"), &[]);
    // ...but not all together: their product overflows (scenario/limits.rs).
    let text = BASE
        .replace("steps = 10", "steps = { kind = \"exponential\", mean = 1e6 }")
        .replace("output_tokens = 100", "output_tokens = 4294967296")
        .replace("sessions = 5", "sessions = 100000000");
    assert!(
        run(&text, &[]).unwrap_err()[0].contains("workloads[0].steps: steps (mean 1000000) x tokens added per step")
    );
    load_ok(BASE, &["workloads[0].steps=0.6", "workloads[0].arrivals.rate_per_s=1e9"]);
}

#[test]
fn follow_on_problems_are_not_reported() {
    // A rejected provider entry leaves its name unknown: no "unknown provider `p`".
    check(BASE, &["providers[0]=1"], &["--set #1 `providers[0]=1`: providers[0]: expected a table, got integer `1`"]);
    // After a syntax error, keys the parser lost are not reported as missing or unknown,
    // and a second syntax error after a broken table header is still found.
    check(
        &BASE.replace("name = \"base\"\n", "name = \"base\"\n[simulation\nseed = 1 2\n"),
        &[],
        &[
            "s.toml:2:12: TOML syntax: unclosed table, expected `]`",
            "s.toml:3:8: TOML syntax: string values must be quoted, expected literal string",
        ],
    );
    check(
        &BASE.replace("[[providers]]\nname = \"p\"", "[[providers]\nname = \"p\""),
        &[],
        &[
            "s.toml:3:13: TOML syntax: unclosed array table, expected `]`",
            "s.toml:5:2: providers: expected an array of tables (write each as [[name]]), got a table",
        ],
    );
    // Breakpoints name tiers and segments the parser may have lost.
    let explicit = "[providers.cache]\nmode = \"explicit\"\ntiers = [{ name = \"5m\", ttl = \"5m\" }, { name = \"1h\" ttl = \"1h\" }]\n";
    check(
        &with(
            explicit,
            "shared_segments = [{ name = \"sys\" tokens = 9 }]\ncache_breakpoints = [{ after = \"sys\", tier = \"1h\" }]\n",
        ),
        &[],
        &[
            "s.toml:7:53: TOML syntax: missing comma between key-value pairs, expected `,`",
            "s.toml:17:35: TOML syntax: missing comma between key-value pairs, expected `,`",
        ],
    );
}

#[test]
fn message_details() {
    check(
        BASE,
        &["simulation.seed=18446744073709551615", "providers[0].cache.ttl=1e15d", "providers[0].cache.ttl=2.5e-3s"],
        &[
            "--set #1 `simulation.seed=18446744073709551615`: simulation.seed: must be an integer in 0..=9223372036854775807 (TOML integers are signed 64-bit)",
            "--set #3 `providers[0].cache.ttl=2.5e-3s`: providers[0].cache.ttl: `2.5e-3s`: exponent notation is not supported in durations; write the number out, e.g. \"0.0025s\"",
        ],
    );
    check(
        BASE,
        &["providers[0].cache.ttl=1e15d"],
        &[
            "--set #1 `providers[0].cache.ttl=1e15d`: providers[0].cache.ttl: `1e15d`: exponent notation is not supported in durations; write the number out, e.g. \"1000000000000000d\"",
        ],
    );
    check(
        &BASE.replace("output_tokens = 100", "output_tokens = { kind = \"fixed\", value = 3, rnd = \"floor\" }"),
        &[],
        &[
            "s.toml:13:46: workloads[0].output_tokens.rnd: unknown key `rnd` for a fixed distribution; expected one of: kind, value, offset, round (did you mean `round`?)",
        ],
    );
    assert_eq!(load_ok(BASE, &["simulation.seed=9223372036854775807"]).simulation.seed, i64::MAX as u64);
}

#[test]
fn schema_minimums_match_validation() {
    let schema = crate::scenario::json_schema();
    let props = |def: &str| schema["$defs"][def]["properties"].clone();
    assert_eq!(props("RawSimulation")["replicates"]["minimum"], 1, "{schema:#}");
    assert_eq!(props("RawServing")["slots"]["minimum"], 1);
    assert_eq!(props("RawSegment")["tokens"]["minimum"], 1);
    assert_eq!(props("RawCache")["max_breakpoints"]["minimum"], 1);
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
        .replace("name = \"base\"", "name = \"base\"\ncolour = 1\n[simulation]\nsed = 3")
        .replace("output_usd_per_mtok = 15", "output_usd_per_mtok = 15\noutput_usd = 2")
        .replace("rate_per_s = 1", "ratee_per_s = 1\nrate_per_s = 1");
    check(
        &text,
        &[],
        &[
            "s.toml:2:1: colour: unknown key `colour`; expected one of: name, description, simulation, providers, workloads, variants, sweep",
            "s.toml:4:1: simulation.sed: unknown key `sed`; expected one of: seed, replicates, end, start_time_utc, warmup, timeseries_interval (did you mean `seed`?)",
            "s.toml:11:1: providers[0].pricing.output_usd: unknown key `output_usd`; expected one of: input_usd_per_mtok, output_usd_per_mtok, cache_read_usd_per_mtok, cache_write_usd_per_mtok, storage_usd_per_mtok_hour, batch_multiplier, flex_multiplier, priority_multiplier, long_context, windows, changes",
            "s.toml:19:1: workloads[0].arrivals.ratee_per_s: unknown key `ratee_per_s`; expected one of: kind, rate_per_s, horizon, sessions, file, format, replay, block_tokens, shared_prefix_tokens, rate, segments, profile, cv, rates, sojourn, agents, gap, at, every, start, jobs (did you mean `rate_per_s`?)",
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
kind = "open"
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
            "s.toml:10:23: providers[0].serving.decode_tokens_per_s: expected a number of tokens per second or a distribution table such as { kind = \"lognormal\", median = 90, p90 = 120 }, got string \"fast\"",
            "s.toml:12:7: providers[0].cache.ttl: must be > 0, got \"0s\"",
            "s.toml:13:1: providers[0].pricing.output_usd_per_mtok: missing required key `output_usd_per_mtok` (a price in USD per million tokens, >= 0)",
            "s.toml:16:14: providers[0].failures.error_rate: must be in [0, 1), got 1.0",
            "s.toml:19:8: providers[1].name: duplicate provider name `a` (already used by providers[0]); names must be unique",
            "s.toml:26:12: workloads[0].provider: unknown provider `b`; defined providers: a",
            "s.toml:27:50: workloads[0].steps.high: must be >= low (30), got 5",
            "s.toml:28:58: workloads[0].output_tokens.p90: must be > median (10), got 5",
            "s.toml:29:45: workloads[0].think_time.mean: must be > 0, got \"0s\"",
            "s.toml:31:8: workloads[0].arrivals.kind: unknown arrival kind `open`; expected one of: poisson, trace, piecewise, daily, gamma, mmpp, closed, scheduled",
        ],
    );
}

#[test]
fn syntax_errors_are_reported_without_missing_key_noise() {
    let text = BASE.replace("rate_per_s = 1", "rate_per_s = 1.2.3").replace("steps = 10", "steps = 10\nslots == 3");
    let got = run(&text, &[]).unwrap_err();
    assert!(got.iter().all(|p| p.starts_with("s.toml:")), "{got:#?}");
    assert!(got.iter().any(|p| p.starts_with("s.toml:13:") && p.contains("TOML syntax")), "{got:#?}");
    assert!(got.iter().any(|p| p.starts_with("s.toml:16:") && p.contains("TOML syntax")), "{got:#?}");
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
            // The workload's `p` is not reported unknown: the list holding it was rejected.
            "s.toml:3:1: providers: expected an array of tables (write each as [[name]]), got a table",
        ],
    );
}

#[test]
fn overrides_set_existing_and_new_keys() {
    let s = load_ok(
        BASE,
        &["simulation.seed=7", "providers[0].cache.ttl=1h", "workloads[0].steps={ kind = \"fixed\", value = 3 }"],
    );
    assert_eq!(s.simulation.seed, 7);
    assert_eq!(s.providers[0].cache.tiers, [CacheTier { name: "1h".into(), ttl: SimDuration::from_secs(3600) }]);
    assert_eq!(s.workloads[0].steps, TokenDist::new(Dist::Fixed(3.0)));
    let s = load_ok(
        BASE,
        &["providers[0].pricing.output_usd_per_mtok=5", "name=other", "workloads[0].arrivals.rate_per_s=0.25"],
    );
    assert_eq!(s.providers[0].pricing.base.output_usd_per_mtok, 5.0);
    assert_eq!(s.name, "other");
    assert_eq!(s.workloads[0].arrivals, Arrivals::Poisson { rate_per_s: 0.25, stop: ArrivalStop::Sessions(5) });
    // Later overrides win.
    let s = load_ok(BASE, &["simulation.replicates=3", "simulation.replicates=4"]);
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
            "--set #1 `simulation.sed=3`: simulation.sed: unknown key `sed`; expected one of: seed, replicates, end, start_time_utc, warmup, timeseries_interval (did you mean `seed`?)",
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
    let overrides = [Override { path: "a[".into(), value: "1".into() }];
    let err = load(&SourceText { name: "s.toml", text: BASE }, &overrides).unwrap_err();
    assert_eq!(err.problems.len(), 1);
    assert_eq!(err.problems[0].origin, Origin::Override { index: 0, text: "a[=1".into() });
    assert!(err.problems[0].message.contains("missing `]`"), "{}", err.problems[0].message);
}

#[test]
fn error_display_lists_every_problem() {
    let err = load(&SourceText { name: "s.toml", text: "" }, &[]).unwrap_err();
    let shown = err.to_string();
    assert!(shown.starts_with("3 problems in scenario:\n"), "{shown}");
    assert_eq!(shown.lines().count(), 4, "{shown}");
}

/// Presets and a LiteLLM "catalog" for tests, independent of the built-in catalog.
struct FakeCatalog;

const FAKE_EXPLICIT: &str = r#"model = "m-explicit"
as_of = "2026-11-20"
source = "https://example.invalid/prices"
[cache]
mode = "explicit"
min_tokens = 1024
tiers = [{ name = "5m", ttl = "5m" }, { name = "1h", ttl = "1h" }]
[pricing]
input_usd_per_mtok = 3.0
output_usd_per_mtok = 15.0
cache_read_usd_per_mtok = 0.3
cache_write_usd_per_mtok = { 5m = 3.75, 1h = 6.0 }
"#;

impl bases::Catalog for FakeCatalog {
    fn preset(&self, name: &str) -> Option<&'static str> {
        match name {
            "test/explicit" => Some(FAKE_EXPLICIT),
            "test/broken" => {
                Some("[cache]\neviction = \"fifo\"\n[pricing]\ninput_usd_per_mtok = 1\noutput_usd_per_mtok = 2\n")
            }
            _ => None,
        }
    }
    fn preset_names(&self) -> Vec<&'static str> {
        vec!["test/broken", "test/explicit"]
    }
    fn litellm(&self, catalog_json: &str, model_key: &str) -> Result<String, String> {
        match (catalog_json, model_key) {
            ("{catalog}", "m1") => {
                Ok("model = \"m1\"\n[pricing]\ninput_usd_per_mtok = 1.0\noutput_usd_per_mtok = 2.0\n".to_string())
            }
            _ => Err(format!("no model `{model_key}` in the catalog")),
        }
    }
}

/// In-memory files for `FileSource`.
fn files(entries: &'static [(&'static str, &'static str)]) -> impl Fn(&str) -> Result<String, String> {
    move |path: &str| {
        entries.iter().find(|(p, _)| *p == path).map(|(_, t)| t.to_string()).ok_or_else(|| "no such file".to_string())
    }
}

const TRACE: &str = "{\"timestamp\": 0, \"input_length\": 1024, \"output_length\": 10, \"hash_ids\": [1, 2]}\n{\"timestamp\": 500, \"input_length\": 600, \"output_length\": 3, \"hash_ids\": [1, 3]}\n";
/// Three bad lines: not JSON, a missing field, a timestamp before line 2's.
const BAD3: &str = "not json\n{\"timestamp\": 9, \"input_length\": 0, \"output_length\": 1, \"hash_ids\": []}\n{\"timestamp\": 10, \"output_length\": 1, \"hash_ids\": []}\n{\"timestamp\": 3, \"input_length\": 0, \"output_length\": 1, \"hash_ids\": []}\n";
const FILES: &[(&str, &str)] =
    &[("prices.json", "{catalog}"), ("t.jsonl", TRACE), ("bad.jsonl", "not json\n"), ("bad3.jsonl", BAD3)];

fn run_with(text: &str, sets: &[&str]) -> Result<Scenario, Vec<String>> {
    let overrides: Vec<Override> = sets.iter().map(|s| parse_override(s).unwrap()).collect();
    load::load_from(&SourceText { name: "s.toml", text }, &overrides, &files(FILES), &FakeCatalog)
        .map_err(|e| e.problems.iter().map(ToString::to_string).collect())
}

fn check_with(text: &str, sets: &[&str], expect: &[&str]) {
    match run_with(text, sets) {
        Ok(s) => panic!("expected problems {expect:#?}, but it loaded: {s:#?}"),
        Err(got) => assert_eq!(got, expect, "\n{text}"),
    }
}

fn load_ok_with(text: &str, sets: &[&str]) -> Scenario {
    run_with(text, sets).unwrap_or_else(|p| panic!("unexpected problems: {p:#?}\n{text}"))
}

/// BASE with `provider` replacing the provider block and `workload` lines added
/// after `output_tokens`.
fn with(provider_extra: &str, workload_extra: &str) -> String {
    BASE.replace("[providers.pricing]", &format!("{provider_extra}[providers.pricing]"))
        .replace("output_tokens = 100\n", &format!("output_tokens = 100\n{workload_extra}"))
}

#[test]
fn every_new_key_is_read() {
    let text = r#"name = "all"
[simulation]
start_time_utc = "09:30"

[[providers]]
name = "p"
as_of = 2026-11-20
source = "hand"
[providers.cache]
mode = "explicit"
min_tokens = 1024
granularity_tokens = 128
tiers = [{ name = "long", ttl = "1h" }, { name = "short", ttl = "5m" }]
refresh_on_hit = false
ttl_starts = "response_end"
max_lifetime = "1h"
capacity_tokens = 1000000
eviction = "lfu"
scope = "api_key"
miss_probability = 0.25
max_breakpoints = 3
lookback_blocks = 10
[providers.pricing]
input_usd_per_mtok = 3
output_usd_per_mtok = 15
cache_read_usd_per_mtok = 0.3
cache_write_usd_per_mtok = { short = 3.75 }
storage_usd_per_mtok_hour = 4.5
batch_multiplier = 0.4
flex_multiplier = 0.6
priority_multiplier = 2
long_context = { threshold_tokens = 200000, input_usd_per_mtok = 6, cache_write_usd_per_mtok = 7.5 }
windows = [{ start = "16:30", end = "00:30", multiplier = 0.5 }]
changes = [{ at = "2h", input_usd_per_mtok = 2 }, { at = "3h", long_context = { threshold_tokens = 100000 } }]

[[workloads]]
name = "w"
provider = "p"
shared_segments = [{ name = "system", tokens = 3000 }, { name = "tools", tokens = 5000 }]
steps = 10
output_tokens = 100
reasoning_tokens = { kind = "exponential", mean = 300 }
reasoning_in_history = true
service_tier = "batch"
api_key = "team-a"
cache_breakpoints = [{ after = "system", tier = "long" }, { after = "task" }, { after = "end", tier = "short" }]
keep_alive = { interval = "4m" }
[workloads.arrivals]
rate_per_s = 1
sessions = 5

[[workloads]]
name = "v"
provider = "p"
shared_segments = [{ name = "system", tokens = 3000 }]
steps = 1
output_tokens = 1
keep_alive = { interval = "30s", output_tokens = 5 }
[workloads.arrivals]
rate_per_s = 1
sessions = 5
"#;
    let s = load_ok_with(text, &[]);
    assert_eq!(s.simulation.start_time_of_day_s, 9 * 3600 + 30 * 60);
    let p = &s.providers[0];
    assert_eq!(
        p.provenance,
        Some(Provenance { origin: "scenario".into(), as_of: "2026-11-20".into(), source: "hand".into() })
    );
    let tier = |name: &str, secs| CacheTier { name: name.into(), ttl: SimDuration::from_secs(secs) };
    assert_eq!(
        p.cache,
        CacheConfig {
            enabled: true,
            mode: CacheMode::Explicit { max_breakpoints: 3, lookback_blocks: 10 },
            min_tokens: 1024,
            granularity_tokens: 128,
            tiers: vec![tier("long", 3600), tier("short", 300)],
            refresh_on_hit: false,
            max_lifetime: Some(SimDuration::from_secs(3600)),
            capacity_tokens: Some(1_000_000),
            eviction: Eviction::Lfu,
            scope: CacheScope::ApiKey,
            miss_probability: 0.25,
            ttl_starts: TtlStart::ResponseEnd,
        }
    );
    let base = PriceSheet {
        input_usd_per_mtok: 3.0,
        cache_read_usd_per_mtok: 0.3,
        cache_write_usd_per_mtok: vec![3.0, 3.75],
        output_usd_per_mtok: 15.0,
        storage_usd_per_mtok_hour: 4.5,
    };
    let long = LongContext {
        threshold_tokens: 200_000,
        sheet: PriceSheet { input_usd_per_mtok: 6.0, cache_write_usd_per_mtok: vec![7.5, 7.5], ..base.clone() },
    };
    let changed = PriceSheet { input_usd_per_mtok: 2.0, ..base.clone() };
    assert_eq!(
        p.pricing,
        Pricing {
            base: base.clone(),
            long_context: Some(long.clone()),
            tier_multipliers: TierMultipliers { batch: 0.4, flex: 0.6, priority: 2.0 },
            windows: vec![PriceWindow { start_s: 16 * 3600 + 30 * 60, end_s: 30 * 60, multiplier: 0.5 }],
            changes: vec![
                PriceChange {
                    at: SimTime::from_micros(7_200_000_000),
                    base: changed.clone(),
                    long_context: Some(long.clone()),
                },
                PriceChange {
                    at: SimTime::from_micros(10_800_000_000),
                    base: changed,
                    long_context: Some(LongContext { threshold_tokens: 100_000, ..long }),
                },
            ],
        }
    );
    let w = &s.workloads[0];
    let seg = |name: &str, tokens| SharedSegment { name: name.into(), tokens };
    assert_eq!(w.shared_segments, [seg("system", 3000), seg("tools", 5000)]);
    assert_eq!(w.reasoning_tokens, TokenDist::new(Dist::Exponential { mean: 300.0 }));
    assert!(w.reasoning_in_history);
    assert_eq!(w.service_tier, ServiceTier::Batch);
    assert_eq!(w.api_key, "team-a");
    assert_eq!(
        w.breakpoints,
        [
            BreakpointRule { at: BreakpointAt::AfterSegment("system".into()), tier: 0 },
            BreakpointRule { at: BreakpointAt::AfterTask, tier: 0 },
            BreakpointRule { at: BreakpointAt::End, tier: 1 },
        ]
    );
    assert_eq!(w.keep_alive, Some(KeepAlive { interval: SimDuration::from_secs(240), output_tokens: 1 }));
    assert_eq!(s.workloads[1].keep_alive, Some(KeepAlive { interval: SimDuration::from_secs(30), output_tokens: 5 }));
    assert_eq!(s.cache_tier_names(), ["long", "short"]);
}

#[test]
fn ttl_shorthand_names_its_tier() {
    for (ttl, name, secs) in
        [("5m", "5m", 300), ("1h", "1h", 3600), ("90m", "1h30m", 5400), ("1d", "24h", 86_400), ("30s", "30s", 30)]
    {
        let s = load_ok(BASE, &[&format!("providers[0].cache.ttl={ttl}")]);
        assert_eq!(
            s.providers[0].cache.tiers,
            [CacheTier { name: name.into(), ttl: SimDuration::from_secs(secs) }],
            "{ttl}"
        );
    }
}

#[test]
fn new_values_are_checked() {
    check(
        &with(
            "[providers.cache]\nmode = \"manual\"\ngranularity_tokens = 0\nscope = \"replica\"\nmiss_probability = 1\ncapacity_tokens = 0\nmax_breakpoints = 0\nttl_starts = \"start\"\neviction = 2\n",
            "",
        ),
        &[],
        &[
            "s.toml:6:8: providers[0].cache.mode: unknown cache mode `manual`; expected one of: automatic, explicit",
            "s.toml:7:22: providers[0].cache.granularity_tokens: must be >= 1, got 0",
            "s.toml:8:9: providers[0].cache.scope: scope \"replica\" belongs to self-hosted replicas: a provider with a [providers.replicas] table caches prefixes in each replica's KV memory (set `prefix_caching` there); an API provider's cache is scoped \"provider\" or \"api_key\"",
            "s.toml:9:20: providers[0].cache.miss_probability: must be in [0, 1), got 1",
            "s.toml:10:19: providers[0].cache.capacity_tokens: must be >= 1 (leave it out for an unbounded cache), got 0",
            "s.toml:11:19: providers[0].cache.max_breakpoints: must be >= 1, got 0",
            "s.toml:12:14: providers[0].cache.ttl_starts: unknown TTL start `start`; expected one of: prefill_end, response_end",
            "s.toml:13:12: providers[0].cache.eviction: expected \"lru\", \"lfu\" or \"none\", got integer 2",
        ],
    );
    check(
        &with("[providers.cache]\nttl = \"5m\"\ntiers = []\n", ""),
        &[],
        &["s.toml:6:7: providers[0].cache.ttl: set either `ttl` (one tier) or `tiers`, not both"],
    );
    check(
        &with(
            "[providers.cache]\ntiers = [{ name = \"a-b\", ttl = \"5m\" }, { name = \"x\", ttl = \"0s\" }, { name = \"x\", ttl = \"1h\" }, { name = \"y\" }]\n",
            "",
        ),
        &[],
        &[
            "s.toml:6:19: providers[0].cache.tiers[0].name: must be non-empty and use only letters, digits and `_` (it names metrics), got \"a-b\"",
            "s.toml:6:60: providers[0].cache.tiers[1].ttl: must be > 0, got \"0s\"",
            "s.toml:6:77: providers[0].cache.tiers[2].name: duplicate tier name `x` (already used by providers[0].cache.tiers[1]); names must be unique",
            "s.toml:6:96: providers[0].cache.tiers[3].ttl: missing required key `ttl` (the tier's lifetime, e.g. ttl = \"1h\")",
        ],
    );
    check(
        &BASE.replace(
            "output_usd_per_mtok = 15",
            "output_usd_per_mtok = 15\ncache_write_usd_per_mtok = { 5m = 1, 1h = -2 }\nwindows = [{ start = \"25:00\", end = \"01:00\", multiplier = 1 }, { start = \"02:00\", end = \"02:00\", multiplier = -1 }]\nchanges = [{ at = \"2h\" }, { at = \"1h\", output_usd_per_mtok = \"x\" }, { input_usd_per_mtok = 1 }]\nlong_context = { input_usd_per_mtok = 6 }\nstorage_usd_per_mtok_hour = -1\nbatch_multiplier = -0.5",
        ),
        &[],
        &[
            "s.toml:8:38: providers[0].pricing.cache_write_usd_per_mtok.1h: unknown cache tier `1h`; this provider's tiers: 5m",
            "s.toml:8:43: providers[0].pricing.cache_write_usd_per_mtok.1h: must be >= 0, got -2",
            "s.toml:9:22: providers[0].pricing.windows[0].start: expected a UTC time of day \"HH:MM\" or \"HH:MM:SS\" (00:00 to 23:59:59), got string \"25:00\"",
            "s.toml:9:89: providers[0].pricing.windows[1].end: must differ from `start` (\"02:00\"): a window needs a length (a window may wrap past midnight)",
            "s.toml:9:111: providers[0].pricing.windows[1].multiplier: must be >= 0, got -1",
            "s.toml:10:34: providers[0].pricing.changes[1].at: must be later than the previous change's `at` (\"2h\"), got \"1h\"; list changes in time order",
            "s.toml:10:62: providers[0].pricing.changes[1].output_usd_per_mtok: expected a number, got string \"x\"",
            "s.toml:10:69: providers[0].pricing.changes[2].at: missing required key `at` (simulated time of the change, e.g. at = \"2h\")",
            "s.toml:11:16: providers[0].pricing.long_context.threshold_tokens: missing required key `threshold_tokens` (input tokens above which the whole request is billed at these prices, e.g. 200000)",
            "s.toml:12:29: providers[0].pricing.storage_usd_per_mtok_hour: must be >= 0, got -1",
            "s.toml:13:20: providers[0].pricing.batch_multiplier: must be >= 0, got -0.5",
        ],
    );
    check(
        &BASE.replace("name = \"base\"", "name = \"b\"\n[simulation]\nstart_time_utc = \"9h\""),
        &[],
        &[
            "s.toml:3:18: simulation.start_time_utc: expected a UTC time of day \"HH:MM\" or \"HH:MM:SS\" (00:00 to 23:59:59), got string \"9h\"",
        ],
    );
    // A TOML local time is a time of day; a date-time or a fraction is not.
    let sc = load_ok(&BASE.replace("name = \"base\"", "name = \"b\"\n[simulation]\nstart_time_utc = 09:30"), &[]);
    assert_eq!(sc.simulation.start_time_of_day_s, 9 * 3600 + 30 * 60);
    let sc = load_ok(BASE, &["simulation.start_time_utc=02:00"]);
    assert_eq!(sc.simulation.start_time_of_day_s, 2 * 3600);
    check(
        &BASE.replace("name = \"base\"", "name = \"b\"\n[simulation]\nstart_time_utc = 09:30:00.5"),
        &[],
        &[
            "s.toml:3:18: simulation.start_time_utc: expected a UTC time of day \"HH:MM\" or \"HH:MM:SS\" (00:00 to 23:59:59), got datetime 09:30:00.5",
        ],
    );
}

#[test]
fn breakpoint_tiers_are_intents_mapped_to_the_provider_tiers() {
    let provider = |max: u32| {
        format!(
            "[providers.cache]\nmode = \"explicit\"\nmax_breakpoints = {max}\ntiers = [{{ name = \"day\", ttl = \"24h\" }}, {{ name = \"hour\", ttl = \"1h\" }}]\n"
        )
    };
    let workload = "shared_segments = [{ name = \"sys\", tokens = 10 }]\ncache_breakpoints = [{ after = \"sys\", tier = \"long\" }, { after = \"task\", tier = \"30m\" }, { after = \"end\", tier = \"short\" }]\n";
    let s = load_ok(&with(&provider(4), workload), &[]);
    // long: the 24h tier; 30m: 1h (a ratio of 2, against 48 to 24h); short: 1h.
    assert_eq!(
        s.workloads[0].breakpoints,
        [
            BreakpointRule { at: BreakpointAt::AfterSegment("sys".into()), tier: 0 },
            BreakpointRule { at: BreakpointAt::AfterTask, tier: 1 },
            BreakpointRule { at: BreakpointAt::End, tier: 1 },
        ]
    );
    // A provider taking one breakpoint gets the first.
    let s = load_ok(&with(&provider(1), workload), &[]);
    assert_eq!(s.workloads[0].breakpoints, [BreakpointRule { at: BreakpointAt::AfterSegment("sys".into()), tier: 0 }]);
    // Anthropic's names on a one-tier 24h cache: both map to its tier.
    let s = load_ok(
        &with(
            "[providers.cache]\nttl = \"24h\"\n",
            "shared_segments = [{ name = \"sys\", tokens = 10 }]\ncache_breakpoints = [{ after = \"sys\", tier = \"1h\" }, { after = \"end\", tier = \"5m\" }]\n",
        ),
        &[],
    );
    assert_eq!(s.workloads[0].breakpoints.iter().map(|b| b.tier).collect::<Vec<_>>(), [0, 0]);
    assert_eq!(s.cache_tier_names(), ["24h"]);
}

#[test]
fn workload_segments_and_breakpoints_are_checked() {
    let explicit = "[providers.cache]\nmode = \"explicit\"\nmax_breakpoints = 2\ntiers = [{ name = \"5m\", ttl = \"5m\" }, { name = \"1h\", ttl = \"1h\" }]\n";
    check(
        &with(
            explicit,
            "shared_segments = [{ name = \"sys\", tokens = 10 }, { name = \"task\", tokens = 1 }, { name = \"sys\", tokens = 0 }]\n",
        ),
        &[],
        &[
            "s.toml:18:60: workloads[0].shared_segments[1].name: `task` is reserved (cache_breakpoints use \"task\" and \"end\"); choose another name",
            "s.toml:18:91: workloads[0].shared_segments[2].name: duplicate segment name `sys` (already used by workloads[0].shared_segments[0]); names must be unique",
            "s.toml:18:107: workloads[0].shared_segments[2].tokens: must be >= 1, got 0",
        ],
    );
    check(
        &with(
            explicit,
            "shared_segments = [{ name = \"sys\", tokens = 10 }]\ncache_breakpoints = [{ after = \"task\", tier = \"5m\" }, { after = \"sys\", tier = \"1h\" }, { after = \"nope\" }, { after = \"end\", tier = \"extended\" }]\n",
        ),
        &[],
        &[
            "s.toml:19:65: workloads[0].cache_breakpoints[1].after: breakpoints must follow prompt order without repeats (shared segments, then \"task\", then \"end\"), but `sys` does not come after `task` (workloads[0].cache_breakpoints[0])",
            "s.toml:19:79: workloads[0].cache_breakpoints[1].tier: cache TTLs must not increase along the prompt: tier `1h` (1h) follows tier `5m` (5m) at workloads[0].cache_breakpoints[0]; put longer-lived breakpoints first (Anthropic requires 1h entries before 5m ones)",
            "s.toml:19:97: workloads[0].cache_breakpoints[2].after: unknown segment `nope`; expected one of this workload's shared segments or a position: `sys`, \"task\", \"end\"",
            "s.toml:19:131: workloads[0].cache_breakpoints[3].tier: unknown cache tier `extended`; write a duration (\"5m\", \"1h\"), \"short\", \"long\" or a tier of provider `p`: 5m, 1h",
        ],
    );
    let s = load_ok(
        &with(
            explicit,
            "shared_segments = [{ name = \"sys\", tokens = 10 }]\ncache_breakpoints = [{ after = \"sys\", tier = \"1h\" }, { after = \"end\" }]\n",
        ),
        &[],
    );
    assert_eq!(
        s.workloads[0].breakpoints,
        [
            BreakpointRule { at: BreakpointAt::AfterSegment("sys".into()), tier: 1 },
            BreakpointRule { at: BreakpointAt::End, tier: 0 }
        ]
    );
    // Intents in order but increasing: refused even where both map to one tier,
    // so the workload is refused on every provider alike.
    check(
        &with(
            "[providers.cache]\nttl = \"5m\"\n",
            "shared_segments = [{ name = \"sys\", tokens = 10 }]\ncache_breakpoints = [{ after = \"sys\", tier = \"short\" }, { after = \"end\", tier = \"1h\" }]\n",
        ),
        &[],
        &[
            "s.toml:17:81: workloads[0].cache_breakpoints[1].tier: cache TTLs must not increase along the prompt: tier `1h` (1h) follows tier `short` (the shortest tier) at workloads[0].cache_breakpoints[0]; put longer-lived breakpoints first (Anthropic requires 1h entries before 5m ones)",
        ],
    );
    check(
        &with(
            "",
            "shared_prefix_tokens = 5\nshared_segments = []\nservice_tier = \"gold\"\napi_key = \"\"\nkeep_alive = { interval = \"0s\", output_tokens = 0 }\n",
        ),
        &[],
        &[
            "s.toml:15:1: workloads[0].shared_segments: set either `shared_prefix_tokens` or `shared_segments`, not both",
            "s.toml:16:16: workloads[0].service_tier: unknown service tier `gold`; expected one of: standard, batch, flex, priority",
            "s.toml:17:11: workloads[0].api_key: must not be empty",
            "s.toml:18:27: workloads[0].keep_alive.interval: must be > 0, got \"0s\"",
            "s.toml:18:49: workloads[0].keep_alive.output_tokens: must be >= 1, got 0",
        ],
    );
    // The same segment name must mean the same size everywhere; the legacy
    // shorthand is a segment named after its workload.
    let two = format!(
        "{BASE}\n[[workloads]]\nname = \"v\"\nprovider = \"p\"\nsteps = 1\noutput_tokens = 1\nshared_segments = [{{ name = \"w/shared\", tokens = 7 }}]\n[workloads.arrivals]\nrate_per_s = 1\nsessions = 1\n"
    )
    .replace("output_tokens = 100\n", "output_tokens = 100\nshared_prefix_tokens = 6\n");
    check(
        &two,
        &[],
        &[
            "s.toml:24:50: workloads[1].shared_segments[0].tokens: shared segment `w/shared` has 7 tokens here but 6 in workloads[0]; the same name means the same content in every workload",
        ],
    );
}

#[test]
fn at_most_eight_tier_names_per_scenario() {
    let tiers: Vec<String> = (1..=9).map(|i| format!("{{ name = \"t{i}\", ttl = \"{i}m\" }}")).collect();
    check(
        &with(&format!("[providers.cache]\ntiers = [{}]\n", tiers.join(", ")), ""),
        &[],
        &[
            "s.toml:6:251: providers[0].cache.tiers[8].name: too many cache tiers: `t9` would be the 9th distinct tier name in the scenario, at most 8 are supported (already used: t1, t2, t3, t4, t5, t6, t7, t8)",
        ],
    );
}

#[test]
fn presets_are_merged_under_user_keys() {
    let text = r#"name = "x"
[[providers]]
name = "a"
preset = "test/explicit"
[providers.cache]
ttl = "1h"
[providers.pricing]
output_usd_per_mtok = 20

[[workloads]]
name = "w"
provider = "a"
steps = 1
output_tokens = 1
[workloads.arrivals]
rate_per_s = 1
sessions = 1
"#;
    let s = load_ok_with(text, &[]);
    let p = &s.providers[0];
    assert_eq!(p.model, "m-explicit");
    assert_eq!(
        p.provenance,
        Some(Provenance {
            origin: "test/explicit".into(),
            as_of: "2026-11-20".into(),
            source: "https://example.invalid/prices".into()
        })
    );
    // The user's ttl replaces the preset's tiers; the preset's 5m price is dropped with its tier.
    assert_eq!(p.cache.tiers, [CacheTier { name: "1h".into(), ttl: SimDuration::from_secs(3600) }]);
    assert_eq!(p.cache.min_tokens, 1024);
    assert!(matches!(p.cache.mode, CacheMode::Explicit { .. }));
    assert_eq!(p.pricing.base.output_usd_per_mtok, 20.0);
    assert_eq!(p.pricing.base.input_usd_per_mtok, 3.0);
    assert_eq!(p.pricing.base.cache_write_usd_per_mtok, [6.0]);
    // Overrides apply before the merge, so they win too, and can pick a preset.
    let s = load_ok_with(text, &["providers[0].pricing.input_usd_per_mtok=1"]);
    assert_eq!(s.providers[0].pricing.base.input_usd_per_mtok, 1.0);
    let s = load_ok_with(BASE, &["providers[0].preset=test/explicit"]);
    assert_eq!(s.providers[0].pricing.base.cache_write_usd_per_mtok, [3.75, 6.0]);
    assert_eq!(s.providers[0].model, "m-explicit");
    // User values keep their positions; preset values are reported as the preset's.
    check_with(
        &text.replace("output_usd_per_mtok = 20", "output_usd_per_mtok = -1\ncache_write_usd_per_mtok = { 2h = 1 }"),
        &[],
        &[
            "s.toml:8:23: providers[0].pricing.output_usd_per_mtok: must be >= 0, got -1",
            "s.toml:9:30: providers[0].pricing.cache_write_usd_per_mtok.2h: unknown cache tier `2h`; this provider's tiers: 1h",
        ],
    );
    check_with(
        &text.replace("test/explicit", "test/broken"),
        &[],
        &[
            "preset test/broken: providers[0].cache.eviction: unknown eviction policy `fifo`; expected one of: lru, lfu, none",
        ],
    );
    check_with(
        &text.replace("test/explicit", "test/explicti"),
        &[],
        &[
            "s.toml:4:10: providers[0].preset: unknown preset `test/explicti`; close matches: `test/explicit` (`agentsim providers list` shows all)",
        ],
    );
    check_with(
        &text.replace("preset = \"test/explicit\"", "preset = 3"),
        &[],
        &["s.toml:4:10: providers[0].preset: expected a string, got integer 3"],
    );
}

#[test]
fn litellm_entries_are_read_through_the_file_source() {
    let text = BASE.replace(
        "[providers.pricing]\ninput_usd_per_mtok = 3\n",
        "litellm = { file = \"prices.json\", model = \"m1\" }\n[providers.pricing]\n",
    );
    let s = load_ok_with(&text, &[]);
    let p = &s.providers[0];
    assert_eq!(p.model, "m1");
    assert_eq!(p.pricing.base.input_usd_per_mtok, 1.0);
    assert_eq!(p.pricing.base.output_usd_per_mtok, 15.0);
    assert_eq!(
        p.provenance,
        Some(Provenance { origin: "litellm:m1".into(), as_of: String::new(), source: String::new() })
    );
    check_with(
        &text.replace("prices.json", "missing.json"),
        &[],
        &["s.toml:5:20: providers[0].litellm.file: cannot read `missing.json`: no such file"],
    );
    check_with(
        &text.replace("\"m1\"", "\"m2\""),
        &[],
        &["s.toml:5:43: providers[0].litellm.model: LiteLLM catalog `prices.json`: no model `m2` in the catalog"],
    );
    check_with(
        &text.replace("litellm = {", "preset = \"test/explicit\"\nlitellm = {"),
        &[],
        &["s.toml:6:1: providers[0].litellm: set either `preset` or `litellm`, not both"],
    );
    check_with(
        &text.replace("model = \"m1\"", "modle = \"m1\""),
        &[],
        &[
            "s.toml:5:11: providers[0].litellm.model: missing required key `model` (the model's key in the catalog)",
            "s.toml:5:35: providers[0].litellm.modle: unknown key `modle`; expected one of: file, model (did you mean `model`?)",
        ],
    );
    // `load` has no file source: the reference is a problem, not a panic.
    check(
        &text,
        &[],
        &[
            "s.toml:5:20: providers[0].litellm.file: cannot read `prices.json`: this command cannot read files referenced by a scenario",
        ],
    );
}

#[test]
fn trace_workloads_read_their_file() {
    let text = BASE
        .replace("steps = 10\noutput_tokens = 100\n", "")
        .replace("rate_per_s = 1\nsessions = 5\n", "kind = \"trace\"\nfile = \"t.jsonl\"\nformat = \"mooncake\"\n");
    let s = load_ok_with(&text, &[]);
    let w = &s.workloads[0];
    let Arrivals::Trace { trace, .. } = &w.arrivals else { panic!("expected a trace: {:?}", w.arrivals) };
    assert_eq!(trace.requests.len(), 2);
    assert_eq!(trace.requests[1].blocks, [1, 3]);
    assert_eq!(w.steps, TokenDist::new(Dist::Fixed(1.0)));
    check_with(
        &text.replace("t.jsonl", "gone.jsonl"),
        &[],
        &["s.toml:14:8: workloads[0].arrivals.file: cannot read `gone.jsonl`: no such file"],
    );
    check_with(
        &text.replace("t.jsonl", "bad.jsonl"),
        &[],
        &[
            "s.toml:14:8: workloads[0].arrivals.file: trace `bad.jsonl` line 1: not valid JSON: expected ident at line 1 column 2",
        ],
    );
    check_with(
        &text
            .replace("provider = \"p\"\n", "provider = \"p\"\nsteps = 3\nthink_time = \"1s\"\n")
            .replace("format = \"mooncake\"", "format = \"csv\"\nrate_per_s = 2"),
        &[],
        &[
            "s.toml:12:1: workloads[0].steps: not used by trace workloads: the trace gives each request's prompt and output",
            "s.toml:13:1: workloads[0].think_time: not used by trace workloads: the trace gives each request's prompt and output",
            "s.toml:17:10: workloads[0].arrivals.format: unknown trace format `csv`; expected one of: mooncake, azure, generic, generic-csv, generic-jsonl, agent",
            "s.toml:18:1: workloads[0].arrivals.rate_per_s: not used by trace arrivals: the trace gives every arrival time",
        ],
    );
    check(
        &BASE.replace("sessions = 5", "sessions = 5\nfile = \"t.jsonl\""),
        &[],
        &["s.toml:17:1: workloads[0].arrivals.file: only used by trace arrivals (kind = \"trace\")"],
    );
}

#[test]
fn every_bad_trace_line_is_its_own_problem_at_the_file_key() {
    let text = BASE
        .replace("steps = 10\noutput_tokens = 100\n", "")
        .replace("rate_per_s = 1\nsessions = 5\n", "kind = \"trace\"\nfile = \"bad3.jsonl\"\n");
    check_with(
        &text,
        &[],
        &[
            "s.toml:14:8: workloads[0].arrivals.file: trace `bad3.jsonl` line 1: not valid JSON: expected ident at line 1 column 2",
            "s.toml:14:8: workloads[0].arrivals.file: trace `bad3.jsonl` line 3: missing field `input_length`",
            "s.toml:14:8: workloads[0].arrivals.file: trace `bad3.jsonl` line 4: timestamp 3 ms is earlier than the previous request's 9 ms; a Mooncake trace must be in arrival order (sort it by timestamp first)",
        ],
    );

    // Past the trace's cap the rest are counted, in one more problem at the key;
    // that one is then past the scenario's own cap, so only counted too.
    let many = format!("{{}}\n{}", "[2]\n".repeat(59));
    let source = move |path: &str| if path == "t.jsonl" { Ok(many.clone()) } else { Err("no such file".to_string()) };
    let text = text.replace("bad3.jsonl", "t.jsonl");
    let err = load::load_from(&SourceText { name: "s.toml", text: &text }, &[], &source, &FakeCatalog).unwrap_err();
    let got: Vec<String> = err.problems.iter().map(ToString::to_string).collect();
    assert_eq!((got.len(), err.more), (crate::trace::MAX_TRACE_ERRORS, 1), "{got:#?}");
    let at = "s.toml:14:8: workloads[0].arrivals.file: trace `t.jsonl`";
    assert_eq!(got[0], format!("{at} line 1: missing field `timestamp`"));
    assert_eq!(got[49], format!("{at} line 50: expected a JSON object (one request per line), found [2]"));
    assert!(err.to_string().ends_with("\n  ... and 1 more problem\n"), "{err}");
}

#[test]
fn bundled_examples_load() {
    let dir = concat!(env!("CARGO_MANIFEST_DIR"), "/../scenarios/examples");
    let entries = std::fs::read_dir(dir).expect("scenarios/examples is part of the repository");
    let mut loaded = 0;
    for entry in entries.flatten() {
        let path = entry.path();
        if path.extension().is_some_and(|e| e == "toml") {
            loaded += 1;
            let text = std::fs::read_to_string(&path).unwrap();
            let name = path.display().to_string();
            let base = path.parent().map(std::path::Path::to_path_buf).unwrap_or_default();
            let read = move |p: &str| std::fs::read_to_string(base.join(p)).map_err(|e| e.to_string());
            if let Err(e) = load_with(&SourceText { name: &name, text: &text }, &[], &read) {
                panic!("{e}");
            }
        }
    }
    assert!(loaded >= 3, "only {loaded} example scenarios found in {dir}");
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

#[test]
fn every_built_in_preset_loads() {
    for name in crate::catalog::preset_names() {
        let text = BASE.replace(
            "[providers.pricing]\ninput_usd_per_mtok = 3\noutput_usd_per_mtok = 15\n",
            &format!("preset = \"{name}\"\n"),
        );
        let s = load_ok(&text, &[]);
        let origin = s.providers[0].provenance.as_ref().map(|p| p.origin.as_str());
        assert_eq!(origin, Some(name), "{name}");
    }
}

/// BASE on the built-in Gemini preset (explicit cache, `max_breakpoints = 1`,
/// `lookback_blocks = 0`), with `workload_extra` added after `output_tokens`.
fn on_gemini(workload_extra: &str) -> String {
    BASE.replace(
        "[providers.pricing]\ninput_usd_per_mtok = 3\noutput_usd_per_mtok = 15\n",
        "preset = \"google/gemini-2.5-pro\"\n",
    )
    .replace("output_tokens = 100\n", &format!("output_tokens = 100\n{workload_extra}"))
}

#[test]
fn default_breakpoints_cache_the_fixed_prefix_where_lookups_read_only_at_breakpoints() {
    let rule = |at| vec![BreakpointRule { at, tier: 0 }];
    let segments = "shared_segments = [{ name = \"sys\", tokens = 3000 }, { name = \"tools\", tokens = 2000 }]\n";
    let cases: [(String, Vec<BreakpointRule>); 6] = [
        // cachedContents-style: after the last shared segment, else after the task.
        (on_gemini(segments), rule(BreakpointAt::AfterSegment("tools".into()))),
        (on_gemini("shared_prefix_tokens = 6000\n"), rule(BreakpointAt::AfterSegment("w/shared".into()))),
        (on_gemini(""), rule(BreakpointAt::AfterTask)),
        // Look-ups that look back, and automatic caches, keep the rolling end.
        (with("[providers.cache]\nmode = \"explicit\"\nlookback_blocks = 1\n", segments), rule(BreakpointAt::End)),
        (with("[providers.cache]\nlookback_blocks = 0\n", segments), rule(BreakpointAt::End)),
        (with("", segments), rule(BreakpointAt::End)),
    ];
    for (text, expect) in cases {
        assert_eq!(load_ok(&text, &[]).workloads[0].breakpoints, expect, "\n{text}");
    }
    // A breakpoint list the user wrote is kept, the rolling end included when
    // something else is cached.
    let s = load_ok(
        &with(
            "[providers.cache]\nmode = \"explicit\"\nlookback_blocks = 0\n",
            &format!("{segments}cache_breakpoints = [{{ after = \"sys\" }}, {{ after = \"end\" }}]\n"),
        ),
        &[],
    );
    assert_eq!(
        s.workloads[0].breakpoints,
        [
            BreakpointRule { at: BreakpointAt::AfterSegment("sys".into()), tier: 0 },
            BreakpointRule { at: BreakpointAt::End, tier: 0 }
        ]
    );
    // A lone `end` there can never be read.
    check(
        &on_gemini(&format!("{segments}cache_breakpoints = [{{ after = \"end\" }}]\n")),
        &[],
        &[
            "s.toml:13:32: workloads[0].cache_breakpoints[0].after: a lone \"end\" breakpoint never hits on provider `p`: its cache is explicit with lookback_blocks = 0, so a request reads the cache only at its own breakpoints, and the end of each step's prompt is a new block; every step would write, and pay storage for, an entry no later step reads. Cache the fixed prefix instead: after = \"tools\"",
        ],
    );
    check(
        &on_gemini("cache_breakpoints = [{ after = \"end\", tier = \"1h\" }]\n"),
        &[],
        &[
            "s.toml:12:32: workloads[0].cache_breakpoints[0].after: a lone \"end\" breakpoint never hits on provider `p`: its cache is explicit with lookback_blocks = 0, so a request reads the cache only at its own breakpoints, and the end of each step's prompt is a new block; every step would write, and pay storage for, an entry no later step reads. Cache the fixed prefix instead: after = \"task\"",
        ],
    );
}

/// BASE as a trace workload (reading `t.jsonl`), with `workload_extra` after `provider`.
fn trace_workload(workload_extra: &str) -> String {
    BASE.replace("steps = 10\noutput_tokens = 100\n", workload_extra)
        .replace("rate_per_s = 1\nsessions = 5\n", "kind = \"trace\"\nfile = \"t.jsonl\"\n")
}

#[test]
fn trace_workloads_reject_what_they_cannot_use() {
    check_with(
        &trace_workload(
            "keep_alive = { interval = \"4m\" }\nreasoning_tokens = 100\nreasoning_in_history = true\nshared_prefix_tokens = 500\n",
        ),
        &[],
        &[
            "s.toml:12:1: workloads[0].keep_alive: not used by trace workloads: each trace request is a one-step session, so there is no pause to keep the cache alive through",
            "s.toml:13:1: workloads[0].reasoning_tokens: not used by trace workloads: the trace gives each request's output length, reasoning included",
            "s.toml:14:1: workloads[0].reasoning_in_history: not used by trace workloads: the trace gives each request's output length, reasoning included",
            "s.toml:15:1: workloads[0].shared_prefix_tokens: not used by trace workloads: the trace's blocks are the whole prompt",
        ],
    );
    check_with(
        &trace_workload(
            "shared_segments = [{ name = \"sys\", tokens = 10 }]\ncache_breakpoints = [{ after = \"sys\" }, { after = \"task\" }, { after = \"end\" }]\n",
        ),
        &[],
        &[
            "s.toml:12:1: workloads[0].shared_segments: not used by trace workloads: the trace's blocks are the whole prompt",
            "s.toml:13:32: workloads[0].cache_breakpoints[0].after: after = \"sys\" is not used by trace workloads: a trace prompt is the trace's raw blocks, with no shared segments or task, so only \"end\" is meaningful",
            "s.toml:13:51: workloads[0].cache_breakpoints[1].after: after = \"task\" is not used by trace workloads: a trace prompt is the trace's raw blocks, with no shared segments or task, so only \"end\" is meaningful",
        ],
    );
    // The rolling end (with its tier) and no breakpoints at all stay valid, on
    // any provider: a trace may repeat a whole prompt.
    let tiers = "[providers.cache]\ntiers = [{ name = \"long\", ttl = \"1h\" }, { name = \"short\", ttl = \"5m\" }]\n";
    let text = trace_workload("cache_breakpoints = [{ after = \"end\", tier = \"short\" }]\n")
        .replace("[providers.pricing]", &format!("{tiers}[providers.pricing]"));
    assert_eq!(load_ok_with(&text, &[]).workloads[0].breakpoints, [BreakpointRule { at: BreakpointAt::End, tier: 1 }]);
    assert_eq!(load_ok_with(&trace_workload("cache_breakpoints = []\n"), &[]).workloads[0].breakpoints, []);
    let gemini = trace_workload("").replace(
        "[providers.pricing]\ninput_usd_per_mtok = 3\noutput_usd_per_mtok = 15\n",
        "preset = \"google/gemini-2.5-pro\"\n",
    );
    let files = files(FILES);
    let s = load_with(&SourceText { name: "s.toml", text: &gemini }, &[], &files).unwrap();
    assert_eq!(s.workloads[0].breakpoints, [BreakpointRule { at: BreakpointAt::End, tier: 0 }]);
    assert_eq!(s.workloads[0].reasoning_tokens, TokenDist::new(Dist::Fixed(0.0)));
    assert_eq!(s.workloads[0].keep_alive, None);
    let s = load_with(
        &SourceText {
            name: "s.toml",
            text: &gemini
                .replace("provider = \"p\"\n", "provider = \"p\"\ncache_breakpoints = [{ after = \"end\" }]\n"),
        },
        &[],
        &files,
    )
    .unwrap();
    assert_eq!(s.workloads[0].breakpoints, [BreakpointRule { at: BreakpointAt::End, tier: 0 }]);
}

#[test]
fn storage_is_priced_per_entry_not_per_request_length() {
    let pricing = |extra: &str| BASE.replace("output_usd_per_mtok = 15", &format!("output_usd_per_mtok = 15\n{extra}"));
    check(
        &pricing(
            "long_context = { threshold_tokens = 1000, storage_usd_per_mtok_hour = 9 }\nchanges = [{ at = \"1h\", storage_usd_per_mtok_hour = 2, long_context = { storage_usd_per_mtok_hour = 3 } }]",
        ),
        &[],
        &[
            "s.toml:8:43: providers[0].pricing.long_context.storage_usd_per_mtok_hour: not allowed in `long_context`: storage is priced per cache entry at the base sheet (or the `changes[]` entry in force when the entry is created), so it cannot depend on a request's length; set storage_usd_per_mtok_hour in [providers.pricing] or in `changes[]`",
            "s.toml:9:73: providers[0].pricing.changes[0].long_context.storage_usd_per_mtok_hour: not allowed in `long_context`: storage is priced per cache entry at the base sheet (or the `changes[]` entry in force when the entry is created), so it cannot depend on a request's length; set storage_usd_per_mtok_hour in [providers.pricing] or in `changes[]`",
        ],
    );
    // In the base sheet and in a change it is the entry's price.
    let s = load_ok(
        &pricing(
            "storage_usd_per_mtok_hour = 4.5\nlong_context = { threshold_tokens = 1000, input_usd_per_mtok = 6 }\nchanges = [{ at = \"1h\", storage_usd_per_mtok_hour = 2 }]",
        ),
        &[],
    );
    let p = &s.providers[0].pricing;
    assert_eq!(p.base.storage_usd_per_mtok_hour, 4.5);
    assert_eq!(p.long_context.as_ref().unwrap().sheet.storage_usd_per_mtok_hour, 4.5);
    assert_eq!(p.changes[0].base.storage_usd_per_mtok_hour, 2.0);
    // The schema does not offer it.
    let schema = serde_json::to_string(&json_schema()).unwrap();
    let lc = schema.split("\"RawLongContext\"").nth(1).unwrap_or_default();
    assert!(!lc.split("\"RawPricing\"").next().unwrap_or_default().contains("storage"), "{schema}");
}

#[test]
fn problems_follow_from_one_cause_are_reported_once() {
    // A provider whose preset did not resolve has unknown tiers: references to
    // them are not checked.
    let text = BASE
        .replace(
            "name = \"p\"\n[providers.pricing]\ninput_usd_per_mtok = 3\noutput_usd_per_mtok = 15\n",
            "name = \"bad2\"\npreset = \"test/nope\"\n[providers.pricing]\ncache_write_usd_per_mtok = { 1h = 6 }\n",
        )
        .replace("provider = \"p\"", "provider = \"bad2\"\ncache_breakpoints = [{ after = \"end\", tier = \"10m\" }]");
    check_with(
        &text,
        &[],
        &[
            "s.toml:5:10: providers[0].preset: unknown preset `test/nope`; `agentsim providers list` shows the 2 presets",
        ],
    );
    check_with(
        &text.replace("preset = \"test/nope\"", "litellm = { file = \"prices.json\", model = \"m9\" }"),
        &[],
        &["s.toml:5:43: providers[0].litellm.model: LiteLLM catalog `prices.json`: no model `m9` in the catalog"],
    );
    // One misplaced entry is one order problem, naming the entry it conflicts with.
    let segments = "shared_segments = [{ name = \"a\", tokens = 10 }, { name = \"b\", tokens = 10 }]\n";
    let order =
        "breakpoints must follow prompt order without repeats (shared segments, then \"task\", then \"end\"), but";
    check(
        &with(
            "",
            &format!(
                "{segments}cache_breakpoints = [{{ after = \"end\" }}, {{ after = \"a\" }}, {{ after = \"b\" }}, {{ after = \"task\" }}]\n"
            ),
        ),
        &[],
        &[&format!(
            "s.toml:15:32: workloads[0].cache_breakpoints[0].after: {order} `end` is listed before `a` (workloads[0].cache_breakpoints[1]), which comes earlier in the prompt"
        )],
    );
    check(
        &with(
            "",
            &format!(
                "{segments}cache_breakpoints = [{{ after = \"a\" }}, {{ after = \"end\" }}, {{ after = \"b\" }}, {{ after = \"task\" }}]\n"
            ),
        ),
        &[],
        &[&format!(
            "s.toml:15:49: workloads[0].cache_breakpoints[1].after: {order} `end` is listed before `b` (workloads[0].cache_breakpoints[2]), which comes earlier in the prompt"
        )],
    );
    check(
        &with(
            "",
            &format!(
                "{segments}cache_breakpoints = [{{ after = \"a\" }}, {{ after = \"b\" }}, {{ after = \"a\" }}, {{ after = \"task\" }}, {{ after = \"task\" }}]\n"
            ),
        ),
        &[],
        &[
            &format!(
                "s.toml:15:66: workloads[0].cache_breakpoints[2].after: {order} `a` does not come after `b` (workloads[0].cache_breakpoints[1])"
            ),
            &format!(
                "s.toml:15:103: workloads[0].cache_breakpoints[4].after: {order} `task` does not come after `task` (workloads[0].cache_breakpoints[3])"
            ),
        ],
    );
}
