//! Word-level helpers: filling templates, removing banned words with the
//! same word rules as `moderation`, and content words for hashtags.

/// The values a template's placeholders take.
pub(super) struct Vars<'a> {
    pub(super) product: &'a str,
    pub(super) audience: &'a str,
    /// A key message, already a full sentence.
    pub(super) key: &'a str,
    pub(super) goal: &'a str,
}

/// Fills `{product}`, `{audience}`, `{Key}` and `{goal}`; anything else in
/// braces is kept as written.
pub(super) fn render(template: &str, vars: &Vars<'_>) -> String {
    let mut out = String::with_capacity(template.len() + 64);
    let mut rest = template;
    while let Some(open) = rest.find('{') {
        out.push_str(&rest[..open]);
        let after = &rest[open + 1..];
        let Some(close) = after.find('}') else {
            out.push_str(&rest[open..]);
            rest = "";
            break;
        };
        match &after[..close] {
            "product" => out.push_str(vars.product),
            "audience" => out.push_str(vars.audience),
            "Key" => out.push_str(vars.key),
            "goal" => out.push_str(vars.goal),
            other => {
                out.push('{');
                out.push_str(other);
                out.push('}');
            }
        }
        rest = &after[close + 1..];
    }
    out.push_str(rest);
    tidy(&out)
}

/// Collapses runs of spaces, drops spaces before `,` and `.`, trims each
/// line. Line breaks are kept.
pub(super) fn tidy(text: &str) -> String {
    let lines: Vec<String> = text
        .split('\n')
        .map(|line| {
            let mut out = String::with_capacity(line.len());
            for c in line.chars() {
                if c == ' ' && (out.is_empty() || out.ends_with(' ')) {
                    continue;
                }
                if matches!(c, ',' | '.') && out.ends_with(' ') {
                    out.pop();
                }
                out.push(c);
            }
            out.trim_end().to_string()
        })
        .collect();
    lines.join("\n").trim().to_string()
}

/// A one-line, whitespace-normalised sentence with a capital first letter and
/// closing punctuation.
pub(super) fn sentence(text: &str) -> String {
    let text = text.split_whitespace().collect::<Vec<_>>().join(" ");
    let mut chars = text.chars();
    let mut out: String = match chars.next() {
        Some(first) => first.to_uppercase().chain(chars).collect(),
        None => return String::new(),
    };
    if !out.ends_with(['.', '!', '?', '…', ':']) {
        out.push('.');
    }
    out
}

/// Words as `moderation` sees them: letters, digits, apostrophes and inner
/// dashes, lower-cased; with their byte ranges in `text`.
fn word_spans(text: &str) -> Vec<(usize, usize, String)> {
    let mut out = Vec::new();
    let mut start: Option<usize> = None;
    let mut cur = String::new();
    let finish = |start: usize, end: usize, cur: &mut String, out: &mut Vec<(usize, usize, String)>| {
        let word = std::mem::take(cur);
        let trimmed = word.trim_end_matches('-');
        // Each trimmed dash is one byte in `text` too.
        let end = end - (word.len() - trimmed.len());
        out.push((start, end, trimmed.to_string()));
    };
    for (i, c) in text.char_indices() {
        if c.is_alphanumeric() || c == '\'' || c == '’' || (c == '-' && !cur.is_empty()) {
            start.get_or_insert(i);
            cur.extend(c.to_lowercase());
        } else if let Some(s) = start.take() {
            finish(s, i, &mut cur, &mut out);
        }
    }
    if let Some(s) = start {
        finish(s, text.len(), &mut cur, &mut out);
    }
    out
}

/// The brand's banned words and phrases, each split into words.
pub(super) fn banned_phrases(banned: &[String]) -> Vec<Vec<String>> {
    banned
        .iter()
        .map(|b| word_spans(b).into_iter().map(|(_, _, w)| w).collect::<Vec<_>>())
        .filter(|p| !p.is_empty())
        .collect()
}

/// The byte range of the first banned phrase in `text`.
fn first_hit(text: &str, banned: &[Vec<String>]) -> Option<(usize, usize)> {
    let spans = word_spans(text);
    banned.iter().find_map(|phrase| {
        spans
            .windows(phrase.len())
            .find(|w| w.iter().zip(phrase).all(|(s, p)| s.2 == *p))
            .map(|w| (w[0].0, w[phrase.len() - 1].1))
    })
}

pub(super) fn contains_banned(text: &str, banned: &[Vec<String>]) -> bool {
    first_hit(text, banned).is_some()
}

/// `text` without any banned word or phrase.
pub(super) fn scrub(text: &str, banned: &[Vec<String>]) -> String {
    let mut text = text.to_string();
    // Every pass removes at least one character, so this ends.
    while let Some((a, b)) = first_hit(&text, banned) {
        text.replace_range(a..b, "");
    }
    tidy(&text)
}

/// Would a hashtag read as a banned word? Stricter than moderation: the
/// words of a hashtag run together, so a banned word anywhere inside counts.
pub(super) fn tag_is_banned(tag: &str, banned: &[Vec<String>]) -> bool {
    let lower = tag.to_lowercase();
    banned
        .iter()
        .any(|p| lower.contains(&p.concat().replace(['\'', '’', '-'], "")))
}

/// Words worth a hashtag: at least `min` characters, some letter, not a stopword.
pub(super) fn content_words(text: &str, stopwords: &[&str], min: usize) -> Vec<String> {
    text.split(|c: char| !c.is_alphanumeric())
        .filter(|w| w.chars().count() >= min && w.chars().any(char::is_alphabetic))
        .filter(|w| !stopwords.contains(&w.to_lowercase().as_str()))
        .map(str::to_string)
        .collect()
}

/// `remote workers` -> `RemoteWorkers` (the rest of each word is kept, so
/// `iPhone` stays readable as `IPhone` and `USB` as `USB`).
pub(super) fn camel<S: AsRef<str>>(words: &[S]) -> String {
    words
        .iter()
        .flat_map(|w| {
            let mut chars = w.as_ref().chars();
            chars
                .next()
                .map(|first| first.to_uppercase().chain(chars).collect::<String>())
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::pipeline::moderation;

    #[test]
    fn render_fills_placeholders_and_keeps_unknown_ones() {
        let v = Vars {
            product: "Lumen",
            audience: "makers",
            key: "It glows.",
            goal: "sales",
        };
        assert_eq!(
            render("{product} for {audience}. {Key} {other}", &v),
            "Lumen for makers. It glows. {other}"
        );
        assert_eq!(render("open { brace", &v), "open { brace");
    }

    #[test]
    fn scrub_removes_banned_phrases_like_moderation_finds_them() {
        let banned_raw = vec!["cheap".to_string(), "Get Rich".to_string()];
        let banned = banned_phrases(&banned_raw);
        let text = "So CHEAP, get rich now; cheapest stays. Très cheap.";
        let out = scrub(text, &banned);
        assert!(moderation::check(&[&out], &banned_raw).is_empty(), "{out}");
        assert_eq!(out, "So, now; cheapest stays. Très.");
    }

    #[test]
    fn tags_with_a_banned_word_inside_are_banned() {
        let banned = banned_phrases(&["cheap".to_string()]);
        assert!(tag_is_banned("#SuperCheapLamp", &banned));
        assert!(!tag_is_banned("#Lamp", &banned));
    }

    #[test]
    fn sentence_capitalises_and_closes() {
        assert_eq!(sentence("  dims  automatically "), "Dims automatically.");
        assert_eq!(sentence("¿listo?"), "¿listo?");
        assert_eq!(sentence("über alles!"), "Über alles!");
    }
}
