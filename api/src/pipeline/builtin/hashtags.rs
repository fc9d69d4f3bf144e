//! Hashtags from the product, the audience and the angle, topped up with the
//! language's generic tags.

use super::angles;
use super::phrases::Phrasebook;
use super::rng::Rng;
use super::words;
use crate::domain::campaign::Brief;
use crate::pipeline::provider::AngleDraft;

/// Longer tags read as noise.
const MAX_TAG_CHARS: usize = 30;

/// `count` hashtags: `#` and letters/digits/underscores only, unique
/// case-insensitively, none with a banned word inside and none equal to the
/// ad disclosure (the body carries that).
pub(super) fn hashtags(
    brief: &Brief,
    angle: &AngleDraft,
    book: &Phrasebook,
    banned: &[Vec<String>],
    disclosure: &str,
    count: usize,
    rng: &mut Rng,
) -> Vec<String> {
    let stop = book.stopwords;
    let product = words::content_words(&brief.product, &[], 1);
    let pair = adjacent_pair(&brief.audience, stop);

    let mut lead: Vec<String> = Vec::new();
    if !product.is_empty() && product.len() <= 4 {
        lead.push(words::camel(&product));
    }
    if let Some(arch) = angles::archetype_of(&angle.title, brief, book, banned) {
        lead.push(book.archetypes[arch.index()].tag.to_string());
    }
    if let Some(pair) = &pair {
        lead.push(words::camel(pair));
    }

    // Words an angle brings of its own (a person's or a model's), not the
    // built-in templates' wording, which would make tags like #Everyday.
    let template_words: Vec<String> = book
        .archetypes
        .iter()
        .flat_map(|a| a.titles)
        .flat_map(|t| words::content_words(t, &[], 1))
        .map(|w| w.to_lowercase())
        .collect();
    let mut primary: Vec<String> = words::content_words(&angle.title, stop, 5)
        .into_iter()
        .filter(|w| !template_words.contains(&w.to_lowercase()))
        .collect();
    if product.len() > 1 {
        primary.extend(product.iter().filter(|w| w.chars().count() >= 4).cloned());
    }
    let in_pair = |w: &String| pair.as_ref().is_some_and(|p| p.contains(w));
    primary.extend(
        words::content_words(&brief.audience, stop, 5)
            .into_iter()
            .filter(|w| !in_pair(w)),
    );
    // Free-text messages and goals make the weakest tags; they only fill gaps.
    let mut secondary: Vec<String> = Vec::new();
    for k in brief.key_messages.iter().take(3) {
        let longest = words::content_words(k, stop, 7)
            .into_iter()
            .max_by_key(|w| w.chars().count());
        secondary.extend(longest);
    }
    if let Some(goal) = &brief.goal {
        secondary.extend(words::content_words(goal, stop, 6));
    }
    let mut primary: Vec<String> = primary.iter().map(|w| words::camel(&[w])).collect();
    let mut secondary: Vec<String> = secondary.iter().map(|w| words::camel(&[w])).collect();
    let mut generic: Vec<String> = book.tags.iter().map(|t| (*t).to_string()).collect();
    rng.shuffle(&mut primary);
    rng.shuffle(&mut generic);
    rng.shuffle(&mut secondary);

    // Lead tags, then brief words and generic tags taking turns.
    let mut candidates = lead;
    for i in 0..primary.len().max(generic.len()) {
        candidates.extend(primary.get(i).cloned());
        candidates.extend(generic.get(i).cloned());
    }
    candidates.extend(secondary);

    let disclosure = disclosure.trim_start_matches('#').to_lowercase();
    let mut out: Vec<String> = Vec::with_capacity(count);
    for c in candidates {
        if out.len() == count {
            break;
        }
        let body: String = c.chars().filter(|ch| ch.is_alphanumeric() || *ch == '_').collect();
        let lower = body.to_lowercase();
        let fits = body.chars().any(char::is_alphabetic) && body.chars().count() <= MAX_TAG_CHARS;
        let fresh = !out.iter().any(|t| t[1..].to_lowercase() == lower);
        if fits && fresh && lower != disclosure && !words::tag_is_banned(&body, banned) {
            out.push(format!("#{body}"));
        }
    }
    out
}

/// The first two neighbouring content words (`remote workers`, `home office`).
fn adjacent_pair(text: &str, stopwords: &[&str]) -> Option<[String; 2]> {
    let tokens: Vec<&str> = text
        .split(|c: char| !c.is_alphanumeric())
        .filter(|t| !t.is_empty())
        .collect();
    let good = |w: &str| {
        w.chars().count() >= 4 && w.chars().any(char::is_alphabetic) && !stopwords.contains(&w.to_lowercase().as_str())
    };
    tokens
        .windows(2)
        .find(|w| good(w[0]) && good(w[1]))
        .map(|w| [w[0].to_string(), w[1].to_string()])
}
