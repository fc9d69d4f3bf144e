//! Text rules shared by generation and human edits: Unicode-aware lengths
//! and shortening at word boundaries.

/// Length in Unicode scalar values (what `characterCount` reports).
pub fn char_count(s: &str) -> usize {
    s.chars().count()
}

/// Shortens `text` to at most `limit` characters, cutting at a word
/// boundary (never inside a word) and ending with an ellipsis when cut.
/// A first word longer than the limit is dropped rather than split.
pub fn shorten(text: &str, limit: usize) -> String {
    let text = text.trim();
    if char_count(text) <= limit {
        return text.to_string();
    }
    if limit == 0 {
        return String::new();
    }
    // room for the ellipsis
    let budget = limit.saturating_sub(1);
    let mut out = String::new();
    let mut count = 0;
    for word in text.split_whitespace() {
        let sep = usize::from(!out.is_empty());
        let len = char_count(word);
        if count + sep + len > budget {
            break;
        }
        if sep == 1 {
            out.push(' ');
        }
        out.push_str(word);
        count += sep + len;
    }
    let trimmed = out.trim_end_matches(|c: char| c.is_ascii_punctuation() && c != '!' && c != '?' && c != '.');
    let mut out = trimmed.to_string();
    if !out.is_empty() {
        out.push('…');
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn short_text_is_unchanged() {
        assert_eq!(shorten("hello world", 20), "hello world");
    }

    #[test]
    fn long_text_is_cut_between_words() {
        let s = shorten("the quick brown fox jumps over the lazy dog", 20);
        assert!(char_count(&s) <= 20, "{s}");
        assert_eq!(s, "the quick brown fox…");
    }

    #[test]
    fn counts_scalar_values_not_bytes() {
        assert_eq!(char_count("Olá, você"), 9);
        assert_eq!(char_count("日本語"), 3);
        let s = shorten("日本語 のテキスト です とても 長い", 8);
        assert!(char_count(&s) <= 8);
    }

    /// Property: for many inputs and limits, the result fits, is made of
    /// whole words of the input, and keeps the input's order.
    #[test]
    fn any_input_fits_and_keeps_whole_words() {
        let words = [
            "a",
            "quick",
            "über",
            "naïve",
            "日本",
            "🚀",
            "supercalifragilistic",
            "x",
            "déjà-vu",
            "ok,",
        ];
        let mut seed = 7u64;
        for _ in 0..2000 {
            seed = seed.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
            let n = (seed >> 33) as usize % 40;
            let text: Vec<&str> = (0..n)
                .map(|i| words[((seed >> (i % 30)) as usize + i) % words.len()])
                .collect();
            let text = text.join(" ");
            let limit = (seed >> 40) as usize % 60;
            let out = shorten(&text, limit);
            assert!(char_count(&out) <= limit, "{out:?} over {limit}");
            let body = out.trim_end_matches('…');
            let input_words: Vec<&str> = text.split_whitespace().collect();
            for (i, w) in body.split_whitespace().enumerate() {
                let orig = input_words[i];
                assert!(
                    orig == w || orig.starts_with(w),
                    "{w:?} is not a whole word of {text:?}"
                );
            }
        }
    }
}
