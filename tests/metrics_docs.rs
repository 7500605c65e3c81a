//! docs/outputs.md's metric table against sim-core's metric registry: every
//! metric the summary writes is documented, in the order written, with the
//! registry's unit, as undefined in a workload scope exactly when the registry
//! says so, and nothing else is documented, so the reference cannot drift.

use sim_core::metrics::{METRICS, ScopeSet, TIER_PLACEHOLDER, metric_names};
use std::path::Path;

/// One metric as the docs table lists it.
#[derive(Debug)]
struct DocRow {
    name: String,
    unit: String,
    undefined_when: String,
}

/// The rows of the table under `## Metrics`, with the names a row lists
/// together (`ttft_s_p50`, `ttft_s_p95`, ...) split into one row each.
fn documented_metrics() -> Vec<DocRow> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/outputs.md");
    let text = std::fs::read_to_string(path).unwrap();
    let section = text.split("\n## Metrics\n").nth(1).expect("a `## Metrics` section");
    let section = section.split("\n## ").next().unwrap();
    let mut rows = Vec::new();
    for row in section.lines().filter(|l| l.starts_with("| `")) {
        // | metric | unit | definition | undefined when |
        let cells: Vec<&str> = row.split('|').map(str::trim).collect();
        assert_eq!(cells.len(), 6, "a row of other than 4 cells (a `|` in a cell?): {row}");
        for name in cells[1].split(',') {
            rows.push(DocRow {
                name: name.trim().trim_matches('`').to_string(),
                unit: cells[2].to_string(),
                undefined_when: cells[4].to_string(),
            });
        }
    }
    rows
}

#[test]
fn the_metric_table_lists_every_metric_in_order_and_no_other() {
    // The per-tier metric stands for one name per cache tier.
    let code = metric_names(&[TIER_PLACEHOLDER.to_string()]);
    let docs: Vec<String> = documented_metrics().into_iter().map(|r| r.name).collect();
    let missing: Vec<_> = code.iter().filter(|n| !docs.contains(n)).collect();
    let stale: Vec<_> = docs.iter().filter(|n| !code.contains(n)).collect();
    assert!(missing.is_empty(), "metrics missing from docs/outputs.md: {missing:?}");
    assert!(stale.is_empty(), "docs/outputs.md documents metrics that do not exist: {stale:?}");
    assert_eq!(docs, code, "docs/outputs.md lists the metrics in another order than they are written");
}

#[test]
fn units_and_scopes_agree_with_the_registry() {
    let docs = documented_metrics();
    for def in METRICS {
        let row = docs.iter().find(|r| r.name == def.name).unwrap_or_else(|| panic!("{} not documented", def.name));
        assert_eq!(row.unit, def.unit, "unit of {} in docs/outputs.md", def.name);
        let workload_undefined = row.undefined_when.contains("workload scope");
        assert_eq!(
            workload_undefined,
            def.scopes == ScopeSet::ProvidersAndOverall,
            "{}: docs say undefined when `{}`, the registry says {:?}",
            def.name,
            row.undefined_when,
            def.scopes
        );
    }
}

#[test]
fn the_table_is_read_as_it_is_written() {
    // The reader must see a row listing several names as several metrics.
    let docs = documented_metrics();
    for name in ["ttft_s_p50", "ttft_s_p99", "tpot_s_p95", "session_duration_s_p95", "tokens_cache_write_<tier>"] {
        assert!(docs.iter().any(|d| d.name == name), "{name} not read from the table");
    }
}
