-- Chat turns started with an `Idempotency-Key`. A client that did not hear the answer (a
-- dropped connection, a proxy's time-out) sends the same request again with the same key and
-- is answered from the first turn instead of starting a second one. The row is written in the
-- same transaction as the question, so a key exists exactly when its question does.
--
-- `state`: `running` while the turn runs; `answered` once its answer (finished or stopped) is
-- stored in `answer_id`; `failed` when it failed with nothing written but the question, so a
-- repeat may run it again on the same question; `failed_after_write` when it failed after a
-- write tool acted (automatic writes), so a repeat must not run it again.
CREATE TABLE aim_chat_requests (
    staff_user_id    UUID NOT NULL REFERENCES staff_users (id) ON DELETE CASCADE,
    idempotency_key  TEXT NOT NULL CHECK (length(idempotency_key) BETWEEN 1 AND 255),
    conversation_id  UUID NOT NULL REFERENCES aim_conversations (id) ON DELETE CASCADE,
    question_id      UUID NOT NULL REFERENCES aim_messages (id) ON DELETE CASCADE,
    -- The request started its conversation (it named none).
    new_conversation BOOLEAN NOT NULL,
    state            TEXT NOT NULL DEFAULT 'running'
                     CHECK (state IN ('running', 'answered', 'failed', 'failed_after_write')),
    answer_id        UUID REFERENCES aim_messages (id) ON DELETE SET NULL,
    created_at       TIMESTAMPTZ NOT NULL,
    updated_at       TIMESTAMPTZ NOT NULL,
    PRIMARY KEY (staff_user_id, idempotency_key)
);
-- Keys are kept for a day; this finds the old ones to forget.
CREATE INDEX aim_chat_requests_created_at_idx ON aim_chat_requests (created_at);
