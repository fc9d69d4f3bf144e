//! CONTEXT (per-locale context packs) and ANGLES.

use super::Shared;
use super::plan::Mode;
use crate::jobs::run::{JobError, JobRun, Step};
use crate::pipeline::cache;
use crate::pipeline::provider::{AngleDraft, BrandVoice};
use crate::pipeline::text::shorten;
use crate::repo::campaign::{ANGLE_COLS, AngleRow};
use crate::repo::{self, all, one};
use serde_json::json;

pub(crate) struct Context(pub(crate) Shared);

#[async_trait::async_trait]
impl Step for Context {
    fn name(&self) -> &'static str {
        "CONTEXT"
    }
    fn weight(&self) -> f32 {
        0.5
    }

    async fn run(&self, run: &mut JobRun) -> Result<(), JobError> {
        let mut g = self.0.lock().await;
        let tx = run.begin().await?;
        let campaign_id = run
            .job
            .campaign_id
            .ok_or_else(|| JobError::Fatal("the job has no campaign".into()))?;
        let campaign = repo::campaign::get(&tx, campaign_id)
            .await?
            .ok_or_else(|| JobError::Fatal("the campaign is gone".into()))?;
        let kit = repo::org::brand_kit(&tx, run.org_id).await?;
        g.brand = BrandVoice {
            voice: kit.as_ref().and_then(|k| k.voice.clone()),
            banned_words: kit.map(|k| k.banned_words).unwrap_or_default(),
        };
        g.brief = campaign.brief();
        if g.platforms.is_empty() {
            g.platforms = campaign.platforms();
        }
        match g.mode {
            Mode::Campaign => {
                if g.locales.is_empty() {
                    g.locales = campaign.locales.clone();
                }
            }
            Mode::Angle => {
                let base = repo::campaign::angles_by_ids(&tx, &[g.target.unwrap_or_default()]).await?;
                let base = base
                    .first()
                    .ok_or_else(|| JobError::Fatal("the angle is gone".into()))?;
                g.locales = vec![base.locale.clone()];
            }
            Mode::Copy => {
                let copy = repo::campaign::copies_by_ids(&tx, &[g.target.unwrap_or_default()]).await?;
                let copy = copy.first().ok_or_else(|| JobError::Fatal("the copy is gone".into()))?;
                let angle = repo::campaign::angles_by_ids(&tx, &[copy.angle_id]).await?;
                let angle = angle
                    .into_iter()
                    .next()
                    .ok_or_else(|| JobError::Fatal("the angle is gone".into()))?;
                g.locales = vec![angle.locale.clone()];
                g.copy_platform = crate::domain::campaign::Platform::parse(&copy.platform);
                g.angles = vec![angle];
            }
        }
        g.campaign = Some(campaign);
        tx.commit().await?;

        let provider = run.state.text.clone();
        let locales = g.locales.clone();
        for (i, locale) in locales.iter().enumerate() {
            let hash = cache::input_hash(
                "CONTEXT",
                &json!({ "brief": g.brief, "locale": locale, "brand": g.brand, "provider": provider.provider(),
                         "model": provider.model(), "promptVersion": provider.prompt_version() }),
            );
            let tx = run.begin().await?;
            let cached = cache::get(&tx, run.org_id, "CONTEXT", &hash).await?;
            tx.commit().await?;
            let pack = match cached {
                Some(pack) => pack,
                None => {
                    let pack = provider.context(&g.brief, locale, &g.brand).await?;
                    let tx = run.begin().await?;
                    cache::put(&tx, run.org_id, "CONTEXT", &hash, &pack).await?;
                    tx.commit().await?;
                    pack
                }
            };
            g.contexts.insert(locale.clone(), pack);
            let tx = run.begin().await?;
            run.progress(
                &tx,
                (i + 1) as f32 / locales.len().max(1) as f32,
                Some(format!("context for {locale}")),
            )
            .await?;
            run.commit(tx).await?;
        }
        Ok(())
    }
}

pub(crate) struct Angles(pub(crate) Shared);

#[async_trait::async_trait]
impl Step for Angles {
    fn name(&self) -> &'static str {
        "ANGLES"
    }

    async fn run(&self, run: &mut JobRun) -> Result<(), JobError> {
        let mut g = self.0.lock().await;
        let provider = run.state.text.clone();
        let campaign_id = g
            .campaign
            .as_ref()
            .map(|c| c.id)
            .ok_or_else(|| JobError::Fatal("no campaign".into()))?;
        let locales = g.locales.clone();
        g.angles.clear();
        for (li, locale) in locales.iter().enumerate() {
            run.checkpoint().await?;
            let ctx = g
                .contexts
                .get(locale)
                .cloned()
                .ok_or_else(|| JobError::Fatal(format!("no context for {locale}")))?;
            let tx = run.begin().await?;
            let accepted: Vec<AngleRow> = if g.mode == Mode::Campaign {
                all(
                    &tx,
                    &format!("SELECT {ANGLE_COLS} FROM angles WHERE campaign_id = $1 AND locale = $2 AND status = 'ACCEPTED' ORDER BY created_at, id"),
                    [campaign_id.into(), locale.clone().into()],
                )
                .await?
            } else {
                vec![]
            };
            tx.commit().await?;
            let wanted = match g.mode {
                Mode::Campaign => (g.per_locale as usize).saturating_sub(accepted.len()),
                _ => 1,
            };
            let mut produced = Vec::new();
            if wanted > 0 {
                let hash = cache::input_hash(
                    "ANGLES",
                    &json!({ "brief": g.brief, "context": ctx, "brand": g.brand, "n": wanted, "instructions": g.instructions,
                             "provider": provider.provider(), "model": provider.model(),
                             "promptVersion": provider.prompt_version(), "variant": g.variant() }),
                );
                let tx = run.begin().await?;
                let cached: Option<Vec<AngleDraft>> = cache::get(&tx, run.org_id, "ANGLES", &hash).await?;
                tx.commit().await?;
                let drafts = match cached {
                    Some(d) => d,
                    None => {
                        let mut d = provider
                            .angles(
                                &g.brief,
                                &ctx,
                                &g.brand,
                                wanted,
                                g.instructions.as_deref(),
                                cache::seed_of(&hash),
                            )
                            .await?;
                        if d.len() < wanted {
                            return Err(JobError::Retryable(format!(
                                "the provider wrote {} angles, not {wanted}",
                                d.len()
                            )));
                        }
                        d.truncate(wanted);
                        let tx = run.begin().await?;
                        cache::put(&tx, run.org_id, "ANGLES", &hash, &d).await?;
                        tx.commit().await?;
                        d
                    }
                };
                let provenance = g.provenance(provider.as_ref(), &hash, Some(&ctx));
                let tx = run.begin().await?;
                for (i, d) in drafts.iter().enumerate() {
                    let gen_key = format!("angle:{hash}:{i}");
                    let inserted: Option<AngleRow> = one(
                        &tx,
                        &format!(
                            "INSERT INTO angles (org_id, campaign_id, locale, position, title, hook, rationale, provenance, gen_key)
                             VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9)
                             ON CONFLICT (org_id, campaign_id, gen_key) DO NOTHING RETURNING {ANGLE_COLS}"
                        ),
                        [
                            run.org_id.into(),
                            campaign_id.into(),
                            locale.clone().into(),
                            (i as i32).into(),
                            shorten(&d.title, 120).into(),
                            shorten(&d.hook, 300).into(),
                            d.rationale.as_deref().map(|r| shorten(r, 500)).into(),
                            provenance.clone().into(),
                            gen_key.clone().into(),
                        ],
                    )
                    .await?;
                    let row = match inserted {
                        Some(row) => {
                            run.charge(&tx, &gen_key, crate::jobs::pricing::price::ANGLE).await?;
                            run.artifact(&tx, "Angle", row.id, Some(format!("angle {}: {}", locale, row.title)))
                                .await?;
                            row
                        }
                        None => one(
                            &tx,
                            &format!("SELECT {ANGLE_COLS} FROM angles WHERE campaign_id = $1 AND gen_key = $2"),
                            [campaign_id.into(), gen_key.into()],
                        )
                        .await?
                        .ok_or_else(|| JobError::Retryable("an angle vanished".into()))?,
                    };
                    produced.push(row);
                }
                run.progress(
                    &tx,
                    (li + 1) as f32 / locales.len() as f32,
                    Some(format!("{} angles for {locale}", produced.len())),
                )
                .await?;
                run.commit(tx).await?;
            }
            g.angles.extend(accepted);
            g.angles.extend(produced);
        }
        Ok(())
    }
}
