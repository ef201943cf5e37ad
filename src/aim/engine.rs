//! The alert generator: runs the checks on a snapshot of the facility and reconciles the open
//! alerts with what they found — on a schedule, on demand (`aim alerts run`), and after AIM
//! books something. With PostgreSQL only one replica runs it at a time.

use std::time::Duration;

use chrono::{DateTime, Utc};
use tokio::task::JoinHandle;

use super::alerts::{AlertError, AlertService, KeyedAlert, NewAlert, SyncReport};
use super::checks::{self, Finding, Thresholds};
use super::weather::{self, WeatherClient, WeatherThresholds};
use crate::db::WriteLock;
use crate::domain::{self, AlertType};
use crate::facility::{Facility, FacilityError};

/// The kinds of alert the facility's checks raise (and so reconcile). Weather joins them on a
/// run whose forecast was fetched (see [`AlertEngine::with_weather`]).
pub const CHECKED: &[AlertType] = &[
    AlertType::StaffingGap,
    AlertType::CapacityWarning,
    AlertType::Compliance,
    AlertType::BookingSpike,
];

/// How long after a write the checks run, so that writes made together make one run.
pub const AFTER_WRITE_DELAY: Duration = Duration::from_millis(200);

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
    /// The forecast provider and its limits, when weather is configured.
    weather: Option<(WeatherClient, WeatherThresholds)>,
}

impl AlertEngine {
    /// An engine without the weather check.
    pub fn new(facility: Facility, alerts: AlertService, thresholds: Thresholds) -> AlertEngine {
        AlertEngine {
            facility,
            alerts,
            thresholds,
            weather: None,
        }
    }

    /// This engine with the weather check: each run fetches the forecast for the facility's
    /// time zone and raises weather alerts. A run whose fetch fails leaves the open weather
    /// alerts as they are (a forecast not had is no all-clear).
    pub fn with_weather(self, client: WeatherClient, thresholds: WeatherThresholds) -> AlertEngine {
        AlertEngine {
            weather: Some((client, thresholds)),
            ..self
        }
    }

    /// Whether the weather check runs.
    pub fn has_weather(&self) -> bool {
        self.weather.is_some()
    }

    /// What the weather check finds now: `None` when it is off or the forecast could not be
    /// had (logged as a warning).
    pub async fn weather_findings(&self) -> Option<Vec<Finding>> {
        let (client, thresholds) = self.weather.as_ref()?;
        match client.forecast(self.facility.timezone()).await {
            Ok(forecast) => Some(weather::weather(&forecast, thresholds)),
            Err(err) => {
                tracing::warn!(error = %err, "no weather forecast: open weather alerts are kept as they are");
                None
            }
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
        let Some(leader) = self
            .facility
            .db()
            .try_lead(WriteLock::AlertGenerator)
            .await?
        else {
            tracing::debug!("another replica is generating alerts");
            return Ok(None);
        };
        let mut findings = self.findings(now).await?;
        let mut kinds = CHECKED.to_vec();
        if let Some(weather) = self.weather_findings().await {
            findings.extend(weather);
            kinds.push(AlertType::Weather);
        }
        let found: Vec<KeyedAlert> = findings.into_iter().map(keyed).collect();
        let report = self.alerts.sync(&kinds, &found).await?;
        if let Err(err) = leader.release().await {
            tracing::warn!(error = %err, "could not let go of the alert generator's lead; it goes with the connection");
        }
        tracing::info!(
            found = found.len(),
            created = report.created.len(),
            resolved = report.resolved.len(),
            "alerts generated"
        );
        Ok(Some(report))
    }

    /// Runs now, then every `interval` and shortly after each write that can change what the
    /// checks find (a booking that tips a day over capacity is alerted within a second), until
    /// the returned task is aborted; writes during a run make one more run. A failed run is
    /// logged and the next one tried as usual. Aborting mid-run is safe: each alert change is
    /// written with its event in one transaction.
    pub fn spawn(self, interval: Duration) -> JoinHandle<()> {
        tokio::spawn(async move {
            let mut ticks = tokio::time::interval(interval);
            ticks.set_missed_tick_behavior(tokio::time::MissedTickBehavior::Delay);
            loop {
                tokio::select! {
                    _ = ticks.tick() => {}
                    () = self.facility.changed() => {
                        // A front desk's burst of writes makes one run.
                        tokio::time::sleep(AFTER_WRITE_DELAY).await;
                    }
                }
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
