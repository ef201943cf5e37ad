-- Running the day on AIM: a booking's check-in, check-out, cancellation and no-show are
-- recorded (when, and why it was cancelled); a customer's phone number is unique by its
-- digits; shifts know when they were last changed; a refund is a payment row of its own that
-- names the payment it gives back; and every write leaves a row in the append-only audit log.

ALTER TABLE bookings DROP CONSTRAINT bookings_status_check;
ALTER TABLE bookings
    ADD CONSTRAINT bookings_status_check
        CHECK (status IN ('pending', 'confirmed', 'checked_in', 'checked_out', 'cancelled', 'no_show')),
    ADD COLUMN checked_in_at  TIMESTAMPTZ,
    ADD COLUMN checked_out_at TIMESTAMPTZ,
    ADD COLUMN cancelled_at   TIMESTAMPTZ,
    ADD COLUMN cancel_reason  TEXT;
-- Bookings written before check-in was recorded: those already marked in or out were in from
-- their start (and out at their end).
UPDATE bookings SET
    checked_in_at  = CASE WHEN status IN ('checked_in', 'checked_out') THEN start_at END,
    checked_out_at = CASE WHEN status = 'checked_out' THEN end_at END,
    cancelled_at   = CASE WHEN status = 'cancelled' THEN updated_at END;
-- What the status says happened has its time on record.
ALTER TABLE bookings
    ADD CONSTRAINT bookings_checked_in_at_check
        CHECK (status NOT IN ('checked_in', 'checked_out') OR checked_in_at IS NOT NULL),
    ADD CONSTRAINT bookings_checked_out_at_check
        CHECK (status <> 'checked_out' OR checked_out_at IS NOT NULL),
    ADD CONSTRAINT bookings_cancelled_at_check
        CHECK (status NOT IN ('cancelled', 'no_show') OR cancelled_at IS NOT NULL);
DROP INDEX bookings_customer_idx;
CREATE INDEX bookings_customer_idx ON bookings (customer_id, start_at);

-- A phone number is one customer's: compared by its digits, so "(555) 014-2387" and
-- "555-014-2387" are the same number.
ALTER TABLE customers ADD COLUMN phone_key TEXT
    GENERATED ALWAYS AS (nullif(regexp_replace(coalesce(phone, ''), '[^0-9]', '', 'g'), '')) STORED;
CREATE UNIQUE INDEX customers_phone_key ON customers (phone_key) WHERE phone_key IS NOT NULL;

ALTER TABLE staff_schedules ADD COLUMN updated_at TIMESTAMPTZ;
UPDATE staff_schedules SET updated_at = created_at;
ALTER TABLE staff_schedules ALTER COLUMN updated_at SET NOT NULL;

ALTER TABLE payments ADD COLUMN refund_of UUID REFERENCES payments (id);
ALTER TABLE payments ADD COLUMN note TEXT;
CREATE INDEX payments_refund_of_idx ON payments (refund_of) WHERE refund_of IS NOT NULL;

-- Who changed what, when, through which door: one row per write, in the write's transaction.
CREATE TABLE audit_log (
    id          UUID PRIMARY KEY,
    at          TIMESTAMPTZ NOT NULL,
    -- The staff user who acted; NULL for the command line run on the server itself.
    actor_id    UUID REFERENCES staff_users (id),
    channel     TEXT NOT NULL CHECK (channel IN ('graphql', 'rest', 'aim', 'cli', 'system')),
    action      TEXT NOT NULL CHECK (action <> ''),
    entity_type TEXT NOT NULL CHECK (entity_type <> ''),
    entity_id   UUID NOT NULL,
    -- {"field": {"before": …, "after": …}, …}
    changes     JSONB NOT NULL,
    request_id  TEXT
);
CREATE INDEX audit_log_entity_idx ON audit_log (entity_id, at, id);
CREATE INDEX audit_log_at_idx ON audit_log (at, id);
CREATE FUNCTION audit_log_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the audit log is append-only';
END;
$$;
CREATE TRIGGER audit_log_no_update BEFORE UPDATE OR DELETE ON audit_log
    FOR EACH ROW EXECUTE FUNCTION audit_log_append_only();

-- The services a daycare sells, at list prices, so that a new facility can book at once.
INSERT INTO services (id, kind, name, price_cents, active, created_at)
VALUES (gen_random_uuid(), 'daycare', 'Daycare (full day)', 4500, TRUE, now()),
       (gen_random_uuid(), 'boarding', 'Boarding (per night)', 6500, TRUE, now()),
       (gen_random_uuid(), 'grooming', 'Bath & groom', 5500, TRUE, now()),
       (gen_random_uuid(), 'training', 'Training session', 8500, TRUE, now())
ON CONFLICT (kind) DO NOTHING;
