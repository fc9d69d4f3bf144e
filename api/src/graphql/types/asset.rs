//! Stored assets with signed, expiring URLs.

use super::{Provenance, id, load_angle, load_campaign};
use crate::error::AppError;
use crate::graphql::loaders::{AssetKey, loader_err};
use crate::graphql::relay::connection;
use crate::graphql::{loaders, state};
use crate::repo::asset::AssetRow;
use async_graphql::{Context, Enum, ID, Object, Result};
use chrono::{DateTime, Utc};
use uuid::Uuid;

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum AspectRatio {
    #[graphql(name = "SQUARE_1_1")]
    Square1x1,
    #[graphql(name = "PORTRAIT_4_5")]
    Portrait4x5,
    #[graphql(name = "STORY_9_16")]
    Story9x16,
    #[graphql(name = "LANDSCAPE_16_9")]
    Landscape16x9,
}

impl AspectRatio {
    pub const ALL: [AspectRatio; 4] = [Self::Square1x1, Self::Portrait4x5, Self::Story9x16, Self::Landscape16x9];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Square1x1 => "SQUARE_1_1",
            Self::Portrait4x5 => "PORTRAIT_4_5",
            Self::Story9x16 => "STORY_9_16",
            Self::Landscape16x9 => "LANDSCAPE_16_9",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.as_str() == s)
    }

    /// Output size in pixels.
    pub fn size(self) -> (u32, u32) {
        match self {
            Self::Square1x1 => (1080, 1080),
            Self::Portrait4x5 => (1080, 1350),
            Self::Story9x16 => (1080, 1920),
            Self::Landscape16x9 => (1920, 1080),
        }
    }
}

#[derive(Enum, Copy, Clone, Debug, PartialEq, Eq)]
pub enum AssetKind {
    Image,
    Logo,
    ExportKit,
}

impl AssetKind {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Image => "IMAGE",
            Self::Logo => "LOGO",
            Self::ExportKit => "EXPORT_KIT",
        }
    }
    pub fn parse(s: &str) -> Self {
        match s {
            "LOGO" => Self::Logo,
            "EXPORT_KIT" => Self::ExportKit,
            _ => Self::Image,
        }
    }
}

#[derive(Clone)]
pub struct Asset(pub AssetRow);

connection!(AssetConnection, AssetEdge, Asset);

pub async fn load_asset(ctx: &Context<'_>, asset_id: Uuid) -> Result<Option<Asset>, AppError> {
    // Boxed: a resolver future is as large as its largest field's.
    Box::pin(async move {
        Ok(loaders(ctx)
            .await?
            .load_one(AssetKey(asset_id))
            .await
            .map_err(loader_err)?
            .map(Asset))
    })
    .await
}

impl Asset {
    async fn signed(&self, ctx: &Context<'_>) -> Result<(String, DateTime<Utc>), AppError> {
        let state = state(ctx)?;
        state
            .storage
            .signed_url(&self.0.object_key, crate::storage::URL_TTL)
            .await
            .map_err(AppError::Internal)
    }
}

#[Object]
impl Asset {
    pub async fn id(&self) -> ID {
        id(self.0.id)
    }
    async fn kind(&self) -> AssetKind {
        AssetKind::parse(&self.0.kind)
    }
    async fn campaign(&self, ctx: &Context<'_>) -> Result<Option<super::Campaign>> {
        match self.0.campaign_id {
            Some(c) => Ok(load_campaign(ctx, c).await?),
            None => Ok(None),
        }
    }
    async fn angle(&self, ctx: &Context<'_>) -> Result<Option<super::Angle>> {
        match self.0.angle_id {
            Some(a) => Ok(load_angle(ctx, a).await?),
            None => Ok(None),
        }
    }
    async fn aspect_ratio(&self) -> Option<AspectRatio> {
        self.0.aspect_ratio.as_deref().and_then(AspectRatio::parse)
    }
    async fn width(&self) -> Option<i32> {
        self.0.width
    }
    async fn height(&self) -> Option<i32> {
        self.0.height
    }
    async fn mime_type(&self) -> &str {
        &self.0.mime_type
    }
    async fn byte_size(&self) -> i64 {
        self.0.byte_size
    }
    /// A signed URL that expires; fetching it needs no token.
    async fn url(&self, ctx: &Context<'_>) -> Result<String> {
        Ok(self.signed(ctx).await?.0)
    }
    async fn url_expires_at(&self, ctx: &Context<'_>) -> Result<DateTime<Utc>> {
        Ok(self.signed(ctx).await?.1)
    }
    async fn provenance(&self) -> Option<Provenance> {
        self.0
            .provenance
            .as_ref()
            .map(|p| Provenance::from_json(p, self.0.created_at))
    }
    async fn created_at(&self) -> DateTime<Utc> {
        self.0.created_at
    }
}
