//! What the server tells live subscribers: alert events, and the in-process broker that carries
//! them from the services that change alerts to every open subscription.
//!
//! [`EventBroker::publish`] never waits and never fails: with nobody listening the event is
//! simply dropped (it is already in the database). Each subscriber has a bounded backlog; one
//! that falls behind skips what it missed (logged and counted) and goes on, without slowing the
//! publisher or the other subscribers.

use chrono::{DateTime, Utc};
use futures::Stream;
use serde::{Deserialize, Serialize};
use serde_json::Value;
use tokio::sync::broadcast;

use crate::domain::{AlertId, AlertSeverity, AlertType};

/// Events a subscriber may fall behind by before it starts skipping.
pub const DEFAULT_BACKLOG: usize = 1024;

/// An alert as staff see it (GraphQL `AimAlert`, the REST alert JSON, and what events carry).
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct AlertView {
    pub id: AlertId,
    #[serde(rename = "type")]
    pub kind: AlertType,
    pub severity: AlertSeverity,
    pub title: String,
    pub description: String,
    /// What the check found (dates, counts, ids), as the check shaped it.
    pub data: Option<Value>,
    pub read_at: Option<DateTime<Utc>>,
    pub resolved_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

/// What happened to an alert.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum AlertEventKind {
    Created,
    Read,
    Resolved,
}

impl AlertEventKind {
    /// The name stored with the event.
    pub fn as_str(self) -> &'static str {
        match self {
            AlertEventKind::Created => "created",
            AlertEventKind::Read => "read",
            AlertEventKind::Resolved => "resolved",
        }
    }

    pub fn parse(text: &str) -> Option<AlertEventKind> {
        match text {
            "created" => Some(AlertEventKind::Created),
            "read" => Some(AlertEventKind::Read),
            "resolved" => Some(AlertEventKind::Resolved),
            _ => None,
        }
    }
}

/// One change of an alert, with the alert as it stands after the change.
#[derive(Clone, Debug, PartialEq, Serialize)]
pub struct AlertEvent {
    /// The event's place in the order of all alert events (stored; a subscriber's cursor).
    pub seq: i64,
    pub kind: AlertEventKind,
    pub alert: AlertView,
}

/// Fans alert events out to subscribers; cheap to clone (clones share subscribers).
#[derive(Clone, Debug)]
pub struct EventBroker {
    alerts: broadcast::Sender<AlertEvent>,
}

impl Default for EventBroker {
    fn default() -> Self {
        EventBroker::new(DEFAULT_BACKLOG)
    }
}

impl EventBroker {
    /// A broker whose subscribers may each fall `backlog` events behind.
    pub fn new(backlog: usize) -> EventBroker {
        let (alerts, _) = broadcast::channel(backlog.max(1));
        EventBroker { alerts }
    }

    /// Hands the event to every current subscriber.
    pub fn publish(&self, event: AlertEvent) {
        tracing::debug!(alert_id = %event.alert.id, kind = ?event.kind, "alert event");
        // An error only means that nobody is subscribed right now.
        let _ = self.alerts.send(event);
    }

    /// Every event published from now on, in order, until the broker is gone. A subscriber
    /// that falls more than the backlog behind skips the oldest events it missed.
    pub fn subscribe(&self) -> impl Stream<Item = AlertEvent> + Send + Unpin + use<> {
        let receiver = self.alerts.subscribe();
        Box::pin(futures::stream::unfold(
            receiver,
            |mut receiver| async move {
                loop {
                    match receiver.recv().await {
                        Ok(event) => return Some((event, receiver)),
                        Err(broadcast::error::RecvError::Lagged(skipped)) => {
                            tracing::warn!(
                                skipped,
                                "an alert subscriber fell behind and skipped events"
                            );
                            metrics::counter!("aim_alert_events_skipped_total").increment(skipped);
                        }
                        Err(broadcast::error::RecvError::Closed) => return None,
                    }
                }
            },
        ))
    }

    /// How many subscriptions are open.
    pub fn subscriber_count(&self) -> usize {
        self.alerts.receiver_count()
    }
}

#[cfg(test)]
mod tests {
    use futures::StreamExt;

    use super::*;

    fn event(n: usize) -> AlertEvent {
        AlertEvent {
            seq: n as i64,
            kind: AlertEventKind::Created,
            alert: AlertView {
                id: AlertId::new(),
                kind: AlertType::CapacityWarning,
                severity: AlertSeverity::Warning,
                title: format!("alert {n}"),
                description: String::new(),
                data: None,
                read_at: None,
                resolved_at: None,
                created_at: crate::domain::now(),
            },
        }
    }

    #[tokio::test]
    async fn every_subscriber_gets_every_event_in_order() {
        let broker = EventBroker::default();
        let mut a = broker.subscribe();
        let mut b = broker.subscribe();
        let events: Vec<_> = (0..3).map(event).collect();
        for e in &events {
            broker.publish(e.clone());
        }
        for subscriber in [&mut a, &mut b] {
            for e in &events {
                assert_eq!(subscriber.next().await.as_ref(), Some(e));
            }
        }
    }

    #[tokio::test]
    async fn publishing_without_subscribers_is_fine() {
        let broker = EventBroker::new(4);
        broker.publish(event(0));
        assert_eq!(broker.subscriber_count(), 0);
        let mut late = broker.subscribe();
        broker.publish(event(1));
        assert_eq!(late.next().await.unwrap().alert.title, "alert 1");
    }

    #[tokio::test]
    async fn a_lagging_subscriber_skips_ahead_without_breaking_the_others() {
        let broker = EventBroker::new(2);
        let mut slow = broker.subscribe();
        let mut quick = broker.subscribe();
        for n in 0..5 {
            broker.publish(event(n));
            assert_eq!(
                quick.next().await.unwrap().alert.title,
                format!("alert {n}")
            );
        }
        // The slow one missed the oldest three, gets the two it still has, and goes on.
        assert_eq!(slow.next().await.unwrap().alert.title, "alert 3");
        assert_eq!(slow.next().await.unwrap().alert.title, "alert 4");
        broker.publish(event(5));
        assert_eq!(slow.next().await.unwrap().alert.title, "alert 5");
        assert_eq!(quick.next().await.unwrap().alert.title, "alert 5");
    }

    #[tokio::test]
    async fn subscriptions_end_when_the_broker_is_gone() {
        let broker = EventBroker::new(2);
        let mut subscriber = broker.subscribe();
        drop(broker);
        assert!(subscriber.next().await.is_none());
    }
}
