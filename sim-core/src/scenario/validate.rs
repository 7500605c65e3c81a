//! Stage 2: raw mirror -> validated `Scenario`, collecting every problem on the way.
//!
//! Each check records a problem and carries on with the next key; the `Scenario` is
//! only built when nothing was recorded, so a half-valid scenario never escapes.
//! This module holds the top level (name, `[simulation]`, the provider and
//! workload lists) and the checks across sections; each section has its
//! `validate_<section>.rs`.

use super::context::*;
use super::leaf::Raw;
use super::location::KeyPath;
use super::model::*;
use super::raw::*;
use super::validate_cache::tier_budget;
use super::validate_providers::provider;
use super::validate_workloads::{ProviderRefs, workload};
use crate::time::{SimDuration, SimTime};

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
    let readable = |key: fn(&RawProvider) -> &Option<Raw<String>>| -> Vec<(usize, String)> {
        let list = raw.providers.iter().flatten().enumerate();
        list.filter_map(|(i, p)| Some((i, key(p).as_ref()?.read().ok()?))).collect()
    };
    let provider_names = readable(|p| &p.name);
    let names_complete =
        !env.partial && !env.providers_rejected && provider_names.len() == raw.providers.as_ref().map_or(0, Vec::len);
    // Families likewise, for `routing.family`.
    let families = readable(|p| &p.family);
    let refs = ProviderRefs { names: &provider_names, families: &families, complete: names_complete, caches: &caches };
    let mut segments: Vec<(KeyPath, SharedSegment)> = Vec::new();
    let workloads = table_list(&mut cx, &raw.workloads, &root.key("workloads"), "workload", |cx, _, w, at| {
        workload(cx, w, at, &refs, &mut segments)
    });
    same_segments_agree(&mut cx, &segments);
    let variants = super::validate_variants::variants(&mut cx, &raw.variants, &root.key("variants"));
    let sweep = super::validate_sweep::sweep(&mut cx, &raw.sweep, &root.key("sweep"));

    let mut scenario = Scenario {
        name: name?,
        description: description?,
        simulation: simulation?,
        providers: providers?,
        workloads: workloads?,
        variants: variants?,
        sweep: sweep?,
    };
    // Keep-alive pings refresh TTL cache entries; self-hosted replicas cache
    // prefixes in KV memory with no TTL, so a workload sends them none there
    // and stays valid on every provider (docs/caching.md "Portable workloads").
    // A routed workload keeps them if any candidate has a TTL cache (the
    // engine sends none to a replicas candidate).
    for w in &mut scenario.workloads {
        if w.candidates().iter().all(|&p| scenario.providers[p].replicas.is_some()) {
            w.keep_alive = None;
        }
    }
    routed_breakpoint_tiers(&mut cx, &scenario);
    if cx.issues.0.len() == before {
        // Products of values that are each in range: only meaningful once
        // every value is.
        super::limits::check(&scenario, cx.issues);
        super::admission_checks::check(&scenario, cx.issues);
    }
    (cx.issues.0.len() == before).then_some(scenario)
}

/// A routed workload's breakpoints name cache tiers as its first
/// candidate's, and the engine reads them by position at every candidate
/// with an explicit cache (automatic caches ignore breakpoints): each such
/// candidate must have a tier at that position.
fn routed_breakpoint_tiers(cx: &mut Ctx<'_>, sc: &Scenario) {
    for (i, w) in sc.workloads.iter().enumerate().filter(|(_, w)| w.route.is_some()) {
        let first = &sc.providers[w.provider];
        for &c in &w.candidates()[1..] {
            let other = &sc.providers[c];
            let explicit = other.cache.enabled && matches!(other.cache.mode, CacheMode::Explicit { .. });
            let Some(b) = w.breakpoints.iter().find(|b| explicit && b.tier >= other.cache.tiers.len()) else {
                continue;
            };
            cx.issues.value(
                &KeyPath::root().key("workloads").index(i).key("cache_breakpoints"),
                format!(
                    "a breakpoint writes tier `{}` (tier {} of provider `{}`), but candidate `{}`'s explicit cache has {} tier(s); give the routed providers the same cache tiers",
                    first.cache.tiers[b.tier].name,
                    b.tier + 1,
                    first.name,
                    other.name,
                    other.cache.tiers.len()
                ),
            );
        }
    }
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
    let warmup = cx.opt(&raw.warmup, &path.key("warmup"), SimDuration::ZERO);
    if let (Some(w), Some(Some(e))) = (warmup, end) {
        let at = SimTime::ZERO + w;
        cx.ensure(at < e, &path.key("warmup"), || {
            format!("must end before `simulation.end`: warm-up {} but end {}", shown(&raw.warmup), shown(&raw.end))
        });
    }
    let interval = cx.opt(&raw.timeseries_interval, &path.key("timeseries_interval"), SimDuration::from_secs(60));
    let interval = interval.filter(|d| {
        cx.ensure(*d >= SimDuration::from_secs(1), &path.key("timeseries_interval"), || {
            format!("must be at least 1s, got {}", shown(&raw.timeseries_interval))
        })
    });
    Some(SimulationSettings {
        seed: seed?,
        replicates: replicates?,
        end: end?,
        start_time_of_day_s: start?,
        warmup: warmup?,
        timeseries_interval: interval?,
    })
}
