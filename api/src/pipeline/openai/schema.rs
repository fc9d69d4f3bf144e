//! Checking a model's JSON against what each step needs. The error strings go
//! back to the model in the repair request, so they say exactly what to fix.

use crate::pipeline::provider::{AngleDraft, ContextPack, CopyDraft};
use serde_json::{Map, Value};

type Object = Map<String, Value>;

/// The reply as a JSON object (tolerating a Markdown code fence around it).
fn object(content: &str) -> Result<Object, String> {
    let mut text = content.trim();
    if let Some(rest) = text.strip_prefix("```") {
        text = rest.trim_start_matches("json").trim_start_matches("JSON");
        text = text.strip_suffix("```").unwrap_or(text).trim();
    }
    match serde_json::from_str::<Value>(text) {
        Ok(Value::Object(map)) => Ok(map),
        Ok(other) => Err(format!("the reply must be a JSON object, not {}", kind(&other))),
        Err(e) => Err(format!("the reply is not valid JSON ({e})")),
    }
}

fn kind(v: &Value) -> &'static str {
    match v {
        Value::Null => "null",
        Value::Bool(_) => "a boolean",
        Value::Number(_) => "a number",
        Value::String(_) => "a string",
        Value::Array(_) => "an array",
        Value::Object(_) => "an object",
    }
}

/// A required, non-empty string field.
fn text(obj: &Object, path: &str, name: &str) -> Result<String, String> {
    match obj.get(name) {
        Some(Value::String(s)) if !s.trim().is_empty() => Ok(s.trim().to_string()),
        Some(Value::String(_)) => Err(format!("\"{path}{name}\" must not be empty")),
        None | Some(Value::Null) => Err(format!("\"{path}{name}\" is missing")),
        Some(other) => Err(format!("\"{path}{name}\" must be a string, not {}", kind(other))),
    }
}

/// An optional string field (missing, null or empty all mean none).
fn opt_text(obj: &Object, path: &str, name: &str) -> Result<Option<String>, String> {
    match obj.get(name) {
        None | Some(Value::Null) => Ok(None),
        Some(Value::String(s)) => Ok(Some(s.trim().to_string()).filter(|s| !s.is_empty())),
        Some(other) => Err(format!("\"{path}{name}\" must be a string, not {}", kind(other))),
    }
}

/// A required array of non-empty strings.
fn strings(obj: &Object, path: &str, name: &str) -> Result<Vec<String>, String> {
    let items = match obj.get(name) {
        Some(Value::Array(items)) => items,
        None | Some(Value::Null) => return Err(format!("\"{path}{name}\" is missing")),
        Some(other) => {
            return Err(format!(
                "\"{path}{name}\" must be an array of strings, not {}",
                kind(other)
            ));
        }
    };
    items
        .iter()
        .enumerate()
        .map(|(i, v)| match v {
            Value::String(s) if !s.trim().is_empty() => Ok(s.trim().to_string()),
            other => Err(format!(
                "\"{path}{name}[{i}]\" must be a non-empty string, not {}",
                kind(other)
            )),
        })
        .collect()
}

/// The context pack for `locale`; the language is the locale's own (a model
/// writes any language, so there is no fallback).
pub(super) fn context(content: &str, locale: &str) -> Result<ContextPack, String> {
    let obj = object(content)?;
    let currency = text(&obj, "", "currency")?;
    if currency.len() != 3 || !currency.chars().all(|c| c.is_ascii_uppercase()) {
        return Err(format!(
            "\"currency\" must be an ISO 4217 code such as \"EUR\", not {currency:?}"
        ));
    }
    Ok(ContextPack {
        locale: locale.trim().to_string(),
        language: language_of(locale),
        fallback: false,
        tone: text(&obj, "", "tone")?,
        formality: text(&obj, "", "formality")?,
        date_format: text(&obj, "", "dateFormat")?,
        number_format: text(&obj, "", "numberFormat")?,
        currency,
        ad_disclosure: text(&obj, "", "adDisclosure")?,
        legal_notes: strings(&obj, "", "legalNotes")?,
    })
}

/// The primary language subtag, lower case (`pt-BR` -> `pt`).
pub(super) fn language_of(locale: &str) -> String {
    locale
        .trim()
        .split(['-', '_'])
        .next()
        .unwrap_or_default()
        .to_ascii_lowercase()
}

/// Exactly `n` angles with distinct titles.
pub(super) fn angles(content: &str, n: usize) -> Result<Vec<AngleDraft>, String> {
    let obj = object(content)?;
    let items = match obj.get("angles") {
        Some(Value::Array(items)) => items,
        None | Some(Value::Null) => return Err("\"angles\" is missing".into()),
        Some(other) => return Err(format!("\"angles\" must be an array, not {}", kind(other))),
    };
    if items.len() != n {
        return Err(format!("\"angles\" must hold exactly {n} angles, not {}", items.len()));
    }
    let mut out: Vec<AngleDraft> = Vec::with_capacity(n);
    for (i, item) in items.iter().enumerate() {
        let path = format!("angles[{i}].");
        let Value::Object(angle) = item else {
            return Err(format!("\"angles[{i}]\" must be an object, not {}", kind(item)));
        };
        let title = text(angle, &path, "title")?;
        if let Some(j) = out.iter().position(|a| a.title.to_lowercase() == title.to_lowercase()) {
            return Err(format!(
                "angle titles must all differ; angles[{j}] and angles[{i}] are both {title:?}"
            ));
        }
        out.push(AngleDraft {
            title,
            hook: text(angle, &path, "hook")?,
            rationale: opt_text(angle, &path, "rationale")?,
        });
    }
    Ok(out)
}

/// One platform copy.
pub(super) fn copy(content: &str) -> Result<CopyDraft, String> {
    let obj = object(content)?;
    Ok(CopyDraft {
        headline: Some(text(&obj, "", "headline")?),
        body: text(&obj, "", "body")?,
        call_to_action: Some(text(&obj, "", "callToAction")?),
        hashtags: strings(&obj, "", "hashtags")?,
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn angles_need_exactly_n_distinct_complete_items() {
        let ok = r#"{"angles":[{"title":"A","hook":"h"},{"title":"B","hook":"h","rationale":"r"}]}"#;
        let got = angles(ok, 2).unwrap();
        assert_eq!(got[0].rationale, None);
        assert_eq!(got[1].rationale.as_deref(), Some("r"));
        assert_eq!(
            angles(ok, 3).unwrap_err(),
            "\"angles\" must hold exactly 3 angles, not 2"
        );
        let dup = r#"{"angles":[{"title":"Same","hook":"h"},{"title":"same","hook":"h"}]}"#;
        assert!(angles(dup, 2).unwrap_err().contains("must all differ"));
        let missing = r#"{"angles":[{"title":"A"}]}"#;
        assert_eq!(angles(missing, 1).unwrap_err(), "\"angles[0].hook\" is missing");
        let wrong = r#"{"angles":[{"title":7,"hook":"h"}]}"#;
        assert_eq!(
            angles(wrong, 1).unwrap_err(),
            "\"angles[0].title\" must be a string, not a number"
        );
        assert!(
            angles("not json", 1)
                .unwrap_err()
                .starts_with("the reply is not valid JSON")
        );
        assert_eq!(
            angles("[1]", 1).unwrap_err(),
            "the reply must be a JSON object, not an array"
        );
    }

    #[test]
    fn copies_need_every_field_and_string_hashtags() {
        let ok = r##"```json
{"headline":"H","body":"B","callToAction":"Go","hashtags":["#a","#b"]}
```"##;
        let c = copy(ok).unwrap();
        assert_eq!((c.body.as_str(), c.hashtags.len()), ("B", 2));
        let bad = r##"{"headline":"H","body":"B","callToAction":"Go","hashtags":["#a",3]}"##;
        assert_eq!(
            copy(bad).unwrap_err(),
            "\"hashtags[1]\" must be a non-empty string, not a number"
        );
        let empty = r#"{"headline":"H","body":"  ","callToAction":"Go","hashtags":[]}"#;
        assert_eq!(copy(empty).unwrap_err(), "\"body\" must not be empty");
    }

    #[test]
    fn context_checks_the_currency_and_takes_the_locale_language() {
        let ok = serde_json::json!({
            "tone": "t", "formality": "f", "dateFormat": "d", "numberFormat": "n", "currency": "BRL",
            "adDisclosure": "#publicidade", "legalNotes": ["x"],
        })
        .to_string();
        let c = context(&ok, "pt-BR").unwrap();
        assert_eq!(
            (c.language.as_str(), c.fallback, c.currency.as_str()),
            ("pt", false, "BRL")
        );
        let bad = ok.replace("BRL", "reais");
        assert!(context(&bad, "pt-BR").unwrap_err().contains("ISO 4217"));
    }
}
