//! The generation pipeline: providers, steps, moderation, text rules.

pub mod builtin;
pub mod cache;
pub mod moderation;
pub mod openai;
pub mod provider;
pub mod text;

use crate::config::Config;
use provider::TextProvider;
use std::sync::Arc;

/// The text provider the configuration asks for: the OpenAI-compatible
/// client when `LLM_BASE_URL` is set, else the built-in generator.
pub fn text_provider(config: &Config) -> Arc<dyn TextProvider> {
    match &config.llm {
        Some(llm) => Arc::new(openai::OpenAiText::new(llm)),
        None => Arc::new(builtin::BuiltinText::new()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn config(extra: &[(&str, &str)]) -> Config {
        crate::config::tests::config(extra).unwrap()
    }

    #[test]
    fn the_builtin_generator_is_the_default() {
        let p = text_provider(&config(&[]));
        assert_eq!((p.provider(), p.model()), ("builtin", "builtin-templates-v1"));
    }

    #[test]
    fn an_llm_base_url_selects_the_openai_compatible_client() {
        let p = text_provider(&config(&[
            ("LLM_BASE_URL", "http://127.0.0.1:9/v1"),
            ("LLM_MODEL", "some-model"),
            ("LLM_API_KEY", "sk-never-shown"),
        ]));
        assert_eq!(
            (p.provider(), p.model(), p.prompt_version()),
            ("openai-compatible", "some-model", "chat-1")
        );
    }
}
