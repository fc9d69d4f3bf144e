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

/// A row of a batched child page, with its list's total.
pub struct Child<T> {
    pub parent: uuid::Uuid,
    pub total: i64,
    pub row: T,
}

/// One page of children for each of many parents, in one statement:
/// `fetch` rows per parent, ordered by (created_at, id), after the cursor
/// if any, with each parent's total (before the cursor) alongside.
#[expect(clippy::too_many_arguments, reason = "one generic query, spelled out")]
pub async fn child_pages<T: FromQueryResult>(
    db: &impl ConnectionTrait,
    table: &str,
    cols: &str,
    parent_col: &str,
    parents: &[uuid::Uuid],
    filters: &[(&str, Option<Value>)],
    newest_first: bool,
    after: Option<&crate::graphql::relay::TimeCursor>,
    fetch: i64,
) -> Result<Vec<Child<T>>, DbErr> {
    let mut q = Sql::default();
    let parents_p = q.bind(parents.to_vec());
    let mut where_ = format!("{parent_col} = ANY({parents_p})");
    for (col, v) in filters {
        match v {
            Some(v) => {
                let p = q.bind(v.clone());
                where_.push_str(&format!(" AND {col} = {p}"));
            }
            None => where_.push_str(&format!(" AND {col} IS NULL")),
        }
    }
    let (dir, cmp) = if newest_first { ("DESC", "<") } else { ("ASC", ">") };
    let cursor = match after {
        Some(c) => {
            let a = q.bind(c.0);
            let b = q.bind(c.1);
            format!("WHERE (created_at, id) {cmp} ({a}, {b})")
        }
        None => String::new(),
    };
    let fetch_p = q.bind(fetch);
    q.sql = format!(
        "SELECT * FROM (
           SELECT t.*, row_number() OVER (PARTITION BY {parent_col} ORDER BY created_at {dir}, id {dir}) AS cs_rn
             FROM (SELECT {cols}, {parent_col} AS cs_parent, count(*) OVER (PARTITION BY {parent_col}) AS cs_total
                     FROM {table} WHERE {where_}) t
           {cursor}
         ) u WHERE cs_rn <= {fetch_p} ORDER BY cs_parent, cs_rn"
    );
    let rows = db.query_all_raw(q.stmt()).await?;
    rows.iter()
        .map(|r| {
            Ok(Child {
                parent: r.try_get("", "cs_parent")?,
                total: r.try_get("", "cs_total")?,
                row: T::from_query_result(r, "")?,
            })
        })
        .collect()
}
