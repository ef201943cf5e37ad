-- Names and emails searched word by word, each query word matching a word of the record from
-- its start ("mark hug" finds Mark Huggins, "mark.hug" finds mark.huggins@…): an FTS5 index of
-- whole words (unicode61). Reading it costs the lists of the query's words; the trigram index,
-- which stays for the typo-tolerant and the substring searches, reads the lists of every
-- trigram of every word with their positions, three to four times as long over 100,000
-- customers.
--
-- Both indexes find a customer's row by its FTS rowid, which customers_search_rows keeps for
-- each customer (an INTEGER PRIMARY KEY: VACUUM does not renumber it, as it may the implicit
-- rowids of customers). Finding it by the indexes' unindexed customer_id column, as the
-- triggers of migration 0003 did, read every row of the index: about 30 ms for each index at
-- every update or delete of a customer among 100,000.

CREATE TABLE customers_search_rows (
    rowid       INTEGER PRIMARY KEY,
    customer_id BLOB NOT NULL UNIQUE
) STRICT;

INSERT INTO customers_search_rows (rowid, customer_id) SELECT rowid, customer_id FROM customers_search;

CREATE VIRTUAL TABLE customers_words USING fts5 (
    customer_id UNINDEXED,
    name,
    email,
    tokenize = 'unicode61 remove_diacritics 0',
    prefix = '2 3'
);

INSERT INTO customers_words (rowid, customer_id, name, email)
SELECT r.rowid, c.id, c.first_name || ' ' || c.last_name, coalesce(c.email, '')
  FROM customers c JOIN customers_search_rows r ON r.customer_id = c.id;

DROP TRIGGER customers_search_insert;
DROP TRIGGER customers_search_update;
DROP TRIGGER customers_search_delete;

CREATE TRIGGER customers_search_insert AFTER INSERT ON customers BEGIN
    INSERT INTO customers_search_rows (customer_id) VALUES (new.id);
    INSERT INTO customers_search (rowid, customer_id, name, email, phone)
    VALUES ((SELECT rowid FROM customers_search_rows WHERE customer_id = new.id),
            new.id, new.first_name || ' ' || new.last_name, coalesce(new.email, ''),
            replace(replace(replace(replace(replace(replace(coalesce(new.phone, ''),
                ' ', ''), '-', ''), '(', ''), ')', ''), '.', ''), '+', ''));
    INSERT INTO customers_words (rowid, customer_id, name, email)
    VALUES ((SELECT rowid FROM customers_search_rows WHERE customer_id = new.id),
            new.id, new.first_name || ' ' || new.last_name, coalesce(new.email, ''));
END;

CREATE TRIGGER customers_search_update AFTER UPDATE OF first_name, last_name, email, phone ON customers BEGIN
    UPDATE customers_search
       SET name = new.first_name || ' ' || new.last_name,
           email = coalesce(new.email, ''),
           phone = replace(replace(replace(replace(replace(replace(coalesce(new.phone, ''),
                ' ', ''), '-', ''), '(', ''), ')', ''), '.', ''), '+', '')
     WHERE rowid = (SELECT rowid FROM customers_search_rows WHERE customer_id = old.id);
    UPDATE customers_words
       SET name = new.first_name || ' ' || new.last_name,
           email = coalesce(new.email, '')
     WHERE rowid = (SELECT rowid FROM customers_search_rows WHERE customer_id = old.id);
END;

CREATE TRIGGER customers_search_delete AFTER DELETE ON customers BEGIN
    DELETE FROM customers_search
     WHERE rowid = (SELECT rowid FROM customers_search_rows WHERE customer_id = old.id);
    DELETE FROM customers_words
     WHERE rowid = (SELECT rowid FROM customers_search_rows WHERE customer_id = old.id);
    DELETE FROM customers_search_rows WHERE customer_id = old.id;
END;

-- Dogs the same way.
CREATE TABLE dogs_search_rows (
    rowid  INTEGER PRIMARY KEY,
    dog_id BLOB NOT NULL UNIQUE
) STRICT;

INSERT INTO dogs_search_rows (rowid, dog_id) SELECT rowid, dog_id FROM dogs_search;

DROP TRIGGER dogs_search_insert;
DROP TRIGGER dogs_search_update;
DROP TRIGGER dogs_search_delete;

CREATE TRIGGER dogs_search_insert AFTER INSERT ON dogs BEGIN
    INSERT INTO dogs_search_rows (dog_id) VALUES (new.id);
    INSERT INTO dogs_search (rowid, dog_id, name, breed)
    VALUES ((SELECT rowid FROM dogs_search_rows WHERE dog_id = new.id),
            new.id, new.name, coalesce(new.breed, ''));
END;

CREATE TRIGGER dogs_search_update AFTER UPDATE OF name, breed ON dogs BEGIN
    UPDATE dogs_search SET name = new.name, breed = coalesce(new.breed, '')
     WHERE rowid = (SELECT rowid FROM dogs_search_rows WHERE dog_id = old.id);
END;

CREATE TRIGGER dogs_search_delete AFTER DELETE ON dogs BEGIN
    DELETE FROM dogs_search WHERE rowid = (SELECT rowid FROM dogs_search_rows WHERE dog_id = old.id);
    DELETE FROM dogs_search_rows WHERE dog_id = old.id;
END;
