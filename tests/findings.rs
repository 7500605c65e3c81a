//! docs/findings.md quotes the output of `scenarios/examples/cache_claim.toml`:
//! the quoted summary.csv lines must be what the bundled scenario writes now,
//! and they must still support what the page concludes.

use crate::support::bundled_run;
use std::path::Path;

/// The fields the page's command keeps (`cut -d, -f2,4,13-15`, 1-based) of
/// the rows it selects (`grep -E '^cached,workload:[^,]*,blended_usd_per_mtok,'`).
fn selected(summary_csv: &str) -> Vec<Vec<String>> {
    summary_csv
        .lines()
        .filter(|l| l.starts_with("cached,workload:") && l.split(',').nth(2) == Some("blended_usd_per_mtok"))
        .map(|l| {
            let f: Vec<&str> = l.split(',').collect();
            [1, 3, 12, 13, 14].iter().map(|&i| f[i].to_string()).collect()
        })
        .collect()
}

/// The lines of the code block under the page's `cut` command's output.
fn quoted() -> Vec<Vec<String>> {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("../docs/findings.md");
    let text = std::fs::read_to_string(path).unwrap();
    text.lines().filter(|l| l.starts_with("workload:")).map(|l| l.split(',').map(str::to_string).collect()).collect()
}

#[test]
fn the_findings_quote_what_the_claim_scenario_writes() {
    let (_s, out) = bundled_run("findings-claim", "examples/cache_claim.toml", &[]);
    let written = selected(&std::fs::read_to_string(out.join("summary.csv")).unwrap());
    let quoted = quoted();
    assert_eq!(written.len(), 4, "one row per workload: {written:?}");
    assert_eq!(quoted.len(), written.len(), "docs/findings.md quotes {quoted:?}");
    for (q, w) in quoted.iter().zip(&written) {
        assert_eq!(q[0], w[0], "workload order");
        for (qv, wv) in q[1..].iter().zip(&w[1..]) {
            let (qv, wv): (f64, f64) = (qv.parse().unwrap(), wv.parse().unwrap());
            // Tolerant only of the platform's last bits of ln/exp (README).
            assert!((qv - wv).abs() <= 1e-9 * wv.abs().max(1e-12), "{}: quoted {qv}, written {wv}", q[0]);
        }
    }
    // What the page concludes: both agents save beyond 75% with the whole
    // interval; the chat saves nothing provable on Sonnet (interval spans
    // zero) and 15-35% on GPT.
    let rel = |name: &str| {
        let row = written.iter().find(|r| r[0] == format!("workload:{name}")).unwrap();
        let v: Vec<f64> = row[2..].iter().map(|x| x.parse().unwrap()).collect();
        (v[0], v[1], v[2])
    };
    for agent in ["agent-sonnet", "agent-gpt"] {
        assert!(rel(agent).2 < -0.75, "{agent}: {:?}", rel(agent));
    }
    let (_, lo, hi) = rel("chat-sonnet");
    assert!(lo < 0.0 && hi > 0.0, "chat-sonnet: {lo} {hi}");
    let (_, lo, hi) = rel("chat-gpt");
    assert!(lo > -0.35 && hi < -0.15, "chat-gpt: {lo} {hi}");
}
