//! The built-in generator's wording: one phrasebook per language, all of it
//! data so tests can check every phrase (moderation-clean, whole words).
//!
//! Placeholders: `{product}`, `{audience}`, `{Key}` (a key message as a full
//! sentence) and `{goal}`. Templates put `{audience}` after a preposition
//! ("for", "para", "pour", "für") or where the language takes a bare plural,
//! so a brief written in that language reads naturally.

mod de;
mod en;
mod es;
mod fr;
mod pt;

use super::locales::Lang;

/// The ten angle archetypes; their order is the order of `Phrasebook::archetypes`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Archetype {
    ProblemSolution,
    SocialProof,
    Urgency,
    Aspiration,
    Comparison,
    Curiosity,
    HowTo,
    BehindTheScenes,
    Testimonial,
    Value,
}

impl Archetype {
    pub(super) const ALL: [Self; 10] = [
        Self::ProblemSolution,
        Self::SocialProof,
        Self::Urgency,
        Self::Aspiration,
        Self::Comparison,
        Self::Curiosity,
        Self::HowTo,
        Self::BehindTheScenes,
        Self::Testimonial,
        Self::Value,
    ];

    pub(super) fn index(self) -> usize {
        self as usize
    }
}

/// One archetype in one language.
pub(super) struct ArchetypeText {
    /// Two ways to title the angle (the seed picks one).
    pub(super) titles: [&'static str; 2],
    /// A sober hook (`[0]`, used for formal tones) and a lively one (`[1]`, playful tones).
    pub(super) hooks: [&'static str; 2],
    /// Why the angle works, for the reviewer.
    pub(super) rationale: &'static str,
    /// A hashtag (without `#`) that goes with the archetype.
    pub(super) tag: &'static str,
}

/// Default calls to action by campaign goal, two wordings each.
pub(super) struct Ctas {
    pub(super) learn: [&'static str; 2],
    pub(super) shop: [&'static str; 2],
    pub(super) signup: [&'static str; 2],
    pub(super) download: [&'static str; 2],
    pub(super) book: [&'static str; 2],
    pub(super) preorder: [&'static str; 2],
}

/// Closing lines for casual platforms, by tone.
pub(super) struct SignOffs {
    pub(super) neutral: [&'static str; 2],
    pub(super) playful: [&'static str; 2],
    pub(super) warm: [&'static str; 2],
    pub(super) bold: [&'static str; 2],
}

/// Everything the generator writes in one language.
pub(super) struct Phrasebook {
    pub(super) archetypes: [ArchetypeText; 10],
    /// Stands in for a key message when the brief has none.
    pub(super) fallback_key: &'static str,
    /// Appended to rationales when the brief states a goal.
    pub(super) goal: &'static str,
    pub(super) ctas: Ctas,
    /// Where Instagram and TikTok send people (captions have no links).
    pub(super) link_in_bio: &'static str,
    pub(super) made_for: &'static str,
    pub(super) linkedin_intro: [&'static str; 2],
    pub(super) linkedin_close: [&'static str; 2],
    pub(super) tiktok_pov: &'static str,
    pub(super) sign_offs: SignOffs,
    pub(super) urgency: [&'static str; 2],
    /// How paid posts are marked in this language.
    pub(super) disclosure: &'static str,
    /// What goes between a call to action and its link (French puts a space before the colon).
    pub(super) colon: &'static str,
    /// Words never turned into hashtags (lower case).
    pub(super) stopwords: &'static [&'static str],
    /// Generic hashtags (without `#`) that fill up short lists.
    pub(super) tags: &'static [&'static str],
}

pub(super) fn book(lang: Lang) -> &'static Phrasebook {
    match lang {
        Lang::En => &en::EN,
        Lang::Es => &es::ES,
        Lang::Fr => &fr::FR,
        Lang::De => &de::DE,
        Lang::Pt => &pt::PT,
    }
}

#[cfg(test)]
impl Phrasebook {
    /// Every phrase, for checks over the whole vocabulary.
    pub(super) fn all_phrases(&self) -> Vec<&'static str> {
        let mut out = Vec::new();
        for a in &self.archetypes {
            out.extend(a.titles);
            out.extend(a.hooks);
            out.push(a.rationale);
            out.push(a.tag);
        }
        let c = &self.ctas;
        for set in [c.learn, c.shop, c.signup, c.download, c.book, c.preorder] {
            out.extend(set);
        }
        let s = &self.sign_offs;
        for set in [s.neutral, s.playful, s.warm, s.bold] {
            out.extend(set);
        }
        out.extend([
            self.fallback_key,
            self.goal,
            self.link_in_bio,
            self.made_for,
            self.tiktok_pov,
            self.disclosure,
        ]);
        out.extend(self.linkedin_intro);
        out.extend(self.linkedin_close);
        out.extend(self.urgency);
        out.extend(self.tags);
        out
    }
}
