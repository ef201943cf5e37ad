//! The alert generator on the demo facility: what it raises, that a second run adds nothing,
//! that one replica runs it at a time, and `aim alerts run`.

use aim::aim::checks::Thresholds;
use aim::aim::engine::AlertEngine;
use aim::db::Backend;
use aim::db::WriteLock;
use aim::facility::demo;
use aim::facility::sms::{SmsLimits, SmsService};
use aim::facility::{Facility, FacilitySettings, clock};
use chrono::Utc;

use super::*;
use crate::both_backends;

const TZ: chrono_tz::Tz = chrono_tz::America::New_York;

async fn demo_engine(t: &TestDb) -> AlertEngine {
    let today = clock::local_date(TZ, Utc::now());
    demo::seed(&t.db, today, TZ).await.expect("demo data");
    let settings = FacilitySettings {
        capacity: 40,
        staff_ratio: 8,
        timezone: TZ,
    };
    let facility = Facility::new(
        t.db.clone(),
        settings,
        SmsService::new(t.db.clone(), None, SmsLimits::default()),
    );
    AlertEngine::new(facility, service(t).await, Thresholds::default())
}

both_backends! {
    async fn the_demo_raises_staffing_capacity_and_compliance_alerts_once(t: TestDb) {
        let engine = demo_engine(&t).await;
        let now = domain::now();
        let first = engine.run(now).await.unwrap().expect("leads on an idle database");
        let kinds: Vec<AlertType> = first.created.iter().map(|a| a.kind).collect();
        for kind in [AlertType::StaffingGap, AlertType::CapacityWarning, AlertType::Compliance] {
            assert!(kinds.contains(&kind), "{kind} missing from {kinds:?}");
        }
        assert!(first.resolved.is_empty());
        let biscuit = first.created.iter().find(|a| a.kind == AlertType::Compliance).unwrap();
        assert!(biscuit.title.contains("Biscuit") || biscuit.description.contains("Biscuit"), "{biscuit:?}");
        let second = engine.run(now).await.unwrap().unwrap();
        assert!(second.created.is_empty(), "a second run adds none: {:?}", second.created);
        assert!(second.resolved.is_empty());
    }

    async fn only_one_replica_generates_at_a_time(t: TestDb) {
        let engine = demo_engine(&t).await;
        let held = t.db.try_lead(WriteLock::AlertGenerator).await.unwrap().expect("free at first");
        let other = engine.run(domain::now()).await.unwrap();
        match t.backend {
            Backend::Postgres => assert!(other.is_none(), "another replica holds the lead"),
            // One process serves a SQLite database: the lead is always granted.
            Backend::Sqlite => assert!(other.is_some()),
        }
        held.release().await.unwrap();
        assert!(engine.run(domain::now()).await.unwrap().is_some(), "free again once released");
    }

    async fn aim_alerts_run_prints_what_it_created(t: TestDb) {
        let today = clock::local_date(TZ, Utc::now());
        demo::seed(&t.db, today, TZ).await.unwrap();
        let run = || {
            std::process::Command::new(env!("CARGO_BIN_EXE_aim"))
                .args(["alerts", "run"])
                .env("DATABASE_URL", &t.url)
                .env("AIM_TIMEZONE", "America/New_York")
                .env_remove("AIM_JWT_SECRET")
                .env_remove("AIM_LLM")
                .env_remove("ANTHROPIC_API_KEY")
                .output()
                .unwrap()
        };
        let first = run();
        assert!(first.status.success(), "{}", String::from_utf8_lossy(&first.stderr));
        let out = String::from_utf8_lossy(&first.stdout).to_string();
        assert!(out.contains("created  warning") || out.contains("created  critical"), "{out}");
        assert!(out.contains("staffing_gap") && out.contains("compliance"), "{out}");
        let second = run();
        assert!(String::from_utf8_lossy(&second.stdout).contains("0 created, 0 resolved"));
    }
}

both_backends! {
    async fn serve_runs_the_generator_on_its_schedule(t: TestDb) {
        let mut config = t.config();
        config.alert_interval = std::time::Duration::from_millis(200);
        let server = TestServer::start(config, Mode { demo: true }).await;
        let alerts = service(&t).await;
        let mut open = 0;
        for _ in 0..50 {
            open = alerts.unread_count().await.unwrap();
            if open >= 3 {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(100)).await;
        }
        assert!(open >= 3, "the scheduler raised the demo's alerts: {open}");
        server.stop().await.unwrap();
    }
}

both_backends! {
    async fn thresholds_live_in_the_facility_settings(t: TestDb) {
        assert_eq!(Thresholds::load(&t.db).await.unwrap(), Thresholds::default(), "SPEC's defaults");
        t.raw("UPDATE facility_settings SET capacity_warning_percent = 90, alert_days_ahead = 3").await.unwrap();
        let stored = Thresholds::load(&t.db).await.unwrap();
        assert_eq!(stored.capacity_warning_percent, 90.0);
        assert_eq!(stored.capacity_days_ahead, 3);
        assert!(t.raw("UPDATE facility_settings SET capacity_warning_percent = 0").await.is_err(), "checked by the database");

        // The demo is booked at 87.5 % today: no capacity alert above a 90 % threshold.
        let today = clock::local_date(TZ, Utc::now());
        demo::seed(&t.db, today, TZ).await.unwrap();
        let settings = FacilitySettings { capacity: 40, staff_ratio: 8, timezone: TZ };
        let facility = Facility::new(t.db.clone(), settings, SmsService::new(t.db.clone(), None, SmsLimits::default()));
        let engine = AlertEngine::new(facility, service(&t).await, stored);
        let report = engine.run(domain::now()).await.unwrap().unwrap();
        assert!(report.created.iter().all(|a| a.kind != AlertType::CapacityWarning), "{:?}", report.created);
        assert!(report.created.iter().any(|a| a.kind == AlertType::StaffingGap));
    }
}

both_backends! {
    async fn a_booking_that_fills_a_day_raises_its_alert_within_a_second(t: TestDb) {
        let mut config = t.config();
        // The scheduler is on, its next tick an hour away: only the write can make it run.
        config.alert_interval = std::time::Duration::from_secs(3600);
        config.facility_capacity = Some(2);
        let server = TestServer::start(config, Mode { demo: true }).await;
        let token = staff_token(&t, std::time::Duration::from_secs(600)).await;
        let gql = |query: &'static str, variables: Value| {
            let request = server.client.post(server.url("/graphql")).bearer_auth(&token).json(&json!({ "query": query, "variables": variables }));
            async move {
                let body: Value = request.send().await.unwrap().json().await.unwrap();
                assert!(body.get("errors").is_none(), "{query}: {body}");
                body["data"].clone()
            }
        };
        let day = clock::local_date(TZ, Utc::now()) + chrono::Days::new(5);
        let alerts_of_day = || async {
            let data = gql("{ aimAlerts(type: CAPACITY_WARNING, resolved: false, first: 100) { edges { node { severity data } } } }", json!({})).await;
            data["aimAlerts"]["edges"].as_array().unwrap().iter()
                .filter(|e| e["node"]["data"]["date"] == day.to_string())
                .map(|e| e["node"]["severity"].as_str().unwrap().to_owned())
                .collect::<Vec<_>>()
        };
        // The first run at start-up has found the demo's days; the fifth day ahead is empty.
        tokio::time::sleep(std::time::Duration::from_millis(500)).await;
        assert_eq!(alerts_of_day().await, Vec::<String>::new());

        let data = gql("mutation C($input: CustomerInput!) { createCustomer(input: $input) { id } }", json!({ "input": { "firstName": "Full", "lastName": "House" } })).await;
        let owner = data["createCustomer"]["id"].clone();
        let expires = (day + chrono::Days::new(300)).to_string();
        let mut dogs = Vec::new();
        for name in ["Ace", "Bo"] {
            let data = gql("mutation D($input: DogInput!) { createDog(input: $input) { id } }", json!({ "input": { "ownerId": owner, "name": name } })).await;
            let dog = data["createDog"]["id"].clone();
            for kind in ["RABIES", "DHPP", "BORDETELLA"] {
                gql("mutation V($input: VaccinationInput!) { recordVaccination(input: $input) { id } }", json!({ "input": { "dogId": dog, "kind": kind, "expiresOn": expires } })).await;
            }
            dogs.push(dog);
        }
        gql("mutation B($input: BookingInput!) { createBooking(input: $input) { id } }", json!({ "input": { "customerId": owner, "dogIds": dogs, "service": "DAYCARE", "startDate": day.to_string() } })).await;
        let booked = std::time::Instant::now();
        let mut found = Vec::new();
        while booked.elapsed() < std::time::Duration::from_secs(1) {
            found = alerts_of_day().await;
            if !found.is_empty() {
                break;
            }
            tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        }
        assert_eq!(found, ["CRITICAL"], "2 of 2 places: raised {:?} after the booking", booked.elapsed());
        server.stop().await.unwrap();
    }
}
