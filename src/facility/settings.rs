//! Facility settings: stored in the database, overridable from the environment at start-up.

use chrono_tz::Tz;

use crate::config::Config;
use crate::db::{self, Db, DbError};
use crate::domain::now;

/// Capacity, staffing ratio and time zone of the facility.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FacilitySettings {
    /// Dogs the facility can hold on one day.
    pub capacity: u32,
    /// Dogs per staff member on duty above which staffing is short.
    pub staff_ratio: u32,
    pub timezone: Tz,
}

#[derive(Debug, thiserror::Error)]
pub enum SettingsError {
    #[error("facility settings hold an unknown time zone `{0}`")]
    BadTimezone(String),
    #[error("facility settings hold a non-positive {0}")]
    BadNumber(&'static str),
    #[error(transparent)]
    Db(#[from] DbError),
}

/// Reads the settings row.
pub async fn load(db: &Db) -> Result<FacilitySettings, SettingsError> {
    let row = db::settings::get(&mut db.conn().await?).await?;
    Ok(FacilitySettings {
        capacity: u32::try_from(row.capacity).map_err(|_| SettingsError::BadNumber("capacity"))?,
        staff_ratio: u32::try_from(row.staff_ratio)
            .map_err(|_| SettingsError::BadNumber("staff ratio"))?,
        timezone: row
            .timezone
            .parse()
            .map_err(|_| SettingsError::BadTimezone(row.timezone.clone()))?,
    })
}

/// Writes the settings given in the environment (`AIM_FACILITY_CAPACITY`, `AIM_STAFF_RATIO`,
/// `AIM_TIMEZONE`) and returns the settings in force.
pub async fn apply_overrides(db: &Db, config: &Config) -> Result<FacilitySettings, SettingsError> {
    if config.facility_capacity.is_some()
        || config.staff_ratio.is_some()
        || config.timezone.is_some()
    {
        let capacity = config
            .facility_capacity
            .map(|n| i32::try_from(n).unwrap_or(i32::MAX));
        let ratio = config
            .staff_ratio
            .map(|n| i32::try_from(n).unwrap_or(i32::MAX));
        let tz = config.timezone.map(|tz| tz.name().to_owned());
        db::settings::update(&mut db.conn().await?, capacity, ratio, tz.as_deref(), now()).await?;
    }
    load(db).await
}
