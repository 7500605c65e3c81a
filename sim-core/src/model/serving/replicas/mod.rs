//! The `replicas` serving model (the operator's view): a fleet of
//! continuous-batching engines with paged KV memory and automatic prefix
//! caching, behind a load balancer. A pure, event-driven state machine: the
//! caller owns the clock and the event queue, calls [`Fleet::arrive`],
//! [`Fleet::wake`] and [`Fleet::cancel`] at simulated instants, and receives
//! [`Note`]s (the next wake of a replica, first tokens, completions,
//! preemptions). See docs/serving.md, "The replicas model".
//!
//! Where the per-request overheads land:
//! - `before_queue`: applied by the caller, who calls `arrive` that much
//!   after the request's arrival (routing happens when it joins a queue);
//! - `per_output_token` x output tokens + `at_completion`: added to the
//!   instant of the `Done` note, after the iteration producing the last
//!   token. The engine frees the request's KV blocks and seat at that
//!   iteration's end (the tail is API-server work, not GPU work), and the
//!   balancers count the request as done from then on.

mod balancer;
mod fleet;
mod kv;
mod replica;
mod server;
mod step;

#[cfg(test)]
mod fleet_tests;
#[cfg(test)]
mod prop_tests;
#[cfg(test)]
mod reference_tests;
#[cfg(test)]
mod replica_tests;
#[cfg(test)]
mod server_tests;
#[cfg(test)]
mod testkit;

pub use fleet::Fleet;
pub use kv::{KvPool, full_block_identities, kv_block_identity};
pub use replica::Replica;
pub use server::ReplicasServer;
pub use step::{
    DoesNotFit, ReplicasConfigError, blocks_needed, check_fits, coefficients, compute_cost_usd, kv_blocks,
    roofline_coefficients, step_time, validate,
};

use crate::model::prompt::Block;
use crate::time::SimTime;

/// A request handed to the fleet. The prompt is only borrowed for the call:
/// the fleet copies the identities of its KV blocks.
#[derive(Clone, Copy, Debug)]
pub struct SeqRequest<'a> {
    /// The caller's id, unique among the requests in the fleet.
    pub id: u32,
    pub blocks: &'a [Block],
    /// Output tokens (a request produces at least one).
    pub output_tokens: u64,
    /// Mixed into the prefix-affinity key (e.g. a tenant or a session hint); 0 if none.
    pub cache_key: u64,
}

/// What the fleet tells its caller.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Note {
    /// Call [`Fleet::wake`] for `replica` at `at`.
    Wake { replica: u32, at: SimTime },
    /// The first output token came at `at`; `cached_tokens` prompt tokens were prefix-cache hits.
    FirstToken { id: u32, at: SimTime, cached_tokens: u64 },
    /// The request completed at `at` (overheads included).
    Done { id: u32, at: SimTime },
    /// The request lost its KV blocks at `at` and waits to recompute them.
    Preempted { id: u32, at: SimTime },
    /// The request can never fit one replica's KV memory (see [`check_fits`]).
    Rejected { id: u32, at: SimTime },
}
