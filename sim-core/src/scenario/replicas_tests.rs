//! `[providers.replicas]` end to end through `load`: what a valid table
//! loads as, a located message for every bad value of every key, and the
//! settings refused together with replicas (a TTL cache, API serving,
//! keep-alives, a prompt larger than one replica's KV memory).

use super::tests::run;
use super::*;
use crate::dist::Dist;
use crate::time::SimDuration;

/// A replicas provider (lines 5-11) and a one-step workload on it.
const REPLICAS: &str = r#"name = "r"

[[providers]]
name = "self"
[providers.replicas]
count = 2
kv_blocks = 1000
[providers.replicas.step]
b0_us = 6472.0
b1_us_per_prefill_token = 19.797
b2_us_per_decode_seq = 304.40

[[workloads]]
name = "w"
provider = "self"
steps = 1
output_tokens = 100
[workloads.arrivals]
rate_per_s = 1
sessions = 5
"#;

/// REPLICAS with `keys` written on line 8, after `kv_blocks`.
fn with_keys(keys: &str) -> String {
    REPLICAS.replace("kv_blocks = 1000\n", &format!("kv_blocks = 1000\n{keys}\n"))
}

fn replicas_of(text: &str) -> ReplicasServing {
    match run(text, &[]) {
        Ok(s) => s.providers[0].replicas.clone().expect("a replicas provider"),
        Err(p) => panic!("unexpected problems: {p:#?}"),
    }
}

fn problems(text: &str) -> Vec<String> {
    run(text, &[]).err().unwrap_or_default()
}

const AT: &str = "s.toml:8";

/// The step both REPLICAS and the bundled benchmark write.
const BENCH_STEP: StepModel = StepModel::Fitted(StepCoefficients {
    b0_us: 6472.0,
    b1_us_per_prefill_token: 19.797,
    b2_us_per_decode_seq: 304.40,
    b3_us_per_context_token: 0.0,
});

#[test]
fn a_minimal_table_takes_vllms_defaults() {
    let r = replicas_of(REPLICAS);
    assert_eq!((r.replicas, r.max_num_seqs, r.max_num_batched_tokens, r.block_tokens), (2, 256, 8192, 16));
    assert_eq!(r.kv_memory, KvMemory::Blocks(1000));
    assert!(r.prefix_caching);
    assert_eq!(r.step, BENCH_STEP);
    assert_eq!(r.overheads, Overheads::default());
    assert_eq!(r.batch_window, SimDuration::ZERO);
    assert_eq!(r.balancer, Balancer::LeastOutstanding);
    assert_eq!(r.usd_per_replica_hour, Dist::Fixed(0.0));
}

#[test]
fn every_key_loads() {
    let r = replicas_of(&with_keys(
        "max_num_seqs = 64\nmax_num_batched_tokens = 2048\nblock_tokens = 32\nprefix_caching = false\n\
         overhead_before_queue = \"10.3ms\"\noverhead_at_completion = \"2ms\"\noverhead_per_output_token = \"50us\"\n\
         batch_window = \"5ms\"\nbalancer = \"prefix_affinity\"\naffinity_tokens = 512\naffinity_overflow_per_min = 600\n\
         usd_per_replica_hour = [2.0, 3.5]",
    ));
    assert_eq!((r.max_num_seqs, r.max_num_batched_tokens, r.block_tokens, r.prefix_caching), (64, 2048, 32, false));
    assert_eq!(
        r.overheads,
        Overheads {
            before_queue: SimDuration::from_micros(10_300),
            at_completion: SimDuration::from_millis(2),
            per_output_token: SimDuration::from_micros(50),
        }
    );
    assert_eq!(r.batch_window, SimDuration::from_millis(5));
    assert_eq!(r.balancer, Balancer::PrefixAffinity { affinity_tokens: 512, overflow_per_minute: Some(600) });
    assert_eq!(r.usd_per_replica_hour, Dist::Uniform { low: 2.0, high: 3.5 });
}

#[test]
fn gpu_memory_and_a_roofline_derive_blocks_and_coefficients() {
    // Llama-3.1-8B on an H100: the weights default to params x bytes_per_param
    // (16.06e9 B) and the KV size to the roofline's: (80 GiB x 0.9 - 16.06e9 B)
    // / (131,072 B x 16) = (77,309,411,328 - 16,060,000,000) / 2,097,152 = 29,205.8 blocks.
    let text = REPLICAS.replace("kv_blocks = 1000", "gpu_memory_gib = 80").replace(
        "[providers.replicas.step]\nb0_us = 6472.0\nb1_us_per_prefill_token = 19.797\nb2_us_per_decode_seq = 304.40",
        "[providers.replicas.roofline]\nparams = 8.03e9\nlayers = 32\nkv_bytes_per_token = 131072\n\
             peak_flops = 989.5e12\nmem_bytes_per_s = 3.35e12",
    );
    let r = replicas_of(&text);
    assert_eq!(r.kv_memory.blocks(16), 29_205);
    let StepModel::Roofline(roof) = r.step else { panic!("a roofline") };
    assert_eq!(
        (roof.bytes_per_param, roof.eff_prefill, roof.eff_decode, roof.per_layer_overhead_us),
        (2.0, 0.45, 0.30, 0.0)
    );
}

/// Each file reports exactly its one problem.
fn each_reports(cases: &[(String, String)]) {
    for (text, expected) in cases {
        assert_eq!(problems(text), [expected.as_str()], "\n{text}");
    }
}

/// REPLICAS with its fitted step replaced by a roofline table of `keys`
/// (after layers, kv_bytes_per_token and mem_bytes_per_s, lines 9-11).
fn with_roofline(keys: &str) -> String {
    REPLICAS.replace(
        "[providers.replicas.step]\nb0_us = 6472.0\nb1_us_per_prefill_token = 19.797\nb2_us_per_decode_seq = 304.40",
        &format!(
            "[providers.replicas.roofline]\nlayers = 32\nkv_bytes_per_token = 131072\nmem_bytes_per_s = 3.35e12\n{keys}"
        ),
    )
}

#[test]
fn bad_counts_and_batch_limits_are_located() {
    let key = |k: &str| format!("{AT}:{k}");
    each_reports(&[
        (REPLICAS.replace("count = 2", "count = 0"), "s.toml:6:9: providers[0].replicas.count: must be >= 1, got 0".into()),
        (
            REPLICAS.replace("count = 2", "count = 100001"),
            "s.toml:6:9: providers[0].replicas.count: must be <= 10000 replicas, got 100001".into(),
        ),
        (
            REPLICAS.replace("count = 2\n", ""),
            "s.toml:5:1: providers[0].replicas.count: missing required key `count` (the number of replicas, e.g. count = 8)".into(),
        ),
        (with_keys("max_num_seqs = 0"), key("16: providers[0].replicas.max_num_seqs: must be >= 1, got 0")),
        (with_keys("max_num_batched_tokens = 0"), key("26: providers[0].replicas.max_num_batched_tokens: must be >= 1, got 0")),
        // The budget must hold one token for each of the batch's decoders.
        (
            with_keys("max_num_seqs = 300\nmax_num_batched_tokens = 299"),
            "s.toml:9:26: providers[0].replicas.max_num_batched_tokens: must be at least max_num_seqs (300), so every running decoder fits one iteration; got 299".into(),
        ),
        (with_keys("block_tokens = 0"), key("16: providers[0].replicas.block_tokens: must be >= 1, got 0")),
        (
            with_keys("prefix_caching = \"yes\""),
            key("18: providers[0].replicas.prefix_caching: expected true or false, got string \"yes\""),
        ),
    ]);
}

#[test]
fn bad_kv_memory_is_located() {
    let memory = |keys: &str| REPLICAS.replace("kv_blocks = 1000", keys);
    let sized = "weights_gib = 15\nkv_bytes_per_token = 131072";
    each_reports(&[
        (memory("kv_blocks = 0"), "s.toml:7:13: providers[0].replicas.kv_blocks: must be >= 1, got 0".into()),
        (
            with_keys("gpu_memory_gib = 80"),
            format!("{AT}:1: providers[0].replicas.gpu_memory_gib: give either kv_blocks or gpu_memory_gib, not both"),
        ),
        (
            with_keys("weights_gib = 15"),
            format!("{AT}:1: providers[0].replicas.weights_gib: derives kv_blocks from gpu_memory_gib; kv_blocks is given"),
        ),
        (
            memory(""),
            "s.toml:5:1: providers[0].replicas.kv_blocks: missing required key `kv_blocks` (the KV memory of one replica: kv_blocks = 29205 (vLLM's \"# GPU blocks\"), or gpu_memory_gib = 80 with the weights and KV sizes)".into(),
        ),
        (
            memory(&format!("gpu_memory_gib = -80\n{sized}")),
            "s.toml:7:18: providers[0].replicas.gpu_memory_gib: must be > 0, got -80".into(),
        ),
        (
            memory(&format!("gpu_memory_gib = 80\ngpu_memory_utilization = 1.5\n{sized}")),
            "s.toml:8:26: providers[0].replicas.gpu_memory_utilization: must be in (0, 1], got 1.5".into(),
        ),
        // 16 GiB x 0.9 = 14.4 GiB usable, less than 15 GiB of weights:
        // (14.4 - 15) GiB / (131,072 B x 16) = -0.6 x 1024^3 / 2,097,152 = -307.2 blocks.
        (
            memory(&format!("gpu_memory_gib = 16\n{sized}")),
            "s.toml:5:1: providers[0].replicas: leaves no KV memory: 16.00 GiB x 0.9 usable but the weights take 15.00 GiB (-307.2 blocks of 16 tokens)".into(),
        ),
    ]);
    // With fitted steps, the weights and the KV size have no roofline to come from.
    assert_eq!(
        problems(&memory("gpu_memory_gib = 80")),
        [
            "s.toml:5:1: providers[0].replicas.weights_gib: missing required key `weights_gib` (model weights in GiB, e.g. 16)",
            "s.toml:5:1: providers[0].replicas.kv_bytes_per_token: missing required key `kv_bytes_per_token` (KV bytes per token)",
        ]
    );
}

#[test]
fn bad_step_models_are_located() {
    let step = |old: &str, new: &str| REPLICAS.replace(old, new);
    let steps =
        "[providers.replicas.step]\nb0_us = 6472.0\nb1_us_per_prefill_token = 19.797\nb2_us_per_decode_seq = 304.40\n";
    each_reports(&[
        (
            step("b1_us_per_prefill_token = 19.797", "b1_us_per_prefill_token = -1"),
            "s.toml:10:27: providers[0].replicas.step.b1_us_per_prefill_token: must be >= 0, got -1".into(),
        ),
        (
            step("b0_us = 6472.0\n", ""),
            "s.toml:8:1: providers[0].replicas.step.b0_us: missing required key `b0_us` (a coefficient in microseconds, >= 0)".into(),
        ),
        (
            step("b0_us = 6472.0\nb1_us_per_prefill_token = 19.797", "b0_us = 0\nb1_us_per_prefill_token = 0"),
            "s.toml:8:1: providers[0].replicas.step: b0_us and b1_us_per_prefill_token are both 0: iterations would take no time".into(),
        ),
        (
            step("b2_us_per_decode_seq = 304.40", "b2_us_per_decode_seq = 304.40\nb3_us_per_context_token = \"fast\""),
            "s.toml:12:27: providers[0].replicas.step.b3_us_per_context_token: expected a number, got string \"fast\"".into(),
        ),
        (
            step(steps, ""),
            "s.toml:5:1: providers[0].replicas.step: missing required key `step` (how long an iteration takes: [providers.replicas.step] with b0_us, b1_us_per_prefill_token, b2_us_per_decode_seq (fitted), or [providers.replicas.roofline] with params, layers, kv_bytes_per_token, peak_flops, mem_bytes_per_s)".into(),
        ),
        (
            step(steps, &format!("{steps}[providers.replicas.roofline]\nparams = 8e9\n")),
            "s.toml:12:21: providers[0].replicas.roofline: give either fitted `step` coefficients or a `roofline`, not both (the fitted ones are the measurement)".into(),
        ),
    ]);
}

#[test]
fn bad_rooflines_are_located() {
    let ok = "params = 8.03e9\npeak_flops = 989.5e12";
    let at = |k: &str| format!("s.toml:{k}");
    each_reports(&[
        (
            with_roofline("params = 8.03e9"),
            at(
                "8:1: providers[0].replicas.roofline.peak_flops: missing required key `peak_flops` (peak FLOP/s, e.g. 989.5e12)",
            ),
        ),
        (
            with_roofline("params = 0\npeak_flops = 989.5e12"),
            at("12:10: providers[0].replicas.roofline.params: must be > 0, got 0"),
        ),
        (
            with_roofline(&format!("{ok}\neff_prefill = 1.5")),
            at("14:15: providers[0].replicas.roofline.eff_prefill: must be in (0, 1], got 1.5"),
        ),
        (
            with_roofline(&format!("{ok}\neff_decode = 0")),
            at("14:14: providers[0].replicas.roofline.eff_decode: must be in (0, 1], got 0"),
        ),
        (
            with_roofline(&format!("{ok}\nper_layer_overhead_us = -5")),
            at("14:25: providers[0].replicas.roofline.per_layer_overhead_us: must be >= 0, got -5"),
        ),
        (
            with_roofline(&format!("{ok}\nbytes_per_param = 0")),
            at("14:19: providers[0].replicas.roofline.bytes_per_param: must be > 0, got 0"),
        ),
        (
            with_roofline(&format!("{ok}\n")).replace("layers = 32", "layers = 0"),
            at("9:10: providers[0].replicas.roofline.layers: must be >= 1, got 0"),
        ),
    ]);
}

#[test]
fn bad_overheads_balancers_and_prices_are_located() {
    let key = |k: &str| format!("{AT}:{k}");
    each_reports(&[
        (
            with_keys("overhead_before_queue = \"-1ms\""),
            key("25: providers[0].replicas.overhead_before_queue: `-1ms` is negative; durations must be >= 0"),
        ),
        (
            with_keys("batch_window = \"soon\""),
            key(
                "16: providers[0].replicas.batch_window: `soon` is not a duration: write an integer or decimal number followed by a unit (us, ms, s, m, h, d), e.g. \"250ms\" or \"1.5h\"",
            ),
        ),
        (
            with_keys("balancer = \"random\""),
            key(
                "12: providers[0].replicas.balancer: unknown load balancer `random`; expected one of: round_robin, least_outstanding, least_kv, prefix_affinity",
            ),
        ),
        (
            with_keys("balancer = \"round_robin\"\naffinity_tokens = 512"),
            "s.toml:9:1: providers[0].replicas.affinity_tokens: applies to balancer = \"prefix_affinity\" only".into(),
        ),
        (
            with_keys("balancer = \"prefix_affinity\"\naffinity_overflow_per_min = 0"),
            "s.toml:9:29: providers[0].replicas.affinity_overflow_per_min: must be >= 1, got 0".into(),
        ),
        (
            with_keys("usd_per_replica_hour = [3, 2]"),
            key(
                "24: providers[0].replicas.usd_per_replica_hour: must be a price >= 0 or [low, high] with 0 <= low <= high, got [3, 2]",
            ),
        ),
        (
            with_keys("usd_per_replica_hour = 20000"),
            key("24: providers[0].replicas.usd_per_replica_hour: must be <= 10000 USD per replica-hour, got 20000"),
        ),
    ]);
}

#[test]
fn an_api_cache_or_api_serving_is_refused_beside_replicas() {
    let text = REPLICAS.replace("[[workloads]]", "[providers.cache]\nttl = \"5m\"\n\n[[workloads]]");
    assert_eq!(
        problems(&text),
        [
            "s.toml:13:12: providers[0].cache: replicas cache prefixes in their own KV memory (vLLM automatic prefix caching, no TTL): set `prefix_caching` in [providers.replicas] instead"
        ]
    );
    let text = REPLICAS.replace("[[workloads]]", "[providers.serving]\nslots = 4\n\n[[workloads]]");
    assert_eq!(
        problems(&text),
        [
            "s.toml:13:12: providers[0].serving: a provider is served either by [providers.serving] (an API) or by [providers.replicas] (self-hosted replicas), not both"
        ]
    );
}

#[test]
fn keep_alive_is_dropped_on_a_replicas_provider() {
    let text = REPLICAS.replace("steps = 1", "steps = 3\nthink_time = \"10m\"\nkeep_alive = { interval = \"4m\" }");
    let sc = run(&text, &[]).unwrap();
    assert_eq!(sc.workloads[0].keep_alive, None);
}

#[test]
fn a_shared_prefix_larger_than_one_replicas_kv_memory_is_refused() {
    // 1000 blocks of 16 tokens hold 16,000 tokens. A prompt of 16,000 shared
    // tokens and its one output token (sampled, never written to KV) need
    // 1,000 blocks: it fits; 16,001 shared tokens need 1,001.
    let fits = REPLICAS.replace("steps = 1", "steps = 1\nshared_prefix_tokens = 16000");
    assert!(run(&fits, &[]).is_ok(), "{:?}", problems(&fits));
    let text = REPLICAS.replace("steps = 1", "steps = 1\nshared_prefix_tokens = 16001");
    assert_eq!(
        problems(&text),
        [
            "s.toml:17:24: workloads[0].shared_prefix_tokens: every prompt carries 16001 shared tokens, which with one output token need 1001 KV blocks of 16 tokens; one replica of provider `self` holds 1000 (providers[0].replicas.kv_blocks): no request could ever run"
        ]
    );
}

#[test]
fn bundled_replicas_bench_has_pinned_semantics() {
    let s = run(include_str!("../../../scenarios/bench/replicas.toml"), &[]).unwrap_or_else(|p| panic!("{p:#?}"));
    let r = s.providers[0].replicas.as_ref().expect("replicas");
    assert_eq!((r.replicas, r.max_num_seqs, r.max_num_batched_tokens, r.block_tokens), (8, 256, 8192, 16));
    assert_eq!(r.kv_memory, KvMemory::Blocks(29_205));
    assert_eq!(r.step, BENCH_STEP);
    assert_eq!(r.overheads.before_queue, SimDuration::from_micros(10_300));
    assert_eq!(r.balancer, Balancer::LeastOutstanding);
    let w = &s.workloads[0];
    assert_eq!(w.arrivals, Arrivals::Poisson { rate_per_s: 32.0, stop: ArrivalStop::Sessions(50_000) });
    // Uniform integers 400..=1300 and 300..=1000: means 850 and 650.
    assert_eq!((w.task_tokens.mean_upper_bound(), w.output_tokens.mean_upper_bound()), (850.0, 650.0));
}

#[test]
fn bundled_self_hosted_example_loads_its_roofline() {
    let s = run(include_str!("../../../scenarios/examples/self_hosted_vs_api.toml"), &[])
        .unwrap_or_else(|p| panic!("{p:#?}"));
    let r = s.providers[1].replicas.as_ref().expect("replicas");
    // (160 x 0.9 - 60.8) GiB / (73,728 B x 16) = 83.2 x 2^30 / 1,179,648 = 75,730.6 blocks.
    assert_eq!(r.kv_memory.blocks(16), 75_730);
    // The weights streamed per iteration: 5.1e9 x 12.8 B = 65.28 GB over
    // 6.7e12 B/s x 0.6 = 16.24 ms.
    let c = r.step.coefficients();
    assert!((c.b0_us - 16_238.8).abs() < 0.1, "{}", c.b0_us);
    assert_eq!(r.usd_per_replica_hour, Dist::Uniform { low: 4.0, high: 8.0 });
    assert!(s.providers[0].replicas.is_none());
}
