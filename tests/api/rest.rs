//! The REST shims under `/api/v2/admin/aim/`, against the demo facility and the offline model.

use std::time::Duration;

use aim::Mode;
use aim::facility::demo::{DEMO_MANAGER_EMAIL, DEMO_STAFF_EMAIL};
use reqwest::{Method, StatusCode};
use serde_json::{Value, json};

use crate::both_backends;
use crate::common::{TestDb, TestServer};

/// The demo facility served on port 0, answered by the offline model.
pub async fn demo_server(t: &TestDb) -> TestServer {
    TestServer::start(t.config(), Mode { demo: true }).await
}

pub async fn token(t: &TestDb, email: &str) -> String {
    let config = t.config();
    let keys = aim::jwt_keys(&config, &t.db, aim::SecretSource::Required)
        .await
        .unwrap();
    aim::issue_token(&t.db, &keys, email, Duration::from_secs(600))
        .await
        .unwrap()
        .token
}

pub async fn call(
    server: &TestServer,
    method: Method,
    path: &str,
    token: Option<&str>,
    body: Option<Value>,
) -> (StatusCode, reqwest::header::HeaderMap, Value) {
    let mut request = server.client.request(method, server.url(path));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    if let Some(body) = body {
        request = request.json(&body);
    }
    let response = request.send().await.unwrap();
    let status = response.status();
    let headers = response.headers().clone();
    let body = response.json().await.unwrap_or(Value::Null);
    (status, headers, body)
}

/// `<…?…cursor=X…>; rel="next"` → the path of the next page.
fn next_link(headers: &reqwest::header::HeaderMap) -> Option<String> {
    let link = headers.get("link")?.to_str().ok()?;
    let start = link.find('<')? + 1;
    let end = link.find('>')?;
    assert!(link.ends_with("rel=\"next\""), "{link}");
    Some(link[start..end].to_owned())
}

const ROUTES: &[(&str, &str)] = &[
    ("POST", "/api/v2/admin/aim/chat"),
    ("GET", "/api/v2/admin/aim/conversations"),
    (
        "GET",
        "/api/v2/admin/aim/conversations/0190a0b4-0000-7000-8000-000000000000",
    ),
    (
        "DELETE",
        "/api/v2/admin/aim/conversations/0190a0b4-0000-7000-8000-000000000000",
    ),
    (
        "GET",
        "/api/v2/admin/aim/actions/0190a0b4-0000-7000-8000-000000000000",
    ),
    (
        "POST",
        "/api/v2/admin/aim/actions/0190a0b4-0000-7000-8000-000000000000/confirm",
    ),
    (
        "POST",
        "/api/v2/admin/aim/actions/0190a0b4-0000-7000-8000-000000000000/cancel",
    ),
];

both_backends! {
    async fn every_chat_route_answers_401_without_a_valid_token(t: TestDb) {
        let server = demo_server(&t).await;
        for (method, path) in ROUTES {
            for bad in [None, Some("not-a-token")] {
                let method: Method = method.parse().unwrap();
                let body = (method == Method::POST).then(|| json!({"message": "hi"}));
                let (status, headers, body) = call(&server, method.clone(), path, bad, body).await;
                assert_eq!(status, StatusCode::UNAUTHORIZED, "{method} {path}");
                assert!(headers.get("www-authenticate").unwrap().to_str().unwrap().starts_with("Bearer"));
                assert_eq!(body["error"]["code"], "unauthenticated", "{method} {path}");
            }
        }
    }

    async fn chat_over_rest_answers_and_the_conversation_reads_back(t: TestDb) {
        let server = demo_server(&t).await;
        let staff = token(&t, DEMO_STAFF_EMAIL).await;
        let (status, _, answer) = call(&server, Method::POST, "/api/v2/admin/aim/chat", Some(&staff), Some(json!({"message": "How's today looking?"}))).await;
        assert_eq!(status, StatusCode::OK, "{answer}");
        assert_eq!(answer["modelUsed"], "aim-offline");
        assert_eq!(answer["toolsUsed"], json!(["get_today_summary"]));
        assert!(answer["responseText"].as_str().unwrap().contains("40"));
        assert!(answer.get("pendingActions").is_none(), "only when there are any");
        let id = answer["conversationId"].as_str().unwrap().to_owned();

        let (status, _, follow) = call(&server, Method::POST, "/api/v2/admin/aim/chat", Some(&staff), Some(json!({"message": "Search for customer Mark Huggins", "conversationId": id}))).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(follow["conversationId"], id.as_str());

        let (status, _, detail) = call(&server, Method::GET, &format!("/api/v2/admin/aim/conversations/{id}"), Some(&staff), None).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(detail["id"], id.as_str());
        assert_eq!(detail["title"], "How's today looking?");
        assert_eq!(detail["status"], "active");
        let messages = detail["messages"].as_array().unwrap();
        let roles: Vec<&str> = messages.iter().map(|m| m["role"].as_str().unwrap()).collect();
        assert_eq!(roles, ["user", "assistant", "user", "assistant"]);
        assert_eq!(messages[1]["toolCalls"][0]["name"], "get_today_summary");
        assert_eq!(messages[1]["modelUsed"], "aim-offline");
        assert_eq!(messages[3]["content"], follow["responseText"]);
    }

    async fn another_staff_users_conversation_and_action_are_404(t: TestDb) {
        let server = demo_server(&t).await;
        let staff = token(&t, DEMO_STAFF_EMAIL).await;
        let manager = token(&t, DEMO_MANAGER_EMAIL).await;
        let (_, _, answer) = call(&server, Method::POST, "/api/v2/admin/aim/chat", Some(&staff), Some(json!({"message": "Book Pepper for daycare next Friday"}))).await;
        let id = answer["conversationId"].as_str().unwrap();
        let action = answer["pendingActions"][0]["id"].as_str().expect("a proposed booking");
        for (method, path) in [
            (Method::GET, format!("/api/v2/admin/aim/conversations/{id}")),
            (Method::DELETE, format!("/api/v2/admin/aim/conversations/{id}")),
            (Method::GET, format!("/api/v2/admin/aim/actions/{action}")),
            (Method::POST, format!("/api/v2/admin/aim/actions/{action}/confirm")),
            (Method::POST, format!("/api/v2/admin/aim/actions/{action}/cancel")),
        ] {
            let (status, _, body) = call(&server, method.clone(), &path, Some(&manager), None).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{method} {path}");
            assert_eq!(body["error"]["code"], "not_found");
        }
        let (status, _, body) = call(&server, Method::POST, "/api/v2/admin/aim/chat", Some(&manager), Some(json!({"message": "hi", "conversationId": id}))).await;
        assert_eq!((status, body["error"]["code"].as_str()), (StatusCode::NOT_FOUND, Some("not_found")));
        let (_, _, list) = call(&server, Method::GET, "/api/v2/admin/aim/conversations", Some(&manager), None).await;
        assert_eq!(list, json!([]));
    }

    async fn a_proposed_action_is_confirmed_once_over_rest(t: TestDb) {
        let server = demo_server(&t).await;
        let staff = token(&t, DEMO_STAFF_EMAIL).await;
        let (_, _, answer) = call(&server, Method::POST, "/api/v2/admin/aim/chat", Some(&staff), Some(json!({"message": "Book Pepper for daycare next Friday"}))).await;
        let action = &answer["pendingActions"][0];
        assert_eq!(action["status"], "pending");
        assert_eq!(action["tool"], "create_booking");
        let path = format!("/api/v2/admin/aim/actions/{}/confirm", action["id"].as_str().unwrap());
        let (status, _, first) = call(&server, Method::POST, &path, Some(&staff), None).await;
        assert_eq!(status, StatusCode::OK, "{first}");
        assert_eq!(first["status"], "executed");
        let (status, _, again) = call(&server, Method::POST, &path, Some(&staff), None).await;
        assert_eq!(status, StatusCode::OK);
        assert_eq!(again["result"], first["result"]);
        let cancel = path.replace("/confirm", "/cancel");
        let (status, _, body) = call(&server, Method::POST, &cancel, Some(&staff), None).await;
        assert_eq!(status, StatusCode::CONFLICT);
        assert_eq!(body["error"]["code"], "action_not_pending");
    }

    async fn conversations_page_by_link_header_without_repeats(t: TestDb) {
        let server = demo_server(&t).await;
        let staff = token(&t, DEMO_STAFF_EMAIL).await;
        let mut created = Vec::new();
        for i in 0..7 {
            let (_, _, answer) = call(&server, Method::POST, "/api/v2/admin/aim/chat", Some(&staff), Some(json!({"message": format!("Which vaccinations are due? ({i})")}))).await;
            created.push(answer["conversationId"].as_str().unwrap().to_owned());
        }
        let mut seen = Vec::new();
        let mut path = Some("/api/v2/admin/aim/conversations?limit=3".to_owned());
        let mut pages = 0;
        while let Some(p) = path {
            let (status, headers, page) = call(&server, Method::GET, &p, Some(&staff), None).await;
            assert_eq!(status, StatusCode::OK, "{page}");
            let page = page.as_array().unwrap();
            assert!(page.len() <= 3);
            seen.extend(page.iter().map(|c| c["id"].as_str().unwrap().to_owned()));
            path = next_link(&headers);
            pages += 1;
        }
        assert_eq!(pages, 3);
        created.reverse();
        assert_eq!(seen, created, "newest first, each once");

        // Archived conversations leave the default list.
        let (status, _, archived) = call(&server, Method::DELETE, &format!("/api/v2/admin/aim/conversations/{}", created[0]), Some(&staff), None).await;
        assert_eq!((status, archived["status"].as_str()), (StatusCode::OK, Some("archived")));
        let (_, _, list) = call(&server, Method::GET, "/api/v2/admin/aim/conversations?limit=100", Some(&staff), None).await;
        assert_eq!(list.as_array().unwrap().len(), 6);
        let (_, _, list) = call(&server, Method::GET, "/api/v2/admin/aim/conversations?status=archived", Some(&staff), None).await;
        assert_eq!(list.as_array().unwrap().len(), 1);
    }

    async fn bad_ids_bodies_and_parameters_name_the_field(t: TestDb) {
        let server = demo_server(&t).await;
        let staff = token(&t, DEMO_STAFF_EMAIL).await;
        let cases = [
            (Method::GET, "/api/v2/admin/aim/conversations/not-an-id", None, StatusCode::BAD_REQUEST, "id"),
            (Method::POST, "/api/v2/admin/aim/actions/42/confirm", None, StatusCode::BAD_REQUEST, "id"),
            (Method::GET, "/api/v2/admin/aim/conversations?limit=0", None, StatusCode::UNPROCESSABLE_ENTITY, "limit"),
            (Method::GET, "/api/v2/admin/aim/conversations?cursor=nonsense", None, StatusCode::BAD_REQUEST, "cursor"),
            (Method::GET, "/api/v2/admin/aim/conversations?status=deleted", None, StatusCode::UNPROCESSABLE_ENTITY, "status"),
            (Method::POST, "/api/v2/admin/aim/chat", Some(json!({"message": "  "})), StatusCode::UNPROCESSABLE_ENTITY, "message"),
            (Method::POST, "/api/v2/admin/aim/chat", Some(json!({"message": "hi", "conversationId": "x"})), StatusCode::BAD_REQUEST, "conversationId"),
        ];
        for (method, path, body, expected, field) in cases {
            let (status, _, answer) = call(&server, method.clone(), path, Some(&staff), body).await;
            assert_eq!(status, expected, "{method} {path}: {answer}");
            assert_eq!(answer["error"]["field"], field, "{method} {path}: {answer}");
        }
        let (status, _, answer) = call(&server, Method::POST, "/api/v2/admin/aim/chat", Some(&staff), Some(json!({"message": "hi", "staffUserId": "someone-else"}))).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY, "the staff user comes from the token: {answer}");
    }
}

both_backends! {
    async fn the_openapi_document_lists_every_rest_route_and_each_is_served(t: TestDb) {
        let server = demo_server(&t).await;
        let staff = token(&t, DEMO_STAFF_EMAIL).await;
        let (status, _, _) = call(&server, Method::GET, "/api/v2/openapi.json", None, None).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let (status, _, doc) = call(&server, Method::GET, "/api/v2/openapi.json", Some(&staff), None).await;
        assert_eq!(status, StatusCode::OK);
        assert!(doc["openapi"].as_str().unwrap().starts_with("3."), "{}", doc["openapi"]);
        assert_eq!(doc["components"]["securitySchemes"]["bearer"]["scheme"], "bearer");

        let mut documented: Vec<(String, String)> = Vec::new();
        for (path, item) in doc["paths"].as_object().unwrap() {
            for method in item.as_object().unwrap().keys() {
                documented.push((method.to_uppercase(), path.clone()));
            }
        }
        let mut expected: Vec<(String, String)> = ROUTES.iter().map(|(m, p)| (m.to_string(), p.replace("0190a0b4-0000-7000-8000-000000000000", "{id}"))).collect();
        expected.push(("POST".into(), "/api/v2/auth/login".into()));
        expected.push(("GET".into(), "/api/v2/admin/staff".into()));
        expected.push(("GET".into(), "/api/v2/admin/aim/alerts".into()));
        expected.push(("PATCH".into(), "/api/v2/admin/aim/alerts/{id}/read".into()));
        expected.push(("PATCH".into(), "/api/v2/admin/aim/alerts/{id}/resolve".into()));
        for route in &expected {
            assert!(documented.contains(route), "{route:?} is not documented: {documented:?}");
        }
        // Everything documented is served: without a token, 401 (or the login's own answer),
        // never 404 or 405.
        for (method, path) in &documented {
            let concrete = path.replace("{id}", "0190a0b4-0000-7000-8000-000000000000");
            let body = (method == "POST").then(|| json!({}));
            let (status, _, _) = call(&server, method.parse().unwrap(), &concrete, None, body).await;
            assert!(
                status != StatusCode::NOT_FOUND && status != StatusCode::METHOD_NOT_ALLOWED,
                "{method} {path}: {status}"
            );
        }
    }
}

both_backends! {
    async fn rest_and_graphql_show_the_same_conversation(t: TestDb) {
        let server = demo_server(&t).await;
        let staff = token(&t, DEMO_STAFF_EMAIL).await;
        let (_, _, answer) = call(&server, Method::POST, "/api/v2/admin/aim/chat", Some(&staff), Some(json!({"message": "Book Pepper for daycare next Friday"}))).await;
        let id = answer["conversationId"].as_str().unwrap().to_owned();
        let (_, _, rest) = call(&server, Method::GET, &format!("/api/v2/admin/aim/conversations/{id}"), Some(&staff), None).await;
        let query = "query($id: ID!) { aimConversation(id: $id) { id title status createdAt updatedAt inputTokens outputTokens \
                     staffUser { id } \
                     messages(first: 100) { edges { node { id role content modelUsed createdAt toolCallsJson } } } \
                     actions { id tool status summary expiresAt } } }";
        let (status, _, body) = call(&server, Method::POST, "/graphql", Some(&staff), Some(json!({"query": query, "variables": {"id": id}}))).await;
        assert_eq!(status, StatusCode::OK);
        let gql = &body["data"]["aimConversation"];
        assert!(body.get("errors").is_none(), "{body}");
        for field in ["id", "title", "inputTokens", "outputTokens"] {
            assert_eq!(gql[field], rest[field], "{field}");
        }
        assert_eq!(gql["status"], "ACTIVE");
        assert_eq!(rest["status"], "active");
        assert_eq!(gql["staffUser"]["id"], rest["staffUserId"]);
        let same_instant = |a: &Value, b: &Value| {
            let a: chrono::DateTime<chrono::Utc> = a.as_str().unwrap().parse().unwrap();
            let b: chrono::DateTime<chrono::Utc> = b.as_str().unwrap().parse().unwrap();
            a == b
        };
        assert!(same_instant(&gql["updatedAt"], &rest["updatedAt"]));
        let gql_messages: Vec<&Value> = gql["messages"]["edges"].as_array().unwrap().iter().map(|e| &e["node"]).collect();
        let rest_messages = rest["messages"].as_array().unwrap();
        assert_eq!(gql_messages.len(), rest_messages.len());
        for (g, r) in gql_messages.iter().zip(rest_messages) {
            assert_eq!(g["id"], r["id"]);
            assert_eq!(g["content"], r["content"]);
            assert_eq!(g["modelUsed"], r["modelUsed"]);
            assert_eq!(g["role"].as_str().unwrap().to_lowercase(), r["role"].as_str().unwrap());
            assert_eq!(g["toolCallsJson"], r["toolCalls"]);
            assert!(same_instant(&g["createdAt"], &r["createdAt"]));
        }
        let (g, r) = (&gql["actions"][0], &rest["actions"][0]);
        assert_eq!(g["id"], r["id"]);
        assert_eq!(g["summary"], r["summary"]);
        assert_eq!(g["tool"].as_str().unwrap().to_lowercase(), r["tool"].as_str().unwrap());
    }
}
