//! For random valid scenarios (every cache, failure and keep-alive feature,
//! and the admission ones: rate limits, retry tables with timeouts, outages,
//! degraded windows, service tiers),
//! every output of a real run holds its identities: token classes sum to the
//! input, the metrics of replicate 0 equal the sums of its requests.csv rows,
//! costs equal tokens times prices, in every scope the summary's means equal
//! the means of replicates.csv, and every number is finite and within its physical range;
//! and `scenario.resolved.toml` loads back to the scenario that ran.
//! `AGENTSIM_PROPERTY_CASES=500 cargo test --release -p agentsim-tests accepted_outputs`
//! runs a longer search than the default.

use crate::support::{Scratch, agentsim, arg};
use proptest::prelude::*;
use std::collections::HashMap;
use std::fs;
use std::path::Path;

/// A CSV file of plain cells (agentsim's numeric outputs never quote).
struct Table {
    header: HashMap<String, usize>,
    rows: Vec<Vec<String>>,
}

impl Table {
    fn read(path: &Path) -> Table {
        let text = fs::read_to_string(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let mut lines = text.lines().map(|l| l.split(',').map(String::from).collect::<Vec<_>>());
        let header = lines.next().expect("header").into_iter().enumerate().map(|(i, h)| (h, i)).collect();
        Table { header, rows: lines.collect() }
    }

    fn cell<'a>(&self, row: &'a [String], column: &str) -> &'a str {
        &row[*self.header.get(column).unwrap_or_else(|| panic!("no column {column}"))]
    }

    /// A numeric cell; empty cells (undefined metrics) are `None`.
    fn num(&self, row: &[String], column: &str) -> Option<f64> {
        let c = self.cell(row, column);
        (!c.is_empty()).then(|| c.parse().unwrap_or_else(|_| panic!("{column} = {c:?} is not a number")))
    }
}

#[derive(Debug, Clone)]
struct Params {
    explicit: bool,
    ttl_s: u32,
    refresh: bool,
    max_lifetime_s: Option<u32>,
    capacity: Option<u32>,
    eviction: &'static str,
    min_tokens: u32,
    granularity: u32,
    miss: f64,
    keep_alive_s: Option<u32>,
    reasoning: u32,
    reasoning_in_history: bool,
    error_rate: f64,
    retries: u32,
    prices: [f64; 4],
    workloads: usize,
    steps_high: u32,
    think_s: u32,
    sessions: u32,
    seed: u64,
    admission: Admission,
    /// Subagents (probability, children, instructions tokens) and
    /// compaction (threshold, summary tokens).
    subagents: Option<(f64, u32, u32)>,
    compaction: Option<(u32, u32)>,
}

/// RPM, ITPM, OTPM, cache reads counted, output reserved.
type Limits = (u32, Option<u32>, Option<u32>, bool, bool);

/// Admission settings a generated scenario may add (each independently).
#[derive(Debug, Clone)]
struct Admission {
    rate_limits: Option<Limits>,
    /// max_attempts, backoff base (ms), full jitter, skip_step, timeout (s).
    retry: Option<(u32, u32, bool, bool, Option<u32>)>,
    /// start (s), length (s), hang.
    outage: Option<(u32, u32, bool)>,
    /// start (s), length (s), factor.
    degraded: Option<(u32, u32, f64)>,
    /// 0 standard, 1 priority, 2 flex, 3 batch.
    tier: u8,
    flex_max_utilization: f64,
    /// A fixed batch delay (s); past `batch_window_s` the request expires.
    batch_delay_s: u32,
    batch_window_s: u32,
}

fn admission() -> impl Strategy<Value = Admission> {
    (
        proptest::option::of((
            5u32..200,
            proptest::option::of(5_000u32..200_000),
            proptest::option::of(2_000u32..50_000),
            any::<bool>(),
            any::<bool>(),
        )),
        proptest::option::of((1u32..5, 100u32..5_000, any::<bool>(), any::<bool>(), proptest::option::of(5u32..120))),
        proptest::option::of((0u32..300, 1u32..300, any::<bool>())),
        proptest::option::of((0u32..300, 1u32..600, 0.1f64..=1.0)),
        0u8..4,
        0.3f64..=1.0,
        1u32..120,
        30u32..200,
    )
        .prop_map(|(rate_limits, retry, outage, degraded, tier, flex, delay, window)| Admission {
            rate_limits,
            retry,
            outage,
            degraded,
            tier,
            flex_max_utilization: flex,
            batch_delay_s: delay,
            batch_window_s: window,
        })
}

fn params() -> impl Strategy<Value = Params> {
    let cache = (
        any::<bool>(),
        5u32..900,
        any::<bool>(),
        proptest::option::of(60u32..3600),
        proptest::option::of(2_000u32..200_000),
        prop_oneof![Just("lru"), Just("lfu"), Just("none")],
        0u32..3_000,
        1u32..512,
        0.0f64..0.3,
    );
    let workload = (
        proptest::option::of(20u32..300),
        0u32..300,
        any::<bool>(),
        0.0f64..0.2,
        0u32..3,
        [0.05f64..20.0, 0.0f64..5.0, 0.05f64..30.0, 0.1f64..80.0],
        1usize..=2,
        1u32..12,
        1u32..400,
        2u32..25,
        any::<u64>(),
    );
    let agents = (
        proptest::option::of((0.0f64..=1.0, 1u32..4, 0u32..3_000)),
        proptest::option::of((1_000u32..20_000, 0u32..500)),
    );
    (cache, workload, admission(), agents).prop_map(|(c, w, admission, agents)| Params {
        explicit: c.0,
        ttl_s: c.1,
        refresh: c.2,
        max_lifetime_s: c.3,
        capacity: c.4,
        eviction: c.5,
        min_tokens: c.6,
        granularity: c.7,
        miss: c.8,
        keep_alive_s: w.0,
        reasoning: w.1,
        reasoning_in_history: w.2,
        error_rate: w.3,
        retries: w.4,
        prices: w.5,
        workloads: w.6,
        steps_high: w.7,
        think_s: w.8,
        sessions: w.9,
        seed: w.10 >> 1,
        admission,
        subagents: agents.0,
        compaction: agents.1,
    })
}

fn scenario_text(p: &Params) -> String {
    let mode = if p.explicit { "explicit" } else { "automatic" };
    let lifetime = p.max_lifetime_s.map_or(String::new(), |s| format!(", max_lifetime = \"{s}s\""));
    let capacity =
        p.capacity.map_or(String::new(), |c| format!(", capacity_tokens = {c}, eviction = \"{}\"", p.eviction));
    let [input, read, write, output] = p.prices;
    let mut text = format!(
        r#"name = "prop"
[simulation]
seed = {seed}
replicates = 3
[[providers]]
name = "p"
serving = {{ slots = 4, base_latency = {{ kind = "exponential", mean = "300ms" }}, prefill_tokens_per_s = 20000, decode_tokens_per_s = 90 }}
cache = {{ mode = "{mode}", ttl = "{ttl}s", refresh_on_hit = {refresh}, min_tokens = {min}, granularity_tokens = {gran}, miss_probability = {miss}{lifetime}{capacity} }}
pricing = {{ input_usd_per_mtok = {input}, cache_read_usd_per_mtok = {read}, cache_write_usd_per_mtok = {write}, output_usd_per_mtok = {output}, batch_multiplier = 1, flex_multiplier = 1, priority_multiplier = 1 }}
failures = {{ error_rate = {err}, max_retries = {retries}, retry_backoff = "2s" }}
{admission}"#,
        seed = p.seed,
        ttl = p.ttl_s,
        refresh = p.refresh,
        min = p.min_tokens,
        gran = p.granularity,
        miss = p.miss,
        err = p.error_rate,
        retries = p.retries,
        admission = provider_admission(&p.admission),
    );
    for i in 0..p.workloads {
        let keep_alive = p.keep_alive_s.map_or(String::new(), |s| format!("keep_alive = {{ interval = \"{s}s\" }}\n"));
        text.push_str(&format!(
            r#"[[workloads]]
name = "w{i}"
provider = "p"
shared_prefix_tokens = {shared}
task_tokens = {{ kind = "exponential", mean = 700 }}
steps = {{ kind = "uniform_int", low = 1, high = {steps} }}
output_tokens = {{ kind = "exponential", mean = 150, offset = 1, round = "floor" }}
reasoning_tokens = {reasoning}
reasoning_in_history = {in_history}
tool_result_tokens = {{ kind = "uniform_int", low = 0, high = 900 }}
think_time = {{ kind = "exponential", mean = "{think}s" }}
{keep_alive}arrivals = {{ rate_per_s = 0.4, sessions = {sessions} }}
{admission}"#,
            shared = 2_000 * (i + 1),
            steps = p.steps_high,
            reasoning = p.reasoning,
            in_history = p.reasoning_in_history,
            think = p.think_s,
            sessions = p.sessions,
            admission = workload_admission(&p.admission),
        ));
        if let Some((probability, count, instructions)) = p.subagents {
            text.push_str(&format!(
                "subagents = {{ probability = {probability}, count = {count}, steps = {{ kind = \"uniform_int\", low = 1, high = 3 }}, instructions_tokens = {instructions} }}\n"
            ));
        }
        if let Some((threshold, summary)) = p.compaction {
            text.push_str(&format!("compaction = {{ threshold_tokens = {threshold}, summary_tokens = {summary} }}\n"));
        }
    }
    text
}

/// The provider's admission keys.
fn provider_admission(a: &Admission) -> String {
    let mut t = String::new();
    if let Some((rpm, itpm, otpm, reads, reserve)) = a.rate_limits {
        let opt = |k: &str, v: Option<u32>| v.map_or(String::new(), |v| format!(", {k} = {v}"));
        t += &format!(
            "rate_limits = {{ requests_per_min = {rpm}{}{}, cache_reads_count = {reads}, reserve_output = {reserve} }}\n",
            opt("input_tokens_per_min", itpm),
            opt("output_tokens_per_min", otpm)
        );
    }
    if let Some((start, len, hang)) = a.outage {
        let mode = if hang { "hang" } else { "fail_fast" };
        t += &format!("outages = [{{ start = \"{start}s\", end = \"{}s\", mode = \"{mode}\" }}]\n", start + len);
    }
    if let Some((start, len, factor)) = a.degraded {
        t += &format!("degraded = [{{ start = \"{start}s\", end = \"{}s\", factor = {factor} }}]\n", start + len);
    }
    t + &format!(
        "tiers = {{ flex_max_utilization = {}, batch_delay = \"{}s\", batch_window = \"{}s\", batch_in_rate_limits = {} }}\n",
        a.flex_max_utilization,
        a.batch_delay_s,
        a.batch_window_s,
        a.batch_delay_s.is_multiple_of(2)
    )
}

/// A workload's tier, `max_tokens` and retry table; a hanging outage gets a
/// timeout (validation requires one).
fn workload_admission(a: &Admission) -> String {
    let tier = ["standard", "priority", "flex", "batch"][usize::from(a.tier)];
    let mut t = format!("service_tier = \"{tier}\"\nmax_tokens = 1000\n");
    let hang = a.outage.is_some_and(|o| o.2);
    let retry = a.retry.or(hang.then_some((3, 1_000, true, false, Some(30))));
    if let Some((max_attempts, base_ms, jitter, skip, timeout)) = retry {
        let timeout = timeout.or(hang.then_some(30)).map_or(String::new(), |s| format!(", timeout = \"{s}s\""));
        t += &format!(
            "retry = {{ max_attempts = {max_attempts}, backoff_base = \"{base_ms}ms\", backoff_cap = \"30s\", jitter = \"{}\", on_failure = \"{}\"{timeout} }}\n",
            if jitter { "full" } else { "none" },
            if skip { "skip_step" } else { "abort" }
        );
    }
    t
}

fn close(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-9 * a.abs().max(b.abs()).max(1e-6)
}

/// Checks every identity of one run directory of a scenario made with `p`.
fn check_run(dir: &Path, p: &Params) -> Result<(), TestCaseError> {
    let reps = Table::read(&dir.join("replicates.csv"));
    let reqs = Table::read(&dir.join("requests.csv"));
    let [p_in, p_read, p_write, p_out] = p.prices;
    for row in &reps.rows {
        // Every cell of every replicate is finite.
        for (name, &i) in &reps.header {
            if name != "variant" && name != "scope" && !row[i].is_empty() {
                let x: f64 = row[i].parse().map_err(|_| TestCaseError::fail(format!("{name} = {}", row[i])))?;
                prop_assert!(x.is_finite(), "{} = {}", name, x);
            }
        }
        let n = |c: &str| reps.num(row, c).unwrap_or(0.0);
        prop_assert_eq!(n("tokens_uncached") + n("tokens_cache_read") + n("tokens_cache_write"), n("tokens_input"));
        let tier = format!("tokens_cache_write_{}s", p.ttl_s);
        let tier = reps.header.keys().find(|k| k.starts_with("tokens_cache_write_")).cloned().unwrap_or(tier);
        prop_assert_eq!(n(&tier), n("tokens_cache_write"));
        for rate in ["cache_hit_rate", "cache_hit_rate_requests"] {
            if let Some(r) = reps.num(row, rate) {
                prop_assert!((0.0..=1.0).contains(&r), "{} = {}", rate, r);
            }
        }
        // Costs equal tokens times prices (one flat sheet, standard tier).
        prop_assert!(close(n("cost_usd_uncached"), n("tokens_uncached") * p_in / 1e6));
        prop_assert!(close(n("cost_usd_cache_read"), n("tokens_cache_read") * p_read / 1e6));
        prop_assert!(close(n("cost_usd_cache_write"), n("tokens_cache_write") * p_write / 1e6));
        prop_assert!(close(n("cost_usd_output"), n("tokens_output") * p_out / 1e6));
        let classes = ["uncached", "cache_read", "cache_write", "output", "storage"];
        let sum: f64 = classes.iter().map(|c| n(&format!("cost_usd_{c}"))).sum();
        prop_assert!(close(n("cost_usd"), sum));
        let top = p.prices.iter().copied().fold(0.0, f64::max);
        prop_assert!(n("cost_usd") <= (n("tokens_input") + n("tokens_output")) * top / 1e6 * (1.0 + 1e-9));
        // Every retry follows a failed attempt of one of the three kinds.
        prop_assert!(n("errors") + n("rate_limited") + n("timeouts") >= n("retries"));
    }
    // Replicate 0's metrics are the sums of its requests.
    let rep0 = reps.rows.iter().find(|r| reps.cell(r, "replicate") == "0" && reps.cell(r, "scope") == "all");
    let rep0 = rep0.expect("replicate 0");
    let mut sums: HashMap<&str, f64> = HashMap::new();
    // `requests` counts what was billed: answers, pings and attempts
    // abandoned after their first token (a timeout row with tokens); errors
    // are failed attempts and outage refusals.
    let (mut served, mut errors, mut pings, mut limited, mut timeouts) = (0.0, 0.0, 0.0, 0.0, 0.0);
    for row in &reqs.rows {
        let t = |c: &str| reqs.num(row, c).unwrap_or(0.0);
        match reqs.cell(row, "status") {
            "error" | "unavailable" => errors += 1.0,
            "rate_limited" => limited += 1.0,
            "timeout" => {
                timeouts += 1.0;
                served += f64::from(u8::from(t("input_tokens") + t("output_tokens") > 0.0));
            }
            status => {
                served += 1.0;
                pings += f64::from(u8::from(status == "keep_alive"));
            }
        }
        if !matches!(reqs.cell(row, "status"), "ok" | "keep_alive" | "timeout") {
            prop_assert_eq!(t("input_tokens") + t("output_tokens"), 0.0, "a refused or failed attempt has no tokens");
        }
        prop_assert_eq!(t("uncached_tokens") + t("cache_read_tokens") + t("cache_write_tokens"), t("input_tokens"));
        for c in ["input_tokens", "uncached_tokens", "cache_read_tokens", "cache_write_tokens", "output_tokens"] {
            *sums.entry(c).or_default() += t(c);
        }
        for c in ["cost_usd_uncached", "cost_usd_cache_read", "cost_usd_cache_write", "cost_usd_output"] {
            *sums.entry(c).or_default() += t(c);
        }
    }
    let m = |c: &str| reps.num(rep0, c).unwrap_or(0.0);
    prop_assert_eq!(m("requests"), served);
    prop_assert_eq!(m("errors"), errors);
    prop_assert_eq!(m("keep_alive_requests"), pings);
    prop_assert_eq!(m("rate_limited"), limited);
    prop_assert_eq!(m("timeouts"), timeouts);
    for (metric, column) in [
        ("tokens_input", "input_tokens"),
        ("tokens_uncached", "uncached_tokens"),
        ("tokens_cache_read", "cache_read_tokens"),
        ("tokens_cache_write", "cache_write_tokens"),
        ("tokens_output", "output_tokens"),
    ] {
        prop_assert_eq!(m(metric), sums.get(column).copied().unwrap_or(0.0), "{}", metric);
    }
    for c in ["cost_usd_uncached", "cost_usd_cache_read", "cost_usd_cache_write", "cost_usd_output"] {
        let s = sums.get(c).copied().unwrap_or(0.0);
        prop_assert!(close(m(c), s), "{}: metric {} vs rows {}", c, m(c), s);
    }
    // In every scope, the summary's means are the means of replicates.csv.
    let summary: serde_json::Value =
        serde_json::from_str(&fs::read_to_string(dir.join("summary.json")).unwrap()).unwrap();
    let variant = &summary["variants"][0];
    let mut scopes = vec![("all".to_string(), &variant["metrics"])];
    for (key, prefix) in [("by_provider", "provider"), ("by_workload", "workload")] {
        let tables = variant[key].as_object().expect(key);
        scopes.extend(tables.iter().map(|(name, t)| (format!("{prefix}:{name}"), t)));
    }
    prop_assert_eq!(scopes.len(), 2 + p.workloads, "all, provider p and every workload");
    let replicates = summary["replicates"].as_u64().expect("replicates") as usize;
    prop_assert_eq!(reps.rows.len(), replicates * scopes.len(), "one row per replicate and scope");
    for (scope, metrics) in scopes {
        let rows: Vec<_> = reps.rows.iter().filter(|r| reps.cell(r, "scope") == scope).collect();
        prop_assert_eq!(rows.len(), replicates, "{}", scope);
        for (name, stats) in metrics.as_object().expect("metrics") {
            let values: Vec<f64> = rows.iter().filter_map(|r| reps.num(r, name)).collect();
            prop_assert_eq!(stats["n"].as_u64(), Some(values.len() as u64), "{} {}", scope, name);
            if let Some(mean) = stats["mean"].as_f64() {
                let expect = values.iter().sum::<f64>() / values.len() as f64;
                prop_assert!(close(mean, expect), "{} {}: summary mean {} vs replicates {}", scope, name, mean, expect);
            }
        }
    }
    Ok(())
}

fn cases() -> u32 {
    std::env::var("AGENTSIM_PROPERTY_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(12)
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(), ..ProptestConfig::default() })]

    #[test]
    fn accepted_scenarios_give_outputs_whose_identities_hold(p in params()) {
        let s = Scratch::new("accepted");
        let file = s.path("prop.toml");
        fs::write(&file, scenario_text(&p)).unwrap();
        let out = s.path("run");
        let o = agentsim(["run", &arg(&file), "--out", &arg(&out), "--quiet", "--requests-csv", "--threads", "2"]);
        prop_assert_eq!(o.code, 0, "{}\n{}", o.stderr, scenario_text(&p));
        check_run(&out, &p)?;
        let load = |text: &str| {
            sim_core::scenario::load(&sim_core::scenario::SourceText { name: "prop.toml", text }, &[]).unwrap()
        };
        let resolved = fs::read_to_string(out.join("scenario.resolved.toml")).unwrap();
        prop_assert_eq!(load(&resolved), load(&scenario_text(&p)), "{}", resolved);
    }
}
