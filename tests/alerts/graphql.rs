//! The alert fields of GraphQL over HTTP: 401s, pages, filters, mutations and their errors.

use std::collections::HashSet;

use aim::domain::{AlertSeverity as Sev, AlertType as Kind};

use super::*;
use crate::both_backends;

const ALERTS: &str = "query($unread: Boolean, $resolved: Boolean, $type: AimAlertType, $first: Int, $after: String) {
    aimAlerts(unread: $unread, resolved: $resolved, type: $type, first: $first, after: $after) {
        edges { cursor node { id type severity title description data readAt resolvedAt createdAt } }
        pageInfo { hasNextPage endCursor }
    }
}";
const COUNT: &str = "{ aimUnreadAlertCount }";
const MARK_READ: &str = "mutation($id: ID!) { markAimAlertRead(id: $id) { id readAt resolvedAt } }";
const RESOLVE: &str = "mutation($id: ID!) { resolveAimAlert(id: $id) { id readAt resolvedAt } }";

fn ids_of(body: &Value) -> Vec<String> {
    body["data"]["aimAlerts"]["edges"]
        .as_array()
        .unwrap_or_else(|| panic!("no edges in {body}"))
        .iter()
        .map(|e| e["node"]["id"].as_str().unwrap().to_owned())
        .collect()
}

fn error_of(body: &Value) -> (&str, Option<&str>) {
    let error = &body["errors"][0];
    assert!(body["data"].is_null(), "{body}");
    (
        error["extensions"]["code"]
            .as_str()
            .unwrap_or_else(|| panic!("no code in {body}")),
        error["extensions"]["field"].as_str(),
    )
}

both_backends! {
    async fn alert_operations_answer_401_without_a_token_or_with_a_bad_one(t: TestDb) {
        let s = Served::start(&t).await;
        let alert = create(&s.alerts, Kind::Compliance, Sev::Warning, "Max's bordetella expires").await;
        let id = json!({ "id": alert.id.to_string() });
        let wrong_key = JwtKeys::new(
            &Secret::new("another-secret-another-secret-another"),
            "aim",
            "aim-admin",
            Duration::from_secs(60),
        )
        .issue(aim::domain::StaffUserId::new(), Role::Staff)
        .unwrap()
        .token;
        for (query, variables) in [(ALERTS, json!({})), (COUNT, json!({})), (MARK_READ, id.clone()), (RESOLVE, id.clone())] {
            for token in [None, Some("not-a-jwt"), Some(wrong_key.as_str())] {
                let response = s
                    .server
                    .client
                    .post(s.server.url("/graphql"))
                    .json(&json!({ "query": query, "variables": variables }));
                let response = match token {
                    Some(token) => response.bearer_auth(token),
                    None => response,
                }
                .send()
                .await
                .unwrap();
                assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "{query} with {token:?}");
                let challenge = response.headers()["www-authenticate"].to_str().unwrap().to_owned();
                assert!(challenge.starts_with("Bearer"), "{challenge}");
                let body: Value = response.json().await.unwrap();
                assert_eq!(body["error"]["code"], "unauthenticated");
            }
        }
        // Nothing changed.
        assert_eq!(s.alerts.get(alert.id).await.unwrap(), alert);
    }

    async fn aim_alerts_pages_through_every_alert_with_opaque_cursors(t: TestDb) {
        let s = Served::start(&t).await;
        let mut created = Vec::new();
        for n in 0..7 {
            let kind = if n % 2 == 0 { Kind::CapacityWarning } else { Kind::StaffingGap };
            created.push(create(&s.alerts, kind, Sev::Warning, &format!("alert {n}")).await);
        }
        let newest_first: Vec<String> = created.iter().rev().map(|a| a.id.to_string()).collect();

        // The default page holds all seven, newest first, with every field.
        let body = s.graphql(ALERTS, json!({})).await;
        assert_eq!(ids_of(&body), newest_first);
        let node = &body["data"]["aimAlerts"]["edges"][0]["node"];
        let newest = created.last().unwrap();
        assert_eq!(node["type"], "CAPACITY_WARNING");
        assert_eq!(node["severity"], "WARNING");
        assert_eq!(node["title"], "alert 6");
        assert_eq!(node["description"], "alert 6: details");
        assert_eq!(node["data"], json!({ "date": "2026-11-27", "count": 42 }));
        assert_eq!(node["readAt"], Value::Null);
        let created_at: chrono::DateTime<chrono::Utc> = node["createdAt"].as_str().unwrap().parse().unwrap();
        assert_eq!(created_at, newest.created_at);
        assert_eq!(body["data"]["aimAlerts"]["pageInfo"]["hasNextPage"], false);

        // Pages of three: 3 + 3 + 1, no repeats, same order.
        let mut seen = Vec::new();
        let mut after = Value::Null;
        loop {
            let body = s.graphql(ALERTS, json!({ "first": 3, "after": after })).await;
            let page = &body["data"]["aimAlerts"];
            let ids = ids_of(&body);
            let edges = page["edges"].as_array().unwrap();
            if !ids.is_empty() {
                assert_eq!(page["pageInfo"]["endCursor"], edges.last().unwrap()["cursor"]);
            }
            seen.extend(ids);
            if page["pageInfo"]["hasNextPage"] == false {
                break;
            }
            after = page["pageInfo"]["endCursor"].clone();
            assert!(seen.len() < 10, "pages never end");
        }
        assert_eq!(seen, newest_first);
        assert_eq!(seen.iter().collect::<HashSet<_>>().len(), 7);

        // Filter by type.
        let body = s.graphql(ALERTS, json!({ "type": "STAFFING_GAP" })).await;
        let gaps: Vec<String> = created.iter().rev().filter(|a| a.kind == Kind::StaffingGap).map(|a| a.id.to_string()).collect();
        assert_eq!(ids_of(&body), gaps);

        // Bad paging input is refused, naming the argument.
        let body = s.graphql(ALERTS, json!({ "after": "not a cursor" })).await;
        assert_eq!(error_of(&body), ("bad_request", Some("after")));
        for first in [0, 101, -1] {
            let body = s.graphql(ALERTS, json!({ "first": first })).await;
            assert_eq!(error_of(&body), ("invalid_input", Some("first")), "first: {first}");
        }
        let body = s.graphql(ALERTS, json!({ "first": 100 })).await;
        assert_eq!(ids_of(&body).len(), 7);
    }

    async fn mutations_read_and_resolve_once_and_the_unread_count_follows(t: TestDb) {
        let s = Served::start(&t).await;
        let a = create(&s.alerts, Kind::Compliance, Sev::Critical, "Rocky's rabies expired").await;
        let b = create(&s.alerts, Kind::Weather, Sev::Info, "Storm this afternoon").await;
        assert_eq!(s.graphql(COUNT, json!({})).await["data"]["aimUnreadAlertCount"], 2);

        let id = json!({ "id": a.id.to_string() });
        let first = s.graphql(MARK_READ, id.clone()).await;
        let read_at = first["data"]["markAimAlertRead"]["readAt"].clone();
        assert!(read_at.is_string(), "{first}");
        let second = s.graphql(MARK_READ, id.clone()).await;
        assert_eq!(second["data"]["markAimAlertRead"]["readAt"], read_at);
        assert_eq!(s.graphql(COUNT, json!({})).await["data"]["aimUnreadAlertCount"], 1);

        let resolved = s.graphql(RESOLVE, json!({ "id": b.id.to_string() })).await;
        let resolved_at = resolved["data"]["resolveAimAlert"]["resolvedAt"].clone();
        assert!(resolved_at.is_string(), "{resolved}");
        assert_eq!(resolved["data"]["resolveAimAlert"]["readAt"], Value::Null);
        let again = s.graphql(RESOLVE, json!({ "id": b.id.to_string() })).await;
        assert_eq!(again["data"]["resolveAimAlert"]["resolvedAt"], resolved_at);
        // Read or resolved: neither counts as unread.
        assert_eq!(s.graphql(COUNT, json!({})).await["data"]["aimUnreadAlertCount"], 0);

        let body = s.graphql(ALERTS, json!({ "unread": true })).await;
        assert_eq!(ids_of(&body), [b.id.to_string()]);
        let body = s.graphql(ALERTS, json!({ "resolved": false })).await;
        assert_eq!(ids_of(&body), [a.id.to_string()]);

        // An unknown id is not found; a malformed one is a bad request naming `id`.
        for mutation in [MARK_READ, RESOLVE] {
            let body = s.graphql(mutation, json!({ "id": aim::domain::AlertId::new().to_string() })).await;
            assert_eq!(error_of(&body), ("not_found", None));
            let body = s.graphql(mutation, json!({ "id": "alert-1" })).await;
            assert_eq!(error_of(&body), ("bad_request", Some("id")));
        }
    }
}
