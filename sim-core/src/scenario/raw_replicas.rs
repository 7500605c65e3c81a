//! The raw serde mirror of `[providers.replicas]`: a provider served by
//! self-hosted continuous-batching replicas (docs/serving.md).

use schemars::JsonSchema;
use serde::Deserialize;

use super::leaf::*;

/// `[providers.replicas]`: self-hosted replicas, each a continuous-batching engine with paged KV memory (vLLM-like).
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub(crate) struct RawReplicas {
    /// Number of replicas, integer >= 1.
    #[schemars(required, range(min = 1))]
    pub(crate) count: Option<Raw<u32>>,
    /// Sequences in one replica's running batch at most (vLLM max_num_seqs). Default 256.
    #[schemars(range(min = 1))]
    pub(crate) max_num_seqs: Option<Raw<u32>>,
    /// Tokens computed per iteration at most, chunked prefill included (vLLM max_num_batched_tokens), >= max_num_seqs. Default 8192.
    #[schemars(range(min = 1))]
    pub(crate) max_num_batched_tokens: Option<Raw<u64>>,
    /// Tokens per KV block (vLLM block_size). Default 16.
    #[schemars(range(min = 1))]
    pub(crate) block_tokens: Option<Raw<u64>>,
    /// KV blocks per replica (what vLLM logs as "# GPU blocks"); or give gpu_memory_gib (with weights and KV sizes).
    #[schemars(range(min = 1))]
    pub(crate) kv_blocks: Option<Raw<u64>>,
    /// Accelerator memory of one replica, GiB: KV blocks = (memory x gpu_memory_utilization - weights) / (kv_bytes_per_token x block_tokens).
    pub(crate) gpu_memory_gib: Option<Raw<f64>>,
    /// Fraction of memory the engine may use (vLLM gpu_memory_utilization). Default 0.9.
    pub(crate) gpu_memory_utilization: Option<Raw<f64>>,
    /// Model weights, GiB (with gpu_memory_gib; default: the roofline's params x bytes_per_param).
    pub(crate) weights_gib: Option<Raw<f64>>,
    /// KV cache bytes per token: 2 x layers x KV heads x head dim x bytes per value (with gpu_memory_gib, or the roofline's).
    pub(crate) kv_bytes_per_token: Option<Raw<f64>>,
    /// Automatic prefix caching in KV memory (vLLM APC). Default true.
    pub(crate) prefix_caching: Option<Raw<bool>>,
    /// Fitted iteration time: b0 + b1 x prefill tokens + b2 x decoding sequences + b3 x context tokens, microseconds.
    pub(crate) step: Option<RawStep>,
    /// Iteration time derived from model size and hardware (when no fitted `step` is known).
    pub(crate) roofline: Option<RawRoofline>,
    /// From arrival to joining a replica's queue (API server, tokenisation). Default "0s".
    pub(crate) overhead_before_queue: Option<Raw<DurationText>>,
    /// Added once after the last token. Default "0s".
    pub(crate) overhead_at_completion: Option<Raw<DurationText>>,
    /// Added per output token to the completion (detokenise, stream). Default "0s".
    pub(crate) overhead_per_output_token: Option<Raw<DurationText>>,
    /// An idle replica holds admission this long for a fuller batch. Default "0s" (off).
    pub(crate) batch_window: Option<Raw<DurationText>>,
    /// "round_robin", "least_outstanding", "least_kv" or "prefix_affinity". Default "least_outstanding".
    pub(crate) balancer: Option<Raw<BalancerText>>,
    /// prefix_affinity: leading prompt tokens that pick a request's home replica. Default 256.
    #[schemars(range(min = 1))]
    pub(crate) affinity_tokens: Option<Raw<u64>>,
    /// prefix_affinity: home requests per minute per prefix above which requests spill to another replica. Default: never.
    #[schemars(range(min = 1))]
    pub(crate) affinity_overflow_per_min: Option<Raw<u64>>,
    /// Price of one replica per hour, USD: a number, or [low, high] for a price drawn uniformly once per replicate. Default 0.
    pub(crate) usd_per_replica_hour: Option<Raw<PriceRange>>,
}

/// `[providers.replicas.step]`: fitted coefficients (e.g. BLIS / inference-sim), microseconds.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub(crate) struct RawStep {
    /// Per iteration.
    #[schemars(required)]
    pub(crate) b0_us: Option<Raw<f64>>,
    /// Per prefill token in the iteration.
    #[schemars(required)]
    pub(crate) b1_us_per_prefill_token: Option<Raw<f64>>,
    /// Per decoding sequence in the iteration.
    #[schemars(required)]
    pub(crate) b2_us_per_decode_seq: Option<Raw<f64>>,
    /// Per KV token held by the running sequences. Default 0.
    pub(crate) b3_us_per_context_token: Option<Raw<f64>>,
}

/// `[providers.replicas.roofline]`: model size and hardware peaks the step coefficients derive from.
#[derive(Debug, Default, Deserialize, JsonSchema)]
#[schemars(deny_unknown_fields)]
pub(crate) struct RawRoofline {
    /// Model parameters, e.g. 8.03e9.
    #[schemars(required)]
    pub(crate) params: Option<Raw<f64>>,
    /// Transformer layers.
    #[schemars(required, range(min = 1))]
    pub(crate) layers: Option<Raw<u32>>,
    /// Bytes per weight: 2 for BF16, 1 for FP8. Default 2.
    pub(crate) bytes_per_param: Option<Raw<f64>>,
    /// KV cache bytes per token.
    #[schemars(required)]
    pub(crate) kv_bytes_per_token: Option<Raw<f64>>,
    /// Peak dense FLOP/s of one replica (all its GPUs), e.g. 989.5e12 for one H100 SXM in BF16.
    #[schemars(required)]
    pub(crate) peak_flops: Option<Raw<f64>>,
    /// Memory bandwidth of one replica, bytes/s, e.g. 3.35e12 for one H100 SXM.
    #[schemars(required)]
    pub(crate) mem_bytes_per_s: Option<Raw<f64>>,
    /// Fraction of peak FLOP/s prefill reaches, in (0, 1]. Default 0.45.
    pub(crate) eff_prefill: Option<Raw<f64>>,
    /// Fraction of peak decode reaches, in (0, 1]. Default 0.30.
    pub(crate) eff_decode: Option<Raw<f64>>,
    /// Kernel launch and synchronisation per layer per iteration, microseconds. Default 0.
    pub(crate) per_layer_overhead_us: Option<Raw<f64>>,
}
