-- Every change of an alert, in order: what a subscriber that lost its connection replays from
-- the last event it saw (its cursor is `seq`) before it goes live again.
CREATE TABLE aim_alert_events (
    seq        INTEGER PRIMARY KEY AUTOINCREMENT,
    kind       TEXT NOT NULL CHECK (kind IN ('created', 'read', 'resolved')),
    alert_id   BLOB NOT NULL REFERENCES aim_alerts (id) ON DELETE CASCADE,
    alert      TEXT NOT NULL CHECK (json_valid(alert)),
    created_at TEXT NOT NULL
) STRICT;
CREATE INDEX aim_alert_events_alert_id_idx ON aim_alert_events (alert_id);
