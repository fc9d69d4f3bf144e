//! What every copy must carry and must never carry, and the context packs.

use super::{copy_texts, ctx, gen_angles, gen_copy};
use crate::domain::campaign::Platform;
use crate::pipeline::builtin::golden::{LOCALES, brand, brief_for};
use crate::pipeline::builtin::locales::{self, Lang, parse_tag};
use crate::pipeline::builtin::phrases;
use crate::pipeline::moderation;
use crate::pipeline::provider::BrandVoice;
use std::collections::HashSet;

#[test]
fn banned_words_never_appear_even_when_the_brief_uses_them() {
    for locale in LOCALES {
        let mut brief = brief_for(locale);
        // Ban words the output would otherwise use: some from the templates, some from the brief.
        let ctx0 = ctx(&brief, locale, &BrandVoice::default());
        let sample = gen_angles(&brief, &ctx0, &BrandVoice::default(), 10, None, 9);
        let mut banned: Vec<String> = sample
            .iter()
            .flat_map(|a| {
                a.hook
                    .split(|c: char| !c.is_alphanumeric())
                    .map(str::to_string)
                    .collect::<Vec<_>>()
            })
            .filter(|w| w.chars().count() >= 4)
            .step_by(3)
            .collect();
        banned.push(
            brief.key_messages[0]
                .split_whitespace()
                .last()
                .unwrap()
                .trim_matches('.')
                .to_string(),
        );
        banned.push("two minutes".into());
        brief.key_messages.push("Nothing cheap about it".into());
        brief.call_to_action = Some("Get it cheap".into());
        let disclosure = ctx0.ad_disclosure.trim_start_matches('#').to_lowercase();
        banned.retain(|b| b.to_lowercase() != disclosure);
        banned.push("CHEAP".into());
        let brand = BrandVoice {
            voice: None,
            banned_words: banned.clone(),
        };
        let ctx = ctx(&brief, locale, &brand);
        for seed in 0..3 {
            for a in gen_angles(&brief, &ctx, &brand, 10, None, seed) {
                let texts = [
                    a.title.as_str(),
                    a.hook.as_str(),
                    a.rationale.as_deref().unwrap_or_default(),
                ];
                let hits: Vec<String> = moderation::check(&texts, &banned)
                    .into_iter()
                    .filter(|r| r.starts_with("banned"))
                    .collect();
                assert!(hits.is_empty(), "{locale}: {hits:?} in {a:?}");
                for platform in Platform::ALL {
                    let c = gen_copy(&brief, &ctx, &brand, &a, platform, None, seed);
                    for t in copy_texts(&c) {
                        let hits: Vec<String> = moderation::check(&[t], &banned)
                            .into_iter()
                            .filter(|r| r.starts_with("banned"))
                            .collect();
                        assert!(hits.is_empty(), "{locale} {platform:?}: {hits:?} in {t:?}");
                    }
                    for tag in &c.hashtags {
                        let lower = tag.to_lowercase();
                        assert!(
                            !banned
                                .iter()
                                .any(|b| lower.contains(&b.to_lowercase().replace(' ', ""))),
                            "{tag}"
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn hashtags_are_valid_unique_and_counted_per_platform() {
    for locale in LOCALES {
        let brief = brief_for(locale);
        let ctx = ctx(&brief, locale, &brand());
        for seed in 0..3 {
            for a in gen_angles(&brief, &ctx, &brand(), 10, None, seed) {
                for platform in Platform::ALL {
                    let c = gen_copy(&brief, &ctx, &brand(), &a, platform, None, seed);
                    assert_eq!(
                        c.hashtags.len(),
                        platform.hashtag_count(),
                        "{locale} {platform:?}: {:?}",
                        c.hashtags
                    );
                    let mut seen = HashSet::new();
                    for tag in &c.hashtags {
                        let body = tag.strip_prefix('#').unwrap_or_else(|| panic!("{tag} lacks #"));
                        assert!(
                            !body.is_empty() && body.chars().all(|ch| ch.is_alphanumeric() || ch == '_'),
                            "{tag}"
                        );
                        assert!(body.chars().any(char::is_alphabetic), "{tag}");
                        assert!(seen.insert(body.to_lowercase()), "duplicate {tag} in {:?}", c.hashtags);
                        assert_ne!(
                            tag.to_lowercase(),
                            ctx.ad_disclosure.to_lowercase(),
                            "the disclosure is in the body"
                        );
                    }
                }
            }
        }
    }
}

#[test]
fn copies_carry_disclosure_call_to_action_and_key_messages() {
    for locale in LOCALES {
        let brief = brief_for(locale);
        let ctx = ctx(&brief, locale, &brand());
        for a in gen_angles(&brief, &ctx, &brand(), 10, None, 11) {
            for platform in Platform::ALL {
                let c = gen_copy(&brief, &ctx, &brand(), &a, platform, None, 11);
                assert!(c.body.contains(&ctx.ad_disclosure), "{locale} {platform:?}: {}", c.body);
                let cta = c.call_to_action.as_deref().unwrap();
                assert!(c.body.contains(cta), "{locale} {platform:?}: {cta} not in {}", c.body);
                assert!(c.headline.is_some());
                if let Some(cta) = &brief.call_to_action {
                    assert_eq!(c.call_to_action.as_ref(), Some(cta));
                }
            }
            let li = gen_copy(&brief, &ctx, &brand(), &a, Platform::Linkedin, None, 11);
            let keys = brief
                .key_messages
                .iter()
                .filter(|k| li.body.contains(k.as_str()))
                .count();
            assert!(keys >= 2, "{locale}: LinkedIn uses the key messages: {}", li.body);
            assert!(li.body.contains("https://lumen.example/lamp"), "{}", li.body);
            let ig = gen_copy(&brief, &ctx, &brand(), &a, Platform::Instagram, None, 11);
            assert!(
                ig.body.contains('\n') && !ig.body.contains("https://"),
                "captions link from the bio: {}",
                ig.body
            );
        }
    }
}

#[test]
fn context_packs_follow_the_locale() {
    let brief = brief_for("en");
    let b = BrandVoice::default();
    let cases = [
        ("en", "en", "USD", "#ad", "MM/DD/YYYY"),
        ("en-GB", "en", "GBP", "#ad", "DD/MM/YYYY"),
        ("es", "es", "EUR", "#publicidad", "DD/MM/YYYY"),
        ("es-MX", "es", "MXN", "#publicidad", "DD/MM/YYYY"),
        ("fr-FR", "fr", "EUR", "#publicité", "DD/MM/YYYY"),
        ("fr-CA", "fr", "CAD", "#publicité", "YYYY-MM-DD"),
        ("de", "de", "EUR", "#Werbung", "DD.MM.YYYY"),
        ("de-AT", "de", "EUR", "#Werbung", "DD.MM.YYYY"),
        ("de-CH", "de", "CHF", "#Werbung", "DD.MM.YYYY"),
        ("pt-BR", "pt", "BRL", "#publicidade", "DD/MM/YYYY"),
        ("pt-PT", "pt", "EUR", "#publicidade", "DD/MM/YYYY"),
        ("ja", "en", "JPY", "#ad", "YYYY/MM/DD"),
        ("zh-Hant-TW", "en", "TWD", "#ad", "YYYY/MM/DD"),
        ("sw-KE", "en", "KES", "#ad", "YYYY-MM-DD"),
    ];
    for (locale, language, currency, disclosure, date) in cases {
        let c = ctx(&brief, locale, &b);
        assert_eq!(
            (
                c.locale.as_str(),
                c.language.as_str(),
                c.currency.as_str(),
                c.ad_disclosure.as_str(),
                c.date_format.as_str()
            ),
            (locale, language, currency, disclosure, date),
            "{locale}"
        );
        assert_eq!(c.fallback, language == "en" && !locale.starts_with("en"), "{locale}");
        assert!(!c.legal_notes.is_empty() && !c.tone.is_empty() && !c.number_format.is_empty());
    }
    assert_eq!(ctx(&brief, "es", &b).formality, "informal (tú)");
    assert_eq!(ctx(&brief, "de-AT", &b).formality, "formal (Sie)");
    assert_eq!(ctx(&brief, "de-CH", &b).number_format, "1’234.56");
    assert_eq!(ctx(&brief, "fr", &b).number_format, "1 234,56");
    assert!(ctx(&brief, "ja", &b).legal_notes[0].contains("English"));
    assert!(
        ctx(&brief, "en", &brand()).tone.contains("friendly expert"),
        "the brand voice is part of the tone"
    );
    assert_eq!(
        parse_tag("zh_Hant_tw"),
        locales::Tag {
            language: "zh".into(),
            region: Some("TW".into())
        }
    );
    assert_eq!(parse_tag("es-419").region.as_deref(), Some("419"));
}

#[test]
fn every_phrase_is_moderation_clean_and_well_formed() {
    for lang in Lang::ALL {
        let book = phrases::book(lang);
        for p in book.all_phrases() {
            assert!(
                moderation::check(&[p], &[]).is_empty(),
                "{lang:?}: {p:?} would be flagged"
            );
            let mut rest = p;
            while let Some(i) = rest.find('{') {
                let name = &rest[i + 1..rest[i..].find('}').map_or(i + 1, |j| i + j)];
                assert!(
                    ["product", "audience", "Key", "goal"].contains(&name),
                    "{lang:?}: unknown placeholder in {p:?}"
                );
                rest = &rest[i + 1..];
            }
        }
        let titles: HashSet<&str> = book.archetypes.iter().flat_map(|a| a.titles).collect();
        assert_eq!(titles.len(), 20, "{lang:?}: every title template is different");
        let tags: HashSet<&str> = book
            .archetypes
            .iter()
            .map(|a| a.tag)
            .chain(book.tags.iter().copied())
            .collect();
        assert_eq!(tags.len(), 18, "{lang:?}: every hashtag template is different");
    }
}
