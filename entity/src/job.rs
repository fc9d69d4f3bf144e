//! `jobs`

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "jobs")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub org_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub kind: String,
    pub status: String,
    pub campaign_id: Option<Uuid>,
    pub target_id: Option<Uuid>,
    #[sea_orm(column_type = "JsonBinary")]
    pub input: Json,
    pub attempts: i32,
    pub max_attempts: i32,
    pub cancel_requested: bool,
    pub progress: f32,
    pub current_step: Option<String>,
    pub error: Option<String>,
    pub credits_reserved: i32,
    pub credits_charged: i32,
    pub last_seq: i32,
    pub created_by: Option<Uuid>,
    pub created_at: DateTimeUtc,
    pub started_at: Option<DateTimeUtc>,
    pub finished_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
