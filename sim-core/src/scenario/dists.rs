//! Distribution syntax: one table of kinds and parameters drives both validation
//! (raw TOML value -> `Dist`/`TokenDist`) and the JSON Schema, so they cannot disagree.
//!
//! A distribution is an inline table `{ kind = "...", <params> }`, or shorthand for
//! `fixed`: a bare number for token counts, a bare duration string for times. In time
//! distributions every parameter that carries the quantity's unit is a duration
//! string converted to seconds; unitless parameters (shape, sigma, mu, weights) are numbers.

use super::context::{Ctx, Issues, MAX_TOKEN_RATE, too_many_tokens, unknown_key_message};
use super::leaf::{DurationText, Leaf, Raw, describe, shown_value};
use super::location::KeyPath;
use crate::dist::{Dist, MAX_TOKENS, Rounding, TokenDist, Z90};

/// What a distribution measures, which decides how its parameters are written.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Quantity {
    Tokens,
    Time,
    /// A speed (tokens per second): plain numbers, every draw > 0.
    Rate,
}

/// One distribution kind and its parameter keys.
#[derive(Debug)]
pub(crate) struct KindSpec {
    pub(crate) kind: &'static str,
    pub(crate) params: &'static [&'static str],
    /// Parameters that may be left out (lognormal's two alternative pairs, empirical weights).
    pub(crate) optional: &'static [&'static str],
    pub(crate) doc: &'static str,
    /// `uniform_int` draws integers, which only makes sense for counts.
    pub(crate) tokens_only: bool,
}

pub(crate) const KINDS: &[KindSpec] = &[
    KindSpec { kind: "fixed", params: &["value"], optional: &[], doc: "Always `value`.", tokens_only: false },
    KindSpec {
        kind: "uniform",
        params: &["low", "high"],
        optional: &[],
        doc: "Continuous uniform on [low, high], 0 <= low <= high.",
        tokens_only: false,
    },
    KindSpec {
        kind: "uniform_int",
        params: &["low", "high"],
        optional: &[],
        doc: "Integers low..=high, equally likely; 0 <= low <= high.",
        tokens_only: true,
    },
    KindSpec {
        kind: "exponential",
        params: &["mean"],
        optional: &[],
        doc: "Exponential with mean > 0.",
        tokens_only: false,
    },
    KindSpec {
        kind: "normal",
        params: &["mean", "std"],
        optional: &[],
        doc: "Normal, std >= 0, truncated at 0 (negative draws are redrawn).",
        tokens_only: false,
    },
    KindSpec {
        kind: "lognormal",
        params: &["median", "p90", "mu", "sigma"],
        optional: &["median", "p90", "mu", "sigma"],
        doc: "Lognormal: either median > 0 and p90 > median, or mu and sigma > 0 (ln X ~ Normal(mu, sigma); for times mu is in ln-seconds).",
        tokens_only: false,
    },
    KindSpec {
        kind: "gamma",
        params: &["shape", "scale"],
        optional: &[],
        doc: "Gamma with shape > 0 and scale > 0 (mean = shape * scale).",
        tokens_only: false,
    },
    KindSpec {
        kind: "weibull",
        params: &["shape", "scale"],
        optional: &[],
        doc: "Weibull with shape > 0 and scale > 0.",
        tokens_only: false,
    },
    KindSpec {
        kind: "empirical",
        params: &["values", "weights", "cumulative"],
        optional: &["weights", "cumulative"],
        doc: "One of `values` (each >= 0), with optional `weights` (same length, each >= 0, sum > 0; default equal) or `cumulative` (same length, the probability of drawing that value or an earlier one: non-decreasing, ending at exactly 1).",
        tokens_only: false,
    },
    KindSpec {
        kind: "mixture",
        params: &["components"],
        optional: &[],
        doc: "A mixture: `components = [{ weight = 0.8, value = <distribution> }, ...]`, each weight > 0 (normalised: only their ratios matter); a draw picks a component by weight, then draws from it. Components may not be mixtures; for token counts `offset` and `round` go on the mixture, not its components.",
        tokens_only: false,
    },
    KindSpec {
        kind: "geometric",
        params: &["p", "max"],
        optional: &[],
        doc: "Trials up to the first success of probability p (0 < p <= 1), capped at the integer max >= 1: mean (1 - (1-p)^max) / p.",
        tokens_only: true,
    },
];

/// Extra keys every token distribution accepts.
const TOKEN_SHAPING: &[&str] = &["offset", "round"];
pub(crate) const ROUNDINGS: &[&str] = &["nearest", "floor", "ceil"];

/// Parameters expressed in the quantity's unit (so, for times, duration strings).
pub(crate) fn has_unit(param: &str) -> bool {
    !matches!(param, "shape" | "sigma" | "mu" | "weights" | "cumulative" | "weight" | "p" | "components" | "max")
}

pub(crate) fn kinds_for(q: Quantity) -> impl Iterator<Item = &'static KindSpec> {
    KINDS.iter().filter(move |k| q == Quantity::Tokens || !k.tokens_only)
}

/// Validates a token-count distribution (numbers, plus `offset` and `round`).
pub(crate) fn token_dist(value: &toml::Value, path: &KeyPath, issues: &mut Issues) -> Option<TokenDist> {
    let toml::Value::Table(table) = value else {
        return match value {
            toml::Value::Integer(_) | toml::Value::Float(_) => {
                let x = read_param(Quantity::Tokens, "value", value, path, issues)?;
                non_negative(x, value, path, issues).then(|| TokenDist::new(Dist::Fixed(x)))
            }
            other => {
                issues.value(
                    path,
                    format!(
                        "expected a number or a distribution table such as {{ kind = \"uniform_int\", low = 1, high = 10 }}, got {}",
                        describe(other)
                    ),
                );
                None
            }
        };
    };
    let dist = dist_table(Quantity::Tokens, table, path, issues);
    let offset = match table.get("offset") {
        Some(v) => read_param(Quantity::Tokens, "offset", v, &path.key("offset"), issues),
        None => Some(0.0),
    };
    let rounding = match table.get("round") {
        None => Some(Rounding::Nearest),
        Some(v) => match v.as_str() {
            Some("nearest") => Some(Rounding::Nearest),
            Some("floor") => Some(Rounding::Floor),
            Some("ceil") => Some(Rounding::Ceil),
            _ => {
                let got = describe(v);
                issues
                    .value(&path.key("round"), format!("expected one of \"nearest\", \"floor\", \"ceil\", got {got}"));
                None
            }
        },
    };
    let td = TokenDist { dist: dist?, offset: offset?, rounding: rounding? };
    let mean = td.offset + td.dist.mean_upper_bound();
    if !mean.is_finite() || mean > MAX_TOKENS as f64 {
        issues.value(
            path,
            format!(
                "the distribution's mean is {}, more than the {MAX_TOKENS} tokens (2^32) one draw can produce: almost every draw would be cut to that bound; lower its parameters",
                shown_mean(mean)
            ),
        );
        return None;
    }
    Some(td)
}

/// The largest mean a time distribution may have: one year. A pause, a
/// latency or a think time longer than that is a units slip, and the
/// session's steps x mean times stays far from the clock's limit.
pub(crate) const MAX_MEAN_TIME_S: f64 = 365.0 * 86_400.0;

fn shown_mean(mean: f64) -> String {
    if mean.is_finite() { format!("{mean:.4e}") } else { "not a finite number".to_string() }
}

/// Refuses a time distribution whose mean is not finite or above
/// [`MAX_MEAN_TIME_S`] (a weibull with a tiny shape, a lognormal with a huge
/// sigma...), which would send the clock to its limit.
fn time_mean_ok(dist: Dist, path: &KeyPath, issues: &mut Issues) -> Option<Dist> {
    let mean = dist.mean_upper_bound();
    if mean.is_finite() && mean <= MAX_MEAN_TIME_S {
        return Some(dist);
    }
    let shown = if mean.is_finite() { format!("{mean:.4e} s") } else { "not a finite number".to_string() };
    issues.value(
        path,
        format!(
            "the distribution's mean is {shown}, more than one year (31536000 s); lower its parameters (a weibull shape near 0 or a lognormal sigma above ~5 give astronomically long tails)"
        ),
    );
    None
}

/// Validates a rate distribution (tokens per second): a bare number > 0 or a
/// table. Its mean time per token, E[1/rate], must be finite: the mean
/// decode time is output x E[1/rate], so a distribution reaching
/// arbitrarily close to 0 with weight there would have an infinite mean.
pub(crate) fn rate_dist(value: &toml::Value, path: &KeyPath, issues: &mut Issues) -> Option<Dist> {
    let dist = match value {
        toml::Value::Table(table) => dist_table(Quantity::Rate, table, path, issues)?,
        toml::Value::Integer(_) | toml::Value::Float(_) => {
            let x = read_param(Quantity::Rate, "value", value, path, issues)?;
            let max = MAX_TOKEN_RATE;
            let bad = if x <= 0.0 {
                Some("must be > 0".to_string())
            } else {
                (x > max.value).then(|| format!("must be <= {}{}", max.value, max.unit))
            };
            if let Some(bad) = bad {
                issues.value(path, format!("{bad}, got {}", shown_value(value)));
                return None;
            }
            Dist::Fixed(x)
        }
        other => {
            issues.value(
                path,
                format!(
                    "expected a number of tokens per second or a distribution table such as {{ kind = \"lognormal\", median = 90, p90 = 120 }}, got {}",
                    describe(other)
                ),
            );
            return None;
        }
    };
    let per_token = dist.mean_reciprocal_upper_bound();
    if !per_token.is_finite() || per_token <= 0.0 {
        issues.value(
            path,
            "the mean time per token, E[1 / rate], is infinite: this distribution draws rates arbitrarily close to 0; use a lognormal, a gamma or weibull with shape > 1, a uniform with low > 0, or positive values".to_string(),
        );
        return None;
    }
    let mean = dist.mean_upper_bound();
    if !mean.is_finite() || mean > MAX_TOKEN_RATE.value {
        let max = MAX_TOKEN_RATE;
        issues.value(
            path,
            format!("the distribution's mean is {}, more than {}{}", shown_mean(mean), max.value, max.unit),
        );
        return None;
    }
    Some(dist)
}

/// Validates a time distribution; values are returned in seconds.
pub(crate) fn time_dist(value: &toml::Value, path: &KeyPath, issues: &mut Issues) -> Option<Dist> {
    match value {
        toml::Value::Table(table) => {
            dist_table(Quantity::Time, table, path, issues).and_then(|d| time_mean_ok(d, path, issues))
        }
        toml::Value::String(_) | toml::Value::Integer(_) | toml::Value::Float(_) => {
            read_param(Quantity::Time, "value", value, path, issues)
                .and_then(|x| time_mean_ok(Dist::Fixed(x), path, issues))
        }
        other => {
            issues.value(
                path,
                format!(
                    "expected a duration string or a distribution table such as {{ kind = \"exponential\", mean = \"30s\" }}, got {}",
                    describe(other)
                ),
            );
            None
        }
    }
}

fn dist_table(q: Quantity, table: &toml::Table, path: &KeyPath, issues: &mut Issues) -> Option<Dist> {
    let kind_names: Vec<&str> = kinds_for(q).map(|k| k.kind).collect();
    let Some(kind_value) = table.get("kind") else {
        issues.missing(
            &path.key("kind"),
            format!("missing key `kind` in distribution; expected one of: {}", kind_names.join(", ")),
        );
        return None;
    };
    let spec = match kind_value.as_str() {
        Some(name) => match kinds_for(q).find(|k| k.kind == name) {
            Some(spec) => spec,
            None => {
                let hint = if q != Quantity::Tokens && name == "uniform_int" {
                    if q == Quantity::Time {
                        " (uniform_int draws integers, for counts only; use uniform for durations)"
                    } else {
                        " (uniform_int draws integers, for counts only; use uniform for rates)"
                    }
                } else {
                    ""
                };
                issues.value(
                    &path.key("kind"),
                    format!("unknown distribution kind `{name}`{hint}; expected one of: {}", kind_names.join(", ")),
                );
                return None;
            }
        },
        None => {
            let got = describe(kind_value);
            issues.value(&path.key("kind"), format!("expected a kind name such as \"exponential\", got {got}"));
            return None;
        }
    };

    let mut valid: Vec<&str> = vec!["kind"];
    valid.extend(spec.params);
    if q == Quantity::Tokens {
        valid.extend(TOKEN_SHAPING);
    }
    let article = if spec.kind.starts_with(['a', 'e', 'i', 'o']) { "an" } else { "a" };
    for key in table.keys() {
        if !valid.contains(&key.as_str()) {
            let what = format!("{article} {} distribution", spec.kind);
            issues.key(&path.key(key), unknown_key_message(key, &valid, &what));
        }
    }
    for param in spec.params.iter().filter(|p| !spec.optional.contains(p)) {
        if !table.contains_key(*param) {
            issues.missing(
                &path.key(param),
                format!("missing key `{param}` for {article} {} distribution ({})", spec.kind, spec.doc),
            );
        }
    }

    let p = Params { q, table, path };
    let mut ok = true;
    let mut check = |cond: bool, param: &str, message: String, issues: &mut Issues| {
        if !cond {
            issues.value(&path.key(param), message);
            ok = false;
        }
    };
    let dist = match spec.kind {
        "fixed" => {
            let value = p.number("value", issues)?;
            check(value >= 0.0, "value", format!("must be >= 0, got {}", p.shown("value")), issues);
            Dist::Fixed(value)
        }
        "uniform" => {
            let (low, high) = (p.number("low", issues), p.number("high", issues));
            let (low, high) = (low?, high?);
            check(low >= 0.0, "low", format!("must be >= 0, got {}", p.shown("low")), issues);
            check(high >= low, "high", format!("must be >= low ({}), got {}", p.shown("low"), p.shown("high")), issues);
            Dist::Uniform { low, high }
        }
        "uniform_int" => {
            let (low, high) = (p.integer("low", issues), p.integer("high", issues));
            let (low, high) = (low?, high?);
            check(low >= 0, "low", format!("must be >= 0, got {low}"), issues);
            check(high >= low, "high", format!("must be >= low ({low}), got {high}"), issues);
            check(high as i128 <= MAX_TOKENS as i128, "high", too_many_tokens(&high.to_string()), issues);
            Dist::UniformInt { low, high }
        }
        "exponential" => {
            let mean = p.number("mean", issues)?;
            check(mean > 0.0, "mean", format!("must be > 0, got {}", p.shown("mean")), issues);
            Dist::Exponential { mean }
        }
        "normal" => {
            let (mean, std) = (p.number("mean", issues), p.number("std", issues));
            let (mean, std) = (mean?, std?);
            check(std >= 0.0, "std", format!("must be >= 0, got {}", p.shown("std")), issues);
            Dist::Normal { mean, std }
        }
        "lognormal" => return lognormal(&p, issues),
        "mixture" => return mixture(&p, issues),
        "geometric" => {
            let (prob, max) = (p.number("p", issues), p.integer("max", issues));
            let (prob, max) = (prob?, max?);
            check(prob > 0.0 && prob <= 1.0, "p", format!("must be in (0, 1], got {}", p.shown("p")), issues);
            check(max >= 1, "max", format!("must be >= 1, got {max}"), issues);
            check(max as i128 <= MAX_TOKENS as i128, "max", too_many_tokens(&max.to_string()), issues);
            Dist::Geometric { p: prob, max: max.max(1) as u64 }
        }
        "gamma" | "weibull" => {
            let (shape, scale) = (p.number("shape", issues), p.number("scale", issues));
            let (shape, scale) = (shape?, scale?);
            check(shape > 0.0, "shape", format!("must be > 0, got {}", p.shown("shape")), issues);
            check(scale > 0.0, "scale", format!("must be > 0, got {}", p.shown("scale")), issues);
            if spec.kind == "gamma" { Dist::Gamma { shape, scale } } else { Dist::Weibull { shape, scale } }
        }
        _ => return empirical(&p, issues),
    };
    ok.then_some(dist)
}

/// `components = [{ weight, value }, ...]`: each value a distribution of the
/// mixture's quantity (a bare value is `fixed`), read like any other.
fn mixture(p: &Params<'_>, issues: &mut Issues) -> Option<Dist> {
    let path = p.path.key("components");
    let Some(toml::Value::Array(items)) = p.table.get("components") else {
        let got = p.table.get("components").map(describe)?;
        issues.value(&path, format!("expected an array of {{ weight = ..., value = ... }} tables, got {got}"));
        return None;
    };
    if items.is_empty() {
        issues.value(&path, "must list at least one component".to_string());
        return None;
    }
    let (mut weights, mut components, mut ok) = (Vec::new(), Vec::new(), true);
    for (i, item) in items.iter().enumerate() {
        let at = path.index(i);
        let Some(t) = item.as_table() else {
            issues.value(&at, format!("expected a {{ weight = ..., value = ... }} table, got {}", describe(item)));
            ok = false;
            continue;
        };
        for key in t.keys().filter(|k| !matches!(k.as_str(), "weight" | "value")) {
            issues.key(&at.key(key), unknown_key_message(key, &["weight", "value"], "a mixture component"));
            ok = false;
        }
        let weight = match t.get("weight") {
            None => {
                issues.missing(&at.key("weight"), "missing key `weight` (a number > 0)".to_string());
                None
            }
            Some(v) => read_param(p.q, "weight", v, &at.key("weight"), issues).filter(|w| {
                let good = *w > 0.0 && w.is_finite();
                if !good {
                    issues.value(&at.key("weight"), format!("must be > 0, got {}", shown_value(v)));
                }
                good
            }),
        };
        let value = match t.get("value") {
            None => {
                issues.missing(&at.key("value"), "missing key `value` (a distribution)".to_string());
                None
            }
            Some(toml::Value::Table(vt)) => component_table(p.q, vt, &at.key("value"), issues),
            Some(v) => read_param(p.q, "value", v, &at.key("value"), issues)
                .filter(|x| non_negative(*x, v, &at.key("value"), issues))
                .map(Dist::Fixed),
        };
        match (weight, value) {
            (Some(w), Some(d)) => {
                weights.push(w);
                components.push(d);
            }
            _ => ok = false,
        }
    }
    let total: f64 = weights.iter().sum();
    if ok && !total.is_finite() {
        issues.value(&path, "the weights must have a finite sum; scale them down (only their ratios matter)".into());
        ok = false;
    }
    ok.then_some(Dist::Mixture { weights, components })
}

/// One mixture component's table: any kind but a mixture, without token shaping.
fn component_table(q: Quantity, table: &toml::Table, path: &KeyPath, issues: &mut Issues) -> Option<Dist> {
    if table.get("kind").and_then(|k| k.as_str()) == Some("mixture") {
        issues.value(
            &path.key("kind"),
            "a mixture's component may not be a mixture; list its components in the outer mixture instead".into(),
        );
        return None;
    }
    if let Some(key) = TOKEN_SHAPING.iter().find(|k| table.contains_key(**k)) {
        issues.key(&path.key(key), format!("`{key}` applies to the whole mixture: put it beside `kind = \"mixture\"`"));
        return None;
    }
    dist_table(q, table, path, issues)
}

/// Lognormal takes exactly one of two parameter pairs.
fn lognormal(p: &Params<'_>, issues: &mut Issues) -> Option<Dist> {
    let has = |k: &str| p.table.contains_key(k);
    let quantiles = has("median") || has("p90");
    let moments = has("mu") || has("sigma");
    if quantiles == moments {
        let message = if quantiles {
            "give either `median` and `p90`, or `mu` and `sigma`, not both pairs"
        } else {
            "missing parameters for a lognormal distribution; give either `median` and `p90`, or `mu` and `sigma`"
        };
        if quantiles {
            issues.value(p.path, message.to_string());
        } else {
            issues.missing(p.path, message.to_string());
        }
        return None;
    }
    let pair = if quantiles { ["median", "p90"] } else { ["mu", "sigma"] };
    for key in pair.iter().filter(|k| !has(k)) {
        issues.missing(
            &p.path.key(key),
            format!("missing key `{key}`; a lognormal needs both `{}` and `{}`", pair[0], pair[1]),
        );
    }
    let (a, b) = (p.number(pair[0], issues), p.number(pair[1], issues));
    let (a, b) = (a?, b?);
    if quantiles {
        let mut ok = true;
        if a <= 0.0 {
            issues.value(&p.path.key("median"), format!("must be > 0, got {}", p.shown("median")));
            ok = false;
        }
        if b <= a {
            issues
                .value(&p.path.key("p90"), format!("must be > median ({}), got {}", p.shown("median"), p.shown("p90")));
            ok = false;
        }
        if !ok {
            return None;
        }
        let dist = Dist::lognormal_from_median_p90(a, b);
        if !matches!(dist, Dist::LogNormal { mu, sigma } if mu.is_finite() && sigma.is_finite()) {
            let message = format!(
                "p90/median ratio too large: sigma = ln(p90 / median) / {Z90:.4} is not a finite number (median {}, p90 {}); raise `median` or lower `p90`",
                p.shown("median"),
                p.shown("p90")
            );
            issues.value(&p.path.key("p90"), message);
            return None;
        }
        Some(dist)
    } else {
        let mut ok = true;
        if b <= 0.0 {
            issues.value(&p.path.key("sigma"), format!("must be > 0, got {}", p.shown("sigma")));
            ok = false;
        }
        // The median e^mu is a token count like any other.
        let max_mu = crate::maths::ln(MAX_TOKENS as f64);
        if p.q == Quantity::Tokens && a > max_mu {
            let message = format!(
                "must be <= {max_mu:.4} (ln 2^32: the median e^mu may be at most {MAX_TOKENS} tokens), got {}",
                p.shown("mu")
            );
            issues.value(&p.path.key("mu"), message);
            ok = false;
        }
        (ok && a.is_finite() && b.is_finite()).then_some(Dist::LogNormal { mu: a, sigma: b })
    }
}

fn empirical(p: &Params<'_>, issues: &mut Issues) -> Option<Dist> {
    // Both lists are read in full first, so a bad element in one does not hide
    // a length mismatch or a bad sum in the other.
    let values = p.list("values", issues);
    let weights = p.table.get("weights").map(|_| p.list("weights", issues));
    let mut ok = true;
    if let Some(v) = &values
        && v.len == 0
    {
        issues.value(&p.path.key("values"), "must list at least one value".to_string());
        ok = false;
    }
    if let Some(Some(w)) = &weights {
        if let Some(v) = values.as_ref().filter(|v| v.len != w.len) {
            let message = format!("must have the same length as `values` ({}), got {}", v.len, w.len);
            issues.value(&p.path.key("weights"), message);
            ok = false;
        } else if let Some(items) = &w.items {
            let sum: f64 = items.iter().sum();
            let why = if !sum.is_finite() {
                Some(format!("must have a finite sum, got {sum}; scale the weights down (only their ratios matter)"))
            } else if sum <= 0.0 {
                Some("must sum to more than 0".to_string())
            } else {
                None
            };
            if let Some(message) = why {
                issues.value(&p.path.key("weights"), message);
                ok = false;
            }
        }
    }
    let cumulative = p.table.get("cumulative").map(|_| p.list("cumulative", issues));
    if weights.is_some() && cumulative.is_some() {
        issues.value(&p.path.key("cumulative"), "give either `weights` or `cumulative`, not both".to_string());
        ok = false;
    }
    if let Some(Some(c)) = &cumulative {
        ok &= cumulative_ok(p, c, values.as_ref().map(|v| v.len), issues);
    }
    let values = values?.items?;
    let weights = match weights {
        None => None,
        Some(w) => Some(w?.items?),
    };
    let cumulative = match cumulative {
        None => None,
        Some(c) => Some(c?.items?),
    };
    match cumulative {
        // The exact form the validated distribution keeps, so a resolved
        // scenario (which writes this form) loads back to the same draws.
        Some(cumulative) => ok.then_some(Dist::Empirical { values, cumulative }),
        None => ok.then(|| Dist::empirical(values, weights)),
    }
}

/// `cumulative` probabilities: as many as the values, each in [0, 1],
/// non-decreasing, the last exactly 1 (so a draw always finds a value).
fn cumulative_ok(p: &Params<'_>, c: &Listed, values: Option<usize>, issues: &mut Issues) -> bool {
    let path = p.path.key("cumulative");
    if let Some(n) = values.filter(|n| *n != c.len) {
        issues.value(&path, format!("must have the same length as `values` ({n}), got {}", c.len));
        return false;
    }
    let Some(items) = &c.items else { return true };
    let mut prev = 0.0;
    for (i, x) in items.iter().enumerate() {
        let why = if *x > 1.0 {
            Some(format!("must be <= 1 (a probability), got {x}"))
        } else if *x < prev {
            Some(format!("must be >= the previous probability ({prev}), got {x}"))
        } else {
            None
        };
        if let Some(message) = why {
            issues.value(&path.index(i), message);
            return false;
        }
        prev = *x;
    }
    if prev != 1.0 {
        issues.value(&path, format!("must end at exactly 1 (every draw finds a value), got {prev}"));
        return false;
    }
    true
}

/// An array parameter as read: its length, and its elements if all were valid.
struct Listed {
    len: usize,
    items: Option<Vec<f64>>,
}

/// The parameters of one distribution table, read in its quantity's unit.
struct Params<'a> {
    q: Quantity,
    table: &'a toml::Table,
    path: &'a KeyPath,
}

impl Params<'_> {
    /// A required real parameter (missing ones were already reported).
    fn number(&self, key: &str, issues: &mut Issues) -> Option<f64> {
        read_param(self.q, key, self.table.get(key)?, &self.path.key(key), issues)
    }

    fn integer(&self, key: &str, issues: &mut Issues) -> Option<i64> {
        match self.table.get(key)? {
            toml::Value::Integer(i) => Some(*i),
            other => {
                issues.value(&self.path.key(key), format!("expected an integer, got {}", describe(other)));
                None
            }
        }
    }

    /// An array parameter; elements are checked individually so each bad one is reported.
    fn list(&self, key: &str, issues: &mut Issues) -> Option<Listed> {
        let path = self.path.key(key);
        let Some(toml::Value::Array(items)) = self.table.get(key) else {
            let got = self.table.get(key).map(describe)?;
            issues.value(&path, format!("expected an array, got {got}"));
            return None;
        };
        let mut out = Vec::with_capacity(items.len());
        let mut ok = true;
        for (i, item) in items.iter().enumerate() {
            let at = path.index(i);
            match read_param(self.q, key, item, &at, issues) {
                Some(x) if x >= 0.0 => out.push(x),
                Some(_) => {
                    issues.value(&at, format!("must be >= 0, got {item}"));
                    ok = false;
                }
                None => ok = false,
            }
        }
        Some(Listed { len: items.len(), items: ok.then_some(out) })
    }

    /// The parameter as the user wrote it, for messages.
    fn shown(&self, key: &str) -> String {
        self.table.get(key).map(shown_value).unwrap_or_default()
    }
}

/// Reads one parameter value: a duration (as seconds) if it carries a time unit, else a finite number.
fn read_param(q: Quantity, key: &str, value: &toml::Value, path: &KeyPath, issues: &mut Issues) -> Option<f64> {
    let read = if q == Quantity::Time && has_unit(key) {
        DurationText::read(value).map(|d| d.as_secs_f64())
    } else {
        f64::read(value)
    };
    // A token count beyond MAX_TOKENS could not be drawn anyway; negative values
    // (a normal's mean, an offset) get the same bound in the other direction.
    let read = read.and_then(|x| match q == Quantity::Tokens && has_unit(key) {
        true if x > MAX_TOKENS as f64 => Err(too_many_tokens(&shown_value(value))),
        true if x < -(MAX_TOKENS as f64) => Err(format!("must be >= -{MAX_TOKENS} (2^32 tokens), got {value}")),
        _ => Ok(x),
    });
    read.map_err(|message| issues.value(path, message)).ok()
}

fn non_negative(x: f64, value: &toml::Value, path: &KeyPath, issues: &mut Issues) -> bool {
    if x < 0.0 {
        issues.value(path, format!("must be >= 0, got {value}"));
    }
    x >= 0.0
}

/// Schema marker for a token-count distribution field.
#[derive(Debug)]
pub(crate) struct TokenDistSpec;

/// Schema marker for a time distribution field.
#[derive(Debug)]
pub(crate) struct TimeDistSpec;

/// Schema marker for a rate (tokens per second) distribution field.
#[derive(Debug)]
pub(crate) struct RateDistSpec;

/// Distributions are read by `dists`, which itself records into `Ctx`'s issues.
impl Ctx<'_> {
    pub(crate) fn token_dist(
        &mut self,
        raw: &Option<Raw<TokenDistSpec>>,
        path: &KeyPath,
        default: Option<f64>,
    ) -> Option<TokenDist> {
        match (raw, default) {
            (Some(raw), _) => token_dist(&raw.value, path, self.issues),
            (None, Some(v)) => Some(TokenDist::new(Dist::Fixed(v))),
            (None, None) => {
                self.missing(path, "a token distribution, e.g. 20 or { kind = \"uniform_int\", low = 5, high = 30 }");
                None
            }
        }
    }

    pub(crate) fn rate_dist(&mut self, raw: &Option<Raw<RateDistSpec>>, path: &KeyPath, default: Dist) -> Option<Dist> {
        match raw {
            Some(raw) => rate_dist(&raw.value, path, self.issues),
            None => Some(default),
        }
    }

    pub(crate) fn time_dist(&mut self, raw: &Option<Raw<TimeDistSpec>>, path: &KeyPath) -> Option<Dist> {
        match raw {
            Some(raw) => time_dist(&raw.value, path, self.issues),
            None => Some(Dist::Fixed(0.0)),
        }
    }
}

#[cfg(test)]
#[path = "dists_tests.rs"]
mod tests;
