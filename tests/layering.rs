//! sim-core's module layering, as docs/ARCHITECTURE.md ("Module dependencies",
//! "Scenario layering") states it: each module imports only modules declared
//! below it, so there is no import cycle; sim-core does no I/O; and it calls no
//! platform maths (std's `ln`, `exp`, `powf`...) outside `maths`; and no
//! code of the workspace is `unsafe` but the prefetch hint of `prefetch`.
//!
//! The source is read as text: every `crate::`, `super::` and `self::` path
//! (in `use` lines and inline) is resolved to the module it names. Test code
//! (`*tests.rs` files and `#[cfg(test)]` inline modules) is left out: tests
//! may use anything.

use std::collections::BTreeSet;
use std::fs;
use std::path::{Path, PathBuf};

/// sim-core's top-level modules, lowest first; a module may import those of
/// earlier layers, never a later layer or one of its own.
const TOP_LAYERS: &[&[&str]] = &[
    &["maths", "prefetch"],
    &["echo", "dist", "rng", "catalog"],
    &["time"],
    &["event_queue", "metrics"],
    &["trace"],
    &["scenario", "fit"],
    &["model"],
    &["records"],
    &["engine"],
    &["montecarlo"],
    &["estimate", "plan"],
    &["sensitivity"],
];

/// Imports against the layer order that are allowed: (importing module path,
/// imported module path, why). Each must stay one-way: nothing under the
/// imported path may import anything under the importing path.
const TOP_EXCEPTIONS: &[(&str, &str, &str)] = &[
    ("scenario", "model::prompt", "validation bounds a prompt by the prompt model's own limit"),
    ("trace", "model::prompt", "a trace request's prompt is made of the prompt model's blocks"),
    ("trace::replay", "model", "replay runs a trace through the cache model alone"),
    ("trace::replay", "scenario", "replay reads the eviction policy of a scenario's cache"),
];

/// The files of `sim-core/src/scenario/`, lowest first, with the same rule.
/// `mod.rs` is the module's root: it declares the shared public types
/// (`Problem`, `Origin`, `FileSource`...) that any of them may use, and
/// re-exports the public API; it is not a layer.
const SCENARIO_LAYERS: &[&[&str]] = &[
    &["location", "leaf", "admission_config", "anatomy_config", "serving_config", "arrivals_config"],
    &["model", "rate"],
    &["context", "found", "resolved"],
    // `--set` suggests the closest key of a misspelt one with context's helper.
    &["overrides"],
    &["dists", "bases", "limits", "admission_checks"],
    &["raw_replicas", "dists_schema"],
    &["raw"],
    &["validate_processes"],
    &[
        "schema",
        "validate_pricing",
        "validate_breakpoints",
        "validate_arrivals",
        "validate_serving",
        "validate_cache",
        "validate_admission",
        "validate_replicas",
        "validate_variants",
        "validate_sweep",
        "validate_anatomy",
        "validate_subagents",
        "validate_routing",
    ],
    &["validate_providers", "validate_workloads"],
    &["validate"],
    &["load"],
    &["variants"],
    &["sweep"],
];

/// Text that means I/O, the wall clock, a global random generator or the CLI's
/// error type; none of it may appear in sim-core's non-test code.
const FORBIDDEN_IN_SIM_CORE: &[(&str, &str)] = &[
    ("std::fs", "sim-core does no I/O: files are read by sim-cli and handed over as text"),
    ("std::net", "sim-core does no I/O"),
    ("std::process", "sim-core does no I/O"),
    ("std::env", "sim-core does no I/O: settings come from the scenario"),
    ("stdin", "sim-core does no I/O"),
    ("stdout", "sim-core does no I/O: sim-cli prints"),
    ("stderr", "sim-core does no I/O: sim-cli prints"),
    ("println!", "sim-core does no I/O: sim-cli prints"),
    ("eprintln!", "sim-core does no I/O: sim-cli prints"),
    ("print!", "sim-core does no I/O: sim-cli prints"),
    ("eprint!", "sim-core does no I/O: sim-cli prints"),
    ("dbg!", "sim-core does no I/O"),
    ("SystemTime", "no wall clock: simulated time is SimTime"),
    ("Instant", "no wall clock: simulated time is SimTime"),
    ("thread_rng", "no global RNG: every draw comes from a named stream (rng.rs)"),
    ("rand::random", "no global RNG: every draw comes from a named stream (rng.rs)"),
    ("anyhow", "errors are typed in sim-core (thiserror); only sim-cli uses anyhow"),
    ("sim_cli", "sim-core never depends on sim-cli"),
];

/// std's transcendental functions: their results come from the platform's
/// maths library and differ in the last bit between platforms, so sim-core's
/// non-test code calls the portable ones of `maths` (sim-core/src/maths,
/// the one module allowed these) instead.
const PLATFORM_MATHS: &[&str] = &[
    "ln", "log", "log2", "log10", "ln_1p", "exp", "exp2", "exp_m1", "powf", "powi", "sin", "cos", "tan", "sin_cos",
    "sinh", "cosh", "tanh", "asin", "acos", "atan", "atan2", "asinh", "acosh", "atanh", "cbrt", "hypot", "gamma",
    "ln_gamma",
];

/// The platform-maths calls in `code` (comments and strings blanked): method
/// calls `.ln(` and paths `f64::ln`, and any use of rand_distr, whose
/// samplers call std's `ln`/`exp`/`powf` (sim-core/src/maths/samplers.rs
/// replaces them).
fn platform_maths(code: &str) -> Vec<String> {
    let mut found = Vec::new();
    for name in PLATFORM_MATHS {
        // A method call is whole as written; a path must not be part of a
        // longer name (`f64::ln` inside `f64::ln_1p`).
        for (pattern, call) in [(format!(".{name}("), true), (format!("f64::{name}"), false)] {
            let hit = code.match_indices(&pattern).any(|(at, _)| {
                let before = code[..at].chars().next_back();
                let after = code[at + pattern.len()..].chars().next();
                call || !ident_char(before.as_ref()) && !ident_char(after.as_ref())
            });
            if hit {
                found.push(pattern.trim_end_matches('(').to_string());
            }
        }
    }
    if code.contains("rand_distr") {
        found.push("rand_distr".to_string());
    }
    found
}

/// One non-test source file of sim-core.
struct Source {
    /// Its module path: `["scenario", "raw"]` for `scenario/raw.rs`, `["scenario"]` for `scenario/mod.rs`.
    module: Vec<String>,
    /// Relative to `sim-core/src`, for messages.
    file: String,
    /// Its code without comments, string contents or test modules.
    code: String,
}

/// A reference from a file to a module path (`crate::scenario::raw::RawScenario`, resolved).
struct Import<'a> {
    from: &'a Source,
    to: Vec<String>,
}

fn sim_core() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../sim-core")
}

fn sources() -> Vec<Source> {
    let root = sim_core().join("src");
    let mut files = Vec::new();
    collect_rs(&root, &mut files);
    files.sort();
    files
        .into_iter()
        .filter(|p| {
            let stem = p.file_stem().unwrap().to_str().unwrap();
            stem != "tests" && !stem.ends_with("_tests")
        })
        .map(|p| {
            let rel: Vec<String> = p
                .strip_prefix(&root)
                .unwrap()
                .components()
                .map(|c| c.as_os_str().to_str().unwrap().to_string())
                .collect();
            let mut module: Vec<String> = rel.iter().map(|s| s.trim_end_matches(".rs").to_string()).collect();
            if matches!(module.last().map(String::as_str), Some("mod" | "lib")) {
                module.pop();
            }
            let file = rel.join("/");
            let text = fs::read_to_string(&p).unwrap();
            let code = without_test_modules(&blank_comments_and_strings(&text), &file);
            Source { module, file, code }
        })
        .collect()
}

fn collect_rs(dir: &Path, out: &mut Vec<PathBuf>) {
    for entry in fs::read_dir(dir).unwrap() {
        let path = entry.unwrap().path();
        if path.is_dir() {
            collect_rs(&path, out);
        } else if path.extension().is_some_and(|e| e == "rs") {
            out.push(path);
        }
    }
}

/// Replaces comments and the contents of string and character literals with
/// spaces (keeping newlines), so only code is searched.
fn blank_comments_and_strings(text: &str) -> String {
    let c: Vec<char> = text.chars().collect();
    let mut out = String::with_capacity(text.len());
    let blank = |ch: char| if ch == '\n' { '\n' } else { ' ' };
    let mut i = 0;
    while i < c.len() {
        let next = c.get(i + 1).copied();
        if c[i] == '/' && next == Some('/') {
            while i < c.len() && c[i] != '\n' {
                out.push(' ');
                i += 1;
            }
        } else if c[i] == '/' && next == Some('*') {
            let mut depth = 0;
            loop {
                if c[i] == '/' && c.get(i + 1) == Some(&'*') {
                    depth += 1;
                    out.push_str("  ");
                    i += 2;
                } else if c[i] == '*' && c.get(i + 1) == Some(&'/') {
                    depth -= 1;
                    out.push_str("  ");
                    i += 2;
                    if depth == 0 {
                        break;
                    }
                } else {
                    out.push(blank(c[i]));
                    i += 1;
                }
            }
        } else if c[i] == 'r' && (next == Some('"') || next == Some('#')) && !ident_char(c.get(i.wrapping_sub(1))) {
            // A raw string r"..." or r#"..."#: ends at a quote followed by as many hashes.
            let mut j = i + 1;
            while c.get(j) == Some(&'#') {
                j += 1;
            }
            if c.get(j) != Some(&'"') {
                out.push(c[i]);
                i += 1;
                continue;
            }
            let hashes = j - i - 1;
            out.push('"');
            i = j + 1;
            while !(c[i] == '"' && (1..=hashes).all(|k| c.get(i + k) == Some(&'#'))) {
                out.push(blank(c[i]));
                i += 1;
            }
            out.push('"');
            i += 1 + hashes;
        } else if c[i] == '"' {
            out.push('"');
            i += 1;
            while c[i] != '"' {
                let skip = if c[i] == '\\' { 2 } else { 1 };
                for k in 0..skip {
                    out.push(blank(c[i + k]));
                }
                i += skip;
            }
            out.push('"');
            i += 1;
        } else if c[i] == '\'' && (next == Some('\\') || c.get(i + 2) == Some(&'\'')) {
            // A character literal ('"', '\''), not a lifetime.
            out.push('\'');
            i += 1;
            if c[i] == '\\' {
                out.push_str("  ");
                i += 2;
            }
            while c[i] != '\'' {
                out.push(' ');
                i += 1;
            }
            out.push('\'');
            i += 1;
        } else {
            out.push(c[i]);
            i += 1;
        }
    }
    out
}

fn ident_char(c: Option<&char>) -> bool {
    c.is_some_and(|c| c.is_alphanumeric() || *c == '_')
}

/// Drops `#[cfg(test)]` inline modules (rustfmt closes a top-level one with a
/// `}` alone on a line). Other inline modules would change what `super::`
/// means, so they are refused.
fn without_test_modules(code: &str, file: &str) -> String {
    let mut out = Vec::new();
    let mut lines = code.lines();
    let mut test_attr = false;
    while let Some(line) = lines.next() {
        let t = line.trim_start();
        let words: Vec<&str> = t.split_whitespace().collect();
        let mod_pos = words.iter().position(|w| *w == "mod");
        let inline_mod = mod_pos.is_some_and(|p| words.get(p + 2) == Some(&"{"));
        if inline_mod {
            assert!(
                test_attr && !line.starts_with(' '),
                "{file}: inline module `{line}` that is not a top-level #[cfg(test)] module"
            );
            for rest in lines.by_ref() {
                if rest == "}" {
                    break;
                }
            }
            test_attr = false;
            continue;
        }
        if t.starts_with("#[cfg(test)]") {
            test_attr = true;
        } else if !t.starts_with("#[") && !t.is_empty() {
            test_attr = false;
        }
        out.push(line);
    }
    out.join("\n")
}

/// Every module path a file refers to through `crate::`, `super::` or `self::`,
/// resolved from the file's own module; `use a::{b, c::d}` gives each leaf path.
fn imports(source: &Source) -> Vec<Vec<String>> {
    let c: Vec<char> = source.code.chars().collect();
    let mut found = Vec::new();
    let mut i = 0;
    while i < c.len() {
        let starts =
            ["crate::", "super::", "self::"].iter().any(|p| c[i..].starts_with(&p.chars().collect::<Vec<_>>()[..]));
        if starts && !ident_char(c.get(i.wrapping_sub(1))) && c.get(i.wrapping_sub(1)) != Some(&':') {
            let (paths, end) = path_tree(&c, i);
            for p in paths {
                if let Some(abs) = resolve(&source.module, &p) {
                    found.push(abs);
                }
            }
            i = end;
        } else {
            i += 1;
        }
    }
    found
}

/// Parses `a::b::{c, d::e}` at `i`: the paths it names, and where it ends.
fn path_tree(c: &[char], mut i: usize) -> (Vec<Vec<String>>, usize) {
    let skip_ws = |i: &mut usize| {
        while c.get(*i).is_some_and(|c| c.is_whitespace()) {
            *i += 1;
        }
    };
    let mut prefix = Vec::new();
    loop {
        skip_ws(&mut i);
        if c.get(i) == Some(&'{') {
            i += 1;
            let mut paths = Vec::new();
            loop {
                skip_ws(&mut i);
                match c.get(i) {
                    Some('}') => return (paths, i + 1),
                    Some(',') => i += 1,
                    None => return (paths, i),
                    _ => {
                        let (inner, end) = path_tree(c, i);
                        for p in inner {
                            let mut full = prefix.clone();
                            // `{self, ...}` names the prefix itself.
                            full.extend(p.into_iter().filter(|s| s != "self"));
                            paths.push(full);
                        }
                        i = end;
                    }
                }
            }
        }
        let start = i;
        while ident_char(c.get(i)) || c.get(i) == Some(&'*') {
            i += 1;
        }
        if i == start {
            return (vec![prefix], i);
        }
        prefix.push(c[start..i].iter().collect());
        let after = i;
        skip_ws(&mut i);
        if c.get(i) == Some(&':') && c.get(i + 1) == Some(&':') {
            i += 2;
        } else {
            return (vec![prefix], after);
        }
    }
}

/// An absolute module path (from the crate root) for a path written in `module`.
fn resolve(module: &[String], path: &[String]) -> Option<Vec<String>> {
    let mut segs = path.iter().peekable();
    let mut base: Vec<String> = match segs.next()?.as_str() {
        "crate" => Vec::new(),
        "self" => module.to_vec(),
        "super" => module[..module.len().checked_sub(1)?].to_vec(),
        _ => return None,
    };
    while segs.peek().is_some_and(|s| *s == "super") {
        segs.next();
        base.pop();
    }
    base.extend(segs.cloned());
    Some(base)
}

fn under(path: &[String], prefix: &str) -> bool {
    let prefix: Vec<&str> = prefix.split("::").collect();
    path.len() >= prefix.len() && path.iter().zip(&prefix).all(|(a, b)| a == b)
}

fn layer_of(layers: &[&[&str]], name: &str) -> Option<usize> {
    layers.iter().position(|layer| layer.contains(&name))
}

/// Imports from a lower layer to the same or a higher one, as messages.
fn upward(imports: &[(String, String, String)], layers: &[&[&str]], what: &str) -> Vec<String> {
    let mut bad = Vec::new();
    for (file, from, to) in imports {
        match (layer_of(layers, from), layer_of(layers, to)) {
            (Some(a), Some(b)) if b >= a => bad.push(format!(
                "{file}: `{from}` imports `{to}`, which is {} in the {what} layering",
                if a == b { "in its own layer" } else { "above it" }
            )),
            (Some(_), Some(_)) => {}
            (None, _) => bad.push(format!("{file}: `{from}` is not in the {what} layering; add it to the table")),
            (_, None) => bad.push(format!("{file}: imports `{to}`, not in the {what} layering; add it to the table")),
        }
    }
    bad
}

/// Scenario-internal imports: (file, importing module, imported module).
fn scenario_imports(sources: &[Source]) -> Vec<(String, String, String)> {
    let siblings: BTreeSet<&str> = sources
        .iter()
        .filter(|s| s.module.len() == 2 && s.module[0] == "scenario")
        .map(|s| s.module[1].as_str())
        .collect();
    let mut out = BTreeSet::new();
    for s in sources.iter().filter(|s| s.module.len() == 2 && s.module[0] == "scenario") {
        for to in imports(s) {
            // Paths to the root's own items (`super::Origin`) name no module.
            if to.len() >= 2 && to[0] == "scenario" && siblings.contains(to[1].as_str()) && to[1] != s.module[1] {
                out.insert((s.file.clone(), s.module[1].clone(), to[1].clone()));
            }
        }
    }
    out.into_iter().collect()
}

/// Imports between top-level modules, as (file, importing path, imported path).
fn top_imports(sources: &[Source]) -> Vec<Import<'_>> {
    let tops: BTreeSet<&str> = sources.iter().filter_map(|s| s.module.first()).map(String::as_str).collect();
    let mut out = Vec::new();
    for s in sources.iter().filter(|s| !s.module.is_empty()) {
        for to in imports(s) {
            if to.first().is_some_and(|t| tops.contains(t.as_str()) && *t != s.module[0]) {
                out.push(Import { from: s, to });
            }
        }
    }
    out
}

fn excepted(import: &Import<'_>) -> bool {
    TOP_EXCEPTIONS.iter().any(|(from, to, _)| under(&import.from.module, from) && under(&import.to, to))
}

fn top_violations(sources: &[Source]) -> Vec<String> {
    let imports = top_imports(sources);
    let edges: BTreeSet<(String, String, String)> = imports
        .iter()
        .filter(|i| !excepted(i))
        .map(|i| (i.from.file.clone(), i.from.module[0].clone(), i.to[0].clone()))
        .collect();
    let mut bad = upward(&edges.into_iter().collect::<Vec<_>>(), TOP_LAYERS, "top-level");
    // Every module must be placed, even one that imports nothing.
    for s in sources.iter().filter(|s| s.module.len() == 1) {
        if layer_of(TOP_LAYERS, &s.module[0]).is_none() {
            bad.push(format!("{}: `{}` is not in the top-level layering; add it to the table", s.file, s.module[0]));
        }
    }
    for (from, to, why) in TOP_EXCEPTIONS {
        for back in imports.iter().filter(|i| under(&i.from.module, to) && under(&i.to, from)) {
            bad.push(format!(
                "{}: imports `{}`, making the allowed import {from} -> {to} ({why}) a cycle",
                back.from.file,
                back.to.join("::")
            ));
        }
    }
    bad
}

#[test]
fn scenario_modules_import_only_lower_layers() {
    let sources = sources();
    let edges = scenario_imports(&sources);
    // The reading sees real imports (a parser that found none would pass everything).
    let edge = |from: &str, to: &str| edges.iter().any(|(_, f, t)| f == from && t == to);
    assert!(edge("raw", "dists") && edge("load", "validate") && edge("validate_workloads", "validate_arrivals"));
    let mut bad = upward(&edges, SCENARIO_LAYERS, "scenario");
    for s in sources.iter().filter(|s| s.module.len() == 2 && s.module[0] == "scenario") {
        if layer_of(SCENARIO_LAYERS, &s.module[1]).is_none() {
            bad.push(format!("{}: `{}` is not in the scenario layering; add it to the table", s.file, s.module[1]));
        }
    }
    assert!(bad.is_empty(), "scenario layering (docs/ARCHITECTURE.md) broken:\n{}", bad.join("\n"));
}

#[test]
fn top_level_modules_import_only_lower_layers() {
    let sources = sources();
    let seen = |from: &str, to: &str| top_imports(&sources).iter().any(|i| i.from.module[0] == from && i.to[0] == to);
    assert!(seen("engine", "model") && seen("model", "scenario") && seen("scenario", "trace"));
    let bad = top_violations(&sources);
    assert!(bad.is_empty(), "module layering (docs/ARCHITECTURE.md) broken:\n{}", bad.join("\n"));
}

#[test]
fn sim_core_does_no_io() {
    let mut bad = Vec::new();
    for s in sources() {
        for (word, why) in FORBIDDEN_IN_SIM_CORE {
            let hit = s.code.match_indices(word).any(|(at, _)| {
                let before = s.code[..at].chars().next_back();
                let after = s.code[at + word.len()..].chars().next();
                !ident_char(before.as_ref()) && (word.ends_with('!') || !ident_char(after.as_ref()))
            });
            if hit {
                bad.push(format!("{}: `{word}`: {why}", s.file));
            }
        }
    }
    let manifest = fs::read_to_string(sim_core().join("Cargo.toml")).unwrap();
    for dep in ["sim-cli", "sim-report", "anyhow", "plotters", "png"] {
        if manifest.lines().any(|l| l.trim_start().starts_with(dep)) {
            bad.push(format!("sim-core/Cargo.toml depends on {dep}"));
        }
    }
    assert!(bad.is_empty(), "sim-core invariants (docs/ARCHITECTURE.md) broken:\n{}", bad.join("\n"));
}

/// Results are the same on every platform only if no result path calls the
/// platform's maths library (docs/model.md, "Random numbers").
#[test]
fn sim_core_calls_only_portable_maths() {
    let sources = sources();
    assert!(sources.iter().any(|s| s.module == ["maths"] && s.code.contains("libm::log")), "maths uses libm");
    let bad: Vec<String> = sources
        .iter()
        .filter(|s| s.module.first().is_none_or(|m| m != "maths"))
        .flat_map(|s| platform_maths(&s.code).into_iter().map(move |f| format!("{}: `{f}`", s.file)))
        .collect();
    assert!(bad.is_empty(), "platform maths in sim-core; call crate::maths instead:\n{}", bad.join("\n"));
}

/// The workspace forbids `unsafe` (denied by its lints) except in one place:
/// sim-core's cache prefetch hint, which has no safe form in stable Rust
/// (docs/ARCHITECTURE.md, "Invariants").
#[test]
fn unsafe_code_only_in_the_prefetch_hint() {
    let workspace = sim_core().join("..");
    let mut files = Vec::new();
    for krate in ["sim-core/src", "sim-cli/src", "sim-report/src", "tests", "benches"] {
        collect_rs(&workspace.join(krate), &mut files);
    }
    files.sort();
    let allowed = Path::new("sim-core/src/prefetch.rs");
    let mut users = Vec::new();
    for path in &files {
        let code = blank_comments_and_strings(&fs::read_to_string(path).unwrap());
        let hit = code.match_indices("unsafe").any(|(at, w)| {
            !ident_char(code[..at].chars().next_back().as_ref())
                && !ident_char(code[at + w.len()..].chars().next().as_ref())
        });
        if hit {
            users.push(path.strip_prefix(&workspace).unwrap().to_path_buf());
        }
    }
    assert_eq!(users, [allowed], "`unsafe` outside sim-core/src/prefetch.rs");
    let lints = fs::read_to_string(workspace.join("Cargo.toml")).unwrap();
    assert!(lints.contains("unsafe_code = \"deny\""), "the workspace lints deny unsafe code");
}

/// The crates' order: sim-core (no drawing: plotters lives in sim-report),
/// then sim-report (reads sim-core's types, never the CLI), then sim-cli.
#[test]
fn sim_report_sits_between_sim_core_and_sim_cli() {
    let manifest = |krate: &str| fs::read_to_string(sim_core().join("..").join(krate).join("Cargo.toml")).unwrap();
    let depends = |text: &str, dep: &str| text.lines().any(|l| l.trim_start().starts_with(&format!("{dep}.")));
    let report = manifest("sim-report");
    assert!(depends(&report, "sim-core") && depends(&report, "plotters"), "sim-report draws sim-core's results");
    assert!(
        !depends(&report, "sim-cli") && !depends(&report, "anyhow"),
        "sim-report must not depend on the CLI (typed errors only)"
    );
    assert!(!depends(&manifest("sim-core"), "plotters") && !depends(&manifest("sim-core"), "sim-report"));
    assert!(depends(&manifest("sim-cli"), "sim-report"), "the CLI renders through sim-report");
}

/// The checks themselves, on made-up sources: each must catch what it is for.
mod checks {
    use super::*;

    fn source(file: &str, text: &str) -> Source {
        let mut module: Vec<String> = file.trim_end_matches(".rs").split('/').map(str::to_string).collect();
        if module.last().is_some_and(|m| m == "mod") {
            module.pop();
        }
        let code = without_test_modules(&blank_comments_and_strings(text), file);
        Source { module, file: file.to_string(), code }
    }

    fn paths(file: &str, text: &str) -> Vec<String> {
        imports(&source(file, text)).iter().map(|p| p.join("::")).collect()
    }

    #[test]
    fn paths_resolve_from_the_file() {
        assert_eq!(
            paths("scenario/raw.rs", "use super::{dists::{A, B}, leaf::*};\nuse crate::time::{self, T};"),
            ["scenario::dists::A", "scenario::dists::B", "scenario::leaf::*", "time", "time::T"]
        );
        assert_eq!(
            paths("model/cache/rules.rs", "let b = super::super::prompt::Block::new(1);"),
            ["model::prompt::Block::new"]
        );
        assert_eq!(paths("scenario/mod.rs", "super::echo::clip(t)"), ["echo::clip"]);
        // Comments, strings and test modules are not code.
        let text = "// crate::engine\nlet s = \"crate::engine\";\nlet c = '\"';\n#[cfg(test)]\nmod tests {\n    use crate::engine::X;\n}\nuse crate::dist::Dist;";
        assert_eq!(paths("scenario/raw.rs", text), ["dist::Dist"]);
    }

    #[test]
    fn platform_maths_is_caught_and_portable_maths_is_not() {
        let code = |text: &str| source("dist.rs", text).code;
        let found = platform_maths(&code("let y = (1.0 - u).ln() + f64::exp(x) + z.powi(2);\nuse rand_distr::Gamma;"));
        assert_eq!(found, [".ln", "f64::exp", ".powi", "rand_distr"]);
        let clean = "// x.ln()\nlet s = \".exp(\";\nlet y = maths::ln(x) + self.log + libm::exp(x) + x.sqrt();\n#[cfg(test)]\nmod tests {\n    fn t() { 2f64.ln(); }\n}";
        assert_eq!(platform_maths(&code(clean)), Vec::<String>::new());
    }

    #[test]
    fn an_upward_scenario_import_is_caught() {
        let sources = [
            source("scenario/context.rs", "use super::dists::too_many_tokens;"),
            source("scenario/dists.rs", "use super::context::Issues;"),
        ];
        assert_eq!(
            upward(&scenario_imports(&sources), SCENARIO_LAYERS, "scenario"),
            ["scenario/context.rs: `context` imports `dists`, which is above it in the scenario layering"]
        );
    }

    #[test]
    fn an_upward_top_level_import_is_caught() {
        let sources = [
            source("scenario/validate.rs", "use crate::engine::simulate_replicate;"),
            source("model/session.rs", "use crate::scenario::Workload;"),
            source("engine/mod.rs", "use crate::model::session::Session;"),
        ];
        assert_eq!(
            top_violations(&sources),
            ["scenario/validate.rs: `scenario` imports `engine`, which is above it in the top-level layering"]
        );
    }

    #[test]
    fn an_exception_that_closes_a_cycle_is_caught() {
        let sources = [
            source("scenario/limits.rs", "use crate::model::prompt::MAX_PROMPT_TOKENS;"),
            source("model/prompt.rs", "use crate::scenario::Scenario;"),
        ];
        assert_eq!(
            top_violations(&sources),
            [
                "model/prompt.rs: imports `scenario::Scenario`, making the allowed import scenario -> model::prompt (validation bounds a prompt by the prompt model's own limit) a cycle"
            ]
        );
    }
}
