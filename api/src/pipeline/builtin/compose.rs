//! COPIES: one angle on one platform, in that platform's style.

use super::angles::{self, book_for};
use super::hashtags;
use super::layout::fit;
use super::phrases::Phrasebook;
use super::platforms::{self, Parts};
use super::rng::Rng;
use super::style::Style;
use super::words::{self, Vars};
use crate::domain::campaign::{Brief, Platform};
use crate::pipeline::provider::{AngleDraft, BrandVoice, ContextPack, CopyDraft};
use crate::pipeline::text::{char_count, shorten};

/// Single-scalar emoji only, so character counts stay predictable.
const OPENERS: &[&str] = &["✨", "🚀", "💡", "🙌", "🎯", "⭐"];
const WINKS: &[&str] = &["😉", "🎉", "😍", "🙌"];

/// What a goal mentions, across the built-in languages, picks the kind of
/// default call to action (checked in this order; `|` separates stems).
const PREORDER: &str = "pre-order|preorder|pre order|précommande|precommande|pré-commande|vorbestell|preventa|\
    pre-venta|pré-venda|pre-venda|pré-encomenda";
const SIGNUP: &str =
    "sign up|signup|sign-up|regist|subscri|newsletter|waitlist|lead|inscri|suscri|abonn|anmeld|cadastr";
const DOWNLOAD: &str = "download|install|descarg|télécharg|herunterlad|baixar|baixe";
const BOOK: &str = "book|reserv|demo|appointment|termin|cita|rendez-vous|agend";
const SHOP: &str = "sale|sell|buy|shop|purchase|order|revenue|venta|compra|achat|vente|command|kauf|umsatz|\
    bestell|vend|pedido|encomend";

/// One copy request, as the trait spells it out.
pub(super) struct Request<'a> {
    pub(super) brief: &'a Brief,
    pub(super) ctx: &'a ContextPack,
    pub(super) brand: &'a BrandVoice,
    pub(super) angle: &'a AngleDraft,
    pub(super) platform: Platform,
    pub(super) instructions: Option<&'a str>,
    pub(super) seed: u64,
}

/// The brief's call to action, or the language's default for the goal.
fn call_to_action(brief: &Brief, book: &Phrasebook, banned: &[Vec<String>], rng: &mut Rng) -> String {
    if let Some(cta) = brief
        .call_to_action
        .as_deref()
        .map(|c| words::scrub(c.trim(), banned))
        .filter(|c| !c.is_empty())
    {
        return cta;
    }
    let goal = brief.goal.as_deref().unwrap_or_default().to_lowercase();
    let has = |stems: &str| stems.split('|').any(|s| goal.contains(s));
    let c = &book.ctas;
    let set = if has(PREORDER) {
        c.preorder
    } else if has(SIGNUP) {
        c.signup
    } else if has(DOWNLOAD) {
        c.download
    } else if has(BOOK) {
        c.book
    } else if has(SHOP) {
        c.shop
    } else {
        c.learn
    };
    words::scrub(rng.pick(&set), banned)
}

pub(super) fn copy(req: &Request<'_>) -> CopyDraft {
    let Request {
        brief,
        ctx,
        brand,
        angle,
        platform,
        instructions,
        seed,
    } = *req;
    let book = book_for(ctx);
    let style = Style::detect(brief.tone.as_deref(), brand.voice.as_deref(), instructions);
    let banned = words::banned_phrases(&brand.banned_words);
    let campaign = angles::fingerprint("copy", brief, ctx, brand, instructions);
    let mut parts = campaign.clone();
    parts.extend([angle.title.as_str(), angle.hook.as_str(), platform.as_str()]);
    let mut rng = Rng::new(seed, &parts);

    let disclosure = Some(ctx.ad_disclosure.trim())
        .filter(|d| !d.is_empty())
        .unwrap_or(book.disclosure);
    // One call to action per campaign and seed, whatever the angle or platform.
    let cta = call_to_action(brief, book, &banned, &mut Rng::new(seed, &campaign));
    let hashtags = hashtags::hashtags(
        brief,
        angle,
        book,
        &banned,
        disclosure,
        platform.hashtag_count(),
        &mut rng,
    );
    let title = words::scrub(&angle.title, &banned);
    let hook = Some(words::scrub(&angle.hook, &banned))
        .filter(|h| !h.is_empty())
        .unwrap_or_else(|| title.clone());
    let mut keys: Vec<String> = angles::key_sentences(brief, &banned)
        .into_iter()
        .filter(|k| !hook.contains(k.trim_end_matches('.')))
        .collect();
    let start = rng.below(keys.len());
    keys.rotate_left(start);
    let vars = Vars {
        product: brief.product.trim(),
        audience: brief.audience.trim(),
        key: "",
        goal: "",
    };
    let line = |template: &str| words::scrub(&words::render(template, &vars), &banned);
    let opener = rng.pick(OPENERS);
    let wink = if style.emoji_extra() {
        format!(" {}", rng.pick(WINKS))
    } else {
        String::new()
    };
    let urgency = style.urgent.then(|| line(rng.pick(&book.urgency)));
    let sign_off_set = if style.playful {
        book.sign_offs.playful
    } else if style.warm {
        book.sign_offs.warm
    } else if style.bold {
        book.sign_offs.bold
    } else {
        book.sign_offs.neutral
    };
    let sign_off = (!style.formal && !style.short).then(|| format!("{}{wink}", line(rng.pick(&sign_off_set))));
    let close = (!style.short).then(|| line(rng.pick(&book.linkedin_close)));

    let intro = line(rng.pick(&book.linkedin_intro));

    let limit = platform.body_limit();
    let budget = match platform {
        // Hashtags share the caption on these platforms.
        Platform::X | Platform::Instagram | Platform::Tiktok if !hashtags.is_empty() => {
            let tags: usize = hashtags.iter().map(|t| char_count(t) + 1).sum();
            limit.saturating_sub(tags + 1)
        }
        _ => limit,
    };
    // A link can't be reworded, so one with a banned word in it stays out of the body.
    let url = brief
        .landing_url
        .as_deref()
        .map(str::trim)
        .filter(|u| !u.is_empty() && char_count(u) <= budget / 4 && !words::contains_banned(u, &banned));
    let parts = Parts {
        book,
        style,
        hook,
        keys,
        cta: &cta,
        url,
        disclosure,
        opener,
        wink,
        urgency,
        sign_off,
        close,
        intro,
        made_for: line(book.made_for),
        pov: line(book.tiktok_pov),
    };
    let blocks = match platform {
        Platform::X => platforms::x(&parts),
        Platform::Facebook => platforms::facebook(&parts),
        Platform::Instagram => platforms::caption(&parts, false),
        Platform::Tiktok => platforms::caption(&parts, true),
        Platform::Linkedin => platforms::linkedin(&parts),
    };
    let headline_max = if platform == Platform::Facebook { 40 } else { 70 };
    CopyDraft {
        headline: Some(shorten(&title, headline_max)).filter(|h| !h.is_empty()),
        body: fit(blocks, budget),
        call_to_action: Some(cta).filter(|c| !c.is_empty()),
        hashtags,
    }
}
