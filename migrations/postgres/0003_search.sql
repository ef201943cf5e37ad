-- Typo-tolerant search over customers (name, email, phone digits) and dogs (name, breed):
-- pg_trgm trigram indexes. Phone numbers are indexed as digits only, so "555 0142" finds
-- "(555) 014-2387". pg_trgm is a trusted extension: a database owner may create it.

CREATE EXTENSION IF NOT EXISTS pg_trgm;

ALTER TABLE customers
    ADD COLUMN search_name TEXT GENERATED ALWAYS AS (lower(first_name || ' ' || last_name)) STORED,
    ADD COLUMN phone_digits TEXT GENERATED ALWAYS AS (regexp_replace(coalesce(phone, ''), '[^0-9]', '', 'g')) STORED;

CREATE INDEX customers_search_name_trgm ON customers USING gin (search_name gin_trgm_ops);
CREATE INDEX customers_email_trgm ON customers USING gin (email gin_trgm_ops);
CREATE INDEX customers_phone_digits_trgm ON customers USING gin (phone_digits gin_trgm_ops);

-- One index over name and breed, the exact expression dog search matches against.
CREATE INDEX dogs_search_trgm ON dogs USING gin ((lower(name) || ' ' || coalesce(lower(breed), '')) gin_trgm_ops);
