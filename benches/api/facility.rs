//! 9–10: the facility's day over GraphQL.
//!
//! 9. A month of bookings: `bookings(from, to, first: 100)` over a 30-day window holding 1,500
//!    bookings (50 a day, one or two dogs each), with each booking's customer and dogs — one
//!    page, the window's first, as the front desk opens a month — against a hand-written JOIN
//!    ([`raw_bookings`]) returning the same JSON: throughput ratio, and statements per request.
//! 10. The front desk's writes: `checkInBooking` (the dogs' vaccinations checked again, the
//!     conditional update, the audit row, in one transaction) on bookings of today, one
//!     request at a time, then `checkOutBooking` on each: p50/p99 latency and statements per
//!     move.

use axum::Json;
use axum::extract::{Query, State};
use chrono::{Days, NaiveDate, Utc};
use chrono_tz::Tz;
use serde::Deserialize;
use serde_json::{Value, json};

use aim::api::AppState;
use aim::api::auth::Staff;
use aim::api::error::ApiError;
use aim::config::Config;
use aim::db::facility::{NewBooking, NewCustomer, NewDog, NewVaccination};
use aim::db::{Db, PooledConn};
use aim::domain::{
    BookingId, BookingStatus, CustomerId, DogId, ServiceKind, StaffUserId, VaccinationId,
    VaccineKind,
};
use aim::facility::bookings::{DAY_CLOSES, DAY_OPENS};
use aim::facility::clock;

use super::{
    Plan, Probe, Server, client, compare, drop_postgres, fresh_postgres, ms, percentile,
    postgres_url, result, start_server,
};

/// The month listed: its days, bookings a day, and the page asked for.
const MONTH_DAYS: u32 = 30;
const BOOKINGS_PER_DAY: usize = 50;
const PAGE: usize = 100;
/// The month's customers (two dogs each): each comes about once a week.
const MONTH_CUSTOMERS: usize = 6 * BOOKINGS_PER_DAY;

const BOOKINGS_QUERY: &str = "query($from: Date!, $to: Date!, $first: Int!) {
    bookings(from: $from, to: $to, first: $first) { edges { node {
    id status startAt endAt customer { id name phone } dogs { id name breed } } } } }";

const CHECK_IN: &str = "mutation($id: ID!) { checkInBooking(id: $id) { id status } }";
const CHECK_OUT: &str = "mutation($id: ID!) { checkOutBooking(id: $id) { id status } }";

const FIRST_NAMES: &[&str] = &[
    "Avery", "Blake", "Cameron", "Dana", "Elliot", "Frankie", "Gale", "Harper", "Indy", "Jordan",
    "Kendall", "Logan",
];
const LAST_NAMES: &[&str] = &[
    "Abbott",
    "Barnes",
    "Castillo",
    "Dunn",
    "Ellison",
    "Fischer",
    "Garza",
    "Holt",
    "Ibarra",
    "Jensen",
    "Keller",
    "Lindqvist",
    "Moreau",
    "Nakamura",
    "Okafor",
    "Perez",
    "Quinn",
    "Rossi",
    "Sato",
    "Turner",
    "Underwood",
    "Varga",
    "Whitfield",
    "Xu",
    "Young",
];
const DOG_NAMES: &[&str] = &[
    "Biscuit", "Cooper", "Daisy", "Luna", "Max", "Milo", "Nala", "Olive", "Pepper", "Rocky",
    "Rosie", "Scout", "Teddy", "Winston", "Ziggy",
];
const BREEDS: &[&str] = &[
    "Labrador Retriever",
    "Golden Retriever",
    "French Bulldog",
    "Beagle",
    "Border Collie",
    "Dachshund",
    "Poodle (standard)",
];

// ---------------------------------------------------------------------------------------------
// The raw handler

#[derive(Deserialize)]
pub struct Window {
    from: NaiveDate,
    to: NaiveDate,
    first: i64,
}

/// The first `first` bookings of the facility days `from..=to` with their customers and dogs,
/// in one hand-written JOIN, shaped as the GraphQL answer of [`BOOKINGS_QUERY`]: the same
/// span (the facility's days in its time zone), order (start, id; dogs by name) and fields.
pub async fn raw_bookings(
    State(state): State<AppState>,
    Staff(_caller): Staff,
    Query(window): Query<Window>,
) -> Result<Json<Value>, ApiError> {
    // The page of bookings first (a booking with two dogs is two rows below), joined to its
    // service as the GraphQL side's statement is; then every customer and dog of the page.
    const SQL: &str = "WITH page AS (SELECT b.id, b.customer_id, b.status, b.start_at, b.end_at \
                       FROM bookings b JOIN services s ON s.id = b.service_id \
                       WHERE b.start_at < $2 AND b.end_at > $1 \
                       ORDER BY b.start_at, b.id LIMIT $3) \
                       SELECT p.id, p.status, p.start_at, p.end_at, \
                       c.id AS customer_id, c.first_name, c.last_name, c.phone, \
                       d.id AS dog_id, d.name, d.breed \
                       FROM page p JOIN customers c ON c.id = p.customer_id \
                       LEFT JOIN booking_dogs bd ON bd.booking_id = p.id \
                       LEFT JOIN dogs d ON d.id = bd.dog_id \
                       ORDER BY p.start_at, p.id, d.name, d.id";
    type Row = (
        BookingId,
        BookingStatus,
        chrono::DateTime<Utc>,
        chrono::DateTime<Utc>,
        CustomerId,
        String,
        String,
        Option<String>,
        Option<DogId>,
        Option<String>,
        Option<String>,
    );
    let (start, end) = clock::range_bounds(state.facility.timezone(), window.from, window.to);
    let conn = state.db.conn().await?;
    let internal = |e: sqlx::Error| ApiError::Internal(e.to_string());
    let rows: Vec<Row> = match conn.into_inner() {
        PooledConn::Sqlite(mut c) => sqlx::query_as(SQL)
            .bind(start)
            .bind(end)
            .bind(window.first)
            .fetch_all(&mut *c)
            .await
            .map_err(internal)?,
        PooledConn::Postgres(mut c) => sqlx::query_as(SQL)
            .bind(start)
            .bind(end)
            .bind(window.first)
            .fetch_all(&mut *c)
            .await
            .map_err(internal)?,
    };
    let mut edges: Vec<Value> = Vec::with_capacity(window.first.max(0) as usize);
    let mut current: Option<BookingId> = None;
    for (id, status, start_at, end_at, cid, first_name, last_name, phone, dog, name, breed) in rows
    {
        if current != Some(id) {
            current = Some(id);
            edges.push(json!({ "node": {
                "id": id.to_string(),
                "status": status.to_string().to_uppercase(),
                "startAt": start_at.to_rfc3339(),
                "endAt": end_at.to_rfc3339(),
                "customer": {
                    "id": cid.to_string(),
                    "name": format!("{first_name} {last_name}"),
                    "phone": phone,
                },
                "dogs": [],
            } }));
        }
        if let (Some(dog), Some(name)) = (dog, name) {
            let dogs = edges.last_mut().unwrap()["node"]["dogs"]
                .as_array_mut()
                .unwrap();
            dogs.push(json!({ "id": dog.to_string(), "name": name, "breed": breed }));
        }
    }
    Ok(Json(json!({ "data": { "bookings": { "edges": edges } } })))
}

// ---------------------------------------------------------------------------------------------
// The data

fn customer(i: usize, phone_area: u32, what: &str) -> NewCustomer {
    NewCustomer {
        id: CustomerId::new(),
        first_name: FIRST_NAMES[i % FIRST_NAMES.len()].to_owned(),
        last_name: LAST_NAMES[(i / FIRST_NAMES.len()) % LAST_NAMES.len()].to_owned(),
        email: Some(format!("bench.{what}.{i}@example.com")),
        phone: Some(format!(
            "({phone_area}) {:03}-{:04}",
            100 + i / 10_000,
            i % 10_000
        )),
        notes: None,
    }
}

fn dog(owner: CustomerId, i: usize) -> NewDog {
    NewDog {
        id: DogId::new(),
        customer_id: owner,
        name: DOG_NAMES[i % DOG_NAMES.len()].to_owned(),
        // Every seventh dog of unknown breed, as at a real desk.
        breed: (!i.is_multiple_of(7)).then(|| BREEDS[i % BREEDS.len()].to_owned()),
        birthdate: None,
        notes: None,
    }
}

/// A confirmed daycare booking of `dogs` on `date`, opening to closing.
fn daycare(
    tz: Tz,
    service_id: aim::domain::ServiceId,
    customer_id: CustomerId,
    dogs: Vec<DogId>,
    date: NaiveDate,
    staff: StaffUserId,
) -> NewBooking {
    NewBooking {
        id: BookingId::new(),
        customer_id,
        service_id,
        dog_ids: dogs,
        start_at: clock::local_instant(tz, date, DAY_OPENS.to_naive()),
        end_at: clock::local_instant(tz, date, DAY_CLOSES.to_naive()),
        status: BookingStatus::Confirmed,
        notes: None,
        created_by: Some(staff),
        created_at: Utc::now(),
    }
}

async fn daycare_service(db: &Db) -> aim::domain::ServiceId {
    aim::db::bookings::service(&mut db.conn().await.unwrap(), ServiceKind::Daycare)
        .await
        .unwrap()
        .expect("a new database has the daycare service")
        .id
}

/// [`MONTH_DAYS`] days from `first`, [`BOOKINGS_PER_DAY`] daycare bookings each (one or two
/// dogs, alternately) of [`MONTH_CUSTOMERS`] customers with two dogs each, written straight to
/// the tables in one transaction (no capacity or vaccination checks: they are not what is
/// measured).
async fn load_month(db: &Db, tz: Tz, staff: StaffUserId, first: NaiveDate) {
    let service = daycare_service(db).await;
    let now = Utc::now();
    let mut tx = db.begin().await.unwrap();
    let mut owners = Vec::with_capacity(MONTH_CUSTOMERS);
    for i in 0..MONTH_CUSTOMERS {
        let c = customer(i, 556, "month");
        aim::db::facility::insert_customer(&mut tx, &c, now)
            .await
            .unwrap();
        let mut dogs = Vec::with_capacity(2);
        for j in 0..2 {
            let d = dog(c.id, 2 * i + j);
            aim::db::facility::insert_dog(&mut tx, &d, now)
                .await
                .unwrap();
            dogs.push(d.id);
        }
        owners.push((c.id, dogs));
    }
    for day in 0..MONTH_DAYS {
        let date = first + Days::new(day.into());
        for k in 0..BOOKINGS_PER_DAY {
            let (owner, dogs) = &owners[(day as usize * BOOKINGS_PER_DAY + k) % MONTH_CUSTOMERS];
            let booked = dogs[..1 + k % 2].to_vec();
            let b = daycare(tz, service, *owner, booked, date, staff);
            aim::db::facility::insert_booking(&mut tx, &b)
                .await
                .unwrap();
        }
    }
    tx.commit().await.unwrap();
}

/// Bookings overlapping `[start, end)`, counted without the services above.
async fn count_bookings(db: &Db, start: chrono::DateTime<Utc>, end: chrono::DateTime<Utc>) -> i64 {
    const SQL: &str = "SELECT COUNT(*) FROM bookings WHERE start_at < $2 AND end_at > $1";
    match db.conn().await.unwrap().into_inner() {
        PooledConn::Sqlite(mut c) => sqlx::query_scalar(SQL)
            .bind(start)
            .bind(end)
            .fetch_one(&mut *c)
            .await
            .unwrap(),
        PooledConn::Postgres(mut c) => sqlx::query_scalar(SQL)
            .bind(start)
            .bind(end)
            .fetch_one(&mut *c)
            .await
            .unwrap(),
    }
}

/// `n` confirmed daycare bookings of today, each of a customer of its own with one or two dogs
/// (alternately) whose rabies, DHPP and bordetella are valid for a year: all can be checked in.
async fn load_today(
    db: &Db,
    tz: Tz,
    staff: StaffUserId,
    today: NaiveDate,
    n: usize,
) -> Vec<BookingId> {
    let service = daycare_service(db).await;
    let now = Utc::now();
    let mut tx = db.begin().await.unwrap();
    let mut ids = Vec::with_capacity(n);
    for i in 0..n {
        let c = customer(i, 557, "desk");
        aim::db::facility::insert_customer(&mut tx, &c, now)
            .await
            .unwrap();
        let mut dogs = Vec::with_capacity(2);
        for j in 0..1 + i % 2 {
            let d = dog(c.id, 2 * i + j);
            aim::db::facility::insert_dog(&mut tx, &d, now)
                .await
                .unwrap();
            for &kind in VaccineKind::REQUIRED {
                let v = NewVaccination {
                    id: VaccinationId::new(),
                    dog_id: d.id,
                    kind,
                    administered_on: Some(today - Days::new(30)),
                    expires_on: today + Days::new(335),
                };
                aim::db::facility::insert_vaccination(&mut tx, &v, now)
                    .await
                    .unwrap();
            }
            dogs.push(d.id);
        }
        let b = daycare(tz, service, c.id, dogs, today, staff);
        aim::db::facility::insert_booking(&mut tx, &b)
            .await
            .unwrap();
        ids.push(b.id);
    }
    tx.commit().await.unwrap();
    ids
}

// ---------------------------------------------------------------------------------------------
// The figures

/// Figures 9–10 on SQLite, then on PostgreSQL when it answers.
pub async fn facility_all(sqlite_url: &str, plan: Plan) {
    facility_figures("sqlite", Config::for_database(sqlite_url), plan).await;
    match postgres_url() {
        Some(url) => match fresh_postgres(&url).await {
            Some((db_url, name)) => {
                facility_figures("postgres", Config::for_database(&db_url), plan).await;
                drop_postgres(&url, &name).await;
            }
            None => println!("PostgreSQL: could not create a database; its figures are left out"),
        },
        None => println!("PostgreSQL: not reachable; its figures are left out"),
    }
}

async fn facility_figures(backend: &str, config: Config, plan: Plan) {
    let server = start_server(config, true).await;
    bookings_figures(backend, &server, plan).await;
    desk_figures(backend, &server, plan).await;
}

/// 9: the window's first page of 100 bookings, GraphQL against the raw JOIN.
async fn bookings_figures(backend: &str, server: &Server, plan: Plan) {
    let http = client();
    let (base, token) = (&server.base, &server.staff_token);
    let facility = &server.state.facility;
    let tz = facility.timezone();
    // A month ahead of the demo's bookings (three days back to three ahead), so the window
    // holds only the month loaded here.
    let from = facility.today(Utc::now()) + Days::new(30);
    let to = from + Days::new(u64::from(MONTH_DAYS) - 1);
    let loading = std::time::Instant::now();
    load_month(&server.db, tz, server.staff, from).await;
    let (start, end) = clock::range_bounds(tz, from, to);
    let held = count_bookings(&server.db, start, end).await;
    assert_eq!(held, (MONTH_DAYS as usize * BOOKINGS_PER_DAY) as i64);
    println!(
        "bookings ({backend}): {held} bookings over {MONTH_DAYS} days loaded in {:.1} s",
        loading.elapsed().as_secs_f64()
    );

    let pointer = "/data/bookings/edges";
    let graphql = Probe::graphql(
        base,
        token,
        BOOKINGS_QUERY,
        json!({ "from": from.to_string(), "to": to.to_string(), "first": PAGE }),
    )
    .expecting(pointer, PAGE);
    let raw = Probe::get(
        base,
        token,
        &format!("/bench/bookings?from={from}&to={to}&first={PAGE}"),
    )
    .expecting(pointer, PAGE);
    let answer = graphql.send(&http).await;
    assert_eq!(answer, raw.send(&http).await, "the same answer");
    let dogs: usize = answer["data"]["bookings"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| e["node"]["dogs"].as_array().unwrap().len())
        .sum();
    assert_eq!(dogs, PAGE + PAGE / 2, "one or two dogs a booking");
    let before = server.db.queries();
    graphql.send(&http).await;
    let statements = server.db.queries() - before;
    let page = compare(&http, &graphql, &raw, plan, plan.concurrency).await;
    println!(
        "bookings page of {PAGE} ({backend}): GraphQL {:.0} req/s ({statements} statements), raw JOIN {:.0} req/s",
        page.median_rps(0),
        page.median_rps(1)
    );
    result(
        &format!("bookings_{backend}_graphql_rps"),
        page.median_rps(0),
        "req/s",
    );
    result(
        &format!("bookings_{backend}_raw_rps"),
        page.median_rps(1),
        "req/s",
    );
    result(
        &format!("bookings_{backend}_throughput_ratio"),
        page.throughput_ratio(),
        "x",
    );
    result(
        &format!("bookings_{backend}_statements"),
        statements as f64,
        "statements",
    );
}

/// One move of a booking over GraphQL: its latency, after checking the status it reached.
async fn move_once(
    http: &reqwest::Client,
    server: &Server,
    mutation: &str,
    field: &str,
    id: BookingId,
    status: &str,
) -> std::time::Duration {
    let probe = Probe::graphql(
        &server.base,
        &server.staff_token,
        mutation,
        json!({ "id": id.to_string() }),
    );
    let sent = std::time::Instant::now();
    let answer = probe.send(http).await;
    let took = sent.elapsed();
    assert_eq!(answer["data"][field]["status"], status, "{answer}");
    took
}

/// 10: check-in, then check-out, of bookings of today, one request at a time.
async fn desk_figures(backend: &str, server: &Server, plan: Plan) {
    let http = client();
    let facility = &server.state.facility;
    let today = facility.today(Utc::now());
    // A few moves to warm up (connections, statement caches), the first of each counted.
    let warm = 5;
    let ids = load_today(
        &server.db,
        facility.timezone(),
        server.staff,
        today,
        warm + plan.desk_moves,
    )
    .await;
    let (warm_ids, timed_ids) = ids.split_at(warm);
    let mut statements = [0; 2];
    for (i, &id) in warm_ids.iter().enumerate() {
        let before = server.db.queries();
        move_once(&http, server, CHECK_IN, "checkInBooking", id, "CHECKED_IN").await;
        let between = server.db.queries();
        move_once(
            &http,
            server,
            CHECK_OUT,
            "checkOutBooking",
            id,
            "CHECKED_OUT",
        )
        .await;
        if i == 0 {
            statements = [between - before, server.db.queries() - between];
        }
    }
    let mut check_ins = Vec::with_capacity(timed_ids.len());
    for &id in timed_ids {
        check_ins
            .push(move_once(&http, server, CHECK_IN, "checkInBooking", id, "CHECKED_IN").await);
    }
    let mut check_outs = Vec::with_capacity(timed_ids.len());
    for &id in timed_ids {
        check_outs.push(
            move_once(
                &http,
                server,
                CHECK_OUT,
                "checkOutBooking",
                id,
                "CHECKED_OUT",
            )
            .await,
        );
    }
    // Every move left its audit row, in the mutation's own transaction.
    let mut conn = server.db.conn().await.unwrap();
    for &id in &ids {
        let rows = aim::db::audit::page(&mut conn, Some(id.0), None, 10)
            .await
            .unwrap();
        let actions: Vec<&str> = rows.iter().map(|r| r.action.as_str()).collect();
        assert_eq!(actions, ["booking.check_out", "booking.check_in"], "{id}");
    }
    drop(conn);

    let n = timed_ids.len();
    println!(
        "check-in ({backend}, {n} bookings of today, one at a time): p50 {:.2} ms, p99 {:.2} ms, {} statements; \
         check-out p50 {:.2} ms, p99 {:.2} ms, {} statements",
        ms(percentile(&check_ins, 0.5)),
        ms(percentile(&check_ins, 0.99)),
        statements[0],
        ms(percentile(&check_outs, 0.5)),
        ms(percentile(&check_outs, 0.99)),
        statements[1],
    );
    for (name, times, count) in [
        ("check_in", &check_ins, statements[0]),
        ("check_out", &check_outs, statements[1]),
    ] {
        result(
            &format!("{name}_{backend}_p50"),
            ms(percentile(times, 0.5)),
            "ms",
        );
        result(
            &format!("{name}_{backend}_p99"),
            ms(percentile(times, 0.99)),
            "ms",
        );
        result(
            &format!("{name}_{backend}_statements"),
            count as f64,
            "statements",
        );
    }
}
