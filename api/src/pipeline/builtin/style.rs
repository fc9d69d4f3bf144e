//! Tone keywords from the brief's tone, the brand voice and free-text
//! instructions.

/// What the recognised keywords ask for. Instructions override the brief's
/// tone and the brand voice where they disagree.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub(super) struct Style {
    pub(super) playful: bool,
    pub(super) formal: bool,
    pub(super) urgent: bool,
    pub(super) short: bool,
    pub(super) warm: bool,
    pub(super) bold: bool,
    /// `Some(false)` for "no emoji", `Some(true)` for "more emoji".
    pub(super) emoji: Option<bool>,
}

/// Keywords per trait, across the built-in languages, separated by spaces.
/// A trailing `*` matches any word starting with the rest.
const PLAYFUL: &str = "playful* fun funny funnier witty humor* humour* cheeky cheerful lighthearted casual informal \
    divertid* lúdic* desenfadad* ludique* drôle* amusant* décontract* verspielt* witzig* lustig* \
    locker* humorvoll* descontraíd* engraçad* bem-humorad*";
const FORMAL: &str = "formal formell* formel* förmlich* professional* profesional* professionnel* profissional* \
    serious seriös* sérieu* serio seria sério séria sober corporate corporativ* institutional* \
    institucional* institutionnel* sachlich* b2b";
const URGENT: &str = "urgent* urgency urgencia urgência dringend* hurry asap limited limitad* limité* begrenzt* fomo \
    deadline countdown prisa pressa";
const SHORT: &str = "short* concise* brief brevity punchy terse succinct* minimal* corto corta cortos breve* court \
    courte courts concis* kurz* knapp* curto curta conciso concisa sucint*";
const WARM: &str = "warm* friendly empath* caring kind heartfelt cálid* calid* cercan* chaleureu* bienveillan* \
    herzlich* freundlich* einfühlsam* caloros* acolhedor* afetuos* amig*";
const BOLD: &str = "bold* confident* energetic daring audaz* atrevid* enérgic* audacieu* énergique* confian* mutig* \
    selbstbewusst* energisch* kraftvoll* ousad* energétic*";
const EMOJI: &str = "emoji* émoji* emoticon*";
const NEGATIONS: &str = "no not without less fewer never sin menos nada sans pas moins ohne weniger nicht kein keine \
    keinen sem nenhum nunca";

/// Each trait as found in one text: `Some(true)` mentioned, `Some(false)` negated.
#[derive(Default)]
struct Traits {
    playful: Option<bool>,
    formal: Option<bool>,
    urgent: Option<bool>,
    short: Option<bool>,
    warm: Option<bool>,
    bold: Option<bool>,
    emoji: Option<bool>,
}

fn matches(word: &str, list: &str) -> bool {
    list.split_whitespace().any(|k| match k.strip_suffix('*') {
        Some(stem) => word.starts_with(stem),
        None => word == k,
    })
}

impl Traits {
    fn scan(text: &str) -> Self {
        let lower = text.to_lowercase();
        let words: Vec<&str> = lower
            .split(|c: char| !c.is_alphanumeric() && c != '-')
            .filter(|w| !w.is_empty())
            .collect();
        let mut t = Self::default();
        for (i, w) in words.iter().enumerate() {
            let negated = words[i.saturating_sub(2)..i].iter().any(|p| matches(p, NEGATIONS));
            let value = Some(!negated);
            for (list, slot) in [
                (PLAYFUL, &mut t.playful),
                (FORMAL, &mut t.formal),
                (URGENT, &mut t.urgent),
                (SHORT, &mut t.short),
                (WARM, &mut t.warm),
                (BOLD, &mut t.bold),
                (EMOJI, &mut t.emoji),
            ] {
                if matches(w, list) {
                    *slot = value;
                }
            }
        }
        t
    }
}

impl Style {
    pub(super) fn detect(tone: Option<&str>, voice: Option<&str>, instructions: Option<&str>) -> Self {
        let base = Traits::scan(&format!("{} {}", tone.unwrap_or_default(), voice.unwrap_or_default()));
        let over = Traits::scan(instructions.unwrap_or_default());
        let pick = |o: Option<bool>, b: Option<bool>| o.or(b).unwrap_or(false);
        let mut style = Self {
            playful: pick(over.playful, base.playful),
            formal: pick(over.formal, base.formal),
            urgent: pick(over.urgent, base.urgent),
            short: pick(over.short, base.short),
            warm: pick(over.warm, base.warm),
            bold: pick(over.bold, base.bold),
            emoji: over.emoji.or(base.emoji),
        };
        if style.playful && style.formal {
            // The most specific source wins; within one source, formal does.
            if over.playful == Some(true) && over.formal != Some(true) {
                style.formal = false;
            } else {
                style.playful = false;
            }
        }
        style
    }

    /// Emoji in general (arrows, bullets) unless the tone is formal or asks for none.
    pub(super) fn emoji_ok(self) -> bool {
        !self.formal && self.emoji != Some(false)
    }

    /// Extra, decorative emoji (asked for, or a playful tone).
    pub(super) fn emoji_extra(self) -> bool {
        self.emoji_ok() && (self.playful || self.emoji == Some(true))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn instructions_override_the_brief_tone() {
        let s = Style::detect(Some("professional, serious"), None, Some("more playful please"));
        assert!(s.playful && !s.formal, "{s:?}");
        let s = Style::detect(Some("playful"), None, Some("keep it formal"));
        assert!(s.formal && !s.playful, "{s:?}");
        let s = Style::detect(Some("formal"), None, Some("less formal"));
        assert!(!s.formal, "{s:?}");
    }

    #[test]
    fn keywords_work_across_languages_and_negations() {
        assert!(Style::detect(Some("cercano y divertido"), None, None).playful);
        assert!(Style::detect(None, Some("sachlich, seriös"), None).formal);
        assert!(Style::detect(None, None, Some("plus court")).short);
        assert_eq!(
            Style::detect(None, None, Some("sin emojis, por favor")).emoji,
            Some(false)
        );
        assert_eq!(Style::detect(None, None, Some("more emoji")).emoji, Some(true));
        assert!(
            !Style::detect(None, None, Some("fundraising for a function")).playful,
            "fun is a whole word"
        );
    }
}
