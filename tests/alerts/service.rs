//! The alert service on its own: filters, pages, read and resolve once, events once per change.

use std::collections::HashSet;

use aim::aim::alerts::{AlertCursor, AlertError, AlertFilter, AlertService};
use aim::db::alerts::NewAlertRow;
use aim::domain::{AlertId, AlertSeverity as Sev, AlertType as Kind};
use aim::events::{AlertEvent, AlertEventKind, EventBroker};
use futures::{FutureExt, Stream, StreamExt};

use super::*;
use crate::both_backends;

/// Every id of the listing in order, page by page of `first`, checking each page's shape.
async fn walk(alerts: &AlertService, filter: AlertFilter, first: usize) -> Vec<AlertId> {
    let mut ids = Vec::new();
    let mut after = None;
    for _ in 0..100 {
        let page = alerts.list(filter, first, after).await.unwrap();
        assert!(page.alerts.len() <= first);
        ids.extend(page.alerts.iter().map(|a| a.id));
        if !page.has_next_page {
            return ids;
        }
        assert_eq!(page.alerts.len(), first, "a page before the last is full");
        after = page.end_cursor();
    }
    panic!("the pages never ended");
}

/// Whatever events are already waiting, without waiting for more.
/// Whatever events are already waiting, without waiting for more, as (kind, alert); their
/// numbers only need to increase.
fn pending(
    events: &mut (impl Stream<Item = AlertEvent> + Unpin),
) -> Vec<(AlertEventKind, AlertView)> {
    let mut out = Vec::new();
    let mut last = 0;
    while let Some(Some(event)) = events.next().now_or_never() {
        assert!(event.seq > last, "events are numbered in order");
        last = event.seq;
        out.push((event.kind, event.alert));
    }
    out
}

both_backends! {
    async fn listing_is_newest_first_and_filters_by_read_resolved_and_type(t: TestDb) {
        let alerts = service(&t).await;
        let a = create(&alerts, Kind::CapacityWarning, Sev::Warning, "Friday is 85% booked").await;
        let b = create(&alerts, Kind::Compliance, Sev::Critical, "Biscuit's rabies expired").await;
        let c = create(&alerts, Kind::StaffingGap, Sev::Warning, "10:00 ratio 11:1").await;
        let d = create(&alerts, Kind::Compliance, Sev::Info, "Luna's DHPP expires soon").await;
        alerts.mark_read(a.id).await.unwrap();
        alerts.resolve(b.id).await.unwrap();
        alerts.mark_read(c.id).await.unwrap();
        alerts.resolve(c.id).await.unwrap();

        let ids = |filter| {
            let alerts = alerts.clone();
            async move {
                alerts.list(filter, 100, None).await.unwrap().alerts.into_iter().map(|a| a.id).collect::<Vec<_>>()
            }
        };
        assert_eq!(ids(AlertFilter::default()).await, [d.id, c.id, b.id, a.id]);
        let unread = AlertFilter { unread: Some(true), ..Default::default() };
        assert_eq!(ids(unread).await, [d.id, b.id]);
        let read = AlertFilter { unread: Some(false), ..Default::default() };
        assert_eq!(ids(read).await, [c.id, a.id]);
        let open = AlertFilter { resolved: Some(false), ..Default::default() };
        assert_eq!(ids(open).await, [d.id, a.id]);
        let resolved = AlertFilter { resolved: Some(true), ..Default::default() };
        assert_eq!(ids(resolved).await, [c.id, b.id]);
        let compliance = AlertFilter { kind: Some(Kind::Compliance), ..Default::default() };
        assert_eq!(ids(compliance).await, [d.id, b.id]);
        let open_unread_compliance = AlertFilter { unread: Some(true), resolved: Some(false), kind: Some(Kind::Compliance) };
        assert_eq!(ids(open_unread_compliance).await, [d.id]);
        let weather = AlertFilter { kind: Some(Kind::Weather), ..Default::default() };
        assert!(ids(weather).await.is_empty());

        // Unread and unresolved: only d (b is unread but resolved).
        assert_eq!(alerts.unread_count().await.unwrap(), 1);
    }

    async fn pages_walk_every_alert_once_even_when_created_at_ties(t: TestDb) {
        let alerts = service(&t).await;
        let mut conn = t.db.conn().await.unwrap();
        // Eleven alerts, several sharing one instant: the id breaks the tie.
        let same = aim::domain::now();
        let mut expected = Vec::new();
        for n in 0..11u32 {
            let created_at = if n % 3 == 0 { same } else { same - chrono::Duration::seconds(i64::from(n)) };
            let kind = if n % 2 == 0 { Kind::CapacityWarning } else { Kind::BookingSpike };
            let title = format!("alert {n}");
            let row = aim::db::alerts::insert(&mut conn, &NewAlertRow {
                id: AlertId::new(),
                kind,
                severity: Sev::Warning,
                title: &title,
                description: "",
                data: None,
                created_at,
            }).await.unwrap();
            expected.push((row.created_at, row.id, kind));
        }
        drop(conn);
        expected.sort_by_key(|e| std::cmp::Reverse((e.0, e.1)));
        let newest_first: Vec<AlertId> = expected.iter().map(|e| e.1).collect();

        for first in [1, 2, 3, 4, 10, 11, 12, 100] {
            let ids = walk(&alerts, AlertFilter::default(), first).await;
            assert_eq!(ids, newest_first, "pages of {first}");
            assert_eq!(ids.iter().collect::<HashSet<_>>().len(), ids.len(), "no repeats in pages of {first}");
        }
        let spikes = AlertFilter { kind: Some(Kind::BookingSpike), ..Default::default() };
        let expected_spikes: Vec<AlertId> = expected.iter().filter(|e| e.2 == Kind::BookingSpike).map(|e| e.1).collect();
        assert_eq!(walk(&alerts, spikes, 2).await, expected_spikes);

        // More than the most a page holds is capped.
        let page = alerts.list(AlertFilter::default(), 1_000, None).await.unwrap();
        assert_eq!(page.alerts.len(), 11);
        assert!(!page.has_next_page);
        // A cursor travels as text.
        let first_page = alerts.list(AlertFilter::default(), 5, None).await.unwrap();
        let cursor = AlertCursor::decode(&first_page.end_cursor().unwrap().encode()).unwrap();
        let second = alerts.list(AlertFilter::default(), 5, Some(cursor)).await.unwrap();
        assert_eq!(second.alerts[0].id, newest_first[5]);
    }

    async fn create_stores_the_alert_and_publishes_created(t: TestDb) {
        let broker = EventBroker::default();
        let alerts = AlertService::start(t.db.clone(), broker.clone()).await.unwrap();
        let mut events = broker.subscribe();
        let created = create(&alerts, Kind::StaffingGap, Sev::Critical, "  No staff at 07:00 ").await;
        assert_eq!(created.title, "No staff at 07:00");
        assert_eq!(created.data, Some(json!({ "date": "2026-11-27", "count": 42 })));
        assert_eq!((created.read_at, created.resolved_at), (None, None));
        assert_eq!(alerts.get(created.id).await.unwrap(), created);
        assert_eq!(
            pending(&mut events),
            [(AlertEventKind::Created, created)]
        );

        let err = alerts.create(new_alert(Kind::Weather, Sev::Info, "   ")).await.unwrap_err();
        assert!(matches!(err, AlertError::InvalidInput { field: "title", .. }), "{err}");
        assert!(pending(&mut events).is_empty());
    }

    async fn mark_read_and_resolve_are_idempotent_and_publish_once(t: TestDb) {
        let broker = EventBroker::default();
        let alerts = AlertService::start(t.db.clone(), broker.clone()).await.unwrap();
        let alert = create(&alerts, Kind::CapacityWarning, Sev::Warning, "Saturday is 97% booked").await;
        let mut events = broker.subscribe();

        let read = alerts.mark_read(alert.id).await.unwrap();
        let read_at = read.read_at.expect("read_at is set");
        assert!(read_at >= alert.created_at);
        assert_eq!(read.resolved_at, None);
        tokio::time::sleep(std::time::Duration::from_millis(5)).await;
        let again = alerts.mark_read(alert.id).await.unwrap();
        assert_eq!(again.read_at, Some(read_at), "the first read time stays");
        assert_eq!(pending(&mut events), [(AlertEventKind::Read, read.clone())]);

        let resolved = alerts.resolve(alert.id).await.unwrap();
        let resolved_at = resolved.resolved_at.expect("resolved_at is set");
        assert_eq!(resolved.read_at, Some(read_at));
        let again = alerts.resolve(alert.id).await.unwrap();
        assert_eq!(again.resolved_at, Some(resolved_at));
        assert_eq!(again, resolved);
        assert_eq!(pending(&mut events), [(AlertEventKind::Resolved, resolved.clone())]);
        assert_eq!(alerts.get(alert.id).await.unwrap(), resolved);

        // Resolving an unread alert leaves it unread; reading it later still counts once.
        let other = create(&alerts, Kind::Weather, Sev::Info, "Heat advisory").await;
        let _ = pending(&mut events);
        let resolved = alerts.resolve(other.id).await.unwrap();
        assert_eq!(resolved.read_at, None);
        let read = alerts.mark_read(other.id).await.unwrap();
        assert_eq!(read.resolved_at, resolved.resolved_at);
        let kinds: Vec<_> = pending(&mut events).into_iter().map(|e| e.0).collect();
        assert_eq!(kinds, [AlertEventKind::Resolved, AlertEventKind::Read]);
    }

    async fn concurrent_reads_of_one_alert_change_it_once(t: TestDb) {
        let broker = EventBroker::default();
        let alerts = AlertService::start(t.db.clone(), broker.clone()).await.unwrap();
        let alert = create(&alerts, Kind::BookingSpike, Sev::Warning, "Bookings tripled").await;
        let mut events = broker.subscribe();
        let calls = (0..8).map(|_| {
            let alerts = alerts.clone();
            tokio::spawn(async move { alerts.mark_read(alert.id).await.unwrap() })
        });
        let answers = futures::future::join_all(calls).await;
        let times: HashSet<_> = answers.into_iter().map(|a| a.unwrap().read_at.unwrap()).collect();
        assert_eq!(times.len(), 1, "every caller sees the one read time");
        assert_eq!(pending(&mut events).len(), 1, "one event for one change");
    }

    async fn unknown_alerts_are_not_found_and_publish_nothing(t: TestDb) {
        let broker = EventBroker::default();
        let alerts = AlertService::start(t.db.clone(), broker.clone()).await.unwrap();
        let mut events = broker.subscribe();
        let id = AlertId::new();
        for result in [alerts.get(id).await, alerts.mark_read(id).await, alerts.resolve(id).await] {
            assert!(matches!(result, Err(AlertError::NotFound(missing)) if missing == id));
        }
        assert!(pending(&mut events).is_empty());
    }
}
