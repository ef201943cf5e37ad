-- AIM's own tables, as the original design's models: conversations and messages between staff
-- and the assistant, operational alerts, and breaks within staff shifts.

CREATE TABLE aim_conversations (
    id            UUID PRIMARY KEY,
    staff_user_id UUID NOT NULL REFERENCES staff_users (id),
    title         TEXT,
    status        TEXT NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'archived')),
    created_at    TIMESTAMPTZ NOT NULL,
    updated_at    TIMESTAMPTZ NOT NULL
);
CREATE INDEX aim_conversations_staff_user_id_updated_at_idx ON aim_conversations (staff_user_id, updated_at);

CREATE TABLE aim_messages (
    id              UUID PRIMARY KEY,
    conversation_id UUID NOT NULL REFERENCES aim_conversations (id) ON DELETE CASCADE,
    role            TEXT NOT NULL CHECK (role IN ('user', 'assistant')),
    content         TEXT NOT NULL,
    tool_calls      JSONB,
    model_used      TEXT,
    created_at      TIMESTAMPTZ NOT NULL
);
CREATE INDEX aim_messages_conversation_id_created_at_idx ON aim_messages (conversation_id, created_at);

CREATE TABLE aim_alerts (
    id          UUID PRIMARY KEY,
    type        TEXT NOT NULL CHECK (type IN ('staffing_gap', 'capacity_warning', 'compliance', 'weather', 'booking_spike')),
    severity    TEXT NOT NULL DEFAULT 'info' CHECK (severity IN ('info', 'warning', 'critical')),
    title       TEXT NOT NULL,
    description TEXT NOT NULL,
    data        JSONB,
    read_at     TIMESTAMPTZ,
    resolved_at TIMESTAMPTZ,
    created_at  TIMESTAMPTZ NOT NULL
);
CREATE INDEX aim_alerts_type_created_at_idx ON aim_alerts (type, created_at);
CREATE INDEX aim_alerts_read_at_idx ON aim_alerts (read_at);

CREATE TABLE staff_breaks (
    id                UUID PRIMARY KEY,
    staff_schedule_id UUID NOT NULL REFERENCES staff_schedules (id) ON DELETE CASCADE,
    start_time        TEXT NOT NULL CHECK (start_time ~ '^([01][0-9]|2[0-3]):[0-5][0-9]$'),
    end_time          TEXT NOT NULL CHECK (end_time ~ '^([01][0-9]|2[0-3]):[0-5][0-9]$'),
    type              TEXT NOT NULL DEFAULT 'lunch' CHECK (type IN ('lunch', 'short', 'personal')),
    created_at        TIMESTAMPTZ NOT NULL,
    CHECK (end_time > start_time)
);
CREATE INDEX staff_breaks_staff_schedule_id_idx ON staff_breaks (staff_schedule_id);
