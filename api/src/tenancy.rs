//! The tenant context of a request: who is calling, in which org, with what
//! role, plus the events to publish once the request's transaction commits.

use crate::error::{AppError, AppResult};
use crate::events::Event;
use std::sync::Mutex;
use uuid::Uuid;

/// Roles, strongest first. OWNER > ADMIN > EDITOR > VIEWER.
#[derive(async_graphql::Enum, Copy, Clone, Debug, PartialEq, Eq, Hash)]
pub enum Role {
    Owner,
    Admin,
    Editor,
    Viewer,
}

impl Role {
    fn rank(self) -> u8 {
        match self {
            Self::Owner => 4,
            Self::Admin => 3,
            Self::Editor => 2,
            Self::Viewer => 1,
        }
    }

    pub fn at_least(self, min: Role) -> bool {
        self.rank() >= min.rank()
    }

    pub fn as_str(self) -> &'static str {
        match self {
            Self::Owner => "OWNER",
            Self::Admin => "ADMIN",
            Self::Editor => "EDITOR",
            Self::Viewer => "VIEWER",
        }
    }

    pub fn parse(s: &str) -> Option<Self> {
        match s {
            "OWNER" => Some(Self::Owner),
            "ADMIN" => Some(Self::Admin),
            "EDITOR" => Some(Self::Editor),
            "VIEWER" => Some(Self::Viewer),
            _ => None,
        }
    }
}

/// Who is calling.
#[derive(Clone, Debug)]
pub enum Principal {
    Anonymous,
    User {
        user_id: Uuid,
        email: String,
        platform_admin: bool,
    },
    ApiKey {
        key_id: Uuid,
    },
}

/// The org a request acts in, and the caller's role there.
#[derive(Clone, Copy, Debug)]
pub struct OrgCtx {
    pub org_id: Uuid,
    pub role: Role,
}

/// Who did something, for audit events and ledger entries.
#[derive(Clone, Copy, Debug, Default)]
pub struct Actor {
    pub user_id: Option<Uuid>,
    pub api_key_id: Option<Uuid>,
}

pub struct RequestCtx {
    pub request_id: String,
    pub principal: Principal,
    pub org: Option<OrgCtx>,
    outbox: Mutex<Vec<Event>>,
}

impl RequestCtx {
    pub fn new(request_id: String, principal: Principal, org: Option<OrgCtx>) -> Self {
        Self {
            request_id,
            principal,
            org,
            outbox: Mutex::new(Vec::new()),
        }
    }

    pub fn is_authenticated(&self) -> bool {
        !matches!(self.principal, Principal::Anonymous)
    }

    pub fn require_auth(&self) -> AppResult<()> {
        if self.is_authenticated() {
            Ok(())
        } else {
            Err(AppError::unauthenticated(
                "sign in: send Authorization: Bearer <token or API key>",
            ))
        }
    }

    /// The signed-in user (API keys act for an org, not a user).
    pub fn require_user(&self) -> AppResult<Uuid> {
        match &self.principal {
            Principal::User { user_id, .. } => Ok(*user_id),
            Principal::ApiKey { .. } => Err(AppError::forbidden("this needs a signed-in user, not an API key")),
            Principal::Anonymous => Err(AppError::unauthenticated("sign in: send Authorization: Bearer <token>")),
        }
    }

    pub fn is_platform_admin(&self) -> bool {
        matches!(
            self.principal,
            Principal::User {
                platform_admin: true,
                ..
            }
        )
    }

    /// The current org (any role).
    pub fn require_org(&self) -> AppResult<OrgCtx> {
        self.require_auth()?;
        self.org
            .ok_or_else(|| AppError::forbidden("choose an org with the X-Org-Id header"))
    }

    /// The current org, if the caller's role there is at least `min`.
    pub fn require_role(&self, min: Role) -> AppResult<OrgCtx> {
        let org = self.require_org()?;
        if org.role.at_least(min) {
            Ok(org)
        } else {
            Err(AppError::forbidden(format!(
                "this needs the {} role or above",
                min.as_str()
            )))
        }
    }

    pub fn actor(&self) -> Actor {
        match &self.principal {
            Principal::User { user_id, .. } => Actor {
                user_id: Some(*user_id),
                api_key_id: None,
            },
            Principal::ApiKey { key_id } => Actor {
                user_id: None,
                api_key_id: Some(*key_id),
            },
            Principal::Anonymous => Actor::default(),
        }
    }

    /// Queues an event to publish after the transaction commits (never
    /// before: a rolled-back change must not be announced).
    pub fn publish_after_commit(&self, event: Event) {
        if let Ok(mut outbox) = self.outbox.lock() {
            outbox.push(event);
        }
    }

    pub fn take_outbox(&self) -> Vec<Event> {
        self.outbox
            .lock()
            .map(|mut o| std::mem::take(&mut *o))
            .unwrap_or_default()
    }
}
