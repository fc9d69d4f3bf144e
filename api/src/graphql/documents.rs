//! Parsed documents, kept by query text.
//!
//! Clients send the same few operations again and again, and
//! async-graphql's parser was ~12% of the server's CPU on a one-row query.
//! A parsed document depends on nothing but its text (no variables, no
//! caller), so it is parsed once and cloned for each request; validation,
//! limits and execution still run every time.

use async_graphql::parser::types::ExecutableDocument;
use async_graphql::{Request, ServerError};
use std::collections::HashMap;
use std::sync::{Arc, Mutex};

/// Documents kept at most; when full, the cache starts over (a client
/// sending ever-new queries only ever costs a parse, as without it).
/// Parsing happens before authentication, so the bound must hold against
/// anyone: 256 texts of at most 8 KiB, a few MiB with their trees.
const MAX_ENTRIES: usize = 256;
/// Longer queries are parsed each time rather than kept.
const MAX_QUERY_LEN: usize = 8 * 1024;

#[derive(Default)]
pub struct Documents {
    parsed: Mutex<HashMap<String, Arc<ExecutableDocument>>>,
}

impl Documents {
    /// `req`'s parsed document: a kept one, or parsed now (and kept).
    pub fn parse<'r>(&self, req: &'r mut Request) -> Result<&'r ExecutableDocument, ServerError> {
        if req.query.len() <= MAX_QUERY_LEN {
            let kept = self.parsed.lock().ok().and_then(|m| m.get(&req.query).cloned());
            match kept {
                Some(doc) => req.set_parsed_query((*doc).clone()),
                None => {
                    let doc = Arc::new(req.parsed_query()?.clone());
                    if let Ok(mut m) = self.parsed.lock() {
                        if m.len() >= MAX_ENTRIES {
                            m.clear();
                        }
                        m.insert(req.query.clone(), doc);
                    }
                }
            }
        }
        req.parsed_query()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_kept_document_is_the_one_parsed_and_errors_are_not_kept() {
        let docs = Documents::default();
        let q = "query A { campaigns { nodes { id } } } query B { viewer { user { id } } }";
        let first = format!("{:?}", docs.parse(&mut Request::new(q)).unwrap());
        assert_eq!(docs.parsed.lock().unwrap().len(), 1);
        let again = format!("{:?}", docs.parse(&mut Request::new(q)).unwrap());
        assert_eq!(first, again);
        assert!(docs.parse(&mut Request::new("{ campaigns {")).is_err());
        assert_eq!(docs.parsed.lock().unwrap().len(), 1);
        for i in 0..MAX_ENTRIES {
            docs.parse(&mut Request::new(format!("{{ f{i} }}"))).unwrap();
        }
        assert!(docs.parsed.lock().unwrap().len() <= MAX_ENTRIES);
    }
}
