//! Distribution syntax: every kind parses, bad tables explain themselves, the schema lists every kind.

use super::*;
use crate::dist::Z90;
use schemars::{JsonSchema, SchemaGenerator};

fn parse(q: Quantity, text: &str) -> (Option<String>, Vec<String>) {
    let table: toml::Table = toml::from_str(&format!("d = {text}")).unwrap();
    let mut issues = Issues::default();
    let path = KeyPath::root().key("d");
    let got = match q {
        Quantity::Tokens => token_dist(&table["d"], &path, &mut issues).map(|d| format!("{d:?}")),
        Quantity::Time => time_dist(&table["d"], &path, &mut issues).map(|d| format!("{d:?}")),
        Quantity::Rate => rate_dist(&table["d"], &path, &mut issues).map(|d| format!("{d:?}")),
    };
    (got, issues.0.iter().map(|i| format!("{}: {}", i.path, i.message)).collect())
}

fn check_ok(q: Quantity, text: &str, expect: &str) {
    let (got, problems) = parse(q, text);
    assert_eq!(problems, Vec::<String>::new(), "{text}");
    assert_eq!(got.as_deref(), Some(expect), "{text}");
}

fn check_err(q: Quantity, text: &str, expect: &[&str]) {
    let (got, problems) = parse(q, text);
    assert_eq!(got, None, "{text}");
    assert_eq!(problems, expect, "{text}");
}

use Quantity::{Time, Tokens};

#[test]
fn every_token_kind_parses() {
    let t = |d: &str| format!("TokenDist {{ dist: {d}, offset: 0.0, rounding: Nearest }}");
    check_ok(Tokens, "7", &t("Fixed(7.0)"));
    check_ok(Tokens, "{ kind = \"fixed\", value = 7 }", &t("Fixed(7.0)"));
    check_ok(Tokens, "{ kind = \"uniform\", low = 1, high = 2.5 }", &t("Uniform { low: 1.0, high: 2.5 }"));
    check_ok(Tokens, "{ kind = \"uniform_int\", low = 2000, high = 4000 }", &t("UniformInt { low: 2000, high: 4000 }"));
    check_ok(Tokens, "{ kind = \"exponential\", mean = 200 }", &t("Exponential { mean: 200.0 }"));
    check_ok(Tokens, "{ kind = \"normal\", mean = 10, std = 0 }", &t("Normal { mean: 10.0, std: 0.0 }"));
    check_ok(Tokens, "{ kind = \"lognormal\", mu = 1, sigma = 0.5 }", &t("LogNormal { mu: 1.0, sigma: 0.5 }"));
    check_ok(Tokens, "{ kind = \"gamma\", shape = 2, scale = 3 }", &t("Gamma { shape: 2.0, scale: 3.0 }"));
    check_ok(Tokens, "{ kind = \"weibull\", shape = 1.5, scale = 10 }", &t("Weibull { shape: 1.5, scale: 10.0 }"));
    check_ok(
        Tokens,
        "{ kind = \"empirical\", values = [1, 10], weights = [3, 1] }",
        &t("Empirical { values: [1.0, 10.0], cumulative: [0.75, 1.0] }"),
    );
    check_ok(
        Tokens,
        "{ kind = \"exponential\", mean = 200, offset = 1, round = \"floor\" }",
        "TokenDist { dist: Exponential { mean: 200.0 }, offset: 1.0, rounding: Floor }",
    );
    let ln = Dist::lognormal_from_median_p90(800.0, 3000.0);
    check_ok(Tokens, "{ kind = \"lognormal\", median = 800, p90 = 3000 }", &t(&format!("{ln:?}")));
    if let Dist::LogNormal { sigma, .. } = ln {
        assert!((sigma * Z90 - (3000.0f64 / 800.0).ln()).abs() < 1e-12);
    }
}

#[test]
fn time_kinds_take_durations() {
    check_ok(Time, "\"400ms\"", "Fixed(0.4)");
    check_ok(Time, "{ kind = \"fixed\", value = \"2s\" }", "Fixed(2.0)");
    check_ok(Time, "{ kind = \"exponential\", mean = \"30s\" }", "Exponential { mean: 30.0 }");
    check_ok(Time, "{ kind = \"uniform\", low = \"1s\", high = \"1m\" }", "Uniform { low: 1.0, high: 60.0 }");
    check_ok(Time, "{ kind = \"normal\", mean = \"1s\", std = \"100ms\" }", "Normal { mean: 1.0, std: 0.1 }");
    check_ok(Time, "{ kind = \"gamma\", shape = 2, scale = \"5s\" }", "Gamma { shape: 2.0, scale: 5.0 }");
    check_ok(Time, "{ kind = \"weibull\", shape = 0.8, scale = \"1m\" }", "Weibull { shape: 0.8, scale: 60.0 }");
    check_ok(Time, "{ kind = \"lognormal\", mu = 0.5, sigma = 1 }", "LogNormal { mu: 0.5, sigma: 1.0 }");
    let ln = Dist::lognormal_from_median_p90(20.0, 60.0);
    check_ok(Time, "{ kind = \"lognormal\", median = \"20s\", p90 = \"1m\" }", &format!("{ln:?}"));
    check_ok(
        Time,
        "{ kind = \"empirical\", values = [\"1s\", \"3s\"] }",
        "Empirical { values: [1.0, 3.0], cumulative: [0.5, 1.0] }",
    );
}

#[test]
fn bad_distributions_explain_themselves() {
    check_err(Tokens, "-3", &["d: must be >= 0, got -3"]);
    check_err(
        Tokens,
        "\"many\"",
        &[
            "d: expected a number or a distribution table such as { kind = \"uniform_int\", low = 1, high = 10 }, got string \"many\"",
        ],
    );
    check_err(Time, "30", &["d: `30` has no unit; write e.g. \"30s\" (units: us, ms, s, m, h, d)"]);
    check_err(
        Time,
        "{ kind = \"exponential\", mean = 30 }",
        &["d.mean: `30` has no unit; write e.g. \"30s\" (units: us, ms, s, m, h, d)"],
    );
    check_err(
        Tokens,
        "{ mean = 3 }",
        &[
            "d.kind: missing key `kind` in distribution; expected one of: fixed, uniform, uniform_int, exponential, normal, lognormal, gamma, weibull, empirical, mixture, geometric",
        ],
    );
    check_err(
        Tokens,
        "{ kind = \"poisson\", mean = 3 }",
        &[
            "d.kind: unknown distribution kind `poisson`; expected one of: fixed, uniform, uniform_int, exponential, normal, lognormal, gamma, weibull, empirical, mixture, geometric",
        ],
    );
    check_err(
        Time,
        "{ kind = \"uniform_int\", low = \"1s\", high = \"2s\" }",
        &[
            "d.kind: unknown distribution kind `uniform_int` (uniform_int draws integers, for counts only; use uniform for durations); expected one of: fixed, uniform, exponential, normal, lognormal, gamma, weibull, empirical, mixture",
        ],
    );
    check_err(
        Tokens,
        "{ kind = \"exponential\", mean = 0, p90 = 4 }",
        &[
            "d.p90: unknown key `p90` for an exponential distribution; expected one of: kind, mean, offset, round",
            "d.mean: must be > 0, got 0",
        ],
    );
    check_err(
        Tokens,
        "{ kind = \"uniform\", low = 5 }",
        &[
            "d.high: missing key `high` for a uniform distribution (Continuous uniform on [low, high], 0 <= low <= high.)",
        ],
    );
    check_err(
        Tokens,
        "{ kind = \"uniform\", low = -1, high = -2 }",
        &["d.low: must be >= 0, got -1", "d.high: must be >= low (-1), got -2"],
    );
    check_err(
        Tokens,
        "{ kind = \"uniform_int\", low = 1.5, high = 3 }",
        &["d.low: expected an integer, got number 1.5"],
    );
    check_err(Tokens, "{ kind = \"uniform_int\", low = 9, high = 3 }", &["d.high: must be >= low (9), got 3"]);
    check_err(Tokens, "{ kind = \"normal\", mean = 1, std = -1 }", &["d.std: must be >= 0, got -1"]);
    check_err(Tokens, "{ kind = \"lognormal\", median = 10, p90 = 5 }", &["d.p90: must be > median (10), got 5"]);
    check_err(Tokens, "{ kind = \"lognormal\", median = 0, p90 = 5 }", &["d.median: must be > 0, got 0"]);
    check_err(
        Tokens,
        "{ kind = \"lognormal\", median = 10, sigma = 1 }",
        &["d: give either `median` and `p90`, or `mu` and `sigma`, not both pairs"],
    );
    check_err(
        Tokens,
        "{ kind = \"lognormal\", median = 10 }",
        &["d.p90: missing key `p90`; a lognormal needs both `median` and `p90`"],
    );
    check_err(
        Tokens,
        "{ kind = \"lognormal\" }",
        &["d: missing parameters for a lognormal distribution; give either `median` and `p90`, or `mu` and `sigma`"],
    );
    check_err(Tokens, "{ kind = \"lognormal\", mu = 1, sigma = 0 }", &["d.sigma: must be > 0, got 0"]);
    check_err(
        Tokens,
        "{ kind = \"gamma\", shape = 0, scale = -1 }",
        &["d.shape: must be > 0, got 0", "d.scale: must be > 0, got -1"],
    );
    check_err(Time, "{ kind = \"weibull\", shape = 1, scale = \"0s\" }", &["d.scale: must be > 0, got \"0s\""]);
    check_err(Tokens, "{ kind = \"empirical\", values = [] }", &["d.values: must list at least one value"]);
    check_err(
        Tokens,
        "{ kind = \"empirical\", values = [1, -2, \"x\"] }",
        &["d.values[1]: must be >= 0, got -2", "d.values[2]: expected a number, got string \"x\""],
    );
    check_err(
        Tokens,
        "{ kind = \"empirical\", values = [1, 2], weights = [1] }",
        &["d.weights: must have the same length as `values` (2), got 1"],
    );
    check_err(Tokens, "{ kind = \"empirical\", values = [1], weights = [0] }", &["d.weights: must sum to more than 0"]);
    check_err(
        Tokens,
        "{ kind = \"fixed\", value = 1, round = \"up\" }",
        &["d.round: expected one of \"nearest\", \"floor\", \"ceil\", got string \"up\""],
    );
    check_err(Tokens, "{ kind = \"fixed\", value = nan }", &["d.value: must be a finite number, got NaN"]);
    check_err(
        Tokens,
        "{ kind = \"empirical\", values = [1, -2], weights = [1, 2, 3] }",
        &["d.values[1]: must be >= 0, got -2", "d.weights: must have the same length as `values` (2), got 3"],
    );
    check_err(
        Tokens,
        "{ kind = \"empirical\", values = [1, 2], weights = [1e308, 1e308] }",
        &["d.weights: must have a finite sum, got inf; scale the weights down (only their ratios matter)"],
    );
    check_err(Time, "{ kind = \"lognormal\", mu = 1, sigma = 0 }", &["d.sigma: must be > 0, got 0"]);
    check_err(
        Tokens,
        "{ kind = \"lognormal\", median = 1e-320, p90 = 1e9 }",
        &[
            "d.p90: p90/median ratio too large: sigma = ln(p90 / median) / 1.2816 is not a finite number (median 1e-320, p90 1000000000.0); raise `median` or lower `p90`",
        ],
    );
    check_err(
        Tokens,
        "{ kind = \"uniform_int\", low = 0, high = 4294967297 }",
        &["d.high: must be <= 4294967296 (2^32 tokens, the most one draw can produce), got 4294967297"],
    );
    check_err(
        Tokens,
        "{ kind = \"normal\", mean = -5e9, std = 1, offset = 1e10 }",
        &[
            "d.mean: must be >= -4294967296 (2^32 tokens), got -5000000000.0",
            "d.offset: must be <= 4294967296 (2^32 tokens, the most one draw can produce), got 10000000000.0",
        ],
    );
    // Time distributions have no token bound (durations are bounded by their own type).
    check_ok(Time, "{ kind = \"exponential\", mean = \"300d\" }", "Exponential { mean: 25920000.0 }");
    check_err(
        Time,
        "{ kind = \"exponential\", mean = \"100000d\" }",
        &["d.mean: must be at most 100 years (\"36500d\"), got \"100000d\""],
    );
    check_err(
        Time,
        "true",
        &[
            "d: expected a duration string or a distribution table such as { kind = \"exponential\", mean = \"30s\" }, got boolean true",
        ],
    );
}

#[test]
fn schema_lists_every_kind() {
    let mut generator = SchemaGenerator::default();
    let tokens = serde_json::to_value(TokenDistSpec::json_schema(&mut generator)).unwrap();
    let time = serde_json::to_value(TimeDistSpec::json_schema(&mut generator)).unwrap();
    assert_eq!(tokens["anyOf"].as_array().unwrap().len(), KINDS.len() + 1);
    assert_eq!(time["anyOf"].as_array().unwrap().len(), KINDS.len() - 1);
    assert_eq!(time["anyOf"][3]["properties"]["mean"]["type"], "string");
}

#[test]
fn empirical_takes_cumulative_probabilities_as_written() {
    let t = |d: &str| format!("TokenDist {{ dist: {d}, offset: 0.0, rounding: Nearest }}");
    // 0.1 and 0.30000000000000004 are kept bit for bit: no renormalisation.
    check_ok(
        Tokens,
        "{ kind = \"empirical\", values = [1, 2, 3], cumulative = [0.1, 0.30000000000000004, 1] }",
        &t("Empirical { values: [1.0, 2.0, 3.0], cumulative: [0.1, 0.30000000000000004, 1.0] }"),
    );
    check_ok(
        Time,
        "{ kind = \"empirical\", values = [\"1s\", \"2s\"], cumulative = [0, 1] }",
        "Empirical { values: [1.0, 2.0], cumulative: [0.0, 1.0] }",
    );
    check_err(
        Tokens,
        "{ kind = \"empirical\", values = [1, 2], weights = [1, 1], cumulative = [0.5, 1] }",
        &["d.cumulative: give either `weights` or `cumulative`, not both"],
    );
    check_err(
        Tokens,
        "{ kind = \"empirical\", values = [1, 2], cumulative = [1] }",
        &["d.cumulative: must have the same length as `values` (2), got 1"],
    );
    check_err(
        Tokens,
        "{ kind = \"empirical\", values = [1, 2, 3], cumulative = [0.6, 0.5, 1] }",
        &["d.cumulative[1]: must be >= the previous probability (0.6), got 0.5"],
    );
    check_err(
        Tokens,
        "{ kind = \"empirical\", values = [1, 2], cumulative = [0.5, 1.5] }",
        &["d.cumulative[1]: must be <= 1 (a probability), got 1.5"],
    );
    check_err(
        Tokens,
        "{ kind = \"empirical\", values = [1, 2], cumulative = [0.5, 0.9] }",
        &["d.cumulative: must end at exactly 1 (every draw finds a value), got 0.9"],
    );
}
