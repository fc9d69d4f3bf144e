//! Moderation: the brand kit's banned words and a built-in list of unsafe
//! terms, matched as whole words, case-insensitively, in any script. A hit
//! flags the copy with its reasons; nothing is dropped.

/// Terms no ad should contain, across the built-in languages (kept short and
/// unambiguous; the brand kit adds its own).
const UNSAFE: &[&str] = &[
    // English
    "guaranteed cure",
    "miracle cure",
    "get rich quick",
    "risk-free",
    "kill",
    "hate",
    "scam",
    "weapon",
    "drugs",
    "casino",
    "gambling",
    "porn",
    "nazi",
    "terrorist",
    "overdose",
    // Spanish
    "cura milagrosa",
    "dinero fácil",
    "matar",
    "odio",
    "estafa",
    "arma",
    "drogas",
    "apuestas",
    // French
    "remède miracle",
    "argent facile",
    "tuer",
    "haine",
    "arnaque",
    "arme",
    "drogue",
    "jeux d'argent",
    // German
    "wundermittel",
    "schnelles geld",
    "töten",
    "hass",
    "betrug",
    "waffe",
    "drogen",
    "glücksspiel",
    // Portuguese
    "cura milagrosa",
    "dinheiro fácil",
    "ódio",
    "golpe",
    "droga",
    "apostas",
];

/// Splits into lower-cased words (letters, digits, apostrophes, inner dashes).
fn words(text: &str) -> Vec<String> {
    let mut out = Vec::new();
    let mut cur = String::new();
    for c in text.chars() {
        if c.is_alphanumeric() || c == '\'' || c == '’' || (c == '-' && !cur.is_empty()) {
            cur.extend(c.to_lowercase());
        } else if !cur.is_empty() {
            out.push(std::mem::take(&mut cur).trim_end_matches('-').to_string());
        }
    }
    if !cur.is_empty() {
        out.push(cur.trim_end_matches('-').to_string());
    }
    out
}

/// Does `phrase` occur in `text` as whole words?
fn contains_phrase(text_words: &[String], phrase: &str) -> bool {
    let p = words(phrase);
    if p.is_empty() || p.len() > text_words.len() {
        return false;
    }
    text_words.windows(p.len()).any(|w| w == p.as_slice())
}

/// The reasons a text is flagged (empty: clean).
pub fn check(texts: &[&str], banned: &[String]) -> Vec<String> {
    let all: Vec<String> = texts.iter().flat_map(|t| words(t)).collect();
    let mut reasons = Vec::new();
    for b in banned {
        if contains_phrase(&all, b) {
            reasons.push(format!("banned word: {}", b.to_lowercase()));
        }
    }
    for u in UNSAFE {
        let r = format!("unsafe term: {u}");
        if contains_phrase(&all, u) && !reasons.contains(&r) {
            reasons.push(r);
        }
    }
    reasons
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_words_only_and_case_insensitive() {
        let banned = vec!["cheap".to_string()];
        assert_eq!(check(&["So CHEAP today!"], &banned), vec!["banned word: cheap"]);
        assert!(
            check(&["cheapest prices"], &banned).is_empty(),
            "cheapest is another word"
        );
        assert!(
            check(&["Skill matters"], &[]).is_empty(),
            "kill inside skill is not a match"
        );
        assert_eq!(check(&["They will KILL it"], &[]), vec!["unsafe term: kill"]);
    }

    #[test]
    fn works_across_locales_and_phrases() {
        assert_eq!(
            check(&["Una cura milagrosa para ti"], &[]),
            vec!["unsafe term: cura milagrosa"]
        );
        assert_eq!(check(&["Kein Hass hier"], &[]), vec!["unsafe term: hass"]);
        assert_eq!(check(&["Sem ÓDIO"], &[]), vec!["unsafe term: ódio"]);
        assert_eq!(check(&["un remède MIRACLE"], &[]), vec!["unsafe term: remède miracle"]);
        let banned = vec!["Günstig".to_string()];
        assert_eq!(check(&["super GÜNSTIG"], &banned), vec!["banned word: günstig"]);
    }
}
