//! The bundled quickstart runs, every metric is present in every scope, and the
//! run directory holds exactly the documented files.

use crate::support::{Scratch, agentsim, arg, bundled, list, read, read_json, small_scenario};
use sha2::{Digest as _, Sha256};
use sim_core::metrics::metric_names;

/// The metric list of a scenario whose caches use `tiers`.
fn metrics(tiers: &[&str]) -> Vec<String> {
    metric_names(&tiers.iter().map(|t| t.to_string()).collect::<Vec<_>>())
}

const STAT_FIELDS: [&str; 5] = ["ci95_high", "ci95_low", "mean", "n", "std"];

/// Every metric, each with exactly the five statistics fields.
#[track_caller]
fn assert_complete_table(table: &serde_json::Value, replicates: u64, scope: &str, tiers: &[&str]) {
    let obj = table.as_object().unwrap_or_else(|| panic!("{scope}: not an object"));
    let mut names: Vec<&str> = obj.keys().map(String::as_str).collect();
    names.sort_unstable();
    let expected_names = metrics(tiers);
    let mut expected: Vec<&str> = expected_names.iter().map(String::as_str).collect();
    expected.sort_unstable();
    assert_eq!(names, expected, "{scope}");
    for (metric, stats) in obj {
        let mut fields: Vec<&str> = stats.as_object().unwrap().keys().map(String::as_str).collect();
        fields.sort_unstable();
        assert_eq!(fields, STAT_FIELDS, "{scope}.{metric}");
        let n = stats["n"].as_u64().unwrap();
        assert!(n <= replicates, "{scope}.{metric}: n = {n}");
    }
    // Counters are defined in every replicate.
    for counter in ["sessions_started", "requests", "tokens_input", "cost_usd", "errors", "rate_limited"] {
        assert_eq!(table[counter]["n"], replicates, "{scope}.{counter}");
    }
}

#[test]
fn quickstart_runs_and_reports_every_metric_in_every_scope() {
    let s = Scratch::new("quickstart");
    let out = s.path("run");
    let file = bundled("quickstart.toml");
    let o = agentsim(["run", &arg(&file), "--out", &arg(&out), "--replicates", "3"]).expect_code(0);

    assert_eq!(
        list(&out),
        [
            "charts",
            "distributions.csv",
            "manifest.json",
            "replicates.csv",
            "report.html",
            "report.md",
            "scenario.resolved.toml",
            "scenario.toml",
            "summary.csv",
            "summary.json",
            "timeseries.csv"
        ]
    );
    assert_eq!(read(&out.join("scenario.toml")), read(&file), "scenario.toml is a byte copy");
    // The resolved file is the scenario as it ran: `--replicates 3` included.
    let load = |path: &std::path::Path| {
        let text = std::fs::read_to_string(path).unwrap();
        let name = path.display().to_string();
        sim_core::scenario::load(&sim_core::scenario::SourceText { name: &name, text: &text }, &[]).unwrap()
    };
    let mut ran = load(&file);
    ran.simulation.replicates = 3;
    // A preset's name is a comment there: the file's providers are its own.
    for v in ran.providers.iter_mut().filter_map(|p| p.provenance.as_mut()) {
        v.origin = "scenario".to_string();
    }
    assert_eq!(load(&out.join("scenario.resolved.toml")), ran);

    let summary = read_json(&out.join("summary.json"));
    assert_eq!(summary["schema_version"], 2);
    assert_eq!(summary["replicates"], 3);
    let variants = summary["variants"].as_array().unwrap();
    assert_eq!(variants.len(), 1);
    let v = &variants[0];
    assert_eq!(v["name"], "baseline");
    assert_complete_table(&v["metrics"], 3, "overall", &["5m"]);
    let providers = v["by_provider"].as_object().unwrap();
    let workloads = v["by_workload"].as_object().unwrap();
    assert!(!providers.is_empty() && !workloads.is_empty());
    for (name, table) in providers.iter().chain(workloads) {
        assert_complete_table(table, 3, name, &["5m"]);
    }
    assert!(v["metrics"]["requests"]["mean"].as_f64().unwrap() > 0.0, "quickstart simulates requests");
    assert!(v["metrics"]["cost_usd"]["mean"].as_f64().unwrap() > 0.0, "and they cost money");

    // The scenario's description, the table on stdout, then where the files are.
    let lines: Vec<&str> = o.stdout.lines().collect();
    assert_eq!(lines[0], "Coding agents on one Sonnet-class provider: how much does the prompt cache save?");
    assert!(lines[1].contains("3 replicates"), "{}", o.stdout);
    for metric in ["requests", "cost_usd", "cache_hit_rate", "ttft_s_p95"] {
        let row = lines.iter().find(|l| l.split_whitespace().next() == Some(metric));
        let row = row.unwrap_or_else(|| panic!("no {metric} row in\n{}", o.stdout));
        assert!(row.contains('[') && row.ends_with(']'), "{row}");
    }
    assert_eq!(lines.last(), Some(&format!("output: {}", out.display()).as_str()));
    assert_eq!(o.stderr, "", "no progress bar when stderr is not a terminal");
}

#[test]
fn csv_files_cover_every_scope_and_replicate() {
    let s = Scratch::new("csv-shape");
    let out = s.path("run");
    agentsim(["run", &arg(&small_scenario(&s)), "--out", &arg(&out), "--quiet"]).expect_code(0);

    let summary_csv = String::from_utf8(read(&out.join("summary.csv"))).unwrap();
    let rows: Vec<&str> = summary_csv.lines().collect();
    assert_eq!(
        rows[0],
        "variant,scope,metric,mean,std,ci95_low,ci95_high,n,\
         diff_mean,diff_std,diff_ci95_low,diff_ci95_high,rel_diff,rel_diff_ci95_low,rel_diff_ci95_high"
    );
    // Scopes: all, 2 providers, 2 workloads; metrics in `metric_names` order in each.
    let names = metrics(&["30s", "5m"]);
    assert_eq!(rows.len(), 1 + 5 * names.len());
    let scopes = ["all", "provider:alpha", "provider:beta", "workload:coder", "workload:chat"];
    for (i, row) in rows[1..].iter().enumerate() {
        let cells: Vec<&str> = row.split(',').collect();
        assert_eq!(cells.len(), 15, "{row}");
        assert_eq!(cells[8..], [""; 7], "the baseline has no difference: {row}");
        assert_eq!(cells[0], "baseline");
        assert_eq!(cells[1], scopes[i / names.len()], "{row}");
        assert_eq!(cells[2], names[i % names.len()], "{row}");
    }

    let replicates_csv = String::from_utf8(read(&out.join("replicates.csv"))).unwrap();
    let rows: Vec<&str> = replicates_csv.lines().collect();
    let header = format!("replicate,variant,scope,{},events,sim_end_s", names.join(","));
    assert_eq!(rows[0], header);
    assert_eq!(rows.len(), 1 + 4 * scopes.len(), "one row per replicate and scope");
    for (i, row) in rows[1..].iter().enumerate() {
        let (replicate, scope) = (i / scopes.len(), scopes[i % scopes.len()]);
        assert!(row.starts_with(&format!("{replicate},baseline,{scope},")), "{row}");
        assert_eq!(row.split(',').count(), 3 + names.len() + 2, "{row}");
        // The event count and end time are the replicate's, on its `all` row only.
        assert_eq!(row.ends_with(",,"), scope != "all", "{row}");
    }
}

#[test]
fn manifest_records_how_the_run_was_made() {
    let s = Scratch::new("manifest");
    let out = s.path("run");
    let file = small_scenario(&s);
    let args = ["run", &arg(&file), "--out", &arg(&out), "--quiet", "--threads", "2", "--seed", "11"];
    let o = agentsim(args).expect_code(0);
    assert_eq!(o.stdout, format!("{}\n", out.display()), "--quiet prints only the directory");

    let m = read_json(&out.join("manifest.json"));
    assert_eq!(m["agentsim_version"], env!("CARGO_PKG_VERSION"));
    assert_eq!(m["schema_version"], 2);
    assert_eq!(m["scenario"], "itest");
    assert_eq!(m["scenario_file"], arg(&file));
    let sha: String = Sha256::digest(read(&file)).iter().map(|b| format!("{b:02x}")).collect();
    assert_eq!(m["scenario_sha256"], sha);
    assert_eq!(m["seed"], 11);
    assert_eq!(m["replicates"], 4);
    assert_eq!(m["threads"], 2);
    assert_eq!(m["requests_csv"], false);
    assert_eq!(m["overrides"], serde_json::json!([]));
    assert_eq!(m["variants"], serde_json::json!([]));
    let argv: Vec<String> = std::iter::once("agentsim").chain(args).map(String::from).collect();
    assert_eq!(m["command_line"], serde_json::json!(argv));
    // replicates.csv is streamed while the replicates run, so it is staged first.
    let files = serde_json::json!([
        "replicates.csv",
        "summary.json",
        "summary.csv",
        "distributions.csv",
        "timeseries.csv",
        "scenario.toml",
        "scenario.resolved.toml",
        "report.html",
        "report.md",
        "charts/cost_per_session.png",
        "charts/cost_per_session.svg",
        "charts/cost_breakdown.png",
        "charts/cost_breakdown.svg",
        "charts/cost_vs_latency.png",
        "charts/cost_vs_latency.svg",
        "charts/over_time.png",
        "charts/over_time.svg",
        "charts/latency_cdf.png",
        "charts/latency_cdf.svg",
        "manifest.json"
    ]);
    assert_eq!(m["files"], files);
}
