//! Delivery of stored alert events to this process's subscribers, in the order they were
//! stored, each once — whichever replica stored them.
//!
//! The database is the one source: a replica that changes an alert stores the event in the
//! same transaction (see [`super::alerts`]), and the relay reads stored events after the last
//! one it delivered and hands them to the [`EventBroker`]. It reads when this process stored
//! one ([`EventRelay::deliver`]) and, on PostgreSQL, when any process did: a `NOTIFY` on
//! [`CHANNEL`] wakes every replica's listener. A listener that lost its connection reads
//! whatever it missed once it is back, so a subscriber on one replica sees every change made
//! on another. SQLite has no `NOTIFY`: there the relay looks every second, while anyone is
//! subscribed, for events another process (`aim alerts run`) stored.

use std::sync::Arc;
use std::time::Duration;

use tokio::sync::{Mutex, oneshot};

use crate::db::{self, Db, DbResult, Listener, Notice};
use crate::events::{AlertEvent, AlertEventKind, EventBroker};

/// The channel replicas tell each other on that alert events were stored.
pub const CHANNEL: &str = "aim_alert_events";

/// Stored events read per query.
pub(crate) const PAGE: i64 = 500;

/// How often a database without `NOTIFY` is read for events of other processes.
const POLL: Duration = Duration::from_secs(1);

/// The longest wait between attempts to listen again after the connection failed.
const MAX_BACKOFF: Duration = Duration::from_secs(30);

/// Delivers stored alert events to the broker; stops listening when dropped.
#[derive(Debug)]
pub struct EventRelay {
    shared: Arc<Shared>,
    /// Dropped with the relay, which ends its background task.
    _stop: oneshot::Sender<()>,
}

#[derive(Debug)]
struct Shared {
    db: Db,
    broker: EventBroker,
    /// The last event handed to the broker; held while reading, so deliveries never overlap.
    delivered: Mutex<i64>,
}

impl EventRelay {
    /// A relay that delivers events stored from now on; on PostgreSQL it also listens for
    /// events stored by other processes.
    pub async fn start(db: Db, broker: EventBroker) -> DbResult<EventRelay> {
        // Listening starts before the newest event is read, so nothing falls between.
        let listener = db.listen(CHANNEL).await?;
        let delivered = db::alerts::last_event_seq(&mut db.conn().await?).await?;
        let shared = Arc::new(Shared {
            db,
            broker,
            delivered: Mutex::new(delivered),
        });
        let (stop, stopped) = oneshot::channel();
        match listener {
            Some(listener) => tokio::spawn(listen(shared.clone(), listener, stopped)),
            None => tokio::spawn(poll(shared.clone(), stopped)),
        };
        Ok(EventRelay {
            shared,
            _stop: stop,
        })
    }

    /// Hands every event stored since the last delivery to the broker. Called after this
    /// process stored one; a failure to read is logged, and the next delivery catches up.
    pub async fn deliver(&self) {
        self.shared.catch_up().await;
    }
}

impl Shared {
    async fn catch_up(&self) {
        let mut delivered = self.delivered.lock().await;
        loop {
            let page = match self.db.conn().await {
                Ok(mut conn) => db::alerts::events_after(&mut conn, *delivered, PAGE).await,
                Err(err) => Err(err),
            };
            let rows = match page {
                Ok(rows) => rows,
                Err(err) => {
                    tracing::error!(error = %err, "stored alert events could not be read; delivery waits for the next one");
                    return;
                }
            };
            let done = (rows.len() as i64) < PAGE;
            for row in rows {
                *delivered = row.seq;
                if let Some(event) = event_of(row) {
                    self.broker.publish(event);
                }
            }
            if done {
                return;
            }
        }
    }
}

/// The event a stored row holds, or `None` (logged) when it can't be read.
pub(crate) fn event_of(row: db::alerts::EventRow) -> Option<AlertEvent> {
    match (
        AlertEventKind::parse(&row.kind),
        serde_json::from_value(row.alert.0),
    ) {
        (Some(kind), Ok(alert)) => Some(AlertEvent {
            seq: row.seq,
            kind,
            alert,
        }),
        _ => {
            tracing::error!(seq = row.seq, "stored alert event unreadable; skipped");
            None
        }
    }
}

/// Catches up whenever another process (or this one) stored events, until `stop`.
async fn listen(shared: Arc<Shared>, mut listener: Listener, mut stop: oneshot::Receiver<()>) {
    loop {
        let notice = tokio::select! {
            _ = &mut stop => return,
            notice = listener.next() => notice,
        };
        match notice {
            Ok(Notice::Notified) => shared.catch_up().await,
            Ok(Notice::Reconnected) => {
                tracing::warn!("alert event listener reconnected; reading what it missed");
                shared.catch_up().await;
            }
            Err(err) => {
                tracing::warn!(error = %err, "alert event listener lost its connection");
                drop(listener);
                let Some(back) = listen_again(&shared.db, &mut stop).await else {
                    return;
                };
                listener = back;
                shared.catch_up().await;
            }
        }
    }
}

/// Without `NOTIFY` (SQLite), events another process stored — `aim alerts run` beside
/// `aim serve` — are looked for every [`POLL`] while anyone is subscribed.
async fn poll(shared: Arc<Shared>, mut stop: oneshot::Receiver<()>) {
    let mut ticks = tokio::time::interval(POLL);
    ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
    loop {
        tokio::select! {
            _ = &mut stop => return,
            _ = ticks.tick() => {}
        }
        if shared.broker.subscriber_count() > 0 {
            shared.catch_up().await;
        }
    }
}

/// A new listener, tried with growing pauses until one starts; `None` when stopped first.
async fn listen_again(db: &Db, stop: &mut oneshot::Receiver<()>) -> Option<Listener> {
    let mut pause = Duration::from_secs(1);
    loop {
        tokio::select! {
            _ = &mut *stop => return None,
            _ = tokio::time::sleep(pause) => {}
        }
        match db.listen(CHANNEL).await {
            Ok(Some(listener)) => {
                tracing::info!("alert event listener is back");
                return Some(listener);
            }
            Ok(None) => return None,
            Err(err) => {
                pause = (pause * 2).min(MAX_BACKOFF);
                tracing::warn!(error = %err, retry_in = ?pause, "alert event listener could not listen again");
            }
        }
    }
}
