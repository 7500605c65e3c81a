//! Stage 2: raw mirror -> validated `Scenario`, collecting every problem on the way.
//!
//! Each check records a problem and carries on with the next key; the `Scenario` is
//! only built when nothing was recorded, so a half-valid scenario never escapes.

use super::dists::{TimeDistSpec, TokenDistSpec};
use super::dists::{time_dist, token_dist};
use super::location::{Anchor, KeyPath};
use super::model::*;
use super::raw::*;
use crate::dist::{Dist, MAX_TOKENS, Rounding, TokenDist};
use crate::metrics::MAX_CACHE_TIERS;
use crate::time::{SimDuration, SimTime};
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
    // On a distance tie the candidate sharing the longest prefix wins (`rnd` is
    // `round`, not `kind`), then the one listed first.
    let closest = valid
        .iter()
        .enumerate()
        .map(|(i, v)| (edit_distance(key, v), std::cmp::Reverse(common_prefix_len(key, v)), i, *v))
        .min();
    if let Some((_, _, _, suggestion)) = closest.filter(|(d, ..)| *d <= 2.max(key.len() / 4)) {
        message.push_str(&format!(" (did you mean `{suggestion}`?)"));
    }
    message
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
    value: f64,
    unit: &'static str,
}

/// Prices, USD per million tokens.
const MAX_PRICE: Max = Max { value: 1e6, unit: " USD per million tokens" };
/// Storage prices, USD per million tokens per hour.
const MAX_STORAGE_PRICE: Max = Max { value: 1e6, unit: " USD per million tokens per hour" };
/// Price multipliers (service tiers, windows).
const MAX_MULTIPLIER: Max = Max { value: 1e3, unit: "" };
/// Serving speeds.
const MAX_TOKEN_RATE: Max = Max { value: 1e9, unit: " tokens per second" };
/// Session arrival rates.
const MAX_SESSION_RATE: Max = Max { value: 1e9, unit: " sessions per second" };
/// Expected sessions of one Poisson workload (`sessions`, or rate x horizon).
pub(crate) const MAX_SESSIONS: u64 = 100_000_000;
/// Shortest keep-alive interval.
const MIN_KEEP_ALIVE: SimDuration = SimDuration::from_secs(1);
/// Mean of a workload's `steps`.
pub(crate) const MAX_MEAN_STEPS: f64 = 1e6;

/// Reads leaves, recording each problem and carrying on instead of stopping.
struct Ctx<'a> {
    issues: &'a mut Issues,
    env: &'a Env<'a>,
    /// Traces already read, by path: a file used by several workloads is read once.
    traces: Vec<(String, Option<Arc<Trace>>)>,
}

impl Ctx<'_> {
    /// An optional leaf: `Some(default)` when absent, `None` when present but invalid.
    fn opt<T: Leaf>(&mut self, leaf: &Option<Raw<T>>, path: &KeyPath, default: T::Out) -> Option<T::Out> {
        match leaf {
            None => Some(default),
            Some(raw) => self.read(raw, path),
        }
    }

    /// An optional leaf without a default: `Some(None)` when absent.
    fn maybe<T: Leaf>(&mut self, leaf: &Option<Raw<T>>, path: &KeyPath) -> Option<Option<T::Out>> {
        match leaf {
            None => Some(None),
            Some(raw) => self.read(raw, path).map(Some),
        }
    }

    /// A required leaf; `what` tells the user what to write.
    fn req<T: Leaf>(&mut self, leaf: &Option<Raw<T>>, path: &KeyPath, what: &str) -> Option<T::Out> {
        match leaf {
            None => {
                self.missing(path, what);
                None
            }
            Some(raw) => self.read(raw, path),
        }
    }

    fn read<T: Leaf>(&mut self, raw: &Raw<T>, path: &KeyPath) -> Option<T::Out> {
        raw.read().map_err(|m| self.issues.value(path, m)).ok()
    }

    fn missing(&mut self, path: &KeyPath, what: &str) {
        let key = match path.0.last() {
            Some(super::location::Seg::Key(k)) => k.as_str(),
            _ => "",
        };
        self.issues.missing(path, format!("missing required key `{key}` ({what})"));
    }

    /// A name shown in tables and written in CSV cells: non-empty, without
    /// control characters (a newline would break a row).
    fn label(&mut self, name: &str, path: &KeyPath) -> bool {
        self.ensure(!name.is_empty(), path, || "must not be empty".to_string())
            && self.ensure(!name.chars().any(char::is_control), path, || {
                format!("must not contain control characters (newlines, tabs...), got \"{}\"", crate::echo::clip(name))
            })
    }

    /// Records `message` unless `ok`; returns `ok` so callers can chain.
    fn ensure(&mut self, ok: bool, path: &KeyPath, message: impl FnOnce() -> String) -> bool {
        if !ok {
            self.issues.value(path, message());
        }
        ok
    }

    fn positive(&mut self, x: Option<f64>, raw: &Option<Raw<f64>>, path: &KeyPath) -> Option<f64> {
        let x = x?;
        self.ensure(x > 0.0, path, || format!("must be > 0, got {}", shown(raw))).then_some(x)
    }

    fn non_negative(&mut self, x: Option<f64>, raw: &Option<Raw<f64>>, path: &KeyPath) -> Option<f64> {
        let x = x?;
        self.ensure(x >= 0.0, path, || format!("must be >= 0, got {}", shown(raw))).then_some(x)
    }

    /// `x` unless it exceeds `max` (reported with the bound and its unit).
    fn at_most(&mut self, x: Option<f64>, max: Max, shown: impl FnOnce() -> String, path: &KeyPath) -> Option<f64> {
        let x = x?;
        self.ensure(x <= max.value, path, || format!("must be <= {}{}, got {}", max.value, max.unit, shown()))
            .then_some(x)
    }

    /// A token count, at most `MAX_TOKENS`.
    fn tokens(&mut self, n: Option<u64>, path: &KeyPath) -> Option<u64> {
        let n = n?;
        self.ensure(n <= MAX_TOKENS, path, || super::dists::too_many_tokens(&n.to_string())).then_some(n)
    }

    /// A probability in [0, 1): 1 would make the event certain, which is never meant.
    fn probability(&mut self, raw: &Option<Raw<f64>>, path: &KeyPath) -> Option<f64> {
        let p = self.opt(raw, path, 0.0)?;
        self.ensure((0.0..1.0).contains(&p), path, || format!("must be in [0, 1), got {}", shown(raw))).then_some(p)
    }

    /// An integer that must be >= `min`.
    fn at_least<T: Leaf<Out = u64>>(
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
    fn positive_duration(&mut self, raw: &Option<Raw<DurationText>>, path: &KeyPath) -> Option<Option<SimDuration>> {
        let d = self.maybe(raw, path)?;
        if let Some(d) = d
            && !self.ensure(d > SimDuration::ZERO, path, || format!("must be > 0, got {}", shown(raw)))
        {
            return None;
        }
        Some(d)
    }

    /// Records that a key is given where it has no effect.
    fn unused<T>(&mut self, leaf: &Option<T>, path: &KeyPath, why: &str) -> bool {
        if leaf.is_some() {
            self.issues.key(path, why.to_string());
        }
        leaf.is_none()
    }

    fn token_dist(
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

    fn time_dist(&mut self, raw: &Option<Raw<TimeDistSpec>>, path: &KeyPath) -> Option<Dist> {
        match raw {
            Some(raw) => time_dist(&raw.value, path, self.issues),
            None => Some(Dist::Fixed(0.0)),
        }
    }
}

fn shown<T>(raw: &Option<Raw<T>>) -> String {
    raw.as_ref().map(|r| shown_value(&r.value)).unwrap_or_default()
}

fn is_valid_scenario_name(name: &str) -> bool {
    !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

/// Cache tier names make metric names: letters, digits and `_`.
fn is_valid_tier_name(name: &str) -> bool {
    !name.is_empty() && name.chars().all(|c| c.is_ascii_alphanumeric() || c == '_')
}

/// Names for a message, each once, in order of first appearance.
fn list(names: impl IntoIterator<Item = impl AsRef<str>>) -> String {
    let mut unique: Vec<String> = Vec::new();
    for n in names {
        if !unique.iter().any(|u| u == n.as_ref()) {
            unique.push(n.as_ref().to_string());
        }
    }
    let names = unique;
    if names.is_empty() { "(none)".to_string() } else { names.join(", ") }
}

/// Converts the raw mirror; `None` when any issue was recorded.
pub(crate) fn validate(raw: &RawScenario, issues: &mut Issues, env: &Env<'_>) -> Option<Scenario> {
    let before = issues.0.len();
    let mut cx = Ctx { issues, env, traces: Vec::new() };
    let root = KeyPath::root();

    let name_path = root.key("name");
    let name = cx.req(&raw.name, &name_path, "the scenario's name, e.g. name = \"quickstart\"");
    let name = name.filter(|n| {
        cx.ensure(is_valid_scenario_name(n), &name_path, || {
            format!("must be non-empty and use only letters, digits, `.`, `_` and `-` (it names output directories), got {n:?}")
        })
    });
    let description = cx.opt(&raw.description, &root.key("description"), String::new());
    let simulation = simulation(&mut cx, raw.simulation.as_ref().unwrap_or(&RawSimulation::default()));

    // Each provider's cache is kept even when the provider has other problems, so
    // workloads' breakpoints are still checked against its tiers.
    let mut caches: Vec<Option<CacheConfig>> = Vec::new();
    let providers_path = root.key("providers");
    let providers = table_list(&mut cx, &raw.providers, &providers_path, "provider", |cx, i, p, at| {
        let base = env.base_names.get(i).cloned().flatten();
        let (provider, cache) = provider(cx, p, at, base, env.failed_bases.contains(&i));
        caches.push(cache);
        provider
    });
    if let Some(list) = &raw.providers {
        tier_budget(&mut cx, &caches, list, &providers_path);
    }

    // Provider names are resolved from the raw list so a workload's reference is
    // checked even when some provider had unrelated problems. When some name
    // could not be read, an unmatched reference may well be to that provider.
    let provider_names: Vec<(usize, String)> = raw
        .providers
        .iter()
        .flatten()
        .enumerate()
        .filter_map(|(i, p)| Some((i, p.name.as_ref()?.read().ok()?)))
        .collect();
    let names_complete =
        !env.partial && !env.providers_rejected && provider_names.len() == raw.providers.as_ref().map_or(0, Vec::len);
    let refs = ProviderRefs { names: &provider_names, complete: names_complete, caches: &caches };
    let mut segments: Vec<(KeyPath, SharedSegment)> = Vec::new();
    let workloads = table_list(&mut cx, &raw.workloads, &root.key("workloads"), "workload", |cx, _, w, at| {
        workload(cx, w, at, &refs, &mut segments)
    });
    same_segments_agree(&mut cx, &segments);

    let scenario = Scenario {
        name: name?,
        description: description?,
        simulation: simulation?,
        providers: providers?,
        workloads: workloads?,
    };
    if cx.issues.0.len() == before {
        // Products of values that are each in range: only meaningful once
        // every value is.
        super::limits::check(&scenario, cx.issues);
    }
    (cx.issues.0.len() == before).then_some(scenario)
}

/// Something with a `name` key that must be unique in its list.
trait Named {
    fn name(&self) -> &Option<Raw<String>>;
}

impl Named for RawProvider {
    fn name(&self) -> &Option<Raw<String>> {
        &self.name
    }
}

impl Named for RawWorkload {
    fn name(&self) -> &Option<Raw<String>> {
        &self.name
    }
}

/// A required, non-empty array of tables (`[[providers]]`, `[[workloads]]`) with
/// unique names: `each` converts one entry; `None` if anything was wrong.
fn table_list<T: Named, U>(
    cx: &mut Ctx<'_>,
    list: &Option<Vec<T>>,
    path: &KeyPath,
    what: &str,
    mut each: impl FnMut(&mut Ctx<'_>, usize, &T, &KeyPath) -> Option<U>,
) -> Option<Vec<U>> {
    let key = path.to_string();
    let list = match list {
        None => {
            cx.missing(path, &format!("at least one [[{key}]] table"));
            return None;
        }
        Some(list) if list.is_empty() => {
            cx.issues.value(path, format!("at least one {what} is required"));
            return None;
        }
        Some(list) => list,
    };
    let built: Vec<Option<U>> = list.iter().enumerate().map(|(i, entry)| each(cx, i, entry, &path.index(i))).collect();
    unique_names(cx, list.iter().map(Named::name), path, what);
    built.into_iter().collect()
}

/// What a workload's `provider` can refer to.
struct ProviderRefs<'a> {
    /// Readable provider names, by index in the file.
    names: &'a [(usize, String)],
    /// Whether every provider's name is known; if not, an unmatched name is not reported.
    complete: bool,
    /// Each provider's cache, when valid (for breakpoint tiers).
    caches: &'a [Option<CacheConfig>],
}

fn unique_names<'a>(
    cx: &mut Ctx<'_>,
    names: impl Iterator<Item = &'a Option<Raw<String>>>,
    list: &KeyPath,
    what: &str,
) {
    let mut seen: Vec<(String, usize)> = Vec::new();
    for (i, name) in names.enumerate() {
        let Some(Ok(name)) = name.as_ref().map(Raw::read) else {
            continue;
        };
        match seen.iter().find(|(n, _)| *n == name) {
            Some((_, first)) => {
                let message =
                    format!("duplicate {what} name `{name}` (already used by {list}[{first}]); names must be unique");
                cx.issues.value(&list.index(i).key("name"), message);
            }
            None => seen.push((name, i)),
        }
    }
}

/// Metrics keep one write counter per distinct tier name, at most `MAX_CACHE_TIERS`.
fn tier_budget(cx: &mut Ctx<'_>, caches: &[Option<CacheConfig>], raw: &[RawProvider], path: &KeyPath) {
    let mut names: Vec<&str> = Vec::new();
    for (i, cache) in caches.iter().enumerate() {
        let Some(cache) = cache else { continue };
        for (j, tier) in cache.tiers.iter().enumerate() {
            if names.contains(&tier.name.as_str()) {
                continue;
            }
            if names.len() == MAX_CACHE_TIERS {
                let cache_path = path.index(i).key("cache");
                let uses_list = raw[i].cache.as_ref().is_some_and(|c| c.tiers.is_some());
                let at = if uses_list { cache_path.key("tiers").index(j).key("name") } else { cache_path };
                cx.issues.value(
                    &at,
                    format!(
                        "too many cache tiers: `{}` would be the {}th distinct tier name in the scenario, at most {MAX_CACHE_TIERS} are supported (already used: {})",
                        tier.name,
                        MAX_CACHE_TIERS + 1,
                        names.join(", ")
                    ),
                );
                return;
            }
            names.push(&tier.name);
        }
    }
}

/// A segment name means the same content everywhere, so its size must agree.
fn same_segments_agree(cx: &mut Ctx<'_>, segments: &[(KeyPath, SharedSegment)]) {
    let mut seen: Vec<(&SharedSegment, &KeyPath)> = Vec::new();
    for (path, seg) in segments {
        match seen.iter().find(|(s, _)| s.name == seg.name) {
            Some((first, first_path)) if first.tokens != seg.tokens => {
                let workload = KeyPath(first_path.0.iter().take(2).cloned().collect());
                cx.issues.value(
                    path,
                    format!(
                        "shared segment `{}` has {} tokens here but {} in {workload}; the same name means the same content in every workload",
                        seg.name, seg.tokens, first.tokens
                    ),
                );
            }
            Some(_) => {}
            None => seen.push((seg, path)),
        }
    }
}

fn simulation(cx: &mut Ctx<'_>, raw: &RawSimulation) -> Option<SimulationSettings> {
    let path = KeyPath::root().key("simulation");
    let seed = cx.opt(&raw.seed, &path.key("seed"), 1);
    let replicates = cx.opt(&raw.replicates, &path.key("replicates"), 10);
    let replicates =
        replicates.filter(|r| cx.ensure(*r >= 1, &path.key("replicates"), || format!("must be >= 1, got {r}")));
    let end = cx.positive_duration(&raw.end, &path.key("end")).map(|d| d.map(|d| SimTime::from_micros(d.as_micros())));
    let start = cx.opt(&raw.start_time_utc, &path.key("start_time_utc"), 0);
    Some(SimulationSettings { seed: seed?, replicates: replicates?, end: end?, start_time_of_day_s: start? })
}

/// A provider, and its cache on its own (for checking workloads' breakpoints).
fn provider(
    cx: &mut Ctx<'_>,
    raw: &RawProvider,
    path: &KeyPath,
    base: Option<String>,
    base_failed: bool,
) -> (Option<Provider>, Option<CacheConfig>) {
    let name = cx.req(&raw.name, &path.key("name"), "a unique provider name, e.g. name = \"sonnet\"");
    let name = name.filter(|n| cx.label(n, &path.key("name")));
    // An unknown preset name was reported when bases were resolved.
    let preset = cx.maybe(&raw.preset, &path.key("preset"));
    let litellm = raw.litellm.as_ref().map(|l| {
        let p = path.key("litellm");
        let file = cx.req(&l.file, &p.key("file"), "path of a LiteLLM price catalog JSON file");
        let model = cx.req(&l.model, &p.key("model"), "the model's key in the catalog");
        file.zip(model)
    });
    let model = match &raw.model {
        Some(m) => cx.read(m, &path.key("model")),
        None => name.clone(),
    };
    let as_of = cx.maybe(&raw.as_of, &path.key("as_of"));
    let source = cx.maybe(&raw.source, &path.key("source"));

    let serving = serving(cx, raw.serving.as_ref().unwrap_or(&RawServing::default()), &path.key("serving"));
    let cache = cache(cx, raw.cache.as_ref().unwrap_or(&RawCache::default()), &path.key("cache"));
    // Without its base the provider's tiers are unknown: nothing is checked against them.
    let cache = cache.filter(|_| !base_failed);
    let tiers = cache.as_ref().map(|c| c.tiers.as_slice());
    let pricing = match &raw.pricing {
        Some(p) => pricing(cx, p, &path.key("pricing"), tiers),
        None => {
            cx.missing(
                &path.key("pricing"),
                "a [providers.pricing] table with input_usd_per_mtok and output_usd_per_mtok, or a `preset`",
            );
            None
        }
    };
    let failures = failures(cx, raw.failures.as_ref().unwrap_or(&RawFailures::default()), &path.key("failures"));
    let provenance = (|| {
        let (as_of, source) = (as_of?, source?);
        Some(match (base, as_of, source) {
            (None, None, None) => None,
            (base, as_of, source) => Some(Provenance {
                origin: base.unwrap_or_else(|| "scenario".to_string()),
                as_of: as_of.unwrap_or_default(),
                source: source.unwrap_or_default(),
            }),
        })
    })();
    let provider = (|| {
        preset?;
        if let Some(l) = litellm {
            l?;
        }
        Some(Provider {
            name: name?,
            model: model?,
            serving: serving?,
            cache: cache.clone()?,
            pricing: pricing?,
            failures: failures?,
            provenance: provenance?,
        })
    })();
    (provider, cache)
}

fn serving(cx: &mut Ctx<'_>, raw: &RawServing, path: &KeyPath) -> Option<Serving> {
    let slots_path = path.key("slots");
    let slots = cx.opt(&raw.slots, &slots_path, 16);
    let slots = slots.filter(|s| cx.ensure(*s >= 1, &slots_path, || format!("must be >= 1, got {s}")));
    let base_latency = cx.time_dist(&raw.base_latency, &path.key("base_latency"));
    let p = path.key("prefill_tokens_per_s");
    let prefill = cx.opt(&raw.prefill_tokens_per_s, &p, 10_000.0);
    let prefill = cx.positive(prefill, &raw.prefill_tokens_per_s, &p);
    let prefill = cx.at_most(prefill, MAX_TOKEN_RATE, || shown(&raw.prefill_tokens_per_s), &p);
    let d = path.key("decode_tokens_per_s");
    let decode = cx.opt(&raw.decode_tokens_per_s, &d, 50.0);
    let decode = cx.positive(decode, &raw.decode_tokens_per_s, &d);
    let decode = cx.at_most(decode, MAX_TOKEN_RATE, || shown(&raw.decode_tokens_per_s), &d);
    Some(Serving {
        slots: slots?,
        base_latency: base_latency?,
        prefill_tokens_per_s: prefill?,
        decode_tokens_per_s: decode?,
    })
}

/// The default cache lifetime (Anthropic's), as the single tier `5m`.
const DEFAULT_TTL: SimDuration = SimDuration::from_secs(300);

fn cache(cx: &mut Ctx<'_>, raw: &RawCache, path: &KeyPath) -> Option<CacheConfig> {
    let enabled = cx.opt(&raw.enabled, &path.key("enabled"), true);
    let mode = cx.opt(&raw.mode, &path.key("mode"), CacheModeText::Automatic);
    let min_tokens = cx.opt(&raw.min_tokens, &path.key("min_tokens"), 0);
    let min_tokens = cx.tokens(min_tokens, &path.key("min_tokens"));
    let granularity = cx.at_least(&raw.granularity_tokens, &path.key("granularity_tokens"), 1, 1);
    let granularity = cx.tokens(granularity, &path.key("granularity_tokens"));
    let tiers = tiers(cx, raw, path);
    let refresh_on_hit = cx.opt(&raw.refresh_on_hit, &path.key("refresh_on_hit"), true);
    let ttl_starts = cx.opt(&raw.ttl_starts, &path.key("ttl_starts"), TtlStartText::PrefillEnd).map(|t| match t {
        TtlStartText::PrefillEnd => TtlStart::PrefillEnd,
        TtlStartText::ResponseEnd => TtlStart::ResponseEnd,
    });
    let max_lifetime = cx.positive_duration(&raw.max_lifetime, &path.key("max_lifetime"));
    let cap_path = path.key("capacity_tokens");
    let capacity = cx.maybe(&raw.capacity_tokens, &cap_path).filter(|c| {
        cx.ensure(c.is_none_or(|c| c >= 1), &cap_path, || {
            "must be >= 1 (leave it out for an unbounded cache), got 0".to_string()
        })
    });
    let eviction = cx.opt(&raw.eviction, &path.key("eviction"), EvictionText::Lru);
    let scope = cx.opt(&raw.scope, &path.key("scope"), CacheScopeText::Provider);
    let miss = cx.probability(&raw.miss_probability, &path.key("miss_probability"));
    let mb_path = path.key("max_breakpoints");
    let max_breakpoints = cx
        .opt(&raw.max_breakpoints, &mb_path, 4)
        .filter(|n| cx.ensure(*n >= 1, &mb_path, || format!("must be >= 1, got {n}")));
    let lookback = cx.opt(&raw.lookback_blocks, &path.key("lookback_blocks"), 20);
    let mode = match mode? {
        CacheModeText::Automatic => CacheMode::Automatic,
        CacheModeText::Explicit => {
            CacheMode::Explicit { max_breakpoints: max_breakpoints?, lookback_blocks: lookback? }
        }
    };
    Some(CacheConfig {
        enabled: enabled?,
        mode,
        min_tokens: min_tokens?,
        granularity_tokens: granularity?,
        tiers: tiers?,
        refresh_on_hit: refresh_on_hit?,
        max_lifetime: max_lifetime?,
        capacity_tokens: capacity?,
        eviction: match eviction? {
            EvictionText::Lru => Eviction::Lru,
            EvictionText::Lfu => Eviction::Lfu,
            EvictionText::None => Eviction::None,
        },
        scope: match scope? {
            CacheScopeText::Provider => CacheScope::Provider,
            CacheScopeText::ApiKey => CacheScope::ApiKey,
        },
        miss_probability: miss?,
        ttl_starts: ttl_starts?,
    })
}

/// `ttl` (one tier named after its duration) or `tiers`, not both.
fn tiers(cx: &mut Ctx<'_>, raw: &RawCache, path: &KeyPath) -> Option<Vec<CacheTier>> {
    let ttl_path = path.key("ttl");
    match (&raw.ttl, &raw.tiers) {
        (Some(_), Some(_)) => {
            cx.issues.value(&ttl_path, "set either `ttl` (one tier) or `tiers`, not both".to_string());
            None
        }
        (None, None) => Some(vec![CacheTier { name: format_duration_compact(DEFAULT_TTL), ttl: DEFAULT_TTL }]),
        (Some(_), None) => {
            let ttl = cx.positive_duration(&raw.ttl, &ttl_path)??;
            Some(vec![CacheTier { name: format_duration_compact(ttl), ttl }])
        }
        (None, Some(list)) => {
            let list_path = path.key("tiers");
            if list.is_empty() {
                cx.issues.value(
                    &list_path,
                    "must list at least one tier, e.g. [{ name = \"5m\", ttl = \"5m\" }]".to_string(),
                );
                return None;
            }
            let mut out = Some(Vec::new());
            let mut seen: Vec<(String, usize)> = Vec::new();
            for (i, t) in list.iter().enumerate() {
                let p = list_path.index(i);
                let name = cx
                    .req(&t.name, &p.key("name"), "the tier's name, e.g. name = \"1h\"")
                    .filter(|n| {
                        cx.ensure(is_valid_tier_name(n), &p.key("name"), || {
                            format!("must be non-empty and use only letters, digits and `_` (it names metrics), got {n:?}")
                        })
                    })
                    .filter(|n| match seen.iter().find(|(s, _)| s == n) {
                        Some((_, first)) => {
                            cx.issues.value(
                                &p.key("name"),
                                format!("duplicate tier name `{n}` (already used by {list_path}[{first}]); names must be unique"),
                            );
                            false
                        }
                        None => {
                            seen.push((n.clone(), i));
                            true
                        }
                    });
                let ttl = match &t.ttl {
                    None => {
                        cx.missing(&p.key("ttl"), "the tier's lifetime, e.g. ttl = \"1h\"");
                        None
                    }
                    Some(_) => cx.positive_duration(&t.ttl, &p.key("ttl")).flatten(),
                };
                match (name, ttl, out.as_mut()) {
                    (Some(name), Some(ttl), Some(v)) => v.push(CacheTier { name, ttl }),
                    _ => out = None,
                }
            }
            out
        }
    }
}

/// The keys of one price sheet, wherever it appears (base, long context, change).
struct SheetKeys<'a> {
    input: &'a Option<Raw<f64>>,
    output: &'a Option<Raw<f64>>,
    cache_read: &'a Option<Raw<f64>>,
    cache_write: &'a Option<Raw<CacheWritePrice>>,
    storage: &'a Option<Raw<f64>>,
}

/// The sheet keys of any raw table that has them (base pricing, long
/// context, a scheduled change): the three share their field names.
macro_rules! sheet_keys {
    ($p:expr) => {
        SheetKeys {
            input: &$p.input_usd_per_mtok,
            output: &$p.output_usd_per_mtok,
            cache_read: &$p.cache_read_usd_per_mtok,
            cache_write: &$p.cache_write_usd_per_mtok,
            storage: &$p.storage_usd_per_mtok_hour,
        }
    };
}

/// Reads a price sheet. Without `prev` (the base sheet) input and output are
/// required and cache prices default to the input price; with `prev`, every
/// omitted price is `prev`'s. `tiers` is `None` when the cache was invalid (the
/// sheet is then checked but not built).
fn sheet(
    cx: &mut Ctx<'_>,
    k: SheetKeys<'_>,
    path: &KeyPath,
    prev: Option<&PriceSheet>,
    tiers: Option<&[CacheTier]>,
) -> Option<PriceSheet> {
    let price = |cx: &mut Ctx<'_>, leaf: &Option<Raw<f64>>, key: &str, default: Option<f64>| {
        let p = path.key(key);
        let x = match default {
            Some(d) => cx.opt(leaf, &p, d),
            None => cx.req(leaf, &p, "a price in USD per million tokens, >= 0"),
        };
        let x = cx.non_negative(x, leaf, &p);
        let max = if key == "storage_usd_per_mtok_hour" { MAX_STORAGE_PRICE } else { MAX_PRICE };
        cx.at_most(x, max, || shown(leaf), &p)
    };
    let input = price(cx, k.input, "input_usd_per_mtok", prev.map(|s| s.input_usd_per_mtok));
    let output = price(cx, k.output, "output_usd_per_mtok", prev.map(|s| s.output_usd_per_mtok));
    // Cache prices default to the input price; if that is invalid, it was reported already.
    let fallback = input.unwrap_or(0.0);
    let read =
        price(cx, k.cache_read, "cache_read_usd_per_mtok", Some(prev.map_or(fallback, |s| s.cache_read_usd_per_mtok)));
    let storage =
        price(cx, k.storage, "storage_usd_per_mtok_hour", Some(prev.map_or(0.0, |s| s.storage_usd_per_mtok_hour)));
    let defaults = tiers.map(|t| match prev {
        Some(s) => s.cache_write_usd_per_mtok.clone(),
        None => vec![fallback; t.len()],
    });
    let write = cache_write(cx, k.cache_write, &path.key("cache_write_usd_per_mtok"), defaults, tiers);
    Some(PriceSheet {
        input_usd_per_mtok: input?,
        cache_read_usd_per_mtok: read?,
        cache_write_usd_per_mtok: write?,
        output_usd_per_mtok: output?,
        storage_usd_per_mtok_hour: storage?,
    })
}

/// A cache write price: one number for every tier, or a table by tier name over `defaults`.
fn cache_write(
    cx: &mut Ctx<'_>,
    raw: &Option<Raw<CacheWritePrice>>,
    path: &KeyPath,
    defaults: Option<Vec<f64>>,
    tiers: Option<&[CacheTier]>,
) -> Option<Vec<f64>> {
    let Some(raw) = raw else { return defaults };
    let price = |cx: &mut Ctx<'_>, value: &toml::Value, path: &KeyPath| {
        let x = <f64 as Leaf>::read(value).map_err(|m| cx.issues.value(path, m)).ok()?;
        let x = cx.ensure(x >= 0.0, path, || format!("must be >= 0, got {value}")).then_some(x);
        cx.at_most(x, MAX_PRICE, || shown_value(value), path)
    };
    match &raw.value {
        toml::Value::Table(table) => {
            let mut out = defaults;
            let mut ok = true;
            for (key, value) in table {
                let p = path.key(key);
                let x = price(cx, value, &p);
                let Some(tiers) = tiers else { continue };
                match tiers.iter().position(|t| t.name == *key) {
                    Some(i) => match (x, out.as_mut()) {
                        (Some(x), Some(v)) => v[i] = x,
                        _ => ok = false,
                    },
                    // A preset prices the tiers it defines; if the user changed
                    // the tiers, the preset's price for a dropped tier is moot.
                    None if (cx.env.from_base)(&p) => {}
                    // The tier may be one the parser could not read.
                    None if cx.env.partial => ok = false,
                    None => {
                        cx.issues.key(
                            &p,
                            format!(
                                "unknown cache tier `{key}`; this provider's tiers: {}",
                                list(tiers.iter().map(|t| &t.name))
                            ),
                        );
                        ok = false;
                    }
                }
            }
            out.filter(|_| ok)
        }
        value @ (toml::Value::Integer(_) | toml::Value::Float(_)) => {
            let x = price(cx, value, path)?;
            Some(vec![x; tiers?.len()])
        }
        other => {
            cx.issues.value(
                path,
                format!(
                    "expected a number or a table of numbers by tier name such as {{ \"5m\" = 3.75, \"1h\" = 6.0 }}, got {}",
                    describe(other)
                ),
            );
            None
        }
    }
}

/// Default service-tier multipliers: batch and flex -50%, priority +75% (providers' pricing pages, see docs/model.md).
const DEFAULT_MULTIPLIERS: TierMultipliers = TierMultipliers { batch: 0.5, flex: 0.5, priority: 1.75 };

fn pricing(cx: &mut Ctx<'_>, raw: &RawPricing, path: &KeyPath, tiers: Option<&[CacheTier]>) -> Option<Pricing> {
    let base = sheet(cx, sheet_keys!(raw), path, None, tiers);
    let multiplier = |cx: &mut Ctx<'_>, leaf: &Option<Raw<f64>>, key: &str, default: f64| {
        let p = path.key(key);
        let x = cx.opt(leaf, &p, default);
        let x = cx.non_negative(x, leaf, &p);
        cx.at_most(x, MAX_MULTIPLIER, || shown(leaf), &p)
    };
    let batch = multiplier(cx, &raw.batch_multiplier, "batch_multiplier", DEFAULT_MULTIPLIERS.batch);
    let flex = multiplier(cx, &raw.flex_multiplier, "flex_multiplier", DEFAULT_MULTIPLIERS.flex);
    let priority = multiplier(cx, &raw.priority_multiplier, "priority_multiplier", DEFAULT_MULTIPLIERS.priority);
    // When the base sheet is invalid, what depends on it is still checked (over a
    // stand-in sheet, without tiers) but not built.
    let scratch = PriceSheet {
        input_usd_per_mtok: 0.0,
        cache_read_usd_per_mtok: 0.0,
        cache_write_usd_per_mtok: Vec::new(),
        output_usd_per_mtok: 0.0,
        storage_usd_per_mtok_hour: 0.0,
    };
    let (below, lc_tiers) = match &base {
        Some(b) => (b, tiers),
        None => (&scratch, None),
    };
    let long_context = match &raw.long_context {
        None => Some(None),
        Some(lc) => {
            long_context(cx, lc, &path.key("long_context"), None, below, lc_tiers).filter(|_| base.is_some()).map(Some)
        }
    };
    let windows = windows(cx, raw.windows.as_deref().unwrap_or(&[]), &path.key("windows"));
    let changes = match (&raw.changes, &long_context) {
        (None, _) => Some(Vec::new()),
        (Some(list), Some(lc)) => {
            changes(cx, list, &path.key("changes"), below, lc.as_ref(), lc_tiers).filter(|_| base.is_some())
        }
        (Some(list), None) => {
            changes(cx, list, &path.key("changes"), below, None, None);
            None
        }
    };
    Some(Pricing {
        base: base?,
        long_context: long_context?,
        tier_multipliers: TierMultipliers { batch: batch?, flex: flex?, priority: priority? },
        windows: windows?,
        changes: changes?,
    })
}

/// A long-context sheet over `prev_lc` (its threshold and prices) or, without
/// one, over `sheet_below` (the prices in force below the threshold).
fn long_context(
    cx: &mut Ctx<'_>,
    raw: &RawLongContext,
    path: &KeyPath,
    prev_lc: Option<&LongContext>,
    sheet_below: &PriceSheet,
    tiers: Option<&[CacheTier]>,
) -> Option<LongContext> {
    let t_path = path.key("threshold_tokens");
    let threshold = match prev_lc {
        Some(lc) => cx.opt(&raw.threshold_tokens, &t_path, lc.threshold_tokens),
        None => cx.req(
            &raw.threshold_tokens,
            &t_path,
            "input tokens above which the whole request is billed at these prices, e.g. 200000",
        ),
    };
    let threshold = threshold.filter(|t| cx.ensure(*t >= 1, &t_path, || format!("must be >= 1, got {t}")));
    let threshold = cx.tokens(threshold, &t_path);
    // Storage is billed per cache entry, at the sheet in force when the entry
    // was created (the base sheet or a change), whatever the length of the
    // requests that write or read it: a long-context storage price would never apply.
    // The sheet is still built (without it) so later changes are checked over it.
    let storage_path = path.key("storage_usd_per_mtok_hour");
    if raw.storage_usd_per_mtok_hour.is_some() {
        cx.issues.key(
            &storage_path,
            "not allowed in `long_context`: storage is priced per cache entry at the base sheet (or the `changes[]` entry in force when the entry is created), so it cannot depend on a request's length; set storage_usd_per_mtok_hour in [providers.pricing] or in `changes[]`".to_string(),
        );
    }
    let no_storage = None;
    let keys = SheetKeys { storage: &no_storage, ..sheet_keys!(raw) };
    let prev = prev_lc.map_or(sheet_below, |lc| &lc.sheet);
    let sheet = sheet(cx, keys, path, Some(prev), tiers);
    Some(LongContext { threshold_tokens: threshold?, sheet: sheet? })
}

fn windows(cx: &mut Ctx<'_>, raw: &[RawWindow], path: &KeyPath) -> Option<Vec<PriceWindow>> {
    let mut out = Some(Vec::new());
    for (i, w) in raw.iter().enumerate() {
        let p = path.index(i);
        let start = cx.req(&w.start, &p.key("start"), "UTC time of day the window starts, e.g. \"16:30\"");
        let end = cx.req(&w.end, &p.key("end"), "UTC time of day the window ends, e.g. \"00:30\"");
        let end = end.filter(|e| {
            start.is_none_or(|s| {
                cx.ensure(s != *e, &p.key("end"), || {
                    format!(
                        "must differ from `start` ({}): a window needs a length (a window may wrap past midnight)",
                        shown(&w.start)
                    )
                })
            })
        });
        let m_path = p.key("multiplier");
        let m = cx.req(&w.multiplier, &m_path, "the price multiplier inside the window, e.g. 0.5");
        let m = cx.non_negative(m, &w.multiplier, &m_path);
        let m = cx.at_most(m, MAX_MULTIPLIER, || shown(&w.multiplier), &m_path);
        match (start, end, m, out.as_mut()) {
            (Some(start_s), Some(end_s), Some(multiplier), Some(v)) => {
                v.push(PriceWindow { start_s, end_s, multiplier })
            }
            _ => out = None,
        }
    }
    out
}

fn changes(
    cx: &mut Ctx<'_>,
    raw: &[RawChange],
    path: &KeyPath,
    base: &PriceSheet,
    base_lc: Option<&LongContext>,
    tiers: Option<&[CacheTier]>,
) -> Option<Vec<PriceChange>> {
    let mut out: Option<Vec<PriceChange>> = Some(Vec::new());
    let mut prev_at: Option<(SimDuration, String)> = None;
    let mut sheet_before = base.clone();
    let mut lc_before = base_lc.cloned();
    for (i, c) in raw.iter().enumerate() {
        let p = path.index(i);
        let at_path = p.key("at");
        let at = match &c.at {
            None => {
                cx.missing(&at_path, "simulated time of the change, e.g. at = \"2h\"");
                None
            }
            Some(_) => cx.positive_duration(&c.at, &at_path).flatten(),
        };
        let at = at.filter(|at| match &prev_at {
            Some((prev, text)) if *at <= *prev => {
                cx.issues.value(
                    &at_path,
                    format!(
                        "must be later than the previous change's `at` ({text}), got {}; list changes in time order",
                        shown(&c.at)
                    ),
                );
                false
            }
            _ => true,
        });
        if let Some(at) = at {
            prev_at = Some((at, shown(&c.at)));
        }
        let sheet = sheet(cx, sheet_keys!(c), &p, Some(&sheet_before), tiers);
        let lc = match (&c.long_context, &sheet) {
            (None, _) => Some(lc_before.clone()),
            (Some(raw_lc), Some(s)) => {
                long_context(cx, raw_lc, &p.key("long_context"), lc_before.as_ref(), s, tiers).map(Some)
            }
            (Some(raw_lc), None) => {
                long_context(cx, raw_lc, &p.key("long_context"), lc_before.as_ref(), &sheet_before, tiers);
                None
            }
        };
        match (at, sheet, lc) {
            (Some(at), Some(sheet), Some(lc)) => {
                sheet_before = sheet.clone();
                lc_before = lc.clone();
                if let Some(v) = out.as_mut() {
                    v.push(PriceChange { at: SimTime::from_micros(at.as_micros()), base: sheet, long_context: lc });
                }
            }
            _ => out = None,
        }
    }
    out
}

fn failures(cx: &mut Ctx<'_>, raw: &RawFailures, path: &KeyPath) -> Option<Failures> {
    // A rate of 1 would retry forever-failing requests; the range is half-open on purpose.
    let rate = cx.probability(&raw.error_rate, &path.key("error_rate"));
    let max_retries = cx.opt(&raw.max_retries, &path.key("max_retries"), 2);
    let backoff = cx.opt(&raw.retry_backoff, &path.key("retry_backoff"), SimDuration::from_secs(1));
    Some(Failures { error_rate: rate?, max_retries: max_retries?, retry_backoff: backoff? })
}

/// `steps` must allow at least one step and keep sessions finite.
fn steps_ok(cx: &mut Ctx<'_>, steps: &TokenDist, path: &KeyPath) -> bool {
    let most = match &steps.dist {
        Dist::Fixed(v) => Some(*v),
        Dist::Uniform { high, .. } => Some(*high),
        Dist::UniformInt { high, .. } => Some(*high as f64),
        Dist::Empirical { values, .. } => values.iter().copied().reduce(f64::max),
        _ => None,
    };
    if let Some(most) = most {
        let x = steps.offset + most;
        let count = match steps.rounding {
            Rounding::Nearest => x.round(),
            Rounding::Floor => x.floor(),
            Rounding::Ceil => x.ceil(),
        }
        .max(0.0);
        if count < 1.0 {
            let what = if matches!(steps.dist, Dist::Fixed(_)) { "is" } else { "never draws more than" };
            cx.issues.value(
                path,
                format!(
                    "a session needs at least one step, but this {what} {count} (draws below 1 would run as 1 step); write steps = 1 if a single step is meant"
                ),
            );
            return false;
        }
    }
    let mean = steps.dist.mean_upper_bound() + steps.offset;
    cx.ensure(mean <= MAX_MEAN_STEPS, path, || {
        format!(
            "mean of {mean:.0} steps per session is more than {MAX_MEAN_STEPS}: each step is one LLM request re-sending the whole history, so such sessions would not finish; steps counts requests per session (agents typically take 5 to 100), e.g. steps = {{ kind = \"uniform_int\", low = 5, high = 30 }}"
        )
    })
}

const NOT_FOR_TRACES: &str = "not used by trace workloads: the trace gives each request's prompt and output";
const NO_PAUSE_IN_TRACES: &str = "not used by trace workloads: each trace request is a one-step session, so there is no pause to keep the cache alive through";
const NO_REASONING_IN_TRACES: &str =
    "not used by trace workloads: the trace gives each request's output length, reasoning included";
const NO_SEGMENTS_IN_TRACES: &str = "not used by trace workloads: the trace's blocks are the whole prompt";

fn workload(
    cx: &mut Ctx<'_>,
    raw: &RawWorkload,
    path: &KeyPath,
    refs: &ProviderRefs<'_>,
    all_segments: &mut Vec<(KeyPath, SharedSegment)>,
) -> Option<Workload> {
    let (provider_names, caches) = (refs.names, refs.caches);
    let name = cx.req(&raw.name, &path.key("name"), "a unique workload name, e.g. name = \"coding-agent\"");
    let name = name.filter(|n| cx.label(n, &path.key("name")));
    let provider_path = path.key("provider");
    let provider = cx.req(&raw.provider, &provider_path, "the name of the provider serving this workload");
    let provider = provider.and_then(|p| {
        let index = provider_names.iter().find(|(_, n)| *n == p).map(|(i, _)| *i);
        if index.is_none() && refs.complete {
            cx.issues.value(
                &provider_path,
                format!("unknown provider `{p}`; defined providers: {}", list(provider_names.iter().map(|(_, n)| n))),
            );
        }
        index
    });
    let arrivals = match &raw.arrivals {
        Some(a) => arrivals(cx, a, &path.key("arrivals")),
        None => {
            cx.missing(&path.key("arrivals"), "a [workloads.arrivals] table with rate_per_s and horizon or sessions");
            None
        }
    };
    let is_trace =
        raw.arrivals.as_ref().and_then(|a| a.kind.as_ref()).is_some_and(|k| k.read().ok() == Some(ArrivalKind::Trace));

    let segments = if is_trace {
        // A trace prompt is the trace's raw blocks: there is nothing to share.
        let given = [
            (raw.shared_prefix_tokens.is_some(), "shared_prefix_tokens"),
            (raw.shared_segments.is_some(), "shared_segments"),
        ];
        let mut ok = true;
        for (_, key) in given.iter().filter(|(g, _)| *g) {
            cx.issues.key(&path.key(key), NO_SEGMENTS_IN_TRACES.to_string());
            ok = false;
        }
        ok.then(Vec::new)
    } else {
        segments(cx, raw, path, name.as_deref())
    };
    if let Some(segs) = &segments {
        for (i, s) in segs.iter().enumerate() {
            let at = match &raw.shared_segments {
                Some(_) => path.key("shared_segments").index(i).key("tokens"),
                None => path.key("shared_prefix_tokens"),
            };
            all_segments.push((at, s.clone()));
        }
    }

    let (task_tokens, steps, output_tokens, tool_result_tokens, think_time, reasoning_tokens, reasoning_in_history);
    if is_trace {
        let trace_only = [
            (raw.task_tokens.is_some(), "task_tokens", NOT_FOR_TRACES),
            (raw.steps.is_some(), "steps", NOT_FOR_TRACES),
            (raw.output_tokens.is_some(), "output_tokens", NOT_FOR_TRACES),
            (raw.reasoning_tokens.is_some(), "reasoning_tokens", NO_REASONING_IN_TRACES),
            (raw.reasoning_in_history.is_some(), "reasoning_in_history", NO_REASONING_IN_TRACES),
            (raw.tool_result_tokens.is_some(), "tool_result_tokens", NOT_FOR_TRACES),
            (raw.think_time.is_some(), "think_time", NOT_FOR_TRACES),
            (raw.keep_alive.is_some(), "keep_alive", NO_PAUSE_IN_TRACES),
        ];
        let mut ok = true;
        for (given, key, why) in trace_only {
            if given {
                cx.issues.key(&path.key(key), why.to_string());
                ok = false;
            }
        }
        let zero = ok.then(|| TokenDist::new(Dist::Fixed(0.0)));
        task_tokens = zero.clone();
        steps = ok.then(|| TokenDist::new(Dist::Fixed(1.0)));
        output_tokens = zero.clone();
        reasoning_tokens = zero.clone();
        reasoning_in_history = ok.then_some(false);
        tool_result_tokens = zero;
        think_time = ok.then_some(Dist::Fixed(0.0));
    } else {
        task_tokens = cx.token_dist(&raw.task_tokens, &path.key("task_tokens"), Some(0.0));
        steps = cx.token_dist(&raw.steps, &path.key("steps"), None).filter(|d| steps_ok(cx, d, &path.key("steps")));
        output_tokens = cx.token_dist(&raw.output_tokens, &path.key("output_tokens"), None);
        reasoning_tokens = cx.token_dist(&raw.reasoning_tokens, &path.key("reasoning_tokens"), Some(0.0));
        reasoning_in_history = cx.opt(&raw.reasoning_in_history, &path.key("reasoning_in_history"), false);
        tool_result_tokens = cx.token_dist(&raw.tool_result_tokens, &path.key("tool_result_tokens"), Some(0.0));
        think_time = cx.time_dist(&raw.think_time, &path.key("think_time"));
    }
    let service_tier =
        cx.opt(&raw.service_tier, &path.key("service_tier"), ServiceTierText::Standard).map(|t| match t {
            ServiceTierText::Standard => ServiceTier::Standard,
            ServiceTierText::Batch => ServiceTier::Batch,
            ServiceTierText::Flex => ServiceTier::Flex,
            ServiceTierText::Priority => ServiceTier::Priority,
        });
    let key_path = path.key("api_key");
    let api_key = cx.opt(&raw.api_key, &key_path, "default".to_string()).filter(|k| cx.label(k, &key_path));
    let provider_cache = provider.and_then(|i| Some((i, caches.get(i)?.as_ref()?)));
    let breakpoints = breakpoints(
        cx,
        raw.cache_breakpoints.as_deref(),
        &path.key("cache_breakpoints"),
        segments.as_deref(),
        provider_cache.map(|(i, c)| (provider_names.iter().find(|(j, _)| *j == i), c)),
        is_trace,
    );
    let keep_alive = match &raw.keep_alive {
        None => Some(None),
        // Reported above.
        Some(_) if is_trace => None,
        Some(k) => {
            let p = path.key("keep_alive");
            let interval = match &k.interval {
                None => {
                    cx.missing(
                        &p.key("interval"),
                        "how often to send a keep-alive request during a pause, e.g. interval = \"4m\"",
                    );
                    None
                }
                Some(_) => cx.positive_duration(&k.interval, &p.key("interval")).flatten().filter(|d| {
                    // Pings keep a cache alive against TTLs of minutes; a
                    // sub-second interval only multiplies events (a 30-day pause
                    // at 1 us would be 2.6e12 pings).
                    cx.ensure(*d >= MIN_KEEP_ALIVE, &p.key("interval"), || {
                        format!(
                            "must be >= 1s (keep-alives refresh caches whose TTLs are minutes), got {}",
                            shown(&k.interval)
                        )
                    })
                }),
            };
            let output = cx.at_least(&k.output_tokens, &p.key("output_tokens"), 1, 1);
            let output = cx.tokens(output, &p.key("output_tokens"));
            interval.zip(output).map(|(interval, output_tokens)| Some(KeepAlive { interval, output_tokens }))
        }
    };
    Some(Workload {
        name: name?,
        provider: provider?,
        arrivals: arrivals?,
        shared_segments: segments?,
        task_tokens: task_tokens?,
        steps: steps?,
        output_tokens: output_tokens?,
        reasoning_tokens: reasoning_tokens?,
        reasoning_in_history: reasoning_in_history?,
        tool_result_tokens: tool_result_tokens?,
        think_time: think_time?,
        service_tier: service_tier?,
        api_key: api_key?,
        breakpoints: breakpoints?,
        keep_alive: keep_alive?,
    })
}

/// Words that `cache_breakpoints.after` gives a meaning of their own.
const RESERVED_SEGMENT_NAMES: [&str; 2] = ["task", "end"];

/// `shared_prefix_tokens` (one segment `<workload>/shared`) or `shared_segments`.
fn segments(cx: &mut Ctx<'_>, raw: &RawWorkload, path: &KeyPath, workload: Option<&str>) -> Option<Vec<SharedSegment>> {
    match (&raw.shared_prefix_tokens, &raw.shared_segments) {
        (Some(_), Some(_)) => {
            cx.issues.key(
                &path.key("shared_segments"),
                "set either `shared_prefix_tokens` or `shared_segments`, not both".to_string(),
            );
            None
        }
        (None, None) => Some(Vec::new()),
        (Some(_), None) => {
            let p = path.key("shared_prefix_tokens");
            let tokens = cx.opt(&raw.shared_prefix_tokens, &p, 0);
            let tokens = cx.tokens(tokens, &p)?;
            let name = format!("{}/shared", workload?);
            Some(if tokens == 0 { Vec::new() } else { vec![SharedSegment { name, tokens }] })
        }
        (None, Some(list)) => {
            let list_path = path.key("shared_segments");
            let mut out = Some(Vec::new());
            let mut seen: Vec<(String, usize)> = Vec::new();
            for (i, s) in list.iter().enumerate() {
                let p = list_path.index(i);
                let name_path = p.key("name");
                let name = cx
                    .req(&s.name, &name_path, "the segment's name, e.g. name = \"system\"")
                    .filter(|n| {
                        let why = if n.is_empty() {
                            Some("must not be empty".to_string())
                        } else if n.chars().any(char::is_control) {
                            Some("must not contain control characters (newlines, tabs...)".to_string())
                        } else if RESERVED_SEGMENT_NAMES.contains(&n.as_str()) {
                            Some(format!("`{n}` is reserved (cache_breakpoints use \"task\" and \"end\"); choose another name"))
                        } else {
                            seen.iter().find(|(s, _)| s == n).map(|(_, first)| {
                                format!("duplicate segment name `{n}` (already used by {list_path}[{first}]); names must be unique")
                            })
                        };
                        match why {
                            Some(m) => {
                                cx.issues.value(&name_path, m);
                                false
                            }
                            None => {
                                seen.push((n.clone(), i));
                                true
                            }
                        }
                    });
                let tokens_path = p.key("tokens");
                let tokens = match &s.tokens {
                    None => {
                        cx.missing(&tokens_path, "the segment's size in tokens");
                        None
                    }
                    Some(_) => cx.at_least(&s.tokens, &tokens_path, 1, 1),
                };
                let tokens = cx.tokens(tokens, &tokens_path);
                match (name, tokens, out.as_mut()) {
                    (Some(name), Some(tokens), Some(v)) => v.push(SharedSegment { name, tokens }),
                    _ => out = None,
                }
            }
            out
        }
    }
}

/// Cache breakpoints: positions in prompt order, tiers of the provider, TTLs not
/// increasing along the prompt, and at most `max_breakpoints` in explicit mode.
/// `segments` or `provider` is `None` when invalid; the checks needing them are skipped.
/// Trace workloads (`trace`) have raw-block prompts: only `end` applies.
///
/// Without `cache_breakpoints`, the client breaks at the end of every prompt,
/// except on an explicit cache with `lookback_blocks = 0` (Gemini's
/// cachedContents): a look-up there reads only at the request's own
/// breakpoints, and the end of each step's prompt is a new block, so a rolling
/// end breakpoint never hits. The default there is the fixed prefix: after
/// the last shared segment, or after the task when there is none.
fn breakpoints(
    cx: &mut Ctx<'_>,
    raw: Option<&[RawBreakpoint]>,
    path: &KeyPath,
    segments: Option<&[SharedSegment]>,
    provider: Option<(Option<&(usize, String)>, &CacheConfig)>,
    trace: bool,
) -> Option<Vec<BreakpointRule>> {
    let cache = provider.map(|(_, c)| c);
    let reads_only_at_breakpoints =
        !trace && matches!(cache.map(|c| &c.mode), Some(CacheMode::Explicit { lookback_blocks: 0, .. }));
    // What to break after instead of `end` on such a provider.
    let fixed_prefix = |segments: &[SharedSegment]| match segments {
        [.., last] => BreakpointAt::AfterSegment(last.name.clone()),
        [] => BreakpointAt::AfterTask,
    };
    let Some(raw) = raw else {
        let at = match segments {
            _ if !reads_only_at_breakpoints => BreakpointAt::End,
            Some(segments) => fixed_prefix(segments),
            // Invalid segments were reported; the workload is not built.
            None => return None,
        };
        return Some(vec![BreakpointRule { at, tier: 0 }]);
    };
    let provider_name = provider.and_then(|(n, _)| n).map_or(String::new(), |(_, n)| format!("provider `{n}`"));
    let mut out = Some(Vec::new());
    // Each entry's `after` and its position in the prompt.
    let mut afters: Vec<Option<String>> = Vec::with_capacity(raw.len());
    let mut ats: Vec<Option<(BreakpointAt, usize)>> = Vec::with_capacity(raw.len());
    for (k, b) in raw.iter().enumerate() {
        let after_path = path.index(k).key("after");
        let after = cx.req(&b.after, &after_path, "a shared segment name, \"task\" or \"end\"");
        let at = after.as_ref().and_then(|a| {
            if trace && a != "end" {
                cx.issues.value(
                    &after_path,
                    format!(
                        "after = \"{a}\" is not used by trace workloads: a trace prompt is the trace's raw blocks, with no shared segments or task, so only \"end\" is meaningful"
                    ),
                );
                return None;
            }
            let segments = segments?;
            let n = segments.len();
            let found = match a.as_str() {
                "task" => Some((BreakpointAt::AfterTask, n)),
                "end" => Some((BreakpointAt::End, n + 1)),
                name => segments
                    .iter()
                    .position(|s| s.name == name)
                    .map(|i| (BreakpointAt::AfterSegment(name.to_string()), i)),
            };
            // With syntax errors the segment may be one the parser could not read.
            if found.is_none() && !cx.env.partial {
                let mut names: Vec<String> = segments.iter().map(|s| format!("`{}`", s.name)).collect();
                names.extend(["\"task\"".to_string(), "\"end\"".to_string()]);
                cx.issues.value(
                    &after_path,
                    format!(
                        "unknown segment `{a}`; expected one of this workload's shared segments or a position: {}",
                        names.join(", ")
                    ),
                );
            }
            found
        });
        afters.push(after);
        ats.push(at);
    }
    // Entries outside the longest run in prompt order are out of order: each is
    // reported once, against its nearest in-order neighbour.
    let positions: Vec<Option<usize>> = ats.iter().map(|a| a.as_ref().map(|(_, pos)| *pos)).collect();
    let kept = longest_in_order(&positions);
    let shown_after = |j: usize| afters[j].as_deref().unwrap_or_default();
    for (k, pos) in positions.iter().enumerate() {
        let Some(pos) = *pos else { continue };
        if kept[k] {
            continue;
        }
        let earlier = (0..k).rev().find(|&j| kept[j] && positions[j].is_some_and(|q| q >= pos));
        let later = (k + 1..raw.len()).find(|&j| kept[j] && positions[j].is_some_and(|q| q <= pos));
        let why = match (earlier, later) {
            (Some(j), _) => {
                format!("`{}` does not come after `{}` ({})", shown_after(k), shown_after(j), path.index(j))
            }
            (None, Some(j)) => format!(
                "`{}` is listed before `{}` ({}), which comes earlier in the prompt",
                shown_after(k),
                shown_after(j),
                path.index(j)
            ),
            (None, None) => format!("`{}` is out of order", shown_after(k)),
        };
        cx.issues.value(
            &path.index(k).key("after"),
            format!(
                "breakpoints must follow prompt order without repeats (shared segments, then \"task\", then \"end\"), but {why}"
            ),
        );
        ats[k] = None;
    }
    if reads_only_at_breakpoints && matches!(ats.as_slice(), [Some((BreakpointAt::End, _))]) {
        let suggestion = match segments.map(fixed_prefix) {
            Some(BreakpointAt::AfterSegment(name)) => name,
            _ => "task".to_string(),
        };
        cx.issues.value(
            &path.index(0).key("after"),
            format!(
                "a lone \"end\" breakpoint never hits on {provider_name}: its cache is explicit with lookback_blocks = 0, so a request reads the cache only at its own breakpoints, and the end of each step's prompt is a new block; every step would write, and pay storage for, an entry no later step reads. Cache the fixed prefix instead: after = \"{suggestion}\""
            ),
        );
        out = None;
    }
    // TTL of the previous breakpoint, with its path.
    let mut prev_tier: Option<(usize, KeyPath)> = None;
    for ((k, b), at) in raw.iter().enumerate().zip(ats) {
        let p = path.index(k);
        let tier_path = p.key("tier");
        let tier = match (cx.maybe(&b.tier, &tier_path), cache) {
            (None, _) | (_, None) => None,
            (Some(None), Some(_)) => Some(0),
            (Some(Some(t)), Some(c)) => {
                let i = c.tiers.iter().position(|x| x.name == t);
                if i.is_none() && !cx.env.partial {
                    cx.issues.value(
                        &tier_path,
                        format!(
                            "unknown cache tier `{t}`; {provider_name} has tiers: {}",
                            list(c.tiers.iter().map(|t| &t.name))
                        ),
                    );
                }
                i
            }
        };
        let tier = tier.filter(|&t| {
            let (Some(c), Some((prev_t, prev_path))) = (cache, &prev_tier) else {
                return true;
            };
            let (this, before) = (&c.tiers[t], &c.tiers[*prev_t]);
            let anchor = if b.tier.is_some() { &tier_path } else { &p };
            cx.ensure(this.ttl <= before.ttl, anchor, || {
                format!(
                    "cache TTLs must not increase along the prompt: tier `{}` ({}) follows tier `{}` ({}) at {prev_path}; put longer-lived breakpoints first (Anthropic requires 1h entries before 5m ones)",
                    this.name,
                    format_duration_compact(this.ttl),
                    before.name,
                    format_duration_compact(before.ttl)
                )
            })
        });
        if let Some(t) = tier {
            prev_tier = Some((t, p.clone()));
        }
        match (at, tier, out.as_mut()) {
            (Some((at, _)), Some(tier), Some(v)) => v.push(BreakpointRule { at, tier }),
            _ => out = None,
        }
    }
    if let Some(CacheMode::Explicit { max_breakpoints, .. }) = cache.map(|c| &c.mode) {
        let n = raw.len();
        if n > *max_breakpoints as usize {
            cx.issues.value(
                path,
                format!(
                    "{n} breakpoints, but {provider_name} allows at most {max_breakpoints} (its cache.max_breakpoints)"
                ),
            );
            out = None;
        }
    }
    out
}

/// Marks the entries of the longest strictly increasing run of `positions`
/// (the earliest by index among equally long runs); `None`s are skipped.
fn longest_in_order(positions: &[Option<usize>]) -> Vec<bool> {
    let n = positions.len();
    // from[k]: length of the longest increasing run starting at entry k.
    let mut from = vec![0usize; n];
    for k in (0..n).rev() {
        let Some(p) = positions[k] else { continue };
        let rest = (k + 1..n).filter(|&j| positions[j].is_some_and(|q| q > p)).map(|j| from[j]).max();
        from[k] = 1 + rest.unwrap_or(0);
    }
    let mut need = from.iter().copied().max().unwrap_or(0);
    let mut last: Option<usize> = None;
    let mut kept = vec![false; n];
    for k in 0..n {
        if let Some(p) = positions[k]
            && need > 0
            && from[k] == need
            && last.is_none_or(|l| p > l)
        {
            kept[k] = true;
            need -= 1;
            last = Some(p);
        }
    }
    kept
}

fn arrivals(cx: &mut Ctx<'_>, raw: &RawArrivals, path: &KeyPath) -> Option<Arrivals> {
    let kind = cx.opt(&raw.kind, &path.key("kind"), ArrivalKind::Poisson)?;
    match kind {
        ArrivalKind::Poisson => poisson(cx, raw, path),
        ArrivalKind::Trace => trace(cx, raw, path),
    }
}

fn poisson(cx: &mut Ctx<'_>, raw: &RawArrivals, path: &KeyPath) -> Option<Arrivals> {
    const WHY: &str = "only used by trace arrivals (kind = \"trace\")";
    let unused = cx.unused(&raw.file, &path.key("file"), WHY) & cx.unused(&raw.format, &path.key("format"), WHY);
    let rate_path = path.key("rate_per_s");
    let rate = cx.req(&raw.rate_per_s, &rate_path, "mean session arrivals per second, > 0");
    let rate = cx.positive(rate, &raw.rate_per_s, &rate_path);
    let rate = cx.at_most(rate, MAX_SESSION_RATE, || shown(&raw.rate_per_s), &rate_path);
    let stop = match (&raw.horizon, &raw.sessions) {
        (Some(h), None) => {
            let p = path.key("horizon");
            cx.read(h, &p)
                .filter(|d| cx.ensure(*d > SimDuration::ZERO, &p, || format!("must be > 0, got {}", h.value)))
                .filter(|d| {
                    let Some(rate) = rate else { return true };
                    let expected = rate * d.as_secs_f64();
                    cx.ensure(expected <= MAX_SESSIONS as f64, &p, || {
                        let longest = format_duration_compact(SimDuration::from_secs_f64(MAX_SESSIONS as f64 / rate));
                        format!(
                            "rate_per_s x horizon expects {expected:.0} sessions, more than the {MAX_SESSIONS} one run can simulate in reasonable time and memory; shorten the horizon (at most \"{longest}\" at this rate) or lower rate_per_s"
                        )
                    })
                })
                .map(|d| ArrivalStop::Horizon(SimTime::from_micros(d.as_micros())))
        }
        (None, Some(s)) => {
            let p = path.key("sessions");
            cx.read(s, &p)
                .filter(|n| cx.ensure(*n >= 1, &p, || format!("must be >= 1, got {n}")))
                .filter(|n| {
                    cx.ensure(*n <= MAX_SESSIONS, &p, || {
                        format!("must be <= {MAX_SESSIONS}, got {n}: a run that large cannot finish in reasonable time and memory; simulate fewer sessions (a sample of 10000 to 1000000 usually gives tight confidence intervals)")
                    })
                })
                .map(ArrivalStop::Sessions)
        }
        (Some(_), Some(_)) => {
            cx.issues.value(path, "set exactly one of `horizon` or `sessions`, not both".to_string());
            None
        }
        (None, None) => {
            cx.issues.missing(
                path,
                "missing `horizon` or `sessions`; set exactly one (e.g. horizon = \"1h\" or sessions = 1000)"
                    .to_string(),
            );
            None
        }
    };
    unused.then_some(())?;
    Some(Arrivals::Poisson { rate_per_s: rate?, stop: stop? })
}

fn trace(cx: &mut Ctx<'_>, raw: &RawArrivals, path: &KeyPath) -> Option<Arrivals> {
    const WHY: &str = "not used by trace arrivals: the trace gives every arrival time";
    let unused = cx.unused(&raw.rate_per_s, &path.key("rate_per_s"), WHY)
        & cx.unused(&raw.horizon, &path.key("horizon"), WHY)
        & cx.unused(&raw.sessions, &path.key("sessions"), WHY);
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
            cx.traces.push((file, t.clone()));
            t
        }
    };
    unused.then_some(())?;
    Some(Arrivals::Trace(trace?))
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
