-- Chat bookkeeping: token usage per assistant message and per conversation, and pending
-- actions — bookings and SMS that AIM proposed and a staff user confirms or cancels.

-- Tokens of the model calls behind an assistant message. `input_tokens` excludes prompt-cache
-- reads and writes, which are counted apart, so the columns add up without double counting.
ALTER TABLE aim_messages ADD COLUMN input_tokens BIGINT CHECK (input_tokens >= 0);
ALTER TABLE aim_messages ADD COLUMN output_tokens BIGINT CHECK (output_tokens >= 0);
ALTER TABLE aim_messages ADD COLUMN cache_read_tokens BIGINT CHECK (cache_read_tokens >= 0);
ALTER TABLE aim_messages ADD COLUMN cache_write_tokens BIGINT CHECK (cache_write_tokens >= 0);

-- Running totals, so a conversation's cost is read without summing its messages.
ALTER TABLE aim_conversations ADD COLUMN input_tokens BIGINT NOT NULL DEFAULT 0 CHECK (input_tokens >= 0);
ALTER TABLE aim_conversations ADD COLUMN output_tokens BIGINT NOT NULL DEFAULT 0 CHECK (output_tokens >= 0);
ALTER TABLE aim_conversations ADD COLUMN cache_read_tokens BIGINT NOT NULL DEFAULT 0 CHECK (cache_read_tokens >= 0);
ALTER TABLE aim_conversations ADD COLUMN cache_write_tokens BIGINT NOT NULL DEFAULT 0 CHECK (cache_write_tokens >= 0);

-- A write AIM proposed. It is `pending` until the staff user who owns the conversation
-- confirms (then `confirmed` while it runs, and `executed` or `failed`) or cancels it, or it
-- passes `expires_at` (`expired`). `input` is the tool input as validated when proposed.
CREATE TABLE aim_actions (
    id              UUID PRIMARY KEY,
    conversation_id UUID NOT NULL REFERENCES aim_conversations (id) ON DELETE CASCADE,
    staff_user_id   UUID NOT NULL REFERENCES staff_users (id),
    tool_use_id     TEXT NOT NULL,
    tool            TEXT NOT NULL CHECK (tool IN ('create_booking', 'send_sms_to_customer')),
    input           JSONB NOT NULL,
    summary         TEXT NOT NULL,
    status          TEXT NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'confirmed', 'cancelled', 'executed', 'failed', 'expired')),
    result          JSONB,
    error           TEXT,
    created_at      TIMESTAMPTZ NOT NULL,
    expires_at      TIMESTAMPTZ NOT NULL,
    decided_at      TIMESTAMPTZ,
    completed_at    TIMESTAMPTZ,
    CHECK (expires_at > created_at)
);
CREATE INDEX aim_actions_conversation_id_created_at_idx ON aim_actions (conversation_id, created_at);
CREATE INDEX aim_actions_staff_user_id_status_idx ON aim_actions (staff_user_id, status);
