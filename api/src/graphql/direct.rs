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
use crate::graphql::relay::{Direction, Page, PageInfo, TimeCursor, paginate};
use async_graphql::indexmap::IndexMap;
use async_graphql::parser::types::{Field, Selection, SelectionSet};
use async_graphql::{Context, ContextSelectionSet, InputType, Name, OutputType, Pos, Positioned, ServerResult, Value};
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbErr, QueryResult, Statement};
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

/// One parent's page: rows with their cursors, page info and total.
pub(crate) struct Rows {
    pub(crate) rows: Vec<(String, QueryResult)>,
    pub(crate) info: PageInfo,
    pub(crate) total: Option<i64>,
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
) -> Result<Value, AppError> {
    let ids = page_ids(&[&rows], plan)?;
    let mut nested = load_nested(ctx, tx, plan, ids).await?;
    build_connection(ctx, plan, set, rows, &mut nested)
}

fn page_ids(pages: &[&Rows], plan: &Plan<'_>) -> Result<Vec<Uuid>, AppError> {
    if plan.nested.is_empty() {
        return Ok(Vec::new());
    }
    let id_col = plan.column("id");
    let mut ids = Vec::new();
    for p in pages {
        for (_, r) in &p.rows {
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
        let keyed = rows
            .into_iter()
            .map(|r| Ok((TimeCursor(get(&r, 1)?, get(&r, 0)?), r)))
            .collect::<Result<Vec<_>, DbErr>>()?;
        let (rows, info) = paginate(
            keyed,
            n.page.limit,
            Direction::Forward,
            n.page.cursor.is_some(),
            |(c, _)| c.clone(),
            |cursor, (_, r)| (cursor, r),
        );
        let total = match total {
            _ if !plan.total => None,
            Some(t) => Some(t),
            // A parent without rows on this page has no row to carry its total.
            None if n.page.cursor.is_none() => Some(0),
            None => Some(count(tx, n.spec, *parent).await?),
        };
        pages.push((*parent, Rows { rows, info, total }));
    }
    let ids = page_ids(&pages.iter().map(|(_, p)| p).collect::<Vec<_>>(), plan)?;
    let mut nested = load_nested(ctx, tx, plan, ids).await?;
    let set = &n.field.node.selection_set.node;
    pages
        .into_iter()
        .map(|(parent, rows)| Ok((parent, build_connection(ctx, plan, set, rows, &mut nested)?)))
        .collect()
}

async fn count(tx: &Tx, spec: &ChildSpec, parent: Uuid) -> Result<i64, AppError> {
    let row = tx
        .query_one_raw(crate::repo::child_count_stmt(spec.table, spec.parent_col, parent, &[]))
        .await?;
    Ok(row.map(|r| get::<i64>(&r, 0)).transpose()?.unwrap_or(0))
}

/// Runs a top-level page's statement (selecting the plan's columns) and
/// reads its rows, `cursor` reading each row's cursor.
pub(crate) async fn top_rows<C: serde::Serialize + Clone>(
    tx: &Tx,
    stmt: Statement,
    page: &Page<C>,
    cursor: impl Fn(&QueryResult) -> Result<C, DbErr>,
) -> Result<(Vec<(String, QueryResult)>, PageInfo), AppError> {
    let rows = tx
        .query_all_raw(stmt)
        .await?
        .into_iter()
        .map(|r| Ok((cursor(&r)?, r)))
        .collect::<Result<Vec<_>, DbErr>>()?;
    Ok(paginate(
        rows,
        page.limit,
        page.direction,
        page.cursor.is_some(),
        |(c, _)| c.clone(),
        |cursor, (_, r)| (cursor, r),
    ))
}

/// Merges a field's value into an object the way the executor does when a
/// response key is selected more than once.
fn insert(map: &mut IndexMap<Name, Value>, key: Name, value: Value) {
    match (map.get_mut(&key), value) {
        (None, value) => {
            map.insert(key, value);
        }
        (Some(Value::Object(prev)), Value::Object(obj)) => {
            for (k, v) in obj {
                insert(prev, k, v);
            }
        }
        (Some(Value::List(prev)), Value::List(list)) => {
            for (p, v) in prev.iter_mut().zip(list) {
                if let (Value::Object(p), Value::Object(o)) = (p, v) {
                    for (k, v) in o {
                        insert(p, k, v);
                    }
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
    ctx: &Context<'_>,
    plan: &Plan<'_>,
    set: &SelectionSet,
    rows: Rows,
    nested: &mut NestedValues,
) -> Result<Value, AppError> {
    let kind = plan.kind;
    let fs = fields_of(ctx, kind.connection, set);
    let mut map = IndexMap::with_capacity(fs.len());
    for f in fs {
        let key = f.node.response_key().node.clone();
        let sub = &f.node.selection_set.node;
        let value = match f.node.name.node.as_str() {
            "__typename" => Value::String(kind.connection.into()),
            "totalCount" => Value::from(rows.total.unwrap_or(0)),
            "pageInfo" => page_info(ctx, sub, &rows.info),
            "nodes" => Value::List(
                rows.rows
                    .iter()
                    .map(|(_, r)| node(ctx, plan, sub, r, nested))
                    .collect::<Result<_, _>>()?,
            ),
            "edges" => {
                let edge_fields = fields_of(ctx, kind.edge, sub);
                let mut list = Vec::with_capacity(rows.rows.len());
                for (cursor, r) in &rows.rows {
                    let mut edge = IndexMap::with_capacity(edge_fields.len());
                    for g in &edge_fields {
                        let v = match g.node.name.node.as_str() {
                            "__typename" => Value::String(kind.edge.into()),
                            "cursor" => Value::String(cursor.clone()),
                            _ => node(ctx, plan, &g.node.selection_set.node, r, nested)?,
                        };
                        insert(&mut edge, g.node.response_key().node.clone(), v);
                    }
                    list.push(object(edge));
                }
                Value::List(list)
            }
            _ => Value::Null,
        };
        insert(&mut map, key, value);
    }
    Ok(object(map))
}

fn page_info(ctx: &Context<'_>, set: &SelectionSet, info: &PageInfo) -> Value {
    let cursor = |c: &Option<String>| c.clone().map_or(Value::Null, Value::String);
    let mut map = IndexMap::new();
    for f in fields_of(ctx, "PageInfo", set) {
        let v = match f.node.name.node.as_str() {
            "__typename" => Value::String("PageInfo".into()),
            "hasNextPage" => Value::Boolean(info.has_next_page),
            "hasPreviousPage" => Value::Boolean(info.has_previous_page),
            "startCursor" => cursor(&info.start_cursor),
            _ => cursor(&info.end_cursor),
        };
        insert(&mut map, f.node.response_key().node.clone(), v);
    }
    object(map)
}

fn node(
    ctx: &Context<'_>,
    plan: &Plan<'_>,
    set: &SelectionSet,
    row: &QueryResult,
    nested: &mut NestedValues,
) -> Result<Value, AppError> {
    let kind = plan.kind;
    let fs = fields_of(ctx, kind.name, set);
    let mut map = IndexMap::with_capacity(fs.len());
    for f in fs {
        let name = f.node.name.node.as_str();
        let value = if name == "__typename" {
            Value::String(kind.name.into())
        } else if let Some(p) = kind.plain.iter().find(|p| p.field == name) {
            (p.read)(row, plan.column(p.column))?
        } else {
            let id: Uuid = get(row, plan.column("id"))?;
            match nested.get_mut(&f.pos) {
                Some((values, 1)) => values.remove(&id).unwrap_or_default(),
                Some((values, _)) => values.get(&id).cloned().unwrap_or_default(),
                None => Value::Null,
            }
        };
        insert(&mut map, f.node.response_key().node.clone(), value);
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
