//! Search quality on the demo facility and on typos, and that the index follows the tables.

use super::*;
use crate::both_backends;
use aim::db::search::{self, Matches, Typed, Words};
use aim::facility::search::{CustomerMatch, VaccineState};

const MATCHES: Matches = Matches {
    all: 500,
    ranked: 100,
};

async fn first_customer(facility: &Facility, query: &str) -> String {
    let found = facility.search_customers(query, None).await.unwrap();
    assert!(!found.is_empty(), "nothing found for {query:?}");
    found[0].name.clone()
}

/// Names and scores, best first.
async fn customers(facility: &Facility, query: &str) -> Vec<(String, f64)> {
    let found: Vec<CustomerMatch> = facility.search_customers(query, None).await.unwrap();
    found.into_iter().map(|c| (c.name, c.score)).collect()
}

fn named(list: &[(&str, f64)]) -> Vec<(String, f64)> {
    list.iter().map(|(n, s)| ((*n).to_owned(), *s)).collect()
}

/// Everything a search answers on one backend, for comparing the two: names, scores, dogs.
async fn answers(t: &TestDb) -> Vec<String> {
    let (facility, _, _) = demo_facility(t).await;
    let mut out = Vec::new();
    for query in [
        "Mark Huggins",
        "mark hugins",
        "huggins",
        "hugg",
        "mark hug",
        "HUGGINS MARK",
        "mrak huggins",
        "marc",
        "priya",
        "natarjan",
        "jordan elis",
        "chen",
        "555 0142",
        "014-2387",
        "201",
        "mark.hug",
        "@example.com",
        "zzqxv",
    ] {
        let found = facility.search_customers(query, Some(50)).await.unwrap();
        for c in found {
            let dogs: Vec<&str> = c.dogs.iter().map(|d| d.name.as_str()).collect();
            out.push(format!("{query}: {} {:.2} {dogs:?}", c.name, c.score));
        }
    }
    for query in [
        "biscit",
        "golden retriever",
        "juno",
        "samoyd",
        "retriever",
        "doodle",
        "lab",
    ] {
        for d in facility
            .search_dogs(query, Some(50), today())
            .await
            .unwrap()
        {
            out.push(format!(
                "{query}: {} ({}) {:.2}",
                d.name, d.owner.name, d.score
            ));
        }
    }
    out
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn both_backends_answer_every_search_alike() {
    let Some(postgres) = TestDb::postgres().await else {
        return;
    };
    let sqlite = TestDb::sqlite().await;
    let (on_sqlite, on_postgres) = (answers(&sqlite).await, answers(&postgres).await);
    assert!(on_sqlite.len() > 40, "{on_sqlite:#?}");
    let differ: Vec<String> = on_sqlite
        .iter()
        .zip(&on_postgres)
        .filter(|(a, b)| a != b)
        .map(|(a, b)| format!("sqlite {a} | postgres {b}"))
        .collect();
    assert_eq!(
        on_sqlite.len(),
        on_postgres.len(),
        "{on_sqlite:#?}\n{on_postgres:#?}"
    );
    assert!(differ.is_empty(), "{differ:#?}");
}

both_backends! {
    async fn customers_are_found_by_name_with_typos_best_first(t: TestDb) {
        let (facility, _, _) = demo_facility(&t).await;
        for query in ["Mark Huggins", "mark hugins", "huggins", "Hugins", "mrak huggins", "HUGGINS MARK"] {
            assert_eq!(first_customer(&facility, query).await, "Mark Huggins", "{query}");
        }
        let found = facility.search_customers("mark hugins", None).await.unwrap();
        let mark = &found[0];
        let dogs: Vec<&str> = mark.dogs.iter().map(|d| d.name.as_str()).collect();
        assert_eq!(dogs, vec!["Biscuit", "Pepper"]);
        assert_eq!(mark.phone.as_deref(), Some("(555) 014-2387"));
        assert!(mark.score > 0.7, "{}", mark.score);
        // Scores never increase down the list.
        assert!(found.windows(2).all(|w| w[0].score >= w[1].score));
        // Marcus Webb shares only a prefix of the first name: ranked after Mark, if at all.
        let marcus = found.iter().position(|c| c.name == "Marcus Webb");
        assert!(marcus.is_none_or(|i| i > 0));
    }

    async fn customers_are_found_by_phone_digits_in_any_format(t: TestDb) {
        let (facility, _, _) = demo_facility(&t).await;
        for query in ["555 0142", "555-0142", "(555) 014-2387", "5550142387", "+1 555 014 2387", "014-2387"] {
            let found = facility.search_customers(query, None).await.unwrap();
            assert_eq!(found.len(), 1, "{query}: {found:?}");
            assert_eq!(found[0].name, "Mark Huggins", "{query}");
        }
        assert!(facility.search_customers("999 9999", None).await.unwrap().is_empty());
    }

    async fn customers_are_found_by_partial_email(t: TestDb) {
        let (facility, _, _) = demo_facility(&t).await;
        // Words of the address from their start, or (the last two) a piece of it anywhere.
        for query in ["mark.huggins@example.com", "mark.hug", "huggins@exa", "priya.nat", "ark.hug", "ggins@example"] {
            let expected = if query.starts_with("priya") { "Priya Natarajan" } else { "Mark Huggins" };
            assert_eq!(first_customer(&facility, query).await, expected, "{query}");
        }
    }

    async fn an_email_as_typed_outranks_its_words_with_other_characters_between(t: TestDb) {
        let fx = Fx::new(t, 40).await;
        // ann.lee@…, ann.lee-adams@… and ann_lee.zed@… (emails are first.last@example.com).
        for (i, (first, last)) in [("Ann_lee", "Zed"), ("Ann", "Lee-Adams"), ("Ann", "Lee")].into_iter().enumerate() {
            fx.customer(first, last, &format!("(555) 300-000{i}")).await;
        }
        assert_eq!(
            customers(&fx.facility, "ann.lee").await,
            named(&[("Ann Lee", 1.0), ("Ann Lee-Adams", 1.0), ("Ann_lee Zed", 0.99)])
        );
        // A page the addresses as typed fill holds the first of them by name.
        let page: Vec<String> = fx.facility.search_customers("ann.lee", Some(2)).await.unwrap()
            .into_iter().map(|c| c.name).collect();
        assert_eq!(page, ["Ann Lee", "Ann Lee-Adams"]);
        // The words from their start: "nn.lee" is no word, so the address is searched anywhere.
        assert_eq!(
            customers(&fx.facility, "nn.lee").await,
            named(&[("Ann Lee", 1.0), ("Ann Lee-Adams", 1.0)])
        );
    }

    async fn search_limits_results_and_explains_bad_queries(t: TestDb) {
        let (facility, _, _) = demo_facility(&t).await;
        let all = facility.search_customers("@example.com", Some(50)).await.unwrap();
        assert!(all.len() >= 20, "every demo email is at example.com: {}", all.len());
        assert_eq!(facility.search_customers("@example.com", Some(3)).await.unwrap().len(), 3);
        let err = facility.search_customers("mk", None).await.unwrap_err();
        assert_eq!((err.code(), err.field()), ("invalid_input", Some("query")));
        let err = facility.search_customers("mark", Some(500)).await.unwrap_err();
        assert_eq!(err.field(), Some("limit"));
        assert!(facility.search_customers("zzqxv", None).await.unwrap().is_empty());
        // Characters that mean something to the index's query language are just text.
        for hostile in ["\"mark", "mark OR 1=1", "NEAR(mark huggins)", "{name}: mark", "'; DROP TABLE customers; --"] {
            facility.search_customers(hostile, None).await.unwrap();
        }
        assert_eq!(first_customer(&facility, "huggins\"").await, "Mark Huggins");
    }

    async fn an_exact_name_outranks_prefixes_and_typos_wait_for_no_name_as_written(t: TestDb) {
        let fx = Fx::new(t, 40).await;
        for (i, (first, last)) in [("Anna", "Leeds"), ("Ann", "Lee"), ("Anne", "Lea"), ("Lee", "Annis")].into_iter().enumerate() {
            fx.customer(first, last, &format!("(555) 300-000{i}")).await;
        }
        // Ann Lee exactly; Lee Annis and Anna Leeds by prefixes. Anne Lea is one typo away, but
        // other names hold both words as written, so it is not listed.
        let expected = named(&[("Ann Lee", 1.0), ("Lee Annis", 0.95), ("Anna Leeds", 0.9)]);
        assert_eq!(customers(&fx.facility, "ann lee").await, expected);
        // The last name first, and any case, finds the same.
        assert_eq!(customers(&fx.facility, "LEE ANN").await, expected);
        // Without a name as written, the typos are found.
        assert_eq!(first_customer(&fx.facility, "anna leds").await, "Anna Leeds");
        assert_eq!(first_customer(&fx.facility, "anne lae").await, "Anne Lea");
    }

    async fn names_are_found_by_their_start_and_by_a_word_inside(t: TestDb) {
        let fx = Fx::new(t, 40).await;
        for (i, (first, last)) in [("Anne Marie", "Quill"), ("Marie", "Curie"), ("Theodora", "Quillfeather")].into_iter().enumerate() {
            fx.customer(first, last, &format!("(555) 300-000{i}")).await;
        }
        // A prefix of the name, first name first or last name first.
        assert_eq!(customers(&fx.facility, "theo").await, named(&[("Theodora Quillfeather", 0.9)]));
        assert_eq!(
            customers(&fx.facility, "quill").await,
            named(&[("Anne Marie Quill", 1.0), ("Theodora Quillfeather", 0.9)])
        );
        assert_eq!(first_customer(&fx.facility, "quillfeather theo").await, "Theodora Quillfeather");
        // "marie" starts one name and is the second word of another: both are exact.
        assert_eq!(
            customers(&fx.facility, "marie").await,
            named(&[("Marie Curie", 1.0), ("Anne Marie Quill", 1.0)])
        );
    }

    async fn dogs_are_found_by_name_or_breed_with_owner_and_vaccinations(t: TestDb) {
        let (facility, _, _) = demo_facility(&t).await;
        let found = facility.search_dogs("biscit", None, today()).await.unwrap();
        let biscuit = &found[0];
        assert_eq!(biscuit.name, "Biscuit");
        assert_eq!(biscuit.owner.name, "Mark Huggins");
        assert_eq!(biscuit.owner.phone.as_deref(), Some("(555) 014-2387"));
        // Bordetella runs out in three days.
        assert_eq!(biscuit.vaccination_status, VaccineState::ExpiringSoon);
        let bordetella = biscuit
            .vaccinations
            .iter()
            .find(|v| v.vaccine == VaccineKind::Bordetella)
            .unwrap();
        assert_eq!(bordetella.expires_on, Some(day(3)));

        let goldens = facility.search_dogs("golden retriever", Some(10), today()).await.unwrap();
        let names: Vec<&str> = goldens.iter().take(3).map(|d| d.name.as_str()).collect();
        let mut sorted = names.clone();
        sorted.sort();
        assert_eq!(sorted, vec!["Bella", "Biscuit", "Honey"], "{goldens:?}");

        let juno = facility.search_dogs("juno", None, today()).await.unwrap();
        assert_eq!(juno[0].name, "Juno");
        assert_eq!(juno[0].vaccination_status, VaccineState::Expired);
        assert_eq!(facility.search_dogs("samoyd", None, today()).await.unwrap()[0].name, "Juno");
    }

    async fn the_index_follows_inserts_updates_and_deletes(t: TestDb) {
        let fx = Fx::new(t, 40).await;
        let id = fx.customer("Theodora", "Quill", "(555) 321-0099").await;
        assert_eq!(first_customer(&fx.facility, "theodora quil").await, "Theodora Quill");
        let dog = fx.dog(id, "Quillby").await;
        let dog_names = async |query: &str| -> Vec<String> {
            fx.facility.search_dogs(query, None, today()).await.unwrap().into_iter().map(|d| d.name).collect()
        };
        assert_eq!(dog_names("quillby").await, ["Quillby"]);
        let rename = match fx.t.backend {
            aim::db::Backend::Sqlite => format!("UPDATE dogs SET name = 'Featherby' WHERE id = x'{}'", dog.0.simple()),
            aim::db::Backend::Postgres => format!("UPDATE dogs SET name = 'Featherby' WHERE id = '{dog}'"),
        };
        fx.t.raw(&rename).await.unwrap();
        assert_eq!(dog_names("featherby").await, ["Featherby"]);
        assert!(dog_names("quillby").await.is_empty());
        let hex = id.0.simple().to_string();
        let update = match fx.t.backend {
            aim::db::Backend::Sqlite => format!("UPDATE customers SET last_name = 'Featherstone', phone = '555.777.1234', email = 'theo@example.org' WHERE id = x'{hex}'"),
            aim::db::Backend::Postgres => format!("UPDATE customers SET last_name = 'Featherstone', phone = '555.777.1234', email = 'theo@example.org' WHERE id = '{id}'"),
        };
        fx.t.raw(&update).await.unwrap();
        // Each index on its own: the later tiers would hide one that fell behind.
        let names = |found: Vec<aim::db::search::CustomerCandidate>| -> Vec<String> {
            found.into_iter().map(|c| format!("{} {}", c.first_name, c.last_name)).collect()
        };
        let words = |w: &[&str]| -> Vec<String> { w.iter().map(|w| (*w).to_owned()).collect() };
        let mut conn = fx.t.db.conn().await.unwrap();
        let found = search::customers_by_name(&mut conn, &words(&["feather"]), Words::Starts, MATCHES).await.unwrap();
        assert_eq!(names(found), ["Theodora Featherstone"]);
        let found = search::customers_by_name(&mut conn, &words(&["quill"]), Words::Starts, MATCHES).await.unwrap();
        assert!(found.is_empty(), "{:?}", names(found));
        let found = search::customers_by_email_words(&mut conn, &words(&["theo", "exa"]), Typed::Holding("theo@exa"), 10).await.unwrap();
        assert_eq!(names(found), ["Theodora Featherstone"]);
        drop(conn);
        assert_eq!(first_customer(&fx.facility, "featherston").await, "Theodora Featherstone");
        assert_eq!(first_customer(&fx.facility, "555 777 1234").await, "Theodora Featherstone");
        assert!(fx.facility.search_customers("quill", None).await.unwrap().iter().all(|c| c.id != id));
        let delete = match fx.t.backend {
            aim::db::Backend::Sqlite => format!("DELETE FROM customers WHERE id = x'{hex}'"),
            aim::db::Backend::Postgres => format!("DELETE FROM customers WHERE id = '{id}'"),
        };
        fx.t.raw(&delete).await.unwrap();
        assert!(fx.facility.search_customers("featherstone", None).await.unwrap().is_empty());
        // The customer's dogs went with them, and out of the index.
        assert!(dog_names("featherby").await.is_empty());
        let mut conn = fx.t.db.conn().await.unwrap();
        let found = search::customers_by_name(&mut conn, &words(&["featherstone"]), Words::Starts, MATCHES).await.unwrap();
        assert!(found.is_empty(), "{:?}", names(found));
        assert!(search::customers_by_email_words(&mut conn, &words(&["theo"]), Typed::Holding("theo"), 10).await.unwrap().is_empty());
    }
}
