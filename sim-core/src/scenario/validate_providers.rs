//! Validation of one `[[providers]]` entry: its name and provenance, its
//! sections (serving, cache, pricing) and `[providers.failures]`.

use super::context::*;
use super::location::KeyPath;
use super::model::*;
use super::raw::*;
use super::raw_replicas::RawReplicas;
use super::serving_config::ReplicasServing;
use super::validate_admission::provider_admission;
use super::validate_cache::cache;
use super::validate_pricing::pricing;
use super::validate_replicas::replicas;
use super::validate_serving::serving;
use crate::time::SimDuration;

/// A provider, and its cache on its own (for checking workloads' breakpoints).
pub(super) fn provider(
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
    let family_path = path.key("family");
    let family = cx.maybe(&raw.family, &family_path).filter(|f| f.as_ref().is_none_or(|f| cx.label(f, &family_path)));
    let as_of = cx.maybe(&raw.as_of, &path.key("as_of"));
    let source = cx.maybe(&raw.source, &path.key("source"));

    let serving = serving(cx, raw.serving.as_ref().unwrap_or(&RawServing::default()), &path.key("serving"));
    let replicas = match &raw.replicas {
        None => Some(None),
        Some(r) => self_hosted(cx, raw, r, path).map(Some),
    };
    let cache = cache(cx, raw.cache.as_ref().unwrap_or(&RawCache::default()), &path.key("cache"));
    // Replicas cache prefixes in their own KV memory, not in a TTL cache.
    let cache = cache.map(|mut c| {
        c.enabled &= raw.replicas.is_none();
        c
    });
    // Without its base the provider's tiers are unknown: nothing is checked against them.
    let cache = cache.filter(|_| !base_failed);
    let tiers = cache.as_ref().map(|c| c.tiers.as_slice());
    let pricing = match &raw.pricing {
        Some(p) => pricing(cx, p, &path.key("pricing"), tiers),
        // Self-hosted tokens cost nothing per token: the replicas are paid by the hour.
        None if raw.replicas.is_some() => tiers.map(Pricing::free),
        None => {
            cx.missing(
                &path.key("pricing"),
                "a [providers.pricing] table with input_usd_per_mtok and output_usd_per_mtok, or a `preset`",
            );
            None
        }
    };
    let failures = failures(cx, raw.failures.as_ref().unwrap_or(&RawFailures::default()), &path.key("failures"));
    let admission = provider_admission(cx, raw, path);
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
            family: family?,
            serving: serving?,
            replicas: replicas?,
            cache: cache.clone()?,
            pricing: pricing?,
            failures: failures?,
            admission: admission?,
            provenance: provenance?,
        })
    })();
    (provider, cache)
}

fn failures(cx: &mut Ctx<'_>, raw: &RawFailures, path: &KeyPath) -> Option<Failures> {
    // A rate of 1 would retry forever-failing requests; the range is half-open on purpose.
    let rate = cx.probability(&raw.error_rate, &path.key("error_rate"));
    let max_retries = cx.opt(&raw.max_retries, &path.key("max_retries"), 2);
    let backoff = cx.opt(&raw.retry_backoff, &path.key("retry_backoff"), SimDuration::from_secs(1));
    Some(Failures { error_rate: rate?, max_retries: max_retries?, retry_backoff: backoff? })
}

/// `[providers.replicas]`, which replaces `serving` and the TTL cache.
fn self_hosted(cx: &mut Ctx<'_>, raw: &RawProvider, r: &RawReplicas, path: &KeyPath) -> Option<ReplicasServing> {
    let mut ok = cx.unused(
        &raw.serving,
        &path.key("serving"),
        "a provider is served either by [providers.serving] (an API) or by [providers.replicas] (self-hosted replicas), not both",
    );
    ok &= cx.unused(
        &raw.cache,
        &path.key("cache"),
        "replicas cache prefixes in their own KV memory (vLLM automatic prefix caching, no TTL): set `prefix_caching` in [providers.replicas] instead",
    );
    let replicas = replicas(cx, r, &path.key("replicas"));
    replicas.filter(|_| ok)
}
