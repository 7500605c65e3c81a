//! Provider serving models: how long a request waits and runs, and when its
//! first token comes. One module per model behind one enum (`Server`), so the
//! engine never knows which model serves a request.

pub mod api;
pub mod replicas;

pub use api::{ServiceTiming, SlotQueue, service_timing};
