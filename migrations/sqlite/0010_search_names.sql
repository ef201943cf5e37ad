-- Names typed from their start ("mark hug", "huggins mark") are found from B-trees before the
-- trigram index: the lower-cased name in both orders, first-last and last-first, each with the
-- id so that equal names come in one order on both backends. Queries compare the same
-- expressions, which is what lets SQLite use these indexes.

CREATE INDEX customers_first_last_lower ON customers (lower(first_name || ' ' || last_name), id);
CREATE INDEX customers_last_first_lower ON customers (lower(last_name || ' ' || first_name), id);
