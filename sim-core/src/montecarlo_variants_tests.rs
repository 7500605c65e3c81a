//! Variants in a Monte Carlo run: paired intervals, a no-op variant, and
//! determinism across thread counts.

use super::*;
use crate::metrics::stats::student_t_975;
use crate::scenario::{NoFiles, SourceText, load, load_variants};

/// Quickstart-like agents that pause for minutes, so 5-minute cache entries
/// expire between steps and 1-hour ones (dearer to write) do not.
const TTL: &str = r#"
name = "ttl"
[simulation]
seed = 3
replicates = 12
[[providers]]
name = "sonnet"
serving = { slots = 64, prefill_tokens_per_s = 10000, decode_tokens_per_s = 80 }
cache = { enabled = true, ttl = "5m", refresh_on_hit = true }
pricing = { input_usd_per_mtok = 3, cache_read_usd_per_mtok = 0.3, cache_write_usd_per_mtok = 3.75, output_usd_per_mtok = 15 }
[[workloads]]
name = "agents"
provider = "sonnet"
shared_prefix_tokens = 6000
task_tokens = { kind = "lognormal", median = 800, p90 = 3000 }
steps = { kind = "uniform_int", low = 5, high = 20 }
output_tokens = { kind = "exponential", mean = 200, offset = 1, round = "floor" }
tool_result_tokens = { kind = "uniform_int", low = 100, high = 1500 }
think_time = { kind = "exponential", mean = "4m" }
arrivals = { rate_per_s = 0.05, horizon = "20m" }
[[variants]]
name = "ttl-1h"
set = ["providers[0].cache.ttl=1h", "providers[0].pricing.cache_write_usd_per_mtok=6"]
[[variants]]
name = "same"
set = ["description=nothing the engine reads"]
"#;

fn run_ttl(threads: usize) -> (Summary, Vec<(String, u32)>) {
    let src = SourceText { name: "ttl.toml", text: TTL };
    let base = load(&src, &[]).unwrap();
    let variants = load_variants(&src, &[], &NoFiles, &base, &[]).unwrap();
    let opts = RunOptions::from_scenario(&base);
    let pool = rayon::ThreadPoolBuilder::new().num_threads(threads).build().unwrap();
    let mut seen = Vec::new();
    let mut sink = |name: &str, r: &ReplicateMetrics, _: &VariantRecord| seen.push((name.to_string(), r.replicate));
    let hooks = RunHooks { on_done: &|| {}, on_replicate: &mut sink };
    let result = pool.install(|| run(&base, &variants, &opts, hooks)).unwrap();
    (result.summary, seen)
}

#[test]
fn paired_interval_of_the_ttl_cost_difference_is_narrower_than_unpaired() {
    let (summary, _) = run_ttl(2);
    let names: Vec<&str> = summary.variants.iter().map(|v| v.name.as_str()).collect();
    assert_eq!(names, ["baseline", "ttl-1h", "same"]);
    let base = summary.variants[0].metrics.get("cost_usd").unwrap();
    let long = summary.variants[1].metrics.get("cost_usd").unwrap();
    let diff = summary.variants[1].diff_vs_baseline.as_ref().unwrap().metrics.get("cost_usd").unwrap();
    let n = f64::from(base.n);
    assert_eq!((base.n, long.n, diff.n), (12, 12, 12));
    // The mean of differences is the difference of means.
    assert!((diff.mean.unwrap() - (long.mean.unwrap() - base.mean.unwrap())).abs() < 1e-9);
    let paired = diff.ci95_high.unwrap() - diff.ci95_low.unwrap();
    // Difference of independent means: both standard errors add.
    let (s1, s2) = (base.std.unwrap(), long.std.unwrap());
    let unpaired = 2.0 * student_t_975(2 * base.n as usize - 2) * (s1 * s1 / n + s2 * s2 / n).sqrt();
    assert!(paired < unpaired / 2.0, "paired {paired} vs unpaired {unpaired}");
    // The relative difference is the mean difference over the baseline mean.
    let rel = diff.rel.unwrap();
    assert!((rel - diff.mean.unwrap() / base.mean.unwrap()).abs() < 1e-12);
    assert!(diff.rel_ci95_low.unwrap() < rel && rel < diff.rel_ci95_high.unwrap());
    assert!(summary.variants[0].diff_vs_baseline.is_none());
}

#[test]
fn a_variant_that_changes_nothing_differs_by_exactly_zero() {
    let (summary, _) = run_ttl(2);
    let same = summary.variants[2].diff_vs_baseline.as_ref().unwrap();
    let scopes = std::iter::once(&same.metrics).chain(same.by_provider.0.iter().map(|(_, t)| t));
    for table in scopes.chain(same.by_workload.0.iter().map(|(_, t)| t)) {
        for (name, d) in &table.0 {
            if d.n == 0 {
                continue;
            }
            assert_eq!(d.mean, Some(0.0), "{name}");
            assert_eq!((d.ci95_low, d.ci95_high), (Some(0.0), Some(0.0)), "{name}");
            if d.rel.is_some() {
                assert_eq!((d.rel, d.rel_ci95_low, d.rel_ci95_high), (Some(0.0), Some(0.0), Some(0.0)), "{name}");
            }
        }
    }
    assert_eq!(summary.variants[2].metrics, summary.variants[0].metrics);
}

#[test]
fn variants_fold_in_replicate_then_variant_order_whatever_the_threads() {
    let (one, seen_one) = run_ttl(1);
    let (three, seen_three) = run_ttl(3);
    assert_eq!(one, three);
    let expected: Vec<(String, u32)> =
        (0..12).flat_map(|r| ["baseline", "ttl-1h", "same"].map(|n| (n.to_string(), r))).collect();
    assert_eq!(seen_one, expected);
    assert_eq!(seen_three, expected);
}
