//! Between sea-orm's values and rows and tokio-postgres.
//!
//! - Parameters: every `sea_orm::Value` is bound with the Postgres type its
//!   variant names (`String` as `text`, `Uuid` as `uuid`, `Json` as `jsonb`,
//!   arrays as arrays of those), the types statements are prepared with —
//!   what the SQL of `repo/` was written against.
//! - Rows: for sea-orm (`FromQueryResult`, `try_get` by name) a row becomes
//!   a `QueryResult` whose cells are `Value`s of exactly the variant its
//!   Rust type reads (`int4` → `Int`, `int8` → `BigInt`, …); a type not
//!   listed here is an error naming the column, never a silent null. Code
//!   that reads cells by position uses the rows as they come (`Tx::rows`).
//! - Errors: a Postgres error keeps its SQLSTATE, constraint and message
//!   (`PgError`), reachable from a `DbErr` through `pg_error`.

use sea_orm::sea_query::ArrayType;
use sea_orm::{DbErr, ProxyRow, QueryResult, RuntimeErr, Value};
use std::borrow::Cow;
use std::collections::BTreeMap;
use std::error::Error as StdError;
use std::sync::Arc;
use tokio_postgres::Row;
use tokio_postgres::types::{IsNull, ToSql, Type, to_sql_checked};

type BoxError = Box<dyn StdError + Sync + Send>;

/// The Postgres type a value is bound as.
pub(crate) fn type_of(v: &Value) -> Type {
    match v {
        Value::Bool(_) => Type::BOOL,
        Value::SmallInt(_) => Type::INT2,
        Value::Int(_) => Type::INT4,
        Value::BigInt(_) => Type::INT8,
        Value::Float(_) => Type::FLOAT4,
        Value::Double(_) => Type::FLOAT8,
        Value::String(_) => Type::TEXT,
        Value::Bytes(_) => Type::BYTEA,
        Value::Json(_) => Type::JSONB,
        Value::ChronoDate(_) => Type::DATE,
        Value::ChronoTime(_) => Type::TIME,
        Value::ChronoDateTime(_) => Type::TIMESTAMP,
        Value::ChronoDateTimeUtc(_) => Type::TIMESTAMPTZ,
        Value::Uuid(_) => Type::UUID,
        Value::Array(t, _) => match t {
            ArrayType::Bool => Type::BOOL_ARRAY,
            ArrayType::SmallInt => Type::INT2_ARRAY,
            ArrayType::Int => Type::INT4_ARRAY,
            ArrayType::BigInt => Type::INT8_ARRAY,
            ArrayType::Float => Type::FLOAT4_ARRAY,
            ArrayType::Double => Type::FLOAT8_ARRAY,
            ArrayType::String => Type::TEXT_ARRAY,
            ArrayType::Uuid => Type::UUID_ARRAY,
            ArrayType::Json => Type::JSONB_ARRAY,
            ArrayType::ChronoDateTimeUtc => Type::TIMESTAMPTZ_ARRAY,
            ArrayType::ChronoDate => Type::DATE_ARRAY,
            // Left to Postgres; binding then fails with a clear error.
            _ => Type::UNKNOWN,
        },
        _ => Type::UNKNOWN,
    }
}

/// A `sea_orm::Value` as a statement parameter.
#[derive(Debug)]
pub(crate) struct Param<'a>(pub(crate) &'a Value);

impl ToSql for Param<'_> {
    fn to_sql(&self, ty: &Type, out: &mut bytes::BytesMut) -> Result<IsNull, BoxError> {
        // Every cell is checked against the type it is written as (also
        // inside arrays, whose elements come here unchecked).
        match self.0 {
            Value::Bool(v) => v.to_sql_checked(ty, out),
            Value::SmallInt(v) => v.to_sql_checked(ty, out),
            Value::Int(v) => v.to_sql_checked(ty, out),
            Value::BigInt(v) => v.to_sql_checked(ty, out),
            Value::Float(v) => v.to_sql_checked(ty, out),
            Value::Double(v) => v.to_sql_checked(ty, out),
            Value::String(v) => v.as_deref().to_sql_checked(ty, out),
            Value::Bytes(v) => v.as_deref().to_sql_checked(ty, out),
            Value::Json(v) => v.as_deref().to_sql_checked(ty, out),
            Value::ChronoDate(v) => v.to_sql_checked(ty, out),
            Value::ChronoTime(v) => v.to_sql_checked(ty, out),
            Value::ChronoDateTime(v) => v.to_sql_checked(ty, out),
            Value::ChronoDateTimeUtc(v) => v.to_sql_checked(ty, out),
            Value::Uuid(v) => v.to_sql_checked(ty, out),
            Value::Array(_, None) => Ok(IsNull::Yes),
            Value::Array(_, Some(items)) => items.iter().map(Param).collect::<Vec<_>>().to_sql_checked(ty, out),
            other => Err(format!("a {other:?} cannot be sent to Postgres").into()),
        }
    }

    fn accepts(_: &Type) -> bool {
        // Decided per value in `to_sql`.
        true
    }

    to_sql_checked!();
}

/// A row as sea-orm reads it (by column name; the first column of a name
/// wins, as when Postgres rows are read by name).
pub(crate) fn query_result(row: &Row) -> Result<QueryResult, DbErr> {
    let mut cells = BTreeMap::new();
    for (i, column) in row.columns().iter().enumerate() {
        if !cells.contains_key(column.name()) {
            cells.insert(column.name().to_string(), cell(row, i)?);
        }
    }
    Ok(ProxyRow::new(cells).into())
}

fn cell(row: &Row, i: usize) -> Result<Value, DbErr> {
    let column = &row.columns()[i];
    let ty = column.type_();
    let bad = |e: tokio_postgres::Error| DbErr::Type(format!("column {:?}: {e}", column.name()));
    fn array<T: for<'a> tokio_postgres::types::FromSql<'a>>(
        row: &Row,
        i: usize,
        of: ArrayType,
        each: impl Fn(T) -> Value,
    ) -> Result<Value, tokio_postgres::Error> {
        let items: Option<Vec<T>> = row.try_get(i)?;
        Ok(Value::Array(
            of,
            items.map(|v| Box::new(v.into_iter().map(each).collect())),
        ))
    }
    let value = match *ty {
        Type::BOOL => row.try_get(i).map(Value::Bool),
        Type::INT2 => row.try_get(i).map(Value::SmallInt),
        Type::INT4 => row.try_get(i).map(Value::Int),
        Type::INT8 => row.try_get(i).map(Value::BigInt),
        Type::FLOAT4 => row.try_get(i).map(Value::Float),
        Type::FLOAT8 => row.try_get(i).map(Value::Double),
        Type::TEXT | Type::VARCHAR | Type::BPCHAR | Type::NAME | Type::UNKNOWN => row.try_get(i).map(Value::String),
        Type::BYTEA => row.try_get(i).map(Value::Bytes),
        Type::UUID => row.try_get(i).map(Value::Uuid),
        Type::JSON | Type::JSONB => row
            .try_get::<_, Option<serde_json::Value>>(i)
            .map(|v| Value::Json(v.map(Box::new))),
        Type::TIMESTAMPTZ => row.try_get(i).map(Value::ChronoDateTimeUtc),
        Type::TIMESTAMP => row.try_get(i).map(Value::ChronoDateTime),
        Type::DATE => row.try_get(i).map(Value::ChronoDate),
        Type::TIME => row.try_get(i).map(Value::ChronoTime),
        Type::TEXT_ARRAY | Type::VARCHAR_ARRAY => array(row, i, ArrayType::String, |s: String| Value::String(Some(s))),
        Type::UUID_ARRAY => array(row, i, ArrayType::Uuid, |u: uuid::Uuid| Value::Uuid(Some(u))),
        Type::INT4_ARRAY => array(row, i, ArrayType::Int, |n: i32| Value::Int(Some(n))),
        Type::INT8_ARRAY => array(row, i, ArrayType::BigInt, |n: i64| Value::BigInt(Some(n))),
        Type::BOOL_ARRAY => array(row, i, ArrayType::Bool, |b: bool| Value::Bool(Some(b))),
        _ => {
            return Err(DbErr::Type(format!(
                "column {:?}: Postgres type {ty} is not read here (cast it in the SQL)",
                column.name()
            )));
        }
    };
    value.map_err(bad)
}

/// A Postgres error (SQLSTATE, message, constraint …), carried inside a
/// `DbErr` the way sea-orm carries its driver's errors, so sea-orm's own
/// checks (`DbErr::sql_err`) and ours (`pg_error`) both see it.
#[derive(Debug)]
pub struct PgError(tokio_postgres::error::DbError);

impl PgError {
    /// The SQLSTATE, e.g. `23505`.
    pub fn code(&self) -> &str {
        self.0.code().code()
    }

    pub fn message(&self) -> &str {
        self.0.message()
    }

    pub fn constraint(&self) -> Option<&str> {
        self.0.constraint()
    }

    pub fn detail(&self) -> Option<&str> {
        self.0.detail()
    }
}

impl std::fmt::Display for PgError {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        self.0.fmt(f)
    }
}

impl StdError for PgError {}

impl sqlx::error::DatabaseError for PgError {
    fn message(&self) -> &str {
        self.0.message()
    }

    fn code(&self) -> Option<Cow<'_, str>> {
        Some(Cow::Borrowed(self.0.code().code()))
    }

    fn as_error(&self) -> &(dyn StdError + Send + Sync + 'static) {
        self
    }

    fn as_error_mut(&mut self) -> &mut (dyn StdError + Send + Sync + 'static) {
        self
    }

    fn into_error(self: Box<Self>) -> Box<dyn StdError + Send + Sync + 'static> {
        self
    }

    fn constraint(&self) -> Option<&str> {
        self.0.constraint()
    }

    fn table(&self) -> Option<&str> {
        self.0.table()
    }

    fn kind(&self) -> sqlx::error::ErrorKind {
        use sqlx::error::ErrorKind;
        match self.code() {
            "23505" => ErrorKind::UniqueViolation,
            "23503" => ErrorKind::ForeignKeyViolation,
            "23502" => ErrorKind::NotNullViolation,
            "23514" => ErrorKind::CheckViolation,
            _ => ErrorKind::Other,
        }
    }
}

/// The connection is gone (closed by either side, or a broken socket), as
/// opposed to a statement failing on a live connection.
pub(crate) fn connection_lost(e: &tokio_postgres::Error) -> bool {
    match e.as_db_error() {
        // admin_shutdown, crash_shutdown, cannot_connect_now
        Some(db) => matches!(db.code().code(), "57P01" | "57P02" | "57P03"),
        None => e.is_closed() || e.source().is_some_and(|s| s.is::<std::io::Error>()),
    }
}

fn runtime(e: tokio_postgres::Error) -> RuntimeErr {
    let err = match e.as_db_error() {
        Some(db) => sqlx::Error::Database(Box::new(PgError(db.clone()))),
        None if connection_lost(&e) => sqlx::Error::Io(std::io::Error::other(e.to_string())),
        None => sqlx::Error::Protocol(e.to_string()),
    };
    RuntimeErr::SqlxError(Arc::new(err))
}

/// A statement (or its connection) failed while reading.
pub(crate) fn query_err(e: tokio_postgres::Error) -> DbErr {
    DbErr::Query(runtime(e))
}

/// A statement (or its connection) failed while writing.
pub(crate) fn exec_err(e: tokio_postgres::Error) -> DbErr {
    DbErr::Exec(runtime(e))
}

/// No connection could be had.
pub(crate) fn conn_err(e: tokio_postgres::Error) -> DbErr {
    DbErr::Conn(runtime(e))
}

/// The Postgres error behind a `DbErr`, if any.
pub fn pg_error(err: &DbErr) -> Option<&PgError> {
    let runtime = match err {
        DbErr::Query(e) | DbErr::Exec(e) | DbErr::Conn(e) => e,
        _ => return None,
    };
    match runtime {
        RuntimeErr::SqlxError(e) => match e.as_ref() {
            sqlx::Error::Database(db) => db.try_downcast_ref::<PgError>(),
            _ => None,
        },
        _ => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_value_the_repo_binds_has_its_postgres_type() {
        let cases: Vec<(Value, Type)> = vec![
            (true.into(), Type::BOOL),
            (1i32.into(), Type::INT4),
            (1i64.into(), Type::INT8),
            (1.5f32.into(), Type::FLOAT4),
            ("x".into(), Type::TEXT),
            (Value::String(None), Type::TEXT),
            (uuid::Uuid::nil().into(), Type::UUID),
            (serde_json::json!({"a": 1}).into(), Type::JSONB),
            (chrono::Utc::now().into(), Type::TIMESTAMPTZ),
            (vec!["a".to_string()].into(), Type::TEXT_ARRAY),
            (vec![uuid::Uuid::nil()].into(), Type::UUID_ARRAY),
        ];
        for (v, t) in cases {
            assert_eq!(type_of(&v), t, "{v:?}");
            let mut out = bytes::BytesMut::new();
            Param(&v).to_sql_checked(&t, &mut out).unwrap();
        }
    }

    #[test]
    fn a_value_written_as_another_type_is_refused() {
        let mut out = bytes::BytesMut::new();
        assert!(Param(&"x".into()).to_sql_checked(&Type::UUID, &mut out).is_err());
        assert!(Param(&1i32.into()).to_sql_checked(&Type::INT8, &mut out).is_err());
        let texts: Value = vec!["a".to_string()].into();
        assert!(Param(&texts).to_sql_checked(&Type::UUID_ARRAY, &mut out).is_err());
    }
}
