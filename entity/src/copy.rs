//! `copies`

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, DeriveEntityModel)]
#[sea_orm(table_name = "copies")]
pub struct Model {
    #[sea_orm(primary_key, auto_increment = false)]
    pub org_id: Uuid,
    #[sea_orm(primary_key, auto_increment = false)]
    pub id: Uuid,
    pub campaign_id: Uuid,
    pub angle_id: Uuid,
    pub platform: String,
    pub locale: String,
    pub headline: Option<String>,
    pub body: String,
    pub call_to_action: Option<String>,
    pub hashtags: Vec<String>,
    pub character_count: i32,
    pub version: i32,
    pub status: String,
    pub edited: bool,
    pub flagged: bool,
    pub moderation_reasons: Vec<String>,
    #[sea_orm(column_type = "JsonBinary")]
    pub provenance: Json,
    pub gen_key: Option<String>,
    pub created_at: DateTimeUtc,
    pub updated_at: DateTimeUtc,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
