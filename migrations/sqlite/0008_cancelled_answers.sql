-- An assistant message whose turn the staff user stopped: it holds what AIM had said by then
-- and the tools that had finished.
ALTER TABLE aim_messages ADD COLUMN cancelled INTEGER NOT NULL DEFAULT 0 CHECK (cancelled IN (0, 1));
