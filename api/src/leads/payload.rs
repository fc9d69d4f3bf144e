//! The webhook body, checked field by field so an error names its field:
//! `{externalId?, name?, email?, phone?, campaignId?, utm?: {campaign,
//! source, medium}, attributes?}`. Unknown top-level keys are refused
//! (custom data belongs in `attributes`).

use crate::domain::{self, Email};
use crate::error::AppError;
use serde_json::{Map, Value};
use uuid::Uuid;

/// The UTM keys a delivery may carry.
pub const UTM_KEYS: [&str; 3] = ["campaign", "source", "medium"];

/// A checked delivery.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Delivery {
    pub external_id: Option<String>,
    pub name: Option<String>,
    pub email: Option<String>,
    pub phone: Option<String>,
    pub campaign_id: Option<Uuid>,
    /// Non-empty UTM values, by key.
    pub utm: Map<String, Value>,
    pub attributes: Map<String, Value>,
}

impl Delivery {
    /// The attributes to store: the delivery's, with its UTM values under
    /// `utm` (where scoring rules on `utm.*` and attribution read them).
    pub fn stored_attributes(&self) -> Value {
        let mut attributes = self.attributes.clone();
        if !self.utm.is_empty() {
            attributes.insert("utm".into(), Value::Object(self.utm.clone()));
        }
        Value::Object(attributes)
    }
}

fn string<'a>(field: &str, v: &'a Value) -> Result<Option<&'a str>, AppError> {
    match v {
        Value::Null => Ok(None),
        Value::String(s) if s.trim().is_empty() => Ok(None),
        Value::String(s) => Ok(Some(s)),
        _ => Err(AppError::validation(field, format!("{field} must be a string"))),
    }
}

/// Parses and checks a webhook body.
pub fn parse(body: &[u8]) -> Result<Delivery, AppError> {
    let value: Value = serde_json::from_slice(body)
        .map_err(|e| AppError::validation("body", format!("the body is not valid JSON: {e}")))?;
    let Value::Object(map) = value else {
        return Err(AppError::validation("body", "the body must be a JSON object"));
    };
    let mut d = Delivery::default();
    for (key, v) in &map {
        match key.as_str() {
            "externalId" => d.external_id = domain::opt_text("externalId", string("externalId", v)?, 200)?,
            "name" => d.name = domain::opt_text("name", string("name", v)?, 200)?,
            "email" => {
                d.email = string("email", v)?
                    .map(|s| Email::parse_field("email", s))
                    .transpose()?
            }
            "phone" => d.phone = string("phone", v)?.map(|s| domain::phone("phone", s)).transpose()?,
            "campaignId" => {
                d.campaign_id = string("campaignId", v)?
                    .map(|s| domain::parse_id("campaignId", s))
                    .transpose()?
            }
            "utm" => d.utm = utm(v)?,
            "attributes" => match v {
                Value::Null => {}
                Value::Object(a) => d.attributes = a.clone(),
                _ => return Err(AppError::validation("attributes", "attributes must be an object")),
            },
            other => {
                return Err(AppError::validation(
                    other,
                    format!("unknown field {other:?}; put custom data in attributes"),
                ));
            }
        }
    }
    Ok(d)
}

fn utm(v: &Value) -> Result<Map<String, Value>, AppError> {
    let mut out = Map::new();
    match v {
        Value::Null => {}
        Value::Object(m) => {
            for (k, v) in m {
                let field = format!("utm.{k}");
                if !UTM_KEYS.contains(&k.as_str()) {
                    return Err(AppError::validation(
                        &field,
                        format!("unknown field {field:?}; utm has campaign, source and medium"),
                    ));
                }
                if let Some(s) = domain::opt_text(&field, string(&field, v)?, 200)? {
                    out.insert(k.clone(), Value::String(s));
                }
            }
        }
        _ => return Err(AppError::validation("utm", "utm must be an object")),
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use serde_json::json;

    fn field_of(body: &str) -> String {
        match parse(body.as_bytes()) {
            Err(AppError::Validation { field, .. }) => field,
            other => panic!("expected a validation error for {body}, got {other:?}"),
        }
    }

    #[test]
    fn a_full_delivery_is_parsed_and_normalised() {
        let body = json!({
            "externalId": " form-42 ",
            "name": "Ana",
            "email": "ana@example.com",
            "phone": "+1 (555) 010-9999",
            "campaignId": "6f1c1f5e-3f7a-4b8e-9c1d-2a3b4c5d6e7f",
            "utm": { "campaign": "Summer Sale", "source": "", "medium": "cpc" },
            "attributes": { "company": "Acme", "utm": "overridden" }
        });
        let d = parse(body.to_string().as_bytes()).unwrap();
        assert_eq!(d.external_id.as_deref(), Some("form-42"));
        assert_eq!(d.phone.as_deref(), Some("+15550109999"));
        assert_eq!(
            d.stored_attributes(),
            json!({ "company": "Acme", "utm": { "campaign": "Summer Sale", "medium": "cpc" } })
        );
        assert_eq!(parse(b"{}").unwrap(), Delivery::default());
    }

    #[test]
    fn errors_name_the_field() {
        assert_eq!(field_of("{"), "body");
        assert_eq!(field_of("[1]"), "body");
        assert_eq!(field_of(r#"{"email": "not-an-email"}"#), "email");
        assert_eq!(field_of(r#"{"email": 5}"#), "email");
        assert_eq!(field_of(r#"{"phone": "call me"}"#), "phone");
        assert_eq!(field_of(r#"{"campaignId": "nope"}"#), "campaignId");
        assert_eq!(field_of(r#"{"utm": {"term": "x"}}"#), "utm.term");
        assert_eq!(field_of(r#"{"utm": {"campaign": 1}}"#), "utm.campaign");
        assert_eq!(field_of(r#"{"attributes": [1]}"#), "attributes");
        assert_eq!(field_of(r#"{"score": 100}"#), "score");
        assert_eq!(
            field_of(&format!(r#"{{"externalId": "{}"}}"#, "x".repeat(201))),
            "externalId"
        );
    }
}
