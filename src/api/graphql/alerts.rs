//! Alerts in GraphQL: `aimAlerts` and `aimUnreadAlertCount`, `markAimAlertRead` and
//! `resolveAimAlert`, and the `aimAlertEvents` subscription.

use async_graphql::connection::{Connection, Edge};
use async_graphql::{Context, Enum, ID, Object, SimpleObject, Subscription};
use chrono::{DateTime, Utc};
use futures::{Stream, StreamExt};
use serde_json::Value;

use crate::aim::alerts::{
    AlertCursor, AlertFilter, AlertService, AlertView, DEFAULT_PAGE_SIZE, MAX_PAGE_SIZE,
};
use crate::api::error::ApiError;
use crate::auth::Authenticated;
use crate::domain::{AlertId, AlertSeverity};
use crate::events::AlertEvent;

/// What an alert is about.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "crate::domain::AlertType")]
pub enum AimAlertType {
    StaffingGap,
    CapacityWarning,
    Compliance,
    Weather,
    BookingSpike,
}

/// How urgent an alert is: INFO < WARNING < CRITICAL.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "crate::domain::AlertSeverity")]
pub enum AimAlertSeverity {
    Info,
    Warning,
    Critical,
}

/// What happened to an alert.
#[derive(Enum, Clone, Copy, PartialEq, Eq)]
#[graphql(remote = "crate::events::AlertEventKind")]
pub enum AimAlertEventKind {
    Created,
    Read,
    Resolved,
}

/// An operational alert raised by AIM's checks (staffing, capacity, compliance, weather,
/// booking spikes). Alerts belong to the facility: every staff user sees the same ones.
#[derive(SimpleObject)]
pub struct AimAlert {
    pub id: ID,
    #[graphql(name = "type")]
    pub kind: AimAlertType,
    pub severity: AimAlertSeverity,
    pub title: String,
    pub description: String,
    /// What the check found (dates, counts, ids), as the check shaped it.
    pub data: Option<Value>,
    /// When a staff user first marked it read.
    pub read_at: Option<DateTime<Utc>>,
    /// When a staff user first resolved it.
    pub resolved_at: Option<DateTime<Utc>>,
    pub created_at: DateTime<Utc>,
}

impl From<AlertView> for AimAlert {
    fn from(a: AlertView) -> Self {
        AimAlert {
            id: ID(a.id.to_string()),
            kind: a.kind.into(),
            severity: a.severity.into(),
            title: a.title,
            description: a.description,
            data: a.data,
            read_at: a.read_at,
            resolved_at: a.resolved_at,
            created_at: a.created_at,
        }
    }
}

/// A change of an alert, with the alert as it stands after it.
#[derive(SimpleObject)]
pub struct AimAlertEvent {
    /// Pass the last cursor seen as `after` when subscribing again: the events missed while
    /// disconnected come first, none twice.
    pub cursor: String,
    pub kind: AimAlertEventKind,
    pub alert: AimAlert,
}

impl From<AlertEvent> for AimAlertEvent {
    fn from(e: AlertEvent) -> Self {
        AimAlertEvent {
            cursor: event_cursor(e.seq),
            kind: e.kind.into(),
            alert: e.alert.into(),
        }
    }
}

/// An event's place in the order of events, opaque to clients.
fn event_cursor(seq: i64) -> String {
    use base64::Engine as _;
    base64::engine::general_purpose::URL_SAFE_NO_PAD.encode(format!("event:{seq}"))
}

fn parse_event_cursor(text: &str) -> Option<i64> {
    use base64::Engine as _;
    let bytes = base64::engine::general_purpose::URL_SAFE_NO_PAD
        .decode(text.trim())
        .ok()?;
    String::from_utf8(bytes)
        .ok()?
        .strip_prefix("event:")?
        .parse()
        .ok()
        .filter(|seq: &i64| *seq >= 0)
}

/// The service, for a signed-in caller only.
fn alerts<'c>(ctx: &Context<'c>) -> async_graphql::Result<&'c AlertService> {
    ctx.data::<Authenticated>()?;
    ctx.data::<AlertService>()
}

fn bad_request(field: &str, message: String) -> async_graphql::Error {
    ApiError::BadRequest {
        field: Some(field.to_owned()),
        message,
    }
    .into_graphql()
}

fn alert_id(id: &ID) -> async_graphql::Result<AlertId> {
    id.parse()
        .map_err(|_| bad_request("id", format!("`{}` is not an alert id", id.as_str())))
}

#[derive(Default)]
pub struct AlertQuery;

#[Object]
impl AlertQuery {
    /// Alerts, newest first. `unread: true` keeps unread ones, `resolved: false` open ones;
    /// `first` is 20 unless given (at most 100), `after` an `endCursor` of an earlier page.
    async fn aim_alerts(
        &self,
        ctx: &Context<'_>,
        unread: Option<bool>,
        resolved: Option<bool>,
        #[graphql(name = "type")] kind: Option<AimAlertType>,
        first: Option<i32>,
        after: Option<String>,
    ) -> async_graphql::Result<Connection<String, AimAlert>> {
        let alerts = alerts(ctx)?;
        let first = match first {
            None => DEFAULT_PAGE_SIZE,
            Some(n) if (1..=MAX_PAGE_SIZE as i32).contains(&n) => n as usize,
            Some(n) => {
                return Err(ApiError::Invalid {
                    field: Some("first".to_owned()),
                    message: format!("first must be between 1 and {MAX_PAGE_SIZE}, not {n}"),
                }
                .into_graphql());
            }
        };
        let after = match after.as_deref() {
            None => None,
            Some(text) => Some(AlertCursor::decode(text).ok_or_else(|| {
                bad_request(
                    "after",
                    "`after` is not a cursor of this list: pass an `endCursor` or `cursor` it returned"
                        .to_owned(),
                )
            })?),
        };
        let filter = AlertFilter {
            unread,
            resolved,
            kind: kind.map(Into::into),
        };
        let page = alerts
            .list(filter, first, after)
            .await
            .map_err(|e| ApiError::from(e).into_graphql())?;
        let mut connection = Connection::new(after.is_some(), page.has_next_page);
        connection.edges.extend(
            page.alerts
                .into_iter()
                .map(|a| Edge::new(AlertCursor::of(&a).encode(), a.into())),
        );
        Ok(connection)
    }

    /// How many alerts are neither read nor resolved.
    async fn aim_unread_alert_count(&self, ctx: &Context<'_>) -> async_graphql::Result<i64> {
        alerts(ctx)?
            .unread_count()
            .await
            .map_err(|e| ApiError::from(e).into_graphql())
    }
}

#[derive(Default)]
pub struct AlertMutation;

#[Object]
impl AlertMutation {
    /// Marks the alert read; marking it again keeps the first time.
    async fn mark_aim_alert_read(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<AimAlert> {
        let id = alert_id(&id)?;
        alerts(ctx)?
            .mark_read(id)
            .await
            .map(Into::into)
            .map_err(|e| ApiError::from(e).into_graphql())
    }

    /// Marks the alert resolved; resolving it again keeps the first time.
    async fn resolve_aim_alert(
        &self,
        ctx: &Context<'_>,
        id: ID,
    ) -> async_graphql::Result<AimAlert> {
        let id = alert_id(&id)?;
        alerts(ctx)?
            .resolve(id)
            .await
            .map(Into::into)
            .map_err(|e| ApiError::from(e).into_graphql())
    }
}

#[derive(Default)]
pub struct AlertSubscription;

#[Subscription]
impl AlertSubscription {
    /// Every alert created, read or resolved from now on, of at least `minSeverity` (all
    /// when not given). With `after` (an event's `cursor`), the events since that one come
    /// first, so a client that reconnects misses nothing and sees nothing twice.
    async fn aim_alert_events(
        &self,
        ctx: &Context<'_>,
        min_severity: Option<AimAlertSeverity>,
        after: Option<String>,
    ) -> async_graphql::Result<impl Stream<Item = AimAlertEvent> + use<>> {
        let min: AlertSeverity = min_severity.map_or(AlertSeverity::Info, Into::into);
        let after = match after.as_deref() {
            None => None,
            Some(text) => Some(parse_event_cursor(text).ok_or_else(|| {
                ApiError::BadRequest {
                    field: Some("after".to_owned()),
                    message: "after: not an event cursor this server handed out".to_owned(),
                }
                .into_graphql()
            })?),
        };
        Ok(alerts(ctx)?
            .events(after)
            .filter(move |e| std::future::ready(e.alert.severity >= min))
            .map(AimAlertEvent::from))
    }
}
