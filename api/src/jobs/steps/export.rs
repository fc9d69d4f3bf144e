//! EXPORT_KIT: a ZIP with the accepted copies' images per ratio,
//! `copies.csv`, `schedule.csv` and a README, stored as an EXPORT_KIT asset.

use crate::domain::campaign::Platform;
use crate::jobs::pricing::price;
use crate::jobs::run::{JobError, JobRun, Step};
use crate::repo::campaign::{ANGLE_COLS, AngleRow, COPY_COLS, CopyRow};
use crate::repo::{self, all};
use chrono::{DateTime, Datelike, Duration, TimeZone, Utc};
use std::collections::{BTreeMap, HashMap};
use std::io::Write as _;

pub(crate) struct Export;

/// One field of an RFC 4180 record.
fn csv_field(s: &str) -> String {
    if s.contains([',', '"', '\r', '\n']) {
        format!("\"{}\"", s.replace('"', "\"\""))
    } else {
        s.to_string()
    }
}

/// RFC 4180: CRLF line ends, quoted where needed.
pub(crate) fn csv(header: &[&str], rows: &[Vec<String>]) -> String {
    let mut out = header.iter().map(|h| csv_field(h)).collect::<Vec<_>>().join(",");
    out.push_str("\r\n");
    for r in rows {
        out.push_str(&r.iter().map(|f| csv_field(f)).collect::<Vec<_>>().join(","));
        out.push_str("\r\n");
    }
    out
}

/// When each platform's audience is most often reading (UTC hour).
fn best_hour(p: Platform) -> u32 {
    match p {
        Platform::Linkedin => 9,
        Platform::Facebook => 12,
        Platform::X => 13,
        Platform::Instagram => 18,
        Platform::Tiktok => 19,
    }
}

/// A posting slot per copy: each platform posts once a day at its best
/// hour, starting the day after `from`, so no two posts of one platform
/// share a slot.
pub(crate) fn schedule(copies: &[&CopyRow], from: DateTime<Utc>) -> Vec<(uuid::Uuid, String, DateTime<Utc>)> {
    let start = Utc
        .with_ymd_and_hms(from.year(), from.month(), from.day(), 0, 0, 0)
        .single()
        .unwrap_or(from)
        + Duration::days(1);
    let mut next_day: HashMap<&str, i64> = HashMap::new();
    let mut out = Vec::new();
    for c in copies {
        let platform = Platform::parse(&c.platform).unwrap_or(Platform::Instagram);
        let day = next_day.entry(platform.as_str()).or_insert(0);
        let at = start + Duration::days(*day) + Duration::hours(i64::from(best_hour(platform)));
        *day += 1;
        out.push((c.id, c.platform.clone(), at));
    }
    out
}

fn slug(s: &str) -> String {
    let s = crate::domain::slugify(s);
    s.chars()
        .filter(|c| c.is_ascii_alphanumeric() || *c == '-')
        .take(40)
        .collect()
}

#[async_trait::async_trait]
impl Step for Export {
    fn name(&self) -> &'static str {
        "EXPORT"
    }

    async fn run(&self, run: &mut JobRun) -> Result<(), JobError> {
        let campaign_id = run
            .job
            .campaign_id
            .ok_or_else(|| JobError::Fatal("the job has no campaign".into()))?;
        let gen_key = format!("export:{}", run.job.id);
        let tx = run.begin().await?;
        let campaign = repo::campaign::get(&tx, campaign_id)
            .await?
            .ok_or_else(|| JobError::Fatal("the campaign is gone".into()))?;
        let done = repo::one::<Found>(
            &tx,
            "SELECT true AS found FROM assets WHERE org_id = $1 AND gen_key = $2",
            [run.org_id.into(), gen_key.clone().into()],
        )
        .await?;
        let copies: Vec<CopyRow> = all(
            &tx,
            &format!("SELECT {COPY_COLS} FROM copies WHERE campaign_id = $1 ORDER BY created_at, id"),
            [campaign_id.into()],
        )
        .await?;
        let angles: Vec<AngleRow> = all(
            &tx,
            &format!("SELECT {ANGLE_COLS} FROM angles WHERE campaign_id = $1"),
            [campaign_id.into()],
        )
        .await?;
        let images = repo::asset::images_of_campaign(&tx, campaign_id).await?;
        tx.commit().await?;
        if done.is_some() {
            return Ok(()); // a retry after the kit was stored
        }
        // The accepted copies; a campaign approved without accepting any
        // exports its remaining (not rejected) suggestions instead.
        let accepted: Vec<&CopyRow> = copies.iter().filter(|c| c.status == "ACCEPTED").collect();
        let chosen: Vec<&CopyRow> = if accepted.is_empty() {
            copies.iter().filter(|c| c.status != "REJECTED").collect()
        } else {
            accepted
        };
        let angle_of: HashMap<uuid::Uuid, &AngleRow> = angles.iter().map(|a| (a.id, a)).collect();

        let mut files: BTreeMap<String, Vec<u8>> = BTreeMap::new();
        let wanted: std::collections::HashSet<uuid::Uuid> = chosen.iter().map(|c| c.angle_id).collect();
        for img in images
            .iter()
            .filter(|i| i.angle_id.is_some_and(|a| wanted.contains(&a)))
        {
            let angle = img.angle_id.and_then(|a| angle_of.get(&a));
            let folder = angle
                .map(|a| format!("{}-{}", slug(&a.title), &a.id.simple().to_string()[..8]))
                .unwrap_or_else(|| "images".into());
            let ext = if img.mime_type == "image/png" { "png" } else { "jpg" };
            let name = format!(
                "images/{folder}/{}.{ext}",
                img.aspect_ratio.as_deref().unwrap_or("image").to_lowercase()
            );
            let bytes = run
                .state
                .storage
                .get(&img.object_key)
                .await
                .map_err(|e| JobError::Retryable(format!("reading an image failed: {e}")))?;
            files.insert(name, bytes);
        }
        let rows: Vec<Vec<String>> = chosen
            .iter()
            .map(|c| {
                let a = angle_of.get(&c.angle_id);
                vec![
                    c.id.to_string(),
                    c.angle_id.to_string(),
                    a.map(|a| a.title.clone()).unwrap_or_default(),
                    c.locale.clone(),
                    c.platform.clone(),
                    c.headline.clone().unwrap_or_default(),
                    c.body.clone(),
                    c.call_to_action.clone().unwrap_or_default(),
                    c.hashtags.join(" "),
                    c.character_count.to_string(),
                    c.version.to_string(),
                    c.status.clone(),
                ]
            })
            .collect();
        let header = [
            "copy_id",
            "angle_id",
            "angle_title",
            "locale",
            "platform",
            "headline",
            "body",
            "call_to_action",
            "hashtags",
            "character_count",
            "version",
            "status",
        ];
        files.insert("copies.csv".into(), csv(&header, &rows).into_bytes());
        let slots: Vec<Vec<String>> = schedule(&chosen, Utc::now())
            .into_iter()
            .map(|(id, platform, at)| {
                vec![
                    id.to_string(),
                    platform,
                    at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
                ]
            })
            .collect();
        files.insert(
            "schedule.csv".into(),
            csv(&["copy_id", "platform", "post_at_utc"], &slots).into_bytes(),
        );
        let readme = format!(
            "{name}\r\n\r\nExport kit of the campaign \"{name}\" ({id}), made {at}.\r\n\r\n\
             copies.csv    {n} copies (RFC 4180, UTF-8): the text to post, per platform and locale.\r\n\
             schedule.csv  a suggested posting slot per copy (UTC); one post per platform per day.\r\n\
             images/       the branded images of each angle, one file per aspect ratio.\r\n\r\n\
             Product: {product}\r\nAudience: {audience}\r\n",
            name = campaign.name,
            id = campaign.id,
            at = Utc::now().to_rfc3339_opts(chrono::SecondsFormat::Secs, true),
            n = rows.len(),
            product = campaign.brief().product,
            audience = campaign.brief().audience,
        );
        files.insert("README.txt".into(), readme.into_bytes());
        let zip = tokio::task::spawn_blocking(move || zip_files(files))
            .await
            .map_err(|e| JobError::Retryable(e.to_string()))??;

        let key = crate::storage::object_key(run.org_id, "exports", &format!("{}-{}.zip", campaign.id, run.job.id));
        let size = zip.len() as i64;
        run.state
            .storage
            .put(&key, zip, "application/zip")
            .await
            .map_err(|e| JobError::Retryable(format!("storing the kit failed: {e}")))?;
        let tx = run.begin().await?;
        let asset = repo::asset::insert(
            &tx,
            run.org_id,
            repo::asset::NewAsset {
                kind: "EXPORT_KIT",
                campaign_id: Some(campaign_id),
                angle_id: None,
                aspect_ratio: None,
                width: None,
                height: None,
                mime_type: "application/zip",
                byte_size: size,
                object_key: &key,
                provenance: Some(
                    serde_json::json!({ "provider": "campaign-studio", "model": "export-kit", "promptVersion": "1",
                                                      "inputHash": gen_key, "jobId": run.job.id }),
                ),
                gen_key: Some(&gen_key),
            },
        )
        .await?;
        run.charge(&tx, &gen_key, price::EXPORT_KIT).await?;
        run.artifact(
            &tx,
            "Asset",
            asset.id,
            Some(format!("export kit: {} copies", rows.len())),
        )
        .await?;
        run.commit(tx).await?;
        Ok(())
    }
}

#[derive(sea_orm::FromQueryResult)]
struct Found {
    #[expect(dead_code, reason = "only the row's presence matters")]
    found: bool,
}

fn zip_files(files: BTreeMap<String, Vec<u8>>) -> Result<Vec<u8>, JobError> {
    let mut zip = zip::ZipWriter::new(std::io::Cursor::new(Vec::new()));
    let options = zip::write::SimpleFileOptions::default().compression_method(zip::CompressionMethod::Deflated);
    for (name, bytes) in files {
        // Images are already compressed: store them as they are.
        let opts = if name.starts_with("images/") {
            options.compression_method(zip::CompressionMethod::Stored)
        } else {
            options
        };
        zip.start_file(name, opts).map_err(|e| JobError::Fatal(e.to_string()))?;
        zip.write_all(&bytes).map_err(|e| JobError::Fatal(e.to_string()))?;
    }
    Ok(zip.finish().map_err(|e| JobError::Fatal(e.to_string()))?.into_inner())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn csv_quotes_only_what_needs_quoting() {
        let out = csv(
            &["a", "b"],
            &[
                vec!["plain".into(), "with, comma".into()],
                vec!["say \"hi\"".into(), "two\nlines".into()],
            ],
        );
        assert_eq!(
            out,
            "a,b\r\nplain,\"with, comma\"\r\n\"say \"\"hi\"\"\",\"two\nlines\"\r\n"
        );
    }

    #[test]
    fn no_two_posts_of_a_platform_share_a_slot() {
        let mk = |p: &str| CopyRow {
            id: uuid::Uuid::new_v4(),
            campaign_id: uuid::Uuid::nil(),
            angle_id: uuid::Uuid::nil(),
            platform: p.into(),
            locale: "en".into(),
            headline: None,
            body: String::new(),
            call_to_action: None,
            hashtags: vec![],
            character_count: 0,
            version: 1,
            status: "ACCEPTED".into(),
            edited: false,
            flagged: false,
            moderation_reasons: vec![],
            provenance: serde_json::json!({}),
            created_at: Utc::now(),
            updated_at: Utc::now(),
        };
        let copies: Vec<CopyRow> = ["X", "X", "LINKEDIN", "X", "LINKEDIN"].iter().map(|p| mk(p)).collect();
        let refs: Vec<&CopyRow> = copies.iter().collect();
        let from = Utc.with_ymd_and_hms(2026, 3, 1, 15, 30, 0).unwrap();
        let slots = schedule(&refs, from);
        let mut seen = std::collections::HashSet::new();
        for (_, p, at) in &slots {
            assert!(seen.insert((p.clone(), *at)), "{p} twice at {at}");
            assert!(*at > from);
        }
        assert_eq!(slots[0].2, Utc.with_ymd_and_hms(2026, 3, 2, 13, 0, 0).unwrap());
        assert_eq!(slots[1].2, Utc.with_ymd_and_hms(2026, 3, 3, 13, 0, 0).unwrap());
        assert_eq!(slots[2].2, Utc.with_ymd_and_hms(2026, 3, 2, 9, 0, 0).unwrap());
    }
}
