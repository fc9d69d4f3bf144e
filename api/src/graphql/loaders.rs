//! Per-request DataLoaders, bound to the request's transaction (so every
//! batch runs under the request's tenant, and nothing is cached across
//! requests). One `DataLoader` serves every key type below.

use crate::db::Tx;
use crate::error::AppError;
use crate::repo;
use async_graphql::dataloader::{DataLoader, Loader};
use std::collections::HashMap;
use std::sync::Arc;
use std::time::Duration;
use uuid::Uuid;

pub type Loaders = DataLoader<DbLoader>;

pub struct DbLoader {
    tx: Arc<Tx>,
}

impl DbLoader {
    pub fn new(tx: Arc<Tx>) -> Loaders {
        // No artificial delay: sibling resolvers register their keys in the
        // same poll, so a batch still covers a whole list level.
        DataLoader::new(DbLoader { tx }, tokio::spawn)
            .delay(Duration::from_micros(50))
            .max_batch_size(1000)
    }
}

pub type LoadError = Arc<AppError>;

/// Turns a loader error back into an `AppError` for a resolver.
pub fn loader_err(e: LoadError) -> AppError {
    match Arc::try_unwrap(e) {
        Ok(e) => e,
        Err(shared) => {
            shared.log();
            AppError::Internal(anyhow::anyhow!("batched load failed: {shared}"))
        }
    }
}

fn by_id<T, K: std::hash::Hash + Eq>(rows: Vec<T>, key: impl Fn(&T) -> K) -> HashMap<K, T> {
    rows.into_iter().map(|r| (key(&r), r)).collect()
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct UserKey(pub Uuid);

impl Loader<UserKey> for DbLoader {
    type Value = repo::user::UserRow;
    type Error = LoadError;
    async fn load(&self, keys: &[UserKey]) -> Result<HashMap<UserKey, Self::Value>, Self::Error> {
        let ids: Vec<Uuid> = keys.iter().map(|k| k.0).collect();
        let rows = repo::user::by_ids(&*self.tx, &ids)
            .await
            .map_err(|e| Arc::new(AppError::from(e)))?;
        Ok(by_id(rows, |r| UserKey(r.id)))
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct OrgKey(pub Uuid);

impl Loader<OrgKey> for DbLoader {
    type Value = repo::org::OrgRow;
    type Error = LoadError;
    async fn load(&self, keys: &[OrgKey]) -> Result<HashMap<OrgKey, Self::Value>, Self::Error> {
        let ids: Vec<Uuid> = keys.iter().map(|k| k.0).collect();
        let rows = repo::org::by_ids(&*self.tx, &ids)
            .await
            .map_err(|e| Arc::new(AppError::from(e)))?;
        Ok(by_id(rows, |r| OrgKey(r.id)))
    }
}

macro_rules! by_id_loader {
    ($key:ident, $value:ty, $fetch:path) => {
        #[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
        pub struct $key(pub Uuid);

        impl Loader<$key> for DbLoader {
            type Value = $value;
            type Error = LoadError;
            async fn load(&self, keys: &[$key]) -> Result<HashMap<$key, Self::Value>, Self::Error> {
                let ids: Vec<Uuid> = keys.iter().map(|k| k.0).collect();
                let rows = $fetch(&*self.tx, &ids)
                    .await
                    .map_err(|e| Arc::new(AppError::from(e)))?;
                Ok(by_id(rows, |r| $key(r.id)))
            }
        }
    };
}

by_id_loader!(CampaignKey, repo::campaign::CampaignRow, repo::campaign::by_ids);
by_id_loader!(AngleKey, repo::campaign::AngleRow, repo::campaign::angles_by_ids);
by_id_loader!(CopyKey, repo::campaign::CopyRow, repo::campaign::copies_by_ids);
by_id_loader!(JobKey, repo::job::JobRow, repo::job::by_ids);
by_id_loader!(AssetKey, repo::asset::AssetRow, repo::asset::by_ids);
by_id_loader!(LeadSourceKey, repo::lead::LeadSourceRow, repo::lead::sources_by_ids);
by_id_loader!(LeadKey, repo::lead::LeadRow, repo::lead::by_ids);
by_id_loader!(EntryKey, repo::ledger::EntryRow, repo::ledger::entries_by_ids);
by_id_loader!(RuleKey, repo::lead::RuleRow, repo::lead::rules_by_ids);
by_id_loader!(AuditKey, repo::audit::AuditRow, repo::audit::by_ids);
by_id_loader!(MembershipKey, repo::org::MembershipRow, repo::org::memberships_by_ids);
by_id_loader!(ApiKeyKey, repo::org::ApiKeyRow, repo::org::api_keys_by_ids);

/// One page of a child list, with the list's total.
#[derive(Clone, Debug)]
pub struct ChildList<T> {
    pub rows: Vec<T>,
    pub total: i64,
}

impl<T> Default for ChildList<T> {
    fn default() -> Self {
        Self {
            rows: Vec::new(),
            total: 0,
        }
    }
}

/// Arguments shared by the keys of one batch of a child list (the parent id
/// is what varies).
#[derive(Clone, Debug, PartialEq, Eq, Hash)]
pub struct ListArgs {
    /// (column, value); `None` means the column IS NULL.
    pub filters: Vec<(&'static str, Option<String>)>,
    pub after: Option<crate::graphql::relay::TimeCursor>,
    pub fetch: i64,
}

/// Groups keys by their arguments and runs one statement per group (one in
/// practice: sibling fields of a list ask with the same arguments).
async fn load_children<K, T>(
    tx: &Tx,
    keys: &[K],
    split: impl Fn(&K) -> (Uuid, &ListArgs),
    table: &str,
    cols: &str,
    parent_col: &str,
    newest_first: bool,
) -> Result<HashMap<K, ChildList<T>>, LoadError>
where
    K: Clone + Eq + std::hash::Hash,
    T: sea_orm::FromQueryResult + Clone,
{
    let mut groups: HashMap<&ListArgs, Vec<(Uuid, &K)>> = HashMap::new();
    for k in keys {
        let (parent, args) = split(k);
        groups.entry(args).or_default().push((parent, k));
    }
    let mut out = HashMap::new();
    for (args, members) in groups {
        let parents: Vec<Uuid> = members.iter().map(|(p, _)| *p).collect();
        let filters: Vec<(&str, Option<sea_orm::Value>)> = args
            .filters
            .iter()
            .map(|(c, v)| (*c, v.clone().map(Into::into)))
            .collect();
        let rows = repo::child_pages::<T>(
            tx,
            table,
            cols,
            parent_col,
            &parents,
            &filters,
            newest_first,
            args.after.as_ref(),
            args.fetch,
        )
        .await
        .map_err(|e| Arc::new(AppError::from(e)))?;
        let mut lists: HashMap<Uuid, ChildList<T>> = HashMap::new();
        for child in rows {
            let list = lists.entry(child.parent).or_default();
            list.total = child.total;
            list.rows.push(child.row);
        }
        for (parent, key) in members {
            out.insert(key.clone(), lists.get(&parent).cloned().unwrap_or_default());
        }
    }
    Ok(out)
}

macro_rules! child_loader {
    ($key:ident, $row:ty, $table:literal, $cols:path, $parent:literal, $newest_first:literal) => {
        #[derive(Clone, Debug, PartialEq, Eq, Hash)]
        pub struct $key(pub Uuid, pub ListArgs);

        impl Loader<$key> for DbLoader {
            type Value = ChildList<$row>;
            type Error = LoadError;
            async fn load(&self, keys: &[$key]) -> Result<HashMap<$key, Self::Value>, Self::Error> {
                load_children(
                    &self.tx,
                    keys,
                    |k| (k.0, &k.1),
                    $table,
                    $cols,
                    $parent,
                    $newest_first,
                )
                .await
            }
        }
    };
}

child_loader!(
    AnglesOf,
    repo::campaign::AngleRow,
    "angles",
    repo::campaign::ANGLE_COLS,
    "campaign_id",
    false
);
child_loader!(
    CopiesOf,
    repo::campaign::CopyRow,
    "copies",
    repo::campaign::COPY_COLS,
    "angle_id",
    false
);
child_loader!(
    AssetsOf,
    repo::asset::AssetRow,
    "assets",
    repo::asset::ASSET_COLS,
    "campaign_id",
    false
);
child_loader!(
    JobsOf,
    repo::job::JobRow,
    "jobs",
    repo::job::JOB_COLS,
    "campaign_id",
    true
);
child_loader!(
    LeadsOf,
    repo::lead::LeadRow,
    "leads",
    repo::lead::LEAD_COLS,
    "campaign_id",
    true
);

#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct ReviewNotesOf(pub Uuid);

impl Loader<ReviewNotesOf> for DbLoader {
    type Value = Vec<repo::campaign::ReviewNoteRow>;
    type Error = LoadError;
    async fn load(&self, keys: &[ReviewNotesOf]) -> Result<HashMap<ReviewNotesOf, Self::Value>, Self::Error> {
        let ids: Vec<Uuid> = keys.iter().map(|k| k.0).collect();
        let rows = repo::campaign::review_notes(&*self.tx, &ids)
            .await
            .map_err(|e| Arc::new(AppError::from(e)))?;
        let mut out: HashMap<ReviewNotesOf, Self::Value> = keys.iter().map(|k| (*k, Vec::new())).collect();
        for r in rows {
            out.entry(ReviewNotesOf(r.campaign_id)).or_default().push(r);
        }
        Ok(out)
    }
}
