//! The step cache: a step's output keyed by a hash of everything it depends
//! on (brief, locale, brand kit, provider, model, prompt version,
//! instructions). A re-run with unchanged inputs reads the output here and
//! makes no provider call.

use crate::repo::{exec, one};
use sea_orm::{ConnectionTrait, DbErr, FromQueryResult};
use serde::Serialize;
use serde::de::DeserializeOwned;
use uuid::Uuid;

/// The hash of a step's inputs (hex SHA-256 of their canonical JSON).
pub fn input_hash(step: &str, inputs: &impl Serialize) -> String {
    let canonical = serde_json::json!({ "step": step, "inputs": inputs }).to_string();
    crate::crypto::sha256_hex(canonical.as_bytes())
}

/// A seed derived from an input hash (deterministic generation).
pub fn seed_of(hash: &str) -> u64 {
    u64::from_str_radix(hash.get(..16).unwrap_or("0"), 16).unwrap_or(0)
}

pub async fn get<T: DeserializeOwned>(
    db: &impl ConnectionTrait,
    org_id: Uuid,
    step: &str,
    hash: &str,
) -> Result<Option<T>, DbErr> {
    #[derive(FromQueryResult)]
    struct Row {
        output: serde_json::Value,
    }
    let row: Option<Row> = one(
        db,
        "SELECT output FROM step_cache WHERE org_id = $1 AND step = $2 AND input_hash = $3",
        [org_id.into(), step.into(), hash.into()],
    )
    .await?;
    Ok(row.and_then(|r| serde_json::from_value(r.output).ok()))
}

pub async fn put<T: Serialize>(
    db: &impl ConnectionTrait,
    org_id: Uuid,
    step: &str,
    hash: &str,
    output: &T,
) -> Result<(), DbErr> {
    let value = serde_json::to_value(output).map_err(|e| DbErr::Custom(e.to_string()))?;
    exec(
        db,
        "INSERT INTO step_cache (org_id, step, input_hash, output) VALUES ($1, $2, $3, $4)
         ON CONFLICT (org_id, step, input_hash) DO NOTHING",
        [org_id.into(), step.into(), hash.into(), value.into()],
    )
    .await?;
    Ok(())
}

/// Many outputs of one step at once: hash -> output, for the hashes found.
pub async fn get_many<T: DeserializeOwned>(
    db: &impl ConnectionTrait,
    org_id: Uuid,
    step: &str,
    hashes: &[String],
) -> Result<std::collections::HashMap<String, T>, DbErr> {
    #[derive(FromQueryResult)]
    struct Row {
        input_hash: String,
        output: serde_json::Value,
    }
    let rows: Vec<Row> = crate::repo::all(
        db,
        "SELECT input_hash, output FROM step_cache WHERE org_id = $1 AND step = $2 AND input_hash = ANY($3)",
        [org_id.into(), step.into(), hashes.to_vec().into()],
    )
    .await?;
    Ok(rows
        .into_iter()
        .filter_map(|r| serde_json::from_value(r.output).ok().map(|o| (r.input_hash, o)))
        .collect())
}

/// Stores many outputs of one step in one statement.
pub async fn put_many<T: Serialize>(
    db: &impl ConnectionTrait,
    org_id: Uuid,
    step: &str,
    outputs: &[(String, T)],
) -> Result<(), DbErr> {
    if outputs.is_empty() {
        return Ok(());
    }
    let hashes: Vec<String> = outputs.iter().map(|(h, _)| h.clone()).collect();
    let values: Vec<serde_json::Value> = outputs
        .iter()
        .map(|(_, o)| serde_json::to_value(o).map_err(|e| DbErr::Custom(e.to_string())))
        .collect::<Result<_, _>>()?;
    exec(
        db,
        "INSERT INTO step_cache (org_id, step, input_hash, output)
         SELECT $1, $2, h, o FROM unnest($3::text[], $4::jsonb[]) AS t(h, o)
         ON CONFLICT (org_id, step, input_hash) DO NOTHING",
        [org_id.into(), step.into(), hashes.into(), values.into()],
    )
    .await?;
    Ok(())
}
