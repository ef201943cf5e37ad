//! `/playground`, `/playground/chat` and `/playground/desk`: served without a token, as HTML with a
//! Content-Security-Policy, and every script and style they load comes from this server.

use aim::Mode;
use reqwest::StatusCode;
use reqwest::header::{CACHE_CONTROL, CONTENT_SECURITY_POLICY, CONTENT_TYPE};

use crate::both_backends;
use crate::common::TestServer;

/// The values of `attribute="…"` in `html`, in order.
fn attribute_values<'h>(html: &'h str, attribute: &str) -> Vec<&'h str> {
    let needle = format!(" {attribute}=\"");
    html.match_indices(&needle)
        .filter_map(|(at, _)| {
            let rest = &html[at + needle.len()..];
            rest.find('"').map(|end| &rest[..end])
        })
        .collect()
}

both_backends! {
    async fn playground_pages_and_their_assets_are_served_without_a_token(t: TestDb) {
        let server = TestServer::start(t.config(), Mode::default()).await;
        let mut assets = Vec::new();
        for (path, title) in [
            ("/playground", "<title>AIM GraphQL playground</title>"),
            ("/playground/", "<title>AIM GraphQL playground</title>"),
            ("/playground/chat", "<title>AIM chat console</title>"),
            ("/playground/desk", "<title>AIM front desk</title>"),
        ] {
            let response = server.client.get(server.url(path)).send().await.unwrap();
            assert_eq!(response.status(), StatusCode::OK, "{path}");
            assert_eq!(response.headers()[CONTENT_TYPE], "text/html; charset=utf-8", "{path}");
            let csp = response.headers()[CONTENT_SECURITY_POLICY].to_str().unwrap().to_owned();
            for directive in ["default-src 'self'", "script-src 'self';", "connect-src 'self'", "worker-src 'self'"] {
                assert!(csp.contains(directive), "{path}: {directive} in {csp}");
            }
            let html = response.text().await.unwrap();
            assert!(html.contains(title), "{path}: {html}");
            assert!(!html.contains("http://") && !html.contains("https://"), "{path} names no other host: {html}");
            assert_eq!(html.matches("<script").count(), attribute_values(&html, "src").len(), "{path}: no inline scripts");
            let references: Vec<&str> = attribute_values(&html, "src").into_iter().chain(attribute_values(&html, "href")).collect();
            assert!(references.iter().any(|r| r.ends_with(".js")), "{path} loads a script: {references:?}");
            for reference in references {
                let same_origin = (reference.starts_with('/') && !reference.starts_with("//")) || reference.starts_with("data:");
                assert!(same_origin, "{path} references {reference}");
                if reference.starts_with("/playground/assets/") {
                    assets.push(reference.to_owned());
                }
            }
        }
        assets.sort();
        assets.dedup();
        assert!(assets.iter().any(|a| a.ends_with(".css")), "{assets:?}");
        for asset in &assets {
            let response = server.client.get(server.url(asset)).send().await.unwrap();
            assert_eq!(response.status(), StatusCode::OK, "{asset}");
            let expected = if asset.ends_with(".js") { "text/javascript; charset=utf-8" } else { "text/css; charset=utf-8" };
            assert_eq!(response.headers()[CONTENT_TYPE], expected, "{asset}");
            assert!(response.headers()[CACHE_CONTROL].to_str().unwrap().contains("immutable"), "{asset}");
            assert!(!response.bytes().await.unwrap().is_empty(), "{asset}");
        }

        let response = server.client.get(server.url("/playground/assets/missing.js")).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::NOT_FOUND);
        let body: serde_json::Value = response.json().await.unwrap();
        assert_eq!(body["error"]["code"], "not_found");

        // The API beside the pages still wants a token.
        let response = server.client.post(server.url("/graphql")).json(&serde_json::json!({"query": "{ me { email } }"})).send().await.unwrap();
        assert_eq!(response.status(), StatusCode::UNAUTHORIZED);
    }
}
