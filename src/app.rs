//! Start-up: configuration → database → migrations → settings → keys → router, and serving
//! with graceful shutdown.

use std::future::Future;
use std::net::SocketAddr;
use std::sync::Arc;

use axum::Router;
use chrono::Utc;
use rand::distr::{Alphanumeric, SampleString};
use tokio::net::TcpListener;

use crate::aim::alerts::AlertService;
use crate::aim::checks::Thresholds;
use crate::aim::engine::AlertEngine;
use crate::aim::weather::{WeatherClient, WeatherConfig, WeatherThresholds};
use crate::aim::{Aim, ChatSettings};
use crate::api::{self, AppState};
use crate::auth::{AuthService, IssuedToken, JwtKeys};
use crate::config::{Config, ConfigError, Secret};
use crate::db::{self, Db, DbError};
use crate::events::EventBroker;
use crate::facility::Facility;
use crate::facility::demo::{self, SeedError, SeedOutcome};
use crate::facility::settings::{self, FacilitySettings, SettingsError};
use crate::facility::sms::SmsService;
use crate::telemetry;

/// Name under which the generated demo signing secret is stored.
const DEMO_SECRET_NAME: &str = "demo_jwt_secret";

#[derive(Debug, thiserror::Error)]
pub enum StartError {
    #[error("configuration: {0}")]
    Config(#[from] ConfigError),
    #[error("database {url}: {source}")]
    Database { url: String, source: DbError },
    /// A failure once the database is open (its URL was named when opening it).
    #[error("database: {0}")]
    Db(#[from] DbError),
    #[error(transparent)]
    Settings(#[from] SettingsError),
    #[error("demo data: {0}")]
    Seed(#[from] SeedError),
    #[error("cannot listen on {addr}: {source}")]
    Bind {
        addr: SocketAddr,
        source: std::io::Error,
    },
    #[error("server: {0}")]
    Serve(std::io::Error),
    #[error("no active staff user with email `{0}`")]
    UnknownStaff(String),
    #[error("alerts: {0}")]
    Alerts(#[from] crate::aim::engine::EngineError),
    #[error("could not sign token: {0}")]
    Token(String),
    #[error("{0}")]
    Facility(#[from] crate::facility::FacilityError),
    /// The command was used wrongly (no terminal to prompt on, passwords that differ).
    #[error("{0}")]
    Usage(String),
}

impl StartError {
    /// The process's exit code: 1 for a failure, 2 for bad usage, 3 when a value that must be
    /// unique is taken, 4 when what was named does not exist, 5 for input refused.
    pub fn exit_code(&self) -> u8 {
        match self {
            StartError::Usage(_) => 2,
            StartError::UnknownStaff(_) => 4,
            StartError::Facility(err) => match err.code() {
                "already_exists" => 3,
                "not_found" => 4,
                "invalid_input" => 5,
                _ => 1,
            },
            _ => 1,
        }
    }
}

/// How `build_app` prepares the server.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Mode {
    /// Load the demo facility into an empty database and allow a generated signing secret.
    pub demo: bool,
}

/// A ready server: state and router, not yet listening.
pub struct App {
    pub state: AppState,
    pub settings: FacilitySettings,
    /// With `--demo`: whether demo data was loaded now.
    pub seeded: Option<SeedOutcome>,
}

/// Opens and migrates the database named by the configuration.
pub async fn open_database(config: &Config) -> Result<Db, StartError> {
    let wrap = |source| StartError::Database {
        url: db::redact_url(&config.database_url),
        source,
    };
    let db = Db::connect_with(&config.database_url, config.db_acquire_timeout)
        .await
        .map_err(wrap)?;
    db.migrate().await.map_err(wrap)?;
    Ok(db)
}

/// Where the token signing secret may come from when `AIM_JWT_SECRET` is not set.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SecretSource {
    /// Nowhere: the secret is required (`aim serve`).
    Required,
    /// A secret generated once and stored with the demo database (`aim serve --demo`).
    DemoGenerated,
    /// A demo secret stored earlier, if any (`aim token`, so it agrees with the demo server).
    DemoStored,
}

/// The signing keys: `AIM_JWT_SECRET`, else what `source` allows.
pub async fn jwt_keys(
    config: &Config,
    db: &Db,
    source: SecretSource,
) -> Result<JwtKeys, StartError> {
    let keys = |secret: &Secret| {
        JwtKeys::new(
            secret,
            &config.jwt_issuer,
            &config.jwt_audience,
            config.token_ttl,
        )
    };
    if let Some(secret) = &config.jwt_secret {
        return Ok(keys(secret));
    }
    let stored = match source {
        SecretSource::Required => None,
        SecretSource::DemoGenerated => {
            let fresh = Alphanumeric.sample_string(&mut rand::rng(), 48);
            let mut conn = db.conn().await?;
            let secret = db::settings::secret_or_insert(
                &mut conn,
                DEMO_SECRET_NAME,
                &fresh,
                crate::domain::now(),
            )
            .await?;
            tracing::warn!(
                "AIM_JWT_SECRET is not set: using the demo signing secret stored in the database. \
                 Anyone who can read the database can mint tokens. Never run a real facility like this."
            );
            Some(secret)
        }
        SecretSource::DemoStored => {
            db::settings::secret(&mut db.conn().await?, DEMO_SECRET_NAME).await?
        }
    };
    stored
        .map(|s| keys(&Secret::new(s)))
        .ok_or(StartError::Config(ConfigError::MissingJwtSecret))
}

/// Everything `serve` needs, built from the configuration.
pub async fn build_app(config: &Config, mode: Mode) -> Result<App, StartError> {
    config.validate()?;
    if !mode.demo && config.jwt_secret.is_none() {
        return Err(ConfigError::MissingJwtSecret.into());
    }
    let db = open_database(config).await?;
    let settings = settings::apply_overrides(&db, config).await?;
    let seeded = if mode.demo {
        Some(seed_if_empty(&db, &settings).await?)
    } else {
        None
    };
    let source = if mode.demo {
        SecretSource::DemoGenerated
    } else {
        SecretSource::Required
    };
    let keys = jwt_keys(config, &db, source).await?;
    let auth = AuthService::new(db.clone(), keys);
    let alerts = AlertService::start(db.clone(), EventBroker::default()).await?;
    let facility = facility(config, &db, settings);
    let thresholds = Thresholds::load(&db).await?;
    let engine = engine(config, facility.clone(), alerts.clone(), thresholds);
    let provider = crate::llm::from_config(config);
    announce_model(config, provider.model());
    let aim = Aim::new(
        facility.clone(),
        provider,
        ChatSettings::from_config(config),
    )
    .with_alert_engine(engine.clone());
    // The services resolvers call; the caller and the DataLoaders come with each request.
    let mut schema = api::graphql::schema_builder()
        .data(db.clone())
        .data(facility.clone())
        .data(aim.clone())
        .data(alerts.clone());
    if !config.graphql_introspection {
        schema = schema.disable_introspection();
    }
    let schema = schema.finish();
    let state = AppState::new(api::Services {
        config: Arc::new(config.clone()),
        db,
        auth,
        facility,
        aim,
        alerts,
        engine,
        schema,
        metrics: telemetry::metrics_handle(),
        stopping: tokio_util::sync::CancellationToken::new(),
        sockets: tokio_util::task::TaskTracker::new(),
    });
    Ok(App {
        state,
        settings,
        seeded,
    })
}

/// The facility's services on `db`: SMS through Twilio when configured, else recorded only.
fn facility(config: &Config, db: &Db, settings: FacilitySettings) -> Facility {
    let sms = SmsService::from_config(db.clone(), config);
    if sms.is_dry_run() {
        tracing::info!("Twilio is not configured: SMS are recorded in the outbox, not sent");
    }
    Facility::new(db.clone(), settings, sms)
}

/// The alert generator alone, for `aim alerts run` (no signing secret needed).
pub async fn alert_engine(config: &Config) -> Result<AlertEngine, StartError> {
    config.validate()?;
    let db = open_database(config).await?;
    let settings = settings::apply_overrides(&db, config).await?;
    let facility = facility(config, &db, settings);
    let thresholds = Thresholds::load(&db).await?;
    let alerts = AlertService::start(db, EventBroker::default()).await?;
    Ok(engine(config, facility, alerts, thresholds))
}

/// The alert generator, with the weather check when `AIM_WEATHER_URL` is set.
fn engine(
    config: &Config,
    facility: Facility,
    alerts: AlertService,
    thresholds: Thresholds,
) -> AlertEngine {
    let engine = AlertEngine::new(facility, alerts, thresholds);
    match WeatherConfig::from_config(config) {
        Some(weather) => {
            tracing::info!(
                url = %weather.base_url,
                latitude = weather.latitude,
                longitude = weather.longitude,
                "weather check on"
            );
            engine.with_weather(WeatherClient::new(weather), WeatherThresholds::default())
        }
        None => {
            tracing::info!("AIM_WEATHER_URL is not set: the weather check is off");
            engine
        }
    }
}

/// Logs which model answers chat, and warns loudly when Anthropic has retired it.
fn announce_model(config: &Config, model: &str) {
    let kind = config.llm_kind();
    tracing::info!(provider = ?kind, model, "chat model");
    if kind != crate::config::LlmKind::Offline
        && let Some(warning) =
            crate::llm::models::retirement_warning(model, Utc::now().date_naive())
    {
        tracing::warn!("AIM_MODEL={model}: {warning}");
    }
}

/// Loads the demo facility when the database has no staff yet.
async fn seed_if_empty(db: &Db, settings: &FacilitySettings) -> Result<SeedOutcome, StartError> {
    let count = db::staff::count(&mut db.conn().await?).await?;
    if count > 0 {
        return Ok(SeedOutcome::AlreadyPresent);
    }
    let today = Utc::now().with_timezone(&settings.timezone).date_naive();
    Ok(demo::seed(db, today, settings.timezone).await?)
}

impl App {
    pub fn router(&self) -> Router {
        api::router(self.state.clone())
    }

    /// [`App::router`] with `extra` routes behind the same middleware.
    pub fn router_with(&self, extra: Router<AppState>) -> Router {
        api::router_with(self.state.clone(), extra)
    }

    /// A token for the staff user with `email`, as `aim token` prints it.
    pub async fn token_for(
        &self,
        email: &str,
        ttl: std::time::Duration,
    ) -> Result<IssuedToken, StartError> {
        issue_token(&self.state.db, self.state.auth.keys(), email, ttl).await
    }

    /// Serves on `listener` until `shutdown` completes, then stops taking connections and
    /// drains: requests in flight are answered, WebSockets are closed with 1001 (going away),
    /// and chat turns still running (a closed subscription stops its turn) store their
    /// answers — for at most `AIM_SHUTDOWN_GRACE`, after which it returns anyway.
    pub async fn serve_on(
        self,
        listener: TcpListener,
        shutdown: impl Future<Output = ()> + Send + 'static,
    ) -> Result<(), StartError> {
        let router = self.router();
        let state = self.state;
        let interval = state.config.alert_interval;
        let scheduler = (!interval.is_zero()).then(|| state.engine.clone().spawn(interval));
        let stopping = state.stopping.clone();
        let signal = async move {
            shutdown.await;
            tracing::info!("shutting down: answering requests in flight, closing WebSockets");
            stopping.cancel();
        };
        let served = axum::serve(listener, router).with_graceful_shutdown(signal);
        let grace = state.config.shutdown_grace;
        let drained = async {
            let served = served.await;
            state.sockets.close();
            state.sockets.wait().await;
            state.aim.finish_turns().await;
            served
        };
        let out_of_time = async {
            state.stopping.cancelled().await;
            tokio::time::sleep(grace).await;
        };
        let served = tokio::select! {
            served = drained => served.map_err(StartError::Serve),
            () = out_of_time => {
                tracing::warn!(grace = ?grace, "shutdown grace over: leaving what is still running");
                Ok(())
            }
        };
        if let Some(scheduler) = scheduler {
            scheduler.abort();
        }
        served?;
        state.db.close().await;
        tracing::info!("stopped");
        Ok(())
    }
}

/// Signs a token for an active staff user found by email.
pub async fn issue_token(
    db: &Db,
    keys: &JwtKeys,
    email: &str,
    ttl: std::time::Duration,
) -> Result<IssuedToken, StartError> {
    let staff = db::staff::find_by_email(&mut db.conn().await?, email).await?;
    match staff {
        Some(s) if s.active => keys
            .issue_for(s.id, s.role, ttl)
            .map_err(|e| StartError::Token(e.to_string())),
        _ => Err(StartError::UnknownStaff(email.to_owned())),
    }
}

/// Builds the app, listens on the configured address and serves until `shutdown`.
pub async fn serve(
    config: Config,
    mode: Mode,
    shutdown: impl Future<Output = ()> + Send + 'static,
) -> Result<(), StartError> {
    let app = build_app(&config, mode).await?;
    let listener = TcpListener::bind(config.bind)
        .await
        .map_err(|source| StartError::Bind {
            addr: config.bind,
            source,
        })?;
    let addr = listener.local_addr().map_err(StartError::Serve)?;
    tracing::info!(%addr, backend = ?app.state.db.backend(), "AIM listening");
    if !app.state.facility.has_active_admin().await? {
        tracing::warn!(
            "no active admin can sign in: create one with `aim staff add --email you@example.com --name \"Your Name\" --role admin`"
        );
    }
    if mode.demo {
        announce_demo(&app, addr).await?;
    } else {
        // The one line a supervisor (or a test) reads to learn the address of `--bind …:0`.
        println!("AIM is running on http://{addr}");
    }
    app.serve_on(listener, shutdown).await
}

async fn announce_demo(app: &App, addr: SocketAddr) -> Result<(), StartError> {
    let token = app
        .token_for(demo::DEMO_MANAGER_EMAIL, app.state.auth.keys().ttl())
        .await?;
    if app.seeded == Some(SeedOutcome::Loaded) {
        println!("Loaded the demo facility (Happy Tail Happy Dog).");
    }
    println!("AIM is running on http://{addr}");
    println!("  GraphQL:     http://{addr}/graphql");
    println!(
        "  Playground:  http://{addr}/playground (chat console: /playground/chat, front desk: /playground/desk)"
    );
    println!(
        "  Demo login:  {} / {}",
        demo::DEMO_MANAGER_EMAIL,
        demo::DEMO_PASSWORD
    );
    println!(
        "  Token ({}, valid until {}):",
        demo::DEMO_MANAGER_EMAIL,
        token.expires_at.to_rfc3339()
    );
    println!("{}", token.token);
    Ok(())
}
