//! Single-object lookups answered before the executor.
//!
//! `query($id: ID!) { campaign(id: $id) { id name status createdAt brief {
//! … } } }` is the most common request there is, and most of what it costs
//! our process is fixed: async-graphql's walk of the document, a future, a
//! context and a value per field, then serializing the value tree; and two
//! round trips, because the executor cannot know that the read is the
//! request's last statement, so `COMMIT` waits for it.
//!
//! A validated operation whose only root field is such a lookup, with a
//! *plain* selection under it (fields that read one column, `__typename`,
//! `brief`'s fields; fragments on the object's own type; no directives), is
//! planned once, when it passes full validation (`documents::Kept`). Then
//! each request with variables that fit it:
//!
//! - enters the tenant and reads the row in its own transaction, as every
//!   request does (`BEGIN`, the entry, the statement and `COMMIT` pipelined
//!   in one round trip: `Tx::read_and_commit`), so RLS alone decides what
//!   it sees;
//! - is written as JSON straight from the row, with the resolvers' own
//!   conversions (`direct::CAMPAIGN`'s writers, the brief parsed as
//!   `CampaignRow::brief` parses it), keys in selection order.
//!
//! Anything else is left to the schema, which stays the reference: no row
//! (not found, or another org's), an id that does not parse, no org chosen,
//! a database error, a tenant entered otherwise than expected. Only a
//! found row is answered here, so every error still comes from the
//! resolvers. `tests/it/lookup.rs` checks both ways answer byte for byte
//! the same.

use super::direct::{CAMPAIGN, Kind, Write, cell, column, name_of, object};
use super::json::push;
use super::validated::select;
use crate::db::Cells;
use crate::domain::campaign::Brief;
use crate::error::AppError;
use async_graphql::parser::types::{ExecutableDocument, Field, OperationType, Selection, SelectionSet};
use async_graphql::{Name, Positioned, Value, Variables};
use sea_orm::{DbBackend, Statement};
use uuid::Uuid;

/// A root field that looks up one row by id.
struct Root {
    field: &'static str,
    table: &'static str,
    kind: &'static Kind,
    /// The jsonb column behind the object's `brief` field, if it has one.
    brief: Option<&'static str>,
}

static ROOTS: &[Root] = &[Root {
    field: "campaign",
    table: "campaigns",
    kind: &CAMPAIGN,
    brief: Some("brief"),
}];

/// Fragments nest at most this deep here (validation has refused cycles;
/// deeper is simply left to the schema).
const MAX_FRAGMENT_DEPTH: usize = 8;

/// Where the id comes from.
#[derive(Debug)]
enum Id {
    Literal(Uuid),
    Variable(Name),
}

/// What a response key of the object holds.
enum Slot {
    Typename,
    Column(Write, usize),
    /// The brief (a jsonb column), and its selected fields.
    Brief(usize, Vec<(Name, BriefField)>),
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum BriefField {
    Typename,
    Product,
    Audience,
    Goal,
    Tone,
    KeyMessages,
    CallToAction,
    LandingUrl,
}

impl BriefField {
    fn of(name: &str) -> Option<Self> {
        Some(match name {
            "__typename" => Self::Typename,
            "product" => Self::Product,
            "audience" => Self::Audience,
            "goal" => Self::Goal,
            "tone" => Self::Tone,
            "keyMessages" => Self::KeyMessages,
            "callToAction" => Self::CallToAction,
            "landingUrl" => Self::LandingUrl,
            _ => return None,
        })
    }
}

/// A planned lookup: its statement and how to write its row.
pub struct Lookup {
    key: Name,
    id: Id,
    sql: String,
    shape: Shape,
}

/// How one object is written from a row: its response keys in order, and
/// the columns each reads.
pub(super) struct Shape {
    kind: &'static Kind,
    slots: Vec<(Name, Slot)>,
}

impl Shape {
    /// Plans the plain selection `sets` (one response key's fields, merged)
    /// of an object of type `kind`, whose `brief` field, if any, reads the
    /// jsonb column `brief`; adds the columns it reads to `columns`. `None`
    /// if anything in it is not plain.
    pub(super) fn plan(
        doc: &ExecutableDocument,
        kind: &'static Kind,
        brief: Option<&'static str>,
        sets: &[&SelectionSet],
        columns: &mut Vec<&'static str>,
    ) -> Option<Shape> {
        let mut slots = Vec::new();
        for (key, group) in grouped(doc, kind.name(), sets)? {
            let name = name_of(&group)?;
            let slot = if name == "__typename" {
                Slot::Typename
            } else if let Some((c, write)) = kind.plain(name) {
                Slot::Column(write, column(columns, c))
            } else if let (Some(brief), "brief") = (brief, name) {
                let sets: Vec<&SelectionSet> = group.iter().map(|f| &f.node.selection_set.node).collect();
                let mut fields = Vec::new();
                for (k, g) in grouped(doc, "Brief", &sets)? {
                    if g.iter().any(|f| !f.node.selection_set.node.items.is_empty()) {
                        return None;
                    }
                    fields.push((k, BriefField::of(name_of(&g)?)?));
                }
                Slot::Brief(column(columns, brief), fields)
            } else {
                return None;
            };
            if !matches!(slot, Slot::Brief(..)) && group.iter().any(|f| !f.node.selection_set.node.items.is_empty()) {
                return None;
            }
            slots.push((key, slot));
        }
        Some(Shape { kind, slots })
    }

    /// Writes the object from `row`, as the executor would.
    pub(super) fn write(&self, out: &mut Vec<u8>, row: &dyn Cells) -> Result<(), AppError> {
        object(out, &self.slots, |out, slot| match slot {
            Slot::Typename => {
                push(out, self.kind.name());
                Ok(())
            }
            Slot::Column(write, c) => Ok(write(row, *c, out)?),
            Slot::Brief(c, fields) => {
                // As `CampaignRow::brief` reads it.
                let brief: Brief = serde_json::from_value(cell::<serde_json::Value>(row, *c)?).unwrap_or_default();
                object(out, fields, |out, f| {
                    match f {
                        BriefField::Typename => push(out, "Brief"),
                        BriefField::Product => push(out, &brief.product),
                        BriefField::Audience => push(out, &brief.audience),
                        BriefField::Goal => push(out, &brief.goal),
                        BriefField::Tone => push(out, &brief.tone),
                        BriefField::KeyMessages => push(out, &brief.key_messages),
                        BriefField::CallToAction => push(out, &brief.call_to_action),
                        BriefField::LandingUrl => push(out, &brief.landing_url),
                    }
                    Ok(())
                })
            }
        })
    }
}

impl Lookup {
    /// The id to look up, if the request's variables give a valid one.
    pub(super) fn id(&self, vars: &Variables) -> Option<Uuid> {
        match &self.id {
            Id::Literal(id) => Some(*id),
            Id::Variable(name) => match vars.get(name)? {
                Value::String(s) => crate::domain::parse_id("id", s).ok(),
                _ => None,
            },
        }
    }

    /// The statement reading the selected columns of the row `id`.
    pub(super) fn statement(&self, id: Uuid) -> Statement {
        Statement::from_sql_and_values(DbBackend::Postgres, &self.sql, [id.into()])
    }

    /// The response body for `row`, as the executor would write it.
    pub(super) fn response(&self, row: &dyn Cells) -> Result<Vec<u8>, AppError> {
        data_body(&self.key, |out| self.shape.write(out, row))
    }
}

/// The body `{"data":{"<key>":<value>}}` of an operation with one root
/// field, its value written by `value`.
pub(super) fn data_body(
    key: &Name,
    value: impl FnOnce(&mut Vec<u8>) -> Result<(), AppError>,
) -> Result<Vec<u8>, AppError> {
    let mut out = Vec::with_capacity(512);
    out.extend_from_slice(br#"{"data":{"#);
    push(&mut out, key.as_str());
    out.push(b':');
    value(&mut out)?;
    out.extend_from_slice(b"}}");
    Ok(out)
}

/// Plans `operation` of `doc` (which passed full validation), or `None` if
/// it is not a plain single-object lookup.
pub fn plan(doc: &ExecutableDocument, operation: Option<&str>) -> Option<Lookup> {
    let op = select(doc, operation)?;
    if op.ty != OperationType::Query || !op.directives.is_empty() {
        return None;
    }
    let root_fields = grouped(doc, "Query", &[&op.selection_set.node])?;
    let [(key, group)] = root_fields.as_slice() else {
        return None;
    };
    // One selection of the root field: merging two (even equal) is the
    // executor's business.
    let [field] = group.as_slice() else {
        return None;
    };
    let field = &field.node;
    let root = ROOTS.iter().find(|r| r.field == field.name.node.as_str())?;
    let [(arg, value)] = field.arguments.as_slice() else {
        return None;
    };
    if arg.node != "id" {
        return None;
    }
    let id = match value.node.clone().into_const_with(Err::<Value, Name>) {
        Ok(Value::String(s)) => Id::Literal(crate::domain::parse_id("id", &s).ok()?),
        Err(var) => Id::Variable(var),
        Ok(_) => return None,
    };
    let mut columns: Vec<&'static str> = Vec::new();
    let shape = Shape::plan(doc, root.kind, root.brief, &[&field.selection_set.node], &mut columns)?;
    if columns.is_empty() {
        columns.push("id");
    }
    let sql = format!("SELECT {} FROM {} WHERE id = $1", columns.join(", "), root.table);
    Some(Lookup {
        key: key.clone(),
        id,
        sql,
        shape,
    })
}

/// A response key and the fields selected under it.
pub(super) type Group<'a> = (Name, Vec<&'a Positioned<Field>>);

/// The fields of `sets` on the type `ty`, fragments spread, by response
/// key in the order keys first appear (each group one entry of the
/// response object, as the executor merges them); `None` if anything
/// carries a directive, a fragment is on another type (an interface, a
/// union), or a field has arguments (only root fields may).
pub(super) fn grouped<'a>(doc: &'a ExecutableDocument, ty: &str, sets: &[&'a SelectionSet]) -> Option<Vec<Group<'a>>> {
    let mut flat = Vec::new();
    for set in sets {
        spread(doc, ty, set, 0, &mut flat)?;
    }
    let mut groups: Vec<Group<'a>> = Vec::new();
    for f in flat {
        if ty != "Query" && ty != "Mutation" && !f.node.arguments.is_empty() {
            return None;
        }
        let key = &f.node.response_key().node;
        match groups.iter_mut().find(|(k, _)| k == key) {
            Some((_, group)) => group.push(f),
            None => groups.push((key.clone(), vec![f])),
        }
    }
    Some(groups)
}

fn spread<'a>(
    doc: &'a ExecutableDocument,
    ty: &str,
    set: &'a SelectionSet,
    depth: usize,
    out: &mut Vec<&'a Positioned<Field>>,
) -> Option<()> {
    if depth > MAX_FRAGMENT_DEPTH {
        return None;
    }
    for sel in &set.items {
        match &sel.node {
            Selection::Field(f) => {
                if !f.node.directives.is_empty() {
                    return None;
                }
                out.push(f);
            }
            Selection::FragmentSpread(s) => {
                let frag = doc.fragments.get(&s.node.fragment_name.node)?;
                if !s.node.directives.is_empty()
                    || !frag.node.directives.is_empty()
                    || frag.node.type_condition.node.on.node != ty
                {
                    return None;
                }
                spread(doc, ty, &frag.node.selection_set.node, depth + 1, out)?;
            }
            Selection::InlineFragment(i) => {
                if !i.node.directives.is_empty() || i.node.type_condition.as_ref().is_some_and(|c| c.node.on.node != ty)
                {
                    return None;
                }
                spread(doc, ty, &i.node.selection_set.node, depth + 1, out)?;
            }
        }
    }
    Some(())
}

#[cfg(test)]
mod tests {
    use super::*;
    use async_graphql::parser::parse_query;

    fn planned(q: &str) -> Option<Lookup> {
        plan(&parse_query(q).unwrap(), None)
    }

    const ID: &str = "7d1b2f7e-3c55-4a8e-9a51-2f1c1f0b9a10";

    #[test]
    fn plain_lookups_are_planned_with_only_the_columns_they_read() {
        let l = planned(
            "query($id: ID!) { campaign(id: $id) { id name status createdAt brief { product audience goal tone keyMessages callToAction landingUrl } } }",
        )
        .unwrap();
        assert_eq!(
            l.sql,
            "SELECT id, name, status, created_at, brief FROM campaigns WHERE id = $1"
        );
        assert_eq!(l.key.as_str(), "campaign");
        let keys: Vec<&str> = l.shape.slots.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["id", "name", "status", "createdAt", "brief"]);

        // Aliases, fragments on the type itself, merged keys, __typename.
        let l = planned(&format!(
            "fragment F on Campaign {{ slug b: brief {{ tone }} }}
             {{ c: campaign(id: \"{ID}\") {{ __typename ...F ... on Campaign {{ n: name }} ... {{ slug }} b: brief {{ __typename product }} }} }}"
        ))
        .unwrap();
        assert!(matches!(l.id, Id::Literal(id) if id.to_string() == ID));
        assert_eq!(l.key.as_str(), "c");
        let keys: Vec<&str> = l.shape.slots.iter().map(|(k, _)| k.as_str()).collect();
        assert_eq!(keys, ["__typename", "slug", "b", "n"]);
        let Slot::Brief(_, fields) = &l.shape.slots[2].1 else {
            panic!("b is the brief")
        };
        let fields: Vec<BriefField> = fields.iter().map(|(_, f)| *f).collect();
        assert_eq!(fields, [BriefField::Tone, BriefField::Typename, BriefField::Product]);
        assert_eq!(l.sql, "SELECT slug, brief, name FROM campaigns WHERE id = $1");

        let l = planned(&format!("{{ campaign(id: \"{ID}\") {{ __typename }} }}")).unwrap();
        assert_eq!(l.sql, "SELECT id FROM campaigns WHERE id = $1", "existence still read");
    }

    #[test]
    fn anything_else_is_left_to_the_schema() {
        for q in [
            // Not a lookup, or more than one root field.
            "{ campaigns { nodes { id } } }",
            "query($id: ID!) { campaign(id: $id) { id } viewer { role } }",
            "query($id: ID!) { campaign(id: $id) { id } campaign(id: $id) { name } }",
            "query($id: ID!) { campaign(id: $id) { id } __typename }",
            // Mutations, directives anywhere.
            "mutation($id: ID!) { approveCampaign(id: $id) { id } }",
            "query($id: ID!) @cached { campaign(id: $id) { id } }",
            "query($id: ID!, $s: Boolean!) { campaign(id: $id) @skip(if: $s) { id } }",
            "query($id: ID!, $s: Boolean!) { campaign(id: $id) { id name @include(if: $s) } }",
            "query($id: ID!, $s: Boolean!) { campaign(id: $id) { id ... on Campaign @skip(if: $s) { name } } }",
            "fragment F on Campaign { name } query($id: ID!, $s: Boolean!) { campaign(id: $id) { ...F @skip(if: $s) } }",
            // Fields that are not plain, arguments, nested selections.
            "query($id: ID!) { campaign(id: $id) { id angles { nodes { id } } } }",
            "query($id: ID!) { campaign(id: $id) { id assets { nodes { id } } } }",
            "query($id: ID!) { campaign(id: $id) { id brief { product nope } } }",
            "query($id: ID!) { campaign(id: $id) { id nope } }",
            "query($id: ID!) { campaign(id: $id) { id name(x: 1) } }",
            // Fragments on an interface, or on another type.
            "query($id: ID!) { campaign(id: $id) { ... on Node { id } } }",
            "fragment F on Lead { id } query($id: ID!) { campaign(id: $id) { ...F } }",
            "query($id: ID!) { campaign(id: $id) { ...Missing } }",
            // Ids that are not a valid literal, or given otherwise.
            "{ campaign(id: \"not-a-uuid\") { id } }",
            "{ campaign(id: 7) { id } }",
            "query($id: ID!) { campaign(id: $id, extra: 1) { id } }",
            // One key, two names (invalid, never planned).
            "query($id: ID!) { campaign(id: $id) { x: id x: name } }",
        ] {
            assert!(planned(q).is_none(), "planned: {q}");
        }
    }

    #[test]
    fn the_id_comes_from_a_valid_variable_only() {
        let l = planned("query($id: ID!) { campaign(id: $id) { id } }").unwrap();
        let vars = |v: serde_json::Value| Variables::from_json(v);
        assert_eq!(l.id(&vars(serde_json::json!({ "id": ID }))).unwrap().to_string(), ID);
        assert_eq!(
            l.id(&vars(serde_json::json!({ "id": format!("  {ID} ") })))
                .unwrap()
                .to_string(),
            ID,
            "trimmed, as the resolver parses it"
        );
        for v in [
            serde_json::json!({}),
            serde_json::json!({ "id": null }),
            serde_json::json!({ "id": 7 }),
            serde_json::json!({ "id": "nope" }),
            serde_json::json!({ "other": ID }),
        ] {
            assert!(l.id(&vars(v.clone())).is_none(), "{v}");
        }
    }
}
