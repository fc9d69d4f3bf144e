//! Fitting a body into a platform's limit: optional blocks go first, then
//! shrinkable ones are shortened at word boundaries.

use crate::pipeline::text::{char_count, shorten};

/// A piece of the body. Optional blocks go first (highest `drop_rank`, then
/// the latest); shrinkable ones are shortened only when that is not enough.
pub(super) struct Block {
    text: String,
    sep: &'static str,
    required: bool,
    drop_rank: u8,
    shrink: bool,
}

impl Block {
    pub(super) fn required(text: impl Into<String>, sep: &'static str) -> Self {
        Self {
            text: text.into(),
            sep,
            required: true,
            drop_rank: 0,
            shrink: false,
        }
    }
    pub(super) fn shrinkable(text: impl Into<String>, sep: &'static str) -> Self {
        Self {
            shrink: true,
            ..Self::required(text, sep)
        }
    }
    pub(super) fn optional(text: impl Into<String>, sep: &'static str, drop_rank: u8) -> Self {
        Self {
            text: text.into(),
            sep,
            required: false,
            drop_rank,
            shrink: false,
        }
    }
}

fn join(blocks: &[Block], keep: &[bool]) -> String {
    let mut out = String::new();
    for (b, _) in blocks.iter().zip(keep).filter(|(b, k)| **k && !b.text.is_empty()) {
        if !out.is_empty() {
            out.push_str(b.sep);
        }
        out.push_str(&b.text);
    }
    out
}

/// The body within `budget` characters.
pub(super) fn fit(mut blocks: Vec<Block>, budget: usize) -> String {
    let mut keep = vec![true; blocks.len()];
    loop {
        let body = join(&blocks, &keep);
        if char_count(&body) <= budget {
            return body;
        }
        let next = (0..blocks.len())
            .filter(|i| keep[*i] && !blocks[*i].required)
            .max_by_key(|i| (blocks[*i].drop_rank, *i));
        match next {
            Some(i) => keep[i] = false,
            None => break,
        }
    }
    for i in 0..blocks.len() {
        let over = char_count(&join(&blocks, &keep)).saturating_sub(budget);
        if over == 0 {
            break;
        }
        if keep[i] && blocks[i].shrink {
            let target = char_count(&blocks[i].text).saturating_sub(over);
            blocks[i].text = shorten(&blocks[i].text, target);
        }
    }
    let body = join(&blocks, &keep);
    // Last resort (a call to action near the whole budget): one line, whole words.
    if char_count(&body) <= budget {
        body
    } else {
        shorten(&body, budget)
    }
}

/// Sentences of `text`, each with its closing punctuation.
fn sentences(text: &str) -> Vec<&str> {
    let mut out = Vec::new();
    let mut start = 0;
    let mut chars = text.char_indices().peekable();
    while let Some((i, c)) = chars.next() {
        let at_break = chars.peek().is_none_or(|(_, n)| n.is_whitespace());
        if matches!(c, '.' | '!' | '?' | '…') && at_break {
            let end = i + c.len_utf8();
            out.push(text[start..end].trim());
            start = end;
        }
    }
    if !text[start..].trim().is_empty() {
        out.push(text[start..].trim());
    }
    out
}

/// As many whole sentences as fit in `max` characters (at least one).
pub(super) fn punchy(text: &str, max: usize) -> String {
    let mut out = String::new();
    for s in sentences(text) {
        if !out.is_empty() && char_count(&out) + 1 + char_count(s) > max {
            break;
        }
        if !out.is_empty() {
            out.push(' ');
        }
        out.push_str(s);
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sentences_split_after_closing_punctuation_only() {
        assert_eq!(
            sentences("Sound familiar? Yes. v1.5 ships… Now"),
            vec!["Sound familiar?", "Yes.", "v1.5 ships…", "Now"]
        );
        assert_eq!(punchy("One. Two two. Three three three.", 13), "One. Two two.");
        assert_eq!(punchy("A very long first sentence.", 5), "A very long first sentence.");
    }

    #[test]
    fn fit_drops_optional_blocks_before_shortening() {
        let blocks = vec![
            Block::shrinkable("Hook sentence here.", ""),
            Block::optional("Nice to have.", " ", 2),
            Block::required("#ad", " "),
        ];
        assert_eq!(fit(blocks, 23), "Hook sentence here. #ad");
        let blocks = vec![
            Block::shrinkable("Hook sentence here.", ""),
            Block::required("#ad", " "),
        ];
        assert_eq!(fit(blocks, 18), "Hook sentence… #ad");
    }
}
