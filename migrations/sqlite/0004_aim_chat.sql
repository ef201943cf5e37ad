-- Chat bookkeeping: token usage per assistant message and per conversation, and pending
-- actions — bookings and SMS that AIM proposed and a staff user confirms or cancels.

-- Tokens of the model calls behind an assistant message. `input_tokens` excludes prompt-cache
-- reads and writes, which are counted apart, so the columns add up without double counting.
ALTER TABLE aim_messages ADD COLUMN input_tokens INTEGER CHECK (input_tokens >= 0);
ALTER TABLE aim_messages ADD COLUMN output_tokens INTEGER CHECK (output_tokens >= 0);
ALTER TABLE aim_messages ADD COLUMN cache_read_tokens INTEGER CHECK (cache_read_tokens >= 0);
ALTER TABLE aim_messages ADD COLUMN cache_write_tokens INTEGER CHECK (cache_write_tokens >= 0);

-- Running totals, so a conversation's cost is read without summing its messages.
ALTER TABLE aim_conversations ADD COLUMN input_tokens INTEGER NOT NULL DEFAULT 0 CHECK (input_tokens >= 0);
ALTER TABLE aim_conversations ADD COLUMN output_tokens INTEGER NOT NULL DEFAULT 0 CHECK (output_tokens >= 0);
ALTER TABLE aim_conversations ADD COLUMN cache_read_tokens INTEGER NOT NULL DEFAULT 0 CHECK (cache_read_tokens >= 0);
ALTER TABLE aim_conversations ADD COLUMN cache_write_tokens INTEGER NOT NULL DEFAULT 0 CHECK (cache_write_tokens >= 0);

-- A write AIM proposed. It is `pending` until the staff user who owns the conversation
-- confirms (then `confirmed` while it runs, and `executed` or `failed`) or cancels it, or it
-- passes `expires_at` (`expired`). `input` is the tool input as validated when proposed.
CREATE TABLE aim_actions (
    id              BLOB PRIMARY KEY CHECK (length(id) = 16),
    conversation_id BLOB NOT NULL REFERENCES aim_conversations (id) ON DELETE CASCADE,
    staff_user_id   BLOB NOT NULL REFERENCES staff_users (id),
    tool_use_id     TEXT NOT NULL,
    tool            TEXT NOT NULL CHECK (tool IN ('create_booking', 'send_sms_to_customer')),
    input           TEXT NOT NULL CHECK (json_valid(input)),
    summary         TEXT NOT NULL,
    status          TEXT NOT NULL DEFAULT 'pending'
                    CHECK (status IN ('pending', 'confirmed', 'cancelled', 'executed', 'failed', 'expired')),
    result          TEXT CHECK (result IS NULL OR json_valid(result)),
    error           TEXT,
    created_at      TEXT NOT NULL,
    expires_at      TEXT NOT NULL,
    decided_at      TEXT,
    completed_at    TEXT,
    CHECK (expires_at > created_at)
) STRICT;
CREATE INDEX aim_actions_conversation_id_created_at_idx ON aim_actions (conversation_id, created_at);
CREATE INDEX aim_actions_staff_user_id_status_idx ON aim_actions (staff_user_id, status);
