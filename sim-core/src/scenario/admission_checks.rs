//! Admission settings that are each valid but cannot work together: an
//! outage that hangs requests a workload never times out, a rate limit
//! smaller than what one request needs (it would wait forever), or prompts
//! larger than a replica's KV memory. Checked on the validated scenario; each message names both numbers.

use super::context::Issues;
use super::location::KeyPath;
use super::model::{Arrivals, Provider, Scenario, Workload};
use super::serving_config::KvMemory;

pub(crate) fn check(sc: &Scenario, issues: &mut Issues) {
    let workloads = KeyPath::root().key("workloads");
    // A routed workload may send any request to any candidate: each must work.
    for (i, w, c) in sc.workloads.iter().enumerate().flat_map(|(i, w)| w.candidates().iter().map(move |&c| (i, w, c))) {
        let path = workloads.index(i);
        let p = &sc.providers[c];
        let provider_path = KeyPath::root().key("providers").index(c);
        replicas(w, p, &path, &provider_path, issues);
        let timeout = w.retry.and_then(|r| r.timeout);
        if let Some(j) = p.admission.outages.iter().position(|o| o.hang)
            && timeout.is_none()
        {
            issues.value(
                &path.key("retry").key("timeout"),
                format!(
                    "is needed: provider `{}` has an outage that hangs requests ({}), and only the client's timeout ends them; set e.g. retry = {{ timeout = \"60s\" }}",
                    p.name,
                    provider_path.key("outages").index(j)
                ),
            );
        }
        let Some(rl) = &p.admission.rate_limits else { continue };
        let rl_path = provider_path.key("rate_limits");
        if let (true, Some(otpm)) = (rl.reserve_output, rl.output_tokens_per_min)
            && w.max_tokens > otpm
        {
            issues.value(
                &path.key("max_tokens"),
                format!(
                    "max_tokens {} is more than {}.output_tokens_per_min {otpm}, which reserves max_tokens per request: no request could ever be admitted",
                    w.max_tokens, rl_path
                ),
            );
        }
        // Every prompt starts with the shared segments, and the first one to
        // arrive finds them uncached: they count toward input tokens.
        let shared: u64 = w.shared_segments.iter().map(|s| s.tokens).sum();
        if let (false, Some(itpm)) = (matches!(w.arrivals, Arrivals::Trace { .. }), rl.input_tokens_per_min)
            && shared > itpm
        {
            issues.value(
                &path.key("shared_prefix_tokens"),
                format!(
                    "every prompt carries {shared} shared tokens, more than {}.input_tokens_per_min {itpm}: the first request could never be admitted",
                    rl_path
                ),
            );
        }
    }
}

/// A workload on self-hosted replicas: its smallest request must fit one
/// replica's KV memory.
fn replicas(w: &Workload, p: &Provider, path: &KeyPath, provider_path: &KeyPath, issues: &mut Issues) {
    let Some(r) = &p.replicas else { return };
    let replicas_path = provider_path.key("replicas");
    if matches!(w.arrivals, Arrivals::Trace { .. }) {
        return;
    }
    // The smallest request: the shared segments and one output token, which
    // is sampled and never written to KV (vLLM holds prompt + output - 1).
    let shared: u64 = w.shared_segments.iter().map(|s| s.tokens).sum();
    let needed = shared.max(1).div_ceil(r.block_tokens);
    let blocks = r.kv_memory.blocks(r.block_tokens);
    if needed <= blocks {
        return;
    }
    let memory = match r.kv_memory {
        KvMemory::Blocks(_) => replicas_path.key("kv_blocks").to_string(),
        KvMemory::Gpu { .. } => format!("derived from {}", replicas_path.key("gpu_memory_gib")),
    };
    // `shared_prefix_tokens` is one segment named after the workload.
    let from_shorthand = matches!(w.shared_segments.as_slice(), [s] if s.name == format!("{}/shared", w.name));
    let key = if from_shorthand { "shared_prefix_tokens" } else { "shared_segments" };
    issues.value(
        &path.key(key),
        format!(
            "every prompt carries {shared} shared tokens, which with one output token need {needed} KV blocks of {} tokens; one replica of provider `{}` holds {blocks} ({memory}): no request could ever run",
            r.block_tokens, p.name
        ),
    );
}
