//! Validation of a workload's provider choice: `provider = "name"` (fixed
//! routing) or a `[workloads.routing]` table (docs/routing.md), never both.

use super::context::*;
use super::leaf::*;
use super::location::KeyPath;
use super::model::*;
use super::raw::*;
use crate::time::SimDuration;

/// The cooldown of a provider a fallback chain moved away from, when not
/// written: long enough to ride out a short incident without hammering the
/// failing provider, short enough to come back within minutes.
pub(crate) const DEFAULT_COOLDOWN: SimDuration = SimDuration::from_secs(60);
/// The moving average's weight of the newest time to first token, when not
/// written: its centre of mass is 4 observations back, close to the 4.5 of
/// the 10-sample window LiteLLM's latency-based routing averages.
pub(crate) const DEFAULT_LATENCY_SMOOTHING: f64 = 0.2;

/// Provider names and families a workload may refer to, by index in the file.
pub(super) struct Names<'a> {
    pub(super) names: &'a [(usize, String)],
    pub(super) families: &'a [(usize, String)],
    /// Whether every provider's name is known; if not, an unmatched name is not reported.
    pub(super) complete: bool,
}

impl Names<'_> {
    /// Provider `name`'s index; an unknown name is reported at `path` (with
    /// a near defined name when `suggest`: the fixed `provider` key keeps
    /// its established message).
    fn index(&self, cx: &mut Ctx<'_>, name: &str, path: &KeyPath, suggest: bool) -> Option<usize> {
        let index = self.names.iter().find(|(_, n)| n == name).map(|(i, _)| *i);
        if index.is_none() && self.complete {
            let mut message =
                format!("unknown provider `{name}`; defined providers: {}", list(self.names.iter().map(|(_, n)| n)));
            if let Some(near) = self.nearest(name).filter(|_| suggest) {
                message.push_str(&format!(" (did you mean `{near}`?)"));
            }
            cx.issues.value(path, message);
        }
        index
    }

    /// A defined name within a small edit distance of `name`.
    fn nearest(&self, name: &str) -> Option<&str> {
        let (d, near) = self.names.iter().map(|(_, n)| (edit_distance(name, n), n.as_str())).min()?;
        (d > 0 && d <= 2.max(name.len() / 4)).then_some(near)
    }
}

/// The workload's first (or only) provider and its route (`None`: fixed).
pub(super) fn routing(
    cx: &mut Ctx<'_>,
    raw: &RawWorkload,
    path: &KeyPath,
    names: &Names<'_>,
) -> Option<(usize, Option<Route>)> {
    let provider_path = path.key("provider");
    let Some(r) = &raw.routing else {
        let name = cx.req(&raw.provider, &provider_path, "the name of the provider serving this workload")?;
        return Some((names.index(cx, &name, &provider_path, false)?, None));
    };
    let rpath = path.key("routing");
    if raw.provider.is_some() {
        cx.issues.key(
            &provider_path,
            "set either `provider` (fixed routing) or a [workloads.routing] table, not both".to_string(),
        );
    }
    let policy = cx
        .req(
            &r.policy,
            &rpath.key("policy"),
            "how each request picks its provider: weighted, sticky, fallback, cost_aware, least_outstanding or lowest_latency",
        )
        .map(|p| match p {
            RoutePolicyText::Weighted => RoutePolicy::Weighted,
            RoutePolicyText::Sticky => RoutePolicy::Sticky,
            RoutePolicyText::Fallback => RoutePolicy::Fallback,
            RoutePolicyText::CostAware => RoutePolicy::CostAware,
            RoutePolicyText::LeastOutstanding => RoutePolicy::LeastOutstanding,
            RoutePolicyText::LowestLatency => RoutePolicy::LowestLatency,
        });
    let (providers, family) = candidates(cx, r, &rpath, names);
    let n = providers.as_ref().map(Vec::len);
    let weights = weights(cx, r, &rpath, policy, n);
    let on = triggers(cx, r, &rpath, policy);
    let fallback = policy.is_none_or(|p| p == RoutePolicy::Fallback);
    let cooldown_path = rpath.key("cooldown");
    let cooldown = if fallback || cx.unused(&r.cooldown, &cooldown_path, "only the fallback policy has a cooldown") {
        cx.opt(&r.cooldown, &cooldown_path, DEFAULT_COOLDOWN)
    } else {
        None
    };
    let smoothing_path = rpath.key("latency_smoothing");
    let latency = policy.is_none_or(|p| p == RoutePolicy::LowestLatency);
    let smoothing = if latency
        || cx.unused(&r.latency_smoothing, &smoothing_path, "only the lowest_latency policy averages latencies")
    {
        cx.opt(&r.latency_smoothing, &smoothing_path, DEFAULT_LATENCY_SMOOTHING).filter(|a| {
            cx.ensure(*a > 0.0 && *a <= 1.0, &smoothing_path, || {
                format!("must be in (0, 1] (the newest observation's weight), got {}", shown(&r.latency_smoothing))
            })
        })
    } else {
        None
    };
    if raw.provider.is_some() {
        return None;
    }
    let providers = providers?;
    let (weights, weights_given) = weights?;
    let route = Route {
        policy: policy?,
        weights: weights.unwrap_or_else(|| vec![1.0; providers.len()]),
        weights_given,
        providers,
        family,
        on: on?,
        cooldown: cooldown?,
        latency_smoothing: smoothing?,
    };
    Some((route.providers[0], Some(route)))
}

/// The candidates: `providers` listed, or every provider of `family`.
fn candidates(
    cx: &mut Ctx<'_>,
    r: &RawRouting,
    rpath: &KeyPath,
    names: &Names<'_>,
) -> (Option<Vec<usize>>, Option<String>) {
    let (ppath, fpath) = (rpath.key("providers"), rpath.key("family"));
    match (&r.providers, &r.family) {
        (Some(_), Some(_)) => {
            cx.issues.key(&fpath, "set either `providers` or `family`, not both".to_string());
            (None, None)
        }
        (None, None) => {
            cx.missing(&ppath, "the candidate providers, e.g. providers = [\"a\", \"b\"] (or family = \"...\")");
            (None, None)
        }
        (Some(list), None) => {
            let mut out = Some(Vec::new());
            let mut seen: Vec<(String, usize)> = Vec::new();
            for (i, raw) in list.iter().enumerate() {
                let at = ppath.index(i);
                let index = cx.read(raw, &at).and_then(|name| {
                    if let Some((_, first)) = seen.iter().find(|(s, _)| *s == name) {
                        cx.issues.value(&at, format!("provider `{name}` is already listed (as {ppath}[{first}])"));
                        return None;
                    }
                    seen.push((name.clone(), i));
                    names.index(cx, &name, &at, true)
                });
                match (index, out.as_mut()) {
                    (Some(p), Some(v)) => v.push(p),
                    _ => out = None,
                }
            }
            let enough = cx.ensure(list.len() >= 2, &ppath, || {
                format!("routing needs at least two providers, got {}; write provider = \"...\" for one", list.len())
            });
            (out.filter(|_| enough), None)
        }
        (None, Some(raw)) => {
            let Some(family) = cx.read(raw, &fpath) else { return (None, None) };
            let members: Vec<usize> = names.families.iter().filter(|(_, f)| *f == family).map(|(i, _)| *i).collect();
            if members.len() >= 2 || !names.complete {
                let ok = members.len() >= 2;
                return (ok.then_some(members), Some(family));
            }
            let known = list(names.families.iter().map(|(_, f)| f));
            cx.issues.value(
                &fpath,
                format!(
                    "family `{family}` names {} provider(s); routing needs at least two (set `family` on the providers; families defined: {known})",
                    members.len()
                ),
            );
            (None, Some(family))
        }
    }
}

/// Weighted and sticky: one weight per candidate (`None`: equal), and whether
/// they were written.
fn weights(
    cx: &mut Ctx<'_>,
    r: &RawRouting,
    rpath: &KeyPath,
    policy: Option<RoutePolicy>,
    n: Option<usize>,
) -> Option<(Option<Vec<f64>>, bool)> {
    let wpath = rpath.key("weights");
    let by_weight = policy.is_none_or(|p| matches!(p, RoutePolicy::Weighted | RoutePolicy::Sticky));
    let Some(list) = &r.weights else { return Some((None, false)) };
    if !by_weight {
        cx.issues.key(&wpath, "only the weighted and sticky policies draw by weight".to_string());
        return None;
    }
    let mut out = Some(Vec::new());
    for (i, raw) in list.iter().enumerate() {
        let at = wpath.index(i);
        let w = cx.read(raw, &at).filter(|w| {
            cx.ensure(w.is_finite() && *w >= 0.0, &at, || {
                format!("must be a number >= 0, got {}", shown_value(&raw.value))
            })
        });
        match (w, out.as_mut()) {
            (Some(w), Some(v)) => v.push(w),
            _ => out = None,
        }
    }
    if let Some(n) = n
        && !cx
            .ensure(list.len() == n, &wpath, || format!("must hold one weight per provider ({n}), got {}", list.len()))
    {
        return None;
    }
    let out = out?;
    cx.ensure(out.iter().any(|w| *w > 0.0), &wpath, || "must not all be zero".to_string()).then_some(())?;
    Some((Some(out), true))
}

/// Fallback: the failure kinds that move a request down the chain.
fn triggers(cx: &mut Ctx<'_>, r: &RawRouting, rpath: &KeyPath, policy: Option<RoutePolicy>) -> Option<FailoverOn> {
    let opath = rpath.key("on");
    let Some(list) = &r.on else { return Some(FailoverOn::ALL) };
    if policy.is_some_and(|p| p != RoutePolicy::Fallback) {
        cx.issues.key(&opath, "only the fallback policy fails over".to_string());
        return None;
    }
    if !cx.ensure(!list.is_empty(), &opath, || {
        format!("must name at least one of {} (omit `on` for all)", FailoverOn::NAMES.join(", "))
    }) {
        return None;
    }
    let mut on = FailoverOn { rate_limited: false, error: false, timeout: false, outage: false };
    let mut ok = true;
    for (i, raw) in list.iter().enumerate() {
        let at = opath.index(i);
        let Some(t) = cx.read(raw, &at) else {
            ok = false;
            continue;
        };
        let slot = match t {
            FailoverText::RateLimited => &mut on.rate_limited,
            FailoverText::Error => &mut on.error,
            FailoverText::Timeout => &mut on.timeout,
            FailoverText::Outage => &mut on.outage,
        };
        ok &= cx.ensure(!*slot, &at, || format!("{} is listed twice", shown_value(&raw.value)));
        *slot = true;
    }
    ok.then_some(on)
}
