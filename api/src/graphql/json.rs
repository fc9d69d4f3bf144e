//! Writing responses as JSON.
//!
//! A connection built by `direct` arrives already written, as
//! `Value::Binary` (no output type of this schema is binary, so no resolver
//! returns one): its bytes are copied into the response as they are, and
//! everything else is serialized by serde_json, as before. Responses only
//! leave the server through [`response`].

use async_graphql::{Response, Value};
use serde::Serialize;

/// Appends `v` as JSON. Writing to a `Vec` cannot fail, and none of the
/// values written here has a non-string map key (serde_json's only other
/// error), so there is no error to report.
pub(crate) fn push<T: Serialize + ?Sized>(out: &mut Vec<u8>, v: &T) {
    let _ = serde_json::to_writer(&mut *out, v);
}

/// The response body: `data`, then `extensions` and `errors` when there
/// are any (the field order of async-graphql's own serialization).
pub(crate) fn response(resp: &Response) -> Vec<u8> {
    let mut out = Vec::with_capacity(512);
    out.extend_from_slice(br#"{"data":"#);
    value(&mut out, &resp.data);
    if !resp.extensions.is_empty() {
        out.extend_from_slice(br#","extensions":"#);
        push(&mut out, &resp.extensions);
    }
    if !resp.errors.is_empty() {
        out.extend_from_slice(br#","errors":"#);
        push(&mut out, &resp.errors);
    }
    out.push(b'}');
    out
}

fn value(out: &mut Vec<u8>, v: &Value) {
    match v {
        Value::Binary(written) => out.extend_from_slice(written),
        Value::List(items) => {
            out.push(b'[');
            for (i, item) in items.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                value(out, item);
            }
            out.push(b']');
        }
        Value::Object(fields) => {
            out.push(b'{');
            for (i, (k, v)) in fields.iter().enumerate() {
                if i > 0 {
                    out.push(b',');
                }
                push(out, k.as_str());
                out.push(b':');
                value(out, v);
            }
            out.push(b'}');
        }
        other => push(out, other),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use async_graphql::indexmap::IndexMap;
    use async_graphql::{Name, ServerError};

    fn object(fields: Vec<(&str, Value)>) -> Value {
        Value::Object(
            fields
                .into_iter()
                .map(|(k, v)| (Name::new(k), v))
                .collect::<IndexMap<_, _>>(),
        )
    }

    fn sample() -> Value {
        object(vec![
            (
                "s",
                Value::String("quote \" backslash \\ newline \n tab \t nul \u{0} é 🎉".into()),
            ),
            ("n", Value::from(-42)),
            ("f", Value::from(1.5)),
            ("b", Value::Boolean(true)),
            ("null", Value::Null),
            ("e", Value::Enum(Name::new("DRAFT"))),
            ("empty", Value::List(vec![])),
            (
                "nested",
                Value::List(vec![object(vec![]), object(vec![("k\"ey", Value::from(1))])]),
            ),
        ])
    }

    #[test]
    fn without_written_parts_it_is_serde_json_byte_for_byte() {
        let mut resp = Response::new(sample());
        assert_eq!(response(&resp), serde_json::to_vec(&resp).unwrap());
        resp.errors.push(ServerError::new("boom", None));
        resp.extensions.insert("cost".into(), Value::from(3));
        assert_eq!(response(&resp), serde_json::to_vec(&resp).unwrap());
        let empty = Response::new(Value::Null);
        assert_eq!(response(&empty), serde_json::to_vec(&empty).unwrap());
    }

    #[test]
    fn written_parts_are_copied_in_as_they_are() {
        let written = br#"{"nodes":[{"id":"a"}],"totalCount":1}"#;
        let data = object(vec![
            ("campaigns", Value::Binary(written.to_vec().into())),
            ("me", object(vec![("id", Value::String("u".into()))])),
        ]);
        let body = response(&Response::new(data));
        let parsed: serde_json::Value = serde_json::from_slice(&body).unwrap();
        assert_eq!(
            parsed,
            serde_json::json!({
                "data": { "campaigns": { "nodes": [{ "id": "a" }], "totalCount": 1 }, "me": { "id": "u" } }
            })
        );
    }
}
