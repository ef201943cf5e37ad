//! The facility's records over GraphQL: customers, dogs, vaccinations and bookings from
//! request to check-out — each write's success, its refusals by code and field, who may make
//! it, lost updates refused, and the audit row it leaves.

use super::*;
use crate::both_backends;
use chrono::Days;

const CUSTOMER_FIELDS: &str = "id firstName lastName name email phone notes createdAt updatedAt";
const BOOKING_FIELDS: &str = "id status service startDate endDate checkedInAt checkedOutAt \
     cancelledAt cancelReason updatedAt late customer { id name } dogs { id name } \
     createdBy { email }";

fn create_customer() -> String {
    format!(
        "mutation C($input: CustomerInput!) {{ createCustomer(input: $input) {{ {CUSTOMER_FIELDS} }} }}"
    )
}

fn update_customer() -> String {
    format!(
        "mutation U($id: ID!, $input: CustomerPatch!, $at: DateTime) {{ \
         updateCustomer(id: $id, input: $input, expectedUpdatedAt: $at) {{ {CUSTOMER_FIELDS} }} }}"
    )
}

const CREATE_DOG: &str = "mutation D($input: DogInput!) { createDog(input: $input) { id name breed birthdate updatedAt owner { id name } } }";
const UPDATE_DOG: &str = "mutation U($id: ID!, $input: DogPatch!, $at: DateTime) { updateDog(id: $id, input: $input, expectedUpdatedAt: $at) { id name breed notes updatedAt owner { id } } }";
const VACCINATE: &str = "mutation V($input: VaccinationInput!) { recordVaccination(input: $input) { id dogId kind expiresOn } }";
const DOG: &str = "query D($id: ID!) { dog(id: $id) { name vaccinationStatus requiredVaccinations { kind expiresOn status } vaccinations { kind } owner { name dogs { name } } } }";
const AUDIT: &str = "query A($id: ID) { auditLog(entityId: $id) { edges { node { action entityType entityId channel changes requestId actor { email } } } } }";

fn create_booking() -> String {
    format!(
        "mutation B($input: BookingInput!) {{ createBooking(input: $input) {{ {BOOKING_FIELDS} }} }}"
    )
}

fn move_booking(name: &str) -> String {
    format!("mutation M($id: ID!) {{ {name}(id: $id) {{ {BOOKING_FIELDS} }} }}")
}

fn cancel_booking() -> String {
    format!(
        "mutation M($id: ID!, $reason: String) {{ cancelBooking(id: $id, reason: $reason) {{ {BOOKING_FIELDS} }} }}"
    )
}

fn reschedule() -> String {
    format!(
        "mutation R($id: ID!, $input: RescheduleInput!, $at: DateTime) {{ \
         rescheduleBooking(id: $id, input: $input, expectedUpdatedAt: $at) {{ {BOOKING_FIELDS} }} }}"
    )
}

fn code(error: &Value) -> (&str, Option<&str>) {
    (
        error["extensions"]["code"].as_str().unwrap_or("-"),
        error["extensions"]["field"].as_str(),
    )
}

/// The audit entries of one record, oldest first, as (action, changes).
async fn audit_of(api: &Api, id: &str) -> Vec<(String, Value)> {
    let data = api
        .data(&api.manager_token, AUDIT, json!({ "id": id }))
        .await;
    let mut entries: Vec<(String, Value)> = data["auditLog"]["edges"]
        .as_array()
        .unwrap()
        .iter()
        .map(|e| {
            let node = &e["node"];
            (node["action"].as_str().unwrap().to_owned(), node.clone())
        })
        .collect();
    entries.reverse();
    entries
}

/// A new customer with one dog whose required vaccinations are valid for a year; returns
/// (customer id, dog id).
async fn customer_with_dog(api: &Api, last_name: &str, phone: &str) -> (String, String) {
    let data = api
        .data(
            &api.staff_token,
            &create_customer(),
            json!({ "input": { "firstName": "Robin", "lastName": last_name, "phone": phone } }),
        )
        .await;
    let customer = data["createCustomer"]["id"].as_str().unwrap().to_owned();
    let data = api
        .data(
            &api.staff_token,
            CREATE_DOG,
            json!({ "input": { "ownerId": customer, "name": "Pixel", "breed": "Corgi" } }),
        )
        .await;
    let dog = data["createDog"]["id"].as_str().unwrap().to_owned();
    let expires = (today() + Days::new(365)).to_string();
    for kind in ["RABIES", "DHPP", "BORDETELLA"] {
        api.data(
            &api.staff_token,
            VACCINATE,
            json!({ "input": { "dogId": dog, "kind": kind, "expiresOn": expires } }),
        )
        .await;
    }
    (customer, dog)
}

/// (dogs on site, dogs expected, dogs booked) today.
async fn status(api: &Api) -> (u64, u64, u64) {
    let data = api
        .data(
            &api.staff_token,
            "{ facilityStatus { timeZone dogsOnSite dogsExpected dogsBooked } }",
            json!({}),
        )
        .await;
    let s = &data["facilityStatus"];
    assert_eq!(s["timeZone"], "America/New_York");
    let n = |field: &str| s[field].as_u64().unwrap();
    (n("dogsOnSite"), n("dogsExpected"), n("dogsBooked"))
}

async fn book_today(api: &Api, customer: &str, dog: &str) -> Value {
    let data = api
        .data(
            &api.staff_token,
            &create_booking(),
            json!({ "input": { "customerId": customer, "dogIds": [dog], "service": "DAYCARE", "startDate": today().to_string() } }),
        )
        .await;
    data["createBooking"][0].clone()
}

both_backends! {
    async fn a_customer_is_created_read_and_updated_and_each_write_is_audited(t: TestDb) {
        let api = Api::start(t).await;
        let data = api.data(&api.staff_token, &create_customer(), json!({ "input": {
            "firstName": " Avery ", "lastName": "Quinn", "email": "Avery.Quinn@Example.com",
            "phone": "(555) 777-1234", "notes": "Prefers texts."
        }})).await;
        let created = &data["createCustomer"];
        assert_eq!(created["name"], "Avery Quinn", "names are trimmed");
        assert_eq!(created["email"], "avery.quinn@example.com", "emails are lower-cased");
        let id = created["id"].as_str().unwrap().to_owned();
        let read = api.data(&api.staff_token, &format!("query Q($id: ID!) {{ customer(id: $id) {{ {CUSTOMER_FIELDS} }} }}"), json!({ "id": id })).await;
        assert_eq!(&read["customer"], created);

        // An update with the updatedAt it read changes what it names and nothing else.
        let first_at = created["updatedAt"].clone();
        let data = api.data(&api.staff_token, &update_customer(), json!({
            "id": id, "input": { "phone": "555-777-9999", "notes": null }, "at": first_at
        })).await;
        let updated = &data["updateCustomer"];
        assert_eq!((updated["phone"].as_str(), updated["notes"].as_str()), (Some("555-777-9999"), None));
        assert_eq!(updated["email"], "avery.quinn@example.com");
        assert_ne!(updated["updatedAt"], first_at);

        // A second update based on the first read is stale: refused, nothing written.
        let error = api.error(&api.staff_token, &update_customer(), json!({
            "id": id, "input": { "lastName": "Other" }, "at": first_at
        })).await;
        assert_eq!(code(&error), ("stale_update", None), "{error}");
        let read = api.data(&api.staff_token, "query Q($id: ID!) { customer(id: $id) { lastName } }", json!({ "id": id })).await;
        assert_eq!(read["customer"]["lastName"], "Quinn");

        // The audit log has both writes, by the staff user, with what changed.
        let entries = audit_of(&api, &id).await;
        let actions: Vec<&str> = entries.iter().map(|(a, _)| a.as_str()).collect();
        assert_eq!(actions, ["customer.create", "customer.update"]);
        let update = &entries[1].1;
        assert_eq!(update["channel"], "GRAPHQL");
        assert_eq!(update["actor"]["email"], DEMO_STAFF_EMAIL);
        assert_eq!(update["entityType"], "customer");
        assert!(update["requestId"].as_str().is_some_and(|r| r.len() > 8), "{update}");
        assert_eq!(update["changes"], json!({
            "phone": { "before": "(555) 777-1234", "after": "555-777-9999" },
            "notes": { "before": "Prefers texts.", "after": null },
        }));
        assert_eq!(entries[0].1["changes"]["email"]["after"], "avery.quinn@example.com");

        // Only managers read the audit log.
        let error = api.error(&api.staff_token, AUDIT, json!({ "id": id })).await;
        assert_eq!(code(&error), ("forbidden", None), "{error}");
    }

    async fn customer_input_is_refused_naming_the_field_and_taken_values_are_409(t: TestDb) {
        let api = Api::start(t).await;
        let refused = [
            (json!({ "firstName": "", "lastName": "Quinn" }), "invalid_input", "firstName"),
            (json!({ "firstName": "A", "lastName": "Quinn", "email": "not-an-email" }), "invalid_input", "email"),
            (json!({ "firstName": "A", "lastName": "Quinn", "phone": "call me" }), "invalid_input", "phone"),
            (json!({ "firstName": "A", "lastName": "Quinn", "phone": "12" }), "invalid_input", "phone"),
            (json!({ "firstName": "A\u{0}", "lastName": "Quinn" }), "invalid_input", "firstName"),
            (json!({ "firstName": "A", "lastName": "Quinn", "notes": "x".repeat(2001) }), "invalid_input", "notes"),
            // Mark Huggins of the demo: his email, and his phone number written otherwise.
            (json!({ "firstName": "A", "lastName": "Quinn", "email": "MARK.HUGGINS@example.com" }), "already_exists", "email"),
            (json!({ "firstName": "A", "lastName": "Quinn", "phone": "555.014.2387" }), "already_exists", "phone"),
        ];
        let before = api.queries();
        for (input, expected_code, field) in refused {
            let error = api.error(&api.staff_token, &create_customer(), json!({ "input": input })).await;
            assert_eq!(code(&error), (expected_code, Some(field)), "{input}: {error}");
        }
        assert!(api.queries() > before);
        let data = api.data(&api.staff_token, "{ customers(search: \"Quinn\") { edges { node { id } } } }", json!({})).await;
        assert_eq!(data["customers"]["edges"], json!([]), "nothing was written");

        // Unknown ids are not found; an id that is no UUID names the argument.
        let error = api.error(&api.staff_token, &update_customer(), json!({ "id": uuid::Uuid::now_v7(), "input": { "notes": "x" } })).await;
        assert_eq!(code(&error), ("not_found", None), "{error}");
        let error = api.error(&api.staff_token, &update_customer(), json!({ "id": "nope", "input": { "notes": "x" } })).await;
        assert_eq!(code(&error), ("invalid_input", Some("id")), "{error}");
    }

    async fn dogs_and_their_vaccinations_are_recorded_and_read_with_their_owner(t: TestDb) {
        let api = Api::start(t).await;
        let error = api.error(&api.staff_token, CREATE_DOG, json!({ "input": { "ownerId": uuid::Uuid::now_v7(), "name": "Ghost" } })).await;
        assert_eq!(code(&error), ("not_found", Some("ownerId")), "{error}");
        let tomorrow = (today() + Days::new(1)).to_string();
        let data = api.data(&api.staff_token, &create_customer(), json!({ "input": { "firstName": "Sam", "lastName": "Rowe" } })).await;
        let owner = data["createCustomer"]["id"].as_str().unwrap().to_owned();
        let error = api.error(&api.staff_token, CREATE_DOG, json!({ "input": { "ownerId": owner, "name": "Pup", "birthdate": tomorrow } })).await;
        assert_eq!(code(&error), ("invalid_input", Some("birthdate")), "{error}");

        let data = api.data(&api.staff_token, CREATE_DOG, json!({ "input": { "ownerId": owner, "name": "Pup", "breed": "Beagle" } })).await;
        let dog = data["createDog"]["id"].as_str().unwrap().to_owned();
        let data = api.data(&api.staff_token, DOG, json!({ "id": dog })).await;
        assert_eq!(data["dog"]["vaccinationStatus"], "MISSING");
        assert_eq!(data["dog"]["owner"], json!({ "name": "Sam Rowe", "dogs": [{ "name": "Pup" }] }));

        let soon = (today() + Days::new(3)).to_string();
        let later = (today() + Days::new(200)).to_string();
        for (kind, expires) in [("RABIES", &later), ("DHPP", &later), ("BORDETELLA", &soon)] {
            api.data(&api.staff_token, VACCINATE, json!({ "input": { "dogId": dog, "kind": kind, "expiresOn": expires } })).await;
        }
        let data = api.data(&api.staff_token, DOG, json!({ "id": dog })).await;
        assert_eq!(data["dog"]["vaccinationStatus"], "EXPIRING_SOON");
        assert_eq!(data["dog"]["requiredVaccinations"][2], json!({ "kind": "BORDETELLA", "expiresOn": soon, "status": "EXPIRING_SOON" }));
        // A newer certificate counts; the old record is kept.
        api.data(&api.staff_token, VACCINATE, json!({ "input": { "dogId": dog, "kind": "BORDETELLA", "expiresOn": later } })).await;
        let data = api.data(&api.staff_token, DOG, json!({ "id": dog })).await;
        assert_eq!(data["dog"]["vaccinationStatus"], "CURRENT");
        assert_eq!(data["dog"]["vaccinations"].as_array().unwrap().len(), 4);

        let error = api.error(&api.staff_token, VACCINATE, json!({ "input": { "dogId": dog, "kind": "LYME", "administeredOn": tomorrow, "expiresOn": later } })).await;
        assert_eq!(code(&error), ("invalid_input", Some("administeredOn")), "{error}");
        let error = api.error(&api.staff_token, VACCINATE, json!({ "input": { "dogId": uuid::Uuid::now_v7(), "kind": "LYME", "expiresOn": later } })).await;
        assert_eq!(code(&error), ("not_found", Some("dogId")), "{error}");

        // Updates: a stale one is refused; a good one changes what it names.
        let data = api.data(&api.staff_token, UPDATE_DOG, json!({ "id": dog, "input": { "notes": "Shy with big dogs." } })).await;
        let at = data["updateDog"]["updatedAt"].clone();
        api.data(&api.staff_token, UPDATE_DOG, json!({ "id": dog, "input": { "breed": null }, "at": at })).await;
        let error = api.error(&api.staff_token, UPDATE_DOG, json!({ "id": dog, "input": { "name": "Bit" }, "at": at })).await;
        assert_eq!(code(&error), ("stale_update", None), "{error}");
        let actions: Vec<String> = audit_of(&api, &dog).await.into_iter().map(|(a, _)| a).collect();
        assert_eq!(actions, ["dog.create", "vaccination.record", "vaccination.record", "vaccination.record", "vaccination.record", "dog.update", "dog.update"]);
    }

    async fn a_booking_goes_from_booked_to_checked_out_once_and_on_site_follows_check_in(t: TestDb) {
        let api = Api::start(t).await;
        let (customer, dog) = customer_with_dog(&api, "Vance", "555 880 0001").await;
        let (on_site, expected, booked) = status(&api).await;
        let booking = book_today(&api, &customer, &dog).await;
        assert_eq!(booking["status"], "CONFIRMED");
        assert_eq!(booking["createdBy"]["email"], DEMO_STAFF_EMAIL);
        assert_eq!(booking["dogs"], json!([{ "id": dog, "name": "Pixel" }]));
        let id = booking["id"].as_str().unwrap().to_owned();
        // Booked, not here: expected, not on site.
        assert_eq!(status(&api).await, (on_site, expected + 1, booked + 1));

        let data = api.data(&api.staff_token, &move_booking("checkInBooking"), json!({ "id": id })).await;
        assert_eq!(data["checkInBooking"]["status"], "CHECKED_IN");
        assert!(data["checkInBooking"]["checkedInAt"].is_string());
        assert_eq!(status(&api).await, (on_site + 1, expected, booked + 1));
        let error = api.error(&api.staff_token, &move_booking("checkInBooking"), json!({ "id": id })).await;
        assert_eq!(code(&error), ("invalid_transition", None), "{error}");
        let error = api.error(&api.staff_token, &cancel_booking(), json!({ "id": id })).await;
        assert_eq!(code(&error), ("invalid_transition", None), "no cancelling once here: {error}");

        let data = api.data(&api.staff_token, &move_booking("checkOutBooking"), json!({ "id": id })).await;
        assert_eq!(data["checkOutBooking"]["status"], "CHECKED_OUT");
        assert_eq!(status(&api).await, (on_site, expected, booked + 1));
        let error = api.error(&api.staff_token, &move_booking("checkOutBooking"), json!({ "id": id })).await;
        assert_eq!(code(&error), ("invalid_transition", None), "never a second check-out: {error}");

        let actions: Vec<String> = audit_of(&api, &id).await.into_iter().map(|(a, _)| a).collect();
        assert_eq!(actions, ["booking.create", "booking.check_in", "booking.check_out"]);
        let entries = audit_of(&api, &id).await;
        assert_eq!(entries[1].1["changes"]["status"], json!({ "before": "confirmed", "after": "checked_in" }));

        // The booking is listed on its day with its customer and dog.
        let day = today().to_string();
        let data = api.data(&api.staff_token, "query B($d: Date!, $c: ID) { bookings(from: $d, to: $d, customerId: $c) { edges { node { id status customer { name } dogs { name } } } } }", json!({ "d": day, "c": customer })).await;
        assert_eq!(data["bookings"]["edges"], json!([{ "node": { "id": id, "status": "CHECKED_OUT", "customer": { "name": "Robin Vance" }, "dogs": [{ "name": "Pixel" }] } }]));
    }

    async fn check_in_refuses_a_dog_whose_vaccination_lapsed_since_booking(t: TestDb) {
        let api = Api::start(t).await;
        let (customer, dog) = customer_with_dog(&api, "Lapse", "555 880 0002").await;
        let booking = book_today(&api, &customer, &dog).await;
        let id = booking["id"].as_str().unwrap().to_owned();
        // The rabies record turns out to have expired yesterday (corrected at the source).
        let yesterday = today() - Days::new(1);
        let dog_id: uuid::Uuid = dog.parse().unwrap();
        let sql = match api.t.backend {
            aim::db::Backend::Sqlite => format!("UPDATE vaccinations SET expires_on = '{yesterday}' WHERE kind = 'rabies' AND dog_id = x'{}'", dog_id.simple()),
            aim::db::Backend::Postgres => format!("UPDATE vaccinations SET expires_on = '{yesterday}' WHERE kind = 'rabies' AND dog_id = '{dog_id}'"),
        };
        assert_eq!(api.t.raw(&sql).await.unwrap(), 1);
        let error = api.error(&api.staff_token, &move_booking("checkInBooking"), json!({ "id": id })).await;
        assert_eq!(code(&error), ("vaccination_expired", Some("dogIds")), "{error}");
        assert!(error["message"].as_str().unwrap().contains("Pixel"), "{error}");
        let data = api.data(&api.staff_token, "query B($id: ID!) { booking(id: $id) { status checkedInAt } }", json!({ "id": id })).await;
        assert_eq!(data["booking"], json!({ "status": "CONFIRMED", "checkedInAt": null }), "nothing written");
    }

    async fn cancelling_no_shows_and_rescheduling_follow_the_rules(t: TestDb) {
        let api = Api::start(t).await;
        let (customer, dog) = customer_with_dog(&api, "Moves", "555 880 0003").await;
        let in_two_days = (today() + Days::new(2)).to_string();
        let data = api.data(&api.staff_token, &create_booking(), json!({ "input": { "customerId": customer, "dogIds": [dog], "service": "DAYCARE", "startDate": in_two_days } })).await;
        let booking = data["createBooking"][0].clone();
        let id = booking["id"].as_str().unwrap().to_owned();

        // Not yet started: neither a check-in nor a no-show.
        for name in ["checkInBooking", "markNoShow"] {
            let error = api.error(&api.staff_token, &move_booking(name), json!({ "id": id })).await;
            assert_eq!(code(&error), ("invalid_transition", None), "{name}: {error}");
        }

        // Moved to the next day; a second move from the old version is stale.
        let next = (today() + Days::new(3)).to_string();
        let data = api.data(&api.staff_token, &reschedule(), json!({ "id": id, "input": { "startDate": next }, "at": booking["updatedAt"] })).await;
        assert_eq!(data["rescheduleBooking"]["startDate"], next.as_str());
        let error = api.error(&api.staff_token, &reschedule(), json!({ "id": id, "input": { "startDate": in_two_days }, "at": booking["updatedAt"] })).await;
        assert_eq!(code(&error), ("stale_update", None), "{error}");
        let error = api.error(&api.staff_token, &reschedule(), json!({ "id": id, "input": { "startDate": next, "endDate": (today() + Days::new(4)).to_string() } })).await;
        assert_eq!(code(&error), ("invalid_input", Some("endDate")), "{error}");
        let past = (today() - Days::new(1)).to_string();
        let error = api.error(&api.staff_token, &reschedule(), json!({ "id": id, "input": { "startDate": past } })).await;
        assert_eq!(code(&error), ("invalid_input", Some("startDate")), "{error}");

        let data = api.data(&api.staff_token, &cancel_booking(), json!({ "id": id, "reason": "  Family visit  " })).await;
        let cancelled = &data["cancelBooking"];
        assert_eq!((cancelled["status"].as_str(), cancelled["cancelReason"].as_str()), (Some("CANCELLED"), Some("Family visit")));
        assert!(cancelled["cancelledAt"].is_string());
        let error = api.error(&api.staff_token, &cancel_booking(), json!({ "id": id })).await;
        assert_eq!(code(&error), ("invalid_transition", None), "{error}");
        let error = api.error(&api.staff_token, &reschedule(), json!({ "id": id, "input": { "startDate": next } })).await;
        assert_eq!(code(&error), ("invalid_transition", None), "{error}");

        let actions: Vec<String> = audit_of(&api, &id).await.into_iter().map(|(a, _)| a).collect();
        assert_eq!(actions, ["booking.create", "booking.reschedule", "booking.cancel"]);
        let error = api.error(&api.staff_token, &move_booking("checkOutBooking"), json!({ "id": uuid::Uuid::now_v7() })).await;
        assert_eq!(code(&error), ("not_found", None), "{error}");

        // Today's booking starts at 08:00: from then on it can be marked a no-show, which frees
        // its place and leaves it out of the dogs expected.
        let today_booking = book_today(&api, &customer, &dog).await;
        let started = Utc::now() >= clock::local_instant(TZ, today(), chrono::NaiveTime::from_hms_opt(8, 0, 0).unwrap());
        let (status, body) = api.post(Some(&api.staff_token), &move_booking("markNoShow"), json!({ "id": today_booking["id"] })).await;
        assert_eq!(status, StatusCode::OK);
        if started {
            assert_eq!(body["data"]["markNoShow"]["status"], "NO_SHOW", "{body}");
            let data = api.data(&api.staff_token, "{ facilityStatus { dogsExpected } }", json!({})).await;
            assert_eq!(data["facilityStatus"]["dogsExpected"], 0, "{data}");
        } else {
            assert_eq!(body["errors"][0]["extensions"]["code"], "invalid_transition", "{body}");
        }
    }

    async fn two_check_ins_at_once_give_one_check_in(t: TestDb) {
        let api = Api::start(t).await;
        let (customer, dog) = customer_with_dog(&api, "Race", "555 880 0004").await;
        let booking = book_today(&api, &customer, &dog).await;
        let query = move_booking("checkInBooking");
        let variables = json!({ "id": booking["id"] });
        let (a, b) = tokio::join!(
            api.post(Some(&api.staff_token), &query, variables.clone()),
            api.post(Some(&api.manager_token), &query, variables.clone()),
        );
        let mut outcomes: Vec<&str> = [&a.1, &b.1]
            .iter()
            .map(|body| match body["errors"].as_array() {
                None => "checked_in",
                Some(errors) => errors[0]["extensions"]["code"].as_str().unwrap(),
            })
            .collect();
        outcomes.sort();
        assert_eq!(outcomes, ["checked_in", "invalid_transition"]);
        let id = booking["id"].as_str().unwrap();
        let actions: Vec<String> = audit_of(&api, id).await.into_iter().map(|(a, _)| a).collect();
        assert_eq!(actions, ["booking.create", "booking.check_in"]);
    }

    async fn a_page_of_bookings_with_customers_and_dogs_costs_a_few_statements(t: TestDb) {
        let api = Api::start(t).await;
        let from = (today() - Days::new(3)).to_string();
        let to = (today() + Days::new(3)).to_string();
        let query = "query B($from: Date!, $to: Date!) { bookings(from: $from, to: $to, first: 100) { edges { node { id status customer { name phone dogs { name } } dogs { name vaccinationStatus owner { name } } createdBy { name } } } } }";
        // What the front desk lists: bookings with their customers and dogs. The token's staff
        // user, the bookings with their customers, their dogs: three statements.
        let desk = "query B($from: Date!, $to: Date!) { bookings(from: $from, to: $to, first: 100) { edges { node { id status customer { name phone } dogs { name breed } } } } }";
        let before = api.queries();
        api.data(&api.manager_token, desk, json!({ "from": from, "to": to })).await;
        assert_eq!(api.queries() - before, 3);
        let before = api.queries();
        let data = api.data(&api.manager_token, query, json!({ "from": from, "to": to })).await;
        let spent = api.queries() - before;
        let edges = data["bookings"]["edges"].as_array().unwrap();
        assert_eq!(edges.len(), 100, "a full page of the demo week");
        // Deeper: one statement per relation whatever the page size — the token's staff user,
        // bookings with customers, their dogs, the customers' dogs, the dogs' vaccinations,
        // staff who booked (the dogs' owners are the customers already read).
        assert_eq!(spent, 6, "statements for a page of 100");
    }

    async fn the_facility_operations_are_401_without_a_token(t: TestDb) {
        let api = Api::start(t).await;
        let id = uuid::Uuid::now_v7();
        let day = today().to_string();
        let operations = [
            ("{ customers { edges { cursor } } }".to_owned(), json!({})),
            ("{ dogs { edges { cursor } } }".to_owned(), json!({})),
            ("{ services { kind } }".to_owned(), json!({})),
            ("query A { auditLog { edges { cursor } } }".to_owned(), json!({})),
            ("query B($d: Date!) { bookings(from: $d, to: $d) { edges { cursor } } }".to_owned(), json!({ "d": day })),
            (create_customer(), json!({ "input": { "firstName": "A", "lastName": "B" } })),
            (move_booking("checkInBooking"), json!({ "id": id })),
            (move_booking("markNoShow"), json!({ "id": id })),
            (cancel_booking(), json!({ "id": id })),
        ];
        for (query, variables) in operations {
            let (status, body) = api.post(None, &query, variables).await;
            assert_eq!(status, StatusCode::UNAUTHORIZED, "{query}: {body}");
        }
    }
}

const SHIFT_FIELDS: &str =
    "id date start end role updatedAt staffUser { email } breaks { id start end type }";

fn shift_mutation(name: &str, args: &str, params: &str) -> String {
    format!("mutation S({params}) {{ {name}({args}) {{ {SHIFT_FIELDS} }} }}")
}

both_backends! {
    async fn managers_plan_shifts_and_breaks_and_staff_cannot(t: TestDb) {
        let api = Api::start(t).await;
        let day = (today() + Days::new(10)).to_string();
        let staff_id = api.staff.staff_user_id.to_string();
        let create = shift_mutation("createShift", "input: $input", "$input: ShiftInput!");
        let input = json!({ "input": { "staffUserId": staff_id, "date": day, "start": "08:00", "end": "16:00", "role": "HANDLER" } });
        let error = api.error(&api.staff_token, &create, input.clone()).await;
        assert_eq!(code(&error), ("forbidden", None), "{error}");
        let data = api.data(&api.manager_token, &create, input.clone()).await;
        let shift = data["createShift"].clone();
        assert_eq!((shift["start"].as_str(), shift["end"].as_str(), shift["staffUser"]["email"].as_str()), (Some("08:00"), Some("16:00"), Some(DEMO_STAFF_EMAIL)));
        let id = shift["id"].as_str().unwrap().to_owned();

        // The same person cannot be in two shifts at once; times are HH:MM, end after start.
        for (start, end, field) in [("12:00", "18:00", "start"), ("25:00", "26:00", "start"), ("09:00", "08:00", "end")] {
            let error = api.error(&api.manager_token, &create, json!({ "input": { "staffUserId": staff_id, "date": day, "start": start, "end": end, "role": "HANDLER" } })).await;
            assert_eq!(code(&error), ("invalid_input", Some(field)), "{start}-{end}: {error}");
        }
        let error = api.error(&api.manager_token, &create, json!({ "input": { "staffUserId": uuid::Uuid::now_v7(), "date": day, "start": "08:00", "end": "09:00", "role": "HANDLER" } })).await;
        assert_eq!(code(&error), ("not_found", Some("staffUserId")), "{error}");

        let add_break = shift_mutation("addShiftBreak", "shiftId: $id, input: $input", "$id: ID!, $input: ShiftBreakInput!");
        let data = api.data(&api.manager_token, &add_break, json!({ "id": id, "input": { "start": "12:00", "end": "12:30", "type": "LUNCH" } })).await;
        let with_break = data["addShiftBreak"].clone();
        assert_eq!(with_break["breaks"][0]["type"], "LUNCH");
        assert_ne!(with_break["updatedAt"], shift["updatedAt"], "a break changes its shift");
        for (start, end) in [("07:00", "08:30"), ("12:15", "12:45")] {
            let error = api.error(&api.manager_token, &add_break, json!({ "id": id, "input": { "start": start, "end": end, "type": "SHORT" } })).await;
            assert_eq!(code(&error).0, "invalid_input", "{start}-{end}: {error}");
        }

        // An update from before the break was added is stale; a shift shrunk past its break is
        // refused; a good one changes the times.
        let update = shift_mutation("updateShift", "id: $id, input: $input, expectedUpdatedAt: $at", "$id: ID!, $input: ShiftPatch!, $at: DateTime");
        let error = api.error(&api.manager_token, &update, json!({ "id": id, "input": { "end": "17:00" }, "at": shift["updatedAt"] })).await;
        assert_eq!(code(&error), ("stale_update", None), "{error}");
        let error = api.error(&api.manager_token, &update, json!({ "id": id, "input": { "end": "12:15" } })).await;
        assert_eq!(code(&error), ("invalid_input", Some("end")), "{error}");
        let data = api.data(&api.manager_token, &update, json!({ "id": id, "input": { "end": "17:00", "role": "FRONT_DESK" }, "at": with_break["updatedAt"] })).await;
        assert_eq!((data["updateShift"]["end"].as_str(), data["updateShift"]["role"].as_str()), (Some("17:00"), Some("FRONT_DESK")));

        let data = api.data(&api.staff_token, "query S($d: Date!) { shifts(date: $d) { id breaks { id } } }", json!({ "d": day })).await;
        assert_eq!(data["shifts"].as_array().unwrap().len(), 1, "staff read the schedule");
        let break_id = data["shifts"][0]["breaks"][0]["id"].clone();
        let remove = shift_mutation("removeShiftBreak", "id: $id", "$id: ID!");
        let data = api.data(&api.manager_token, &remove, json!({ "id": break_id })).await;
        assert_eq!(data["removeShiftBreak"]["breaks"], json!([]));
        let data = api.data(&api.manager_token, "mutation D($id: ID!) { deleteShift(id: $id) }", json!({ "id": id })).await;
        assert_eq!(data["deleteShift"], id.as_str());
        let data = api.data(&api.staff_token, "query S($d: Date!) { shifts(date: $d) { id } }", json!({ "d": day })).await;
        assert_eq!(data["shifts"], json!([]));

        let actions: Vec<String> = audit_of(&api, &id).await.into_iter().map(|(a, _)| a).collect();
        assert_eq!(actions, ["shift.create", "shift.add_break", "shift.update", "shift.remove_break", "shift.delete"]);
    }

    async fn payments_are_recorded_and_refunds_never_exceed_what_was_paid(t: TestDb) {
        let api = Api::start(t).await;
        let (customer, dog) = customer_with_dog(&api, "Payer", "555 880 0005").await;
        let booking = book_today(&api, &customer, &dog).await;
        let record = "mutation P($input: PaymentInput!) { recordPayment(input: $input) { id amountCents method status refundOf customer { name } bookingId } }";
        let input = json!({ "input": { "customerId": customer, "bookingId": booking["id"], "amountCents": 4500, "method": "CARD" } });
        let error = api.error(&api.staff_token, record, input.clone()).await;
        assert_eq!(code(&error), ("forbidden", None), "{error}");
        let data = api.data(&api.manager_token, record, input).await;
        let payment = data["recordPayment"].clone();
        assert_eq!((payment["status"].as_str(), payment["customer"]["name"].as_str()), (Some("SUCCEEDED"), Some("Robin Payer")));
        for (amount, field) in [(0, "amountCents"), (-5, "amountCents")] {
            let error = api.error(&api.manager_token, record, json!({ "input": { "customerId": customer, "amountCents": amount, "method": "CASH" } })).await;
            assert_eq!(code(&error), ("invalid_input", Some(field)), "{error}");
        }
        // A booking of another customer is refused.
        let (other, other_dog) = customer_with_dog(&api, "Other", "555 880 0006").await;
        let others = book_today(&api, &other, &other_dog).await;
        let error = api.error(&api.manager_token, record, json!({ "input": { "customerId": customer, "bookingId": others["id"], "amountCents": 100, "method": "CASH" } })).await;
        assert_eq!(code(&error), ("invalid_input", Some("bookingId")), "{error}");

        let refund = "mutation R($id: ID!, $amount: Int) { refundPayment(id: $id, amountCents: $amount, reason: \"Left early\") { id amountCents status refundOf note } }";
        let data = api.data(&api.manager_token, refund, json!({ "id": payment["id"], "amount": 1000 })).await;
        assert_eq!(data["refundPayment"]["refundOf"], payment["id"]);
        assert_eq!((data["refundPayment"]["amountCents"].as_i64(), data["refundPayment"]["status"].as_str()), (Some(1000), Some("REFUNDED")));
        let error = api.error(&api.manager_token, refund, json!({ "id": payment["id"], "amount": 3501 })).await;
        assert_eq!(code(&error), ("invalid_input", Some("amountCents")), "only 3500 left: {error}");
        let data = api.data(&api.manager_token, refund, json!({ "id": payment["id"] })).await;
        assert_eq!(data["refundPayment"]["amountCents"], 3500, "the rest");
        let error = api.error(&api.manager_token, refund, json!({ "id": payment["id"] })).await;
        assert_eq!(code(&error), ("invalid_input", Some("amountCents")), "nothing left: {error}");
        let refund_id = data["refundPayment"]["id"].clone();
        let error = api.error(&api.manager_token, refund, json!({ "id": refund_id })).await;
        assert_eq!(code(&error), ("invalid_input", Some("id")), "a refund is not refunded: {error}");

        let day = today().to_string();
        let list = "query L($d: Date!) { payments(from: $d, to: $d, first: 100) { edges { node { amountCents status refundOf } } } }";
        let data = api.data(&api.manager_token, list, json!({ "d": day })).await;
        let ours: Vec<&Value> = data["payments"]["edges"].as_array().unwrap().iter().filter(|e| e["node"]["refundOf"] == payment["id"]).collect();
        assert_eq!(ours.len(), 2);
        let error = api.error(&api.staff_token, list, json!({ "d": day })).await;
        assert_eq!(code(&error), ("forbidden", None), "{error}");
        let actions: Vec<String> = audit_of(&api, payment["id"].as_str().unwrap()).await.into_iter().map(|(a, _)| a).collect();
        assert_eq!(actions, ["payment.record", "payment.refund", "payment.refund"]);
    }

    async fn admins_manage_staff_accounts_and_everyone_changes_their_own_password(t: TestDb) {
        let api = Api::start(t).await;
        let create = "mutation C($input: StaffUserInput!) { createStaffUser(input: $input) { id email role active } }";
        let input = json!({ "input": { "email": "new@happytail.example", "name": "New Hire", "role": "STAFF", "password": "a long enough password" } });
        // The demo has no admin: managers list staff but cannot add them.
        let error = api.error(&api.manager_token, create, input.clone()).await;
        assert_eq!(code(&error), ("forbidden", None), "{error}");
        let data = api.data(&api.manager_token, "{ staffUsers { email } }", json!({})).await;
        assert!(data["staffUsers"].as_array().unwrap().len() >= 2);
        let error = api.error(&api.staff_token, "{ staffUsers { email } }", json!({})).await;
        assert_eq!(code(&error), ("forbidden", None), "{error}");

        let admin_id = {
            let record = aim::db::staff::StaffUserRecord {
                id: StaffUserId::new(),
                email: "boss@happytail.example".into(),
                name: "Boss".into(),
                role: Role::Admin,
                password_hash: aim::auth::hash_password("boss password long".into()).await.unwrap(),
                active: true,
                created_at: aim::domain::now(),
                updated_at: aim::domain::now(),
            };
            aim::db::staff::insert(&mut api.t.db.conn().await.unwrap(), &record).await.unwrap();
            record.id
        };
        let admin = token(admin_id, Role::Admin);
        let error = api.error(&admin, create, json!({ "input": { "email": "x@happytail.example", "name": "X", "role": "STAFF", "password": "short" } })).await;
        assert_eq!(code(&error), ("invalid_input", Some("password")), "{error}");
        let data = api.data(&admin, create, input.clone()).await;
        let new_id = data["createStaffUser"]["id"].clone();
        let error = api.error(&admin, create, input).await;
        assert_eq!(code(&error), ("already_exists", Some("email")), "{error}");

        let update = "mutation U($id: ID!, $role: StaffRole, $active: Boolean) { updateStaffUser(id: $id, role: $role, active: $active) { role active } }";
        let data = api.data(&admin, update, json!({ "id": new_id, "role": "MANAGER" })).await;
        assert_eq!(data["updateStaffUser"], json!({ "role": "MANAGER", "active": true }));
        let error = api.error(&admin, update, json!({ "id": admin_id.to_string(), "active": false })).await;
        assert_eq!(code(&error), ("invalid_input", Some("active")), "the only admin stays: {error}");
        api.data(&admin, update, json!({ "id": new_id, "active": false })).await;
        let login = api.server.client.post(api.server.url("/api/v2/auth/login")).json(&json!({ "email": "new@happytail.example", "password": "a long enough password" })).send().await.unwrap();
        assert_eq!(login.status(), StatusCode::UNAUTHORIZED, "deactivated");

        let change = "mutation P($current: String!, $new: String!) { changePassword(current: $current, new: $new) }";
        let error = api.error(&admin, change, json!({ "current": "wrong password!!", "new": "a brand new password" })).await;
        assert_eq!(code(&error), ("invalid_input", Some("current")), "{error}");
        let data = api.data(&admin, change, json!({ "current": "boss password long", "new": "a brand new password" })).await;
        assert_eq!(data["changePassword"], true);
        let login = api.server.client.post(api.server.url("/api/v2/auth/login")).json(&json!({ "email": "boss@happytail.example", "password": "a brand new password" })).send().await.unwrap();
        assert_eq!(login.status(), StatusCode::OK);
    }
}
