//! `agentsim replay`: a request trace through the prompt cache alone, one
//! cache per `--capacity-tokens`, reported as a table on stdout and
//! `replay.csv` + `manifest.json` in a run directory written like `run`'s
//! (staged, locked, never clobbered without `--force`). Semantics:
//! docs/caching.md, "Trace replay".

use crate::csv_row::float_cell;
use crate::run_dir::MANIFEST;
use crate::scenario_file::hex_sha256;
use crate::staging;
use crate::timestamp::UtcTime;
use crate::trace_input::TraceInput;
use crate::{columns, output_dir, outputs};
use anyhow::Context as _;
use clap::{Args, ValueEnum};
use serde::Serialize;
use sim_core::scenario::Eviction;
use sim_core::time::{SimDuration, parse_duration};
use sim_core::trace::{self, ReplayResult, Trace};
use std::ffi::OsString;
use std::fmt;
use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::Instant;

#[derive(Debug, Args)]
pub struct ReplayArgs {
    #[command(flatten)]
    pub input: TraceInput,
    /// Cache capacities in tokens, one result row each, in the order given:
    /// integers >= 1 with an optional k/M/G suffix (10^3, 10^6, 10^9) or `unbounded`,
    /// e.g. `100k,1M,unbounded` [default: unbounded].
    #[arg(long, value_name = "N[,N...]", value_delimiter = ',', value_parser = parse_capacity)]
    pub capacity_tokens: Vec<Capacity>,
    /// What a full cache does when a new block needs room.
    #[arg(long, value_enum, default_value_t = EvictionArg::Lru)]
    pub eviction: EvictionArg,
    /// Idle TTL, restarted by every hit, e.g. `5m` [default: entries never expire].
    #[arg(long, value_name = "DUR", value_parser = parse_ttl)]
    pub ttl: Option<SimDuration>,
    /// Output directory [default: outputs/replay-<trace file stem>-<UTC timestamp>/].
    #[arg(long, value_name = "DIR")]
    pub out: Option<PathBuf>,
    /// Write into an existing non-empty output directory, replacing agentsim's files there.
    #[arg(long)]
    pub force: bool,
    /// No table: print only the output directory.
    #[arg(long, short)]
    pub quiet: bool,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum EvictionArg {
    /// Evict the least recently used block.
    Lru,
    /// Evict the least frequently used block (then the least recent).
    Lfu,
    /// Never evict: when full, new blocks are not stored.
    None,
}

impl EvictionArg {
    fn eviction(self) -> Eviction {
        match self {
            EvictionArg::Lru => Eviction::Lru,
            EvictionArg::Lfu => Eviction::Lfu,
            EvictionArg::None => Eviction::None,
        }
    }

    fn name(self) -> &'static str {
        match self {
            EvictionArg::Lru => "lru",
            EvictionArg::Lfu => "lfu",
            EvictionArg::None => "none",
        }
    }
}

/// One `--capacity-tokens` value; `None` = unbounded.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Capacity(pub Option<u64>);

impl fmt::Display for Capacity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.0 {
            Some(n) => write!(f, "{n}"),
            None => f.write_str("unbounded"),
        }
    }
}

fn parse_capacity(text: &str) -> Result<Capacity, String> {
    let t = text.trim();
    let shown = sim_core::echo::clip(t);
    if t.eq_ignore_ascii_case("unbounded") {
        return Ok(Capacity(None));
    }
    let (digits, scale) = match t.char_indices().last() {
        Some((i, 'k' | 'K')) => (&t[..i], 1_000),
        Some((i, 'M')) => (&t[..i], 1_000_000),
        Some((i, 'G')) => (&t[..i], 1_000_000_000),
        _ => (t, 1),
    };
    let bad = || {
        format!(
            "`{shown}` is not a token count: write an integer with an optional k, M or G suffix (e.g. 100000, 100k, 10M) or `unbounded`"
        )
    };
    let digits = digits.replace('_', "");
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return Err(bad());
    }
    let too_large = || format!("`{shown}` is too large: at most {} tokens", u64::MAX);
    // Only digits remain, so a parse failure is an overflow.
    let n: u64 = digits.parse().map_err(|_| too_large())?;
    match n.checked_mul(scale) {
        None => Err(too_large()),
        Some(0) => Err(format!(
            "`{shown}`: a capacity must be >= 1 token (a zero-token cache holds nothing); write `unbounded` for no limit"
        )),
        Some(n) => Ok(Capacity(Some(n))),
    }
}

fn parse_ttl(text: &str) -> Result<SimDuration, String> {
    let d = parse_duration(text).map_err(|e| e.to_string())?;
    if d == SimDuration::ZERO {
        return Err("a TTL of 0 would expire every block at once; omit --ttl for no expiry".into());
    }
    Ok(d)
}

pub fn run(args: &ReplayArgs, argv: &[OsString], stdout: &mut dyn Write) -> anyhow::Result<()> {
    let started = UtcTime::now();
    let (bytes, trace) = args.input.read()?;
    // Before replaying, so a refused or unusable directory costs no replay time.
    let (dir, mut staging) = staging::stage(args.out.as_deref(), default_dirs(args, &started), args.force)?;

    let capacities: Vec<Option<u64>> =
        if args.capacity_tokens.is_empty() { vec![None] } else { args.capacity_tokens.iter().map(|c| c.0).collect() };
    let clock = Instant::now();
    let results = trace::replay_capacities(&trace, &capacities, args.eviction.eviction(), args.ttl);
    let wall_s = clock.elapsed().as_secs_f64();

    let csv = replay_csv(&results)?;
    let manifest = ReplayManifest {
        agentsim_version: env!("CARGO_PKG_VERSION"),
        trace_file: args.input.trace.display().to_string(),
        trace_format: args.input.format.name(),
        trace_sha256: hex_sha256(&bytes),
        requests: trace.requests.len(),
        block_tokens: args.input.block_tokens,
        capacity_tokens: capacities.clone(),
        eviction: args.eviction.name(),
        ttl_s: args.ttl.map(SimDuration::as_secs_f64),
        command_line: argv.iter().map(|a| a.to_string_lossy().into_owned()).collect(),
        started_utc: started.rfc3339(),
        replay_wall_s: wall_s,
        files: vec!["replay.csv", "manifest.json"],
    };
    staging.write_file("replay.csv", &csv).context("cannot write replay.csv")?;
    staging.write_file(MANIFEST, &outputs::json_file(&manifest)?).context("cannot write manifest.json")?;
    staging.commit()?;

    if !args.quiet {
        stdout.write_all(render_table(&args.input.trace, &trace, args, &results).as_bytes())?;
        write!(stdout, "output: ")?;
    }
    writeln!(stdout, "{}", dir.display())?;
    Ok(())
}

/// `outputs/replay-<trace stem>-<timestamp>` and its numbered alternatives.
fn default_dirs(args: &ReplayArgs, started: &UtcTime) -> impl Iterator<Item = PathBuf> + use<> {
    let stem = args.input.trace.file_stem().map_or_else(|| "trace".into(), |s| s.to_string_lossy());
    output_dir::default_dirs(Path::new(output_dir::DEFAULT_ROOT), &format!("replay-{stem}"), &started.compact())
}

/// `manifest.json` of a replay: its inputs and settings, so the directory can
/// be traced back and re-run.
#[derive(Debug, Serialize)]
struct ReplayManifest {
    agentsim_version: &'static str,
    trace_file: String,
    trace_format: &'static str,
    trace_sha256: String,
    requests: usize,
    block_tokens: u64,
    /// One per row of replay.csv, in order; `null` = unbounded.
    capacity_tokens: Vec<Option<u64>>,
    eviction: &'static str,
    /// `null` = entries never expire.
    ttl_s: Option<f64>,
    command_line: Vec<String>,
    started_utc: String,
    replay_wall_s: f64,
    files: Vec<&'static str>,
}

const COLUMNS: [&str; 8] = [
    "capacity_tokens",
    "requests",
    "input_tokens",
    "cached_tokens",
    "token_hit_rate",
    "request_hit_rate",
    "peak_tokens",
    "peak_entries",
];

/// Cells of one row: `unbounded` for no capacity, empty for an undefined rate.
fn cells(r: &ReplayResult, rate: impl Fn(f64) -> String) -> [String; 8] {
    [
        Capacity(r.capacity_tokens).to_string(),
        r.requests.to_string(),
        r.input_tokens.to_string(),
        r.cached_tokens.to_string(),
        r.token_hit_rate().map(&rate).unwrap_or_default(),
        r.request_hit_rate().map(&rate).unwrap_or_default(),
        r.peak_tokens.to_string(),
        r.peak_entries.to_string(),
    ]
}

/// `replay.csv`: one row per capacity, floats in shortest round-trip form.
fn replay_csv(results: &[ReplayResult]) -> anyhow::Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    w.write_record(COLUMNS)?;
    for r in results {
        w.write_record(cells(r, float_cell))?;
    }
    outputs::finish(w)
}

fn render_table(path: &Path, trace: &Trace, args: &ReplayArgs, results: &[ReplayResult]) -> String {
    let s = trace::trace_stats(trace);
    let mean = |m: Option<f64>| m.map_or_else(|| "-".into(), |m| format!("{m:.0}"));
    let mut out = format!(
        "{}: {} requests over {:.1} s, mean input {} tokens, mean output {} tokens\n\
         cache: eviction {}, ttl {}, {}-token blocks\n",
        path.display(),
        s.requests,
        s.duration.as_secs_f64(),
        mean(s.mean_input_tokens),
        mean(s.mean_output_tokens),
        args.eviction.name(),
        args.ttl.map_or_else(|| "none".to_string(), |d| format!("{} s", d.as_secs_f64())),
        trace.block_tokens,
    );
    let header = COLUMNS.map(|c| c.replace('_', " ")).to_vec();
    let rows = std::iter::once(header).chain(results.iter().map(|r| cells(r, |x| format!("{x:.4}")).to_vec()));
    // The capacity names the row: left-aligned; numbers right-aligned.
    let mut left = [false; COLUMNS.len()];
    left[0] = true;
    for line in columns::align(&rows.collect::<Vec<_>>(), &left) {
        out.push_str(&line);
        out.push('\n');
    }
    // The two rates answer different questions and often differ by far: say which is which.
    out.push_str(
        "token hit rate: cached / input tokens, the share of input billed at the cache-read price\n\
         request hit rate: share of requests that read at least one cached token\n",
    );
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn capacities_accept_suffixes_underscores_and_unbounded() {
        let ok = |t: &str| parse_capacity(t).unwrap().0;
        assert_eq!(ok("100000"), Some(100_000));
        assert_eq!(ok("1_000"), Some(1_000));
        assert_eq!(ok("100k"), Some(100_000));
        assert_eq!(ok("10M"), Some(10_000_000));
        assert_eq!(ok("2G"), Some(2_000_000_000));
        assert_eq!(ok("unbounded"), None);
        for bad in ["", "k", "-5", "1.5M", "10m", "ten", "99999999999999999999"] {
            assert!(parse_capacity(bad).is_err(), "{bad}");
        }
        assert!(parse_capacity("99999999999G").unwrap_err().contains("too large"));
        for zero in ["0", "0k", "0_000", "00M"] {
            assert_eq!(
                parse_capacity(zero).unwrap_err(),
                format!(
                    "`{zero}`: a capacity must be >= 1 token (a zero-token cache holds nothing); write `unbounded` for no limit"
                )
            );
        }
    }

    #[test]
    fn ttl_must_be_a_positive_duration() {
        assert_eq!(parse_ttl("5m").unwrap(), SimDuration::from_secs(300));
        assert!(parse_ttl("0s").is_err());
        assert!(parse_ttl("5").unwrap_err().contains("unit"));
    }

    #[test]
    fn csv_rows_use_shortest_floats_and_name_unbounded() {
        let r = ReplayResult {
            capacity_tokens: None,
            requests: 4,
            input_tokens: 3800,
            cached_tokens: 2124,
            requests_with_hit: 2,
            peak_tokens: 1676,
            peak_entries: 5,
        };
        let text =
            String::from_utf8(replay_csv(&[r, ReplayResult { capacity_tokens: Some(0), ..r }]).unwrap()).unwrap();
        let lines: Vec<&str> = text.lines().collect();
        assert_eq!(
            lines,
            [
                "capacity_tokens,requests,input_tokens,cached_tokens,token_hit_rate,request_hit_rate,peak_tokens,peak_entries",
                "unbounded,4,3800,2124,0.5589473684210526,0.5,1676,5",
                "0,4,3800,2124,0.5589473684210526,0.5,1676,5",
            ]
        );
        let empty = ReplayResult { requests: 0, input_tokens: 0, cached_tokens: 0, requests_with_hit: 0, ..r };
        let text = String::from_utf8(replay_csv(&[empty]).unwrap()).unwrap();
        assert!(text.ends_with("unbounded,0,0,0,,,1676,5\n"), "{text}");
    }

    #[test]
    fn the_default_directory_is_named_after_the_trace_file() {
        use clap::Parser as _;
        let cli =
            crate::args::Cli::try_parse_from(["agentsim", "replay", "--trace", "x/conv.jsonl", "--format", "mooncake"])
                .unwrap();
        let crate::args::Command::Replay(args) = cli.command else { panic!("not replay") };
        assert_eq!((args.input.block_tokens, args.eviction, args.ttl), (512, EvictionArg::Lru, None));
        let dir = default_dirs(&args, &UtcTime::from_unix(0)).next().unwrap();
        assert_eq!(dir, Path::new("outputs").join("replay-conv-19700101T000000Z"));
    }
}
