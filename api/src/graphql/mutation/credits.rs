use crate::db::{Enter, Tx};
use crate::domain::parse_id;
use crate::error::AppError;
use crate::graphql::types::{CreditBalance, CreditEntry};
use crate::graphql::{req, state};
use crate::repo::{audit, ledger};
use crate::tenancy::{OrgCtx, Role};
use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};
use serde_json::json;

#[derive(InputObject)]
struct GrantCreditsInput {
    org_id: ID,
    amount: i64,
    note: Option<String>,
}

#[derive(SimpleObject)]
struct GrantCreditsPayload {
    entry: CreditEntry,
    balance: CreditBalance,
}

#[derive(Default)]
pub(crate) struct CreditsMutation;

#[Object]
impl CreditsMutation {
    /// Platform billing only: needs a token with the platform-admin claim.
    /// Grants to any org by id, in that org's own context.
    async fn grant_credits(&self, ctx: &Context<'_>, input: GrantCreditsInput) -> Result<GrantCreditsPayload> {
        let rc = req(ctx)?;
        rc.require_auth()?;
        if !rc.is_platform_admin() {
            return Err(AppError::forbidden("granting credits needs the platform_admin claim").into());
        }
        let org_id = parse_id("orgId", &input.org_id)?;
        if input.amount <= 0 {
            return Err(AppError::validation("amount", "amount must be positive").into());
        }
        if input.amount > 1_000_000_000 {
            return Err(AppError::validation("amount", "amount must be at most 1000000000").into());
        }
        let note = crate::domain::opt_text("note", input.note.as_deref(), 500)?;
        // The grant runs in the target org's context, in its own transaction
        // (it is not the caller's org); it commits only if it all succeeds.
        let state = state(ctx)?;
        let (tx, _) = Tx::begin(&state.pool, &Enter::Org { org_id })
            .await
            .map_err(AppError::from)?;
        let result = async {
            if crate::repo::org::by_id_unchecked_exists(&tx, org_id).await? {
                let (entry, balance) =
                    ledger::grant(&tx, org_id, input.amount, note.as_deref(), rc.actor(), None).await?;
                audit::record(
                    &tx,
                    OrgCtx {
                        org_id,
                        role: Role::Owner,
                    },
                    rc.actor(),
                    "credits.grant",
                    "CreditEntry",
                    Some(entry.id),
                    json!({ "amount": input.amount }),
                )
                .await?;
                Ok((entry, balance))
            } else {
                Err(AppError::NotFound("org"))
            }
        }
        .await;
        match result {
            Ok((entry, balance)) => {
                tx.commit().await.map_err(AppError::from)?;
                Ok(GrantCreditsPayload {
                    entry: CreditEntry(entry),
                    balance: CreditBalance {
                        available: balance.available,
                        reserved: balance.reserved,
                    },
                })
            }
            Err(e) => {
                let _ = tx.rollback().await;
                Err(e.into())
            }
        }
    }
}
