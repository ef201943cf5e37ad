//! The weather check against a fake Open-Meteo server: the request it makes, the alert a hot
//! day raises once, the all-clear that resolves it, a failed forecast that leaves it open,
//! the settings that turn it on (and `aim alerts run` with them), and the client's errors.

use aim::aim::alerts::{AlertFilter, SyncReport};
use aim::aim::checks::Thresholds;
use aim::aim::engine::AlertEngine;
use aim::aim::weather::{
    DAILY_VARIABLES, DayForecast, WeatherClient, WeatherConfig, WeatherError, WeatherThresholds,
};
use aim::facility::sms::{SmsLimits, SmsService};
use aim::facility::{Facility, FacilitySettings, clock};
use chrono::{Days, NaiveDate, Utc};

use super::*;
use crate::both_backends;
use crate::common::open_meteo::{Answer, FakeOpenMeteo, LATITUDE, LONGITUDE};

const TZ: chrono_tz::Tz = chrono_tz::America::New_York;

fn today() -> NaiveDate {
    clock::local_date(TZ, Utc::now())
}

/// Three days of `high` °C highs from today, otherwise calm.
fn days_with_high(high: f64) -> Vec<DayForecast> {
    (0..3)
        .map(|i| DayForecast {
            date: today() + Days::new(i),
            max_c: Some(if i == 0 { high } else { 20.0 }),
            min_c: Some(12.0),
            precipitation_mm: Some(0.0),
            gusts_kmh: Some(15.0),
            weather_code: Some(1),
        })
        .collect()
}

/// An empty facility in New York (its own checks find nothing) with the weather check on.
async fn engine(t: &TestDb, fake: &FakeOpenMeteo) -> AlertEngine {
    let facility = Facility::new(
        t.db.clone(),
        FacilitySettings {
            capacity: 40,
            staff_ratio: 8,
            timezone: TZ,
        },
        SmsService::new(t.db.clone(), None, SmsLimits::default()),
    );
    AlertEngine::new(facility, service(t).await, Thresholds::default()).with_weather(
        WeatherClient::new(fake.config()),
        WeatherThresholds::default(),
    )
}

/// Runs the generator once; it leads, nobody else runs it (each run lets go of the lead
/// before it returns).
async fn run(engine: &AlertEngine) -> SyncReport {
    engine
        .run(domain::now())
        .await
        .unwrap()
        .expect("leads: the previous run let go")
}

async fn open_weather_alerts(t: &TestDb) -> Vec<AlertView> {
    service(t)
        .await
        .list(
            AlertFilter {
                resolved: Some(false),
                kind: Some(AlertType::Weather),
                ..AlertFilter::default()
            },
            100,
            None,
        )
        .await
        .unwrap()
        .alerts
}

/// The fake got Open-Meteo's documented request for the configured place.
fn assert_forecast_request(fake: &FakeOpenMeteo) {
    let queries = fake.queries();
    assert!(!queries.is_empty(), "the forecast was asked for");
    for q in queries {
        let param = |name: &str| q.get(name).map(String::as_str);
        assert_eq!(
            param("latitude"),
            Some(LATITUDE.to_string().as_str()),
            "{q:?}"
        );
        assert_eq!(
            param("longitude"),
            Some(LONGITUDE.to_string().as_str()),
            "{q:?}"
        );
        assert_eq!(param("daily"), Some(DAILY_VARIABLES), "{q:?}");
        assert_eq!(param("timezone"), Some("America/New_York"), "{q:?}");
        assert_eq!(param("forecast_days"), Some("3"), "{q:?}");
    }
}

both_backends! {
    async fn a_hot_day_raises_a_weather_alert_once_and_mild_weather_resolves_it(t: TestDb) {
        let fake = FakeOpenMeteo::start(Answer::Days(days_with_high(33.4))).await;
        let engine = engine(&t, &fake).await;
        assert!(engine.has_weather());

        let first = run(&engine).await;
        assert_forecast_request(&fake);
        assert_eq!(first.created.len(), 1, "{:?}", first.created);
        let hot = &first.created[0];
        assert_eq!(hot.kind, AlertType::Weather);
        assert_eq!(hot.severity, AlertSeverity::Warning);
        assert!(hot.title.starts_with("Heat on "), "{}", hot.title);
        assert!(hot.title.contains(&today().to_string()) && hot.title.contains("33.4 °C"), "{}", hot.title);
        assert!(hot.description.contains("water"), "{}", hot.description);
        let data = hot.data.as_ref().unwrap();
        assert_eq!(data["key"], format!("{}/heat", today()));
        assert_eq!(data["maxC"], 33.4);
        assert_eq!(data["warningC"], 30.0);

        let second = run(&engine).await;
        assert!(second.created.is_empty(), "a second run raises none: {:?}", second.created);
        assert!(second.resolved.is_empty());
        assert_eq!(fake.queries().len(), 2, "each run asks again");

        fake.answer(Answer::Days(days_with_high(24.0)));
        let mild = run(&engine).await;
        assert!(mild.created.is_empty());
        assert_eq!(mild.resolved.len(), 1, "{:?}", mild.resolved);
        assert_eq!(mild.resolved[0].id, hot.id);
        let data = mild.resolved[0].data.as_ref().unwrap();
        assert_eq!(data["autoResolved"], true);
        assert_eq!(data["resolvedBecause"], "cleared");
        assert!(open_weather_alerts(&t).await.is_empty());
    }

    async fn a_failed_forecast_leaves_the_open_weather_alert_open(t: TestDb) {
        let fake = FakeOpenMeteo::start(Answer::Days(days_with_high(36.0))).await;
        let engine = engine(&t, &fake).await;
        let first = run(&engine).await;
        assert_eq!(first.created.len(), 1);
        assert_eq!(first.created[0].severity, AlertSeverity::Critical);
        let id = first.created[0].id;

        for answer in [
            Answer::Status(500, json!({ "error": true, "reason": "Internal Server Error" })),
            Answer::Status(200, json!({ "hourly": {} })),
        ] {
            fake.answer(answer.clone());
            let report = run(&engine).await;
            assert!(report.resolved.is_empty(), "{answer:?}: {:?}", report.resolved);
            assert!(report.created.is_empty());
            let open = open_weather_alerts(&t).await;
            assert_eq!(open.len(), 1, "{answer:?}");
            assert_eq!(open[0].id, id);
        }
        assert_eq!(fake.queries().len(), 3);

        // Unreachable: the fake is gone.
        drop(fake);
        tokio::time::sleep(std::time::Duration::from_millis(50)).await;
        let report = run(&engine).await;
        assert!(report.resolved.is_empty());
        assert_eq!(open_weather_alerts(&t).await.len(), 1);
    }

    async fn the_weather_settings_turn_the_check_on_for_aim_alerts_run(t: TestDb) {
        let off = aim::alert_engine(&t.config()).await.unwrap();
        assert!(!off.has_weather(), "off unless AIM_WEATHER_URL is set");

        let fake = FakeOpenMeteo::start(Answer::Days(days_with_high(31.0))).await;
        let mut config = t.config();
        config.timezone = Some(TZ);
        config.weather_url = Some(fake.base_url());
        config.weather_latitude = Some(LATITUDE);
        config.weather_longitude = Some(LONGITUDE);
        assert!(aim::alert_engine(&config).await.unwrap().has_weather());

        let run = |latitude: &str| {
            std::process::Command::new(env!("CARGO_BIN_EXE_aim"))
                .args(["alerts", "run"])
                .env("DATABASE_URL", &t.url)
                .env("AIM_TIMEZONE", "America/New_York")
                .env("AIM_WEATHER_URL", fake.base_url())
                .env("AIM_WEATHER_LATITUDE", latitude)
                .env("AIM_WEATHER_LONGITUDE", LONGITUDE.to_string())
                .env_remove("AIM_JWT_SECRET")
                .env_remove("AIM_LLM")
                .env_remove("ANTHROPIC_API_KEY")
                .output()
                .unwrap()
        };
        let refused = run("91");
        assert!(!refused.status.success());
        let err = String::from_utf8_lossy(&refused.stderr);
        assert!(err.contains("AIM_WEATHER_LATITUDE must be between -90 and 90"), "{err}");

        let ran = tokio::task::block_in_place(|| run(&LATITUDE.to_string()));
        assert!(ran.status.success(), "{}", String::from_utf8_lossy(&ran.stderr));
        let out = String::from_utf8_lossy(&ran.stdout);
        assert!(out.contains("created  warning  weather"), "{out}");
        assert!(out.contains("Heat on"), "{out}");
        assert_forecast_request(&fake);
    }
}

fn client_for(base_url: String) -> WeatherClient {
    WeatherClient::new(WeatherConfig {
        base_url,
        latitude: LATITUDE,
        longitude: LONGITUDE,
        connect_timeout: std::time::Duration::from_secs(5),
        request_timeout: std::time::Duration::from_secs(10),
    })
}

#[tokio::test]
async fn the_client_reads_the_forecast_and_names_what_went_wrong() {
    let fake = FakeOpenMeteo::start(Answer::Days(days_with_high(18.5))).await;
    let client = WeatherClient::new(fake.config());
    let days = client.forecast(TZ).await.unwrap();
    assert_eq!(days, days_with_high(18.5));
    assert_forecast_request(&fake);

    fake.answer(Answer::Status(
        400,
        json!({ "error": true, "reason": "Latitude must be in range of -90 to 90°." }),
    ));
    let err = client.forecast(TZ).await.unwrap_err();
    assert!(matches!(err, WeatherError::Status { .. }), "{err:?}");
    assert_eq!(
        err.to_string(),
        "the weather service answered 400 Bad Request: Latitude must be in range of -90 to 90°."
    );

    fake.answer(Answer::Status(503, json!({})));
    let err = client.forecast(TZ).await.unwrap_err().to_string();
    assert_eq!(err, "the weather service answered 503 Service Unavailable");

    fake.answer(Answer::Status(
        200,
        json!({ "daily": { "time": ["2026-11-25"], "weather_code": ["storm"] } }),
    ));
    let err = client.forecast(TZ).await.unwrap_err();
    assert!(matches!(err, WeatherError::Malformed(_)), "{err:?}");
    assert!(err.to_string().contains("daily.weather_code"), "{err}");

    let gone = fake.base_url();
    drop(fake);
    tokio::time::sleep(std::time::Duration::from_millis(50)).await;
    let err = client_for(gone).forecast(TZ).await.unwrap_err();
    assert!(matches!(err, WeatherError::Unreachable(_)), "{err:?}");
}
