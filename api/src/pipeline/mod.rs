//! The generation pipeline: providers, steps, moderation, text rules.

pub mod cache;
pub mod moderation;
pub mod provider;
pub mod text;
