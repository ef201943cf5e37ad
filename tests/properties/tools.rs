//! The JSON input the model gives each of the nine tools, decoded as the tool decodes it
//! before running.

use aim::aim::tools::{TOOL_NAMES, check_input};
use aim::untrusted;
use chrono::NaiveDate;
use proptest::prelude::*;
use serde_json::{Map, Value, json};
use uuid::Uuid;

use super::hostile_text;
use super::rest::json_value;

fn date() -> impl Strategy<Value = Value> {
    (1900i32..2200, 1u32..=12, 1u32..=31).prop_filter_map("a real day", |(y, m, d)| {
        NaiveDate::from_ymd_opt(y, m, d).map(|day| json!(day.to_string()))
    })
}

fn uuid() -> impl Strategy<Value = Value> {
    any::<u128>().prop_map(|id| json!(Uuid::from_u128(id).to_string()))
}

fn service() -> impl Strategy<Value = Value> {
    prop::sample::select(&["daycare", "boarding", "grooming", "training"][..]).prop_map(Value::from)
}

/// Text without NUL (which every tool refuses).
fn text() -> impl Strategy<Value = Value> {
    hostile_text().prop_map(|t| Value::from(t.replace('\0', "")))
}

/// A field of a tool's input: its name, whether it is required, and its valid values.
type Field = (&'static str, bool, BoxedStrategy<Value>);

fn fields(tool: &str) -> Vec<Field> {
    let limit = || (1u32..=50).prop_map(Value::from).boxed();
    match tool {
        "get_today_summary" => vec![],
        "search_customer" | "search_dog" => {
            vec![("query", true, text().boxed()), ("limit", false, limit())]
        }
        "check_schedule" => vec![
            ("start_date", true, date().boxed()),
            ("end_date", true, date().boxed()),
            ("service", false, service().boxed()),
        ],
        "get_staff_schedule" => vec![("date", true, date().boxed())],
        "create_booking" => vec![
            ("customer_id", true, uuid().boxed()),
            (
                "dog_ids",
                true,
                prop::collection::vec(uuid(), 1..4)
                    .prop_map(Value::from)
                    .boxed(),
            ),
            ("service", true, service().boxed()),
            ("start_date", true, date().boxed()),
            ("end_date", false, date().boxed()),
            ("notes", false, text().boxed()),
        ],
        "check_compliance" => vec![(
            "days_ahead",
            false,
            (0u32..=365).prop_map(Value::from).boxed(),
        )],
        "get_revenue_summary" => vec![
            ("start_date", true, date().boxed()),
            ("end_date", true, date().boxed()),
        ],
        "send_sms_to_customer" => vec![
            ("customer_id", true, uuid().boxed()),
            ("message", true, text().boxed()),
        ],
        other => panic!("no tool {other}"),
    }
}

/// A valid input of `tool`: every required field, each optional one or not.
fn valid_input(tool: &'static str) -> impl Strategy<Value = Value> {
    let fields: Vec<BoxedStrategy<Option<(&'static str, Value)>>> = fields(tool)
        .into_iter()
        .map(|(name, required, values)| {
            if required {
                values.prop_map(move |v| Some((name, v))).boxed()
            } else {
                prop::option::of(values.prop_map(move |v| (name, v))).boxed()
            }
        })
        .collect();
    fields.prop_map(|fields| {
        Value::Object(
            fields
                .into_iter()
                .flatten()
                .map(|(k, v)| (k.to_owned(), v))
                .collect::<Map<_, _>>(),
        )
    })
}

fn tool() -> impl Strategy<Value = &'static str> {
    prop::sample::select(TOOL_NAMES)
}

fn tool_and_input() -> impl Strategy<Value = (&'static str, Value)> {
    tool().prop_flat_map(|tool| valid_input(tool).prop_map(move |input| (tool, input)))
}

/// A value of the wrong kind for any field (numbers for text, text for numbers and dates).
fn wrong_value() -> impl Strategy<Value = Value> {
    prop_oneof![
        Just(json!({})),
        Just(json!([1, 2])),
        Just(json!(true)),
        Just(json!(-1.5)),
        Just(json!("2026-02-30")),
        Just(json!("not-a-uuid")),
        Just(json!("kennel")),
    ]
}

proptest! {
    #[test]
    fn a_valid_input_of_each_tool_reads_as_it_was_written((tool, input) in tool_and_input()) {
        prop_assert_eq!(check_input(tool, &input), Ok(input.clone()));
        untrusted::check_tool_input(tool, &input);
    }

    #[test]
    fn a_field_of_the_wrong_kind_is_refused_by_name(
        (tool, input) in tool_and_input(), pick in any::<prop::sample::Index>(), wrong in wrong_value(),
    ) {
        let fields = fields(tool);
        prop_assume!(!fields.is_empty());
        let (name, _, _) = &fields[pick.index(fields.len())];
        let mut input = input;
        input[*name] = wrong.clone();
        // Text fields take any string, and a date is a fine query or message.
        let takes_it = wrong.is_string() && matches!(*name, "query" | "notes" | "message");
        match check_input(tool, &input) {
            Ok(_) => prop_assert!(takes_it, "{} {}", tool, input),
            Err(err) => {
                prop_assert_eq!(err.code, "invalid_input");
                let field = err.field.unwrap_or_default();
                prop_assert!(field == *name || field.starts_with(&format!("{name}[")), "{} {}: {}", tool, input, field);
            }
        }
    }

    #[test]
    fn a_missing_required_field_or_an_unknown_one_is_refused_by_name(
        (tool, input) in tool_and_input(), pick in any::<prop::sample::Index>(), extra in "[a-z_]{1,12}",
    ) {
        let required: Vec<&str> = fields(tool).into_iter().filter(|f| f.1).map(|f| f.0).collect();
        if !required.is_empty() {
            let name = required[pick.index(required.len())];
            let mut missing = input.clone();
            missing.as_object_mut().unwrap().remove(name);
            let err = check_input(tool, &missing).unwrap_err();
            prop_assert_eq!(err.field.as_deref(), Some(name));
        }
        prop_assume!(!fields(tool).iter().any(|f| f.0 == extra));
        let mut unknown = input;
        unknown[&extra] = json!(1);
        let err = check_input(tool, &unknown).unwrap_err();
        prop_assert_eq!(err.field.as_deref(), Some(extra.as_str()));
    }

    #[test]
    fn a_nul_character_in_any_text_is_refused_by_name(
        (tool, input) in tool_and_input(), at in any::<prop::sample::Index>(),
    ) {
        let texts: Vec<&str> = ["query", "notes", "message"].into_iter().filter(|f| input.get(*f).is_some()).collect();
        prop_assume!(!texts.is_empty());
        let name = texts[at.index(texts.len())];
        let mut input = input;
        input[name] = json!(format!("{}\0", input[name].as_str().unwrap()));
        let err = check_input(tool, &input).unwrap_err();
        prop_assert_eq!(err.field.as_deref(), Some(name));
        prop_assert!(err.message.contains("NUL"), "{}", err.message);
    }

    #[test]
    fn arbitrary_json_is_read_or_refused_naming_a_field(
        tool in prop_oneof![tool(), Just("no_such_tool")], input in json_value(),
        bytes in prop::collection::vec(any::<u8>(), 0..128),
    ) {
        untrusted::check_tool_input(tool, &input);
        untrusted::tool_input(&bytes);
    }
}
