-- Alerts raised by the checks carry the key of the issue they are about (e.g. the date and hour
-- of a staffing gap). At most one unresolved alert exists per type and key: the database
-- enforces it, so two generators racing (two replicas) insert one row.
ALTER TABLE aim_alerts ADD COLUMN dedupe_key TEXT CHECK (dedupe_key IS NULL OR length(dedupe_key) BETWEEN 1 AND 200);
CREATE UNIQUE INDEX aim_alerts_open_dedupe_key_idx ON aim_alerts (type, dedupe_key)
    WHERE resolved_at IS NULL AND dedupe_key IS NOT NULL;
