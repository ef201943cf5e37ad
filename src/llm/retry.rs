//! Retries of model requests, the way the official Anthropic SDKs retry: overload, rate limits,
//! server errors and lost connections are usually over within seconds, so a chat turn should
//! wait them out a couple of times instead of failing; a bad request fails the same way every
//! time, so it is never repeated.

use std::future::Future;
use std::time::Duration;

use chrono::{DateTime, Utc};
use reqwest::StatusCode;
use reqwest::header::HeaderMap;

use super::LlmError;

/// How often and how long to wait before repeating a failed model request.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct RetryPolicy {
    /// Attempts after the first one.
    pub max_retries: u32,
    /// The wait before the first retry; it doubles with each further retry.
    pub initial_backoff: Duration,
    /// The longest computed backoff.
    pub max_backoff: Duration,
    /// The longest server-requested wait (`retry-after`) that is obeyed; a longer one is
    /// treated as absent, because no staff member waits that long for an answer.
    pub max_retry_after: Duration,
}

impl Default for RetryPolicy {
    /// The official SDKs' values: 2 retries, 0.5 s doubling up to 8 s, `retry-after` up to 60 s.
    fn default() -> Self {
        RetryPolicy {
            max_retries: 2,
            initial_backoff: Duration::from_millis(500),
            max_backoff: Duration::from_secs(8),
            max_retry_after: Duration::from_secs(60),
        }
    }
}

impl RetryPolicy {
    /// The default policy with `max_retries` retries.
    pub fn with_max_retries(max_retries: u32) -> Self {
        RetryPolicy {
            max_retries,
            ..RetryPolicy::default()
        }
    }

    /// The wait before retry number `retry + 1` (`retry` counts the retries already made):
    /// what the server asked for in `headers` when that is reasonable, else jittered backoff.
    pub fn delay(&self, retry: u32, headers: Option<&HeaderMap>) -> Duration {
        self.delay_with(retry, headers, rand::random::<f64>(), Utc::now())
    }

    /// [`RetryPolicy::delay`] with the random number in `[0, 1)` and the clock given.
    fn delay_with(
        &self,
        retry: u32,
        headers: Option<&HeaderMap>,
        random: f64,
        now: DateTime<Utc>,
    ) -> Duration {
        headers
            .and_then(|h| retry_after(h, now))
            .filter(|wait| !wait.is_zero() && *wait <= self.max_retry_after)
            .unwrap_or_else(|| self.backoff(retry, random))
    }

    /// `min(initial * 2^retry, max)`, shortened by up to a quarter at random so that clients
    /// which failed together do not all come back at the same instant.
    pub fn backoff(&self, retry: u32, random: f64) -> Duration {
        let doubled = self
            .initial_backoff
            .saturating_mul(2u32.saturating_pow(retry.min(31)));
        let capped = doubled.min(self.max_backoff);
        capped.mul_f64(1.0 - 0.25 * random.clamp(0.0, 1.0))
    }
}

/// Whether a request that got `status` is worth repeating. The server's `x-should-retry`
/// header decides when present (it knows, e.g., that a 500 came from a request that can't
/// succeed); otherwise 408, 409, 429 and every 5xx (529 is Anthropic's "overloaded") are.
pub fn should_retry(status: StatusCode, headers: &HeaderMap) -> bool {
    match headers
        .get("x-should-retry")
        .and_then(|v| v.to_str().ok())
        .map(str::trim)
    {
        Some("true") => return true,
        Some("false") => return false,
        _ => {}
    }
    matches!(status.as_u16(), 408 | 409 | 429) || status.is_server_error()
}

/// The wait the server asked for: `retry-after-ms` (milliseconds), else `retry-after` in
/// seconds or as an HTTP date. Values that are not numbers, not finite or in the past count
/// as absent.
pub fn retry_after(headers: &HeaderMap, now: DateTime<Utc>) -> Option<Duration> {
    let text = |name: &str| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::trim)
    };
    if let Some(ms) = text("retry-after-ms").and_then(|v| v.parse::<f64>().ok()) {
        return Duration::try_from_secs_f64(ms / 1000.0).ok();
    }
    let value = text("retry-after")?;
    if let Ok(secs) = value.parse::<f64>() {
        return Duration::try_from_secs_f64(secs).ok();
    }
    let at = DateTime::parse_from_rfc2822(value).ok()?;
    (at.with_timezone(&Utc) - now).to_std().ok()
}

/// How one attempt at a model request failed.
#[derive(Debug)]
pub enum Failure {
    /// The provider answered with an error status; the status and headers decide whether and
    /// when to try again.
    Status {
        error: LlmError,
        status: StatusCode,
        headers: HeaderMap,
    },
    /// No answer: the connection failed, broke or timed out. Worth another attempt.
    Transport(LlmError),
    /// Another attempt would fail the same way.
    Final(LlmError),
}

impl Failure {
    /// A request that got no answer: timed out, or could not connect or finish.
    pub fn transport(provider: &'static str, error: &reqwest::Error, timeout: Duration) -> Self {
        if error.is_timeout() {
            Failure::Transport(LlmError::Timeout {
                provider,
                // Rounded up, so that a sub-second timeout does not read as "within 0 s".
                seconds: timeout.as_secs() + u64::from(timeout.subsec_nanos() > 0),
            })
        } else {
            Failure::Transport(LlmError::Connection {
                provider,
                message: error_chain(error),
            })
        }
    }
}

/// The value of header `name`, when it is text (a provider's request id, say).
pub(crate) fn header_text(headers: &HeaderMap, name: &str) -> Option<String> {
    headers
        .get(name)
        .and_then(|v| v.to_str().ok())
        .map(str::to_owned)
}

/// A provider's answer, read whole.
#[derive(Debug)]
pub(crate) struct Answer {
    pub status: StatusCode,
    pub headers: HeaderMap,
    pub body: Vec<u8>,
}

impl Answer {
    /// The value of header `name`, when it is text.
    pub fn header(&self, name: &str) -> Option<String> {
        header_text(&self.headers, name)
    }

    /// The start of the body, for an error message when the body is not the provider's JSON
    /// (a proxy's HTML page, say).
    pub fn body_snippet(&self) -> String {
        const MAX_CHARS: usize = 200;
        let text = String::from_utf8_lossy(&self.body);
        let text = text.trim();
        if text.is_empty() {
            return self
                .status
                .canonical_reason()
                .unwrap_or("no details")
                .to_owned();
        }
        match text.char_indices().nth(MAX_CHARS) {
            Some((end, _)) => format!("{}…", &text[..end]),
            None => text.to_owned(),
        }
    }
}

/// Sends one request and reads the whole answer; a request that gets no complete answer is a
/// transport failure (the whole-request timeout also covers reading the body).
pub(crate) async fn send(
    request: reqwest::RequestBuilder,
    provider: &'static str,
    timeout: Duration,
) -> Result<Answer, Failure> {
    let response = request
        .send()
        .await
        .map_err(|e| Failure::transport(provider, &e, timeout))?;
    let status = response.status();
    let headers = response.headers().clone();
    let body = response
        .bytes()
        .await
        .map_err(|e| Failure::transport(provider, &e, timeout))?;
    Ok(Answer {
        status,
        headers,
        body: body.to_vec(),
    })
}

/// An error and its causes, because reqwest's own text ("error sending request") hides the
/// useful part ("Connection refused") in its sources.
fn error_chain(error: &dyn std::error::Error) -> String {
    let mut text = error.to_string();
    let mut source = error.source();
    while let Some(cause) = source {
        let cause_text = cause.to_string();
        if !text.contains(&cause_text) {
            text.push_str(": ");
            text.push_str(&cause_text);
        }
        source = cause.source();
    }
    text
}

/// Runs `attempt` until it succeeds, fails in a way not worth retrying, or the policy's
/// retries are used up; returns the last error then. `provider` names the provider in logs.
pub async fn with_retries<T, F, Fut>(
    policy: &RetryPolicy,
    provider: &'static str,
    mut attempt: F,
) -> Result<T, LlmError>
where
    F: FnMut() -> Fut,
    Fut: Future<Output = Result<T, Failure>>,
{
    let mut retry = 0u32;
    loop {
        let (error, status, headers) = match attempt().await {
            Ok(value) => return Ok(value),
            Err(Failure::Final(error)) => return Err(error),
            Err(Failure::Transport(error)) => (error, None, None),
            Err(Failure::Status {
                error,
                status,
                headers,
            }) => {
                if !should_retry(status, &headers) {
                    return Err(error);
                }
                (error, Some(status.as_u16()), Some(headers))
            }
        };
        if retry >= policy.max_retries {
            return Err(error);
        }
        let delay = policy.delay(retry, headers.as_ref());
        retry += 1;
        tracing::warn!(
            provider,
            status,
            // The attempt that failed, counting from 1.
            attempt = retry,
            max_retries = policy.max_retries,
            delay_ms = delay.as_millis() as u64,
            request_id = error.request_id(),
            error = %error,
            "model request failed; retrying"
        );
        tokio::time::sleep(delay).await;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use reqwest::header::HeaderValue;

    fn headers(pairs: &[(&'static str, &str)]) -> HeaderMap {
        let mut map = HeaderMap::new();
        for (name, value) in pairs {
            map.insert(*name, HeaderValue::from_str(value).unwrap());
        }
        map
    }

    fn now() -> DateTime<Utc> {
        DateTime::parse_from_rfc3339("2026-11-25T12:00:00Z")
            .unwrap()
            .with_timezone(&Utc)
    }

    #[test]
    fn backoff_doubles_from_half_a_second_and_stops_at_eight() {
        let policy = RetryPolicy::default();
        let no_jitter: Vec<_> = (0..6).map(|n| policy.backoff(n, 0.0)).collect();
        assert_eq!(
            no_jitter,
            [0.5, 1.0, 2.0, 4.0, 8.0, 8.0].map(Duration::from_secs_f64)
        );
        assert_eq!(policy.backoff(1_000, 0.0), Duration::from_secs(8));
    }

    #[test]
    fn jitter_shortens_the_backoff_by_at_most_a_quarter() {
        let policy = RetryPolicy::default();
        for retry in 0..6 {
            let full = policy.backoff(retry, 0.0);
            for _ in 0..200 {
                let delay = policy.delay(retry, None);
                assert!(delay <= full, "{delay:?} > {full:?}");
                assert!(delay >= full.mul_f64(0.75), "{delay:?} < 3/4 of {full:?}");
            }
        }
        assert_eq!(policy.backoff(0, 1.0), Duration::from_millis(375));
        assert_eq!(policy.backoff(2, 0.5), Duration::from_millis(1750));
    }

    #[test]
    fn retry_after_in_seconds_milliseconds_and_http_dates() {
        let at = now();
        assert_eq!(
            retry_after(&headers(&[("retry-after", "3")]), at),
            Some(Duration::from_secs(3))
        );
        assert_eq!(
            retry_after(&headers(&[("retry-after", "1.5")]), at),
            Some(Duration::from_millis(1500))
        );
        assert_eq!(
            retry_after(
                &headers(&[("retry-after-ms", "250"), ("retry-after", "9")]),
                at
            ),
            Some(Duration::from_millis(250)),
            "retry-after-ms is more precise and wins"
        );
        assert_eq!(
            retry_after(
                &headers(&[("retry-after", "Wed, 25 Nov 2026 12:00:07 GMT")]),
                at
            ),
            Some(Duration::from_secs(7))
        );
        for useless in ["Wed, 25 Nov 2026 11:59:00 GMT", "soon", "-4", "NaN", "inf"] {
            assert_eq!(
                retry_after(&headers(&[("retry-after", useless)]), at),
                None,
                "{useless}"
            );
        }
    }

    #[test]
    fn a_reasonable_retry_after_replaces_the_backoff() {
        let policy = RetryPolicy::default();
        let asked = headers(&[("retry-after", "20")]);
        assert_eq!(
            policy.delay_with(0, Some(&asked), 0.0, now()),
            Duration::from_secs(20)
        );
        let at_limit = headers(&[("retry-after", "60")]);
        assert_eq!(
            policy.delay_with(0, Some(&at_limit), 0.0, now()),
            Duration::from_secs(60)
        );
    }

    #[test]
    fn an_over_limit_or_zero_retry_after_falls_back_to_backoff() {
        let policy = RetryPolicy::default();
        for value in ["61", "3600", "0"] {
            let asked = headers(&[("retry-after", value)]);
            assert_eq!(
                policy.delay_with(1, Some(&asked), 0.0, now()),
                Duration::from_secs(1),
                "retry-after {value}"
            );
        }
        let tight = RetryPolicy {
            max_retry_after: Duration::from_secs(5),
            ..policy
        };
        let asked = headers(&[("retry-after-ms", "5001")]);
        assert_eq!(
            tight.delay_with(0, Some(&asked), 0.0, now()),
            Duration::from_millis(500)
        );
    }

    #[test]
    fn retries_overload_rate_limits_conflicts_timeouts_and_server_errors_only() {
        let none = HeaderMap::new();
        for status in [408, 409, 429, 500, 502, 503, 504, 529] {
            let status = StatusCode::from_u16(status).unwrap();
            assert!(should_retry(status, &none), "{status}");
        }
        for status in [400, 401, 403, 404, 413, 422] {
            let status = StatusCode::from_u16(status).unwrap();
            assert!(!should_retry(status, &none), "{status}");
        }
    }

    #[test]
    fn the_servers_should_retry_header_overrides_the_status() {
        assert!(!should_retry(
            StatusCode::INTERNAL_SERVER_ERROR,
            &headers(&[("x-should-retry", "false")])
        ));
        assert!(should_retry(
            StatusCode::BAD_REQUEST,
            &headers(&[("x-should-retry", "true")])
        ));
        assert!(should_retry(
            StatusCode::SERVICE_UNAVAILABLE,
            &headers(&[("x-should-retry", "maybe")])
        ));
    }

    fn api_error(status: u16) -> LlmError {
        LlmError::Api {
            provider: "Test",
            status,
            kind: "api_error".into(),
            message: "failed".into(),
            request_id: None,
        }
    }

    fn fast() -> RetryPolicy {
        RetryPolicy {
            max_retries: 2,
            initial_backoff: Duration::from_millis(1),
            max_backoff: Duration::from_millis(2),
            max_retry_after: Duration::from_secs(60),
        }
    }

    #[tokio::test]
    async fn gives_up_after_the_last_retry_with_the_last_error() {
        let mut calls = 0;
        let result: Result<(), _> = with_retries(&fast(), "Test", || {
            calls += 1;
            let status = 500 + calls;
            async move {
                Err(Failure::Status {
                    error: api_error(status),
                    status: StatusCode::from_u16(status).unwrap(),
                    headers: HeaderMap::new(),
                })
            }
        })
        .await;
        assert_eq!(calls, 3);
        assert!(matches!(result, Err(LlmError::Api { status: 503, .. })));
    }

    #[tokio::test]
    async fn final_failures_and_client_errors_are_not_repeated() {
        let mut calls = 0;
        let result: Result<(), _> = with_retries(&fast(), "Test", || {
            calls += 1;
            async {
                Err(Failure::Status {
                    error: api_error(400),
                    status: StatusCode::BAD_REQUEST,
                    headers: HeaderMap::new(),
                })
            }
        })
        .await;
        assert_eq!(calls, 1);
        assert!(result.is_err());

        let mut calls = 0;
        let result: Result<(), _> = with_retries(&fast(), "Test", || {
            calls += 1;
            async { Err(Failure::Final(api_error(200))) }
        })
        .await;
        assert_eq!(calls, 1);
        assert!(result.is_err());
    }

    #[tokio::test]
    async fn transport_failures_are_retried_until_an_answer_comes() {
        let mut calls = 0;
        let result = with_retries(&fast(), "Test", || {
            calls += 1;
            let n = calls;
            async move {
                if n < 3 {
                    Err(Failure::Transport(LlmError::Connection {
                        provider: "Test",
                        message: "refused".into(),
                    }))
                } else {
                    Ok(n)
                }
            }
        })
        .await;
        assert_eq!(result.unwrap(), 3);
    }
}
