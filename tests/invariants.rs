//! Engine invariants through the public API: FIFO ties in the event queue,
//! and token-class conservation on random scenarios loaded from TOML text.

use proptest::prelude::*;
use sim_core::engine::simulate_replicate;
use sim_core::event_queue::EventQueue;
use sim_core::scenario::{SourceText, load};
use sim_core::time::SimTime;

#[test]
fn events_at_the_same_instant_pop_in_scheduling_order() {
    let mut q = EventQueue::new();
    for i in 0..50 {
        // Interleave two instants; each keeps its own scheduling order.
        q.push(SimTime::from_micros(if i % 2 == 0 { 7 } else { 3 }), i);
    }
    let popped: Vec<(u64, i32)> = std::iter::from_fn(|| q.pop().map(|(t, e)| (t.as_micros(), e))).collect();
    let expect: Vec<(u64, i32)> =
        (1..50).step_by(2).map(|i| (3, i)).chain((0..50).step_by(2).map(|i| (7, i))).collect();
    assert_eq!(popped, expect);
}

fn scenario(
    mode: &str,
    ttl_s: u64,
    min_tokens: u64,
    granularity: u64,
    shared: u64,
    think_s: u64,
    capacity: &str,
) -> String {
    format!(
        r#"
name = "prop"
[[providers]]
name = "p"
serving = {{ slots = 3, base_latency = {{ kind = "exponential", mean = "200ms" }}, prefill_tokens_per_s = 20000, decode_tokens_per_s = 80 }}
cache = {{ mode = "{mode}", ttl = "{ttl_s}s", min_tokens = {min_tokens}, granularity_tokens = {granularity} {capacity} }}
pricing = {{ input_usd_per_mtok = 3, cache_read_usd_per_mtok = 0.3, cache_write_usd_per_mtok = 3.75, output_usd_per_mtok = 15 }}
failures = {{ error_rate = 0.05, max_retries = 1 }}
[[workloads]]
name = "w"
provider = "p"
shared_prefix_tokens = {shared}
task_tokens = {{ kind = "exponential", mean = 600 }}
steps = {{ kind = "uniform_int", low = 1, high = 9 }}
output_tokens = {{ kind = "exponential", mean = 120 }}
tool_result_tokens = {{ kind = "uniform_int", low = 0, high = 800 }}
think_time = {{ kind = "exponential", mean = "{think_s}s" }}
arrivals = {{ rate_per_s = 0.5, sessions = 40 }}
"#
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(24))]

    #[test]
    fn token_classes_always_sum_to_input(
        explicit in any::<bool>(),
        ttl_s in 1u64..600,
        min_tokens in 0u64..3_000,
        granularity in 1u64..256,
        shared in 0u64..5_000,
        think_s in 1u64..300,
        capacity in proptest::option::of(1_000u64..50_000),
        seed in any::<u64>(),
    ) {
        let mode = if explicit { "explicit" } else { "automatic" };
        let capacity = capacity.map_or(String::new(), |c| format!(", capacity_tokens = {c}"));
        let text = scenario(mode, ttl_s, min_tokens, granularity, shared, think_s, &capacity);
        let sc = load(&SourceText { name: "prop.toml", text: &text }, &[]).expect("valid scenario");
        let out = simulate_replicate(&sc, seed, 0, true).unwrap();
        let (mut input, mut classes) = (0u64, 0u64);
        for r in &out.requests {
            let t = &r.tokens;
            prop_assert_eq!(t.uncached + t.cache_read + t.cache_write, t.input);
            prop_assert!(t.cache_read <= t.input && r.cost.total() >= 0.0);
            input += t.input;
            classes += t.uncached + t.cache_read + t.cache_write;
        }
        let m = &out.metrics.overall;
        prop_assert_eq!((m.tokens.input, classes), (input, input));
        prop_assert_eq!(m.sessions_started, 40);
    }
}
