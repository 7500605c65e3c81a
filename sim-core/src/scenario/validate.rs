//! Stage 2: raw mirror -> validated `Scenario`, collecting every problem on the way.
//!
//! Each check records a problem and carries on with the next key; the `Scenario` is
//! only built when nothing was recorded, so a half-valid scenario never escapes.

use super::context::*;
use super::dists::{TimeDistSpec, TokenDistSpec};
use super::dists::{time_dist, token_dist};
use super::location::KeyPath;
use super::model::*;
use super::raw::*;
use super::validate_arrivals::arrivals;
use super::validate_breakpoints::breakpoints;
use super::validate_pricing::pricing;
use crate::dist::{Dist, Rounding, TokenDist};
use crate::metrics::MAX_CACHE_TIERS;
use crate::time::{SimDuration, SimTime};

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

    pub(crate) fn time_dist(&mut self, raw: &Option<Raw<TimeDistSpec>>, path: &KeyPath) -> Option<Dist> {
        match raw {
            Some(raw) => time_dist(&raw.value, path, self.issues),
            None => Some(Dist::Fixed(0.0)),
        }
    }
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
    Some(SimulationSettings {
        seed: seed?,
        replicates: replicates?,
        end: end?,
        start_time_of_day_s: start?,
        ..SimulationSettings::default()
    })
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
