//! What `aim serve` logs at its default level holds no personal data or secrets: no message
//! bodies, phone numbers, emails, passwords or tokens — whatever the requests carried and
//! whatever the tools read. The server runs as a child process with `RUST_LOG` unset, and its
//! whole output is searched.

use aim::facility::demo::DEMO_PASSWORD;

use super::*;
use crate::both_backends;
use crate::common::serve::ServeProcess;

/// POSTs `body` as JSON to `path` on `server`, with `token` when given: the status and the
/// answer's JSON (null when it is not JSON).
async fn post(
    client: &reqwest::Client,
    server: &ServeProcess,
    path: &str,
    token: Option<&str>,
    body: Value,
) -> (StatusCode, Value) {
    let mut request = client.post(server.url(path)).json(&body);
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    let response = request.send().await.unwrap();
    (
        response.status(),
        response.json().await.unwrap_or(Value::Null),
    )
}

both_backends! {
    async fn the_default_log_holds_no_message_bodies_contact_details_passwords_or_tokens(t: TestDb) {
        demo::seed(&t.db, today(), TZ).await.expect("demo data");
        let server = ServeProcess::start(
            &[],
            &[("DATABASE_URL", &t.url), ("AIM_JWT_SECRET", TEST_SECRET), ("AIM_LLM", "offline")],
        );
        let client = aim::http::client(Duration::from_secs(5), Duration::from_secs(60));
        let secret_words = "purple-elephant-7";
        let message = format!(
            "Search for customer Mark Huggins, phone (555) 014-2387, email mark.huggins@example.com, code {secret_words}"
        );

        // Sign-ins, failed and not.
        let wrong = json!({ "email": DEMO_MANAGER_EMAIL, "password": "wrong-password-123" });
        let (status, _) = post(&client, &server, "/api/v2/auth/login", None, wrong).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        let right = json!({ "email": DEMO_MANAGER_EMAIL, "password": DEMO_PASSWORD });
        let (_, login) = post(&client, &server, "/api/v2/auth/login", None, right).await;
        let token = login["token"].as_str().expect("a token").to_owned();

        // A token that is no token.
        let bogus = client
            .get(server.url("/api/v2/admin/aim/conversations"))
            .bearer_auth("not-a-real-token-xyz123")
            .send()
            .await
            .unwrap();
        assert_eq!(bogus.status(), StatusCode::UNAUTHORIZED);

        // Chat turns over REST, as server-sent events, and over GraphQL; the search tool reads
        // the customer's phone and email.
        let chat = "/api/v2/admin/aim/chat";
        let (_, plain) = post(&client, &server, chat, Some(&token), json!({ "message": message })).await;
        let answer = plain["responseText"].as_str().expect("an answer");
        assert!(answer.contains("Mark Huggins"), "{answer}");
        let streamed = client
            .post(server.url(chat))
            .bearer_auth(&token)
            .header("accept", "text/event-stream")
            .json(&json!({ "message": message, "conversationId": plain["conversationId"] }))
            .send()
            .await
            .unwrap()
            .text()
            .await
            .unwrap();
        assert!(streamed.contains("event: completed"), "{streamed}");
        let operation = json!({
            "query": "mutation($m: String!) { aimChat(input: { message: $m }) { responseText } }",
            "variables": { "m": message },
        });
        let (_, graphql) = post(&client, &server, "/graphql", Some(&token), operation).await;
        assert!(graphql.get("errors").is_none(), "{graphql}");
        // A message too long: refused, and the refusal logged without the text.
        let too_long = json!({ "message": secret_words.repeat(1000) });
        let (status, _) = post(&client, &server, chat, Some(&token), too_long).await;
        assert_eq!(status, StatusCode::UNPROCESSABLE_ENTITY);

        tokio::time::sleep(Duration::from_millis(300)).await;
        let log = server.output();
        assert!(log.contains("chat turn answered"), "the turns were logged:\n{log}");
        for secret in [
            secret_words,
            "014-2387",
            "0142387",
            "mark.huggins@example.com",
            DEMO_MANAGER_EMAIL,
            DEMO_PASSWORD,
            "wrong-password-123",
            "not-a-real-token-xyz123",
            &token,
            TEST_SECRET,
        ] {
            assert!(!log.contains(secret), "the log holds `{secret}`:\n{log}");
        }
    }
}
