//! `agentsim plan` end to end on M/M/c queues whose answers are known from
//! Erlang C (Kleinrock, Queueing Systems Vol. 1, section 3.5): the largest
//! arrival rate and the smallest slot count meeting a mean-wait objective,
//! the whole-range outcomes, saturation, `--cheapest`, determinism and bad
//! flags.

use crate::queueing_validation::erlang_c;
use crate::support::{Scratch, agentsim, arg, bundled, read, read_json};
use std::collections::BTreeMap;
use std::path::{Path, PathBuf};
use std::sync::OnceLock;

/// scenarios/validation/mmc.toml (c = 4, mu = 1/s, lambda = 3/s), shortened
/// to 1000 s of arrivals and 10 replicates so a point takes a fraction of a
/// second in a debug build, with a time series fine enough for saturation.
fn mmc() -> String {
    let text = String::from_utf8(read(&bundled("validation/mmc.toml"))).unwrap();
    let short =
        text.replace("horizon = \"5000s\"", "horizon = \"1000s\"").replace("replicates = 30", "replicates = 10");
    let short = short.replace("warmup = \"200s\"", "warmup = \"200s\"\ntimeseries_interval = \"20s\"");
    assert!(short.contains("timeseries_interval") && short.contains("1000s") && short.contains("replicates = 10"));
    short
}

const RATE: &str = "workloads[0].arrivals.rate_per_s";
const SLOTS: &str = "providers[0].serving.slots";

/// Mean wait in queue of M/M/c with mu = 1: Wq = C(c, lambda) / (c - lambda),
/// with C the Erlang C probability of waiting (Kleinrock, Queueing Systems
/// Vol. 1, section 3.5).
fn wq(c: u32, lambda: f64) -> f64 {
    erlang_c(c, lambda) / (f64::from(c) - lambda)
}

/// The arrival rate at which Wq reaches `w` with c = 4 (Wq grows with lambda).
fn rate_for_wait(w: f64) -> f64 {
    let (mut lo, mut hi) = (0.0, 4.0 - 1e-9);
    for _ in 0..100 {
        let mid = 0.5 * (lo + hi);
        if wq(4, mid) <= w { lo = mid } else { hi = mid }
    }
    lo
}

fn plan(scenario: &Path, out: &Path, extra: &[&str]) -> crate::support::Outcome {
    let args = ["plan", &arg(scenario), "--out", &arg(out)];
    agentsim(args.iter().chain(extra))
}

fn setup(tag: &str) -> (Scratch, PathBuf) {
    let s = Scratch::new(tag);
    let scenario = s.write("mmc.toml", &mmc());
    (s, scenario)
}

/// plan.csv as rows of cells keyed by the header.
fn rows(dir: &Path) -> Vec<BTreeMap<String, String>> {
    let text = String::from_utf8(read(&dir.join("plan.csv"))).unwrap();
    let mut lines = text.lines();
    let head: Vec<&str> = lines.next().unwrap().split(',').collect();
    lines.map(|l| head.iter().map(|h| h.to_string()).zip(l.split(',').map(String::from)).collect()).collect()
}

/// `plan`'s answer to "the largest arrival rate with a mean queue wait of at
/// most 0.5 s" on 4 slots, and what Erlang C says of it.
#[derive(Clone, Copy, Debug)]
pub(crate) struct ErlangPlan {
    /// The bracket: the largest rate met and the smallest missed.
    pub(crate) met: f64,
    pub(crate) missed: f64,
    /// Erlang C's rate lambda* at which Wq = 0.5 s exactly.
    pub(crate) exact: f64,
    /// Twice the missed point's 95% half-width of the mean wait: the
    /// statistical slack allowed below lambda* at the missed end.
    pub(crate) slack: f64,
    /// Erlang C's rate at which Wq = 0.5 s - slack.
    pub(crate) slack_rate: f64,
}

impl ErlangPlan {
    /// Conservative (answer <= lambda*), the bracket within the bisection's
    /// 1% tolerance, the missed end within the statistical slack of lambda*,
    /// and a slack small enough for the check to mean something.
    pub(crate) fn holds(&self) -> bool {
        self.met <= self.exact
            && self.missed - self.met <= 0.01 * self.missed
            && self.missed >= self.slack_rate
            && self.slack < 0.25
    }
}

const ERLANG_SLO: &str = "queue_wait_s_mean<=0.5";

/// The Erlang C search's outputs, read into memory.
#[derive(Debug)]
pub(crate) struct ErlangRun {
    pub(crate) found: ErlangPlan,
    stdout: String,
    json: serde_json::Value,
    rows: Vec<BTreeMap<String, String>>,
}

/// Runs the search of `the_largest_arrival_rate_matches_erlang_c_on_the_conservative_side`
/// once per test process (the test and `validation_record` read the same
/// run) and reads its answer against Erlang C.
pub(crate) fn erlang_run() -> &'static ErlangRun {
    static RUN: OnceLock<ErlangRun> = OnceLock::new();
    RUN.get_or_init(|| {
        let (s, scenario) = setup("plan-erlang");
        let out = s.path("p");
        let o = plan(&scenario, &out, &["--slo", ERLANG_SLO, "--search", &format!("{RATE}=1..3.9")]).expect_code(0);
        let json = read_json(&out.join("plan.json"));
        assert_eq!(json["status"], "found", "{json:#}");
        let (met, missed) = (json["bracket"][0].as_f64().unwrap(), json["bracket"][1].as_f64().unwrap());
        assert_eq!(json["answer"].as_f64(), Some(met));
        let rows = rows(&out);
        let missed_row = rows.iter().find(|r| r["value"].parse::<f64>().unwrap() == missed).unwrap();
        let cell = |k: &str| missed_row[&format!("queue_wait_s_mean_{k}")].parse::<f64>().unwrap();
        let slack = cell("ci95_high") - cell("ci95_low");
        let found =
            ErlangPlan { met, missed, exact: rate_for_wait(0.5), slack, slack_rate: rate_for_wait(0.5 - slack) };
        ErlangRun { found, stdout: o.stdout, json, rows }
    })
}

#[test]
fn the_largest_arrival_rate_matches_erlang_c_on_the_conservative_side() {
    let ErlangRun { found, stdout, json, rows } = erlang_run();
    let ErlangPlan { met, missed, exact, slack, slack_rate } = *found;
    // The bisection tolerance: 1% of the bracket's upper end.
    assert!(missed - met <= 0.01 * missed, "{met} {missed}");
    // Conservative: met only when the whole interval is below 0.5 s, so the
    // true wait at the answer is below the objective: answer <= lambda*.
    assert!((exact - 2.9897).abs() < 1e-4, "Erlang C lambda* = {exact}");
    assert!(met <= exact, "answer {met} above the Erlang C rate {exact}");
    // Statistical slack: at the missed end the interval's upper bound passed
    // 0.5 s, so (within the interval) its true wait is above 0.5 - 2 h, with
    // h that point's half-width; the answer is within the tolerance of it.
    assert!(slack < 0.25, "the intervals are too wide for the test to mean anything: {slack}");
    assert!(missed >= slack_rate, "missed end {missed} below the rate of Wq = {}", 0.5 - slack);
    assert!(found.holds());
    // Both ends first, then midpoints; one row per evaluation, in order.
    assert_eq!((rows[0]["value"].as_str(), rows[1]["value"].as_str()), ("1", "3.9"));
    assert_eq!(rows.len(), json["evaluations"].as_u64().unwrap() as usize);
    // Near rho = 1 (3.9 is 0.975) a queue relaxes slowly enough to grow over
    // a 1000 s run, and the rule may call it saturated; below 0.9 it may not.
    let calm = rows.iter().filter(|r| r["value"].parse::<f64>().unwrap() <= 3.6);
    assert!(calm.clone().count() >= 5 && calm.into_iter().all(|r| r["saturated"] == "false"));
    // Little's law at the answer: L = lambda W, with W = Wq + 1 s of service.
    let l = json["implied"]["sessions_active_mean"]["mean"].as_f64().unwrap();
    assert!((l - met * (wq(4, met) + 1.0)).abs() < 0.6, "L {l} at lambda {met}");
    // The sentence shows four significant digits of the answer.
    let sentence = stdout.lines().next().unwrap();
    let shown = sentence.strip_prefix(&format!("The largest {RATE} meeting every objective is ")).unwrap();
    assert!((shown.trim_end_matches('.').parse::<f64>().unwrap() - met).abs() < 5e-4 * met, "{sentence}");
    assert!(stdout.lines().nth(1).unwrap().starts_with("bracket: met at "), "{stdout}");
}

#[test]
fn an_integer_search_finds_the_exact_smallest_slot_count() {
    let (s, scenario) = setup("plan-slots");
    let out = s.path("p");
    plan(
        &scenario,
        &out,
        &["--slo", "queue_wait_s_mean<=0.2", "--search", &format!("{SLOTS}=3..10"), "--minimize", "-q"],
    )
    .expect_code(0);
    // Erlang C at lambda = 3: Wq = 0.509 s with 4 slots, 0.118 s with 5.
    let smallest = (4..=10).find(|&c| wq(c, 3.0) <= 0.2).unwrap();
    assert_eq!(smallest, 5);
    let json = read_json(&out.join("plan.json"));
    assert_eq!((&json["status"], &json["answer"]), (&"found".into(), &smallest.into()), "{json:#}");
    assert_eq!(json["bracket"], serde_json::json!([5, 4]));
    assert_eq!(json["search"]["kind"], "integer");
    let values: Vec<String> = rows(&out).iter().map(|r| r["value"].clone()).collect();
    assert_eq!(values, ["3", "10", "6", "4", "5"], "ends, then integer midpoints");
}

#[test]
fn whole_range_outcomes_are_reported_distinctly() {
    let (s, scenario) = setup("plan-ranges");
    let slo = ["--slo", "queue_wait_s_mean<=0.5", "--replicates", "4"];
    let low = plan(&scenario, &s.path("low"), &[&slo[..], &["--search", &format!("{RATE}=0.5..1.5")]].concat());
    let low = low.expect_code(0);
    assert_eq!(read_json(&s.path("low").join("plan.json"))["status"], "met_everywhere");
    assert_eq!(read_json(&s.path("low").join("plan.json"))["answer"], 1.5);
    assert!(low.stdout.starts_with("Every objective is met across the whole range 0.5..1.5"), "{}", low.stdout);
    // Erlang C: Wq(3.6) = 2.0 s, far above the objective.
    assert!(wq(4, 3.6) > 1.5);
    let high = plan(&scenario, &s.path("high"), &[&slo[..], &["--search", &format!("{RATE}=3.6..3.9")]].concat());
    let high = high.expect_code(0);
    let json = read_json(&s.path("high").join("plan.json"));
    assert_eq!(
        (&json["status"], &json["answer"], &json["evaluations"]),
        (&"missed_everywhere".into(), &serde_json::Value::Null, &2.into())
    );
    assert!(high.stdout.starts_with("No value in 3.6..3.9 meets every objective"), "{}", high.stdout);
    // Maximizing slots: met only at the top, so the direction is wrong.
    let wrong = plan(&scenario, &s.path("wrong"), &[&slo[..], &["--search", &format!("{SLOTS}=3..8")]].concat());
    assert!(wrong.expect_code(0).stdout.contains("try --minimize"));
    assert_eq!(read_json(&s.path("wrong").join("plan.json"))["status"], "wrong_direction");
}

#[test]
fn a_saturated_point_never_meets() {
    let (s, scenario) = setup("plan-saturated");
    let out = s.path("p");
    // A loose objective every stable point meets: only saturation can fail it.
    let args = ["--slo", "queue_wait_s_mean<=1000000", "--search", &format!("{RATE}=2..6"), "-q", "--replicates", "4"];
    plan(&scenario, &out, &args).expect_code(0);
    let rows = rows(&out);
    assert_eq!((rows[1]["value"].as_str(), rows[1]["saturated"].as_str()), ("6", "true"), "rho 1.5");
    assert_eq!((rows[1]["queue_wait_s_mean_verdict"].as_str(), rows[1]["all_met"].as_str()), ("met", "false"));
    let answer = read_json(&out.join("plan.json"))["answer"].as_f64().unwrap();
    assert!((3.0..4.4).contains(&answer), "saturation starts near rho = 1 (lambda 4): {answer}");
}

#[test]
fn same_arguments_give_byte_identical_files_whatever_the_threads() {
    let (s, scenario) = setup("plan-determinism");
    let args = ["--slo", "queue_wait_s_mean<=0.5", "--search", &format!("{RATE}=1..3.9"), "-q", "--replicates", "4"];
    plan(&scenario, &s.path("one"), &[&args[..], &["--threads", "1"]].concat()).expect_code(0);
    plan(&scenario, &s.path("two"), &[&args[..], &["--threads", "2"]].concat()).expect_code(0);
    for f in ["plan.csv", "plan.json", "scenario.toml"] {
        assert_eq!(read(&s.path("one").join(f)), read(&s.path("two").join(f)), "{f}");
    }
    // A second run never overwrites the first silently.
    let again = plan(&scenario, &s.path("one"), &args).expect_code(1);
    assert!(again.stderr.contains("--force"), "{}", again.stderr);
}

/// Three slot counts, dearer as they grow: only 5 and 8 slots keep the mean
/// wait under 0.2 s at lambda = 3 (Erlang C: 0.118 s and 0.003 s; 3 slots
/// is critically loaded), and 5 is cheaper.
const VARIANTS: &str = r#"
[[variants]]
name = "five"
set = ["providers[0].serving.slots=5", "providers[0].pricing.output_usd_per_mtok=2"]

[[variants]]
name = "eight"
set = ["providers[0].serving.slots=8", "providers[0].pricing.output_usd_per_mtok=4"]
"#;

#[test]
fn cheapest_picks_the_cheapest_variant_that_meets() {
    let s = Scratch::new("plan-cheapest");
    let text = mmc().replace("slots = 4", "slots = 3").replace("output_tokens = 0", "output_tokens = 1000");
    let scenario = s.write("v.toml", &(text + VARIANTS));
    let out = s.path("c");
    let o = plan(&scenario, &out, &["--cheapest", "--slo", "queue_wait_s_mean<=0.2"]).expect_code(0);
    assert!(
        o.stdout.starts_with("The cheapest candidate meeting every objective is five: cost_usd_per_session 0.002"),
        "{}",
        o.stdout
    );
    let csv = String::from_utf8(read(&out.join("cheapest.csv"))).unwrap();
    let chosen: Vec<(&str, &str, &str)> = csv
        .lines()
        .skip(1)
        .map(|l| {
            let c: Vec<&str> = l.split(',').collect();
            (c[0], c[1], c[2])
        })
        .collect();
    assert_eq!(chosen, [("baseline", "false", "false"), ("five", "true", "true"), ("eight", "false", "true")]);
    // Prices scale every replicate's cost exactly: eight costs twice five.
    let eight = csv.lines().find(|l| l.starts_with("eight,")).unwrap();
    assert!(eight.ends_with(",1,1,1"), "relative difference +100% with no spread: {eight}");
    assert!(sim_cli::run_dir::is_complete(&out));

    let none = plan(&scenario, &s.path("none"), &["--cheapest", "--slo", "queue_wait_s_mean<=0.0001", "-q"]);
    none.expect_code(0);
    let csv = String::from_utf8(read(&s.path("none").join("cheapest.csv"))).unwrap();
    assert!(csv.lines().skip(1).all(|l| l.split(',').nth(1) == Some("false")), "{csv}");
}

#[test]
fn cheapest_across_providers_routes_every_workload_to_each() {
    let s = Scratch::new("plan-across");
    // A second provider like the first, with 8 slots at 4 times the output price.
    let text = mmc().replace("output_tokens = 0", "output_tokens = 1000");
    let block = &text[text.find("[[providers]]").unwrap()..text.find("[[workloads]]").unwrap()];
    let big = block.replace("\"server\"", "\"big\"").replace("slots = 4", "slots = 8");
    let big = big.replace("output_usd_per_mtok = 1.0", "output_usd_per_mtok = 4.0");
    let text = text.replace("[[workloads]]", &format!("{big}[[workloads]]"));
    let scenario = s.write("two.toml", &text);
    let out = s.path("c");
    let o = plan(&scenario, &out, &["--cheapest", "--across-providers", "--slo", "queue_wait_s_mean<=0.2"]);
    assert!(o.expect_code(0).stdout.starts_with("The cheapest candidate meeting every objective is big:"));
    let csv = String::from_utf8(read(&out.join("cheapest.csv"))).unwrap();
    let names: Vec<&str> = csv.lines().skip(1).map(|l| l.split(',').next().unwrap()).collect();
    assert_eq!(names, ["server", "big"], "one candidate per provider, the baseline left out");
}

#[test]
fn bad_flags_exit_2_naming_the_flag_and_write_nothing() {
    let (s, scenario) = setup("plan-bad");
    let out = s.path("p");
    let bad = plan(
        &scenario,
        &out,
        &["--slo", "queue_wait_s_man<=1", "--slo", "workload:job:ttft_s_p95<=1", "--search", "a.b=3..1"],
    );
    let bad = bad.expect_code(2);
    assert!(
        bad.stderr.contains(
            "--slo `queue_wait_s_man<=1`: unknown metric `queue_wait_s_man` (did you mean `queue_wait_s_mean`"
        ),
        "{}",
        bad.stderr
    );
    assert!(bad.stderr.contains("--slo `workload:job:ttft_s_p95<=1`: unknown workload `job` (did you mean `jobs`?)"));
    assert!(bad.stderr.contains("--search `a.b=3..1`: the range is empty"));
    let zero = plan(&scenario, &out, &["--slo", "ttft_s_p95<=3", "--search", &format!("{SLOTS}=0..4")]).expect_code(2);
    assert!(zero.stderr.contains(&format!("--search `{SLOTS}=0..4`: at 0")), "{}", zero.stderr);
    assert!(zero.stderr.contains("must be >= 1, got 0"), "{}", zero.stderr);
    let name = plan(&scenario, &out, &["--slo", "ttft_s_p95<=3", "--search", "providers[0].name=1..4"]).expect_code(2);
    assert!(name.stderr.contains("holds string, not a number"), "{}", name.stderr);
    let tol =
        plan(&scenario, &out, &["--slo", "ttft_s_p95<=3", "--search", &format!("{RATE}=1..2"), "--tolerance", "2"]);
    assert!(tol.expect_code(2).stderr.contains("--tolerance"));
    let one =
        plan(&scenario, &out, &["--slo", "ttft_s_p95<=3", "--search", &format!("{RATE}=1..2"), "--replicates", "1"]);
    assert!(one.expect_code(2).stderr.contains("--replicates"));
    let cheap = plan(&scenario, &out, &["--slo", "ttft_s_p95<=3", "--cheapest"]).expect_code(2);
    assert!(cheap.stderr.contains("--cheapest: nothing to compare"), "{}", cheap.stderr);
    let variant =
        ["--slo", "ttft_s_p95<=3", "--search", &format!("{RATE}=1..2"), "--variant", "v=providers[0].serving.slots=5"];
    let variant = plan(&scenario, &out, &variant).expect_code(2);
    assert!(variant.stderr.contains("--variant `v`: variants are compared with --cheapest"), "{}", variant.stderr);
    assert!(!out.exists(), "nothing written");
}

#[test]
fn plan_csv_cost_columns_are_the_points_run_summary() {
    // A priced scenario (mmc bills nothing); an integer key, so a point's
    // value is written exactly and `run --set` reproduces that point.
    let s = Scratch::new("plan-cost");
    let (out, scenario) = (s.path("p"), bundled("examples/capacity_plan.toml"));
    let search = format!("{SLOTS}=8..40");
    plan(&scenario, &out, &["--slo", "ttft_s_p95<=3", "--search", &search, "--minimize", "--replicates", "2", "-q"])
        .expect_code(0);
    let json = read_json(&out.join("plan.json"));
    // The high end: met, not saturated.
    let row = &rows(&out)[1];
    assert_eq!(row["value"], "40");
    let run = s.path("run");
    let set = format!("{SLOTS}={}", row["value"]);
    let seed = json["seed"].to_string();
    let args = ["run", &arg(&scenario), "--set", &set, "--seed", &seed, "--replicates", "2"];
    agentsim(args.into_iter().chain(["--out", &arg(&run), "-q", "--no-charts"])).expect_code(0);
    let cost = &read_json(&run.join("summary.json"))["variants"][0]["metrics"]["cost_usd_per_session"];
    for stat in ["mean", "ci95_low", "ci95_high"] {
        let cell: f64 = row[&format!("cost_usd_per_session_{stat}")].parse().unwrap();
        assert_eq!(Some(cell), cost[stat].as_f64(), "{stat}");
    }
    assert!(cost["mean"].as_f64().unwrap() > 0.0);
    // plan.json: the answer's cost, with its statistics.
    let answer_value = json["answer"].to_string();
    let answer = rows(&out).into_iter().find(|r| r["value"] == answer_value).unwrap();
    let at_answer = &json["cost_usd_per_session"];
    assert_eq!(Some(answer["cost_usd_per_session_mean"].parse::<f64>().unwrap()), at_answer["mean"].as_f64());
}
