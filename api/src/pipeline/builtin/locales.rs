//! CONTEXT: per-locale conventions from the BCP-47 tag. The descriptions are
//! in English (they are notes for the team and input for later prompts);
//! the ad disclosure is in the locale's language.

use super::phrases;
use crate::domain::campaign::Brief;
use crate::pipeline::provider::{BrandVoice, ContextPack};

/// The languages the built-in generator writes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Lang {
    En,
    Es,
    Fr,
    De,
    Pt,
}

impl Lang {
    pub(super) const ALL: [Self; 5] = [Self::En, Self::Es, Self::Fr, Self::De, Self::Pt];

    pub(super) fn code(self) -> &'static str {
        match self {
            Self::En => "en",
            Self::Es => "es",
            Self::Fr => "fr",
            Self::De => "de",
            Self::Pt => "pt",
        }
    }

    /// The language of a tag or bare language code (`pt-BR` -> Portuguese).
    pub(super) fn from_code(code: &str) -> Option<Self> {
        let primary = parse_tag(code).language;
        Self::ALL.into_iter().find(|l| l.code() == primary)
    }
}

/// The parts of a BCP-47 tag the conventions depend on.
#[derive(Debug, PartialEq, Eq)]
pub(super) struct Tag {
    /// Lower case, e.g. `pt`.
    pub(super) language: String,
    /// Upper case ISO 3166 code or UN M.49 number, e.g. `BR`, `419`.
    pub(super) region: Option<String>,
}

pub(super) fn parse_tag(locale: &str) -> Tag {
    let mut parts = locale.trim().split(['-', '_']);
    let language = parts.next().unwrap_or_default().to_ascii_lowercase();
    // The region is the first 2-letter or 3-digit subtag after an optional script.
    let region = parts
        .take(2)
        .find(|p| {
            (p.len() == 2 && p.chars().all(|c| c.is_ascii_alphabetic()))
                || (p.len() == 3 && p.chars().all(|c| c.is_ascii_digit()))
        })
        .map(str::to_ascii_uppercase);
    Tag { language, region }
}

/// The context pack for `locale`; the brief's tone and the brand voice are
/// folded into `tone`.
pub(super) fn context_pack(brief: &Brief, locale: &str, brand: &BrandVoice) -> ContextPack {
    let tag = parse_tag(locale);
    let lang = Lang::from_code(&tag.language);
    let region = tag.region.as_deref();
    let currency = region
        .and_then(region_currency)
        .unwrap_or_else(|| language_currency(&tag.language));
    let mut tone: Vec<String> = Vec::new();
    if let Some(t) = brief.tone.as_deref().map(str::trim).filter(|t| !t.is_empty()) {
        tone.push(t.to_string());
    }
    if let Some(v) = brand.voice.as_deref().map(str::trim).filter(|v| !v.is_empty()) {
        tone.push(format!("brand voice: {v}"));
    }
    tone.push(format!("locally: {}", local_tone(lang)));
    let mut legal_notes = legal_notes(lang, region, locale.trim());
    legal_notes.push(format!(
        "Show prices in {currency}, including taxes where the law requires it."
    ));
    legal_notes.push("Substantiate every factual claim (numbers, \"best\", comparisons) before publishing.".into());
    ContextPack {
        locale: locale.trim().to_string(),
        language: lang.map_or("en", Lang::code).to_string(),
        fallback: lang.is_none(),
        tone: tone.join("; "),
        formality: formality(lang, region).to_string(),
        date_format: date_format(lang, &tag).to_string(),
        number_format: number_format(lang, &tag).to_string(),
        currency: currency.to_string(),
        ad_disclosure: phrases::book(lang.unwrap_or(Lang::En)).disclosure.to_string(),
        legal_notes,
    }
}

fn local_tone(lang: Option<Lang>) -> &'static str {
    match lang {
        Some(Lang::En) => "friendly, direct and benefit-led",
        Some(Lang::Es) => "warm, close and enthusiastic",
        Some(Lang::Fr) => "elegant, precise and understated",
        Some(Lang::De) => "clear, factual and trustworthy",
        Some(Lang::Pt) => "warm, upbeat and conversational",
        None => "neutral and clear (English copy for a non-English market)",
    }
}

fn formality(lang: Option<Lang>, region: Option<&str>) -> &'static str {
    match (lang, region) {
        (Some(Lang::En), _) => "neutral (you)",
        (Some(Lang::Es), Some("AR" | "UY" | "PY")) => "informal (tú; voseo is usual locally, adapt verb forms)",
        (Some(Lang::Es), _) => "informal (tú)",
        (Some(Lang::Fr), _) => "formal (vous)",
        (Some(Lang::De), _) => "formal (Sie)",
        (Some(Lang::Pt), Some("PT")) => "formal (você, third-person verb forms)",
        (Some(Lang::Pt), _) => "informal (você)",
        (None, _) => "neutral (you); follow local norms when translating",
    }
}

fn date_format(lang: Option<Lang>, tag: &Tag) -> &'static str {
    match (lang, tag.region.as_deref()) {
        (Some(Lang::En), None | Some("US" | "PH")) => "MM/DD/YYYY",
        (Some(Lang::En | Lang::Fr), Some("CA")) => "YYYY-MM-DD",
        (Some(Lang::De), _) => "DD.MM.YYYY",
        (Some(_), _) => "DD/MM/YYYY",
        (None, _) => match tag.language.as_str() {
            "ja" | "zh" => "YYYY/MM/DD",
            "ko" => "YYYY. MM. DD.",
            _ => "YYYY-MM-DD",
        },
    }
}

fn number_format(lang: Option<Lang>, tag: &Tag) -> &'static str {
    let region = tag.region.as_deref();
    match (lang, region) {
        (Some(Lang::En), _) => "1,234.56",
        (Some(Lang::Es), Some("MX" | "US" | "PR" | "GT" | "HN" | "SV" | "NI" | "PA" | "DO")) => "1,234.56",
        (Some(Lang::De), Some("CH" | "LI")) => "1’234.56",
        (Some(Lang::Es | Lang::De | Lang::Pt), _) if region != Some("PT") => "1.234,56",
        (Some(Lang::Fr | Lang::Pt), _) => "1 234,56",
        (_, _) => match tag.language.as_str() {
            "fr" | "ru" | "pl" | "cs" | "sv" | "nb" | "fi" => "1 234,56",
            "it" | "nl" | "da" | "tr" | "id" => "1.234,56",
            _ => "1,234.56",
        },
    }
}

fn region_currency(region: &str) -> Option<&'static str> {
    Some(match region {
        "US" | "PR" | "EC" | "SV" | "419" => "USD",
        "GB" => "GBP",
        "CA" => "CAD",
        "AU" => "AUD",
        "NZ" => "NZD",
        "IN" => "INR",
        "ZA" => "ZAR",
        "SG" => "SGD",
        "PH" => "PHP",
        "NG" => "NGN",
        "KE" => "KES",
        "MX" => "MXN",
        "AR" => "ARS",
        "CO" => "COP",
        "CL" => "CLP",
        "PE" => "PEN",
        "UY" => "UYU",
        "BO" => "BOB",
        "PY" => "PYG",
        "CR" => "CRC",
        "GT" => "GTQ",
        "DO" => "DOP",
        "CH" | "LI" => "CHF",
        "BR" => "BRL",
        "AO" => "AOA",
        "MZ" => "MZN",
        "CV" => "CVE",
        "JP" => "JPY",
        "CN" => "CNY",
        "TW" => "TWD",
        "HK" => "HKD",
        "KR" => "KRW",
        "SE" => "SEK",
        "NO" => "NOK",
        "DK" => "DKK",
        "PL" => "PLN",
        "CZ" => "CZK",
        "TR" => "TRY",
        "AE" => "AED",
        "SA" => "SAR",
        "IL" => "ILS",
        "MA" => "MAD",
        "SN" | "CI" => "XOF",
        "CM" => "XAF",
        "IE" | "ES" | "FR" | "BE" | "LU" | "MC" | "DE" | "AT" | "IT" | "NL" | "FI" | "GR" | "PT" | "SK" | "SI"
        | "EE" | "LV" | "LT" | "MT" | "CY" | "HR" => "EUR",
        _ => return None,
    })
}

/// The currency when the tag has no (known) region; the language's main market.
fn language_currency(language: &str) -> &'static str {
    match language {
        "es" | "fr" | "de" | "it" | "nl" | "fi" | "el" => "EUR",
        "pt" => "BRL",
        "ja" => "JPY",
        "zh" => "CNY",
        "ko" => "KRW",
        "sv" => "SEK",
        "da" => "DKK",
        "nb" | "no" => "NOK",
        "pl" => "PLN",
        "tr" => "TRY",
        _ => "USD",
    }
}

fn legal_notes(lang: Option<Lang>, region: Option<&str>, locale: &str) -> Vec<String> {
    let notes: &[&str] = match (lang, region) {
        (Some(Lang::En), Some("GB")) => {
            &["UK: follow the CAP Code (ASA); make ads obviously identifiable, e.g. #ad at the start."]
        }
        (Some(Lang::En), Some("IE")) => {
            &["Ireland: follow the ASAI Code; label marketing communications clearly (#ad)."]
        }
        (Some(Lang::En), Some("AU")) => {
            &["Australia: AANA Code of Ethics; advertising must be clearly distinguishable."]
        }
        (Some(Lang::En), Some("CA")) => {
            &["Canada: Competition Act and Ad Standards; disclose material connections clearly."]
        }
        (Some(Lang::En), None | Some("US")) => {
            &["US: follow the FTC Endorsement Guides; disclose paid relationships clearly and up front (#ad)."]
        }
        (Some(Lang::En), _) => &["Label paid content clearly (#ad) and follow the local advertising code."],
        (Some(Lang::Es), None | Some("ES")) => &[
            "Spain: Ley General de Publicidad (Ley 34/1988) and the Autocontrol code for influencers; identify ads (#publicidad).",
        ],
        (Some(Lang::Es), Some("MX")) => &[
            "Mexico: Ley Federal de Protección al Consumidor (PROFECO); advertised prices must be final, in MXN, including VAT (IVA).",
        ],
        (Some(Lang::Es), _) => &["Identify advertising clearly (#publicidad) and show final prices including taxes."],
        (Some(Lang::Fr), Some("CA")) => {
            &["Québec: Charter of the French Language; French must be at least as prominent as any other language."]
        }
        (Some(Lang::Fr), Some("BE")) => {
            &["Belgium: Code de droit économique; advertising must be identifiable as such."]
        }
        (Some(Lang::Fr), Some("CH")) => {
            &["Switzerland: LCD (unfair competition law); advertising must be identifiable and accurate."]
        }
        (Some(Lang::Fr), None | Some("FR")) => &[
            "France: loi n° 2023-451 on influencer marketing; mark posts \"Publicité\" or \"Collaboration commerciale\".",
            "France: loi Toubon; advertising must be in French, translate any foreign-language terms.",
        ],
        (Some(Lang::Fr), _) => &["Identify advertising clearly (#publicité) and follow the local advertising code."],
        (Some(Lang::De), Some("AT")) => &["Austria: label paid content as \"Werbung\" or \"Anzeige\" (MedienG § 26)."],
        (Some(Lang::De), Some("CH" | "LI")) => &[
            "Switzerland: UWG (federal act against unfair competition); comparative claims must be accurate and not misleading.",
        ],
        (Some(Lang::De), None | Some("DE")) => &[
            "Germany: UWG § 5a; the commercial intent must be recognisable, label posts \"Werbung\" or \"Anzeige\".",
            "Germany: the landing page needs an Impressum (DDG § 5).",
        ],
        (Some(Lang::De), _) => &["Label paid content clearly (#Werbung) and follow the local advertising code."],
        (Some(Lang::Pt), Some("PT")) => {
            &["Portugal: Código da Publicidade; advertising must be identifiable as such (#publicidade)."]
        }
        (Some(Lang::Pt), None | Some("BR")) => &[
            "Brazil: CONAR code; identify advertising, including influencer posts (#publicidade).",
            "Brazil: Código de Defesa do Consumidor; prices and conditions must be clear and in BRL.",
        ],
        (Some(Lang::Pt), _) => &["Identify advertising clearly (#publicidade) and show final prices including taxes."],
        (None, _) => {
            return vec![
                format!(
                    "No built-in language for {locale}: the copy is written in English; have it translated and reviewed \
                     by a native speaker before publishing."
                ),
                "Label paid content according to local rules (the built-in wording is #ad).".into(),
            ];
        }
    };
    notes.iter().map(|n| (*n).to_string()).collect()
}
