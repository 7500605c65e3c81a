//! The up-front work estimate on the command line: `--max-events` and
//! `--max-memory`, the refusal message naming the flag, and the thread count
//! the estimate assumes.

use clap::Args;
use sim_core::estimate::{TooLarge, WorkEstimate, WorkLimits};
use sim_core::montecarlo::RunOptions;
use sim_core::scenario::Scenario;

#[derive(Debug, Args, Default)]
pub struct LimitArgs {
    /// Refuse runs estimated above N events in all (keep-alives and per-block
    /// cache work included) [default: 5e9, about an hour of CPU].
    #[arg(long, value_name = "N", value_parser = parse_count)]
    pub max_events: Option<f64>,
    /// Refuse runs estimated to peak above SIZE of memory (e.g. 512MiB, 16GiB)
    /// [default: 8GiB].
    #[arg(long, value_name = "SIZE", value_parser = parse_size)]
    pub max_memory: Option<f64>,
}

impl LimitArgs {
    fn limits(&self) -> WorkLimits {
        let d = WorkLimits::default();
        WorkLimits {
            max_events: self.max_events.unwrap_or(d.max_events),
            max_memory_bytes: self.max_memory.unwrap_or(d.max_memory_bytes),
        }
    }
}

/// A run refused by its estimate; exit code 2 like other input problems.
#[derive(Debug)]
pub struct RefusedRun {
    reason: TooLarge,
    flag: String,
    estimate: Box<WorkEstimate>,
}

impl std::fmt::Display for RefusedRun {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(
            f,
            "{}; pass {} to run it anyway, or shrink the run (fewer sessions, steps, replicates, variants or sweep points)\n{}",
            self.reason,
            self.flag,
            self.estimate.to_string().trim_end()
        )
    }
}

impl std::error::Error for RefusedRun {}

/// The worker threads a run will use.
pub fn threads(requested: Option<u32>) -> usize {
    requested.map_or_else(|| std::thread::available_parallelism().map_or(1, usize::from), |t| t as usize)
}

/// Estimates the run of `sc` and its `variants` (all on every replicate)
/// and refuses it above the limits.
pub fn check(
    sc: &Scenario,
    variants: &[&Scenario],
    opts: &RunOptions,
    threads: usize,
    args: &LimitArgs,
) -> Result<WorkEstimate, RefusedRun> {
    let estimate = WorkEstimate::of_run(sc, variants, opts, threads);
    match estimate.check(&args.limits()) {
        Ok(()) => Ok(estimate),
        Err(reason) => {
            let flag = match &reason {
                TooLarge::Events { events, .. } => format!("--max-events {:.1e}", events * 1.1),
                TooLarge::Memory { need, .. } => {
                    format!("--max-memory {}GiB", (need * 1.1 / (1u64 << 30) as f64).ceil())
                }
            };
            Err(RefusedRun { reason, flag, estimate: Box::new(estimate) })
        }
    }
}

fn parse_count(text: &str) -> Result<f64, String> {
    match text.trim().parse::<f64>() {
        Ok(x) if x.is_finite() && x > 0.0 => Ok(x),
        _ => Err(format!("expected a positive number such as 1e10, got {text:?}")),
    }
}

/// `512MiB`, `16GiB`, `2G`, `1.5TB` or a plain number of bytes.
fn parse_size(text: &str) -> Result<f64, String> {
    let t = text.trim();
    // The number may carry an exponent (`1e3GiB`); no unit starts with `e`.
    let bytes = t.as_bytes();
    let split = (0..bytes.len())
        .find(|&i| {
            let c = bytes[i];
            let exponent = matches!(c, b'e' | b'E')
                && i > 0
                && bytes.get(i + 1).is_some_and(|n| n.is_ascii_digit() || matches!(n, b'+' | b'-'));
            let sign = matches!(c, b'+' | b'-') && i > 0 && matches!(bytes[i - 1], b'e' | b'E');
            !(c.is_ascii_digit() || c == b'.' || exponent || sign)
        })
        .unwrap_or(t.len());
    let (num, unit) = t.split_at(split);
    let scale = match unit.trim().to_ascii_lowercase().as_str() {
        "" | "b" => 1.0,
        "k" | "kb" | "kib" => 1024.0,
        "m" | "mb" | "mib" => 1024.0 * 1024.0,
        "g" | "gb" | "gib" => 1024.0 * 1024.0 * 1024.0,
        "t" | "tb" | "tib" => 1024.0 * 1024.0 * 1024.0 * 1024.0,
        _ => return Err(format!("unknown size unit in {text:?}; write e.g. 512MiB or 16GiB")),
    };
    match num.parse::<f64>() {
        Ok(x) if x.is_finite() && x > 0.0 => Ok(x * scale),
        _ => Err(format!("expected a size such as 16GiB, got {text:?}")),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sizes_parse_with_binary_units() {
        assert_eq!(parse_size("16GiB"), Ok(16.0 * (1u64 << 30) as f64));
        assert_eq!(parse_size("512mib"), Ok(512.0 * (1u64 << 20) as f64));
        assert_eq!(parse_size("2G"), Ok(2.0 * (1u64 << 30) as f64));
        assert_eq!(parse_size("1000"), Ok(1000.0));
        assert!(parse_size("-1G").is_err());
        assert!(parse_size("3 parsecs").is_err());
        assert_eq!(parse_size("1.5e1GiB"), Ok(15.0 * (1u64 << 30) as f64));
        assert_eq!(parse_size("1e30GiB"), Ok(1e30 * (1u64 << 30) as f64));
        assert_eq!(parse_count("1e10"), Ok(1e10));
        assert!(parse_count("0").is_err());
    }
}
