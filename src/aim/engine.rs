//! The alert generator: runs the checks on a snapshot of the facility and reconciles the open
//! alerts with what they found — on a schedule, on demand (`aim alerts run`), and after AIM
//! books something. With PostgreSQL only one replica runs it at a time.

use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::task::JoinHandle;

use super::alerts::{AlertError, AlertService, KeyedAlert, NewAlert, SyncReport};
use super::checks::{self, Finding, Thresholds};
use crate::db::WriteLock;
use crate::domain::{self, AlertType};
use crate::facility::{Facility, FacilityError};

/// The kinds of alert the checks raise (and so reconcile); weather joins when configured.
pub const CHECKED: &[AlertType] = &[
    AlertType::StaffingGap,
    AlertType::CapacityWarning,
    AlertType::Compliance,
    AlertType::BookingSpike,
];

#[derive(Debug, thiserror::Error)]
pub enum EngineError {
    #[error("reading the facility: {0}")]
    Facility(#[from] FacilityError),
    #[error("storing alerts: {0}")]
    Alerts(#[from] AlertError),
    #[error(transparent)]
    Db(#[from] crate::db::DbError),
}

/// Runs the checks and keeps the alerts in line with them.
#[derive(Clone)]
pub struct AlertEngine {
    facility: Facility,
    alerts: AlertService,
    thresholds: Thresholds,
}

impl AlertEngine {
    pub fn new(facility: Facility, alerts: AlertService, thresholds: Thresholds) -> AlertEngine {
        AlertEngine {
            facility,
            alerts,
            thresholds,
        }
    }

    /// What the checks find at `now`.
    pub async fn findings(&self, now: DateTime<Utc>) -> Result<Vec<Finding>, EngineError> {
        let snapshot = self.facility.alert_snapshot(now, &self.thresholds).await?;
        Ok(checks::all(&snapshot, &self.thresholds))
    }

    /// Runs the checks at `now` and reconciles the alerts, unless another replica is doing so
    /// (`None` then).
    pub async fn run(&self, now: DateTime<Utc>) -> Result<Option<SyncReport>, EngineError> {
        let Some(_leader) = self
            .facility
            .db()
            .try_lead(WriteLock::AlertGenerator)
            .await?
        else {
            tracing::debug!("another replica is generating alerts");
            return Ok(None);
        };
        let found: Vec<KeyedAlert> = self.findings(now).await?.into_iter().map(keyed).collect();
        let report = self.alerts.sync(CHECKED, &found).await?;
        tracing::info!(
            found = found.len(),
            created = report.created.len(),
            resolved = report.resolved.len(),
            "alerts generated"
        );
        Ok(Some(report))
    }

    /// Runs now and then every `interval` until the returned task is aborted; a failed run is
    /// logged and the next one tried as usual. Aborting mid-run is safe: each alert is written
    /// by one statement.
    pub fn spawn(self, interval: Duration) -> JoinHandle<()> {
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(interval);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                ticks.tick().await;
                if let Err(err) = self.run(domain::now()).await {
                    tracing::error!(error = %err, "alert generation failed");
                }
            }
        })
    }
}

fn keyed(f: Finding) -> KeyedAlert {
    KeyedAlert {
        key: f.key,
        alert: NewAlert {
            kind: f.kind,
            severity: f.severity,
            title: f.title,
            description: f.description,
            data: Some(f.data),
        },
    }
}
