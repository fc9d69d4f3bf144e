//! The lead scoring engine: pure functions, no I/O.
//!
//! A rule is `field op value -> scoreDelta, tag`. Every rule of the org runs
//! on every new or updated lead in a stable order (the caller passes them
//! ordered by created_at, id); the score is the sum of the deltas of the
//! rules that match, the tags are those of the matching rules, de-duplicated
//! in rule order. Rules are checked when they are created, so a stored rule
//! always parses.

use crate::error::AppError;
use serde_json::Value;
use uuid::Uuid;

/// The largest |scoreDelta| a rule may carry (keeps sums far from overflow).
pub const MAX_DELTA: i32 = 1_000_000;
/// Longest tag, in characters.
pub const MAX_TAG_CHARS: usize = 50;
/// Most manual tags on one lead.
pub const MAX_TAGS: usize = 50;
const MAX_PATH_DEPTH: usize = 10;
const STAGES: [&str; 5] = ["NEW", "QUALIFIED", "CONTACTED", "CONVERTED", "DISQUALIFIED"];

/// How a rule compares the field with its value.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// Equal (strings ignore case; numeric strings compare as numbers).
    Eq,
    /// Not equal; also true when the field is missing.
    Neq,
    /// A string contains the value (ignoring case), or a list has it.
    Contains,
    /// The field is present, not null and not an empty string.
    Exists,
    /// Greater than a number.
    Gt,
    /// Less than a number.
    Lt,
}

impl Op {
    /// Every op, as stored and as clients write it.
    pub const NAMES: &'static str = "eq, neq, contains, exists, gt, lt";

    pub fn parse(s: &str) -> Option<Op> {
        Some(match s {
            "eq" => Op::Eq,
            "neq" => Op::Neq,
            "contains" => Op::Contains,
            "exists" => Op::Exists,
            "gt" => Op::Gt,
            "lt" => Op::Lt,
            _ => return None,
        })
    }
}

/// What a rule looks at.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Field {
    Name,
    Email,
    Phone,
    ExternalId,
    Stage,
    CampaignId,
    /// `utm.source`, `utm.medium` or `utm.campaign` (kept in `attributes.utm`).
    Utm(&'static str),
    /// `attributes.<dot.path>`; a numeric segment indexes a list.
    Attribute(Vec<String>),
}

impl Field {
    pub fn parse(s: &str) -> Option<Field> {
        Some(match s {
            "name" => Field::Name,
            "email" => Field::Email,
            "phone" => Field::Phone,
            "externalId" => Field::ExternalId,
            "stage" => Field::Stage,
            "campaignId" => Field::CampaignId,
            "utm.source" => Field::Utm("source"),
            "utm.medium" => Field::Utm("medium"),
            "utm.campaign" => Field::Utm("campaign"),
            _ => {
                let path = s.strip_prefix("attributes.")?;
                let segments: Vec<String> = path.split('.').map(str::to_string).collect();
                let ok = segments.len() <= MAX_PATH_DEPTH
                    && segments
                        .iter()
                        .all(|p| !p.is_empty() && p.chars().count() <= 100 && !p.chars().any(char::is_control));
                if !ok {
                    return None;
                }
                Field::Attribute(segments)
            }
        })
    }
}

/// A checked rule.
#[derive(Clone, Debug)]
pub struct Rule {
    pub field: Field,
    pub op: Op,
    pub value: Option<Value>,
    pub score_delta: i32,
    pub tag: Option<String>,
}

impl Rule {
    /// Checks a rule as a client wrote it; errors name the input field
    /// (`field`, `op`, `value`, `scoreDelta`, `tag`).
    pub fn parse(
        field: &str,
        op: &str,
        value: Option<Value>,
        score_delta: i32,
        tag: Option<&str>,
    ) -> Result<Rule, AppError> {
        let op = Op::parse(op.trim())
            .ok_or_else(|| AppError::validation("op", format!("op must be one of: {}", Op::NAMES)))?;
        let parsed = Field::parse(field.trim()).ok_or_else(|| {
            AppError::validation(
                "field",
                "field must be name, email, phone, externalId, stage, campaignId, utm.source, utm.medium, \
                 utm.campaign or attributes.<path>",
            )
        })?;
        let value = value.filter(|v| !v.is_null());
        let bad_value = |m: &str| Err(AppError::validation("value", m));
        match (op, &value) {
            (Op::Exists, Some(_)) => return bad_value("exists takes no value"),
            (Op::Exists, None) => {}
            (_, None) => return bad_value("this op needs a value"),
            (Op::Gt | Op::Lt, Some(v)) => {
                if !v.is_number() {
                    return bad_value("gt and lt need a number");
                }
                if !matches!(parsed, Field::Attribute(_)) {
                    return Err(AppError::validation("op", "gt and lt apply to attributes.<path> only"));
                }
            }
            (Op::Contains, Some(v)) => {
                if v.as_str().is_none_or(str::is_empty) {
                    return bad_value("contains needs a non-empty string");
                }
            }
            (Op::Eq | Op::Neq, Some(v)) => {
                if !(v.is_string() || v.is_number() || v.is_boolean()) {
                    return bad_value("eq and neq need a string, a number or a boolean");
                }
                if parsed == Field::Stage
                    && !v
                        .as_str()
                        .is_some_and(|s| STAGES.iter().any(|x| x.eq_ignore_ascii_case(s)))
                {
                    return bad_value("stage is one of NEW, QUALIFIED, CONTACTED, CONVERTED, DISQUALIFIED");
                }
                if parsed == Field::CampaignId && v.as_str().is_none_or(|s| Uuid::parse_str(s).is_err()) {
                    return bad_value("campaignId is compared with a campaign id");
                }
            }
        }
        if !(-MAX_DELTA..=MAX_DELTA).contains(&score_delta) {
            return Err(AppError::validation(
                "scoreDelta",
                format!("scoreDelta must be between -{MAX_DELTA} and {MAX_DELTA}"),
            ));
        }
        let tag = tag.map(|t| clean_tag("tag", t)).transpose()?;
        Ok(Rule {
            field: parsed,
            op,
            value,
            score_delta,
            tag,
        })
    }

    /// Whether the rule holds for `lead`.
    pub fn matches(&self, lead: &LeadFacts<'_>) -> bool {
        let actual = lead.get(&self.field);
        let actual = actual.as_ref().filter(|v| !v.is_null());
        match (self.op, actual, &self.value) {
            (Op::Exists, Some(v), _) => v.as_str().is_none_or(|s| !s.trim().is_empty()),
            (Op::Exists, None, _) => false,
            (Op::Eq, Some(a), Some(b)) => equal(a, b),
            (Op::Neq, Some(a), Some(b)) => !equal(a, b),
            (Op::Neq, None, _) => true,
            (Op::Contains, Some(a), Some(Value::String(needle))) => contains(a, needle),
            (Op::Gt, Some(a), Some(b)) => matches!((number(a), b.as_f64()), (Some(x), Some(y)) if x > y),
            (Op::Lt, Some(a), Some(b)) => matches!((number(a), b.as_f64()), (Some(x), Some(y)) if x < y),
            _ => false,
        }
    }
}

/// The lead as the rules see it (after the write is merged).
#[derive(Clone, Copy, Debug)]
pub struct LeadFacts<'a> {
    pub name: Option<&'a str>,
    pub email: Option<&'a str>,
    pub phone: Option<&'a str>,
    pub external_id: Option<&'a str>,
    pub stage: &'a str,
    pub campaign_id: Option<Uuid>,
    pub attributes: &'a Value,
}

impl LeadFacts<'_> {
    fn get(&self, field: &Field) -> Option<Value> {
        let s = |v: Option<&str>| v.map(|x| Value::String(x.to_string()));
        match field {
            Field::Name => s(self.name),
            Field::Email => s(self.email),
            Field::Phone => s(self.phone),
            Field::ExternalId => s(self.external_id),
            Field::Stage => Some(Value::String(self.stage.to_string())),
            Field::CampaignId => self.campaign_id.map(|c| Value::String(c.to_string())),
            Field::Utm(key) => self.attributes.get("utm").and_then(|u| u.get(*key)).cloned(),
            Field::Attribute(path) => {
                let mut cur = self.attributes;
                for segment in path {
                    cur = match cur {
                        Value::Object(map) => map.get(segment)?,
                        Value::Array(items) => items.get(segment.parse::<usize>().ok()?)?,
                        _ => return None,
                    };
                }
                Some(cur.clone())
            }
        }
    }
}

fn number(v: &Value) -> Option<f64> {
    match v {
        Value::Number(n) => n.as_f64(),
        Value::String(s) => s.trim().parse::<f64>().ok().filter(|f| f.is_finite()),
        _ => None,
    }
}

fn equal(actual: &Value, expected: &Value) -> bool {
    match (actual, expected) {
        (Value::String(a), Value::String(b)) => a.to_lowercase() == b.to_lowercase(),
        (_, Value::Number(_)) => matches!((number(actual), number(expected)), (Some(x), Some(y)) if x == y),
        (Value::Bool(a), Value::Bool(b)) => a == b,
        (Value::String(a), Value::Bool(b)) => a.eq_ignore_ascii_case(if *b { "true" } else { "false" }),
        _ => false,
    }
}

fn contains(actual: &Value, needle: &str) -> bool {
    match actual {
        Value::String(s) => s.to_lowercase().contains(&needle.to_lowercase()),
        Value::Array(items) => items
            .iter()
            .any(|i| i.as_str().is_some_and(|s| s.to_lowercase() == needle.to_lowercase())),
        _ => false,
    }
}

/// The result of scoring a lead.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Scored {
    pub score: i32,
    /// Tags of the matching rules, de-duplicated, in rule order.
    pub rule_tags: Vec<String>,
}

/// Runs `rules` (already in their stable order) over `lead`.
pub fn score(rules: &[Rule], lead: &LeadFacts<'_>) -> Scored {
    let mut out = Scored::default();
    for rule in rules.iter().filter(|r| r.matches(lead)) {
        out.score = out.score.saturating_add(rule.score_delta);
        if let Some(tag) = &rule.tag
            && !out.rule_tags.contains(tag)
        {
            out.rule_tags.push(tag.clone());
        }
    }
    out
}

/// What `Lead.tags` shows: manual tags first, then rule tags, without repeats.
pub fn all_tags(manual: &[String], rule_tags: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::with_capacity(manual.len() + rule_tags.len());
    for t in manual.iter().chain(rule_tags) {
        if !out.contains(t) {
            out.push(t.clone());
        }
    }
    out
}

fn clean_tag(field: &str, tag: &str) -> Result<String, AppError> {
    let t = tag.trim();
    if t.is_empty() || t.chars().count() > MAX_TAG_CHARS || t.chars().any(char::is_control) {
        return Err(AppError::validation(
            field,
            format!("a tag is 1 to {MAX_TAG_CHARS} characters, without control characters"),
        ));
    }
    Ok(t.to_string())
}

/// Checks manual tags (trimmed, de-duplicated, at most [`MAX_TAGS`]).
pub fn clean_tags(field: &str, tags: &[String]) -> Result<Vec<String>, AppError> {
    if tags.len() > MAX_TAGS {
        return Err(AppError::validation(field, format!("at most {MAX_TAGS} tags")));
    }
    let mut out: Vec<String> = Vec::with_capacity(tags.len());
    for t in tags {
        let t = clean_tag(field, t)?;
        if !out.contains(&t) {
            out.push(t);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests;
