//! Cost checks that run on the parsed document before async-graphql
//! validates it.
//!
//! async-graphql's validators re-walk a fragment at every spread, so a short
//! document of chained fragments (each spreading the next twice) costs time
//! exponential in its length before any limit is compared. Here every
//! fragment is measured once (memoised), so the check is linear in the
//! document, and a document whose expansion is too large, too deep or too
//! aliased is refused before validation ever sees it.

use crate::error::AppError;
use async_graphql::parser::types::{DocumentOperations, ExecutableDocument, OperationType, Selection, SelectionSet};
use std::collections::HashMap;

#[derive(Clone, Copy, Debug)]
pub struct Limits {
    /// Fields in the fully expanded operation.
    pub max_fields: u64,
    /// Aliased fields in the fully expanded operation.
    pub max_aliases: u64,
    /// Nesting depth of the fully expanded operation.
    pub max_depth: u64,
    /// Fragment spreads written in the document.
    pub max_spreads: usize,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            max_fields: 5_000,
            max_aliases: 30,
            max_depth: 16,
            max_spreads: 300,
        }
    }
}

#[derive(Clone, Copy, Default)]
struct Cost {
    fields: u64,
    aliases: u64,
    depth: u64,
}

impl Cost {
    fn add(self, o: Cost) -> Cost {
        Cost {
            fields: self.fields.saturating_add(o.fields),
            aliases: self.aliases.saturating_add(o.aliases),
            depth: self.depth.max(o.depth),
        }
    }
}

struct Walker<'a> {
    doc: &'a ExecutableDocument,
    memo: HashMap<&'a str, Cost>,
    in_progress: Vec<&'a str>,
    limits: Limits,
}

fn too_complex(what: &str) -> AppError {
    AppError::QueryTooComplex(format!("query is too complex: {what}"))
}

impl<'a> Walker<'a> {
    fn check(&self, c: Cost) -> Result<(), AppError> {
        if c.fields > self.limits.max_fields {
            return Err(too_complex(&format!(
                "more than {} fields once fragments are expanded",
                self.limits.max_fields
            )));
        }
        if c.aliases > self.limits.max_aliases {
            return Err(too_complex(&format!("more than {} aliases", self.limits.max_aliases)));
        }
        if c.depth > self.limits.max_depth {
            return Err(too_complex(&format!("nested deeper than {}", self.limits.max_depth)));
        }
        Ok(())
    }

    fn selection_set(&mut self, set: &'a SelectionSet) -> Result<Cost, AppError> {
        let mut total = Cost::default();
        for sel in &set.items {
            let c = match &sel.node {
                Selection::Field(f) => {
                    let inner = self.selection_set(&f.node.selection_set.node)?;
                    Cost {
                        fields: inner.fields.saturating_add(1),
                        aliases: inner.aliases.saturating_add(u64::from(f.node.alias.is_some())),
                        depth: inner.depth + 1,
                    }
                }
                Selection::InlineFragment(f) => self.selection_set(&f.node.selection_set.node)?,
                Selection::FragmentSpread(s) => self.fragment(s.node.fragment_name.node.as_str())?,
            };
            total = total.add(c);
            self.check(total)?;
        }
        Ok(total)
    }

    fn fragment(&mut self, name: &'a str) -> Result<Cost, AppError> {
        if let Some(c) = self.memo.get(name) {
            return Ok(*c);
        }
        if self.in_progress.contains(&name) {
            return Err(AppError::validation("query", format!("fragment {name} spreads itself")));
        }
        let Some((key, def)) = self.doc.fragments.get_key_value(name) else {
            // Unknown fragments are reported by validation.
            return Ok(Cost::default());
        };
        self.in_progress.push(key.as_str());
        let c = self.selection_set(&def.node.selection_set.node)?;
        self.in_progress.pop();
        self.memo.insert(key.as_str(), c);
        Ok(c)
    }
}

fn count_spreads(set: &SelectionSet) -> usize {
    set.items
        .iter()
        .map(|s| match &s.node {
            Selection::Field(f) => count_spreads(&f.node.selection_set.node),
            Selection::InlineFragment(f) => count_spreads(&f.node.selection_set.node),
            Selection::FragmentSpread(_) => 1,
        })
        .sum()
}

/// Checks the operation that will run and returns its type.
pub fn check(
    doc: &ExecutableDocument,
    operation_name: Option<&str>,
    limits: Limits,
) -> Result<OperationType, AppError> {
    let spreads: usize = doc
        .fragments
        .values()
        .map(|f| count_spreads(&f.node.selection_set.node))
        .sum::<usize>()
        + doc
            .operations
            .iter()
            .map(|(_, op)| count_spreads(&op.node.selection_set.node))
            .sum::<usize>();
    if spreads > limits.max_spreads {
        return Err(too_complex(&format!(
            "more than {} fragment spreads",
            limits.max_spreads
        )));
    }
    let op = match (&doc.operations, operation_name) {
        (DocumentOperations::Single(op), _) => op,
        (DocumentOperations::Multiple(ops), Some(name)) => ops
            .get(name)
            .ok_or_else(|| AppError::validation("operationName", format!("no operation named {name:?}")))?,
        (DocumentOperations::Multiple(ops), None) if ops.len() == 1 => ops
            .values()
            .next()
            .ok_or_else(|| AppError::validation("operationName", "no operation"))?,
        (DocumentOperations::Multiple(_), None) => {
            return Err(AppError::validation(
                "operationName",
                "the document has several operations: name one",
            ));
        }
    };
    let mut walker = Walker {
        doc,
        memo: HashMap::new(),
        in_progress: Vec::new(),
        limits,
    };
    let cost = walker.selection_set(&op.node.selection_set.node)?;
    walker.check(cost)?;
    Ok(op.node.ty)
}

#[cfg(test)]
mod tests {
    use super::*;
    use async_graphql::parser::parse_query;

    fn run(q: &str) -> Result<OperationType, AppError> {
        check(&parse_query(q).unwrap(), None, Limits::default())
    }

    #[test]
    fn ordinary_queries_pass() {
        assert!(matches!(
            run("{ viewer { user { id email } } }"),
            Ok(OperationType::Query)
        ));
        assert!(matches!(
            run("mutation { createOrg(input: {name: \"a\", slug: \"a\"}) { org { id } } }"),
            Ok(OperationType::Mutation)
        ));
    }

    #[test]
    fn a_fragment_bomb_is_refused_quickly() {
        let mut q = String::from("query { ...F0 }\n");
        for i in 0..40 {
            q.push_str(&format!("fragment F{i} on Query {{ ...F{} ...F{} }}\n", i + 1, i + 1));
        }
        q.push_str("fragment F40 on Query { __typename }\n");
        let started = std::time::Instant::now();
        assert!(matches!(run(&q), Err(AppError::QueryTooComplex(_))));
        assert!(started.elapsed() < std::time::Duration::from_millis(50));
    }

    #[test]
    fn too_many_aliases_are_refused() {
        let fields: Vec<String> = (0..2000).map(|i| format!("a{i}: __typename")).collect();
        assert!(matches!(
            run(&format!("{{ {} }}", fields.join(" "))),
            Err(AppError::QueryTooComplex(_))
        ));
    }

    #[test]
    fn self_spreading_fragments_are_refused() {
        assert!(run("query { ...A } fragment A on Query { ...B } fragment B on Query { ...A }").is_err());
    }
}
