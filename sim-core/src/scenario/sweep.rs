//! Sweeps: the grid of every swept parameter's values (the first parameter
//! outermost), each point the scenario loaded with the run's `--set`
//! overrides then the point's values, exactly as `--set` would apply them,
//! and each variant on top of the point.

use toml::de::{DeTable, DeValue};

use super::bases::BuiltIn;
use super::found::MAX_PROBLEMS;
use super::load::load_from;
use super::location::{Anchor, KeyPath, line_column, locate};
use super::schema::is_integer_key;
use super::validate_sweep::{MAX_SWEEP_POINTS, parse_range};
use super::variants::{Variant, incomparable, load_variants, split_top_level};
use super::{
    FileSource, Origin, Override, Problem, Scenario, ScenarioError, SourceText, SweepSource, SweepSpec, SweepValues,
    VariantSpec,
};

/// One point of a sweep, ready to run.
#[derive(Clone, Debug, PartialEq)]
pub struct SweepPoint {
    /// Per swept parameter (in [`Sweep::parameters`] order), its value here.
    pub values: Vec<toml::Value>,
    /// The scenario at this point (the baseline of its variants).
    pub scenario: Scenario,
    /// The variants at this point: the point's values, then each variant's overrides.
    pub variants: Vec<Variant>,
}

/// A validated sweep: the swept paths and every point, in grid order.
#[derive(Clone, Debug, PartialEq)]
pub struct Sweep {
    pub parameters: Vec<String>,
    pub points: Vec<SweepPoint>,
}

/// A swept value as written, for tables and column cells: a string without
/// its quotes, anything else as TOML.
pub fn value_label(v: &toml::Value) -> String {
    match v {
        toml::Value::String(s) => s.clone(),
        other => other.to_string(),
    }
}

/// Parses `--sweep PATH=v1,v2,...` (each value read like a `--set` value:
/// TOML, else a bare string) or `--sweep PATH=lo..hi:steps[:log]`.
pub fn parse_sweep(text: &str) -> Result<SweepSpec, String> {
    let (path, rest) = text.split_once('=').ok_or_else(|| {
        format!(
            "`{}` is not of the form PATH=v1,v2,... or PATH=lo..hi:steps[:log] \
             (e.g. providers[0].cache.ttl=5m,1h)",
            crate::echo::clip(text)
        )
    })?;
    KeyPath::parse(path)?;
    let source = SweepSource::Flag(text.to_string());
    let path = path.trim().to_string();
    let parts = split_top_level(rest);
    if parts.len() == 1 && rest.contains("..") && rest.contains(':') {
        return Ok(SweepSpec { path, values: SweepValues::Range(parse_range(rest)?), source });
    }
    // `lo..hi` alone is neither a list nor a range: say what is missing.
    if let [one] = parts.as_slice()
        && let Some((lo, hi)) = one.split_once("..")
        && lo.trim().parse::<f64>().is_ok()
        && hi.trim().parse::<f64>().is_ok()
    {
        return Err(format!(
            "`{}` is a range without its number of steps: write lo..hi:steps (e.g. {}:5), :log for geometric steps",
            crate::echo::clip(one.trim()),
            crate::echo::clip(one.trim())
        ));
    }
    let values = parts
        .into_iter()
        .map(|p| {
            let p = p.trim();
            if p.is_empty() {
                return Err("empty value in the list; write PATH=v1,v2,...".to_string());
            }
            Ok(p.parse::<toml::Value>().unwrap_or_else(|_| toml::Value::String(p.to_string())))
        })
        .collect::<Result<Vec<_>, _>>()?;
    if values.len() > MAX_SWEEP_POINTS {
        return Err(format!("{} values; a sweep runs at most {MAX_SWEEP_POINTS} points", values.len()));
    }
    Ok(SweepSpec { path, values: SweepValues::List(values), source })
}

/// A parameter's values in order: a list as written; a range's `steps`
/// values from lo to hi (both exact), evenly spaced or geometric, to 10
/// significant digits, or for an integer key rounded with duplicates dropped.
pub(crate) fn expand(values: &SweepValues, integer: bool) -> Vec<toml::Value> {
    let r = match values {
        SweepValues::List(list) => return list.clone(),
        SweepValues::Range(r) => r,
    };
    let last = r.steps.max(2) - 1;
    let mut out: Vec<toml::Value> = Vec::new();
    for k in 0..=last {
        let f = f64::from(k) / f64::from(last);
        let x = match (k, r.log) {
            (0, _) => r.lo,
            (k, _) if k == last => r.hi,
            (_, true) => r.lo * crate::maths::powf(r.hi / r.lo, f),
            (_, false) => r.lo + (r.hi - r.lo) * f,
        };
        let v = if integer {
            toml::Value::Integer(x.round() as i64)
        } else {
            toml::Value::Float(format!("{x:.9e}").parse().unwrap_or(x))
        };
        if out.last() != Some(&v) {
            out.push(v);
        }
    }
    out
}

/// Every point of a grid with `counts` values per parameter, as value
/// indices: the first parameter outermost, each in its declared order.
pub fn grid(counts: &[usize]) -> Vec<Vec<usize>> {
    let total: usize = counts.iter().product();
    (0..total)
        .map(|mut i| {
            let mut point = vec![0; counts.len()];
            for (slot, &c) in point.iter_mut().zip(counts).rev() {
                *slot = i % c;
                i /= c;
            }
            point
        })
        .collect()
}

/// A swept parameter being checked: its spec, its values, where it was written.
struct Param<'a> {
    spec: &'a SweepSpec,
    values: Vec<toml::Value>,
    /// Its `--sweep` index, for a flag.
    flag: usize,
}

/// The problems of a sweep, the first [`MAX_PROBLEMS`] kept and the rest counted.
#[derive(Default)]
struct Problems(Vec<Problem>, usize);

impl Problems {
    fn push(&mut self, p: Problem) {
        if self.0.len() < MAX_PROBLEMS { self.0.push(p) } else { self.1 += 1 }
    }

    fn is_empty(&self) -> bool {
        self.0.is_empty()
    }

    fn into_error(self) -> ScenarioError {
        ScenarioError { problems: self.0, more: self.1 }
    }
}

/// The file's `[[sweep]]` entries (in `baseline.sweep`), then `extra` (from
/// `--sweep`), checked and expanded into their grid: every value applied
/// alone (a bad one is reported where it was written, with its key path),
/// then every point, with `extra_variants` after the file's variants. A
/// point keeps the baseline's seed, replicates and names, as a variant does.
/// `None` when nothing is swept.
pub fn load_sweep(
    src: &SourceText<'_>,
    overrides: &[Override],
    files: &dyn FileSource,
    baseline: &Scenario,
    extra: &[SweepSpec],
    extra_variants: &[VariantSpec],
) -> Result<Option<Sweep>, ScenarioError> {
    if baseline.sweep.is_empty() && extra.is_empty() {
        return Ok(None);
    }
    let places = Places::new(src);
    let mut problems = Problems::default();
    let mut params: Vec<Param<'_>> = Vec::new();
    for (flag, spec) in extra.iter().enumerate() {
        let key = KeyPath::parse(&spec.path).map(|p| p.to_string()).unwrap_or_default();
        let earlier = baseline.sweep.iter().chain(&extra[..flag]).find(|s| same_path(&s.path, &key));
        if let Some(earlier) = earlier {
            let by = match earlier.source {
                SweepSource::File(_) => "a [[sweep]] entry of the file",
                SweepSource::Flag(_) => "an earlier --sweep",
            };
            problems.push(Problem {
                origin: flag_origin(flag, spec),
                path: spec.path.clone(),
                message: format!("`{key}` is already swept by {by}; sweep each key once"),
            });
        }
    }
    let flags = (0..baseline.sweep.len()).map(|_| 0).chain(0..extra.len());
    for (spec, flag) in baseline.sweep.iter().chain(extra).zip(flags) {
        let integer = KeyPath::parse(&spec.path).is_ok_and(|p| is_integer_key(&p));
        params.push(Param { spec, values: expand(&spec.values, integer), flag });
    }
    let counts: Vec<usize> = params.iter().map(|p| p.values.len()).collect();
    let total = counts.iter().try_fold(1usize, |acc, &c| acc.checked_mul(c)).unwrap_or(usize::MAX);
    if total > MAX_SWEEP_POINTS {
        let shown: Vec<String> = counts.iter().map(usize::to_string).collect();
        let message = format!(
            "the sweep has {total} points ({}); at most {MAX_SWEEP_POINTS} are run: use fewer values or steps",
            shown.join(" x ")
        );
        problems.push(Problem { origin: places.origin(&params[0], 0), path: "sweep".to_string(), message });
    }
    if !problems.is_empty() {
        return Err(problems.into_error());
    }

    // Each value alone: a bad one is reported at the value, once.
    for p in &params {
        for (j, v) in p.values.iter().enumerate() {
            let all: Vec<Override> = overrides.iter().cloned().chain([applied(p, v)]).collect();
            let context = || format!("with sweep `{}` = `{}`", p.spec.path, value_label(v));
            let at = || places.origin(p, j);
            match load_from(src, &all, files, &BuiltIn) {
                Ok(s) => {
                    if let Some(message) = incomparable(baseline, &s, "sweep point") {
                        problems.push(Problem { origin: at(), path: p.spec.path.clone(), message });
                    }
                }
                Err(e) => {
                    for problem in e.problems {
                        problems.push(remap(problem, overrides.len(), &|_| (at(), value_label(v)), &context));
                    }
                    problems.1 += e.more;
                }
            }
        }
    }
    if !problems.is_empty() {
        return Err(problems.into_error());
    }

    // Every point: values that are each valid may still clash.
    let mut points = Vec::new();
    for (n, point) in grid(&counts).into_iter().enumerate() {
        let chosen: Vec<&toml::Value> = params.iter().zip(&point).map(|(p, &j)| &p.values[j]).collect();
        let all: Vec<Override> =
            overrides.iter().cloned().chain(params.iter().zip(&chosen).map(|(p, v)| applied(p, v))).collect();
        let shown: Vec<String> =
            params.iter().zip(&chosen).map(|(p, v)| format!("{} = {}", p.spec.path, value_label(v))).collect();
        let context = || format!("at sweep point {n} ({})", shown.join(", "));
        let origin_of = |i: usize| (places.origin(&params[i], point[i]), value_label(chosen[i]));
        let mut report = |e: ScenarioError| {
            for problem in e.problems {
                problems.push(remap(problem, overrides.len(), &origin_of, &context));
            }
            problems.1 += e.more;
        };
        let mut scenario = match load_from(src, &all, files, &BuiltIn) {
            Ok(s) => s,
            Err(e) => {
                report(e);
                continue;
            }
        };
        scenario.sweep.clear();
        if let Some(message) = incomparable(baseline, &scenario, "sweep point") {
            report(ScenarioError::one(Problem { origin: origin_of(0).0, path: String::new(), message }));
            continue;
        }
        match load_variants(src, &all, files, &scenario, extra_variants) {
            Ok(variants) => {
                points.push(SweepPoint { values: chosen.into_iter().cloned().collect(), scenario, variants })
            }
            Err(e) => report(e),
        }
    }
    if !problems.is_empty() {
        return Err(problems.into_error());
    }
    Ok(Some(Sweep { parameters: params.iter().map(|p| p.spec.path.clone()).collect(), points }))
}

fn same_path(path: &str, key: &str) -> bool {
    KeyPath::parse(path).is_ok_and(|p| p.to_string() == key)
}

/// A swept value as the override that applies it.
fn applied(p: &Param<'_>, v: &toml::Value) -> Override {
    Override { path: p.spec.path.clone(), value: v.to_string() }
}

fn flag_origin(index: usize, spec: &SweepSpec) -> Origin {
    let text = match &spec.source {
        SweepSource::Flag(text) => text.clone(),
        SweepSource::File(_) => String::new(),
    };
    Origin::Sweep { index, text }
}

/// A problem of a load with `n_set` overrides then swept values: one in a
/// swept value moves to where that value was written (`origin_of` the
/// parameter's index gives it, and the value's label); any other says which
/// values it came with.
fn remap(
    p: Problem,
    n_set: usize,
    origin_of: &dyn Fn(usize) -> (Origin, String),
    context: &dyn Fn() -> String,
) -> Problem {
    match p.origin {
        Origin::Override { index, .. } if index >= n_set => {
            let (origin, label) = origin_of(index - n_set);
            Problem { origin, path: p.path, message: format!("sweep value `{label}`: {}", p.message) }
        }
        origin => Problem { origin, path: p.path, message: format!("{}: {}", context(), p.message) },
    }
}

/// The file's tree, to say where each `[[sweep]]` value was written.
struct Places<'a> {
    file: &'a str,
    text: &'a str,
    root: DeValue<'a>,
    root_span: std::ops::Range<usize>,
}

impl<'a> Places<'a> {
    fn new(src: &SourceText<'a>) -> Self {
        let (parsed, _) = DeTable::parse_recoverable(src.text);
        let root_span = parsed.span();
        Places { file: src.name, text: src.text, root: DeValue::Table(parsed.into_inner()), root_span }
    }

    /// Where value `j` of `p` was written: the list element or the range of
    /// its `[[sweep]]` entry, or its `--sweep`.
    fn origin(&self, p: &Param<'_>, j: usize) -> Origin {
        let i = match p.spec.source {
            SweepSource::File(i) => i,
            SweepSource::Flag(_) => return flag_origin(p.flag, p.spec),
        };
        let entry = KeyPath::root().key("sweep").index(i);
        let path = match p.spec.values {
            SweepValues::List(_) => entry.key("values").index(j),
            SweepValues::Range(_) => entry.key("range"),
        };
        let span = locate(&self.root, self.root_span.clone(), &path, Anchor::Value);
        let (line, column) = line_column(self.text, span.start);
        Origin::File { file: self.file.to_string(), line, column }
    }
}
