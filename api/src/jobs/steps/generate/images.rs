//! IMAGES: for each angle, a source picture -> smart crop to the four
//! ratios -> logo in the least busy corner -> headline over a scrim ->
//! encoded files in storage, one IMAGE asset per ratio.

use super::Shared;
use crate::images::{Brand, ImageProviderError, RenderOptions, render_set_with};
use crate::jobs::pricing::price;
use crate::jobs::run::{JobError, JobRun, Step};
use crate::pipeline::cache;
use crate::repo::campaign::AngleRow;
use crate::repo::{self, asset::NewAsset};
use serde_json::json;

impl From<ImageProviderError> for JobError {
    fn from(e: ImageProviderError) -> Self {
        match e {
            ImageProviderError::Rejected(_) => JobError::Fatal(e.to_string()),
            _ => JobError::Retryable(e.to_string()),
        }
    }
}

pub(crate) struct Images(pub(crate) Shared);

/// The org's brand: colours and (decoded) logo.
async fn brand(run: &JobRun) -> Result<(Brand, Option<uuid::Uuid>), JobError> {
    let tx = run.begin().await?;
    let kit = repo::org::brand_kit(&tx, run.org_id).await?;
    let logo = match kit.as_ref().and_then(|k| k.logo_asset_id) {
        Some(id) => repo::asset::get(&tx, id).await?,
        None => None,
    };
    tx.commit().await?;
    let (primary, secondary) = kit
        .map(|k| (k.primary_color, k.secondary_color))
        .unwrap_or_else(|| ("#1F6FEB".into(), "#F5A623".into()));
    let logo_image = match &logo {
        Some(asset) => {
            let bytes = run
                .state
                .storage
                .get(&asset.object_key)
                .await
                .map_err(|e| JobError::Retryable(format!("reading the logo failed: {e}")))?;
            let img = tokio::task::spawn_blocking(move || image::load_from_memory(&bytes).map(|i| i.to_rgba8()))
                .await
                .map_err(|e| JobError::Retryable(e.to_string()))?
                .map_err(|e| JobError::Fatal(format!("the stored logo cannot be read: {e}")))?;
            Some(img)
        }
        None => None,
    };
    let brand = Brand::from_hex(&primary, &secondary, logo_image).map_err(JobError::Fatal)?;
    Ok((brand, logo.map(|l| l.id)))
}

/// Renders and stores one angle's set; returns how many assets were new.
pub(crate) async fn render_angle(
    run: &mut JobRun,
    angle: &AngleRow,
    product: &str,
    brand: &Brand,
    logo_id: Option<uuid::Uuid>,
    variant: Option<uuid::Uuid>,
    replace: bool,
) -> Result<usize, JobError> {
    let provider = run.state.images.clone();
    let format = run.state.config.image_format;
    let hash = cache::input_hash(
        "IMAGES",
        &json!({ "product": product, "title": angle.title, "hook": angle.hook, "primary": brand.primary, "secondary": brand.secondary,
                 "logo": logo_id, "provider": provider.provider(), "model": provider.model(), "format": format!("{format:?}"),
                 "variant": variant }),
    );
    let set_key = format!("images:{}:{hash}", angle.id);
    let tx = run.begin().await?;
    let existing = repo::asset::images_of_angle(&tx, angle.id).await?;
    tx.commit().await?;
    if existing
        .iter()
        .any(|a| a.provenance.as_ref().is_some_and(|p| p["inputHash"] == hash.as_str()))
    {
        return Ok(0); // made by an earlier run with the same inputs
    }
    let prompt = format!("{product}: {} — {}", angle.title, angle.hook);
    let source = provider.source(&prompt, cache::seed_of(&hash), brand).await?;
    let (headline, render_brand) = (angle.title.clone(), brand.clone());
    let rendered = tokio::task::spawn_blocking(move || {
        render_set_with(&source, &render_brand, &headline, &[format], &RenderOptions::default())
    })
    .await
    .map_err(|e| JobError::Retryable(e.to_string()))?
    .map_err(|e| JobError::Fatal(format!("rendering failed: {e:#}")))?;
    let provenance = json!({ "provider": provider.provider(), "model": provider.model(), "promptVersion": "images-1",
                              "inputHash": hash, "jobId": run.job.id });
    // Files first (a retry overwrites them with the same bytes), rows after.
    let mut stored = Vec::new();
    for r in &rendered {
        let ext = if r.mime == "image/png" { "png" } else { "jpg" };
        let key = crate::storage::object_key(
            run.org_id,
            "images",
            &format!("{}-{}-{}.{ext}", angle.id, r.ratio.as_str().to_lowercase(), &hash[..12]),
        );
        run.state
            .storage
            .put(&key, r.bytes.clone(), r.mime)
            .await
            .map_err(|e| JobError::Retryable(format!("storing an image failed: {e}")))?;
        stored.push((r, key));
    }
    let tx = run.begin().await?;
    if replace {
        let old: Vec<uuid::Uuid> = existing.iter().map(|a| a.id).collect();
        repo::asset::supersede(&tx, &old).await?;
    }
    let mut created = 0;
    for (r, key) in &stored {
        let gen_key = format!("image:{}:{}:{hash}", angle.id, r.ratio.as_str());
        let asset = repo::asset::insert(
            &tx,
            run.org_id,
            NewAsset {
                kind: "IMAGE",
                campaign_id: Some(angle.campaign_id),
                angle_id: Some(angle.id),
                aspect_ratio: Some(r.ratio.as_str()),
                width: i32::try_from(r.width).ok(),
                height: i32::try_from(r.height).ok(),
                mime_type: r.mime,
                byte_size: r.bytes.len() as i64,
                object_key: key,
                provenance: Some(provenance.clone()),
                gen_key: Some(&gen_key),
            },
        )
        .await?;
        if asset.created_at >= run.job.created_at {
            run.artifact(
                &tx,
                "Asset",
                asset.id,
                Some(format!("{} image for \"{}\"", r.ratio.as_str(), angle.title)),
            )
            .await?;
            created += 1;
        }
    }
    run.charge(&tx, &set_key, price::IMAGE_SET).await?;
    run.commit(tx).await?;
    Ok(created)
}

#[async_trait::async_trait]
impl Step for Images {
    fn name(&self) -> &'static str {
        "IMAGES"
    }
    fn weight(&self) -> f32 {
        3.0
    }

    async fn run(&self, run: &mut JobRun) -> Result<(), JobError> {
        let g = self.0.lock().await;
        let (brand, logo_id) = brand(run).await?;
        let angles: Vec<AngleRow> = g.angles.iter().filter(|a| a.status != "REJECTED").cloned().collect();
        for (i, angle) in angles.iter().enumerate() {
            run.checkpoint().await?;
            render_angle(run, angle, &g.brief.product, &brand, logo_id, g.variant(), false).await?;
            let tx = run.begin().await?;
            run.progress(&tx, (i + 1) as f32 / angles.len() as f32, None).await?;
            run.commit(tx).await?;
        }
        Ok(())
    }
}

/// REGENERATE_ASSET: the asset's angle gets a new set; the old one is
/// superseded (kept, no longer listed).
pub(crate) struct RegenerateSet;

#[async_trait::async_trait]
impl Step for RegenerateSet {
    fn name(&self) -> &'static str {
        "IMAGES"
    }

    async fn run(&self, run: &mut JobRun) -> Result<(), JobError> {
        let angle_id: uuid::Uuid = run.job.input["angleId"]
            .as_str()
            .and_then(|s| s.parse().ok())
            .ok_or_else(|| JobError::Fatal("the job names no angle".into()))?;
        let tx = run.begin().await?;
        let angle = repo::campaign::angles_by_ids(&tx, &[angle_id])
            .await?
            .into_iter()
            .next();
        let campaign = match &angle {
            Some(a) => repo::campaign::get(&tx, a.campaign_id).await?,
            None => None,
        };
        tx.commit().await?;
        let (Some(angle), Some(campaign)) = (angle, campaign) else {
            return Err(JobError::Fatal("the angle is gone".into()));
        };
        let (brand, logo_id) = brand(run).await?;
        let variant = Some(run.job.id);
        render_angle(run, &angle, &campaign.brief().product, &brand, logo_id, variant, true).await?;
        Ok(())
    }
}
