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
        // Lists of a page load through `Siblings` (one query per level); this
        // loader batches the remaining lookups by id within a short window.
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
    /// The list's length (filters applied, no cursor), when it was asked for.
    pub total: Option<i64>,
}

impl<T> Default for ChildList<T> {
    fn default() -> Self {
        Self {
            rows: Vec::new(),
            total: None,
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
    /// Count each parent's list too (only when `totalCount` is selected).
    pub with_total: bool,
}

impl ListArgs {
    /// The filters as bindable values.
    pub fn filter_values(&self) -> Vec<(&'static str, Option<sea_orm::Value>)> {
        self.filters
            .iter()
            .map(|(c, v)| (*c, v.clone().map(Into::into)))
            .collect()
    }
}

/// Where a child list lives.
pub struct ChildSpec {
    pub table: &'static str,
    pub cols: &'static str,
    pub parent_col: &'static str,
    pub newest_first: bool,
}

pub const ANGLES: ChildSpec = ChildSpec {
    table: "angles",
    cols: repo::campaign::ANGLE_COLS,
    parent_col: "campaign_id",
    newest_first: false,
};
pub const COPIES: ChildSpec = ChildSpec {
    table: "copies",
    cols: repo::campaign::COPY_COLS,
    parent_col: "angle_id",
    newest_first: false,
};
pub const ASSETS: ChildSpec = ChildSpec {
    table: "assets",
    cols: repo::asset::ASSET_COLS,
    parent_col: "campaign_id",
    newest_first: false,
};
pub const JOBS: ChildSpec = ChildSpec {
    table: "jobs",
    cols: repo::job::JOB_COLS,
    parent_col: "campaign_id",
    newest_first: true,
};
pub const LEADS: ChildSpec = ChildSpec {
    table: "leads",
    cols: repo::lead::LEAD_COLS,
    parent_col: "campaign_id",
    newest_first: true,
};

/// One page of `spec`'s list for each parent, in one statement.
pub async fn fetch_children<T: sea_orm::FromQueryResult>(
    tx: &Tx,
    spec: &ChildSpec,
    parents: &[Uuid],
    args: &ListArgs,
) -> Result<HashMap<Uuid, ChildList<T>>, AppError> {
    let filters = args.filter_values();
    let stmt = repo::child_pages_stmt(
        spec.table,
        spec.cols,
        spec.parent_col,
        parents,
        &filters,
        spec.newest_first,
        args.after.as_ref(),
        args.fetch,
        args.with_total,
    );
    let rows = repo::child_pages::<T>(tx, stmt, args.with_total).await?;
    let mut lists: HashMap<Uuid, ChildList<T>> = HashMap::new();
    for child in rows {
        let list = lists.entry(child.parent).or_insert_with(|| ChildList {
            rows: Vec::new(),
            total: None,
        });
        list.total = child.total;
        list.rows.push(child.row);
    }
    Ok(lists)
}

/// Groups keys by their arguments and runs one statement per group (one in
/// practice: sibling fields of a list ask with the same arguments).
async fn load_children<K, T>(
    tx: &Tx,
    keys: &[K],
    split: impl Fn(&K) -> (Uuid, &ListArgs),
    spec: &ChildSpec,
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
        let lists = fetch_children::<T>(tx, spec, &parents, args).await.map_err(Arc::new)?;
        for (parent, key) in members {
            out.insert(key.clone(), lists.get(&parent).cloned().unwrap_or_default());
        }
    }
    Ok(out)
}

macro_rules! child_loader {
    ($key:ident, $row:ty, $spec:path) => {
        #[derive(Clone, Debug, PartialEq, Eq, Hash)]
        pub struct $key(pub Uuid, pub ListArgs);

        impl Loader<$key> for DbLoader {
            type Value = ChildList<$row>;
            type Error = LoadError;
            async fn load(&self, keys: &[$key]) -> Result<HashMap<$key, Self::Value>, Self::Error> {
                load_children(&self.tx, keys, |k| (k.0, &k.1), &$spec).await
            }
        }
    };
}

child_loader!(AnglesOf, repo::campaign::AngleRow, ANGLES);
child_loader!(CopiesOf, repo::campaign::CopyRow, COPIES);
child_loader!(AssetsOf, repo::asset::AssetRow, ASSETS);
child_loader!(JobsOf, repo::job::JobRow, JOBS);
child_loader!(LeadsOf, repo::lead::LeadRow, LEADS);

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
