//! Single-statement mutations answered before the executor.
//!
//! `createCampaign` runs one statement (the campaign and its audit event,
//! `repo::campaign::insert_statement`) and then only reads what that
//! statement returned. Through the executor it takes two round trips:
//! `BEGIN`, the entry and the insert; then `COMMIT`, which has to wait for
//! the executor to finish, as the executor cannot know the insert was the
//! request's last statement.
//!
//! An operation whose only root field is `createCampaign`, with a plain
//! selection under its `campaign` (as for lookups: `lookup::Shape`), is
//! planned once, when it passes full validation (`documents::Kept`). Then
//! each request with variables that fit it:
//!
//! - coerces its input as the executor does (the argument with the
//!   variables put in, parsed by `InputType::parse`), and checks it and the
//!   caller's role with the resolver's own function
//!   (`mutation::create_statement`);
//! - sends `BEGIN`, the entry (checked in SQL against the role expected),
//!   the insert (returning only the columns the selection reads) and
//!   `COMMIT` in one round trip (`Tx::write_and_commit`);
//! - is written as JSON from the returned row.
//!
//! Anything that is not a plain success is left to the schema, which stays
//! the reference: input or a role the resolver refuses (nothing is sent),
//! an idempotency key or an upload, a write the database refuses (nothing
//! was committed; the schema runs it again and gives its error), a tenant
//! entered otherwise than expected (nothing ran after the entry). So every
//! error still comes from the resolvers. `tests/it/insert.rs` compares
//! both ways' answers and what they wrote.

use super::direct::{CAMPAIGN, name_of};
use super::json::push;
use super::lookup::{Shape, data_body, grouped};
use super::mutation::CreateCampaignInput;
use super::validated::select;
use crate::error::AppError;
use async_graphql::parser::types::{ExecutableDocument, OperationType, SelectionSet};
use async_graphql::{InputType, Name, Variables};
use tokio_postgres::Row;

/// What a response key of the payload holds.
enum Slot {
    Typename,
    Campaign(Shape),
}

/// A planned `createCampaign`: its input, what it returns and how to write
/// it.
pub struct Insert {
    key: Name,
    /// The `input` argument as written, variables and all.
    input: async_graphql_value::Value,
    /// The columns the insert returns (`id` first: the audit event's
    /// target).
    returning: String,
    payload: Vec<(Name, Slot)>,
}

impl Insert {
    /// The input, coerced as the executor coerces it; `None` if a variable
    /// it uses was not given (a default is the executor's to apply) or it
    /// does not parse.
    pub(super) fn input(&self, vars: &Variables) -> Option<CreateCampaignInput> {
        let value = self
            .input
            .clone()
            .into_const_with(|name| vars.get(&name).cloned().ok_or(()))
            .ok()?;
        CreateCampaignInput::parse(Some(value)).ok()
    }

    /// The columns the insert returns.
    pub(super) fn returning(&self) -> &str {
        &self.returning
    }

    /// The response body for the inserted `row`, as the executor would
    /// write it.
    pub(super) fn response(&self, row: &Row) -> Result<Vec<u8>, AppError> {
        data_body(&self.key, |out| {
            super::direct::object(out, &self.payload, |out, slot| match slot {
                Slot::Typename => {
                    push(out, "CreateCampaignPayload");
                    Ok(())
                }
                Slot::Campaign(shape) => shape.write(out, row),
            })
        })
    }
}

/// Plans `operation` of `doc` (which passed full validation), or `None` if
/// it is not a `createCampaign` with a plain selection.
pub fn plan(doc: &ExecutableDocument, operation: Option<&str>) -> Option<Insert> {
    let op = select(doc, operation)?;
    if op.ty != OperationType::Mutation || !op.directives.is_empty() {
        return None;
    }
    let root_fields = grouped(doc, "Mutation", &[&op.selection_set.node])?;
    let [(key, group)] = root_fields.as_slice() else {
        return None;
    };
    let [field] = group.as_slice() else {
        return None;
    };
    let field = &field.node;
    if field.name.node != "createCampaign" {
        return None;
    }
    let [(arg, input)] = field.arguments.as_slice() else {
        return None;
    };
    if arg.node != "input" {
        return None;
    }
    let mut columns = vec!["id"];
    let mut payload = Vec::new();
    for (k, group) in grouped(doc, "CreateCampaignPayload", &[&field.selection_set.node])? {
        let slot = match name_of(&group)? {
            "__typename" => Slot::Typename,
            "campaign" => {
                let sets: Vec<&SelectionSet> = group.iter().map(|f| &f.node.selection_set.node).collect();
                Slot::Campaign(Shape::plan(doc, &CAMPAIGN, Some("brief"), &sets, &mut columns)?)
            }
            _ => return None,
        };
        payload.push((k, slot));
    }
    Some(Insert {
        key: key.clone(),
        input: input.node.clone(),
        returning: columns.join(", "),
        payload,
    })
}

#[cfg(test)]
mod tests {
    use super::*;
    use async_graphql::parser::parse_query;

    fn planned(q: &str) -> Option<Insert> {
        plan(&parse_query(q).unwrap(), None)
    }

    /// The mutation `scripts/bench.sh` sends as Q3.
    const Q3: &str = include_str!("../../../scripts/bench/queries/ours/q3.graphql");

    #[test]
    fn a_plain_create_returns_only_the_columns_it_reads() {
        let i = planned(Q3).unwrap();
        assert_eq!(i.key.as_str(), "createCampaign");
        assert_eq!(i.returning, "id, name, status, created_at");

        let i = planned(
            "fragment F on Campaign { slug brief { tone } }
             mutation($in: CreateCampaignInput!) {
               made: createCampaign(input: $in) { __typename c: campaign { ...F name } campaign { __typename } }
             }",
        )
        .unwrap();
        assert_eq!(i.key.as_str(), "made");
        assert_eq!(i.returning, "id, slug, brief, name");
        let keys: Vec<&str> = i.payload.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["__typename", "c", "campaign"]);
    }

    #[test]
    fn anything_else_is_left_to_the_schema() {
        for q in [
            // Queries, other mutations, more than one root field.
            "query($id: ID!) { campaign(id: $id) { id } }",
            "mutation($in: UpdateCampaignInput!) { updateCampaign(input: $in) { campaign { id } } }",
            "mutation($in: CreateCampaignInput!) { createCampaign(input: $in) { campaign { id } } __typename }",
            "mutation($in: CreateCampaignInput!) { a: createCampaign(input: $in) { campaign { id } } b: createCampaign(input: $in) { campaign { id } } }",
            // Directives, selections that are not plain.
            "mutation($in: CreateCampaignInput!) @x { createCampaign(input: $in) { campaign { id } } }",
            "mutation($in: CreateCampaignInput!, $s: Boolean!) { createCampaign(input: $in) { campaign { id @skip(if: $s) } } }",
            "mutation($in: CreateCampaignInput!) { createCampaign(input: $in) { campaign { id angles { nodes { id } } } } }",
            "mutation($in: CreateCampaignInput!) { createCampaign(input: $in) { campaign { ... on Node { id } } } }",
        ] {
            assert!(planned(q).is_none(), "planned: {q}");
        }
    }

    #[test]
    fn the_input_is_coerced_with_the_variables_put_in() {
        let i = planned(Q3).unwrap();
        let vars = |v: serde_json::Value| Variables::from_json(v);
        let input = i.input(&vars(serde_json::json!({ "name": "Spring" }))).unwrap();
        assert_eq!(input.name, "Spring");
        assert!(i.input(&vars(serde_json::json!({}))).is_none(), "a missing variable");
        assert!(
            i.input(&vars(serde_json::json!({ "name": 7 }))).is_none(),
            "a variable of another type"
        );

        let i =
            planned("mutation($in: CreateCampaignInput!) { createCampaign(input: $in) { campaign { id } } }").unwrap();
        let input = i
            .input(&vars(serde_json::json!({ "in": {
                "name": "N", "brief": { "product": "P", "audience": "A", "goal": "g" },
                "locales": "en", "platforms": ["LINKEDIN"]
            }})))
            .unwrap();
        assert_eq!(
            input.locales,
            ["en"],
            "a single value where a list is expected is a list of one"
        );
        assert!(
            i.input(&vars(serde_json::json!({ "in": { "name": "N" } }))).is_none(),
            "fields missing"
        );
    }
}
