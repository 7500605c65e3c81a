//! Stage 2: raw mirror -> validated `Scenario`, collecting every problem on the way.
//!
//! Each check records a problem and carries on with the next key; the `Scenario` is
//! only built when nothing was recorded, so a half-valid scenario never escapes.

use super::dists::{TimeDistSpec, TokenDistSpec};
use super::dists::{time_dist, token_dist};
use super::location::{Anchor, KeyPath};
use super::model::*;
use super::raw::*;
use crate::dist::{Dist, TokenDist};
use crate::time::{SimDuration, SimTime};

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
        self.0.push(Issue {
            path: path.clone(),
            anchor: Anchor::Value,
            message,
            missing: false,
        });
    }
    pub(crate) fn key(&mut self, path: &KeyPath, message: String) {
        self.0.push(Issue {
            path: path.clone(),
            anchor: Anchor::Key,
            message,
            missing: false,
        });
    }
    pub(crate) fn missing(&mut self, path: &KeyPath, message: String) {
        self.0.push(Issue {
            path: path.clone(),
            anchor: Anchor::Value,
            message,
            missing: true,
        });
    }
}

/// "unknown key `x` for <what>; expected one of: a, b" plus a suggestion for near misses.
pub(crate) fn unknown_key_message(key: &str, valid: &[&str], what: &str) -> String {
    let mut message = format!("unknown key `{key}`");
    if !what.is_empty() {
        message.push_str(&format!(" for {what}"));
    }
    message.push_str(&format!("; expected one of: {}", valid.join(", ")));
    let closest = valid.iter().map(|v| (edit_distance(key, v), *v)).min();
    if let Some((_, suggestion)) = closest.filter(|(d, _)| *d <= 2.max(key.len() / 4)) {
        message.push_str(&format!(" (did you mean `{suggestion}`?)"));
    }
    message
}

/// Levenshtein distance, for "did you mean" hints.
fn edit_distance(a: &str, b: &str) -> usize {
    let b: Vec<char> = b.chars().collect();
    let mut row: Vec<usize> = (0..=b.len()).collect();
    for (i, ca) in a.chars().enumerate() {
        let mut diag = row[0];
        row[0] = i + 1;
        for (j, cb) in b.iter().enumerate() {
            let next = (diag + usize::from(ca != *cb))
                .min(row[j] + 1)
                .min(row[j + 1] + 1);
            diag = row[j + 1];
            row[j + 1] = next;
        }
    }
    row[b.len()]
}

/// Reads leaves, recording each problem and carrying on instead of stopping.
struct Ctx<'a> {
    issues: &'a mut Issues,
}

impl Ctx<'_> {
    /// An optional leaf: `Some(default)` when absent, `None` when present but invalid.
    fn opt<T: Leaf>(
        &mut self,
        leaf: &Option<Raw<T>>,
        path: &KeyPath,
        default: T::Out,
    ) -> Option<T::Out> {
        match leaf {
            None => Some(default),
            Some(raw) => self.read(raw, path),
        }
    }

    /// A required leaf; `what` tells the user what to write.
    fn req<T: Leaf>(
        &mut self,
        leaf: &Option<Raw<T>>,
        path: &KeyPath,
        what: &str,
    ) -> Option<T::Out> {
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
        self.issues
            .missing(path, format!("missing required key `{key}` ({what})"));
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
        self.ensure(x > 0.0, path, || format!("must be > 0, got {}", shown(raw)))
            .then_some(x)
    }

    fn non_negative(
        &mut self,
        x: Option<f64>,
        raw: &Option<Raw<f64>>,
        path: &KeyPath,
    ) -> Option<f64> {
        let x = x?;
        self.ensure(x >= 0.0, path, || {
            format!("must be >= 0, got {}", shown(raw))
        })
        .then_some(x)
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
    raw.as_ref()
        .map(|r| r.value.to_string())
        .unwrap_or_default()
}

fn is_valid_scenario_name(name: &str) -> bool {
    !name.is_empty()
        && name
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '.' | '_' | '-'))
}

/// Converts the raw mirror; `None` when any issue was recorded.
pub(crate) fn validate(raw: &RawScenario, issues: &mut Issues) -> Option<Scenario> {
    let before = issues.0.len();
    let mut cx = Ctx { issues };
    let root = KeyPath::root();

    let name_path = root.key("name");
    let name = cx.req(
        &raw.name,
        &name_path,
        "the scenario's name, e.g. name = \"quickstart\"",
    );
    let name = name.filter(|n| {
        cx.ensure(is_valid_scenario_name(n), &name_path, || {
            format!("must be non-empty and use only letters, digits, `.`, `_` and `-` (it names output directories), got {n:?}")
        })
    });
    let description = cx.opt(&raw.description, &root.key("description"), String::new());
    let simulation = simulation(
        &mut cx,
        raw.simulation.as_ref().unwrap_or(&RawSimulation::default()),
    );

    let providers = match &raw.providers {
        None => {
            cx.missing(&root.key("providers"), "at least one [[providers]] table");
            None
        }
        Some(list) if list.is_empty() => {
            cx.issues.value(
                &root.key("providers"),
                "at least one provider is required".to_string(),
            );
            None
        }
        Some(list) => {
            let path = root.key("providers");
            let built: Vec<Option<Provider>> = list
                .iter()
                .enumerate()
                .map(|(i, p)| provider(&mut cx, p, &path.index(i)))
                .collect();
            unique_names(&mut cx, list.iter().map(|p| &p.name), &path, "provider");
            built.into_iter().collect::<Option<Vec<_>>>()
        }
    };

    // Provider names are resolved from the raw list so a workload's reference is
    // checked even when some provider had unrelated problems.
    let provider_names: Vec<String> = raw
        .providers
        .iter()
        .flatten()
        .filter_map(|p| p.name.as_ref().and_then(|n| n.read().ok()))
        .collect();
    let workloads = match &raw.workloads {
        None => {
            cx.missing(&root.key("workloads"), "at least one [[workloads]] table");
            None
        }
        Some(list) if list.is_empty() => {
            cx.issues.value(
                &root.key("workloads"),
                "at least one workload is required".to_string(),
            );
            None
        }
        Some(list) => {
            let path = root.key("workloads");
            let built: Vec<Option<Workload>> = list
                .iter()
                .enumerate()
                .map(|(i, w)| workload(&mut cx, w, &path.index(i), &provider_names))
                .collect();
            unique_names(&mut cx, list.iter().map(|w| &w.name), &path, "workload");
            built.into_iter().collect::<Option<Vec<_>>>()
        }
    };

    let scenario = Scenario {
        name: name?,
        description: description?,
        simulation: simulation?,
        providers: providers?,
        workloads: workloads?,
    };
    (cx.issues.0.len() == before).then_some(scenario)
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
                let message = format!(
                    "duplicate {what} name `{name}` (already used by {list}[{first}]); names must be unique"
                );
                cx.issues.value(&list.index(i).key("name"), message);
            }
            None => seen.push((name, i)),
        }
    }
}

fn simulation(cx: &mut Ctx<'_>, raw: &RawSimulation) -> Option<SimulationSettings> {
    let path = KeyPath::root().key("simulation");
    let seed = cx.opt(&raw.seed, &path.key("seed"), 1);
    let replicates = cx.opt(&raw.replicates, &path.key("replicates"), 10);
    let replicates = replicates.filter(|r| {
        cx.ensure(*r >= 1, &path.key("replicates"), || {
            format!("must be >= 1, got {r}")
        })
    });
    let end = match &raw.end {
        None => Some(None),
        Some(end) => cx
            .read(end, &path.key("end"))
            .filter(|d| {
                cx.ensure(*d > SimDuration::ZERO, &path.key("end"), || {
                    format!("must be > 0, got {}", end.value)
                })
            })
            .map(|d| Some(SimTime::from_micros(d.as_micros()))),
    };
    Some(SimulationSettings {
        seed: seed?,
        replicates: replicates?,
        end: end?,
    })
}

fn provider(cx: &mut Ctx<'_>, raw: &RawProvider, path: &KeyPath) -> Option<Provider> {
    let name = cx.req(
        &raw.name,
        &path.key("name"),
        "a unique provider name, e.g. name = \"sonnet\"",
    );
    let name = name.filter(|n| {
        cx.ensure(!n.is_empty(), &path.key("name"), || {
            "must not be empty".to_string()
        })
    });
    let model = match &raw.model {
        Some(m) => cx.read(m, &path.key("model")),
        None => name.clone(),
    };

    let serving = serving(
        cx,
        raw.serving.as_ref().unwrap_or(&RawServing::default()),
        &path.key("serving"),
    );
    let cache = cache(
        cx,
        raw.cache.as_ref().unwrap_or(&RawCache::default()),
        &path.key("cache"),
    );
    let pricing = match &raw.pricing {
        Some(p) => pricing(cx, p, &path.key("pricing")),
        None => {
            cx.missing(
                &path.key("pricing"),
                "a [providers.pricing] table with input_usd_per_mtok and output_usd_per_mtok",
            );
            None
        }
    };
    let failures = failures(
        cx,
        raw.failures.as_ref().unwrap_or(&RawFailures::default()),
        &path.key("failures"),
    );
    Some(Provider {
        name: name?,
        model: model?,
        serving: serving?,
        cache: cache?,
        pricing: pricing?,
        failures: failures?,
    })
}

fn serving(cx: &mut Ctx<'_>, raw: &RawServing, path: &KeyPath) -> Option<Serving> {
    let slots_path = path.key("slots");
    let slots = cx.opt(&raw.slots, &slots_path, 16);
    let slots =
        slots.filter(|s| cx.ensure(*s >= 1, &slots_path, || format!("must be >= 1, got {s}")));
    let base_latency = cx.time_dist(&raw.base_latency, &path.key("base_latency"));
    let p = path.key("prefill_tokens_per_s");
    let prefill = cx.opt(&raw.prefill_tokens_per_s, &p, 10_000.0);
    let prefill = cx.positive(prefill, &raw.prefill_tokens_per_s, &p);
    let d = path.key("decode_tokens_per_s");
    let decode = cx.opt(&raw.decode_tokens_per_s, &d, 50.0);
    let decode = cx.positive(decode, &raw.decode_tokens_per_s, &d);
    Some(Serving {
        slots: slots?,
        base_latency: base_latency?,
        prefill_tokens_per_s: prefill?,
        decode_tokens_per_s: decode?,
    })
}

fn cache(cx: &mut Ctx<'_>, raw: &RawCache, path: &KeyPath) -> Option<CacheConfig> {
    let enabled = cx.opt(&raw.enabled, &path.key("enabled"), true);
    let ttl_path = path.key("ttl");
    let ttl = cx.opt(&raw.ttl, &ttl_path, SimDuration::from_secs(300));
    let ttl = ttl.filter(|t| {
        cx.ensure(*t > SimDuration::ZERO, &ttl_path, || {
            format!("must be > 0, got {}", shown(&raw.ttl))
        })
    });
    let refresh_on_hit = cx.opt(&raw.refresh_on_hit, &path.key("refresh_on_hit"), true);
    Some(CacheConfig {
        enabled: enabled?,
        ttl: ttl?,
        refresh_on_hit: refresh_on_hit?,
    })
}

fn pricing(cx: &mut Ctx<'_>, raw: &RawPricing, path: &KeyPath) -> Option<Pricing> {
    let price = |cx: &mut Ctx<'_>, leaf: &Option<Raw<f64>>, key: &str, default: Option<f64>| {
        let p = path.key(key);
        let x = match default {
            Some(d) => cx.opt(leaf, &p, d),
            None => cx.req(leaf, &p, "a price in USD per million tokens, >= 0"),
        };
        cx.non_negative(x, leaf, &p)
    };
    let input = price(cx, &raw.input_usd_per_mtok, "input_usd_per_mtok", None);
    // Cache prices default to the input price; if that is invalid, it was reported already.
    let fallback = input.unwrap_or(0.0);
    let read = price(
        cx,
        &raw.cache_read_usd_per_mtok,
        "cache_read_usd_per_mtok",
        Some(fallback),
    );
    let write = price(
        cx,
        &raw.cache_write_usd_per_mtok,
        "cache_write_usd_per_mtok",
        Some(fallback),
    );
    let output = price(cx, &raw.output_usd_per_mtok, "output_usd_per_mtok", None);
    Some(Pricing {
        input_usd_per_mtok: input?,
        cache_read_usd_per_mtok: read?,
        cache_write_usd_per_mtok: write?,
        output_usd_per_mtok: output?,
    })
}

fn failures(cx: &mut Ctx<'_>, raw: &RawFailures, path: &KeyPath) -> Option<Failures> {
    let rate_path = path.key("error_rate");
    let rate = cx.opt(&raw.error_rate, &rate_path, 0.0);
    // A rate of 1 would retry forever-failing requests; the range is half-open on purpose.
    let rate = rate.filter(|r| {
        cx.ensure((0.0..1.0).contains(r), &rate_path, || {
            format!("must be in [0, 1), got {}", shown(&raw.error_rate))
        })
    });
    let max_retries = cx.opt(&raw.max_retries, &path.key("max_retries"), 2);
    let backoff = cx.opt(
        &raw.retry_backoff,
        &path.key("retry_backoff"),
        SimDuration::from_secs(1),
    );
    Some(Failures {
        error_rate: rate?,
        max_retries: max_retries?,
        retry_backoff: backoff?,
    })
}

fn workload(
    cx: &mut Ctx<'_>,
    raw: &RawWorkload,
    path: &KeyPath,
    provider_names: &[String],
) -> Option<Workload> {
    let name = cx.req(
        &raw.name,
        &path.key("name"),
        "a unique workload name, e.g. name = \"coding-agent\"",
    );
    let name = name.filter(|n| {
        cx.ensure(!n.is_empty(), &path.key("name"), || {
            "must not be empty".to_string()
        })
    });
    let provider_path = path.key("provider");
    let provider = cx.req(
        &raw.provider,
        &provider_path,
        "the name of the provider serving this workload",
    );
    let provider = provider.and_then(|p| {
        let index = provider_names.iter().position(|n| *n == p);
        if index.is_none() {
            let defined = if provider_names.is_empty() {
                "(none)".to_string()
            } else {
                provider_names.join(", ")
            };
            cx.issues.value(
                &provider_path,
                format!("unknown provider `{p}`; defined providers: {defined}"),
            );
        }
        index
    });
    let arrivals = match &raw.arrivals {
        Some(a) => arrivals(cx, a, &path.key("arrivals")),
        None => {
            cx.missing(
                &path.key("arrivals"),
                "a [workloads.arrivals] table with rate_per_s and horizon or sessions",
            );
            None
        }
    };
    let shared_prefix_tokens = cx.opt(
        &raw.shared_prefix_tokens,
        &path.key("shared_prefix_tokens"),
        0,
    );
    let task_tokens = cx.token_dist(&raw.task_tokens, &path.key("task_tokens"), Some(0.0));
    let steps = cx.token_dist(&raw.steps, &path.key("steps"), None);
    let output_tokens = cx.token_dist(&raw.output_tokens, &path.key("output_tokens"), None);
    let tool_result_tokens = cx.token_dist(
        &raw.tool_result_tokens,
        &path.key("tool_result_tokens"),
        Some(0.0),
    );
    let think_time = cx.time_dist(&raw.think_time, &path.key("think_time"));
    Some(Workload {
        name: name?,
        provider: provider?,
        arrivals: arrivals?,
        shared_prefix_tokens: shared_prefix_tokens?,
        task_tokens: task_tokens?,
        steps: steps?,
        output_tokens: output_tokens?,
        tool_result_tokens: tool_result_tokens?,
        think_time: think_time?,
    })
}

fn arrivals(cx: &mut Ctx<'_>, raw: &RawArrivals, path: &KeyPath) -> Option<Arrivals> {
    let kind = cx.opt(&raw.kind, &path.key("kind"), ArrivalKind::Poisson);
    let rate_path = path.key("rate_per_s");
    let rate = cx.req(
        &raw.rate_per_s,
        &rate_path,
        "mean session arrivals per second, > 0",
    );
    let rate = cx.positive(rate, &raw.rate_per_s, &rate_path);
    let stop = match (&raw.horizon, &raw.sessions) {
        (Some(h), None) => {
            let p = path.key("horizon");
            cx.read(h, &p)
                .filter(|d| {
                    cx.ensure(*d > SimDuration::ZERO, &p, || {
                        format!("must be > 0, got {}", h.value)
                    })
                })
                .map(|d| ArrivalStop::Horizon(SimTime::from_micros(d.as_micros())))
        }
        (None, Some(s)) => {
            let p = path.key("sessions");
            cx.read(s, &p)
                .filter(|n| cx.ensure(*n >= 1, &p, || format!("must be >= 1, got {n}")))
                .map(ArrivalStop::Sessions)
        }
        (Some(_), Some(_)) => {
            cx.issues.value(
                path,
                "set exactly one of `horizon` or `sessions`, not both".to_string(),
            );
            None
        }
        (None, None) => {
            cx.issues.missing(
                path,
                "missing `horizon` or `sessions`; set exactly one (e.g. horizon = \"1h\" or sessions = 1000)".to_string(),
            );
            None
        }
    };
    let ArrivalKind::Poisson = kind?;
    Some(Arrivals::Poisson {
        rate_per_s: rate?,
        stop: stop?,
    })
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
