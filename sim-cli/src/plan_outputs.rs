//! What `agentsim plan` writes and prints for a search: `plan.csv` (one row
//! per evaluated point, in evaluation order), `plan.json` (the answer), and
//! the answer sentence with the table of points. Bytes depend only on the
//! points, never on threads or timing.

use crate::columns::align;
use crate::csv_row::opt_cell;
use crate::outputs;
use crate::plan_cmd::{COST_METRIC, PointData, Searched};
use crate::report_table::{human, interval_cell, mean_cell};
use anyhow::Context as _;
use serde::Serialize;
use sim_core::metrics::MetricStats;
use sim_core::plan::{Direction, KeyKind, Objective, Point, Status, value_text};

/// The column prefix of each objective in a CSV: the metric as written, with
/// `#2`, `#3`... when the same metric has several objectives.
pub fn objective_columns(objectives: &[Objective]) -> Vec<String> {
    let labels: Vec<String> = objectives.iter().map(Objective::metric_label).collect();
    labels
        .iter()
        .enumerate()
        .map(|(i, l)| match labels[..i].iter().filter(|x| *x == l).count() {
            0 => l.clone(),
            k => format!("{l}#{}", k + 1),
        })
        .collect()
}

/// The header cells of objectives, four per objective.
pub fn objective_header(objectives: &[Objective]) -> Vec<String> {
    objective_columns(objectives)
        .iter()
        .flat_map(|c| ["mean", "ci95_low", "ci95_high", "verdict"].map(|s| format!("{c}_{s}")))
        .collect()
}

/// The cells of objectives at one point, in [`objective_header`] order.
pub fn objective_cells(judged: &sim_core::plan::Judged) -> Vec<String> {
    judged
        .stats
        .iter()
        .zip(&judged.verdicts)
        .flat_map(|(s, v)| [opt_cell(s.mean), opt_cell(s.ci95_low), opt_cell(s.ci95_high), v.name().to_string()])
        .collect()
}

/// `plan.csv`.
pub fn plan_csv(s: &Searched) -> anyhow::Result<Vec<u8>> {
    let mut w = csv::Writer::from_writer(Vec::new());
    let head = ["index", "value"].map(String::from).into_iter().chain(objective_header(&s.objectives));
    let cost = ["mean", "ci95_low", "ci95_high"].map(|s| format!("{COST_METRIC}_{s}"));
    let tail = ["all_met", "saturated", "sessions_active_mean", "concurrency_mean"].map(String::from);
    w.write_record(head.chain(tail).chain(cost))?;
    for (i, p) in s.result.points.iter().enumerate() {
        let d = &p.data;
        let row = [i.to_string(), value_text(s.kind, p.value)].into_iter().chain(objective_cells(&d.judged));
        w.write_record(row.chain([
            p.met.to_string(),
            d.judged.saturated.to_string(),
            opt_cell(d.sessions_active.mean),
            opt_cell(d.concurrency.mean),
            opt_cell(d.cost_per_session.mean),
            opt_cell(d.cost_per_session.ci95_low),
            opt_cell(d.cost_per_session.ci95_high),
        ]))?;
    }
    outputs::finish(w)
}

#[derive(Serialize)]
struct PlanJson<'a> {
    scenario: &'a str,
    seed: u64,
    replicates: u32,
    search: SearchJson<'a>,
    direction: Direction,
    objectives: Vec<String>,
    status: Status,
    answer: Option<serde_json::Value>,
    /// [closest value met, closest value missed]; `found` only.
    bracket: Option<[serde_json::Value; 2]>,
    /// At the answer: Little's law's L, measured as time averages.
    implied: Option<Implied>,
    /// At the answer: cost per session with its statistics.
    cost_usd_per_session: Option<MetricStats>,
    evaluations: usize,
    saturated_points: usize,
}

#[derive(Serialize)]
struct SearchJson<'a> {
    path: &'a str,
    lo: serde_json::Value,
    hi: serde_json::Value,
    kind: KeyKind,
    log: bool,
    /// Float keys only.
    tolerance: Option<f64>,
}

#[derive(Serialize)]
struct Implied {
    sessions_active_mean: MetricStats,
    concurrency_mean: MetricStats,
}

/// The point evaluated at the answer.
fn answer_point(s: &Searched) -> Option<&Point<PointData>> {
    let answer = s.result.answer?;
    s.result.points.iter().find(|p| p.value == answer)
}

/// A searched value in JSON: an integer key's values are integers.
fn number(kind: KeyKind, x: f64) -> serde_json::Value {
    match kind {
        KeyKind::Integer => serde_json::Value::from(x as i64),
        KeyKind::Float => serde_json::Value::from(x),
    }
}

/// `plan.json`.
pub fn plan_json(s: &Searched) -> anyhow::Result<Vec<u8>> {
    let r = &s.result;
    let json = PlanJson {
        scenario: &s.scenario_name,
        seed: s.opts.seed,
        replicates: s.opts.replicates,
        search: SearchJson {
            path: &s.spec.path,
            lo: number(s.kind, s.spec.lo),
            hi: number(s.kind, s.spec.hi),
            kind: s.kind,
            log: s.spec.log,
            tolerance: (s.kind == KeyKind::Float).then_some(s.tolerance),
        },
        direction: s.direction,
        objectives: s.objectives.iter().map(Objective::label).collect(),
        status: r.status,
        answer: r.answer.map(|a| number(s.kind, a)),
        bracket: r.bracket.map(|(met, missed)| [number(s.kind, met), number(s.kind, missed)]),
        implied: answer_point(s)
            .map(|p| Implied { sessions_active_mean: p.data.sessions_active, concurrency_mean: p.data.concurrency }),
        cost_usd_per_session: answer_point(s).map(|p| p.data.cost_per_session),
        evaluations: r.points.len(),
        saturated_points: r.points.iter().filter(|p| p.data.judged.saturated).count(),
    };
    outputs::json_file(&json).context("cannot serialise plan.json")
}

/// The answer in one sentence, the bracket and the implied concurrency,
/// then the table of evaluated points.
pub fn search_text(s: &Searched) -> String {
    let (path, r) = (&s.spec.path, &s.result);
    // Four significant digits for reading; the files keep every digit.
    let v = |x: f64| if s.kind == KeyKind::Float { human(x) } else { value_text(s.kind, x) };
    let (lo, hi) = (v(s.spec.lo), v(s.spec.hi));
    let which = if s.direction == Direction::Maximize { "largest" } else { "smallest" };
    let mut out = match (r.status, r.answer) {
        (Status::Found, Some(a)) => format!("The {which} {path} meeting every objective is {}.\n", v(a)),
        (Status::MetEverywhere, Some(a)) => format!(
            "Every objective is met across the whole range {lo}..{hi}: the answer is at least {} (widen the range).\n",
            v(a)
        ),
        (Status::WrongDirection, _) => {
            let other = if s.direction == Direction::Maximize { "--minimize" } else { "--maximize" };
            format!(
                "The objectives are met only at the end of {lo}..{hi} where they should be hardest to meet: \
                 they move the other way as {path} grows; try {other}.\n"
            )
        }
        _ => format!("No value in {lo}..{hi} meets every objective: they are missed across the whole range.\n"),
    };
    if let Some((met, missed)) = r.bracket {
        // A bracket narrower than the digits shown is shown in full.
        let full = v(met) == v(missed);
        let b = |x: f64| if full { value_text(s.kind, x) } else { v(x) };
        out.push_str(&format!("bracket: met at {}, not met at {}\n", b(met), b(missed)));
    }
    if let Some(p) = answer_point(s) {
        let (a, c) = (&p.data.sessions_active, &p.data.concurrency);
        out.push_str(&format!(
            "implied concurrency (Little's law, at {}): {} sessions active {}, {} requests in flight {}\n",
            v(p.value),
            mean_cell(a),
            interval_cell(a),
            mean_cell(c),
            interval_cell(c)
        ));
    }
    let saturated = r.points.iter().filter(|p| p.data.judged.saturated).count();
    if saturated > 0 {
        out.push_str(&format!(
            "{saturated} of {} points saturated: a queue grew without bound over the run (never met)\n",
            r.points.len()
        ));
    }
    out.push('\n');
    let cols = objective_display_columns(&s.objectives);
    let head =
        ["#", "value"].into_iter().map(String::from).chain(cols).chain(["all met", "saturated"].map(String::from));
    let mut rows = vec![head.collect::<Vec<_>>()];
    for (i, p) in r.points.iter().enumerate() {
        let j = &p.data.judged;
        let row = [(i + 1).to_string(), v(p.value)].into_iter().chain(objective_display_cells(j));
        rows.push(row.chain([yes(p.met), yes(j.saturated)]).collect());
    }
    // Numbers right-aligned, words (verdicts, yes/no) left-aligned.
    let left: Vec<bool> = rows[0].iter().map(|h| h == "verdict" || h == "all met" || h == "saturated").collect();
    for line in align(&rows, &left) {
        out.push_str(&line);
        out.push('\n');
    }
    out
}

/// The printed tables' objective columns: each metric, then its verdict.
pub fn objective_display_columns(objectives: &[Objective]) -> Vec<String> {
    objective_columns(objectives).into_iter().flat_map(|c| [c, "verdict".to_string()]).collect()
}

/// One row's cells under [`objective_display_columns`].
pub fn objective_display_cells(j: &sim_core::plan::Judged) -> Vec<String> {
    j.stats.iter().zip(&j.verdicts).flat_map(|(st, vd)| [stat_cell(st, ""), vd.name().to_string()]).collect()
}

/// `mean [low, high] verdict`.
pub fn stat_cell(s: &MetricStats, verdict: &str) -> String {
    let interval = interval_cell(s);
    let interval = if interval.is_empty() { String::new() } else { format!(" {interval}") };
    format!("{}{interval} {verdict}", mean_cell(s)).trim_end().to_string()
}

pub fn yes(b: bool) -> String {
    (if b { "yes" } else { "no" }).to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn repeated_metrics_get_numbered_columns() {
        let objectives: Vec<Objective> =
            ["ttft_s_p95<=3", "utilization>=0.5", "utilization<=0.9", "provider:p:utilization<=1"]
                .iter()
                .map(|t| Objective::parse(t).unwrap())
                .collect();
        let columns = objective_columns(&objectives);
        assert_eq!(columns, ["ttft_s_p95", "utilization", "utilization#2", "provider:p:utilization"]);
        let header = objective_header(&objectives[..1]);
        assert_eq!(header, ["ttft_s_p95_mean", "ttft_s_p95_ci95_low", "ttft_s_p95_ci95_high", "ttft_s_p95_verdict"]);
    }

    #[test]
    fn integer_values_are_integers_in_json() {
        assert_eq!(number(KeyKind::Integer, 5.0).to_string(), "5");
        assert_eq!(number(KeyKind::Float, 2.5).to_string(), "2.5");
    }
}
