//! The tools AIM offers the model, as one registry: each tool is a type ([`catalog`]) whose
//! input derives its JSON Schema, so the definition the model sees (and `aim schema --tools`
//! prints) and the struct that parses the model's input cannot drift apart.
//!
//! A tool never fails the turn: bad input, a refusal of the facility (capacity full, not a
//! manager) or an internal error all come back to the model as an error result it can explain.
//! Results are JSON objects, cut to a size budget with a note of what was left out.

pub mod catalog;

use std::collections::BTreeMap;
use std::future::Future;
use std::sync::{Arc, OnceLock};

use chrono::{DateTime, Utc};
use schemars::JsonSchema;
use schemars::generate::SchemaSettings;
use schemars::transform::{RecursiveTransform, Transform};
use serde::de::DeserializeOwned;
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};

use crate::config::WriteTools;
use crate::domain::{ActionId, ActionTool, Actor, AuditChannel};
use crate::facility::bookings::{BookingRequest, CreatedBookings};
use crate::facility::dashboard::TodaySummary;
use crate::facility::sms::SmsPreview;
use crate::facility::{Facility, FacilityError};
use crate::llm::ToolDefinition;
pub use catalog::DATA_NOTICE;
use catalog::{
    CheckCompliance, CheckSchedule, CreateBooking, GetRevenueSummary, GetStaffSchedule,
    GetTodaySummary, SearchCustomer, SearchDog, SendSmsToCustomer,
};

/// Largest result sent to the model, in characters of JSON.
pub const MAX_RESULT_CHARS: usize = 20_000;

/// A tool the model can call. The implementing type is the tool's input: its doc comment is
/// the tool's description, and its derived JSON Schema the tool's input schema.
pub trait Tool: DeserializeOwned + Serialize + JsonSchema + Send + Sync {
    /// The name the model calls it by.
    const NAME: &'static str;
    /// The action it proposes when writes wait for confirmation; `None` for a tool that only
    /// reads.
    const ACTION: Option<ActionTool> = None;
    /// Whether it reaches outside the facility (a text to a customer's phone).
    const OPEN_WORLD: bool = false;
    /// What it answers, serialized for the model, and read back from the same JSON by the
    /// offline provider.
    type Output: Serialize + DeserializeOwned + Proposes + Send;

    fn run(
        &self,
        ctx: ToolContext<'_>,
    ) -> impl Future<Output = Result<Self::Output, ToolError>> + Send;
}

/// Whether a tool's output is a proposal awaiting confirmation, and if so its id and summary.
pub trait Proposes {
    fn proposal(&self) -> Option<(ActionId, &str)> {
        None
    }
}

/// A write tool: performed at once (`AIM_WRITE_TOOLS=auto`), or checked and proposed for a
/// staff member to confirm (`confirm`).
pub trait WriteTool: Tool {
    type Done: Serialize + Send;
    type Preview: Serialize + Send;

    /// Performs the write: books, or sends the text.
    fn execute(
        &self,
        ctx: ToolContext<'_>,
    ) -> impl Future<Output = Result<Self::Done, ToolError>> + Send;

    /// Checks the write as if performing it, and says what it would do.
    fn propose(
        &self,
        ctx: ToolContext<'_>,
    ) -> impl Future<Output = Result<(String, Self::Preview), ToolError>> + Send;
}

/// What a write tool answers: done, or proposed. Read back, a proposal is recognised by its
/// `status` (`pending_confirmation`), so it is tried first.
#[derive(Debug, Deserialize, Serialize)]
#[serde(untagged)]
pub enum Written<Done, Preview> {
    Proposed(Proposal<Preview>),
    Done(Done),
}

/// A write waiting for a staff member's confirmation, as the model reads it.
#[derive(Debug, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Proposal<Preview> {
    pub status: PendingConfirmation,
    pub action_id: ActionId,
    pub summary: String,
    pub preview: Preview,
    pub note: String,
}

/// The status of a proposal.
#[derive(Clone, Copy, Debug, Deserialize, Serialize, PartialEq, Eq)]
#[serde(rename_all = "snake_case")]
pub enum PendingConfirmation {
    PendingConfirmation,
}

impl<D, P> Proposes for Written<D, P> {
    fn proposal(&self) -> Option<(ActionId, &str)> {
        match self {
            Written::Proposed(p) => Some((p.action_id, &p.summary)),
            Written::Done(_) => None,
        }
    }
}

macro_rules! no_proposal {
    ($($t:ty),+) => { $(impl Proposes for $t {})+ };
}
no_proposal!(
    TodaySummary,
    catalog::CustomerSearch,
    catalog::DogSearch,
    catalog::ScheduleResult,
    crate::facility::staffing::StaffDay,
    crate::facility::compliance::ComplianceReport,
    crate::facility::revenue::RevenueSummary
);

async fn write<T: WriteTool>(
    tool: &T,
    ctx: ToolContext<'_>,
) -> Result<Written<T::Done, T::Preview>, ToolError> {
    match ctx.writes {
        WriteTools::Auto => tool.execute(ctx).await.map(Written::Done),
        WriteTools::Confirm => {
            let (summary, preview) = tool.propose(ctx).await?;
            Ok(Written::Proposed(Proposal {
                status: PendingConfirmation::PendingConfirmation,
                action_id: ActionId::new(),
                summary,
                preview,
                note: "Nothing has been done yet. The staff member must confirm this action in \
                       AIM before it happens; tell them what you prepared and that it awaits \
                       their confirmation."
                    .to_owned(),
            }))
        }
    }
}

/// The registry: every tool, in the order they are offered. Adding a tool is adding its type
/// here.
macro_rules! registry {
    ($($tool:ty),+ $(,)?) => {
        /// The names of the tools, in the order they are offered.
        pub const TOOL_NAMES: &[&str] = &[$(<$tool as Tool>::NAME),+];

        fn build_definitions() -> Vec<ToolDefinition> {
            vec![$(definition::<$tool>()),+]
        }

        /// Checks the input the model gave tool `name` as the tool would before running, and
        /// answers it as the tool reads it (absent optional fields left out), or the error the
        /// model is sent.
        pub fn check_input(name: &str, input: &Value) -> Result<Value, ToolError> {
            match name {
                $(<$tool as Tool>::NAME => decode::<$tool>(input).map(|x| to_json(&x)),)+
                other => Err(unknown_tool(other)),
            }
        }

        /// Runs the tool `name` with `input`.
        pub async fn execute(ctx: ToolContext<'_>, name: &str, input: &Value) -> ToolOutcome {
            match name {
                $(<$tool as Tool>::NAME => run::<$tool>(ctx, input).await,)+
                other => ToolOutcome::error(unknown_tool(other)),
            }
        }

        /// Whether the tool `name` changes the facility (or proposes to).
        pub fn writes(name: &str) -> bool {
            match name {
                $(<$tool as Tool>::NAME => <$tool as Tool>::ACTION.is_some(),)+
                _ => false,
            }
        }
    };
}

registry!(
    GetTodaySummary,
    SearchCustomer,
    SearchDog,
    CheckSchedule,
    GetStaffSchedule,
    CreateBooking,
    CheckCompliance,
    GetRevenueSummary,
    SendSmsToCustomer,
);

/// The tool definitions sent to the model, built once.
pub fn definitions() -> Arc<[ToolDefinition]> {
    static DEFINITIONS: OnceLock<Arc<[ToolDefinition]>> = OnceLock::new();
    DEFINITIONS
        .get_or_init(|| build_definitions().into())
        .clone()
}

/// The definition of tool `T`: its name, the description from its doc comment, and the JSON
/// Schema of its input, inlined (no `$ref`s) as the model reads it best.
fn definition<T: Tool>() -> ToolDefinition {
    let mut settings = SchemaSettings::draft2020_12();
    settings.inline_subschemas = true;
    settings.meta_schema = None;
    let generator = settings.into_generator();
    let mut schema = generator.into_root_schema_for::<T>();
    RecursiveTransform(tidy).transform(&mut schema);
    let mut schema = schema.to_value();
    let object = schema.as_object_mut().expect("a tool's input is an object");
    object.remove("title");
    let description = match object.remove("description") {
        Some(Value::String(text)) => text,
        _ => panic!("tool {} has no doc comment to describe it", T::NAME),
    };
    // An optional field is left out rather than sent as `null` (which serde would accept too).
    let required: Vec<Value> = match object.get("required") {
        Some(Value::Array(names)) => names.clone(),
        _ => Vec::new(),
    };
    if let Some(Value::Object(properties)) = object.get_mut("properties") {
        for (name, property) in properties.iter_mut() {
            if !required.contains(&Value::String(name.clone())) {
                drop_null(property);
            }
        }
    }
    ToolDefinition {
        name: T::NAME,
        description,
        input_schema: schema,
    }
}

/// Tidies a generated schema for the model: doc-comment lines joined into paragraphs, and no
/// integer widths (`uint32` is Rust's business, not a format the model knows).
fn tidy(schema: &mut schemars::Schema) {
    if let Some(Value::String(text)) = schema.get_mut("description") {
        *text = text
            .split("\n\n")
            .map(|paragraph| paragraph.split_whitespace().collect::<Vec<_>>().join(" "))
            .collect::<Vec<_>>()
            .join("\n\n");
    }
    let integer = match schema.get("type") {
        Some(Value::String(kind)) => kind == "integer",
        Some(Value::Array(kinds)) => kinds.iter().any(|k| k == "integer"),
        _ => false,
    };
    if integer {
        schema.remove("format");
    }
}

/// Removes `null` from a property's `type` and `enum`.
fn drop_null(property: &mut Value) {
    if let Some(Value::Array(kinds)) = property.get_mut("type") {
        kinds.retain(|k| k != "null");
        if let [kind] = kinds.as_slice() {
            property["type"] = kind.clone();
        }
    }
    if let Some(Value::Array(values)) = property.get_mut("enum") {
        values.retain(|v| !v.is_null());
    }
}

async fn run<T: Tool>(ctx: ToolContext<'_>, input: &Value) -> ToolOutcome {
    let tool = match decode::<T>(input) {
        Ok(tool) => tool,
        Err(err) => return ToolOutcome::error(err),
    };
    match tool.run(ctx).await {
        Ok(output) => {
            let proposed = output.proposal().map(|(id, summary)| ProposedAction {
                id,
                tool: T::ACTION.expect("only write tools propose"),
                input: to_json(&tool),
                summary: summary.to_owned(),
            });
            ToolOutcome {
                proposed,
                ..ToolOutcome::ok(to_json(&output))
            }
        }
        Err(err) => ToolOutcome::error(err),
    }
}

/// Performs a write tool's effect: books, or sends the text. Used by the confirmation of a
/// proposed action.
pub async fn execute_write(
    ctx: ToolContext<'_>,
    tool: ActionTool,
    input: &Value,
) -> Result<Value, ToolError> {
    async fn perform<T: WriteTool>(
        ctx: ToolContext<'_>,
        input: &Value,
    ) -> Result<Value, ToolError> {
        let tool: T = decode(input)?;
        Ok(to_json(&tool.execute(ctx).await?))
    }
    match tool {
        ActionTool::CreateBooking => perform::<CreateBooking>(ctx, input).await,
        ActionTool::SendSmsToCustomer => perform::<SendSmsToCustomer>(ctx, input).await,
    }
}

fn to_json(value: &impl Serialize) -> Value {
    serde_json::to_value(value).expect("tool inputs and results serialize to JSON")
}

/// Why a tool call produced no result, as the model reads it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct ToolError {
    pub code: &'static str,
    pub message: String,
    pub field: Option<String>,
}

impl ToolError {
    fn invalid(field: impl Into<String>, message: impl Into<String>) -> Self {
        ToolError {
            code: "invalid_input",
            message: message.into(),
            field: Some(field.into()),
        }
    }

    pub fn to_json(&self) -> Value {
        to_json(&ErrorResult {
            error: ToolErrorBody {
                code: self.code.to_owned(),
                message: self.message.clone(),
                field: self.field.clone(),
            },
        })
    }
}

/// A tool's error result as the model reads it: `{"error": {"code", "message", "field"?}}`.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
pub struct ErrorResult {
    pub error: ToolErrorBody,
}

/// What went wrong, in an [`ErrorResult`].
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
pub struct ToolErrorBody {
    pub code: String,
    pub message: String,
    /// The input field at fault, when one is.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub field: Option<String>,
}

impl From<FacilityError> for ToolError {
    /// The refusal as every surface reports it ([`FacilityError::refusal`]), with the field
    /// named as the tool's input names it.
    fn from(err: FacilityError) -> Self {
        let refusal = err.refusal();
        if refusal.kind == crate::facility::RefusalKind::Internal {
            tracing::error!(error = %err, "tool failed");
            return ToolError {
                code: "internal",
                message: "The facility's records could not be reached just now. Try again shortly."
                    .to_owned(),
                field: None,
            };
        }
        ToolError {
            code: refusal.code,
            field: refusal.field.map(str::to_owned),
            message: refusal.message,
        }
    }
}

impl From<crate::facility::sms::SmsError> for ToolError {
    fn from(err: crate::facility::sms::SmsError) -> Self {
        FacilityError::Sms(err).into()
    }
}

fn unknown_tool(name: &str) -> ToolError {
    ToolError {
        code: "unknown_tool",
        message: format!(
            "there is no tool named `{name}`; the tools are: {}",
            TOOL_NAMES.join(", ")
        ),
        field: None,
    }
}

/// Decodes a tool input, naming the field at fault when it doesn't fit.
fn decode<T: DeserializeOwned>(input: &Value) -> Result<T, ToolError> {
    // Some models send `null` for a tool without input.
    let empty;
    let input = if input.is_null() {
        empty = Value::Object(Default::default());
        &empty
    } else {
        input
    };
    if !input.is_object() {
        return Err(ToolError::invalid(
            "input",
            "the input must be a JSON object with the tool's fields",
        ));
    }
    let decoded = serde_path_to_error::deserialize(input).map_err(|err| {
        let path = err.path().to_string();
        let inner = err.into_inner().to_string();
        // serde names a missing or unknown field in its message; the path is then `.`.
        let field = if path == "." {
            field_in_message(&inner)
        } else {
            Some(path).filter(|path| !path.is_empty())
        };
        ToolError::invalid(field.unwrap_or_else(|| "input".to_owned()), inner)
    })?;
    // PostgreSQL cannot store U+0000 in text: refused here, by name, rather than by the database.
    if let Some(field) = nul_at(input, None) {
        return Err(ToolError::invalid(
            field,
            "contains a NUL character (U+0000); leave it out",
        ));
    }
    Ok(decoded)
}

/// The path (serde_path_to_error's notation: `dog_ids[0]`, `a.b`) of the first string in
/// `value` holding a NUL character.
fn nul_at(value: &Value, at: Option<String>) -> Option<String> {
    match value {
        Value::String(text) if text.contains('\0') => Some(at.unwrap_or_else(|| "input".into())),
        Value::Array(items) => items.iter().enumerate().find_map(|(i, item)| {
            nul_at(
                item,
                Some(format!("{}[{i}]", at.as_deref().unwrap_or("input"))),
            )
        }),
        Value::Object(map) => map.iter().find_map(|(key, item)| {
            let path = match &at {
                Some(at) => format!("{at}.{key}"),
                None => key.clone(),
            };
            nul_at(item, Some(path))
        }),
        _ => None,
    }
}

/// The field named in backticks in a serde message such as "missing field `query`" (none for
/// a field whose name is empty).
fn field_in_message(message: &str) -> Option<String> {
    let start = message.find('`')? + 1;
    let end = start + message[start..].find('`')?;
    Some(message[start..end].to_owned()).filter(|field| !field.is_empty())
}

/// A write the model asked for that waits for a staff member's confirmation.
#[derive(Clone, Debug, PartialEq)]
pub struct ProposedAction {
    pub id: ActionId,
    pub tool: ActionTool,
    /// The input as validated.
    pub input: Value,
    /// One line saying what will happen.
    pub summary: String,
}

/// What a tool call produced.
#[derive(Clone, Debug, PartialEq)]
pub struct ToolOutcome {
    /// The JSON sent back to the model (a result, or `{"error": …}`), within the size budget.
    pub content: Value,
    pub is_error: bool,
    /// Set when a write tool was validated and now waits for confirmation.
    pub proposed: Option<ProposedAction>,
}

impl ToolOutcome {
    fn ok(content: Value) -> Self {
        ToolOutcome {
            content: fit(content, MAX_RESULT_CHARS),
            is_error: false,
            proposed: None,
        }
    }

    fn error(err: ToolError) -> Self {
        ToolOutcome {
            content: err.to_json(),
            is_error: true,
            proposed: None,
        }
    }
}

/// Everything a tool call runs with: the facility, who asked, and when.
#[derive(Clone, Copy)]
pub struct ToolContext<'a> {
    pub facility: &'a Facility,
    pub actor: Actor,
    pub now: DateTime<Utc>,
    pub writes: WriteTools,
    /// The actor's summary of today taken for this turn's prompt, while the turn has written
    /// nothing: `get_today_summary` answers with it instead of computing it again.
    pub snapshot: Option<&'a TodaySummary>,
}

impl ToolContext<'_> {
    /// AIM writing for the signed-in staff user: how its writes appear in the audit log.
    pub fn author(&self) -> crate::facility::Author {
        crate::facility::Author::staff(self.actor, AuditChannel::Aim, None)
    }
}

fn booking_summary(req: &BookingRequest, planned: &CreatedBookings) -> String {
    let Some(first) = planned.bookings.first() else {
        return format!("{} booking", req.service);
    };
    let dogs = first
        .dogs
        .iter()
        .map(|d| d.name.as_str())
        .collect::<Vec<_>>()
        .join(", ");
    let first_day = planned.bookings.iter().map(|b| b.first_day).min();
    let last_day = planned.bookings.iter().map(|b| b.last_day).max();
    let when = match (first_day, last_day) {
        (Some(a), Some(b)) if a == b => format!("on {}", a.format("%a %Y-%m-%d")),
        (Some(a), Some(b)) => format!(
            "from {} to {}",
            a.format("%a %Y-%m-%d"),
            b.format("%a %Y-%m-%d")
        ),
        _ => String::new(),
    };
    let service = req.service.as_str();
    let mut service = service.to_owned();
    service[..1].make_ascii_uppercase();
    format!(
        "{service} for {dogs} ({}) {when}, ${}.{:02}",
        first.customer.name,
        planned.price_cents / 100,
        planned.price_cents % 100
    )
}

fn sms_summary(preview: &SmsPreview) -> String {
    const SHOWN: usize = 80;
    let mut body: String = preview.body.chars().take(SHOWN).collect();
    if preview.body.chars().count() > SHOWN {
        body.push('…');
    }
    format!(
        "Text {} at {}: \"{body}\"",
        preview.customer_name, preview.to_number
    )
}

/// A list [`fit`] cut short, as recorded in the result's `truncated` list.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
pub struct Cut {
    /// The JSON pointer of the list: `/days/0/bookings`.
    pub list: String,
    pub shown: usize,
    pub omitted: usize,
}

/// Cuts the longest lists of `value` until its JSON fits in `max_chars`, and records what was
/// left out in a `truncated` list of [`Cut`]s so the model can say so.
pub fn fit(mut value: Value, max_chars: usize) -> Value {
    let mut cuts: BTreeMap<String, usize> = BTreeMap::new();
    while json_len(&value) > max_chars {
        let Some(pointer) = longest_list(&value, String::new()).map(|(p, _)| p) else {
            break;
        };
        let Some(Value::Array(list)) = value.pointer_mut(&pointer) else {
            break;
        };
        cuts.entry(pointer).or_insert(list.len());
        let keep = list.len() / 2;
        list.truncate(keep);
    }
    if cuts.is_empty() {
        return value;
    }
    let truncated: Vec<Cut> = cuts
        .into_iter()
        .filter_map(|(list, original)| {
            let shown = value.pointer(&list)?.as_array()?.len();
            Some(Cut {
                list,
                shown,
                omitted: original - shown,
            })
        })
        .collect();
    match &mut value {
        Value::Object(map) => {
            map.insert("truncated".to_owned(), to_json(&truncated));
            value
        }
        _ => json!({"result": value, "truncated": truncated}),
    }
}

fn json_len(value: &Value) -> usize {
    serde_json::to_string(value).map_or(0, |s| s.len())
}

/// The JSON pointer and serialized size of the largest list of two or more items.
fn longest_list(value: &Value, at: String) -> Option<(String, usize)> {
    let mut best: Option<(String, usize)> = None;
    let mut consider = |candidate: Option<(String, usize)>| {
        if let Some(c) = candidate
            && best.as_ref().is_none_or(|b| c.1 > b.1)
        {
            best = Some(c);
        }
    };
    match value {
        Value::Array(items) => {
            // A list of one can't be halved; its item's lists are cut instead.
            if items.len() >= 2 {
                consider(Some((at.clone(), json_len(value))));
            }
            for (i, item) in items.iter().enumerate() {
                consider(longest_list(item, format!("{at}/{i}")));
            }
        }
        Value::Object(map) => {
            for (key, item) in map {
                let key = key.replace('~', "~0").replace('/', "~1");
                consider(longest_list(item, format!("{at}/{key}")));
            }
        }
        _ => {}
    }
    best
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nine_tools_with_object_schemas() {
        let defs = definitions();
        let names: Vec<_> = defs.iter().map(|d| d.name).collect();
        assert_eq!(names, TOOL_NAMES);
        for def in defs.iter() {
            assert_eq!(def.input_schema["type"], "object", "{}", def.name);
            assert_eq!(
                def.input_schema["additionalProperties"], false,
                "{}",
                def.name
            );
        }
    }

    /// A valid value for `schema`, made from the schema alone.
    fn example(schema: &Value) -> Value {
        if let Some(Value::Array(values)) = schema.get("enum") {
            return values[0].clone();
        }
        let min = |key: &str| schema.get(key).and_then(Value::as_u64).unwrap_or(1);
        match (schema["type"].as_str(), schema["format"].as_str()) {
            (Some("string"), Some("date")) => json!("2026-12-07"),
            (Some("string"), Some("uuid")) => json!("0197a0a0-0000-7000-8000-000000000001"),
            (Some("string"), _) => json!("x".repeat(min("minLength") as usize)),
            (Some("integer"), _) => json!(min("minimum")),
            (Some("array"), _) => json!(vec![example(&schema["items"]); min("minItems") as usize]),
            (Some("object"), _) => {
                let mut object = serde_json::Map::new();
                for (name, property) in schema["properties"].as_object().into_iter().flatten() {
                    object.insert(name.clone(), example(property));
                }
                Value::Object(object)
            }
            other => panic!("no example for {other:?}"),
        }
    }

    #[test]
    fn every_schema_agrees_with_the_struct_that_reads_its_input() {
        for def in definitions().iter() {
            let name = def.name;
            let schema = &def.input_schema;
            let full = example(schema);
            check_input(name, &full).unwrap_or_else(|e| panic!("{name}: {full} refused: {e:?}"));
            let required: Vec<&str> = schema["required"]
                .as_array()
                .into_iter()
                .flatten()
                .filter_map(Value::as_str)
                .collect();
            for field in full.as_object().unwrap().keys() {
                let mut without = full.clone();
                without.as_object_mut().unwrap().remove(field);
                let result = check_input(name, &without);
                if required.contains(&field.as_str()) {
                    let err = result.expect_err(&format!("{name} without {field}"));
                    assert_eq!(err.field.as_deref(), Some(field.as_str()), "{name}");
                } else {
                    result.unwrap_or_else(|e| panic!("{name}: optional {field}: {e:?}"));
                }
            }
            let mut extra = full.clone();
            extra["not_in_the_schema"] = json!(1);
            let err = check_input(name, &extra).expect_err(name);
            assert_eq!(err.field.as_deref(), Some("not_in_the_schema"), "{name}");
            assert!(!def.description.is_empty() && !def.description.contains('\n'));
        }
    }

    #[test]
    fn bad_input_names_the_field() {
        let err =
            decode::<CheckSchedule>(&json!({"start_date": "2026-11-31", "end_date": "2026-12-01"}))
                .unwrap_err();
        assert_eq!(err.field.as_deref(), Some("start_date"));
        let err = decode::<SearchCustomer>(&json!({"limit": 3})).unwrap_err();
        assert_eq!(err.field.as_deref(), Some("query"));
        let err = decode::<CreateBooking>(&json!({
            "customer_id": "not-a-uuid", "dog_ids": [], "service": "daycare", "start_date": "2026-12-01"
        }))
        .unwrap_err();
        assert_eq!(err.field.as_deref(), Some("customer_id"));
        let err = decode::<SearchCustomer>(&json!({"query": "max", "colour": "red"})).unwrap_err();
        assert_eq!(err.field.as_deref(), Some("colour"));
        let err = decode::<SearchCustomer>(&json!("max")).unwrap_err();
        assert_eq!(err.field.as_deref(), Some("input"));
        let err = decode::<GetTodaySummary>(&json!({"": null})).unwrap_err();
        assert_eq!(
            err.field.as_deref(),
            Some("input"),
            "a field without a name"
        );
        let err = decode::<SearchCustomer>(&json!({"query": "max\u{0}"})).unwrap_err();
        assert_eq!(err.field.as_deref(), Some("query"));
        let err = decode::<CreateBooking>(&json!({
            "customer_id": "0197a0a0-0000-7000-8000-000000000001", "dog_ids": ["0197a0a0-0000-7000-8000-000000000002"],
            "service": "daycare", "start_date": "2026-12-01", "notes": "gate code \u{0}"
        }))
        .unwrap_err();
        assert_eq!(err.field.as_deref(), Some("notes"));
    }

    #[test]
    fn fit_cuts_the_longest_list_and_says_how_much() {
        let big: Vec<Value> = (0..500)
            .map(|i| json!({"n": i, "pad": "x".repeat(40)}))
            .collect();
        let value = json!({"days": [{"date": "2026-11-25", "bookings": big}], "small": [1, 2]});
        let fitted = fit(value, 4_000);
        assert!(json_len(&fitted) <= 4_000 + 200, "{}", json_len(&fitted));
        let cut = &fitted["truncated"][0];
        assert_eq!(cut["list"], "/days/0/bookings");
        let shown = cut["shown"].as_u64().unwrap();
        assert_eq!(shown + cut["omitted"].as_u64().unwrap(), 500);
        assert_eq!(
            fitted["days"][0]["bookings"].as_array().unwrap().len() as u64,
            shown
        );
        assert_eq!(fitted["small"], json!([1, 2]));
    }

    #[test]
    fn fit_leaves_small_results_alone() {
        let value = json!({"a": [1, 2, 3]});
        assert_eq!(fit(value.clone(), 1_000), value);
    }
}
