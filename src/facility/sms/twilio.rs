//! The Twilio Messages API (`POST /2010-04-01/Accounts/{sid}/Messages.json`), hand-written on
//! reqwest: one form post per message, retried only when Twilio answers 429, and Twilio's
//! answers and errors read into the outcome the outbox records.

use std::time::Duration;

use futures::future::BoxFuture;
use reqwest::StatusCode;
use reqwest::header::RETRY_AFTER;
use serde::Deserialize;

use super::{Outcome, SmsProvider};
use crate::config::{Config, Secret};
use crate::domain::SmsStatus;

/// The longest wait between two attempts, whatever the backoff or a `Retry-After` asks for:
/// the send runs inside a chat turn that a staff member is waiting on.
pub const MAX_RETRY_DELAY: Duration = Duration::from_secs(30);

/// How to reach the Twilio Messages API.
#[derive(Clone, Debug)]
pub struct TwilioConfig {
    pub account_sid: String,
    pub auth_token: Secret,
    /// The sender, E.164 (`+15550100000`).
    pub from_number: String,
    /// `https://api.twilio.com`, or a compatible server.
    pub base_url: String,
    /// Further attempts after a 429 (Twilio's "too many requests"). Other failures are not
    /// retried: Twilio may already have accepted the message, and a retry could text the
    /// customer twice.
    pub max_retries: u32,
    /// The first backoff delay; it doubles with each retry, up to [`MAX_RETRY_DELAY`].
    pub retry_base: Duration,
    /// How long one request may take before the send counts as failed.
    pub request_timeout: Duration,
}

impl TwilioConfig {
    /// The configured account, or `None` (dry run) unless SID, token and sender are all set.
    pub fn from_config(config: &Config) -> Option<TwilioConfig> {
        let (sid, token, from) = config.twilio()?;
        Some(TwilioConfig {
            account_sid: sid.to_owned(),
            auth_token: token.clone(),
            from_number: from.to_owned(),
            base_url: config.twilio_base_url.clone(),
            max_retries: 2,
            retry_base: Duration::from_millis(500),
            request_timeout: Duration::from_secs(15),
        })
    }

    fn messages_url(&self) -> String {
        format!(
            "{}/2010-04-01/Accounts/{}/Messages.json",
            self.base_url.trim_end_matches('/'),
            self.account_sid
        )
    }

    /// The wait before retry number `attempt + 1`: the server's `Retry-After` when it gave one,
    /// else `retry_base * 2^attempt`; never more than [`MAX_RETRY_DELAY`].
    fn backoff(&self, attempt: u32, retry_after: Option<Duration>) -> Duration {
        retry_after
            .unwrap_or_else(|| self.retry_base.saturating_mul(2u32.saturating_pow(attempt)))
            .min(MAX_RETRY_DELAY)
    }
}

/// The configured Twilio account with its HTTP client.
pub(super) struct Twilio {
    config: TwilioConfig,
    client: reqwest::Client,
}

impl SmsProvider for Twilio {
    fn is_dry_run(&self) -> bool {
        false
    }

    fn send<'a>(&'a self, to: &'a str, body: &'a str) -> BoxFuture<'a, Option<Outcome>> {
        Box::pin(async move { Some(self.post(to, body).await) })
    }
}

impl Twilio {
    pub(super) fn new(config: TwilioConfig) -> Twilio {
        let client = crate::http::client(Duration::from_secs(5), config.request_timeout);
        Twilio { config, client }
    }

    /// Posts the message, retrying only on 429.
    async fn post(&self, to: &str, body: &str) -> Outcome {
        let config = &self.config;
        let url = config.messages_url();
        let mut attempt = 0u32;
        loop {
            let attempts = attempt + 1;
            let response = match self
                .client
                .post(&url)
                .basic_auth(&config.account_sid, Some(config.auth_token.expose()))
                .form(&[("To", to), ("From", &config.from_number), ("Body", body)])
                .send()
                .await
            {
                Ok(response) => response,
                Err(err) => {
                    return Outcome::failed(
                        transport_error(&err, config.request_timeout),
                        attempts,
                    );
                }
            };
            let status = response.status();
            if status.is_success() {
                return match response.bytes().await {
                    Ok(bytes) => accepted(status, &bytes, attempts),
                    // Twilio has the message: reading its answer failed, not the send.
                    Err(err) => {
                        tracing::warn!(%status, error = %err, "Twilio accepted an SMS but its answer could not be read");
                        Outcome {
                            status: SmsStatus::Sent,
                            sid: None,
                            error: None,
                            attempts,
                        }
                    }
                };
            }
            let retry_after = response
                .headers()
                .get(RETRY_AFTER)
                .and_then(|v| v.to_str().ok())
                .and_then(|v| v.trim().parse::<u64>().ok())
                .map(Duration::from_secs);
            // A body that cannot be read still leaves the status line to report.
            let bytes = response.bytes().await.unwrap_or_default();
            let reason = twilio_error_text(status, &bytes);
            if status != StatusCode::TOO_MANY_REQUESTS {
                return Outcome::failed(reason, attempts);
            }
            if attempt >= config.max_retries {
                return Outcome::failed(
                    format!("{reason} (gave up after {attempts} attempts)"),
                    attempts,
                );
            }
            let delay = config.backoff(attempt, retry_after);
            tracing::warn!(
                attempt = attempts,
                delay_ms = delay.as_millis() as u64,
                "Twilio is rate limiting (429); retrying"
            );
            tokio::time::sleep(delay).await;
            attempt += 1;
        }
    }
}

/// The parts of Twilio's message resource AIM reads.
#[derive(Deserialize)]
struct TwilioMessage {
    sid: Option<String>,
    status: Option<String>,
    error_code: Option<i64>,
    error_message: Option<String>,
}

/// Twilio's error body (`{"code": 21211, "message": "…", "more_info": "…", "status": 400}`).
#[derive(Deserialize)]
struct TwilioError {
    code: Option<i64>,
    message: Option<String>,
}

/// Reads the SID and state of an accepted message. A 2xx whose body is not a message resource
/// still means Twilio took the message: it counts as sent, without a provider id. Twilio
/// reporting the message itself as failed (rare at this point) is recorded as a failure.
fn accepted(status: StatusCode, bytes: &[u8], attempts: u32) -> Outcome {
    let Ok(message) = serde_json::from_slice::<TwilioMessage>(bytes) else {
        tracing::warn!(%status, "Twilio accepted an SMS but its answer is not a message resource");
        return Outcome {
            status: SmsStatus::Sent,
            sid: None,
            error: None,
            attempts,
        };
    };
    let (status, error) = match message.status.as_deref() {
        Some("delivered") => (SmsStatus::Delivered, None),
        Some(state @ ("failed" | "undelivered")) => {
            let detail = match (message.error_code, message.error_message) {
                (Some(code), Some(text)) => format!(" ({code}): {text}"),
                (Some(code), None) => format!(" ({code})"),
                (None, Some(text)) => format!(": {text}"),
                (None, None) => String::new(),
            };
            (
                SmsStatus::Failed,
                Some(format!("Twilio reports the message as {state}{detail}")),
            )
        }
        _ => (SmsStatus::Sent, None),
    };
    Outcome {
        status,
        sid: message.sid,
        error,
        attempts,
    }
}

/// `Twilio 400 (21211): The 'To' number … is not a valid phone number.` from Twilio's error
/// body, or `Twilio 503 Service Unavailable` when the body says nothing usable.
fn twilio_error_text(status: StatusCode, bytes: &[u8]) -> String {
    let parsed = serde_json::from_slice::<TwilioError>(bytes).ok();
    let code = parsed.as_ref().and_then(|e| e.code);
    let message = parsed
        .and_then(|e| e.message)
        .map(|m| m.trim().to_owned())
        .filter(|m| !m.is_empty());
    match (code, message) {
        (Some(code), Some(message)) => format!("Twilio {} ({code}): {message}", status.as_u16()),
        (None, Some(message)) => format!("Twilio {}: {message}", status.as_u16()),
        (Some(code), None) => format!("Twilio {status} ({code})"),
        (None, None) => format!("Twilio {status}"),
    }
}

/// Why a request did not get an answer, with the underlying cause (refused, reset, DNS…) and
/// without the URL, which names the account.
fn transport_error(err: &reqwest::Error, timeout: Duration) -> String {
    if err.is_timeout() {
        return format!(
            "Twilio did not answer within {} seconds",
            timeout.as_secs_f64()
        );
    }
    let mut text = String::from("could not reach Twilio");
    let mut source = std::error::Error::source(err);
    while let Some(cause) = source {
        text.push_str(": ");
        text.push_str(&cause.to_string());
        source = cause.source();
    }
    text
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn backoff_doubles_honours_retry_after_and_is_capped() {
        let config = TwilioConfig {
            account_sid: "AC1".into(),
            auth_token: Secret::new("t"),
            from_number: "+15550100000".into(),
            base_url: "https://api.twilio.com/".into(),
            max_retries: 2,
            retry_base: Duration::from_millis(500),
            request_timeout: Duration::from_secs(15),
        };
        assert_eq!(config.backoff(0, None), Duration::from_millis(500));
        assert_eq!(config.backoff(2, None), Duration::from_secs(2));
        assert_eq!(config.backoff(20, None), MAX_RETRY_DELAY);
        assert_eq!(
            config.backoff(0, Some(Duration::from_secs(3))),
            Duration::from_secs(3)
        );
        assert_eq!(
            config.backoff(0, Some(Duration::from_secs(3600))),
            MAX_RETRY_DELAY
        );
        assert_eq!(
            config.messages_url(),
            "https://api.twilio.com/2010-04-01/Accounts/AC1/Messages.json"
        );
    }

    #[test]
    fn twilio_errors_read_code_and_message_or_fall_back_to_the_status() {
        let body = br#"{"code": 21211, "message": "The 'To' number +15550000000 is not a valid phone number.", "more_info": "https://www.twilio.com/docs/errors/21211", "status": 400}"#;
        assert_eq!(
            twilio_error_text(StatusCode::BAD_REQUEST, body),
            "Twilio 400 (21211): The 'To' number +15550000000 is not a valid phone number."
        );
        assert_eq!(
            twilio_error_text(StatusCode::SERVICE_UNAVAILABLE, b"<html>down</html>"),
            "Twilio 503 Service Unavailable"
        );
    }
}
