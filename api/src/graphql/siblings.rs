//! One query per level for nested lists, whatever the timing.
//!
//! A page of campaigns is loaded together; the first campaign whose
//! `angles` is resolved loads the angles of every campaign of the page in
//! one statement, and its siblings read their share of that result (the
//! angles they get carry the same arrangement for their copies). Unlike a
//! time-windowed DataLoader, this cannot split a level into several batches
//! when resolvers are slow to reach it.

use super::loaders::{ChildList, ListArgs};
use crate::error::AppError;
use std::any::Any;
use std::collections::HashMap;
use std::future::Future;
use std::sync::Arc;
use tokio::sync::{Mutex, OnceCell};
use uuid::Uuid;

/// Rows of one child list for every parent, and the siblings the children share.
pub struct Batch<T> {
    pub lists: HashMap<Uuid, ChildList<T>>,
    pub children: Arc<Siblings>,
}

type Cell<T> = OnceCell<Result<Arc<Batch<T>>, Arc<AppError>>>;
/// A `Cell<T>` of some row type (one per field and arguments).
type AnyCell = Arc<dyn Any + Send + Sync>;

/// The parents loaded together (one page), and what was loaded for them.
#[derive(Default)]
pub struct Siblings {
    ids: Vec<Uuid>,
    cells: Mutex<HashMap<(&'static str, ListArgs), AnyCell>>,
}

impl Siblings {
    pub fn new(ids: Vec<Uuid>) -> Arc<Siblings> {
        Arc::new(Siblings {
            ids,
            cells: Mutex::new(HashMap::new()),
        })
    }

    /// `parent`'s list for `field` with `args`; loaded for all siblings on first use.
    pub async fn child_list<T, F, Fut>(
        &self,
        field: &'static str,
        args: &ListArgs,
        parent: Uuid,
        load: F,
    ) -> Result<(ChildList<T>, Arc<Siblings>), AppError>
    where
        T: Clone + Send + Sync + 'static,
        F: FnOnce(Vec<Uuid>) -> Fut,
        Fut: Future<Output = Result<HashMap<Uuid, ChildList<T>>, AppError>>,
        T: HasId,
    {
        let cell: Arc<Cell<T>> = {
            let mut cells = self.cells.lock().await;
            let entry = cells
                .entry((field, args.clone()))
                .or_insert_with(|| Arc::new(Cell::<T>::new()) as AnyCell);
            entry
                .clone()
                .downcast::<Cell<T>>()
                .map_err(|_| AppError::Internal(anyhow::anyhow!("sibling cache type mismatch")))?
        };
        let batch = cell
            .get_or_init(|| async {
                let lists = load(self.ids.clone()).await.map_err(Arc::new)?;
                let child_ids: Vec<Uuid> = lists.values().flat_map(|l| l.rows.iter().map(HasId::id)).collect();
                Ok(Arc::new(Batch {
                    lists,
                    children: Siblings::new(child_ids),
                }))
            })
            .await
            .clone()
            .map_err(super::loaders::loader_err)?;
        Ok((
            batch.lists.get(&parent).cloned().unwrap_or_default(),
            batch.children.clone(),
        ))
    }
}

/// Rows that can be parents of another level.
pub trait HasId {
    fn id(&self) -> Uuid;
}

macro_rules! has_id {
    ($($t:ty),*) => { $(impl HasId for $t { fn id(&self) -> Uuid { self.id } })* };
}

has_id!(
    crate::repo::campaign::AngleRow,
    crate::repo::campaign::CopyRow,
    crate::repo::asset::AssetRow,
    crate::repo::job::JobRow,
    crate::repo::lead::LeadRow
);
