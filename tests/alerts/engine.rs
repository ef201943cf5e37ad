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
