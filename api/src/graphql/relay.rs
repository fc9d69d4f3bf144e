//! Relay cursor connections: arguments, opaque keyset cursors, and the
//! connection/edge types (one macro, so every list looks the same).

use crate::error::AppError;
use async_graphql::SimpleObject;
use base64::Engine as _;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use serde::{Deserialize, Serialize, de::DeserializeOwned};

pub const DEFAULT_PAGE: i32 = 20;
pub const MAX_PAGE: i32 = 100;

#[derive(SimpleObject, Clone, Debug, Default)]
pub struct PageInfo {
    pub has_next_page: bool,
    pub has_previous_page: bool,
    pub start_cursor: Option<String>,
    pub end_cursor: Option<String>,
}

/// Which way a page is read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Direction {
    /// `first`/`after`: rows after the cursor.
    Forward,
    /// `last`/`before`: rows before the cursor (read in reverse, then flipped).
    Backward,
}

/// Validated pagination arguments, with the decoded cursor.
#[derive(Clone, Debug)]
pub struct Page<C> {
    pub limit: i32,
    pub cursor: Option<C>,
    pub direction: Direction,
}

impl<C: DeserializeOwned> Page<C> {
    /// Forward-only lists (`first`, `after`).
    pub fn forward(first: Option<i32>, after: Option<String>) -> Result<Self, AppError> {
        Self::new(first, after, None, None)
    }

    pub fn new(
        first: Option<i32>,
        after: Option<String>,
        last: Option<i32>,
        before: Option<String>,
    ) -> Result<Self, AppError> {
        let check = |field: &str, n: i32| {
            if n < 0 {
                Err(AppError::validation(field, format!("{field} must not be negative")))
            } else if n > MAX_PAGE {
                Err(AppError::validation(
                    field,
                    format!("{field} must be at most {MAX_PAGE}"),
                ))
            } else {
                Ok(n)
            }
        };
        if first.is_some() && last.is_some() {
            return Err(AppError::validation("last", "use first/after or last/before, not both"));
        }
        if after.is_some() && before.is_some() {
            return Err(AppError::validation("before", "use after or before, not both"));
        }
        if last.is_some() || before.is_some() {
            let limit = check("last", last.unwrap_or(DEFAULT_PAGE))?;
            let cursor = before.map(|c| decode("before", &c)).transpose()?;
            return Ok(Self {
                limit,
                cursor,
                direction: Direction::Backward,
            });
        }
        let limit = check("first", first.unwrap_or(DEFAULT_PAGE))?;
        let cursor = after.map(|c| decode("after", &c)).transpose()?;
        Ok(Self {
            limit,
            cursor,
            direction: Direction::Forward,
        })
    }

    /// Rows to fetch: one more than the page, to know whether there is more.
    pub fn fetch(&self) -> i64 {
        i64::from(self.limit) + 1
    }
}

pub fn encode<C: Serialize>(cursor: &C) -> String {
    URL_SAFE_NO_PAD.encode(serde_json::to_vec(cursor).unwrap_or_default())
}

fn decode<C: DeserializeOwned>(field: &str, s: &str) -> Result<C, AppError> {
    let bad = || AppError::validation(field, format!("{field} is not a cursor from this list"));
    let bytes = URL_SAFE_NO_PAD.decode(s.trim()).map_err(|_| bad())?;
    serde_json::from_slice(&bytes).map_err(|_| bad())
}

/// Turns `limit + 1` rows read in page direction into edges and page info.
pub fn paginate<T, C: Serialize, E>(
    mut rows: Vec<T>,
    page_limit: i32,
    direction: Direction,
    had_cursor: bool,
    cursor_of: impl Fn(&T) -> C,
    edge: impl Fn(String, T) -> E,
) -> (Vec<E>, PageInfo) {
    let more = trim(&mut rows, page_limit, direction);
    let cursors: Vec<String> = rows.iter().map(|r| encode(&cursor_of(r))).collect();
    let info = page_info(
        more,
        direction,
        had_cursor,
        cursors.first().cloned(),
        cursors.last().cloned(),
    );
    let edges = rows.into_iter().zip(cursors).map(|(r, c)| edge(c, r)).collect();
    (edges, info)
}

/// Cuts `limit + 1` rows read in page direction to the page, in list
/// order; true when there were more.
pub fn trim<T>(rows: &mut Vec<T>, page_limit: i32, direction: Direction) -> bool {
    let limit = usize::try_from(page_limit).unwrap_or(0);
    let more = rows.len() > limit;
    rows.truncate(limit);
    if direction == Direction::Backward {
        rows.reverse();
    }
    more
}

/// The page info of a trimmed page whose first and last cursors are given.
pub fn page_info(
    more: bool,
    direction: Direction,
    had_cursor: bool,
    start_cursor: Option<String>,
    end_cursor: Option<String>,
) -> PageInfo {
    let forward = direction == Direction::Forward;
    PageInfo {
        has_next_page: if forward { more } else { had_cursor },
        has_previous_page: if forward { had_cursor } else { more },
        start_cursor,
        end_cursor,
    }
}

/// `totalCount`: known already, or counted on demand with the given
/// statement in the request's transaction (only when a client asks for it).
pub enum Total {
    Known(i64),
    Count(sea_orm::Statement),
}

impl Total {
    pub async fn get(&self, ctx: &async_graphql::Context<'_>) -> async_graphql::Result<i64> {
        match self {
            Total::Known(n) => Ok(*n),
            Total::Count(stmt) => {
                let tx = crate::graphql::tx(ctx).await?;
                let rows = tx.rows(stmt).await.map_err(AppError::from)?;
                Ok(rows
                    .first()
                    .map(|r| crate::graphql::direct::cell::<i64>(r, 0))
                    .transpose()
                    .map_err(AppError::from)?
                    .unwrap_or(0))
            }
        }
    }
}

/// Declares `<Name>Connection` and `<Name>Edge` for a node type.
macro_rules! connection {
    ($conn:ident, $edge:ident, $node:ty) => {
        #[derive(async_graphql::SimpleObject)]
        pub struct $edge {
            pub cursor: String,
            pub node: $node,
        }

        pub struct $conn {
            pub edges: Vec<$edge>,
            pub page_info: $crate::graphql::relay::PageInfo,
            pub total: $crate::graphql::relay::Total,
        }

        #[async_graphql::Object]
        impl $conn {
            async fn edges(&self) -> &[$edge] {
                &self.edges
            }
            /// The nodes of `edges`, for clients that do not need cursors.
            async fn nodes(&self) -> Vec<&$node> {
                self.edges.iter().map(|e| &e.node).collect()
            }
            async fn page_info(&self) -> &$crate::graphql::relay::PageInfo {
                &self.page_info
            }
            /// Items in the whole list (all pages), with the same filters.
            async fn total_count(&self, ctx: &async_graphql::Context<'_>) -> async_graphql::Result<i64> {
                self.total.get(ctx).await
            }
        }

        impl $conn {
            pub fn empty() -> Self {
                Self {
                    edges: vec![],
                    page_info: Default::default(),
                    total: $crate::graphql::relay::Total::Known(0),
                }
            }
        }
    };
}
pub(crate) use connection;

/// Keyset cursor of lists ordered by creation time: (created_at, id).
#[derive(Serialize, Deserialize, Clone, Debug, PartialEq, Eq, Hash)]
pub struct TimeCursor(pub chrono::DateTime<chrono::Utc>, pub uuid::Uuid);
