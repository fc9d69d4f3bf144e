//! The generation pipeline: providers, steps, moderation, text rules.

pub mod builtin;
pub mod moderation;
pub mod provider;
pub mod text;
