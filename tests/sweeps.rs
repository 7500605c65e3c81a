//! Sweeps end to end: a sweep point is exactly the plain run with the same
//! `--set` (variants included), the sweep's files have their documented
//! shape and size, outputs do not depend on the thread count, and a bad
//! sweep entry or `--sweep` is reported where it was written, with nothing written.

use crate::support::{SMALL, Scratch, agentsim, arg, bundled, read, read_json, run_quiet, small_scenario};

const TTL: &str = "providers[0].cache.ttl";
const SLOTS: &str = "providers[1].serving.slots";

/// The metrics of every variant at every point of a sweep, summed: tiers
/// (and so per-tier metrics) may differ from point to point.
fn metrics_of(summary: &serde_json::Value) -> usize {
    let points = summary["sweep"]["points"].as_array().unwrap();
    let variants = points.iter().flat_map(|p| p["variants"].as_array().unwrap());
    variants.map(|v| v["metrics"].as_object().unwrap().len()).sum()
}

/// The metrics of the top-level baseline (point 0: two tiers).
fn metric_count(summary: &serde_json::Value) -> usize {
    summary["variants"][0]["metrics"].as_object().unwrap().len()
}

#[test]
fn a_sweep_point_is_the_plain_run_with_the_same_set() {
    let s = Scratch::new("sweep-equals-set");
    let scenario = small_scenario(&s);
    let variant = "fast=providers[0].serving.slots=8";
    let sweep = ["--sweep", "providers[0].cache.ttl=10s,2m", "--sweep", "providers[1].serving.slots=1,4"];
    run_quiet(&scenario, &s.path("sweep"), &[&sweep[..], &["--variant", variant]].concat());
    let swept = read_json(&s.path("sweep").join("summary.json"));
    let points = swept["sweep"]["points"].as_array().unwrap();
    assert_eq!(points.len(), 4);
    assert_eq!(swept["sweep"]["parameters"], serde_json::json!([TTL, SLOTS]));
    // Grid order: the first parameter outermost; point 3 is ttl = 2m, slots = 4.
    assert_eq!(points[3]["values"], serde_json::json!({ TTL: "2m", SLOTS: 4 }));
    assert_eq!(points[1]["values"], serde_json::json!({ TTL: "10s", SLOTS: 4 }));

    let set = [format!("--set={TTL}=2m"), format!("--set={SLOTS}=4")];
    run_quiet(&scenario, &s.path("plain"), &[set[0].as_str(), &set[1], "--variant", variant]);
    let plain = read_json(&s.path("plain").join("summary.json"));
    assert_eq!(points[3]["variants"], plain["variants"], "point 3 is the --set run, variant and paired diff included");
    assert_eq!(points[3]["ranking"], plain["ranking"]);
    // The top level is point 0's, so readers of plain runs read a real run.
    assert_eq!(swept["variants"], points[0]["variants"]);
    // Different values give different numbers: the cache TTL changes what is cached.
    assert_ne!(points[0]["variants"][0]["metrics"]["cost_usd"], points[2]["variants"][0]["metrics"]["cost_usd"]);
}

#[test]
fn sweep_files_have_one_row_per_point_variant_and_metric() {
    let s = Scratch::new("sweep-files");
    let text = format!(
        "{SMALL}\n[[sweep]]\npath = \"{TTL}\"\nvalues = [\"10s\", \"1m\", \"5m\"]\n\
         [[variants]]\nname = \"dear\"\nset = [\"providers[0].pricing.output_usd_per_mtok=30\"]\n"
    );
    let scenario = s.write("swept.toml", &text);
    let out = s.path("out");
    let o = agentsim([
        "run",
        &arg(&scenario),
        "--out",
        &arg(&out),
        "--replicates",
        "2",
        "--sweep",
        "workloads[1].arrivals.rate_per_s=0.5..2:3:log",
    ])
    .expect_code(0);
    // The printed table: one row per point and variant, the swept values first.
    assert!(o.stdout.starts_with("itest: 9 sweep points x 2 replicates, seed 7;"), "{}", o.stdout);
    let row = o.stdout.lines().find(|l| l.trim_start().starts_with("4  1m")).expect("point 4's row");
    assert!(row.contains(" 1.0 ") && row.contains("baseline"), "{row}");

    let summary = read_json(&out.join("summary.json"));
    let n_metrics = metrics_of(&summary);
    // With ttl = 5m, the cached provider's tier is the other's default one:
    // the 3 points there have one tier, so one per-tier metric, fewer.
    assert_eq!(n_metrics, 9 * 2 * metric_count(&summary) - 3 * 2);
    let csv = String::from_utf8(read(&out.join("sweep.csv"))).unwrap();
    let lines: Vec<&str> = csv.lines().collect();
    assert_eq!(
        lines[0],
        format!(
            "point,{TTL},workloads[1].arrivals.rate_per_s,variant,metric,mean,ci95_low,ci95_high,\
             diff_mean,diff_ci95_low,diff_ci95_high"
        )
    );
    assert_eq!(lines.len() - 1, n_metrics, "points x variants x metrics");
    let cost = |point: usize, variant: &str| {
        let prefix = format!("{point},");
        let l = lines.iter().find(|l| l.starts_with(&prefix) && l.contains(&format!(",{variant},cost_usd,"))).unwrap();
        l.split(',').map(str::to_string).collect::<Vec<_>>()
    };
    // Point 4 = (1m, 1.0); the baseline has no difference, the variant's is paired at its point.
    let base = cost(4, "baseline");
    assert_eq!(&base[..4], ["4", "1m", "1.0", "baseline"]);
    assert_eq!(&base[8..], ["", "", ""]);
    // The same cells as summary.csv's overall rows of that point (mean, the CI; diff_mean, its CI).
    let sum = String::from_utf8(read(&out.join("summary.csv"))).unwrap();
    let overall = |variant: &str| {
        let prefix = format!("4,{variant},all,cost_usd,");
        sum.lines().find(|l| l.starts_with(&prefix)).unwrap().split(',').map(str::to_string).collect::<Vec<_>>()
    };
    let (b, d) = (overall("baseline"), overall("dear"));
    assert_eq!((&base[5], &base[6], &base[7]), (&b[4], &b[6], &b[7]));
    let dear = cost(4, "dear");
    assert_eq!(dear[5..].to_vec(), [4, 6, 7, 9, 11, 12].map(|i| d[i].clone()));
    assert!(!dear[8].is_empty());

    // replicates.csv and summary.csv lead with the point; per point, replicate
    // and variant, one row per scope (all, 2 providers, 2 workloads).
    let reps = String::from_utf8(read(&out.join("replicates.csv"))).unwrap();
    assert!(reps.starts_with("point,replicate,variant,scope,"), "{}", &reps[..80]);
    assert_eq!(reps.lines().count() - 1, 9 * 2 * 2 * 5);
    assert!(reps.lines().nth(1).unwrap().starts_with("0,0,baseline,all,"));
    assert!(reps.lines().last().unwrap().starts_with("8,1,dear,workload:chat,"));
    assert!(sum.starts_with("point,variant,scope,metric,"));
    assert_eq!(sum.lines().count() - 1, 5 * n_metrics);
    assert_eq!(
        read_json(&out.join("manifest.json"))["sweep"],
        serde_json::json!([TTL, "workloads[1].arrivals.rate_per_s"])
    );
    // The resolved scenario is the baseline: no point's values.
    let resolved = String::from_utf8(read(&out.join("scenario.resolved.toml"))).unwrap();
    assert!(!resolved.contains("sweep") && resolved.contains("name = \"30s\""), "{resolved}");

    let o = agentsim(["validate", &arg(&scenario)]).expect_code(0);
    assert!(o.stdout.starts_with("ok: itest (2 providers, 2 workloads, 1 variant, 3 sweep points)"), "{}", o.stdout);
}

#[test]
fn plain_runs_keep_their_columns() {
    let s = Scratch::new("sweep-plain");
    run_quiet(&small_scenario(&s), &s.path("out"), &[]);
    assert!(!s.path("out").join("sweep.csv").exists());
    let reps = String::from_utf8(read(&s.path("out").join("replicates.csv"))).unwrap();
    assert!(reps.starts_with("replicate,variant,scope,"));
    assert!(read_json(&s.path("out").join("summary.json")).get("sweep").is_none());
}

#[test]
fn sweep_outputs_do_not_depend_on_the_thread_count() {
    let s = Scratch::new("sweep-threads");
    let scenario = small_scenario(&s);
    let sweep = ["--sweep", "providers[0].cache.ttl=10s,1m", "--sweep", "workloads[0].arrivals.rate_per_s=0.25..1:3"];
    let extra = ["--variant", "v=providers[1].serving.slots=2", "--requests-csv"];
    run_quiet(&scenario, &s.path("t1"), &[&sweep[..], &extra, &["--threads", "1"]].concat());
    run_quiet(&scenario, &s.path("t3"), &[&sweep[..], &extra, &["--threads", "3"]].concat());
    for f in ["summary.json", "summary.csv", "sweep.csv", "replicates.csv", "requests.csv", "timeseries.csv"] {
        assert!(read(&s.path("t1").join(f)) == read(&s.path("t3").join(f)), "{f} differs with the thread count");
    }
}

#[test]
fn a_bad_sweep_entry_is_located_and_nothing_is_written() {
    let s = Scratch::new("sweep-bad-file");
    let text = format!(
        "{SMALL}\n[[sweep]]\npath = \"{TTL}\"\nvalues = [\"10s\", \"soon\"]\n\
         [[sweep]]\npath = \"workloads[0].arrivals.rate_per_s\"\nrange = \"0..4:3:log\"\n"
    );
    let scenario = s.write("bad.toml", &text);
    let out = s.path("out");
    let o = agentsim(["run", &arg(&scenario), "--out", &arg(&out)]).expect_code(2);
    let file = arg(&scenario);
    // SMALL has 39 lines; the entries follow a blank line (values on line 42, range on 45).
    assert!(
        o.stderr.contains(&format!(
            "{file}:45:9: sweep[1].range: a log range needs lo > 0 (its values are geometric), got 0"
        )),
        "{}",
        o.stderr
    );
    assert!(!out.exists());
    // With the range fixed, the bad value is reported at the value, with the swept path.
    let scenario = s.write("bad.toml", &text.replace("0..4:3:log", "1..4:3:log"));
    let o = agentsim(["run", &arg(&scenario), "--out", &arg(&out)]).expect_code(2);
    assert!(o.stderr.contains(&format!("{file}:42:18: {TTL}: sweep value `soon`: ")), "{}", o.stderr);
    assert!(!out.exists());
}

#[test]
fn a_bad_sweep_flag_is_named_and_nothing_is_written() {
    let s = Scratch::new("sweep-bad-flag");
    let scenario = arg(&small_scenario(&s));
    let out = s.path("out");
    let run = |flags: &[&str]| {
        let o = agentsim([&["run", &scenario, "--out", &arg(&out)], flags].concat()).expect_code(2);
        assert!(!out.exists());
        o.stderr
    };
    let e = run(&["--sweep", "providers[0].cache.ttl=10s,-1m"]);
    assert!(
        e.contains("--sweep #1 `providers[0].cache.ttl=10s,-1m`: providers[0].cache.ttl: sweep value `-1m`: "),
        "{e}"
    );
    let e = run(&["--sweep", "providers[0].cache.ttl=10s", "--sweep", "providers[0].cache.ttl=1m"]);
    assert!(e.contains("is already swept by an earlier --sweep"), "{e}");
    let e = run(&["--sweep", "workloads[0].arrivals.rate_per_s=2..1:3"]);
    assert!(e.contains("--sweep") && e.contains("lo must be below hi, got 2..1"), "{e}");
    let e = run(&["--sweep", "simulation.replicates=2,3"]);
    assert!(e.contains("a sweep point runs on the baseline's seed and replicates"), "{e}");
    // The stopping rule picks one replicate count per run: a grid would need one per point.
    let e = run(&["--sweep", "providers[0].cache.ttl=10s,1m", "--target-ci", "0.1"]);
    assert!(e.contains("--target-ci does not apply to a sweep") && e.contains("one count per point"), "{e}");
}

#[test]
fn the_ttl_sweep_example_finds_where_one_hour_writes_pay_off() {
    // Checked by hand first: with 30 s pauses 5-minute entries stay alive and
    // their cheaper writes win; with 15 min pauses they expire and 1 h wins.
    let s = Scratch::new("sweep-example");
    run_quiet(&bundled("examples/ttl_sweep.toml"), &s.path("out"), &["--replicates", "3"]);
    let summary = read_json(&s.path("out").join("summary.json"));
    let diff = |point: usize| {
        let d =
            &summary["sweep"]["points"][point]["variants"][1]["diff_vs_baseline"]["metrics"]["cost_usd_per_session"];
        (d["ci95_low"].as_f64().unwrap(), d["ci95_high"].as_f64().unwrap())
    };
    assert_eq!(summary["sweep"]["points"][0]["values"]["workloads[0].think_time.mean"], "30s");
    assert!(diff(0).0 > 0.0, "1h costs more at 30 s pauses: {:?}", diff(0));
    assert!(diff(3).1 < 0.0, "1h costs less at 15 min pauses: {:?}", diff(3));
}
