//! Parsed documents, kept by query text.
//!
//! Clients send the same few operations again and again, and
//! async-graphql's parser was ~12% of the server's CPU on a one-row query.
//! A parsed document depends on nothing but its text (no variables, no
//! caller), so it is parsed once and cloned for each request; limits and
//! execution still run every time, and validation does unless the document
//! passed it before (`validated`).

use super::lookup::Lookup;
use super::validated::{Types, Usage};
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

pub struct Documents {
    parsed: Mutex<HashMap<String, Arc<Kept>>>,
    /// The schema's types, for the variable checks of validated documents.
    pub types: Types,
}

/// A kept document, and the operations of it that passed full validation
/// (by the name the request gave).
pub struct Kept {
    doc: ExecutableDocument,
    validated: Mutex<Vec<(Option<String>, Arc<Passed>)>>,
}

/// What is known of an operation that passed full validation.
pub struct Passed {
    /// The variable usages to check on each request.
    pub usages: Vec<Usage>,
    /// Its plan, if it is a plain single-object lookup (`super::lookup`).
    pub lookup: Option<Lookup>,
}

impl Kept {
    pub fn doc(&self) -> &ExecutableDocument {
        &self.doc
    }

    /// What is known of `operation`, if it passed full validation.
    pub fn validated(&self, operation: Option<&str>) -> Option<Arc<Passed>> {
        let v = self.validated.lock().ok()?;
        v.iter()
            .find(|(op, _)| op.as_deref() == operation)
            .map(|(_, u)| u.clone())
    }

    /// Records that `operation` passed full validation with every variable
    /// of `usages` provided.
    pub fn keep_validated(&self, operation: Option<String>, usages: Vec<Usage>) {
        if let Ok(mut v) = self.validated.lock()
            && !v.iter().any(|(op, _)| *op == operation)
            // A document has few operations; a client naming ever-new ones
            // only ever costs full validation.
            && v.len() < 16
        {
            let lookup = super::lookup::plan(&self.doc, operation.as_deref());
            v.push((operation, Arc::new(Passed { usages, lookup })));
        }
    }
}

impl Documents {
    pub fn new(types: Types) -> Self {
        Self {
            parsed: Mutex::new(HashMap::new()),
            types,
        }
    }

    /// `req`'s parsed document (a kept one, or parsed now and kept), and
    /// what is kept of it (nothing for queries too long to keep).
    pub fn parse<'r>(&self, req: &'r mut Request) -> Result<(&'r ExecutableDocument, Option<Arc<Kept>>), ServerError> {
        let kept = if req.query.len() <= MAX_QUERY_LEN {
            Some(self.keep(req)?)
        } else {
            None
        };
        Ok((req.parsed_query()?, kept))
    }

    /// The kept entry of `req`'s text, its document set on `req`; parsed
    /// and kept now if new.
    fn keep(&self, req: &mut Request) -> Result<Arc<Kept>, ServerError> {
        if let Some(k) = self.parsed.lock().ok().and_then(|m| m.get(&req.query).cloned()) {
            req.set_parsed_query(k.doc.clone());
            return Ok(k);
        }
        let k = Arc::new(Kept {
            doc: req.parsed_query()?.clone(),
            validated: Mutex::new(Vec::new()),
        });
        if let Ok(mut m) = self.parsed.lock() {
            if m.len() >= MAX_ENTRIES {
                m.clear();
            }
            m.insert(req.query.clone(), k.clone());
        }
        Ok(k)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn documents() -> Documents {
        Documents::new(Types::from_sdl(&crate::graphql::sdl()).unwrap())
    }

    #[test]
    fn a_kept_document_is_the_one_parsed_and_errors_are_not_kept() {
        let docs = documents();
        let q = "query A { campaigns { nodes { id } } } query B { viewer { user { id } } }";
        let first = format!("{:?}", docs.parse(&mut Request::new(q)).unwrap().0);
        assert_eq!(docs.parsed.lock().unwrap().len(), 1);
        let again = format!("{:?}", docs.parse(&mut Request::new(q)).unwrap().0);
        assert_eq!(first, again);
        assert!(docs.parse(&mut Request::new("{ campaigns {")).is_err());
        assert_eq!(docs.parsed.lock().unwrap().len(), 1);
        for i in 0..MAX_ENTRIES {
            docs.parse(&mut Request::new(format!("{{ f{i} }}"))).unwrap();
        }
        assert!(docs.parsed.lock().unwrap().len() <= MAX_ENTRIES);
    }

    #[test]
    fn validated_operations_are_kept_per_document_and_name() {
        let docs = documents();
        let q = "query A { viewer { role } } query B { viewer { role } }";
        let (_, kept) = docs.parse(&mut Request::new(q)).unwrap();
        let kept = kept.unwrap();
        assert!(kept.validated(Some("A")).is_none());
        kept.keep_validated(Some("A".into()), Vec::new());
        assert!(kept.validated(Some("A")).is_some());
        assert!(kept.validated(Some("B")).is_none());
        assert!(kept.validated(None).is_none());
        let (_, again) = docs.parse(&mut Request::new(q)).unwrap();
        assert!(
            again.unwrap().validated(Some("A")).is_some(),
            "the same entry answers the same text"
        );
        let long = format!("{{ viewer {{ role }} }}{}", " ".repeat(MAX_QUERY_LEN));
        assert!(docs.parse(&mut Request::new(long)).unwrap().1.is_none());
    }
}
