//! Behaviour of the built-in generator across locales, platforms, seeds,
//! instructions, banned words and brief lengths.

mod content;
mod limits;

use super::golden::{LOCALES, brand, brief_for};
use super::locales::Lang;
use super::phrases;
use super::{BuiltinText, angles, compose, locales};
use crate::domain::campaign::{Brief, Platform};
use crate::pipeline::provider::{AngleDraft, BrandVoice, ContextPack, CopyDraft, ProviderError, TextProvider};
use crate::pipeline::text::char_count;
use std::collections::HashSet;

pub(super) fn ctx(brief: &Brief, locale: &str, brand: &BrandVoice) -> ContextPack {
    locales::context_pack(brief, locale, brand)
}

pub(super) fn gen_angles(
    brief: &Brief,
    ctx: &ContextPack,
    brand: &BrandVoice,
    n: usize,
    instr: Option<&str>,
    seed: u64,
) -> Vec<AngleDraft> {
    angles::angles(brief, ctx, brand, n, instr, seed).unwrap()
}

pub(super) fn gen_copy(
    brief: &Brief,
    ctx: &ContextPack,
    brand: &BrandVoice,
    angle: &AngleDraft,
    platform: Platform,
    instr: Option<&str>,
    seed: u64,
) -> CopyDraft {
    compose::copy(&compose::Request {
        brief,
        ctx,
        brand,
        angle,
        platform,
        instructions: instr,
        seed,
    })
}

/// Everything one locale gets: 10 angles and a copy of each on every platform.
pub(super) fn campaign(brief: &Brief, locale: &str, brand: &BrandVoice, instr: Option<&str>, seed: u64) -> String {
    let ctx = ctx(brief, locale, brand);
    let angles = gen_angles(brief, &ctx, brand, 10, instr, seed);
    let copies: Vec<CopyDraft> = angles
        .iter()
        .flat_map(|a| Platform::ALL.map(|p| gen_copy(brief, &ctx, brand, a, p, instr, seed)))
        .collect();
    serde_json::to_string(&(ctx, angles, copies)).unwrap()
}

pub(super) fn copy_texts(c: &CopyDraft) -> Vec<&str> {
    let mut t = vec![c.body.as_str()];
    t.extend(c.headline.as_deref());
    t.extend(c.call_to_action.as_deref());
    t
}

pub(super) fn is_emoji(c: char) -> bool {
    matches!(c as u32, 0x1F300..=0x1FAFF | 0x2600..=0x27BF | 0x2B50)
}

#[test]
fn same_input_gives_byte_identical_output() {
    for locale in LOCALES {
        let brief = brief_for(locale);
        let a = campaign(&brief, locale, &brand(), Some("more playful"), 7);
        let b = campaign(&brief, locale, &brand(), Some("more playful"), 7);
        assert_eq!(a, b, "{locale}");
    }
}

#[test]
fn another_seed_gives_other_wording() {
    for locale in LOCALES {
        let brief = brief_for(locale);
        let ctx = ctx(&brief, locale, &brand());
        let angle_sets: HashSet<String> = (0..8)
            .map(|seed| serde_json::to_string(&gen_angles(&brief, &ctx, &brand(), 3, None, seed)).unwrap())
            .collect();
        assert!(
            angle_sets.len() >= 7,
            "{locale}: only {} distinct angle sets of 8",
            angle_sets.len()
        );
        let campaigns: HashSet<String> = (0..4)
            .map(|seed| campaign(&brief, locale, &brand(), None, seed))
            .collect();
        assert_eq!(campaigns.len(), 4, "{locale}");
        let angle = &gen_angles(&brief, &ctx, &brand(), 1, None, 0)[0];
        for platform in Platform::ALL {
            let copies: HashSet<String> = (0..8)
                .map(|seed| {
                    serde_json::to_string(&gen_copy(&brief, &ctx, &brand(), angle, platform, None, seed)).unwrap()
                })
                .collect();
            // A copy of one given angle has little room to vary (its hook, the brief's call to action
            // and the lead hashtags stay); across a campaign the angles differ too.
            assert!(
                copies.len() >= 2,
                "{locale} {platform:?}: only {} distinct copies of 8",
                copies.len()
            );
        }
    }
}

#[test]
fn ten_angles_per_locale_have_distinct_titles_and_hooks() {
    for locale in LOCALES
        .into_iter()
        .chain(["de-AT", "es-MX", "fr-CA", "pt-PT", "zh-Hant-TW"])
    {
        let brief = brief_for(locale);
        let ctx = ctx(&brief, locale, &brand());
        for seed in 0..5 {
            let angles = gen_angles(&brief, &ctx, &brand(), 10, None, seed);
            assert_eq!(angles.len(), 10);
            let titles: HashSet<String> = angles.iter().map(|a| a.title.to_lowercase()).collect();
            let hooks: HashSet<&str> = angles.iter().map(|a| a.hook.as_str()).collect();
            assert_eq!(
                titles.len(),
                10,
                "{locale}: {:?}",
                angles.iter().map(|a| &a.title).collect::<Vec<_>>()
            );
            assert_eq!(hooks.len(), 10, "{locale}");
            for a in &angles {
                assert!(
                    !a.title.is_empty() && !a.hook.is_empty() && a.rationale.is_some(),
                    "{a:?}"
                );
                assert!(
                    a.hook.contains(brief.product.as_str()) || a.title.contains(brief.product.as_str()),
                    "{a:?}"
                );
            }
        }
    }
}

#[tokio::test]
async fn angle_counts_outside_one_to_ten_are_rejected() {
    let brief = brief_for("en");
    let p = BuiltinText::new();
    let ctx = p.context(&brief, "en", &brand()).await.unwrap();
    for n in [0, 11] {
        let err = p.angles(&brief, &ctx, &brand(), n, None, 1).await.unwrap_err();
        assert!(matches!(err, ProviderError::Rejected(_)), "{n}: {err:?}");
    }
    assert_eq!(p.provider(), "builtin");
    assert_eq!(p.model(), "builtin-templates-v1");
    assert_eq!(p.prompt_version(), "builtin-1");
}

#[test]
fn instructions_change_the_output_deterministically() {
    for locale in LOCALES {
        let brief = brief_for(locale);
        let plain = campaign(&brief, locale, &brand(), None, 3);
        let playful = campaign(&brief, locale, &brand(), Some("more playful"), 3);
        let unknown = campaign(&brief, locale, &brand(), Some("mention the autumn"), 3);
        assert_ne!(plain, playful, "{locale}");
        assert_ne!(plain, unknown, "{locale}: any instruction reseeds the wording");
        assert_eq!(
            playful,
            campaign(&brief, locale, &brand(), Some("more playful"), 3),
            "{locale}"
        );
    }
}

#[test]
fn recognised_keywords_change_tone() {
    let brief = brief_for("en");
    let brand = brand();
    let ctx = ctx(&brief, "en", &brand);
    let copies = |instr: Option<&str>, platform| {
        let angles = gen_angles(&brief, &ctx, &brand, 10, instr, 5);
        angles
            .iter()
            .map(|a| gen_copy(&brief, &ctx, &brand, a, platform, instr, 5))
            .collect::<Vec<_>>()
    };
    let emoji_count = |cs: &[CopyDraft]| {
        cs.iter()
            .map(|c| c.body.chars().filter(|c| is_emoji(*c)).count())
            .sum::<usize>()
    };
    let plain_li = copies(None, Platform::Linkedin);
    let playful_li = copies(Some("make it more playful"), Platform::Linkedin);
    assert!(
        emoji_count(&playful_li) > emoji_count(&plain_li),
        "playful adds emoji on LinkedIn"
    );
    for instr in ["no emoji please", "keep it formal"] {
        for platform in Platform::ALL {
            for c in copies(Some(instr), platform) {
                assert!(!c.body.chars().any(is_emoji), "{instr} / {platform:?}: {}", c.body);
            }
        }
    }
    let short: usize = copies(Some("short and punchy"), Platform::Instagram)
        .iter()
        .map(|c| char_count(&c.body))
        .sum();
    let long: usize = copies(None, Platform::Instagram)
        .iter()
        .map(|c| char_count(&c.body))
        .sum();
    assert!(short < long, "short {short} vs {long}");
    let formal = gen_angles(&brief, &ctx, &brand, 10, Some("formal"), 5);
    let playful = gen_angles(&brief, &ctx, &brand, 10, Some("playful"), 5);
    let book = phrases::book(Lang::En);
    let starts_like = |hook: &str, variant: usize| {
        book.archetypes
            .iter()
            .any(|a| hook.starts_with(a.hooks[variant].split('{').next().unwrap()))
    };
    for (f, p) in formal.iter().zip(&playful) {
        assert!(
            starts_like(&f.hook, 0) && !starts_like(&f.hook, 1),
            "formal takes the sober hook: {f:?}"
        );
        assert!(
            starts_like(&p.hook, 1) && !starts_like(&p.hook, 0),
            "playful takes the lively hook: {p:?}"
        );
    }
    for seed in 0..10 {
        let urgent = gen_angles(&brief, &ctx, &brand, 3, Some("add some urgency"), seed);
        assert!(
            book.archetypes[2]
                .titles
                .iter()
                .any(|t| urgent[0].title.starts_with(t.split('{').next().unwrap())),
            "{urgent:?}"
        );
    }
}
