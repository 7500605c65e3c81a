//! The note a run or `validate` prints when the scenario's cost depends on
//! `simulation.start_time_utc`: a provider bills by time of day, so the same
//! traffic started at another hour costs something else. It names the
//! providers and the multipliers' range; after a run, the spread measured by
//! repricing the run's own requests (summary.json's `start_time_spread`), or,
//! where that would not be exact, why not and the sweep that measures it.

use crate::report_table::human;
use sim_core::metrics::{StartTimeSpread, Summary, hhmm};
use sim_core::model::time_of_day::time_of_day_prices;
use sim_core::scenario::Scenario;
use std::path::Path;

/// `validate`'s note (empty when no used provider bills by time of day): it
/// runs nothing, so it can only point at the sweep.
pub fn lines(sc: &Scenario, file: &Path) -> String {
    let mut out = providers(sc);
    if !out.is_empty() {
        out.push_str(&format!("note: so this run's cost depends on its start, {}; {}\n", own_start(sc), sweep(file)));
    }
    out
}

/// A run's note: the providers, then each variant's measured spread, or why
/// it was not measured, and then the sweep that would. Driven by the
/// summary's spreads, so a variant that adds price windows to a scenario
/// without any gets its line too.
pub fn after_run(sc: &Scenario, file: &Path, summary: &Summary) -> String {
    let spreads: Vec<_> =
        summary.variants.iter().filter_map(|v| v.start_time_spread.as_ref().map(|s| (v.name.as_str(), s))).collect();
    if spreads.is_empty() {
        return lines(sc, file);
    }
    let mut out = providers(sc);
    let named = summary.variants.len() > 1;
    let mut unmeasured = false;
    for (name, spread) in spreads {
        let who = if named { format!("variant `{name}`: ") } else { String::new() };
        let line = match measured(spread) {
            Some(line) => line,
            None if spread.exact => {
                "no session was counted (after the warm-up), so there is no cost per session to reprice at other starts"
                    .to_string()
            }
            None => {
                unmeasured = true;
                format!(
                    "the cost depends on the start, {} UTC, and is not repriced at other starts because {} (the traffic itself would differ)",
                    spread.start_utc,
                    spread.not_exact_because.as_deref().unwrap_or("the traffic depends on the start")
                )
            }
        };
        out.push_str(&format!("note: {who}{line}\n"));
    }
    if unmeasured {
        out.push_str(&format!("note: {}\n", sweep(file)));
    }
    out
}

/// One note line per provider billing by time of day.
fn providers(sc: &Scenario) -> String {
    time_of_day_prices(sc)
        .iter()
        .map(|p| {
            let (lo, hi) = p.range();
            format!("note: {p}: the same request costs between x{lo} and x{hi} by the hour\n")
        })
        .collect()
}

fn own_start(sc: &Scenario) -> String {
    format!("{} UTC (simulation.start_time_utc)", hhmm(sc.simulation.start_time_of_day_s))
}

fn sweep(file: &Path) -> String {
    format!(
        "the spread over start times: agentsim run {} --sweep 'simulation.start_time_utc=00:00,04:00,08:00,12:00,16:00,20:00' \
         (with this run's own --set and --variant options, if any)",
        file.display()
    )
}

/// A change in percent, with a decimal below 10% so a small one does not
/// read "-0%".
fn signed_percent(p: f64) -> String {
    if p.abs() < 10.0 { format!("{p:+.1}%") } else { format!("{p:+.0}%") }
}

/// The cheapest and dearest start per session against the run's own, when
/// the spread was repriced and the run counted a session.
fn measured(s: &StartTimeSpread) -> Option<String> {
    let own = s.own()?.cost_usd_per_session?;
    let (lo, hi) = (s.cheapest.as_ref()?, s.dearest.as_ref()?);
    if lo.cost_usd_per_session == hi.cost_usd_per_session {
        return Some(format!(
            "the same requests would cost the same at every whole hour, ${} per session (no window changes their price)",
            human(own)
        ));
    }
    let at = |c: &sim_core::metrics::StartCost| -> Option<String> {
        let usd = c.cost_usd_per_session?;
        let pct = match s.change_percent(c) {
            _ if c.start_utc == s.start_utc => ", this run's start".to_string(),
            Some(p) => format!(", {}", signed_percent(p)),
            None => String::new(),
        };
        Some(format!("${} ({} UTC{pct})", human(usd), c.start_utc))
    };
    Some(format!(
        "the same requests started at another hour would cost {} to {} per session; this run started at {} UTC (${} per session; \
         every whole hour in summary.json's start_time_spread)",
        at(lo)?,
        at(hi)?,
        s.start_utc,
        human(own)
    ))
}

#[cfg(test)]
mod tests {
    use super::*;
    use sim_core::metrics::StartCost;

    fn cost(start: &str, per_session: f64) -> StartCost {
        StartCost {
            start_utc: start.into(),
            cost_usd: Some(per_session * 10.0),
            cost_usd_per_session: Some(per_session),
        }
    }

    #[test]
    fn the_measured_line_names_both_ends_against_the_own_start() {
        let s = StartTimeSpread {
            exact: true,
            start_utc: "00:00".into(),
            not_exact_because: None,
            starts: vec![cost("00:00", 0.6), cost("06:00", 0.82), cost("12:00", 0.41)],
            cheapest: Some(cost("12:00", 0.41)),
            dearest: Some(cost("06:00", 0.82)),
        };
        assert_eq!(
            measured(&s).unwrap(),
            "the same requests started at another hour would cost $0.41 (12:00 UTC, -32%) to $0.82 (06:00 UTC, +37%) \
             per session; this run started at 00:00 UTC ($0.6 per session; every whole hour in summary.json's start_time_spread)"
        );
        let own_cheapest = StartTimeSpread { cheapest: Some(cost("00:00", 0.6)), ..s.clone() };
        assert!(measured(&own_cheapest).unwrap().starts_with(
            "the same requests started at another hour would cost $0.6 (00:00 UTC, this run's start) to $0.82"
        ));
        let nearly = StartTimeSpread { cheapest: Some(cost("04:00", 0.5991)), ..s.clone() };
        assert!(measured(&nearly).unwrap().contains("$0.5991 (04:00 UTC, -0.2%)"), "{:?}", measured(&nearly));
        let flat =
            StartTimeSpread { cheapest: Some(cost("00:00", 0.6)), dearest: Some(cost("00:00", 0.6)), ..s.clone() };
        assert_eq!(
            measured(&flat).unwrap(),
            "the same requests would cost the same at every whole hour, $0.6 per session (no window changes their price)"
        );
        let not = StartTimeSpread { exact: false, starts: vec![], cheapest: None, dearest: None, ..s };
        assert_eq!(measured(&not), None);
    }
}
