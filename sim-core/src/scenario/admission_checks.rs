//! Admission settings that are each valid but cannot work together: an
//! outage that hangs requests a workload never times out, or a rate limit
//! smaller than what one request needs (it would wait forever). Checked on
//! the validated scenario; each message names both numbers.

use super::context::Issues;
use super::location::KeyPath;
use super::model::{Arrivals, Scenario};

pub(crate) fn check(sc: &Scenario, issues: &mut Issues) {
    let workloads = KeyPath::root().key("workloads");
    for (i, w) in sc.workloads.iter().enumerate() {
        let path = workloads.index(i);
        let p = &sc.providers[w.provider];
        let provider_path = KeyPath::root().key("providers").index(w.provider);
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
        if let (false, Some(itpm)) = (matches!(w.arrivals, Arrivals::Trace(_)), rl.input_tokens_per_min)
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
