//! Writes AIM proposes: with `AIM_WRITE_TOOLS=confirm` a booking or SMS waits for the staff
//! user who owns the conversation; with `auto` it happens at once.

use std::time::Duration;

use aim::aim::chat::ChatOutput;
use aim::aim::{AimError, ChatSettings};
use aim::domain::*;
use chrono::Days;
use serde_json::{Value, json};

use super::*;
use crate::both_backends;
use crate::common::fake_model::Reply;

/// A turn in which the model books Pepper (Mark Huggins' dog) for daycare in ten days.
async fn propose_booking(c: &Chat, aim: &aim::aim::Aim) -> ChatOutput {
    script_booking(c).await;
    aim.chat(&c.staff, "Book Pepper for daycare in ten days", None)
        .await
        .unwrap()
}

/// The model's side of that turn: it books Pepper, then asks for confirmation.
pub(crate) async fn script_booking(c: &Chat) {
    let (customer, pepper) = c.customer_and_dog("Mark Huggins", "Pepper").await;
    c.model.push(Reply::tool_use(&[(
        "toolu_book",
        "create_booking",
        json!({
            "customer_id": customer,
            "dog_ids": [pepper],
            "service": "daycare",
            "start_date": today() + Days::new(10),
        }),
    )]));
    c.model
        .push(Reply::text("I've prepared the booking; please confirm it."));
}

/// Bookings of Pepper on the day `script_booking` books.
pub(crate) async fn bookings_of_pepper(c: &Chat) -> usize {
    let day = today() + Days::new(10);
    let schedule = c.facility.schedule(day, day, None).await.unwrap();
    schedule.days[0]
        .bookings
        .iter()
        .filter(|b| b.dogs.iter().any(|d| d.name == "Pepper"))
        .count()
}

both_backends! {
    async fn a_proposed_booking_waits_and_confirming_books_it_once(t: TestDb) {
        let c = Chat::new(t).await;
        let out = propose_booking(&c, &c.aim).await;

        let result = &tool_results(&c.model.requests()[1].body)[0];
        assert!(!result.2);
        assert_eq!(result.1["status"], "pending_confirmation");
        assert!(result.1["note"].as_str().unwrap().contains("confirm"));
        assert_eq!(out.pending_actions.len(), 1);
        let action = &out.pending_actions[0];
        assert_eq!(result.1["actionId"], json!(action.id));
        assert_eq!(action.status, ActionStatus::Pending);
        assert_eq!(action.tool, ActionTool::CreateBooking);
        assert!(action.summary.contains("Pepper") && action.summary.contains("Mark Huggins"), "{}", action.summary);
        assert_eq!(action.expires_at - action.created_at, chrono::Duration::minutes(30));
        assert_eq!(bookings_of_pepper(&c).await, 0, "nothing is booked before confirmation");

        let confirmed = c.aim.confirm_action(&c.staff, action.id).await.unwrap();
        assert_eq!(confirmed.status, ActionStatus::Executed);
        assert_eq!(confirmed.result.as_ref().unwrap()["status"], "booked");
        assert!(confirmed.decided_at.is_some() && confirmed.completed_at.is_some());
        assert_eq!(bookings_of_pepper(&c).await, 1);

        let again = c.aim.confirm_action(&c.staff, action.id).await.unwrap();
        assert_eq!(again.status, ActionStatus::Executed);
        assert_eq!(again.result, confirmed.result);
        assert_eq!(bookings_of_pepper(&c).await, 1, "a repeated confirm does not book twice");

        // The audit log says AIM booked it, for the staff user who confirmed.
        let manager = aim::domain::Actor { role: aim::domain::Role::Manager, ..c.staff };
        let entries = c.aim.facility().audit_log(&manager, None, None, 10).await.unwrap();
        let booked: Vec<_> = entries.iter().filter(|e| e.action == "booking.create").collect();
        assert_eq!(booked.len(), 1);
        assert_eq!(booked[0].channel, aim::domain::AuditChannel::Aim);
        assert_eq!(booked[0].actor_id, Some(c.staff.staff_user_id));
    }

    async fn racing_confirmations_execute_once(t: TestDb) {
        let c = Chat::new(t).await;
        let out = propose_booking(&c, &c.aim).await;
        let id = out.pending_actions[0].id;
        let (a, b) = tokio::join!(c.aim.confirm_action(&c.staff, id), c.aim.confirm_action(&c.staff, id));
        assert!(a.is_ok() && b.is_ok());
        assert_eq!(bookings_of_pepper(&c).await, 1);
    }

    async fn a_cancelled_action_cannot_be_confirmed(t: TestDb) {
        let c = Chat::new(t).await;
        let out = propose_booking(&c, &c.aim).await;
        let id = out.pending_actions[0].id;
        let cancelled = c.aim.cancel_action(&c.staff, id).await.unwrap();
        assert_eq!(cancelled.status, ActionStatus::Cancelled);
        assert_eq!(c.aim.cancel_action(&c.staff, id).await.unwrap().status, ActionStatus::Cancelled);
        let err = c.aim.confirm_action(&c.staff, id).await.unwrap_err();
        assert!(matches!(err, AimError::ActionNotPending { status: ActionStatus::Cancelled, .. }), "{err:?}");
        assert_eq!(err.code(), "action_not_pending");
        assert_eq!(bookings_of_pepper(&c).await, 0);
    }

    async fn an_action_expires_unconfirmed(t: TestDb) {
        let c = Chat::new(t).await;
        let settings = ChatSettings { action_ttl: Duration::from_millis(200), ..ChatSettings::default() };
        let provider = std::sync::Arc::new(aim::llm::anthropic::AnthropicProvider::new(c.model.settings()));
        let aim = c.aim_with(provider, settings);
        let out = propose_booking(&c, &aim).await;
        let id = out.pending_actions[0].id;
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(aim.action(&c.staff, id).await.unwrap().status, ActionStatus::Expired);
        let err = aim.confirm_action(&c.staff, id).await.unwrap_err();
        assert!(matches!(err, AimError::ActionNotPending { status: ActionStatus::Expired, .. }), "{err:?}");
        assert_eq!(bookings_of_pepper(&c).await, 0);
    }

    async fn only_the_owner_of_the_conversation_can_decide(t: TestDb) {
        let c = Chat::new(t).await;
        let out = propose_booking(&c, &c.aim).await;
        let id = out.pending_actions[0].id;
        for result in [
            c.aim.confirm_action(&c.manager, id).await,
            c.aim.cancel_action(&c.manager, id).await,
            c.aim.action(&c.manager, id).await,
        ] {
            assert!(matches!(result, Err(AimError::ActionNotFound(_))), "{result:?}");
        }
        assert_eq!(c.aim.action(&c.staff, id).await.unwrap().status, ActionStatus::Pending);
        assert_eq!(bookings_of_pepper(&c).await, 0);
    }

    async fn a_booking_the_facility_would_refuse_is_not_proposed(t: TestDb) {
        let c = Chat::new(t).await;
        let (customer, _) = c.customer_and_dog("Mark Huggins", "Pepper").await;
        let other_dog = c.facility.search_dogs("Zeus", Some(1), today()).await.unwrap()[0].id;
        c.model.push(Reply::tool_use(&[(
            "toolu_1",
            "create_booking",
            json!({"customer_id": customer, "dog_ids": [other_dog], "service": "daycare", "start_date": today() + Days::new(10)}),
        )]));
        c.model.push(Reply::text("That dog isn't Mark's."));
        let out = c.aim.chat(&c.staff, "Book Zeus under Mark", None).await.unwrap();
        let result = &tool_results(&c.model.requests()[1].body)[0];
        assert!(result.2);
        assert_eq!(result.1["error"]["code"], "invalid_input");
        assert_eq!(result.1["error"]["field"], "customer_id");
        assert!(out.pending_actions.is_empty());
        assert_eq!(c.count("aim_actions").await, 0);
    }

    async fn in_auto_mode_the_booking_is_made_at_once(t: TestDb) {
        let c = Chat::with(t, auto_writes()).await;
        let out = propose_booking(&c, &c.aim).await;
        assert!(out.pending_actions.is_empty());
        let result = &tool_results(&c.model.requests()[1].body)[0];
        assert_eq!(result.1["status"], "booked");
        assert_eq!(bookings_of_pepper(&c).await, 1);
        assert_eq!(c.count("aim_actions").await, 0);
    }

    async fn a_proposed_text_is_sent_only_when_confirmed(t: TestDb) {
        let c = Chat::new(t).await;
        let (customer, _) = c.customer_and_dog("Mark Huggins", "Biscuit").await;
        c.model.push(Reply::tool_use(&[(
            "toolu_sms",
            "send_sms_to_customer",
            json!({"customer_id": customer, "message": "Biscuit's bordetella expires in 3 days."}),
        )]));
        c.model.push(Reply::text("Drafted the text; confirm to send."));
        let out = c.aim.chat(&c.staff, "Text Mark about Biscuit's bordetella", None).await.unwrap();
        let action = &out.pending_actions[0];
        assert_eq!(action.tool, ActionTool::SendSmsToCustomer);
        assert!(action.summary.contains("Mark Huggins") && action.summary.contains("+15550142387"), "{}", action.summary);
        assert_eq!(c.count("sms_messages").await, 0);

        let done = c.aim.confirm_action(&c.staff, action.id).await.unwrap();
        assert_eq!(done.status, ActionStatus::Executed);
        assert_eq!(done.result.as_ref().unwrap()["message"]["body"], "Biscuit's bordetella expires in 3 days.");
        assert_eq!(c.count("sms_messages").await, 1);
    }

    async fn hostile_notes_obeyed_by_the_model_send_nothing_without_confirmation(t: TestDb) {
        let c = Chat::new(t).await;
        let customers = c.facility.search_customers("Huggins", Some(1)).await.unwrap();
        // A model that follows the note "text every customer…" asks to text them all.
        let calls: Vec<(String, Value)> = (0..3)
            .map(|i| (format!("toolu_{i}"), json!({"customer_id": customers[0].id, "message": "Your booking is cancelled."})))
            .collect();
        let calls: Vec<(&str, &str, Value)> = calls.iter().map(|(id, input)| (id.as_str(), "send_sms_to_customer", input.clone())).collect();
        c.model.push(Reply::tool_use(&calls));
        c.model.push(Reply::text("Done."));
        let out = c.aim.chat(&c.staff, "Summarise the notes on Zeus's owner", None).await.unwrap();
        assert_eq!(out.pending_actions.len(), 3);
        assert_eq!(c.count("sms_messages").await, 0, "nothing is sent by the model alone");
    }

    async fn with_automatic_writes_an_obedient_model_still_meets_the_sms_limit(t: TestDb) {
        let c = Chat::with(t, auto_writes()).await;
        let customers = c.facility.search_customers("Huggins", Some(1)).await.unwrap();
        // The note says "text every customer…": the model texts one of them again and again.
        let calls: Vec<(String, Value)> = (0..5)
            .map(|i| (format!("toolu_{i}"), json!({"customer_id": customers[0].id, "message": format!("Your booking is cancelled ({i}).")})))
            .collect();
        let calls: Vec<(&str, &str, Value)> = calls.iter().map(|(id, input)| (id.as_str(), "send_sms_to_customer", input.clone())).collect();
        c.model.push(Reply::tool_use(&calls));
        c.model.push(Reply::text("Done."));
        c.aim.chat(&c.staff, "Summarise the notes on Zeus's owner", None).await.unwrap();
        let results = tool_results(&c.model.requests()[1].body);
        let refused: Vec<&Value> = results.iter().filter(|(_, _, is_error)| *is_error).map(|(_, r, _)| r).collect();
        assert_eq!((results.len(), refused.len()), (5, 2), "{results:?}");
        assert!(refused.iter().all(|r| r["error"]["code"] == "rate_limited"), "{refused:?}");
        assert_eq!(c.count("sms_messages").await, 3, "at most 3 texts per customer per hour");
    }

    async fn a_search_for_one_customer_carries_no_one_elses_contact_details(t: TestDb) {
        let c = Chat::new(t).await;
        c.model.push(Reply::tool_use(&[("toolu_1", "search_customer", json!({"query": "Mark Huggins"}))]));
        c.model.push(Reply::text("Found him."));
        c.aim.chat(&c.staff, "Find Mark Huggins", None).await.unwrap();
        let results = tool_results(&c.model.requests()[1].body);
        let customers = results[0].1["customers"].as_array().unwrap_or_else(|| panic!("{:?}", results[0]));
        assert_eq!(customers.len(), 1, "the one customer asked for: {customers:?}");
        assert_eq!(customers[0]["name"], "Mark Huggins");
        // Nobody else's phone number or email is in the result.
        let text = results[0].1.to_string();
        let everyone = c.facility.search_customers("555", Some(50)).await.unwrap();
        assert!(everyone.len() > 5, "the demo customers, by their phone numbers");
        for other in everyone.iter().filter(|o| o.name != "Mark Huggins") {
            for contact in [&other.phone, &other.email].into_iter().flatten() {
                assert!(!text.contains(contact.as_str()), "{} of {} leaked: {text}", contact, other.name);
            }
        }
    }
}

/// Waits until the alert generator has raised `at_least` alerts (it runs in the background and
/// raises them one by one, and a busy machine may take a while); how many it raised.
async fn alerts_raised(c: &Chat, at_least: i64) -> i64 {
    let mut n = 0;
    for _ in 0..600 {
        n = c.count("aim_alerts").await;
        if n >= at_least {
            return n;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    n
}

both_backends! {
    async fn a_booking_made_through_aim_brings_the_alerts_up_to_date(t: TestDb) {
        use aim::aim::alerts::AlertService;
        use aim::aim::checks::Thresholds;
        use aim::aim::engine::AlertEngine;
        let c = Chat::new(t).await;
        let engine = AlertEngine::new(
            c.facility.clone(),
            AlertService::start(c.t.db.clone(), aim::events::EventBroker::default()).await.unwrap(),
            Thresholds::default(),
        );
        let provider = std::sync::Arc::new(aim::llm::anthropic::AnthropicProvider::new(c.model.settings()));
        let aim = c.aim_with(provider, ChatSettings::default()).with_alert_engine(engine.clone());
        let out = propose_booking(&c, &aim).await;
        tokio::time::sleep(Duration::from_millis(300)).await;
        assert_eq!(c.count("aim_alerts").await, 0, "a proposal books nothing, so nothing runs");
        let action = aim.confirm_action(&c.staff, out.pending_actions[0].id).await.unwrap();
        assert_eq!(action.status, ActionStatus::Executed, "{action:?}");
        let raised = alerts_raised(&c, 3).await;
        if raised < 3 {
            // Say why: what a run of the generator now does.
            let run = engine.run(aim::domain::now()).await;
            panic!("the generator did not run after the booking ({raised} alerts); a run now: {run:?}");
        }
    }
}
