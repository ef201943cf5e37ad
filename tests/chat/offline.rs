//! The offline provider — what `serve --demo` answers with when no model is configured —
//! answers the original design's examples from the demo data, through the real tool loop.

use std::sync::Arc;

use aim::aim::tools::Tool;
use aim::aim::tools::catalog::*;
use aim::aim::{Aim, ChatSettings};
use aim::llm::anthropic::AnthropicProvider;
use aim::llm::offline::OfflineProvider;
use chrono::Days;
use serde_json::json;

use super::*;
use crate::both_backends;
use crate::common::fake_model::Reply;

fn offline(c: &Chat) -> Aim {
    c.aim_with(Arc::new(OfflineProvider::new()), ChatSettings::default())
}

both_backends! {
    async fn the_offline_model_answers_the_seed_examples_from_the_demo_data(t: TestDb) {
        let c = Chat::new(t).await;
        let aim = offline(&c);
        let now = aim::domain::now();
        let summary = c.facility.today_summary(&c.manager, now).await.unwrap();

        let out = aim.chat(&c.manager, "How's today looking?", None).await.unwrap();
        assert_eq!(out.model_used, "aim-offline");
        assert!(out.tools_used.contains(&"get_today_summary".to_owned()), "{:?}", out.tools_used);
        let booked = summary.status.dogs_booked.to_string();
        assert!(out.response_text.contains(&booked), "{booked} dogs booked: {}", out.response_text);
        assert!(out.response_text.contains("40"), "capacity: {}", out.response_text);

        let found = aim.chat(&c.manager, "Search for customer Mark Huggins", Some(out.conversation_id)).await.unwrap();
        assert_eq!(found.tools_used, ["search_customer"]);
        assert_eq!(found.conversation_id, out.conversation_id);
        for needle in ["Mark Huggins", "Biscuit", "Pepper"] {
            assert!(found.response_text.contains(needle), "{needle}: {}", found.response_text);
        }

        let count = aim.chat(&c.staff, "How many dogs are here today?", None).await.unwrap();
        assert!(count.tools_used.contains(&"get_today_summary".to_owned()), "{:?}", count.tools_used);
        assert!(count.response_text.contains(&booked), "{}", count.response_text);

        let shifts = c.facility.staff_schedule(today(), now).await.unwrap().shifts;
        let staff = aim.chat(&c.staff, "Who's on the staff schedule today?", None).await.unwrap();
        assert!(staff.tools_used.contains(&"get_staff_schedule".to_owned()), "{:?}", staff.tools_used);
        let first = shifts[0].staff_name.split_whitespace().next().unwrap();
        assert!(staff.response_text.contains(first), "{first}: {}", staff.response_text);

        let due = aim.chat(&c.staff, "Which vaccinations are due?", None).await.unwrap();
        assert_eq!(due.tools_used, ["check_compliance"]);
        assert!(due.response_text.contains("Biscuit"), "{}", due.response_text);
        assert!(due.response_text.to_lowercase().contains("bordetella"), "{}", due.response_text);

        // Every turn was stored with its tool calls, like any other model's.
        let stored = c.messages(out.conversation_id).await;
        assert_eq!(stored.len(), 4);
        assert_eq!(stored[3].model_used.as_deref(), Some("aim-offline"));
        assert!(stored[3].tool_calls.is_some());
    }

    async fn the_offline_model_never_follows_notes_and_revenue_stays_with_managers(t: TestDb) {
        let c = Chat::new(t).await;
        let aim = offline(&c);
        let zeus = aim.chat(&c.staff, "Find the dog Zeus", None).await.unwrap();
        assert!(zeus.pending_actions.is_empty());
        assert!(zeus.response_text.contains("Zeus"), "{}", zeus.response_text);
        assert_eq!(c.count("sms_messages").await, 0);

        let refused = aim.chat(&c.staff, "What was revenue this week?", None).await.unwrap();
        assert_eq!(refused.tools_used, ["get_revenue_summary"]);
        assert!(refused.response_text.to_lowercase().contains("manager"), "{}", refused.response_text);
        let shown = aim.chat(&c.manager, "What was revenue this week?", None).await.unwrap();
        assert!(shown.response_text.contains('$'), "{}", shown.response_text);
    }
}

both_backends! {
    async fn serve_demo_without_a_key_chats_with_the_offline_model(t: TestDb) {
        let config = t.config();
        assert!(config.anthropic_api_key.is_none());
        let app = aim::build_app(&config, aim::Mode { demo: true }).await.unwrap();
        assert_eq!(app.state.aim.model(), "aim-offline");
        let manager = actor(&t, DEMO_MANAGER_EMAIL).await;
        let out = app.state.aim.chat(&manager, "Search for customer Mark Huggins", None).await.unwrap();
        assert_eq!(out.model_used, "aim-offline");
        assert!(out.response_text.contains("Biscuit"), "{}", out.response_text);
    }
}

/// `result` read as tool `T`'s output, as the offline provider reads it, and written back.
fn read_back<T: Tool>(result: &Value) -> Value {
    let output: T::Output = serde_json::from_value(result.clone())
        .unwrap_or_else(|e| panic!("{}: {e}: {result}", T::NAME));
    serde_json::to_value(output).unwrap()
}

/// Asks the facility through the scripted model for every tool at once, and returns each
/// result, in the order of `calls`.
async fn results_of(c: &Chat, aim: &Aim, calls: &[(&str, &str, Value)]) -> Vec<Value> {
    c.model.push(Reply::tool_use(calls));
    c.model.push(Reply::text("Done."));
    aim.chat(&c.manager, "Everything, please", None)
        .await
        .unwrap();
    let request = c.model.requests().pop().unwrap();
    tool_results(&request.body)
        .into_iter()
        .map(|(_, result, is_error)| {
            assert!(!is_error, "{result}");
            assert!(
                result.get("truncated").is_none(),
                "small enough to be whole: {result}"
            );
            result
        })
        .collect()
}

both_backends! {
    async fn every_tools_result_reads_back_as_the_type_it_was_written_from(t: TestDb) {
        let c = Chat::with(t, auto_writes()).await;
        let (customer, pepper) = c.customer_and_dog("Mark Huggins", "Pepper").await;
        let day = today() + Days::new(5);
        let booking = json!({"customer_id": customer, "dog_ids": [pepper], "service": "daycare", "start_date": day});
        let text = json!({"customer_id": customer, "message": "Pepper is ready for pickup"});
        let reads = [
            ("t1", "get_today_summary", json!({})),
            ("t2", "search_customer", json!({"query": "Mark Huggins"})),
            ("t3", "search_dog", json!({"query": "Biscuit"})),
            ("t4", "check_schedule", json!({"start_date": day, "end_date": day})),
            ("t5", "get_staff_schedule", json!({"date": today()})),
            ("t6", "check_compliance", json!({})),
            ("t7", "get_revenue_summary", json!({"start_date": today(), "end_date": today()})),
        ];
        let results = results_of(&c, &c.aim, &reads).await;
        assert_eq!(read_back::<GetTodaySummary>(&results[0]), results[0]);
        assert_eq!(read_back::<SearchCustomer>(&results[1]), results[1]);
        assert_eq!(read_back::<SearchDog>(&results[2]), results[2]);
        assert_eq!(read_back::<CheckSchedule>(&results[3]), results[3]);
        assert_eq!(read_back::<GetStaffSchedule>(&results[4]), results[4]);
        assert_eq!(read_back::<CheckCompliance>(&results[5]), results[5]);
        assert_eq!(read_back::<GetRevenueSummary>(&results[6]), results[6]);

        // Writes proposed for confirmation, then made at once.
        let writes = [("t1", "create_booking", booking), ("t2", "send_sms_to_customer", text)];
        let confirm = c.aim_with(Arc::new(AnthropicProvider::new(c.model.settings())), ChatSettings::default());
        for aim in [&confirm, &c.aim] {
            let results = results_of(&c, aim, &writes).await;
            assert_eq!(read_back::<CreateBooking>(&results[0]), results[0]);
            assert_eq!(read_back::<SendSmsToCustomer>(&results[1]), results[1]);
        }
        assert_eq!(c.count("sms_messages").await, 1, "the proposed text waits; the other went out");
    }
}
