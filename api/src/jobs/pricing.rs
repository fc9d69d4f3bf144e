//! Prices, in one table, and the worst-case cost of a request (what is
//! reserved before a job is queued).

use crate::error::AppError;
use crate::repo::campaign::CampaignRow;

/// Credits per unit of work.
pub mod price {
    pub const ANGLE: i64 = 1;
    pub const COPY: i64 = 1;
    /// One image in each of the four aspect ratios.
    pub const IMAGE_SET: i64 = 4;
    pub const EXPORT_KIT: i64 = 2;
}

pub const DEFAULT_ANGLES_PER_LOCALE: i32 = 3;
pub const MAX_ANGLES_PER_LOCALE: i32 = 10;

/// What a GENERATE_CAMPAIGN job will produce at most.
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct GenerationPlan {
    pub locales: Vec<String>,
    pub platforms: Vec<String>,
    pub angles_per_locale: i32,
    pub include_images: bool,
}

impl GenerationPlan {
    pub fn for_campaign(
        c: &CampaignRow,
        angles_per_locale: Option<i32>,
        include_images: Option<bool>,
    ) -> Result<Self, AppError> {
        let n = angles_per_locale.unwrap_or(DEFAULT_ANGLES_PER_LOCALE);
        if !(1..=MAX_ANGLES_PER_LOCALE).contains(&n) {
            return Err(AppError::validation(
                "anglesPerLocale",
                "anglesPerLocale must be 1 to 10",
            ));
        }
        Ok(Self {
            locales: c.locales.clone(),
            platforms: c.platforms.clone(),
            angles_per_locale: n,
            include_images: include_images.unwrap_or(true),
        })
    }

    pub fn angles(&self) -> i64 {
        self.locales.len() as i64 * i64::from(self.angles_per_locale)
    }

    pub fn copies(&self) -> i64 {
        self.angles() * self.platforms.len() as i64
    }

    /// Every angle, copy and image set, as if nothing could be reused.
    pub fn worst_case_cost(&self) -> i64 {
        let images = if self.include_images {
            self.angles() * price::IMAGE_SET
        } else {
            0
        };
        self.angles() * price::ANGLE + self.copies() * price::COPY + images
    }
}

/// Worst case of regenerating one angle (the angle, its copies, its images).
pub fn regenerate_angle_cost(platforms: usize, with_images: bool) -> i64 {
    price::ANGLE + platforms as i64 * price::COPY + if with_images { price::IMAGE_SET } else { 0 }
}

/// The worst case of a generation with what the campaign already has:
/// accepted angles are kept (fewer new angles), but still get copies and
/// images if they lack them.
pub async fn generation_cost(
    db: &impl sea_orm::ConnectionTrait,
    plan: &GenerationPlan,
    campaign_id: uuid::Uuid,
) -> Result<i64, AppError> {
    #[derive(sea_orm::FromQueryResult)]
    struct Accepted {
        locale: String,
        n: i64,
    }
    let accepted: Vec<Accepted> = crate::repo::all(
        db,
        "SELECT locale, count(*) AS n FROM angles WHERE campaign_id = $1 AND status = 'ACCEPTED' GROUP BY locale",
        [campaign_id.into()],
    )
    .await?;
    let per = i64::from(plan.angles_per_locale);
    let platforms = plan.platforms.len() as i64;
    let mut cost = 0;
    for locale in &plan.locales {
        let kept = accepted.iter().find(|a| &a.locale == locale).map_or(0, |a| a.n);
        let new_angles = (per - kept).max(0);
        let angles = per.max(kept);
        cost += new_angles * price::ANGLE + angles * platforms * price::COPY;
        if plan.include_images {
            cost += angles * price::IMAGE_SET;
        }
    }
    Ok(cost)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_worst_case_counts_every_unit() {
        let p = GenerationPlan {
            locales: vec!["en".into(), "de".into()],
            platforms: vec!["X".into(), "TIKTOK".into(), "LINKEDIN".into()],
            angles_per_locale: 3,
            include_images: true,
        };
        // 6 angles, 18 copies, 6 image sets
        assert_eq!(p.worst_case_cost(), 6 + 18 + 24);
        let p = GenerationPlan {
            include_images: false,
            ..p
        };
        assert_eq!(p.worst_case_cost(), 24);
    }
}
