-- Typo-tolerant search over customers (name, email, phone digits) and dogs (name, breed):
-- FTS5 indexes with the trigram tokenizer, kept in step with their tables by triggers. Each
-- index row carries the id of its row; phone numbers are indexed as digits only, so
-- "555 0142" finds "(555) 014-2387".

CREATE VIRTUAL TABLE customers_search USING fts5 (
    customer_id UNINDEXED,
    name,
    email,
    phone,
    tokenize = 'trigram'
);

CREATE TRIGGER customers_search_insert AFTER INSERT ON customers BEGIN
    INSERT INTO customers_search (customer_id, name, email, phone)
    VALUES (new.id, new.first_name || ' ' || new.last_name, coalesce(new.email, ''),
            replace(replace(replace(replace(replace(replace(coalesce(new.phone, ''),
                ' ', ''), '-', ''), '(', ''), ')', ''), '.', ''), '+', ''));
END;

CREATE TRIGGER customers_search_update AFTER UPDATE OF first_name, last_name, email, phone ON customers BEGIN
    UPDATE customers_search
       SET name = new.first_name || ' ' || new.last_name,
           email = coalesce(new.email, ''),
           phone = replace(replace(replace(replace(replace(replace(coalesce(new.phone, ''),
                ' ', ''), '-', ''), '(', ''), ')', ''), '.', ''), '+', '')
     WHERE customer_id = old.id;
END;

CREATE TRIGGER customers_search_delete AFTER DELETE ON customers BEGIN
    DELETE FROM customers_search WHERE customer_id = old.id;
END;

INSERT INTO customers_search (customer_id, name, email, phone)
SELECT id, first_name || ' ' || last_name, coalesce(email, ''),
       replace(replace(replace(replace(replace(replace(coalesce(phone, ''),
           ' ', ''), '-', ''), '(', ''), ')', ''), '.', ''), '+', '')
  FROM customers;

CREATE VIRTUAL TABLE dogs_search USING fts5 (
    dog_id UNINDEXED,
    name,
    breed,
    tokenize = 'trigram'
);

CREATE TRIGGER dogs_search_insert AFTER INSERT ON dogs BEGIN
    INSERT INTO dogs_search (dog_id, name, breed) VALUES (new.id, new.name, coalesce(new.breed, ''));
END;

CREATE TRIGGER dogs_search_update AFTER UPDATE OF name, breed ON dogs BEGIN
    UPDATE dogs_search SET name = new.name, breed = coalesce(new.breed, '') WHERE dog_id = old.id;
END;

CREATE TRIGGER dogs_search_delete AFTER DELETE ON dogs BEGIN
    DELETE FROM dogs_search WHERE dog_id = old.id;
END;

INSERT INTO dogs_search (dog_id, name, breed) SELECT id, name, coalesce(breed, '') FROM dogs;
