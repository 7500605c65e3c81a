//! `load`: parse (recovering from syntax errors), apply overrides, deserialize the
//! raw mirror while collecting unknown keys, validate, and report every problem sorted
//! by where it was written.

use std::ops::Range;

use toml::Spanned;
use toml::de::{DeTable, DeValue};

use super::bases::{self, BuiltIn, Catalog};
use super::context::{Env, Issues, unknown_key_message};
use super::found::{Found, FoundSet};
use super::location::{Anchor, KeyPath, Seg, SourceMap, find_by_span, locate};
use super::overrides;
use super::raw::*;
use super::raw_replicas::{RawReplicas, RawRoofline, RawStep};
use super::validate::validate;
use super::{FileSource, NoFiles, Override, Scenario, ScenarioError, SourceText};

/// Each failed attempt removes one offending entry, so this only bounds pathological inputs.
const MAX_DESERIALIZE_ATTEMPTS: usize = 64;

/// The largest scenario file accepted, in bytes (1 MiB: the bundled scenarios
/// are a few KB). Parsing keeps every syntax error the TOML parser finds, so
/// memory grows with the text; past this size a file is refused unparsed.
pub const MAX_SCENARIO_BYTES: usize = 1 << 20;

/// Loads and validates a scenario, applying `--set` overrides; reports every problem found.
///
/// Files the scenario refers to (LiteLLM catalogs, traces) cannot be read: each
/// such reference is a problem. Use [`load_with`] to give a [`FileSource`].
pub fn load(src: &SourceText<'_>, overrides: &[Override]) -> Result<Scenario, ScenarioError> {
    load_with(src, overrides, &NoFiles)
}

/// Like [`load`], reading referenced files (LiteLLM catalogs, traces) through `files`.
pub fn load_with(
    src: &SourceText<'_>,
    overrides: &[Override],
    files: &dyn FileSource,
) -> Result<Scenario, ScenarioError> {
    load_from(src, overrides, files, &BuiltIn)
}

/// The whole pipeline, with the preset catalog as a parameter (tests use a fake).
pub(crate) fn load_from(
    src: &SourceText<'_>,
    overrides: &[Override],
    files: &dyn FileSource,
    catalog: &dyn Catalog,
) -> Result<Scenario, ScenarioError> {
    if src.text.len() > MAX_SCENARIO_BYTES {
        return Err(ScenarioError::too_large(src.name, src.text.len() as u64));
    }
    let mut map = SourceMap::new(src.name, src.text);
    let mut found = FoundSet::default();

    let (parsed, syntax_errors) = DeTable::parse_recoverable(src.text);
    let syntax_spans = all_syntax_errors(src.text, syntax_errors, &mut found);
    let root_span = parsed.span();
    let mut tree = parsed.into_inner();

    for r in overrides::apply(&mut tree, overrides, &mut map) {
        found.push(Found { span: r.span, path: r.path, message: r.message });
    }

    // Presets and LiteLLM entries are merged after overrides, so `--set` can pick
    // a preset and every user value, from the file or `--set`, wins over the base.
    let mut base_found = Vec::new();
    let mut failed_bases = Vec::new();
    let bases = bases::collect(&tree, catalog, files, &mut base_found, &mut failed_bases);
    bases::merge(&mut tree, &bases, &mut map, &mut base_found);
    for (span, path, message) in base_found {
        found.push(Found { span, path, message });
    }
    let mut base_names: Vec<Option<String>> = Vec::new();
    for b in &bases {
        if base_names.len() <= b.provider {
            base_names.resize(b.provider + 1, None);
        }
        base_names[b.provider] = Some(b.name.clone());
    }

    let (raw, ignored, poisoned) = deserialize(&mut tree, &root_span, &syntax_spans, &mut found);
    let root = DeValue::Table(tree);
    for path in ignored {
        found.push(unknown_key(&root, &root_span, path));
    }

    let mut scenario = None;
    if let Some(raw) = raw {
        let mut issues = Issues::default();
        let from_base = |path: &KeyPath| map.is_base(locate(&root, root_span.clone(), path, Anchor::Value).start);
        let providers = KeyPath::root().key("providers");
        // `providers` itself or a whole entry `providers[i]` (not something inside one).
        let providers_rejected = poisoned.iter().any(|p| p.starts_with(&providers) && p.0.len() <= 2);
        let failed_providers: Vec<usize> = failed_bases
            .iter()
            .filter_map(|p| match p.0.get(1) {
                Some(Seg::Index(i)) => Some(*i),
                _ => None,
            })
            .collect();
        let env = Env {
            files,
            from_base: &from_base,
            base_names: &base_names,
            failed_bases: &failed_providers,
            partial: !syntax_spans.is_empty(),
            providers_rejected,
        };
        scenario = validate(&raw, &mut issues, &env);
        for issue in issues.0 {
            // Below an entry serde rejected, or a key the parser may have lost: already explained.
            // Keys missing from a provider whose preset could not be found are
            // the preset's to give: the unknown preset is the one problem.
            if poisoned.iter().any(|p| issue.path.starts_with(p))
                || (issue.missing && !syntax_spans.is_empty())
                || (issue.missing && failed_bases.iter().any(|p| issue.path.starts_with(p)))
            {
                continue;
            }
            let span = locate(&root, root_span.clone(), &issue.path, issue.anchor);
            found.push(Found { span, path: issue.path.to_string(), message: issue.message });
        }
    }

    match scenario {
        Some(s) if found.is_empty() => Ok(s),
        _ => {
            if found.is_empty() {
                // Only reachable if a check forgot to say why; never return an empty error.
                found.push(Found { span: 0..0, path: String::new(), message: "invalid scenario".to_string() });
            }
            Err(found.into_error(&map))
        }
    }
}

/// Deserializes the raw mirror. When serde rejects an entry (say, a number where a
/// table belongs), that is reported, the entry removed, and deserialization retried,
/// so one misplaced table does not hide the rest. Returns the raw scenario (if any),
/// the unknown keys, and the removed ("poisoned") paths.
fn deserialize(
    tree: &mut DeTable<'_>,
    root_span: &Range<usize>,
    syntax_spans: &[Range<usize>],
    found: &mut FoundSet,
) -> (Option<RawScenario>, Vec<KeyPath>, Vec<KeyPath>) {
    let mut poisoned = Vec::new();
    for _ in 0..MAX_DESERIALIZE_ATTEMPTS {
        let de = toml::de::Deserializer::from(Spanned::new(root_span.clone(), tree.clone()));
        let mut ignored = Vec::new();
        let result: Result<RawScenario, toml::de::Error> =
            serde_ignored::deserialize(de, |path| ignored.push(convert_path(&path)));
        let err = match result {
            Ok(raw) => return (Some(raw), ignored, poisoned),
            Err(err) => err,
        };
        let span = err.span();
        let path = span.as_ref().and_then(|s| find_by_span(tree, s));
        let Some(path) = path.filter(|p| remove(tree, p)) else {
            // Cannot pin it to an entry: report it as is and stop at stage 1.
            let span = span.unwrap_or_else(|| root_span.clone());
            found.push(Found { span, path: String::new(), message: err.message().to_string() });
            return (None, Vec::new(), poisoned);
        };
        // A value the parser already flagged (e.g. a malformed number) needs no second message.
        let span = span.unwrap_or_default();
        if !syntax_spans.iter().any(|s| s.start < span.end.max(span.start + 1) && span.start < s.end.max(s.start + 1)) {
            found.push(Found { span, path: path.to_string(), message: shape_message(err.message()) });
        }
        poisoned.push(path);
    }
    found.push(Found {
        span: root_span.clone(),
        path: String::new(),
        message: "too many structural errors; fix the ones above first".to_string(),
    });
    (None, Vec::new(), poisoned)
}

/// Every syntax error, each position once, into `found`; returns their spans.
/// After a broken table header the parser drops the value errors of the keys
/// that follow it, so the rest of the document after such a header (a single
/// line, so a clean statement boundary) is parsed again on its own to find them.
/// Re-parses run one after another, so only one pass's errors are held at a time.
fn all_syntax_errors(text: &str, first: Vec<toml::de::Error>, found: &mut FoundSet) -> Vec<Range<usize>> {
    /// Bounds the re-parses of pathological inputs (one per broken header).
    const MAX_PASSES: usize = 64;
    /// Bounds their work: bytes re-parsed in all, so a 1 MiB file of broken
    /// headers costs a few parses, not 64 (more than any hand-written file needs).
    const REPARSE_BYTES: usize = 4 << 20;
    let mut budget = REPARSE_BYTES;
    let mut spans = Vec::new();
    let mut seen = std::collections::HashSet::new();
    // Line starts, to find an error's line without rescanning the text per error.
    let line_starts: Vec<usize> = std::iter::once(0).chain(text.match_indices('\n').map(|(i, _)| i + 1)).collect();
    // Offsets where a re-parse starts, in the order their headers were met.
    let mut reparse: std::collections::VecDeque<usize> = std::collections::VecDeque::new();
    let mut passes = 0;
    let mut pass = Some((0, first));
    while let Some((offset, errors)) = pass.take() {
        for e in errors {
            let span = e.span().map_or(offset..offset, |s| s.start + offset..s.end + offset);
            if !seen.insert(span.start) {
                continue;
            }
            let line = line_starts.partition_point(|&s| s <= span.start.min(text.len())) - 1;
            let line_start = line_starts[line];
            let line_end = line_starts.get(line + 1).copied().unwrap_or(text.len());
            let header = text[line_start..line_end].trim_start().starts_with('[')
                && ["table", "key"].iter().any(|w| e.message().contains(w));
            if header && line_end < text.len() && passes < MAX_PASSES && text.len() - line_end <= budget {
                passes += 1;
                budget -= text.len() - line_end;
                reparse.push_back(line_end);
            }
            found.push(Found {
                span: span.clone(),
                path: String::new(),
                message: format!("TOML syntax: {}", e.message()),
            });
            spans.push(span);
        }
        pass = reparse.pop_front().map(|at| (at, DeTable::parse_recoverable(&text[at..]).1));
    }
    spans.sort_by_key(|s| s.start);
    spans
}

/// Rewrites serde's wording (which names our Rust types) in the file format's terms.
fn shape_message(serde_message: &str) -> String {
    let found = serde_message.split(", expected").next().unwrap_or(serde_message);
    let found = match found.trim_start_matches("invalid type: ") {
        "map" => "a table",
        "sequence" => "an array",
        other => other,
    };
    if serde_message.contains("u64 value was too large") {
        // Only integers above i64::MAX get here; TOML cannot hold them.
        format!("must be an integer in 0..={} (TOML integers are signed 64-bit)", i64::MAX)
    } else if serde_message.contains("expected a sequence") {
        format!("expected an array of tables (write each as [[name]]), got {found}")
    } else if serde_message.contains("expected struct") {
        format!("expected a table, got {found}")
    } else {
        serde_message.to_string()
    }
}

/// Removes the entry at `path`; array elements become empty tables so later indices keep their meaning.
fn remove(tree: &mut DeTable<'_>, path: &KeyPath) -> bool {
    fn remove_in(node: &mut DeValue<'_>, segs: &[Seg]) -> bool {
        match (segs, node) {
            ([Seg::Key(k)], DeValue::Table(t)) => t.remove(k.as_str()).is_some(),
            ([Seg::Index(i)], DeValue::Array(a)) => match a.get_mut(*i) {
                Some(item) => {
                    *item = Spanned::new(item.span(), DeValue::Table(DeTable::new()));
                    true
                }
                None => false,
            },
            ([Seg::Key(k), rest @ ..], DeValue::Table(t)) => {
                t.get_mut(k.as_str()).is_some_and(|child| remove_in(child.get_mut(), rest))
            }
            ([Seg::Index(i), rest @ ..], DeValue::Array(a)) => {
                a.get_mut(*i).is_some_and(|child| remove_in(child.get_mut(), rest))
            }
            _ => false,
        }
    }
    let mut root = DeValue::Table(std::mem::take(tree));
    let ok = remove_in(&mut root, &path.0);
    if let DeValue::Table(t) = root {
        *tree = t;
    }
    ok
}

fn convert_path(path: &serde_ignored::Path<'_>) -> KeyPath {
    let mut segs = Vec::new();
    let mut p = path;
    loop {
        match p {
            serde_ignored::Path::Root => break,
            serde_ignored::Path::Seq { parent, index } => {
                segs.push(Seg::Index(*index));
                p = parent;
            }
            serde_ignored::Path::Map { parent, key } => {
                segs.push(Seg::Key(key.clone()));
                p = parent;
            }
            serde_ignored::Path::Some { parent }
            | serde_ignored::Path::NewtypeStruct { parent }
            | serde_ignored::Path::NewtypeVariant { parent } => p = parent,
        }
    }
    segs.reverse();
    KeyPath(segs)
}

/// The keys valid in the table at `parent` (array indices ignored), from serde's own field lists.
fn valid_keys(parent: &KeyPath) -> &'static [&'static str] {
    let names: Vec<&str> = parent
        .0
        .iter()
        .filter_map(|s| match s {
            Seg::Key(k) => Some(k.as_str()),
            Seg::Index(_) => None,
        })
        .collect();
    match names.as_slice() {
        [] => fields_of::<RawScenario>(),
        ["simulation"] => fields_of::<RawSimulation>(),
        ["providers"] => fields_of::<RawProvider>(),
        ["providers", "litellm"] => fields_of::<RawLiteLlm>(),
        ["providers", "cache", "tiers"] => fields_of::<RawTier>(),
        ["providers", "pricing", "long_context"] | ["providers", "pricing", "changes", "long_context"] => {
            fields_of::<RawLongContext>()
        }
        ["providers", "pricing", "windows"] => fields_of::<RawWindow>(),
        ["providers", "pricing", "changes"] => fields_of::<RawChange>(),
        ["providers", "serving"] => fields_of::<RawServing>(),
        ["providers", "cache"] => fields_of::<RawCache>(),
        ["providers", "pricing"] => fields_of::<RawPricing>(),
        ["providers", "failures"] => fields_of::<RawFailures>(),
        ["providers", "replicas"] => fields_of::<RawReplicas>(),
        ["providers", "replicas", "step"] => fields_of::<RawStep>(),
        ["providers", "replicas", "roofline"] => fields_of::<RawRoofline>(),
        ["providers", "rate_limits"] => fields_of::<RawRateLimits>(),
        ["providers", "outages"] => fields_of::<RawOutage>(),
        ["providers", "degraded"] => fields_of::<RawDegraded>(),
        ["providers", "tiers"] => fields_of::<RawTiers>(),
        ["workloads", "retry"] => fields_of::<RawRetry>(),
        ["workloads", "objectives"] => fields_of::<RawObjectives>(),
        ["workloads"] => fields_of::<RawWorkload>(),
        ["workloads", "arrivals"] => fields_of::<RawArrivals>(),
        ["workloads", "arrivals", "segments"] => fields_of::<RawRateSegment>(),
        ["workloads", "shared_segments"] => fields_of::<RawSegment>(),
        ["workloads", "cache_breakpoints"] => fields_of::<RawBreakpoint>(),
        ["workloads", "keep_alive"] => fields_of::<RawKeepAlive>(),
        ["workloads", "human"] => fields_of::<RawHuman>(),
        ["workloads", "knowledge_base"] => fields_of::<RawKnowledgeBase>(),
        ["workloads", "cache_busting"] => fields_of::<RawCacheBust>(),
        ["workloads", "subagents"] => fields_of::<RawSubagents>(),
        ["workloads", "compaction"] => fields_of::<RawCompaction>(),
        ["sweep"] => fields_of::<RawSweep>(),
        _ => &[],
    }
}

fn unknown_key(root: &DeValue<'_>, root_span: &Range<usize>, path: KeyPath) -> Found {
    let span = locate(root, root_span.clone(), &path, Anchor::Key);
    let key = match path.0.last() {
        Some(Seg::Key(k)) => k.clone(),
        Some(Seg::Index(i)) => i.to_string(),
        None => String::new(),
    };
    let parent = KeyPath(path.0[..path.0.len().saturating_sub(1)].to_vec());
    Found { span, path: path.to_string(), message: unknown_key_message(&key, valid_keys(&parent), "") }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::scenario::{MAX_PROBLEMS, Origin, parse_override};

    const VALID: &str = "name = \"n\"\n[[providers]]\nname = \"p\"\npricing = { input_usd_per_mtok = 1, output_usd_per_mtok = 2 }\n\
                         [[workloads]]\nname = \"w\"\nprovider = \"p\"\nsteps = 1\noutput_tokens = 1\n\
                         arrivals = { rate_per_s = 1, sessions = 1 }\n";

    fn error(text: &str, sets: &[&str]) -> ScenarioError {
        let overrides: Vec<Override> = sets.iter().map(|s| parse_override(s).unwrap()).collect();
        load(&SourceText { name: "s.toml", text }, &overrides).expect_err("should not load")
    }

    #[test]
    fn stray_equals_lines_are_capped_at_50_problems_and_counted() {
        // 40,000 of these took 30 s and printed 15.7 MB: every problem was
        // located by scanning the text from its start.
        let err = error(&"=\n".repeat(40_000), &[]);
        assert_eq!(err.problems.len(), MAX_PROBLEMS);
        assert!(err.more > 40_000, "{}", err.more);
        let shown = err.to_string();
        assert!(shown.starts_with(&format!("{} problems in scenario:\n", err.total())), "{shown}");
        assert!(shown.ends_with(&format!("\n  ... and {} more problems\n", err.more)), "{shown}");
        assert_eq!(shown.lines().count(), 1 + MAX_PROBLEMS + 1);
        // The listed ones are the first, in file order, each located.
        let lines: Vec<usize> = err
            .problems
            .iter()
            .map(|p| match p.origin {
                Origin::File { line, .. } => line,
                ref other => panic!("{other:?}"),
            })
            .collect();
        assert!(lines.windows(2).all(|w| w[0] <= w[1]) && lines[0] == 1, "{lines:?}");
    }

    #[test]
    fn the_count_past_the_cap_is_exact() {
        let keys: String = (0..3000).map(|i| format!("unknown_{i} = 1\n")).collect();
        let err = error(&format!("{keys}{VALID}"), &[]);
        assert_eq!((err.problems.len(), err.more), (MAX_PROBLEMS, 3000 - MAX_PROBLEMS));
        assert_eq!(err.problems[49].origin, Origin::File { file: "s.toml".into(), line: 50, column: 1 });
        assert!(err.problems[49].message.starts_with("unknown key `unknown_49`"), "{:?}", err.problems[49]);
        // Overrides come after the file's problems, so these are only counted.
        let err = error(&format!("{keys}{VALID}"), &["name=1", "simulation.seed=-1"]);
        assert_eq!(err.total(), 3002);
    }

    #[test]
    fn files_over_the_size_limit_are_refused_unparsed() {
        let text = format!("{VALID}# {}\n", "x".repeat(MAX_SCENARIO_BYTES));
        let err = error(&text, &[]);
        assert_eq!((err.problems.len(), err.more), (1, 0));
        let p = &err.problems[0];
        assert_eq!(p.origin, Origin::File { file: "s.toml".into(), line: 1, column: 1 });
        assert!(p.message.contains(&format!("the file is {} bytes", text.len())), "{}", p.message);
        let at_limit = format!("{VALID}#{}\n", "x".repeat(MAX_SCENARIO_BYTES - VALID.len() - 2));
        assert_eq!(at_limit.len(), MAX_SCENARIO_BYTES);
        assert!(load(&SourceText { name: "s.toml", text: &at_limit }, &[]).is_ok());
    }

    #[test]
    fn echoed_keys_and_values_are_cut() {
        let long = "k".repeat(100_000);
        let err = error(&format!("{long} = 1\n{VALID}"), &[&format!("name={long}"), &format!("{long}=1")]);
        for p in &err.problems {
            let shown = p.to_string();
            assert!(shown.len() < 1200, "{} bytes: {}", shown.len(), &shown[..200]);
        }
        let err = error(VALID, &[&format!("workloads[0].steps=\"{long}\"")]);
        let shown = err.to_string();
        assert!(shown.len() < 600 && shown.contains("…(+"), "{shown}");
    }
}
