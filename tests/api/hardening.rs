//! What keeps the API safe to expose: per-user chat limits, CORS only for configured origins,
//! introspection that can be switched off, no batched GraphQL requests, limits on depth,
//! complexity and page size, and hostile bodies (too large, not UTF-8, NUL characters) refused
//! with a clear error instead of failing inside.

use aim::Mode;
use aim::facility::demo::{DEMO_MANAGER_EMAIL, DEMO_STAFF_EMAIL};
use reqwest::{Method, StatusCode};
use serde_json::json;

use super::rest::{call, token};
use crate::both_backends;
use crate::common::TestServer;

both_backends! {
    async fn chat_turns_are_limited_per_staff_user_with_retry_after(t: TestDb) {
        let mut config = t.config();
        config.chat_per_minute = 2;
        let server = TestServer::start(config, Mode { demo: true }).await;
        let staff = token(&t, DEMO_STAFF_EMAIL).await;
        let manager = token(&t, DEMO_MANAGER_EMAIL).await;
        let chat = |token: String| {
            let server = &server;
            async move {
                call(server, Method::POST, "/api/v2/admin/aim/chat", Some(&token), Some(json!({"message": "How many dogs are here today?"}))).await
            }
        };
        for _ in 0..2 {
            assert_eq!(chat(staff.clone()).await.0, StatusCode::OK);
        }
        let (status, headers, body) = chat(staff.clone()).await;
        assert_eq!(status, StatusCode::TOO_MANY_REQUESTS, "{body}");
        assert_eq!(body["error"]["code"], "rate_limited");
        let wait: u64 = headers.get("retry-after").unwrap().to_str().unwrap().parse().unwrap();
        assert!((1..=60).contains(&wait), "{wait}");
        assert_eq!(chat(manager).await.0, StatusCode::OK, "another staff user has their own allowance");
        let (_, _, list) = call(&server, Method::GET, "/api/v2/admin/aim/conversations", Some(&staff), None).await;
        assert_eq!(list.as_array().unwrap().len(), 2, "a refused turn stores nothing");
    }

    async fn cors_answers_only_configured_origins(t: TestDb) {
        let mut config = t.config();
        config.cors_origins = vec!["https://admin.happytail.example".into()];
        let server = TestServer::start(config, Mode::default()).await;
        let preflight = |origin: &'static str| {
            server.client.request(Method::OPTIONS, server.url("/graphql"))
                .header("origin", origin)
                .header("access-control-request-method", "POST")
                .header("access-control-request-headers", "authorization,content-type")
                .send()
        };
        let allowed = preflight("https://admin.happytail.example").await.unwrap();
        assert_eq!(allowed.headers().get("access-control-allow-origin").unwrap(), "https://admin.happytail.example");
        let refused = preflight("https://evil.example").await.unwrap();
        assert!(refused.headers().get("access-control-allow-origin").is_none());

        let server = TestServer::start(t.config(), Mode::default()).await;
        let response = server.client.get(server.url("/healthz")).header("origin", "https://admin.happytail.example").send().await.unwrap();
        assert!(response.headers().get("access-control-allow-origin").is_none(), "no CORS unless configured");
    }

    async fn introspection_can_be_switched_off_and_batches_are_refused(t: TestDb) {
        let server = TestServer::start(t.config(), Mode { demo: true }).await;
        let staff = token(&t, DEMO_STAFF_EMAIL).await;
        let introspect = json!({"query": "{ __schema { queryType { name } } }"});
        let (status, _, body) = call(&server, Method::POST, "/graphql", Some(&staff), Some(introspect.clone())).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["data"]["__schema"]["queryType"]["name"], "Query");

        let batch = json!([{"query": "{ me { email } }"}, {"query": "{ me { name } }"}]);
        let (status, _, body) = call(&server, Method::POST, "/graphql", Some(&staff), Some(batch)).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
        drop(server);

        let mut config = t.config();
        config.graphql_introspection = false;
        let server = TestServer::start(config, Mode::default()).await;
        let (status, _, body) = call(&server, Method::POST, "/graphql", Some(&staff), Some(introspect)).await;
        assert_eq!(status, StatusCode::OK);
        assert!(body["data"]["__schema"].is_null(), "introspection answers nothing: {body}");
        let (_, _, body) = call(&server, Method::POST, "/graphql", Some(&staff), Some(json!({"query": "{ me { email } }"}))).await;
        assert_eq!(body["data"]["me"]["email"], DEMO_STAFF_EMAIL);
    }
}

both_backends! {
    async fn too_deep_or_too_complex_queries_are_refused_before_they_run(t: TestDb) {
        let server = TestServer::start(t.config(), Mode { demo: true }).await;
        let staff = token(&t, DEMO_STAFF_EMAIL).await;
        let deep = "{ __schema { types { fields { type { ofType { ofType { ofType { ofType { ofType { ofType { ofType { ofType { name } } } } } } } } } } } } }";
        let (status, _, body) = call(&server, Method::POST, "/graphql", Some(&staff), Some(json!({"query": deep}))).await;
        assert_eq!(status, StatusCode::OK);
        assert!(body["data"].is_null(), "{body}");
        assert!(body["errors"][0]["message"].as_str().unwrap().contains("nested too deep"), "{body}");

        let wide: String = (0..1_100).map(|i| format!("a{i}: me {{ email }} ")).collect();
        let (_, _, body) = call(&server, Method::POST, "/graphql", Some(&staff), Some(json!({"query": format!("{{ {wide} }}")}))).await;
        assert!(body["data"].is_null(), "aliases ×1100 are refused");
        assert!(body["errors"][0]["message"].as_str().unwrap().contains("too complex"), "{body}");
    }
}

both_backends! {
    async fn hostile_bodies_and_queries_get_clear_errors_never_a_failure_inside(t: TestDb) {
        let server = TestServer::start(t.config(), Mode { demo: true }).await;
        let staff = token(&t, DEMO_STAFF_EMAIL).await;

        // GraphQL: a fragment cycle and a page far too large are refused, naming what is wrong.
        let cycle = "query { ...A } fragment A on Query { ...B } fragment B on Query { ...A }";
        let (status, _, body) = call(&server, Method::POST, "/graphql", Some(&staff), Some(json!({"query": cycle}))).await;
        assert_eq!(status, StatusCode::OK);
        assert!(body["data"].is_null(), "{body}");
        assert!(body["errors"][0]["message"].as_str().unwrap().contains("recursion"), "{body}");
        let huge = json!({"query": "{ aimConversations(first: 100000) { edges { node { id } } } }"});
        let (_, _, body) = call(&server, Method::POST, "/graphql", Some(&staff), Some(huge)).await;
        assert_eq!(body["errors"][0]["extensions"]["code"], "invalid_input", "{body}");
        assert_eq!(body["errors"][0]["extensions"]["field"], "first", "{body}");

        // A body over the limit: 413 with the API's error body.
        let message = "x".repeat(t.config().max_body_bytes + 1);
        let (status, _, body) = call(&server, Method::POST, "/api/v2/admin/aim/chat", Some(&staff), Some(json!({"message": message}))).await;
        assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE, "{body}");
        assert!(body["error"]["code"].is_string(), "{body}");

        // Bytes that are not UTF-8: 400, not a failure inside.
        let response = server
            .client
            .post(server.url("/api/v2/admin/aim/chat"))
            .bearer_auth(&staff)
            .header("content-type", "application/json")
            .body(b"{\"message\": \"caf\xe9\"}".to_vec())
            .send()
            .await
            .unwrap();
        assert_eq!(response.status(), StatusCode::BAD_REQUEST);
        let body: serde_json::Value = response.json().await.unwrap();
        assert!(body["error"]["message"].is_string(), "{body}");

        // A NUL character (which PostgreSQL cannot store in text) is refused, naming the field.
        let (status, _, body) = call(&server, Method::POST, "/api/v2/admin/aim/chat", Some(&staff), Some(json!({"message": "How's today\u{0}looking?"}))).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["error"]["field"], "message", "{body}");
        let (_, _, body) = call(
            &server,
            Method::POST,
            "/graphql",
            Some(&staff),
            Some(json!({"query": "mutation($m: String!) { aimChat(input: { message: $m }) { responseText } }", "variables": {"m": "a\u{0}b"}})),
        )
        .await;
        assert_eq!(body["errors"][0]["extensions"]["field"], "message", "{body}");
        let (status, _, body) = call(&server, Method::POST, "/api/v2/auth/login", None, Some(json!({"email": "staff\u{0}@happytail.example", "password": "x"}))).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "{body}");
        assert_eq!(body["error"]["field"], "email", "{body}");

        // What a client does not own it cannot set: GraphQL inputs have no room for the owner,
        // a status or a time read, and say so.
        for (field, mutation) in [
            ("staffUserId", r#"mutation { aimChat(input: { message: "hi", staffUserId: "x" }) { responseText } }"#),
            ("status", r#"mutation { aimChat(input: { message: "hi", status: "archived" }) { responseText } }"#),
            ("readAt", r#"mutation { markAimAlertRead(id: "x", readAt: "2020-01-01T00:00:00Z") { id } }"#),
        ] {
            let (_, _, body) = call(&server, Method::POST, "/graphql", Some(&staff), Some(json!({"query": mutation}))).await;
            assert!(body["data"].is_null(), "{field}: {body}");
            assert!(body["errors"][0]["message"].as_str().unwrap().contains(field), "{field}: {body}");
        }
    }
}

both_backends! {
    async fn an_exhausted_pool_answers_503_quickly_and_the_server_recovers(t: TestDb) {
        let mut config = t.config();
        config.db_acquire_timeout = std::time::Duration::from_millis(300);
        let server = TestServer::start(config, Mode { demo: true }).await;
        let staff = token(&t, DEMO_STAFF_EMAIL).await;
        let (status, _, _) = call(&server, Method::GET, "/api/v2/admin/aim/conversations", Some(&staff), None).await;
        assert_eq!(status, StatusCode::OK);

        // Every connection of the server's pool is taken (a stuck query, a burst of load).
        let mut held = Vec::new();
        for _ in 0..server.app_db.pool_stats().max {
            held.push(server.app_db.conn().await.unwrap());
        }
        let started = std::time::Instant::now();
        let (status, headers, body) = call(&server, Method::GET, "/api/v2/admin/aim/conversations", Some(&staff), None).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE, "{body}");
        assert_eq!(body["error"]["code"], "unavailable", "{body}");
        assert_eq!(headers["retry-after"], "1");
        let message = body["error"]["message"].as_str().unwrap();
        assert!(!message.to_lowercase().contains("pool") && !message.contains("sqlx"), "no internals: {message}");
        let (status, _, _) = call(&server, Method::POST, "/graphql", Some(&staff), Some(json!({"query": "{ me { email } }"}))).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        let (status, _, _) = call(&server, Method::GET, "/readyz", None, None).await;
        assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
        assert!(started.elapsed() < std::time::Duration::from_secs(5), "answered without hanging: {:?}", started.elapsed());

        drop(held);
        let (status, _, _) = call(&server, Method::GET, "/readyz", None, None).await;
        assert_eq!(status, StatusCode::OK);
        let (status, _, body) = call(&server, Method::POST, "/graphql", Some(&staff), Some(json!({"query": "{ me { email } }"}))).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(body["data"]["me"]["email"], DEMO_STAFF_EMAIL);
    }
}

both_backends! {
    async fn malformed_requests_are_refused_with_a_status_the_openapi_document_declares(t: TestDb) {
        let server = TestServer::start(t.config(), Mode { demo: true }).await;
        let manager = token(&t, DEMO_MANAGER_EMAIL).await;
        let (_, _, doc) = call(&server, Method::GET, "/api/v2/openapi.json", Some(&manager), None).await;
        let mut tried = 0;
        for (path, item) in doc["paths"].as_object().unwrap() {
            for (method, operation) in item.as_object().unwrap() {
                let declared: Vec<&String> = operation["responses"].as_object().unwrap().keys().collect();
                // An id that is no UUID, a body that is not JSON (or not sent as JSON), a
                // cursor no list gave out.
                let mut requests = Vec::new();
                let concrete = path.replace("{id}", "null,null");
                let method: Method = method.to_uppercase().parse().unwrap();
                if method == Method::POST {
                    for (content_type, body) in [(Some("application/json"), "{not json"), (None, "{}")] {
                        let mut request = server.client.post(server.url(&concrete)).bearer_auth(&manager).body(body);
                        if let Some(content_type) = content_type {
                            request = request.header("content-type", content_type);
                        }
                        requests.push(request);
                    }
                } else {
                    requests.push(server.client.request(method.clone(), server.url(&format!("{concrete}?cursor=&limit=x"))).bearer_auth(&manager));
                }
                for request in requests {
                    let response = request.send().await.unwrap();
                    let status = response.status();
                    assert!(!status.is_server_error(), "{method} {path}: {status}");
                    assert!(declared.contains(&&status.as_u16().to_string()), "{method} {path}: {status} is not among {declared:?}");
                    tried += 1;
                }
            }
        }
        assert!(tried >= 13, "{tried}");
    }
}
