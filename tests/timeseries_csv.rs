//! `timeseries.csv`: the documented columns on the interval grid, and rows
//! that reconcile with replicate 0's requests.csv and replicates.csv.

use crate::support::{Scratch, agentsim, arg, read, small_scenario};
use std::path::Path;

const COLUMNS: &str = "time_s,provider,arrivals,completions,queue_len,running,busy,capacity,cache_tokens,\
                       cost_usd_cumulative,rate_limited,errors,tokens_input,tokens_cache_read";

fn lines(path: &Path) -> Vec<Vec<String>> {
    let text = String::from_utf8(read(path)).unwrap();
    text.lines().map(|l| l.split(',').map(String::from).collect()).collect()
}

/// Replicate 0's value of `metric` in replicates.csv.
fn replicate0(dir: &Path, metric: &str) -> f64 {
    let rows = lines(&dir.join("replicates.csv"));
    let col = rows[0].iter().position(|h| h == metric).unwrap_or_else(|| panic!("no {metric}"));
    assert_eq!((rows[1][0].as_str(), rows[1][2].as_str()), ("0", "all"));
    rows[1][col].parse().unwrap()
}

/// Runs the small scenario (two providers, `alpha` with 2 slots and `beta`
/// with 8) with a 10 s grid and `extra` settings; returns the run directory.
fn run(s: &Scratch, extra: &[&str]) -> std::path::PathBuf {
    let out = s.path("run");
    let mut args = vec!["run".to_string(), arg(&small_scenario(s)), "--out".into(), arg(&out), "--quiet".into()];
    args.extend(["--requests-csv", "--set", "simulation.timeseries_interval=10s"].map(String::from));
    args.extend(extra.iter().map(|a| a.to_string()));
    agentsim(args).expect_code(0);
    out
}

#[test]
fn rows_sit_on_the_grid_and_reconcile_with_requests_and_cost() {
    let s = Scratch::new("timeseries");
    let out = run(&s, &[]);
    let text = String::from_utf8(read(&out.join("timeseries.csv"))).unwrap();
    assert_eq!(text.lines().next(), Some(COLUMNS));
    let rows = &lines(&out.join("timeseries.csv"))[1..];
    assert!(rows.len() >= 2 * 5, "the small scenario lasts longer than 50 s: {} rows", rows.len());
    let num = |r: &[String], i: usize| r[i].parse::<f64>().unwrap_or_else(|e| panic!("column {i} of {r:?}: {e}"));

    // One row per provider at each instant, in scenario order; instants are
    // multiples of 10 s, except the last (the replicate's end).
    for (i, pair) in rows.chunks(2).enumerate() {
        assert_eq!((pair[0][1].as_str(), pair[1][1].as_str()), ("alpha", "beta"));
        assert_eq!(pair[0][0], pair[1][0]);
        let t = num(&pair[0], 0);
        if i + 1 < rows.len() / 2 {
            assert_eq!(t, 10.0 * (i + 1) as f64);
        } else {
            assert!(t > 10.0 * i as f64 && t <= 10.0 * (i + 1) as f64, "last row at {t}");
            assert_eq!(t, replicate0(&out, "sim_end_s"), "the last row is at the end");
        }
        for (r, slots) in pair.iter().zip([2.0, 8.0]) {
            assert_eq!(num(r, 7), slots, "capacity: {r:?}");
            assert!(num(r, 6) <= slots && num(r, 5) == num(r, 6), "busy <= capacity, running = busy: {r:?}");
            assert!(num(r, 4) == 0.0 || num(r, 6) == slots, "a queue only when every slot is busy: {r:?}");
        }
    }

    // Every attempt arrives and finishes once (no failure, no warm-up, no cut).
    let requests = lines(&out.join("requests.csv"));
    let per_provider = |p: &str| requests[1..].iter().filter(|r| r[5] == p).count() as f64;
    for (p, name) in ["alpha", "beta"].iter().enumerate() {
        let mine: Vec<&Vec<String>> = rows.iter().skip(p).step_by(2).collect();
        let sum = |i: usize| mine.iter().map(|r| num(r, i)).sum::<f64>();
        assert_eq!(sum(2), per_provider(name), "arrivals of {name} = its requests.csv rows");
        assert_eq!(sum(3), per_provider(name), "completions of {name}");
        assert_eq!((sum(10), sum(11)), (0.0, 0.0));
        let last = mine.last().unwrap();
        assert_eq!((num(last, 4), num(last, 5)), (0.0, 0.0), "nothing left at the end");
        let costs: Vec<f64> = mine.iter().map(|r| num(r, 9)).collect();
        assert!(costs.windows(2).all(|w| w[0] <= w[1]), "cumulative cost never falls: {costs:?}");
    }
    assert_eq!(requests.len() as f64 - 1.0, replicate0(&out, "requests"));
    let n = rows.len();
    let cost = num(&rows[n - 2], 9) + num(&rows[n - 1], 9);
    let expected = replicate0(&out, "cost_usd");
    assert!((cost - expected).abs() <= 1e-12 * expected, "last rows' cost {cost} vs replicate 0's {expected}");
    assert!(rows.iter().step_by(2).any(|r| num(r, 8) > 0.0), "alpha holds cached prompts");
    // Every answered attempt's tokens are in its interval's row.
    for (col, metric) in [(12, "tokens_input"), (13, "tokens_cache_read")] {
        assert_eq!(rows.iter().map(|r| num(r, col)).sum::<f64>(), replicate0(&out, metric), "{metric}");
    }
}

#[test]
fn failed_attempts_are_arrivals_and_errors() {
    let s = Scratch::new("timeseries-errors");
    let out =
        run(&s, &["--set", "providers[0].failures.error_rate=0.2", "--set", "providers[0].failures.max_retries=2"]);
    let rows = &lines(&out.join("timeseries.csv"))[1..];
    let sum = |i: usize| rows.iter().map(|r| r[i].parse::<f64>().unwrap()).sum::<f64>();
    let errors = replicate0(&out, "errors");
    assert!(errors > 0.0, "the error rate produced errors");
    assert_eq!(sum(11), errors);
    assert_eq!(sum(2), replicate0(&out, "requests") + errors, "every attempt arrives");
    assert_eq!(sum(3), replicate0(&out, "requests"));
}

#[test]
fn no_row_before_the_warm_up_ends() {
    let s = Scratch::new("timeseries-warmup");
    let out = run(&s, &["--set", "simulation.warmup=25s"]);
    let rows = &lines(&out.join("timeseries.csv"))[1..];
    assert_eq!(rows[0][0], "30", "the first boundary after 25 s");
    // Sessions of the warm-up still load the servers, so the rows count
    // their attempts, while the cost counts only the sessions after it.
    let n = rows.len();
    let cost: f64 = rows[n - 2..].iter().map(|r| r[9].parse::<f64>().unwrap()).sum();
    let expected = replicate0(&out, "cost_usd");
    assert!((cost - expected).abs() <= 1e-12 * expected, "{cost} vs {expected}");
}
