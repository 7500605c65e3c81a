//! Regression tests for the whole-run bounds: each reproducer of issue 6
//! ("no number silently wrong") is refused at validation with a message that
//! names the product or the bound.

use super::tests::{BASE, run};

/// The problems of the tests' base scenario with `sets` applied, rendered
/// `origin: path: message`.
fn problems(sets: &[&str]) -> Vec<String> {
    run(BASE, sets).err().unwrap_or_default()
}

fn assert_refused(sets: &[&str], path: &str, words: &[&str]) {
    let got = problems(sets);
    assert_eq!(got.len(), 1, "{sets:?}: {got:#?}");
    assert!(got[0].contains(path), "{sets:?}: expected path {path}: {}", got[0]);
    for w in words {
        assert!(got[0].contains(w), "{sets:?}: expected {w:?} in {}", got[0]);
    }
}

#[test]
fn regression_token_counters_saturated_by_huge_steps_and_tokens() {
    // Issue 6: tokens_input = u64::MAX and blended price 3012 with no price above 15.
    assert_refused(
        &[
            "workloads[0].steps=1000",
            "workloads[0].output_tokens=4294967296",
            "workloads[0].tool_result_tokens=4294967296",
            "workloads[0].arrivals.sessions=5000",
        ],
        "workloads[0].steps",
        &["steps (mean 1000)", "last prompt", "2^40"],
    );
}

#[test]
fn run_tokens_are_bounded_by_sessions_steps_and_prompt() {
    // Each prompt fits, but sessions x steps x prompt tokens overflows the counters.
    assert_refused(
        &[
            "workloads[0].steps=100000",
            "workloads[0].output_tokens=1000000",
            "workloads[0].arrivals.sessions=100000000",
            "providers[0].serving.prefill_tokens_per_s=1e9",
        ],
        "workloads[0].arrivals",
        &["sessions (1.0000e8) x steps (mean 100000) x mean prompt", "2^62"],
    );
}

#[test]
fn regression_decode_rate_sends_the_clock_to_its_limit() {
    assert_refused(
        &["providers[0].serving.decode_tokens_per_s=1e-9"],
        "providers[0].serving.decode_tokens_per_s",
        &["in service on average", "more than one year"],
    );
}

#[test]
fn regression_huge_base_latency_and_think_time() {
    assert_refused(
        &["providers[0].serving.base_latency=\"9223372036854775807us\""],
        "providers[0].serving.base_latency",
        &["100 years"],
    );
    assert_refused(&["workloads[0].think_time=\"213503982d\""], "workloads[0].think_time", &["100 years"]);
    assert_refused(&["workloads[0].think_time=\"36000d\""], "workloads[0].think_time", &["more than one year"]);
}

#[test]
fn regression_weibull_with_tiny_shape() {
    assert_refused(
        &["workloads[0].think_time={kind=\"weibull\", shape=1e-300, scale=\"1s\"}"],
        "workloads[0].think_time",
        &["not a finite number"],
    );
    assert_refused(
        &["workloads[0].output_tokens={kind=\"lognormal\", mu=5, sigma=40}"],
        "workloads[0].output_tokens",
        &["2^32"],
    );
}

#[test]
fn regression_keep_alive_interval_of_one_microsecond() {
    assert_refused(
        &["workloads[0].keep_alive={interval=\"1us\"}"],
        "workloads[0].keep_alive.interval",
        &["must be >= 1s"],
    );
}

#[test]
fn retry_backoff_doubling_is_bounded() {
    assert_refused(
        &["providers[0].failures.error_rate=0.1", "providers[0].failures.max_retries=200"],
        "providers[0].failures.max_retries",
        &["retry_backoff x 2^(max_retries - 1)"],
    );
}

#[test]
fn session_duration_is_bounded() {
    assert_refused(
        &["workloads[0].steps=900000", "workloads[0].think_time=\"300d\""],
        "workloads[0].steps",
        &["per session, more than 100 years"],
    );
}

#[test]
fn ordinary_scenarios_pass_the_limits() {
    assert_eq!(problems(&[]), Vec::<String>::new());
    assert_eq!(problems(&["workloads[0].steps=100000", "workloads[0].arrivals.sessions=1"]), Vec::<String>::new());
}

#[test]
fn regression_names_with_newlines_would_break_csv_rows() {
    assert_refused(&["workloads[0].name=\"a\\nb\""], "workloads[0].name", &["control characters"]);
    assert_refused(
        &["providers[0].name=\"p\\tq\"", "workloads[0].provider=\"p\\tq\""],
        "providers[0].name",
        &["control"],
    );
}

#[test]
fn regression_a_tiny_arrival_rate_with_a_session_count() {
    // Found in review: the first arrival fell past the clock's limit and the
    // run reported zero sessions.
    assert_refused(
        &["workloads[0].arrivals={rate_per_s=1e-300, sessions=10}"],
        "workloads[0].arrivals.rate_per_s",
        &["for the sessions to arrive, more than 100 years"],
    );
}
