//! The offline provider — what `serve --demo` answers with when no model is configured —
//! answers the original design's examples from the demo data, through the real tool loop.

use std::sync::Arc;

use aim::aim::{Aim, ChatSettings};
use aim::llm::offline::OfflineProvider;

use super::*;
use crate::both_backends;

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
