//! Campaigns: the status machine, platforms and the brief.

use crate::error::AppError;
use serde::{Deserialize, Serialize};

/// Where a campaign is in its life. DRAFT -> GENERATING -> REVIEWING ->
/// APPROVED -> EXPORTED, with REVIEWING -> CHANGES_REQUESTED -> GENERATING,
/// GENERATING -> FAILED -> GENERATING (retry) and any -> ARCHIVED.
#[derive(async_graphql::Enum, Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum CampaignStatus {
    Draft,
    Generating,
    Reviewing,
    ChangesRequested,
    Approved,
    Exported,
    Failed,
    Archived,
}

impl CampaignStatus {
    pub const ALL: [CampaignStatus; 8] = [
        Self::Draft,
        Self::Generating,
        Self::Reviewing,
        Self::ChangesRequested,
        Self::Approved,
        Self::Exported,
        Self::Failed,
        Self::Archived,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Draft => "DRAFT",
            Self::Generating => "GENERATING",
            Self::Reviewing => "REVIEWING",
            Self::ChangesRequested => "CHANGES_REQUESTED",
            Self::Approved => "APPROVED",
            Self::Exported => "EXPORTED",
            Self::Failed => "FAILED",
            Self::Archived => "ARCHIVED",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.as_str() == s)
    }
}

/// Everything that can happen to a campaign.
#[derive(Copy, Clone, Debug, PartialEq, Eq)]
pub enum CampaignAction {
    /// Edit name, brief, locales or platforms.
    Update,
    /// Start (or retry) generation.
    Generate,
    GenerationSucceeded,
    GenerationFailed,
    /// Accept or reject suggestions, edit copies, regenerate single items.
    Review,
    Approve,
    RequestChanges,
    /// Queue an export kit.
    Export,
    ExportSucceeded,
    Archive,
}

impl CampaignAction {
    pub const ALL: [CampaignAction; 10] = [
        Self::Update,
        Self::Generate,
        Self::GenerationSucceeded,
        Self::GenerationFailed,
        Self::Review,
        Self::Approve,
        Self::RequestChanges,
        Self::Export,
        Self::ExportSucceeded,
        Self::Archive,
    ];
}

/// The campaign state machine: the status after `action`, or CONFLICT.
pub fn transition(from: CampaignStatus, action: CampaignAction) -> Result<CampaignStatus, AppError> {
    use CampaignAction as A;
    use CampaignStatus as S;
    let to = match (from, action) {
        (S::Draft | S::Reviewing | S::ChangesRequested | S::Failed, A::Update) => from,
        (S::Draft | S::ChangesRequested | S::Failed, A::Generate) => S::Generating,
        (S::Generating, A::GenerationSucceeded) => S::Reviewing,
        (S::Generating, A::GenerationFailed) => S::Failed,
        (S::Reviewing | S::ChangesRequested, A::Review) => from,
        (S::Reviewing, A::Approve) => S::Approved,
        (S::Reviewing, A::RequestChanges) => S::ChangesRequested,
        (S::Approved, A::Export) => S::Approved,
        (S::Approved, A::ExportSucceeded) => S::Exported,
        (s, A::Archive) if s != S::Archived => S::Archived,
        _ => {
            return Err(AppError::conflict(format!(
                "a {} campaign cannot {}",
                from.as_str(),
                match action {
                    A::Update => "be edited",
                    A::Generate => "be generated",
                    A::GenerationSucceeded | A::GenerationFailed => "finish generating",
                    A::Review => "be reviewed",
                    A::Approve => "be approved",
                    A::RequestChanges => "have changes requested",
                    A::Export => "be exported (only APPROVED campaigns can)",
                    A::ExportSucceeded => "finish exporting",
                    A::Archive => "be archived",
                }
            )));
        }
    };
    Ok(to)
}

#[derive(async_graphql::Enum, Copy, Clone, Debug, PartialEq, Eq, Hash, Serialize, Deserialize, PartialOrd, Ord)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum Platform {
    Instagram,
    Facebook,
    Linkedin,
    X,
    Tiktok,
}

impl Platform {
    pub const ALL: [Platform; 5] = [Self::Instagram, Self::Facebook, Self::Linkedin, Self::X, Self::Tiktok];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Instagram => "INSTAGRAM",
            Self::Facebook => "FACEBOOK",
            Self::Linkedin => "LINKEDIN",
            Self::X => "X",
            Self::Tiktok => "TIKTOK",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|p| p.as_str() == s)
    }

    /// Most characters of body text the platform shows (Facebook's is the
    /// recommended primary text length).
    pub fn body_limit(self) -> usize {
        match self {
            Self::X => 280,
            Self::Instagram | Self::Tiktok => 2_200,
            Self::Linkedin => 3_000,
            Self::Facebook => 125,
        }
    }

    /// How many hashtags read well on the platform.
    pub fn hashtag_count(self) -> usize {
        match self {
            Self::X => 2,
            Self::Linkedin => 3,
            Self::Facebook => 3,
            Self::Instagram => 8,
            Self::Tiktok => 5,
        }
    }

    pub fn label(self) -> &'static str {
        match self {
            Self::Instagram => "Instagram",
            Self::Facebook => "Facebook",
            Self::Linkedin => "LinkedIn",
            Self::X => "X",
            Self::Tiktok => "TikTok",
        }
    }
}

#[derive(async_graphql::Enum, Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum SuggestionStatus {
    Suggested,
    Accepted,
    Rejected,
}

impl SuggestionStatus {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Suggested => "SUGGESTED",
            Self::Accepted => "ACCEPTED",
            Self::Rejected => "REJECTED",
        }
    }

    pub fn parse(s: &str) -> Self {
        match s {
            "ACCEPTED" => Self::Accepted,
            "REJECTED" => Self::Rejected,
            _ => Self::Suggested,
        }
    }
}

/// The brief as stored (jsonb) and returned.
#[derive(Clone, Debug, Default, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct Brief {
    pub product: String,
    pub audience: String,
    #[serde(default)]
    pub goal: Option<String>,
    #[serde(default)]
    pub tone: Option<String>,
    #[serde(default)]
    pub key_messages: Vec<String>,
    #[serde(default)]
    pub call_to_action: Option<String>,
    #[serde(default)]
    pub landing_url: Option<String>,
}

/// The brief as a client sends it.
#[derive(Clone, Debug, Default)]
pub struct BriefParts {
    pub product: String,
    pub audience: String,
    pub goal: Option<String>,
    pub tone: Option<String>,
    pub key_messages: Option<Vec<String>>,
    pub call_to_action: Option<String>,
    pub landing_url: Option<String>,
}

impl Brief {
    pub fn parse(b: BriefParts) -> Result<Brief, AppError> {
        let key_messages = b.key_messages.unwrap_or_default();
        if key_messages.len() > 10 {
            return Err(AppError::validation("brief.keyMessages", "at most 10 key messages"));
        }
        Ok(Brief {
            product: super::text("brief.product", &b.product, 200)?,
            audience: super::text("brief.audience", &b.audience, 500)?,
            goal: super::opt_text("brief.goal", b.goal.as_deref(), 500)?,
            tone: super::opt_text("brief.tone", b.tone.as_deref(), 100)?,
            key_messages: key_messages
                .iter()
                .map(|m| super::text("brief.keyMessages", m, 300))
                .collect::<Result<_, _>>()?,
            call_to_action: super::opt_text("brief.callToAction", b.call_to_action.as_deref(), 100)?,
            landing_url: b
                .landing_url
                .as_deref()
                .filter(|u| !u.trim().is_empty())
                .map(|u| super::http_url("brief.landingUrl", u))
                .transpose()?,
        })
    }
}

/// 1 to 10 distinct BCP-47 locales, in the order given.
pub fn parse_locales(values: &[String]) -> Result<Vec<String>, AppError> {
    if values.is_empty() || values.len() > 10 {
        return Err(AppError::validation("locales", "give 1 to 10 locales"));
    }
    let mut out: Vec<String> = Vec::new();
    for v in values {
        let l = super::locale("locales", v)?;
        if !out.contains(&l) {
            out.push(l);
        }
    }
    Ok(out)
}

/// At least one platform, each once.
pub fn parse_platforms(values: &[Platform]) -> Result<Vec<Platform>, AppError> {
    if values.is_empty() {
        return Err(AppError::validation("platforms", "give at least one platform"));
    }
    let mut out: Vec<Platform> = Vec::new();
    for p in values {
        if !out.contains(p) {
            out.push(*p);
        }
    }
    Ok(out)
}

#[cfg(test)]
mod tests {
    use super::*;
    use CampaignAction as A;
    use CampaignStatus as S;

    /// The whole table: every status x every action, legal ones listed.
    #[test]
    fn every_status_and_action_follows_the_table() {
        let legal = [
            (S::Draft, A::Update, S::Draft),
            (S::Reviewing, A::Update, S::Reviewing),
            (S::ChangesRequested, A::Update, S::ChangesRequested),
            (S::Failed, A::Update, S::Failed),
            (S::Draft, A::Generate, S::Generating),
            (S::ChangesRequested, A::Generate, S::Generating),
            (S::Failed, A::Generate, S::Generating),
            (S::Generating, A::GenerationSucceeded, S::Reviewing),
            (S::Generating, A::GenerationFailed, S::Failed),
            (S::Reviewing, A::Review, S::Reviewing),
            (S::ChangesRequested, A::Review, S::ChangesRequested),
            (S::Reviewing, A::Approve, S::Approved),
            (S::Reviewing, A::RequestChanges, S::ChangesRequested),
            (S::Approved, A::Export, S::Approved),
            (S::Approved, A::ExportSucceeded, S::Exported),
        ];
        for from in S::ALL {
            for action in A::ALL {
                let got = transition(from, action);
                let want = if action == A::Archive {
                    (from != S::Archived).then_some(S::Archived)
                } else {
                    legal
                        .iter()
                        .find(|(f, a, _)| *f == from && *a == action)
                        .map(|(_, _, t)| *t)
                };
                match (got, want) {
                    (Ok(to), Some(w)) => assert_eq!(to, w, "{from:?} x {action:?}"),
                    (Err(e), None) => assert_eq!(e.code(), "CONFLICT", "{from:?} x {action:?}"),
                    (got, want) => panic!("{from:?} x {action:?}: got {got:?}, want {want:?}"),
                }
            }
        }
    }
}
