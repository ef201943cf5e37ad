//! Alerts through their life: created by the alert checks, listed, read and resolved by staff.
//!
//! Alerts belong to the facility, not to one staff user: any signed-in staff user may read,
//! mark and resolve them. Every change of a row is published once to the [`EventBroker`]; a
//! repeated read or resolve keeps the first timestamp and publishes nothing.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use chrono::{DateTime, Utc};
use futures::{Stream, StreamExt};
use serde_json::{Value, json};

use crate::db::alerts::{AlertRow, NewAlertRow};
use crate::db::{self, Db, DbError, WriteLock};
use crate::domain::{self, AlertId, AlertSeverity, AlertType};
use crate::events::{AlertEvent, AlertEventKind, EventBroker};

pub use crate::db::alerts::AlertFilter;
pub use crate::events::AlertView;

/// Alerts in a page unless the caller asks for another number.
pub const DEFAULT_PAGE_SIZE: usize = 20;
/// Most alerts in one page.
pub const MAX_PAGE_SIZE: usize = 100;
/// Stored events read per query when a subscriber catches up.
const REPLAY_PAGE: i64 = 500;
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

    /// Base64url (no padding) of `<microseconds since the epoch>:<id>`.
    pub fn encode(&self) -> String {
        URL_SAFE_NO_PAD.encode(format!(
            "{}:{}",
            self.created_at.timestamp_micros(),
            self.id
        ))
    }

    /// The cursor [`AlertCursor::encode`] made, or `None` for anything else.
    pub fn decode(text: &str) -> Option<AlertCursor> {
        let bytes = URL_SAFE_NO_PAD.decode(text.trim()).ok()?;
        let text = String::from_utf8(bytes).ok()?;
        let (micros, id) = text.split_once(':')?;
        Some(AlertCursor {
            created_at: DateTime::from_timestamp_micros(micros.parse().ok()?)?,
            id: id.parse().ok()?,
        })
    }
}

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
}

impl AlertService {
    pub fn new(db: Db, broker: EventBroker) -> AlertService {
        AlertService { db, broker }
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
        let mut conn = self.db.conn().await?;
        let changed = db::alerts::mark_read(&mut conn, id, domain::now()).await?;
        self.settle(conn, id, changed, AlertEventKind::Read).await
    }

    /// Marks the alert resolved now, or answers it as it is when it was resolved before.
    pub async fn resolve(&self, id: AlertId) -> AlertResult<AlertView> {
        let mut conn = self.db.conn().await?;
        let changed = db::alerts::resolve(&mut conn, id, domain::now()).await?;
        self.settle(conn, id, changed, AlertEventKind::Resolved)
            .await
    }

    /// Stores a new alert and publishes it.
    pub async fn create(&self, alert: NewAlert) -> AlertResult<AlertView> {
        let title = checked_title(&alert.title)?;
        let row = db::alerts::insert(
            &mut self.db.conn().await?,
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
        tracing::info!(alert_id = %created.id, kind = %created.kind, severity = %created.severity, "alert created");
        self.publish(AlertEventKind::Created, &created).await?;
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
        let mut conn = self.db.conn().await?;
        let mut report = SyncReport::default();
        let open = db::alerts::open_keyed(&mut conn).await?;
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
            if let Some(row) = db::alerts::resolve_cleared(&mut conn, alert.id, &data, now).await? {
                let resolved = view(row);
                tracing::info!(alert_id = %resolved.id, kind = %resolved.kind, because, "alert resolved by its check");
                self.publish(AlertEventKind::Resolved, &resolved).await?;
                report.resolved.push(resolved);
            }
        }
        for f in found.iter().filter(|f| kinds.contains(&f.alert.kind)) {
            let title = checked_title(&f.alert.title)?;
            let inserted = db::alerts::insert_keyed(
                &mut conn,
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
            if let Some(row) = inserted {
                let created = view(row);
                tracing::info!(alert_id = %created.id, kind = %created.kind, severity = %created.severity, key = %f.key, "alert raised by its check");
                self.publish(AlertEventKind::Created, &created).await?;
                report.created.push(created);
            }
        }
        Ok(report)
    }

    /// Every alert event from now on (see [`EventBroker::subscribe`]).
    pub fn subscribe(&self) -> impl Stream<Item = AlertEvent> + Send + Unpin + use<> {
        self.broker.subscribe()
    }

    /// The answer to a read or resolve: the changed row (published), or the row as it was.
    async fn settle(
        &self,
        mut conn: db::Conn,
        id: AlertId,
        changed: Option<AlertRow>,
        kind: AlertEventKind,
    ) -> AlertResult<AlertView> {
        match changed {
            Some(row) => {
                let alert = view(row);
                self.publish(kind, &alert).await?;
                Ok(alert)
            }
            None => db::alerts::find(&mut conn, id)
                .await?
                .map(view)
                .ok_or(AlertError::NotFound(id)),
        }
    }

    /// Stores the event, numbered in commit order (writers of events take a lock), then hands
    /// it to live subscribers.
    async fn publish(&self, kind: AlertEventKind, alert: &AlertView) -> AlertResult<()> {
        let json = serde_json::to_value(alert).expect("alerts serialize");
        let mut tx = self.db.begin().await?;
        db::lock(&mut tx, WriteLock::AlertEvents).await?;
        let seq = db::alerts::insert_event(&mut tx, kind.as_str(), alert.id, &json, domain::now())
            .await?;
        tx.commit().await?;
        self.broker.publish(AlertEvent {
            seq,
            kind,
            alert: alert.clone(),
        });
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
                    Ok(mut conn) => db::alerts::events_after(&mut conn, cursor, REPLAY_PAGE).await,
                    Err(err) => Err(err),
                };
                match page {
                    Ok(rows) => {
                        let done = (rows.len() as i64) < REPLAY_PAGE;
                        for row in rows {
                            cursor = row.seq;
                            let (Some(kind), Ok(alert)) = (
                                AlertEventKind::parse(&row.kind),
                                serde_json::from_value::<AlertView>(row.alert.0),
                            ) else {
                                tracing::error!(
                                    seq = row.seq,
                                    "stored alert event unreadable; skipped"
                                );
                                continue;
                            };
                            replayed.push(AlertEvent {
                                seq: row.seq,
                                kind,
                                alert,
                            });
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
