//! What the streaming providers share: opening a streamed answer with the same retries as a
//! plain one, and reading its server-sent events with a bound on the wait for each.

use std::convert::Infallible;
use std::fmt;
use std::time::Duration;

use eventsource_stream::{Event, Eventsource};
use futures::stream::BoxStream;
use futures::{Stream, StreamExt};

use super::LlmError;
use super::retry::{Answer, Failure};

/// The longest a streamed answer may take in all.
pub const STREAM_LIMIT: Duration = Duration::from_secs(600);

/// Sends `request` and returns the response once its status says the stream follows. An error
/// status is read whole, like any error answer, and made a [`Failure`] by `on_error`, so it is
/// retried the same way. `timeout` bounds the wait for the status.
pub(crate) async fn open(
    request: reqwest::RequestBuilder,
    provider: &'static str,
    timeout: Duration,
    on_error: fn(Answer) -> Failure,
) -> Result<reqwest::Response, Failure> {
    // The client's whole-request timeout would cut a long answer off; each event has its own
    // wait instead (see `Events::next`), and the whole answer this bound.
    let request = request.timeout(STREAM_LIMIT);
    let response = tokio::time::timeout(timeout, request.send())
        .await
        .map_err(|_| {
            Failure::Transport(LlmError::Timeout {
                provider,
                seconds: timeout.as_secs().max(1),
            })
        })?
        .map_err(|e| Failure::transport(provider, &e, timeout))?;
    if response.status().is_success() {
        return Ok(response);
    }
    let status = response.status();
    let headers = response.headers().clone();
    let body = tokio::time::timeout(timeout, response.bytes())
        .await
        .ok()
        .and_then(Result::ok)
        .map(|b| b.to_vec())
        .unwrap_or_default();
    Err(on_error(Answer {
        status,
        headers,
        body,
    }))
}

/// The events of a streamed answer.
pub(crate) struct Events {
    events: BoxStream<'static, Result<Event, String>>,
    idle: Duration,
    provider: &'static str,
}

impl Events {
    /// Reads `response`'s body as server-sent events; `idle` bounds the wait for each (a model
    /// may write for minutes, but the APIs never fall silent that long).
    pub fn of(response: reqwest::Response, idle: Duration, provider: &'static str) -> Events {
        Events::of_bytes(response.bytes_stream(), idle, provider)
    }

    /// A body already at hand, in the chunks it arrived in (the property tests and fuzz
    /// targets read hostile streams this way).
    pub fn of_chunks(chunks: Vec<Vec<u8>>, provider: &'static str) -> Events {
        let chunks = futures::stream::iter(chunks.into_iter().map(Ok::<_, Infallible>));
        Events::of_bytes(chunks, Duration::from_secs(1), provider)
    }

    fn of_bytes<S, B, E>(bytes: S, idle: Duration, provider: &'static str) -> Events
    where
        S: Stream<Item = Result<B, E>> + Send + 'static,
        B: AsRef<[u8]>,
        E: fmt::Display,
    {
        Events {
            events: bytes
                .eventsource()
                .map(|event| event.map_err(|e| e.to_string()))
                .boxed(),
            idle,
            provider,
        }
    }

    /// The next event; `None` when the stream ended.
    pub async fn next(&mut self) -> Result<Option<Event>, LlmError> {
        let next = tokio::time::timeout(self.idle, self.events.next())
            .await
            .map_err(|_| LlmError::Timeout {
                provider: self.provider,
                seconds: self.idle.as_secs().max(1),
            })?;
        match next {
            Some(Ok(event)) => Ok(Some(event)),
            Some(Err(err)) => Err(LlmError::Connection {
                provider: self.provider,
                message: format!("the answer's stream broke off: {err}"),
            }),
            None => Ok(None),
        }
    }
}

/// Runs a provider's stream reader over a body at hand, given in the chunks it arrived in, to
/// its end: the answer and the text deltas reported on the way. It runs on a runtime of its
/// own (the reader bounds its waits with tokio's timer), so not inside a runtime.
pub(crate) fn read_at_hand(
    chunks: Vec<Vec<u8>>,
    provider: &'static str,
    read: impl AsyncFnOnce(Events, &super::StreamSink) -> Result<super::Response, LlmError>,
) -> (Result<super::Response, LlmError>, Vec<super::StreamEvent>) {
    let (sink, mut seen) = tokio::sync::mpsc::unbounded_channel();
    let events = Events::of_chunks(chunks, provider);
    let answer = tokio::runtime::Builder::new_current_thread()
        .enable_time()
        .build()
        .expect("a current-thread runtime")
        .block_on(read(events, &sink));
    let mut reported = Vec::new();
    while let Ok(event) = seen.try_recv() {
        reported.push(event);
    }
    (answer, reported)
}
