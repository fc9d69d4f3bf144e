//! From verified credentials to a tenant transaction: resolves the user
//! (just in time), checks membership or the API key, and opens the `Tx` the
//! request runs in.

use crate::auth::{Claims, Credentials};
use crate::db::{Enter, Entered, Tx};
use crate::error::{AppError, AppResult};
use crate::state::AppState;
use crate::tenancy::{OrgCtx, Principal, Role};
use sea_orm::{ConnectionTrait, DbBackend, Statement};
use uuid::Uuid;

/// Who is calling, resolved, before any transaction.
#[derive(Clone, Debug)]
pub enum Identity {
    Anonymous,
    User {
        user_id: Uuid,
        email: String,
        platform_admin: bool,
    },
    ApiKey {
        key_hash: String,
    },
}

/// Resolves the user behind a token, creating it on first sight. Cached per
/// process: the database is asked once per user (and again if the token's
/// email or name changes).
pub async fn resolve_user(state: &AppState, claims: &Claims) -> AppResult<Uuid> {
    let email = claims.email.clone().unwrap_or_default();
    let name = claims.name.clone();
    if let Some(id) = state.users.get(&claims.sub, &email, name.as_deref()) {
        return Ok(id);
    }
    let (tx, _) = Tx::begin(&state.pool, &Enter::Nobody).await?;
    let row = tx
        .query_one_raw(Statement::from_sql_and_values(
            DbBackend::Postgres,
            "SELECT cs_jit_user($1, $2, $3) AS id",
            [claims.sub.clone().into(), email.clone().into(), name.clone().into()],
        ))
        .await?;
    tx.commit().await?;
    let id: Uuid = row
        .and_then(|r| r.try_get::<Option<Uuid>>("", "id").ok().flatten())
        .ok_or_else(|| AppError::Internal(anyhow::anyhow!("just-in-time user creation returned no id")))?;
    state.users.put(&claims.sub, &email, name.as_deref(), id);
    Ok(id)
}

pub async fn identify(state: &AppState, creds: Credentials) -> AppResult<Identity> {
    Ok(match creds {
        Credentials::Anonymous => Identity::Anonymous,
        Credentials::ApiKey { key_hash } => Identity::ApiKey { key_hash },
        Credentials::Jwt(claims) => {
            let user_id = resolve_user(state, &claims).await?;
            Identity::User {
                user_id,
                email: claims.email.clone().unwrap_or_default(),
                platform_admin: claims.is_platform_admin(),
            }
        }
    })
}

/// How a request's transaction enters its tenant.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Entry {
    /// Ask the database first (one round trip), then run.
    Checked,
    /// Expect what the database answered last time for this caller, and
    /// send the entry with the first statement (`db::Tx::begin_expecting`).
    /// The database still checks; the caller must look at
    /// `Tx::mismatched` and run the request again `Checked` if it answered
    /// otherwise. Falls back to `Checked` when nothing is known yet.
    Expected,
}

/// Opens the transaction for `identity` in `org` (the `X-Org-Id`), checking
/// membership. Anonymous callers get no transaction.
pub async fn enter(
    state: &AppState,
    identity: &Identity,
    org: Option<Uuid>,
    entry: Entry,
) -> AppResult<(Option<Tx>, Principal, Option<OrgCtx>)> {
    let Some(enter) = enter_of(identity, org) else {
        // Anonymous.
        if org.is_some() {
            return Err(AppError::unauthenticated("sign in to choose an org"));
        }
        return Ok((None, Principal::Anonymous, None));
    };
    // Without an org, a user's entry answers nothing to expect.
    let expected = match (entry, &enter) {
        (Entry::Checked, _) => None,
        (Entry::Expected, Enter::User { org_id: None, .. }) => Some(Entered::default()),
        (Entry::Expected, e) => state.entries.get(e),
    };
    let (tx, entered) = match expected {
        Some(expected) => (
            Tx::begin_expecting(&state.pool, enter.clone(), expected.clone()).await?,
            expected,
        ),
        None => {
            let (tx, entered) = Tx::begin(&state.pool, &enter).await?;
            state.entries.put(enter.clone(), entered.clone());
            (tx, entered)
        }
    };
    let role = entered.role.as_deref().and_then(Role::parse);
    match identity {
        Identity::Anonymous => Ok((None, Principal::Anonymous, None)),
        Identity::User {
            user_id,
            email,
            platform_admin,
        } => {
            let principal = Principal::User {
                user_id: *user_id,
                email: email.clone(),
                platform_admin: *platform_admin,
            };
            let org_ctx = match (org, role) {
                (None, _) => None,
                (Some(org_id), Some(role)) => Some(OrgCtx { org_id, role }),
                (Some(_), None) => {
                    let _ = tx.rollback().await;
                    return Err(AppError::forbidden("you are not a member of this org"));
                }
            };
            Ok((Some(tx), principal, org_ctx))
        }
        Identity::ApiKey { .. } => {
            let (Some(key_id), Some(org_id), Some(role)) = (entered.api_key_id, entered.org_id, role) else {
                let _ = tx.rollback().await;
                return Err(AppError::unauthenticated("invalid or revoked API key"));
            };
            if org.is_some_and(|o| o != org_id) {
                let _ = tx.rollback().await;
                return Err(AppError::forbidden("this API key belongs to another org"));
            }
            Ok((Some(tx), Principal::ApiKey { key_id }, Some(OrgCtx { org_id, role })))
        }
    }
}

/// Records what a transaction's entry really answered, after it differed
/// from what was expected (the next request expects this).
pub fn entered_otherwise(state: &AppState, identity: &Identity, org: Option<Uuid>, actual: Entered) {
    if let Some(enter) = enter_of(identity, org) {
        state.entries.put(enter, actual);
    }
}

fn enter_of(identity: &Identity, org: Option<Uuid>) -> Option<Enter> {
    match identity {
        Identity::Anonymous => None,
        Identity::User { user_id, .. } => Some(Enter::User {
            user_id: *user_id,
            org_id: org,
        }),
        Identity::ApiKey { key_hash } => Some(Enter::ApiKey {
            key_hash: key_hash.clone(),
        }),
    }
}

/// Parses an `X-Org-Id` value.
pub fn parse_org_header(value: Option<&str>) -> AppResult<Option<Uuid>> {
    match value.map(str::trim).filter(|v| !v.is_empty()) {
        None => Ok(None),
        Some(v) => Uuid::parse_str(v)
            .map(Some)
            .map_err(|_| AppError::validation("X-Org-Id", "X-Org-Id is not a valid org id")),
    }
}

/// Records that an API key was used (`lastUsedAt`), at most once a minute per
/// key and instance, after the request and outside its transaction (a failed
/// request still used the key).
pub fn touch_api_key(state: &AppState, org_id: Uuid, key_id: Uuid) {
    let now = std::time::Instant::now();
    {
        let Ok(mut seen) = state.api_key_touches.lock() else {
            return;
        };
        if seen
            .get(&key_id)
            .is_some_and(|t| now.duration_since(*t) < std::time::Duration::from_secs(60))
        {
            return;
        }
        if seen.len() > 10_000 {
            seen.clear();
        }
        seen.insert(key_id, now);
    }
    let pool = state.pool.clone();
    tokio::spawn(async move {
        let touched = async {
            let (tx, _) = Tx::begin(&pool, &Enter::Org { org_id }).await?;
            tx.execute_raw(Statement::from_sql_and_values(
                DbBackend::Postgres,
                "UPDATE api_keys SET last_used_at = now()
                  WHERE org_id = $1 AND id = $2 AND (last_used_at IS NULL OR last_used_at < now() - interval '1 minute')",
                [org_id.into(), key_id.into()],
            ))
            .await?;
            tx.commit().await
        }
        .await;
        if let Err(e) = touched {
            tracing::warn!(error = %e, "recording API key use failed");
        }
    });
}
