//! The `aim` command line.

use std::time::Duration;

use chrono::Utc;
use clap::{Parser, Subcommand};

use crate::config::{Config, parse_duration};
use crate::facility::{demo, settings};
use crate::{Mode, StartError};

/// AIM, the AI Manager of Happy Tail Happy Dog.
#[derive(Debug, Parser)]
#[command(name = "aim", version, about)]
pub struct Cli {
    #[command(subcommand)]
    pub command: Command,
    #[command(flatten)]
    pub config: Config,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// Migrate the database and serve the API (address: --bind or AIM_BIND).
    Serve {
        /// Load the demo facility into an empty database, print a ready token and the
        /// playground URL; without AIM_JWT_SECRET, use a generated demo secret.
        #[arg(long)]
        demo: bool,
    },
    /// Apply the embedded database migrations.
    Migrate,
    /// Load data into the database.
    Seed {
        /// Load the demo facility (idempotent).
        #[arg(long, required = true)]
        demo: bool,
    },
    /// Print a signed staff token (for curl) and nothing else on stdout.
    Token {
        /// Email of an active staff user.
        #[arg(long)]
        email: String,
        /// Token lifetime, e.g. 30m or 8h (default: AIM_TOKEN_TTL).
        #[arg(long, value_parser = parse_duration)]
        ttl: Option<Duration>,
    },
    /// Print the GraphQL schema (SDL).
    Schema,
    /// Alerts: `aim alerts run` runs the checks once and prints what changed.
    Alerts {
        #[command(subcommand)]
        command: AlertsCommand,
    },
}

#[derive(Debug, clap::Subcommand)]
pub enum AlertsCommand {
    /// Run every check once, raise alerts for new issues, resolve those that cleared.
    Run,
}

/// Runs a parsed command line; `shutdown` ends `serve`.
pub async fn run(
    cli: Cli,
    shutdown: impl std::future::Future<Output = ()> + Send + 'static,
) -> Result<(), StartError> {
    let config = cli.config;
    match cli.command {
        Command::Serve { demo } => crate::serve(config, Mode { demo }, shutdown).await,
        Command::Migrate => {
            config.validate()?;
            crate::open_database(&config).await?;
            eprintln!("migrations applied");
            Ok(())
        }
        Command::Seed { demo: _ } => {
            config.validate()?;
            let db = crate::open_database(&config).await?;
            let settings = settings::apply_overrides(&db, &config).await?;
            let today = Utc::now().with_timezone(&settings.timezone).date_naive();
            match demo::seed(&db, today, settings.timezone).await? {
                demo::SeedOutcome::Loaded => eprintln!("demo facility loaded for {today}"),
                demo::SeedOutcome::AlreadyPresent => {
                    eprintln!("demo facility already present; nothing written")
                }
            }
            Ok(())
        }
        Command::Token { email, ttl } => {
            config.validate()?;
            let db = crate::open_database(&config).await?;
            let keys = crate::jwt_keys(&config, &db, crate::SecretSource::DemoStored).await?;
            let token =
                crate::issue_token(&db, &keys, &email, ttl.unwrap_or(config.token_ttl)).await?;
            println!("{}", token.token);
            Ok(())
        }
        Command::Schema => {
            print!("{}", crate::api::graphql::sdl());
            Ok(())
        }
        Command::Alerts {
            command: AlertsCommand::Run,
        } => {
            let engine = crate::alert_engine(&config).await?;
            let Some(report) = engine.run(crate::domain::now()).await? else {
                println!("another server is generating alerts right now; nothing done");
                return Ok(());
            };
            for alert in &report.created {
                println!(
                    "created  {:<8} {:<16} {}",
                    alert.severity.as_str(),
                    alert.kind.as_str(),
                    alert.title
                );
            }
            for alert in &report.resolved {
                println!(
                    "resolved {:<8} {:<16} {}",
                    alert.severity.as_str(),
                    alert.kind.as_str(),
                    alert.title
                );
            }
            println!(
                "{} created, {} resolved",
                report.created.len(),
                report.resolved.len()
            );
            Ok(())
        }
    }
}
