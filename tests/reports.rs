//! report.html and report.md of real runs (`agentsim report`): the HTML
//! parses as XML, holds every section and every chart inline, references no
//! other file or site and has no script; report.md has the same sections
//! and links each chart's PNG; the run writes both itself (listed in its
//! manifest) and `agentsim report` writes the same bytes again; a run forced
//! over the directory removes them.

use crate::support::{agentsim, arg, bundled, bundled_run, read, read_json, run_quiet};
use sim_report::STEMS;
use sim_report::report::{SECTIONS, html::anchor};
use std::path::Path;

/// Elements that load or run something: none may appear in the report.
const FETCHING: [&str; 9] = ["script", "link", "img", "iframe", "object", "embed", "image", "use", "base"];

/// Parses report.html as XML and checks it is self-contained; returns the
/// ids of its `<h2>`s and `<figure>`s in order.
fn check_html(text: &str) -> (Vec<String>, Vec<String>) {
    let options = roxmltree::ParsingOptions { allow_dtd: true, ..Default::default() };
    let doc = roxmltree::Document::parse_with_options(text, options).unwrap_or_else(|e| panic!("not well-formed: {e}"));
    let (mut headings, mut figures) = (Vec::new(), Vec::new());
    for node in doc.descendants().filter(roxmltree::Node::is_element) {
        let name = node.tag_name().name();
        assert!(!FETCHING.contains(&name), "<{name}> in report.html");
        for a in node.attributes() {
            let (attr, value) = (a.name(), a.value());
            assert!(
                !matches!(attr, "src" | "href" | "srcset" | "action" | "data" | "poster") || value.starts_with('#'),
                "<{name} {attr}=\"{value}\"> references another resource"
            );
            assert!(!attr.starts_with("on"), "<{name} {attr}>: an event handler is script");
            assert!(!value.contains("url("), "<{name} {attr}=\"{value}\"> fetches a URL");
        }
        if name == "style" {
            let css = node.text().unwrap_or("");
            assert!(!css.contains("url(") && !css.contains("@import"), "the style fetches something");
        }
        match name {
            "h2" => headings.push(node.attribute("id").unwrap_or("").to_string()),
            "figure" => {
                assert!(
                    node.descendants().any(|n| n.has_tag_name(("http://www.w3.org/2000/svg", "svg"))),
                    "a figure without its SVG inline"
                );
                figures.push(node.attribute("id").unwrap_or("").to_string());
            }
            _ => {}
        }
    }
    (headings, figures)
}

/// A run of `scenario` with its reports, which the run wrote itself (listed
/// in its manifest) and `agentsim report` then writes again byte for byte.
fn report_of(tag: &str, scenario: &str) -> (crate::support::Scratch, std::path::PathBuf) {
    let (s, out) = bundled_run(tag, scenario, &["--replicates", "2"]);
    let files = read_json(&out.join("manifest.json"))["files"].clone();
    let listed: Vec<&str> = files.as_array().unwrap().iter().filter_map(|f| f.as_str()).collect();
    assert!(listed.contains(&"report.html") && listed.contains(&"report.md"), "{listed:?}");
    assert_eq!(listed.last(), Some(&"manifest.json"));
    let (html, md) = (text(&out.join("report.html")), text(&out.join("report.md")));
    agentsim(["report", &arg(&out)]).expect_code(0);
    assert!(text(&out.join("report.html")) == html, "{scenario}: report.html differs from the run's");
    assert!(text(&out.join("report.md")) == md, "{scenario}: report.md differs from the run's");
    (s, out)
}

fn text(path: &Path) -> String {
    String::from_utf8(read(path)).unwrap()
}

#[test]
fn report_html_is_well_formed_self_contained_and_complete() {
    let (_s, out) = report_of("reports-ttl", "examples/ttl_comparison.toml");
    let html = text(&out.join("report.html"));
    let (headings, figures) = check_html(&html);
    assert_eq!(headings, SECTIONS.map(anchor));
    // One figure per chart this run has (a plain run has no sweep, capacity or tornado chart).
    let drawn: Vec<String> =
        STEMS.iter().filter(|s| out.join(format!("charts/{s}.svg")).exists()).map(|s| format!("chart-{s}")).collect();
    assert_eq!(drawn.len(), STEMS.len() - 3, "{drawn:?}");
    assert_eq!(figures, drawn);
    // The charts inline are the files of charts/, byte for byte.
    for stem in drawn.iter().map(|d| d.trim_start_matches("chart-")) {
        let svg = text(&out.join(format!("charts/{stem}.svg")));
        assert!(html.contains(svg.trim()), "{stem}.svg is not inlined as written");
    }
    // Findings and tables carry summary.json's numbers and the manifest's command.
    let summary = read_json(&out.join("summary.json"));
    let manifest = read_json(&out.join("manifest.json"));
    assert!(html.contains("Cheapest variant: ttl-1h, "), "no cheapest variant");
    assert!(html.contains("ttl-1h against baseline: cost per session -"), "no saving against the baseline");
    let metrics = summary["variants"][0]["metrics"].as_object().unwrap();
    for name in metrics.keys() {
        assert!(html.contains(&format!("<td>{name}</td>")), "metric {name} has no row");
    }
    let seed = manifest["seed"].as_u64().unwrap();
    assert!(html.contains(&format!("<li>seed: {seed}</li>")));
    assert!(html.contains(manifest["scenario_sha256"].as_str().unwrap()));
    assert!(html.contains("examples/ttl_comparison.toml --out"), "no reproducing command");
    // The provider's prices, as_of date and the preset's assumed numbers.
    assert!(html.contains("<td>2026-11-20</td>") && html.contains("<td class=\"n\">3</td><td class=\"n\">15</td>"));
    assert!(html.contains("<td>serving.slots</td>"), "the preset's assumed slots are not listed");
    // report.md: the same sections, a link to every chart's PNG.
    let md = text(&out.join("report.md"));
    for section in SECTIONS {
        assert!(md.contains(&format!("\n## {section}\n")), "report.md lacks {section}");
    }
    for stem in drawn.iter().map(|d| d.trim_start_matches("chart-")) {
        assert!(md.contains(&format!("](charts/{stem}.png)")), "report.md does not link {stem}.png");
    }
    // Rendered again: the same bytes.
    agentsim(["report", &arg(&out)]).expect_code(0);
    assert_eq!(text(&out.join("report.html")), html);
    assert_eq!(text(&out.join("report.md")), md);
    // A run forced over the directory removes the reports (they described the
    // old run) and, with --no-charts, writes none.
    run_quiet(&bundled("examples/ttl_comparison.toml"), &out, &["--replicates", "2", "--force", "--no-charts"]);
    assert!(!out.join("report.html").exists() && !out.join("report.md").exists());
}

#[test]
fn a_provider_comparison_reports_per_provider_and_a_sweep_reports_too() {
    let (_s, out) = report_of("reports-providers", "examples/provider_comparison.toml");
    let html = text(&out.join("report.html"));
    check_html(&html);
    let summary = read_json(&out.join("summary.json"));
    let providers = summary["variants"][0]["by_provider"].as_object().unwrap();
    assert!(providers.len() > 1);
    for name in providers.keys() {
        assert!(html.contains(&format!("<h3>Variant baseline, provider {name}</h3>")), "no table for {name}");
    }
    assert!(html.contains("Cheapest provider: "));
    let (_s2, sweep) = report_of("reports-sweep", "examples/ttl_sweep.toml");
    let (headings, _) = check_html(&text(&sweep.join("report.html")));
    assert_eq!(headings.len(), SECTIONS.len());
}

/// Where a provider bills by time of day, the key findings say what another
/// start hour would cost (summary.json's start_time_spread).
#[test]
fn an_off_peak_run_reports_its_start_time_spread() {
    let (_s, out) = report_of("reports-off-peak", "examples/off_peak.toml");
    let md = text(&out.join("report.md"));
    assert!(md.contains("Start time: started at 02:00 UTC the run cost "), "{md}");
    // Off-peak from 10:00 covers the whole three-hour batch and its drain.
    assert!(md.contains("would cost the least started at 10:00 UTC (0."), "{md}");
    assert!(md.contains("and the most at 06:00 UTC (0."), "{md}");
    assert!(!text(&out.join("report.html")).is_empty());
    let (_q, quick) = report_of("reports-flat-prices", "quickstart.toml");
    assert!(!text(&quick.join("report.md")).contains("Start time"));
}
