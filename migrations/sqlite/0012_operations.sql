-- no-transaction
-- Running the day on AIM: a booking's check-in, check-out, cancellation and no-show are
-- recorded (when, and why it was cancelled); a customer's phone number is unique by its
-- digits; shifts know when they were last changed; a refund is a payment row of its own that
-- names the payment it gives back; and every write leaves a row in the append-only audit log.
--
-- SQLite cannot change a CHECK constraint in place, so `bookings` is rebuilt by the documented
-- procedure (https://sqlite.org/lang_altertable.html#otheralter): foreign keys off (possible
-- only outside a transaction, hence `no-transaction` above and the explicit BEGIN/COMMIT),
-- create the new table, copy, drop the old one, rename, check every foreign key, commit.
PRAGMA foreign_keys = OFF;

BEGIN IMMEDIATE;

CREATE TABLE bookings_new (
    id             BLOB PRIMARY KEY CHECK (length(id) = 16),
    customer_id    BLOB NOT NULL REFERENCES customers (id) ON DELETE CASCADE,
    service_id     BLOB NOT NULL REFERENCES services (id),
    start_at       TEXT NOT NULL,
    end_at         TEXT NOT NULL,
    status         TEXT NOT NULL CHECK (status IN ('pending', 'confirmed', 'checked_in', 'checked_out', 'cancelled', 'no_show')),
    notes          TEXT,
    created_by     BLOB REFERENCES staff_users (id) ON DELETE SET NULL,
    created_at     TEXT NOT NULL,
    updated_at     TEXT NOT NULL,
    checked_in_at  TEXT,
    checked_out_at TEXT,
    cancelled_at   TEXT,
    cancel_reason  TEXT,
    CHECK (end_at > start_at),
    -- What the status says happened has its time on record.
    CHECK (status NOT IN ('checked_in', 'checked_out') OR checked_in_at IS NOT NULL),
    CHECK (status <> 'checked_out' OR checked_out_at IS NOT NULL),
    CHECK (status NOT IN ('cancelled', 'no_show') OR cancelled_at IS NOT NULL)
) STRICT;

-- Bookings written before check-in was recorded: those already marked in or out were in from
-- their start (and out at their end).
INSERT INTO bookings_new (id, customer_id, service_id, start_at, end_at, status, notes,
                          created_by, created_at, updated_at, checked_in_at, checked_out_at,
                          cancelled_at, cancel_reason)
SELECT id, customer_id, service_id, start_at, end_at, status, notes, created_by, created_at,
       updated_at,
       CASE WHEN status IN ('checked_in', 'checked_out') THEN start_at END,
       CASE WHEN status = 'checked_out' THEN end_at END,
       CASE WHEN status = 'cancelled' THEN updated_at END,
       NULL
FROM bookings;

DROP TABLE bookings;
ALTER TABLE bookings_new RENAME TO bookings;
CREATE INDEX bookings_span_idx ON bookings (start_at, end_at);
CREATE INDEX bookings_customer_idx ON bookings (customer_id, start_at);
CREATE INDEX bookings_created_idx ON bookings (created_at);

-- A phone number is one customer's: compared by its digits, so "(555) 014-2387" and
-- "555-014-2387" are the same number.
ALTER TABLE customers ADD COLUMN phone_key TEXT GENERATED ALWAYS AS (
    nullif(replace(replace(replace(replace(replace(replace(replace(coalesce(phone, ''),
        ' ', ''), '-', ''), '(', ''), ')', ''), '.', ''), '+', ''), '/', ''), '')
) VIRTUAL;
CREATE UNIQUE INDEX customers_phone_key ON customers (phone_key) WHERE phone_key IS NOT NULL;

ALTER TABLE staff_schedules ADD COLUMN updated_at TEXT NOT NULL DEFAULT '';
UPDATE staff_schedules SET updated_at = created_at;

ALTER TABLE payments ADD COLUMN refund_of BLOB REFERENCES payments (id);
ALTER TABLE payments ADD COLUMN note TEXT;
CREATE INDEX payments_refund_of_idx ON payments (refund_of) WHERE refund_of IS NOT NULL;

-- Who changed what, when, through which door: one row per write, in the write's transaction.
CREATE TABLE audit_log (
    id          BLOB PRIMARY KEY CHECK (length(id) = 16),
    at          TEXT NOT NULL,
    -- The staff user who acted; NULL for the command line run on the server itself.
    actor_id    BLOB REFERENCES staff_users (id),
    channel     TEXT NOT NULL CHECK (channel IN ('graphql', 'rest', 'aim', 'cli', 'system')),
    action      TEXT NOT NULL CHECK (action <> ''),
    entity_type TEXT NOT NULL CHECK (entity_type <> ''),
    entity_id   BLOB NOT NULL CHECK (length(entity_id) = 16),
    -- {"field": {"before": …, "after": …}, …}
    changes     TEXT NOT NULL CHECK (json_valid(changes)),
    request_id  TEXT
) STRICT;
CREATE INDEX audit_log_entity_idx ON audit_log (entity_id, at, id);
CREATE INDEX audit_log_at_idx ON audit_log (at, id);
CREATE TRIGGER audit_log_no_update BEFORE UPDATE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;
CREATE TRIGGER audit_log_no_delete BEFORE DELETE ON audit_log
BEGIN SELECT RAISE(ABORT, 'the audit log is append-only'); END;

-- The services a daycare sells, at list prices, so that a new facility can book at once.
INSERT INTO services (id, kind, name, price_cents, active, created_at)
SELECT randomblob(16), kind, name, price_cents, 1, strftime('%Y-%m-%dT%H:%M:%f+00:00', 'now')
FROM (SELECT 'daycare' AS kind, 'Daycare (full day)' AS name, 4500 AS price_cents
      UNION ALL SELECT 'boarding', 'Boarding (per night)', 6500
      UNION ALL SELECT 'grooming', 'Bath & groom', 5500
      UNION ALL SELECT 'training', 'Training session', 8500)
WHERE true
ON CONFLICT (kind) DO NOTHING;

PRAGMA foreign_key_check;

COMMIT;

PRAGMA foreign_keys = ON;
