//! `/api/v2/admin/aim/alerts`: 401s, the list with its filters and `Link` pages, read and
//! resolve, and bad or unknown ids.

use std::collections::HashSet;

use aim::domain::{AlertId, AlertSeverity as Sev, AlertType as Kind};
use reqwest::Method;

use super::*;
use crate::both_backends;

async fn call(s: &Served, method: Method, path: &str, token: Option<&str>) -> reqwest::Response {
    let mut request = s.server.client.request(method, s.server.url(path));
    if let Some(token) = token {
        request = request.bearer_auth(token);
    }
    request.send().await.unwrap()
}

/// Status, JSON body and the `rel="next"` URL of a request as the staff user.
async fn get(s: &Served, path: &str) -> (StatusCode, Value, Option<String>) {
    let response = call(s, Method::GET, path, Some(&s.token)).await;
    let status = response.status();
    let next = response.headers().get("link").map(|link| {
        let link = link.to_str().unwrap();
        assert!(link.ends_with(">; rel=\"next\""), "{link}");
        link.trim_start_matches('<')
            .split('>')
            .next()
            .unwrap()
            .to_owned()
    });
    (status, response.json().await.unwrap(), next)
}

async fn patch(s: &Served, path: &str) -> (StatusCode, Value) {
    let response = call(s, Method::PATCH, path, Some(&s.token)).await;
    (response.status(), response.json().await.unwrap())
}

fn ids(body: &Value) -> Vec<String> {
    body.as_array()
        .unwrap_or_else(|| panic!("not a list: {body}"))
        .iter()
        .map(|a| a["id"].as_str().unwrap().to_owned())
        .collect()
}

both_backends! {
    async fn alert_routes_answer_401_with_a_bearer_challenge(t: TestDb) {
        let s = Served::start(&t).await;
        let alert = create(&s.alerts, Kind::Compliance, Sev::Warning, "Max's bordetella expires").await;
        let routes = [
            (Method::GET, "/api/v2/admin/aim/alerts".to_owned()),
            (Method::PATCH, format!("/api/v2/admin/aim/alerts/{}/read", alert.id)),
            (Method::PATCH, format!("/api/v2/admin/aim/alerts/{}/resolve", alert.id)),
        ];
        for (method, path) in routes {
            for token in [None, Some("not-a-jwt")] {
                let response = call(&s, method.clone(), &path, token).await;
                assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{method} {path} {token:?}");
                let challenge = response.headers()["www-authenticate"].to_str().unwrap().to_owned();
                assert!(challenge.starts_with("Bearer"), "{challenge}");
                if token.is_none() {
                    assert_eq!(challenge, "Bearer");
                }
                let body: Value = response.json().await.unwrap();
                assert_eq!(body["error"]["code"], "unauthenticated");
            }
        }
        assert_eq!(s.alerts.get(alert.id).await.unwrap(), alert);
    }

    async fn the_list_is_newest_first_in_camel_case_and_filters(t: TestDb) {
        let s = Served::start(&t).await;
        let a = create(&s.alerts, Kind::CapacityWarning, Sev::Warning, "Friday is 85% booked").await;
        let b = create(&s.alerts, Kind::Compliance, Sev::Critical, "Biscuit's rabies expired").await;
        let c = create(&s.alerts, Kind::Compliance, Sev::Info, "Luna's DHPP expires soon").await;
        s.alerts.mark_read(a.id).await.unwrap();
        s.alerts.resolve(b.id).await.unwrap();

        let (status, body, next) = get(&s, "/api/v2/admin/aim/alerts").await;
        assert_eq!(status, StatusCode::OK, "{body}");
        assert_eq!(next, None);
        assert_eq!(ids(&body), [c.id.to_string(), b.id.to_string(), a.id.to_string()]);
        let newest = body[0].as_object().unwrap();
        let mut keys: Vec<&str> = newest.keys().map(String::as_str).collect();
        keys.sort_unstable();
        assert_eq!(keys, ["createdAt", "data", "description", "id", "readAt", "resolvedAt", "severity", "title", "type"]);
        assert_eq!(body[0]["type"], "compliance");
        assert_eq!(body[0]["severity"], "info");
        assert_eq!(body[0]["data"], json!({ "date": "2026-11-27", "count": 42 }));
        assert!(body[2]["readAt"].is_string());
        assert!(body[1]["resolvedAt"].is_string());

        let cases = [
            ("unread=true", vec![c.id, b.id]),
            ("unread=false", vec![a.id]),
            ("resolved=false", vec![c.id, a.id]),
            ("resolved=true", vec![b.id]),
            ("unread=true&resolved=false", vec![c.id]),
            ("type=compliance", vec![c.id, b.id]),
            ("type=weather", vec![]),
        ];
        for (query, expected) in cases {
            let (status, body, _) = get(&s, &format!("/api/v2/admin/aim/alerts?{query}")).await;
            assert_eq!(status, StatusCode::OK, "{query}: {body}");
            let expected: Vec<String> = expected.iter().map(ToString::to_string).collect();
            assert_eq!(ids(&body), expected, "{query}");
        }
    }

    async fn the_link_header_walks_every_page_with_the_same_filter(t: TestDb) {
        let s = Served::start(&t).await;
        let mut open = Vec::new();
        for n in 0..7 {
            let alert = create(&s.alerts, Kind::StaffingGap, Sev::Warning, &format!("gap {n}")).await;
            if n % 3 == 0 {
                s.alerts.resolve(alert.id).await.unwrap();
            } else {
                open.push(alert.id.to_string());
            }
        }
        open.reverse();

        let mut seen = Vec::new();
        let mut path = Some("/api/v2/admin/aim/alerts?resolved=false&limit=2".to_owned());
        let mut pages = 0;
        while let Some(current) = path {
            let (status, body, next) = get(&s, &current).await;
            assert_eq!(status, StatusCode::OK, "{current}: {body}");
            pages += 1;
            if let Some(next) = &next {
                assert!(next.starts_with("/api/v2/admin/aim/alerts?resolved=false&limit=2&cursor="), "{next}");
                assert_eq!(ids(&body).len(), 2);
            }
            seen.extend(ids(&body));
            path = next;
            assert!(pages < 10, "pages never end");
        }
        assert_eq!(pages, 2);
        assert_eq!(seen, open);
        assert_eq!(seen.iter().collect::<HashSet<_>>().len(), seen.len());

        // The default page holds 20: everything here, no Link.
        let (_, body, next) = get(&s, "/api/v2/admin/aim/alerts").await;
        assert_eq!(ids(&body).len(), 7);
        assert_eq!(next, None);
    }

    async fn bad_query_values_are_400_naming_the_parameter(t: TestDb) {
        let s = Served::start(&t).await;
        for (query, field) in [
            ("unread=yes", "unread"),
            ("resolved=1", "resolved"),
            ("type=flood", "type"),
            ("limit=0", "limit"),
            ("limit=101", "limit"),
            ("limit=ten", "limit"),
            ("cursor=abc", "cursor"),
        ] {
            let (status, body, _) = get(&s, &format!("/api/v2/admin/aim/alerts?{query}")).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{query}: {body}");
            assert_eq!(body["error"]["code"], "bad_request", "{query}");
            assert_eq!(body["error"]["field"], field, "{query}");
        }
        let (status, body, _) = get(&s, "/api/v2/admin/aim/alerts?limit=100&type=staffing_gap").await;
        assert_eq!(status, StatusCode::OK, "{body}");
    }

    async fn patch_read_and_resolve_answer_the_alert_once_changed(t: TestDb) {
        let s = Served::start(&t).await;
        let alert = create(&s.alerts, Kind::BookingSpike, Sev::Warning, "Bookings doubled").await;
        let read_path = format!("/api/v2/admin/aim/alerts/{}/read", alert.id);
        let resolve_path = format!("/api/v2/admin/aim/alerts/{}/resolve", alert.id);

        let (status, read) = patch(&s, &read_path).await;
        assert_eq!(status, StatusCode::OK, "{read}");
        assert_eq!(read["id"], alert.id.to_string());
        assert_eq!(read["type"], "booking_spike");
        assert!(read["readAt"].is_string());
        assert_eq!(read["resolvedAt"], Value::Null);
        let (_, again) = patch(&s, &read_path).await;
        assert_eq!(again, read, "a second read keeps the first time");

        let (status, resolved) = patch(&s, &resolve_path).await;
        assert_eq!(status, StatusCode::OK, "{resolved}");
        assert!(resolved["resolvedAt"].is_string());
        assert_eq!(resolved["readAt"], read["readAt"]);
        let (_, again) = patch(&s, &resolve_path).await;
        assert_eq!(again, resolved);
    }

    async fn bad_ids_are_400_and_unknown_ones_404(t: TestDb) {
        let s = Served::start(&t).await;
        for action in ["read", "resolve"] {
            let (status, body) = patch(&s, &format!("/api/v2/admin/aim/alerts/alert-7/{action}")).await;
            assert_eq!(status, StatusCode::BAD_REQUEST, "{body}");
            assert_eq!(body["error"]["field"], "id");
            let unknown = AlertId::new();
            let (status, body) = patch(&s, &format!("/api/v2/admin/aim/alerts/{unknown}/{action}")).await;
            assert_eq!(status, StatusCode::NOT_FOUND, "{body}");
            assert_eq!(body["error"]["code"], "not_found");
            assert!(body["error"]["requestId"].is_string());
        }
    }
}
