//! A Mooncake trace driving a workload inside a scenario: arrivals, prompt
//! blocks and output lengths come from the trace; serving and prices from the
//! scenario.

use crate::replay::{fixture, prefix_walk};
use crate::support::{Scratch, agentsim, arg, overall_mean, read_json};

fn scenario(trace: &str, prefill_tokens_per_s: u64) -> String {
    format!(
        r#"
name = "trace-driven"
[simulation]
seed = 1
replicates = 2
[[providers]]
name = "p"
serving = {{ slots = 1000, base_latency = "0s", prefill_tokens_per_s = {prefill_tokens_per_s}, decode_tokens_per_s = 1000000 }}
cache = {{ ttl = "24h" }}
pricing = {{ input_usd_per_mtok = 1.0, cache_read_usd_per_mtok = 0.1, cache_write_usd_per_mtok = 1.0, output_usd_per_mtok = 2.0 }}
[[workloads]]
name = "kimi"
provider = "p"
arrivals = {{ kind = "trace", file = "{trace}", format = "mooncake" }}
"#
    )
}

#[test]
fn a_trace_workload_replays_every_request_and_reads_what_the_cache_model_says() {
    let s = Scratch::new("trace-workload");
    let trace = fixture();
    let (walk_cached, walk_input) = prefix_walk(&trace);
    let lines = std::fs::read_to_string(&trace).unwrap().lines().filter(|l| !l.trim().is_empty()).count();
    let file = s.write("fast.toml", &scenario(&arg(&trace).replace('\\', "/"), 1_000_000_000));
    let out = s.path("fast");
    agentsim(["run", &arg(&file), "--out", &arg(&out), "--quiet"]).expect_code(0);
    let summary = read_json(&out.join("summary.json"));
    assert_eq!(overall_mean(&summary, "requests"), lines as f64);
    assert_eq!(overall_mean(&summary, "sessions_completed"), lines as f64);
    assert_eq!(overall_mean(&summary, "tokens_input"), walk_input as f64);
    let cached = overall_mean(&summary, "tokens_cache_read");
    // Serving makes writes visible at prefill end, so requests arriving at
    // the same instant miss each other's new blocks, which an
    // instant-visibility replay would read; never the reverse. With
    // near-instant prefill that is the only difference.
    assert!(cached <= walk_cached as f64, "{cached} > {walk_cached}");
    assert!(cached >= 0.95 * walk_cached as f64, "{cached} vs {walk_cached}");
}

#[test]
fn trace_requests_miss_prefixes_still_being_prefilled() {
    // Three requests share two 512-token blocks, at 0 s, 1 s and 5 s. The
    // first one's prefill (1,100 tokens at 500 tokens/s) ends at 2.2 s: the
    // second misses, the third reads 1,024 tokens.
    let s = Scratch::new("trace-visibility");
    let trace = s.write(
        "t.jsonl",
        concat!(
            r#"{"timestamp": 0, "input_length": 1100, "output_length": 1, "hash_ids": [1, 2, 3]}"#,
            "\n",
            r#"{"timestamp": 1000, "input_length": 1100, "output_length": 1, "hash_ids": [1, 2, 4]}"#,
            "\n",
            r#"{"timestamp": 5000, "input_length": 1100, "output_length": 1, "hash_ids": [1, 2, 5]}"#,
            "\n",
        ),
    );
    let file = s.write("slow.toml", &scenario(&arg(&trace).replace('\\', "/"), 500));
    let out = s.path("slow");
    agentsim(["run", &arg(&file), "--out", &arg(&out), "--quiet", "--requests-csv"]).expect_code(0);
    let csv = std::fs::read_to_string(out.join("requests.csv")).unwrap();
    let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    let col = header.iter().position(|h| *h == "cache_read_tokens").unwrap();
    let reads: Vec<&str> = csv.lines().skip(1).map(|l| l.split(',').nth(col).unwrap()).collect();
    assert_eq!(reads, ["0", "0", "1024"]);
}
