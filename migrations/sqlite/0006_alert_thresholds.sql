-- The limits of the alert checks, with SPEC's defaults, kept with the facility's other settings
-- so a facility tunes them without a new release.
ALTER TABLE facility_settings ADD COLUMN capacity_warning_percent REAL NOT NULL DEFAULT 80
    CHECK (capacity_warning_percent > 0 AND capacity_warning_percent <= 100);
ALTER TABLE facility_settings ADD COLUMN capacity_critical_percent REAL NOT NULL DEFAULT 95
    CHECK (capacity_critical_percent > 0 AND capacity_critical_percent <= 100);
ALTER TABLE facility_settings ADD COLUMN alert_days_ahead INTEGER NOT NULL DEFAULT 7
    CHECK (alert_days_ahead BETWEEN 0 AND 60);
ALTER TABLE facility_settings ADD COLUMN spike_factor REAL NOT NULL DEFAULT 2 CHECK (spike_factor > 0);
ALTER TABLE facility_settings ADD COLUMN spike_min_bookings INTEGER NOT NULL DEFAULT 5
    CHECK (spike_min_bookings >= 0);
ALTER TABLE facility_settings ADD COLUMN spike_baseline_days INTEGER NOT NULL DEFAULT 14
    CHECK (spike_baseline_days BETWEEN 1 AND 366);
