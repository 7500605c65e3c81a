//! The models a replicate is made of: agent sessions and their prompts, the
//! prompt cache, provider serving and admission (rate limits, retries, faults,
//! tiers), and pricing.

pub mod admission;
pub mod anatomy;
pub mod arrivals;
pub mod cache;
pub mod pricing;
pub mod prompt;
pub mod serving;
pub mod session;
pub mod start_spread;
pub mod time_of_day;
