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

pub use api::{ApiServer, ApiStreams, ServiceTiming, SlotQueue, service_timing};

use crate::metrics::ServingGauges;
use crate::rng::{ReplicateSeed, StreamId};
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
}

/// One provider's serving model.
#[derive(Debug)]
pub enum Server {
    Api(ApiServer),
}

impl Server {
    /// The server of provider `index`, drawing from that provider's streams.
    /// Its gauges are observed from `observed_from` (the warm-up's end).
    pub fn new(p: &Provider, index: usize, seed: &ReplicateSeed, observed_from: SimTime) -> Self {
        let stream = |name| seed.stream(StreamId::indexed(name, index as u64, 0));
        let rng = ApiStreams {
            latency: stream("serving.latency"),
            decode: stream("serving.decode"),
            overhead: stream("serving.overhead"),
        };
        Server::Api(ApiServer::new(&p.serving, rng, observed_from))
    }

    /// What the server measured, at the end of the replicate.
    pub fn close(&mut self, end: SimTime) -> ServingGauges {
        match self {
            Server::Api(s) => s.close(end),
        }
    }

    /// Request `id` reaches the provider at `now`.
    pub fn admit(&mut self, id: u32, now: SimTime, host: &mut impl Host) {
        match self {
            Server::Api(s) => s.admit(id, now, host),
        }
    }

    /// How long a request takes to reach the server's queue after the
    /// client sends it (API gateway, tokenisation); drawn per request.
    pub fn before_queue(&mut self) -> SimDuration {
        match self {
            Server::Api(s) => s.before_queue(),
        }
    }

    /// A timer the server asked for (`Host::wake`) fires.
    pub fn wake(&mut self, token: u32, now: SimTime, host: &mut impl Host) {
        let _ = (token, now, host);
        match self {
            Server::Api(_) => unreachable!("the api model plans its requests up front and sets no timers"),
        }
    }

    /// Request `id` left the server at `now` (done or failed): its capacity
    /// goes to the next waiting request.
    pub fn release(&mut self, id: u32, now: SimTime, host: &mut impl Host) {
        match self {
            Server::Api(s) => s.release(id, now, host),
        }
    }

    /// The (first token, end) instants of a keep-alive ping sent at `now`,
    /// which takes no slot: its prompt, tokens of it found cached, and its
    /// output.
    pub fn ping_timing(&self, now: SimTime, input: u64, cached: u64, output: u64) -> (SimTime, SimTime) {
        match self {
            Server::Api(s) => s.ping_timing(now, input, cached, output),
        }
    }
}
