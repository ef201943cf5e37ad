//! What `aim serve` logs at its default level holds no personal data or secrets: no message
//! bodies, phone numbers, emails, passwords or tokens — whatever the requests carried and
//! whatever the tools read. The server runs as a child process with `RUST_LOG` unset, and its
//! whole output is searched.

use std::io::{BufRead, BufReader, Read};
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};

use aim::facility::demo::DEMO_PASSWORD;

use super::*;
use crate::both_backends;

/// An `aim serve` child process whose output (both streams) is collected; killed when dropped.
struct Logged {
    child: Child,
    base: String,
    output: Arc<Mutex<String>>,
}

impl Logged {
    fn start(t: &TestDb) -> Logged {
        let mut child = Command::new(env!("CARGO_BIN_EXE_aim"))
            .arg("serve")
            .env("DATABASE_URL", &t.url)
            .env("AIM_JWT_SECRET", TEST_SECRET)
            .env("AIM_BIND", "127.0.0.1:0")
            .env("AIM_LLM", "offline")
            .env("AIM_ALERT_INTERVAL", "0")
            .env("NO_COLOR", "1")
            .env_remove("RUST_LOG")
            .env_remove("AIM_LOG_FORMAT")
            .env_remove("AIM_WEATHER_URL")
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("aim serve starts");
        let output = Arc::new(Mutex::new(String::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let stdout = child.stdout.take().unwrap();
        let collected = output.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(addr) = line.strip_prefix("AIM is running on ") {
                    let _ = tx.send(addr.trim().to_owned());
                }
                let mut all = collected.lock().unwrap();
                all.push_str(&line);
                all.push('\n');
            }
        });
        let mut stderr = child.stderr.take().unwrap();
        let collected = output.clone();
        std::thread::spawn(move || {
            let mut buffer = [0u8; 4096];
            while let Ok(n) = stderr.read(&mut buffer) {
                if n == 0 {
                    break;
                }
                collected
                    .lock()
                    .unwrap()
                    .push_str(&String::from_utf8_lossy(&buffer[..n]));
            }
        });
        let base = rx
            .recv_timeout(Duration::from_secs(60))
            .expect("aim serve says where it listens");
        Logged {
            child,
            base,
            output,
        }
    }

    fn url(&self, path: &str) -> String {
        format!("{}{path}", self.base)
    }

    fn output(&self) -> String {
        self.output.lock().unwrap().clone()
    }
}

impl Drop for Logged {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

both_backends! {
    async fn the_default_log_holds_no_message_bodies_contact_details_passwords_or_tokens(t: TestDb) {
        demo::seed(&t.db, today(), TZ).await.expect("demo data");
        let server = Logged::start(&t);
        let client = aim::http::client(Duration::from_secs(5), Duration::from_secs(60));
        let secret_words = "purple-elephant-7";
        let message = format!(
            "Search for customer Mark Huggins, phone (555) 014-2387, email mark.huggins@example.com, code {secret_words}"
        );

        // Sign-ins, failed and not.
        let refused = client
            .post(server.url("/api/v2/auth/login"))
            .json(&json!({ "email": DEMO_MANAGER_EMAIL, "password": "wrong-password-123" }))
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status(), StatusCode::UNAUTHORIZED);
        let login: Value = client
            .post(server.url("/api/v2/auth/login"))
            .json(&json!({ "email": DEMO_MANAGER_EMAIL, "password": DEMO_PASSWORD }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
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
        let plain: Value = client
            .post(server.url("/api/v2/admin/aim/chat"))
            .bearer_auth(&token)
            .json(&json!({ "message": message }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        let answer = plain["responseText"].as_str().expect("an answer");
        assert!(answer.contains("Mark Huggins"), "{answer}");
        let streamed = client
            .post(server.url("/api/v2/admin/aim/chat"))
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
        let graphql: Value = client
            .post(server.url("/graphql"))
            .bearer_auth(&token)
            .json(&json!({
                "query": "mutation($m: String!) { aimChat(input: { message: $m }) { responseText } }",
                "variables": { "m": message },
            }))
            .send()
            .await
            .unwrap()
            .json()
            .await
            .unwrap();
        assert!(graphql.get("errors").is_none(), "{graphql}");
        // A message too long: refused, and the refusal logged without the text.
        let refused = client
            .post(server.url("/api/v2/admin/aim/chat"))
            .bearer_auth(&token)
            .json(&json!({ "message": secret_words.repeat(1000) }))
            .send()
            .await
            .unwrap();
        assert_eq!(refused.status(), StatusCode::UNPROCESSABLE_ENTITY);

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
