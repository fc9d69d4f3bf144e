//! `campaign-studio`: the command-line entry point.

use api::config::{self, Config, Env};
use std::process::ExitCode;

// glibc's malloc showed as ~20% of the server's CPU on nested pages (many
// small values built and freed per request, arena locks shared between
// worker threads); mimalloc's per-thread free lists cut that.
#[global_allocator]
static GLOBAL: mimalloc::MiMalloc = mimalloc::MiMalloc;

const USAGE: &str = "usage: campaign-studio <command>

commands:
  serve                      API, GraphQL, WebSocket and in-process workers (WORKERS)
  worker                     job workers only
  migrate                    apply migrations as MIGRATION_DATABASE_URL, grant the DATABASE_URL role
  seed [--orgs N] [--campaigns M] | seed --demo [--print-org]
                             deterministic benchmark data (100 x 200) or the demo org
  export-schema              print the GraphQL SDL
  token --email E [--platform-admin] [--ttl SECONDS]
                             print a signed dev JWT
  credits verify             check every org's ledger against its balance

Configuration comes from the environment (and .env); see README.";

fn flag_value(args: &[String], name: &str) -> Option<String> {
    args.iter()
        .position(|a| a == name)
        .and_then(|i| args.get(i + 1))
        .cloned()
}

fn main() -> ExitCode {
    config::load_dotenv();
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(command) = args.first().cloned() else {
        eprintln!("{USAGE}");
        return ExitCode::from(2);
    };
    // `serve` on lanes (SERVER_THREADS > 0): this thread is lane 0, with a
    // single-threaded runtime; the others start their own (`lanes.rs`).
    // Settings that do not parse fail in `run`, with their message.
    let serve_config = (command == "serve").then(Config::from_env);
    let lanes = matches!(&serve_config, Some(Ok(c)) if c.server_threads > 0);
    let mut builder = if lanes {
        tokio::runtime::Builder::new_current_thread()
    } else {
        tokio::runtime::Builder::new_multi_thread()
    };
    let runtime = match builder.enable_all().build() {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("cannot start the runtime: {e}");
            return ExitCode::FAILURE;
        }
    };
    let result = runtime.block_on(run(&command, &args[1..], serve_config));
    match result {
        Ok(code) => code,
        Err(e) => {
            eprintln!("error: {e:#}");
            ExitCode::FAILURE
        }
    }
}

/// `serve_config`: `serve`'s settings, read once (before the runtime, which
/// they choose).
async fn run(
    command: &str,
    args: &[String],
    serve_config: Option<Result<Config, config::ConfigError>>,
) -> anyhow::Result<ExitCode> {
    match command {
        "serve" => {
            let config = serve_config.unwrap_or_else(Config::from_env)?;
            api::telemetry::init(config.log_format);
            api::startup::serve(config).await?;
        }
        "worker" => {
            let config = Config::from_env()?;
            api::telemetry::init(config.log_format);
            api::startup::run_workers(config).await?;
        }
        "migrate" => {
            api::telemetry::init(config::LogFormat::Pretty);
            let (owner, app) = config::migrate_urls(&Env)?;
            api::startup::migrate(&owner, &app).await?;
            println!("migrations applied; privileges granted");
        }
        "seed" => {
            api::telemetry::init(config::LogFormat::Pretty);
            let url = config::database_url(&Env)?;
            if args.iter().any(|a| a == "--demo") {
                let org = api::seed::demo(&url).await?;
                if args.iter().any(|a| a == "--print-org") {
                    println!("{org}");
                } else {
                    println!(
                        "demo org {org}; sign in as {} (campaign-studio token --email {})",
                        api::seed::DEMO_EMAIL,
                        api::seed::DEMO_EMAIL
                    );
                }
            } else {
                let orgs = flag_value(args, "--orgs")
                    .map(|v| v.parse())
                    .transpose()?
                    .unwrap_or(100);
                let campaigns = flag_value(args, "--campaigns")
                    .map(|v| v.parse())
                    .transpose()?
                    .unwrap_or(200);
                println!("{}", api::seed::run(&url, orgs, campaigns).await?);
            }
        }
        "export-schema" => {
            print!("{}", api::graphql::sdl());
        }
        "token" => {
            let email = flag_value(args, "--email").ok_or_else(|| anyhow::anyhow!("token needs --email"))?;
            let ttl: i64 = flag_value(args, "--ttl")
                .map(|v| v.parse())
                .transpose()?
                .unwrap_or(12 * 3600);
            let admin = args.iter().any(|a| a == "--platform-admin");
            let verifier = api::auth::JwtVerifier::from_config(&config::jwt_config(&Env)?)?;
            let claims = verifier.dev_claims(&email, admin, ttl);
            println!("{}", verifier.sign(&claims)?);
        }
        "credits" if args.first().map(String::as_str) == Some("verify") => {
            let url = config::database_url(&Env)?;
            let problems = api::repo::ledger::verify_all(&url).await?;
            if problems.is_empty() {
                println!("every ledger reconciles");
            } else {
                for p in &problems {
                    println!("{p}");
                }
                return Ok(ExitCode::FAILURE);
            }
        }
        "help" | "--help" | "-h" => println!("{USAGE}"),
        other => {
            eprintln!("unknown command {other:?}\n\n{USAGE}");
            return Ok(ExitCode::from(2));
        }
    }
    Ok(ExitCode::SUCCESS)
}
