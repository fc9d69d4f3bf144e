//! COPIES: one angle on one platform, in that platform's style.

use super::angles::{self, book_for};
use super::hashtags;
use super::layout::{Block, fit, punchy};
use super::phrases::Phrasebook;
use super::rng::Rng;
use super::style::Style;
use super::words::{self, Vars};
use crate::domain::campaign::{Brief, Platform};
use crate::pipeline::provider::{AngleDraft, BrandVoice, ContextPack, CopyDraft};
use crate::pipeline::text::{char_count, shorten};

/// Single-scalar emoji only, so character counts stay predictable.
const OPENERS: &[&str] = &["✨", "🚀", "💡", "🙌", "🎯", "⭐"];
const WINKS: &[&str] = &["😉", "🎉", "😍", "🙌"];

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
    let has = |stems: &[&str]| stems.iter().any(|s| goal.contains(s));
    let c = &book.ctas;
    let set = if has(&[
        "pre-order",
        "preorder",
        "pre order",
        "précommande",
        "precommande",
        "pré-commande",
        "vorbestell",
        "preventa",
        "pre-venta",
        "pré-venda",
        "pre-venda",
        "pré-encomenda",
    ]) {
        c.preorder
    } else if has(&[
        "sign up",
        "signup",
        "sign-up",
        "regist",
        "subscri",
        "newsletter",
        "waitlist",
        "lead",
        "inscri",
        "suscri",
        "abonn",
        "anmeld",
        "cadastr",
    ]) {
        c.signup
    } else if has(&[
        "download",
        "install",
        "descarg",
        "télécharg",
        "herunterlad",
        "baixar",
        "baixe",
    ]) {
        c.download
    } else if has(&[
        "book",
        "reserv",
        "demo",
        "appointment",
        "termin",
        "cita",
        "rendez-vous",
        "agend",
    ]) {
        c.book
    } else if has(&[
        "sale", "sell", "buy", "shop", "purchase", "order", "revenue", "venta", "compra", "achat", "vente", "command",
        "kauf", "umsatz", "bestell", "vend", "pedido", "encomend",
    ]) {
        c.shop
    } else {
        c.learn
    };
    words::scrub(rng.pick(&set), banned)
}

fn cta_line(book: &Phrasebook, cta: &str, target: Option<&str>, arrow: bool) -> String {
    match (target, arrow) {
        (Some(t), true) => format!("{cta} 👉 {t}"),
        (Some(t), false) => format!("{cta}{}{t}", book.colon),
        (None, true) => format!("👉 {cta}"),
        (None, false) => words::sentence(cta),
    }
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
    let arrow = style.emoji_ok();
    let mut blocks: Vec<Block> = Vec::new();
    match platform {
        Platform::X => {
            blocks.push(Block::shrinkable(format!("{}{wink}", punchy(&hook, 140)), ""));
            if let (Some(k), false) = (keys.first(), style.short) {
                blocks.push(Block::optional(k.clone(), " ", 2));
            }
            blocks.extend(urgency.map(|u| Block::optional(u, " ", 1)));
            blocks.push(Block::shrinkable(cta_line(book, &cta, url, arrow), "\n\n"));
            blocks.push(Block::required(disclosure, " "));
        }
        Platform::Facebook => {
            // Primary text is short: the hook's opening and, room permitting, one key message.
            let (max, key) = match keys.first() {
                Some(k) if !style.short => (40, Some(k)),
                _ => (80, None),
            };
            let lead = punchy(&hook, max);
            blocks.push(Block::shrinkable(
                if arrow { format!("{opener} {lead}{wink}") } else { lead },
                "",
            ));
            blocks.extend(key.map(|k| Block::optional(k.clone(), " ", 2)));
            blocks.push(Block::shrinkable(cta_line(book, &cta, None, arrow), " "));
            blocks.push(Block::required(disclosure, " "));
        }
        Platform::Instagram | Platform::Tiktok => {
            let tiktok = platform == Platform::Tiktok;
            let (para, bullets) = if tiktok {
                ("\n", 1)
            } else {
                ("\n\n", if style.short { 1 } else { 3 })
            };
            if tiktok {
                let pov = line(book.tiktok_pov);
                let pov = if arrow { format!("{pov} {opener}") } else { pov };
                blocks.push(Block::optional(pov, "", 3));
            }
            let lead = if arrow && !tiktok {
                format!("{opener} {hook}")
            } else {
                hook.clone()
            };
            blocks.push(Block::shrinkable(lead, para));
            blocks.push(Block::required(disclosure, " "));
            if !tiktok && !style.short {
                blocks.push(Block::optional(line(book.made_for), para, 3));
            }
            let bullet = if arrow { "✅" } else { "–" };
            for (i, k) in keys
                .iter()
                .take(if style.short && tiktok { 0 } else { bullets })
                .enumerate()
            {
                blocks.push(Block::optional(
                    format!("{bullet} {k}"),
                    if i == 0 { para } else { "\n" },
                    2,
                ));
            }
            blocks.extend(urgency.map(|u| Block::optional(u, para, 1)));
            blocks.extend(sign_off.map(|s| Block::optional(s, para, 4)));
            blocks.push(Block::shrinkable(
                cta_line(book, &cta, Some(book.link_in_bio), arrow),
                para,
            ));
        }
        Platform::Linkedin => {
            let lead = if style.emoji_extra() {
                format!("{opener} {hook}")
            } else {
                hook.clone()
            };
            blocks.push(Block::shrinkable(lead, ""));
            blocks.push(Block::required(disclosure, " "));
            let bullets: Vec<&String> = keys.iter().take(if style.short { 2 } else { 5 }).collect();
            if !bullets.is_empty() && !style.short {
                blocks.push(Block::optional(line(rng.pick(&book.linkedin_intro)), "\n\n", 3));
            }
            let bullet = if style.emoji_extra() { "✅" } else { "•" };
            for (i, k) in bullets.into_iter().enumerate() {
                blocks.push(Block::optional(
                    format!("{bullet} {k}"),
                    if i == 0 { "\n\n" } else { "\n" },
                    2,
                ));
            }
            blocks.extend(urgency.map(|u| Block::optional(u, "\n\n", 1)));
            blocks.extend(close.map(|c| Block::optional(c, "\n\n", 4)));
            blocks.push(Block::shrinkable(
                cta_line(book, &cta, url, style.emoji_extra()),
                "\n\n",
            ));
        }
    }
    let headline_max = if platform == Platform::Facebook { 40 } else { 70 };
    CopyDraft {
        headline: Some(shorten(&title, headline_max)).filter(|h| !h.is_empty()),
        body: fit(blocks, budget),
        call_to_action: Some(cta).filter(|c| !c.is_empty()),
        hashtags,
    }
}
