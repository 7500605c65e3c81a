//! Typed configuration of the `replicas` serving model (plain data): a fleet
//! of continuous-batching replicas behind a load balancer, their step-time
//! model, KV memory, overheads and price. Units are in the field names or
//! docs; the model itself lives in `model::serving::replicas`, and
//! docs/serving.md ("The replicas model") explains every parameter and its source.

use crate::dist::Dist;
use crate::time::SimDuration;

/// The operator's view of a provider: `replicas` identical engines.
#[derive(Clone, Debug, PartialEq)]
pub struct ReplicasServing {
    /// Number of replicas (>= 1).
    pub replicas: u32,
    /// Sequences in the running batch at most (vLLM `max_num_seqs`, default 256).
    pub max_num_seqs: u32,
    /// Tokens computed per iteration at most (vLLM `max_num_batched_tokens`);
    /// must be >= `max_num_seqs` so every running decoder fits in a step.
    pub max_num_batched_tokens: u64,
    /// Tokens per KV block (vLLM `block_size`, default 16).
    pub block_tokens: u64,
    /// KV blocks per replica, given or derived from GPU memory.
    pub kv_memory: KvMemory,
    /// Automatic prefix caching (vLLM APC), default on.
    pub prefix_caching: bool,
    /// How long one iteration takes.
    pub step: StepModel,
    pub overheads: Overheads,
    /// An idle replica holds admission this long after a request arrives,
    /// unless the queue already fills a batch; zero = off (the default).
    pub batch_window: SimDuration,
    pub balancer: Balancer,
    /// Price of one replica for one hour, USD; sampled once per replicate.
    pub usd_per_replica_hour: Dist,
}

impl ReplicasServing {
    /// vLLM's defaults (`max_num_seqs` 256, 8192 batched tokens, 16-token
    /// blocks, prefix caching on) around the given step model and memory.
    pub fn new(replicas: u32, step: StepModel, kv_memory: KvMemory) -> Self {
        ReplicasServing {
            replicas,
            max_num_seqs: 256,
            max_num_batched_tokens: 8192,
            block_tokens: 16,
            kv_memory,
            prefix_caching: true,
            step,
            overheads: Overheads::default(),
            batch_window: SimDuration::ZERO,
            balancer: Balancer::RoundRobin,
            usd_per_replica_hour: Dist::Fixed(0.0),
        }
    }
}

/// KV memory of one replica.
#[derive(Clone, Debug, PartialEq)]
pub enum KvMemory {
    /// A fixed number of blocks (what vLLM logs as "# GPU blocks").
    Blocks(u64),
    /// Derived: floor((gpu_bytes * utilization - weight_bytes) / (kv_bytes_per_token * block_tokens)).
    Gpu {
        /// Accelerator memory of the replica, bytes.
        gpu_bytes: f64,
        /// Fraction the engine may use (vLLM `gpu_memory_utilization`, default 0.9).
        utilization: f64,
        /// Model weights, bytes.
        weight_bytes: f64,
        /// KV cache bytes per token (2 x layers x kv heads x head dim x bytes per value).
        kv_bytes_per_token: f64,
    },
}

/// How long one iteration (a forward pass over the batch) takes.
#[derive(Clone, Debug, PartialEq)]
pub enum StepModel {
    /// Coefficients fitted on measurements (e.g. BLIS / inference-sim).
    Fitted(StepCoefficients),
    /// Coefficients derived from model size and hardware peaks.
    Roofline(Roofline),
}

/// step_us = b0 + b1 x prefill tokens + b2 x decoding sequences + b3 x context tokens held.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct StepCoefficients {
    /// Fixed cost per iteration, microseconds.
    pub b0_us: f64,
    /// Per prefill token scheduled in the iteration, microseconds.
    pub b1_us_per_prefill_token: f64,
    /// Per decoding sequence in the iteration, microseconds.
    pub b2_us_per_decode_seq: f64,
    /// Per KV token held by the running sequences, microseconds.
    pub b3_us_per_context_token: f64,
}

/// Model and hardware numbers the roofline coefficients derive from.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Roofline {
    /// Model parameters (count, e.g. 8.03e9).
    pub params: f64,
    pub layers: u32,
    /// Bytes per weight (2 for BF16, 1 for FP8).
    pub bytes_per_param: f64,
    /// KV cache bytes per token.
    pub kv_bytes_per_token: f64,
    /// Peak dense FLOP/s of the replica (all its GPUs).
    pub peak_flops: f64,
    /// Memory bandwidth of the replica, bytes/s.
    pub mem_bytes_per_s: f64,
    /// Fraction of peak FLOP/s prefill reaches (0 < eff <= 1).
    pub eff_prefill: f64,
    /// Fraction of peak FLOP/s and bandwidth decode reaches (0 < eff <= 1).
    pub eff_decode: f64,
    /// Kernel launch and synchronisation cost per layer per iteration, microseconds.
    pub per_layer_overhead_us: f64,
}

/// Fixed per-request costs outside the engine's iterations.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Overheads {
    /// From arrival to joining a replica's waiting queue (API server,
    /// tokenisation, routing); applied by the caller before `Fleet::arrive`.
    pub before_queue: SimDuration,
    /// Added once to the done instant, after the last token.
    pub at_completion: SimDuration,
    /// Added to the done instant once per output token (detokenise, stream).
    pub per_output_token: SimDuration,
}

/// How the fleet picks a replica for a request; ties go to the lowest index.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Balancer {
    RoundRobin,
    /// Fewest requests assigned and not yet done.
    LeastOutstanding,
    /// Fewest KV blocks in use.
    LeastKv,
    /// A home replica per prefix key (the first `affinity_tokens` tokens and
    /// the request's cache key); above `overflow_per_minute` home requests per
    /// minute for one key, a request spills to the least-outstanding other replica.
    PrefixAffinity {
        affinity_tokens: u64,
        overflow_per_minute: Option<u64>,
    },
}

impl KvMemory {
    /// Blocks of `block_tokens` tokens one replica holds (0 when the weights
    /// leave no room).
    pub fn blocks(&self, block_tokens: u64) -> u64 {
        match *self {
            KvMemory::Blocks(n) => n,
            KvMemory::Gpu { .. } => self.blocks_f64(block_tokens).max(0.0).floor() as u64,
        }
    }

    /// The same before rounding (negative when the weights do not fit).
    pub fn blocks_f64(&self, block_tokens: u64) -> f64 {
        match *self {
            KvMemory::Blocks(n) => n as f64,
            KvMemory::Gpu { gpu_bytes, utilization, weight_bytes, kv_bytes_per_token } => {
                (gpu_bytes * utilization - weight_bytes) / (kv_bytes_per_token * block_tokens as f64)
            }
        }
    }
}

impl StepModel {
    /// The linear coefficients (roofline ones derived, see docs/serving.md).
    pub fn coefficients(&self) -> StepCoefficients {
        match self {
            StepModel::Fitted(c) => *c,
            StepModel::Roofline(r) => r.coefficients(),
        }
    }
}

impl Roofline {
    /// Prefill is compute-bound (2 FLOPs per parameter per token); a decode
    /// iteration reads the weights once and each sequence's KV.
    pub fn coefficients(&self) -> StepCoefficients {
        const US: f64 = 1e6;
        StepCoefficients {
            b0_us: self.params * self.bytes_per_param / (self.mem_bytes_per_s * self.eff_decode) * US
                + f64::from(self.layers) * self.per_layer_overhead_us,
            b1_us_per_prefill_token: 2.0 * self.params / (self.peak_flops * self.eff_prefill) * US,
            b2_us_per_decode_seq: 2.0 * self.params / (self.peak_flops * self.eff_decode) * US,
            b3_us_per_context_token: self.kv_bytes_per_token / (self.mem_bytes_per_s * self.eff_decode) * US,
        }
    }
}
