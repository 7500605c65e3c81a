//! Provider serving models: how long a request waits and runs, and when its
//! first token comes. One module per model behind one enum (`Server`), so the
//! engine never knows which model serves a request.
//!
//! The protocol is event-driven. The engine hands a server a request when it
//! reaches the provider (`admit`), tells it when one leaves (`release`), and
//! forwards the server's own timers (`wake`). The server calls back into the
//! engine through [`Host`]: when a request's service begins (the engine
//! draws failures and consults the provider's prompt cache), and when its
//! first token and its last token come (the engine schedules those as events).

pub mod api;
pub mod replicas;

pub use api::{ApiServer, ApiStreams, ServiceTiming, SlotQueue, service_timing};
pub use replicas::ReplicasServer;

use crate::metrics::ServingGauges;
use crate::model::admission::QueueClass;
use crate::model::prompt::Block;
use crate::rng::{ReplicateSeed, RequestKey};
use crate::scenario::Provider;
use crate::time::{SimDuration, SimTime};

/// What the engine tells a server when a request's service begins.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Begin {
    /// Prompt tokens.
    pub input_tokens: u64,
    /// Leading prompt tokens found in the provider's prompt cache.
    pub cached_tokens: u64,
    /// Tokens to generate (output and reasoning).
    pub output_tokens: u64,
    /// The attempt fails: it returns an error after the fixed latency, with
    /// no prefill and no output.
    pub failed: bool,
}

/// What a server holds at an instant (`timeseries.csv`).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ServerLevels {
    /// Requests waiting for service.
    pub waiting: u64,
    /// Requests in service.
    pub running: u64,
    /// Capacity in use, in the units of `capacity` (slots for `api`).
    pub busy: u64,
    pub capacity: u64,
}

/// The engine, as a server sees it.
pub trait Host {
    /// Service of `id` begins at `now`.
    fn begin(&mut self, id: u32, now: SimTime) -> Begin;
    /// The server knows both instants of `id` when its service begins: the
    /// engine makes the cache write readable at `first_token` and schedules
    /// the first-token and done events.
    fn planned(&mut self, id: u32, now: SimTime, first_token: SimTime, end: SimTime);
    /// For models that learn the instants as they go (`replicas`): the first
    /// token of `id` comes at `at` (not before now), and `cached_tokens`
    /// leading prompt tokens were found in the server's own prefix cache.
    fn first_token(&mut self, id: u32, at: SimTime, cached_tokens: u64);
    /// `id` finishes at `at` (not before now).
    fn done(&mut self, id: u32, at: SimTime);
    /// Calls the server's `wake(token)` at `at` (not before now).
    fn wake(&mut self, at: SimTime, token: u32);
    /// `id` fails at `at` (not before now) without being served.
    fn fail(&mut self, id: u32, at: SimTime);
    /// The prompt of `id`, as blocks (for servers with their own prefix cache).
    fn prompt(&self, id: u32) -> &[Block];
    /// The routing hint of `id`'s workload (`prompt_cache_key`), hashed; 0 if none.
    fn cache_key(&self, id: u32) -> u64;
    /// What `id`'s own random draws are keyed by (common random numbers).
    fn request_key(&self, id: u32) -> RequestKey;
}

/// One provider's serving model.
#[derive(Debug)]
pub enum Server {
    Api(ApiServer),
    Replicas(ReplicasServer),
}

impl Server {
    /// The server of provider `p`, drawing from streams keyed per request
    /// (the same for every provider: a request reaches one provider).
    /// Its gauges are observed from `observed_from` (the warm-up's end).
    pub fn new(p: &Provider, seed: &ReplicateSeed, observed_from: SimTime) -> Self {
        if let Some(cfg) = &p.replicas {
            let fleet = ReplicasServer::new(cfg, observed_from).expect("validated replicas configuration");
            return Server::Replicas(fleet);
        }
        let rng = ApiStreams {
            latency: seed.keyed("serving.latency"),
            decode: seed.keyed("serving.decode"),
            overhead: seed.keyed("serving.overhead"),
        };
        Server::Api(ApiServer::new(&p.serving, rng, observed_from))
    }

    /// What the server measured, at the end of the replicate.
    pub fn close(&mut self, end: SimTime) -> ServingGauges {
        match self {
            Server::Api(s) => s.close(end),
            Server::Replicas(s) => s.close(end),
        }
    }

    /// Its levels now (constant between events).
    pub fn levels(&self) -> ServerLevels {
        match self {
            Server::Api(s) => s.levels(),
            Server::Replicas(s) => s.levels(),
        }
    }

    /// Request `id` reaches the provider at `now`, in queue class `class`.
    pub fn admit(&mut self, id: u32, class: QueueClass, now: SimTime, host: &mut impl Host) {
        match self {
            Server::Api(s) => s.admit(id, class, now, host),
            // Continuous batching serves in arrival order (vLLM's FCFS policy).
            Server::Replicas(s) => s.admit(id, now, host),
        }
    }

    /// The client of `id` gave up at `now`; `in_service`: its service had
    /// begun (`Host::begin` was called for it).
    pub fn abandon(&mut self, id: u32, in_service: bool, now: SimTime, host: &mut impl Host) {
        match self {
            Server::Api(s) => s.abandon(id, in_service, now, host),
            Server::Replicas(s) => s.abandon(id, now),
        }
    }

    /// Serve at `factor` of full speed from now on (degraded windows).
    pub fn set_speed_factor(&mut self, factor: f64) {
        match self {
            Server::Api(s) => s.set_speed_factor(factor),
            Server::Replicas(s) => s.set_speed_factor(factor),
        }
    }

    /// Capacity in use and capacity (for flex admission).
    pub fn load(&self) -> (u64, u64) {
        match self {
            Server::Api(s) => s.load(),
            Server::Replicas(s) => s.load(),
        }
    }

    /// How long a request takes to reach the server's queue after the
    /// client sends it (API gateway, tokenisation); drawn for request `key`.
    pub fn before_queue(&self, key: RequestKey) -> SimDuration {
        match self {
            Server::Api(s) => s.before_queue(key),
            Server::Replicas(s) => s.before_queue(),
        }
    }

    /// A timer the server asked for (`Host::wake`) fires.
    pub fn wake(&mut self, token: u32, now: SimTime, host: &mut impl Host) {
        match self {
            Server::Api(_) => unreachable!("the api model plans its requests up front and sets no timers"),
            Server::Replicas(s) => s.wake(token, now, host),
        }
    }

    /// Request `id` left the server at `now` (done or failed): its capacity
    /// goes to the next waiting request.
    pub fn release(&mut self, id: u32, now: SimTime, host: &mut impl Host) {
        match self {
            Server::Api(s) => s.release(id, now, host),
            // The fleet freed the request's seat and blocks at its last iteration.
            Server::Replicas(_) => {}
        }
    }

    /// The (first token, end) instants of a keep-alive ping sent at `now`,
    /// which takes no slot: its prompt, tokens of it found cached, and its
    /// output.
    pub fn ping_timing(&self, now: SimTime, input: u64, cached: u64, output: u64) -> (SimTime, SimTime) {
        match self {
            Server::Api(s) => s.ping_timing(now, input, cached, output),
            Server::Replicas(_) => unreachable!("validation refuses keep-alive pings on replicas providers"),
        }
    }
}
