//! Customer search at scale: loads N customers (default 100,000) into SQLite — and into
//! PostgreSQL when `AIM_TEST_POSTGRES_URL` (or the local default) answers — and reports the p50
//! latency of `Facility::search_customers` for typical queries against a plain
//! `LIKE '%…%'` scan of the same rows, measured alternately in one run.
//!
//! `cargo bench --bench search` (`AIM_BENCH_CUSTOMERS=20000` for a quicker run,
//! `AIM_BENCH_SMOKE=1` for a check that it still runs). Each figure is also printed as
//! `RESULT <name> <value> <unit>`.

use std::time::{Duration, Instant};

use aim::db::facility::{NewCustomer, insert_customer};
use aim::db::{Db, PooledConn};
use aim::domain::{CustomerId, now};
use aim::facility::sms::{SmsLimits, SmsService};
use aim::facility::{Facility, FacilitySettings};
use rand::rngs::StdRng;
use rand::{Rng, SeedableRng};

const FIRST: &[&str] = &[
    "James",
    "Mary",
    "Robert",
    "Patricia",
    "John",
    "Jennifer",
    "Michael",
    "Linda",
    "David",
    "Elizabeth",
    "William",
    "Barbara",
    "Richard",
    "Susan",
    "Joseph",
    "Jessica",
    "Thomas",
    "Sarah",
    "Charles",
    "Karen",
    "Christopher",
    "Lisa",
    "Daniel",
    "Nancy",
    "Matthew",
    "Betty",
    "Anthony",
    "Margaret",
    "Mark",
    "Sandra",
    "Donald",
    "Ashley",
    "Steven",
    "Kimberly",
    "Paul",
    "Emily",
    "Andrew",
    "Donna",
    "Joshua",
    "Michelle",
    "Kenneth",
    "Carol",
    "Kevin",
    "Amanda",
    "Brian",
    "Dorothy",
    "George",
    "Melissa",
    "Timothy",
    "Deborah",
    "Marcus",
    "Priya",
    "Sofia",
    "Liam",
    "Hannah",
    "Noah",
    "Ava",
    "Ethan",
    "Chloe",
    "Lucas",
];
const LAST: &[&str] = &[
    "Smith",
    "Johnson",
    "Williams",
    "Brown",
    "Jones",
    "Garcia",
    "Miller",
    "Davis",
    "Rodriguez",
    "Martinez",
    "Hernandez",
    "Lopez",
    "Gonzalez",
    "Wilson",
    "Anderson",
    "Thomas",
    "Taylor",
    "Moore",
    "Jackson",
    "Martin",
    "Lee",
    "Perez",
    "Thompson",
    "White",
    "Harris",
    "Sanchez",
    "Clark",
    "Ramirez",
    "Lewis",
    "Robinson",
    "Walker",
    "Young",
    "Allen",
    "King",
    "Wright",
    "Scott",
    "Torres",
    "Nguyen",
    "Hill",
    "Flores",
    "Green",
    "Adams",
    "Nelson",
    "Baker",
    "Hall",
    "Rivera",
    "Campbell",
    "Mitchell",
    "Carter",
    "Roberts",
    "Higgins",
    "Hughes",
    "Huggett",
    "Webb",
    "Natarajan",
    "Alvarez",
    "O'Brien",
    "Kim",
    "Chen",
    "Okafor",
];

fn p50(samples: &mut [Duration]) -> Duration {
    samples.sort();
    samples[samples.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1000.0
}

async fn load(db: &Db, n: usize) {
    let mut rng = StdRng::seed_from_u64(42);
    let started = Instant::now();
    let now = now();
    let mut tx = db.begin().await.expect("begin");
    for i in 0..n {
        let (first, last) = if i == n / 2 {
            ("Mark", "Huggins")
        } else {
            (
                FIRST[rng.random_range(0..FIRST.len())],
                LAST[rng.random_range(0..LAST.len())],
            )
        };
        let phone = if i == n / 2 {
            "(555) 014-2387".to_owned()
        } else {
            format!(
                "({}) {:03}-{:04}",
                rng.random_range(200..999),
                rng.random_range(0..1000),
                rng.random_range(0..10_000)
            )
        };
        let customer = NewCustomer {
            id: CustomerId::new(),
            first_name: first.into(),
            last_name: last.into(),
            email: Some(format!(
                "{}.{}{i}@example.com",
                first.to_lowercase(),
                last.to_lowercase().replace('\'', "")
            )),
            phone: Some(phone),
            notes: None,
        };
        insert_customer(&mut tx, &customer, now)
            .await
            .expect("insert");
    }
    tx.commit().await.expect("commit");
    eprintln!(
        "loaded {n} customers in {:.1} s",
        started.elapsed().as_secs_f64()
    );
}

/// The baseline: a substring scan of names, emails and phones, no index.
async fn like_scan(db: &Db, query: &str) -> usize {
    const SQL: &str = "SELECT id FROM customers WHERE lower(first_name || ' ' || last_name) LIKE $1 \
                       OR email LIKE $1 OR phone LIKE $1 LIMIT 10";
    let pattern = format!("%{}%", query.to_lowercase());
    match db.conn().await.expect("conn").into_inner() {
        PooledConn::Sqlite(mut c) => sqlx::query(SQL)
            .bind(pattern)
            .fetch_all(&mut *c)
            .await
            .unwrap()
            .len(),
        PooledConn::Postgres(mut c) => sqlx::query(SQL)
            .bind(pattern)
            .fetch_all(&mut *c)
            .await
            .unwrap()
            .len(),
    }
}

async fn run(backend: &str, db: Db, n: usize, iterations: usize) {
    load(&db, n).await;
    let settings = FacilitySettings {
        capacity: 40,
        staff_ratio: 8,
        timezone: chrono_tz::America::New_York,
    };
    let facility = Facility::new(
        db.clone(),
        settings,
        SmsService::new(db.clone(), None, SmsLimits::default()),
    );
    let queries = [
        ("typo_name", "mark hugins"),
        ("exact_name", "mark huggins"),
        ("phone", "555 0142"),
        ("partial_email", "mark.hug"),
    ];
    println!("\n{backend}, {n} customers, {iterations} iterations each, p50:");
    println!("| query | search | LIKE scan | LIKE / search | first result |");
    println!("|---|---|---|---|---|");
    let mut all_search = Vec::new();
    let mut all_like = Vec::new();
    for (name, query) in queries {
        let (mut search, mut like) = (Vec::new(), Vec::new());
        let mut first = String::new();
        for i in 0..iterations + 5 {
            let started = Instant::now();
            let found = facility
                .search_customers(query, None)
                .await
                .expect("search");
            let s = started.elapsed();
            let started = Instant::now();
            like_scan(&db, query).await;
            let l = started.elapsed();
            if i >= 5 {
                search.push(s);
                like.push(l);
            }
            first = found.first().map(|c| c.name.clone()).unwrap_or_default();
        }
        let (s, l) = (p50(&mut search), p50(&mut like));
        all_search.extend(search);
        all_like.extend(like);
        println!(
            "| {query} | {:.2} ms | {:.2} ms | {:.1}× | {first} |",
            ms(s),
            ms(l),
            ms(l) / ms(s)
        );
        println!("RESULT search_{backend}_{name}_p50 {:.3} ms", ms(s));
        println!(
            "RESULT search_{backend}_{name}_like_ratio {:.1} x",
            ms(l) / ms(s)
        );
    }
    let (s, l) = (p50(&mut all_search), p50(&mut all_like));
    println!("RESULT search_{backend}_p50 {:.3} ms", ms(s));
    println!("RESULT search_{backend}_like_p50 {:.3} ms", ms(l));
    println!("RESULT search_{backend}_like_ratio {:.1} x", ms(l) / ms(s));
    db.close().await;
}

#[tokio::main]
async fn main() {
    // A short run that only shows the benchmark still works.
    let smoke = std::env::var("AIM_BENCH_SMOKE").is_ok_and(|v| !v.is_empty() && v != "0");
    let n: usize = std::env::var("AIM_BENCH_CUSTOMERS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if smoke { 2_000 } else { 100_000 });
    let iterations: usize = std::env::var("AIM_BENCH_ITERATIONS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(if smoke { 11 } else { 101 });

    let dir = tempfile::tempdir().expect("temp dir");
    let url = format!("sqlite://{}", dir.path().join("bench.db").display());
    let db = Db::connect(&url).await.expect("sqlite");
    db.migrate().await.expect("migrate");
    run("sqlite", db, n, iterations).await;

    let admin_url = std::env::var("AIM_TEST_POSTGRES_URL")
        .unwrap_or_else(|_| "postgres://postgres@127.0.0.1:5432/test".to_owned());
    let Ok(admin) = Db::connect(&admin_url).await else {
        eprintln!("PostgreSQL at {admin_url} is unreachable: SQLite only");
        return;
    };
    let schema = format!("bench_{}", uuid::Uuid::new_v4().simple());
    let exec = async |sql: String| match admin.conn().await.expect("conn").into_inner() {
        PooledConn::Postgres(mut c) => {
            sqlx::query(sqlx::AssertSqlSafe(sql))
                .execute(&mut *c)
                .await
                .expect("admin sql");
        }
        PooledConn::Sqlite(_) => unreachable!("a postgres URL"),
    };
    exec("CREATE EXTENSION IF NOT EXISTS pg_trgm WITH SCHEMA public".into()).await;
    exec(format!("CREATE SCHEMA {schema}")).await;
    let sep = if admin_url.contains('?') { '&' } else { '?' };
    let db = Db::connect(&format!(
        "{admin_url}{sep}options=-c%20search_path%3D{schema},public"
    ))
    .await
    .expect("postgres");
    db.migrate().await.expect("migrate");
    run("postgres", db, n, iterations).await;
    exec(format!("DROP SCHEMA {schema} CASCADE")).await;
}
