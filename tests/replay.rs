//! `agentsim replay` end to end on a committed Mooncake cut (and on the full
//! shared trace when it is present): table and replay.csv, hit rates that
//! behave, exact agreement with an independent prefix walk, and errors.

use crate::support::{Scratch, agentsim, arg, list, read, read_json};
use std::collections::HashSet;
use std::path::{Path, PathBuf};

pub(crate) fn fixture() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("fixtures").join("mooncake_conversation_head.jsonl")
}

/// The full conversation trace, shared beside the repository (not committed).
fn shared_trace() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/traces/mooncake_fast25_conversation_trace.jsonl")
}

/// One parsed row of replay.csv.
#[derive(Debug)]
struct Row {
    capacity: Option<u64>,
    requests: u64,
    input_tokens: u64,
    cached_tokens: u64,
    token_hit_rate: f64,
    request_hit_rate: f64,
    peak_tokens: u64,
}

fn rows(csv_path: &Path) -> Vec<Row> {
    let text = String::from_utf8(read(csv_path)).expect("UTF-8");
    let mut lines = text.lines();
    assert_eq!(
        lines.next(),
        Some(
            "capacity_tokens,requests,input_tokens,cached_tokens,token_hit_rate,request_hit_rate,peak_tokens,peak_entries"
        )
    );
    lines
        .map(|l| {
            let c: Vec<&str> = l.split(',').collect();
            assert_eq!(c.len(), 8, "{l}");
            let int = |s: &str| s.parse::<u64>().unwrap_or_else(|e| panic!("{s}: {e} in {l}"));
            Row {
                capacity: (c[0] != "unbounded").then(|| int(c[0])),
                requests: int(c[1]),
                input_tokens: int(c[2]),
                cached_tokens: int(c[3]),
                token_hit_rate: c[4].parse().unwrap(),
                request_hit_rate: c[5].parse().unwrap(),
                peak_tokens: int(c[6]),
            }
        })
        .collect()
}

/// The unbounded replay, computed independently: ids seen so far in a set;
/// a request reads up to the end of its longest run of leading seen ids
/// (512 tokens per full block, the whole input if every id was seen).
pub(crate) fn prefix_walk(path: &Path) -> (u64, u64) {
    let text = String::from_utf8(read(path)).expect("UTF-8");
    let mut seen = HashSet::new();
    let (mut cached, mut input) = (0, 0);
    for line in text.lines().filter(|l| !l.trim().is_empty()) {
        let v: serde_json::Value = serde_json::from_str(line).expect("JSON line");
        let len = v["input_length"].as_u64().expect("input_length");
        let ids: Vec<u64> = v["hash_ids"].as_array().expect("hash_ids").iter().map(|x| x.as_u64().unwrap()).collect();
        let k = ids.iter().take_while(|id| seen.contains(*id)).count();
        cached += if k == ids.len() { len } else { 512 * k as u64 };
        input += len;
        seen.extend(ids);
    }
    (cached, input)
}

/// `agentsim replay` of the fixture with an unbounded cache, and the
/// independent prefix walk: each (cached, input) tokens.
pub(crate) fn fixture_unbounded_replay() -> ((u64, u64), (u64, u64)) {
    let s = Scratch::new("replay-unbounded");
    let out = s.path("run");
    replay(&fixture(), &out, &["--quiet"]).expect_code(0);
    let rs = rows(&out.join("replay.csv"));
    assert_eq!((rs.len(), rs[0].capacity), (1, None));
    ((rs[0].cached_tokens, rs[0].input_tokens), prefix_walk(&fixture()))
}

fn replay(trace: &Path, out: &Path, extra: &[&str]) -> crate::support::Outcome {
    let mut args = vec!["replay".to_string(), "--trace".into(), arg(trace), "--format".into(), "mooncake".into()];
    args.extend(["--out".into(), arg(out)]);
    args.extend(extra.iter().map(|s| s.to_string()));
    agentsim(args)
}

#[test]
fn fixture_replay_writes_a_table_and_a_csv_with_sane_rates() {
    let s = Scratch::new("replay-fixture");
    let out = s.path("run");
    let o = replay(&fixture(), &out, &["--capacity-tokens", "20k,100000,500k,2M,unbounded"]).expect_code(0);
    assert!(o.stdout.contains("400 requests over 141.0 s"), "{}", o.stdout);
    assert!(o.stdout.contains("capacity tokens  requests  input tokens  cached tokens"), "{}", o.stdout);
    assert!(o.stdout.lines().any(|l| l.starts_with("unbounded ")), "{}", o.stdout);
    // Each rate is explained under the table.
    assert!(o.stdout.contains("\ntoken hit rate: cached / input tokens"), "{}", o.stdout);
    assert!(
        o.stdout.contains("\nrequest hit rate: share of requests that read at least one cached token"),
        "{}",
        o.stdout
    );
    assert!(o.stdout.trim_end().ends_with(&format!("output: {}", out.display())), "{}", o.stdout);
    assert_eq!(list(&out), ["manifest.json", "replay.csv"]);

    let rs = rows(&out.join("replay.csv"));
    let caps: Vec<Option<u64>> = rs.iter().map(|r| r.capacity).collect();
    assert_eq!(caps, [Some(20_000), Some(100_000), Some(500_000), Some(2_000_000), None]);
    let unbounded = rs.last().unwrap();
    for r in &rs {
        assert_eq!((r.requests, r.input_tokens), (400, unbounded.input_tokens));
        assert!((0.0..=1.0).contains(&r.token_hit_rate) && (0.0..=1.0).contains(&r.request_hit_rate), "{r:?}");
        assert_eq!(r.token_hit_rate, r.cached_tokens as f64 / r.input_tokens as f64);
        assert!(r.peak_tokens <= r.capacity.unwrap_or(u64::MAX), "{r:?}");
        assert!(r.cached_tokens <= unbounded.cached_tokens, "unbounded reads the most: {r:?}");
    }
    for w in rs.windows(2) {
        assert!(w[0].cached_tokens <= w[1].cached_tokens, "LRU: larger capacity read less: {w:?}");
        assert!(w[0].request_hit_rate <= w[1].request_hit_rate, "{w:?}");
    }
    assert!(rs[0].cached_tokens < unbounded.cached_tokens, "capacity binds on the fixture: {rs:?}");
    assert_eq!((unbounded.cached_tokens, unbounded.input_tokens), prefix_walk(&fixture()));

    let m = read_json(&out.join("manifest.json"));
    assert_eq!(m["requests"], 400);
    assert_eq!(m["eviction"], "lru");
    assert_eq!(m["capacity_tokens"], serde_json::json!([20_000, 100_000, 500_000, 2_000_000, null]));
    assert_eq!(m["trace_sha256"], "8090d6a38401d280fd88112ba22007ff4354be59c986f4f6bcc250edd45a52dc");
}

#[test]
fn without_capacities_one_unbounded_row_and_quiet_prints_only_the_directory() {
    let s = Scratch::new("replay-default");
    let out = s.path("run");
    let o = replay(&fixture(), &out, &["--quiet"]).expect_code(0);
    assert_eq!(o.stdout, format!("{}\n", out.display()));
    let rs = rows(&out.join("replay.csv"));
    assert_eq!(rs.len(), 1);
    assert_eq!(rs[0].capacity, None);
}

#[test]
fn ttl_and_eviction_change_what_is_read() {
    let s = Scratch::new("replay-ttl");
    let forever = s.path("forever");
    replay(&fixture(), &forever, &["--quiet"]).expect_code(0);
    let short = s.path("short");
    replay(&fixture(), &short, &["--quiet", "--ttl", "1s"]).expect_code(0);
    let (forever, short_rows) = (rows(&forever.join("replay.csv")), rows(&short.join("replay.csv")));
    assert!(short_rows[0].cached_tokens < forever[0].cached_tokens, "{short_rows:?} vs {forever:?}");
    assert_eq!(read_json(&short.join("manifest.json"))["ttl_s"], 1.0);
    let lfu = s.path("lfu");
    replay(&fixture(), &lfu, &["--quiet", "--eviction", "lfu", "--capacity-tokens", "100k"]).expect_code(0);
    assert_eq!(read_json(&lfu.join("manifest.json"))["eviction"], "lfu");
}

#[test]
fn the_full_shared_trace_matches_an_independent_prefix_walk() {
    let trace = shared_trace();
    if !trace.exists() {
        eprintln!("note: {} is absent; skipping the full-trace check", trace.display());
        return;
    }
    let s = Scratch::new("replay-full");
    let out = s.path("run");
    replay(&trace, &out, &["--quiet", "--capacity-tokens", "1M,unbounded"]).expect_code(0);
    let rs = rows(&out.join("replay.csv"));
    let (cached, input) = prefix_walk(&trace);
    assert_eq!((rs[1].cached_tokens, rs[1].input_tokens), (cached, input));
    assert_eq!(rs[1].token_hit_rate, cached as f64 / input as f64);
    assert_eq!(rs[1].requests, 12_031);
    assert!(rs[0].cached_tokens <= rs[1].cached_tokens);
}

#[test]
fn a_bad_line_exits_2_naming_file_and_line_and_writes_nothing() {
    let s = Scratch::new("replay-bad");
    let good = r#"{"timestamp": 0, "input_length": 600, "output_length": 1, "hash_ids": [0, 1]}"#;
    let bad = r#"{"timestamp": 5, "input_length": 600, "output_length": 1, "hash_ids": [0]}"#;
    let trace = s.write("bad.jsonl", &format!("{good}\n\n{bad}\n"));
    let out = s.path("run");
    let o = replay(&trace, &out, &[]).expect_code(2);
    let expected = format!("error: {}:3: `hash_ids` has 1 ids, but input_length 600 needs", trace.display());
    assert!(o.stderr.starts_with(&expected), "{}", o.stderr);
    assert!(!out.exists());

    let later = good.replace("\"timestamp\": 0", "\"timestamp\": 9");
    let back = s.write("back.jsonl", &format!("{later}\n{good}\n"));
    let o = replay(&back, &out, &[]).expect_code(2);
    assert!(
        o.stderr.contains("back.jsonl:2: timestamp 0 ms is earlier than the previous request's 9 ms"),
        "{}",
        o.stderr
    );
    assert!(!out.exists());
}

#[test]
fn every_bad_line_is_reported_one_per_line_and_past_fifty_counted() {
    let s = Scratch::new("replay-many-bad");
    let good =
        |ts: u64| format!(r#"{{"timestamp": {ts}, "input_length": 600, "output_length": 1, "hash_ids": [0, 1]}}"#);
    let lines = [good(5), "not json".into(), r#"{"timestamp": 6}"#.into(), good(9), good(2), good(9)];
    let trace = s.write("three.jsonl", &(lines.join("\n") + "\n"));
    let out = s.path("run");
    let o = replay(&trace, &out, &[]).expect_code(2);
    let f = trace.display();
    let got: Vec<&str> = o.stderr.lines().collect();
    assert_eq!(got.len(), 3, "{}", o.stderr);
    assert!(got[0].starts_with(&format!("error: {f}:2: not valid JSON: ")), "{}", o.stderr);
    assert_eq!(got[1], format!("{f}:3: missing field `input_length`"));
    assert_eq!(
        got[2],
        format!(
            "{f}:5: timestamp 2 ms is earlier than the previous request's 9 ms; \
             a Mooncake trace must be in arrival order (sort it by timestamp first)"
        )
    );
    assert!(!out.exists());

    let many = s.write("many.jsonl", &format!("{}\n{}", good(0), "[1]\n".repeat(60)));
    let o = replay(&many, &out, &[]).expect_code(2);
    let f = many.display();
    let got: Vec<&str> = o.stderr.lines().collect();
    assert_eq!(got.len(), 51, "{}", o.stderr);
    assert_eq!(got[0], format!("error: {f}:2: expected a JSON object (one request per line), found [1]"));
    assert_eq!(got[49], format!("{f}:51: expected a JSON object (one request per line), found [1]"));
    assert_eq!(got[50], format!("{f}: ... and 10 more bad lines"));
    assert!(!out.exists());
}

#[test]
fn an_unreadable_trace_exits_2_and_a_taken_directory_needs_force() {
    let s = Scratch::new("replay-io");
    let out = s.path("run");
    let o = replay(&s.path("missing.jsonl"), &out, &[]).expect_code(2);
    assert!(o.stderr.contains("cannot read trace"), "{}", o.stderr);
    assert!(!out.exists());

    replay(&fixture(), &out, &["--quiet"]).expect_code(0);
    let before = read(&out.join("replay.csv"));
    let o = replay(&fixture(), &out, &["--quiet", "--capacity-tokens", "1k"]).expect_code(1);
    assert!(o.stderr.contains("--force"), "{}", o.stderr);
    assert_eq!(read(&out.join("replay.csv")), before);
    replay(&fixture(), &out, &["--quiet", "--capacity-tokens", "1k", "--force"]).expect_code(0);
    assert_ne!(read(&out.join("replay.csv")), before);
}

#[test]
fn bad_flags_are_usage_errors() {
    let s = Scratch::new("replay-usage");
    for extra in
        [&["--capacity-tokens", "lots"][..], &["--ttl", "5"], &["--eviction", "fifo"], &["--block-tokens", "0"]]
    {
        let o = replay(&fixture(), &s.path("run"), extra).expect_code(2);
        assert!(o.stderr.contains("error: invalid value"), "{extra:?}: {}", o.stderr);
    }
    assert!(s.entries().is_empty());
}

/// The parser against the traces' published statistics (Mooncake FAST'25
/// release notes, as summarised in the project's domain notes): request
/// counts and mean input/output lengths. Runs only where the shared traces are.
#[test]
fn shared_mooncake_traces_match_their_published_statistics() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../shared/data/traces");
    // (file, requests, mean input, mean output), means rounded to whole tokens.
    let published = [
        ("mooncake_fast25_conversation_trace.jsonl", 12_031, 12_035.0, 343.0),
        ("mooncake_fast25_synthetic_trace.jsonl", 3_993, 15_325.0, 149.0),
    ];
    for (file, requests, mean_in, mean_out) in published {
        let path = dir.join(file);
        let Ok(text) = std::fs::read_to_string(&path) else {
            eprintln!("note: {} is absent; skipping its statistics check", path.display());
            continue;
        };
        let trace = sim_core::trace::parse_mooncake(&text).expect("the published trace parses");
        let stats = sim_core::trace::trace_stats(&trace);
        assert_eq!(stats.requests, requests, "{file}");
        assert!((stats.mean_input_tokens.unwrap() - mean_in).abs() < 0.5, "{file}: {stats:?}");
        assert!((stats.mean_output_tokens.unwrap() - mean_out).abs() < 0.5, "{file}: {stats:?}");
    }
}
