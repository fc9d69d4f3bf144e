//! Direct resolution of plain nested pages.
//!
//! `campaigns(first: 20) { nodes { … angles(first: 5) { nodes { …
//! copies(first: 3) { nodes { … } } } } } }` selects ~1,600 fields.
//! Resolved one by one through async-graphql (a future, a context and a
//! path node per field) that cost ~4 ms of CPU per request, far more than
//! Postgres spends reading the 420 rows. When everything under such a
//! connection is *plain* — fields that read one column, `__typename`, page
//! info, cursors, totals, and nested pages (`first`/`after` only) of plain
//! fields — the connection is built here instead:
//!
//! - the same statements as the resolvers (one per level, in the request's
//!   transaction, so under the request's tenant and RLS as always), reading
//!   only the columns the selection needs;
//! - the selection planned once: fields that share a response key (the
//!   same field selected twice, through fragments or directly) merged, as
//!   the executor merges them;
//! - the response written as JSON in one pass over the rows, straight from
//!   the row buffers (no value tree), with the same conversions the
//!   resolvers use (`InputType::to_value`) where a value is not a plain
//!   string, number or id. The bytes reach the response as they are
//!   (`super::json`).
//!
//! Anything else (an object-valued field such as `brief`, a filter
//! argument, an invalid `first`, the connection selected twice under one
//! response key) leaves the connection to the resolvers, which stay the
//! reference: `tests/it/direct.rs` checks that the two answer the same for
//! every plain field.

use super::json::push;
use crate::db::Cells;
use crate::db::Tx;
use crate::domain::campaign::{CampaignStatus, Platform, SuggestionStatus};
use crate::error::AppError;
use crate::graphql::loaders::{ANGLES, COPIES, ChildSpec};
use crate::graphql::relay::{Page, PageInfo, TimeCursor, encode, page_info, trim};
use async_graphql::parser::types::{Field, Selection, SelectionSet};
use async_graphql::{Context, ContextSelectionSet, InputType, Name, OutputType, Positioned, ServerResult, Value};
use chrono::{DateTime, Utc};
use sea_orm::DbErr;
use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Mutex;
use tokio_postgres::Row;
use tokio_postgres::types::FromSql;
use uuid::Uuid;

/// A field's value: resolved field by field (`Fields`), or built already.
pub(crate) enum Resolved<T> {
    Fields(T),
    Built(Mutex<Option<Value>>),
}

impl<T> Resolved<T> {
    /// A value written as JSON here: it reaches the response as it is.
    pub(crate) fn written(json: Vec<u8>) -> Self {
        Self::Built(Mutex::new(Some(Value::Binary(json.into()))))
    }
}

impl<T: OutputType> OutputType for Resolved<T> {
    fn type_name() -> Cow<'static, str> {
        T::type_name()
    }

    fn qualified_type_name() -> String {
        T::qualified_type_name()
    }

    fn introspection_type_name(&self) -> Cow<'static, str> {
        match self {
            Self::Fields(t) => t.introspection_type_name(),
            Self::Built(_) => T::type_name(),
        }
    }

    fn create_type_info(registry: &mut async_graphql::registry::Registry) -> String {
        T::create_type_info(registry)
    }

    async fn resolve(&self, ctx: &ContextSelectionSet<'_>, field: &Positioned<Field>) -> ServerResult<Value> {
        match self {
            Self::Fields(t) => t.resolve(ctx, field).await,
            // Resolved once per field; the value moves out.
            Self::Built(v) => Ok(v.lock().ok().and_then(|mut v| v.take()).unwrap_or_default()),
        }
    }
}

/// Writes a plain field's value, read from its column, as JSON.
pub(crate) type Write = fn(&dyn Cells, usize, &mut Vec<u8>) -> Result<(), DbErr>;

/// A field that reads one column.
struct Plain {
    field: &'static str,
    column: &'static str,
    write: Write,
}

/// A node type resolved here: its plain fields and its nested pages.
pub(crate) struct Kind {
    name: &'static str,
    connection: &'static str,
    edge: &'static str,
    plain: &'static [Plain],
    /// (field, where the rows live, their kind)
    lists: &'static [(&'static str, &'static ChildSpec, &'static Kind)],
}

impl Kind {
    /// The object type's name.
    pub(crate) fn name(&self) -> &'static str {
        self.name
    }

    /// A plain field's column and how to write it.
    pub(crate) fn plain(&self, field: &str) -> Option<(&'static str, Write)> {
        self.plain
            .iter()
            .find(|p| p.field == field)
            .map(|p| (p.column, p.write))
    }
}

/// A cell, borrowed from the row where the type allows (`&str`).
pub(crate) use crate::db::cell;

fn id(r: &dyn Cells, i: usize, out: &mut Vec<u8>) -> Result<(), DbErr> {
    let id: Uuid = cell(r, i)?;
    out.push(b'"');
    out.extend_from_slice(id.hyphenated().encode_lower(&mut Uuid::encode_buffer()).as_bytes());
    out.push(b'"');
    Ok(())
}
fn text(r: &dyn Cells, i: usize, out: &mut Vec<u8>) -> Result<(), DbErr> {
    push(out, cell::<&str>(r, i)?);
    Ok(())
}
fn opt_text(r: &dyn Cells, i: usize, out: &mut Vec<u8>) -> Result<(), DbErr> {
    push(out, &cell::<Option<&str>>(r, i)?);
    Ok(())
}
/// A cell whose JSON is its serde form (numbers, booleans, lists of text).
fn scalar<T>(r: &dyn Cells, i: usize, out: &mut Vec<u8>) -> Result<(), DbErr>
where
    T: for<'r> FromSql<'r> + serde::Serialize,
{
    push(out, &cell::<T>(r, i)?);
    Ok(())
}
fn time(r: &dyn Cells, i: usize, out: &mut Vec<u8>) -> Result<(), DbErr> {
    push(out, &cell::<DateTime<Utc>>(r, i)?.to_value());
    Ok(())
}
fn suggestion_status(r: &dyn Cells, i: usize, out: &mut Vec<u8>) -> Result<(), DbErr> {
    push(out, &SuggestionStatus::parse(cell(r, i)?).to_value());
    Ok(())
}

pub(crate) static CAMPAIGN: Kind = Kind {
    name: "Campaign",
    connection: "CampaignConnection",
    edge: "CampaignEdge",
    plain: &[
        Plain {
            field: "id",
            column: "id",
            write: id,
        },
        Plain {
            field: "name",
            column: "name",
            write: text,
        },
        Plain {
            field: "slug",
            column: "slug",
            write: text,
        },
        Plain {
            field: "status",
            column: "status",
            write: |r, i, out| {
                let status = CampaignStatus::parse(cell(r, i)?).unwrap_or(CampaignStatus::Draft);
                push(out, &status.to_value());
                Ok(())
            },
        },
        Plain {
            field: "locales",
            column: "locales",
            write: scalar::<Vec<String>>,
        },
        Plain {
            field: "platforms",
            column: "platforms",
            write: |r, i, out| {
                let platforms: Vec<Value> = cell::<Vec<String>>(r, i)?
                    .iter()
                    .filter_map(|p| Platform::parse(p))
                    .map(|p| p.to_value())
                    .collect();
                push(out, &platforms);
                Ok(())
            },
        },
        Plain {
            field: "createdAt",
            column: "created_at",
            write: time,
        },
        Plain {
            field: "updatedAt",
            column: "updated_at",
            write: time,
        },
    ],
    lists: &[("angles", &ANGLES, &ANGLE)],
};

static ANGLE: Kind = Kind {
    name: "Angle",
    connection: "AngleConnection",
    edge: "AngleEdge",
    plain: &[
        Plain {
            field: "id",
            column: "id",
            write: id,
        },
        Plain {
            field: "locale",
            column: "locale",
            write: text,
        },
        Plain {
            field: "title",
            column: "title",
            write: text,
        },
        Plain {
            field: "hook",
            column: "hook",
            write: text,
        },
        Plain {
            field: "rationale",
            column: "rationale",
            write: opt_text,
        },
        Plain {
            field: "status",
            column: "status",
            write: suggestion_status,
        },
        Plain {
            field: "hashtags",
            column: "hashtags",
            write: scalar::<Vec<String>>,
        },
    ],
    lists: &[("copies", &COPIES, &COPY)],
};

static COPY: Kind = Kind {
    name: "Copy",
    connection: "CopyConnection",
    edge: "CopyEdge",
    plain: &[
        Plain {
            field: "id",
            column: "id",
            write: id,
        },
        Plain {
            field: "platform",
            column: "platform",
            write: |r, i, out| {
                let platform = Platform::parse(cell(r, i)?).unwrap_or(Platform::Instagram);
                push(out, &platform.to_value());
                Ok(())
            },
        },
        Plain {
            field: "locale",
            column: "locale",
            write: text,
        },
        Plain {
            field: "headline",
            column: "headline",
            write: opt_text,
        },
        Plain {
            field: "body",
            column: "body",
            write: text,
        },
        Plain {
            field: "callToAction",
            column: "call_to_action",
            write: opt_text,
        },
        Plain {
            field: "hashtags",
            column: "hashtags",
            write: scalar::<Vec<String>>,
        },
        Plain {
            field: "characterCount",
            column: "character_count",
            write: scalar::<i32>,
        },
        Plain {
            field: "version",
            column: "version",
            write: scalar::<i32>,
        },
        Plain {
            field: "status",
            column: "status",
            write: suggestion_status,
        },
        Plain {
            field: "edited",
            column: "edited",
            write: scalar::<bool>,
        },
    ],
    lists: &[],
};

/// What a connection field selects, checked to be plain: the columns its
/// nodes need, its response keys and the nested pages under its nodes.
pub(crate) struct Plan {
    kind: &'static Kind,
    /// The key columns (id, then the sort key), then the selected fields'.
    columns: Vec<&'static str>,
    total: bool,
    slots: Vec<(Name, ConnSlot)>,
    nested: Vec<Nested>,
}

/// A nested page field under a level's nodes: every selection of it that
/// lands in the same node object, merged (`NodeSlot::Nested` points here).
struct Nested {
    spec: &'static ChildSpec,
    page: Page<TimeCursor>,
    plan: Plan,
}

/// What a response key of a node holds.
enum NodeSlot {
    Typename,
    Column(Write, usize),
    Nested(usize),
}

/// What a response key of an edge holds.
enum EdgeSlot {
    Typename,
    Cursor,
    Node(Vec<(Name, NodeSlot)>),
}

/// What a response key of a connection holds.
enum ConnSlot {
    Typename,
    Total,
    PageInfo(Vec<(Name, &'static str)>),
    Nodes(Vec<(Name, NodeSlot)>),
    Edges(Vec<(Name, EdgeSlot)>),
}

impl Plan {
    fn new(kind: &'static Kind, keys: &[&'static str]) -> Self {
        Self {
            kind,
            columns: keys.to_vec(),
            total: false,
            slots: Vec::new(),
            nested: Vec::new(),
        }
    }

    /// Whether `totalCount` is selected.
    pub(crate) fn wants_total(&self) -> bool {
        self.total
    }

    /// The columns to select, as SQL.
    pub(crate) fn select_list(&self) -> String {
        self.columns.join(", ")
    }

    /// A column's position in the select list, added if it is not there.
    fn column(&mut self, c: &'static str) -> usize {
        column(&mut self.columns, c)
    }

    fn id_column(&self) -> usize {
        self.columns.iter().position(|x| *x == "id").unwrap_or(0)
    }
}

/// A column's position in a select list, added if it is not there.
pub(crate) fn column(columns: &mut Vec<&'static str>, c: &'static str) -> usize {
    match columns.iter().position(|x| *x == c) {
        Some(i) => i,
        None => {
            columns.push(c);
            columns.len() - 1
        }
    }
}

/// The fields of a selection set on the object type `ty`, fragments spread.
/// Only fragments that apply to `ty` (itself, or an interface it
/// implements) contribute, as in the executor; validation has already
/// refused fragments that could never apply.
fn fields<'a>(ctx: &Context<'a>, ty: &str, set: &'a SelectionSet, out: &mut Vec<&'a Positioned<Field>>) {
    let applies = |cond: &str| {
        cond == ty
            || ctx
                .schema_env
                .registry
                .implements
                .get(ty)
                .is_some_and(|i| i.contains(cond))
    };
    for sel in &set.items {
        match &sel.node {
            Selection::Field(f) => out.push(f),
            Selection::FragmentSpread(s) => {
                if let Some(frag) = ctx.query_env.fragments.get(&s.node.fragment_name.node)
                    && applies(&frag.node.type_condition.node.on.node)
                {
                    fields(ctx, ty, &frag.node.selection_set.node, out);
                }
            }
            Selection::InlineFragment(i) => {
                if i.node.type_condition.as_ref().is_none_or(|c| applies(&c.node.on.node)) {
                    fields(ctx, ty, &i.node.selection_set.node, out);
                }
            }
        }
    }
}

fn fields_of<'a>(ctx: &Context<'a>, ty: &str, set: &'a SelectionSet) -> Vec<&'a Positioned<Field>> {
    let mut out = Vec::new();
    fields(ctx, ty, set, &mut out);
    out
}

/// An argument's value (variables substituted), or `None` if it does not parse.
fn argument<T: InputType>(ctx: &Context<'_>, field: &Field, name: &str) -> Option<T> {
    let value = match field.get_argument(name) {
        Some(v) => Some(
            v.node
                .clone()
                .into_const_with(|var| {
                    ctx.query_env
                        .variables
                        .get(&var)
                        .cloned()
                        .or_else(|| {
                            ctx.query_env
                                .operation
                                .node
                                .variable_definitions
                                .iter()
                                .find(|d| d.node.name.node == var)
                                .and_then(|d| d.node.default_value().cloned())
                        })
                        .ok_or(())
                })
                .ok()?,
        ),
        None => None,
    };
    T::parse(value).ok()
}

const PAGE_INFO: [&str; 5] = [
    "__typename",
    "hasNextPage",
    "hasPreviousPage",
    "startCursor",
    "endCursor",
];

/// Plans the connection field `conn` of `kind`, whose rows are keyed by
/// `keys`; `None` when something under it is not plain, or when the query
/// selects the connection more than once under its response key (the
/// executor merges such values, which it cannot do with a written one).
pub(crate) fn plan<'a>(
    ctx: &Context<'a>,
    kind: &'static Kind,
    conn: &'a Positioned<Field>,
    keys: &[&'static str],
) -> Option<Plan> {
    let root = &ctx.query_env.operation.node.selection_set.node;
    let root_type = ctx.schema_env.registry.query_type.as_str();
    let response_key = &conn.node.response_key().node;
    if fields_of(ctx, root_type, root)
        .iter()
        .filter(|f| f.node.response_key().node == *response_key)
        .count()
        != 1
    {
        return None;
    }
    let mut plan = Plan::new(kind, keys);
    plan.slots = plan_connection(ctx, &[&conn.node.selection_set.node], &mut plan)?;
    Some(plan)
}

/// The fields of `sets` on `ty` by response key, in the order the keys
/// first appear: each group is one entry of the response object.
fn grouped<'a>(ctx: &Context<'a>, ty: &str, sets: &[&'a SelectionSet]) -> Vec<(Name, Vec<&'a Positioned<Field>>)> {
    let mut groups: Vec<(Name, Vec<&'a Positioned<Field>>)> = Vec::new();
    for set in sets {
        for f in fields_of(ctx, ty, set) {
            let key = &f.node.response_key().node;
            match groups.iter_mut().find(|(k, _)| k == key) {
                Some((_, group)) => group.push(f),
                None => groups.push((key.clone(), vec![f])),
            }
        }
    }
    groups
}

/// The field name of a group; `None` if two fields share a response key
/// but not a name (validation refuses that; then it is not ours to answer).
pub(crate) fn name_of<'a>(group: &[&'a Positioned<Field>]) -> Option<&'a str> {
    let name = group.first()?.node.name.node.as_str();
    group.iter().all(|f| f.node.name.node == name).then_some(name)
}

fn selections<'a>(group: &[&'a Positioned<Field>]) -> Vec<&'a SelectionSet> {
    group.iter().map(|f| &f.node.selection_set.node).collect()
}

fn plan_connection<'a>(ctx: &Context<'a>, sets: &[&'a SelectionSet], plan: &mut Plan) -> Option<Vec<(Name, ConnSlot)>> {
    let kind = plan.kind;
    let mut slots = Vec::new();
    for (key, group) in grouped(ctx, kind.connection, sets) {
        let slot = match name_of(&group)? {
            "__typename" => ConnSlot::Typename,
            "totalCount" => {
                plan.total = true;
                ConnSlot::Total
            }
            "pageInfo" => {
                let mut fields = Vec::new();
                for (k, g) in grouped(ctx, "PageInfo", &selections(&group)) {
                    let name = name_of(&g)?;
                    fields.push((k, *PAGE_INFO.iter().find(|p| **p == name)?));
                }
                ConnSlot::PageInfo(fields)
            }
            "nodes" => ConnSlot::Nodes(plan_node(ctx, &selections(&group), plan)?),
            "edges" => {
                let mut fields = Vec::new();
                for (k, g) in grouped(ctx, kind.edge, &selections(&group)) {
                    let slot = match name_of(&g)? {
                        "__typename" => EdgeSlot::Typename,
                        "cursor" => EdgeSlot::Cursor,
                        "node" => EdgeSlot::Node(plan_node(ctx, &selections(&g), plan)?),
                        _ => return None,
                    };
                    fields.push((k, slot));
                }
                ConnSlot::Edges(fields)
            }
            _ => return None,
        };
        slots.push((key, slot));
    }
    Some(slots)
}

fn plan_node<'a>(ctx: &Context<'a>, sets: &[&'a SelectionSet], plan: &mut Plan) -> Option<Vec<(Name, NodeSlot)>> {
    let kind = plan.kind;
    let mut slots = Vec::new();
    for (key, group) in grouped(ctx, kind.name, sets) {
        let name = name_of(&group)?;
        let slot = if name == "__typename" {
            NodeSlot::Typename
        } else if let Some(p) = kind.plain.iter().find(|p| p.field == name) {
            NodeSlot::Column(p.write, plan.column(p.column))
        } else {
            let (_, spec, child) = kind.lists.iter().find(|l| l.0 == name)?;
            // Merged selections of one field carry the same page (validation
            // says so; checked, as the merge depends on it).
            let mut args = None;
            for f in &group {
                if f.node
                    .arguments
                    .iter()
                    .any(|(n, _)| n.node != "first" && n.node != "after")
                {
                    return None;
                }
                let first: Option<i32> = argument(ctx, &f.node, "first")?;
                let after: Option<String> = argument(ctx, &f.node, "after")?;
                match &args {
                    None => args = Some((first, after)),
                    Some(a) if *a == (first, after) => {}
                    Some(_) => return None,
                }
            }
            let (first, after) = args?;
            // An invalid page is the resolvers' to report, at the field's path.
            let page = Page::<TimeCursor>::forward(first, after).ok()?;
            let mut nested = Plan::new(child, &["id", "created_at"]);
            nested.slots = plan_connection(ctx, &selections(&group), &mut nested)?;
            plan.nested.push(Nested {
                spec,
                page,
                plan: nested,
            });
            NodeSlot::Nested(plan.nested.len() - 1)
        };
        slots.push((key, slot));
    }
    Some(slots)
}

/// Reads a row's cursor (encoded), for the rows and pages that show one.
pub(crate) type CursorOf<'c> = &'c (dyn Fn(&Row) -> Result<String, DbErr> + Sync);

/// One parent's page: its rows (in list order), page info and total.
pub(crate) struct Rows {
    pub(crate) rows: Vec<Row>,
    pub(crate) info: PageInfo,
    pub(crate) total: Option<i64>,
}

impl Rows {
    /// A page from `limit + 1` rows read in page direction; only the first
    /// and last rows' cursors are encoded here.
    pub(crate) fn new<C>(
        mut rows: Vec<Row>,
        page: &Page<C>,
        cursor: CursorOf<'_>,
        total: Option<i64>,
    ) -> Result<Self, DbErr> {
        let more = trim(&mut rows, page.limit, page.direction);
        let start = rows.first().map(cursor).transpose()?;
        let end = rows.last().map(cursor).transpose()?;
        let info = page_info(more, page.direction, page.cursor.is_some(), start, end);
        Ok(Self { rows, info, total })
    }
}

/// A nested field's pages, written: one buffer, each parent's connection a
/// span of it.
#[derive(Default)]
struct Written {
    json: Vec<u8>,
    spans: HashMap<Uuid, (usize, usize)>,
}

/// Loads the nested pages under `rows` (one statement per nested field and
/// level) and writes the connection as JSON.
pub(crate) async fn connection(tx: &Tx, plan: &Plan, rows: Rows, cursor: CursorOf<'_>) -> Result<Vec<u8>, AppError> {
    let ids = page_ids(&[&rows], plan)?;
    let nested = load_nested(tx, plan, &ids).await?;
    let mut out = Vec::with_capacity(4096);
    write_connection(&mut out, plan, &rows, cursor, &nested)?;
    Ok(out)
}

fn page_ids(pages: &[&Rows], plan: &Plan) -> Result<Vec<Uuid>, AppError> {
    if plan.nested.is_empty() {
        return Ok(Vec::new());
    }
    let id_col = plan.id_column();
    let mut ids = Vec::new();
    for p in pages {
        for r in &p.rows {
            ids.push(cell::<Uuid>(r, id_col)?);
        }
    }
    Ok(ids)
}

async fn load_nested(tx: &Tx, plan: &Plan, parents: &[Uuid]) -> Result<Vec<Written>, AppError> {
    let mut out = Vec::with_capacity(plan.nested.len());
    for n in &plan.nested {
        // Boxed: the levels recurse.
        out.push(Box::pin(nested_pages(tx, n, parents)).await?);
    }
    Ok(out)
}

/// A child row's cursor: (created_at, id), the first two columns.
fn time_cursor(r: &Row) -> Result<String, DbErr> {
    Ok(encode(&TimeCursor(cell(r, 1)?, cell(r, 0)?)))
}

/// Every parent's page of one nested field, written.
async fn nested_pages(tx: &Tx, n: &Nested, parents: &[Uuid]) -> Result<Written, AppError> {
    if parents.is_empty() {
        return Ok(Written::default());
    }
    let plan = &n.plan;
    let cols = plan.columns.len();
    let stmt = crate::repo::child_pages_stmt(
        n.spec.table,
        &plan.select_list(),
        n.spec.parent_col,
        parents,
        &[],
        n.spec.newest_first,
        n.page.cursor.as_ref(),
        n.page.fetch(),
        plan.total,
    );
    let mut lists: HashMap<Uuid, (Vec<Row>, Option<i64>)> = HashMap::with_capacity(parents.len());
    for r in tx.rows(&stmt).await? {
        let parent: Uuid = cell(&r, cols)?;
        let total = if plan.total {
            Some(cell::<i64>(&r, cols + 1)?)
        } else {
            None
        };
        let list = lists.entry(parent).or_default();
        list.1 = total;
        list.0.push(r);
    }
    let mut pages = Vec::with_capacity(parents.len());
    for parent in parents {
        let (rows, total) = lists.remove(parent).unwrap_or_default();
        let total = match total {
            _ if !plan.total => None,
            Some(t) => Some(t),
            // A parent without rows on this page has no row to carry its total.
            None if n.page.cursor.is_none() => Some(0),
            None => Some(count(tx, n.spec, *parent).await?),
        };
        pages.push((*parent, Rows::new(rows, &n.page, &time_cursor, total)?));
    }
    let ids = page_ids(&pages.iter().map(|(_, p)| p).collect::<Vec<_>>(), plan)?;
    let nested = load_nested(tx, plan, &ids).await?;
    let mut written = Written {
        json: Vec::with_capacity(256 * pages.len()),
        spans: HashMap::with_capacity(pages.len()),
    };
    for (parent, rows) in &pages {
        let start = written.json.len();
        write_connection(&mut written.json, plan, rows, &time_cursor, &nested)?;
        written.spans.insert(*parent, (start, written.json.len()));
    }
    Ok(written)
}

async fn count(tx: &Tx, spec: &ChildSpec, parent: Uuid) -> Result<i64, AppError> {
    let rows = tx
        .rows(&crate::repo::child_count_stmt(spec.table, spec.parent_col, parent, &[]))
        .await?;
    Ok(rows.first().map(|r| cell::<i64>(r, 0)).transpose()?.unwrap_or(0))
}

/// Writes an object, one entry per slot. An object whose fields were all
/// skipped (`@skip`/`@include`) is null, as the executor makes it.
pub(crate) fn object<T>(
    out: &mut Vec<u8>,
    slots: &[(Name, T)],
    mut field: impl FnMut(&mut Vec<u8>, &T) -> Result<(), AppError>,
) -> Result<(), AppError> {
    if slots.is_empty() {
        out.extend_from_slice(b"null");
        return Ok(());
    }
    out.push(b'{');
    for (i, (key, slot)) in slots.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        push(out, key.as_str());
        out.push(b':');
        field(out, slot)?;
    }
    out.push(b'}');
    Ok(())
}

/// Writes a list, one item per row.
fn list<T>(
    out: &mut Vec<u8>,
    items: &[T],
    mut item: impl FnMut(&mut Vec<u8>, &T) -> Result<(), AppError>,
) -> Result<(), AppError> {
    out.push(b'[');
    for (i, it) in items.iter().enumerate() {
        if i > 0 {
            out.push(b',');
        }
        item(out, it)?;
    }
    out.push(b']');
    Ok(())
}

fn write_connection(
    out: &mut Vec<u8>,
    plan: &Plan,
    rows: &Rows,
    cursor: CursorOf<'_>,
    nested: &[Written],
) -> Result<(), AppError> {
    let kind = plan.kind;
    let id_col = plan.id_column();
    object(out, &plan.slots, |out, slot| {
        match slot {
            ConnSlot::Typename => push(out, kind.connection),
            ConnSlot::Total => push(out, &rows.total.unwrap_or(0)),
            ConnSlot::PageInfo(fields) => write_page_info(out, fields, &rows.info)?,
            ConnSlot::Nodes(slots) => list(out, &rows.rows, |out, r| {
                write_node(out, kind, slots, r, id_col, nested)
            })?,
            ConnSlot::Edges(slots) => list(out, &rows.rows, |out, r| {
                object(out, slots, |out, slot| {
                    match slot {
                        EdgeSlot::Typename => push(out, kind.edge),
                        EdgeSlot::Cursor => push(out, &cursor(r)?),
                        EdgeSlot::Node(node) => write_node(out, kind, node, r, id_col, nested)?,
                    }
                    Ok(())
                })
            })?,
        }
        Ok(())
    })
}

fn write_page_info(out: &mut Vec<u8>, fields: &[(Name, &'static str)], info: &PageInfo) -> Result<(), AppError> {
    object(out, fields, |out, name| {
        match *name {
            "hasNextPage" => push(out, &info.has_next_page),
            "hasPreviousPage" => push(out, &info.has_previous_page),
            "startCursor" => push(out, &info.start_cursor),
            "endCursor" => push(out, &info.end_cursor),
            _ => push(out, "PageInfo"),
        }
        Ok(())
    })
}

fn write_node(
    out: &mut Vec<u8>,
    kind: &Kind,
    slots: &[(Name, NodeSlot)],
    row: &Row,
    id_col: usize,
    nested: &[Written],
) -> Result<(), AppError> {
    let r = row;
    object(out, slots, |out, slot| {
        match slot {
            NodeSlot::Typename => push(out, kind.name),
            NodeSlot::Column(write, c) => write(r, *c, out)?,
            NodeSlot::Nested(n) => {
                let id: Uuid = cell(r, id_col)?;
                match nested.get(*n).and_then(|w| Some((w, *w.spans.get(&id)?))) {
                    Some((w, (start, end))) => out.extend_from_slice(&w.json[start..end]),
                    None => out.extend_from_slice(b"null"),
                }
            }
        }
        Ok(())
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_plain_column_is_unique_per_kind() {
        for kind in [&CAMPAIGN, &ANGLE, &COPY] {
            let mut seen = std::collections::HashSet::new();
            for p in kind.plain {
                assert!(seen.insert(p.field), "{}.{} listed twice", kind.name, p.field);
            }
        }
    }
}
