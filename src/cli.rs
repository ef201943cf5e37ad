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
    /// Print the GraphQL schema (SDL), or with `--tools` the tool definitions the model sees
    /// (JSON: name, description, input_schema).
    Schema {
        /// Print the tool definitions instead of the GraphQL schema.
        #[arg(long)]
        tools: bool,
    },
    /// Staff accounts: `add`, `list`, `passwd`, `deactivate`. Exit codes: 0 done, 1 failed,
    /// 2 bad usage, 3 the email is already taken, 4 no staff user with that email, 5 input
    /// refused (a short password, a bad email).
    Staff {
        #[command(subcommand)]
        command: StaffCommand,
    },
    /// Alerts: `aim alerts run` runs the checks once and prints what changed.
    Alerts {
        #[command(subcommand)]
        command: AlertsCommand,
    },
}

#[derive(Debug, clap::Subcommand)]
pub enum StaffCommand {
    /// Add a staff account (the first admin of a new facility, for one). Prompts for the
    /// password on a terminal, without echo.
    Add {
        #[arg(long)]
        email: String,
        /// Full name, as colleagues see it.
        #[arg(long)]
        name: String,
        #[arg(long, value_parser = ["staff", "manager", "admin"])]
        role: String,
        /// Read the password from the first line of standard input instead of prompting.
        #[arg(long)]
        password_stdin: bool,
    },
    /// List every staff account.
    List,
    /// Set a staff user's password.
    Passwd {
        #[arg(long)]
        email: String,
        /// Read the password from the first line of standard input instead of prompting.
        #[arg(long)]
        password_stdin: bool,
    },
    /// Deactivate a staff account: no more sign-ins, and its tokens stop working.
    Deactivate {
        #[arg(long)]
        email: String,
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
        Command::Schema { tools: false } => {
            print!("{}", crate::api::graphql::sdl());
            Ok(())
        }
        Command::Schema { tools: true } => {
            let tools = crate::aim::tools::definitions();
            let json = serde_json::to_string_pretty(&*tools).expect("tool definitions are JSON");
            println!("{json}");
            Ok(())
        }
        Command::Staff { command } => staff(&config, command).await,
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

/// The facility's services on the configured database, for a command of the CLI.
async fn facility(config: &Config) -> Result<crate::facility::Facility, StartError> {
    config.validate()?;
    let db = crate::open_database(config).await?;
    let settings = settings::apply_overrides(&db, config).await?;
    let sms = crate::facility::sms::SmsService::from_config(db.clone(), config);
    Ok(crate::facility::Facility::new(db, settings, sms))
}

/// The password of `aim staff add|passwd`: the first line of standard input, or typed twice
/// at a prompt without echo.
fn read_password(from_stdin: bool) -> Result<String, StartError> {
    use std::io::{BufRead, IsTerminal};
    if from_stdin {
        let mut line = String::new();
        std::io::stdin()
            .lock()
            .read_line(&mut line)
            .map_err(|err| StartError::Usage(format!("cannot read the password: {err}")))?;
        return Ok(line.trim_end_matches(['\n', '\r']).to_owned());
    }
    if !std::io::stdin().is_terminal() {
        return Err(StartError::Usage(
            "no terminal to ask for the password on: pass it on standard input with --password-stdin"
                .into(),
        ));
    }
    let prompt = |text: &str| {
        rpassword::prompt_password(text)
            .map_err(|err| StartError::Usage(format!("cannot read the password: {err}")))
    };
    let first = prompt("Password (at least 12 characters): ")?;
    let again = prompt("The same password again: ")?;
    if first != again {
        return Err(StartError::Usage(
            "the two passwords differ; nothing changed".into(),
        ));
    }
    Ok(first)
}

async fn staff(config: &Config, command: StaffCommand) -> Result<(), StartError> {
    use crate::facility::Author;
    use crate::facility::staff::NewStaff;
    let now = crate::domain::now();
    let author = Author::cli();
    match command {
        StaffCommand::Add {
            email,
            name,
            role,
            password_stdin,
        } => {
            let role = role
                .parse()
                .map_err(|err: crate::domain::UnknownVariant| StartError::Usage(err.to_string()))?;
            let password = read_password(password_stdin)?;
            let facility = facility(config).await?;
            let new = NewStaff {
                email,
                name,
                role,
                password,
            };
            let user = facility.add_staff(&author, &new, now).await?;
            eprintln!("added {} ({}, {})", user.email, user.name, user.role);
            Ok(())
        }
        StaffCommand::List => {
            let facility = facility(config).await?;
            for user in facility.staff_users(&author).await? {
                println!(
                    "{:<36} {:<8} {:<8} {}",
                    user.email,
                    user.role.as_str(),
                    if user.active { "active" } else { "inactive" },
                    user.name
                );
            }
            Ok(())
        }
        StaffCommand::Passwd {
            email,
            password_stdin,
        } => {
            let password = read_password(password_stdin)?;
            let facility = facility(config).await?;
            let user = facility
                .set_staff_password(&author, &email, &password, now)
                .await?;
            eprintln!("password of {} changed", user.email);
            Ok(())
        }
        StaffCommand::Deactivate { email } => {
            let facility = facility(config).await?;
            let user = facility.deactivate_staff(&author, &email, now).await?;
            eprintln!("{} deactivated", user.email);
            Ok(())
        }
    }
}
