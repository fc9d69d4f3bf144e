//! COPIES (angle x platform, within platform limits), HASHTAGS, MODERATION.

use super::Shared;
use super::plan::Mode;
use crate::domain::campaign::Platform;
use crate::jobs::pricing::price;
use crate::jobs::run::{JobError, JobRun, Step};
use crate::pipeline::provider::{AngleDraft, CopyDraft};
use crate::pipeline::text::{char_count, shorten};
use crate::pipeline::{cache, moderation};
use crate::repo::campaign::{COPY_COLS, CopyRow};
use crate::repo::{all, exec, one};
use serde_json::json;
use std::collections::HashSet;

pub(crate) struct Copies(pub(crate) Shared);

#[async_trait::async_trait]
impl Step for Copies {
    fn name(&self) -> &'static str {
        "COPIES"
    }
    fn weight(&self) -> f32 {
        3.0
    }

    async fn run(&self, run: &mut JobRun) -> Result<(), JobError> {
        let g = self.0.lock().await;
        let provider = run.state.text.clone();
        let angles: Vec<_> = g.angles.iter().filter(|a| a.status != "REJECTED").cloned().collect();
        for (ai, angle) in angles.iter().enumerate() {
            run.checkpoint().await?;
            let ctx = g
                .contexts
                .get(&angle.locale)
                .cloned()
                .ok_or_else(|| JobError::Fatal(format!("no context for {}", angle.locale)))?;
            let platforms: Vec<Platform> = match (g.mode, g.copy_platform) {
                (Mode::Copy, Some(p)) => vec![p],
                _ => g.platforms.clone(),
            };
            let draft_angle = AngleDraft {
                title: angle.title.clone(),
                hook: angle.hook.clone(),
                rationale: angle.rationale.clone(),
            };
            let wanted: Vec<(Platform, String)> = platforms
                .into_iter()
                .map(|platform| {
                    let hash = cache::input_hash(
                        "COPIES",
                        &json!({ "brief": g.brief, "context": ctx, "brand": g.brand, "angle": draft_angle, "platform": platform,
                                 "instructions": g.instructions, "provider": provider.provider(), "model": provider.model(),
                                 "promptVersion": provider.prompt_version(), "variant": g.variant() }),
                    );
                    (platform, hash)
                })
                .collect();
            // One read for the angle: its copies, and the cached drafts.
            let tx = run.begin().await?;
            let existing: Vec<CopyRow> = all(
                &tx,
                &format!("SELECT {COPY_COLS} FROM copies WHERE angle_id = $1"),
                [angle.id.into()],
            )
            .await?;
            let hashes: Vec<String> = wanted.iter().map(|(_, h)| h.clone()).collect();
            let mut cached: std::collections::HashMap<String, CopyDraft> =
                cache::get_many(&tx, run.org_id, "COPIES", &hashes).await?;
            tx.commit().await?;
            // Accepted or hand-edited copies stay; their platforms need nothing new.
            let kept: HashSet<String> = existing
                .iter()
                .filter(|c| g.mode == Mode::Campaign && (c.status == "ACCEPTED" || c.edited))
                .map(|c| c.platform.clone())
                .collect();
            let mut planned = Vec::new();
            let mut fresh = Vec::new();
            for (platform, hash) in wanted.into_iter().filter(|(p, _)| !kept.contains(p.as_str())) {
                let gen_key = format!("copy:{}:{}:{hash}", angle.id, platform.as_str());
                if existing
                    .iter()
                    .any(|c| c.platform == platform.as_str() && c.provenance["inputHash"] == hash.as_str())
                {
                    continue; // produced by an earlier run with the same inputs
                }
                let draft = match cached.remove(&hash) {
                    Some(d) => d,
                    None => {
                        let d = provider
                            .copy(
                                &g.brief,
                                &ctx,
                                &g.brand,
                                &draft_angle,
                                platform,
                                g.instructions.as_deref(),
                                cache::seed_of(&hash),
                            )
                            .await?;
                        fresh.push((hash.clone(), d.clone()));
                        d
                    }
                };
                planned.push((platform, hash, gen_key, draft));
            }
            if planned.is_empty() {
                continue;
            }
            // One transaction per angle: the new drafts, its copies, their charges, their events.
            let tx = run.begin().await?;
            cache::put_many(&tx, run.org_id, "COPIES", &fresh).await?;
            for (platform, hash, gen_key, d) in planned {
                let body = shorten(&d.body, platform.body_limit());
                let provenance = g.provenance(provider.as_ref(), &hash, Some(&ctx));
                let inserted: Option<CopyRow> = one(
                    &tx,
                    &format!(
                        "INSERT INTO copies (org_id, campaign_id, angle_id, platform, locale, headline, body, call_to_action,
                                             hashtags, character_count, provenance, gen_key)
                         VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10, $11, $12)
                         ON CONFLICT (org_id, campaign_id, gen_key) DO NOTHING RETURNING {COPY_COLS}"
                    ),
                    [
                        run.org_id.into(),
                        angle.campaign_id.into(),
                        angle.id.into(),
                        platform.as_str().into(),
                        angle.locale.clone().into(),
                        d.headline.as_deref().map(|h| shorten(h, 120)).into(),
                        body.clone().into(),
                        d.call_to_action.as_deref().map(|c| shorten(c, 60)).into(),
                        d.hashtags.clone().into(),
                        i32::try_from(char_count(&body)).unwrap_or(i32::MAX).into(),
                        provenance.into(),
                        gen_key.clone().into(),
                    ],
                )
                .await?;
                if let Some(row) = inserted {
                    run.charge(&tx, &gen_key, price::COPY).await?;
                    run.artifact(
                        &tx,
                        "Copy",
                        row.id,
                        Some(format!("{} copy for \"{}\"", platform.label(), angle.title)),
                    )
                    .await?;
                }
            }
            run.progress(&tx, (ai + 1) as f32 / angles.len() as f32, None).await?;
            run.commit(tx).await?;
        }
        Ok(())
    }
}

/// The copies this job wrote (on any attempt).
async fn copies_of_job(run: &JobRun, tx: &crate::db::Tx) -> Result<Vec<CopyRow>, JobError> {
    let campaign_id = run.job.campaign_id.unwrap_or_default();
    Ok(all(
        tx,
        &format!("SELECT {COPY_COLS} FROM copies WHERE campaign_id = $1 AND provenance->>'jobId' = $2 ORDER BY created_at, id"),
        [campaign_id.into(), run.job.id.to_string().into()],
    )
    .await?)
}

/// `#` + letters, digits and `_`; unique (case-insensitively); at most
/// `max`; none containing a banned word or unsafe term (a hashtag glues
/// words together, so containment is the test here, not whole words).
pub(crate) fn clean_hashtags(tags: &[String], max: usize, banned: &[String]) -> Vec<String> {
    let mut out: Vec<String> = Vec::new();
    for t in tags {
        let word: String = t
            .trim()
            .trim_start_matches('#')
            .chars()
            .filter(|c| c.is_alphanumeric() || *c == '_')
            .collect();
        let lower = word.to_lowercase();
        if word.is_empty() || word.chars().count() > 50 {
            continue;
        }
        if banned
            .iter()
            .any(|b| !b.is_empty() && lower.contains(&b.to_lowercase()))
            || !moderation::check(&[&word], &[]).is_empty()
        {
            continue;
        }
        let tag = format!("#{word}");
        if !out.iter().any(|o| o.to_lowercase() == tag.to_lowercase()) {
            out.push(tag);
        }
        if out.len() >= max {
            break;
        }
    }
    out
}

pub(crate) struct Hashtags(pub(crate) Shared);

#[async_trait::async_trait]
impl Step for Hashtags {
    fn name(&self) -> &'static str {
        "HASHTAGS"
    }
    fn weight(&self) -> f32 {
        0.25
    }

    async fn run(&self, run: &mut JobRun) -> Result<(), JobError> {
        let g = self.0.lock().await;
        let tx = run.begin().await?;
        let copies = copies_of_job(run, &tx).await?;
        let mut per_angle: std::collections::HashMap<uuid::Uuid, Vec<String>> = Default::default();
        for c in &copies {
            let platform = Platform::parse(&c.platform).unwrap_or(Platform::Instagram);
            let tags = clean_hashtags(&c.hashtags, platform.hashtag_count(), &g.brand.banned_words);
            if tags != c.hashtags {
                exec(
                    &tx,
                    "UPDATE copies SET hashtags = $2 WHERE id = $1",
                    [c.id.into(), tags.clone().into()],
                )
                .await?;
            }
            per_angle.entry(c.angle_id).or_default().extend(tags);
        }
        for (angle_id, tags) in per_angle {
            let tags = clean_hashtags(&tags, 10, &g.brand.banned_words);
            exec(
                &tx,
                "UPDATE angles SET hashtags = $2 WHERE id = $1 AND hashtags = '{}'",
                [angle_id.into(), tags.into()],
            )
            .await?;
        }
        run.progress(&tx, 1.0, Some(format!("hashtags of {} copies", copies.len())))
            .await?;
        run.commit(tx).await?;
        Ok(())
    }
}

pub(crate) struct Moderation(pub(crate) Shared);

#[async_trait::async_trait]
impl Step for Moderation {
    fn name(&self) -> &'static str {
        "MODERATION"
    }
    fn weight(&self) -> f32 {
        0.25
    }

    async fn run(&self, run: &mut JobRun) -> Result<(), JobError> {
        let g = self.0.lock().await;
        let tx = run.begin().await?;
        let copies = copies_of_job(run, &tx).await?;
        let mut flagged = 0;
        for c in &copies {
            let mut texts: Vec<&str> = vec![&c.body];
            texts.extend(c.headline.as_deref());
            texts.extend(c.call_to_action.as_deref());
            texts.extend(c.hashtags.iter().map(String::as_str));
            let reasons = moderation::check(&texts, &g.brand.banned_words);
            if !reasons.is_empty() {
                flagged += 1;
            }
            if reasons != c.moderation_reasons {
                exec(
                    &tx,
                    "UPDATE copies SET flagged = $2, moderation_reasons = $3 WHERE id = $1",
                    [c.id.into(), (!reasons.is_empty()).into(), reasons.into()],
                )
                .await?;
            }
        }
        run.progress(&tx, 1.0, Some(format!("{flagged} of {} copies flagged", copies.len())))
            .await?;
        run.commit(tx).await?;
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::clean_hashtags;

    #[test]
    fn hashtags_are_cleaned_deduplicated_and_capped() {
        let tags: Vec<String> = ["#Run", "run", "#run!", "cheapDeals", "#ok_go", "#drugs", "", "#a b"]
            .iter()
            .map(|s| s.to_string())
            .collect();
        assert_eq!(
            clean_hashtags(&tags, 10, &["cheap".to_string()]),
            vec!["#Run", "#ok_go", "#ab"]
        );
        assert_eq!(clean_hashtags(&tags, 1, &[]), vec!["#Run"]);
    }
}
