//! Variants: the baseline scenario with a named set of overrides applied,
//! loaded and validated by the same path as `--set`, so a variant is exactly
//! what `--set` would have made of the file.

use super::load::load_from;
use super::overrides::parse_override;
use super::validate_variants::name_problem;
use super::{FileSource, Origin, Override, Problem, Scenario, ScenarioError, SourceText, VariantSpec, bases::BuiltIn};

/// A variant ready to run: its name and its validated scenario.
#[derive(Clone, Debug, PartialEq)]
pub struct Variant {
    pub name: String,
    pub scenario: Scenario,
}

/// Parses `--variant NAME=path=value,path=value`. Commas inside brackets,
/// braces or quotes belong to a value (`steps={ kind = "fixed", value = 3 }`).
pub fn parse_variant(text: &str) -> Result<VariantSpec, String> {
    let (name, rest) = text.split_once('=').ok_or_else(|| {
        format!(
            "`{}` is not of the form NAME=path=value,path=value (e.g. ttl-1h=providers[0].cache.ttl=1h)",
            crate::echo::clip(text)
        )
    })?;
    let name = name.trim().to_string();
    if let Some(message) = name_problem(&name, &[]) {
        return Err(format!("variant name: {message}"));
    }
    if rest.trim().is_empty() {
        return Err(format!(
            "variant `{}` sets nothing: give at least one path=value after `=`",
            crate::echo::clip(&name)
        ));
    }
    let overrides = split_top_level(rest).into_iter().map(parse_override).collect::<Result<Vec<_>, _>>()?;
    Ok(VariantSpec { name, overrides })
}

/// Splits at commas outside `[]`, `{}` and string quotes.
pub(crate) fn split_top_level(text: &str) -> Vec<&str> {
    let (mut depth, mut quote, mut start) = (0i32, None, 0);
    let mut parts = Vec::new();
    for (i, c) in text.char_indices() {
        match (quote, c) {
            (Some(q), c) if c == q => quote = None,
            (Some(_), _) => {}
            (None, '"' | '\'') => quote = Some(c),
            (None, '[' | '{') => depth += 1,
            (None, ']' | '}') => depth -= 1,
            (None, ',') if depth == 0 => {
                parts.push(&text[start..i]);
                start = i + 1;
            }
            _ => {}
        }
    }
    parts.push(&text[start..]);
    parts
}

/// Every variant of `baseline` (loaded from `src` with `overrides`): those of
/// its `[[variants]]`, then `extra` (from `--variant`), each loaded from the
/// same text with the baseline's overrides followed by its own. Every problem
/// names its variant. A variant must keep the baseline's seed, replicates and
/// provider and workload names: it is compared replicate by replicate and
/// scope by scope (cache tiers may differ: metrics pair up by name).
pub fn load_variants(
    src: &SourceText<'_>,
    overrides: &[Override],
    files: &dyn FileSource,
    baseline: &Scenario,
    extra: &[VariantSpec],
) -> Result<Vec<Variant>, ScenarioError> {
    let mut problems = Vec::new();
    let mut names: Vec<String> = Vec::new();
    let mut out = Vec::new();
    for spec in baseline.variants.iter().chain(extra) {
        let problem = |message: String, text: String| Problem {
            origin: Origin::Variant { name: spec.name.clone(), text },
            path: String::new(),
            message,
        };
        if let Some(message) = name_problem(&spec.name, &names) {
            problems.push(problem(message, String::new()));
            continue;
        }
        names.push(spec.name.clone());
        let all: Vec<Override> = overrides.iter().chain(&spec.overrides).cloned().collect();
        match load_from(src, &all, files, &BuiltIn) {
            Ok(mut scenario) => {
                scenario.variants.clear();
                if let Some(message) = incomparable(baseline, &scenario, "variant") {
                    problems.push(problem(message, String::new()));
                }
                out.push(Variant { name: spec.name.clone(), scenario });
            }
            Err(e) => problems.extend(e.problems.into_iter().map(|p| match p.origin {
                Origin::Override { index, text } if index >= overrides.len() => {
                    problem(p.message, text).with_path(p.path)
                }
                origin => {
                    Problem { origin, path: p.path, message: format!("in variant `{}`: {}", spec.name, p.message) }
                }
            })),
        }
    }
    if problems.is_empty() { Ok(out) } else { Err(ScenarioError { problems, more: 0 }) }
}

impl Problem {
    fn with_path(self, path: String) -> Self {
        Problem { path, ..self }
    }
}

/// Why the results of `v` (a `what`: variant, sweep point) could not be
/// paired with the baseline's, if not.
pub(super) fn incomparable(base: &Scenario, v: &Scenario, what: &str) -> Option<String> {
    let (bs, vs) = (&base.simulation, &v.simulation);
    if (bs.seed, bs.replicates) != (vs.seed, vs.replicates) {
        return Some(format!(
            "a {what} runs on the baseline's seed and replicates (that is what pairs them), \
             so it cannot set them (seed {} -> {}, replicates {} -> {})",
            bs.seed, vs.seed, bs.replicates, vs.replicates
        ));
    }
    let names = |s: &Scenario| (s.provider_names(), s.workload_names());
    (names(base) != names(v)).then(|| {
        format!(
            "a {what} must keep the baseline's provider and workload names: \
             its results are compared with the baseline's scope by scope"
        )
    })
}

#[cfg(test)]
#[path = "variants_tests.rs"]
mod tests;
