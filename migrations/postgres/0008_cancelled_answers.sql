-- An assistant message whose turn the staff user stopped: it holds what AIM had said by then
-- and the tools that had finished.
ALTER TABLE aim_messages ADD COLUMN cancelled BOOLEAN NOT NULL DEFAULT FALSE;
