//! Validated values ("parse, don't validate"): each `parse` returns the value
//! or a `BAD_USER_INPUT` error naming the input field.

pub mod campaign;

use crate::error::AppError;
use uuid::Uuid;

/// Parses an `ID` argument that must be a UUID.
pub fn parse_id(field: &str, value: &str) -> Result<Uuid, AppError> {
    Uuid::parse_str(value.trim()).map_err(|_| AppError::validation(field, format!("{field} is not a valid id")))
}

/// A trimmed, non-empty string of at most `max` characters.
pub fn text(field: &str, value: &str, max: usize) -> Result<String, AppError> {
    let v = value.trim();
    if v.is_empty() {
        return Err(AppError::validation(field, format!("{field} must not be empty")));
    }
    if v.chars().count() > max {
        return Err(AppError::validation(
            field,
            format!("{field} must be at most {max} characters"),
        ));
    }
    if v.chars().any(|c| c.is_control() && c != '\n' && c != '\t') {
        return Err(AppError::validation(
            field,
            format!("{field} must not contain control characters"),
        ));
    }
    Ok(v.to_string())
}

/// Like [`text`], for optional fields: `None` or blank stays `None`.
pub fn opt_text(field: &str, value: Option<&str>, max: usize) -> Result<Option<String>, AppError> {
    match value {
        None => Ok(None),
        Some(v) if v.trim().is_empty() => Ok(None),
        Some(v) => text(field, v, max).map(Some),
    }
}

pub struct Email;

impl Email {
    /// A pragmatic address check: one `@`, a dotted domain, no spaces, bounded.
    pub fn parse(value: &str) -> Result<String, &'static str> {
        let v = value.trim();
        if v.len() < 3 || v.len() > 254 {
            return Err("email must be 3 to 254 characters");
        }
        let (local, domain) = v.rsplit_once('@').ok_or("email must contain @")?;
        let ok_local = !local.is_empty()
            && local.len() <= 64
            && !local.contains('@')
            && local
                .chars()
                .all(|c| c.is_ascii_alphanumeric() || "!#$%&'*+/=?^_`{|}~.-".contains(c) || !c.is_ascii())
            && !local.starts_with('.')
            && !local.ends_with('.')
            && !local.contains("..");
        let ok_domain = domain.contains('.')
            && !domain.starts_with('.')
            && !domain.ends_with('.')
            && !domain.contains("..")
            && domain.split('.').all(|l| {
                !l.is_empty()
                    && !l.starts_with('-')
                    && !l.ends_with('-')
                    && l.chars().all(|c| c.is_alphanumeric() || c == '-')
            });
        if ok_local && ok_domain {
            Ok(v.to_string())
        } else {
            Err("email is not a valid address")
        }
    }

    pub fn parse_field(field: &str, value: &str) -> Result<String, AppError> {
        Self::parse(value).map_err(|m| AppError::validation(field, m))
    }
}

/// E.164-ish phone numbers: optional +, 7 to 15 digits, common separators.
pub fn phone(field: &str, value: &str) -> Result<String, AppError> {
    let v = value.trim();
    let digits: String = v.chars().filter(|c| c.is_ascii_digit()).collect();
    let allowed = v.chars().all(|c| c.is_ascii_digit() || " +-().".contains(c));
    let plus_ok = v.chars().filter(|&c| c == '+').count() <= 1 && (!v.contains('+') || v.starts_with('+'));
    if !allowed || !plus_ok || !(7..=15).contains(&digits.len()) {
        return Err(AppError::validation(
            field,
            "phone must be a phone number with 7 to 15 digits",
        ));
    }
    Ok(if v.starts_with('+') {
        format!("+{digits}")
    } else {
        digits
    })
}

/// Org slugs: lower-case letters, digits and inner dashes, 1 to 63.
pub fn slug(field: &str, value: &str) -> Result<String, AppError> {
    let v = value.trim();
    let ok = (1..=63).contains(&v.len())
        && v.chars()
            .all(|c| c.is_ascii_lowercase() || c.is_ascii_digit() || c == '-')
        && !v.starts_with('-')
        && !v.ends_with('-');
    if ok {
        Ok(v.to_string())
    } else {
        Err(AppError::validation(
            field,
            "slug must be 1 to 63 lower-case letters, digits or inner dashes",
        ))
    }
}

/// A slug made from a free-text name (campaign attribution by utm_campaign).
pub fn slugify(name: &str) -> String {
    let mut out = String::new();
    let mut dash = false;
    for c in name.chars().flat_map(char::to_lowercase) {
        if c.is_alphanumeric() {
            out.push(c);
            dash = false;
        } else if !dash && !out.is_empty() {
            out.push('-');
            dash = true;
        }
    }
    while out.ends_with('-') {
        out.pop();
    }
    out
}

/// `#RRGGBB`
pub fn color(field: &str, value: &str) -> Result<String, AppError> {
    let v = value.trim();
    if v.len() == 7 && v.starts_with('#') && v[1..].chars().all(|c| c.is_ascii_hexdigit()) {
        Ok(v.to_ascii_uppercase())
    } else {
        Err(AppError::validation(field, "colour must be #RRGGBB"))
    }
}

/// BCP-47 language tags as used for marketing locales: a 2-3 letter language,
/// optional 4-letter script, optional 2-letter or 3-digit region, optional
/// variants. Returned in canonical case (`pt-BR`, `zh-Hant-TW`).
pub fn locale(field: &str, value: &str) -> Result<String, AppError> {
    let bad = || {
        AppError::validation(
            field,
            format!("{value:?} is not a BCP-47 language tag (e.g. en, en-US, pt-BR)"),
        )
    };
    let v = value.trim().replace('_', "-");
    if v.is_empty() || v.len() > 35 {
        return Err(bad());
    }
    let mut parts = v.split('-');
    let lang = parts.next().ok_or_else(bad)?;
    if !(2..=3).contains(&lang.len()) || !lang.chars().all(|c| c.is_ascii_alphabetic()) {
        return Err(bad());
    }
    let mut out = lang.to_ascii_lowercase();
    let mut stage = 0; // 0: script next, 1: region next, 2: variants
    for p in parts {
        if p.is_empty() || !p.chars().all(|c| c.is_ascii_alphanumeric()) {
            return Err(bad());
        }
        if stage == 0 && p.len() == 4 && p.chars().all(|c| c.is_ascii_alphabetic()) {
            let mut s = p.to_ascii_lowercase();
            s[..1].make_ascii_uppercase();
            out.push('-');
            out.push_str(&s);
            stage = 1;
        } else if stage <= 1
            && ((p.len() == 2 && p.chars().all(|c| c.is_ascii_alphabetic()))
                || (p.len() == 3 && p.chars().all(|c| c.is_ascii_digit())))
        {
            out.push('-');
            out.push_str(&p.to_ascii_uppercase());
            stage = 2;
        } else if (5..=8).contains(&p.len()) || (p.len() == 4 && p.starts_with(|c: char| c.is_ascii_digit())) {
            out.push('-');
            out.push_str(&p.to_ascii_lowercase());
            stage = 2;
        } else {
            return Err(bad());
        }
    }
    Ok(out)
}

/// An absolute http(s) URL.
pub fn http_url(field: &str, value: &str) -> Result<String, AppError> {
    let v = value.trim();
    let bad = || AppError::validation(field, format!("{field} must be an http(s) URL"));
    if v.len() > 2048 {
        return Err(bad());
    }
    let url = url::Url::parse(v).map_err(|_| bad())?;
    if !matches!(url.scheme(), "http" | "https") || url.host_str().is_none_or(str::is_empty) {
        return Err(bad());
    }
    Ok(url.to_string())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn locales_are_canonicalised_and_garbage_is_refused() {
        for (input, want) in [
            ("en", "en"),
            ("en-US", "en-US"),
            ("pt-br", "pt-BR"),
            ("zh-hant-tw", "zh-Hant-TW"),
            ("es-419", "es-419"),
            ("de_DE", "de-DE"),
        ] {
            assert_eq!(locale("locales", input).unwrap(), want, "{input}");
        }
        for bad in ["", "e", "english", "en-", "en--US", "12", "en-US-x!", "en US"] {
            assert!(locale("locales", bad).is_err(), "{bad:?} should be refused");
        }
    }

    #[test]
    fn emails_need_a_local_part_and_a_dotted_domain() {
        assert!(Email::parse("ana@example.com").is_ok());
        assert!(Email::parse("a.b+c@sub.example.co").is_ok());
        for bad in [
            "",
            "a",
            "@example.com",
            "ana@",
            "ana@example",
            "ana@@example.com",
            "a b@example.com",
            "ana@.com",
        ] {
            assert!(Email::parse(bad).is_err(), "{bad:?}");
        }
    }

    #[test]
    fn phones_keep_digits_and_a_leading_plus() {
        assert_eq!(phone("phone", "+1 (555) 010-9999").unwrap(), "+15550109999");
        assert!(phone("phone", "12").is_err());
        assert!(phone("phone", "555-abc-1234").is_err());
        assert!(phone("phone", "55+5123456").is_err());
    }

    #[test]
    fn urls_must_be_http() {
        assert!(http_url("landingUrl", "https://example.com/x?y=1").is_ok());
        assert!(http_url("landingUrl", "javascript:alert(1)").is_err());
        assert!(http_url("landingUrl", "ftp://example.com").is_err());
        assert!(http_url("landingUrl", "not a url").is_err());
    }

    #[test]
    fn slugify_makes_url_safe_names() {
        assert_eq!(slugify("Summer Sale 2026!"), "summer-sale-2026");
        assert_eq!(slugify("  --Crème Brûlée--  "), "crème-brûlée");
    }
}
