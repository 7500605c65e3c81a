//! The problem-collecting context of validation: issues with their key
//! paths, the `Ctx` that reads leaves and records every problem instead of
//! stopping, the bounds, and the message helpers shared by every section.
//! Section modules (validate*.rs, dists.rs, limits.rs) import this one; it
//! imports none of them (only `location` and `leaf`, below it).

use super::leaf::{DurationText, Leaf, Raw, shown_value};
use super::location::{Anchor, KeyPath};
use crate::dist::MAX_TOKENS;
use crate::time::SimDuration;
use crate::trace::Trace;
use std::sync::Arc;

/// A problem before it is given an origin: where in the tree, and what is wrong.
#[derive(Clone, Debug)]
pub(crate) struct Issue {
    pub(crate) path: KeyPath,
    pub(crate) anchor: Anchor,
    pub(crate) message: String,
    /// A required key is absent: after a syntax error this may just be the key
    /// the parser could not read, so such issues are then withheld as noise.
    pub(crate) missing: bool,
}

#[derive(Debug, Default)]
pub(crate) struct Issues(pub(crate) Vec<Issue>);

impl Issues {
    pub(crate) fn value(&mut self, path: &KeyPath, message: String) {
        self.0.push(Issue { path: path.clone(), anchor: Anchor::Value, message, missing: false });
    }
    pub(crate) fn key(&mut self, path: &KeyPath, message: String) {
        self.0.push(Issue { path: path.clone(), anchor: Anchor::Key, message, missing: false });
    }
    pub(crate) fn missing(&mut self, path: &KeyPath, message: String) {
        self.0.push(Issue { path: path.clone(), anchor: Anchor::Value, message, missing: true });
    }
}

/// "unknown key `x` for <what>; expected one of: a, b" plus a suggestion for near misses.
pub(crate) fn unknown_key_message(key: &str, valid: &[&str], what: &str) -> String {
    let mut message = format!("unknown key `{}`", crate::echo::clip(key));
    if !what.is_empty() {
        message.push_str(&format!(" for {what}"));
    }
    message.push_str(&format!("; expected one of: {}", valid.join(", ")));
    if let Some(suggestion) = closest_key(key, valid.iter().copied()) {
        message.push_str(&format!(" (did you mean `{suggestion}`?)"));
    }
    message
}

/// The candidate `key` is a near miss of, if any. On a distance tie the
/// candidate sharing the longest prefix wins (`rnd` is `round`, not `kind`),
/// then the one listed first.
pub(crate) fn closest_key<'a>(key: &str, candidates: impl Iterator<Item = &'a str>) -> Option<&'a str> {
    candidates
        .enumerate()
        .map(|(i, v)| (edit_distance(key, v), std::cmp::Reverse(common_prefix_len(key, v)), i, v))
        .min()
        .filter(|(d, ..)| *d <= 2.max(key.len() / 4))
        .map(|(.., v)| v)
}

fn common_prefix_len(a: &str, b: &str) -> usize {
    a.chars().zip(b.chars()).take_while(|(x, y)| x == y).count()
}

/// Levenshtein distance, for "did you mean" hints.
pub(crate) fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diag = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let next = (diag + usize::from(ca != *cb)).min(row[j] + 1).min(row[j + 1] + 1);
            diag = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

/// What validation needs beyond the raw mirror.
pub(crate) struct Env<'a> {
    /// Reads trace files named by workloads.
    pub(crate) files: &'a dyn super::FileSource,
    /// Whether the value at a path came from a provider base (preset or LiteLLM
    /// entry) rather than from the user.
    pub(crate) from_base: &'a dyn Fn(&KeyPath) -> bool,
    /// Per provider (by index in the file): the provenance name of its base, if any.
    pub(crate) base_names: &'a [Option<String>],
    /// Providers (by index in the file) whose preset or LiteLLM entry did not
    /// resolve: their cache tiers are unknown, so tier references to them are
    /// not checked (the unresolved base is the one problem).
    pub(crate) failed_bases: &'a [usize],
    /// The file had syntax errors: keys the parser could not read are absent, so
    /// references between keys (provider names, tiers, segments) are not checked.
    pub(crate) partial: bool,
    /// The provider list, or one of its entries, was rejected as a whole: its
    /// names are unknown, so workloads' provider references are not checked.
    pub(crate) providers_rejected: bool,
}

/// Upper bounds that keep every value meaningful and a run's arithmetic finite
/// (documented in docs/scenario-reference.md, "Bounds").
#[derive(Clone, Copy, Debug)]
pub(crate) struct Max {
    pub(crate) value: f64,
    pub(crate) unit: &'static str,
}

/// Prices, USD per million tokens.
pub(crate) const MAX_PRICE: Max = Max { value: 1e6, unit: " USD per million tokens" };
/// Storage prices, USD per million tokens per hour.
pub(crate) const MAX_STORAGE_PRICE: Max = Max { value: 1e6, unit: " USD per million tokens per hour" };
/// Price multipliers (service tiers, windows).
pub(crate) const MAX_MULTIPLIER: Max = Max { value: 1e3, unit: "" };
/// Serving speeds.
pub(crate) const MAX_TOKEN_RATE: Max = Max { value: 1e9, unit: " tokens per second" };
/// Session arrival rates.
pub(crate) const MAX_SESSION_RATE: Max = Max { value: 1e9, unit: " sessions per second" };
/// Expected sessions of one Poisson workload (`sessions`, or rate x horizon).
pub(crate) const MAX_SESSIONS: u64 = 100_000_000;
/// Shortest keep-alive interval.
pub(crate) const MIN_KEEP_ALIVE: SimDuration = SimDuration::from_secs(1);
/// Mean of a workload's `steps`.
pub(crate) const MAX_MEAN_STEPS: f64 = 1e6;

/// What a parsed trace depends on: its file, format and options.
pub(crate) type TraceKey = (String, crate::trace::Format, crate::trace::ParseOptions);

/// Reads leaves, recording each problem and carrying on instead of stopping.
pub(crate) struct Ctx<'a> {
    pub(crate) issues: &'a mut Issues,
    pub(crate) env: &'a Env<'a>,
    /// Traces already read, by path and how it is read: a file used by
    /// several workloads is read once.
    pub(crate) traces: Vec<(TraceKey, Option<Arc<Trace>>)>,
}

impl Ctx<'_> {
    /// An optional leaf: `Some(default)` when absent, `None` when present but invalid.
    pub(crate) fn opt<T: Leaf>(&mut self, leaf: &Option<Raw<T>>, path: &KeyPath, default: T::Out) -> Option<T::Out> {
        match leaf {
            None => Some(default),
            Some(raw) => self.read(raw, path),
        }
    }

    /// An optional leaf without a default: `Some(None)` when absent.
    pub(crate) fn maybe<T: Leaf>(&mut self, leaf: &Option<Raw<T>>, path: &KeyPath) -> Option<Option<T::Out>> {
        match leaf {
            None => Some(None),
            Some(raw) => self.read(raw, path).map(Some),
        }
    }

    /// A required leaf; `what` tells the user what to write.
    pub(crate) fn req<T: Leaf>(&mut self, leaf: &Option<Raw<T>>, path: &KeyPath, what: &str) -> Option<T::Out> {
        match leaf {
            None => {
                self.missing(path, what);
                None
            }
            Some(raw) => self.read(raw, path),
        }
    }

    pub(crate) fn read<T: Leaf>(&mut self, raw: &Raw<T>, path: &KeyPath) -> Option<T::Out> {
        raw.read().map_err(|m| self.issues.value(path, m)).ok()
    }

    pub(crate) fn missing(&mut self, path: &KeyPath, what: &str) {
        let key = match path.0.last() {
            Some(super::location::Seg::Key(k)) => k.as_str(),
            _ => "",
        };
        self.issues.missing(path, format!("missing required key `{key}` ({what})"));
    }

    /// A name shown in tables and written in CSV cells: non-empty, without
    /// control characters (a newline would break a row).
    pub(crate) fn label(&mut self, name: &str, path: &KeyPath) -> bool {
        self.ensure(!name.is_empty(), path, || "must not be empty".to_string())
            && self.ensure(!name.chars().any(char::is_control), path, || {
                format!("must not contain control characters (newlines, tabs...), got \"{}\"", crate::echo::clip(name))
            })
    }

    /// Records `message` unless `ok`; returns `ok` so callers can chain.
    pub(crate) fn ensure(&mut self, ok: bool, path: &KeyPath, message: impl FnOnce() -> String) -> bool {
        if !ok {
            self.issues.value(path, message());
        }
        ok
    }

    pub(crate) fn positive<T>(&mut self, x: Option<f64>, raw: &Option<Raw<T>>, path: &KeyPath) -> Option<f64> {
        let x = x?;
        self.ensure(x > 0.0, path, || format!("must be > 0, got {}", shown(raw))).then_some(x)
    }

    pub(crate) fn non_negative<T>(&mut self, x: Option<f64>, raw: &Option<Raw<T>>, path: &KeyPath) -> Option<f64> {
        let x = x?;
        self.ensure(x >= 0.0, path, || format!("must be >= 0, got {}", shown(raw))).then_some(x)
    }

    /// `x` unless it exceeds `max` (reported with the bound and its unit).
    pub(crate) fn at_most(
        &mut self,
        x: Option<f64>,
        max: Max,
        shown: impl FnOnce() -> String,
        path: &KeyPath,
    ) -> Option<f64> {
        let x = x?;
        self.ensure(x <= max.value, path, || format!("must be <= {}{}, got {}", max.value, max.unit, shown()))
            .then_some(x)
    }

    /// A token count, at most `MAX_TOKENS`.
    pub(crate) fn tokens(&mut self, n: Option<u64>, path: &KeyPath) -> Option<u64> {
        let n = n?;
        self.ensure(n <= MAX_TOKENS, path, || too_many_tokens(&n.to_string())).then_some(n)
    }

    /// A probability in [0, 1): 1 would make the event certain, which is never meant.
    pub(crate) fn probability(&mut self, raw: &Option<Raw<f64>>, path: &KeyPath) -> Option<f64> {
        let p = self.opt(raw, path, 0.0)?;
        self.ensure((0.0..1.0).contains(&p), path, || format!("must be in [0, 1), got {}", shown(raw))).then_some(p)
    }

    /// An integer that must be >= `min`.
    pub(crate) fn at_least<T: Leaf<Out = u64>>(
        &mut self,
        raw: &Option<Raw<T>>,
        path: &KeyPath,
        default: u64,
        min: u64,
    ) -> Option<u64> {
        let n = self.opt(raw, path, default)?;
        self.ensure(n >= min, path, || format!("must be >= {min}, got {n}")).then_some(n)
    }

    /// A duration that must be > 0, absent = `None`.
    pub(crate) fn positive_duration(
        &mut self,
        raw: &Option<Raw<DurationText>>,
        path: &KeyPath,
    ) -> Option<Option<SimDuration>> {
        let d = self.maybe(raw, path)?;
        if let Some(d) = d
            && !self.ensure(d > SimDuration::ZERO, path, || format!("must be > 0, got {}", shown(raw)))
        {
            return None;
        }
        Some(d)
    }

    /// Records that a key is given where it has no effect.
    pub(crate) fn unused<T>(&mut self, leaf: &Option<T>, path: &KeyPath, why: &str) -> bool {
        if leaf.is_some() {
            self.issues.key(path, why.to_string());
        }
        leaf.is_none()
    }
}

/// The message for a token count above `MAX_TOKENS`.
pub(crate) fn too_many_tokens(shown: &str) -> String {
    format!("must be <= {MAX_TOKENS} (2^32 tokens, the most one draw can produce), got {shown}")
}

pub(crate) fn shown<T>(raw: &Option<Raw<T>>) -> String {
    raw.as_ref().map(|r| shown_value(&r.value)).unwrap_or_default()
}

pub(crate) fn is_valid_scenario_name(name: &str) -> bool {
    !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

/// Cache tier names make metric names: letters, digits and `_`.
pub(crate) fn is_valid_tier_name(name: &str) -> bool {
    !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Names for a message, each once, in order of first appearance.
pub(crate) fn list(names: impl IntoIterator<Item = impl AsRef<str>>) -> String {
    let mut unique: Vec<String> = Vec::new();
    for n in names {
        if !unique.iter().any(|u| u == n.as_ref()) {
            unique.push(n.as_ref().to_string());
        }
    }
    let names = unique;
    if names.is_empty() { "(none)".to_string() } else { names.join(", ") }
}
