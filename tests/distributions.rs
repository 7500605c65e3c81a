//! distributions.csv end to end: its grid of quantiles per variant, and its
//! p50/p95/p99 rows equal to summary.json's means of the same percentiles
//! (the mean over replicates of each quantile is that mean, bit for bit).

use crate::support::{Scratch, read, read_json, run_quiet, small_scenario};

/// (variant, distribution, quantile, value) rows of a plain run's file.
fn rows(text: &str) -> Vec<(String, String, f64, Option<f64>)> {
    let mut lines = text.lines();
    assert_eq!(lines.next(), Some("variant,distribution,quantile,value"));
    lines
        .map(|l| {
            let c: Vec<&str> = l.split(',').collect();
            assert_eq!(c.len(), 4, "{l}");
            (c[0].to_string(), c[1].to_string(), c[2].parse().unwrap(), c[3].parse().ok())
        })
        .collect()
}

#[test]
fn the_grid_percentiles_are_summary_json_means_for_every_variant() {
    let s = Scratch::new("distributions");
    let out = s.path("run");
    run_quiet(&small_scenario(&s), &out, &["--replicates", "5", "--variant", "slow=providers[0].serving.slots=1"]);
    let rows = rows(&String::from_utf8(read(&out.join("distributions.csv"))).unwrap());
    let summary = read_json(&out.join("summary.json"));
    let variants = summary["variants"].as_array().unwrap();
    assert_eq!(rows.len(), variants.len() * 3 * 101);
    for (i, v) in variants.iter().enumerate() {
        let name = v["name"].as_str().unwrap();
        let mine: Vec<_> = rows[i * 303..(i + 1) * 303].iter().collect();
        assert!(mine.iter().all(|r| r.0 == name));
        for (d, (dist, metric)) in
            [("ttft_s", "ttft_s"), ("e2e_s", "e2e_s"), ("session_cost_usd", "cost_usd_per_session")]
                .into_iter()
                .enumerate()
        {
            let grid = &mine[d * 101..(d + 1) * 101];
            assert!(grid.iter().all(|r| r.1 == dist));
            // A CDF: quantiles ascend, and so do their values.
            assert!(grid.windows(2).all(|w| w[0].2 < w[1].2 && w[0].3.unwrap() <= w[1].3.unwrap()), "{dist}");
            for (q, p) in [(0.5, "p50"), (0.95, "p95"), (0.99, "p99")] {
                let row = grid.iter().find(|r| r.2 == q).unwrap();
                let mean = v["metrics"][format!("{metric}_{p}")]["mean"].as_f64();
                assert_eq!(row.3, mean, "{name} {dist} at {q}");
            }
        }
    }
}
