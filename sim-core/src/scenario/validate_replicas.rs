//! Validation of `[providers.replicas]`: self-hosted continuous-batching
//! replicas (docs/serving.md, "replicas").

use super::context::*;
use super::leaf::{BalancerText, Raw};
use super::location::KeyPath;
use super::raw_replicas::*;
use super::serving_config::*;
use crate::dist::Dist;
use crate::time::SimDuration;

const GIB: f64 = 1024.0 * 1024.0 * 1024.0;
/// Each replica is simulated with its own state: the fleet's memory follows the count.
const MAX_REPLICAS: u32 = 10_000;
/// Far above any accelerator's list price (an 8-GPU node rents for tens of dollars an hour).
const MAX_REPLICA_HOUR_USD: f64 = 1e4;

pub(super) fn replicas(cx: &mut Ctx<'_>, raw: &RawReplicas, path: &KeyPath) -> Option<ReplicasServing> {
    let count = cx.req(&raw.count, &path.key("count"), "the number of replicas, e.g. count = 8");
    let count = count.filter(|n| {
        cx.ensure(*n >= 1, &path.key("count"), || format!("must be >= 1, got {n}"))
            && cx.ensure(*n <= MAX_REPLICAS, &path.key("count"), || {
                format!("must be <= {MAX_REPLICAS} replicas, got {n}")
            })
    });
    let seqs = cx.opt(&raw.max_num_seqs, &path.key("max_num_seqs"), 256);
    let seqs = seqs.filter(|n| cx.ensure(*n >= 1, &path.key("max_num_seqs"), || format!("must be >= 1, got {n}")));
    let budget = cx.at_least(&raw.max_num_batched_tokens, &path.key("max_num_batched_tokens"), 8192, 1);
    let block = cx.at_least(&raw.block_tokens, &path.key("block_tokens"), 16, 1);
    let prefix_caching = cx.opt(&raw.prefix_caching, &path.key("prefix_caching"), true);
    let step = step_model(cx, raw, path);
    let kv = kv_memory(cx, raw, path, step.as_ref());
    let before = cx.opt(&raw.overhead_before_queue, &path.key("overhead_before_queue"), SimDuration::ZERO);
    let at_completion = cx.opt(&raw.overhead_at_completion, &path.key("overhead_at_completion"), SimDuration::ZERO);
    let per_token = cx.opt(&raw.overhead_per_output_token, &path.key("overhead_per_output_token"), SimDuration::ZERO);
    let window = cx.opt(&raw.batch_window, &path.key("batch_window"), SimDuration::ZERO);
    let balancer = balancer(cx, raw, path);
    let price_path = path.key("usd_per_replica_hour");
    let price = cx.opt(&raw.usd_per_replica_hour, &price_path, (0.0, 0.0)).filter(|&(_, high)| {
        cx.ensure(high <= MAX_REPLICA_HOUR_USD, &price_path, || {
            format!("must be <= {MAX_REPLICA_HOUR_USD} USD per replica-hour, got {}", shown(&raw.usd_per_replica_hour))
        })
    });
    let (seqs, budget, block) = (seqs?, budget?, block?);
    if !cx.ensure(budget >= u64::from(seqs), &path.key("max_num_batched_tokens"), || {
        format!("must be at least max_num_seqs ({seqs}), so every running decoder fits one iteration; got {budget}")
    }) {
        return None;
    }
    let kv = kv?;
    let blocks = kv.blocks_f64(block);
    if !cx.ensure(blocks >= 1.0, path, || match kv {
        KvMemory::Gpu { gpu_bytes, utilization, weight_bytes, .. } => format!(
            "leaves no KV memory: {:.2} GiB x {utilization} usable but the weights take {:.2} GiB ({blocks:.1} blocks of {block} tokens)",
            gpu_bytes / GIB,
            weight_bytes / GIB
        ),
        KvMemory::Blocks(_) => format!("has no KV block ({blocks})"),
    }) {
        return None;
    }
    let (low, high) = price?;
    Some(ReplicasServing {
        replicas: count?,
        max_num_seqs: seqs,
        max_num_batched_tokens: budget,
        block_tokens: block,
        kv_memory: kv,
        prefix_caching: prefix_caching?,
        step: step?,
        overheads: Overheads { before_queue: before?, at_completion: at_completion?, per_output_token: per_token? },
        batch_window: window?,
        balancer: balancer?,
        usd_per_replica_hour: if low == high { Dist::Fixed(low) } else { Dist::Uniform { low, high } },
    })
}

/// A coefficient that must be finite and >= 0 (microseconds).
fn coefficient(cx: &mut Ctx<'_>, raw: &Option<Raw<f64>>, path: &KeyPath, default: Option<f64>) -> Option<f64> {
    let x = match default {
        Some(d) => cx.opt(raw, path, d),
        None => cx.req(raw, path, "a coefficient in microseconds, >= 0"),
    };
    cx.non_negative(x, raw, path)
}

/// A quantity that must be > 0.
fn positive(cx: &mut Ctx<'_>, raw: &Option<Raw<f64>>, path: &KeyPath, default: Option<f64>, what: &str) -> Option<f64> {
    let x = match default {
        Some(d) => cx.opt(raw, path, d),
        None => cx.req(raw, path, what),
    };
    cx.positive(x, raw, path)
}

/// A fraction in (0, 1].
fn fraction(cx: &mut Ctx<'_>, raw: &Option<Raw<f64>>, path: &KeyPath, default: f64) -> Option<f64> {
    let x = cx.opt(raw, path, default)?;
    cx.ensure(x > 0.0 && x <= 1.0, path, || format!("must be in (0, 1], got {x}")).then_some(x)
}

fn step_model(cx: &mut Ctx<'_>, raw: &RawReplicas, path: &KeyPath) -> Option<StepModel> {
    match (&raw.step, &raw.roofline) {
        (Some(_), Some(_)) => {
            cx.issues.key(
                &path.key("roofline"),
                "give either fitted `step` coefficients or a `roofline`, not both (the fitted ones are the measurement)"
                    .to_string(),
            );
            None
        }
        (None, None) => {
            cx.missing(
                &path.key("step"),
                "how long an iteration takes: [providers.replicas.step] with b0_us, b1_us_per_prefill_token, b2_us_per_decode_seq (fitted), or [providers.replicas.roofline] with params, layers, kv_bytes_per_token, peak_flops, mem_bytes_per_s",
            );
            None
        }
        (Some(s), None) => {
            let p = path.key("step");
            let b0 = coefficient(cx, &s.b0_us, &p.key("b0_us"), None);
            let b1 = coefficient(cx, &s.b1_us_per_prefill_token, &p.key("b1_us_per_prefill_token"), None);
            let b2 = coefficient(cx, &s.b2_us_per_decode_seq, &p.key("b2_us_per_decode_seq"), None);
            let b3 = coefficient(cx, &s.b3_us_per_context_token, &p.key("b3_us_per_context_token"), Some(0.0));
            let c = StepCoefficients {
                b0_us: b0?,
                b1_us_per_prefill_token: b1?,
                b2_us_per_decode_seq: b2?,
                b3_us_per_context_token: b3?,
            };
            cx.ensure(c.b0_us + c.b1_us_per_prefill_token > 0.0, &p, || {
                "b0_us and b1_us_per_prefill_token are both 0: iterations would take no time".to_string()
            })
            .then_some(StepModel::Fitted(c))
        }
        (None, Some(r)) => {
            let p = path.key("roofline");
            let params = positive(cx, &r.params, &p.key("params"), None, "model parameters, e.g. params = 8.03e9");
            let layers = cx.req(&r.layers, &p.key("layers"), "transformer layers, e.g. layers = 32");
            let layers = layers.filter(|n| cx.ensure(*n >= 1, &p.key("layers"), || format!("must be >= 1, got {n}")));
            let bpp = positive(cx, &r.bytes_per_param, &p.key("bytes_per_param"), Some(2.0), "");
            let kv = positive(cx, &r.kv_bytes_per_token, &p.key("kv_bytes_per_token"), None, "KV bytes per token");
            let flops = positive(cx, &r.peak_flops, &p.key("peak_flops"), None, "peak FLOP/s, e.g. 989.5e12");
            let bw = positive(cx, &r.mem_bytes_per_s, &p.key("mem_bytes_per_s"), None, "bytes/s, e.g. 3.35e12");
            let eff_p = fraction(cx, &r.eff_prefill, &p.key("eff_prefill"), 0.45);
            let eff_d = fraction(cx, &r.eff_decode, &p.key("eff_decode"), 0.30);
            let per_layer = coefficient(cx, &r.per_layer_overhead_us, &p.key("per_layer_overhead_us"), Some(0.0));
            Some(StepModel::Roofline(Roofline {
                params: params?,
                layers: layers?,
                bytes_per_param: bpp?,
                kv_bytes_per_token: kv?,
                peak_flops: flops?,
                mem_bytes_per_s: bw?,
                eff_prefill: eff_p?,
                eff_decode: eff_d?,
                per_layer_overhead_us: per_layer?,
            }))
        }
    }
}

fn kv_memory(cx: &mut Ctx<'_>, raw: &RawReplicas, path: &KeyPath, step: Option<&StepModel>) -> Option<KvMemory> {
    let roofline = match step {
        Some(StepModel::Roofline(r)) => Some(r),
        _ => None,
    };
    match (&raw.kv_blocks, &raw.gpu_memory_gib) {
        (Some(_), Some(_)) => {
            cx.issues.key(&path.key("gpu_memory_gib"), "give either kv_blocks or gpu_memory_gib, not both".to_string());
            None
        }
        (Some(_), None) => {
            for (given, key) in [
                (raw.weights_gib.is_some(), "weights_gib"),
                (raw.gpu_memory_utilization.is_some(), "gpu_memory_utilization"),
                (raw.kv_bytes_per_token.is_some(), "kv_bytes_per_token"),
            ] {
                if given {
                    cx.issues
                        .key(&path.key(key), "derives kv_blocks from gpu_memory_gib; kv_blocks is given".to_string());
                }
            }
            cx.at_least(&raw.kv_blocks, &path.key("kv_blocks"), 0, 1).map(KvMemory::Blocks)
        }
        (None, Some(_)) => {
            let gpu = positive(cx, &raw.gpu_memory_gib, &path.key("gpu_memory_gib"), None, "");
            let util = fraction(cx, &raw.gpu_memory_utilization, &path.key("gpu_memory_utilization"), 0.9);
            let weights_default = roofline.map(|r| r.params * r.bytes_per_param / GIB);
            let weights = match (&raw.weights_gib, weights_default) {
                (None, Some(w)) => Some(w),
                _ => positive(cx, &raw.weights_gib, &path.key("weights_gib"), None, "model weights in GiB, e.g. 16"),
            };
            let kv = match (&raw.kv_bytes_per_token, roofline) {
                (None, Some(r)) => Some(r.kv_bytes_per_token),
                _ => positive(cx, &raw.kv_bytes_per_token, &path.key("kv_bytes_per_token"), None, "KV bytes per token"),
            };
            Some(KvMemory::Gpu {
                gpu_bytes: gpu? * GIB,
                utilization: util?,
                weight_bytes: weights? * GIB,
                kv_bytes_per_token: kv?,
            })
        }
        (None, None) => {
            cx.missing(
                &path.key("kv_blocks"),
                "the KV memory of one replica: kv_blocks = 29205 (vLLM's \"# GPU blocks\"), or gpu_memory_gib = 80 with the weights and KV sizes",
            );
            None
        }
    }
}

fn balancer(cx: &mut Ctx<'_>, raw: &RawReplicas, path: &KeyPath) -> Option<Balancer> {
    let kind = cx.opt(&raw.balancer, &path.key("balancer"), BalancerText::LeastOutstanding)?;
    let tokens = cx.at_least(&raw.affinity_tokens, &path.key("affinity_tokens"), 256, 1);
    let overflow = cx.maybe(&raw.affinity_overflow_per_min, &path.key("affinity_overflow_per_min"));
    let overflow = overflow.filter(|o| {
        o.is_none_or(|n| cx.ensure(n >= 1, &path.key("affinity_overflow_per_min"), || format!("must be >= 1, got {n}")))
    });
    if kind != BalancerText::PrefixAffinity {
        let why = "applies to balancer = \"prefix_affinity\" only";
        let ok = cx.unused(&raw.affinity_tokens, &path.key("affinity_tokens"), why)
            & cx.unused(&raw.affinity_overflow_per_min, &path.key("affinity_overflow_per_min"), why);
        if !ok {
            return None;
        }
    }
    Some(match kind {
        BalancerText::RoundRobin => Balancer::RoundRobin,
        BalancerText::LeastOutstanding => Balancer::LeastOutstanding,
        BalancerText::LeastKv => Balancer::LeastKv,
        BalancerText::PrefixAffinity => {
            Balancer::PrefixAffinity { affinity_tokens: tokens?, overflow_per_minute: overflow? }
        }
    })
}
