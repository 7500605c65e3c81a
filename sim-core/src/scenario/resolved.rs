//! The validated scenario written back in the scenario format
//! (`scenario.resolved.toml`): every preset, LiteLLM entry, `--set` override
//! and default made explicit, so the file loads back to an equal `Scenario`.
//!
//! Exactness is the point, so values are written in forms the parser reads
//! back bit for bit: durations as integer microseconds (`"1500us"`), floats
//! in Rust's shortest round-trip form, lognormals as `mu`/`sigma` (what the
//! model keeps; `median`/`p90` would go through `ln` again), empirical
//! distributions as `cumulative` probabilities (what the model keeps;
//! `weights` would be renormalised). Only a provider's `origin` (the preset
//! or catalog entry its numbers came from) has no key: it is a comment, and
//! the file's own providers load back with origin `scenario`. The file is the
//! baseline: `[[variants]]` and `[[sweep]]` are overrides of the file as the user wrote it
//! (a `cache.ttl` there could clash with the explicit `tiers` here), so they
//! stay in the copied `scenario.toml` and the manifest.

use super::admission_config::{ProviderAdmission, RetryConfig, StepFailure};
use super::anatomy_config::{Anatomy, BustTarget};
use super::arrivals_config::ArrivalProcess;
use super::model::*;
use super::serving_config::{Balancer, KvMemory, ReplicasServing, StepModel};
use crate::catalog::litellm::quote;
use crate::dist::{Dist, Rounding, TokenDist};
use crate::time::{SimDuration, SimTime};
use std::fmt::Write as _;

/// GiB in bytes: `[providers.replicas]` memory sizes are written in GiB.
const GIB: f64 = 1024.0 * 1024.0 * 1024.0;

/// The scenario as TOML that `scenario::load` reads back to an equal value
/// (provenance origins aside, see the module doc).
pub fn to_toml(s: &Scenario) -> String {
    let mut w = Writer::default();
    w.comment("The validated scenario: presets, LiteLLM entries, --set overrides and defaults applied.");
    w.comment("Durations are in microseconds; loading this file gives the same scenario.");
    w.kv("name", quote(&s.name));
    w.kv("description", quote(&s.description));
    simulation(&mut w, &s.simulation);
    for p in &s.providers {
        provider(&mut w, p);
    }
    for wl in &s.workloads {
        workload(&mut w, s, wl);
    }
    w.out
}

#[derive(Default)]
struct Writer {
    out: String,
}

impl Writer {
    fn kv(&mut self, key: &str, value: String) {
        let _ = writeln!(self.out, "{key} = {value}");
    }

    fn header(&mut self, name: &str) {
        let _ = writeln!(self.out, "\n[{name}]");
    }

    fn array_header(&mut self, name: &str) {
        let _ = writeln!(self.out, "\n[[{name}]]");
    }

    fn comment(&mut self, text: &str) {
        let _ = writeln!(self.out, "# {text}");
    }
}

/// The shortest text that parses back to the same `f64` (Rust's `Debug`
/// form, which TOML reads: `0.1`, `100.0`, `1e-7`).
fn float(x: f64) -> String {
    format!("{x:?}")
}

fn micros(us: u64) -> String {
    format!("\"{us}us\"")
}

fn dur(d: SimDuration) -> String {
    micros(d.as_micros())
}

fn time(t: SimTime) -> String {
    micros(t.as_micros())
}

/// A time-distribution parameter held in seconds. The parser made it from a
/// whole number of microseconds `n` as `n / 1e6`, so rounding back finds `n`.
fn seconds(x: f64) -> String {
    micros((x * 1e6).round() as u64)
}

fn time_of_day(s: u32) -> String {
    format!("\"{:02}:{:02}:{:02}\"", s / 3600, s / 60 % 60, s % 60)
}

fn inline<'a>(pairs: impl IntoIterator<Item = (&'a str, String)>) -> String {
    let body: Vec<String> = pairs.into_iter().map(|(k, v)| format!("{k} = {v}")).collect();
    format!("{{ {} }}", body.join(", "))
}

fn list(items: impl IntoIterator<Item = String>) -> String {
    format!("[{}]", items.into_iter().collect::<Vec<_>>().join(", "))
}

/// Which unit a distribution's unit-bearing parameters are written in.
#[derive(Clone, Copy, PartialEq)]
enum Unit {
    /// Plain numbers (token counts, tokens per second).
    Number,
    /// Duration strings (the model holds seconds).
    Seconds,
}

fn param(x: f64, unit: Unit) -> String {
    match unit {
        Unit::Number => float(x),
        Unit::Seconds => seconds(x),
    }
}

/// The `kind` and parameters of a distribution.
fn dist_pairs(d: &Dist, unit: Unit) -> Vec<(&'static str, String)> {
    let kind = |k: &str| quote(k);
    match d {
        Dist::Fixed(v) => vec![("kind", kind("fixed")), ("value", param(*v, unit))],
        Dist::Uniform { low, high } => {
            vec![("kind", kind("uniform")), ("low", param(*low, unit)), ("high", param(*high, unit))]
        }
        Dist::UniformInt { low, high } => {
            vec![("kind", kind("uniform_int")), ("low", low.to_string()), ("high", high.to_string())]
        }
        Dist::Exponential { mean } => vec![("kind", kind("exponential")), ("mean", param(*mean, unit))],
        Dist::Normal { mean, std } => {
            vec![("kind", kind("normal")), ("mean", param(*mean, unit)), ("std", param(*std, unit))]
        }
        Dist::LogNormal { mu, sigma } => {
            vec![("kind", kind("lognormal")), ("mu", float(*mu)), ("sigma", float(*sigma))]
        }
        Dist::Gamma { shape, scale } => {
            vec![("kind", kind("gamma")), ("shape", float(*shape)), ("scale", param(*scale, unit))]
        }
        Dist::Weibull { shape, scale } => {
            vec![("kind", kind("weibull")), ("shape", float(*shape)), ("scale", param(*scale, unit))]
        }
        Dist::Empirical { values, cumulative } => vec![
            ("kind", kind("empirical")),
            ("values", list(values.iter().map(|v| param(*v, unit)))),
            ("cumulative", list(cumulative.iter().map(|c| float(*c)))),
        ],
        Dist::Mixture { weights, components } => {
            let parts = weights.iter().zip(components).map(|(w, d)| {
                let value = match d {
                    Dist::Fixed(v) => param(*v, unit),
                    d => inline(dist_pairs(d, unit)),
                };
                inline([("weight", float(*w)), ("value", value)])
            });
            vec![("kind", kind("mixture")), ("components", list(parts))]
        }
        Dist::Geometric { p, max } => vec![("kind", kind("geometric")), ("p", float(*p)), ("max", max.to_string())],
    }
}

fn time_dist(d: &Dist) -> String {
    match d {
        Dist::Fixed(v) => seconds(*v),
        d => inline(dist_pairs(d, Unit::Seconds)),
    }
}

fn rate_dist(d: &Dist) -> String {
    match d {
        Dist::Fixed(v) => float(*v),
        d => inline(dist_pairs(d, Unit::Number)),
    }
}

fn token_dist(t: &TokenDist) -> String {
    let shaped = t.offset != 0.0 || t.rounding != Rounding::Nearest;
    match &t.dist {
        Dist::Fixed(v) if !shaped => float(*v),
        d => {
            let mut pairs = dist_pairs(d, Unit::Number);
            if shaped {
                let round = match t.rounding {
                    Rounding::Nearest => "nearest",
                    Rounding::Floor => "floor",
                    Rounding::Ceil => "ceil",
                };
                pairs.push(("offset", float(t.offset)));
                pairs.push(("round", quote(round)));
            }
            inline(pairs)
        }
    }
}

fn simulation(w: &mut Writer, s: &SimulationSettings) {
    w.header("simulation");
    w.kv("seed", s.seed.to_string());
    w.kv("replicates", s.replicates.to_string());
    if let Some(end) = s.end {
        w.kv("end", time(end));
    }
    w.kv("start_time_utc", time_of_day(s.start_time_of_day_s));
    w.kv("warmup", dur(s.warmup));
    w.kv("timeseries_interval", dur(s.timeseries_interval));
}

fn provider(w: &mut Writer, p: &Provider) {
    // The origin has no key: a comment right above the table it describes.
    w.out.push('\n');
    if let Some(prov) = &p.provenance {
        w.comment(&format!("origin = {}", quote(&prov.origin)));
    }
    w.out.push_str("[[providers]]\n");
    w.kv("name", quote(&p.name));
    w.kv("model", quote(&p.model));
    if let Some(f) = &p.family {
        w.kv("family", quote(f));
    }
    if let Some(prov) = &p.provenance {
        if !prov.as_of.is_empty() {
            w.kv("as_of", quote(&prov.as_of));
        }
        if !prov.source.is_empty() {
            w.kv("source", quote(&prov.source));
        }
    }
    match &p.replicas {
        // A fleet of replicas replaces both `serving` and the TTL cache.
        Some(r) => replicas(w, r),
        None => {
            serving(w, &p.serving);
            cache(w, &p.cache);
        }
    }
    pricing(w, &p.pricing, &p.cache.tiers);
    w.header("providers.failures");
    w.kv("error_rate", float(p.failures.error_rate));
    w.kv("max_retries", p.failures.max_retries.to_string());
    w.kv("retry_backoff", dur(p.failures.retry_backoff));
    admission(w, &p.admission);
}

fn serving(w: &mut Writer, s: &Serving) {
    w.header("providers.serving");
    w.kv("slots", s.slots.to_string());
    w.kv("base_latency", time_dist(&s.base_latency));
    w.kv("prefill_tokens_per_s", float(s.prefill_tokens_per_s));
    if let Some(r) = s.cached_prefill_tokens_per_s {
        w.kv("cached_prefill_tokens_per_s", float(r));
    }
    w.kv("decode_tokens_per_s", rate_dist(&s.decode_tokens_per_s));
    if let Some(curve) = &s.load_curve {
        w.kv("load_curve", list(curve.points.iter().map(|(load, f)| format!("[{load}, {}]", float(*f)))));
    }
    w.kv("overhead_before_queue", time_dist(&s.overhead_before_queue));
    w.kv("overhead_per_output_token", dur(s.overhead_per_output_token));
}

fn replicas(w: &mut Writer, r: &ReplicasServing) {
    w.header("providers.replicas");
    w.kv("count", r.replicas.to_string());
    w.kv("max_num_seqs", r.max_num_seqs.to_string());
    w.kv("max_num_batched_tokens", r.max_num_batched_tokens.to_string());
    w.kv("block_tokens", r.block_tokens.to_string());
    match &r.kv_memory {
        KvMemory::Blocks(n) => w.kv("kv_blocks", n.to_string()),
        // Dividing by a power of two is exact: GiB * GIB gives the bytes back.
        KvMemory::Gpu { gpu_bytes, utilization, weight_bytes, kv_bytes_per_token } => {
            w.kv("gpu_memory_gib", float(gpu_bytes / GIB));
            w.kv("gpu_memory_utilization", float(*utilization));
            w.kv("weights_gib", float(weight_bytes / GIB));
            w.kv("kv_bytes_per_token", float(*kv_bytes_per_token));
        }
    }
    w.kv("prefix_caching", r.prefix_caching.to_string());
    w.kv("overhead_before_queue", dur(r.overheads.before_queue));
    w.kv("overhead_at_completion", dur(r.overheads.at_completion));
    w.kv("overhead_per_output_token", dur(r.overheads.per_output_token));
    w.kv("batch_window", dur(r.batch_window));
    let balancer = match r.balancer {
        Balancer::RoundRobin => "round_robin",
        Balancer::LeastOutstanding => "least_outstanding",
        Balancer::LeastKv => "least_kv",
        Balancer::PrefixAffinity { .. } => "prefix_affinity",
    };
    w.kv("balancer", quote(balancer));
    if let Balancer::PrefixAffinity { affinity_tokens, overflow_per_minute } = r.balancer {
        w.kv("affinity_tokens", affinity_tokens.to_string());
        if let Some(n) = overflow_per_minute {
            w.kv("affinity_overflow_per_min", n.to_string());
        }
    }
    match &r.usd_per_replica_hour {
        Dist::Uniform { low, high } => w.kv("usd_per_replica_hour", format!("[{}, {}]", float(*low), float(*high))),
        d => w.kv("usd_per_replica_hour", float(d.mean())),
    }
    match &r.step {
        StepModel::Fitted(c) => {
            w.header("providers.replicas.step");
            w.kv("b0_us", float(c.b0_us));
            w.kv("b1_us_per_prefill_token", float(c.b1_us_per_prefill_token));
            w.kv("b2_us_per_decode_seq", float(c.b2_us_per_decode_seq));
            w.kv("b3_us_per_context_token", float(c.b3_us_per_context_token));
        }
        StepModel::Roofline(r) => {
            w.header("providers.replicas.roofline");
            w.kv("params", float(r.params));
            w.kv("layers", r.layers.to_string());
            w.kv("bytes_per_param", float(r.bytes_per_param));
            w.kv("kv_bytes_per_token", float(r.kv_bytes_per_token));
            w.kv("peak_flops", float(r.peak_flops));
            w.kv("mem_bytes_per_s", float(r.mem_bytes_per_s));
            w.kv("eff_prefill", float(r.eff_prefill));
            w.kv("eff_decode", float(r.eff_decode));
            w.kv("per_layer_overhead_us", float(r.per_layer_overhead_us));
        }
    }
}

fn cache(w: &mut Writer, c: &CacheConfig) {
    w.header("providers.cache");
    w.kv("enabled", c.enabled.to_string());
    w.kv("mode", quote(if c.mode == CacheMode::Automatic { "automatic" } else { "explicit" }));
    w.kv("min_tokens", c.min_tokens.to_string());
    w.kv("granularity_tokens", c.granularity_tokens.to_string());
    let tiers = c.tiers.iter().map(|t| inline([("name", quote(&t.name)), ("ttl", dur(t.ttl))]));
    w.kv("tiers", list(tiers));
    w.kv("refresh_on_hit", c.refresh_on_hit.to_string());
    let starts = match c.ttl_starts {
        TtlStart::PrefillEnd => "prefill_end",
        TtlStart::ResponseEnd => "response_end",
    };
    w.kv("ttl_starts", quote(starts));
    if let Some(life) = c.max_lifetime {
        w.kv("max_lifetime", dur(life));
    }
    if let Some(cap) = c.capacity_tokens {
        w.kv("capacity_tokens", cap.to_string());
    }
    let eviction = match c.eviction {
        Eviction::Lru => "lru",
        Eviction::Lfu => "lfu",
        Eviction::None => "none",
    };
    w.kv("eviction", quote(eviction));
    w.kv("scope", quote(if c.scope == CacheScope::Provider { "provider" } else { "api_key" }));
    w.kv("miss_probability", float(c.miss_probability));
    if let CacheMode::Explicit { max_breakpoints, lookback_blocks } = c.mode {
        w.kv("max_breakpoints", max_breakpoints.to_string());
        w.kv("lookback_blocks", lookback_blocks.to_string());
    }
}

/// The keys of one price sheet; `storage` is false in `long_context`, which
/// inherits the storage price (the format has no key for it there).
fn sheet(w: &mut Writer, s: &PriceSheet, tiers: &[CacheTier], storage: bool) {
    w.kv("input_usd_per_mtok", float(s.input_usd_per_mtok));
    w.kv("output_usd_per_mtok", float(s.output_usd_per_mtok));
    w.kv("cache_read_usd_per_mtok", float(s.cache_read_usd_per_mtok));
    let writes = tiers.iter().zip(&s.cache_write_usd_per_mtok).map(|(t, x)| (t.name.as_str(), float(*x)));
    let writes: Vec<String> = writes.map(|(name, x)| format!("{} = {x}", quote(name))).collect();
    w.kv("cache_write_usd_per_mtok", format!("{{ {} }}", writes.join(", ")));
    if storage {
        w.kv("storage_usd_per_mtok_hour", float(s.storage_usd_per_mtok_hour));
    }
}

fn long_context(w: &mut Writer, at: &str, lc: &LongContext, tiers: &[CacheTier]) {
    w.header(at);
    w.kv("threshold_tokens", lc.threshold_tokens.to_string());
    sheet(w, &lc.sheet, tiers, false);
}

fn pricing(w: &mut Writer, p: &Pricing, tiers: &[CacheTier]) {
    w.header("providers.pricing");
    sheet(w, &p.base, tiers, true);
    w.kv("batch_multiplier", float(p.tier_multipliers.batch));
    w.kv("flex_multiplier", float(p.tier_multipliers.flex));
    w.kv("priority_multiplier", float(p.tier_multipliers.priority));
    if !p.windows.is_empty() {
        let windows = p.windows.iter().map(|win| {
            inline([
                ("start", time_of_day(win.start_s)),
                ("end", time_of_day(win.end_s)),
                ("multiplier", float(win.multiplier)),
            ])
        });
        w.kv("windows", list(windows));
    }
    if let Some(lc) = &p.long_context {
        long_context(w, "providers.pricing.long_context", lc, tiers);
    }
    for c in &p.changes {
        w.array_header("providers.pricing.changes");
        w.kv("at", time(c.at));
        sheet(w, &c.base, tiers, true);
        if let Some(lc) = &c.long_context {
            long_context(w, "providers.pricing.changes.long_context", lc, tiers);
        }
    }
}

fn admission(w: &mut Writer, a: &ProviderAdmission) {
    if let Some(rl) = &a.rate_limits {
        w.header("providers.rate_limits");
        let limits = [
            ("requests_per_min", rl.requests_per_min),
            ("input_tokens_per_min", rl.input_tokens_per_min),
            ("output_tokens_per_min", rl.output_tokens_per_min),
        ];
        for (key, n) in limits {
            if let Some(n) = n {
                w.kv(key, n.to_string());
            }
        }
        w.kv("scope", quote(if rl.per_api_key { "api_key" } else { "provider" }));
        w.kv("cache_reads_count", rl.cache_reads_count.to_string());
        w.kv("reserve_output", rl.reserve_output.to_string());
    }
    for o in &a.outages {
        w.array_header("providers.outages");
        w.kv("start", time(o.start));
        w.kv("end", time(o.end));
        w.kv("mode", quote(if o.hang { "hang" } else { "fail_fast" }));
    }
    for d in &a.degraded {
        w.array_header("providers.degraded");
        w.kv("start", time(d.start));
        w.kv("end", time(d.end));
        w.kv("factor", float(d.factor));
    }
    w.header("providers.tiers");
    w.kv("flex_max_utilization", float(a.tiers.flex_max_utilization));
    w.kv("batch_delay", time_dist(&a.tiers.batch_delay));
    w.kv("batch_window", dur(a.tiers.batch_window));
    w.kv("batch_in_rate_limits", a.tiers.batch_in_rate_limits.to_string());
}

fn arrival_stop(w: &mut Writer, stop: &ArrivalStop) {
    match stop {
        ArrivalStop::Horizon(t) => w.kv("horizon", time(*t)),
        ArrivalStop::Sessions(n) => w.kv("sessions", n.to_string()),
    }
}

/// Rates are written per second, as plain numbers.
fn arrival_process(w: &mut Writer, p: &ArrivalProcess) {
    let floats = |xs: &[f64]| list(xs.iter().map(|x| float(*x)));
    let durs = |ds: &[SimDuration]| list(ds.iter().map(|d| dur(*d)));
    match p {
        ArrivalProcess::Piecewise { segments } => {
            w.kv("kind", quote("piecewise"));
            let segs = segments.iter().map(|s| inline([("until", dur(s.until)), ("rate", float(s.rate_per_s))]));
            w.kv("segments", list(segs));
        }
        ArrivalProcess::Daily { rate_per_s, profile } => {
            w.kv("kind", quote("daily"));
            w.kv("rate", float(*rate_per_s));
            w.kv("profile", floats(profile));
        }
        ArrivalProcess::Gamma { rate_per_s, cv } => {
            w.kv("kind", quote("gamma"));
            w.kv("rate", float(*rate_per_s));
            w.kv("cv", float(*cv));
        }
        ArrivalProcess::Mmpp { rates_per_s, sojourn } => {
            w.kv("kind", quote("mmpp"));
            w.kv("rates", floats(rates_per_s));
            w.kv("sojourn", durs(sojourn));
        }
        ArrivalProcess::Closed { agents, gap } => {
            w.kv("kind", quote("closed"));
            w.kv("agents", agents.to_string());
            if let Some(gap) = gap {
                w.kv("gap", time_dist(gap));
            }
        }
        ArrivalProcess::Scheduled { at, every, jobs } => {
            w.kv("kind", quote("scheduled"));
            match every {
                Some(every) => {
                    w.kv("every", dur(*every));
                    w.kv("start", dur(at[0]));
                }
                None => w.kv("at", durs(at)),
            }
            w.kv("jobs", jobs.to_string());
        }
    }
}

/// The workload's own anatomy keys that differ from the defaults (so
/// scenarios without them resolve as before); before any sub-table.
fn anatomy_keys(w: &mut Writer, a: &Anatomy) {
    let default = Anatomy::default();
    if a.tool_calls != default.tool_calls {
        w.kv("tool_calls", token_dist(&a.tool_calls));
    }
    if a.tool_latency != default.tool_latency {
        w.kv("tool_latency", time_dist(&a.tool_latency));
    }
}

/// The anatomy's sub-tables, when given.
fn anatomy_tables(w: &mut Writer, a: &Anatomy) {
    if let Some(h) = &a.human {
        w.header("workloads.human");
        w.kv("every", token_dist(&h.every));
        w.kv("pause", time_dist(&h.pause));
        w.kv("message_tokens", token_dist(&h.message_tokens));
    }
    if let Some(k) = &a.knowledge_base {
        w.header("workloads.knowledge_base");
        w.kv("documents", k.documents.to_string());
        w.kv("tokens", token_dist(&k.tokens));
        w.kv("per_session", token_dist(&k.per_session));
        w.kv("per_step", token_dist(&k.per_step));
        w.kv("zipf_s", float(k.zipf_s));
    }
    for b in &a.cache_busting {
        w.array_header("workloads.cache_busting");
        let segment = match &b.target {
            BustTarget::Segment(name) => name.as_str(),
            BustTarget::Task => "task",
        };
        w.kv("segment", quote(segment));
        w.kv("probability", float(b.probability));
    }
}

fn workload(w: &mut Writer, s: &Scenario, wl: &Workload) {
    let provider = &s.providers[wl.provider];
    let trace = matches!(wl.arrivals, Arrivals::Trace { .. });
    w.array_header("workloads");
    w.kv("name", quote(&wl.name));
    if wl.route.is_none() {
        w.kv("provider", quote(&provider.name));
    }
    // A trace gives each request's prompt and output: these keys are refused there.
    if !trace {
        if !wl.shared_segments.is_empty() {
            let segments =
                wl.shared_segments.iter().map(|g| inline([("name", quote(&g.name)), ("tokens", g.tokens.to_string())]));
            w.kv("shared_segments", list(segments));
        }
        w.kv("task_tokens", token_dist(&wl.task_tokens));
        w.kv("steps", token_dist(&wl.steps));
        w.kv("output_tokens", token_dist(&wl.output_tokens));
        w.kv("reasoning_tokens", token_dist(&wl.reasoning_tokens));
        w.kv("reasoning_in_history", wl.reasoning_in_history.to_string());
        w.kv("tool_result_tokens", token_dist(&wl.tool_result_tokens));
        w.kv("think_time", time_dist(&wl.think_time));
    }
    let tier = match wl.service_tier {
        ServiceTier::Standard => "standard",
        ServiceTier::Batch => "batch",
        ServiceTier::Flex => "flex",
        ServiceTier::Priority => "priority",
    };
    w.kv("service_tier", quote(tier));
    w.kv("api_key", quote(&wl.api_key));
    w.kv("max_tokens", wl.max_tokens.to_string());
    if let Some(key) = &wl.prompt_cache_key {
        w.kv("prompt_cache_key", quote(key));
    }
    let breakpoints = wl.breakpoints.iter().map(|b| {
        let after = match &b.at {
            BreakpointAt::AfterSegment(name) => name.as_str(),
            BreakpointAt::AfterTask => "task",
            BreakpointAt::End => "end",
        };
        inline([("after", quote(after)), ("tier", quote(&provider.cache.tiers[b.tier].name))])
    });
    w.kv("cache_breakpoints", list(breakpoints));
    anatomy_keys(w, &wl.anatomy);
    w.header("workloads.arrivals");
    match &wl.arrivals {
        Arrivals::Poisson { rate_per_s, stop } => {
            w.kv("kind", quote("poisson"));
            w.kv("rate_per_s", float(*rate_per_s));
            arrival_stop(w, stop);
        }
        Arrivals::Process { process, stop } => {
            arrival_process(w, process);
            // A list of instants gives the session count itself.
            if !matches!(process, ArrivalProcess::Scheduled { every: None, .. }) {
                arrival_stop(w, stop);
            }
        }
        Arrivals::Trace { file, read, .. } => {
            w.kv("kind", quote("trace"));
            w.kv("file", quote(file));
            w.kv("format", quote(read.format.name()));
            w.kv("replay", quote(read.replay.name()));
            w.kv("block_tokens", read.options.block_tokens.to_string());
            if !read.format.has_block_ids() {
                w.kv("shared_prefix_tokens", read.options.shared_prefix_tokens.to_string());
            }
        }
    }
    anatomy_tables(w, &wl.anatomy);
    if let Some(k) = &wl.keep_alive {
        w.header("workloads.keep_alive");
        w.kv("interval", dur(k.interval));
        w.kv("output_tokens", k.output_tokens.to_string());
    }
    if let Some(r) = &wl.retry {
        retry(w, r);
    }
    if let Some(r) = &wl.route {
        routing(w, s, r);
    }
    if let Some(sa) = wl.subagents.as_ref().map(|s| &s.keys) {
        w.header("workloads.subagents");
        w.kv("probability", float(sa.probability));
        w.kv("count", token_dist(&sa.count));
        for (key, d) in [("steps", &sa.steps), ("task_tokens", &sa.task_tokens), ("output_tokens", &sa.output_tokens)] {
            if let Some(d) = d {
                w.kv(key, token_dist(d));
            }
        }
        w.kv("instructions_tokens", sa.instructions_tokens.to_string());
    }
    if let Some(c) = &wl.compaction {
        w.header("workloads.compaction");
        w.kv("threshold_tokens", c.threshold_tokens.to_string());
        w.kv("summary_tokens", token_dist(&c.summary_tokens));
    }
    let o = &wl.objectives;
    if o.any() {
        w.header("workloads.objectives");
        for (key, d) in [("ttft", o.ttft), ("tpot", o.tpot), ("e2e", o.e2e)] {
            if let Some(d) = d {
                w.kv(key, dur(d));
            }
        }
    }
}

/// `[workloads.routing]`: every key of the policy, defaults included, so the
/// file states what ran.
fn routing(w: &mut Writer, s: &Scenario, r: &Route) {
    w.header("workloads.routing");
    w.kv("policy", quote(r.policy.name()));
    match &r.family {
        Some(f) => w.kv("family", quote(f)),
        None => w.kv("providers", list(r.providers.iter().map(|&p| quote(&s.providers[p].name)))),
    }
    match r.policy {
        RoutePolicy::Weighted | RoutePolicy::Sticky if r.weights_given => {
            w.kv("weights", list(r.weights.iter().map(|x| float(*x))));
        }
        RoutePolicy::Fallback => {
            w.kv("on", list(r.on.names().into_iter().map(quote)));
            w.kv("cooldown", dur(r.cooldown));
        }
        RoutePolicy::LowestLatency => w.kv("latency_smoothing", float(r.latency_smoothing)),
        _ => {}
    }
}

fn retry(w: &mut Writer, r: &RetryConfig) {
    w.header("workloads.retry");
    w.kv("max_attempts", r.max_attempts.to_string());
    w.kv("backoff_base", dur(r.backoff_base));
    w.kv("backoff_cap", dur(r.backoff_cap));
    w.kv("jitter", quote(if r.full_jitter { "full" } else { "none" }));
    w.kv("on_failure", quote(if r.on_failure == StepFailure::Skip { "skip_step" } else { "abort" }));
    if let Some(t) = r.timeout {
        w.kv("timeout", dur(t));
    }
}

#[cfg(test)]
#[path = "resolved_tests.rs"]
mod tests;
