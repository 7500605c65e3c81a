//! summary.json reads back into sim-core's `Summary` (what sim-report
//! charts) and serialises to the same bytes: every field, in order, every
//! float exact; a sweep's summary reads as its point 0 plus `sweep`.

use crate::support::{bundled_run, read, read_json};
use sim_core::metrics::Summary;

/// summary.json as agentsim writes every JSON file: pretty, newline-terminated.
fn to_file(value: &Summary) -> Vec<u8> {
    let mut bytes = serde_json::to_vec_pretty(value).unwrap();
    bytes.push(b'\n');
    bytes
}

#[test]
fn a_run_with_variants_round_trips_byte_for_byte() {
    let (_s, out) =
        bundled_run("roundtrip-variants", "examples/ttl_comparison.toml", &["--replicates", "3", "--target-ci", "0.5"]);
    let bytes = read(&out.join("summary.json"));
    let summary: Summary = serde_json::from_slice(&bytes).unwrap();
    assert_eq!(summary.variants.len(), 2);
    assert!(summary.variants[1].diff_vs_baseline.is_some() && summary.ranking.is_some() && summary.target_ci.is_some());
    let (again, original) = (String::from_utf8(to_file(&summary)).unwrap(), String::from_utf8(bytes).unwrap());
    let first_difference = again.lines().zip(original.lines()).enumerate().find(|(_, (a, b))| a != b);
    assert_eq!(first_difference, None, "line (0-based) differs: written back vs summary.json");
    assert_eq!(again.len(), original.len());
}

#[test]
fn a_sweep_reads_as_point_0_and_its_points_round_trip() {
    let (_s, out) = bundled_run("roundtrip-sweep", "examples/ttl_sweep.toml", &["--replicates", "2"]);
    let mut file = read_json(&out.join("summary.json"));
    let run = sim_report::RunData::load(&out).unwrap();
    let sweep = run.sweep.as_ref().expect("the sweep field");
    assert!(sweep.points.len() >= 2);
    for (point, json) in sweep.points.iter().zip(file["sweep"]["points"].as_array().unwrap()) {
        assert_eq!(serde_json::to_value(&point.variants).unwrap(), json["variants"]);
        assert_eq!(serde_json::to_value(&point.values).unwrap(), json["values"]);
    }
    file.as_object_mut().unwrap().remove("sweep");
    assert_eq!(serde_json::to_value(&run.summary).unwrap(), file);
    assert_eq!(
        serde_json::to_value(&run.summary.variants).unwrap(),
        serde_json::to_value(&sweep.points[0].variants).unwrap()
    );
}
