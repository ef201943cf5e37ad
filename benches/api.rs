//! The API's overhead, measured against raw handlers in the same process, plus chat-turn
//! overhead, subscription fan-out and memory. Every figure that has a target is a ratio of two
//! things measured in the same run, alternated and repeated (median of the rounds), because
//! our machines are noisy; absolute numbers are context.
//!
//! `cargo bench --bench api` (and `scripts/benchmarks` to write `BENCHMARKS.md`). Each figure is
//! printed as `RESULT <name> <value> <unit>`. `AIM_BENCH_SMOKE=1` runs every measurement briefly
//! (CI runs it so that the benchmarks don't rot); PostgreSQL figures are taken when
//! `AIM_TEST_POSTGRES_URL` (default `postgres://postgres@127.0.0.1:5432/test`) answers.
//!
//! 1. `{ __typename }` over GraphQL vs a raw JSON handler: throughput ratio.
//! 2. A single-row query (`aimConversation(id)`) vs a raw handler running the same SQL.
//! 3. 20 conversations with 10 messages each (DataLoader-batched) vs a hand-written JOIN
//!    returning the same JSON, and the statements per request.
//! 4. 1,000 rows (10 conversations × 100 messages) vs the raw JOIN: p50 latency ratio.
//! 5. A chat turn with three tool rounds on a zero-latency fake model: server-side overhead per
//!    turn (p50 turn minus the model's four round trips) and turns per second at 32 concurrent.
//! 6. `aim serve` as a child process: one alert event to N `graphql-transport-ws` subscribers
//!    (p50/p99 delivery), added RSS per idle subscriber, idle RSS, and the binary's size.
//!
//! (7, customer search, is `benches/search.rs`; 8, the footprint, is taken with 6.)
//!
//! 9. `bookings(from, to)`: the first page of 100 of a 30-day window holding 1,500 bookings,
//!    with customers and dogs (DataLoader-batched), vs a hand-written JOIN returning the same
//!    JSON, and the statements per request ([`facility`]).
//! 10. `checkInBooking` and `checkOutBooking` on bookings of today, one at a time: p50/p99
//!     latency and statements per move.
//!
//! Every response is checked: a GraphQL answer with `errors`, or any status but 200, stops the
//! run (a fast error is not a result); so does a list of another length than expected.

use std::sync::Arc;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::time::{Duration, Instant};

use aim::api::AppState;
use aim::api::auth::Staff;
use aim::api::error::ApiError;
use aim::config::{Config, LlmKind, Secret};
use aim::db::aim::{NewMessage, TokenCounts};
use aim::db::{Db, PooledConn};
use aim::domain::{ConversationId, MessageId, MessageRole, StaffUserId};
use aim::facility::demo::{DEMO_MANAGER_EMAIL, DEMO_STAFF_EMAIL};
use aim::{App, Mode};
use axum::extract::{Path, Query, State};
use axum::routing::{get, post};
use axum::{Json, Router};
use chrono::{Duration as ChronoDuration, Utc};
use futures::StreamExt;
use serde::Deserialize;
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;

#[allow(dead_code)]
#[path = "../tests/common/serve.rs"]
mod serve;
use serve::{ServeProcess, rss_kib, subscribe};

// In a folder of its own: a file directly in `benches/` would be a benchmark target of its own.
#[path = "api/facility.rs"]
mod facility;

const SECRET: &str = "bench-secret-bench-secret-bench-secret";

/// How long and how hard each measurement runs.
#[derive(Clone, Copy)]
struct Plan {
    smoke: bool,
    /// Alternations of the two sides of a comparison.
    rounds: usize,
    /// How long each side runs per round.
    slice: Duration,
    /// Requests in flight at once.
    concurrency: usize,
    chat_turns: usize,
    subscribers: usize,
    /// Bookings checked in (then out), one at a time, for their latency.
    desk_moves: usize,
}

impl Plan {
    fn from_env() -> Plan {
        let smoke = std::env::var("AIM_BENCH_SMOKE").is_ok_and(|v| !v.is_empty() && v != "0");
        let subscribers = std::env::var("AIM_BENCH_SUBSCRIBERS")
            .ok()
            .and_then(|v| v.parse().ok());
        if smoke {
            Plan {
                smoke,
                rounds: 2,
                slice: Duration::from_millis(150),
                concurrency: 4,
                chat_turns: 6,
                subscribers: subscribers.unwrap_or(50),
                desk_moves: 10,
            }
        } else {
            Plan {
                smoke,
                rounds: 7,
                slice: Duration::from_secs(2),
                concurrency: 16,
                chat_turns: 200,
                subscribers: subscribers.unwrap_or(5_000),
                desk_moves: 500,
            }
        }
    }
}

// ---------------------------------------------------------------------------------------------
// The load generator

/// One kind of request, sent again and again.
#[derive(Clone)]
struct Probe {
    url: String,
    token: String,
    /// A GraphQL body to POST; a GET without it.
    body: Option<Value>,
    /// A list every answer must hold: its JSON pointer and length.
    list: Option<(&'static str, usize)>,
}

impl Probe {
    fn graphql(base: &str, token: &str, query: &str, variables: Value) -> Probe {
        Probe {
            url: format!("{base}/graphql"),
            token: token.to_owned(),
            body: Some(json!({ "query": query, "variables": variables })),
            list: None,
        }
    }

    fn get(base: &str, token: &str, path: &str) -> Probe {
        Probe {
            url: format!("{base}{path}"),
            token: token.to_owned(),
            body: None,
            list: None,
        }
    }

    /// Every answer must hold a list of `len` items at `pointer` (e.g. `/data/bookings/edges`).
    fn expecting(self, pointer: &'static str, len: usize) -> Probe {
        Probe {
            list: Some((pointer, len)),
            ..self
        }
    }

    /// Sends it once; the answer's JSON, after checking it is no error.
    async fn send(&self, client: &reqwest::Client) -> Value {
        let request = match &self.body {
            Some(body) => client.post(&self.url).json(body),
            None => client.get(&self.url),
        };
        let response = request
            .bearer_auth(&self.token)
            .send()
            .await
            .unwrap_or_else(|e| panic!("{}: {e}", self.url));
        let status = response.status();
        let body: Value = response
            .json()
            .await
            .unwrap_or_else(|e| panic!("{}: not JSON ({e})", self.url));
        assert_eq!(status, 200, "{}: {body}", self.url);
        assert!(body.get("errors").is_none(), "{}: {body}", self.url);
        if let Some((pointer, len)) = self.list {
            let found = body
                .pointer(pointer)
                .and_then(Value::as_array)
                .map(Vec::len);
            assert_eq!(found, Some(len), "{}: {pointer} in {body}", self.url);
        }
        body
    }
}

/// What one side of a comparison did in one slice.
struct Slice {
    requests: usize,
    latencies: Vec<Duration>,
    elapsed: Duration,
}

/// Sends `probe` from `concurrency` workers for `length`.
async fn run_slice(
    client: &reqwest::Client,
    probe: &Probe,
    concurrency: usize,
    length: Duration,
) -> Slice {
    let started = Instant::now();
    let deadline = started + length;
    let workers = (0..concurrency).map(|_| async move {
        let mut latencies = Vec::new();
        while Instant::now() < deadline {
            let sent = Instant::now();
            probe.send(client).await;
            latencies.push(sent.elapsed());
        }
        latencies
    });
    let latencies: Vec<Duration> = futures::future::join_all(workers)
        .await
        .into_iter()
        .flatten()
        .collect();
    Slice {
        requests: latencies.len(),
        latencies,
        elapsed: started.elapsed(),
    }
}

/// Both sides of a comparison over every round.
struct Comparison {
    /// Requests per second of each round.
    rps: [Vec<f64>; 2],
    latencies: [Vec<Duration>; 2],
}

impl Comparison {
    fn median_rps(&self, side: usize) -> f64 {
        median(&self.rps[side])
    }

    fn p(&self, side: usize, q: f64) -> Duration {
        percentile(&self.latencies[side], q)
    }

    /// Throughput of side 0 over side 1.
    fn throughput_ratio(&self) -> f64 {
        self.median_rps(0) / self.median_rps(1)
    }
}

/// Runs `a` and `b` alternately (which goes first alternates too), `plan.rounds` times.
async fn compare(
    client: &reqwest::Client,
    a: &Probe,
    b: &Probe,
    plan: Plan,
    concurrency: usize,
) -> Comparison {
    // Warm both paths up (connections, statement caches, allocator).
    run_slice(client, a, concurrency, plan.slice / 2).await;
    run_slice(client, b, concurrency, plan.slice / 2).await;
    let mut out = Comparison {
        rps: [Vec::new(), Vec::new()],
        latencies: [Vec::new(), Vec::new()],
    };
    for round in 0..plan.rounds {
        let order = if round % 2 == 0 { [0, 1] } else { [1, 0] };
        for side in order {
            let probe = if side == 0 { a } else { b };
            let slice = run_slice(client, probe, concurrency, plan.slice).await;
            out.rps[side].push(slice.requests as f64 / slice.elapsed.as_secs_f64());
            out.latencies[side].extend(slice.latencies);
        }
    }
    out
}

fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    sorted[sorted.len() / 2]
}

fn percentile(values: &[Duration], q: f64) -> Duration {
    let mut sorted = values.to_vec();
    sorted.sort();
    sorted[((sorted.len() - 1) as f64 * q).round() as usize]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

fn result(name: &str, value: f64, unit: &str) {
    println!("RESULT {name} {value:.3} {unit}");
}

// ---------------------------------------------------------------------------------------------
// Raw handlers: the same work without GraphQL, in the same router

#[derive(Deserialize)]
struct Page {
    conversations: i64,
    messages: i64,
}

/// `{ __typename }`'s answer, after the same authentication.
async fn raw_typename(Staff(_caller): Staff) -> Json<Value> {
    Json(json!({ "data": { "__typename": "Query" } }))
}

/// `aimConversation(id) { id title status }`'s answer from the same query function.
async fn raw_conversation(
    State(state): State<AppState>,
    Staff(caller): Staff,
    Path(id): Path<String>,
) -> Result<Json<Value>, ApiError> {
    let id: ConversationId = id
        .parse()
        .map_err(|_| ApiError::invalid("id", "not an id"))?;
    let mut conn = state.db.conn().await?;
    let row = aim::db::aim::find_conversation(&mut conn, id)
        .await?
        .filter(|c| c.staff_user_id == caller.staff.id);
    Ok(Json(
        json!({ "data": { "aimConversation": row.map(|c| json!({
        "id": c.id.to_string(),
        "title": c.title,
        "status": c.status.to_string().to_uppercase(),
    })) } }),
    ))
}

/// The caller's newest conversations with their first messages, in one hand-written JOIN,
/// shaped as the GraphQL answer of [`PAGE_QUERY`].
async fn raw_page(
    State(state): State<AppState>,
    Staff(caller): Staff,
    Query(page): Query<Page>,
) -> Result<Json<Value>, ApiError> {
    const SQL: &str = "WITH c AS (SELECT id, title, status, updated_at FROM aim_conversations \
                       WHERE staff_user_id = $1 ORDER BY updated_at DESC, id DESC LIMIT $2), \
                       m AS (SELECT id, conversation_id, role, content, created_at, \
                       ROW_NUMBER() OVER (PARTITION BY conversation_id ORDER BY created_at, id) AS n \
                       FROM aim_messages WHERE conversation_id IN (SELECT id FROM c)) \
                       SELECT c.id AS cid, c.title, c.status, m.id AS mid, m.role, m.content \
                       FROM c LEFT JOIN m ON m.conversation_id = c.id AND m.n <= $3 \
                       ORDER BY c.updated_at DESC, c.id DESC, m.created_at, m.id";
    type Row = (
        ConversationId,
        Option<String>,
        String,
        Option<MessageId>,
        Option<String>,
        Option<String>,
    );
    let conn = state.db.conn().await?;
    let rows: Vec<Row> = match conn.into_inner() {
        PooledConn::Sqlite(mut c) => sqlx::query_as(SQL)
            .bind(caller.staff.id)
            .bind(page.conversations)
            .bind(page.messages)
            .fetch_all(&mut *c)
            .await
            .map_err(|e| ApiError::Internal(e.to_string()))?,
        PooledConn::Postgres(mut c) => sqlx::query_as(SQL)
            .bind(caller.staff.id)
            .bind(page.conversations)
            .bind(page.messages)
            .fetch_all(&mut *c)
            .await
            .map_err(|e| ApiError::Internal(e.to_string()))?,
    };
    let mut edges: Vec<Value> = Vec::new();
    let mut current: Option<ConversationId> = None;
    for (cid, title, status, mid, role, content) in rows {
        if current != Some(cid) {
            current = Some(cid);
            edges.push(json!({ "node": {
                "id": cid.to_string(), "title": title, "status": status.to_uppercase(),
                "messages": { "edges": [] },
            } }));
        }
        if let (Some(mid), Some(role), Some(content)) = (mid, role, content) {
            let list = edges.last_mut().unwrap()["node"]["messages"]["edges"]
                .as_array_mut()
                .unwrap();
            list.push(json!({ "node": { "id": mid.to_string(), "role": role.to_uppercase(), "content": content } }));
        }
    }
    Ok(Json(
        json!({ "data": { "aimConversations": { "edges": edges } } }),
    ))
}

/// The raw handlers, served behind the API's own middleware (request id, tracing, metrics,
/// timeout, body limit), so that only GraphQL itself makes the difference.
fn raw_routes() -> Router<AppState> {
    Router::new()
        .route("/bench/typename", get(raw_typename))
        .route("/bench/conversation/{id}", get(raw_conversation))
        .route("/bench/page", get(raw_page))
        .route("/bench/bookings", get(facility::raw_bookings))
}

const PAGE_QUERY: &str = "query($c: Int!, $m: Int!) { aimConversations(first: $c) { edges { node {
    id title status messages(first: $m) { edges { node { id role content } } } } } } }";

// ---------------------------------------------------------------------------------------------
// The server in this process

struct Server {
    base: String,
    db: Db,
    state: AppState,
    /// The demo manager's token, and their id.
    token: String,
    staff: StaffUserId,
    /// A front-desk (`staff` role) user's token.
    staff_token: String,
    _shutdown: tokio::sync::oneshot::Sender<()>,
}

async fn start_server(mut config: Config, with_raw: bool) -> Server {
    config.jwt_secret = Some(Secret::new(SECRET));
    config.bind = "127.0.0.1:0".parse().unwrap();
    config.alert_interval = Duration::ZERO;
    config.chat_per_minute = 1_000_000;
    config.request_timeout = Duration::from_secs(120);
    let app: App = aim::build_app(&config, Mode { demo: true })
        .await
        .expect("the server builds");
    let db = app.state.db.clone();
    let issued = app
        .token_for(DEMO_MANAGER_EMAIL, Duration::from_secs(24 * 3600))
        .await
        .expect("a token");
    let desk = app
        .token_for(DEMO_STAFF_EMAIL, Duration::from_secs(24 * 3600))
        .await
        .expect("a token");
    let state = app.state.clone();
    let staff = aim::db::staff::find_by_email(&mut db.conn().await.unwrap(), DEMO_MANAGER_EMAIL)
        .await
        .unwrap()
        .unwrap()
        .id;
    let router = if with_raw {
        app.router_with(raw_routes())
    } else {
        app.router()
    };
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let addr = listener.local_addr().unwrap();
    let (tx, rx) = tokio::sync::oneshot::channel::<()>();
    tokio::spawn(async move {
        axum::serve(listener, router)
            .with_graceful_shutdown(async move {
                let _ = rx.await;
            })
            .await
            .unwrap();
    });
    Server {
        base: format!("http://{addr}"),
        db,
        state,
        token: issued.token,
        staff,
        staff_token: desk.token,
        _shutdown: tx,
    }
}

/// `n` conversations of `staff`, each with `per` messages.
async fn load_conversations(
    db: &Db,
    staff: StaffUserId,
    n: usize,
    per: usize,
) -> Vec<ConversationId> {
    let mut ids = Vec::new();
    let start = Utc::now() - ChronoDuration::days(1);
    for i in 0..n {
        let id = ConversationId::new();
        let mut tx = db.begin().await.unwrap();
        let at = start + ChronoDuration::seconds(i as i64);
        aim::db::aim::insert_conversation(
            &mut tx,
            id,
            staff,
            Some(&format!("Conversation {i}")),
            at,
        )
        .await
        .unwrap();
        for j in 0..per {
            let role = if j % 2 == 0 {
                MessageRole::User
            } else {
                MessageRole::Assistant
            };
            aim::db::aim::insert_message(
                &mut tx,
                &NewMessage {
                    id: MessageId::new(),
                    conversation_id: id,
                    role,
                    content: &format!(
                        "Message {j}: how many dogs are booked for Friday, and who is on duty?"
                    ),
                    tool_calls: None,
                    model_used: None,
                    tokens: (role == MessageRole::Assistant).then(TokenCounts::default),
                    created_at: at + ChronoDuration::milliseconds(j as i64),
                    cancelled: false,
                },
            )
            .await
            .unwrap();
        }
        tx.commit().await.unwrap();
        ids.push(id);
    }
    ids
}

/// The load generator's client; it keeps every connection it opened.
fn client() -> reqwest::Client {
    aim::http::client(Duration::from_secs(5), Duration::from_secs(120))
}

/// Figures 1–4 on one backend.
async fn api_figures(backend: &str, config: Config, plan: Plan) {
    let server = start_server(config, true).await;
    let http = client();
    let base = &server.base;
    let token = &server.token;
    let ids = load_conversations(&server.db, server.staff, 20, 100).await;

    if backend == "sqlite" {
        let typename = compare(
            &http,
            &Probe::graphql(base, token, "{ __typename }", json!({})),
            &Probe::get(base, token, "/bench/typename"),
            plan,
            plan.concurrency,
        )
        .await;
        println!(
            "typename: GraphQL {:.0} req/s, raw {:.0} req/s",
            typename.median_rps(0),
            typename.median_rps(1)
        );
        result("typename_graphql_rps", typename.median_rps(0), "req/s");
        result("typename_raw_rps", typename.median_rps(1), "req/s");
        result(
            "typename_throughput_ratio",
            typename.throughput_ratio(),
            "x",
        );
    }

    let one = ids[0].to_string();
    let graphql_one = Probe::graphql(
        base,
        token,
        "query($id: ID!) { aimConversation(id: $id) { id title status } }",
        json!({ "id": one }),
    );
    let raw_one = Probe::get(base, token, &format!("/bench/conversation/{one}"));
    assert_eq!(
        graphql_one.send(&http).await,
        raw_one.send(&http).await,
        "the same answer"
    );
    let single = compare(&http, &graphql_one, &raw_one, plan, plan.concurrency).await;
    println!(
        "single row ({backend}): GraphQL {:.0} req/s, raw {:.0} req/s",
        single.median_rps(0),
        single.median_rps(1)
    );
    result(
        &format!("single_row_{backend}_graphql_rps"),
        single.median_rps(0),
        "req/s",
    );
    result(
        &format!("single_row_{backend}_raw_rps"),
        single.median_rps(1),
        "req/s",
    );
    result(
        &format!("single_row_{backend}_throughput_ratio"),
        single.throughput_ratio(),
        "x",
    );

    // 3: 20 conversations × 10 messages.
    let graphql_page = Probe::graphql(base, token, PAGE_QUERY, json!({ "c": 20, "m": 10 }));
    let raw_page = Probe::get(base, token, "/bench/page?conversations=20&messages=10");
    assert_eq!(
        graphql_page.send(&http).await,
        raw_page.send(&http).await,
        "the same answer"
    );
    let before = server.db.queries();
    graphql_page.send(&http).await;
    let graphql_statements = server.db.queries() - before;
    let page = compare(&http, &graphql_page, &raw_page, plan, plan.concurrency).await;
    println!(
        "20×10 page ({backend}): GraphQL {:.0} req/s ({graphql_statements} statements), raw JOIN {:.0} req/s",
        page.median_rps(0),
        page.median_rps(1)
    );
    result(
        &format!("page_{backend}_graphql_rps"),
        page.median_rps(0),
        "req/s",
    );
    result(
        &format!("page_{backend}_raw_rps"),
        page.median_rps(1),
        "req/s",
    );
    result(
        &format!("page_{backend}_throughput_ratio"),
        page.throughput_ratio(),
        "x",
    );
    result(
        &format!("page_{backend}_statements"),
        graphql_statements as f64,
        "statements",
    );

    // 4: 1,000 rows, one request at a time: latency.
    let graphql_rows = Probe::graphql(base, token, PAGE_QUERY, json!({ "c": 10, "m": 100 }));
    let raw_rows = Probe::get(base, token, "/bench/page?conversations=10&messages=100");
    let answer = graphql_rows.send(&http).await;
    assert_eq!(answer, raw_rows.send(&http).await, "the same answer");
    let edges = answer["data"]["aimConversations"]["edges"]
        .as_array()
        .unwrap();
    let rows: usize = edges
        .iter()
        .map(|e| e["node"]["messages"]["edges"].as_array().unwrap().len())
        .sum();
    assert_eq!(rows, 1_000);
    let list = compare(&http, &graphql_rows, &raw_rows, plan, 1).await;
    let ratio = ms(list.p(0, 0.5)) / ms(list.p(1, 0.5));
    println!(
        "1,000 rows ({backend}): GraphQL p50 {:.2} ms, raw p50 {:.2} ms",
        ms(list.p(0, 0.5)),
        ms(list.p(1, 0.5))
    );
    result(
        &format!("rows_1000_{backend}_graphql_p50"),
        ms(list.p(0, 0.5)),
        "ms",
    );
    result(
        &format!("rows_1000_{backend}_raw_p50"),
        ms(list.p(1, 0.5)),
        "ms",
    );
    result(&format!("rows_1000_{backend}_p50_ratio"), ratio, "x");
}

// ---------------------------------------------------------------------------------------------
// 5: chat turns on a zero-latency model

/// A model that answers at once: three rounds of tool calls, then the answer. It reads the
/// round from the request (the tool results so far), so concurrent turns don't share a script.
async fn instant_model(Json(request): Json<Value>) -> Json<Value> {
    let rounds = request["messages"]
        .as_array()
        .map(|m| m.iter().filter(|m| m["role"] == "assistant").count())
        .unwrap_or(0);
    let asked = request["messages"].as_array().map_or(0, Vec::len);
    let content = match rounds.min(3) {
        0 => {
            json!([{ "type": "tool_use", "id": format!("toolu_a{asked}"), "name": "get_today_summary", "input": {} }])
        }
        1 => {
            json!([{ "type": "tool_use", "id": format!("toolu_b{asked}"), "name": "search_customer", "input": { "query": "Mark Huggins" } }])
        }
        2 => {
            json!([{ "type": "tool_use", "id": format!("toolu_c{asked}"), "name": "check_compliance", "input": {} }])
        }
        _ => {
            json!([{ "type": "text", "text": "Today looks fine: 31 dogs are booked, Mark Huggins is a customer, and two vaccinations are due." }])
        }
    };
    let stop = if rounds >= 3 { "end_turn" } else { "tool_use" };
    Json(json!({
        "id": "msg_bench", "type": "message", "role": "assistant", "model": "claude-bench",
        "content": content, "stop_reason": stop, "stop_sequence": null,
        "usage": { "input_tokens": 1000, "output_tokens": 40 },
    }))
}

async fn chat_figures(sqlite_url: &str, plan: Plan) {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    let model_addr = listener.local_addr().unwrap();
    tokio::spawn(async move {
        axum::serve(
            listener,
            Router::new().route("/v1/messages", post(instant_model)),
        )
        .await
        .unwrap()
    });
    let mut config = Config::for_database(sqlite_url);
    config.llm = Some(LlmKind::Anthropic);
    config.anthropic_api_key = Some(Secret::new("bench-key"));
    config.anthropic_base_url = format!("http://{model_addr}");
    config.model = "claude-bench".to_owned();
    let server = start_server(config, false).await;
    let http = client();

    // The model's share: one round trip to it, as the server makes it (four per turn).
    let model_http = aim::http::client(Duration::from_secs(5), Duration::from_secs(30));
    let question = json!({ "model": "claude-bench", "max_tokens": 100, "messages": [{ "role": "user", "content": "hi" }] });
    let mut trips = Vec::new();
    for _ in 0..plan.chat_turns.max(20) {
        let sent = Instant::now();
        let answer: Value = model_http
            .post(format!("http://{model_addr}/v1/messages"))
            .json(&question)
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert_eq!(answer["type"], "message");
        trips.push(sent.elapsed());
    }
    let trip = percentile(&trips, 0.5);

    let turn = Probe::graphql(
        &server.base,
        &server.token,
        "mutation { aimChat(input: { message: \"How's today looking?\" }) { responseText toolsUsed } }",
        json!({}),
    );
    let answer = turn.send(&http).await;
    assert_eq!(
        answer["data"]["aimChat"]["toolsUsed"],
        json!(["get_today_summary", "search_customer", "check_compliance"]),
        "three tool rounds: {answer}"
    );
    let before = server.db.queries();
    turn.send(&http).await;
    let statements = server.db.queries() - before;
    result("chat_turn_statements", statements as f64, "statements");
    let mut turns = Vec::new();
    for _ in 0..plan.chat_turns {
        let sent = Instant::now();
        turn.send(&http).await;
        turns.push(sent.elapsed());
    }
    let p50 = percentile(&turns, 0.5);
    let overhead = ms(p50) - 4.0 * ms(trip);
    println!(
        "chat turn: p50 {:.2} ms, of which the model's four round trips {:.2} ms",
        ms(p50),
        4.0 * ms(trip)
    );
    result("chat_turn_p50", ms(p50), "ms");
    result("chat_model_round_trip_p50", ms(trip), "ms");
    result("chat_turn_overhead_p50", overhead, "ms");

    let slice = run_slice(&http, &turn, 32, plan.slice * 2).await;
    let per_second = slice.requests as f64 / slice.elapsed.as_secs_f64();
    println!(
        "chat turns at 32 concurrent: {per_second:.1}/s, p50 {:.1} ms",
        ms(percentile(&slice.latencies, 0.5))
    );
    result("chat_turns_per_second_32", per_second, "turns/s");
}

// ---------------------------------------------------------------------------------------------
// 6: `aim serve` as a child: fan-out and memory

async fn serve_figures(plan: Plan) {
    let dir = tempfile::tempdir().unwrap();
    let url = format!("sqlite://{}", dir.path().join("aim.db").display());
    let bin = env!("CARGO_BIN_EXE_aim");
    let server = ServeProcess::start(
        &["--demo"],
        &[
            ("DATABASE_URL", &url),
            ("AIM_JWT_SECRET", SECRET),
            ("AIM_LLM", "offline"),
            ("AIM_ALERT_INTERVAL", "1h"),
            ("RUST_LOG", "warn"),
        ],
    );
    let (addr, pid) = (server.addr, server.pid());
    let http = client();
    let base = format!("http://{addr}");
    for _ in 0..200 {
        if http
            .get(format!("{base}/readyz"))
            .send()
            .await
            .is_ok_and(|r| r.status() == 200)
        {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    let db = aim::open_database(&Config::for_database(&url))
        .await
        .unwrap();
    let manager = aim::db::staff::find_by_email(&mut db.conn().await.unwrap(), DEMO_MANAGER_EMAIL)
        .await
        .unwrap()
        .unwrap();
    let token = aim::auth::JwtKeys::new(
        &Secret::new(SECRET),
        "aim",
        "aim-admin",
        Duration::from_secs(24 * 3600),
    )
    .issue(manager.id, manager.role)
    .unwrap()
    .token;
    // Settle, then the idle footprint.
    tokio::time::sleep(Duration::from_millis(500)).await;
    let idle = rss_kib(pid);
    let size = std::fs::metadata(bin).unwrap().len();
    println!(
        "aim serve: idle RSS {:.1} MiB; binary {:.1} MiB ({bin})",
        idle as f64 / 1024.0,
        size as f64 / 1048576.0
    );
    result("serve_idle_rss", idle as f64 / 1024.0, "MiB");
    result("binary_size", size as f64 / 1048576.0, "MiB");

    // N subscribers, connected 100 at a time.
    let n = plan.subscribers;
    let mut sockets = Vec::with_capacity(n);
    let before = rss_kib(pid);
    let opened = Instant::now();
    while sockets.len() < n {
        let batch = (n - sockets.len()).min(100);
        let more = futures::future::join_all((0..batch).map(|_| subscribe(addr, &token))).await;
        sockets.extend(more);
    }
    println!(
        "{n} subscribers connected in {:.1} s",
        opened.elapsed().as_secs_f64()
    );
    tokio::time::sleep(Duration::from_millis(500)).await;
    let after = rss_kib(pid);
    let per = (after.saturating_sub(before)) as f64 * 1024.0 / n as f64;
    result("subscriber_rss", per / 1024.0, "KiB/subscriber");

    // One event: an alert marked read through the API; every subscriber's delivery time.
    let alerts: Value = http
        .get(format!("{base}/api/v2/admin/aim/alerts?unread=true"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap()
        .json()
        .await
        .unwrap();
    let alert = alerts[0]["id"]
        .as_str()
        .expect("the demo raised alerts at start-up")
        .to_owned();
    let sent = Instant::now();
    let done = Arc::new(AtomicUsize::new(0));
    let waits = sockets.into_iter().map(|mut socket| {
        let done = done.clone();
        let alert = alert.clone();
        tokio::spawn(async move {
            loop {
                let frame = tokio::time::timeout(Duration::from_secs(30), socket.next())
                    .await
                    .expect("the event arrives");
                if let Some(Ok(Message::Text(t))) = frame
                    && t.as_str().contains(&alert)
                    && t.as_str().contains("\"next\"")
                {
                    let at = sent.elapsed();
                    done.fetch_add(1, Ordering::Relaxed);
                    return (at, socket);
                }
            }
        })
    });
    let waits: Vec<_> = waits.collect();
    let marked = http
        .patch(format!("{base}/api/v2/admin/aim/alerts/{alert}/read"))
        .bearer_auth(&token)
        .send()
        .await
        .unwrap();
    assert_eq!(marked.status(), 200);
    let mut delivered = Vec::with_capacity(n);
    for wait in waits {
        let (at, socket) = wait.await.unwrap();
        delivered.push(at);
        drop(socket);
    }
    assert_eq!(done.load(Ordering::Relaxed), n);
    println!(
        "one event to {n} subscribers: p50 {:.1} ms, p99 {:.1} ms, last {:.1} ms",
        ms(percentile(&delivered, 0.5)),
        ms(percentile(&delivered, 0.99)),
        ms(percentile(&delivered, 1.0))
    );
    result("fanout_subscribers", n as f64, "subscribers");
    result("fanout_p50", ms(percentile(&delivered, 0.5)), "ms");
    result("fanout_p99", ms(percentile(&delivered, 0.99)), "ms");
    drop(server);
}

fn postgres_url() -> Option<String> {
    let url = std::env::var("AIM_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned());
    std::net::TcpStream::connect_timeout(
        &"127.0.0.1:5432".parse().unwrap(),
        Duration::from_millis(300),
    )
    .ok()
    .map(|_| url)
}

/// A PostgreSQL database of its own for this run (dropped at the end).
async fn fresh_postgres(url: &str) -> Option<(String, String)> {
    use sqlx::Connection;
    let mut admin = sqlx::PgConnection::connect(url).await.ok()?;
    let name = format!("aim_bench_{}", std::process::id());
    let create = sqlx::AssertSqlSafe(format!("CREATE DATABASE {name}"));
    sqlx::query(create).execute(&mut admin).await.ok()?;
    let base = url.rsplit_once('/').map_or(url, |(base, _)| base);
    Some((format!("{base}/{name}"), name))
}

async fn drop_postgres(url: &str, name: &str) {
    use sqlx::Connection;
    if let Ok(mut admin) = sqlx::PgConnection::connect(url).await {
        let drop = sqlx::AssertSqlSafe(format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"));
        let _ = sqlx::query(drop).execute(&mut admin).await;
    }
}

#[tokio::main]
async fn main() {
    let plan = Plan::from_env();
    println!(
        "AIM API benchmarks ({}): {} rounds of {:?} per side, {} concurrent",
        if plan.smoke { "smoke" } else { "full" },
        plan.rounds,
        plan.slice,
        plan.concurrency
    );
    let dir = tempfile::tempdir().unwrap();
    let sqlite = |name: &str| format!("sqlite://{}", dir.path().join(name).display());
    // `AIM_BENCH_ONLY=api,facility,chat,serve` (any of them) runs only those parts.
    let only = std::env::var("AIM_BENCH_ONLY").unwrap_or_default();
    let part = |name: &str| only.is_empty() || only.split(',').any(|p| p.trim() == name);

    if part("api") {
        api_all(&sqlite("api.db"), plan).await;
    }
    if part("facility") {
        facility::facility_all(&sqlite("facility.db"), plan).await;
    }
    if part("chat") {
        chat_figures(&sqlite("chat.db"), plan).await;
    }
    if part("serve") {
        serve_figures(plan).await;
    }
}

/// Figures 1–4 on SQLite, then on PostgreSQL when it answers.
async fn api_all(sqlite_url: &str, plan: Plan) {
    api_figures("sqlite", Config::for_database(sqlite_url), plan).await;
    match postgres_url() {
        Some(url) => match fresh_postgres(&url).await {
            Some((db_url, name)) => {
                api_figures("postgres", Config::for_database(&db_url), plan).await;
                drop_postgres(&url, &name).await;
            }
            None => println!("PostgreSQL: could not create a database; its figures are left out"),
        },
        None => println!("PostgreSQL: not reachable; its figures are left out"),
    }
}
