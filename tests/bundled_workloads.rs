//! The bundled workload scenarios (`scenarios/workloads/`) say what they do:
//! the coding agent reproduces TraceLab's published per-step statistics, and
//! each other scenario shows the effect its header and docs/scenarios.md
//! describe.

use crate::support::{bundled_run, read, read_json};
use std::sync::OnceLock;

/// One column of the baseline rows of `requests.csv`, by header name.
fn column(text: &str, name: &str) -> Vec<u64> {
    let mut lines = text.lines();
    let header: Vec<&str> = lines.next().unwrap().split(',').collect();
    let at = |n: &str| header.iter().position(|h| *h == n).unwrap_or_else(|| panic!("no column {n}"));
    let (variant, col) = (at("variant"), at(name));
    lines
        .map(|l| l.split(',').collect::<Vec<_>>())
        .filter(|c| c[variant] == "baseline")
        .map(|c| c[col].parse().unwrap())
        .collect()
}

fn median(mut v: Vec<u64>) -> f64 {
    v.sort_unstable();
    let n = v.len();
    if n % 2 == 1 { v[n / 2] as f64 } else { (v[n / 2 - 1] + v[n / 2]) as f64 / 2.0 }
}

/// The mean of `metric` in variant `i` of a summary.json.
#[track_caller]
fn mean(summary: &serde_json::Value, i: usize, metric: &str) -> f64 {
    summary["variants"][i]["metrics"][metric]["mean"].as_f64().unwrap_or_else(|| panic!("{metric} of variant {i}"))
}

/// TraceLab's published statistics over 357,161 steps
/// (github.com/uw-syfi/TraceLab): 95.7% of prompt tokens served from the
/// cache; per step a median cached prefix of 118,656 tokens, 875 new tokens
/// and 214 output tokens. Each with the relative tolerance the coding agent
/// must meet.
pub(crate) const TRACELAB: [(&str, f64, f64); 4] = [
    ("token hit rate", 0.957, 0.01),
    ("median cached prefix (tokens)", 118_656.0, 0.10),
    ("median new tokens per step", 875.0, 0.10),
    ("median output tokens per step", 214.0, 0.05),
];

/// The coding agent's statistics, in `TRACELAB`'s order, and the number of
/// requests they are measured on (2 replicates of the bundled scenario);
/// measured once per test process, so the test and `validation_record` read
/// the same run.
pub(crate) fn coding_agent_statistics() -> ([f64; 4], usize) {
    static STATS: OnceLock<([f64; 4], usize)> = OnceLock::new();
    *STATS.get_or_init(measure_coding_agent)
}

fn measure_coding_agent() -> ([f64; 4], usize) {
    let (_s, out) =
        bundled_run("coding-agent", "workloads/coding_agent.toml", &["--replicates", "2", "--requests-csv"]);
    let text = String::from_utf8(read(&out.join("requests.csv"))).unwrap();
    let (input, read_tokens) = (column(&text, "input_tokens"), column(&text, "cache_read_tokens"));
    let new: Vec<u64> = input.iter().zip(&read_tokens).map(|(i, r)| i - r).collect();
    let hit = read_tokens.iter().sum::<u64>() as f64 / input.iter().sum::<u64>() as f64;
    let requests = input.len();
    ([hit, median(read_tokens), median(new), median(column(&text, "output_tokens"))], requests)
}

#[test]
fn the_coding_agent_reproduces_tracelab_per_step_statistics() {
    let (got, requests) = coding_agent_statistics();
    assert!(requests > 5_000, "{requests} requests");
    for ((what, published, tolerance), got) in TRACELAB.into_iter().zip(got) {
        let err = (got - published).abs() / published;
        assert!(
            err <= tolerance,
            "{what}: {got:.1} vs TraceLab's {published} ({:.1}% off, tolerance {:.0}%)",
            err * 100.0,
            tolerance * 100.0
        );
    }
}

#[test]
fn a_support_prompt_under_the_cache_minimum_costs_more_than_one_just_over_it() {
    // Claude Haiku 4.5 caches prompts of at least 4,096 tokens: the 4,000-token
    // policy and tools are never cached on their own; 200 more tokens are.
    let (_s, out) = bundled_run("support-bot", "workloads/support_bot.toml", &["--replicates", "2"]);
    let summary = read_json(&out.join("summary.json"));
    let names: Vec<&str> = (0..4).map(|i| summary["variants"][i]["name"].as_str().unwrap()).collect();
    assert_eq!(names, ["baseline", "gpt-5.4-mini", "ttl-1h", "policy-2.7k"]);
    let cost = |i| mean(&summary, i, "cost_usd_per_session");
    assert!(cost(3) < 0.8 * cost(0), "policy-2.7k {} vs baseline {}", cost(3), cost(0));
    assert!(mean(&summary, 3, "cache_hit_rate") > mean(&summary, 0, "cache_hit_rate") + 0.1);
}

#[test]
fn the_batch_tier_halves_the_bill_and_answers_in_minutes_not_seconds() {
    let (_s, out) = bundled_run("overnight-batch", "workloads/overnight_batch.toml", &["--replicates", "2"]);
    let summary = read_json(&out.join("summary.json"));
    assert_eq!(summary["variants"][1]["name"], "standard");
    // Half price on every class, with a cache hit rate close to the
    // real-time tier's: requests processed later read what earlier ones wrote.
    let ratio = mean(&summary, 0, "cost_usd_per_session") / mean(&summary, 1, "cost_usd_per_session");
    assert!((0.45..0.55).contains(&ratio), "batch / standard cost {ratio}");
    assert!(mean(&summary, 0, "cache_hit_rate") > 0.8 * mean(&summary, 1, "cache_hit_rate"));
    assert!(
        mean(&summary, 0, "ttft_s_p50") > 60.0 && mean(&summary, 1, "ttft_s_p50") < mean(&summary, 0, "ttft_s_p50")
    );
}

#[test]
fn the_chat_and_shared_provider_scenarios_run_with_every_workload_served() {
    let (_s, out) = bundled_run("chat", "workloads/interactive_chat.toml", &["--replicates", "2"]);
    let summary = read_json(&out.join("summary.json"));
    // The 600-token system prompt is below every cache minimum: first turns
    // miss, later turns mostly hit.
    let hit = mean(&summary, 0, "cache_hit_rate");
    assert!((0.5..0.95).contains(&hit), "chat hit rate {hit}");

    let (_s, out) = bundled_run("shared", "workloads/shared_providers.toml", &["--replicates", "2"]);
    let summary = read_json(&out.join("summary.json"));
    let by_workload = summary["variants"][0]["by_workload"].as_object().unwrap();
    let of = |w: &str, metric: &str| by_workload[w][metric]["mean"].as_f64().unwrap();
    for w in ["coding-agent", "support-bot", "chat", "nightly-extraction"] {
        assert!(of(w, "requests") > 1_000.0, "{w}: {} requests", of(w, "requests"));
    }
    // OpenAI's half-hour outage: the chat fails over to Haiku and loses no
    // session; the support bot, fixed on OpenAI, loses the ones caught in it.
    assert!(of("chat", "failovers") > 10.0, "chat failovers {}", of("chat", "failovers"));
    assert_eq!(of("chat", "sessions_completed"), of("chat", "sessions_started"));
    assert_eq!(of("support-bot", "failovers"), 0.0);
    assert!(of("support-bot", "sessions_completed") < of("support-bot", "sessions_started") - 10.0);
}
