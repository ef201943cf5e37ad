//! GraphQL subscriptions over WebSocket at `/graphql/ws`, on the `graphql-transport-ws`
//! subprotocol and the legacy `graphql-ws` (subscriptions-transport-ws) one.
//!
//! Browsers can't put an `Authorization` header on a WebSocket, so the route is open and the
//! staff token comes in the `connection_init` payload — `{"Authorization": "Bearer …"}` (any
//! casing of the key, also under `headers`) or `{"token": "…"}` — checked like any other
//! token. async-graphql runs the protocol; this module adds what it leaves out:
//!
//! - a refused `connection_init` closes the socket with `4403 Forbidden` and the reason (on
//!   `graphql-ws` after the protocol's `connection_error` message);
//! - no `connection_init` within `AIM_WS_INIT_TIMEOUT` closes it with `4408`;
//! - when the token expires the socket closes with `4403 Forbidden: token expired`, so a
//!   client reconnects with a fresh token;
//! - a `subscribe` before the handshake closes it with `4401 Unauthorized`.

use std::time::Duration;

use async_graphql::Data;
use async_graphql::http::{ALL_WEBSOCKET_PROTOCOLS, WebSocketProtocols};
use async_graphql_axum::{GraphQLProtocol, GraphQLWebSocket};
use axum::extract::State;
use axum::extract::ws::{CloseFrame, Message, WebSocket, WebSocketUpgrade};
use axum::http::{HeaderMap, StatusCode, header};
use axum::response::{IntoResponse, Response};
use chrono::{DateTime, Utc};
use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio::sync::{mpsc, oneshot};

use crate::api::AppState;
use crate::api::auth::bearer_token;
use crate::api::error::ApiError;
use crate::auth::{AuthError, AuthService};

/// The connection was refused or its token ran out.
pub const CLOSE_FORBIDDEN: u16 = 4403;
/// A subscription was requested before the connection was acknowledged.
pub const CLOSE_UNAUTHORIZED: u16 = 4401;
/// No `connection_init` in time.
pub const CLOSE_INIT_TIMEOUT: u16 = 4408;
const CLOSE_NORMAL: u16 = 1000;
/// The server is shutting down: reconnect (to another replica, or once it is back).
pub const CLOSE_GOING_AWAY: u16 = 1001;
const CLOSE_INTERNAL: u16 = 1011;

/// Messages the protocol may queue for the socket before it waits for the socket.
const OUTBOX: usize = 64;
/// The socket's read buffer and the bytes written before a flush. An idle subscriber keeps its
/// read buffer: 1 KiB holds a subscribe or an event, and a larger message grows it to its size.
/// (With 4 KiB, each idle subscriber added 21.7 KiB to the server; with 1 KiB, 18.6 KiB.)
const SOCKET_BUFFER: usize = 1024;
/// How long a closed connection may take to finish its side of the closing handshake.
const CLOSE_GRACE: Duration = Duration::from_secs(2);

/// `GET /graphql/ws`: upgrades to a WebSocket on the subprotocol the client asked for first.
pub async fn graphql_ws(
    State(state): State<AppState>,
    headers: HeaderMap,
    protocol: Result<GraphQLProtocol, StatusCode>,
    upgrade: Result<WebSocketUpgrade, axum::extract::ws::rejection::WebSocketUpgradeRejection>,
) -> Response {
    let upgrade = match upgrade {
        Ok(upgrade) => upgrade,
        Err(rejection) => {
            return ApiError::BadRequest {
                field: None,
                message: format!(
                    "{}: /graphql/ws speaks GraphQL over WebSocket only",
                    rejection.body_text()
                ),
            }
            .into_response();
        }
    };
    let (Ok(protocol), Some(transport)) = (protocol, requested_transport(&headers)) else {
        return ApiError::BadRequest {
            field: None,
            message: format!(
                "ask for one of the subprotocols {} in Sec-WebSocket-Protocol",
                ALL_WEBSOCKET_PROTOCOLS.join(", ")
            ),
        }
        .into_response();
    };
    // Answer with the same subprotocol async-graphql speaks on this socket.
    upgrade
        .protocols([transport.sec_websocket_protocol()])
        // GraphQL messages are small and most sockets sit idle waiting for events: buffers of
        // 128 KiB each (the defaults) would make every subscriber cost that much memory. A
        // message may be as large as an HTTP request's body.
        .read_buffer_size(SOCKET_BUFFER)
        .write_buffer_size(SOCKET_BUFFER)
        .max_message_size(state.config.max_body_bytes)
        .on_upgrade(move |socket| {
            let sockets = state.sockets.clone();
            sockets.track_future(serve(state, socket, protocol, transport))
        })
}

/// The first subprotocol of the client's list that is a GraphQL one (as [`GraphQLProtocol`]
/// picks it).
fn requested_transport(headers: &HeaderMap) -> Option<WebSocketProtocols> {
    headers
        .get(header::SEC_WEBSOCKET_PROTOCOL)?
        .to_str()
        .ok()?
        .split(',')
        .find_map(|p| p.trim().parse().ok())
}

/// Why a `connection_init` was refused: the close code and what the client is told.
#[derive(Clone, Debug)]
struct Rejection {
    code: u16,
    message: String,
}

impl Rejection {
    fn close_frame(&self) -> CloseFrame {
        let reason = if self.code == CLOSE_FORBIDDEN {
            format!("Forbidden: {}", self.message)
        } else {
            self.message.clone()
        };
        close_frame(self.code, &reason)
    }
}

/// The staff token of a `connection_init` payload.
fn init_token(payload: &Value) -> Option<&str> {
    let object = payload.as_object()?;
    token_in(object).or_else(|| {
        object
            .iter()
            .find(|(key, _)| key.eq_ignore_ascii_case("headers"))
            .and_then(|(_, headers)| headers.as_object())
            .and_then(token_in)
    })
}

/// `Authorization: Bearer …` or `token` (any casing of the key) of one JSON object.
fn token_in(object: &serde_json::Map<String, Value>) -> Option<&str> {
    object.iter().find_map(|(key, value)| {
        let value = value.as_str()?;
        if key.eq_ignore_ascii_case("authorization") {
            bearer_token(value)
        } else if key.eq_ignore_ascii_case("token") {
            bearer_token(value).or(Some(value.trim()).filter(|t| !t.is_empty()))
        } else {
            None
        }
    })
}

/// The caller a `connection_init` payload stands for.
async fn authenticate(
    auth: &AuthService,
    payload: &Value,
) -> Result<crate::auth::Authenticated, Rejection> {
    let Some(token) = init_token(payload) else {
        return Err(Rejection {
            code: CLOSE_FORBIDDEN,
            message: "no token in the connection_init payload".to_owned(),
        });
    };
    auth.authenticate(token).await.map_err(|err| match err {
        AuthError::Db(db) => {
            tracing::error!(error = %db, "WebSocket connection_init failed at the database");
            Rejection {
                code: CLOSE_INTERNAL,
                message: "internal error".to_owned(),
            }
        }
        other => Rejection {
            code: CLOSE_FORBIDDEN,
            message: ApiError::from(other).to_string(),
        },
    })
}

/// Where the connection's `connection_init` stands.
enum InitState {
    Waiting,
    Accepted {
        expires_at: i64,
    },
    Rejected(Rejection),
    /// The protocol ended without answering one.
    Gone,
}

/// The answer to the connection's `connection_init`, as the protocol task gives it.
struct Init {
    answer: oneshot::Receiver<Result<i64, Rejection>>,
    state: InitState,
}

impl Init {
    fn settle(&mut self, answer: Result<Result<i64, Rejection>, oneshot::error::RecvError>) {
        self.state = match answer {
            Ok(Ok(expires_at)) => InitState::Accepted { expires_at },
            Ok(Err(rejection)) => InitState::Rejected(rejection),
            Err(_) => InitState::Gone,
        };
    }

    /// Picks up an answer that has arrived; whether none has yet.
    fn waiting(&mut self) -> bool {
        if matches!(self.state, InitState::Waiting) {
            match self.answer.try_recv() {
                Ok(answer) => self.settle(Ok(answer)),
                Err(oneshot::error::TryRecvError::Empty) => {}
                Err(oneshot::error::TryRecvError::Closed) => self.state = InitState::Gone,
            }
        }
        matches!(self.state, InitState::Waiting)
    }

    fn rejection(&mut self) -> Option<Rejection> {
        self.waiting();
        match &self.state {
            InitState::Rejected(rejection) => Some(rejection.clone()),
            _ => None,
        }
    }

    fn accepted(&mut self) -> bool {
        self.waiting();
        matches!(self.state, InitState::Accepted { .. })
    }
}

/// Runs the protocol on `socket` until either side closes it, the token expires, or the
/// client never says `connection_init`.
async fn serve(
    state: AppState,
    socket: WebSocket,
    protocol: GraphQLProtocol,
    transport: WebSocketProtocols,
) {
    let legacy = transport == WebSocketProtocols::SubscriptionsTransportWS;
    let (mut socket_out, socket_in) = socket.split();

    // async-graphql writes into the outbox; the loop below forwards to the socket and can
    // close it on its own account.
    let (outbox, mut outgoing) = mpsc::channel::<Message>(OUTBOX);
    let outbox = futures::sink::unfold(outbox, |outbox, message: Message| async move {
        outbox.send(message).await.map(|()| outbox)
    });

    let (answer, answered) = oneshot::channel();
    let auth = state.auth.clone();
    let on_connection_init = move |payload: Value| async move {
        match authenticate(&auth, &payload).await {
            Ok(caller) => {
                let _ = answer.send(Ok(caller.expires_at));
                let mut data = Data::default();
                data.insert(caller);
                Ok(data)
            }
            Err(rejection) => {
                tracing::debug!(reason = %rejection.message, "WebSocket connection refused");
                let message = rejection.message.clone();
                let _ = answer.send(Err(rejection));
                Err(async_graphql::Error::new(message))
            }
        }
    };
    let mut protocol_task = tokio::spawn(
        GraphQLWebSocket::new_with_pair(outbox, socket_in, state.schema.clone(), protocol)
            .on_connection_init(on_connection_init)
            .serve(),
    );

    let mut init = Init {
        answer: answered,
        state: InitState::Waiting,
    };
    let init_deadline = tokio::time::sleep(state.config.ws_init_timeout);
    tokio::pin!(init_deadline);
    let mut expiry: Option<std::pin::Pin<Box<tokio::time::Sleep>>> = None;

    let close = loop {
        // An accepted token starts the expiry timer, whichever branch picked up the answer.
        if expiry.is_none()
            && !init.waiting()
            && let InitState::Accepted { expires_at } = init.state
        {
            expiry = Some(Box::pin(tokio::time::sleep(until(expires_at))));
        }
        tokio::select! {
            message = outgoing.recv() => match message {
                Some(Message::Close(frame)) => {
                    break Some(match init.rejection() {
                        Some(rejection) => rejection.close_frame(),
                        None if !init.accepted()
                            && frame.as_ref().is_some_and(|f| f.code == CLOSE_INTERNAL) =>
                        {
                            close_frame(CLOSE_UNAUTHORIZED, "Unauthorized")
                        }
                        None => frame.unwrap_or_else(|| close_frame(CLOSE_NORMAL, "")),
                    });
                }
                Some(message) => {
                    if socket_out.send(message).await.is_err() {
                        break None;
                    }
                }
                // The protocol ended: the client left, or (graphql-ws) it was refused.
                None => break Some(match init.rejection() {
                    Some(rejection) => rejection.close_frame(),
                    None => close_frame(CLOSE_NORMAL, ""),
                }),
            },
            () = &mut init_deadline, if init.waiting() => {
                if legacy {
                    let _ = socket_out.send(connection_error("connection initialisation timeout")).await;
                }
                break Some(close_frame(CLOSE_INIT_TIMEOUT, "Connection initialisation timeout"));
            }
            () = async { expiry.as_mut().expect("guarded").await }, if expiry.is_some() => {
                tracing::debug!("WebSocket token expired");
                if legacy {
                    let _ = socket_out.send(connection_error("token expired")).await;
                }
                break Some(close_frame(CLOSE_FORBIDDEN, "Forbidden: token expired"));
            }
            // Wakes the loop when connection_init has been answered.
            answer = &mut init.answer, if init.waiting() => init.settle(answer),
            () = state.stopping.cancelled() => {
                break Some(close_frame(CLOSE_GOING_AWAY, "the server is shutting down"));
            }
        }
    };

    if let Some(frame) = close {
        let _ = socket_out.send(Message::Close(Some(frame))).await;
    }
    let _ = socket_out.close().await;
    // Whatever the protocol still wants to send goes nowhere now; give the client a moment to
    // answer the close, then stop reading.
    drop(outgoing);
    if tokio::time::timeout(CLOSE_GRACE, &mut protocol_task)
        .await
        .is_err()
    {
        protocol_task.abort();
    }
}

/// How long from now until `exp` (seconds since the epoch); zero when it has passed.
fn until(exp: i64) -> Duration {
    DateTime::from_timestamp(exp, 0)
        .and_then(|at| (at - Utc::now()).to_std().ok())
        .unwrap_or(Duration::ZERO)
}

fn close_frame(code: u16, reason: &str) -> CloseFrame {
    // A close frame's reason has room for 123 bytes.
    let mut end = reason.len().min(123);
    while !reason.is_char_boundary(end) {
        end -= 1;
    }
    CloseFrame {
        code,
        reason: reason[..end].into(),
    }
}

/// The legacy protocol's way of telling the client the connection failed.
fn connection_error(message: &str) -> Message {
    Message::Text(
        json!({ "type": "connection_error", "payload": { "message": message } })
            .to_string()
            .into(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_token_comes_from_authorization_or_token_in_any_case() {
        for payload in [
            json!({ "Authorization": "Bearer abc" }),
            json!({ "authorization": "bearer abc" }),
            json!({ "AUTHORIZATION": "Bearer abc" }),
            json!({ "token": "abc" }),
            json!({ "Token": "Bearer abc" }),
            json!({ "headers": { "Authorization": "Bearer abc" } }),
        ] {
            assert_eq!(init_token(&payload), Some("abc"), "{payload}");
        }
        for payload in [
            json!(null),
            json!({}),
            json!({ "Authorization": "abc" }),
            json!({ "Authorization": "Bearer " }),
            json!({ "token": "" }),
            json!({ "token": 42 }),
        ] {
            assert_eq!(init_token(&payload), None, "{payload}");
        }
    }

    #[test]
    fn close_reasons_fit_a_close_frame() {
        let frame = close_frame(CLOSE_FORBIDDEN, &"é".repeat(100));
        assert!(frame.reason.len() <= 123);
        assert_eq!(close_frame(1000, "bye").reason.as_str(), "bye");
    }
}
