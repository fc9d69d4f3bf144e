//! How each platform's body is laid out: which blocks, in which order,
//! which may be dropped to fit. X is short and punchy, Facebook a short
//! primary text, Instagram and TikTok casual with line breaks, LinkedIn
//! professional and longer.

use super::layout::{Block, punchy};
use super::phrases::Phrasebook;
use super::style::Style;
use super::words;

/// Everything a layout draws from, already scrubbed of banned words.
pub(super) struct Parts<'a> {
    pub(super) book: &'static Phrasebook,
    pub(super) style: Style,
    pub(super) hook: String,
    /// Key messages not already in the hook, in this copy's order.
    pub(super) keys: Vec<String>,
    pub(super) cta: &'a str,
    pub(super) url: Option<&'a str>,
    pub(super) disclosure: &'a str,
    pub(super) opener: &'static str,
    /// A trailing emoji for playful tones (empty otherwise).
    pub(super) wink: String,
    pub(super) urgency: Option<String>,
    pub(super) sign_off: Option<String>,
    pub(super) close: Option<String>,
    pub(super) intro: String,
    pub(super) made_for: String,
    pub(super) pov: String,
}

impl Parts<'_> {
    fn cta_line(&self, target: Option<&str>, arrow: bool) -> String {
        match (target, arrow) {
            (Some(t), true) => format!("{} 👉 {t}", self.cta),
            (Some(t), false) => format!("{}{}{t}", self.cta, self.book.colon),
            (None, true) => format!("👉 {}", self.cta),
            (None, false) => words::sentence(self.cta),
        }
    }
}

pub(super) fn x(p: &Parts<'_>) -> Vec<Block> {
    let mut blocks = vec![Block::shrinkable(format!("{}{}", punchy(&p.hook, 140), p.wink), "")];
    if let (Some(k), false) = (p.keys.first(), p.style.short) {
        blocks.push(Block::optional(k.clone(), " ", 2));
    }
    blocks.extend(p.urgency.clone().map(|u| Block::optional(u, " ", 1)));
    blocks.push(Block::shrinkable(p.cta_line(p.url, p.style.emoji_ok()), "\n\n"));
    blocks.push(Block::required(p.disclosure, " "));
    blocks
}

/// The link goes in the ad's own field, so the primary text has none.
pub(super) fn facebook(p: &Parts<'_>) -> Vec<Block> {
    // The hook's opening and, room permitting, one key message.
    let (max, key) = match p.keys.first() {
        Some(k) if !p.style.short => (40, Some(k)),
        _ => (80, None),
    };
    let lead = punchy(&p.hook, max);
    let arrow = p.style.emoji_ok();
    let lead = if arrow {
        format!("{} {lead}{}", p.opener, p.wink)
    } else {
        lead
    };
    let mut blocks = vec![Block::shrinkable(lead, "")];
    blocks.extend(key.map(|k| Block::optional(k.clone(), " ", 2)));
    blocks.push(Block::shrinkable(p.cta_line(None, arrow), " "));
    blocks.push(Block::required(p.disclosure, " "));
    blocks
}

/// Instagram and TikTok captions can't link, so they send people to the bio.
pub(super) fn caption(p: &Parts<'_>, tiktok: bool) -> Vec<Block> {
    let arrow = p.style.emoji_ok();
    let (para, bullets) = match (tiktok, p.style.short) {
        (true, true) => ("\n", 0),
        (true, false) => ("\n", 1),
        (false, true) => ("\n\n", 1),
        (false, false) => ("\n\n", 3),
    };
    let mut blocks = Vec::new();
    if tiktok {
        let pov = if arrow {
            format!("{} {}", p.pov, p.opener)
        } else {
            p.pov.clone()
        };
        blocks.push(Block::optional(pov, "", 3));
    }
    let lead = if arrow && !tiktok {
        format!("{} {}", p.opener, p.hook)
    } else {
        p.hook.clone()
    };
    blocks.push(Block::shrinkable(lead, para));
    blocks.push(Block::required(p.disclosure, " "));
    if !tiktok && !p.style.short {
        blocks.push(Block::optional(p.made_for.clone(), para, 3));
    }
    let bullet = if arrow { "✅" } else { "–" };
    for (i, k) in p.keys.iter().take(bullets).enumerate() {
        blocks.push(Block::optional(
            format!("{bullet} {k}"),
            if i == 0 { para } else { "\n" },
            2,
        ));
    }
    blocks.extend(p.urgency.clone().map(|u| Block::optional(u, para, 1)));
    blocks.extend(p.sign_off.clone().map(|s| Block::optional(s, para, 4)));
    blocks.push(Block::shrinkable(p.cta_line(Some(p.book.link_in_bio), arrow), para));
    blocks
}

pub(super) fn linkedin(p: &Parts<'_>) -> Vec<Block> {
    let extra = p.style.emoji_extra();
    let lead = if extra {
        format!("{} {}", p.opener, p.hook)
    } else {
        p.hook.clone()
    };
    let mut blocks = vec![Block::shrinkable(lead, ""), Block::required(p.disclosure, " ")];
    let bullets: Vec<&String> = p.keys.iter().take(if p.style.short { 2 } else { 5 }).collect();
    if !bullets.is_empty() && !p.style.short {
        blocks.push(Block::optional(p.intro.clone(), "\n\n", 3));
    }
    let bullet = if extra { "✅" } else { "•" };
    for (i, k) in bullets.into_iter().enumerate() {
        blocks.push(Block::optional(
            format!("{bullet} {k}"),
            if i == 0 { "\n\n" } else { "\n" },
            2,
        ));
    }
    blocks.extend(p.urgency.clone().map(|u| Block::optional(u, "\n\n", 1)));
    blocks.extend(p.close.clone().map(|c| Block::optional(c, "\n\n", 4)));
    blocks.push(Block::shrinkable(p.cta_line(p.url, extra), "\n\n"));
    blocks
}
