//! Scalars of the schema beyond GraphQL's own and async-graphql's (`DateTime`, `JSON`).

use async_graphql::{InputValueError, InputValueResult, Scalar, ScalarType, Value};
use chrono::NaiveDate;

/// A calendar date of the facility (its time zone), `YYYY-MM-DD`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Date(pub NaiveDate);

/// A calendar date in the facility's time zone, written `YYYY-MM-DD`.
#[Scalar(name = "Date")]
impl ScalarType for Date {
    fn parse(value: Value) -> InputValueResult<Self> {
        let Value::String(text) = &value else {
            return Err(InputValueError::expected_type(value));
        };
        // Four-digit years only: date arithmetic near chrono's limits would overflow.
        match NaiveDate::parse_from_str(text, "%Y-%m-%d") {
            Ok(date) if text.len() == 10 => Ok(Date(date)),
            _ => Err(InputValueError::custom(format!(
                "`{text}` is not a date in the form YYYY-MM-DD"
            ))),
        }
    }

    fn to_value(&self) -> Value {
        Value::String(self.0.format("%Y-%m-%d").to_string())
    }
}

impl From<NaiveDate> for Date {
    fn from(date: NaiveDate) -> Self {
        Date(date)
    }
}
