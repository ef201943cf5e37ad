//! AIM's chat: the model providers against in-process fakes of their wire formats, the tools,
//! the orchestrator with its persistence, pending actions, and the offline provider. Every test
//! that touches the database runs on SQLite and PostgreSQL.

#[path = "../common/mod.rs"]
mod common;

mod actions;
mod checks;
mod idempotency;
mod offline;
mod orchestrator;
mod providers;
mod streaming;

use std::sync::Arc;

use aim::aim::{Aim, ChatSettings};
use aim::config::WriteTools;
use aim::db::aim::MessageRow;
use aim::domain::*;
use aim::facility::demo::{self, DEMO_MANAGER_EMAIL, DEMO_STAFF_EMAIL};
use aim::facility::sms::{SmsLimits, SmsService};
use aim::facility::{Facility, FacilitySettings, clock};
use aim::llm::Provider;
use aim::llm::anthropic::AnthropicProvider;
use chrono::{NaiveDate, Utc};
use chrono_tz::Tz;
use common::TestDb;
use common::fake_model::FakeAnthropic;
use serde_json::Value;

pub const TZ: Tz = chrono_tz::America::New_York;

pub fn today() -> NaiveDate {
    clock::local_date(TZ, Utc::now())
}

/// The demo facility with AIM talking to a scripted fake of the Anthropic API.
pub struct Chat {
    pub t: TestDb,
    pub facility: Facility,
    pub manager: Actor,
    pub staff: Actor,
    pub model: FakeAnthropic,
    pub aim: Aim,
}

impl Chat {
    /// Write tools wait for confirmation (the default).
    pub async fn new(t: TestDb) -> Chat {
        Chat::with(t, ChatSettings::default()).await
    }

    pub async fn with(t: TestDb, settings: ChatSettings) -> Chat {
        let facility = demo_facility(&t).await;
        let model = FakeAnthropic::start().await;
        let provider: Arc<dyn Provider> = Arc::new(AnthropicProvider::new(model.settings()));
        let aim = Aim::new(facility.clone(), provider, settings);
        Chat {
            manager: actor(&t, DEMO_MANAGER_EMAIL).await,
            staff: actor(&t, DEMO_STAFF_EMAIL).await,
            t,
            facility,
            model,
            aim,
        }
    }

    /// The same facility answered by another provider.
    pub fn aim_with(&self, provider: Arc<dyn Provider>, settings: ChatSettings) -> Aim {
        Aim::new(self.facility.clone(), provider, settings)
    }

    /// The conversation's stored messages, oldest first.
    pub async fn messages(&self, conversation: ConversationId) -> Vec<MessageRow> {
        let mut conn = self.t.db.conn().await.unwrap();
        let mut rows = aim::db::aim::recent_messages(&mut conn, conversation, 1_000)
            .await
            .unwrap();
        rows.reverse();
        rows
    }

    pub async fn count(&self, table: &str) -> i64 {
        let mut conn = self.t.db.conn().await.unwrap();
        aim::db::facility::table_counts(&mut conn)
            .await
            .unwrap()
            .into_iter()
            .find(|(name, _)| *name == table)
            .unwrap_or_else(|| panic!("no table {table}"))
            .1
    }

    /// The id of a demo customer and of their dog named `dog`.
    pub async fn customer_and_dog(&self, customer: &str, dog: &str) -> (CustomerId, DogId) {
        let found = self
            .facility
            .search_customers(customer, Some(1))
            .await
            .unwrap();
        let c = found.first().expect("demo customer");
        let d = c.dogs.iter().find(|d| d.name == dog).expect("demo dog");
        (c.id, d.id)
    }
}

pub fn demo_settings() -> FacilitySettings {
    FacilitySettings {
        capacity: 40,
        staff_ratio: 8,
        timezone: TZ,
    }
}

pub async fn demo_facility(t: &TestDb) -> Facility {
    demo::seed(&t.db, today(), TZ).await.expect("demo data");
    Facility::new(
        t.db.clone(),
        demo_settings(),
        SmsService::new(t.db.clone(), None, SmsLimits::default()),
    )
}

async fn actor(t: &TestDb, email: &str) -> Actor {
    let user = aim::db::staff::find_by_email(&mut t.db.conn().await.unwrap(), email)
        .await
        .unwrap()
        .expect("demo staff user");
    Actor {
        staff_user_id: user.id,
        role: user.role,
    }
}

pub fn auto_writes() -> ChatSettings {
    ChatSettings {
        writes: WriteTools::Auto,
        ..ChatSettings::default()
    }
}

/// Checks what every request to the Anthropic API must satisfy: the system prompt's identity
/// and context, the nine tools, roles alternating from a user message, and every
/// `tool_result` answering a `tool_use` of the message before.
pub fn assert_well_formed(body: &Value) {
    let system = body["system"].as_array().expect("system blocks");
    let stable = system[0]["text"].as_str().unwrap();
    assert!(
        stable.starts_with(
            "You are AIM (AI Manager), the intelligent operations assistant for Happy Tail Happy Dog"
        ),
        "{stable}"
    );
    assert_eq!(system[0]["cache_control"]["type"], "ephemeral");
    let context = system[1]["text"].as_str().unwrap();
    assert!(
        context.contains(&format!("Today: {}", today())),
        "{context}"
    );
    let tools = body["tools"].as_array().expect("tools");
    let names: Vec<&str> = tools.iter().map(|t| t["name"].as_str().unwrap()).collect();
    assert_eq!(names, aim::aim::tools::TOOL_NAMES);
    for (tool, def) in tools.iter().zip(aim::aim::tools::definitions().iter()) {
        assert_eq!(tool["input_schema"], def.input_schema, "{}", def.name);
    }

    let messages = body["messages"].as_array().expect("messages");
    assert_eq!(messages[0]["role"], "user", "history starts with the staff");
    assert_eq!(
        messages.last().unwrap()["role"],
        "user",
        "the model answers a user message"
    );
    for pair in messages.windows(2) {
        assert_ne!(pair[0]["role"], pair[1]["role"], "roles alternate");
        let asked: Vec<&str> = pair[0]["content"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|b| b["type"] == "tool_use")
            .map(|b| b["id"].as_str().unwrap())
            .collect();
        let answered: Vec<&str> = pair[1]["content"]
            .as_array()
            .into_iter()
            .flatten()
            .filter(|b| b["type"] == "tool_result")
            .map(|b| b["tool_use_id"].as_str().unwrap())
            .collect();
        assert_eq!(asked, answered, "every tool_use is answered, in order");
    }
}

/// The tool results of the last message of a request, as (tool_use_id, JSON, is_error).
pub fn tool_results(body: &Value) -> Vec<(String, Value, bool)> {
    let last = body["messages"].as_array().unwrap().last().unwrap();
    last["content"]
        .as_array()
        .unwrap()
        .iter()
        .filter(|b| b["type"] == "tool_result")
        .map(|b| {
            (
                b["tool_use_id"].as_str().unwrap().to_owned(),
                serde_json::from_str(b["content"].as_str().unwrap()).unwrap(),
                b["is_error"].as_bool().unwrap_or(false),
            )
        })
        .collect()
}
