//! docs/validation.md's table: every check of agentsim against theory or real
//! data, measured by the same code as the tests that assert it (the queueing
//! cases, `plan` against Erlang C, LiteLLM's cost rules, the replay's prefix
//! walk, the trace fixtures, `fit` and TraceLab's statistics call those tests'
//! shared functions; the hand-computed ledger and batching cases are computed
//! here from `scenarios/validation/`), with its tolerance and its result.
//!
//! `validation_record` asserts every row and compares the table with the one
//! between the markers of docs/validation.md, so a stale record fails. Every
//! value is deterministic (fixed seeds; byte-identical at any thread count),
//! printed at a fixed precision. To rewrite the table:
//!
//! `AGENTSIM_WRITE_VALIDATION=1 cargo test -p agentsim-tests --test integration validation_record`

use sim_core::engine::simulate_replicate;
use sim_core::scenario::{Override, Scenario, SourceText, load};
use std::path::{Path, PathBuf};

/// The markers around the generated table in docs/validation.md.
const BEGIN: &str = "<!-- validation-table:begin -->";
const END: &str = "<!-- validation-table:end -->";
/// The variable that makes `validation_record` rewrite the table.
const WRITE_VAR: &str = "AGENTSIM_WRITE_VALIDATION";

/// One row of the table.
#[derive(Debug)]
struct Record {
    check: String,
    /// What the result is compared with, and its source.
    reference: String,
    tolerance: String,
    result: String,
    pass: bool,
    /// The test that asserts the row: a file of the repository and a test
    /// function in it (the record checks that it exists).
    test: (&'static str, &'static str),
}

fn repo(rel: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("..").join(rel)
}

// ---------------------------------------------------------------------------
// The rows.
// ---------------------------------------------------------------------------

/// M/M/1, M/M/c, M/D/1 and GI/M/1 against their closed forms, and Little's
/// law: `queueing_validation`'s rows, as its tests compute them.
fn queueing() -> Vec<Record> {
    use crate::queueing_validation::{CASES, LITTLE_TOLERANCE, MAX_HALF_WIDTH, case_rows};
    let mut out = Vec::new();
    for (i, case) in CASES.iter().enumerate() {
        let test = ("tests/queueing_validation.rs", case.test);
        for r in case_rows(i) {
            out.push(match r.ci {
                Some((lo, hi)) => Record {
                    check: format!("{}: `{}`", case.name, r.quantity),
                    reference: format!("{} = {:.4}; {}", r.formula, r.theory, case.source),
                    tolerance: format!(
                        "theory inside the 95% CI across replicates, half-width <= {}%",
                        MAX_HALF_WIDTH * 100.0
                    ),
                    result: format!("{:.4} [{:.4}, {:.4}]", r.simulated, lo, hi),
                    pass: r.pass,
                    test,
                },
                None => Record {
                    check: format!("{}: {}", case.name, r.quantity),
                    reference: format!("Little's law {} (Little 1961)", r.formula),
                    tolerance: format!("<= {}% in every replicate", LITTLE_TOLERANCE * 100.0),
                    result: format!("worst replicate off by {:.4}%", r.simulated * 100.0),
                    pass: r.pass,
                    test,
                },
            });
        }
    }
    out
}

/// A scenario of `scenarios/validation/`, with `--set` overrides.
fn validation_scenario(file: &str, sets: &[(&str, &str)]) -> Scenario {
    let path = repo(&format!("scenarios/validation/{file}"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let overrides: Vec<Override> =
        sets.iter().map(|(p, v)| Override { path: (*p).to_owned(), value: (*v).to_owned() }).collect();
    load(&SourceText { name: file, text: &text }, &overrides).unwrap_or_else(|e| panic!("{file}: {e:?}"))
}

/// Equal to 1e-12 relative, or both below 1e-15 dollars.
fn same_usd(a: f64, b: f64) -> bool {
    (a - b).abs() <= 1e-12 * a.abs().max(b.abs()) || (a - b).abs() < 1e-15
}

/// scenarios/validation/ledger.toml: the bill per token class and the
/// service times of two steps, against the hand computation in its header.
fn ledger() -> Vec<Record> {
    let sc = validation_scenario("ledger.toml", &[]);
    let out = simulate_replicate(&sc, sc.simulation.seed, 0, true).unwrap();
    let c = &out.metrics.overall.cost;
    let got = [c.uncached.usd(), c.cache_read.usd(), c.cache_write.usd(), c.output.usd()];
    // Step 1 writes 1,000; step 2 reads 1,000 and writes 500; 2 x 100 output.
    let want = [0.0, 1_000.0 * 0.30 / 1e6, 1_500.0 * 3.75 / 1e6, 200.0 * 15.0 / 1e6];
    let total: f64 = got.iter().sum();
    let ledger_ok = got.iter().zip(want).all(|(g, w)| same_usd(*g, w)) && same_usd(total, 0.008_925);
    let ledger = Record {
        check: "Cost ledger of two steps: token classes x prices".into(),
        reference:
            "by hand: uncached $0, read 1,000 x $0.30, write 1,500 x $3.75, output 200 x $15 per Mtok = $0.008925 \
                    (Anthropic's Sonnet prices; scenarios/validation/ledger.toml)"
                .into(),
        tolerance: "1e-12 relative, each class and the total".into(),
        result: format!(
            "uncached ${:.6}, read ${:.6}, write ${:.6}, output ${:.6}, total ${:.6}",
            got[0], got[1], got[2], got[3], total
        ),
        pass: ledger_ok,
        test: ("tests/validation_record.rs", "validation_record"),
    };
    let r = &out.requests;
    let us = |a: sim_core::time::SimTime, b: sim_core::time::SimTime| (b - a).as_micros();
    let times = [us(r[0].arrival, r[0].end), us(r[0].end, r[1].arrival), us(r[1].arrival, r[1].end)];
    let tokens = [(r[0].tokens.cache_read, r[0].tokens.cache_write), (r[1].tokens.cache_read, r[1].tokens.cache_write)];
    let service = Record {
        check: "Service times and cache classes of the same two steps".into(),
        reference: "by hand: step 1 = 0.1 s prefill + 2 s decode = 2.1 s, 30 s think, step 2 = 0.05 + 2 = 2.05 s; \
                    cache (read, write) = (0, 1000) then (1000, 500)"
            .into(),
        tolerance: "exact (microseconds, tokens)".into(),
        result: format!(
            "{:.6} s, {:.6} s, {:.6} s; ({}, {}) then ({}, {})",
            times[0] as f64 / 1e6,
            times[1] as f64 / 1e6,
            times[2] as f64 / 1e6,
            tokens[0].0,
            tokens[0].1,
            tokens[1].0,
            tokens[1].1
        ),
        pass: r.len() == 2 && times == [2_100_000, 30_000_000, 2_050_000] && tokens == [(0, 1_000), (1_000, 500)],
        test: ("tests/validation_record.rs", "validation_record"),
    };
    vec![ledger, service]
}

/// scenarios/validation/batching.toml: first-token and completion times of a
/// continuous-batching replica against the iterations of its header.
fn batching() -> Vec<Record> {
    // (what, overrides, each request's first token and done after its start in us, by hand).
    type Case = (&'static str, &'static [(&'static str, &'static str)], &'static [(u64, u64)], &'static str);
    let cases: [Case; 3] = [
        (
            "one request alone",
            &[],
            &[(11_000, 119_900)],
            "prefill 1 ms + 1,000 x 10 us = 11 ms; + 99 x (1 ms + 100 us) = 119.9 ms",
        ),
        (
            "chunked prefill (`max_num_batched_tokens = 512`)",
            &[("providers[0].replicas.max_num_batched_tokens", "512")],
            &[(12_000, 120_900)],
            "chunks of 512 + 488 tokens: 6.12 + 5.88 = 12 ms; + 99 x 1.1 ms = 120.9 ms",
        ),
        (
            "two requests sent at once",
            &[("workloads[0].arrivals.jobs", "2")],
            &[(11_000, 139_700), (22_100, 140_800)],
            "the first prefills alone (11 ms); the second joins the next iteration with the first's decode \
             (1 + 10 + 0.1 = 11.1 ms: first token at 22.1 ms); 98 iterations of 2 decoders (1.2 ms) end the \
             first at 139.7 ms, one of 1 decoder (1.1 ms) the second at 140.8 ms",
        ),
    ];
    cases
        .into_iter()
        .map(|(what, sets, want, by_hand)| {
            let sc = validation_scenario("batching.toml", sets);
            let out = simulate_replicate(&sc, sc.simulation.seed, 0, true).unwrap();
            let mut got: Vec<(u64, u64)> = out
                .requests
                .iter()
                .map(|r| ((r.first_token - r.start).as_micros(), (r.end - r.start).as_micros()))
                .collect();
            got.sort_unstable();
            let shown: Vec<String> =
                got.iter().map(|(f, e)| format!("{:.1} / {:.1} ms", *f as f64 / 1e3, *e as f64 / 1e3)).collect();
            Record {
                check: format!("Continuous batching, {what}: first token / done, after the request's start"),
                reference: format!(
                    "by hand (iteration = b0 + b1 P + b2 D; Orca, Sarathi-Serve): {by_hand}; scenarios/validation/batching.toml"
                ),
                tolerance: "exact (microseconds)".into(),
                result: shown.join("; "),
                pass: got == want,
                test: ("tests/validation_record.rs", "validation_record"),
            }
        })
        .collect()
}

/// LiteLLM's cost rules, reimplemented independently, against agentsim's
/// bill of every chat model with cache prices in the committed fixture.
fn litellm() -> Record {
    let found = crate::catalog::litellm_equivalence(&crate::catalog::fixture_text());
    Record {
        check: "LiteLLM-imported providers bill as LiteLLM's cost rules say (committed catalog fixture)".into(),
        reference:
            "an independent implementation of LiteLLM's `generic_cost_per_token` (long-context `_above_` rates, \
                    off-peak windows, 1-hour writes) on `tests/fixtures/litellm_sample.json`"
                .into(),
        tolerance: "1e-9 relative per token class; every entry imported or refused for a documented reason".into(),
        result: format!(
            "{} models, {} class comparisons, {} mismatches; {} refused (tiered pricing, two thresholds)",
            found.checked,
            found.comparisons,
            found.mismatches.len(),
            found.unsupported
        ),
        pass: found.mismatches.is_empty() && found.checked >= 40 && found.unsupported == 2,
        test: ("tests/catalog.rs", "fixture_models_bill_as_litellm_rules_say"),
    }
}

/// `agentsim replay` on the Mooncake fixture against an independent walk of
/// its block ids.
fn replay() -> Record {
    let (replayed, walked) = crate::replay::fixture_unbounded_replay();
    let rate = |(cached, input): (u64, u64)| cached as f64 / input as f64;
    Record {
        check: "Cache replay of the Mooncake conversation fixture (400 requests), unbounded cache".into(),
        reference: format!(
            "an independent prefix walk of the trace's block ids (512-token blocks; Mooncake, FAST 2025): \
             {} of {} tokens, hit rate {:.4}",
            walked.0,
            walked.1,
            rate(walked)
        ),
        tolerance: "exact (tokens)".into(),
        result: format!("{} of {} tokens cached, token hit rate {:.4}", replayed.0, replayed.1, rate(replayed)),
        pass: replayed == walked,
        test: ("tests/replay.rs", "fixture_replay_writes_a_table_and_a_csv_with_sane_rates"),
    }
}

/// The bundled coding agent against TraceLab's published statistics.
fn tracelab() -> Vec<Record> {
    use crate::bundled_workloads::{TRACELAB, coding_agent_statistics};
    let (got, requests) = coding_agent_statistics();
    TRACELAB
        .into_iter()
        .zip(got)
        .map(|((what, published, tolerance), got)| {
            let off = (got - published).abs() / published;
            let shown = |v: f64| if v < 1.0 { format!("{v:.4}") } else { format!("{v:.1}") };
            Record {
                check: format!("Coding agent (scenarios/workloads/coding_agent.toml, 2 replicates): {what}"),
                reference: format!(
                    "TraceLab's published {} (357,161 steps of real coding-agent sessions; github.com/uw-syfi/TraceLab)",
                    shown(published)
                ),
                tolerance: format!("<= {}% relative", tolerance * 100.0),
                result: format!("{} ({:.2}% off, {requests} requests)", shown(got), off * 100.0),
                pass: off <= tolerance && requests > 5_000,
                test: ("tests/bundled_workloads.rs", "the_coding_agent_reproduces_tracelab_per_step_statistics"),
            }
        })
        .collect()
}

/// `agentsim plan`'s largest arrival rate against Erlang C's.
fn plan() -> Record {
    let found = crate::plan::erlang_run().found;
    Record {
        check: "`agentsim plan`: largest arrival rate with mean queue wait <= 0.5 s on M/M/4 (mu = 1/s)".into(),
        reference: format!("Erlang C: Wq(lambda*) = 0.5 s at lambda* = {:.4}/s (Kleinrock 1975, s. 3.5)", found.exact),
        tolerance: "answer <= lambda* (conservative); bracket within 1%; missed end above Erlang C's rate at \
                    0.5 s minus the 95% CI width there"
            .into(),
        result: format!(
            "answer {:.4}/s, bracket [{:.4}, {:.4}], CI width {:.4} s (rate {:.4}/s)",
            found.met, found.met, found.missed, found.slack, found.slack_rate
        ),
        pass: found.holds(),
        test: ("tests/plan.rs", "the_largest_arrival_rate_matches_erlang_c_on_the_conservative_side"),
    }
}

/// The committed trace fixtures against totals computed outside agentsim.
fn trace_fixtures() -> Vec<Record> {
    use crate::trace_formats::{FIXTURE_TOTALS, fixture_totals};
    FIXTURE_TOTALS
        .into_iter()
        .map(|(file, format, test, want)| {
            let got = fixture_totals(file, format);
            Record {
                check: format!("Trace parser on `tests/fixtures/{file}`: requests, input and output tokens"),
                reference: format!(
                    "totals summed independently from the file (Python csv / json): {} requests, {} in, {} out",
                    want.0, want.1, want.2
                ),
                tolerance: "exact".into(),
                result: format!("{} requests, {} in, {} out", got.0, got.1, got.2),
                pass: got == want,
                test: ("tests/trace_formats.rs", test),
            }
        })
        .collect()
}

/// `agentsim fit`'s maximum-likelihood estimates against the same
/// estimators computed outside agentsim.
fn fit() -> Record {
    use crate::trace_formats::{AZURE_FIT, azure_fit, fit_agrees};
    let got = azure_fit();
    let pass = AZURE_FIT.iter().zip(got).all(|((_, want), got)| fit_agrees(got, *want));
    let list = |v: &mut dyn Iterator<Item = f64>| v.map(|x| format!("{x:.6}")).collect::<Vec<_>>().join(", ");
    Record {
        check:
            "`agentsim fit` on `tests/fixtures/azure_code_head.csv`: Poisson rate; lognormal mu, sigma of input and \
                output tokens"
                .into(),
        reference: format!(
            "maximum-likelihood estimators computed independently (Python): (n - 1) / span; mean and population \
             sd of ln x: {}",
            list(&mut AZURE_FIT.iter().map(|(_, v)| *v))
        ),
        tolerance: "1e-12 relative".into(),
        result: list(&mut got.into_iter()),
        pass,
        test: ("tests/trace_formats.rs", "fit_estimators_match_an_independent_computation"),
    }
}

fn all_records() -> Vec<Record> {
    let mut rows = queueing();
    rows.push(plan());
    rows.extend(ledger());
    rows.push(litellm());
    rows.extend(batching());
    rows.push(replay());
    rows.extend(trace_fixtures());
    rows.push(fit());
    rows.extend(tracelab());
    rows
}

// ---------------------------------------------------------------------------
// The table and the document.
// ---------------------------------------------------------------------------

/// A cell: pipes escaped so a value cannot break the table.
fn cell(text: &str) -> String {
    text.replace('|', "\\|")
}

fn render(rows: &[Record]) -> String {
    let mut out = String::from(
        "| # | check | compared with (source) | tolerance | current result | pass | test |\n|---|---|---|---|---|---|---|\n",
    );
    for (i, r) in rows.iter().enumerate() {
        out.push_str(&format!(
            "| {} | {} | {} | {} | {} | {} | `{}` `{}` |\n",
            i + 1,
            cell(&r.check),
            cell(&r.reference),
            cell(&r.tolerance),
            cell(&r.result),
            if r.pass { "pass" } else { "FAIL" },
            r.test.0,
            r.test.1
        ));
    }
    out
}

/// `doc` with the text between the markers replaced by `table`.
fn splice(doc: &str, table: &str) -> Result<String, String> {
    let begin = doc.find(BEGIN).ok_or_else(|| format!("no `{BEGIN}` marker"))?;
    let end = doc.find(END).ok_or_else(|| format!("no `{END}` marker"))?;
    if end < begin || doc[begin + 1..].contains(BEGIN) || doc[end + 1..].contains(END) {
        return Err("the markers must appear once each, begin before end".into());
    }
    Ok(format!("{}{BEGIN}\n{table}{}", &doc[..begin], &doc[end..]))
}

#[test]
fn splice_replaces_only_the_text_between_the_markers() {
    let doc = format!("intro\n{BEGIN}\nold | table\n{END}\nafter\n");
    assert_eq!(splice(&doc, "new\n").unwrap(), format!("intro\n{BEGIN}\nnew\n{END}\nafter\n"));
    assert!(splice("no markers", "t").unwrap_err().contains("no `"));
    assert!(splice(&format!("{END}\n{BEGIN}\n"), "t").is_err());
    assert!(splice(&format!("{BEGIN}{BEGIN}{END}"), "t").is_err());
}

#[test]
fn a_cell_cannot_break_the_table() {
    let row = Record {
        check: "a | b".into(),
        reference: "r".into(),
        tolerance: "t".into(),
        result: "x".into(),
        pass: false,
        test: ("f.rs", "g"),
    };
    let table = render(&[row]);
    let line = table.lines().nth(2).unwrap();
    assert_eq!(line, "| 1 | a \\| b | r | t | x | FAIL | `f.rs` `g` |");
}

#[test]
fn validation_record() {
    let rows = all_records();
    // Each row names a test that exists.
    for r in &rows {
        let src = std::fs::read_to_string(repo(r.test.0)).unwrap_or_else(|e| panic!("{}: {e}", r.test.0));
        assert!(src.contains(&format!("fn {}(", r.test.1)), "{}: no test `{}`", r.test.0, r.test.1);
    }
    let table = render(&rows);
    let path = repo("docs/validation.md");
    let doc = std::fs::read_to_string(&path).expect("docs/validation.md");
    let updated = splice(&doc, &table).unwrap_or_else(|e| panic!("docs/validation.md: {e}"));
    if std::env::var(WRITE_VAR).is_ok_and(|v| v == "1") {
        std::fs::write(&path, &updated).expect("write docs/validation.md");
    } else if updated != doc {
        let stale: Vec<&str> = table.lines().filter(|l| !doc.contains(l)).collect();
        panic!(
            "docs/validation.md's table is stale; regenerate it with\n  {WRITE_VAR}=1 cargo test -p agentsim-tests \
             --test integration validation_record\nrows measured now that the document lacks:\n{}",
            stale.join("\n")
        );
    }
    let failed: Vec<String> = rows.iter().filter(|r| !r.pass).map(|r| format!("{r:?}")).collect();
    assert!(failed.is_empty(), "{} checks fail:\n{}", failed.len(), failed.join("\n"));
}
