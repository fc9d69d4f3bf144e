//! ANGLES: `n` distinct archetypes per locale, worded from the brief.

use super::locales::Lang;
use super::phrases::{self, Archetype, Phrasebook};
use super::rng::Rng;
use super::style::Style;
use super::words::{self, Vars};
use crate::domain::campaign::Brief;
use crate::pipeline::provider::{AngleDraft, BrandVoice, ContextPack, ProviderError};
use crate::pipeline::text::{self, char_count};

/// One angle per archetype.
pub(super) const MAX_ANGLES: usize = Archetype::ALL.len();
const TITLE_MAX: usize = 90;
/// Titles double as headlines and image overlays; past this, prefer the shorter wording.
const TITLE_SOFT: usize = 60;
const HOOK_MAX: usize = 400;

/// What a request is made of, as seed material: any change gives other choices.
pub(super) fn fingerprint<'a>(
    step: &'a str,
    brief: &'a Brief,
    ctx: &'a ContextPack,
    brand: &'a BrandVoice,
    instructions: Option<&'a str>,
) -> Vec<&'a str> {
    let mut parts = vec![
        step,
        &ctx.locale,
        &ctx.language,
        &brief.product,
        &brief.audience,
        brief.goal.as_deref().unwrap_or_default(),
        brief.tone.as_deref().unwrap_or_default(),
        brief.call_to_action.as_deref().unwrap_or_default(),
        brief.landing_url.as_deref().unwrap_or_default(),
        brand.voice.as_deref().unwrap_or_default(),
        instructions.map(str::trim).unwrap_or_default(),
    ];
    parts.extend(brief.key_messages.iter().map(String::as_str));
    parts
}

/// The phrasebook for the pack's language (English for anything else).
pub(super) fn book_for(ctx: &ContextPack) -> &'static Phrasebook {
    phrases::book(Lang::from_code(&ctx.language).unwrap_or(Lang::En))
}

/// The brief's key messages as sentences, without any that has a banned word.
pub(super) fn key_sentences(brief: &Brief, banned: &[Vec<String>]) -> Vec<String> {
    brief
        .key_messages
        .iter()
        .map(|k| words::sentence(k))
        .filter(|k| !k.is_empty() && !words::contains_banned(k, banned))
        .collect()
}

fn vars<'a>(brief: &'a Brief, key: &'a str) -> Vars<'a> {
    Vars {
        product: brief.product.trim(),
        audience: brief.audience.trim(),
        key,
        goal: brief.goal.as_deref().map(str::trim).unwrap_or_default(),
    }
}

/// An archetype's title, as `angles` writes it.
pub(super) fn title(
    brief: &Brief,
    book: &Phrasebook,
    arch: Archetype,
    variant: usize,
    banned: &[Vec<String>],
) -> String {
    let template = book.archetypes[arch.index()].titles[variant % 2];
    text::shorten(
        &words::scrub(&words::render(template, &vars(brief, "")), banned),
        TITLE_MAX,
    )
}

/// Which archetype wrote `title` (none for angles from elsewhere).
pub(super) fn archetype_of(title: &str, brief: &Brief, book: &Phrasebook, banned: &[Vec<String>]) -> Option<Archetype> {
    Archetype::ALL
        .into_iter()
        .find(|a| (0..2).any(|v| self::title(brief, book, *a, v, banned) == title.trim()))
}

pub(super) fn angles(
    brief: &Brief,
    ctx: &ContextPack,
    brand: &BrandVoice,
    n: usize,
    instructions: Option<&str>,
    seed: u64,
) -> Result<Vec<AngleDraft>, ProviderError> {
    if !(1..=MAX_ANGLES).contains(&n) {
        return Err(ProviderError::Rejected(format!(
            "the built-in generator writes 1 to {MAX_ANGLES} angles per locale, not {n}"
        )));
    }
    let book = book_for(ctx);
    let style = Style::detect(brief.tone.as_deref(), brand.voice.as_deref(), instructions);
    let banned = words::banned_phrases(&brand.banned_words);
    let mut rng = Rng::new(seed, &fingerprint("angles", brief, ctx, brand, instructions));

    let mut order = Archetype::ALL;
    rng.shuffle(&mut order);
    if style.urgent
        && let Some(pos) = order.iter().position(|a| *a == Archetype::Urgency)
    {
        order[..=pos].rotate_right(1);
    }
    let keys = key_sentences(brief, &banned);
    let fallback = words::sentence(&words::render(book.fallback_key, &vars(brief, "")));
    let key_start = rng.below(keys.len());
    let goal = brief
        .goal
        .as_deref()
        .filter(|g| !g.trim().is_empty())
        .map(|_| words::sentence(&words::render(book.goal, &vars(brief, ""))));

    let mut out: Vec<AngleDraft> = Vec::with_capacity(n);
    for (i, arch) in order.into_iter().take(n).enumerate() {
        let text = &book.archetypes[arch.index()];
        let key = keys.get((key_start + i) % keys.len().max(1)).unwrap_or(&fallback);
        let mut variant = rng.below(2);
        let mut title = self::title(brief, book, arch, variant, &banned);
        if char_count(&title) > TITLE_SOFT {
            // A long product or audience makes a long title; the other wording may fit better.
            let other = self::title(brief, book, arch, 1 - variant, &banned);
            if char_count(&other) < char_count(&title) {
                (title, variant) = (other, 1 - variant);
            }
        }
        let taken = |t: &str, out: &[AngleDraft]| out.iter().any(|a| a.title.to_lowercase() == t.to_lowercase());
        if taken(&title, &out) {
            title = self::title(brief, book, arch, 1 - variant, &banned);
        }
        if taken(&title, &out) || title.is_empty() {
            // Only when scrubbing or shortening made two titles alike.
            title = format!("{} {}", title, i + 1).trim().to_string();
        }
        let hook_variant = match (style.formal, style.playful) {
            (true, _) => 0,
            (_, true) => 1,
            _ => rng.below(2),
        };
        let hook = words::render(text.hooks[hook_variant], &vars(brief, key));
        let mut rationale = text.rationale.to_string();
        if let Some(goal) = &goal {
            rationale = format!("{rationale} {goal}");
        }
        out.push(AngleDraft {
            title,
            hook: text::shorten(&words::scrub(&hook, &banned), HOOK_MAX),
            rationale: Some(words::scrub(&rationale, &banned)).filter(|r| !r.is_empty()),
        });
    }
    Ok(out)
}
