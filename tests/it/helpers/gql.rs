//! Who calls, and small readers of GraphQL responses.

use serde_json::Value;

#[derive(Clone, Debug, Default)]
pub struct Caller {
    pub token: Option<String>,
    pub org: Option<String>,
}

impl Caller {
    pub fn anonymous() -> Caller {
        Caller::default()
    }

    pub fn in_org(&self, org: &str) -> Caller {
        Caller {
            token: self.token.clone(),
            org: Some(org.to_string()),
        }
    }

    pub fn post(&self, http: &reqwest::Client, url: &str) -> reqwest::RequestBuilder {
        let mut rb = http.post(url);
        if let Some(t) = &self.token {
            rb = rb.bearer_auth(t);
        }
        if let Some(o) = &self.org {
            rb = rb.header("X-Org-Id", o);
        }
        rb
    }
}

/// The first error's `extensions.code`, or "" when there is none.
pub fn code_of(body: &Value) -> String {
    body["errors"][0]["extensions"]["code"]
        .as_str()
        .unwrap_or("")
        .to_string()
}

/// `data`, asserting there were no errors.
pub fn data_of(body: &Value) -> &Value {
    assert!(body["errors"].is_null(), "unexpected errors: {body}");
    &body["data"]
}
