//! Trace formats through the one seam (`sim_core::trace::parse`): the
//! committed fixtures parse to exact counts and totals, `agentsim replay`
//! reads every format and reports bad rows with file, line and field, and
//! closed-loop replay of trace sessions sends each next request when the
//! previous one completes plus the recorded gap, where open loop keeps the
//! recorded times.

use crate::support::{Scratch, agentsim, arg, read};
use sim_core::trace::{Format, ParseOptions, Trace, parse, trace_stats};
use std::path::{Path, PathBuf};

fn fixture(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures").join(name)
}

fn parsed(name: &str, format: Format) -> Trace {
    let text = std::fs::read_to_string(fixture(name)).unwrap();
    parse(format, &text, &ParseOptions::default()).unwrap_or_else(|e| panic!("{name}: {e}"))
}

/// Requests, input tokens, output tokens.
pub(crate) type Totals = (usize, u64, u64);

/// The committed fixtures' requests, input and output tokens, computed
/// independently of agentsim (Python: a csv.DictReader sum of ContextTokens
/// and GeneratedTokens for Azure; for TraceLab, the sums of each JSON line's
/// `input_tokens_total` and `output_tokens`), with the test that asserts each.
pub(crate) const FIXTURE_TOTALS: [(&str, Format, &str, Totals); 2] = [
    ("azure_code_head.csv", Format::Azure, "the_azure_fixture_parses_to_its_counts_and_totals", (50, 125_078, 1_085)),
    (
        "tracelab_round_trace.jsonl",
        Format::Agent,
        "the_tracelab_fixture_parses_to_two_sessions_of_rounds",
        (19, 514_012, 11_335),
    ),
];

/// A fixture's (requests, input tokens, output tokens) as parsed.
pub(crate) fn fixture_totals(name: &str, format: Format) -> Totals {
    let s = trace_stats(&parsed(name, format));
    (s.requests, s.input_tokens, s.output_tokens)
}

/// `agentsim fit`'s estimators on the Azure fixture, computed independently
/// of agentsim (Python, from the CSV): the Poisson rate's maximum-likelihood
/// estimate (n - 1) / span = 49 / 36.649398 s, and the lognormal MLE of the
/// input and output tokens, mu = mean of ln x and sigma = sqrt(mean of
/// (ln x - mu)^2).
pub(crate) const AZURE_FIT: [(&str, f64); 5] = [
    ("Poisson rate (per s)", 1.336_993_311_595_459_3),
    ("input tokens mu", 7.136_098_768_655_263),
    ("input tokens sigma", 1.406_249_616_144_164_9),
    ("output tokens mu", 2.724_374_344_105_783),
    ("output tokens sigma", 0.747_034_571_962_942_3),
];

/// The same five numbers as `sim_core::fit` (what `agentsim fit` prints) makes them.
pub(crate) fn azure_fit() -> [f64; 5] {
    let report = sim_core::fit::fit(&parsed("azure_code_head.csv", Format::Azure));
    let (input, output) = (report.input_tokens.unwrap(), report.output_tokens.unwrap());
    [report.arrivals.unwrap().rate_per_s, input.mu, input.sigma, output.mu, output.sigma]
}

/// Agreement of a fitted value with its independent computation: 1e-12
/// relative (summation order aside, both compute the same sums).
pub(crate) fn fit_agrees(got: f64, want: f64) -> bool {
    (got - want).abs() <= 1e-12 * want.abs()
}

#[test]
fn fit_estimators_match_an_independent_computation() {
    for ((what, want), got) in AZURE_FIT.into_iter().zip(azure_fit()) {
        assert!(fit_agrees(got, want), "{what}: {got} vs {want}");
    }
}

#[test]
fn the_azure_fixture_parses_to_its_counts_and_totals() {
    let t = parsed("azure_code_head.csv", Format::Azure);
    let s = trace_stats(&t);
    assert_eq!(fixture_totals(FIXTURE_TOTALS[0].0, FIXTURE_TOTALS[0].1), FIXTURE_TOTALS[0].3);
    // 18:17:03.9799600 to 18:17:40.6293580.
    assert_eq!(s.duration.as_micros(), 36_649_398);
    assert!(!t.has_sessions);
    // No prefix information: each request is one private block.
    assert!(t.requests.iter().all(|r| r.ends == [r.input_tokens]));
}

#[test]
fn the_tracelab_fixture_parses_to_two_sessions_of_rounds() {
    let t = parsed("tracelab_round_trace.jsonl", Format::Agent);
    assert_eq!(fixture_totals(FIXTURE_TOTALS[1].0, FIXTURE_TOTALS[1].1), FIXTURE_TOTALS[1].3);
    assert_eq!(t.sessions.iter().map(|s| s.len()).collect::<Vec<_>>(), [9, 10], "the Codex session starts first");
    // Claude round 1 (35,740 tokens) grew from round 0 (32,272): it keeps
    // round 0's prompt as its prefix, whatever the recorded cache read was.
    let claude = &t.sessions[1];
    let (r0, r1) = (&t.requests[claude[0] as usize], &t.requests[claude[1] as usize]);
    assert_eq!((r0.input_tokens, r1.input_tokens, r1.step), (32_272, 35_740, 1));
    assert_eq!(r1.ends, [32_272, 35_740]);
    assert_eq!(r1.blocks[0], r0.blocks[0]);
    // Round 0 completes at its last event (05:40:31.647); round 1 is sent at
    // its last tool result (05:40:50.938): a 19.291 s gap.
    assert_eq!(r1.think_us, 19_291_000);
}

#[test]
fn generic_csv_and_jsonl_fixtures_parse() {
    let t = parsed("generic_sessions.csv", Format::Generic);
    let rows: Vec<_> = t.requests.iter().map(|r| (r.arrival_us, r.session, r.step, r.think_us)).collect();
    assert_eq!(
        rows,
        [
            (0, Some(0), 0, 0),
            (1_000_000, Some(1), 0, 0),
            (3_000_000, Some(0), 1, 500_000),
            (4_000_000, Some(1), 1, 500_000)
        ]
    );
    let t = parsed("generic_blocks.jsonl", Format::Generic);
    assert_eq!(
        t.requests.iter().map(|r| r.blocks.clone()).collect::<Vec<_>>(),
        [vec![0, 1, 2], vec![0, 1, 3], vec![4]]
    );
    assert_eq!((t.requests[1].arrival_us, t.requests[1].think_us, t.requests[2].session), (2_500_000, 1_500_000, None));
    assert_eq!(parsed("generic_blocks.jsonl", Format::GenericJsonl), t);
}

#[test]
fn replay_reads_every_format_and_names_bad_rows() {
    let s = Scratch::new("trace-formats-replay");
    let o = agentsim([
        "replay",
        "--trace",
        &arg(&fixture("azure_code_head.csv")),
        "--format",
        "azure",
        "--shared-prefix-tokens",
        "1000",
        "--out",
        &arg(&s.path("azure")),
    ])
    .expect_code(0);
    assert!(o.stdout.contains("50 requests over 36.6 s"), "{}", o.stdout);
    let csv = String::from_utf8(read(&s.path("azure").join("replay.csv"))).unwrap();
    // Requests of at least 1,000 tokens read exactly the shared prefix, but
    // the first (which writes it); a shorter one is the prefix's first n
    // tokens, read whole when an earlier request had the same length.
    let text = std::fs::read_to_string(fixture("azure_code_head.csv")).unwrap();
    let inputs: Vec<u64> = text.lines().skip(1).map(|l| l.split(',').nth(1).unwrap().parse().unwrap()).collect();
    let long = inputs.iter().filter(|&&n| n >= 1_000).count() as u64;
    let repeats: u64 =
        inputs.iter().enumerate().filter(|&(i, &n)| n < 1_000 && inputs[..i].contains(&n)).map(|(_, &n)| n).sum();
    let cached = (long - 1) * 1_000 + repeats;
    assert_eq!((long, cached), (32, 31_690));
    assert!(csv.lines().nth(1).unwrap().starts_with(&format!("unbounded,50,125078,{cached},")), "{csv}");
    let manifest = String::from_utf8(read(&s.path("azure").join("manifest.json"))).unwrap();
    assert!(manifest.contains("\"trace_format\": \"azure\""), "{manifest}");

    let bad = s.write("bad.csv", "timestamp,input_tokens,output_tokens\n0,10,1\n1,ten,1\n2,10\n");
    let o = agentsim(["replay", "--trace", &arg(&bad), "--format", "generic", "--out", &arg(&s.path("bad"))])
        .expect_code(2);
    let file = arg(&bad);
    assert!(
        o.stderr.contains(&format!("{file}:3: `input_tokens` must be a non-negative integer, found `ten`")),
        "{}",
        o.stderr
    );
    assert!(o.stderr.contains(&format!("{file}:4: `row`: 2 fields, the header has 3")), "{}", o.stderr);
    assert!(!s.path("bad").exists());
    let o = agentsim(["replay", "--trace", &arg(&bad), "--format", "mooncake", "--shared-prefix-tokens", "5"])
        .expect_code(2);
    assert!(o.stderr.contains("--shared-prefix-tokens: not used with --format mooncake"), "{}", o.stderr);
}

/// (session, step, arrival_s, end_s) of each request in requests.csv.
fn timings(out: &Path) -> Vec<(u64, u32, f64, f64)> {
    let text = String::from_utf8(read(&out.join("requests.csv"))).unwrap();
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let (se, st, a, e) = (col("session"), col("step"), col("arrival_s"), col("end_s"));
    let mut rows: Vec<_> = lines
        .map(|l| {
            let c: Vec<&str> = l.split(',').collect();
            (c[se].parse().unwrap(), c[st].parse().unwrap(), c[a].parse().unwrap(), c[e].parse().unwrap())
        })
        .collect();
    rows.sort_by(|x: &(u64, u32, f64, f64), y| x.2.total_cmp(&y.2));
    rows
}

fn loop_scenario(s: &Scratch, replay: &str) -> PathBuf {
    std::fs::copy(fixture("generic_sessions.csv"), s.path("t.csv")).unwrap();
    s.write(
        &format!("{replay}.toml"),
        &format!(
            r#"
name = "loops"
[simulation]
seed = 1
replicates = 1
[[providers]]
name = "p"
serving = {{ slots = 100, base_latency = "2s", prefill_tokens_per_s = 1000000000, decode_tokens_per_s = 1000000000 }}
pricing = {{ input_usd_per_mtok = 1.0, output_usd_per_mtok = 2.0 }}
[[workloads]]
name = "w"
provider = "p"
arrivals = {{ kind = "trace", file = "t.csv", format = "generic", replay = "{replay}" }}
"#
        ),
    )
}

#[test]
fn closed_loop_sends_the_next_request_after_completion_plus_the_gap() {
    let s = Scratch::new("trace-loops");
    let mut got = Vec::new();
    for mode in ["open", "closed"] {
        let out = s.path(mode);
        agentsim(["run", &arg(&loop_scenario(&s, mode)), "--out", &arg(&out), "--quiet", "--requests-csv"])
            .expect_code(0);
        got.push(timings(&out));
    }
    let (open, closed) = (&got[0], &got[1]);
    // Each request takes 2 s (base latency) plus a few microseconds of prefill and decode.
    let service = |r: &(u64, u32, f64, f64)| r.3 - r.2;
    assert!(open.iter().chain(closed).all(|r| (service(r) - 2.0).abs() < 1e-4), "{open:?} {closed:?}");
    // Open loop: the recorded times 0, 1, 3 and 4 s; four one-step sessions.
    assert_eq!(open.iter().map(|r| r.2).collect::<Vec<_>>(), [0.0, 1.0, 3.0, 4.0]);
    assert!(open.iter().all(|r| r.1 == 0));
    // Closed loop: session a's second step at its first's end + 0.5 s recorded gap
    // (about 2.5 s, not 3 s), session b's at about 3.5 s (not 4 s).
    assert_eq!(closed.iter().map(|r| (r.0, r.1)).collect::<Vec<_>>(), [(0, 0), (1, 0), (0, 1), (1, 1)]);
    assert_eq!(closed[2].2, closed[0].3 + 0.5);
    assert_eq!(closed[3].2, closed[1].3 + 0.5);
    assert!((closed[2].2 - 2.5).abs() < 1e-4 && (closed[3].2 - 3.5).abs() < 1e-4, "{closed:?}");
}

/// The whole shared Azure and TraceLab files, when they are beside the
/// repository: request counts and token totals as published (computed with
/// a plain CSV/JSON reader).
#[test]
fn shared_azure_and_tracelab_traces_parse_whole() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/traces");
    let expected = [
        ("AzureLLMInferenceTrace_code.csv", Format::Azure, 8_819, 18_059_974, 245_896),
        ("AzureLLMInferenceTrace_conv.csv", Format::Azure, 19_366, 22_361_870, 4_088_665),
        ("tracelab_example_sanitized_round_trace.jsonl", Format::Agent, 19, 514_012, 11_335),
    ];
    for (file, format, requests, input, output) in expected {
        let path = dir.join(file);
        let Ok(text) = std::fs::read_to_string(&path) else {
            println!("skipped: {} not present", path.display());
            continue;
        };
        let t = parse(format, &text, &ParseOptions::default()).unwrap_or_else(|e| panic!("{file}: {e}"));
        let s = trace_stats(&t);
        assert_eq!((s.requests, s.input_tokens, s.output_tokens), (requests, input, output), "{file}");
    }
}

#[test]
fn fit_prints_a_workload_that_validates() {
    let s = Scratch::new("trace-fit");
    for (file, format) in
        [("azure_code_head.csv", "azure"), ("tracelab_round_trace.jsonl", "agent"), ("generic_sessions.csv", "generic")]
    {
        let o =
            agentsim(["fit", "--trace", &arg(&fixture(file)), "--format", format, "--name", "fitted"]).expect_code(0);
        assert!(o.stdout.contains("[[workloads]]\nname = \"fitted\"\nprovider = \"my-provider\""), "{}", o.stdout);
        let scenario = format!(
            "name = \"fit\"\n[[providers]]\nname = \"my-provider\"\n[providers.pricing]\ninput_usd_per_mtok = 1\noutput_usd_per_mtok = 2\n\n{}",
            o.stdout
        );
        let path = s.write(&format!("{format}.toml"), &scenario);
        agentsim(["validate", &arg(&path)]).expect_code(0);
    }
    // 50 Azure requests over 36.6 s: 49 gaps, a rate of 49 / 36.649398 per second.
    let o = agentsim(["fit", "--trace", &arg(&fixture("azure_code_head.csv")), "--format", "azure"]).expect_code(0);
    assert!(o.stdout.contains("# arrivals: 50 sessions over 36.6 s, Poisson rate 1.336993/s"), "{}", o.stdout);
    assert!(o.stdout.contains("name = \"azure_code_head\""), "{}", o.stdout);
    let o = agentsim(["fit", "--trace", &arg(&fixture("azure_code_head.csv")), "--format", "agent"]).expect_code(2);
    assert!(o.stderr.contains("azure_code_head.csv:1: not valid JSON"), "{}", o.stderr);
}

#[test]
fn the_bundled_agent_trace_example_runs_its_19_calls_in_two_sessions() {
    let s = Scratch::new("trace-example");
    let out = s.path("run");
    let scenario = Path::new(env!("CARGO_MANIFEST_DIR")).join("../scenarios/examples/agent_trace_replay.toml");
    agentsim(["run", &arg(&scenario), "--out", &arg(&out), "--quiet", "--replicates", "1"]).expect_code(0);
    let summary = crate::support::read_json(&out.join("summary.json"));
    assert_eq!(crate::support::overall_mean(&summary, "requests"), 19.0);
    assert_eq!(crate::support::overall_mean(&summary, "sessions_completed"), 2.0);
    // The committed copy is the fixture, byte for byte.
    assert_eq!(
        read(&fixture("tracelab_round_trace.jsonl")),
        read(&scenario.parent().unwrap().join("../traces/tracelab_round_trace.jsonl"))
    );
}
