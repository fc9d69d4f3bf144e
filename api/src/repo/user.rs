//! Users. Rows are visible to the user and to members of the current org.

use super::{all, one};
use chrono::{DateTime, Utc};
use sea_orm::{ConnectionTrait, DbErr, FromQueryResult};
use uuid::Uuid;

#[derive(Clone, Debug, FromQueryResult)]
pub struct UserRow {
    pub id: Uuid,
    pub email: String,
    pub name: Option<String>,
    pub created_at: DateTime<Utc>,
}

pub async fn by_ids(db: &impl ConnectionTrait, ids: &[Uuid]) -> Result<Vec<UserRow>, DbErr> {
    all(
        db,
        "SELECT id, email, name, created_at FROM users WHERE id = ANY($1)",
        [ids.to_vec().into()],
    )
    .await
}

pub async fn by_id(db: &impl ConnectionTrait, id: Uuid) -> Result<Option<UserRow>, DbErr> {
    one(
        db,
        "SELECT id, email, name, created_at FROM users WHERE id = $1",
        [id.into()],
    )
    .await
}

/// The user with this email, created as "invited" (no subject yet) if
/// nobody has it. Only for adding members: the lookup is allowed by the
/// `app.lookup_email` setting, set here for this statement's transaction
/// and cleared again.
pub async fn find_or_invite(db: &impl ConnectionTrait, email: &str) -> Result<Uuid, DbErr> {
    let email_lc = email.to_lowercase();
    super::exec(
        db,
        "SELECT set_config('app.lookup_email', $1, true)",
        [email_lc.clone().into()],
    )
    .await?;
    #[derive(FromQueryResult)]
    struct Id {
        id: Uuid,
    }
    let found: Option<Id> = one(
        db,
        "SELECT id FROM users WHERE lower(email) = $1 ORDER BY (subject IS NULL), created_at LIMIT 1",
        [email_lc.clone().into()],
    )
    .await?;
    let id = match found {
        Some(u) => u.id,
        None => {
            let inserted: Option<Id> = one(
                db,
                "INSERT INTO users (email) VALUES ($1) ON CONFLICT (lower(email)) WHERE subject IS NULL DO NOTHING RETURNING id",
                [email.into()],
            )
            .await?;
            match inserted {
                Some(u) => u.id,
                // invited at the same moment by a concurrent request
                None => {
                    one::<Id>(
                        db,
                        "SELECT id FROM users WHERE lower(email) = $1 AND subject IS NULL",
                        [email_lc.clone().into()],
                    )
                    .await?
                    .ok_or_else(|| DbErr::Custom("inviting a user returned no row".into()))?
                    .id
                }
            }
        }
    };
    super::exec(db, "SELECT set_config('app.lookup_email', '', true)", []).await?;
    Ok(id)
}
