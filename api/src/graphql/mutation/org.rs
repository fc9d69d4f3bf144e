use crate::auth::ApiKeySecret;
use crate::domain::{self, parse_id};
use crate::error::{AppError, ResultExt as _};
use crate::graphql::types::{self, ApiKey, BrandKit, Membership, Org};
use crate::graphql::{req, tx};
use crate::repo::{self, audit};
use crate::tenancy::Role;
use async_graphql::{Context, ID, InputObject, Object, Result, SimpleObject};
use serde_json::json;

#[derive(InputObject)]
struct CreateOrgInput {
    name: String,
    slug: String,
}

#[derive(SimpleObject)]
struct CreateOrgPayload {
    org: Org,
    membership: Membership,
}

#[derive(InputObject)]
struct AddMemberInput {
    email: String,
    role: Role,
}

#[derive(SimpleObject)]
struct AddMemberPayload {
    membership: Membership,
}

#[derive(InputObject)]
struct UpdateMemberRoleInput {
    membership_id: ID,
    role: Role,
}

#[derive(SimpleObject)]
struct UpdateMemberRolePayload {
    membership: Membership,
}

#[derive(InputObject)]
struct RemoveMemberInput {
    membership_id: ID,
}

#[derive(SimpleObject)]
struct RemoveMemberPayload {
    removed_membership_id: ID,
}

#[derive(InputObject)]
struct CreateApiKeyInput {
    name: String,
    role: Role,
}

#[derive(SimpleObject)]
struct CreateApiKeyPayload {
    api_key: ApiKey,
    /// Shown once.
    secret: String,
}

#[derive(InputObject)]
struct RevokeApiKeyInput {
    api_key_id: ID,
}

#[derive(SimpleObject)]
struct RevokeApiKeyPayload {
    api_key: ApiKey,
}

#[derive(InputObject)]
struct BrandKitInput {
    primary_color: Option<String>,
    secondary_color: Option<String>,
    banned_words: Option<Vec<String>>,
    voice: Option<String>,
}

#[derive(SimpleObject)]
struct UpdateBrandKitPayload {
    brand_kit: BrandKit,
}

#[derive(Default)]
pub(crate) struct OrgMutation;

/// Only an OWNER may make, change or remove another OWNER.
fn check_owner_rule(actor: Role, touches_owner: bool) -> Result<(), AppError> {
    if touches_owner && actor != Role::Owner {
        return Err(AppError::forbidden("only an OWNER may make, change or remove an OWNER"));
    }
    Ok(())
}

#[Object]
impl OrgMutation {
    /// Any signed-in user; the caller becomes OWNER. No X-Org-Id needed.
    async fn create_org(&self, ctx: &Context<'_>, input: CreateOrgInput) -> Result<CreateOrgPayload> {
        let rc = req(ctx)?;
        let user_id = rc.require_user()?;
        let name = domain::text("name", &input.name, 200)?;
        let slug = domain::slug("slug", &input.slug)?;
        let tx = tx(ctx).await?;
        let org_id = uuid::Uuid::new_v4();
        let membership = repo::org::create(&*tx, org_id, &name, &slug, user_id)
            .await
            .on_constraint("orgs_slug_key", || {
                AppError::conflict("an org with this slug already exists")
            })?;
        let org = repo::org::by_id(&*tx, org_id)
            .await
            .map_err(AppError::from)?
            .ok_or(AppError::NotFound("org"))?;
        let org_ctx = crate::tenancy::OrgCtx {
            org_id,
            role: Role::Owner,
        };
        audit::record(
            &*tx,
            org_ctx,
            rc.actor(),
            "org.create",
            "Org",
            Some(org_id),
            json!({ "name": name, "slug": slug }),
        )
        .await
        .map_err(AppError::from)?;
        // The rest of this request stays in the new org's context: a later
        // field that expected another org finds nothing (fails closed).
        Ok(CreateOrgPayload {
            org: Org(org),
            membership: Membership(membership),
        })
    }

    /// ADMIN or OWNER. Adds a user by email (invited if they never signed in).
    async fn add_member(&self, ctx: &Context<'_>, input: AddMemberInput) -> Result<AddMemberPayload> {
        let rc = req(ctx)?;
        let org = rc.require_role(Role::Admin)?;
        check_owner_rule(org.role, input.role == Role::Owner)?;
        let email = domain::Email::parse_field("email", &input.email)?;
        let tx = tx(ctx).await?;
        let user_id = repo::user::find_or_invite(&*tx, &email).await.map_err(AppError::from)?;
        let m = repo::org::insert_membership(&*tx, org.org_id, user_id, input.role.as_str())
            .await
            .on_constraint("memberships_org_user_key", || {
                AppError::conflict("this user is already a member")
            })?;
        audit::record(
            &*tx,
            org,
            rc.actor(),
            "member.add",
            "Membership",
            Some(m.id),
            json!({ "email": email, "role": input.role.as_str() }),
        )
        .await
        .map_err(AppError::from)?;
        Ok(AddMemberPayload {
            membership: Membership(m),
        })
    }

    /// ADMIN or OWNER. An org always keeps at least one OWNER.
    async fn update_member_role(
        &self,
        ctx: &Context<'_>,
        input: UpdateMemberRoleInput,
    ) -> Result<UpdateMemberRolePayload> {
        let rc = req(ctx)?;
        let org = rc.require_role(Role::Admin)?;
        let id = parse_id("membershipId", &input.membership_id)?;
        let tx = tx(ctx).await?;
        let owners = repo::org::lock_owners(&*tx, org.org_id).await.map_err(AppError::from)?;
        let current = repo::org::membership(&*tx, org.org_id, id)
            .await
            .map_err(AppError::from)?
            .ok_or(AppError::NotFound("membership"))?;
        let was_owner = current.role == "OWNER";
        check_owner_rule(org.role, was_owner || input.role == Role::Owner)?;
        if was_owner && input.role != Role::Owner && owners <= 1 {
            return Err(AppError::conflict("an org needs at least one OWNER").into());
        }
        let m = repo::org::set_role(&*tx, org.org_id, id, input.role.as_str())
            .await
            .map_err(AppError::from)?
            .ok_or(AppError::NotFound("membership"))?;
        audit::record(
            &*tx,
            org,
            rc.actor(),
            "member.update_role",
            "Membership",
            Some(id),
            json!({ "from": current.role, "to": input.role.as_str() }),
        )
        .await
        .map_err(AppError::from)?;
        Ok(UpdateMemberRolePayload {
            membership: Membership(m),
        })
    }

    /// ADMIN or OWNER. The last OWNER cannot be removed.
    async fn remove_member(&self, ctx: &Context<'_>, input: RemoveMemberInput) -> Result<RemoveMemberPayload> {
        let rc = req(ctx)?;
        let org = rc.require_role(Role::Admin)?;
        let id = parse_id("membershipId", &input.membership_id)?;
        let tx = tx(ctx).await?;
        let owners = repo::org::lock_owners(&*tx, org.org_id).await.map_err(AppError::from)?;
        let current = repo::org::membership(&*tx, org.org_id, id)
            .await
            .map_err(AppError::from)?
            .ok_or(AppError::NotFound("membership"))?;
        check_owner_rule(org.role, current.role == "OWNER")?;
        if current.role == "OWNER" && owners <= 1 {
            return Err(AppError::conflict("an org needs at least one OWNER").into());
        }
        repo::org::delete_membership(&*tx, org.org_id, id)
            .await
            .map_err(AppError::from)?;
        audit::record(
            &*tx,
            org,
            rc.actor(),
            "member.remove",
            "Membership",
            Some(id),
            json!({ "userId": current.user_id, "role": current.role }),
        )
        .await
        .map_err(AppError::from)?;
        Ok(RemoveMemberPayload {
            removed_membership_id: types::id(id),
        })
    }

    /// ADMIN or OWNER. The key is in `secret`, shown this once; a key's role
    /// cannot be above its creator's.
    async fn create_api_key(&self, ctx: &Context<'_>, input: CreateApiKeyInput) -> Result<CreateApiKeyPayload> {
        let rc = req(ctx)?;
        let org = rc.require_role(Role::Admin)?;
        if !org.role.at_least(input.role) {
            return Err(AppError::forbidden("a key's role cannot be above your own").into());
        }
        let name = domain::text("name", &input.name, 200)?;
        let key = ApiKeySecret::generate()?;
        let tx = tx(ctx).await?;
        let row = repo::org::insert_api_key(
            &*tx,
            org.org_id,
            &name,
            &key.prefix,
            &key.hash,
            input.role.as_str(),
            rc.actor().user_id,
        )
        .await
        .map_err(AppError::from)?;
        audit::record(
            &*tx,
            org,
            rc.actor(),
            "api_key.create",
            "ApiKey",
            Some(row.id),
            json!({ "name": name, "role": input.role.as_str() }),
        )
        .await
        .map_err(AppError::from)?;
        Ok(CreateApiKeyPayload {
            api_key: ApiKey(row),
            secret: key.secret,
        })
    }

    /// ADMIN or OWNER. Takes effect at once, also for open subscriptions.
    async fn revoke_api_key(&self, ctx: &Context<'_>, input: RevokeApiKeyInput) -> Result<RevokeApiKeyPayload> {
        let rc = req(ctx)?;
        let org = rc.require_role(Role::Admin)?;
        let id = parse_id("apiKeyId", &input.api_key_id)?;
        let tx = tx(ctx).await?;
        let row = repo::org::revoke_api_key(&*tx, org.org_id, id)
            .await
            .map_err(AppError::from)?
            .ok_or(AppError::NotFound("API key"))?;
        audit::record(&*tx, org, rc.actor(), "api_key.revoke", "ApiKey", Some(id), json!({}))
            .await
            .map_err(AppError::from)?;
        Ok(RevokeApiKeyPayload { api_key: ApiKey(row) })
    }

    /// ADMIN or OWNER. Fields left out keep their value.
    async fn update_brand_kit(&self, ctx: &Context<'_>, input: BrandKitInput) -> Result<UpdateBrandKitPayload> {
        let rc = req(ctx)?;
        let org = rc.require_role(Role::Admin)?;
        let primary = input
            .primary_color
            .as_deref()
            .map(|c| domain::color("primaryColor", c))
            .transpose()?;
        let secondary = input
            .secondary_color
            .as_deref()
            .map(|c| domain::color("secondaryColor", c))
            .transpose()?;
        let banned = match input.banned_words {
            Some(words) => {
                if words.len() > 500 {
                    return Err(AppError::validation("bannedWords", "at most 500 banned words").into());
                }
                let mut out: Vec<String> = Vec::new();
                for w in &words {
                    let w = domain::text("bannedWords", w, 100)?.to_lowercase();
                    if !out.contains(&w) {
                        out.push(w);
                    }
                }
                Some(out)
            }
            None => None,
        };
        let voice = input
            .voice
            .map(|v| domain::opt_text("voice", Some(&v), 1000))
            .transpose()?;
        let tx = tx(ctx).await?;
        let row = repo::org::update_brand_kit(&*tx, org.org_id, primary, secondary, banned, voice)
            .await
            .map_err(AppError::from)?
            .ok_or(AppError::NotFound("brand kit"))?;
        audit::record(
            &*tx,
            org,
            rc.actor(),
            "brand_kit.update",
            "BrandKit",
            Some(org.org_id),
            json!({}),
        )
        .await
        .map_err(AppError::from)?;
        Ok(UpdateBrandKitPayload {
            brand_kit: BrandKit(row),
        })
    }
}

#[derive(InputObject)]
struct UploadBrandLogoInput {
    file: async_graphql::Upload,
}

#[derive(SimpleObject)]
struct UploadBrandLogoPayload {
    asset: types::Asset,
}

#[derive(Default)]
pub(crate) struct LogoMutation;

#[Object]
impl LogoMutation {
    /// ADMIN or OWNER. A PNG, JPEG or WebP (told by its bytes, not its name)
    /// of at most 5 MB and 4096 x 4096 pixels, stored as a LOGO asset and set
    /// on the brand kit. Use the GraphQL multipart request spec.
    async fn upload_brand_logo(
        &self,
        ctx: &Context<'_>,
        input: UploadBrandLogoInput,
    ) -> Result<UploadBrandLogoPayload> {
        use std::io::Read as _;
        let rc = req(ctx)?;
        let org = rc.require_role(Role::Admin)?;
        let upload = input
            .file
            .value(ctx)
            .map_err(|_| AppError::validation("file", "the upload is missing"))?;
        let mut bytes = Vec::new();
        upload
            .into_read()
            .take(crate::images::MAX_LOGO_BYTES as u64 + 1)
            .read_to_end(&mut bytes)
            .map_err(|_| AppError::validation("file", "the upload could not be read"))?;
        let logo = tokio::task::spawn_blocking(move || crate::images::decode_logo(&bytes))
            .await
            .map_err(|e| AppError::Internal(e.into()))?
            .map_err(|e| AppError::validation("file", e.to_string()))?;
        let state = crate::graphql::state(ctx)?;
        let key = crate::storage::object_key(org.org_id, "logos", &format!("{}.png", uuid::Uuid::new_v4()));
        let size = logo.png_bytes.len() as i64;
        state
            .storage
            .put(&key, logo.png_bytes, "image/png")
            .await
            .map_err(AppError::Internal)?;
        let tx = tx(ctx).await?;
        let asset = repo::asset::insert(
            &*tx,
            org.org_id,
            repo::asset::NewAsset {
                kind: "LOGO",
                campaign_id: None,
                angle_id: None,
                aspect_ratio: None,
                width: i32::try_from(logo.width).ok(),
                height: i32::try_from(logo.height).ok(),
                mime_type: "image/png",
                byte_size: size,
                object_key: &key,
                provenance: None,
                gen_key: None,
            },
        )
        .await
        .map_err(AppError::from)?;
        repo::org::set_logo(&*tx, org.org_id, asset.id)
            .await
            .map_err(AppError::from)?;
        audit::record(
            &*tx,
            org,
            rc.actor(),
            "brand_kit.logo",
            "Asset",
            Some(asset.id),
            json!({ "bytes": size, "width": logo.width, "height": logo.height }),
        )
        .await
        .map_err(AppError::from)?;
        Ok(UploadBrandLogoPayload {
            asset: types::Asset(asset),
        })
    }
}
