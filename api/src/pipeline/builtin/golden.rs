//! Golden files: the whole built-in output for one brief per locale, in
//! `golden/<locale>.json`.
//!
//! After an intended change to templates or rules, regenerate them with
//! `UPDATE_GOLDEN=1 cargo test -p api --lib pipeline::builtin::golden`,
//! read the diff as copy (right language, reads like real marketing), bump
//! `BuiltinText::PROMPT_VERSION` and commit the files with the change.

use super::BuiltinText;
use crate::domain::campaign::{Brief, Platform};
use crate::pipeline::provider::{AngleDraft, BrandVoice, ContextPack, CopyDraft, TextProvider};
use serde::Serialize;
use std::path::PathBuf;

pub(super) const SEED: u64 = 42;

/// The golden locales: the five languages and one fallback.
pub(super) const LOCALES: [&str; 6] = ["en", "es", "fr", "de", "pt-BR", "ja"];

/// A realistic brief, written in the locale's language (English for the fallback).
pub(super) fn brief_for(locale: &str) -> Brief {
    let (product, audience, goal, tone, keys, cta): (&str, &str, &str, &str, [&str; 3], Option<&str>) =
        match locale.split('-').next().unwrap_or_default() {
            "es" => (
                "Lumen",
                "profesionales que teletrabajan y hacen videollamadas desde casa",
                "conseguir reservas antes del lanzamiento de otoño",
                "cercano y seguro",
                [
                    "Luz de calidad día que te favorece en cámara",
                    "Se atenúa sola cuando termina la llamada",
                    "Lista en menos de dos minutos",
                ],
                None,
            ),
            "fr" => (
                "Lumen",
                "les professionnels en télétravail",
                "générer des précommandes avant le lancement d'automne",
                "chaleureux et sûr de lui",
                [
                    "Une lumière naturelle qui vous met en valeur à l'écran",
                    "Elle baisse d'intensité toute seule à la fin de l'appel",
                    "Installée en moins de deux minutes",
                ],
                None,
            ),
            "de" => (
                "Lumen",
                "Menschen im Homeoffice",
                "Vorbestellungen vor dem Herbststart",
                "herzlich und selbstbewusst",
                [
                    "Licht in Tageslichtqualität, mit dem Sie vor der Kamera gut aussehen",
                    "Dimmt automatisch, sobald Ihr Call endet",
                    "In unter zwei Minuten eingerichtet",
                ],
                None,
            ),
            "pt" => (
                "Lumen",
                "profissionais em home office",
                "gerar pré-vendas antes do lançamento",
                "acolhedor e confiante",
                [
                    "Luz com qualidade de luz do dia que valoriza você na câmera",
                    "Diminui sozinha quando a chamada termina",
                    "Pronta em menos de dois minutos",
                ],
                None,
            ),
            _ => (
                "Lumen Desk Lamp",
                "remote workers",
                "drive pre-orders before the autumn launch",
                "warm, confident",
                [
                    "Daylight-quality light that flatters you on camera",
                    "Dims itself when your call ends",
                    "Sets up in under two minutes",
                ],
                Some("Pre-order now"),
            ),
        };
    Brief {
        product: product.into(),
        audience: audience.into(),
        goal: Some(goal.into()),
        tone: Some(tone.into()),
        key_messages: keys.iter().map(|k| (*k).to_string()).collect(),
        call_to_action: cta.map(Into::into),
        landing_url: Some("https://lumen.example/lamp".into()),
    }
}

pub(super) fn brand() -> BrandVoice {
    BrandVoice {
        voice: Some("friendly expert, no jargon".into()),
        banned_words: vec!["cheap".into(), "guaranteed".into()],
    }
}

#[derive(Serialize)]
struct Golden {
    context: ContextPack,
    angles: Vec<AngleDraft>,
    copies: Vec<GoldenCopy>,
}

#[derive(Serialize)]
struct GoldenCopy {
    angle: usize,
    platform: Platform,
    copy: CopyDraft,
}

async fn check(locale: &str) {
    let provider = BuiltinText::new();
    let brief = brief_for(locale);
    let brand = brand();
    let context = provider.context(&brief, locale, &brand).await.unwrap();
    let angles = provider.angles(&brief, &context, &brand, 3, None, SEED).await.unwrap();
    let mut copies = Vec::new();
    for (angle, platform) in [(0, Platform::X), (1, Platform::Instagram), (2, Platform::Linkedin)] {
        let copy = provider
            .copy(&brief, &context, &brand, &angles[angle], platform, None, SEED)
            .await
            .unwrap();
        copies.push(GoldenCopy { angle, platform, copy });
    }
    let got = serde_json::to_string_pretty(&Golden {
        context,
        angles,
        copies,
    })
    .unwrap()
        + "\n";

    let path = PathBuf::from(env!("CARGO_MANIFEST_DIR")).join(format!("src/pipeline/builtin/golden/{locale}.json"));
    #[expect(
        clippy::disallowed_methods,
        reason = "a test-only switch that rewrites the golden files"
    )]
    let update = std::env::var("UPDATE_GOLDEN").is_ok_and(|v| v == "1");
    if update {
        std::fs::create_dir_all(path.parent().unwrap()).unwrap();
        std::fs::write(&path, &got).unwrap();
        return;
    }
    let want = std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{}: {e}; run with UPDATE_GOLDEN=1 to create it", path.display()));
    assert!(
        got == want,
        "built-in output for {locale} differs from {}; if intended, rerun with UPDATE_GOLDEN=1 and review the diff\n\
         --- got ---\n{got}",
        path.display()
    );
}

#[tokio::test]
async fn english_output_matches_golden_file() {
    check("en").await;
}

#[tokio::test]
async fn spanish_output_matches_golden_file() {
    check("es").await;
}

#[tokio::test]
async fn french_output_matches_golden_file() {
    check("fr").await;
}

#[tokio::test]
async fn german_output_matches_golden_file() {
    check("de").await;
}

#[tokio::test]
async fn brazilian_portuguese_output_matches_golden_file() {
    check("pt-BR").await;
}

#[tokio::test]
async fn japanese_falls_back_to_english_and_matches_golden_file() {
    check("ja").await;
}
