//! docs/outputs.md's metric table against the code: every metric the
//! summary writes is documented, in the order written, and nothing else is,
//! so the reference cannot drift from `metric_names`.

use sim_core::metrics::metric_names;
use std::path::Path;

/// The first column of each row of the table under `## Metrics`, with the
/// names a row lists together (`ttft_s_p50`, `ttft_s_p95`, ...) split.
fn documented_metrics() -> Vec<String> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/outputs.md");
    let text = std::fs::read_to_string(path).unwrap();
    let section = text.split("\n## Metrics\n").nth(1).expect("a `## Metrics` section");
    let section = section.split("\n## ").next().unwrap();
    let mut names = Vec::new();
    for row in section.lines().filter(|l| l.starts_with("| `")) {
        let first_cell = row.split('|').nth(1).unwrap();
        names.extend(first_cell.split(',').map(|n| n.trim().trim_matches('`').to_string()));
    }
    names
}

#[test]
fn the_metric_table_lists_every_metric_in_order_and_no_other() {
    // The per-tier metric stands for one name per cache tier.
    let code = metric_names(&["<tier>".to_string()]);
    let docs = documented_metrics();
    let missing: Vec<_> = code.iter().filter(|n| !docs.contains(n)).collect();
    let stale: Vec<_> = docs.iter().filter(|n| !code.contains(n)).collect();
    assert!(missing.is_empty(), "metrics missing from docs/outputs.md: {missing:?}");
    assert!(stale.is_empty(), "docs/outputs.md documents metrics that do not exist: {stale:?}");
    assert_eq!(docs, code, "docs/outputs.md lists the metrics in another order than they are written");
}

#[test]
fn the_table_is_read_as_it_is_written() {
    // The reader must see a row listing several names as several metrics.
    let docs = documented_metrics();
    for name in ["ttft_s_p50", "ttft_s_p99", "tpot_s_p95", "session_duration_s_p95", "tokens_cache_write_<tier>"] {
        assert!(docs.iter().any(|d| d == name), "{name} not read from the table");
    }
}
