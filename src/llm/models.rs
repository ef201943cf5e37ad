//! Anthropic model ids that are retired or have a retirement date, so that start-up can say so
//! before the first chat fails with a bare `not_found_error`. Dates are Anthropic's published
//! retirement dates for the Claude API (docs: "Model deprecations").

use chrono::NaiveDate;

/// Model ids (dated ids and the aliases that pointed at them) that retire on one day.
struct Retirement {
    ids: &'static [&'static str],
    /// The first day requests to them fail.
    on: NaiveDate,
}

const fn date(year: i32, month: u32, day: u32) -> NaiveDate {
    match NaiveDate::from_ymd_opt(year, month, day) {
        Some(date) => date,
        None => panic!("a calendar date"),
    }
}

const RETIREMENTS: &[Retirement] = &[
    Retirement {
        ids: &[
            "claude-1",
            "claude-1.0",
            "claude-1.1",
            "claude-1.2",
            "claude-1.3",
            "claude-instant-1",
            "claude-instant-1.0",
            "claude-instant-1.1",
            "claude-instant-1.2",
        ],
        on: date(2024, 11, 6),
    },
    Retirement {
        ids: &[
            "claude-2",
            "claude-2.0",
            "claude-2.1",
            "claude-3-sonnet-20240229",
        ],
        on: date(2025, 7, 21),
    },
    Retirement {
        ids: &[
            "claude-3-5-sonnet-20240620",
            "claude-3-5-sonnet-20241022",
            "claude-3-5-sonnet-latest",
        ],
        on: date(2025, 10, 28),
    },
    Retirement {
        ids: &["claude-3-opus-20240229", "claude-3-opus-latest"],
        on: date(2026, 1, 5),
    },
    Retirement {
        ids: &["claude-3-7-sonnet-20250219", "claude-3-7-sonnet-latest"],
        on: date(2026, 2, 19),
    },
    Retirement {
        ids: &[
            "claude-sonnet-4-20250514",
            "claude-sonnet-4-0",
            "claude-opus-4-20250514",
            "claude-opus-4-0",
        ],
        on: date(2026, 6, 15),
    },
    Retirement {
        ids: &["claude-sonnet-4-5-20250929", "claude-sonnet-4-5"],
        on: date(2026, 11, 30),
    },
];

/// The day `model` is or was retired, when it is a known retiring model.
pub fn retirement_date(model: &str) -> Option<NaiveDate> {
    let model = model.trim();
    RETIREMENTS
        .iter()
        .find(|r| r.ids.contains(&model))
        .map(|r| r.on)
}

/// A warning for the start-up log when `model` is retired or retiring, as of `today`.
pub fn retirement_warning(model: &str, today: NaiveDate) -> Option<String> {
    let date = retirement_date(model)?;
    let day = date.format("%Y-%m-%d");
    Some(if today < date {
        format!(
            "model {model} will be retired on {day}, set AIM_MODEL to a current model (e.g. the default, claude-sonnet-5-5)"
        )
    } else {
        format!(
            "model {model} was retired on {day}; requests will fail. Set AIM_MODEL to a current model (e.g. the default, claude-sonnet-5-5)"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    #[test]
    fn the_seeds_model_warns_before_its_retirement() {
        let warning = retirement_warning("claude-sonnet-4-5-20250929", day(2026, 11, 25)).unwrap();
        assert!(
            warning.contains("will be retired on 2026-11-30"),
            "{warning}"
        );
        assert!(warning.contains("set AIM_MODEL"), "{warning}");
    }

    #[test]
    fn on_and_after_the_date_it_says_requests_will_fail() {
        for today in [day(2026, 11, 30), day(2027, 3, 1)] {
            let warning = retirement_warning("claude-sonnet-4-5-20250929", today).unwrap();
            assert!(
                warning.contains("was retired on 2026-11-30; requests will fail"),
                "{warning}"
            );
        }
    }

    #[test]
    fn long_retired_models_are_reported_as_retired() {
        let today = day(2026, 11, 25);
        for model in [
            "claude-2",
            "claude-instant-1",
            "claude-3-sonnet-20240229",
            "claude-3-opus-20240229",
            "claude-3-5-sonnet-20240620",
            "claude-3-5-sonnet-20241022",
        ] {
            let warning = retirement_warning(model, today).unwrap_or_default();
            assert!(warning.contains("was retired on"), "{model}: {warning}");
            assert!(
                retirement_date(model).unwrap() <= day(2026, 1, 5),
                "{model}"
            );
        }
    }

    #[test]
    fn current_and_unknown_models_get_no_warning() {
        let today = day(2026, 11, 25);
        for model in ["claude-sonnet-5-5", "claude-test", "llama3.1:8b", ""] {
            assert_eq!(retirement_warning(model, today), None, "{model}");
        }
    }
}
