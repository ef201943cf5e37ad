//! `aimAlertEvents` over a real WebSocket at `/graphql/ws`, driven by hand with JSON frames on
//! `graphql-transport-ws` and on the legacy `graphql-ws`.

use std::net::SocketAddr;

use aim::domain::{AlertSeverity as Sev, AlertType as Kind};
use base64::Engine as _;
use futures::{SinkExt, StreamExt};
use tokio::net::TcpStream;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;
use tokio_tungstenite::tungstenite::protocol::frame::coding::CloseCode;
use tokio_tungstenite::tungstenite::{Error as WsError, Message};
use tokio_tungstenite::{MaybeTlsStream, WebSocketStream};

use super::*;
use crate::both_backends;

pub(super) type Socket = WebSocketStream<MaybeTlsStream<TcpStream>>;

/// The two subprotocols, with the message names that differ between them.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(super) enum Protocol {
    /// `graphql-transport-ws` (the graphql-ws library).
    TransportWs,
    /// `graphql-ws` (the legacy subscriptions-transport-ws).
    Legacy,
}

pub(super) use Protocol::{Legacy, TransportWs};

impl Protocol {
    fn name(self) -> &'static str {
        match self {
            TransportWs => "graphql-transport-ws",
            Legacy => "graphql-ws",
        }
    }
    fn subscribe(self) -> &'static str {
        match self {
            TransportWs => "subscribe",
            Legacy => "start",
        }
    }
    fn next(self) -> &'static str {
        match self {
            TransportWs => "next",
            Legacy => "data",
        }
    }
}

const EVENTS: &str = "subscription($min: AimAlertSeverity, $after: String) {
    aimAlertEvents(minSeverity: $min, after: $after) {
        cursor kind alert { id type severity title readAt resolvedAt }
    }
}";

/// How long any one frame may take to arrive.
const WAIT: Duration = Duration::from_secs(10);

pub(super) async fn connect(addr: SocketAddr, protocol: Protocol) -> Socket {
    let url = format!("ws://{addr}/graphql/ws");
    let mut request = url.into_client_request().unwrap();
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        HeaderValue::from_static(protocol.name()),
    );
    let (socket, response) = tokio_tungstenite::connect_async(request)
        .await
        .expect("the upgrade needs no Authorization header");
    assert_eq!(
        response.headers()["sec-websocket-protocol"],
        protocol.name(),
        "the server speaks the subprotocol asked for"
    );
    socket
}

pub(super) async fn send(socket: &mut Socket, message: Value) {
    socket
        .send(Message::Text(message.to_string().into()))
        .await
        .unwrap();
}

/// What the server sent next: a JSON message, or how it closed the socket.
#[derive(Debug)]
pub(super) enum Frame {
    Json(Value),
    Closed(Option<(CloseCode, String)>),
}

pub(super) async fn next_frame(socket: &mut Socket) -> Frame {
    loop {
        let message = tokio::time::timeout(WAIT, socket.next())
            .await
            .expect("the server answers in time");
        match message {
            Some(Ok(Message::Text(text))) => {
                return Frame::Json(serde_json::from_str(text.as_str()).unwrap());
            }
            Some(Ok(Message::Close(frame))) => {
                return Frame::Closed(frame.map(|f| (f.code, f.reason.as_str().to_owned())));
            }
            Some(Ok(_)) => continue,
            Some(Err(WsError::ConnectionClosed | WsError::AlreadyClosed)) | None => {
                return Frame::Closed(None);
            }
            Some(Err(err)) => panic!("WebSocket error: {err}"),
        }
    }
}

pub(super) async fn next_json(socket: &mut Socket) -> Value {
    match next_frame(socket).await {
        Frame::Json(value) => value,
        Frame::Closed(close) => panic!("expected a message, the socket closed: {close:?}"),
    }
}

/// The close code and reason the socket ends with, skipping messages before it.
async fn closed_with(socket: &mut Socket) -> (u16, String) {
    loop {
        match next_frame(socket).await {
            Frame::Json(_) => continue,
            Frame::Closed(Some((code, reason))) => return (u16::from(code), reason),
            Frame::Closed(None) => panic!("the socket closed without a close frame"),
        }
    }
}

/// `connection_init` with `payload`, answered by `connection_ack`.
pub(super) async fn init(socket: &mut Socket, payload: Value) {
    send(
        socket,
        json!({ "type": "connection_init", "payload": payload }),
    )
    .await;
    assert_eq!(next_json(socket).await, json!({ "type": "connection_ack" }));
}

/// Subscribes to alert events of at least `min`, and waits until the server has taken the
/// subscription on (it answers a ping only after reading the subscribe before it).
async fn subscribe(socket: &mut Socket, protocol: Protocol, id: &str, min: &str) {
    let early = subscribe_with(socket, protocol, id, json!({ "min": min })).await;
    assert_eq!(
        early,
        Vec::<Value>::new(),
        "nothing before the first change"
    );
}

/// Subscribes to alert events with `variables` (`min`, `after`), and waits until the server
/// has taken the subscription on. Returns the messages that came first (events replayed after
/// the cursor `after` may).
pub(super) async fn subscribe_with(
    socket: &mut Socket,
    protocol: Protocol,
    id: &str,
    variables: Value,
) -> Vec<Value> {
    send(
        socket,
        json!({
            "id": id,
            "type": protocol.subscribe(),
            "payload": { "query": EVENTS, "variables": variables },
        }),
    )
    .await;
    send(socket, json!({ "type": "ping" })).await;
    let mut early = Vec::new();
    loop {
        let message = next_json(socket).await;
        if message["type"] == "pong" {
            return early;
        }
        early.push(message);
    }
}

/// Subscribes on `protocol`, then marks an info and a warning alert read over HTTP: the
/// client gets the warning's READ event (and not the info one's), then a CREATED is ignored
/// below the minimum and a RESOLVED arrives.
async fn events_reach_the_subscriber(
    t: &TestDb,
    protocol: Protocol,
    payload: impl Fn(&str) -> Value,
) {
    let s = Served::start(t).await;
    let info = create(&s.alerts, Kind::Weather, Sev::Info, "Light rain at noon").await;
    let warning = create(
        &s.alerts,
        Kind::CapacityWarning,
        Sev::Warning,
        "Friday is 88% booked",
    )
    .await;
    let critical = create(
        &s.alerts,
        Kind::StaffingGap,
        Sev::Critical,
        "Nobody on duty at 07:00",
    )
    .await;

    let mut socket = connect(s.server.addr, protocol).await;
    init(&mut socket, payload(&s.token)).await;
    subscribe(&mut socket, protocol, "alerts-1", "WARNING").await;

    for alert in [&info, &warning] {
        let body = s
            .graphql(
                "mutation($id: ID!) { markAimAlertRead(id: $id) { id } }",
                json!({ "id": alert.id.to_string() }),
            )
            .await;
        assert_eq!(
            body["data"]["markAimAlertRead"]["id"],
            alert.id.to_string(),
            "{body}"
        );
    }
    let message = next_json(&mut socket).await;
    assert_eq!(message["type"], protocol.next(), "{message}");
    assert_eq!(message["id"], "alerts-1");
    let event = &message["payload"]["data"]["aimAlertEvents"];
    assert_eq!(
        event["kind"], "READ",
        "the info alert's event was filtered out: {message}"
    );
    assert_eq!(event["alert"]["id"], warning.id.to_string());
    assert_eq!(event["alert"]["type"], "CAPACITY_WARNING");
    assert_eq!(event["alert"]["severity"], "WARNING");
    assert!(event["alert"]["readAt"].is_string());
    assert_eq!(event["alert"]["resolvedAt"], Value::Null);

    // Marking it again changes nothing and sends nothing; resolving the critical one does.
    s.graphql(
        "mutation($id: ID!) { markAimAlertRead(id: $id) { id } }",
        json!({ "id": warning.id.to_string() }),
    )
    .await;
    s.graphql(
        "mutation($id: ID!) { resolveAimAlert(id: $id) { id } }",
        json!({ "id": info.id.to_string() }),
    )
    .await;
    s.graphql(
        "mutation($id: ID!) { resolveAimAlert(id: $id) { id } }",
        json!({ "id": critical.id.to_string() }),
    )
    .await;
    let message = next_json(&mut socket).await;
    let event = &message["payload"]["data"]["aimAlertEvents"];
    assert_eq!(event["kind"], "RESOLVED", "{message}");
    assert_eq!(event["alert"]["id"], critical.id.to_string());
    assert_eq!(event["alert"]["severity"], "CRITICAL");

    // Stopping the subscription is acknowledged with `complete`.
    let stop = match protocol {
        TransportWs => "complete",
        Legacy => "stop",
    };
    send(&mut socket, json!({ "id": "alerts-1", "type": stop })).await;
    assert_eq!(
        next_json(&mut socket).await,
        json!({ "type": "complete", "id": "alerts-1" })
    );
}

/// What a client whose `connection_init` is refused sees: the close code and reason (and on
/// the legacy protocol the `connection_error` before them).
async fn refused(s: &Served, protocol: Protocol, payload: Value) -> (Option<Value>, u16, String) {
    let mut socket = connect(s.server.addr, protocol).await;
    send(
        &mut socket,
        json!({ "type": "connection_init", "payload": payload }),
    )
    .await;
    let error = match next_frame(&mut socket).await {
        Frame::Json(message) => Some(message),
        Frame::Closed(Some((code, reason))) => return (None, u16::from(code), reason),
        Frame::Closed(None) => panic!("closed without a close frame"),
    };
    let (code, reason) = closed_with(&mut socket).await;
    (error, code, reason)
}

both_backends! {
    async fn graphql_transport_ws_delivers_events_at_or_above_the_minimum_severity(t: TestDb) {
        events_reach_the_subscriber(&t, TransportWs, |token| json!({ "Authorization": format!("Bearer {token}") })).await;
    }

    async fn legacy_graphql_ws_delivers_events_at_or_above_the_minimum_severity(t: TestDb) {
        events_reach_the_subscriber(&t, Legacy, |token| json!({ "token": token })).await;
    }

    async fn messages_larger_than_the_socket_buffer_are_read_and_written_whole(t: TestDb) {
        // The server reads and writes a socket in 1 KiB steps; a 64 KiB subscribe (a long
        // comment) and events of 100 copies of a 200-character title cross many of them. The
        // subscription starts at the beginning of the log, so it cannot miss an event however
        // long the server takes to parse it.
        let s = Served::start(&t).await;
        let long = "Rain ".repeat(40);
        let alert = create(&s.alerts, Kind::Weather, Sev::Info, &long).await;
        let mut socket = connect(s.server.addr, TransportWs).await;
        init(&mut socket, json!({ "token": s.token })).await;
        let titles: String = (0..100).map(|i| format!(" t{i}: title")).collect();
        let query = format!(
            "# {}\nsubscription($after: String) {{ aimAlertEvents(after: $after) {{ kind alert {{ id{titles} }} }} }}",
            "x".repeat(64 * 1024)
        );
        let origin = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode("event:0");
        send(
            &mut socket,
            json!({ "id": "big", "type": "subscribe", "payload": { "query": query, "variables": { "after": origin } } }),
        )
        .await;
        let body = s
            .graphql(
                "mutation($id: ID!) { markAimAlertRead(id: $id) { id } }",
                json!({ "id": alert.id.to_string() }),
            )
            .await;
        assert_eq!(body["data"]["markAimAlertRead"]["id"], alert.id.to_string(), "{body}");
        for kind in ["CREATED", "READ"] {
            let message = next_json(&mut socket).await;
            assert_eq!(message["id"], "big", "{message}");
            let event = &message["payload"]["data"]["aimAlertEvents"];
            assert_eq!((event["kind"].as_str(), event["alert"]["id"].as_str()), (Some(kind), Some(alert.id.to_string().as_str())));
            assert_eq!(event["alert"]["t99"], long.trim());
            assert!(message.to_string().len() > 20_000);
        }
    }

    async fn the_token_may_come_under_any_casing_of_authorization(t: TestDb) {
        let s = Served::start(&t).await;
        for payload in [
            json!({ "authorization": format!("Bearer {}", s.token) }),
            json!({ "AUTHORIZATION": format!("bearer {}", s.token) }),
            json!({ "headers": { "Authorization": format!("Bearer {}", s.token) } }),
        ] {
            let mut socket = connect(s.server.addr, TransportWs).await;
            init(&mut socket, payload).await;
        }
    }

    async fn connections_without_a_valid_token_are_refused(t: TestDb) {
        let s = Served::start(&t).await;
        let expired = keys()
            .sign(&aim::auth::Claims {
                sub: aim::domain::StaffUserId::new().to_string(),
                role: Role::Staff,
                exp: 1_000,
                iat: 0,
                nbf: 0,
                iss: "aim".to_owned(),
                aud: "aim-admin".to_owned(),
            })
            .unwrap();
        let cases = [
            (json!({}), "no token in the connection_init payload"),
            (json!(null), "no token in the connection_init payload"),
            (json!({ "Authorization": "Basic c3RhZmY6cGFzcw==" }), "no token in the connection_init payload"),
            (json!({ "Authorization": "Bearer not-a-jwt" }), "invalid or expired token"),
            (json!({ "token": expired }), "invalid or expired token"),
        ];
        for (payload, why) in cases {
            // graphql-transport-ws: the socket closes with 4403 Forbidden and the reason.
            let (error, code, reason) = refused(&s, TransportWs, payload.clone()).await;
            assert_eq!(error, None, "{payload}");
            assert_eq!((code, reason.as_str()), (4403, format!("Forbidden: {why}").as_str()), "{payload}");

            // graphql-ws: a connection_error with the reason, then the same close.
            let (error, code, reason) = refused(&s, Legacy, payload.clone()).await;
            assert_eq!(error, Some(json!({ "type": "connection_error", "payload": { "message": why } })), "{payload}");
            assert_eq!((code, reason.as_str()), (4403, format!("Forbidden: {why}").as_str()), "{payload}");
        }
    }

    async fn a_subscribe_before_connection_init_is_unauthorized(t: TestDb) {
        let s = Served::start(&t).await;
        let mut socket = connect(s.server.addr, TransportWs).await;
        send(&mut socket, json!({ "id": "1", "type": "subscribe", "payload": { "query": EVENTS } })).await;
        assert_eq!(closed_with(&mut socket).await, (4401, "Unauthorized".to_owned()));
    }

    async fn a_socket_without_connection_init_is_closed_after_the_timeout(t: TestDb) {
        let mut config = t.config();
        config.ws_init_timeout = Duration::from_millis(300);
        let s = Served::with_config(&t, config).await;
        for protocol in [TransportWs, Legacy] {
            let mut socket = connect(s.server.addr, protocol).await;
            let started = std::time::Instant::now();
            assert_eq!(closed_with(&mut socket).await, (4408, "Connection initialisation timeout".to_owned()), "{protocol:?}");
            assert!(started.elapsed() >= Duration::from_millis(250));
        }
    }

    async fn the_socket_closes_when_the_token_expires(t: TestDb) {
        let s = Served::start(&t).await;
        for protocol in [TransportWs, Legacy] {
            let short = staff_token(&t, Duration::from_secs(2)).await;
            let expires_at = keys().verify(&short).unwrap().exp;
            let mut socket = connect(s.server.addr, protocol).await;
            init(&mut socket, json!({ "token": short })).await;
            subscribe(&mut socket, protocol, "1", "INFO").await;
            let (code, reason) = closed_with(&mut socket).await;
            assert_eq!((code, reason.as_str()), (4403, "Forbidden: token expired"), "{protocol:?}");
            assert!(chrono::Utc::now().timestamp() >= expires_at, "closed at expiry, not before");
        }
    }

    async fn the_websocket_route_needs_an_upgrade_and_a_graphql_subprotocol(t: TestDb) {
        let s = Served::start(&t).await;
        // Plain HTTP: a JSON 400, not a 401 (the token comes in connection_init).
        let response = s.server.client.get(s.server.url("/graphql/ws")).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], "bad_request");

        // A WebSocket without a GraphQL subprotocol is refused before the upgrade.
        let url = format!("ws://{}/graphql/ws", s.server.addr);
        let mut request = url.into_client_request().unwrap();
        request.headers_mut().insert("Sec-WebSocket-Protocol", HeaderValue::from_static("chat"));
        match tokio_tungstenite::connect_async(request).await {
            Err(WsError::Http(response)) => assert_eq!(response.status(), StatusCode::BAD_REQUEST),
            other => panic!("expected a 400, got {other:?}"),
        }
    }
}
