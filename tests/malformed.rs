//! A property-based generator of malformed input: the bundled scenarios mutated
//! line by line, `--set` values, and Mooncake trace rows. Whatever it makes,
//! the CLI never panics, and every rejection exits 2 with located, capped,
//! bounded messages (`rejections`). Accepted inputs are only validated here
//! (`agentsim validate`, or a replay of the cache model alone), never simulated.
//!
//! Cases per property default to 200 (the whole module runs in a few
//! seconds in a debug build); a longer run:
//! `AGENTSIM_FUZZ_CASES=100000 cargo test --release -p agentsim-tests malformed`.

use crate::rejections::{any_scenario_rejection, flag_rejection, trace_rejection};
use crate::support::{Scratch, agentsim, arg, bundled};
use proptest::prelude::*;
use proptest::sample::Index;

/// Cases per property: `AGENTSIM_FUZZ_CASES` if set, else `default`.
fn cases(default: u32) -> u32 {
    std::env::var("AGENTSIM_FUZZ_CASES").ok().and_then(|v| v.parse().ok()).unwrap_or(default)
}

const BUNDLED: [&str; 7] = [
    "quickstart.toml",
    "bench/agents_10k.toml",
    "examples/explicit_breakpoints.toml",
    "examples/provider_comparison.toml",
    "examples/ttl_comparison.toml",
    "examples/ttl_sweep.toml",
    "examples/capacity_plan.toml",
];

/// A TOML value, mostly wrong for wherever it lands.
fn value() -> impl Strategy<Value = String> {
    prop_oneof![
        any::<i64>().prop_map(|n| n.to_string()),
        any::<f64>().prop_map(|x| format!("{x:?}")),
        prop::sample::select(vec![
            "nan",
            "inf",
            "-inf",
            "-1",
            "0",
            "1e308",
            "-0.0",
            "9223372036854775807",
            "-9223372036854775808",
            "18446744073709551615",
            "true",
            "[]",
            "[1, \"a\"]",
            "{}",
            "{ kind = \"fixed\", value = -1 }",
            "{ kind = \"weibull\", shape = 1e-300, scale = \"1s\" }",
            "1979-05-27T07:32:00Z",
            "\"\"",
            "'''",
            "\"1e15d\"",
            "\"213503983d\"",
            "\"-5s\"",
            "\"NaNs\"",
            "\"5 parsecs\"",
            "\"1.2.3s\"",
            "\"µs\"",
        ])
        .prop_map(str::to_string),
        "[0-9]{1,4}(\\.[0-9]{1,3})?(us|ms|s|m|h|d|e15d|x)".prop_map(|d| format!("\"{d}\"")),
        "[a-z_ ]{0,12}".prop_map(|s| format!("\"{s}\"")),
        "\\PC{0,16}",
        (1usize..5000).prop_map(|n| format!("\"{}\"", "v".repeat(n))),
    ]
}

/// One edit of a scenario's lines; indices wrap around the line count.
#[derive(Clone, Debug)]
enum Mutation {
    Delete(Index),
    Duplicate(Index),
    Swap(Index, Index),
    /// Replaces what follows the line's first `=` (or appends `= value`).
    SetValue(Index, String),
    InsertKey(Index, String, String),
    InsertLine(Index, String),
    /// Cuts the text at this fraction of its length.
    Truncate(Index),
}

fn mutation() -> impl Strategy<Value = Mutation> {
    prop_oneof![
        1 => any::<Index>().prop_map(Mutation::Delete),
        1 => any::<Index>().prop_map(Mutation::Duplicate),
        1 => (any::<Index>(), any::<Index>()).prop_map(|(a, b)| Mutation::Swap(a, b)),
        4 => (any::<Index>(), value()).prop_map(|(i, v)| Mutation::SetValue(i, v)),
        1 => (any::<Index>(), "[a-z_]{1,12}", value()).prop_map(|(i, k, v)| Mutation::InsertKey(i, k, v)),
        1 => (any::<Index>(), "\\PC{0,24}").prop_map(|(i, l)| Mutation::InsertLine(i, l)),
        1 => any::<Index>().prop_map(Mutation::Truncate),
    ]
}

fn mutate(text: &str, mutations: &[Mutation]) -> String {
    let mut lines: Vec<String> = text.lines().map(str::to_string).collect();
    for m in mutations {
        if lines.is_empty() {
            lines.push(String::new());
        }
        let n = lines.len();
        match m {
            Mutation::Delete(i) => {
                lines.remove(i.index(n));
            }
            Mutation::Duplicate(i) => {
                let line = lines[i.index(n)].clone();
                lines.insert(i.index(n), line);
            }
            Mutation::Swap(a, b) => lines.swap(a.index(n), b.index(n)),
            Mutation::SetValue(i, v) => {
                let line = &mut lines[i.index(n)];
                *line = match line.split_once('=') {
                    Some((key, _)) => format!("{key}= {v}"),
                    None => format!("{line} = {v}"),
                };
            }
            Mutation::InsertKey(i, k, v) => lines.insert(i.index(n + 1), format!("{k} = {v}")),
            Mutation::InsertLine(i, l) => lines.insert(i.index(n + 1), l.clone()),
            Mutation::Truncate(i) => {
                let joined = lines.join("\n");
                let mut cut = i.index(joined.len() + 1);
                while !joined.is_char_boundary(cut) {
                    cut -= 1;
                }
                lines = joined[..cut].lines().map(str::to_string).collect();
            }
        }
    }
    lines.join("\n") + "\n"
}

/// A `--set` path: mostly real keys of the bundled scenarios, some not.
fn set_path() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => prop::sample::select(vec![
            "name", "simulation.seed", "simulation.replicates", "providers[0].cache.ttl",
            "providers[0].serving.slots", "providers[0].serving.base_latency", "providers[0].preset",
            "providers[0].pricing.output_usd_per_mtok", "providers[0].serving.decode_tokens_per_s",
            "workloads[0].steps", "workloads[0].output_tokens", "workloads[0].think_time",
            "workloads[0].arrivals.rate_per_s", "workloads[0].arrivals.sessions", "workloads[0].arrivals",
            "workloads[0].keep_alive.interval", "workloads[0].provider", "providers[9].name", "providers",
        ])
        .prop_map(str::to_string),
        1 => "[a-z_\\[\\]0-9.]{0,20}",
        1 => "\\PC{0,12}",
    ]
}

/// A Mooncake field value: usually a count, often not.
fn field() -> impl Strategy<Value = String> {
    prop_oneof![
        4 => (0u64..4000).prop_map(|n| n.to_string()),
        1 => prop::sample::select(vec![
            "18446744073709551615", "18446744073709551616", "-1", "1.5", "1e3", "\"5\"", "null", "[]", "{}", "true",
        ])
        .prop_map(str::to_string),
    ]
}

/// One generic CSV row (timestamp, input, output, session, step, prefix
/// blocks, think time) whose cells may be wrong, missing, quoted or extra.
fn generic_csv_row() -> impl Strategy<Value = String> {
    let cell = prop_oneof![
        4 => field(),
        1 => prop::sample::select(vec!["", "2026-01-01T00:00:00Z", "2026-02-30 00:00:00", "\"a,b\"", "\"open", "1 2 x", "-0.5"])
            .prop_map(str::to_string),
    ];
    prop::collection::vec(cell, 5..9).prop_map(|cells| cells.join(","))
}

/// One agent (TraceLab) row whose fields may be wrong or missing.
fn agent_row() -> impl Strategy<Value = String> {
    let time = prop_oneof![
        3 => (0u32..60).prop_map(|s| format!("\"2026-06-01T05:40:{s:02}.000Z\"")),
        1 => field(),
    ];
    (field(), field(), field(), field(), time, 0usize..6).prop_map(|(round, input, prefix, output, at, drop)| {
        let fields = [
            "\"session_id\": \"s\"".to_string(),
            format!("\"round_index\": {round}"),
            format!("\"input_tokens_total\": {input}"),
            format!("\"prefix_tokens\": {prefix}"),
            format!("\"output_tokens\": {output}"),
            format!("\"timing_events\": [{{\"event_type\": \"user_message\", \"timestamp\": {at}}}]"),
        ];
        let kept: Vec<&str> = fields.iter().enumerate().filter(|(i, _)| *i != drop).map(|(_, f)| f.as_str()).collect();
        format!("{{{}}}", kept.join(", "))
    })
}

/// One trace line: a request whose fields may be wrong, missing or extra, or not JSON at all.
fn trace_row() -> impl Strategy<Value = String> {
    let request = (field(), field(), field(), prop::option::of(0usize..12), any::<bool>(), 0usize..5).prop_map(
        |(ts, input, output, ids, matching, drop)| {
            // Ids matching ceil(input / 512) when asked and possible, so some rows are valid.
            let count = match (matching, input.parse::<u64>()) {
                (true, Ok(n)) if n < 4000 => n.div_ceil(512) as usize,
                _ => ids.unwrap_or(1),
            };
            let ids: Vec<String> = (0..count).map(|i| i.to_string()).collect();
            let fields = [
                format!("\"timestamp\": {ts}"),
                format!("\"input_length\": {input}"),
                format!("\"output_length\": {output}"),
                format!("\"hash_ids\": [{}]", ids.join(", ")),
            ];
            let kept: Vec<&String> = fields.iter().enumerate().filter(|(i, _)| *i != drop).map(|(_, f)| f).collect();
            format!("{{{}}}", kept.iter().map(|s| s.as_str()).collect::<Vec<_>>().join(", "))
        },
    );
    prop_oneof![
        6 => request,
        1 => prop::sample::select(vec!["", "[1]", "{", "null", "{\"timestamp\": 0}", "\u{feff}{}"]).prop_map(str::to_string),
        1 => "\\PC{0,20}",
    ]
}

proptest! {
    #![proptest_config(ProptestConfig { cases: cases(200), failure_persistence: None, ..ProptestConfig::default() })]

    #[test]
    fn malformed_scenarios_are_rejected_with_located_capped_messages(
        which in 0..BUNDLED.len(),
        mutations in prop::collection::vec(mutation(), 1..6),
    ) {
        let original = std::fs::read_to_string(bundled(BUNDLED[which])).expect("bundled scenario");
        let scratch = Scratch::new("malformed");
        let file = scratch.write("mutated.toml", &mutate(&original, &mutations));
        let out = agentsim(["validate", &arg(&file)]);
        if out.code != 0 {
            any_scenario_rejection(&out, &arg(&file));
        }
    }

    #[test]
    fn malformed_set_values_are_rejected_with_their_origin(
        sets in prop::collection::vec((set_path(), value()), 1..4),
    ) {
        let file = arg(&bundled("quickstart.toml"));
        let mut args = vec!["validate".to_string(), file.clone()];
        for (path, value) in &sets {
            // `--set=X`, so a value starting with `-` is not taken for a flag.
            args.push(format!("--set={path}={value}"));
        }
        let out = agentsim(&args);
        match out.code {
            0 => {}
            _ if out.stderr.contains("for '--set <KEY=VALUE>'") => flag_rejection(&out, "--set"),
            _ => any_scenario_rejection(&out, &file),
        }
    }

    #[test]
    fn malformed_trace_rows_are_rejected_line_by_line(
        rows in prop::collection::vec(trace_row(), 0..40),
        blank_every in 0usize..7,
    ) {
        let scratch = Scratch::new("malformed-trace");
        let mut text = String::new();
        for (i, row) in rows.iter().enumerate() {
            if blank_every > 0 && i % blank_every == 0 {
                text.push('\n');
            }
            text.push_str(row);
            text.push('\n');
        }
        let trace = scratch.write("t.jsonl", &text);
        let out_dir = arg(&scratch.path("out"));
        let out = agentsim(["replay", "--trace", &arg(&trace), "--format", "mooncake", "--out", &out_dir, "--quiet"]);
        if out.code != 0 {
            trace_rejection(&out, &arg(&trace));
        }
    }

    #[test]
    fn malformed_generic_and_agent_rows_are_rejected_line_by_line(
        csv_rows in prop::collection::vec(generic_csv_row(), 0..30),
        agent_rows in prop::collection::vec(agent_row(), 0..30),
    ) {
        let scratch = Scratch::new("malformed-generic");
        let header = "timestamp,input_tokens,output_tokens,session_id,step,prefix_blocks,think_time_s\n";
        let csv = scratch.write("t.csv", &format!("{header}{}\n", csv_rows.join("\n")));
        let jsonl = scratch.write("a.jsonl", &agent_rows.join("\n"));
        for (file, format) in [(&csv, "generic-csv"), (&jsonl, "agent")] {
            let out_dir = arg(&scratch.path(format));
            let out = agentsim(["replay", "--trace", &arg(file), "--format", format, "--out", &out_dir, "--quiet"]);
            if out.code != 0 {
                trace_rejection(&out, &arg(file));
            }
        }
    }

    #[test]
    fn malformed_replay_flags_name_the_flag(
        ttl in prop_oneof![value(), "[0-9.e+-]{1,8}[a-zµ]{0,3}"],
        capacity in prop_oneof![value(), "[0-9_]{1,25}[kMGx]?"],
    ) {
        let scratch = Scratch::new("malformed-flags");
        let trace = scratch.write("t.jsonl", "{\"timestamp\": 0, \"input_length\": 1, \"output_length\": 1, \"hash_ids\": [1]}\n");
        let out_dir = arg(&scratch.path("out"));
        for (flag, v) in [("--ttl", &ttl), ("--capacity-tokens", &capacity)] {
            let flag_value = format!("{flag}={v}");
            let out = agentsim(["replay", "--trace", &arg(&trace), "--format", "mooncake", "--out", &out_dir, "--force", "--quiet", &flag_value]);
            if out.code != 0 {
                flag_rejection(&out, flag);
            }
        }
    }
}
