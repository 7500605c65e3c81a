//! Every metric declared once: name, unit, description, the scopes that
//! define it, where the end-of-run table shows it, and how its per-replicate
//! value comes from a [`ScopeMetrics`]. Names, values, the table and the docs
//! test all read this list, so they cannot disagree.

use super::scope::ScopeMetrics;

/// Stands for the tier name in a per-tier metric's name (and in the docs).
pub const TIER_PLACEHOLDER: &str = "<tier>";

/// Which scopes define a metric.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ScopeSet {
    /// The whole run, every provider and every workload.
    All,
    /// Only scopes that own servers and caches; undefined in a workload scope.
    ProvidersAndOverall,
}

/// The parts of the end-of-run table a metric may appear in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum TableGroup {
    /// Always shown.
    Main,
    /// Shown when some provider is a fleet of self-hosted replicas.
    Replicas,
    /// Shown when admission did something (a 429, a retry, a timeout...).
    Admission,
    /// The side-by-side table of providers, when there are several.
    Comparison,
}

/// How a metric's per-replicate value is computed; `None` where undefined.
#[derive(Clone, Copy, Debug)]
pub enum Value {
    Scalar(fn(&ScopeMetrics) -> Option<f64>),
    /// One metric per scenario cache tier, given the tier's index.
    PerTier(fn(&ScopeMetrics, usize) -> Option<f64>),
}

/// One metric (or one per-tier family).
#[derive(Clone, Copy, Debug)]
pub struct MetricDef {
    /// As written in the outputs; a per-tier family holds [`TIER_PLACEHOLDER`].
    pub name: &'static str,
    pub unit: &'static str,
    pub description: &'static str,
    pub scopes: ScopeSet,
    /// Table groups showing it, with its row in each (rows are ordered for
    /// reading, not in output order).
    pub table: &'static [(TableGroup, u8)],
    pub value: Value,
    /// Larger values are better (hit rates, speeds, attainment): the
    /// default direction of a ranking by it. Costs, latencies and counts rank lower-first.
    pub higher_is_better: bool,
}

impl MetricDef {
    const fn shown(self, table: &'static [(TableGroup, u8)]) -> Self {
        MetricDef { table, ..self }
    }

    const fn providers_and_overall(self) -> Self {
        MetricDef { scopes: ScopeSet::ProvidersAndOverall, ..self }
    }

    const fn higher_better(self) -> Self {
        MetricDef { higher_is_better: true, ..self }
    }
}

const fn metric(
    name: &'static str,
    unit: &'static str,
    description: &'static str,
    value: fn(&ScopeMetrics) -> Option<f64>,
) -> MetricDef {
    MetricDef {
        name,
        unit,
        description,
        scopes: ScopeSet::All,
        table: &[],
        value: Value::Scalar(value),
        higher_is_better: false,
    }
}

fn ratio(num: f64, den: f64) -> Option<f64> {
    if den > 0.0 { Some(num / den) } else { None }
}

/// A time-weighted mean: an area over the observed span.
fn per_span(m: &ScopeMetrics, area: f64) -> Option<f64> {
    ratio(area, m.span_s)
}

fn count(x: u64) -> Option<f64> {
    Some(x as f64)
}

use TableGroup::{Admission, Comparison, Main, Replicas};

/// The month of `cost_usd_per_month_projected`: 30 days.
const HOURS_PER_MONTH: f64 = 720.0;

/// Every metric in output order. Renaming one requires a `schema_version`
/// bump; a new one goes before the per-tier family only if it is also
/// appended to docs/outputs.md in the same place.
pub static METRICS: &[MetricDef] = &[
    metric("sessions_started", "sessions", "sessions arrived after the warm-up", |m| count(m.sessions_started)),
    metric("sessions_completed", "sessions", "counted sessions whose last step finished", |m| {
        count(m.sessions_completed)
    }),
    metric("requests", "requests", "answered requests, keep-alive pings and abandoned attempts", |m| count(m.requests))
        .shown(&[(Main, 0)]),
    metric("tokens_input", "tokens", "input tokens of requests", |m| count(m.tokens.input)),
    metric("tokens_uncached", "tokens", "input tokens billed at the plain input price", |m| count(m.tokens.uncached)),
    metric("tokens_cache_read", "tokens", "input tokens read from the prompt cache", |m| count(m.tokens.cache_read)),
    metric("tokens_cache_write", "tokens", "input tokens written to the prompt cache", |m| count(m.tokens.cache_write)),
    metric("tokens_output", "tokens", "output tokens of requests, reasoning included", |m| count(m.tokens.output)),
    metric("cache_hit_rate", "fraction", "share of input tokens read from the cache", |m| {
        ratio(m.tokens.cache_read as f64, m.tokens.input as f64)
    })
    .shown(&[(Main, 6), (Comparison, 2)])
    .higher_better(),
    metric("cost_usd", "USD", "total billed cost, the sum of the cost classes", |m| Some(m.cost.total()))
        .shown(&[(Main, 1), (Comparison, 1)]),
    metric("cost_usd_per_session", "USD/session", "total cost per counted session", |m| {
        ratio(m.cost.total(), m.sessions_started as f64)
    })
    .shown(&[(Main, 4), (Comparison, 0)]),
    metric(
        "cost_usd_per_hour",
        "USD/hour",
        "total cost over the counted simulated time (warm-up end to the replicate's end), per hour",
        |m| ratio(m.cost.total() * 3600.0, m.span_s),
    )
    .shown(&[(Main, 12)]),
    metric(
        "cost_usd_per_month_projected",
        "USD/month",
        "cost_usd_per_hour x 720 (a 30-day month at the simulated load)",
        |m| ratio(m.cost.total() * 3600.0 * HOURS_PER_MONTH, m.span_s),
    ),
    metric("blended_usd_per_mtok", "USD per million tokens", "total cost per million input and output tokens", |m| {
        ratio(m.cost.total() * 1e6, m.tokens.input as f64 + m.tokens.output as f64)
    })
    .shown(&[(Main, 5), (Comparison, 3)]),
    metric("ttft_s_mean", "s", "mean time to first token of answered requests", |m| {
        ratio(m.ttft_sum_us as f64 / 1e6, m.ttft.count() as f64)
    }),
    metric("ttft_s_p50", "s", "median time to first token", |m| m.ttft.quantile_s(0.50))
        .shown(&[(Main, 7), (Comparison, 4)]),
    metric("ttft_s_p95", "s", "95th percentile of time to first token", |m| m.ttft.quantile_s(0.95))
        .shown(&[(Main, 8), (Comparison, 5)]),
    metric("ttft_s_p99", "s", "99th percentile of time to first token", |m| m.ttft.quantile_s(0.99)),
    metric("e2e_s_p50", "s", "median end-to-end latency", |m| m.e2e.quantile_s(0.50)),
    metric("e2e_s_p95", "s", "95th percentile of end-to-end latency", |m| m.e2e.quantile_s(0.95)).shown(&[(Main, 9)]),
    metric("e2e_s_p99", "s", "99th percentile of end-to-end latency", |m| m.e2e.quantile_s(0.99)),
    metric("queue_wait_s_mean", "s", "mean wait of the answering attempt before service", |m| {
        ratio(m.queue_wait_sum_us as f64 / 1e6, m.ttft.count() as f64)
    }),
    metric("session_duration_s_p50", "s", "median duration of completed sessions", |m| {
        m.session_duration.quantile_s(0.50)
    }),
    metric("session_duration_s_p95", "s", "95th percentile of completed sessions' duration", |m| {
        m.session_duration.quantile_s(0.95)
    })
    .shown(&[(Main, 10)]),
    metric("cost_usd_per_session_p50", "USD/session", "median cost of completed sessions", |m| {
        m.session_cost.quantile_usd(0.50)
    }),
    metric("cost_usd_per_session_p95", "USD/session", "95th percentile of completed sessions' cost", |m| {
        m.session_cost.quantile_usd(0.95)
    }),
    metric("cost_usd_per_session_p99", "USD/session", "99th percentile of completed sessions' cost", |m| {
        m.session_cost.quantile_usd(0.99)
    }),
    metric("errors", "attempts", "attempts failed with a server error or unavailable", |m| count(m.errors))
        .shown(&[(Main, 11)]),
    metric("retries", "attempts", "failed attempts followed by another attempt", |m| count(m.retries))
        .shown(&[(Admission, 1)]),
    metric("rate_limited", "attempts", "attempts refused with a 429", |m| count(m.rate_limited))
        .shown(&[(Admission, 0)]),
    metric("cost_usd_uncached", "USD", "cost of uncached input", |m| Some(m.cost.uncached.usd())),
    metric("cost_usd_cache_read", "USD", "cost of cache reads", |m| Some(m.cost.cache_read.usd())).shown(&[(Main, 3)]),
    metric("cost_usd_cache_write", "USD", "cost of cache writes", |m| Some(m.cost.cache_write.usd()))
        .shown(&[(Main, 2)]),
    metric("cost_usd_output", "USD", "cost of output", |m| Some(m.cost.output.usd())),
    metric("cost_usd_storage", "USD", "cost of cache storage", |m| Some(m.cost.storage.usd())),
    metric("tokens_reasoning", "tokens", "reasoning tokens, part of the output", |m| count(m.tokens.reasoning)),
    metric("keep_alive_requests", "requests", "keep-alive pings sent", |m| count(m.keep_alive_requests)),
    metric("cache_busts", "events", "cache-busting events: a session's prompt segment changed", |m| {
        count(m.cache_busts)
    }),
    metric("e2e_s_mean", "s", "mean end-to-end latency of answered requests", |m| {
        ratio(m.e2e_sum_us as f64 / 1e6, m.e2e.count() as f64)
    }),
    metric("tpot_s_p50", "s", "median time per output token after the first", |m| m.tpot.quantile_s(0.50))
        .shown(&[(Replicas, 1)]),
    metric("tpot_s_p95", "s", "95th percentile of time per output token", |m| m.tpot.quantile_s(0.95)),
    metric("tpot_s_p99", "s", "99th percentile of time per output token", |m| m.tpot.quantile_s(0.99)),
    metric("output_tokens_per_s_mean", "tokens/s", "mean per-request output speed once streaming", |m| {
        ratio(m.decode_speed_sum, m.tpot.count() as f64)
    })
    .higher_better(),
    metric("throughput_output_tokens_per_s", "tokens/s", "output tokens per second of observed span", |m| {
        per_span(m, m.tokens.output as f64)
    })
    .shown(&[(Replicas, 2)])
    .higher_better(),
    metric("utilization", "fraction", "share of serving capacity busy over the observed span", |m| {
        m.serving.and_then(|g| ratio(g.busy.level_s, g.capacity_s))
    })
    .providers_and_overall()
    .shown(&[(Replicas, 3)]),
    metric("queue_len_mean", "requests", "time-average number of requests waiting for service", |m| {
        m.serving.and_then(|g| per_span(m, g.queue.level_s))
    })
    .providers_and_overall(),
    metric("queue_len_max", "requests", "most requests waiting for service at once", |m| {
        m.serving.map(|g| g.queue.peak as f64)
    })
    .providers_and_overall(),
    metric("concurrency_mean", "requests", "time-average number of steps issued and not finished", |m| {
        per_span(m, m.concurrency.level_s)
    }),
    metric("sessions_active_mean", "sessions", "time-average number of sessions arrived and not finished", |m| {
        per_span(m, m.sessions_active.level_s)
    }),
    metric("error_rate", "fraction", "errors among answers, errors and timeouts", |m| {
        ratio(m.errors as f64, (m.ttft.count() + m.errors + m.timeouts) as f64)
    })
    .shown(&[(Admission, 3)]),
    metric("timeouts", "attempts", "attempts abandoned at the client timeout", |m| count(m.timeouts))
        .shown(&[(Admission, 2)]),
    metric("preemptions", "preemptions", "recompute preemptions of self-hosted replicas", |m| {
        m.serving.map(|g| g.preemptions as f64)
    })
    .providers_and_overall()
    .shown(&[(Replicas, 4)]),
    metric("kv_util_peak", "fraction", "largest share of the fleet's KV blocks in use", |m| {
        m.serving.and_then(|g| g.kv_util_peak)
    })
    .providers_and_overall()
    .shown(&[(Replicas, 5)]),
    metric("slo_attainment", "fraction", "share of judged steps that met their objectives", |m| {
        ratio(m.slo_met as f64, m.slo_judged as f64)
    })
    .shown(&[(Admission, 4)])
    .higher_better(),
    metric("cost_usd_compute", "USD", "hourly price of self-hosted replicas over the observed span", |m| {
        Some(m.cost.compute.usd())
    })
    .shown(&[(Replicas, 0)]),
    metric("subagents_spawned", "sessions", "child sessions started by subagent steps", |m| count(m.subagents_spawned)),
    metric("compactions", "compactions", "histories replaced by a summary", |m| count(m.compactions)),
    MetricDef {
        name: "tokens_cache_write_<tier>",
        unit: "tokens",
        description: "cache writes of one tier, one metric per scenario tier",
        scopes: ScopeSet::All,
        table: &[],
        value: Value::PerTier(|m, tier| count(m.tokens.cache_write_by_tier[tier])),
        higher_is_better: false,
    },
    metric("cache_hit_rate_requests", "fraction", "share of requests that read a cached token", |m| {
        ratio(m.requests_with_cache_read as f64, m.requests as f64)
    })
    .higher_better(),
    metric("cache_entries_peak", "entries", "most cache entries held at once", |m| {
        m.cache_entries_peak.map(|x| x as f64)
    })
    .providers_and_overall(),
    metric("cache_tokens_peak", "tokens", "most cache tokens held at once", |m| m.cache_tokens_peak.map(|x| x as f64))
        .providers_and_overall(),
    // Appended after the tier and cache metrics so every earlier column keeps its place.
    metric(
        "failovers",
        "requests",
        "steps a fallback chain moved to its next provider (counted under the provider left)",
        |m| count(m.failovers),
    ),
    metric(
        "route_switches",
        "requests",
        "attempts sent to another provider than the session's previous attempt (counted under the new one)",
        |m| count(m.route_switches),
    ),
];

/// Every metric of a scenario whose caches use `tier_names`, in order.
pub fn metric_names(tier_names: &[String]) -> Vec<String> {
    let mut names = Vec::with_capacity(METRICS.len() + tier_names.len());
    for def in METRICS {
        match def.value {
            Value::Scalar(_) => names.push(def.name.to_string()),
            Value::PerTier(_) => names.extend(tier_names.iter().map(|t| def.name.replace(TIER_PLACEHOLDER, t))),
        }
    }
    names
}

/// The metrics of one table group, in the group's row order.
pub fn table_metrics(group: TableGroup) -> Vec<&'static str> {
    let mut rows: Vec<(u8, &'static str)> = METRICS
        .iter()
        .flat_map(|def| def.table.iter().filter(|(g, _)| *g == group).map(|(_, row)| (*row, def.name)))
        .collect();
    rows.sort_unstable();
    rows.into_iter().map(|(_, name)| name).collect()
}

impl ScopeMetrics {
    /// The value of every metric in [`metric_names`] order for `n_tiers`
    /// scenario tiers; `None` where the metric is undefined in this replicate
    /// (a ratio or latency of no requests, a cache peak of a scope without caches).
    pub fn values(&self, n_tiers: usize) -> Vec<Option<f64>> {
        let mut v = Vec::with_capacity(METRICS.len() + n_tiers);
        for def in METRICS {
            match def.value {
                Value::Scalar(f) => v.push(f(self)),
                Value::PerTier(f) => v.extend((0..n_tiers).map(|t| f(self, t))),
            }
        }
        v
    }
}

#[cfg(test)]
#[path = "registry_tests.rs"]
mod tests;

/// Whether larger values of the metric `name` are better (see
/// [`MetricDef::higher_is_better`]); false for unknown names.
pub fn higher_is_better(name: &str) -> bool {
    METRICS.iter().any(|m| m.name == name && m.higher_is_better)
}
