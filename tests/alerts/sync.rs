//! Alerts raised by checks: one open alert per issue (enforced by the database), resolved by
//! itself when the issue clears, raised afresh when it comes back or changes severity.

use aim::aim::alerts::{AlertFilter, KeyedAlert, NewAlert};
use aim::domain::{AlertSeverity, AlertType};
use aim::events::AlertEventKind;
use futures::StreamExt;
use serde_json::json;

use super::*;
use crate::both_backends;

fn gap(hour: &str, severity: AlertSeverity) -> KeyedAlert {
    KeyedAlert {
        key: format!("2026-11-25T{hour}"),
        alert: NewAlert {
            kind: AlertType::StaffingGap,
            severity,
            title: format!("Short-staffed at {hour}:00"),
            description: "More dogs per staff member than the ratio allows.".into(),
            data: Some(json!({"hour": hour})),
        },
    }
}

const GAPS: &[AlertType] = &[AlertType::StaffingGap];

async fn open(alerts: &AlertService) -> Vec<AlertView> {
    let filter = AlertFilter {
        resolved: Some(false),
        ..AlertFilter::default()
    };
    alerts.list(filter, 100, None).await.unwrap().alerts
}

both_backends! {
    async fn an_issue_gets_one_alert_however_often_it_is_found(t: TestDb) {
        let alerts = service(&t).await;
        let found = [gap("13", AlertSeverity::Warning), gap("13", AlertSeverity::Warning)];
        let first = alerts.sync(GAPS, &found).await.unwrap();
        assert_eq!(first.created.len(), 1);
        let second = alerts.sync(GAPS, &found).await.unwrap();
        assert!(second.created.is_empty() && second.resolved.is_empty());
        assert_eq!(open(&alerts).await.len(), 1);
    }

    async fn a_cleared_issue_is_resolved_and_raised_again_when_it_returns(t: TestDb) {
        let alerts = service(&t).await;
        let mut events = alerts.subscribe();
        alerts.sync(GAPS, &[gap("13", AlertSeverity::Warning), gap("14", AlertSeverity::Warning)]).await.unwrap();
        let cleared = alerts.sync(GAPS, &[gap("14", AlertSeverity::Warning)]).await.unwrap();
        assert_eq!(cleared.resolved.len(), 1);
        let resolved = &cleared.resolved[0];
        assert_eq!(resolved.data.as_ref().unwrap()["hour"], "13");
        assert_eq!(resolved.data.as_ref().unwrap()["autoResolved"], true);
        assert_eq!(resolved.data.as_ref().unwrap()["resolvedBecause"], "cleared");
        assert!(resolved.resolved_at.is_some());

        let back = alerts.sync(GAPS, &[gap("13", AlertSeverity::Warning), gap("14", AlertSeverity::Warning)]).await.unwrap();
        assert_eq!(back.created.len(), 1, "the issue came back: a new alert");
        assert_ne!(back.created[0].id, resolved.id);
        assert_eq!(open(&alerts).await.len(), 2);

        let mut kinds = Vec::new();
        for _ in 0..4 {
            kinds.push(events.next().await.unwrap().kind);
        }
        assert_eq!(kinds, [AlertEventKind::Created, AlertEventKind::Created, AlertEventKind::Resolved, AlertEventKind::Created]);
    }

    async fn a_worse_issue_replaces_its_alert(t: TestDb) {
        let alerts = service(&t).await;
        alerts.sync(GAPS, &[gap("13", AlertSeverity::Warning)]).await.unwrap();
        let worse = alerts.sync(GAPS, &[gap("13", AlertSeverity::Critical)]).await.unwrap();
        assert_eq!(worse.resolved.len(), 1);
        assert_eq!(worse.resolved[0].data.as_ref().unwrap()["resolvedBecause"], "severity_changed");
        assert_eq!(worse.created.len(), 1);
        assert_eq!(worse.created[0].severity, AlertSeverity::Critical);
        let now_open = open(&alerts).await;
        assert_eq!(now_open.len(), 1);
        assert_eq!(now_open[0].severity, AlertSeverity::Critical);
    }

    async fn alerts_of_other_kinds_and_manual_ones_are_left_alone(t: TestDb) {
        let alerts = service(&t).await;
        alerts.sync(GAPS, &[gap("13", AlertSeverity::Warning)]).await.unwrap();
        let manual = alerts.create(NewAlert {
            kind: AlertType::StaffingGap,
            severity: AlertSeverity::Info,
            title: "Remember the fire drill".into(),
            description: "".into(),
            data: None,
        }).await.unwrap();
        let other = alerts.sync(&[AlertType::CapacityWarning], &[]).await.unwrap();
        assert!(other.resolved.is_empty(), "only the checked kinds are reconciled");
        let cleared = alerts.sync(GAPS, &[]).await.unwrap();
        assert_eq!(cleared.resolved.len(), 1);
        assert!(open(&alerts).await.iter().any(|a| a.id == manual.id), "an alert without a key is never auto-resolved");
    }

    async fn two_generators_racing_raise_one_alert(t: TestDb) {
        let a = service(&t).await;
        let b = service(&t).await;
        let found: Vec<KeyedAlert> = (8..18).map(|h| gap(&format!("{h:02}"), AlertSeverity::Warning)).collect();
        let (x, y) = tokio::join!(a.sync(GAPS, &found), b.sync(GAPS, &found));
        let created = x.unwrap().created.len() + y.unwrap().created.len();
        assert_eq!(created, 10, "each issue raised once between the two");
        assert_eq!(open(&a).await.len(), 10);
    }
}

#[tokio::test]
async fn the_database_refuses_a_second_open_alert_for_one_issue() {
    let t = TestDb::sqlite().await;
    let insert = |id: &str| {
        format!(
            "INSERT INTO aim_alerts (id, type, severity, title, description, created_at, dedupe_key) \
             VALUES ({id}, 'staffing_gap', 'warning', 'Gap', '', '2026-11-25T13:00:00+00:00', 'k')"
        )
    };
    t.raw(&insert("randomblob(16)")).await.unwrap();
    assert!(t.raw(&insert("randomblob(16)")).await.is_err());
    t.raw("UPDATE aim_alerts SET resolved_at = '2026-11-25T14:00:00+00:00'")
        .await
        .unwrap();
    t.raw(&insert("randomblob(16)"))
        .await
        .expect("a resolved alert frees the key");
}

both_backends! {
    async fn a_subscriber_that_reconnects_catches_up_without_gaps_or_repeats(t: TestDb) {
        let alerts = service(&t).await;
        let mut first_connection = alerts.events(None);
        let a = alerts.sync(GAPS, &[gap("10", AlertSeverity::Warning)]).await.unwrap().created.remove(0);
        let seen = first_connection.next().await.unwrap();
        assert_eq!((seen.kind, seen.alert.id), (AlertEventKind::Created, a.id));
        drop(first_connection);

        // While disconnected: one more alert, and the first one read.
        let b = alerts.sync(GAPS, &[gap("10", AlertSeverity::Warning), gap("11", AlertSeverity::Warning)]).await.unwrap().created.remove(0);
        alerts.mark_read(a.id).await.unwrap();

        let mut again = alerts.events(Some(seen.seq));
        let caught_up: Vec<_> = vec![again.next().await.unwrap(), again.next().await.unwrap()];
        assert_eq!(
            caught_up.iter().map(|e| (e.kind, e.alert.id)).collect::<Vec<_>>(),
            [(AlertEventKind::Created, b.id), (AlertEventKind::Read, a.id)]
        );
        // Then live, with nothing replayed twice.
        alerts.resolve(b.id).await.unwrap();
        let live = again.next().await.unwrap();
        assert_eq!((live.kind, live.alert.id), (AlertEventKind::Resolved, b.id));
        assert!(live.seq > caught_up[1].seq);
        assert!(futures::FutureExt::now_or_never(again.next()).is_none(), "nothing more");
    }
}
