//! Building and running an instance: state, router, workers, shutdown.

use crate::auth::JwtVerifier;
use crate::config::Config;
use crate::crypto::{SecretBox, Signer};
use crate::events::EventHub;
use crate::lanes::Lanes;
use crate::state::{AppState, Inner};
use anyhow::Context as _;
use std::net::SocketAddr;
use tokio::net::TcpListener;

/// The state an instance shares, its pool split over `lanes` lanes.
pub async fn build_state(config: Config, lanes: usize) -> anyhow::Result<AppState> {
    let pool = crate::db::Db::connect_lanes(&config.database_url, config.db_pool_size, lanes).await?;
    crate::db::check_app_role(&pool).await?;
    let jwt = JwtVerifier::from_config(&config.jwt)?;
    let events = match &config.redis_url {
        Some(url) => EventHub::with_redis(url.expose())
            .await
            .context("cannot connect to REDIS_URL")?,
        None => EventHub::in_process(),
    };
    let secret_box = SecretBox::new(config.secret_key.expose());
    let url_signer = Signer::new(config.secret_key.expose(), "asset-url-v1");
    let (storage, fs_storage) = crate::storage::from_config(&config).await?;
    let text = crate::pipeline::text_provider(&config);
    let images = crate::images::provider_from_config(&config)?;
    let webhook_limiter = webhook_limiter(&config).await?;
    Ok(AppState::new(Inner {
        config,
        pool,
        jwt,
        events,
        users: Default::default(),
        entries: Default::default(),
        api_key_touches: Default::default(),
        metrics: Default::default(),
        secret_box,
        url_signer,
        storage,
        fs_storage,
        jobs: Default::default(),
        text,
        images,
        webhook_limiter,
    }))
}

async fn webhook_limiter(config: &Config) -> anyhow::Result<crate::leads::RateLimiter> {
    const PREFIX: &str = "campaign-studio:ratelimit:webhook";
    let (rate, burst) = (config.webhook_rate_per_second, config.webhook_burst);
    Ok(match &config.redis_url {
        Some(url) => crate::leads::RateLimiter::with_redis(url.expose(), PREFIX, rate, burst)
            .await
            .context("cannot connect to REDIS_URL")?,
        None => crate::leads::RateLimiter::in_process(PREFIX, rate, burst),
    })
}

/// A running HTTP server.
pub struct App {
    pub addr: SocketAddr,
    pub state: AppState,
    lanes: Lanes,
}

impl App {
    /// Binds `config.bind_addr` (port 0 picks a free port) and serves.
    pub async fn start(config: Config) -> anyhow::Result<App> {
        let listener = TcpListener::bind(config.bind_addr)
            .await
            .with_context(|| format!("cannot listen on {}", config.bind_addr))?;
        Self::start_on(listener, config).await
    }

    /// Serves on a listener the caller bound (tests bind first to learn the
    /// port), on `SERVER_THREADS` lanes (`lanes.rs`); lane 0 is the runtime
    /// this is called on.
    pub async fn start_on(listener: TcpListener, config: Config) -> anyhow::Result<App> {
        let addr = listener.local_addr()?;
        let lanes = config.server_threads.max(1);
        let state = build_state(config, lanes).await?;
        let router = crate::server::router(state.clone());
        let lanes = Lanes::start(listener, router, state.pool.lanes(), state.metrics.clone())
            .context("cannot start the server's threads")?;
        Ok(App { addr, state, lanes })
    }

    /// Stops taking connections and waits for those open to finish.
    pub async fn stop(mut self) {
        self.lanes.stop().await;
    }
}

/// How long stopping waits for workers to finish or hand back their step.
const SHUTDOWN_GRACE: std::time::Duration = std::time::Duration::from_secs(30);

/// `campaign-studio serve`: the API and `WORKERS` in-process workers, until
/// SIGINT/SIGTERM; then stops taking requests and drains the workers.
pub async fn serve(config: Config) -> anyhow::Result<()> {
    let workers = config.workers;
    let mut app = App::start(config).await?;
    let pool = crate::jobs::WorkerPool::start(&app.state, workers);
    let lanes = app.state.pool.lanes();
    tracing::info!(addr = %app.addr, workers, lanes, "listening; GraphQL at /graphql, subscriptions at /graphql/ws");
    shutdown_signal().await;
    tracing::info!("shutting down");
    app.lanes.stop().await;
    // The lanes' runtimes (and what the workers may use on them) live
    // until `app` is dropped, after the workers are done.
    pool.drain(SHUTDOWN_GRACE).await;
    drop(app);
    Ok(())
}

/// `campaign-studio worker`: workers only (`WORKERS`, at least 1), until
/// SIGINT/SIGTERM; then drains them.
pub async fn run_workers(config: Config) -> anyhow::Result<()> {
    let count = config.workers.max(1);
    let state = build_state(config, 1).await?;
    let pool = crate::jobs::WorkerPool::start(&state, count);
    tracing::info!(workers = count, "workers running");
    shutdown_signal().await;
    tracing::info!("draining workers");
    pool.drain(SHUTDOWN_GRACE).await;
    Ok(())
}

pub async fn shutdown_signal() {
    let ctrl_c = async {
        let _ = tokio::signal::ctrl_c().await;
    };
    #[cfg(unix)]
    let term = async {
        match tokio::signal::unix::signal(tokio::signal::unix::SignalKind::terminate()) {
            Ok(mut s) => {
                s.recv().await;
            }
            Err(_) => std::future::pending::<()>().await,
        }
    };
    #[cfg(not(unix))]
    let term = std::future::pending::<()>();
    tokio::select! {
        _ = ctrl_c => {},
        _ = term => {},
    }
}

/// `campaign-studio migrate`: migrations as the owner, then the grants of
/// the application role. Serialised by an advisory lock, so concurrent
/// deploys (or test processes) cannot interleave.
pub async fn migrate(owner: &crate::config::Secret, app: &crate::config::Secret) -> anyhow::Result<()> {
    use migration::{Migrator, MigratorTrait as _};
    use sea_orm::ConnectionTrait as _;
    let owner_role = crate::config::database_user(owner).context("MIGRATION_DATABASE_URL names no user")?;
    let app_role = crate::config::database_user(app).context("DATABASE_URL names no user")?;
    if owner_role == app_role {
        anyhow::bail!(
            "DATABASE_URL and MIGRATION_DATABASE_URL both use the role {app_role:?}: the server must not connect as the \
             owner of the tables (row-level security would be weaker); create a separate application role (see README)"
        );
    }
    let db = crate::db::connect_owner(owner).await?;
    db.execute_unprepared("SELECT pg_advisory_lock(7243901)").await?;
    let result = async {
        Migrator::up(&db, None).await.context("migration failed")?;
        migration::grant_app_role(&db, &app_role)
            .await
            .context("granting the application role failed")?;
        anyhow::Ok(())
    }
    .await;
    let _ = db.execute_unprepared("SELECT pg_advisory_unlock(7243901)").await;
    result
}
