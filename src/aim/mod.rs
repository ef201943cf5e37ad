//! AIM itself: the tools it offers the model, its system prompt, pending actions that staff
//! confirm, and the chat orchestrator that ties them together.

use std::num::NonZeroU32;
use std::sync::Arc;
use std::time::Duration;

use governor::clock::{Clock, DefaultClock};
use governor::{DefaultKeyedRateLimiter, Quota, RateLimiter};

use crate::config::{Config, WriteTools};
use crate::db::DbError;
use crate::domain::{ActionStatus, StaffUserId};
use crate::facility::{Facility, FacilityError};
use crate::llm::{LlmError, Provider};

pub mod actions;
pub mod alerts;
pub mod chat;
pub mod checks;
pub mod conversations;
pub mod engine;
pub mod idempotency;
pub mod prompt;
pub mod relay;
pub mod tools;
pub mod turns;
pub mod weather;

/// Limits of a chat turn.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChatSettings {
    /// `confirm`: write tools propose actions; `auto`: they act at once.
    pub writes: WriteTools,
    /// Model rounds that may call tools; one more, without tools, forces an answer.
    pub max_rounds: u32,
    /// Most earlier messages sent as history.
    pub history_messages: i64,
    /// Most characters of history sent (oldest turns are dropped first).
    pub history_chars: usize,
    /// Longest staff message accepted, in characters.
    pub max_message_chars: usize,
    /// Most tokens the model may write per call.
    pub max_tokens: u32,
    /// How long a proposed action waits for confirmation.
    pub action_ttl: Duration,
    /// Turns one staff user may start per minute.
    pub per_minute: u32,
}

impl Default for ChatSettings {
    fn default() -> Self {
        ChatSettings {
            writes: WriteTools::Confirm,
            max_rounds: 5,
            history_messages: 20,
            history_chars: 60_000,
            max_message_chars: 4_000,
            max_tokens: 2_048,
            action_ttl: Duration::from_secs(30 * 60),
            per_minute: 20,
        }
    }
}

impl ChatSettings {
    pub fn from_config(config: &Config) -> ChatSettings {
        ChatSettings {
            writes: config.write_tools,
            max_tokens: config.llm_max_tokens,
            per_minute: config.chat_per_minute,
            ..ChatSettings::default()
        }
    }
}

/// The assistant: chat turns and the actions they propose.
#[derive(Clone)]
pub struct Aim {
    facility: Facility,
    provider: Arc<dyn Provider>,
    settings: ChatSettings,
    /// Turns per staff user: each costs model calls, so one user can't crowd out the rest.
    turns: Arc<DefaultKeyedRateLimiter<StaffUserId>>,
    /// Run after AIM books something, so capacity and staffing alerts follow at once.
    alert_engine: Option<engine::AlertEngine>,
    /// Turns running now, so a staff user can stop one.
    running: turns::RunningTurns,
    /// The tasks of the turns, for a shutdown to wait until their answers are stored.
    tasks: tokio_util::task::TaskTracker,
}

impl Aim {
    pub fn new(facility: Facility, provider: Arc<dyn Provider>, settings: ChatSettings) -> Aim {
        let per_minute = NonZeroU32::new(settings.per_minute).unwrap_or(NonZeroU32::MIN);
        Aim {
            facility,
            provider,
            settings,
            turns: Arc::new(RateLimiter::keyed(Quota::per_minute(per_minute))),
            alert_engine: None,
            running: turns::RunningTurns::default(),
            tasks: tokio_util::task::TaskTracker::new(),
        }
    }

    /// Takes no more turns and waits until those running have stored their answers (or
    /// failed): the last step of a shutdown.
    pub async fn finish_turns(&self) {
        self.tasks.close();
        self.tasks.wait().await;
    }

    /// Runs `engine` (in the background) after each booking AIM makes.
    pub fn with_alert_engine(mut self, engine: engine::AlertEngine) -> Aim {
        self.alert_engine = Some(engine);
        self
    }

    /// A booking was made: bring the alerts up to date without holding up the answer.
    fn booked(&self) {
        if let Some(engine) = self.alert_engine.clone() {
            tokio::spawn(async move {
                if let Err(err) = engine.run(crate::domain::now()).await {
                    tracing::warn!(error = %err, "alert generation after a booking failed");
                }
            });
        }
    }

    /// Takes one turn from `staff`'s allowance, or says when the next one is free.
    fn take_turn(&self, staff: StaffUserId) -> AimResult<()> {
        self.turns.check_key(&staff).map_err(|not_until| {
            let wait = not_until.wait_time_from(DefaultClock::default().now());
            AimError::RateLimited {
                retry_after_secs: wait.as_secs_f64().ceil().max(1.0) as u64,
            }
        })
    }

    pub fn facility(&self) -> &Facility {
        &self.facility
    }

    pub fn settings(&self) -> ChatSettings {
        self.settings
    }

    /// The model id reported when a response does not name one.
    pub fn model(&self) -> &str {
        self.provider.model()
    }
}

/// Why a chat or action request failed. Tool failures are not here: they go back to the model.
#[derive(Debug, thiserror::Error)]
pub enum AimError {
    #[error("{field}: {message}")]
    InvalidInput {
        field: &'static str,
        message: String,
    },
    /// Missing, archived, or another staff user's: the same answer, so nothing is revealed.
    #[error("no conversation with id {0}")]
    ConversationNotFound(String),
    /// Missing or another staff user's.
    #[error("no action with id {0}")]
    ActionNotFound(String),
    #[error("the action is {status} and can no longer be {wanted}")]
    ActionNotPending {
        status: ActionStatus,
        wanted: &'static str,
    },
    /// The staff user has started too many turns in the last minute.
    #[error("too many messages in a short time; try again in {retry_after_secs} s")]
    RateLimited { retry_after_secs: u64 },
    /// A turn with the same idempotency key is still running, or failed after it had acted.
    #[error("{0}")]
    IdempotencyKeyInUse(String),
    /// The model failed after its retries; the staff message is on record.
    #[error("{}", .0.user_message())]
    Model(#[from] LlmError),
    /// A facility operation refused (its own code, status and field are kept).
    #[error(transparent)]
    Facility(FacilityError),
    #[error(transparent)]
    Db(#[from] DbError),
}

impl From<FacilityError> for AimError {
    fn from(err: FacilityError) -> Self {
        match err {
            FacilityError::Db(err) => AimError::Db(err),
            other => AimError::Facility(other),
        }
    }
}

impl AimError {
    /// A stable, machine-readable name of the error.
    pub fn code(&self) -> &'static str {
        match self {
            AimError::InvalidInput { .. } => "invalid_input",
            AimError::ConversationNotFound(_) | AimError::ActionNotFound(_) => "not_found",
            AimError::ActionNotPending { .. } => "action_not_pending",
            AimError::RateLimited { .. } => "rate_limited",
            AimError::IdempotencyKeyInUse(_) => "idempotency_key_in_use",
            AimError::Model(err) => err.code(),
            AimError::Facility(err) => err.code(),
            AimError::Db(_) => "internal",
        }
    }

    /// The input field at fault, when one is.
    pub fn field(&self) -> Option<&'static str> {
        match self {
            AimError::InvalidInput { field, .. } => Some(field),
            AimError::Facility(err) => err.field(),
            _ => None,
        }
    }
}

pub type AimResult<T> = Result<T, AimError>;
