//! A scenario whose provider bills by time of day says so after the run (and
//! in `validate`), and the run reports the spread over start times, repriced
//! from its own requests: what real runs at those starts cost. Where the
//! traffic moves with the start (daily arrivals) no figure is given and the
//! note keeps the sweep; a scenario without such prices prints no note.

use crate::support::{Scratch, agentsim, arg, read_json};

const TIME_PRICED: &str = r#"
name = "tod"
[simulation]
seed = 1
replicates = 2
[[providers]]
name = "ds"
preset = "deepseek/deepseek-v4-flash"
[[workloads]]
name = "w"
provider = "ds"
shared_prefix_tokens = 2000
steps = 3
output_tokens = 300
[workloads.arrivals]
rate = "600/h"
horizon = "1h"
"#;

#[test]
fn a_time_of_day_priced_run_names_its_start_and_the_sweep_gives_the_spread() {
    let s = Scratch::new("start-time");
    let file = s.write("tod.toml", TIME_PRICED);
    let o = agentsim(["run", &arg(&file), "--out", &arg(&s.path("run")), "--no-charts"]).expect_code(0);
    assert!(o.stdout.contains("note: provider `ds` bills by time of day (x0.5 00:00-01:00,"), "{}", o.stdout);
    assert!(o.stdout.contains("costs between x0.5 and x1 by the hour"), "{}", o.stdout);
    assert!(o.stdout.contains("note: the same requests started at another hour would cost $"), "{}", o.stdout);
    assert!(o.stdout.contains("per session; this run started at 00:00 UTC ($"), "{}", o.stdout);
    assert!(!o.stdout.contains("--sweep"), "{}", o.stdout);
    let v = agentsim(["validate", &arg(&file)]).expect_code(0);
    assert!(v.stdout.contains("bills by time of day"), "{}", v.stdout);
    assert!(v.stdout.contains("depends on its start, 00:00 UTC (simulation.start_time_utc)"), "{}", v.stdout);
    assert!(v.stdout.contains("--sweep 'simulation.start_time_utc="), "{}", v.stdout);
    let run = read_json(&s.path("run").join("summary.json"));
    let spread = &run["variants"][0]["start_time_spread"];
    assert_eq!(spread["exact"], true);
    assert_eq!(spread["start_utc"], "00:00");
    assert_eq!(spread["starts"].as_array().map(Vec::len), Some(24));
    let at = |hhmm: &str, key: &str| {
        let starts = spread["starts"].as_array().unwrap();
        let s = starts.iter().find(|s| s["start_utc"] == hhmm).unwrap_or_else(|| panic!("no {hhmm}"));
        s[key].as_f64().unwrap()
    };
    // The own start is the run itself.
    let metric = |key: &str| run["variants"][0]["metrics"][key]["mean"].as_f64().unwrap();
    assert_eq!(at("00:00", "cost_usd"), metric("cost_usd"));
    assert_eq!(at("00:00", "cost_usd_per_session"), metric("cost_usd_per_session"));
    // All of a run at 12:00 is off-peak: the cheapest; one at 06:00 all at list price.
    assert_eq!(spread["cheapest"]["cost_usd"].as_f64(), Some(at("12:00", "cost_usd")));
    assert_eq!(spread["dearest"]["cost_usd"].as_f64(), Some(at("06:00", "cost_usd")));

    // The suggested sweep: the same traffic (common random numbers), priced
    // by the start hour. DeepSeek's off-peak windows are 00:00-01:00,
    // 04:00-06:00 and 10:00-24:00 UTC: an hour's run (and its drain) started
    // at 12:00 is all at half price, one started at 06:00 all at list price.
    let out = s.path("sweep");
    agentsim([
        "run",
        &arg(&file),
        "--out",
        &arg(&out),
        "--no-charts",
        "--quiet",
        "--sweep",
        "simulation.start_time_utc=06:00,12:00",
    ])
    .expect_code(0);
    let summary = read_json(&out.join("summary.json"));
    let cost = |point: usize| summary["sweep"]["points"][point]["variants"][0]["metrics"]["cost_usd"]["mean"].as_f64();
    let (list, half) = (cost(0).expect("point 0 cost"), cost(1).expect("point 1 cost"));
    assert!((list / half - 2.0).abs() < 1e-9, "06:00 {list} vs 12:00 {half}");
    // The run at 00:00, repriced, says what the runs at 06:00 and 12:00 cost.
    let close = |a: f64, b: f64| assert!((a - b).abs() <= 1e-9 * b.abs(), "repriced {a} vs run {b}");
    close(at("06:00", "cost_usd"), list);
    close(at("12:00", "cost_usd"), half);
    let per_session = |point: usize| {
        summary["sweep"]["points"][point]["variants"][0]["metrics"]["cost_usd_per_session"]["mean"].as_f64()
    };
    close(at("06:00", "cost_usd_per_session"), per_session(0).unwrap());
    close(at("12:00", "cost_usd_per_session"), per_session(1).unwrap());
    // Each sweep point reports its own spread, from its own start.
    let point = &summary["sweep"]["points"][1]["variants"][0]["start_time_spread"];
    assert_eq!(point["start_utc"], "12:00");
    close(point["starts"][0]["cost_usd"].as_f64().unwrap(), at("00:00", "cost_usd"));

    let q = agentsim(["validate", &arg(&crate::support::bundled("quickstart.toml"))]).expect_code(0);
    assert!(!q.stdout.contains("note:"), "{}", q.stdout);
}

#[test]
fn daily_arrivals_move_the_traffic_with_the_start_so_no_spread_is_repriced() {
    let (o, out, _s) = run_edited(
        "daily",
        "rate = \"600/h\"\nhorizon = \"1h\"",
        "kind = \"daily\"\nrate = \"600/h\"\nprofile = [1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 1, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2, 2]\nhorizon = \"1h\"",
        &[],
    );
    assert!(
        o.stdout.contains("not repriced at other starts because workload `w` arrives by a daily profile"),
        "{}",
        o.stdout
    );
    assert!(o.stdout.contains("--sweep 'simulation.start_time_utc="), "{}", o.stdout);
    assert!(!o.stdout.contains("would cost $"), "{}", o.stdout);
    let spread = &read_json(&out.join("summary.json"))["variants"][0]["start_time_spread"];
    assert_eq!(spread["exact"], false);
    assert!(spread.get("starts").is_none() && spread.get("cheapest").is_none(), "{spread}");
}

/// A variant that adds price windows to a scenario without any gets its
/// measured line, named, though the base scenario has no time-of-day prices.
#[test]
fn a_variant_that_adds_windows_gets_its_named_spread() {
    let (o, _, _s) = run_edited(
        "variant",
        "preset = \"deepseek/deepseek-v4-flash\"",
        "preset = \"deepseek/deepseek-v4-flash\"\npricing.windows = []",
        &[
            "--variant",
            "offpeak=providers[0].pricing.windows=[{ start = \"10:00\", end = \"22:00\", multiplier = 0.5 }]",
        ],
    );
    assert!(!o.stdout.contains("bills by time of day"), "the base has no windows:\n{}", o.stdout);
    assert!(
        o.stdout.contains("note: variant `offpeak`: the same requests started at another hour would cost $"),
        "{}",
        o.stdout
    );
    assert!(o.stdout.contains("(10:00 UTC, -50%)"), "{}", o.stdout);
}

/// Runs `TIME_PRICED` with `from` replaced by `to` and `extra` arguments:
/// its output, its run directory and the scratch space that holds it.
fn run_edited(
    name: &str,
    from: &str,
    to: &str,
    extra: &[&str],
) -> (crate::support::Outcome, std::path::PathBuf, Scratch) {
    let s = Scratch::new(&format!("start-time-{name}"));
    let edited = TIME_PRICED.replace(from, to);
    assert_ne!(edited, TIME_PRICED, "`{from}` is in the scenario");
    let file = s.write(&format!("{name}.toml"), &edited);
    let out = s.path("run");
    let mut args = vec!["run".to_string(), arg(&file), "--out".into(), arg(&out), "--no-charts".into()];
    args.extend(extra.iter().map(|a| a.to_string()));
    let o = agentsim(args).expect_code(0);
    (o, out, s)
}
