//! `cs_expect_entry`: an entry that fails, in SQL, when it answers other
//! than the caller expected.
//!
//! A request sends `BEGIN` and its entry (`cs_enter_user`,
//! `cs_enter_api_key`) pipelined with its first statement, expecting the
//! role the database answered last time, and compares the answer in Rust.
//! That is enough for a transaction that commits later, but not for one
//! that sends its write and `COMMIT` in the same round trip: by the time
//! the answer is read, the write has been committed. Wrapping the entry in
//! `cs_expect_entry(<entry> IS NOT DISTINCT FROM <expected>)` makes a
//! mismatch an error inside the transaction, so every statement after it
//! fails and the `COMMIT` ends as a rollback. The SQLSTATE is of an
//! implementation-defined class (first character I-Z), so nothing else
//! raises it.

use crate::exec;
use sea_orm_migration::prelude::*;

#[derive(DeriveMigrationName)]
pub(crate) struct Migration;

const UP: &str = r#"
CREATE FUNCTION cs_expect_entry(p_as_expected boolean) RETURNS boolean
LANGUAGE plpgsql VOLATILE AS $$
BEGIN
  IF p_as_expected IS NOT TRUE THEN
    RAISE EXCEPTION 'the tenant was entered otherwise than expected' USING ERRCODE = 'ZE001';
  END IF;
  RETURN true;
END $$;
"#;

const DOWN: &str = "DROP FUNCTION IF EXISTS cs_expect_entry(boolean);";

#[async_trait::async_trait]
impl MigrationTrait for Migration {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        exec(manager, UP).await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        exec(manager, DOWN).await
    }
}
