//! Validation of `[workloads.arrivals]`: Poisson arrivals (rate, horizon or
//! session count), trace-driven arrivals (the trace file, read once), and the
//! dispatch to the other processes (`validate_processes.rs`).

use super::context::*;
use super::leaf::*;
use super::location::KeyPath;
use super::model::*;
use super::raw::*;
use super::validate_processes::{mean_rate, only_keys, process, stop};
use std::sync::Arc;

pub(super) fn arrivals(cx: &mut Ctx<'_>, raw: &RawArrivals, path: &KeyPath) -> Option<Arrivals> {
    let kind = cx.opt(&raw.kind, &path.key("kind"), ArrivalKind::Poisson)?;
    match kind {
        ArrivalKind::Poisson => poisson(cx, raw, path),
        ArrivalKind::Trace => trace(cx, raw, path),
        other => process(cx, raw, path, other),
    }
}

fn poisson(cx: &mut Ctx<'_>, raw: &RawArrivals, path: &KeyPath) -> Option<Arrivals> {
    const WHY: &str = "only used by trace arrivals (kind = \"trace\")";
    let unused = cx.unused(&raw.file, &path.key("file"), WHY) & cx.unused(&raw.format, &path.key("format"), WHY);
    let takes = ["rate", "rate_per_s", "horizon", "sessions", "file", "format"];
    let unused = only_keys(cx, raw, path, "poisson", &takes) & unused;
    let rate = mean_rate(cx, raw, path);
    let stop = stop(cx, raw, path, rate);
    unused.then_some(())?;
    Some(Arrivals::Poisson { rate_per_s: rate?.0, stop: stop? })
}

fn trace(cx: &mut Ctx<'_>, raw: &RawArrivals, path: &KeyPath) -> Option<Arrivals> {
    const WHY: &str = "not used by trace arrivals: the trace gives every arrival time";
    let unused = cx.unused(&raw.rate_per_s, &path.key("rate_per_s"), WHY)
        & cx.unused(&raw.horizon, &path.key("horizon"), WHY)
        & cx.unused(&raw.sessions, &path.key("sessions"), WHY);
    let unused = only_keys(cx, raw, path, "trace", &["file", "format", "rate_per_s", "horizon", "sessions"]) & unused;
    let format = cx.opt(&raw.format, &path.key("format"), TraceFormat::Mooncake);
    let file_path = path.key("file");
    let file = cx.req(&raw.file, &file_path, "path of the trace file, relative to the scenario file");
    let (file, TraceFormat::Mooncake) = (file?, format?);
    let trace = match cx.traces.iter().find(|(f, _)| *f == file) {
        Some((_, t)) => t.clone(),
        None => {
            let parsed = match cx.env.files.read(&file) {
                Err(e) => Err(vec![format!("cannot read `{file}`: {e}")]),
                Ok(text) => match crate::trace::parse_mooncake(&text) {
                    // Each bad line is its own problem, at the key naming the file.
                    Err(e) => {
                        let mut lines: Vec<String> =
                            e.errors.iter().map(|e| format!("trace `{file}` line {}: {}", e.line, e.kind)).collect();
                        if e.more > 0 {
                            lines.push(format!("trace `{file}`: {}", crate::trace::more_bad_lines(e.more)));
                        }
                        Err(lines)
                    }
                    Ok(t) if t.requests.is_empty() => Err(vec![format!("`{file}` contains no requests")]),
                    Ok(t) => Ok(Arc::new(t)),
                },
            };
            let t = parsed.map_err(|messages| messages.into_iter().for_each(|m| cx.issues.value(&file_path, m))).ok();
            cx.traces.push((file.clone(), t.clone()));
            t
        }
    };
    unused.then_some(())?;
    Some(Arrivals::Trace { file, trace: trace? })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_key_messages_suggest_near_misses() {
        let valid = ["kind", "rate_per_s", "horizon", "sessions"];
        assert_eq!(
            unknown_key_message("ratee_per_s", &valid, ""),
            "unknown key `ratee_per_s`; expected one of: kind, rate_per_s, horizon, sessions (did you mean `rate_per_s`?)"
        );
        assert_eq!(
            unknown_key_message("colour", &valid, "a table"),
            "unknown key `colour` for a table; expected one of: kind, rate_per_s, horizon, sessions"
        );
    }

    #[test]
    fn suggestion_ties_prefer_a_shared_prefix() {
        // `rnd` is 2 edits from both `kind` and `round`.
        let valid = ["kind", "value", "offset", "round"];
        assert_eq!(
            unknown_key_message("rnd", &valid, ""),
            "unknown key `rnd`; expected one of: kind, value, offset, round (did you mean `round`?)"
        );
    }

    #[test]
    fn edit_distance_basics() {
        assert_eq!(edit_distance("", "abc"), 3);
        assert_eq!(edit_distance("kitten", "sitting"), 3);
        assert_eq!(edit_distance("same", "same"), 0);
    }

    #[test]
    fn scenario_names_are_directory_safe() {
        for ok in ["quickstart", "a.b_c-1"] {
            assert!(is_valid_scenario_name(ok), "{ok}");
        }
        for bad in ["", "a b", "a/b", "é"] {
            assert!(!is_valid_scenario_name(bad), "{bad}");
        }
    }
}
