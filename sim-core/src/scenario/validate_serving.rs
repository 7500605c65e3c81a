//! Validation of `[providers.serving]`: slots, base latency and token rates.

use super::context::*;
use super::location::KeyPath;
use super::model::*;
use super::raw::*;

pub(super) fn serving(cx: &mut Ctx<'_>, raw: &RawServing, path: &KeyPath) -> Option<Serving> {
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
