//! Lead capture: scoring rules and attribution to campaigns.

pub mod scoring;
