//! The foundation: migrations and what the database enforces, staff login and tokens, the demo
//! facility, the `aim` command line and the server's plumbing. Each runs on SQLite and
//! PostgreSQL.

mod common;

use std::time::Duration;

use aim::auth::{Claims, JwtKeys};
use aim::config::Secret;
use aim::db;
use aim::db::facility::table_counts;
use aim::domain::Role;
use aim::facility::demo::{self, DEMO_MANAGER_EMAIL, DEMO_PASSWORD, DEMO_STAFF_EMAIL, SeedOutcome};
use aim::{Mode, StartError};
use base64::Engine;
use chrono::NaiveDate;
use common::{TEST_SECRET, TestDb, TestServer};
use reqwest::StatusCode;
use serde_json::{Value, json};

const TZ: chrono_tz::Tz = chrono_tz::America::New_York;

fn today() -> NaiveDate {
    chrono::Utc::now().with_timezone(&TZ).date_naive()
}

async fn seeded(t: &TestDb) {
    assert_eq!(
        demo::seed(&t.db, today(), TZ).await.unwrap(),
        SeedOutcome::Loaded
    );
}

fn keys() -> JwtKeys {
    JwtKeys::new(
        &Secret::new(TEST_SECRET),
        "aim",
        "aim-admin",
        Duration::from_secs(3600),
    )
}

async fn staff_id(t: &TestDb, email: &str) -> aim::domain::StaffUserId {
    db::staff::find_by_email(&mut t.db.conn().await.unwrap(), email)
        .await
        .unwrap()
        .unwrap()
        .id
}

async fn login(server: &TestServer, email: &str, password: &str) -> (StatusCode, Value) {
    let response = server
        .client
        .post(server.url("/api/v2/auth/login"))
        .json(&json!({ "email": email, "password": password }))
        .send()
        .await
        .unwrap();
    (response.status(), response.json().await.unwrap())
}

/// Status and body of a protected REST route and of GraphQL `me` with this bearer token.
async fn with_token(server: &TestServer, token: &str) -> [(StatusCode, Value); 2] {
    let rest = server
        .client
        .get(server.url("/api/v2/admin/staff"))
        .bearer_auth(token)
        .send()
        .await
        .unwrap();
    let rest = (rest.status(), rest.json().await.unwrap_or(Value::Null));
    let gql = server
        .client
        .post(server.url("/graphql"))
        .bearer_auth(token)
        .json(&json!({ "query": "{ me { email role } }" }))
        .send()
        .await
        .unwrap();
    let gql = (gql.status(), gql.json().await.unwrap_or(Value::Null));
    [rest, gql]
}

fn assert_check_violation(result: Result<u64, sqlx::Error>, what: &str) {
    let err = result.expect_err(&format!("{what} must be refused by the database"));
    let kind = err.as_database_error().map(|e| e.kind());
    assert!(
        matches!(kind, Some(sqlx::error::ErrorKind::CheckViolation)),
        "{what}: expected a CHECK violation, got {err}"
    );
}

both_backends! {
    async fn migrations_create_every_table(t: TestDb) {
        let counts = table_counts(&mut t.db.conn().await.unwrap()).await.expect("every table exists");
        assert_eq!(counts.len(), db::facility::TABLES.len());
        let settings = counts.iter().find(|(name, _)| *name == "facility_settings").unwrap();
        assert_eq!(settings.1, 1, "one settings row with the defaults");
        let settings = aim::facility::settings::load(&t.db).await.unwrap();
        assert_eq!((settings.capacity, settings.staff_ratio, settings.timezone), (40, 8, TZ));
        // Applying migrations again is a no-op.
        t.db.migrate().await.unwrap();
    }

    async fn check_constraints_reject_unknown_enumerations(t: TestDb) {
        seeded(&t).await;
        let id = t.new_id_sql();
        let at = "'2026-01-01T00:00:00+00:00'";
        assert_check_violation(t.raw("UPDATE staff_users SET role = 'owner'").await, "staff role `owner`");
        assert_check_violation(t.raw("UPDATE bookings SET status = 'lost'").await, "booking status `lost`");
        assert_check_violation(t.raw("UPDATE staff_breaks SET type = 'nap'").await, "break type `nap`");
        assert_check_violation(t.raw("UPDATE staff_schedules SET start_time = '25:00'").await, "shift start 25:00");
        assert_check_violation(t.raw("UPDATE vaccinations SET kind = 'unicorn'").await, "vaccine `unicorn`");
        assert_check_violation(t.raw("UPDATE payments SET amount_cents = -5").await, "negative payment");
        let alert = |kind: &str, severity: &str| {
            format!("INSERT INTO aim_alerts (id, type, severity, title, description, created_at) VALUES ({id}, '{kind}', '{severity}', 't', 'd', {at})")
        };
        assert_check_violation(t.raw(&alert("flood", "info")).await, "alert type `flood`");
        assert_check_violation(t.raw(&alert("weather", "apocalyptic")).await, "alert severity `apocalyptic`");
        t.raw(&alert("weather", "warning")).await.expect("a valid alert is accepted");
        let conversation = |status: &str| {
            format!("INSERT INTO aim_conversations (id, staff_user_id, status, created_at, updated_at) SELECT {id}, id, '{status}', {at}, {at} FROM staff_users")
        };
        assert_check_violation(t.raw(&conversation("deleted")).await, "conversation status `deleted`");
        assert_eq!(t.raw(&conversation("active")).await.unwrap(), 6, "valid conversations are accepted");
        let message = |role: &str| {
            format!("INSERT INTO aim_messages (id, conversation_id, role, content, created_at) SELECT {id}, id, '{role}', 'hi', {at} FROM aim_conversations")
        };
        assert_check_violation(t.raw(&message("system")).await, "message role `system`");
        assert_eq!(t.raw(&message("user")).await.unwrap(), 6);
    }

    async fn cascades_remove_messages_with_conversations_and_breaks_with_shifts(t: TestDb) {
        seeded(&t).await;
        let id = t.new_id_sql();
        let at = "'2026-01-01T00:00:00+00:00'";
        t.raw(&format!("INSERT INTO aim_conversations (id, staff_user_id, status, created_at, updated_at) SELECT {id}, id, 'active', {at}, {at} FROM staff_users")).await.unwrap();
        t.raw(&format!("INSERT INTO aim_messages (id, conversation_id, role, content, created_at) SELECT {id}, id, 'user', 'hello', {at} FROM aim_conversations")).await.unwrap();
        let count = |table: &'static str| {
            let db = t.db.clone();
            async move {
                let counts = table_counts(&mut db.conn().await.unwrap()).await.unwrap();
                counts.into_iter().find(|(name, _)| *name == table).unwrap().1
            }
        };
        assert_eq!(count("aim_messages").await, 6);
        t.raw("DELETE FROM aim_conversations").await.unwrap();
        assert_eq!(count("aim_messages").await, 0, "messages go with their conversation");

        assert!(count("staff_breaks").await > 0);
        t.raw("DELETE FROM staff_schedules").await.unwrap();
        assert_eq!(count("staff_breaks").await, 0, "breaks go with their shift");
        // A customer with dogs and bookings can be removed; a staff user with conversations cannot.
        t.raw(&format!("INSERT INTO aim_conversations (id, staff_user_id, status, created_at, updated_at) SELECT {id}, id, 'active', {at}, {at} FROM staff_users")).await.unwrap();
        let err = t.raw("DELETE FROM staff_users").await.expect_err("conversations keep their staff user");
        assert!(matches!(err.as_database_error().map(|e| e.kind()), Some(sqlx::error::ErrorKind::ForeignKeyViolation)), "{err}");
    }

    async fn demo_seed_twice_gives_the_same_rows(t: TestDb) {
        seeded(&t).await;
        let first = table_counts(&mut t.db.conn().await.unwrap()).await.unwrap();
        assert_eq!(demo::seed(&t.db, today(), TZ).await.unwrap(), SeedOutcome::AlreadyPresent);
        let second = table_counts(&mut t.db.conn().await.unwrap()).await.unwrap();
        assert_eq!(first, second);
        let get = |name: &str| first.iter().find(|(n, _)| *n == name).unwrap().1;
        assert_eq!(get("customers"), 25);
        assert_eq!(get("dogs"), 40);
        assert_eq!(get("staff_users"), 6);
        assert!(get("bookings") > 100 && get("payments") > 100 && get("points_transactions") > 100);
        // Ids are derived from names, so another database seeded for the same day agrees.
        let other = TestDb::sqlite().await;
        demo::seed(&other.db, today(), TZ).await.unwrap();
        assert_eq!(staff_id(&t, DEMO_MANAGER_EMAIL).await, staff_id(&other, DEMO_MANAGER_EMAIL).await);
    }

    async fn login_answers_a_token_for_the_right_password_and_the_same_401_otherwise(t: TestDb) {
        seeded(&t).await;
        let server = TestServer::start(t.config(), Mode::default()).await;
        let (status, body) = login(&server, "Manager@HappyTail.example", DEMO_PASSWORD).await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(body["staffUser"]["email"], DEMO_MANAGER_EMAIL);
        assert_eq!(body["staffUser"]["role"], "manager");
        assert!(body["staffUser"].get("passwordHash").is_none());
        assert!(body["expiresAt"].as_str().unwrap().starts_with("20"));
        let claims = keys().verify(body["token"].as_str().unwrap()).unwrap();
        assert_eq!(claims.role, Role::Manager);
        assert_eq!((claims.iss.as_str(), claims.aud.as_str()), ("aim", "aim-admin"));
        let [(rest, _), (gql, me)] = with_token(&server, body["token"].as_str().unwrap()).await;
        assert_eq!((rest, gql), (StatusCode::OK, StatusCode::OK));
        assert_eq!(me["data"]["me"]["email"], DEMO_MANAGER_EMAIL);

        let (wrong_status, wrong) = login(&server, DEMO_MANAGER_EMAIL, "not-the-password").await;
        let (unknown_status, unknown) = login(&server, "nobody@happytail.example", DEMO_PASSWORD).await;
        assert_eq!((wrong_status, unknown_status), (StatusCode::UNAUTHORIZED, StatusCode::UNAUTHORIZED));
        assert_eq!(wrong["error"]["code"], unknown["error"]["code"]);
        assert_eq!(wrong["error"]["message"], unknown["error"]["message"], "no account enumeration");

        let (status, body) = login(&server, "", "x").await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);
        assert_eq!(body["error"]["field"], "email");
        let response = server.client.post(server.url("/api/v2/auth/login")).json(&json!({ "email": "a@b.c" })).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::UNPROCESSABLE_ENTITY);
        let body: Value = response.json().await.unwrap();
        assert!(body["error"]["message"].as_str().unwrap().contains("password"), "{body}");
    }

    async fn deactivated_staff_can_neither_log_in_nor_use_a_token(t: TestDb) {
        seeded(&t).await;
        let server = TestServer::start(t.config(), Mode::default()).await;
        let (_, body) = login(&server, DEMO_STAFF_EMAIL, DEMO_PASSWORD).await;
        let token = body["token"].as_str().unwrap().to_owned();
        let id = staff_id(&t, DEMO_STAFF_EMAIL).await;
        assert!(db::staff::set_active(&mut t.db.conn().await.unwrap(), id, false, aim::domain::now()).await.unwrap());
        let (status, _) = login(&server, DEMO_STAFF_EMAIL, DEMO_PASSWORD).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        for (status, body) in with_token(&server, &token).await {
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{body}");
        }
    }

    async fn refused_tokens_are_401_with_a_bearer_challenge(t: TestDb) {
        seeded(&t).await;
        let server = TestServer::start(t.config(), Mode::default()).await;
        let id = staff_id(&t, DEMO_MANAGER_EMAIL).await;
        let now = chrono::Utc::now().timestamp();
        let claims = Claims {
            sub: id.to_string(),
            role: Role::Manager,
            exp: now + 3600,
            iat: now,
            nbf: now,
            iss: "aim".into(),
            aud: "aim-admin".into(),
        };
        let good = keys().sign(&claims).unwrap();
        assert_eq!(with_token(&server, &good).await[0].0, StatusCode::OK, "the control token works");

        let b64 = |v: &Value| base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(v.to_string());
        let payload = serde_json::to_value(&claims).unwrap();
        let alg_none = format!("{}.{}.", b64(&json!({ "alg": "none", "typ": "JWT" })), b64(&payload));
        let mut tampered_payload = payload.clone();
        tampered_payload["role"] = json!("admin");
        let parts: Vec<&str> = good.split('.').collect();
        let tampered = format!("{}.{}.{}", parts[0], b64(&tampered_payload), parts[2]);
        let other_key = JwtKeys::new(&Secret::new("another-secret-another-secret-another"), "aim", "aim-admin", Duration::from_secs(60));
        let refused = [
            ("expired", keys().sign(&Claims { exp: now - 3600, iat: now - 7200, nbf: now - 7200, ..claims.clone() }).unwrap()),
            ("not yet valid", keys().sign(&Claims { nbf: now + 3600, ..claims.clone() }).unwrap()),
            ("other audience", keys().sign(&Claims { aud: "someone-else".into(), ..claims.clone() }).unwrap()),
            ("other issuer", keys().sign(&Claims { iss: "evil".into(), ..claims.clone() }).unwrap()),
            ("unknown staff", keys().sign(&Claims { sub: uuid::Uuid::new_v4().to_string(), ..claims.clone() }).unwrap()),
            ("other key", other_key.sign(&claims).unwrap()),
            ("alg none", alg_none),
            // HS/RS confusion: an RS256 header over the HMAC signature.
            ("alg RS256", format!("{}.{}.{}", b64(&json!({ "alg": "RS256", "typ": "JWT" })), parts[1], parts[2])),
            ("tampered payload", tampered),
            ("garbage", "not.a.token".into()),
        ];
        for (what, token) in refused {
            for (status, body) in with_token(&server, &token).await {
                assert_eq!(status, StatusCode::UNAUTHORIZED, "{what}: {body}");
                assert_eq!(body["error"]["code"], "unauthenticated", "{what}");
            }
        }
        for header in ["", "Bearer", "Basic dXNlcjpwYXNz", "Bearer  "] {
            let response = server.client.get(server.url("/api/v2/admin/staff")).header("authorization", header).send().await.unwrap();
            assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "header {header:?}");
        }
        let oversized = format!("Bearer {}", "a".repeat(16 * 1024));
        let response = server.client.get(server.url("/api/v2/admin/staff")).header("authorization", oversized).send().await.unwrap();
        assert!(matches!(response.status(), StatusCode::UNAUTHORIZED | StatusCode::REQUEST_HEADER_FIELDS_TOO_LARGE), "{}", response.status());
    }

    async fn the_wrong_role_is_403(t: TestDb) {
        seeded(&t).await;
        let server = TestServer::start(t.config(), Mode::default()).await;
        let (_, body) = login(&server, DEMO_STAFF_EMAIL, DEMO_PASSWORD).await;
        let [(rest, body), (gql, _)] = with_token(&server, body["token"].as_str().unwrap()).await;
        assert_eq!(rest, StatusCode::FORBIDDEN, "{body}");
        assert_eq!(body["error"]["code"], "forbidden");
        assert_eq!(gql, StatusCode::OK, "every staff user may ask who they are");
    }

    async fn server_on_port_0_answers_health_readiness_metrics_and_401(t: TestDb) {
        let server = TestServer::start(t.config(), Mode::default()).await;
        let health: Value = server.client.get(server.url("/healthz")).send().await.unwrap().json().await.unwrap();
        assert_eq!(health["status"], "ok");
        let ready = server.client.get(server.url("/readyz")).send().await.unwrap();
        assert_eq!(ready.status(), StatusCode::OK);

        for (method, path) in [("GET", "/api/v2/admin/staff"), ("POST", "/graphql"), ("GET", "/graphql")] {
            let response = server.client.request(method.parse().unwrap(), server.url(path)).send().await.unwrap();
            assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{method} {path}");
            assert_eq!(response.headers()["www-authenticate"], "Bearer");
            let request_id = response.headers()["x-request-id"].to_str().unwrap().to_owned();
            let body: Value = response.json().await.unwrap();
            assert_eq!(body["error"]["code"], "unauthenticated");
            assert_eq!(body["error"]["requestId"], request_id.as_str(), "the error names the request");
        }
        let missing = server.client.get(server.url("/no/such/route")).send().await.unwrap();
        assert_eq!(missing.status(), StatusCode::NOT_FOUND);

        let metrics = server.client.get(server.url("/metrics")).send().await.unwrap().text().await.unwrap();
        assert!(metrics.contains("http_requests_total{method=\"GET\",route=\"/healthz\",status=\"200\"}"), "{metrics}");
        assert!(metrics.contains("http_request_duration_seconds_bucket"));
        assert!(metrics.contains("db_pool_connections"));
        server.stop().await.expect("graceful shutdown");
    }

    async fn oversized_bodies_are_413(t: TestDb) {
        let mut config = t.config();
        config.max_body_bytes = 4096;
        let server = TestServer::start(config, Mode::default()).await;
        let body = json!({ "email": "x".repeat(10_000), "password": "y" });
        let response = server.client.post(server.url("/api/v2/auth/login")).json(&body).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::PAYLOAD_TOO_LARGE);
        let body: Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], "payload_too_large");
        let gql = server.client.post(server.url("/graphql")).json(&json!({ "query": "x".repeat(10_000) })).send().await.unwrap();
        assert_eq!(gql.status(), StatusCode::PAYLOAD_TOO_LARGE, "GraphQL bodies are limited too");
    }

    async fn serve_without_a_secret_refuses_to_start_but_demo_mode_generates_one(t: TestDb) {
        let mut config = t.config();
        config.jwt_secret = None;
        let err = aim::build_app(&config, Mode::default()).await.err().expect("must refuse");
        assert!(matches!(err, StartError::Config(aim::config::ConfigError::MissingJwtSecret)), "{err}");
        assert!(err.to_string().contains("AIM_JWT_SECRET"), "{err}");

        let app = aim::build_app(&config, Mode { demo: true }).await.expect("demo mode starts");
        assert_eq!(app.seeded, Some(SeedOutcome::Loaded));
        let token = app.token_for(DEMO_MANAGER_EMAIL, Duration::from_secs(60)).await.unwrap();
        // A second start reuses the stored secret, so earlier tokens stay valid.
        let again = aim::build_app(&config, Mode { demo: true }).await.unwrap();
        assert_eq!(again.seeded, Some(SeedOutcome::AlreadyPresent));
        again.state.auth.authenticate(&token.token).await.expect("token from the first start");
    }

    async fn aim_migrate_and_seed_demo_are_idempotent_from_the_command_line(t: TestDb) {
        let aim = |args: &[&str]| {
            std::process::Command::new(env!("CARGO_BIN_EXE_aim"))
                .args(args)
                .env("DATABASE_URL", &t.url)
                .env_remove("AIM_LLM")
                .env_remove("ANTHROPIC_API_KEY")
                .output()
                .unwrap()
        };
        let migrated = aim(&["migrate"]);
        assert!(migrated.status.success(), "{}", String::from_utf8_lossy(&migrated.stderr));
        let first = aim(&["seed", "--demo"]);
        assert!(first.status.success(), "{}", String::from_utf8_lossy(&first.stderr));
        assert!(String::from_utf8_lossy(&first.stderr).contains("demo facility loaded"));
        let counts = table_counts(&mut t.db.conn().await.unwrap()).await.unwrap();
        let second = aim(&["seed", "--demo"]);
        assert!(second.status.success());
        assert!(String::from_utf8_lossy(&second.stderr).contains("already present"));
        assert_eq!(table_counts(&mut t.db.conn().await.unwrap()).await.unwrap(), counts);
        let refused = aim(&["seed"]);
        assert!(!refused.status.success(), "seeding needs --demo");
    }

    async fn aim_token_prints_only_a_token_that_the_server_accepts(t: TestDb) {
        seeded(&t).await;
        let output = std::process::Command::new(env!("CARGO_BIN_EXE_aim"))
            .args(["token", "--email", DEMO_STAFF_EMAIL, "--ttl", "10m"])
            .env("DATABASE_URL", &t.url)
            .env("AIM_JWT_SECRET", TEST_SECRET)
            .env_remove("AIM_LLM")
            .env_remove("ANTHROPIC_API_KEY")
            .output()
            .unwrap();
        assert!(output.status.success(), "{}", String::from_utf8_lossy(&output.stderr));
        let stdout = String::from_utf8(output.stdout).unwrap();
        assert_eq!(stdout.lines().count(), 1, "only the token: {stdout:?}");
        let claims = keys().verify(stdout.trim()).expect("the token verifies");
        assert_eq!(claims.role, Role::Staff);
        assert!(claims.exp - claims.iat <= 600);
        let server = TestServer::start(t.config(), Mode::default()).await;
        let [(_, _), (status, me)] = with_token(&server, stdout.trim()).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(me["data"]["me"]["email"], DEMO_STAFF_EMAIL);

        let unknown = std::process::Command::new(env!("CARGO_BIN_EXE_aim"))
            .args(["token", "--email", "nobody@happytail.example"])
            .env("DATABASE_URL", &t.url)
            .env("AIM_JWT_SECRET", TEST_SECRET)
            .output()
            .unwrap();
        assert!(!unknown.status.success());
        assert!(unknown.stdout.is_empty());
        assert!(String::from_utf8_lossy(&unknown.stderr).contains("no active staff user"));
    }
}

#[test]
fn checked_in_schema_matches_aim_schema() {
    let generated = aim::api::graphql::sdl();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/schema.graphql");
    let checked_in = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        checked_in == generated,
        "schema.graphql is out of date: run `cargo run -- schema > schema.graphql` and commit it"
    );
}

#[test]
fn aim_schema_tools_prints_the_definitions_the_model_is_sent() {
    let output = std::process::Command::new(env!("CARGO_BIN_EXE_aim"))
        .args(["schema", "--tools"])
        .env_remove("DATABASE_URL")
        .output()
        .unwrap();
    assert!(
        output.status.success(),
        "{}",
        String::from_utf8_lossy(&output.stderr)
    );
    let printed: serde_json::Value = serde_json::from_slice(&output.stdout).unwrap();
    let sent = serde_json::to_value(&*aim::aim::tools::definitions()).unwrap();
    assert_eq!(printed, sent);
    let names: Vec<&str> = printed
        .as_array()
        .unwrap()
        .iter()
        .map(|t| t["name"].as_str().unwrap())
        .collect();
    assert_eq!(names, aim::aim::tools::TOOL_NAMES);
    assert_eq!(
        printed[1]["input_schema"]["properties"]["query"]["description"],
        "Name, phone or email fragment (at least 3 letters or digits)."
    );
}

/// Runs `aim` with `args` on the test's database, `stdin` as its standard input.
fn aim_cli(t: &TestDb, args: &[&str], stdin: &str) -> std::process::Output {
    use std::io::Write;
    let mut child = std::process::Command::new(env!("CARGO_BIN_EXE_aim"))
        .args(args)
        .env("DATABASE_URL", &t.url)
        .env_remove("AIM_LLM")
        .env_remove("ANTHROPIC_API_KEY")
        .stdin(std::process::Stdio::piped())
        .stdout(std::process::Stdio::piped())
        .stderr(std::process::Stdio::piped())
        .spawn()
        .unwrap();
    child
        .stdin
        .take()
        .unwrap()
        .write_all(stdin.as_bytes())
        .unwrap();
    child.wait_with_output().unwrap()
}

fn stderr(output: &std::process::Output) -> String {
    String::from_utf8_lossy(&output.stderr).into_owned()
}

both_backends! {
    async fn aim_staff_adds_lists_resets_and_deactivates_accounts_with_testable_exit_codes(t: TestDb) {
        let add = |email: &str, role: &str, password: &str| {
            aim_cli(&t, &["staff", "add", "--email", email, "--name", "Ada Admin", "--role", role, "--password-stdin"], &format!("{password}\n"))
        };
        let added = add("Ada@Example.com", "admin", "correct horse battery");
        assert!(added.status.success(), "{}", stderr(&added));
        assert!(stderr(&added).contains("added ada@example.com"), "{}", stderr(&added));

        let duplicate = add("ada@example.com", "staff", "correct horse battery");
        assert_eq!(duplicate.status.code(), Some(3), "{}", stderr(&duplicate));
        assert!(stderr(&duplicate).contains("email"), "{}", stderr(&duplicate));
        let short = add("bob@example.com", "staff", "short");
        assert_eq!(short.status.code(), Some(5), "{}", stderr(&short));
        assert!(stderr(&short).contains("at least 12"), "{}", stderr(&short));
        let no_terminal = aim_cli(&t, &["staff", "add", "--email", "bob@example.com", "--name", "Bob", "--role", "staff"], "");
        assert_eq!(no_terminal.status.code(), Some(2), "{}", stderr(&no_terminal));
        assert!(stderr(&no_terminal).contains("--password-stdin"), "{}", stderr(&no_terminal));
        let bad_role = aim_cli(&t, &["staff", "add", "--email", "bob@example.com", "--name", "Bob", "--role", "owner", "--password-stdin"], "");
        assert_eq!(bad_role.status.code(), Some(2), "clap's usage error");

        let unknown = aim_cli(&t, &["staff", "passwd", "--email", "nobody@example.com", "--password-stdin"], "another long password\n");
        assert_eq!(unknown.status.code(), Some(4), "{}", stderr(&unknown));
        let reset = aim_cli(&t, &["staff", "passwd", "--email", "ada@example.com", "--password-stdin"], "another long password\n");
        assert!(reset.status.success(), "{}", stderr(&reset));
        let record = db::staff::find_by_email(&mut t.db.conn().await.unwrap(), "ada@example.com").await.unwrap().unwrap();
        assert!(aim::auth::verify_password("another long password".into(), Some(record.password_hash)).await.unwrap());

        // The last admin stays: deactivating them is refused until another admin exists.
        let last = aim_cli(&t, &["staff", "deactivate", "--email", "ada@example.com"], "");
        assert_eq!(last.status.code(), Some(5), "{}", stderr(&last));
        assert!(add("eve@example.com", "admin", "a second admin pw").status.success());
        let deactivated = aim_cli(&t, &["staff", "deactivate", "--email", "ada@example.com"], "");
        assert!(deactivated.status.success(), "{}", stderr(&deactivated));

        let list = aim_cli(&t, &["staff", "list"], "");
        assert!(list.status.success());
        let listed = String::from_utf8(list.stdout).unwrap();
        assert!(listed.lines().any(|l| l.starts_with("ada@example.com") && l.contains("inactive")), "{listed}");
        assert!(listed.lines().any(|l| l.starts_with("eve@example.com") && l.contains(" active")), "{listed}");

        // Every change is in the audit log, by the command line, without a hash.
        let author = aim::facility::Author::staff(aim::domain::Actor { staff_user_id: record.id, role: Role::Admin }, aim::domain::AuditChannel::Graphql, None);
        let facility = aim::facility::Facility::new(t.db.clone(), aim::facility::FacilitySettings { capacity: 40, staff_ratio: 8, timezone: TZ }, aim::facility::sms::SmsService::new(t.db.clone(), None, Default::default()));
        let entries = facility.audit_log(&author.actor.unwrap(), None, None, 100).await.unwrap();
        let actions: Vec<&str> = entries.iter().rev().map(|e| e.action.as_str()).collect();
        assert_eq!(actions, ["staff.create", "staff.password", "staff.create", "staff.deactivate"]);
        assert!(entries.iter().all(|e| e.channel == aim::domain::AuditChannel::Cli && e.actor_id.is_none()));
        assert!(!entries.iter().any(|e| e.changes.0.to_string().contains("argon2")));
    }

    async fn a_facility_starts_empty_and_runs_its_day_on_aim(t: TestDb) {
        use common::serve::ServeProcess;
        let env = [("DATABASE_URL", t.url.as_str()), ("AIM_JWT_SECRET", TEST_SECRET), ("AIM_LLM", "offline")];
        // An empty database: the server says how to create the first admin.
        let server = ServeProcess::start(&[], &env);
        let deadline = std::time::Instant::now() + Duration::from_secs(10);
        while !server.output().contains("aim staff add") && std::time::Instant::now() < deadline {
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        assert!(server.output().contains("aim staff add --email you@example.com --name \"Your Name\" --role admin"), "{}", server.output());
        drop(server);

        let added = aim_cli(&t, &["staff", "add", "--email", "owner@example.com", "--name", "Olive Owner", "--role", "admin", "--password-stdin"], "first admin password\n");
        assert!(added.status.success(), "{}", stderr(&added));
        let server = ServeProcess::start(&[], &env);
        assert!(!server.output().contains("no active admin"), "{}", server.output());
        let client = aim::http::client(Duration::from_secs(5), Duration::from_secs(30));
        let login = |email: &'static str, password: &'static str| {
            let client = client.clone();
            let url = server.url("/api/v2/auth/login");
            async move {
                let body: Value = client.post(url).json(&json!({ "email": email, "password": password })).send().await.unwrap().json().await.unwrap();
                body["token"].as_str().unwrap_or_else(|| panic!("{body}")).to_owned()
            }
        };
        let admin = login("owner@example.com", "first admin password").await;
        let gql = |token: String, query: &'static str, variables: Value| {
            let client = client.clone();
            let url = server.url("/graphql");
            async move {
                let body: Value = client.post(url).bearer_auth(token).json(&json!({ "query": query, "variables": variables })).send().await.unwrap().json().await.unwrap();
                assert!(body.get("errors").is_none(), "{query}: {body}");
                body["data"].clone()
            }
        };
        gql(admin.clone(), "mutation S($input: StaffUserInput!) { createStaffUser(input: $input) { id role } }", json!({ "input": { "email": "desk@example.com", "name": "Dee Desk", "role": "STAFF", "password": "front desk password" } })).await;
        let desk = login("desk@example.com", "front desk password").await;

        let data = gql(desk.clone(), "mutation C($input: CustomerInput!) { createCustomer(input: $input) { id } }", json!({ "input": { "firstName": "Nora", "lastName": "Field", "phone": "555 600 7000" } })).await;
        let customer = data["createCustomer"]["id"].clone();
        let data = gql(desk.clone(), "mutation D($input: DogInput!) { createDog(input: $input) { id } }", json!({ "input": { "ownerId": customer, "name": "Juniper" } })).await;
        let dog = data["createDog"]["id"].clone();
        let expires = (today() + chrono::Days::new(300)).to_string();
        for kind in ["RABIES", "DHPP", "BORDETELLA"] {
            gql(desk.clone(), "mutation V($input: VaccinationInput!) { recordVaccination(input: $input) { id } }", json!({ "input": { "dogId": dog, "kind": kind, "expiresOn": expires } })).await;
        }
        // An empty facility has no services until they are set up: the first start adds the
        // four with list prices.
        let data = gql(desk.clone(), "{ services { kind } }", json!({})).await;
        assert_eq!(data["services"].as_array().unwrap().len(), 4, "{data}");
        let data = gql(desk.clone(), "mutation B($input: BookingInput!) { createBooking(input: $input) { id status } }", json!({ "input": { "customerId": customer, "dogIds": [dog], "service": "DAYCARE", "startDate": today().to_string() } })).await;
        let booking = data["createBooking"][0]["id"].clone();
        gql(desk.clone(), "mutation M($id: ID!) { checkInBooking(id: $id) { status } }", json!({ "id": booking })).await;

        let answer: Value = client.post(server.url("/api/v2/admin/aim/chat")).bearer_auth(&desk).json(&json!({ "message": "How many dogs are here today?" })).send().await.unwrap().json().await.unwrap();
        let text = answer["responseText"].as_str().unwrap_or_else(|| panic!("{answer}"));
        assert!(text.contains("1 dog on site"), "{text}");

        gql(desk.clone(), "mutation M($id: ID!) { checkOutBooking(id: $id) { status } }", json!({ "id": booking })).await;
        let data = gql(admin.clone(), "{ auditLog(first: 100) { edges { node { action channel actor { email } } } } }", json!({})).await;
        let mut actions: Vec<(String, String)> = data["auditLog"]["edges"].as_array().unwrap().iter().map(|e| {
            let n = &e["node"];
            (n["action"].as_str().unwrap().to_owned(), n["actor"]["email"].as_str().unwrap_or("cli").to_owned())
        }).collect();
        actions.reverse();
        let expected: Vec<(String, String)> = [
            ("staff.create", "cli"), ("staff.create", "owner@example.com"),
            ("customer.create", "desk@example.com"), ("dog.create", "desk@example.com"),
            ("vaccination.record", "desk@example.com"), ("vaccination.record", "desk@example.com"), ("vaccination.record", "desk@example.com"),
            ("booking.create", "desk@example.com"), ("booking.check_in", "desk@example.com"), ("booking.check_out", "desk@example.com"),
        ].iter().map(|(a, b)| (a.to_string(), b.to_string())).collect();
        assert_eq!(actions, expected);
    }
}
