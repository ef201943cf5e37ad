//! A fake Open-Meteo forecast API: an in-process server on a free loopback port that answers
//! `GET /v1/forecast` with the documented daily JSON for the days the test sets (or with the
//! status it sets), and records the query of every request.

use std::collections::HashMap;
use std::sync::{Arc, Mutex};
use std::time::Duration;

use aim::aim::weather::{DayForecast, WeatherConfig};
use axum::Router;
use axum::extract::{Query, State};
use axum::http::StatusCode;
use axum::response::{IntoResponse, Response};
use axum::routing::get;
use serde_json::{Value, json};

pub const LATITUDE: f64 = 40.7128;
pub const LONGITUDE: f64 = -74.006;

/// What the fake answers next (and every time after, until changed).
#[derive(Clone, Debug)]
pub enum Answer {
    /// 200 with these days.
    Days(Vec<DayForecast>),
    /// This status and body.
    Status(u16, Value),
}

struct Shared {
    answer: Answer,
    queries: Vec<HashMap<String, String>>,
}

/// The running fake; stops when dropped.
pub struct FakeOpenMeteo {
    shared: Arc<Mutex<Shared>>,
    server: super::fake_server::FakeServer,
}

impl FakeOpenMeteo {
    pub async fn start(answer: Answer) -> FakeOpenMeteo {
        let shared = Arc::new(Mutex::new(Shared {
            answer,
            queries: Vec::new(),
        }));
        let app = Router::new()
            .route("/v1/forecast", get(forecast))
            .with_state(shared.clone());
        let server = super::fake_server::FakeServer::start(app, "fake Open-Meteo server").await;
        FakeOpenMeteo { shared, server }
    }

    pub fn base_url(&self) -> String {
        self.server.base_url()
    }

    /// Settings for this fake at [`LATITUDE`], [`LONGITUDE`].
    pub fn config(&self) -> WeatherConfig {
        WeatherConfig {
            base_url: self.base_url(),
            latitude: LATITUDE,
            longitude: LONGITUDE,
            connect_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(10),
        }
    }

    /// Answers `answer` from now on.
    pub fn answer(&self, answer: Answer) {
        self.shared.lock().unwrap().answer = answer;
    }

    /// The query parameters of every request so far, oldest first.
    pub fn queries(&self) -> Vec<HashMap<String, String>> {
        self.shared.lock().unwrap().queries.clone()
    }
}

/// Open-Meteo's answer for `days`, in its documented shape.
pub fn body(days: &[DayForecast], timezone: &str) -> Value {
    let column = |f: &dyn Fn(&DayForecast) -> Value| days.iter().map(f).collect::<Vec<_>>();
    json!({
        "latitude": LATITUDE,
        "longitude": LONGITUDE,
        "generationtime_ms": 0.1,
        "utc_offset_seconds": -18000,
        "timezone": timezone,
        "timezone_abbreviation": "EST",
        "elevation": 10.0,
        "daily_units": {
            "time": "iso8601",
            "temperature_2m_max": "°C",
            "temperature_2m_min": "°C",
            "precipitation_sum": "mm",
            "wind_gusts_10m_max": "km/h",
            "weather_code": "wmo code"
        },
        "daily": {
            "time": column(&|d| json!(d.date)),
            "temperature_2m_max": column(&|d| json!(d.max_c)),
            "temperature_2m_min": column(&|d| json!(d.min_c)),
            "precipitation_sum": column(&|d| json!(d.precipitation_mm)),
            "wind_gusts_10m_max": column(&|d| json!(d.gusts_kmh)),
            "weather_code": column(&|d| json!(d.weather_code)),
        }
    })
}

async fn forecast(
    State(shared): State<Arc<Mutex<Shared>>>,
    Query(query): Query<HashMap<String, String>>,
) -> Response {
    let timezone = query.get("timezone").cloned().unwrap_or_default();
    let answer = {
        let mut shared = shared.lock().unwrap();
        shared.queries.push(query);
        shared.answer.clone()
    };
    match answer {
        Answer::Days(days) => axum::Json(body(&days, &timezone)).into_response(),
        Answer::Status(status, body) => (
            StatusCode::from_u16(status).expect("scripted status"),
            axum::Json(body),
        )
            .into_response(),
    }
}
