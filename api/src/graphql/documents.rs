//! Parsed documents, kept by query text.
//!
//! Clients send the same few operations again and again, and
//! async-graphql's parser was ~12% of the server's CPU on a one-row query.
//! A parsed document depends on nothing but its text (no variables, no
//! caller), so it is parsed once and cloned for each request the schema
//! runs (a lookup, `lookup.rs`, needs no copy); limits and
//! execution still run every time, and validation does unless the document
//! passed it before (`validated`).

use super::insert::Insert;
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
    /// Its plan, if it is a plain single-statement mutation
    /// (`super::insert`).
    pub insert: Option<Insert>,
}

impl Kept {
    pub fn doc(&self) -> &ExecutableDocument {
        &self.doc
    }

    /// Sets a copy of the document on `req`, so that the schema does not
    /// parse its text again.
    pub fn attach(&self, req: &mut Request) {
        req.set_parsed_query(self.doc.clone());
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
            let insert = super::insert::plan(&self.doc, operation.as_deref());
            v.push((operation, Arc::new(Passed { usages, lookup, insert })));
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

    /// What is kept of `req`'s document: the kept entry of its text,
    /// parsed now and kept if new; `None` for queries too long to keep,
    /// which are parsed into `req` instead. A kept document is not copied
    /// onto `req` here: [`Kept::attach`] does that when the request goes to
    /// the schema, which a lookup answered before it never does.
    pub fn parse(&self, req: &mut Request) -> Result<Option<Arc<Kept>>, ServerError> {
        if req.query.len() > MAX_QUERY_LEN {
            req.parsed_query()?;
            return Ok(None);
        }
        if let Some(k) = self.parsed.lock().ok().and_then(|m| m.get(&req.query).cloned()) {
            return Ok(Some(k));
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
        Ok(Some(k))
    }
}

/// `req`'s document after [`Documents::parse`]: the kept one, else the one
/// parsed into `req`.
pub fn document<'a>(kept: Option<&'a Kept>, req: &'a mut Request) -> Result<&'a ExecutableDocument, ServerError> {
    match kept {
        Some(k) => Ok(k.doc()),
        None => req.parsed_query(),
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
        let first = docs.parse(&mut Request::new(q)).unwrap().unwrap();
        assert_eq!(docs.parsed.lock().unwrap().len(), 1);
        let again = docs.parse(&mut Request::new(q)).unwrap().unwrap();
        assert!(Arc::ptr_eq(&first, &again), "the same text, the same entry");
        assert!(docs.parse(&mut Request::new("{ campaigns {")).is_err());
        assert_eq!(docs.parsed.lock().unwrap().len(), 1);
        for i in 0..MAX_ENTRIES {
            docs.parse(&mut Request::new(format!("{{ f{i} }}"))).unwrap();
        }
        assert!(docs.parsed.lock().unwrap().len() <= MAX_ENTRIES);
        // (One operation: a document's operations are a map, in no order.)
        let one = "query A { campaigns { nodes { id } } }";
        assert_eq!(
            format!("{:?}", docs.parse(&mut Request::new(one)).unwrap().unwrap().doc()),
            format!("{:?}", Request::new(one).parsed_query().unwrap())
        );
    }

    #[test]
    fn attach_sets_the_kept_document_on_a_request() {
        let docs = documents();
        let kept = docs.parse(&mut Request::new("{ viewer { role } }")).unwrap().unwrap();
        // A request of another text: what it runs is what was attached,
        // not its own text parsed.
        let mut req = Request::new("{ __typename }");
        kept.attach(&mut req);
        assert_eq!(
            format!("{:?}", req.parsed_query().unwrap()),
            format!("{:?}", kept.doc())
        );
    }

    #[test]
    fn a_long_query_is_parsed_into_its_request_and_not_kept() {
        let docs = documents();
        let long = format!("{{ viewer {{ role }} }}{}", " ".repeat(MAX_QUERY_LEN));
        let mut req = Request::new(long.clone());
        assert!(docs.parse(&mut req).unwrap().is_none());
        assert!(docs.parsed.lock().unwrap().is_empty());
        assert_eq!(
            format!("{:?}", document(None, &mut req).unwrap()),
            format!("{:?}", Request::new(long).parsed_query().unwrap())
        );
        let mut bad = Request::new(format!("{{ viewer {{ {}", " ".repeat(MAX_QUERY_LEN)));
        assert!(docs.parse(&mut bad).is_err());
    }

    #[test]
    fn validated_operations_are_kept_per_document_and_name() {
        let docs = documents();
        let q = "query A { viewer { role } } query B { viewer { role } }";
        let kept = docs.parse(&mut Request::new(q)).unwrap().unwrap();
        assert!(kept.validated(Some("A")).is_none());
        kept.keep_validated(Some("A".into()), Vec::new());
        assert!(kept.validated(Some("A")).is_some());
        assert!(kept.validated(Some("B")).is_none());
        assert!(kept.validated(None).is_none());
        let again = docs.parse(&mut Request::new(q)).unwrap();
        assert!(
            again.unwrap().validated(Some("A")).is_some(),
            "the same entry answers the same text"
        );
    }
}
