//! Property: any brief, however long, gives bodies within the platform
//! limits, made of whole words of the brief and the templates.

use super::{ctx, gen_angles, gen_copy};
use crate::domain::campaign::{Brief, Platform};
use crate::pipeline::builtin::locales::Lang;
use crate::pipeline::builtin::phrases;
use crate::pipeline::provider::BrandVoice;
use crate::pipeline::text::char_count;
use std::collections::HashSet;

/// A pseudo-random brief: `size` 0..=3 from minimal to the longest Brief::parse allows.
fn random_brief(state: &mut u64, size: u64) -> Brief {
    const VOCAB: &[&str] = &[
        "lamp",
        "über",
        "naïve",
        "日本語",
        "light",
        "Straße",
        "café",
        "supercalifragilisticexpialidocious",
        "déjà-vu",
        "quick",
        "brown",
        "🚀",
        "ok,",
        "àçcénts",
        "Ünïcödé",
        "x",
        "co-working",
        "l'écran",
        "e-bike",
        "9000",
    ];
    let mut next = || {
        *state = state
            .wrapping_mul(6364136223846793005)
            .wrapping_add(1442695040888963407);
        *state >> 33
    };
    let text = |max_chars: usize, next: &mut dyn FnMut() -> u64| {
        let target = (next() as usize % (max_chars + 1)).max(1) * (size as usize + 1) / 4;
        let mut out = String::new();
        loop {
            let w = VOCAB[next() as usize % VOCAB.len()];
            if char_count(&out) + 1 + char_count(w) > target.max(1) {
                break;
            }
            if !out.is_empty() {
                out.push(' ');
            }
            out.push_str(w);
        }
        if out.is_empty() { "lamp".to_string() } else { out }
    };
    let keys = (next() % 11) as usize * size as usize / 3;
    Brief {
        product: text(200, &mut next),
        audience: text(500, &mut next),
        goal: Some(text(500, &mut next)),
        tone: Some(text(100, &mut next)),
        key_messages: (0..keys).map(|_| text(300, &mut next)).collect(),
        call_to_action: (size > 0).then(|| text(100, &mut next)),
        landing_url: (size > 1).then(|| format!("https://example.com/{}", "a".repeat((next() % 2000) as usize))),
    }
}

#[test]
fn bodies_fit_platform_limits_in_whole_words_for_any_brief() {
    let mut vocabulary: HashSet<String> = HashSet::new();
    let mut add = |t: &str| {
        for w in t.split(|c: char| !c.is_alphanumeric()).filter(|w| !w.is_empty()) {
            vocabulary.insert(w.to_string());
        }
    };
    for lang in Lang::ALL {
        for p in phrases::book(lang).all_phrases() {
            add(p);
        }
    }
    let vocabulary = vocabulary;
    let mut state = 99u64;
    for round in 0..120u64 {
        let brief = random_brief(&mut state, round % 4);
        let locale = ["en", "es-MX", "fr", "de-CH", "pt-BR", "ko"][(round % 6) as usize];
        let brand = BrandVoice {
            voice: None,
            banned_words: vec!["lamp".into()],
        };
        let ctx = ctx(&brief, locale, &brand);
        let angles = gen_angles(&brief, &ctx, &brand, 1 + (round % 10) as usize, None, round);
        let brief_words: HashSet<&str> = [&brief.product, &brief.audience]
            .into_iter()
            .chain(&brief.key_messages)
            .chain(brief.goal.iter())
            .chain(brief.call_to_action.iter())
            .chain(brief.landing_url.iter())
            .flat_map(|t| t.split(|c: char| !c.is_alphanumeric()))
            .collect();
        for a in &angles {
            for platform in Platform::ALL {
                let c = gen_copy(&brief, &ctx, &brand, a, platform, None, round);
                let body_len = char_count(&c.body);
                assert!(
                    body_len <= platform.body_limit(),
                    "round {round} {platform:?}: {body_len} chars"
                );
                if matches!(platform, Platform::X | Platform::Instagram | Platform::Tiktok) {
                    let with_tags = body_len + c.hashtags.iter().map(|t| char_count(t) + 1).sum::<usize>() + 1;
                    assert!(
                        with_tags <= platform.body_limit(),
                        "round {round} {platform:?}: {with_tags} with hashtags"
                    );
                }
                assert!(
                    c.body.contains(&ctx.ad_disclosure),
                    "round {round} {platform:?}: {}",
                    c.body
                );
                assert!(!c.body.contains('\u{FFFD}'));
                for w in c.body.split(|ch: char| !ch.is_alphanumeric()).filter(|w| !w.is_empty()) {
                    let mut chars = w.chars();
                    let uncapitalised: String = chars
                        .next()
                        .into_iter()
                        .flat_map(char::to_lowercase)
                        .chain(chars)
                        .collect();
                    assert!(
                        vocabulary.contains(w)
                            || brief_words.contains(w)
                            || brief_words.contains(uncapitalised.as_str()),
                        "round {round} {platform:?}: {w:?} is not a whole word of the brief or templates\n{}",
                        c.body
                    );
                }
            }
        }
    }
}
