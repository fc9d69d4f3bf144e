//! Configuration from environment variables (and `.env` in development).
//!
//! This is the only module that reads the environment. A missing or malformed
//! setting stops start-up with an error naming the variable.

use std::collections::HashMap;
use std::fmt;
use std::net::SocketAddr;
use std::path::PathBuf;
use std::time::Duration;

/// A string that never shows up in logs or `Debug` output.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("Secret(***)")
    }
}

#[derive(Debug, thiserror::Error)]
pub enum ConfigError {
    #[error("missing required setting {0}")]
    Missing(&'static str),
    #[error("invalid setting {name}: {reason}")]
    Invalid { name: &'static str, reason: String },
}

fn invalid(name: &'static str, reason: impl Into<String>) -> ConfigError {
    ConfigError::Invalid {
        name,
        reason: reason.into(),
    }
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum LogFormat {
    Json,
    Pretty,
}

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Environment {
    Development,
    Production,
}

#[derive(Clone, Debug)]
pub struct JwtConfig {
    pub secret: Option<Secret>,
    pub public_key_file: Option<PathBuf>,
    pub jwks_file: Option<PathBuf>,
    pub issuer: String,
    pub audience: String,
}

#[derive(Clone, Debug)]
pub enum StorageConfig {
    Fs { dir: PathBuf },
    S3(S3Config),
}

#[derive(Clone, Debug)]
pub struct S3Config {
    pub endpoint: Option<String>,
    pub region: String,
    pub bucket: String,
    pub force_path_style: bool,
    pub access_key_id: Option<String>,
    pub secret_access_key: Option<Secret>,
}

#[derive(Clone, Debug)]
pub struct LlmConfig {
    pub base_url: String,
    pub api_key: Option<Secret>,
    pub model: String,
    pub image_model: Option<String>,
    pub timeout: Duration,
    /// Attempts per request (429, 5xx and timeouts are retried with backoff).
    pub max_attempts: u32,
}

/// Everything the server, the workers and the commands need.
#[derive(Clone, Debug)]
pub struct Config {
    pub bind_addr: SocketAddr,
    pub database_url: Secret,
    pub migration_database_url: Option<Secret>,
    pub redis_url: Option<Secret>,
    pub jwt: JwtConfig,
    pub secret_key: Secret,
    pub storage: StorageConfig,
    pub llm: Option<LlmConfig>,
    pub workers: usize,
    pub public_base_url: String,
    pub log_format: LogFormat,
    pub environment: Environment,
    pub introspection: bool,
    pub db_pool_size: u32,
    /// `serve`'s runtimes, one thread each (`lanes.rs`); 0: one runtime
    /// with a worker thread per core instead.
    pub server_threads: usize,
    pub job_lease: Duration,
    /// How often an open WebSocket's credentials are checked again.
    pub ws_recheck: Duration,
    /// Browser origins allowed to call the API (CORS); empty: same origin only.
    pub cors_origins: Vec<String>,
    pub image_format: crate::images::OutputFormat,
    /// Lead webhooks are rate limited per source with a token bucket that
    /// refills at `WEBHOOK_RATE_PER_SECOND` tokens a second (default 10) and
    /// holds `WEBHOOK_BURST` tokens (default 50): a source may send a burst
    /// that size, then that rate. Shared through Redis when `REDIS_URL` is set.
    pub webhook_rate_per_second: f64,
    pub webhook_burst: u32,
}

/// A source of settings: the process environment, or a map in tests.
pub trait Source {
    fn get(&self, name: &str) -> Option<String>;
}

/// The process environment, after `.env` (if any) was loaded.
pub struct Env;

impl Source for Env {
    #[expect(clippy::disallowed_methods, reason = "the one place that reads the environment")]
    fn get(&self, name: &str) -> Option<String> {
        std::env::var(name).ok().filter(|v| !v.trim().is_empty())
    }
}

impl Source for HashMap<String, String> {
    fn get(&self, name: &str) -> Option<String> {
        HashMap::get(self, name).cloned().filter(|v| !v.trim().is_empty())
    }
}

/// Loads `.env` from the working directory if present (development).
pub fn load_dotenv() {
    let _ = dotenvy::dotenv();
}

fn parse_bool(name: &'static str, value: &str) -> Result<bool, ConfigError> {
    match value.trim().to_ascii_lowercase().as_str() {
        "1" | "true" | "yes" | "on" => Ok(true),
        "0" | "false" | "no" | "off" => Ok(false),
        other => Err(invalid(name, format!("expected true or false, got {other:?}"))),
    }
}

fn parse_num<T: std::str::FromStr>(name: &'static str, value: &str) -> Result<T, ConfigError> {
    value
        .trim()
        .parse()
        .map_err(|_| invalid(name, format!("expected a number, got {value:?}")))
}

fn postgres_url(name: &'static str, value: String) -> Result<Secret, ConfigError> {
    let url = url::Url::parse(&value).map_err(|e| invalid(name, e.to_string()))?;
    if !matches!(url.scheme(), "postgres" | "postgresql") {
        return Err(invalid(name, "expected a postgres:// URL"));
    }
    if url.username().is_empty() {
        return Err(invalid(name, "the URL must name the database user"));
    }
    Ok(Secret(value))
}

impl Config {
    /// Reads the server's configuration. `DATABASE_URL` and `SECRET_KEY` are
    /// required, and a JWT verification key (`JWT_SECRET`, or a public key
    /// or JWKS file).
    pub fn from_source(src: &dyn Source) -> Result<Self, ConfigError> {
        let bind_addr: SocketAddr = match src.get("BIND_ADDR") {
            Some(v) => v
                .parse()
                .map_err(|_| invalid("BIND_ADDR", format!("expected host:port, got {v:?}")))?,
            None => SocketAddr::from(([127, 0, 0, 1], 8080)),
        };
        let database_url = postgres_url(
            "DATABASE_URL",
            src.get("DATABASE_URL").ok_or(ConfigError::Missing("DATABASE_URL"))?,
        )?;
        let migration_database_url = src
            .get("MIGRATION_DATABASE_URL")
            .map(|v| postgres_url("MIGRATION_DATABASE_URL", v))
            .transpose()?;
        let redis_url = match src.get("REDIS_URL") {
            Some(v) => {
                let url = url::Url::parse(&v).map_err(|e| invalid("REDIS_URL", e.to_string()))?;
                if !matches!(url.scheme(), "redis" | "rediss") {
                    return Err(invalid("REDIS_URL", "expected a redis:// URL"));
                }
                Some(Secret(v))
            }
            None => None,
        };
        let jwt = jwt_config(src)?;
        let secret_key = Secret(src.get("SECRET_KEY").ok_or(ConfigError::Missing("SECRET_KEY"))?);
        if secret_key.expose().len() < 16 {
            return Err(invalid("SECRET_KEY", "must be at least 16 characters"));
        }
        let storage = match src.get("STORAGE").as_deref().unwrap_or("fs") {
            "fs" => StorageConfig::Fs {
                dir: PathBuf::from(src.get("STORAGE_DIR").unwrap_or_else(|| "./data/objects".into())),
            },
            "s3" => StorageConfig::S3(S3Config {
                endpoint: src.get("S3_ENDPOINT"),
                region: src.get("S3_REGION").unwrap_or_else(|| "us-east-1".into()),
                bucket: src.get("S3_BUCKET").ok_or(ConfigError::Missing("S3_BUCKET"))?,
                force_path_style: src
                    .get("S3_FORCE_PATH_STYLE")
                    .map(|v| parse_bool("S3_FORCE_PATH_STYLE", &v))
                    .transpose()?
                    .unwrap_or(false),
                access_key_id: src.get("AWS_ACCESS_KEY_ID"),
                secret_access_key: src.get("AWS_SECRET_ACCESS_KEY").map(Secret),
            }),
            other => return Err(invalid("STORAGE", format!("expected fs or s3, got {other:?}"))),
        };
        let llm = match src.get("LLM_BASE_URL") {
            Some(base_url) => {
                url::Url::parse(&base_url).map_err(|e| invalid("LLM_BASE_URL", e.to_string()))?;
                Some(LlmConfig {
                    base_url,
                    api_key: src.get("LLM_API_KEY").map(Secret),
                    model: src.get("LLM_MODEL").unwrap_or_else(|| "gpt-4o-mini".into()),
                    image_model: src.get("IMAGE_MODEL"),
                    max_attempts: src
                        .get("LLM_MAX_ATTEMPTS")
                        .map(|v| parse_num("LLM_MAX_ATTEMPTS", &v))
                        .transpose()?
                        .unwrap_or(4u32)
                        .max(1),
                    timeout: Duration::from_secs(
                        src.get("LLM_TIMEOUT_SECONDS")
                            .map(|v| parse_num("LLM_TIMEOUT_SECONDS", &v))
                            .transpose()?
                            .unwrap_or(60),
                    ),
                })
            }
            None => None,
        };
        let workers = src
            .get("WORKERS")
            .map(|v| parse_num("WORKERS", &v))
            .transpose()?
            .unwrap_or(2);
        let public_base_url = src
            .get("PUBLIC_BASE_URL")
            .unwrap_or_else(|| format!("http://{bind_addr}"))
            .trim_end_matches('/')
            .to_string();
        url::Url::parse(&public_base_url).map_err(|e| invalid("PUBLIC_BASE_URL", e.to_string()))?;
        let environment = match src.get("APP_ENV").as_deref().unwrap_or("development") {
            "development" | "dev" | "test" => Environment::Development,
            "production" | "prod" => Environment::Production,
            other => {
                return Err(invalid(
                    "APP_ENV",
                    format!("expected development or production, got {other:?}"),
                ));
            }
        };
        let log_format = match src.get("LOG_FORMAT").as_deref() {
            Some("json") => LogFormat::Json,
            Some("pretty") => LogFormat::Pretty,
            None if environment == Environment::Production => LogFormat::Json,
            None => LogFormat::Pretty,
            Some(other) => return Err(invalid("LOG_FORMAT", format!("expected json or pretty, got {other:?}"))),
        };
        let introspection = src
            .get("INTROSPECTION")
            .map(|v| parse_bool("INTROSPECTION", &v))
            .transpose()?
            .unwrap_or(true);
        let db_pool_size = src
            .get("DB_POOL_SIZE")
            .map(|v| parse_num("DB_POOL_SIZE", &v))
            .transpose()?
            .unwrap_or(16);
        if db_pool_size == 0 {
            return Err(invalid("DB_POOL_SIZE", "must be at least 1"));
        }
        let server_threads: usize = match src.get("SERVER_THREADS") {
            Some(v) => parse_num("SERVER_THREADS", &v)?,
            None => std::thread::available_parallelism().map_or(1, usize::from),
        };
        if server_threads > 1024 {
            return Err(invalid("SERVER_THREADS", "must be at most 1024"));
        }
        let job_lease = Duration::from_secs(
            src.get("JOB_LEASE_SECONDS")
                .map(|v| parse_num("JOB_LEASE_SECONDS", &v))
                .transpose()?
                .unwrap_or(30),
        );
        let ws_recheck = Duration::from_secs(
            src.get("WS_RECHECK_SECONDS")
                .map(|v| parse_num("WS_RECHECK_SECONDS", &v))
                .transpose()?
                .unwrap_or(30)
                .max(1),
        );
        let cors_origins: Vec<String> = src
            .get("CORS_ALLOWED_ORIGINS")
            .map(|v| {
                v.split(',')
                    .map(|o| o.trim().trim_end_matches('/').to_string())
                    .filter(|o| !o.is_empty())
                    .collect()
            })
            .unwrap_or_default();
        for o in &cors_origins {
            let u =
                url::Url::parse(o).map_err(|_| invalid("CORS_ALLOWED_ORIGINS", format!("{o:?} is not an origin")))?;
            if !matches!(u.scheme(), "http" | "https") || u.host_str().is_none() {
                return Err(invalid(
                    "CORS_ALLOWED_ORIGINS",
                    format!("{o:?} is not an http(s) origin"),
                ));
            }
        }
        let image_format = match src.get("IMAGE_FORMAT") {
            Some(v) => crate::images::OutputFormat::parse(&v).map_err(|reason| invalid("IMAGE_FORMAT", reason))?,
            None => crate::images::OutputFormat::default(),
        };
        let webhook_rate_per_second: f64 = src
            .get("WEBHOOK_RATE_PER_SECOND")
            .map(|v| parse_num("WEBHOOK_RATE_PER_SECOND", &v))
            .transpose()?
            .unwrap_or(10.0);
        if !(webhook_rate_per_second.is_finite() && webhook_rate_per_second > 0.0) {
            return Err(invalid("WEBHOOK_RATE_PER_SECOND", "must be a number above 0"));
        }
        let webhook_burst: u32 = src
            .get("WEBHOOK_BURST")
            .map(|v| parse_num("WEBHOOK_BURST", &v))
            .transpose()?
            .unwrap_or(50);
        if webhook_burst == 0 {
            return Err(invalid("WEBHOOK_BURST", "must be at least 1"));
        }
        Ok(Self {
            bind_addr,
            database_url,
            migration_database_url,
            redis_url,
            jwt,
            secret_key,
            storage,
            llm,
            workers,
            public_base_url,
            log_format,
            environment,
            introspection,
            db_pool_size,
            server_threads,
            job_lease,
            ws_recheck,
            cors_origins,
            image_format,
            webhook_rate_per_second,
            webhook_burst,
        })
    }

    pub fn from_env() -> Result<Self, ConfigError> {
        Self::from_source(&Env)
    }

    pub fn graphiql(&self) -> bool {
        self.environment == Environment::Development
    }
}

/// The user name in a Postgres URL (the role the connection acts as).
pub fn database_user(url: &Secret) -> Option<String> {
    url::Url::parse(url.expose())
        .ok()
        .map(|u| u.username().to_string())
        .filter(|u| !u.is_empty())
}

/// The JWT settings alone (the `token` command needs nothing else).
pub fn jwt_config(src: &dyn Source) -> Result<JwtConfig, ConfigError> {
    let jwt = JwtConfig {
        secret: src.get("JWT_SECRET").map(Secret),
        public_key_file: src.get("JWT_PUBLIC_KEY_FILE").map(PathBuf::from),
        jwks_file: src.get("JWT_JWKS_FILE").map(PathBuf::from),
        issuer: src.get("JWT_ISSUER").unwrap_or_else(|| "campaign-studio".into()),
        audience: src.get("JWT_AUDIENCE").unwrap_or_else(|| "campaign-studio".into()),
    };
    if jwt.secret.is_none() && jwt.public_key_file.is_none() && jwt.jwks_file.is_none() {
        return Err(ConfigError::Missing("JWT_SECRET"));
    }
    if let Some(secret) = &jwt.secret
        && secret.expose().len() < 16
    {
        return Err(invalid("JWT_SECRET", "must be at least 16 characters"));
    }
    Ok(jwt)
}

/// What `migrate` needs: the owner's URL and the application role's URL.
pub fn migrate_urls(src: &dyn Source) -> Result<(Secret, Secret), ConfigError> {
    let owner = postgres_url(
        "MIGRATION_DATABASE_URL",
        src.get("MIGRATION_DATABASE_URL")
            .ok_or(ConfigError::Missing("MIGRATION_DATABASE_URL"))?,
    )?;
    let app = postgres_url(
        "DATABASE_URL",
        src.get("DATABASE_URL").ok_or(ConfigError::Missing("DATABASE_URL"))?,
    )?;
    Ok((owner, app))
}

/// The application role's URL alone (`seed`, `credits verify`).
pub fn database_url(src: &dyn Source) -> Result<Secret, ConfigError> {
    postgres_url(
        "DATABASE_URL",
        src.get("DATABASE_URL").ok_or(ConfigError::Missing("DATABASE_URL"))?,
    )
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::collections::HashMap;

    /// The settings every configuration needs, and `extra`.
    pub(crate) fn config(extra: &[(&str, &str)]) -> Result<Config, ConfigError> {
        let env: HashMap<String, String> = [
            ("DATABASE_URL", "postgres://app@localhost/cs"),
            ("SECRET_KEY", "0123456789abcdef0123"),
            ("JWT_SECRET", "0123456789abcdef0123"),
        ]
        .into_iter()
        .chain(extra.iter().copied())
        .map(|(k, v)| (k.to_string(), v.to_string()))
        .collect();
        Config::from_source(&env)
    }

    #[test]
    fn server_threads_default_to_one_per_core_and_are_checked() {
        let cores = std::thread::available_parallelism().map_or(1, usize::from);
        assert_eq!(config(&[]).unwrap().server_threads, cores);
        assert_eq!(config(&[("SERVER_THREADS", "0")]).unwrap().server_threads, 0);
        assert_eq!(config(&[("SERVER_THREADS", " 3 ")]).unwrap().server_threads, 3);
        for bad in ["-1", "two", "1025"] {
            let err = config(&[("SERVER_THREADS", bad)]).unwrap_err().to_string();
            assert!(err.contains("SERVER_THREADS"), "{bad}: {err}");
        }
    }
}
