//! Alerts through their life: created by the alert checks, listed, read and resolved by staff.
//!
//! Alerts belong to the facility, not to one staff user: any signed-in staff user may read,
//! mark and resolve them. Every change of a row is stored with its event in one transaction,
//! and the event reaches subscribers on every replica through the [`EventRelay`]; a repeated
//! read or resolve keeps the first timestamp and publishes nothing.

use std::sync::Arc;

use chrono::{DateTime, Utc};
use futures::{Stream, StreamExt};
use serde_json::{Value, json};

use crate::cursor::Position;
use crate::db::alerts::{AlertRow, NewAlertRow};
use crate::db::{self, Db, DbError, DbResult, Tx, WriteLock};
use crate::domain::{self, AlertId, AlertSeverity, AlertType};
use crate::events::{AlertEvent, AlertEventKind, EventBroker};

use super::relay::{self, EventRelay};

pub use crate::db::alerts::AlertFilter;
pub use crate::events::AlertView;

/// Alerts in a page unless the caller asks for another number.
pub const DEFAULT_PAGE_SIZE: usize = 20;
/// Most alerts in one page.
pub const MAX_PAGE_SIZE: usize = 100;
/// Most stored events a subscriber catches up on; an older cursor resumes this far back.
const MAX_REPLAY: usize = 10_000;

/// Longest alert title, in characters.
pub const MAX_TITLE_CHARS: usize = 200;

/// Why an alert request failed.
#[derive(Debug, thiserror::Error)]
pub enum AlertError {
    #[error("no alert with id {0}")]
    NotFound(AlertId),
    #[error("{field}: {message}")]
    InvalidInput {
        field: &'static str,
        message: String,
    },
    #[error(transparent)]
    Db(#[from] DbError),
}

pub type AlertResult<T> = Result<T, AlertError>;

/// A new alert, as a check raises it.
#[derive(Clone, Debug, PartialEq)]
pub struct NewAlert {
    pub kind: AlertType,
    pub severity: AlertSeverity,
    pub title: String,
    pub description: String,
    pub data: Option<Value>,
}

/// An issue a check found: the alert to raise and the key of the issue within its type (e.g.
/// the date and hour of a staffing gap).
#[derive(Clone, Debug, PartialEq)]
pub struct KeyedAlert {
    pub key: String,
    pub alert: NewAlert,
}

/// What a [`AlertService::sync`] changed.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct SyncReport {
    pub created: Vec<AlertView>,
    pub resolved: Vec<AlertView>,
}

/// A position in the newest-first order of alerts: an alert's `(created_at, id)`. Clients see
/// it as an opaque URL-safe string ([`AlertCursor::encode`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct AlertCursor {
    created_at: DateTime<Utc>,
    id: AlertId,
}

impl AlertCursor {
    /// The position of `alert`: a page after it starts with the next older alert.
    pub fn of(alert: &AlertView) -> AlertCursor {
        AlertCursor {
            created_at: alert.created_at,
            id: alert.id,
        }
    }

    /// An opaque, URL-safe text (see [`crate::cursor`]).
    pub fn encode(&self) -> String {
        Position::new(self.created_at, self.id.0).encode(ALERTS)
    }

    /// The cursor [`AlertCursor::encode`] made, or `None` for anything else.
    pub fn decode(text: &str) -> Option<AlertCursor> {
        let position = Position::decode(text, ALERTS)?;
        Some(AlertCursor {
            created_at: position.at,
            id: AlertId(position.id),
        })
    }
}

/// The kind of list in an alerts cursor.
const ALERTS: &str = "alert";

/// One page of alerts, newest first.
#[derive(Clone, Debug, PartialEq)]
pub struct AlertPage {
    pub alerts: Vec<AlertView>,
    /// Whether older alerts match after this page.
    pub has_next_page: bool,
}

impl AlertPage {
    /// Where the next page starts: the last alert of this one.
    pub fn end_cursor(&self) -> Option<AlertCursor> {
        self.alerts.last().map(AlertCursor::of)
    }
}

/// Alerts: listing, counting, reading, resolving and creating them, and their events.
#[derive(Clone, Debug)]
pub struct AlertService {
    db: Db,
    broker: EventBroker,
    relay: Arc<EventRelay>,
}

impl AlertService {
    /// The service on `db`, publishing to `broker` every alert event stored from now on, by
    /// this process or (on PostgreSQL) any other on the same database.
    pub async fn start(db: Db, broker: EventBroker) -> DbResult<AlertService> {
        let relay = EventRelay::start(db.clone(), broker.clone()).await?;
        Ok(AlertService {
            db,
            broker,
            relay: Arc::new(relay),
        })
    }

    /// Alerts matching `filter`, newest first, at most `first` (capped at
    /// [`MAX_PAGE_SIZE`]), starting after `after`.
    pub async fn list(
        &self,
        filter: AlertFilter,
        first: usize,
        after: Option<AlertCursor>,
    ) -> AlertResult<AlertPage> {
        let first = first.min(MAX_PAGE_SIZE);
        let mut conn = self.db.conn().await?;
        let after = after.map(|c| (c.created_at, c.id));
        // One more than asked tells whether another page follows.
        let mut rows = db::alerts::list(&mut conn, filter, after, first as i64 + 1).await?;
        let has_next_page = rows.len() > first;
        rows.truncate(first);
        Ok(AlertPage {
            alerts: rows.into_iter().map(view).collect(),
            has_next_page,
        })
    }

    /// How many alerts are neither read nor resolved.
    pub async fn unread_count(&self) -> AlertResult<i64> {
        Ok(db::alerts::unread_count(&mut self.db.conn().await?).await?)
    }

    pub async fn get(&self, id: AlertId) -> AlertResult<AlertView> {
        let row = db::alerts::find(&mut self.db.conn().await?, id).await?;
        row.map(view).ok_or(AlertError::NotFound(id))
    }

    /// Marks the alert read now, or answers it as it is when it was read before.
    pub async fn mark_read(&self, id: AlertId) -> AlertResult<AlertView> {
        let mut tx = self.begin_change().await?;
        let changed = db::alerts::mark_read(&mut tx, id, domain::now()).await?;
        self.settle(tx, id, changed, AlertEventKind::Read).await
    }

    /// Marks the alert resolved now, or answers it as it is when it was resolved before.
    pub async fn resolve(&self, id: AlertId) -> AlertResult<AlertView> {
        let mut tx = self.begin_change().await?;
        let changed = db::alerts::resolve(&mut tx, id, domain::now()).await?;
        self.settle(tx, id, changed, AlertEventKind::Resolved).await
    }

    /// Stores a new alert and publishes it.
    pub async fn create(&self, alert: NewAlert) -> AlertResult<AlertView> {
        let title = checked_title(&alert.title)?;
        let mut tx = self.begin_change().await?;
        let row = db::alerts::insert(
            &mut tx,
            &NewAlertRow {
                id: AlertId::new(),
                kind: alert.kind,
                severity: alert.severity,
                title,
                description: alert.description.trim(),
                data: alert.data.as_ref(),
                created_at: domain::now(),
            },
        )
        .await?;
        let created = view(row);
        self.commit_change(tx, AlertEventKind::Created, &created)
            .await?;
        tracing::info!(alert_id = %created.id, kind = %created.kind, severity = %created.severity, "alert created");
        self.relay.deliver().await;
        Ok(created)
    }

    /// Brings the open alerts of the checked `kinds` in line with what the checks `found`:
    /// an issue with no open alert gets one (the database refuses a second, so generators on
    /// two replicas raise it once); an open alert whose issue is gone, or whose severity
    /// changed, is resolved with `autoResolved` and the reason in its `data` (a changed
    /// severity is then raised afresh). An issue that comes back after its alert was resolved
    /// gets a new alert. Every change is published.
    pub async fn sync(&self, kinds: &[AlertType], found: &[KeyedAlert]) -> AlertResult<SyncReport> {
        let now = domain::now();
        let mut report = SyncReport::default();
        let open = db::alerts::open_keyed(&mut self.db.conn().await?).await?;
        for alert in open.iter().filter(|a| kinds.contains(&a.kind)) {
            let current = found
                .iter()
                .find(|f| f.alert.kind == alert.kind && f.key == alert.dedupe_key);
            let because = match current {
                None => "cleared",
                Some(f) if f.alert.severity != alert.severity => "severity_changed",
                Some(_) => continue,
            };
            let mut data = alert.data.clone().map_or_else(|| json!({}), |j| j.0);
            if let Value::Object(map) = &mut data {
                map.insert("autoResolved".to_owned(), json!(true));
                map.insert("resolvedBecause".to_owned(), json!(because));
            }
            let mut tx = self.begin_change().await?;
            match db::alerts::resolve_cleared(&mut tx, alert.id, &data, now).await? {
                Some(row) => {
                    let resolved = view(row);
                    self.commit_change(tx, AlertEventKind::Resolved, &resolved)
                        .await?;
                    tracing::info!(alert_id = %resolved.id, kind = %resolved.kind, because, "alert resolved by its check");
                    report.resolved.push(resolved);
                }
                None => tx.rollback().await?,
            }
        }
        for f in found.iter().filter(|f| kinds.contains(&f.alert.kind)) {
            let title = checked_title(&f.alert.title)?;
            let mut tx = self.begin_change().await?;
            let inserted = db::alerts::insert_keyed(
                &mut tx,
                &NewAlertRow {
                    id: AlertId::new(),
                    kind: f.alert.kind,
                    severity: f.alert.severity,
                    title,
                    description: f.alert.description.trim(),
                    data: f.alert.data.as_ref(),
                    created_at: now,
                },
                &f.key,
            )
            .await?;
            match inserted {
                Some(row) => {
                    let created = view(row);
                    self.commit_change(tx, AlertEventKind::Created, &created)
                        .await?;
                    tracing::info!(alert_id = %created.id, kind = %created.kind, severity = %created.severity, key = %f.key, "alert raised by its check");
                    report.created.push(created);
                }
                None => tx.rollback().await?,
            }
        }
        if !(report.created.is_empty() && report.resolved.is_empty()) {
            self.relay.deliver().await;
        }
        Ok(report)
    }

    /// Every alert event from now on (see [`EventBroker::subscribe`]).
    pub fn subscribe(&self) -> impl Stream<Item = AlertEvent> + Send + Unpin + use<> {
        self.broker.subscribe()
    }

    /// The answer to a read or resolve: the changed row (stored with its event, published),
    /// or the row as it was.
    async fn settle(
        &self,
        mut tx: Tx,
        id: AlertId,
        changed: Option<AlertRow>,
        kind: AlertEventKind,
    ) -> AlertResult<AlertView> {
        match changed {
            Some(row) => {
                let alert = view(row);
                self.commit_change(tx, kind, &alert).await?;
                self.relay.deliver().await;
                Ok(alert)
            }
            None => {
                let row = db::alerts::find(&mut tx, id).await?;
                tx.rollback().await?;
                row.map(view).ok_or(AlertError::NotFound(id))
            }
        }
    }

    /// A transaction for a change of alerts. It takes the alert-events lock first, so events
    /// are numbered in the order their changes commit.
    async fn begin_change(&self) -> AlertResult<Tx> {
        let mut tx = self.db.begin().await?;
        db::lock(&mut tx, WriteLock::AlertEvents).await?;
        Ok(tx)
    }

    /// Stores the event of the change made in `tx`, tells the other replicas, and commits:
    /// an alert never changes without its event. The caller then delivers it.
    async fn commit_change(
        &self,
        mut tx: Tx,
        kind: AlertEventKind,
        alert: &AlertView,
    ) -> AlertResult<()> {
        let json = serde_json::to_value(alert).expect("alerts serialize");
        db::alerts::insert_event(&mut tx, kind.as_str(), alert.id, &json, domain::now()).await?;
        db::notify(&mut tx, relay::CHANNEL).await?;
        tx.commit().await?;
        Ok(())
    }

    /// Events after the cursor `after` (stored ones first, oldest first), then live ones;
    /// without a cursor, live ones only. Nothing is missed between the two: the live
    /// subscription starts before the stored events are read, and what was read is not
    /// repeated. If the stored events can't be read the stream says so in the log and goes live.
    pub fn events(
        &self,
        after: Option<i64>,
    ) -> impl Stream<Item = AlertEvent> + Send + Unpin + use<> {
        let live = self.broker.subscribe();
        let Some(after) = after else {
            return live.boxed();
        };
        let db = self.db.clone();
        let replay = futures::stream::once(async move {
            let mut replayed = Vec::new();
            let mut cursor = after;
            loop {
                let page = match db.conn().await {
                    Ok(mut conn) => db::alerts::events_after(&mut conn, cursor, relay::PAGE).await,
                    Err(err) => Err(err),
                };
                match page {
                    Ok(rows) => {
                        let done = (rows.len() as i64) < relay::PAGE;
                        for row in rows {
                            cursor = row.seq;
                            replayed.extend(relay::event_of(row));
                        }
                        if done || replayed.len() >= MAX_REPLAY {
                            break;
                        }
                    }
                    Err(err) => {
                        tracing::error!(error = %err, "alert events could not be replayed");
                        break;
                    }
                }
            }
            (replayed, cursor, live)
        });
        replay
            .flat_map(|(replayed, last, live)| {
                let live = live.filter(move |e| std::future::ready(e.seq > last));
                futures::stream::iter(replayed).chain(live)
            })
            .boxed()
    }
}

/// The title trimmed, refused when empty or too long.
fn checked_title(title: &str) -> AlertResult<&str> {
    let title = title.trim();
    if title.is_empty() {
        return Err(AlertError::InvalidInput {
            field: "title",
            message: "an alert needs a title".to_owned(),
        });
    }
    if title.chars().count() > MAX_TITLE_CHARS {
        return Err(AlertError::InvalidInput {
            field: "title",
            message: format!("an alert title has at most {MAX_TITLE_CHARS} characters"),
        });
    }
    Ok(title)
}

fn view(row: AlertRow) -> AlertView {
    AlertView {
        id: row.id,
        kind: row.kind,
        severity: row.severity,
        title: row.title,
        description: row.description,
        data: row.data.map(|json| json.0),
        read_at: row.read_at,
        resolved_at: row.resolved_at,
        created_at: row.created_at,
    }
}

#[cfg(test)]
mod tests {
    use base64::Engine as _;
    use base64::engine::general_purpose::URL_SAFE_NO_PAD;

    use super::*;

    #[test]
    fn cursors_round_trip_and_refuse_anything_else() {
        let cursor = AlertCursor {
            created_at: domain::now(),
            id: AlertId::new(),
        };
        let text = cursor.encode();
        assert!(
            text.bytes()
                .all(|b| b.is_ascii_alphanumeric() || b == b'-' || b == b'_')
        );
        assert_eq!(AlertCursor::decode(&text), Some(cursor));
        for bad in ["", "!!", "bm9wZQ", &URL_SAFE_NO_PAD.encode("12:not-a-uuid")] {
            assert_eq!(AlertCursor::decode(bad), None, "{bad}");
        }
    }
}
