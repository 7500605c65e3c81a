//! Validation of the admission keys: every bad value located (file:line:col
//! and key path) and reported at once; impossible combinations named with
//! both numbers; the defaults of what is left out.

use super::tests::run;
use super::*;
use crate::dist::Dist;
use crate::time::{SimDuration, SimTime};

const PROVIDER: &str = r#"name = "adm"

[[providers]]
name = "p"
pricing = { input_usd_per_mtok = 3, output_usd_per_mtok = 15 }
# Inline, so the tests' keys land in the provider's table.
model = "m"
"#;

const WORKLOAD: &str = r#"
[[workloads]]
name = "w"
provider = "p"
steps = 2
output_tokens = 100
shared_prefix_tokens = 5000
arrivals = { rate_per_s = 1, sessions = 5 }
"#;

fn problems(provider_extra: &str, workload_extra: &str) -> Vec<String> {
    let text = format!("{PROVIDER}{provider_extra}{WORKLOAD}{workload_extra}");
    match run(&text, &[]) {
        Ok(_) => panic!("loaded:\n{text}"),
        Err(p) => p,
    }
}

fn loads(provider_extra: &str, workload_extra: &str) -> Scenario {
    let text = format!("{PROVIDER}{provider_extra}{WORKLOAD}{workload_extra}");
    run(&text, &[]).unwrap_or_else(|p| panic!("{p:#?}\n{text}"))
}

#[test]
fn every_bad_admission_value_is_reported_at_once_with_its_place() {
    let provider = r#"[providers.rate_limits]
requests_per_min = 0
input_tokens_per_min = -5
output_tokens_per_min = 1.5
scope = "team"
cache_reads_count = "no"
reserve_output = 1
[[providers.outages]]
start = "10m"
end = "5m"
mode = "crash"
[[providers.degraded]]
start = "1m"
factor = 1.5
[providers.tiers]
flex_max_utilization = 0
batch_delay = { kind = "fixed", value = "-1s" }
batch_window = "0s"
batch_in_rate_limits = "yes"
"#;
    let workload = r#"max_tokens = 0
[workloads.retry]
max_attempts = 0
backoff_base = "2s"
backoff_cap = "1s"
jitter = "half"
on_failure = "retry"
timeout = "0s"
[workloads.objectives]
ttft = "-1s"
tpot = 3
"#;
    assert_eq!(
        problems(provider, workload),
        [
            "s.toml:9:20: providers[0].rate_limits.requests_per_min: must be >= 1, got 0",
            "s.toml:10:24: providers[0].rate_limits.input_tokens_per_min: must be >= 0, got -5",
            "s.toml:11:25: providers[0].rate_limits.output_tokens_per_min: expected a non-negative integer, got number 1.5",
            "s.toml:12:9: providers[0].rate_limits.scope: unknown rate limit scope `team`; expected one of: api_key, provider",
            "s.toml:13:21: providers[0].rate_limits.cache_reads_count: expected true or false, got string \"no\"",
            "s.toml:14:18: providers[0].rate_limits.reserve_output: expected true or false, got integer 1",
            "s.toml:17:7: providers[0].outages[0].end: must be after `start`: start \"10m\" but end \"5m\"",
            "s.toml:18:8: providers[0].outages[0].mode: unknown outage mode `crash`; expected one of: fail_fast, hang",
            "s.toml:19:1: providers[0].degraded[0].end: missing required key `end` (when the window ends, a duration from time zero, e.g. \"150m\")",
            "s.toml:21:10: providers[0].degraded[0].factor: must be in (0, 1], got 1.5",
            "s.toml:23:24: providers[0].tiers.flex_max_utilization: must be in (0, 1], got 0",
            "s.toml:24:41: providers[0].tiers.batch_delay.value: `-1s` is negative; durations must be >= 0",
            "s.toml:25:16: providers[0].tiers.batch_window: must be > 0, got \"0s\"",
            "s.toml:26:24: providers[0].tiers.batch_in_rate_limits: expected true or false, got string \"yes\"",
            "s.toml:35:14: workloads[0].max_tokens: must be >= 1, got 0",
            "s.toml:37:16: workloads[0].retry.max_attempts: must be >= 1, got 0",
            "s.toml:39:15: workloads[0].retry.backoff_cap: must be at least `backoff_base`: cap \"1s\" but base \"2s\"",
            "s.toml:40:10: workloads[0].retry.jitter: unknown jitter `half`; expected one of: full, none",
            "s.toml:41:14: workloads[0].retry.on_failure: unknown failure policy `retry`; expected one of: abort, skip_step",
            "s.toml:42:11: workloads[0].retry.timeout: must be > 0, got \"0s\"",
            "s.toml:44:8: workloads[0].objectives.ttft: `-1s` is negative; durations must be >= 0",
            "s.toml:45:8: workloads[0].objectives.tpot: `3` has no unit; write e.g. \"3s\" (units: us, ms, s, m, h, d)",
        ]
    );
}

#[test]
fn empty_tables_and_overlapping_windows_are_refused() {
    let provider = r#"rate_limits = { scope = "provider" }
outages = [{ start = "0s", end = "10m" }, { start = "5m", end = "20m", mode = "hang" }]
degraded = [{ start = "1h", end = "2h", factor = 0.5 }, { start = "2h", end = "3h", factor = 0.5 }]
"#;
    assert_eq!(
        problems(provider, "objectives = {}\nretry = { timeout = \"30s\" }\n"),
        [
            "s.toml:8:1: providers[0].rate_limits: sets no limit: give requests_per_min, input_tokens_per_min or output_tokens_per_min, or remove the table",
            "s.toml:9:43: providers[0].outages[1]: overlaps providers[0].outages[0]: windows of one kind may touch but not overlap",
            "s.toml:19:14: workloads[0].objectives: sets no objective: give ttft, tpot or e2e, or remove the table",
        ]
    );
}

#[test]
fn settings_that_cannot_work_together_name_both_sides() {
    let provider = r#"outages = [{ start = "1h", end = "2h", mode = "hang" }]
rate_limits = { input_tokens_per_min = 4000, output_tokens_per_min = 2000, reserve_output = true }
"#;
    assert_eq!(
        problems(provider, "max_tokens = 4096\n"),
        [
            "s.toml:11:1: workloads[0].retry.timeout: is needed: provider `p` has an outage that hangs requests (providers[0].outages[0]), and only the client's timeout ends them; set e.g. retry = { timeout = \"60s\" }",
            "s.toml:16:24: workloads[0].shared_prefix_tokens: every prompt carries 5000 shared tokens, more than providers[0].rate_limits.input_tokens_per_min 4000: the first request could never be admitted",
            "s.toml:18:14: workloads[0].max_tokens: max_tokens 4096 is more than providers[0].rate_limits.output_tokens_per_min 2000, which reserves max_tokens per request: no request could ever be admitted",
        ]
    );
    // Charged at completion, a large max_tokens is fine; with a timeout a hang is too.
    let provider = provider.replace("reserve_output = true", "reserve_output = false").replace("4000", "5000");
    let s = loads(&provider, "max_tokens = 4096\nretry = { timeout = \"60s\" }\n");
    assert_eq!(s.workloads[0].retry.and_then(|r| r.timeout), Some(SimDuration::from_secs(60)));
}

#[test]
fn admission_defaults() {
    let s = loads("rate_limits = { requests_per_min = 50 }\n", "retry = {}\n");
    let p = &s.providers[0].admission;
    assert_eq!(
        p.rate_limits,
        Some(RateLimitConfig {
            requests_per_min: Some(50),
            input_tokens_per_min: None,
            output_tokens_per_min: None,
            per_api_key: true,
            cache_reads_count: false,
            reserve_output: false,
        })
    );
    assert_eq!((p.outages.len(), p.degraded.len()), (0, 0));
    assert_eq!(p.tiers, TierRules::default());
    assert_eq!(p.tiers.batch_window, SimDuration::from_secs(86_400));
    let w = &s.workloads[0];
    assert_eq!(w.max_tokens, 4096);
    assert_eq!(
        w.retry,
        Some(RetryConfig {
            max_attempts: 3,
            backoff_base: SimDuration::from_secs(1),
            backoff_cap: SimDuration::from_secs(60),
            full_jitter: true,
            on_failure: StepFailure::Abort,
            timeout: None,
        })
    );
    assert_eq!(w.objectives, Objectives::default());
    // Without a retry table the provider's failures settings apply (engine side).
    assert_eq!(loads("", "").workloads[0].retry, None);
}

#[test]
fn admission_values_are_read_as_written() {
    let provider = r#"outages = [{ start = "2h", end = "150m", mode = "hang" }, { start = "1h", end = "65m" }]
degraded = [{ start = "10m", end = "20m", factor = 0.25 }]
tiers = { flex_max_utilization = 0.6, batch_delay = "90s", batch_window = "1h", batch_in_rate_limits = true }
"#;
    let workload = "retry = { max_attempts = 5, backoff_base = \"250ms\", backoff_cap = \"8s\", jitter = \"none\", on_failure = \"skip_step\", timeout = \"2m\" }\nobjectives = { ttft = \"2s\", e2e = \"30s\" }\n";
    let s = loads(provider, workload);
    let a = &s.providers[0].admission;
    let at = |secs: u64| SimTime::from_micros(secs * 1_000_000);
    assert_eq!(
        a.outages,
        [
            Outage { start: at(7_200), end: at(9_000), hang: true },
            Outage { start: at(3_600), end: at(3_900), hang: false },
        ]
    );
    assert_eq!(a.degraded, [Degraded { start: at(600), end: at(1_200), factor: 0.25 }]);
    assert_eq!(a.tiers.flex_max_utilization, 0.6);
    assert_eq!(a.tiers.batch_delay, Dist::Fixed(90.0));
    assert_eq!((a.tiers.batch_window, a.tiers.batch_in_rate_limits), (SimDuration::from_secs(3_600), true));
    let w = &s.workloads[0];
    assert_eq!(
        w.retry,
        Some(RetryConfig {
            max_attempts: 5,
            backoff_base: SimDuration::from_millis(250),
            backoff_cap: SimDuration::from_secs(8),
            full_jitter: false,
            on_failure: StepFailure::Skip,
            timeout: Some(SimDuration::from_secs(120)),
        })
    );
    assert_eq!(
        w.objectives,
        Objectives { ttft: Some(SimDuration::from_secs(2)), tpot: None, e2e: Some(SimDuration::from_secs(30)) }
    );
}
