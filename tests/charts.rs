//! Charts (sim-report) rendered from real runs of the bundled scenarios:
//! PNG and SVG are well-formed and deterministic, text is drawn with the
//! embedded font, a chart's numbers are summary.json's, and `agentsim
//! report` regenerates them, refusing what is not a finished run.

use crate::support::{Scratch, agentsim, arg, bundled, bundled_run, read, read_json, run_quiet};
use sim_report::Chart as _;
use sim_report::charts::PER_POINT;
use sim_report::charts::capacity::Capacity;
use sim_report::charts::cost_breakdown::{CLASSES, CostBreakdown};
use sim_report::charts::cost_per_session::CostPerSession;
use sim_report::charts::latency_cdf::{LatencyCdf, MARKS};
use sim_report::charts::over_time::OverTime;
use sim_report::charts::tornado::Tornado;
use sim_report::{RunData, STEMS, render_all};
use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

/// Every bundled scenario file (top level, examples, validation, workloads), sorted.
fn bundled_scenarios() -> Vec<PathBuf> {
    let mut files = Vec::new();
    for dir in ["", "examples", "validation", "workloads"] {
        let found = std::fs::read_dir(bundled(dir)).unwrap().map(|e| e.unwrap().path());
        files.extend(found.filter(|p| p.extension().is_some_and(|x| x == "toml")));
    }
    files.sort();
    files
}

const PNG_SIGNATURE: &[u8] = b"\x89PNG\r\n\x1a\n";

/// Decodes a PNG to (width, height, RGB bytes); panics unless it is one.
fn decode_png(bytes: &[u8]) -> (u32, u32, Vec<u8>) {
    assert!(bytes.starts_with(PNG_SIGNATURE), "not a PNG");
    let mut reader = png::Decoder::new(bytes).read_info().expect("PNG header");
    let mut buf = vec![0; reader.output_buffer_size()];
    let info = reader.next_frame(&mut buf).expect("PNG data");
    assert_eq!((info.color_type, info.bit_depth), (png::ColorType::Rgb, png::BitDepth::Eight));
    buf.truncate(info.buffer_size());
    (info.width, info.height, buf)
}

/// A minimal XML well-formedness check: every tag closes in order, attribute
/// values are quoted, and every `&` starts a known entity.
fn assert_well_formed_xml(text: &str) {
    let mut stack: Vec<&str> = Vec::new();
    let mut rest = text;
    while let Some(open) = rest.find('<') {
        check_text(&rest[..open]);
        rest = &rest[open..];
        if let Some(after) = rest.strip_prefix("<?") {
            rest = &after[after.find("?>").expect("unclosed <?") + 2..];
            continue;
        }
        if let Some(after) = rest.strip_prefix("<!--") {
            rest = &after[after.find("-->").expect("unclosed comment") + 3..];
            continue;
        }
        let close = tag_end(rest);
        let tag = &rest[1..close];
        rest = &rest[close + 1..];
        if let Some(name) = tag.strip_prefix('/') {
            assert_eq!(stack.pop(), Some(name.trim()), "mismatched </{name}>");
        } else {
            let name = tag.split(|c: char| c.is_whitespace() || c == '/').next().unwrap();
            assert!(
                !name.is_empty() && name.chars().all(|c| c.is_alphanumeric() || "-_:".contains(c)),
                "bad tag <{tag}>"
            );
            assert_eq!(tag.matches('"').count() % 2, 0, "unbalanced quotes in <{tag}>");
            check_text(tag);
            if !tag.ends_with('/') {
                stack.push(name);
            }
        }
    }
    check_text(rest);
    assert!(stack.is_empty(), "unclosed tags {stack:?}");
}

/// The `>` ending the tag `s` starts with, outside quoted attribute values.
fn tag_end(s: &str) -> usize {
    let mut quoted = false;
    for (i, c) in s.char_indices() {
        match c {
            '"' => quoted = !quoted,
            '>' if !quoted => return i,
            _ => {}
        }
    }
    panic!("unclosed tag {}", &s[..s.len().min(80)]);
}

fn check_text(s: &str) {
    for (i, _) in s.match_indices('&') {
        let entity = &s[i..s.len().min(i + 8)];
        assert!(
            ["&amp;", "&lt;", "&gt;", "&quot;", "&apos;", "&#"].iter().any(|e| entity.starts_with(e)),
            "bare & in {entity}"
        );
    }
}

#[test]
fn every_chart_renders_for_every_bundled_scenario_deterministically() {
    let s = Scratch::new("charts-bundled");
    let mut stems_seen = BTreeSet::new();
    let scenarios = bundled_scenarios();
    assert!(scenarios.len() >= 10, "found only {} bundled scenarios", scenarios.len());
    for file in scenarios {
        let name = file.file_stem().unwrap().to_string_lossy().to_string();
        let out = s.path(&name);
        run_quiet(&file, &out, &["--replicates", "2"]);
        let run = RunData::load(&out).unwrap();
        let charts = render_all(&run).unwrap();
        // Every run has a cost per session (a validation scenario bills nothing, so no
        // breakdown); the charts come in STEMS order, a sweep's per-point charts after
        // those of the whole run, point by point.
        let whole: Vec<&str> = charts.iter().filter(|c| c.point.is_none()).map(|c| c.stem).collect();
        let in_order: Vec<&str> = STEMS.iter().copied().filter(|s| whole.contains(s)).collect();
        assert_eq!(whole, in_order, "{name}");
        let first_per_variant = charts.iter().find(|c| PER_POINT.contains(&c.stem)).unwrap();
        assert_eq!(first_per_variant.stem, "cost_per_session", "{name}");
        assert_eq!(first_per_variant.point.is_some(), run.sweep.is_some(), "{name}");
        for chart in &charts {
            let (w, h, rgb) = decode_png(&chart.png);
            assert_eq!((w, h), (1200, 700), "{name}/{}", chart.stem);
            assert!(rgb.iter().any(|&b| b < 128), "{name}/{}: a blank PNG", chart.stem);
            let svg = std::str::from_utf8(&chart.svg).unwrap();
            assert!(svg.starts_with("<svg") && svg.contains("font-family=\"sans-serif\""), "{name}/{}", chart.stem);
            assert_well_formed_xml(svg);
            stems_seen.insert(chart.stem);
        }
        // The run drew the same bytes into charts/, every file listed in its manifest.
        let files = read_json(&out.join("manifest.json"))["files"].clone();
        let listed: Vec<&str> = files.as_array().unwrap().iter().filter_map(|f| f.as_str()).collect();
        for chart in &charts {
            for (ext, bytes) in [("png", &chart.png), ("svg", &chart.svg)] {
                let rel = format!("charts/{}.{ext}", chart.file_stem());
                assert!(read(&out.join(&rel)) == *bytes, "{name}/{rel}: the run drew other bytes than a render");
                assert!(listed.contains(&rel.as_str()), "{name}: {rel} not in the manifest");
            }
        }
        assert_eq!(listed.iter().filter(|f| f.starts_with("charts/")).count(), 2 * charts.len(), "{name}");
    }
    // Capacity and tornado come from plan and sensitivity directories, not runs.
    let of_runs: BTreeSet<&str> = STEMS.iter().copied().filter(|s| !["capacity", "tornado"].contains(s)).collect();
    assert_eq!(stems_seen, of_runs, "some chart never rendered");
}

#[test]
fn a_sweep_draws_its_per_variant_charts_at_every_point() {
    let (_s, out) = bundled_run("charts-sweep-points", "examples/ttl_sweep.toml", &["--replicates", "2"]);
    let summary = read_json(&out.join("summary.json"));
    let points = summary["sweep"]["points"].as_array().unwrap();
    assert_eq!(points.len(), 4);
    let listed = listed_charts(&out);
    let html = String::from_utf8(read(&out.join("report.html"))).unwrap();
    assert_eq!(html.matches("<details>").count(), points.len(), "one folded group per point");
    for (p, point) in points.iter().enumerate() {
        let think = point["values"]["workloads[0].think_time.mean"].as_str().unwrap();
        let summary_line = format!("<summary>Sweep point {p}: workloads[0].think_time.mean={think}</summary>");
        assert!(html.contains(&summary_line), "{summary_line}");
        for stem in PER_POINT {
            assert_chart(&out, &format!("{stem}_p{p}"));
        }
        // The point's own numbers: its breakdown bars are its variants' means.
        let view = RunData::load(&out).unwrap();
        let at = view.sweep.as_ref().unwrap().points[p].clone();
        let chart = CostBreakdown::from_run(&view.at_point(&at)).unwrap().unwrap();
        for (bar, variant) in chart.bars.iter().zip(point["variants"].as_array().unwrap()) {
            assert_eq!(bar.total, variant["metrics"]["cost_usd"]["mean"].as_f64(), "point {p}");
        }
    }
    // No unsuffixed per-variant chart: each names its point.
    assert_eq!(listed.len(), 2 * (2 + PER_POINT.len() * points.len()), "{listed:?}");
    assert!(listed.contains(&"charts/sweep.svg".to_string()) && listed.contains(&"charts/over_time.svg".to_string()));
    let svg = String::from_utf8(read(&out.join("charts/cost_per_session_p1.svg"))).unwrap();
    let think = points[1]["values"]["workloads[0].think_time.mean"].as_str().unwrap();
    assert!(svg.contains(&format!("At workloads[0].think_time.mean={think}: ")), "the title names the point");
    // `agentsim report` finds and replaces the same files.
    let again = agentsim(["report", &arg(&out)]).expect_code(0);
    let n = listed.len();
    assert!(again.stdout.starts_with(&format!("{n} chart files written")), "{}", again.stdout);
    assert!(again.stdout.contains(&format!("({n} earlier chart files replaced)")), "{}", again.stdout);
}

#[test]
fn cost_breakdown_bars_are_summary_means() {
    let (_s, out) = bundled_run("charts-breakdown", "examples/ttl_comparison.toml", &["--replicates", "3"]);
    let summary = read_json(&out.join("summary.json"));
    let chart = CostBreakdown::from_run(&RunData::load(&out).unwrap()).unwrap().unwrap();
    assert_eq!(chart.bars.len(), 2);
    assert!(chart.classes.len() >= 3, "{:?}", chart.classes);
    for (i, bar) in chart.bars.iter().enumerate() {
        let metrics = &summary["variants"][i]["metrics"];
        assert_eq!(bar.name, summary["variants"][i]["name"].as_str().unwrap());
        for ((metric, _), segment) in chart.classes.iter().zip(&bar.segments) {
            assert_eq!(*segment, metrics[metric]["mean"].as_f64(), "{metric}");
        }
        let total = &metrics["cost_usd"];
        assert_eq!(bar.total, total["mean"].as_f64());
        assert_eq!(bar.total_ci95, Some((total["ci95_low"].as_f64().unwrap(), total["ci95_high"].as_f64().unwrap())));
        // The classes drawn and those left out (zero in every bar) sum to the total.
        let drawn: f64 = bar.segments.iter().flatten().sum();
        assert!((drawn - bar.total.unwrap()).abs() <= 1e-9 * bar.total.unwrap(), "{drawn} vs {:?}", bar.total);
    }
    assert!(
        CLASSES.iter().all(|(m, _)| summary["variants"][0]["metrics"][m].is_object()),
        "a class metric is not in summary.json"
    );
}

#[test]
fn latency_cdf_curves_are_distributions_csv_and_marks_are_summary_percentiles() {
    // Its workloads set an end-to-end objective of 30 s.
    let (_s, out) = bundled_run("charts-cdf", "examples/rate_limits.toml", &["--replicates", "3"]);
    let summary = read_json(&out.join("summary.json"));
    let chart = LatencyCdf::from_run(&RunData::load(&out).unwrap()).unwrap().unwrap();
    let csv = String::from_utf8(read(&out.join("distributions.csv"))).unwrap();
    assert_eq!(chart.panels.iter().map(|p| p.distribution).collect::<Vec<_>>(), ["ttft_s", "e2e_s"]);
    assert_eq!(chart.panels[0].objectives, Vec::<f64>::new());
    assert_eq!(chart.panels[1].objectives, [30.0]);
    for panel in &chart.panels {
        for (i, series) in panel.series.iter().enumerate() {
            let variant = &summary["variants"][i];
            assert_eq!(series.name, variant["name"].as_str().unwrap());
            let rows: Vec<(f64, f64)> = csv
                .lines()
                .skip(1)
                .map(|l| l.split(',').collect::<Vec<_>>())
                .filter(|c| c[0] == series.name && c[1] == panel.distribution)
                .map(|c| (c[3].parse().unwrap(), c[2].parse().unwrap()))
                .collect();
            assert_eq!(rows.len(), 101);
            assert_eq!(series.points, rows);
            let metric = panel.distribution.trim_end_matches("_s");
            for (q, p) in MARKS {
                let mean = variant["metrics"][format!("{metric}_s_{p}")]["mean"].as_f64();
                assert_eq!(series.at(q), mean, "{metric} {p}");
            }
        }
    }
}

#[test]
fn cost_per_session_strips_are_the_session_cost_distribution() {
    let (_s, out) = bundled_run("charts-strip", "examples/ttl_comparison.toml", &["--replicates", "3"]);
    let summary = read_json(&out.join("summary.json"));
    let run = RunData::load(&out).unwrap();
    let chart = CostPerSession::from_run(&run).unwrap().unwrap();
    assert_eq!(chart.entries.len(), 2);
    for (i, entry) in chart.entries.iter().enumerate() {
        let strip = entry.sessions.unwrap();
        let at =
            |q: f64| run.distribution(&entry.name, "session_cost_usd").unwrap().iter().find(|p| p.1 == q).unwrap().0;
        assert_eq!((strip.p05, strip.p25, strip.p75), (at(0.05), at(0.25), at(0.75)));
        let metrics = &summary["variants"][i]["metrics"];
        assert_eq!(Some(strip.p50), metrics["cost_usd_per_session_p50"]["mean"].as_f64());
        assert_eq!(Some(strip.p95), metrics["cost_usd_per_session_p95"]["mean"].as_f64());
        assert!(strip.p05 < strip.p50 && strip.p50 < strip.p95, "{strip:?}");
    }
}

#[test]
fn cost_per_session_boxes_span_the_replicates_and_mark_the_summary_interval() {
    let (_s, out) = bundled_run("charts-box", "examples/provider_comparison.toml", &["--replicates", "5"]);
    let summary = read_json(&out.join("summary.json"));
    let chart = CostPerSession::from_run(&RunData::load(&out).unwrap()).unwrap().unwrap();
    // One variant over several providers: one box per provider, from its scope's rows.
    // In scenario order: replicate 0's provider scopes in replicates.csv.
    let providers = summary["variants"][0]["by_provider"].as_object().unwrap();
    let csv = String::from_utf8(read(&out.join("replicates.csv"))).unwrap();
    let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    let (scope, value) = (
        header.iter().position(|h| *h == "scope").unwrap(),
        header.iter().position(|h| *h == "cost_usd_per_session").unwrap(),
    );
    let in_order: Vec<String> = csv
        .lines()
        .skip(1)
        .filter_map(|l| l.split(',').nth(scope)?.strip_prefix("provider:").map(str::to_string))
        .take(providers.len())
        .collect();
    assert_eq!(chart.entries.iter().map(|e| e.name.clone()).collect::<Vec<_>>(), in_order);
    for entry in &chart.entries {
        let values: Vec<f64> = csv
            .lines()
            .skip(1)
            .map(|l| l.split(',').collect::<Vec<_>>())
            .filter(|c| c[scope] == format!("provider:{}", entry.name))
            .map(|c| c[value].parse().unwrap())
            .collect();
        assert_eq!(values.len(), 5);
        let b = entry.boxed.unwrap();
        assert_eq!(
            (b.min, b.max),
            (values.iter().copied().fold(f64::INFINITY, f64::min), values.iter().copied().fold(0.0, f64::max))
        );
        let stats = &providers[&entry.name]["cost_usd_per_session"];
        assert_eq!(entry.mean, stats["mean"].as_f64());
        assert_eq!(entry.ci95, Some((stats["ci95_low"].as_f64().unwrap(), stats["ci95_high"].as_f64().unwrap())));
    }
}

#[test]
fn png_text_is_drawn_with_the_embedded_font_and_no_system_font_library() {
    // The title band of a chart has ink: text was rasterised, and the only
    // font plotters can reach is the registered one (no font-kit, fontconfig).
    let (_s, out) = bundled_run("charts-font", "quickstart.toml", &["--replicates", "2"]);
    let chart = &render_all(&RunData::load(&out).unwrap()).unwrap()[0];
    let (w, _, rgb) = decode_png(&chart.png);
    let title_band = &rgb[..(w as usize * 3 * 40)];
    assert!(title_band.iter().filter(|&&b| b < 100).count() > 200, "no title text in the PNG");
    assert_eq!(sim_report::font::bytes()[..4], [0, 1, 0, 0], "the embedded font is not TrueType");
    let lock = String::from_utf8(read(&Path::new(env!("CARGO_MANIFEST_DIR")).join("../Cargo.lock"))).unwrap();
    for system_font_crate in
        ["font-kit", "yeslogic-fontconfig-sys", "servo-fontconfig", "freetype-sys", "dwrote", "core-text"]
    {
        assert!(
            !lock.contains(&format!("name = \"{system_font_crate}\"")),
            "{system_font_crate} looks fonts up on the system"
        );
    }
}

#[test]
fn report_regenerates_charts_and_leaves_other_files_alone() {
    let (_s, out) = bundled_run("charts-report", "examples/ttl_comparison.toml", &["--replicates", "2", "--no-charts"]);
    let first = agentsim(["report", &arg(&out)]).expect_code(0);
    // Every chart of a plain run has its data here (sweep, capacity and
    // tornado need a sweep, a plan and a sensitivity run): two files each.
    let plain = STEMS.iter().filter(|s| !["sweep", "capacity", "tornado"].contains(s)).count();
    let all = 2 * plain;
    assert!(first.stdout.starts_with(&format!("{all} chart files written to")), "{}", first.stdout);
    assert!(first.stdout.contains("(0 earlier chart files replaced)"), "{}", first.stdout);
    let png = out.join("charts/cost_per_session.png");
    assert!(first.stdout.lines().any(|l| l == png.to_str().unwrap()));
    let before = read(&png);
    std::fs::write(out.join("charts/notes.txt"), "mine").unwrap();
    std::fs::write(out.join("charts/over_time.png"), "stale").unwrap();
    let second = agentsim(["report", &arg(&out)]).expect_code(0);
    assert!(second.stdout.contains(&format!("({all} earlier chart files replaced)")), "{}", second.stdout);
    assert_eq!(read(&png), before, "a second render changed the bytes");
    assert_ne!(read(&out.join("charts/over_time.png")), b"stale");
    assert_eq!(read(&out.join("charts/notes.txt")), b"mine");
    // The run itself is untouched and still complete.
    assert!(sim_cli::run_dir::is_complete(&out));
}

#[test]
fn report_refuses_what_is_not_a_finished_run() {
    let s = Scratch::new("charts-refused");
    for (marker, says) in
        [("partial.json", "agentsim merge"), ("resume.json", "run --resume"), ("notes.txt", "not a complete run")]
    {
        let dir = s.path(marker);
        std::fs::create_dir_all(&dir).unwrap();
        std::fs::write(dir.join(marker), "{}").unwrap();
        let refused = agentsim(["report", &arg(&dir)]).expect_code(2);
        assert!(refused.stderr.contains(says), "{}", refused.stderr);
        assert!(!dir.join("charts").exists());
    }
    agentsim(["report", &arg(&s.path("absent"))]).expect_code(2);
    // A malformed summary.json of a complete run: located, exit 2, nothing written.
    let out = s.path("run");
    run_quiet(&bundled("quickstart.toml"), &out, &["--replicates", "2", "--no-charts"]);
    std::fs::write(out.join("summary.json"), "{\n  \"schema_version\": 2,\n  \"scenario\": oops\n}\n").unwrap();
    let bad = agentsim(["report", &arg(&out)]).expect_code(2);
    assert!(bad.stderr.contains("summary.json:3:"), "{}", bad.stderr);
    assert!(!out.join("charts").exists());
    // A bad number in replicates.csv is named with its line.
    run_quiet(&bundled("quickstart.toml"), &s.path("run2"), &["--replicates", "2", "--no-charts"]);
    let csv = s.path("run2/replicates.csv");
    let text = String::from_utf8(read(&csv)).unwrap();
    let lines: Vec<&str> = text.lines().collect();
    let header: Vec<&str> = lines[0].split(',').collect();
    let col = header.iter().position(|h| *h == "cost_usd_per_session").unwrap();
    let mut cells: Vec<&str> = lines[1].split(',').collect();
    cells[col] = "x1";
    let broken = format!("{}\n{}\n{}\n", lines[0], cells.join(","), lines[2..].join("\n"));
    std::fs::write(&csv, broken).unwrap();
    let bad = agentsim(["report", &arg(&s.path("run2"))]).expect_code(2);
    assert!(bad.stderr.contains("replicates.csv:2: `cost_usd_per_session` is not a number: `x1`"), "{}", bad.stderr);
}

#[test]
fn over_time_hit_rate_is_the_timeseries_token_ratio_and_old_files_still_render() {
    let (_s, out) = bundled_run("charts-over-time", "examples/ttl_comparison.toml", &["--replicates", "2"]);
    let chart = OverTime::from_run(&RunData::load(&out).unwrap()).unwrap().unwrap();
    let csv = String::from_utf8(read(&out.join("timeseries.csv"))).unwrap();
    let rows: Vec<Vec<&str>> = csv.lines().skip(1).map(|l| l.split(',').collect()).collect();
    let header: Vec<&str> = csv.lines().next().unwrap().split(',').collect();
    let col = |name: &str| header.iter().position(|h| *h == name).unwrap();
    let (time, input, read_) = (col("time_s"), col("tokens_input"), col("tokens_cache_read"));
    let (unit, per) = sim_report::charts::over_time::time_unit(rows.last().unwrap()[time].parse().unwrap());
    assert_eq!(chart.unit, unit);
    let expected: Vec<(f64, f64)> = rows
        .iter()
        .filter(|r| r[input] != "0")
        .map(|r| {
            let v = |c: usize| r[c].parse::<f64>().unwrap();
            (v(time) / per, 100.0 * v(read_) / v(input))
        })
        .collect();
    assert!(expected.len() > 10);
    assert_eq!(chart.series[0].panels[3], expected);
    // A timeseries.csv from before the token columns: no hit rate, the rest drawn.
    let old: String = csv.lines().map(|l| l.rsplitn(3, ',').nth(2).unwrap().to_string() + "\n").collect();
    std::fs::write(out.join("timeseries.csv"), old).unwrap();
    let run = RunData::load(&out).unwrap();
    let chart = OverTime::from_run(&run).unwrap().unwrap();
    assert!(chart.series[0].panels[3].is_empty() && !chart.series[0].panels[2].is_empty());
    sim_report::render(&chart).unwrap();
}

#[test]
fn a_forced_run_over_a_charted_run_removes_its_charts_but_not_a_users_file() {
    let (_s, out) = bundled_run("charts-force", "quickstart.toml", &["--replicates", "2"]);
    assert!(out.join("charts/cost_per_session.png").is_file());
    run_quiet(&bundled("quickstart.toml"), &out, &["--replicates", "2", "--force", "--seed", "9", "--no-charts"]);
    assert!(!out.join("charts").exists(), "the previous run's charts survived a --force run");
    agentsim(["report", &arg(&out)]).expect_code(0);
    std::fs::write(out.join("charts/mine.txt"), "keep").unwrap();
    run_quiet(&bundled("quickstart.toml"), &out, &["--replicates", "2", "--force", "--no-charts"]);
    assert_eq!(crate::support::list(&out.join("charts")), ["mine.txt"]);
    // A charted run over it keeps the user's file beside its own charts.
    run_quiet(&bundled("quickstart.toml"), &out, &["--replicates", "2", "--force"]);
    let listed = crate::support::list(&out.join("charts"));
    assert!(listed.contains(&"mine.txt".to_string()) && listed.contains(&"cost_per_session.svg".to_string()));
    assert!(sim_cli::run_dir::is_complete(&out));
}

/// The chart files of `dir`'s manifest.
fn listed_charts(dir: &Path) -> Vec<String> {
    let files = read_json(&dir.join("manifest.json"))["files"].clone();
    files
        .as_array()
        .unwrap()
        .iter()
        .filter_map(|f| f.as_str())
        .filter(|f| f.starts_with("charts/"))
        .map(String::from)
        .collect()
}

/// Asserts that `dir` holds `stem`'s PNG and well-formed SVG, listed in its manifest.
#[track_caller]
fn assert_chart(dir: &Path, stem: &str) {
    let (w, h, _) = decode_png(&read(&dir.join(format!("charts/{stem}.png"))));
    assert_eq!((w, h), (1200, 700));
    assert_well_formed_xml(std::str::from_utf8(&read(&dir.join(format!("charts/{stem}.svg")))).unwrap());
    let listed = listed_charts(dir);
    assert!(
        listed.contains(&format!("charts/{stem}.png")) && listed.contains(&format!("charts/{stem}.svg")),
        "{listed:?}"
    );
    assert!(sim_cli::run_dir::is_complete(dir));
}

#[test]
fn no_charts_leaves_a_run_without_charts() {
    let (_s, out) = bundled_run("charts-none", "quickstart.toml", &["--replicates", "2", "--no-charts"]);
    assert!(!out.join("charts").exists());
    assert!(listed_charts(&out).is_empty() && sim_cli::run_dir::is_complete(&out));
}

#[test]
fn sensitivity_draws_a_tornado_whose_bars_are_its_csv() {
    let s = Scratch::new("charts-tornado");
    let (a, b) = (s.path("a"), s.path("b"));
    for out in [&a, &b] {
        let scenario = arg(&bundled("examples/sensitivity.toml"));
        let ttl = "providers[0].cache.ttl=5m,1h";
        let args = ["sensitivity", &scenario, "--metric", "cost_usd_per_session", "--param", ttl, "--replicates", "3"];
        agentsim(args.into_iter().chain(["--out", &arg(out), "-q"])).expect_code(0);
    }
    assert_chart(&a, "tornado");
    crate::support::assert_same_charts(&a, &b);
    let chart = Tornado::from_run(&RunData::load(&a).unwrap()).unwrap().unwrap();
    let file = a.join("sensitivity.csv");
    let t = sim_report::Table::parse(file.clone(), &read(&file)).unwrap();
    let col = |n: &str| t.column(n).unwrap();
    let mut checked = 0;
    for row in &t.rows {
        let bar = chart.bars.iter().find(|b| b.parameter == t.text(row, col("parameter"))).unwrap();
        let side = if t.text(row, col("side")) == "low" { &bar.low } else { &bar.high };
        assert_eq!(side.as_ref().unwrap().diff_mean, t.text(row, col("diff_mean")).parse::<f64>().unwrap());
        checked += 1;
    }
    assert_eq!(checked, 2 * chart.bars.len());
    assert!(chart.bars.len() >= 2 && chart.bars[0].parameter == "providers[0].cache.ttl");
}

#[test]
fn sensitivity_draws_one_tornado_per_metric() {
    let s = Scratch::new("charts-tornados");
    let out = s.path("a");
    let scenario = arg(&bundled("examples/sensitivity.toml"));
    let (ttl, m1, m2) = ("providers[0].cache.ttl=5m,1h", "cost_usd_per_session", "ttft_s_p95");
    let args = ["sensitivity", &scenario, "--metric", m1, "--metric", m2, "--param", ttl, "--replicates", "2"];
    agentsim(args.into_iter().chain(["--out", &arg(&out), "-q"])).expect_code(0);
    assert_chart(&out, "tornado");
    assert_chart(&out, &format!("tornado_{m2}"));
    let tornados = Tornado::each_from_run(&RunData::load(&out).unwrap()).unwrap();
    assert_eq!(tornados.iter().map(|t| t.metric.as_str()).collect::<Vec<_>>(), [m1, m2]);
    let svg = String::from_utf8(read(&out.join(format!("charts/tornado_{m2}.svg")))).unwrap();
    assert!(svg.contains(&format!("moves {m2} most")) || svg.contains(&format!("effect on {m2}")), "its own metric");
    let html = String::from_utf8(read(&out.join("report.html"))).unwrap();
    assert!(html.contains("id=\"chart-tornado\"") && html.contains(&format!("id=\"chart-tornado_{m2}\"")));
    // `agentsim report` finds both again as agentsim's.
    let n = listed_charts(&out).len();
    let again = agentsim(["report", &arg(&out)]).expect_code(0);
    assert!(again.stdout.starts_with(&format!("{n} chart files written")), "{}", again.stdout);
    assert!(again.stdout.contains(&format!("({n} earlier chart files replaced)")), "{}", again.stdout);
}

#[test]
fn plan_draws_capacity_and_report_redraws_it() {
    let s = Scratch::new("charts-capacity");
    let out = s.path("plan");
    let scenario = arg(&bundled("examples/capacity_plan.toml"));
    let search = "workloads[0].arrivals.rate_per_s=0.05..2:log";
    let args = ["plan", &scenario, "--slo", "ttft_s_p95<=3", "--search", search, "--replicates", "2"];
    agentsim(args.into_iter().chain(["--out", &arg(&out), "-q"])).expect_code(0);
    assert_chart(&out, "capacity");
    assert_eq!(listed_charts(&out), ["charts/capacity.png", "charts/capacity.svg"]);
    // The objective's panel, then the cost panel: plan.csv's cost columns, by value.
    let chart = Capacity::from_run(&RunData::load(&out).unwrap()).unwrap().unwrap();
    let metrics: Vec<&str> = chart.panels.iter().map(|p| p.metric.as_str()).collect();
    assert_eq!(metrics, ["ttft_s_p95", "cost_usd_per_session"]);
    let t = sim_report::Table::parse(out.join("plan.csv"), &read(&out.join("plan.csv"))).unwrap();
    let cell = |row, c: &str| t.number(row, t.column(c).unwrap()).unwrap();
    let mut expected: Vec<(f64, Option<f64>)> =
        t.rows.iter().map(|r| (cell(r, "value").unwrap(), cell(r, "cost_usd_per_session_mean"))).collect();
    expected.sort_by(|a, b| a.0.total_cmp(&b.0));
    let drawn: Vec<(f64, Option<f64>)> = chart.panels[1].points.iter().map(|p| (p.value, p.mean)).collect();
    assert_eq!(drawn, expected);
    assert!(chart.heading().title.contains("; there a session costs "), "{}", chart.heading().title);
    let before = read(&out.join("charts/capacity.svg"));
    let again = agentsim(["report", &arg(&out)]).expect_code(0);
    assert!(again.stdout.starts_with("2 chart files written"), "{}", again.stdout);
    assert_eq!(read(&out.join("charts/capacity.svg")), before, "report drew other bytes than plan");
}
