//! Lead capture: scoring rules and attribution to campaigns.

pub mod capture;
pub mod scoring;
