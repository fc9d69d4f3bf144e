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
//! - the response value assembled in one pass over the rows, with the
//!   same conversions the resolvers use (`InputType::to_value`).
//!
//! Anything else (an object-valued field such as `brief`, a filter
//! argument, an invalid `first`) leaves the connection to the resolvers,
//! which stay the reference: `tests/it/direct.rs` checks that the two
//! answer the same for every plain field.

use crate::db::Tx;
use crate::domain::campaign::{CampaignStatus, Platform, SuggestionStatus};
use crate::error::AppError;
use crate::graphql::loaders::{ANGLES, COPIES, ChildSpec};
use crate::graphql::relay::{Page, PageInfo, TimeCursor, encode, page_info, trim};
use async_graphql::indexmap::IndexMap;
use async_graphql::parser::types::{Field, Selection, SelectionSet};
use async_graphql::{Context, ContextSelectionSet, InputType, Name, OutputType, Pos, Positioned, ServerResult, Value};
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbErr, QueryResult};
use std::borrow::Cow;
use std::collections::HashMap;
use std::sync::Mutex;
use uuid::Uuid;

/// A field's value: resolved field by field (`Fields`), or built already.
pub(crate) enum Resolved<T> {
    Fields(T),
    Built(Mutex<Option<Value>>),
}

impl<T> Resolved<T> {
    pub(crate) fn built(v: Value) -> Self {
        Self::Built(Mutex::new(Some(v)))
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

/// Reads a plain field's value from its column.
type Read = fn(&QueryResult, usize) -> Result<Value, DbErr>;

/// A field that reads one column.
struct Plain {
    field: &'static str,
    column: &'static str,
    read: Read,
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

pub(crate) fn get<T: sea_orm::TryGetable>(r: &QueryResult, i: usize) -> Result<T, DbErr> {
    r.try_get_by_index::<T>(i)
}

fn id(r: &QueryResult, i: usize) -> Result<Value, DbErr> {
    Ok(Value::String(get::<Uuid>(r, i)?.to_string()))
}
fn text(r: &QueryResult, i: usize) -> Result<Value, DbErr> {
    Ok(Value::String(get(r, i)?))
}
fn opt_text(r: &QueryResult, i: usize) -> Result<Value, DbErr> {
    Ok(get::<Option<String>>(r, i)?.map_or(Value::Null, Value::String))
}
fn texts(r: &QueryResult, i: usize) -> Result<Value, DbErr> {
    Ok(Value::List(
        get::<Vec<String>>(r, i)?.into_iter().map(Value::String).collect(),
    ))
}
fn time(r: &QueryResult, i: usize) -> Result<Value, DbErr> {
    Ok(get::<DateTime<Utc>>(r, i)?.to_value())
}
fn int(r: &QueryResult, i: usize) -> Result<Value, DbErr> {
    Ok(Value::from(get::<i32>(r, i)?))
}
fn boolean(r: &QueryResult, i: usize) -> Result<Value, DbErr> {
    Ok(Value::Boolean(get(r, i)?))
}
fn suggestion_status(r: &QueryResult, i: usize) -> Result<Value, DbErr> {
    Ok(SuggestionStatus::parse(&get::<String>(r, i)?).to_value())
}

pub(crate) static CAMPAIGN: Kind = Kind {
    name: "Campaign",
    connection: "CampaignConnection",
    edge: "CampaignEdge",
    plain: &[
        Plain {
            field: "id",
            column: "id",
            read: id,
        },
        Plain {
            field: "name",
            column: "name",
            read: text,
        },
        Plain {
            field: "slug",
            column: "slug",
            read: text,
        },
        Plain {
            field: "status",
            column: "status",
            read: |r, i| {
                Ok(CampaignStatus::parse(&get::<String>(r, i)?)
                    .unwrap_or(CampaignStatus::Draft)
                    .to_value())
            },
        },
        Plain {
            field: "locales",
            column: "locales",
            read: texts,
        },
        Plain {
            field: "platforms",
            column: "platforms",
            read: |r, i| {
                Ok(Value::List(
                    get::<Vec<String>>(r, i)?
                        .iter()
                        .filter_map(|p| Platform::parse(p))
                        .map(|p| p.to_value())
                        .collect(),
                ))
            },
        },
        Plain {
            field: "createdAt",
            column: "created_at",
            read: time,
        },
        Plain {
            field: "updatedAt",
            column: "updated_at",
            read: time,
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
            read: id,
        },
        Plain {
            field: "locale",
            column: "locale",
            read: text,
        },
        Plain {
            field: "title",
            column: "title",
            read: text,
        },
        Plain {
            field: "hook",
            column: "hook",
            read: text,
        },
        Plain {
            field: "rationale",
            column: "rationale",
            read: opt_text,
        },
        Plain {
            field: "status",
            column: "status",
            read: suggestion_status,
        },
        Plain {
            field: "hashtags",
            column: "hashtags",
            read: texts,
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
            read: id,
        },
        Plain {
            field: "platform",
            column: "platform",
            read: |r, i| {
                Ok(Platform::parse(&get::<String>(r, i)?)
                    .unwrap_or(Platform::Instagram)
                    .to_value())
            },
        },
        Plain {
            field: "locale",
            column: "locale",
            read: text,
        },
        Plain {
            field: "headline",
            column: "headline",
            read: opt_text,
        },
        Plain {
            field: "body",
            column: "body",
            read: text,
        },
        Plain {
            field: "callToAction",
            column: "call_to_action",
            read: opt_text,
        },
        Plain {
            field: "hashtags",
            column: "hashtags",
            read: texts,
        },
        Plain {
            field: "characterCount",
            column: "character_count",
            read: int,
        },
        Plain {
            field: "version",
            column: "version",
            read: int,
        },
        Plain {
            field: "status",
            column: "status",
            read: suggestion_status,
        },
        Plain {
            field: "edited",
            column: "edited",
            read: boolean,
        },
    ],
    lists: &[],
};

/// What a connection field selects, checked to be plain: the columns its
/// nodes need and the nested pages it asks for.
pub(crate) struct Plan<'a> {
    kind: &'static Kind,
    /// The key columns (id, then the sort key), then the selected fields'.
    columns: Vec<&'static str>,
    total: bool,
    nested: Vec<Nested<'a>>,
}

/// A nested page field under a level's nodes (one per place in the query).
struct Nested<'a> {
    field: &'a Positioned<Field>,
    spec: &'static ChildSpec,
    page: Page<TimeCursor>,
    plan: Plan<'a>,
    /// How many times the nodes' selection reaches this field (fragments
    /// can spread it twice); its values are cloned until the last use.
    uses: usize,
}

impl Plan<'_> {
    /// Whether `totalCount` is selected.
    pub(crate) fn wants_total(&self) -> bool {
        self.total
    }

    /// The columns to select, as SQL.
    pub(crate) fn select_list(&self) -> String {
        self.columns.join(", ")
    }

    fn column(&self, c: &str) -> usize {
        self.columns.iter().position(|x| *x == c).unwrap_or(0)
    }

    fn add_column(&mut self, c: &'static str) {
        if !self.columns.contains(&c) {
            self.columns.push(c);
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
/// `keys`; `None` when something under it is not plain.
pub(crate) fn plan<'a>(
    ctx: &Context<'a>,
    kind: &'static Kind,
    conn: &'a Positioned<Field>,
    keys: &[&'static str],
) -> Option<Plan<'a>> {
    let mut plan = Plan {
        kind,
        columns: keys.to_vec(),
        total: false,
        nested: Vec::new(),
    };
    plan_connection(ctx, &conn.node.selection_set.node, &mut plan)?;
    Some(plan)
}

fn plan_connection<'a>(ctx: &Context<'a>, set: &'a SelectionSet, plan: &mut Plan<'a>) -> Option<()> {
    let kind = plan.kind;
    for f in fields_of(ctx, kind.connection, set) {
        let sub = &f.node.selection_set.node;
        match f.node.name.node.as_str() {
            "__typename" => {}
            "totalCount" => plan.total = true,
            "pageInfo" => {
                if !fields_of(ctx, "PageInfo", sub)
                    .iter()
                    .all(|g| PAGE_INFO.contains(&g.node.name.node.as_str()))
                {
                    return None;
                }
            }
            "nodes" => plan_nodes(ctx, sub, plan)?,
            "edges" => {
                for g in fields_of(ctx, kind.edge, sub) {
                    match g.node.name.node.as_str() {
                        "__typename" | "cursor" => {}
                        "node" => plan_nodes(ctx, &g.node.selection_set.node, plan)?,
                        _ => return None,
                    }
                }
            }
            _ => return None,
        }
    }
    Some(())
}

fn plan_nodes<'a>(ctx: &Context<'a>, set: &'a SelectionSet, plan: &mut Plan<'a>) -> Option<()> {
    let kind = plan.kind;
    for f in fields_of(ctx, kind.name, set) {
        let name = f.node.name.node.as_str();
        if name == "__typename" {
            continue;
        }
        if let Some(p) = kind.plain.iter().find(|p| p.field == name) {
            plan.add_column(p.column);
            continue;
        }
        let (_, spec, child) = kind.lists.iter().find(|l| l.0 == name)?;
        if let Some(n) = plan.nested.iter_mut().find(|n| n.field.pos == f.pos) {
            n.uses += 1;
            continue;
        }
        if f.node
            .arguments
            .iter()
            .any(|(n, _)| n.node != "first" && n.node != "after")
        {
            return None;
        }
        let first: Option<i32> = argument(ctx, &f.node, "first")?;
        let after: Option<String> = argument(ctx, &f.node, "after")?;
        // An invalid page is the resolvers' to report, at the field's path.
        let page = Page::<TimeCursor>::forward(first, after).ok()?;
        let mut nested = Plan {
            kind: child,
            columns: vec!["id", "created_at"],
            total: false,
            nested: Vec::new(),
        };
        plan_connection(ctx, &f.node.selection_set.node, &mut nested)?;
        plan.nested.push(Nested {
            field: f,
            spec,
            page,
            plan: nested,
            uses: 1,
        });
    }
    Some(())
}

/// Reads a row's cursor (encoded), for the rows and pages that show one.
pub(crate) type CursorOf<'c> = &'c (dyn Fn(&QueryResult) -> Result<String, DbErr> + Sync);

/// One parent's page: its rows (in list order), page info and total.
pub(crate) struct Rows {
    pub(crate) rows: Vec<QueryResult>,
    pub(crate) info: PageInfo,
    pub(crate) total: Option<i64>,
}

impl Rows {
    /// A page from `limit + 1` rows read in page direction; only the first
    /// and last rows' cursors are encoded here.
    pub(crate) fn new<C>(
        mut rows: Vec<QueryResult>,
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

/// Values of the nested pages, by field position and parent id.
type NestedValues = HashMap<Pos, (HashMap<Uuid, Value>, usize)>;

/// Loads the nested pages under `rows` (one statement per nested field and
/// level) and builds the connection value.
pub(crate) async fn connection(
    ctx: &Context<'_>,
    tx: &Tx,
    plan: &Plan<'_>,
    set: &SelectionSet,
    rows: Rows,
    cursor: CursorOf<'_>,
) -> Result<Value, AppError> {
    let ids = page_ids(&[&rows], plan)?;
    let mut nested = load_nested(ctx, tx, plan, ids).await?;
    let shape = compile_connection(ctx, plan, set);
    build_connection(plan, &shape, rows, cursor, &mut nested)
}

fn page_ids(pages: &[&Rows], plan: &Plan<'_>) -> Result<Vec<Uuid>, AppError> {
    if plan.nested.is_empty() {
        return Ok(Vec::new());
    }
    let id_col = plan.column("id");
    let mut ids = Vec::new();
    for p in pages {
        for r in &p.rows {
            ids.push(get::<Uuid>(r, id_col)?);
        }
    }
    Ok(ids)
}

async fn load_nested(
    ctx: &Context<'_>,
    tx: &Tx,
    plan: &Plan<'_>,
    parents: Vec<Uuid>,
) -> Result<NestedValues, AppError> {
    let mut out = NestedValues::new();
    for n in &plan.nested {
        // Boxed: the levels recurse.
        let values = Box::pin(nested_pages(ctx, tx, n, &parents)).await?;
        out.insert(n.field.pos, (values, n.uses));
    }
    Ok(out)
}

/// A child row's cursor: (created_at, id), the first two columns.
fn time_cursor(r: &QueryResult) -> Result<String, DbErr> {
    Ok(encode(&TimeCursor(get(r, 1)?, get(r, 0)?)))
}

/// Every parent's page of one nested field, as connection values.
async fn nested_pages(
    ctx: &Context<'_>,
    tx: &Tx,
    n: &Nested<'_>,
    parents: &[Uuid],
) -> Result<HashMap<Uuid, Value>, AppError> {
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
    let mut lists: HashMap<Uuid, (Vec<QueryResult>, Option<i64>)> = HashMap::with_capacity(parents.len());
    for r in tx.query_all_raw(stmt).await? {
        let parent: Uuid = get(&r, cols)?;
        let total = if plan.total {
            Some(get::<i64>(&r, cols + 1)?)
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
    let mut nested = load_nested(ctx, tx, plan, ids).await?;
    let shape = compile_connection(ctx, plan, &n.field.node.selection_set.node);
    pages
        .into_iter()
        .map(|(parent, rows)| Ok((parent, build_connection(plan, &shape, rows, &time_cursor, &mut nested)?)))
        .collect()
}

async fn count(tx: &Tx, spec: &ChildSpec, parent: Uuid) -> Result<i64, AppError> {
    let row = tx
        .query_one_raw(crate::repo::child_count_stmt(spec.table, spec.parent_col, parent, &[]))
        .await?;
    Ok(row.map(|r| get::<i64>(&r, 0)).transpose()?.unwrap_or(0))
}

/// What a response key of a node holds.
enum NodeSlot {
    Typename,
    Column(Read, usize),
    Nested(Pos),
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

/// A connection's selection, compiled once for all of a level's pages:
/// fragments spread and field names looked up once, not per row.
struct Shape {
    slots: Vec<(Name, ConnSlot)>,
}

fn key(f: &Positioned<Field>) -> Name {
    f.node.response_key().node.clone()
}

fn compile_connection(ctx: &Context<'_>, plan: &Plan<'_>, set: &SelectionSet) -> Shape {
    let kind = plan.kind;
    let slots = fields_of(ctx, kind.connection, set)
        .into_iter()
        .map(|f| {
            let sub = &f.node.selection_set.node;
            let slot = match f.node.name.node.as_str() {
                "__typename" => ConnSlot::Typename,
                "totalCount" => ConnSlot::Total,
                "pageInfo" => ConnSlot::PageInfo(
                    fields_of(ctx, "PageInfo", sub)
                        .into_iter()
                        .map(|g| {
                            let name = g.node.name.node.as_str();
                            (
                                key(g),
                                PAGE_INFO.iter().find(|p| **p == name).copied().unwrap_or("__typename"),
                            )
                        })
                        .collect(),
                ),
                "nodes" => ConnSlot::Nodes(compile_node(ctx, plan, sub)),
                _ => ConnSlot::Edges(
                    fields_of(ctx, kind.edge, sub)
                        .into_iter()
                        .map(|g| {
                            let slot = match g.node.name.node.as_str() {
                                "__typename" => EdgeSlot::Typename,
                                "cursor" => EdgeSlot::Cursor,
                                _ => EdgeSlot::Node(compile_node(ctx, plan, &g.node.selection_set.node)),
                            };
                            (key(g), slot)
                        })
                        .collect(),
                ),
            };
            (key(f), slot)
        })
        .collect();
    Shape { slots }
}

fn compile_node(ctx: &Context<'_>, plan: &Plan<'_>, set: &SelectionSet) -> Vec<(Name, NodeSlot)> {
    let kind = plan.kind;
    fields_of(ctx, kind.name, set)
        .into_iter()
        .map(|f| {
            let name = f.node.name.node.as_str();
            let slot = if name == "__typename" {
                NodeSlot::Typename
            } else if let Some(p) = kind.plain.iter().find(|p| p.field == name) {
                NodeSlot::Column(p.read, plan.column(p.column))
            } else {
                NodeSlot::Nested(f.pos)
            };
            (key(f), slot)
        })
        .collect()
}

/// Adds a field's value to an object, merging the way the executor does
/// when a response key is selected more than once.
fn insert(map: &mut IndexMap<Name, Value>, key: Name, value: Value) {
    use async_graphql::indexmap::map::Entry;
    match map.entry(key) {
        Entry::Vacant(e) => {
            e.insert(value);
        }
        Entry::Occupied(mut e) => merge(e.get_mut(), value),
    }
}

fn merge(prev: &mut Value, value: Value) {
    match (prev, value) {
        (Value::Object(prev), Value::Object(obj)) => {
            for (k, v) in obj {
                insert(prev, k, v);
            }
        }
        (Value::List(prev), Value::List(list)) => {
            for (p, v) in prev.iter_mut().zip(list) {
                if let (Value::Object(_), Value::Object(_)) = (&p, &v) {
                    merge(p, v);
                }
            }
        }
        _ => {}
    }
}

fn object(map: IndexMap<Name, Value>) -> Value {
    if map.is_empty() {
        Value::Null
    } else {
        Value::Object(map)
    }
}

fn build_connection(
    plan: &Plan<'_>,
    shape: &Shape,
    rows: Rows,
    cursor: CursorOf<'_>,
    nested: &mut NestedValues,
) -> Result<Value, AppError> {
    let kind = plan.kind;
    let id_col = plan.column("id");
    let mut map = IndexMap::with_capacity(shape.slots.len());
    for (key, slot) in &shape.slots {
        let value = match slot {
            ConnSlot::Typename => Value::String(kind.connection.into()),
            ConnSlot::Total => Value::from(rows.total.unwrap_or(0)),
            ConnSlot::PageInfo(fields) => page_info_value(fields, &rows.info),
            ConnSlot::Nodes(slots) => Value::List(
                rows.rows
                    .iter()
                    .map(|r| node(kind, slots, r, id_col, nested))
                    .collect::<Result<_, _>>()?,
            ),
            ConnSlot::Edges(slots) => {
                let mut list = Vec::with_capacity(rows.rows.len());
                for r in &rows.rows {
                    let mut edge = IndexMap::with_capacity(slots.len());
                    for (k, slot) in slots {
                        let v = match slot {
                            EdgeSlot::Typename => Value::String(kind.edge.into()),
                            EdgeSlot::Cursor => Value::String(cursor(r)?),
                            EdgeSlot::Node(node_slots) => node(kind, node_slots, r, id_col, nested)?,
                        };
                        insert(&mut edge, k.clone(), v);
                    }
                    list.push(object(edge));
                }
                Value::List(list)
            }
        };
        insert(&mut map, key.clone(), value);
    }
    Ok(object(map))
}

fn page_info_value(fields: &[(Name, &'static str)], info: &PageInfo) -> Value {
    let cursor = |c: &Option<String>| c.clone().map_or(Value::Null, Value::String);
    let mut map = IndexMap::with_capacity(fields.len());
    for (k, name) in fields {
        let v = match *name {
            "hasNextPage" => Value::Boolean(info.has_next_page),
            "hasPreviousPage" => Value::Boolean(info.has_previous_page),
            "startCursor" => cursor(&info.start_cursor),
            "endCursor" => cursor(&info.end_cursor),
            _ => Value::String("PageInfo".into()),
        };
        insert(&mut map, k.clone(), v);
    }
    object(map)
}

fn node(
    kind: &Kind,
    slots: &[(Name, NodeSlot)],
    row: &QueryResult,
    id_col: usize,
    nested: &mut NestedValues,
) -> Result<Value, AppError> {
    let mut map = IndexMap::with_capacity(slots.len());
    for (key, slot) in slots {
        let value = match slot {
            NodeSlot::Typename => Value::String(kind.name.into()),
            NodeSlot::Column(read, i) => read(row, *i)?,
            NodeSlot::Nested(pos) => {
                let id: Uuid = get(row, id_col)?;
                match nested.get_mut(pos) {
                    Some((values, 1)) => values.remove(&id).unwrap_or_default(),
                    Some((values, _)) => values.get(&id).cloned().unwrap_or_default(),
                    None => Value::Null,
                }
            }
        };
        insert(&mut map, key.clone(), value);
    }
    Ok(object(map))
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
