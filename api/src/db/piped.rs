//! Statements sent with one Sync on a tapped connection (`tap.rs`), and
//! the rows they answer.
//!
//! Each statement is first prepared by the driver as usual (which finds
//! its parameter and column types, custom types included), then once more
//! under a name of ours on the tap, since the driver's names are its own.
//! Values are encoded and cells decoded by the same `ToSql`/`FromSql` the
//! driver uses, in binary, so a row reads the same either way ([`Cells`]).

use super::pool::Conn;
use super::tap::Diverted;
use bytes::{Bytes, BytesMut};
use fallible_iterator::FallibleIterator as _;
use postgres_protocol::IsNull;
use postgres_protocol::message::backend::{self, DataRowBody};
use postgres_protocol::message::frontend;
use sea_orm::DbErr;
use std::collections::HashMap;
use std::ops::Range;
use std::sync::Arc;
use tokio_postgres::Row;
use tokio_postgres::types::{FromSql, ToSql, Type};

/// Statements prepared on the tap per connection; beyond, the connection
/// stops piping (the application has a few dozen such statements).
const MAX_PIPED: usize = 256;

/// A statement prepared on the tap.
pub(crate) struct Piped {
    name: String,
    params: Vec<Type>,
    columns: Arc<[Type]>,
}

/// The statements a connection has prepared on its tap, by SQL and
/// parameter types.
#[derive(Default)]
pub(crate) struct PipedStatements {
    by_sql: HashMap<String, Vec<Arc<Piped>>>,
    count: usize,
    /// Names are never reused, even of a preparation that failed.
    next: u64,
}

/// One statement of a pipeline: what the driver prepared, and its values.
pub(crate) struct Step<'a> {
    pub(crate) sql: &'a str,
    pub(crate) prepared: &'a tokio_postgres::Statement,
    pub(crate) params: &'a [&'a (dyn ToSql + Sync)],
}

/// The exchange failed midway: the tap is poisoned (the connection will be
/// closed), and what the database did is unknown.
pub(crate) struct Broken;

/// What a pipeline answered.
pub(crate) enum Answer {
    /// A value could not be encoded: nothing was sent.
    NotSent,
    /// Every statement ran and the transaction is over (ReadyForQuery
    /// `I`); the rows of each statement in turn.
    Done(Vec<Vec<PipedRow>>),
    /// A statement failed; the rest were skipped. `in_failed_block`: the
    /// transaction is still open, failed, and needs a `ROLLBACK`.
    Failed { in_failed_block: bool },
}

/// Prepares on the tap whichever of `steps` is not yet, in one exchange.
/// `None` if the connection has too many, or the database refused one
/// (outside any transaction, that leaves nothing behind).
pub(crate) async fn prepare(
    conn: &mut Conn,
    diverted: &mut Diverted<'_>,
    steps: &[Step<'_>],
) -> Result<Option<Vec<Arc<Piped>>>, Broken> {
    let piped = &mut conn.piped;
    let mut found = Vec::with_capacity(steps.len());
    let mut out = BytesMut::new();
    let mut new = Vec::new();
    for step in steps {
        let params = step.prepared.params();
        if let Some(p) = piped
            .by_sql
            .get(step.sql)
            .and_then(|v| v.iter().find(|p| p.params == params))
        {
            found.push(Some(p.clone()));
            continue;
        }
        if piped.count + new.len() >= MAX_PIPED {
            return Ok(None);
        }
        piped.next += 1;
        let p = Arc::new(Piped {
            name: format!("cs_piped_{}", piped.next),
            params: params.to_vec(),
            columns: step.prepared.columns().iter().map(|c| c.type_().clone()).collect(),
        });
        if frontend::parse(&p.name, step.sql, p.params.iter().map(Type::oid), &mut out).is_err() {
            return Ok(None);
        }
        new.push((step.sql, p.clone()));
        found.push(None);
    }
    if !new.is_empty() {
        frontend::sync(&mut out);
        let mut answer = BytesMut::new();
        diverted.exchange(&out, &mut answer).await.map_err(|_| Broken)?;
        let mut parsed = 0;
        while let Some(m) = backend::Message::parse(&mut answer).map_err(|_| Broken)? {
            match m {
                backend::Message::ParseComplete => parsed += 1,
                backend::Message::ErrorResponse(_) => return Ok(None),
                _ => {}
            }
        }
        if parsed != new.len() {
            return Ok(None);
        }
        let mut new = new.into_iter();
        for slot in found.iter_mut().filter(|s| s.is_none()) {
            let Some((sql, p)) = new.next() else { return Ok(None) };
            piped.by_sql.entry(sql.to_string()).or_default().push(p.clone());
            piped.count += 1;
            *slot = Some(p);
        }
    }
    Ok(found.into_iter().collect())
}

/// Runs `steps` (prepared on the tap as `piped`) with one Sync at the end.
pub(crate) async fn run(
    diverted: &mut Diverted<'_>,
    piped: &[Arc<Piped>],
    steps: &[Step<'_>],
) -> Result<Answer, Broken> {
    if piped.len() != steps.len() {
        return Ok(Answer::NotSent);
    }
    let mut out = BytesMut::new();
    for (p, step) in piped.iter().zip(steps) {
        let values = step.params.iter().zip(&p.params);
        let formats = values.clone().map(|(v, t)| v.encode_format(t) as i16);
        let encode = |(v, t): (&&(dyn ToSql + Sync), &Type), buf: &mut BytesMut| match v.to_sql_checked(t, buf) {
            Ok(tokio_postgres::types::IsNull::No) => Ok(IsNull::No),
            Ok(tokio_postgres::types::IsNull::Yes) => Ok(IsNull::Yes),
            Err(e) => Err(e),
        };
        if step.params.len() != p.params.len()
            || frontend::bind("", &p.name, formats, values, encode, Some(1), &mut out).is_err()
            || frontend::execute("", 0, &mut out).is_err()
        {
            return Ok(Answer::NotSent);
        }
    }
    frontend::sync(&mut out);
    let mut answer = BytesMut::new();
    diverted.exchange(&out, &mut answer).await.map_err(|_| Broken)?;
    let mut rows: Vec<Vec<PipedRow>> = (0..steps.len()).map(|_| Vec::new()).collect();
    let (mut at, mut failed) = (0, false);
    while let Some(m) = backend::Message::parse(&mut answer).map_err(|_| Broken)? {
        match m {
            backend::Message::DataRow(body) if !failed && at < piped.len() => {
                rows[at].push(PipedRow::new(piped[at].columns.clone(), body).ok_or(Broken)?);
            }
            backend::Message::CommandComplete(_) => at += 1,
            backend::Message::ErrorResponse(_) => failed = true,
            backend::Message::ReadyForQuery(r) => {
                return Ok(match (failed, r.status()) {
                    (false, b'I') if at == steps.len() => Answer::Done(rows),
                    (_, status) => Answer::Failed {
                        in_failed_block: status != b'I',
                    },
                });
            }
            _ => {}
        }
    }
    // `exchange` stops at the ReadyForQuery: not reached.
    Err(Broken)
}

/// Ends the failed transaction a pipeline left open. `false` if the
/// connection did not answer as expected.
pub(crate) async fn roll_back(diverted: &mut Diverted<'_>) -> bool {
    let mut out = BytesMut::new();
    if frontend::query("ROLLBACK", &mut out).is_err() {
        return false;
    }
    let mut answer = BytesMut::new();
    if diverted.exchange(&out, &mut answer).await.is_err() {
        return false;
    }
    let mut ok = false;
    while let Ok(Some(m)) = backend::Message::parse(&mut answer) {
        match m {
            backend::Message::ErrorResponse(_) => return false,
            backend::Message::ReadyForQuery(r) => ok = r.status() == b'I',
            _ => {}
        }
    }
    ok
}

/// A row read on the tap.
#[derive(Debug)]
pub struct PipedRow {
    columns: Arc<[Type]>,
    buffer: Bytes,
    ranges: Vec<Option<Range<usize>>>,
}

impl PipedRow {
    fn new(columns: Arc<[Type]>, body: DataRowBody) -> Option<Self> {
        let ranges: Vec<_> = body.ranges().collect().ok()?;
        (ranges.len() == columns.len()).then(|| PipedRow {
            columns,
            buffer: Bytes::copy_from_slice(body.buffer()),
            ranges,
        })
    }
}

/// A row's cells as the database sent them, whichever way it was read.
pub trait Cells {
    /// Cell `i`: its type and its bytes (`None` for NULL).
    fn raw(&self, i: usize) -> Result<(&Type, Option<&[u8]>), DbErr>;
}

fn no_column(i: usize) -> DbErr {
    DbErr::Type(format!("no column {i}"))
}

impl Cells for PipedRow {
    fn raw(&self, i: usize) -> Result<(&Type, Option<&[u8]>), DbErr> {
        let ty = self.columns.get(i).ok_or_else(|| no_column(i))?;
        let range = self.ranges.get(i).ok_or_else(|| no_column(i))?;
        Ok((ty, range.clone().map(|r| &self.buffer[r])))
    }
}

/// Any column's bytes, as `Row::try_get` hands them over.
struct RawBytes<'a>(&'a [u8]);

impl<'a> FromSql<'a> for RawBytes<'a> {
    fn from_sql(_: &Type, raw: &'a [u8]) -> Result<Self, Box<dyn std::error::Error + Sync + Send>> {
        Ok(RawBytes(raw))
    }
    fn accepts(_: &Type) -> bool {
        true
    }
}

impl Cells for Row {
    fn raw(&self, i: usize) -> Result<(&Type, Option<&[u8]>), DbErr> {
        let ty = self.columns().get(i).ok_or_else(|| no_column(i))?.type_();
        let raw: Option<RawBytes<'_>> = self.try_get(i).map_err(|e| DbErr::Type(e.to_string()))?;
        Ok((ty, raw.map(|r| r.0)))
    }
}

/// Cell `i` of `row` as a `T`, as `Row::try_get` converts it.
pub fn cell<'r, T: FromSql<'r>>(row: &'r (impl Cells + ?Sized), i: usize) -> Result<T, DbErr> {
    let (ty, raw) = row.raw(i)?;
    if !T::accepts(ty) {
        return Err(DbErr::Type(format!(
            "column {i}: cannot convert {ty} to {}",
            std::any::type_name::<T>()
        )));
    }
    T::from_sql_nullable(ty, raw).map_err(|e| DbErr::Type(format!("column {i}: {e}")))
}
