//! The weather check: a client of an Open-Meteo-compatible forecast API and the pure check that
//! turns the next days' forecast into alert findings (heat, cold, storm, heavy rain) with advice
//! for a daycare. Off unless `AIM_WEATHER_URL` is set.
//!
//! The request is Open-Meteo's documented `GET /v1/forecast` with daily variables
//! (`temperature_2m_max`, `temperature_2m_min`, `precipitation_sum`, `wind_gusts_10m_max`,
//! `weather_code`) in the facility's time zone, so each forecast day is a facility date.
//! Units are Open-Meteo's defaults: °C, mm and km/h.

use std::time::Duration;

use chrono::NaiveDate;
use chrono_tz::Tz;
use reqwest::{StatusCode, Url};
use serde::Deserialize;
use serde_json::{Value, json};

use super::checks::Finding;
use crate::config::Config;
use crate::domain::{AlertSeverity, AlertType};

/// The daily variables asked for, in Open-Meteo's names.
pub const DAILY_VARIABLES: &str =
    "temperature_2m_max,temperature_2m_min,precipitation_sum,wind_gusts_10m_max,weather_code";

/// Days of forecast asked for: today and the two days after it.
pub const FORECAST_DAYS: u32 = 3;

/// WMO weather codes of a thunderstorm: 95 (slight or moderate), 96 and 99 (with hail).
pub const THUNDERSTORM_CODES: [u16; 3] = [95, 96, 99];

/// Where the forecast comes from and for which place.
#[derive(Clone, Debug, PartialEq)]
pub struct WeatherConfig {
    /// The API's base URL, e.g. `https://api.open-meteo.com` (the request goes to
    /// `{base_url}/v1/forecast`).
    pub base_url: String,
    /// The facility's position in decimal degrees.
    pub latitude: f64,
    pub longitude: f64,
    /// How long to wait for a connection…
    pub connect_timeout: Duration,
    /// …and for the whole answer.
    pub request_timeout: Duration,
}

impl WeatherConfig {
    /// The configured provider, or `None` (the check is off) when `AIM_WEATHER_URL` is unset.
    /// Validated configuration always has both coordinates with a URL.
    pub fn from_config(config: &Config) -> Option<WeatherConfig> {
        let base_url = config.weather_url.clone()?;
        Some(WeatherConfig {
            base_url,
            latitude: config.weather_latitude?,
            longitude: config.weather_longitude?,
            connect_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(10),
        })
    }

    /// The forecast request for a facility in `timezone`.
    pub fn forecast_url(&self, timezone: Tz) -> Result<Url, WeatherError> {
        let base = format!("{}/v1/forecast", self.base_url.trim_end_matches('/'));
        Url::parse_with_params(
            &base,
            [
                ("latitude", self.latitude.to_string()),
                ("longitude", self.longitude.to_string()),
                ("daily", DAILY_VARIABLES.to_owned()),
                ("timezone", timezone.name().to_owned()),
                ("forecast_days", FORECAST_DAYS.to_string()),
            ],
        )
        .map_err(|err| WeatherError::BadUrl(format!("`{base}`: {err}")))
    }
}

/// One day of forecast. Open-Meteo gives `null` for a value it does not have.
#[derive(Clone, Debug, PartialEq)]
pub struct DayForecast {
    /// The facility's local date.
    pub date: NaiveDate,
    /// Highest and lowest air temperature at 2 m, °C.
    pub max_c: Option<f64>,
    pub min_c: Option<f64>,
    /// Rain, showers and snow over the day, mm.
    pub precipitation_mm: Option<f64>,
    /// Strongest wind gust at 10 m, km/h.
    pub gusts_kmh: Option<f64>,
    /// The day's most severe WMO weather code.
    pub weather_code: Option<u16>,
}

/// Why no forecast was had.
#[derive(Debug, thiserror::Error)]
pub enum WeatherError {
    /// The configured base URL does not make a request URL.
    #[error("AIM_WEATHER_URL is not a usable URL: {0}")]
    BadUrl(String),
    /// No answer: refused, reset, DNS, or too slow.
    #[error("the weather service could not be reached: {0}")]
    Unreachable(String),
    /// An answer other than 2xx (Open-Meteo explains a 400 in `reason`).
    #[error("the weather service answered {status}{}", .reason.as_ref().map(|r| format!(": {r}")).unwrap_or_default())]
    Status {
        status: StatusCode,
        reason: Option<String>,
    },
    /// A 2xx whose body is not a daily forecast.
    #[error("the weather service's answer is not a daily forecast: {0}")]
    Malformed(String),
}

/// An Open-Meteo-compatible forecast API for one place.
#[derive(Clone, Debug)]
pub struct WeatherClient {
    config: WeatherConfig,
    client: reqwest::Client,
}

impl WeatherClient {
    pub fn new(config: WeatherConfig) -> WeatherClient {
        let client = crate::http::client(config.connect_timeout, config.request_timeout);
        WeatherClient { config, client }
    }

    pub fn config(&self) -> &WeatherConfig {
        &self.config
    }

    /// The daily forecast for today and the next days, dated in `timezone`.
    pub async fn forecast(&self, timezone: Tz) -> Result<Vec<DayForecast>, WeatherError> {
        let url = self.config.forecast_url(timezone)?;
        let response = self
            .client
            .get(url)
            .send()
            .await
            .map_err(|err| self.transport_error(&err))?;
        let status = response.status();
        let bytes = response
            .bytes()
            .await
            .map_err(|err| self.transport_error(&err))?;
        if !status.is_success() {
            let reason = serde_json::from_slice::<Value>(&bytes)
                .ok()
                .and_then(|body| body.get("reason")?.as_str().map(str::to_owned))
                .map(|r| r.trim().to_owned())
                .filter(|r| !r.is_empty());
            return Err(WeatherError::Status { status, reason });
        }
        parse_forecast(&bytes)
    }

    fn transport_error(&self, err: &reqwest::Error) -> WeatherError {
        if err.is_timeout() {
            return WeatherError::Unreachable(format!(
                "no answer within {} seconds",
                self.config.request_timeout.as_secs_f64()
            ));
        }
        let mut text = String::from("request failed");
        let mut source = std::error::Error::source(err);
        while let Some(cause) = source {
            text.push_str(": ");
            text.push_str(&cause.to_string());
            source = cause.source();
        }
        WeatherError::Unreachable(text)
    }
}

#[derive(Deserialize)]
struct ForecastBody {
    daily: Daily,
}

/// Open-Meteo's `daily` block: one array per variable, parallel to `time`. A variable the
/// server does not know may be left out (its values are then unknown).
#[derive(Deserialize)]
struct Daily {
    time: Vec<NaiveDate>,
    #[serde(default)]
    temperature_2m_max: Option<Vec<Option<f64>>>,
    #[serde(default)]
    temperature_2m_min: Option<Vec<Option<f64>>>,
    #[serde(default)]
    precipitation_sum: Option<Vec<Option<f64>>>,
    #[serde(default)]
    wind_gusts_10m_max: Option<Vec<Option<f64>>>,
    #[serde(default)]
    weather_code: Option<Vec<Option<u16>>>,
}

/// Reads Open-Meteo's JSON answer into one [`DayForecast`] per date.
pub fn parse_forecast(bytes: &[u8]) -> Result<Vec<DayForecast>, WeatherError> {
    let de = &mut serde_json::Deserializer::from_slice(bytes);
    let body: ForecastBody = serde_path_to_error::deserialize(de)
        .map_err(|err| WeatherError::Malformed(err.to_string()))?;
    let daily = body.daily;
    let days = daily.time.len();
    fn column<T: Copy>(
        name: &str,
        values: Option<Vec<Option<T>>>,
        days: usize,
    ) -> Result<Vec<Option<T>>, WeatherError> {
        match values {
            None => Ok(vec![None; days]),
            Some(v) if v.len() == days => Ok(v),
            Some(v) => Err(WeatherError::Malformed(format!(
                "daily.{name} has {} values for {days} days",
                v.len()
            ))),
        }
    }
    let max = column("temperature_2m_max", daily.temperature_2m_max, days)?;
    let min = column("temperature_2m_min", daily.temperature_2m_min, days)?;
    let rain = column("precipitation_sum", daily.precipitation_sum, days)?;
    let gusts = column("wind_gusts_10m_max", daily.wind_gusts_10m_max, days)?;
    let codes = column("weather_code", daily.weather_code, days)?;
    Ok(daily
        .time
        .into_iter()
        .enumerate()
        .map(|(i, date)| DayForecast {
            date,
            max_c: max[i],
            min_c: min[i],
            precipitation_mm: rain[i],
            gusts_kmh: gusts[i],
            weather_code: codes[i],
        })
        .collect())
}

/// The limits of the weather check. Temperatures in °C, gusts in km/h, rain in mm a day.
#[derive(Clone, Debug, PartialEq)]
pub struct WeatherThresholds {
    /// A day's high at or above this is a heat warning (dogs overheat in outdoor play)…
    pub heat_warning_c: f64,
    /// …and at or above this, critical.
    pub heat_critical_c: f64,
    /// A day's low at or below this is a cold warning…
    pub cold_warning_c: f64,
    /// …and at or below this, critical.
    pub cold_critical_c: f64,
    /// Weather codes that mean a thunderstorm: a storm warning.
    pub thunderstorm_codes: Vec<u16>,
    /// Gusts at or above this are a storm warning…
    pub gust_warning_kmh: f64,
    /// …and at or above this, critical.
    pub gust_critical_kmh: f64,
    /// Precipitation at or above this is heavy rain (info).
    pub heavy_rain_mm: f64,
}

impl Default for WeatherThresholds {
    fn default() -> Self {
        WeatherThresholds {
            heat_warning_c: 30.0,
            heat_critical_c: 35.0,
            cold_warning_c: 0.0,
            cold_critical_c: -10.0,
            thunderstorm_codes: THUNDERSTORM_CODES.to_vec(),
            gust_warning_kmh: 75.0,
            gust_critical_kmh: 100.0,
            heavy_rain_mm: 20.0,
        }
    }
}

/// `Friday 2026-11-27`.
fn day_name(date: NaiveDate) -> String {
    format!("{} {date}", date.format("%A"))
}

/// A number as people write it: `33`, `33.5`, `-10`.
fn num(x: f64) -> String {
    // `+ 0.0` turns -0 (a low of -0.04 °C) into 0.
    let rounded = (x * 10.0).round() / 10.0 + 0.0;
    if rounded == rounded.trunc() {
        format!("{rounded:.0}")
    } else {
        format!("{rounded:.1}")
    }
}

fn weather_finding(
    date: NaiveDate,
    hazard: &str,
    severity: AlertSeverity,
    title: String,
    description: String,
    facts: Value,
) -> Finding {
    let key = format!("{date}/{hazard}");
    let mut data = json!({ "key": key, "date": date, "hazard": hazard });
    if let (Some(map), Value::Object(facts)) = (data.as_object_mut(), facts) {
        map.extend(facts);
    }
    Finding {
        kind: AlertType::Weather,
        severity,
        key,
        title,
        description,
        data,
    }
}

/// Each forecast day's hazards, one finding per day and hazard (key `<date>/<hazard>`):
/// - `heat`: high ≥ `heat_warning_c` (30 °C) a warning, ≥ `heat_critical_c` (35 °C) critical;
/// - `cold`: low ≤ `cold_warning_c` (0 °C) a warning, ≤ `cold_critical_c` (-10 °C) critical;
/// - `storm`: a thunderstorm code (95, 96, 99) or gusts ≥ `gust_warning_kmh` (75 km/h) a
///   warning, gusts ≥ `gust_critical_kmh` (100 km/h) critical;
/// - `rain`: precipitation ≥ `heavy_rain_mm` (20 mm) info.
///
/// A value the forecast does not have raises nothing.
pub fn weather(forecast: &[DayForecast], th: &WeatherThresholds) -> Vec<Finding> {
    let mut found = Vec::new();
    for day in forecast {
        let date = day.date;
        let name = day_name(date);
        if let Some(max) = day.max_c.filter(|&t| t >= th.heat_warning_c) {
            let critical = max >= th.heat_critical_c;
            let severity = if critical {
                AlertSeverity::Critical
            } else {
                AlertSeverity::Warning
            };
            let advice = if critical {
                "Dogs overheat fast in this heat: keep outdoor play to short spells in the cool \
                 early morning, keep dogs indoors in the afternoon, and watch flat-faced breeds, \
                 seniors and puppies for heavy panting. Plenty of water and shade everywhere."
            } else {
                "Shorten outdoor play and move it to the morning, keep water bowls full and \
                 shade available, and watch for heavy panting."
            };
            found.push(weather_finding(
                date,
                "heat",
                severity,
                format!("Heat on {name}: up to {} °C", num(max)),
                format!("The forecast high on {name} is {} °C. {advice}", num(max)),
                json!({
                    "maxC": max,
                    "warningC": th.heat_warning_c,
                    "criticalC": th.heat_critical_c,
                }),
            ));
        }
        if let Some(min) = day.min_c.filter(|&t| t <= th.cold_warning_c) {
            let critical = min <= th.cold_critical_c;
            let severity = if critical {
                AlertSeverity::Critical
            } else {
                AlertSeverity::Warning
            };
            let advice = if critical {
                "Keep outdoor time to short potty breaks, coat short-haired and small dogs, \
                 check paws for ice and salt, and keep the play rooms warm."
            } else {
                "Watch for ice in the yard, keep outdoor play short for small and short-haired \
                 dogs, and wipe paws when they come in."
            };
            found.push(weather_finding(
                date,
                "cold",
                severity,
                format!("Cold on {name}: down to {} °C", num(min)),
                format!("The forecast low on {name} is {} °C. {advice}", num(min)),
                json!({
                    "minC": min,
                    "warningC": th.cold_warning_c,
                    "criticalC": th.cold_critical_c,
                }),
            ));
        }
        let thunder = day
            .weather_code
            .filter(|c| th.thunderstorm_codes.contains(c));
        let gusts = day.gusts_kmh.filter(|&g| g >= th.gust_warning_kmh);
        if thunder.is_some() || gusts.is_some() {
            let critical = gusts.is_some_and(|g| g >= th.gust_critical_kmh);
            let severity = if critical {
                AlertSeverity::Critical
            } else {
                AlertSeverity::Warning
            };
            let what = match (thunder, gusts) {
                (Some(_), Some(g)) => format!("thunderstorm and gusts of {} km/h", num(g)),
                (Some(_), None) => "thunderstorm".to_owned(),
                (None, Some(g)) => format!("gusts of {} km/h", num(g)),
                (None, None) => unreachable!("one of them is present"),
            };
            let mut advice = String::new();
            if thunder.is_some() {
                advice.push_str(
                    "Keep dogs indoors while the storm passes and give noise-anxious dogs a \
                     quiet room. ",
                );
            }
            if gusts.is_some() {
                advice.push_str(
                    "Bring the dogs in when the wind picks up, and secure or stow loose yard \
                     equipment, shades and gates. ",
                );
            }
            advice.push_str("Tell owners about pick-up delays if roads are affected.");
            found.push(weather_finding(
                date,
                "storm",
                severity,
                format!("Storm on {name}: {what}"),
                format!("The forecast for {name} has {what}. {advice}"),
                json!({
                    "weatherCode": day.weather_code,
                    "thunderstorm": thunder.is_some(),
                    "gustsKmh": day.gusts_kmh,
                    "thunderstormCodes": th.thunderstorm_codes,
                    "gustWarningKmh": th.gust_warning_kmh,
                    "gustCriticalKmh": th.gust_critical_kmh,
                }),
            ));
        }
        if let Some(mm) = day.precipitation_mm.filter(|&mm| mm >= th.heavy_rain_mm) {
            found.push(weather_finding(
                date,
                "rain",
                AlertSeverity::Info,
                format!("Heavy rain on {name}: {} mm", num(mm)),
                format!(
                    "{} mm of rain are forecast on {name}. Plan indoor play, have towels ready \
                     at the door, and check the yard for standing water.",
                    num(mm)
                ),
                json!({
                    "precipitationMm": mm,
                    "heavyRainMm": th.heavy_rain_mm,
                }),
            ));
        }
    }
    found
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 27).unwrap()
    }

    /// A mild day: nothing to say.
    fn mild() -> DayForecast {
        DayForecast {
            date: date(),
            max_c: Some(18.0),
            min_c: Some(8.0),
            precipitation_mm: Some(0.0),
            gusts_kmh: Some(20.0),
            weather_code: Some(3),
        }
    }

    fn check(day: DayForecast) -> Vec<(String, AlertSeverity)> {
        weather(&[day], &WeatherThresholds::default())
            .into_iter()
            .map(|f| (f.key, f.severity))
            .collect()
    }

    fn one(hazard: &str, severity: AlertSeverity) -> Vec<(String, AlertSeverity)> {
        vec![(format!("2026-11-27/{hazard}"), severity)]
    }

    #[test]
    fn a_mild_day_or_an_unknown_one_raises_nothing() {
        assert!(check(mild()).is_empty());
        let unknown = DayForecast {
            max_c: None,
            min_c: None,
            precipitation_mm: None,
            gusts_kmh: None,
            weather_code: None,
            ..mild()
        };
        assert!(check(unknown).is_empty());
        assert!(weather(&[], &WeatherThresholds::default()).is_empty());
    }

    #[test]
    fn heat_is_a_warning_from_30_and_critical_from_35() {
        let hot = |t| DayForecast {
            max_c: Some(t),
            ..mild()
        };
        assert!(check(hot(29.9)).is_empty());
        assert_eq!(check(hot(30.0)), one("heat", AlertSeverity::Warning));
        assert_eq!(check(hot(34.9)), one("heat", AlertSeverity::Warning));
        assert_eq!(check(hot(35.0)), one("heat", AlertSeverity::Critical));
        let found = weather(&[hot(33.0)], &WeatherThresholds::default());
        let f = &found[0];
        assert_eq!(f.kind, AlertType::Weather);
        assert_eq!(f.title, "Heat on Friday 2026-11-27: up to 33 °C");
        assert!(f.description.contains("water"), "{}", f.description);
        assert!(f.description.contains("shade"), "{}", f.description);
        assert!(f.description.contains("Shorten outdoor play"));
        assert_eq!(f.data["key"], "2026-11-27/heat");
        assert_eq!(f.data["date"], "2026-11-27");
        assert_eq!(f.data["hazard"], "heat");
        assert_eq!(f.data["maxC"], 33.0);
        assert_eq!(f.data["warningC"], 30.0);
        assert_eq!(f.data["criticalC"], 35.0);
    }

    #[test]
    fn cold_is_a_warning_from_0_and_critical_from_minus_10() {
        let cold = |t| DayForecast {
            min_c: Some(t),
            ..mild()
        };
        assert!(check(cold(0.1)).is_empty());
        assert_eq!(check(cold(0.0)), one("cold", AlertSeverity::Warning));
        assert_eq!(check(cold(-9.9)), one("cold", AlertSeverity::Warning));
        assert_eq!(check(cold(-10.0)), one("cold", AlertSeverity::Critical));
        let found = weather(&[cold(-12.5)], &WeatherThresholds::default());
        assert_eq!(
            found[0].title,
            "Cold on Friday 2026-11-27: down to -12.5 °C"
        );
        assert_eq!(found[0].data["minC"], -12.5);
        assert_eq!(found[0].data["criticalC"], -10.0);
        let found = weather(&[cold(-0.04)], &WeatherThresholds::default());
        assert_eq!(found[0].title, "Cold on Friday 2026-11-27: down to 0 °C");
    }

    #[test]
    fn thunderstorm_codes_are_storm_warnings() {
        let code = |c| DayForecast {
            weather_code: Some(c),
            ..mild()
        };
        for c in [95, 96, 99] {
            assert_eq!(check(code(c)), one("storm", AlertSeverity::Warning), "{c}");
        }
        for c in [0, 3, 61, 65, 82, 94, 97, 98] {
            assert!(check(code(c)).is_empty(), "{c}");
        }
        let found = weather(&[code(95)], &WeatherThresholds::default());
        assert_eq!(found[0].title, "Storm on Friday 2026-11-27: thunderstorm");
        assert!(
            found[0].description.contains("indoors"),
            "{}",
            found[0].description
        );
        assert_eq!(found[0].data["thunderstorm"], true);
        assert_eq!(found[0].data["weatherCode"], 95);
    }

    #[test]
    fn gusts_are_a_storm_warning_from_75_and_critical_from_100() {
        let gusts = |g| DayForecast {
            gusts_kmh: Some(g),
            ..mild()
        };
        assert!(check(gusts(74.9)).is_empty());
        assert_eq!(check(gusts(75.0)), one("storm", AlertSeverity::Warning));
        assert_eq!(check(gusts(99.9)), one("storm", AlertSeverity::Warning));
        assert_eq!(check(gusts(100.0)), one("storm", AlertSeverity::Critical));
        // A thunderstorm with strong gusts is one storm, as bad as its worst part.
        let both = DayForecast {
            weather_code: Some(99),
            ..gusts(104.3)
        };
        let found = weather(&[both], &WeatherThresholds::default());
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].severity, AlertSeverity::Critical);
        assert_eq!(
            found[0].title,
            "Storm on Friday 2026-11-27: thunderstorm and gusts of 104.3 km/h"
        );
        assert_eq!(found[0].data["gustsKmh"], 104.3);
        assert_eq!(found[0].data["gustCriticalKmh"], 100.0);
    }

    #[test]
    fn heavy_rain_from_20_mm_is_info() {
        let rain = |mm| DayForecast {
            precipitation_mm: Some(mm),
            ..mild()
        };
        assert!(check(rain(19.9)).is_empty());
        assert_eq!(check(rain(20.0)), one("rain", AlertSeverity::Info));
        let found = weather(&[rain(42.0)], &WeatherThresholds::default());
        assert_eq!(found[0].title, "Heavy rain on Friday 2026-11-27: 42 mm");
        assert_eq!(found[0].data["precipitationMm"], 42.0);
        assert_eq!(found[0].data["heavyRainMm"], 20.0);
    }

    #[test]
    fn one_finding_per_day_and_hazard() {
        let wild = DayForecast {
            max_c: Some(36.0),
            min_c: Some(-1.0),
            precipitation_mm: Some(25.0),
            gusts_kmh: Some(80.0),
            weather_code: Some(96),
            ..mild()
        };
        let next = DayForecast {
            date: date().succ_opt().unwrap(),
            max_c: Some(31.0),
            ..mild()
        };
        let found: Vec<String> = weather(&[wild, next], &WeatherThresholds::default())
            .into_iter()
            .map(|f| f.key)
            .collect();
        assert_eq!(
            found,
            [
                "2026-11-27/heat",
                "2026-11-27/cold",
                "2026-11-27/storm",
                "2026-11-27/rain",
                "2026-11-28/heat"
            ]
        );
    }

    #[test]
    fn open_meteo_answers_parse_with_nulls_and_mismatches_are_refused() {
        let body = br#"{
            "latitude": 40.71, "longitude": -74.01, "timezone": "America/New_York",
            "daily_units": {"time": "iso8601", "temperature_2m_max": "\u00b0C"},
            "daily": {
                "time": ["2026-11-25", "2026-11-26"],
                "temperature_2m_max": [12.3, null],
                "temperature_2m_min": [1.5, -2.0],
                "precipitation_sum": [0.0, 21.4],
                "wind_gusts_10m_max": [30.2, 80.0],
                "weather_code": [3, 95]
            }
        }"#;
        let days = parse_forecast(body).unwrap();
        assert_eq!(days.len(), 2);
        assert_eq!(days[0].date, NaiveDate::from_ymd_opt(2026, 11, 25).unwrap());
        assert_eq!(days[0].max_c, Some(12.3));
        assert_eq!(days[1].max_c, None);
        assert_eq!(days[1].weather_code, Some(95));
        assert_eq!(days[1].precipitation_mm, Some(21.4));

        let short =
            br#"{"daily": {"time": ["2026-11-25", "2026-11-26"], "temperature_2m_max": [1.0]}}"#;
        let err = parse_forecast(short).unwrap_err().to_string();
        assert!(
            err.contains("temperature_2m_max has 1 values for 2 days"),
            "{err}"
        );
        let err = parse_forecast(br#"{"hourly": {}}"#).unwrap_err();
        assert!(matches!(err, WeatherError::Malformed(_)), "{err}");
        let err = parse_forecast(br#"{"daily": {"time": ["tomorrow"]}}"#)
            .unwrap_err()
            .to_string();
        assert!(err.contains("daily.time"), "{err}");
        assert!(parse_forecast(b"<html>").is_err());
    }

    #[test]
    fn the_request_names_the_place_the_variables_and_the_facility_time_zone() {
        let config = WeatherConfig {
            base_url: "https://api.open-meteo.com/".to_owned(),
            latitude: 40.71,
            longitude: -74.01,
            connect_timeout: Duration::from_secs(5),
            request_timeout: Duration::from_secs(10),
        };
        let url = config.forecast_url(chrono_tz::America::New_York).unwrap();
        assert_eq!(
            url.as_str(),
            "https://api.open-meteo.com/v1/forecast?latitude=40.71&longitude=-74.01\
             &daily=temperature_2m_max%2Ctemperature_2m_min%2Cprecipitation_sum%2Cwind_gusts_10m_max%2Cweather_code\
             &timezone=America%2FNew_York&forecast_days=3"
        );
    }
}
