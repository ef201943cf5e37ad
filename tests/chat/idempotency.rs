//! Chat turns started with an idempotency key: a repeat of the same request is answered from the
//! first turn, never by a second one that could book or text twice.

use std::time::Duration;

use aim::aim::AimError;
use aim::aim::chat::ChatEvent;
use aim::aim::idempotency::IdempotencyKey;
use aim::domain::*;
use chrono::Days;
use serde_json::json;

use super::actions::bookings_of_pepper;
use super::*;
use crate::both_backends;
use crate::common::fake_model::Reply;

fn key(text: &str) -> IdempotencyKey {
    IdempotencyKey::parse(text, "Idempotency-Key").unwrap()
}

fn in_use(result: Result<aim::aim::chat::ChatOutput, AimError>) -> String {
    match result {
        Err(err @ AimError::IdempotencyKeyInUse(_)) => {
            assert_eq!(err.code(), "idempotency_key_in_use");
            err.to_string()
        }
        other => panic!("expected the key in use, got {other:?}"),
    }
}

/// The staff user's stored row for `key`.
async fn stored(c: &Chat, key: &str) -> aim::db::aim::ChatRequestRow {
    let mut conn = c.t.db.conn().await.unwrap();
    aim::db::aim::find_chat_request(&mut conn, c.staff.staff_user_id, key)
        .await
        .unwrap()
        .expect("the key is stored")
}

both_backends! {
    async fn a_repeated_key_gets_the_first_answer_and_no_second_turn(t: TestDb) {
        let c = Chat::new(t).await;
        super::actions::script_booking(&c).await;
        let k = key("5f0c3c1e-8d1b-4a57-b7a4-1f2e3d4c5b6a");
        let message = "Book Pepper for daycare in ten days";
        let first = c.aim.chat_keyed(&c.staff, message, None, Some(&k)).await.unwrap();
        assert!(!first.replayed);
        assert_eq!(first.pending_actions.len(), 1);
        assert_eq!(c.model.requests().len(), 2);

        let again = c.aim.chat_keyed(&c.staff, message, None, Some(&k)).await.unwrap();
        assert!(again.replayed);
        assert_eq!(c.model.requests().len(), 2, "the model is not asked again");
        assert_eq!(c.count("aim_messages").await, 2, "one question, one answer");
        assert_eq!(c.count("aim_conversations").await, 1);
        assert_eq!(c.count("aim_actions").await, 1, "nothing proposed twice");
        assert_eq!(
            (&again.response_text, again.conversation_id, &again.tools_used, &again.model_used, again.message_id, again.usage, again.cancelled),
            (&first.response_text, first.conversation_id, &first.tools_used, &first.model_used, first.message_id, first.usage, first.cancelled),
        );
        assert_eq!(again.pending_actions, first.pending_actions);

        // Confirmed meanwhile, the replay shows the action as it stands.
        let action = first.pending_actions[0].id;
        c.aim.confirm_action(&c.staff, action).await.unwrap();
        let later = c.aim.chat_keyed(&c.staff, message, None, Some(&k)).await.unwrap();
        assert_eq!(later.pending_actions[0].status, ActionStatus::Executed);
        assert_eq!(bookings_of_pepper(&c).await, 1);

        // A streamed repeat reports the stored answer.
        let events: Vec<_> = futures::StreamExt::collect::<Vec<_>>(
            c.aim.chat_stream_keyed(&c.staff, message, None, Some(&k)).await.unwrap(),
        )
        .await
        .into_iter()
        .map(Result::unwrap)
        .collect();
        assert_eq!(events.len(), 3, "started, the action, completed: {events:?}");
        assert!(matches!(&events[0], ChatEvent::Started { conversation_id } if *conversation_id == first.conversation_id));
        assert!(matches!(&events[1], ChatEvent::ActionPending { action: a } if a.id == action));
        assert!(matches!(&events[2], ChatEvent::Completed { output } if output.replayed && output.message_id == first.message_id));
        assert_eq!(c.model.requests().len(), 2);
    }

    async fn a_key_is_the_staff_users_own_and_names_one_request(t: TestDb) {
        let c = Chat::new(t).await;
        c.model.push(Reply::text("Hello!"));
        let k = key("req-1");
        let first = c.aim.chat_keyed(&c.staff, "Hi", None, Some(&k)).await.unwrap();

        for (message, conversation) in [("Hello", None), ("Hi", Some(first.conversation_id))] {
            let err = c.aim.chat_keyed(&c.staff, message, conversation, Some(&k)).await.unwrap_err();
            assert_eq!((err.code(), err.field()), ("invalid_input", Some("Idempotency-Key")), "{message} {conversation:?}");
            assert!(err.to_string().contains("another request"), "{err}");
        }
        // Surrounding spaces are not part of the message, as for any turn.
        assert!(c.aim.chat_keyed(&c.staff, "  Hi ", None, Some(&k)).await.unwrap().replayed);

        // Another staff user's key of the same text is theirs.
        c.model.push(Reply::text("Hello, manager!"));
        let theirs = c.aim.chat_keyed(&c.manager, "Hi", None, Some(&k)).await.unwrap();
        assert!(!theirs.replayed);
        assert_ne!(theirs.conversation_id, first.conversation_id);

        // The key continues a conversation as well as it starts one.
        c.model.push(Reply::text("Still here."));
        let next = key("req-2");
        let second = c.aim.chat_keyed(&c.staff, "Still there?", Some(first.conversation_id), Some(&next)).await.unwrap();
        let repeat = c.aim.chat_keyed(&c.staff, "Still there?", Some(first.conversation_id), Some(&next)).await.unwrap();
        assert!(repeat.replayed);
        assert_eq!(repeat.message_id, second.message_id);
        assert_eq!(c.messages(first.conversation_id).await.len(), 4);
    }

    async fn a_repeat_while_the_first_runs_is_refused_and_racing_repeats_make_one_turn(t: TestDb) {
        let c = Chat::new(t).await;
        c.model.push(Reply::text("Slowly.").delay(Duration::from_millis(600)));
        let k = key("slow");
        let first = {
            let aim = c.aim.clone();
            let (staff, k) = (c.staff, k.clone());
            tokio::spawn(async move { aim.chat_keyed(&staff, "Hi", None, Some(&k)).await })
        };
        while c.count("aim_messages").await == 0 {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }
        let message = in_use(c.aim.chat_keyed(&c.staff, "Hi", None, Some(&k)).await);
        assert!(message.contains("still being answered"), "{message}");
        let first = first.await.unwrap().unwrap();
        assert!(c.aim.chat_keyed(&c.staff, "Hi", None, Some(&k)).await.unwrap().replayed);

        // Two repeats at once, neither stored yet: one turn runs, the other is told to wait.
        c.model.push(Reply::text("Once.").delay(Duration::from_millis(200)));
        let race = key("race");
        let (a, b) = tokio::join!(
            c.aim.chat_keyed(&c.staff, "Once?", Some(first.conversation_id), Some(&race)),
            c.aim.chat_keyed(&c.staff, "Once?", Some(first.conversation_id), Some(&race)),
        );
        let (ok, refused) = if a.is_ok() { (a, b) } else { (b, a) };
        assert_eq!(ok.unwrap().response_text, "Once.");
        in_use(refused);
        assert_eq!(c.messages(first.conversation_id).await.len(), 4, "one question and one answer each");
    }

    async fn a_failed_turn_is_answered_again_on_its_stored_question(t: TestDb) {
        let c = Chat::new(t).await;
        c.model.push(Reply::error(400, "invalid_request_error", "a bad day"));
        let k = key("retry-me");
        let err = c.aim.chat_keyed(&c.staff, "How many dogs are here?", None, Some(&k)).await.unwrap_err();
        assert_eq!(err.code(), "model_error");
        assert_eq!(stored(&c, "retry-me").await.state, ChatRequestState::Failed);
        assert_eq!(c.count("aim_messages").await, 1, "the question only");

        c.model.push(Reply::text("Twelve dogs."));
        let out = c.aim.chat_keyed(&c.staff, "How many dogs are here?", None, Some(&k)).await.unwrap();
        assert!(!out.replayed);
        assert_eq!(out.response_text, "Twelve dogs.");
        let messages = c.messages(out.conversation_id).await;
        assert_eq!(messages.iter().map(|m| (m.role, m.content.as_str())).collect::<Vec<_>>(), [
            (MessageRole::User, "How many dogs are here?"),
            (MessageRole::Assistant, "Twelve dogs."),
        ], "the question is not stored twice");
        let asked = &c.model.requests()[1].body["messages"];
        assert_eq!(asked.as_array().unwrap().len(), 1, "the model sees the question once: {asked}");
        assert_eq!(stored(&c, "retry-me").await.state, ChatRequestState::Answered);
        assert!(c.aim.chat_keyed(&c.staff, "How many dogs are here?", None, Some(&k)).await.unwrap().replayed);
    }

    async fn a_turn_whose_server_died_is_run_again_once_stale(t: TestDb) {
        let c = Chat::new(t).await;
        c.model.push(Reply::error(400, "invalid_request_error", "a bad day"));
        let k = key("died");
        c.aim.chat_keyed(&c.staff, "Hi", None, Some(&k)).await.unwrap_err();
        // As a server that died mid-turn leaves it: running, and not heard of for an hour.
        let row = stored(&c, "died").await;
        let an_hour_ago = aim::domain::now() - chrono::Duration::hours(1);
        let mut conn = c.t.db.conn().await.unwrap();
        assert!(aim::db::aim::move_chat_request(&mut conn, &row, ChatRequestState::Running, None, an_hour_ago).await.unwrap());
        drop(conn);

        c.model.push(Reply::text("Hello again."));
        let out = c.aim.chat_keyed(&c.staff, "Hi", None, Some(&k)).await.unwrap();
        assert_eq!((out.response_text.as_str(), out.replayed), ("Hello again.", false));
        assert_eq!(c.count("aim_messages").await, 2);
    }

    async fn a_turn_that_failed_after_booking_at_once_is_never_run_again(t: TestDb) {
        let c = Chat::with(t, auto_writes()).await;
        let (customer, pepper) = c.customer_and_dog("Mark Huggins", "Pepper").await;
        c.model.push(Reply::tool_use(&[(
            "toolu_book",
            "create_booking",
            json!({"customer_id": customer, "dog_ids": [pepper], "service": "daycare", "start_date": today() + Days::new(10)}),
        )]));
        c.model.push(Reply::error(400, "invalid_request_error", "a bad day"));
        let k = key("book-once");
        let message = "Book Pepper for daycare in ten days";
        c.aim.chat_keyed(&c.staff, message, None, Some(&k)).await.unwrap_err();
        assert_eq!(bookings_of_pepper(&c).await, 1, "the booking was made before the model failed");
        assert_eq!(stored(&c, "book-once").await.state, ChatRequestState::FailedAfterWrite);

        let message_text = in_use(c.aim.chat_keyed(&c.staff, message, None, Some(&k)).await);
        assert!(message_text.contains("booking"), "{message_text}");
        assert_eq!(c.model.requests().len(), 2, "the model is not asked again");
        assert_eq!(bookings_of_pepper(&c).await, 1, "nothing booked twice");
    }
}
