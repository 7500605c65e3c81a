//! The step-time model (how long one iteration takes), the roofline
//! derivation of its coefficients, KV memory sizing, the fit check the
//! validator calls, and the price of a fleet.
//!
//! step_us = b0 + b1 x prefill tokens + b2 x decoding sequences + b3 x
//! context tokens held: the linear form of fitted iteration-level simulators
//! (BLIS / inference-sim fit b0..b2 on vLLM traces; DistServe, OSDI'24, models
//! decode time with a term in the context tokens the attention reads).

use crate::scenario::{KvMemory, ReplicasServing, Roofline, StepCoefficients, StepModel};
use crate::time::SimDuration;

/// Why a `replicas` configuration cannot run.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum ReplicasConfigError {
    #[error("replicas must be at least 1")]
    NoReplicas,
    #[error("max_num_seqs must be at least 1")]
    NoSeqs,
    #[error("max_num_batched_tokens ({tokens}) must be at least max_num_seqs ({seqs}), so every decoder fits a step")]
    BudgetBelowSeqs { tokens: u64, seqs: u32 },
    #[error("block_tokens must be at least 1")]
    NoBlockTokens,
    #[error("the replica has no KV block (memory after weights holds {blocks} blocks)")]
    NoKvBlocks { blocks: f64 },
    #[error("step coefficient `{name}` must be finite and >= 0 (got {value})")]
    BadCoefficient { name: &'static str, value: f64 },
}

/// A request whose KV footprint exceeds one replica's memory: it could never run.
#[derive(Clone, Copy, Debug, PartialEq, Eq, thiserror::Error)]
#[error("the request needs {needed_blocks} KV blocks at its longest, a replica has {kv_blocks}")]
pub struct DoesNotFit {
    pub needed_blocks: u64,
    pub kv_blocks: u64,
}

/// The coefficients of a step model (roofline ones derived).
pub fn coefficients(step: &StepModel) -> StepCoefficients {
    step.coefficients()
}

/// Roofline coefficients, microseconds (Williams et al., CACM 2009: time is
/// the larger of compute and memory traffic; here each term is charged to the
/// resource that bounds it):
/// - b1 = 2 x params / (peak x eff_prefill): a prefill token costs 2 FLOPs
///   per parameter and prefill is compute-bound;
/// - b0 = params x bytes_per_param / (bandwidth x eff_decode) + layers x
///   per-layer overhead: every iteration streams all weights once, plus kernel launches;
/// - b2 = 2 x params / (peak x eff_decode): a decoding sequence's token compute;
/// - b3 = kv_bytes_per_token / (bandwidth x eff_decode): attention reads the
///   KV of every context token once per iteration.
pub fn roofline_coefficients(r: &Roofline) -> StepCoefficients {
    r.coefficients()
}

/// One iteration's duration: the linear model divided by `speed_factor`
/// (below 1 slows the replica), rounded to the microsecond, at least 1 us.
pub fn step_time(
    c: &StepCoefficients,
    speed_factor: f64,
    prefill_tokens: u64,
    decoding_seqs: u64,
    context_tokens: u64,
) -> SimDuration {
    let us = (c.b0_us
        + c.b1_us_per_prefill_token * prefill_tokens as f64
        + c.b2_us_per_decode_seq * decoding_seqs as f64
        + c.b3_us_per_context_token * context_tokens as f64)
        / speed_factor;
    SimDuration::from_micros(SimDuration::from_secs_f64(us / 1e6).as_micros().max(1))
}

/// KV blocks of one replica (the derived form rounds down and is 0 when the
/// weights do not leave room for one block).
pub fn kv_blocks(memory: &KvMemory, block_tokens: u64) -> u64 {
    memory.blocks(block_tokens)
}

fn kv_blocks_f64(memory: &KvMemory, block_tokens: u64) -> f64 {
    memory.blocks_f64(block_tokens)
}

/// Checks what the model needs to run at all.
pub fn validate(cfg: &ReplicasServing) -> Result<(), ReplicasConfigError> {
    if cfg.replicas == 0 {
        return Err(ReplicasConfigError::NoReplicas);
    }
    if cfg.max_num_seqs == 0 {
        return Err(ReplicasConfigError::NoSeqs);
    }
    if cfg.max_num_batched_tokens < u64::from(cfg.max_num_seqs) {
        return Err(ReplicasConfigError::BudgetBelowSeqs {
            tokens: cfg.max_num_batched_tokens,
            seqs: cfg.max_num_seqs,
        });
    }
    if cfg.block_tokens == 0 {
        return Err(ReplicasConfigError::NoBlockTokens);
    }
    if kv_blocks(&cfg.kv_memory, cfg.block_tokens) == 0 {
        return Err(ReplicasConfigError::NoKvBlocks { blocks: kv_blocks_f64(&cfg.kv_memory, cfg.block_tokens) });
    }
    let c = coefficients(&cfg.step);
    for (name, value) in [
        ("b0_us", c.b0_us),
        ("b1_us_per_prefill_token", c.b1_us_per_prefill_token),
        ("b2_us_per_decode_seq", c.b2_us_per_decode_seq),
        ("b3_us_per_context_token", c.b3_us_per_context_token),
    ] {
        if !value.is_finite() || value < 0.0 {
            return Err(ReplicasConfigError::BadCoefficient { name, value });
        }
    }
    Ok(())
}

/// Blocks a request holds at its longest: its prompt and all but its last
/// output token are in KV when the last token is produced (the last one is
/// sampled, never fed back). A recompute after preemption never holds more.
pub fn blocks_needed(prompt_tokens: u64, output_tokens: u64, block_tokens: u64) -> u64 {
    let longest = prompt_tokens.max(1).saturating_add(output_tokens.max(1) - 1);
    longest.div_ceil(block_tokens)
}

/// The check the validator calls: a request that can never fit one replica's KV memory.
pub fn check_fits(cfg: &ReplicasServing, prompt_tokens: u64, output_tokens: u64) -> Result<(), DoesNotFit> {
    let kv_blocks = kv_blocks(&cfg.kv_memory, cfg.block_tokens);
    let needed_blocks = blocks_needed(prompt_tokens, output_tokens, cfg.block_tokens);
    if needed_blocks > kv_blocks { Err(DoesNotFit { needed_blocks, kv_blocks }) } else { Ok(()) }
}

/// Price of `replicas` replicas kept up for `span` at `hourly_usd` each.
pub fn compute_cost_usd(replicas: u32, hourly_usd: f64, span: SimDuration) -> f64 {
    f64::from(replicas) * hourly_usd * span.as_secs_f64() / 3600.0
}

#[cfg(test)]
mod tests {
    use super::super::testkit::coef;
    use super::*;

    /// Llama-3.1-8B (8.03e9 parameters, 32 layers, 8 KV heads of 128 dims:
    /// 2 x 32 x 8 x 128 x 2 bytes = 131,072 KV bytes per token) on one H100
    /// SXM (989.5 TFLOP/s dense BF16, 3.35 TB/s HBM3; NVIDIA H100 datasheet).
    fn llama8b_h100(eff: f64) -> Roofline {
        Roofline {
            params: 8.03e9,
            layers: 32,
            bytes_per_param: 2.0,
            kv_bytes_per_token: 131_072.0,
            peak_flops: 989.5e12,
            mem_bytes_per_s: 3.35e12,
            eff_prefill: eff,
            eff_decode: eff,
            per_layer_overhead_us: 0.0,
        }
    }

    #[test]
    fn fitted_step_is_linear_and_rounded() {
        // BLIS coefficients for Llama-3.1-8B on an H100 under vLLM.
        let c = coef(6472.0, 19.797, 304.40, 0.0);
        // 6472 + 19.797 x 100 + 304.4 x 3 = 6472 + 1979.7 + 913.2 = 9364.9 -> 9365.
        assert_eq!(step_time(&c, 1.0, 100, 3, 5000), SimDuration::from_micros(9365));
        // Half speed doubles it: 18729.8 -> 18730.
        assert_eq!(step_time(&c, 0.5, 100, 3, 5000), SimDuration::from_micros(18730));
        assert_eq!(step_time(&coef(0.0, 0.0, 0.0, 0.0), 1.0, 0, 0, 0), SimDuration::from_micros(1));
    }

    #[test]
    fn roofline_coefficients_by_hand() {
        let c = roofline_coefficients(&Roofline { per_layer_overhead_us: 5.0, ..llama8b_h100(0.5) });
        // Weights 16.06 GB over 3.35e12 x 0.5 B/s = 9.5881 ms, plus 32 x 5 us.
        assert!((c.b0_us - (9588.06 + 160.0)).abs() < 0.1, "{}", c.b0_us);
        // 2 x 8.03e9 / (989.5e12 x 0.5) = 32.461 us per prefill token.
        assert!((c.b1_us_per_prefill_token - 32.461).abs() < 0.001);
        assert!((c.b2_us_per_decode_seq - 32.461).abs() < 0.001);
        // 131072 / 1.675e12 s = 0.078252 us per context token.
        assert!((c.b3_us_per_context_token - 0.078252).abs() < 1e-6);
    }

    #[test]
    fn roofline_decode_of_8b_at_batch_64_is_about_12_ms() {
        // At 60% of peak, 64 sequences with 800-token contexts.
        let c = roofline_coefficients(&llama8b_h100(0.6));
        let step = step_time(&c, 1.0, 0, 64, 64 * 800).as_secs_f64() * 1e3;
        assert!((6.0..24.0).contains(&step), "{step} ms");
    }

    #[test]
    fn kv_blocks_from_gpu_memory_match_vllm_on_h100() {
        // 80 GiB x 0.9 - 16.06 GB of weights over 131,072 x 16 bytes per block:
        // (77.309e9 - 16.06e9) / 2,097,152 = 29,206; vLLM reports 29,205
        // blocks for Llama-3.1-8B on one H100 (BLIS), the gap being activations.
        let mem = KvMemory::Gpu {
            gpu_bytes: 80.0 * 1024.0 * 1024.0 * 1024.0,
            utilization: 0.9,
            weight_bytes: 16.06e9,
            kv_bytes_per_token: 131_072.0,
        };
        let blocks = kv_blocks(&mem, 16);
        assert!((29_150..=29_260).contains(&blocks), "{blocks}");
        let tiny = KvMemory::Gpu { gpu_bytes: 1e9, utilization: 0.9, weight_bytes: 1e9, kv_bytes_per_token: 1.0 };
        assert_eq!(kv_blocks(&tiny, 16), 0);
    }

    #[test]
    fn fit_check_counts_prompt_and_all_but_the_last_output_token() {
        let mut cfg = ReplicasServing::new(1, StepModel::Roofline(llama8b_h100(0.5)), KvMemory::Blocks(10));
        cfg.block_tokens = 16;
        // 150 + 11 - 1 = 160 tokens = 10 blocks: fits exactly.
        assert_eq!(check_fits(&cfg, 150, 11), Ok(()));
        assert_eq!(check_fits(&cfg, 150, 12), Err(DoesNotFit { needed_blocks: 11, kv_blocks: 10 }));
        assert_eq!(blocks_needed(0, 0, 16), 1);
    }

    #[test]
    fn validation_names_the_problem() {
        let mut cfg = ReplicasServing::new(2, StepModel::Roofline(llama8b_h100(0.5)), KvMemory::Blocks(100));
        assert_eq!(validate(&cfg), Ok(()));
        cfg.max_num_batched_tokens = 100;
        assert_eq!(validate(&cfg), Err(ReplicasConfigError::BudgetBelowSeqs { tokens: 100, seqs: 256 }));
        cfg.max_num_batched_tokens = 8192;
        cfg.step = StepModel::Fitted(coef(1.0, -1.0, 0.0, 0.0));
        assert!(matches!(
            validate(&cfg),
            Err(ReplicasConfigError::BadCoefficient { name: "b1_us_per_prefill_token", .. })
        ));
        cfg.kv_memory = KvMemory::Blocks(0);
        assert!(matches!(validate(&cfg), Err(ReplicasConfigError::NoKvBlocks { .. })));
    }

    #[test]
    fn fleet_price_is_replica_hours() {
        // 8 replicas x $2.50 x 90 minutes = $30.
        assert!((compute_cost_usd(8, 2.5, SimDuration::from_secs(5400)) - 30.0).abs() < 1e-12);
    }
}
