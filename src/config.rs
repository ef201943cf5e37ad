//! Configuration: every setting comes from the environment (or the matching flag), is parsed and
//! validated once at start-up, and secrets never reach a log line.

use std::fmt;
use std::net::SocketAddr;
use std::str::FromStr;
use std::time::Duration;

use chrono_tz::Tz;

/// A secret value (signing key, API key): printed as `***` by `Debug` and `Display`.
#[derive(Clone, PartialEq, Eq)]
pub struct Secret(String);

impl Secret {
    pub fn new(value: impl Into<String>) -> Self {
        Self(value.into())
    }

    /// The secret itself, for the one place that needs it.
    pub fn expose(&self) -> &str {
        &self.0
    }
}

impl fmt::Debug for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl fmt::Display for Secret {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str("***")
    }
}

impl FromStr for Secret {
    type Err = std::convert::Infallible;
    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Ok(Self(s.to_owned()))
    }
}

/// Which language-model provider answers chat turns.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum LlmKind {
    /// The Anthropic Messages API.
    Anthropic,
    /// Any OpenAI-compatible chat-completions server (vLLM, Ollama, llama.cpp).
    Openai,
    /// No network: rule-based tool selection over the real facility data.
    Offline,
}

/// Whether write tools (`create_booking`, `send_sms_to_customer`) wait for staff confirmation.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum WriteTools {
    /// Write tools become pending actions a staff user confirms or cancels.
    Confirm,
    /// Write tools execute at once.
    Auto,
}

/// Log line format.
#[derive(Clone, Copy, Debug, PartialEq, Eq, clap::ValueEnum)]
pub enum LogFormat {
    Text,
    Json,
}

/// Parses `5m`, `8h`, `30s` (and `0` for "off").
pub fn parse_duration(s: &str) -> Result<Duration, String> {
    if s.trim() == "0" {
        return Ok(Duration::ZERO);
    }
    humantime::parse_duration(s.trim())
        .map_err(|e| format!("`{s}` is not a duration like 30s, 5m or 8h: {e}"))
}

fn parse_positive_duration(s: &str) -> Result<Duration, String> {
    match parse_duration(s)? {
        Duration::ZERO => Err(format!("`{s}` must be longer than zero")),
        d => Ok(d),
    }
}

fn parse_tz(s: &str) -> Result<Tz, String> {
    s.parse::<Tz>()
        .map_err(|_| format!("`{s}` is not an IANA time zone such as America/New_York"))
}

fn parse_positive(s: &str) -> Result<u32, String> {
    match s.trim().parse::<u32>() {
        Ok(n) if n > 0 => Ok(n),
        _ => Err(format!("`{s}` is not a whole number greater than zero")),
    }
}

/// The server's settings. Each field reads the environment variable named in its `env`.
#[derive(Clone, Debug, clap::Args)]
pub struct Config {
    /// Database: `sqlite://PATH` (created if missing) or `postgres://…`.
    #[arg(
        long,
        env = "DATABASE_URL",
        default_value = "sqlite://aim.db",
        global = true,
        hide_env_values = true
    )]
    pub database_url: String,

    /// Listen address of `aim serve`.
    #[arg(
        long,
        env = "AIM_BIND",
        default_value = "127.0.0.1:8080",
        global = true
    )]
    pub bind: SocketAddr,

    /// HS256 signing secret for staff tokens, at least 32 bytes.
    #[arg(long, env = "AIM_JWT_SECRET", global = true, hide_env_values = true)]
    pub jwt_secret: Option<Secret>,

    /// Issuer claim written into and required of staff tokens.
    #[arg(long, env = "AIM_JWT_ISSUER", default_value = "aim", global = true)]
    pub jwt_issuer: String,

    /// Audience claim written into and required of staff tokens.
    #[arg(
        long,
        env = "AIM_JWT_AUDIENCE",
        default_value = "aim-admin",
        global = true
    )]
    pub jwt_audience: String,

    /// Lifetime of tokens issued by login.
    #[arg(long, env = "AIM_TOKEN_TTL", default_value = "8h", value_parser = parse_duration, global = true)]
    pub token_ttl: Duration,

    /// Language-model provider; defaults to `anthropic` when ANTHROPIC_API_KEY is set, else `offline`.
    #[arg(long, env = "AIM_LLM", value_enum, global = true)]
    pub llm: Option<LlmKind>,

    /// Anthropic API key.
    #[arg(long, env = "ANTHROPIC_API_KEY", global = true, hide_env_values = true)]
    pub anthropic_api_key: Option<Secret>,

    /// Anthropic API base URL.
    #[arg(
        long,
        env = "ANTHROPIC_BASE_URL",
        default_value = "https://api.anthropic.com",
        global = true
    )]
    pub anthropic_base_url: String,

    /// Model id sent to the provider.
    #[arg(
        long,
        env = "AIM_MODEL",
        default_value = "claude-sonnet-5-5",
        global = true
    )]
    pub model: String,

    /// Longest wait for one model request, answer included; each retry waits as long again.
    /// A stuck provider then fails the turn with a clear message instead of holding it.
    #[arg(long, env = "AIM_LLM_TIMEOUT", default_value = "60s", value_parser = parse_positive_duration, global = true)]
    pub llm_timeout: Duration,

    /// Retries of a model request that failed in a passing way (overloaded, rate limited,
    /// server error, connection lost); other failures are never retried.
    #[arg(long, env = "AIM_LLM_MAX_RETRIES", default_value_t = 2, global = true)]
    pub llm_max_retries: u32,

    /// Most tokens the model may write in one answer; bounds cost and time per round.
    #[arg(long, env = "AIM_LLM_MAX_TOKENS", default_value_t = 2048, value_parser = parse_positive, global = true)]
    pub llm_max_tokens: u32,

    /// API key of the OpenAI-compatible server (optional for local servers).
    #[arg(long, env = "OPENAI_API_KEY", global = true, hide_env_values = true)]
    pub openai_api_key: Option<Secret>,

    /// Base URL of the OpenAI-compatible server, e.g. http://127.0.0.1:11434/v1.
    #[arg(long, env = "OPENAI_BASE_URL", global = true)]
    pub openai_base_url: Option<String>,

    /// Twilio account SID; SMS are only recorded (dry run) unless all three Twilio settings are set.
    #[arg(long, env = "TWILIO_ACCOUNT_SID", global = true)]
    pub twilio_account_sid: Option<String>,

    /// Twilio auth token.
    #[arg(long, env = "TWILIO_AUTH_TOKEN", global = true, hide_env_values = true)]
    pub twilio_auth_token: Option<Secret>,

    /// Sender number for SMS, E.164.
    #[arg(long, env = "TWILIO_FROM_NUMBER", global = true)]
    pub twilio_from_number: Option<String>,

    /// Twilio API base URL.
    #[arg(
        long,
        env = "TWILIO_BASE_URL",
        default_value = "https://api.twilio.com",
        global = true
    )]
    pub twilio_base_url: String,

    /// `confirm`: bookings and SMS proposed by AIM wait for staff confirmation; `auto`: run at once.
    #[arg(
        long,
        env = "AIM_WRITE_TOOLS",
        value_enum,
        default_value = "confirm",
        global = true
    )]
    pub write_tools: WriteTools,

    /// Alert generation period; `0` disables the scheduler.
    #[arg(long, env = "AIM_ALERT_INTERVAL", default_value = "5m", value_parser = parse_duration, global = true)]
    pub alert_interval: Duration,

    /// Base URL of an Open-Meteo-compatible forecast API (e.g. `https://api.open-meteo.com`);
    /// unset, the weather check is off. Needs AIM_WEATHER_LATITUDE and AIM_WEATHER_LONGITUDE.
    #[arg(long, env = "AIM_WEATHER_URL", global = true)]
    pub weather_url: Option<String>,

    /// The facility's latitude in decimal degrees (-90 to 90), for the weather forecast.
    #[arg(
        long,
        env = "AIM_WEATHER_LATITUDE",
        global = true,
        allow_negative_numbers = true
    )]
    pub weather_latitude: Option<f64>,

    /// The facility's longitude in decimal degrees (-180 to 180), for the weather forecast.
    #[arg(
        long,
        env = "AIM_WEATHER_LONGITUDE",
        global = true,
        allow_negative_numbers = true
    )]
    pub weather_longitude: Option<f64>,

    /// Facility capacity in dogs (stored in the database; this overrides it at start-up).
    #[arg(long, env = "AIM_FACILITY_CAPACITY", value_parser = parse_positive, global = true)]
    pub facility_capacity: Option<u32>,

    /// Dogs per staff member on duty above which staffing is short (stored in the database).
    #[arg(long, env = "AIM_STAFF_RATIO", value_parser = parse_positive, global = true)]
    pub staff_ratio: Option<u32>,

    /// Facility time zone (stored in the database).
    #[arg(long, env = "AIM_TIMEZONE", value_parser = parse_tz, global = true)]
    pub timezone: Option<Tz>,

    /// Longest time a request may take before the server answers 408.
    #[arg(long, env = "AIM_REQUEST_TIMEOUT", default_value = "180s", value_parser = parse_duration, global = true)]
    pub request_timeout: Duration,

    /// Longest wait for a free database connection before a request is answered 503.
    #[arg(long, env = "AIM_DB_ACQUIRE_TIMEOUT", default_value = "5s", value_parser = parse_duration, global = true)]
    pub db_acquire_timeout: Duration,

    /// How long a GraphQL WebSocket may stay open without a `connection_init`.
    #[arg(long, env = "AIM_WS_INIT_TIMEOUT", default_value = "10s", value_parser = parse_positive_duration, global = true)]
    pub ws_init_timeout: Duration,

    /// How long `serve` waits, once told to stop (SIGTERM, Ctrl-C), for requests, chat turns
    /// and WebSockets in progress to finish before it exits anyway.
    #[arg(long, env = "AIM_SHUTDOWN_GRACE", default_value = "30s", value_parser = parse_duration, global = true)]
    pub shutdown_grace: Duration,

    /// Largest accepted request body in bytes.
    #[arg(long, env = "AIM_MAX_BODY_BYTES", default_value_t = 1024 * 1024, global = true)]
    pub max_body_bytes: usize,

    /// Chat turns one staff user may start per minute (a burst of as many is allowed).
    #[arg(long, env = "AIM_CHAT_PER_MINUTE", default_value = "20", value_parser = parse_positive, global = true)]
    pub chat_per_minute: u32,

    /// Whether GraphQL answers introspection queries (the playground needs them; turn off in
    /// production if clients don't).
    #[arg(long, env = "AIM_GRAPHQL_INTROSPECTION", default_value_t = true, action = clap::ArgAction::Set, global = true)]
    pub graphql_introspection: bool,

    /// Browser origins allowed to call the API (comma-separated, e.g.
    /// `https://admin.happytail.example`); none by default.
    #[arg(long, env = "AIM_CORS_ORIGINS", value_delimiter = ',', global = true)]
    pub cors_origins: Vec<String>,

    /// Log format (`text` or `json`); the filter is RUST_LOG (default `info`).
    #[arg(
        long,
        env = "AIM_LOG_FORMAT",
        value_enum,
        default_value = "text",
        global = true
    )]
    pub log_format: LogFormat,
}

/// A setting that is present but unusable.
#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum ConfigError {
    #[error(
        "AIM_JWT_SECRET is required: set it to a random string of at least 32 bytes (e.g. `openssl rand -hex 32`), or run `aim serve --demo`"
    )]
    MissingJwtSecret,
    #[error("AIM_JWT_SECRET must be at least 32 bytes long (it is {0})")]
    ShortJwtSecret(usize),
    #[error("AIM_LLM=anthropic needs ANTHROPIC_API_KEY")]
    MissingAnthropicKey,
    #[error("AIM_LLM=openai needs OPENAI_BASE_URL (e.g. http://127.0.0.1:11434/v1)")]
    MissingOpenaiBaseUrl,
    #[error("{name} must be an http(s) URL, got `{value}`")]
    BadUrl { name: &'static str, value: String },
    #[error(
        "Twilio is partly configured: set all of TWILIO_ACCOUNT_SID, TWILIO_AUTH_TOKEN and TWILIO_FROM_NUMBER, or none (dry run)"
    )]
    PartialTwilio,
    #[error("AIM_JWT_ISSUER and AIM_JWT_AUDIENCE must not be empty")]
    EmptyClaim,
    #[error(
        "AIM_CORS_ORIGINS: `{0}` is not an origin such as https://admin.example.com (scheme and host, no path)"
    )]
    BadCorsOrigin(String),
    #[error(
        "{0} is required when AIM_WEATHER_URL is set: the facility's position in decimal degrees"
    )]
    MissingWeatherCoordinate(&'static str),
    #[error("{name} must be between -{limit} and {limit} degrees, got {value}")]
    WeatherCoordinateOutOfRange {
        name: &'static str,
        value: String,
        limit: u16,
    },
    #[error("AIM_MAX_BODY_BYTES must be at least 1024")]
    TinyBodyLimit,
    #[error(
        "{0} must be printable ASCII without spaces (a stray newline or quote from copying it?)"
    )]
    BadApiKey(&'static str),
}

/// How long to wait for a model provider to accept a connection: a provider that can't be
/// reached in this time is down, and the retries try again.
pub const LLM_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);

/// The minimum length of the token signing secret.
pub const MIN_JWT_SECRET_BYTES: usize = 32;

impl Config {
    /// The provider that answers chat: explicit `AIM_LLM`, else Anthropic when a key is set.
    pub fn llm_kind(&self) -> LlmKind {
        self.llm.unwrap_or(if self.anthropic_api_key.is_some() {
            LlmKind::Anthropic
        } else {
            LlmKind::Offline
        })
    }

    /// Twilio credentials when SMS are really sent; `None` means dry run.
    pub fn twilio(&self) -> Option<(&str, &Secret, &str)> {
        match (
            &self.twilio_account_sid,
            &self.twilio_auth_token,
            &self.twilio_from_number,
        ) {
            (Some(sid), Some(token), Some(from)) => Some((sid, token, from)),
            _ => None,
        }
    }

    /// Checks what parsing alone can't: combinations and lengths. A missing JWT secret is
    /// checked where it is needed (see [`crate::auth::JwtKeys`]), since demo mode supplies one.
    pub fn validate(&self) -> Result<(), ConfigError> {
        if let Some(secret) = &self.jwt_secret {
            let len = secret.expose().len();
            if len < MIN_JWT_SECRET_BYTES {
                return Err(ConfigError::ShortJwtSecret(len));
            }
        }
        if self.jwt_issuer.trim().is_empty() || self.jwt_audience.trim().is_empty() {
            return Err(ConfigError::EmptyClaim);
        }
        match self.llm_kind() {
            LlmKind::Anthropic if self.anthropic_api_key.is_none() => {
                return Err(ConfigError::MissingAnthropicKey);
            }
            LlmKind::Openai if self.openai_base_url.is_none() => {
                return Err(ConfigError::MissingOpenaiBaseUrl);
            }
            _ => {}
        }
        check_url("ANTHROPIC_BASE_URL", &self.anthropic_base_url)?;
        check_url("TWILIO_BASE_URL", &self.twilio_base_url)?;
        if let Some(url) = &self.openai_base_url {
            check_url("OPENAI_BASE_URL", url)?;
        }
        self.validate_weather()?;
        let twilio_parts = [
            self.twilio_account_sid.is_some(),
            self.twilio_auth_token.is_some(),
            self.twilio_from_number.is_some(),
        ];
        if twilio_parts.iter().any(|&p| p) && !twilio_parts.iter().all(|&p| p) {
            return Err(ConfigError::PartialTwilio);
        }
        for (name, key) in [
            ("ANTHROPIC_API_KEY", &self.anthropic_api_key),
            ("OPENAI_API_KEY", &self.openai_api_key),
        ] {
            if let Some(key) = key {
                check_api_key(name, key)?;
            }
        }
        for origin in &self.cors_origins {
            let origin = origin.trim();
            if origin.parse::<axum::http::HeaderValue>().is_err()
                || !(origin.starts_with("http://") || origin.starts_with("https://"))
                || origin.trim_end_matches('/').matches('/').count() != 2
            {
                return Err(ConfigError::BadCorsOrigin(origin.to_owned()));
            }
        }
        if self.max_body_bytes < 1024 {
            return Err(ConfigError::TinyBodyLimit);
        }
        Ok(())
    }

    /// The weather provider's settings: a URL needs both coordinates, and coordinates must be
    /// on the globe (set without a URL they are checked too, and unused).
    fn validate_weather(&self) -> Result<(), ConfigError> {
        let coordinates = [
            ("AIM_WEATHER_LATITUDE", self.weather_latitude, 90),
            ("AIM_WEATHER_LONGITUDE", self.weather_longitude, 180),
        ];
        for (name, value, limit) in coordinates {
            let max = f64::from(limit);
            match value {
                None if self.weather_url.is_some() => {
                    return Err(ConfigError::MissingWeatherCoordinate(name));
                }
                Some(value) if !(-max..=max).contains(&value) => {
                    return Err(ConfigError::WeatherCoordinateOutOfRange {
                        name,
                        value: value.to_string(),
                        limit,
                    });
                }
                _ => {}
            }
        }
        if let Some(url) = &self.weather_url {
            check_url("AIM_WEATHER_URL", url)?;
        }
        Ok(())
    }

    /// Settings for tests and embedding: every default, the given database, no environment.
    pub fn for_database(database_url: impl Into<String>) -> Self {
        #[derive(clap::Parser)]
        struct Defaults {
            #[command(flatten)]
            config: Config,
        }
        let mut config = <Defaults as clap::Parser>::try_parse_from(["aim"])
            .map(|d| d.config)
            .unwrap_or_else(|e| panic!("default configuration must parse: {e}"));
        config.database_url = database_url.into();
        config
    }
}

/// API keys travel in an HTTP header, which can't carry control characters, and a key with
/// a space or quote in it was pasted wrong; saying so at start-up beats a failed chat later.
fn check_api_key(name: &'static str, key: &Secret) -> Result<(), ConfigError> {
    let value = key.expose();
    if !value.is_empty() && value.bytes().all(|b| b.is_ascii_graphic() && b != b'"') {
        Ok(())
    } else {
        Err(ConfigError::BadApiKey(name))
    }
}

fn check_url(name: &'static str, value: &str) -> Result<(), ConfigError> {
    if value.starts_with("http://") || value.starts_with("https://") {
        Ok(())
    } else {
        Err(ConfigError::BadUrl {
            name,
            value: value.to_owned(),
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn secrets_never_print() {
        let mut config = Config::for_database("sqlite::memory:");
        config.jwt_secret = Some(Secret::new("a-very-secret-signing-key-of-32-bytes!"));
        config.anthropic_api_key = Some(Secret::new("sk-ant-secret"));
        let shown = format!("{config:?}");
        assert!(!shown.contains("a-very-secret"), "{shown}");
        assert!(!shown.contains("sk-ant-secret"), "{shown}");
        assert!(shown.contains("***"));
    }

    #[test]
    fn short_secret_and_partial_twilio_are_refused() {
        let mut config = Config::for_database("sqlite::memory:");
        config.jwt_secret = Some(Secret::new("short"));
        assert_eq!(config.validate(), Err(ConfigError::ShortJwtSecret(5)));
        config.jwt_secret = None;
        config.twilio_account_sid = Some("AC123".into());
        assert_eq!(config.validate(), Err(ConfigError::PartialTwilio));
    }

    #[test]
    fn llm_defaults_follow_the_anthropic_key() {
        let mut config = Config::for_database("sqlite::memory:");
        assert_eq!(config.llm_kind(), LlmKind::Offline);
        config.anthropic_api_key = Some(Secret::new("sk"));
        assert_eq!(config.llm_kind(), LlmKind::Anthropic);
        config.llm = Some(LlmKind::Openai);
        assert_eq!(config.validate(), Err(ConfigError::MissingOpenaiBaseUrl));
    }

    #[test]
    fn model_calls_default_to_a_minute_two_retries_and_2048_tokens() {
        let config = Config::for_database("sqlite::memory:");
        assert_eq!(config.llm_timeout, Duration::from_secs(60));
        assert_eq!(config.llm_max_retries, 2);
        assert_eq!(config.llm_max_tokens, 2048);
        assert!(parse_positive_duration("0").is_err());
        assert_eq!(parse_positive_duration("90s"), Ok(Duration::from_secs(90)));
    }

    #[test]
    fn an_api_key_with_a_newline_is_refused() {
        let mut config = Config::for_database("sqlite::memory:");
        config.anthropic_api_key = Some(Secret::new("sk-ant-123\n"));
        assert_eq!(
            config.validate(),
            Err(ConfigError::BadApiKey("ANTHROPIC_API_KEY"))
        );
        config.anthropic_api_key = Some(Secret::new("sk-ant-api03-AbC_d-123"));
        assert_eq!(config.validate(), Ok(()));
    }

    #[test]
    fn weather_is_off_by_default_and_needs_both_coordinates_on_the_globe() {
        let mut config = Config::for_database("sqlite::memory:");
        assert_eq!(config.weather_url, None);
        assert_eq!(config.validate(), Ok(()));
        config.weather_url = Some("https://api.open-meteo.com".into());
        assert_eq!(
            config.validate(),
            Err(ConfigError::MissingWeatherCoordinate(
                "AIM_WEATHER_LATITUDE"
            ))
        );
        config.weather_latitude = Some(40.71);
        let err = config.validate().unwrap_err();
        assert_eq!(
            err,
            ConfigError::MissingWeatherCoordinate("AIM_WEATHER_LONGITUDE")
        );
        assert!(err.to_string().contains("AIM_WEATHER_URL"), "{err}");
        config.weather_longitude = Some(-74.01);
        assert_eq!(config.validate(), Ok(()));
        config.weather_latitude = Some(90.5);
        let err = config.validate().unwrap_err();
        assert!(
            err.to_string()
                .starts_with("AIM_WEATHER_LATITUDE must be between -90 and 90"),
            "{err}"
        );
        config.weather_latitude = Some(f64::NAN);
        assert!(config.validate().is_err(), "NaN is nowhere");
        config.weather_latitude = Some(-90.0);
        config.weather_longitude = Some(-180.5);
        let err = config.validate().unwrap_err();
        assert!(err.to_string().contains("AIM_WEATHER_LONGITUDE"), "{err}");
        config.weather_longitude = Some(180.0);
        config.weather_url = Some("api.open-meteo.com".into());
        assert!(matches!(
            config.validate(),
            Err(ConfigError::BadUrl {
                name: "AIM_WEATHER_URL",
                ..
            })
        ));
    }

    #[test]
    fn weather_settings_come_from_the_environment_names() {
        #[derive(clap::Parser)]
        struct Cli {
            #[command(flatten)]
            config: Config,
        }
        let cli = <Cli as clap::Parser>::try_parse_from([
            "aim",
            "--weather-url",
            "http://127.0.0.1:9",
            "--weather-latitude",
            "-33.87",
            "--weather-longitude",
            "151.21",
        ])
        .unwrap();
        assert_eq!(cli.config.weather_latitude, Some(-33.87));
        assert_eq!(cli.config.weather_longitude, Some(151.21));
        assert_eq!(cli.config.validate(), Ok(()));
    }

    #[test]
    fn durations_parse_with_zero_as_off() {
        assert_eq!(parse_duration("0"), Ok(Duration::ZERO));
        assert_eq!(parse_duration("5m"), Ok(Duration::from_secs(300)));
        assert!(parse_duration("soon").is_err());
    }
}
