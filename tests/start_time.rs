//! A scenario whose provider bills by time of day says so after the run (and
//! in `validate`), and the sweep it suggests measures the spread; a scenario
//! without such prices prints no note.

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
    assert!(o.stdout.contains("depends on its start, 00:00 UTC (simulation.start_time_utc)"), "{}", o.stdout);
    let v = agentsim(["validate", &arg(&file)]).expect_code(0);
    assert!(v.stdout.contains("bills by time of day"), "{}", v.stdout);

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

    let q = agentsim(["validate", &arg(&crate::support::bundled("quickstart.toml"))]).expect_code(0);
    assert!(!q.stdout.contains("note:"), "{}", q.stdout);
}
