//! The messages for each step. Every prompt names the exact JSON shape the
//! step's schema checks; brief and angle go in as JSON so quoting is safe.

use crate::domain::campaign::{Brief, Platform};
use crate::pipeline::provider::{AngleDraft, BrandVoice, ContextPack};
use serde::Serialize;

/// One chat message.
#[derive(Clone, Debug, Serialize)]
pub(super) struct Message {
    pub(super) role: &'static str,
    pub(super) content: String,
}

impl Message {
    pub(super) fn system(content: impl Into<String>) -> Self {
        Self {
            role: "system",
            content: content.into(),
        }
    }
    pub(super) fn user(content: impl Into<String>) -> Self {
        Self {
            role: "user",
            content: content.into(),
        }
    }
    pub(super) fn assistant(content: impl Into<String>) -> Self {
        Self {
            role: "assistant",
            content: content.into(),
        }
    }
}

const SYSTEM: &str = "You are an experienced performance-marketing copywriter and localisation expert. \
     You write ad copy that is specific, truthful and ready to publish, in the language of the locale you are given. \
     You always reply with one JSON object and nothing else: no Markdown, no code fences, no comments.";

fn json<T: Serialize>(value: &T) -> String {
    serde_json::to_string(value).unwrap_or_default()
}

/// The brand's rules and the free-text instructions, one line each.
fn rules(brand: &BrandVoice, instructions: Option<&str>) -> String {
    let mut out = String::new();
    if let Some(voice) = brand.voice.as_deref().filter(|v| !v.trim().is_empty()) {
        out.push_str(&format!("Brand voice: {voice}.\n"));
    }
    if !brand.banned_words.is_empty() {
        out.push_str(&format!(
            "Never use these words or phrases, in any form or language: {}.\n",
            json(&brand.banned_words)
        ));
    }
    if let Some(i) = instructions.map(str::trim).filter(|i| !i.is_empty()) {
        out.push_str(&format!("Extra instructions from the team: {i}\n"));
    }
    out
}

/// CONTEXT: the built-in conventions go along as a starting point to check.
pub(super) fn context(brief: &Brief, locale: &str, brand: &BrandVoice, known: &ContextPack) -> Vec<Message> {
    let known = serde_json::json!({
        "formality": known.formality,
        "dateFormat": known.date_format,
        "numberFormat": known.number_format,
        "currency": known.currency,
        "adDisclosure": known.ad_disclosure,
        "legalNotes": known.legal_notes,
    });
    let user = format!(
        "Describe the advertising conventions of the locale \"{locale}\" for this campaign.\n\
         Campaign brief: {brief}\n\
         {rules}\
         Known conventions, to verify and correct where they are wrong: {known}\n\
         Reply with JSON of exactly this shape:\n\
         {{\"tone\": string (the tone to write in, for this audience and market), \
         \"formality\": string (e.g. \"informal (tú)\", \"formal (Sie)\"), \
         \"dateFormat\": string (e.g. \"DD/MM/YYYY\"), \"numberFormat\": string (e.g. \"1.234,56\"), \
         \"currency\": string (ISO 4217 code), \
         \"adDisclosure\": string (how paid posts are marked there, e.g. \"#ad\", \"#Werbung\"), \
         \"legalNotes\": [string] (advertising rules to respect there, one per item)}}",
        brief = json(brief),
        rules = rules(brand, None),
    );
    vec![Message::system(SYSTEM), Message::user(user)]
}

fn conventions(ctx: &ContextPack) -> String {
    format!(
        "Locale: \"{}\". Write in its language. Tone: {}. Formality: {}. Dates: {}. Numbers: {}. Currency: {}.\n",
        ctx.locale, ctx.tone, ctx.formality, ctx.date_format, ctx.number_format, ctx.currency
    )
}

/// ANGLES
pub(super) fn angles(
    brief: &Brief,
    ctx: &ContextPack,
    brand: &BrandVoice,
    n: usize,
    instructions: Option<&str>,
) -> Vec<Message> {
    let user = format!(
        "Write exactly {n} distinct creative angles for this campaign.\n\
         Each angle takes a different approach (problem/solution, social proof, urgency, aspiration, comparison, \
         curiosity, how-to, behind the scenes, testimonial, value/price).\n\
         title: at most 60 characters, and no two titles alike. hook: one or two sentences that open the ad. \
         rationale: one sentence for the reviewer on why the angle should work.\n\
         Don't invent facts, numbers, prices or quotes that the brief doesn't give.\n\
         {conventions}{rules}\
         Campaign brief: {brief}\n\
         Reply with JSON of exactly this shape:\n\
         {{\"angles\": [{{\"title\": string, \"hook\": string, \"rationale\": string}}]}} with exactly {n} items.",
        conventions = conventions(ctx),
        rules = rules(brand, instructions),
        brief = json(brief),
    );
    vec![Message::system(SYSTEM), Message::user(user)]
}

fn style(platform: Platform) -> &'static str {
    match platform {
        Platform::X => "short and punchy: one or two sentences, at most one emoji",
        Platform::Linkedin => "professional and informative: short paragraphs, a few bullet points, no slang",
        Platform::Instagram => "casual and visual: short paragraphs separated by line breaks, a few fitting emoji",
        Platform::Tiktok => "casual and energetic: short lines, the hook in the first line",
        Platform::Facebook => "primary text of one or two short sentences, about 125 characters",
    }
}

/// COPIES
pub(super) fn copy(
    brief: &Brief,
    ctx: &ContextPack,
    brand: &BrandVoice,
    angle: &AngleDraft,
    platform: Platform,
    instructions: Option<&str>,
) -> Vec<Message> {
    let tags_in_body = matches!(platform, Platform::X | Platform::Instagram | Platform::Tiktok);
    let link = match (platform, brief.landing_url.as_deref()) {
        (Platform::Instagram | Platform::Tiktok, _) => {
            "Captions can't link: point people to the link in the bio.".into()
        }
        (Platform::Facebook, _) => "The link goes in a separate field: don't put a URL in the body.".into(),
        (_, Some(url)) => format!("End the body with the link {url}."),
        (_, None) => String::new(),
    };
    let cta = match brief.call_to_action.as_deref() {
        Some(c) => format!("Call to action: \"{c}\" (translate it if the brief's language differs)."),
        None => "Write a call to action that fits the goal.".into(),
    };
    let user = format!(
        "Write one {label} post for the angle below.\n\
         Style: {style}.\n\
         The body has at most {limit} characters{incl}. Give exactly {tags} hashtags, each \"#\" followed by \
         letters, digits or underscores only, no duplicates.\n\
         Mark the post as advertising with \"{disclosure}\" in the body, near the start or at the end.\n\
         {link} {cta}\n\
         Don't invent facts, numbers, prices or quotes that the brief doesn't give.\n\
         {conventions}{rules}\
         Campaign brief: {brief}\n\
         Angle: {angle}\n\
         Reply with JSON of exactly this shape:\n\
         {{\"headline\": string (at most 70 characters), \"body\": string, \"callToAction\": string, \
         \"hashtags\": [string]}}",
        label = platform.label(),
        style = style(platform),
        limit = platform.body_limit(),
        incl = if tags_in_body { ", hashtags included" } else { "" },
        tags = platform.hashtag_count(),
        disclosure = ctx.ad_disclosure,
        conventions = conventions(ctx),
        rules = rules(brand, instructions),
        brief = json(brief),
        angle = json(angle),
    );
    vec![Message::system(SYSTEM), Message::user(user)]
}

/// The follow-up after an unusable reply: what was wrong, and the ask to fix it.
pub(super) fn repair(error: &str) -> Message {
    Message::user(format!(
        "Your reply could not be used: {error}.\n\
         Reply again with only the corrected JSON object, in exactly the shape asked for above."
    ))
}
