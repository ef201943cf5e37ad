-- AIM's own tables, as the original design's models: conversations and messages between staff
-- and the assistant, operational alerts, and breaks within staff shifts.

CREATE TABLE aim_conversations (
    id            BLOB PRIMARY KEY CHECK (length(id) = 16),
    staff_user_id BLOB NOT NULL REFERENCES staff_users (id),
    title         TEXT,
    status        TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'archived')),
    created_at    TEXT NOT NULL,
    updated_at    TEXT NOT NULL
) STRICT;
CREATE INDEX aim_conversations_staff_user_id_updated_at_idx ON aim_conversations (staff_user_id, updated_at);

CREATE TABLE aim_messages (
    id              BLOB PRIMARY KEY CHECK (length(id) = 16),
    conversation_id BLOB NOT NULL REFERENCES aim_conversations (id) ON DELETE CASCADE,
    role            TEXT NOT NULL CHECK (role IN ('user', 'assistant')),
    content         TEXT NOT NULL,
    tool_calls      TEXT CHECK (tool_calls IS NULL OR json_valid(tool_calls)),
    model_used      TEXT,
    created_at      TEXT NOT NULL
) STRICT;
CREATE INDEX aim_messages_conversation_id_created_at_idx ON aim_messages (conversation_id, created_at);

CREATE TABLE aim_alerts (
    id          BLOB PRIMARY KEY CHECK (length(id) = 16),
    type        TEXT NOT NULL CHECK (type IN ('staffing_gap', 'capacity_warning', 'compliance', 'weather', 'booking_spike')),
    severity    TEXT NOT NULL DEFAULT 'info' CHECK (severity IN ('info', 'warning', 'critical')),
    title       TEXT NOT NULL,
    description TEXT NOT NULL,
    data        TEXT CHECK (data IS NULL OR json_valid(data)),
    read_at     TEXT,
    resolved_at TEXT,
    created_at  TEXT NOT NULL
) STRICT;
CREATE INDEX aim_alerts_type_created_at_idx ON aim_alerts (type, created_at);
CREATE INDEX aim_alerts_read_at_idx ON aim_alerts (read_at);

CREATE TABLE staff_breaks (
    id                BLOB PRIMARY KEY CHECK (length(id) = 16),
    staff_schedule_id BLOB NOT NULL REFERENCES staff_schedules (id) ON DELETE CASCADE,
    start_time        TEXT NOT NULL CHECK (length(start_time) = 5 AND start_time GLOB '[0-2][0-9]:[0-5][0-9]' AND start_time <= '23:59'),
    end_time          TEXT NOT NULL CHECK (length(end_time) = 5 AND end_time GLOB '[0-2][0-9]:[0-5][0-9]' AND end_time <= '23:59'),
    type              TEXT NOT NULL DEFAULT 'lunch' CHECK (type IN ('lunch', 'short', 'personal')),
    created_at        TEXT NOT NULL,
    CHECK (end_time > start_time)
) STRICT;
CREATE INDEX staff_breaks_staff_schedule_id_idx ON staff_breaks (staff_schedule_id);
