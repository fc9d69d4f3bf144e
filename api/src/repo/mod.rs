//! Data access, one module per aggregate. Free functions over any sea-orm
//! connection (normally the request's or the job's `Tx`), so the same code
//! runs in a request, a worker or a test. No GraphQL types in here.

pub mod asset;
pub mod audit;
pub mod campaign;
pub mod job;
pub mod lead;
pub mod ledger;
pub mod org;
pub mod user;

use sea_orm::{ConnectionTrait, DbBackend, DbErr, FromQueryResult, Statement, Value};

pub fn stmt(sql: &str, values: impl IntoIterator<Item = Value>) -> Statement {
    Statement::from_sql_and_values(DbBackend::Postgres, sql, values)
}

pub async fn all<T: FromQueryResult>(
    db: &impl ConnectionTrait,
    sql: &str,
    values: impl IntoIterator<Item = Value>,
) -> Result<Vec<T>, DbErr> {
    T::find_by_statement(stmt(sql, values)).all(db).await
}

pub async fn one<T: FromQueryResult>(
    db: &impl ConnectionTrait,
    sql: &str,
    values: impl IntoIterator<Item = Value>,
) -> Result<Option<T>, DbErr> {
    T::find_by_statement(stmt(sql, values)).one(db).await
}

pub async fn exec(db: &impl ConnectionTrait, sql: &str, values: impl IntoIterator<Item = Value>) -> Result<u64, DbErr> {
    Ok(db.execute_raw(stmt(sql, values)).await?.rows_affected())
}

/// Escapes `%`, `_` and `\` for a LIKE pattern.
pub fn like_escape(s: &str) -> String {
    s.replace('\\', "\\\\").replace('%', "\\%").replace('_', "\\_")
}

/// Builds SQL with numbered parameters; only values are ever bound, every
/// identifier comes from code.
#[derive(Default)]
pub struct Sql {
    pub sql: String,
    pub values: Vec<Value>,
}

impl Sql {
    pub fn new(sql: &str) -> Self {
        Self {
            sql: sql.to_string(),
            values: Vec::new(),
        }
    }

    pub fn push(&mut self, sql: &str) -> &mut Self {
        self.sql.push_str(sql);
        self
    }

    /// Binds a value and returns its placeholder.
    pub fn bind(&mut self, v: impl Into<Value>) -> String {
        self.values.push(v.into());
        format!("${}", self.values.len())
    }

    pub fn stmt(&self) -> Statement {
        Statement::from_sql_and_values(DbBackend::Postgres, self.sql.clone(), self.values.clone())
    }
}

/// A row of a batched child page, with its list's total when asked for.
pub struct Child<T> {
    pub parent: uuid::Uuid,
    pub total: Option<i64>,
    pub row: T,
}

/// The conditions a child list's rows meet besides the cursor:
/// `{parent_col} = {parent}` and the filters, binding their values.
fn child_conditions(q: &mut Sql, parent_col: &str, parent: &str, filters: &[(&str, Option<Value>)]) -> String {
    let mut where_ = format!("{parent_col} = {parent}");
    for (col, v) in filters {
        match v {
            Some(v) => {
                let p = q.bind(v.clone());
                where_.push_str(&format!(" AND {col} = {p}"));
            }
            None => where_.push_str(&format!(" AND {col} IS NULL")),
        }
    }
    where_
}

/// One page of children for each of many parents, in one statement:
/// `fetch` rows per parent, ordered by (created_at, id), after the cursor
/// if any, and each parent's total (before the cursor) when `with_total`.
/// Each row holds `cols`, then the parent's id, then (`with_total`) the total.
///
/// Each parent's page is a LATERAL subquery with its own LIMIT, so
/// Postgres walks the `(org_id, parent, created_at, id)` index and stops
/// after `fetch` rows, instead of reading and ranking every child.
#[expect(clippy::too_many_arguments, reason = "one generic query, spelled out")]
pub fn child_pages_stmt(
    table: &str,
    cols: &str,
    parent_col: &str,
    parents: &[uuid::Uuid],
    filters: &[(&str, Option<Value>)],
    newest_first: bool,
    after: Option<&crate::graphql::relay::TimeCursor>,
    fetch: i64,
    with_total: bool,
) -> Statement {
    let mut q = Sql::default();
    let parents_p = q.bind(parents.to_vec());
    let where_ = child_conditions(&mut q, parent_col, "p.id", filters);
    let (dir, cmp) = if newest_first { ("DESC", "<") } else { ("ASC", ">") };
    let cursor = match after {
        Some(c) => {
            let a = q.bind(c.0);
            let b = q.bind(c.1);
            format!(" AND (created_at, id) {cmp} ({a}, {b})")
        }
        None => String::new(),
    };
    let fetch_p = q.bind(fetch);
    let total = if with_total {
        format!(", (SELECT count(*) FROM {table} WHERE {where_}) AS cs_total")
    } else {
        String::new()
    };
    q.sql = format!(
        "SELECT c.*, p.id AS cs_parent{total}
           FROM unnest({parents_p}::uuid[]) AS p(id)
           CROSS JOIN LATERAL (
             SELECT {cols} FROM {table} WHERE {where_}{cursor}
              ORDER BY created_at {dir}, id {dir} LIMIT {fetch_p}
           ) c"
    );
    q.stmt()
}

/// Runs a [`child_pages_stmt`] and reads every row as a `T`.
pub async fn child_pages<T: FromQueryResult>(
    db: &impl ConnectionTrait,
    stmt: Statement,
    with_total: bool,
) -> Result<Vec<Child<T>>, DbErr> {
    let rows = db.query_all_raw(stmt).await?;
    rows.iter()
        .map(|r| {
            Ok(Child {
                parent: r.try_get("", "cs_parent")?,
                total: if with_total {
                    Some(r.try_get("", "cs_total")?)
                } else {
                    None
                },
                row: T::from_query_result(r, "")?,
            })
        })
        .collect()
}

/// `count(*)` of one parent's child list (the filters applied, no cursor).
pub fn child_count_stmt(
    table: &str,
    parent_col: &str,
    parent: uuid::Uuid,
    filters: &[(&str, Option<Value>)],
) -> Statement {
    let mut q = Sql::default();
    let parent_p = q.bind(parent);
    let where_ = child_conditions(&mut q, parent_col, &parent_p, filters);
    q.sql = format!("SELECT count(*) FROM {table} WHERE {where_}");
    q.stmt()
}
