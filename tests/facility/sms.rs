//! SMS to customers: Twilio (against an in-process fake) and the dry-run outbox.

use std::time::Duration;

use aim::db::facility::{NewCustomer, insert_customer};
use aim::db::sms::NewSmsMessage;
use aim::db::staff::StaffUserRecord;
use aim::domain::{Actor, CustomerId, Role, SmsMessageId, SmsStatus, StaffUserId, now};
use aim::facility::sms::{
    MAX_SMS_CHARS, RateLimitScope, SmsError, SmsLimits, SmsMessage, SmsService,
};
use base64::Engine;
use chrono::{DateTime, TimeDelta, TimeZone, Utc};

use crate::both_backends;
use crate::common::TestDb;
use crate::common::twilio::{ACCOUNT_SID, AUTH_TOKEN, FROM_NUMBER, FakeTwilio, Reply};

/// A staff member to send on behalf of (the outbox records who sent each message).
async fn staff(t: &TestDb) -> Actor {
    let at = now();
    let user = StaffUserRecord {
        id: StaffUserId::new(),
        email: format!("sender-{}@happytail.example", uuid::Uuid::new_v4().simple()),
        name: "Sam Sender".to_owned(),
        role: Role::Staff,
        password_hash: "not-a-real-hash".to_owned(),
        active: true,
        created_at: at,
        updated_at: at,
    };
    aim::db::staff::insert(&mut t.db.conn().await.unwrap(), &user)
        .await
        .unwrap();
    Actor {
        staff_user_id: user.id,
        role: user.role,
    }
}

async fn customer(t: &TestDb, first: &str, last: &str, phone: Option<&str>) -> CustomerId {
    let id = CustomerId::new();
    let x = NewCustomer {
        id,
        first_name: first.to_owned(),
        last_name: last.to_owned(),
        email: None,
        phone: phone.map(str::to_owned),
        notes: None,
    };
    insert_customer(&mut t.db.conn().await.unwrap(), &x, now())
        .await
        .unwrap();
    id
}

fn dry_run(t: &TestDb, limits: SmsLimits) -> SmsService {
    SmsService::new(t.db.clone(), None, limits)
}

fn via(t: &TestDb, fake: &FakeTwilio) -> SmsService {
    SmsService::new(t.db.clone(), Some(fake.config()), SmsLimits::default())
}

async fn row(t: &TestDb, id: SmsMessageId) -> SmsMessage {
    aim::db::sms::find_by_id(&mut t.db.conn().await.unwrap(), id)
        .await
        .unwrap()
        .expect("message recorded")
}

/// Every message in the outbox, whenever and to whomever.
async fn outbox_count(t: &TestDb) -> i64 {
    let long_ago = Utc.with_ymd_and_hms(2000, 1, 1, 0, 0, 0).unwrap();
    aim::db::sms::count_since(&mut t.db.conn().await.unwrap(), long_ago)
        .await
        .unwrap()
}

/// An earlier message to `customer_id`, written straight to the outbox.
async fn earlier_message(t: &TestDb, actor: &Actor, customer_id: CustomerId, at: DateTime<Utc>) {
    let x = NewSmsMessage {
        id: SmsMessageId::new(),
        customer_id,
        to_number: "+15550142387".to_owned(),
        body: "Earlier message".to_owned(),
        status: SmsStatus::Sent,
        created_by: Some(actor.staff_user_id),
        created_at: at,
    };
    aim::db::sms::insert(&mut t.db.conn().await.unwrap(), &x)
        .await
        .unwrap();
}

/// A port nothing listens on.
async fn closed_port() -> u16 {
    let listener = tokio::net::TcpListener::bind("127.0.0.1:0").await.unwrap();
    listener.local_addr().unwrap().port()
}

both_backends! {
    async fn sends_through_twilio_and_records_the_sid(t: TestDb) {
        let actor = staff(&t).await;
        let mark = customer(&t, "Mark", "Huggins", Some("(555) 014-2387")).await;
        let fake = FakeTwilio::start([Reply::created("SM0123456789abcdef")]).await;
        let sms = via(&t, &fake);
        assert!(!sms.is_dry_run());

        let sent = sms
            .send_to_customer(&actor, mark, "  Biscuit is ready for pick-up!\n")
            .await
            .unwrap();

        assert_eq!(sent.status, SmsStatus::Sent);
        assert_eq!(sent.provider_id.as_deref(), Some("SM0123456789abcdef"));
        assert_eq!(sent.to_number, "+15550142387");
        assert_eq!(sent.body, "Biscuit is ready for pick-up!");
        assert_eq!(sent.customer_id, Some(mark));
        assert_eq!(sent.error, None);
        let stored = row(&t, sent.id).await;
        assert_eq!(stored.created_by, Some(actor.staff_user_id));
        assert_eq!(stored, sent);

        let requests = fake.requests();
        assert_eq!(requests.len(), 1);
        let request = &requests[0];
        assert_eq!(request.method, "POST");
        assert_eq!(
            request.path,
            format!("/2010-04-01/Accounts/{ACCOUNT_SID}/Messages.json")
        );
        assert_eq!(
            request.content_type.as_deref(),
            Some("application/x-www-form-urlencoded")
        );
        let credentials = request
            .authorization
            .as_deref()
            .and_then(|h| h.strip_prefix("Basic "))
            .expect("basic auth");
        let credentials = base64::engine::general_purpose::STANDARD
            .decode(credentials)
            .unwrap();
        assert_eq!(
            String::from_utf8(credentials).unwrap(),
            format!("{ACCOUNT_SID}:{AUTH_TOKEN}")
        );
        assert_eq!(request.field("To"), Some("+15550142387"));
        assert_eq!(request.field("From"), Some(FROM_NUMBER));
        assert_eq!(request.field("Body"), Some("Biscuit is ready for pick-up!"));
        assert_eq!(request.form.len(), 3);
    }

    async fn retries_429_with_backoff_and_retry_after_then_sends(t: TestDb) {
        let actor = staff(&t).await;
        let mark = customer(&t, "Mark", "Huggins", Some("555-014-2387")).await;
        let fake = FakeTwilio::start([
            Reply::too_many_requests(None),
            Reply::too_many_requests(Some("1")),
            Reply::created("SM-after-retries"),
        ])
        .await;

        let sent = via(&t, &fake)
            .send_to_customer(&actor, mark, "Your booking is confirmed.")
            .await
            .unwrap();

        assert_eq!(sent.status, SmsStatus::Sent);
        assert_eq!(sent.provider_id.as_deref(), Some("SM-after-retries"));
        assert_eq!(row(&t, sent.id).await.status, SmsStatus::Sent);
        let requests = fake.requests();
        assert_eq!(requests.len(), 3);
        // The first retry waits the backoff (10 ms in tests), the second the Retry-After (1 s).
        assert!(requests[1].at - requests[0].at >= Duration::from_millis(10));
        assert!(requests[2].at - requests[1].at >= Duration::from_millis(950));
        assert!(requests.iter().all(|r| r.field("To") == Some("+15550142387")));
    }

    async fn gives_up_after_max_retries_of_429(t: TestDb) {
        let actor = staff(&t).await;
        let mark = customer(&t, "Mark", "Huggins", Some("555-014-2387")).await;
        let fake = FakeTwilio::start([
            Reply::too_many_requests(None),
            Reply::too_many_requests(None),
            Reply::too_many_requests(None),
            Reply::created("SM-too-late"),
        ])
        .await;

        let err = via(&t, &fake)
            .send_to_customer(&actor, mark, "Your booking is confirmed.")
            .await
            .unwrap_err();

        let SmsError::SendFailed { message_id, reason } = &err else {
            panic!("expected a failed send, got {err:?}");
        };
        assert_eq!(
            reason,
            "Twilio 429 (20429): Too Many Requests (gave up after 3 attempts)"
        );
        assert_eq!(fake.requests().len(), 3);
        assert_eq!(fake.replies_left(), 1);
        let stored = row(&t, *message_id).await;
        assert_eq!(stored.status, SmsStatus::Failed);
        assert_eq!(stored.error.as_deref(), Some(reason.as_str()));
    }

    async fn twilio_400_is_not_retried_and_recorded_as_failed(t: TestDb) {
        let actor = staff(&t).await;
        let mark = customer(&t, "Mark", "Huggins", Some("+1 555 014 2387")).await;
        let fake = FakeTwilio::start([
            Reply::error(400, 21211, "The 'To' number +15550142387 is not a valid phone number."),
            Reply::created("SM-never"),
        ])
        .await;

        let err = via(&t, &fake)
            .send_to_customer(&actor, mark, "Hello from Happy Tail")
            .await
            .unwrap_err();

        let SmsError::SendFailed { message_id, reason } = &err else {
            panic!("expected a failed send, got {err:?}");
        };
        let expected =
            "Twilio 400 (21211): The 'To' number +15550142387 is not a valid phone number.";
        assert_eq!(reason, expected);
        assert_eq!(err.code(), "send_failed");
        assert!(!err.is_user_error());
        assert_eq!(fake.requests().len(), 1);
        assert_eq!(fake.replies_left(), 1);
        let stored = row(&t, *message_id).await;
        assert_eq!(stored.status, SmsStatus::Failed);
        assert_eq!(stored.error.as_deref(), Some(expected));
        assert_eq!(stored.provider_id, None);
        assert!(stored.updated_at >= stored.created_at);
    }

    async fn unreachable_twilio_is_a_failed_send(t: TestDb) {
        let actor = staff(&t).await;
        let mark = customer(&t, "Mark", "Huggins", Some("555-014-2387")).await;
        let fake = FakeTwilio::start([]).await;
        let mut config = fake.config();
        config.base_url = format!("http://127.0.0.1:{}", closed_port().await);
        let sms = SmsService::new(t.db.clone(), Some(config), SmsLimits::default());

        let err = sms
            .send_to_customer(&actor, mark, "Hello from Happy Tail")
            .await
            .unwrap_err();

        let SmsError::SendFailed { message_id, reason } = &err else {
            panic!("expected a failed send, got {err:?}");
        };
        assert!(reason.starts_with("could not reach Twilio"), "{reason}");
        assert!(!reason.contains(ACCOUNT_SID), "{reason}");
        let stored = row(&t, *message_id).await;
        assert_eq!(stored.status, SmsStatus::Failed);
        assert_eq!(stored.error.as_deref(), Some(reason.as_str()));
    }

    async fn dry_run_records_the_message_without_sending(t: TestDb) {
        let actor = staff(&t).await;
        let mark = customer(&t, "Mark", "Huggins", Some("(555) 014-2387")).await;
        let sms = dry_run(&t, SmsLimits::default());
        assert!(sms.is_dry_run());

        let recorded = sms
            .send_to_customer(&actor, mark, "See you tomorrow!")
            .await
            .unwrap();

        assert_eq!(recorded.status, SmsStatus::DryRun);
        assert_eq!(recorded.provider_id, None);
        assert_eq!(recorded.to_number, "+15550142387");
        assert_eq!(row(&t, recorded.id).await, recorded);
        assert_eq!(sms.get(recorded.id).await.unwrap(), Some(recorded));
        let json = serde_json::to_value(sms.get(SmsMessageId::new()).await.unwrap()).unwrap();
        assert!(json.is_null());
    }

    async fn from_config_sends_only_when_twilio_is_fully_configured(t: TestDb) {
        let actor = staff(&t).await;
        let mark = customer(&t, "Mark", "Huggins", Some("(555) 014-2387")).await;
        let fake = FakeTwilio::start([Reply::created("SM-configured")]).await;
        let mut config = t.config();
        config.twilio_base_url = fake.base_url();
        config.twilio_account_sid = Some(ACCOUNT_SID.to_owned());
        config.twilio_from_number = Some(FROM_NUMBER.to_owned());

        // The auth token is missing: nothing may be sent.
        let sms = SmsService::from_config(t.db.clone(), &config);
        assert!(sms.is_dry_run());
        let recorded = sms.send_to_customer(&actor, mark, "First").await.unwrap();
        assert_eq!(recorded.status, SmsStatus::DryRun);
        assert!(fake.requests().is_empty());

        config.twilio_auth_token = Some(aim::config::Secret::new(AUTH_TOKEN));
        let sms = SmsService::from_config(t.db.clone(), &config);
        assert!(!sms.is_dry_run());
        let sent = sms.send_to_customer(&actor, mark, "Second").await.unwrap();
        assert_eq!(sent.status, SmsStatus::Sent);
        assert_eq!(sent.provider_id.as_deref(), Some("SM-configured"));
        assert_eq!(fake.requests().len(), 1);
        assert_eq!(fake.requests()[0].field("Body"), Some("Second"));
    }

    async fn message_of_1601_characters_is_refused_and_1600_accepted(t: TestDb) {
        let actor = staff(&t).await;
        let mark = customer(&t, "Mark", "Huggins", Some("555-014-2387")).await;
        let sms = dry_run(&t, SmsLimits::default());
        // Two bytes each in UTF-8: the limit is on characters.
        let longest = "é".repeat(MAX_SMS_CHARS);

        let err = sms
            .send_to_customer(&actor, mark, &format!("{longest}é"))
            .await
            .unwrap_err();
        assert!(
            matches!(err, SmsError::MessageTooLong { chars: 1601, max: 1600 }),
            "{err:?}"
        );
        assert_eq!(err.code(), "message_too_long");
        assert_eq!(err.field(), Some("message"));
        assert!(err.is_user_error());
        assert_eq!(
            err.to_string(),
            "the message is 1601 characters long; at most 1600 can be sent in one text"
        );
        assert_eq!(outbox_count(&t).await, 0);

        let recorded = sms.send_to_customer(&actor, mark, &longest).await.unwrap();
        assert_eq!(recorded.body.chars().count(), MAX_SMS_CHARS);
        assert_eq!(row(&t, recorded.id).await.body, longest);
        assert_eq!(outbox_count(&t).await, 1);
    }

    async fn empty_message_is_refused(t: TestDb) {
        let actor = staff(&t).await;
        let mark = customer(&t, "Mark", "Huggins", Some("555-014-2387")).await;
        let sms = dry_run(&t, SmsLimits::default());

        for body in ["", "  \n\t "] {
            let err = sms.send_to_customer(&actor, mark, body).await.unwrap_err();
            assert!(matches!(err, SmsError::EmptyMessage), "{err:?}");
            assert_eq!(err.code(), "empty_message");
            assert_eq!(err.field(), Some("message"));
        }
        assert_eq!(outbox_count(&t).await, 0);
    }

    async fn unknown_customer_is_refused(t: TestDb) {
        let actor = staff(&t).await;
        let sms = dry_run(&t, SmsLimits::default());
        let nobody = CustomerId::new();

        let err = sms.send_to_customer(&actor, nobody, "Hello").await.unwrap_err();

        assert!(matches!(err, SmsError::UnknownCustomer(id) if id == nobody), "{err:?}");
        assert_eq!(err.code(), "unknown_customer");
        assert_eq!(err.field(), Some("customer_id"));
        assert_eq!(err.to_string(), format!("no customer with id {nobody}"));
        assert_eq!(outbox_count(&t).await, 0);
    }

    async fn customer_without_a_usable_phone_is_refused_by_name(t: TestDb) {
        let actor = staff(&t).await;
        let sms = dry_run(&t, SmsLimits::default());
        let no_phone = customer(&t, "Ada", "Barker", None).await;
        let blank_phone = customer(&t, "Ben", "Collie", Some("   ")).await;
        let short_phone = customer(&t, "Cara", "Dane", Some("555-0142")).await;

        let err = sms.send_to_customer(&actor, no_phone, "Hello").await.unwrap_err();
        assert!(matches!(&err, SmsError::NoPhone { customer_name } if customer_name == "Ada Barker"));
        assert_eq!(err.to_string(), "Ada Barker has no phone number on file");
        assert_eq!(err.code(), "no_phone");
        assert_eq!(err.field(), Some("customer_id"));

        let err = sms.send_to_customer(&actor, blank_phone, "Hello").await.unwrap_err();
        assert!(matches!(&err, SmsError::NoPhone { customer_name } if customer_name == "Ben Collie"));

        let err = sms.send_to_customer(&actor, short_phone, "Hello").await.unwrap_err();
        assert!(matches!(&err, SmsError::InvalidPhone { phone } if phone == "555-0142"), "{err:?}");
        assert_eq!(err.code(), "invalid_phone");
        assert_eq!(outbox_count(&t).await, 0);
    }

    async fn fourth_message_to_a_customer_within_the_hour_is_refused(t: TestDb) {
        let actor = staff(&t).await;
        let mark = customer(&t, "Mark", "Huggins", Some("555-014-2387")).await;
        let other = customer(&t, "Olive", "Pointer", Some("555-014-9999")).await;
        let sms = dry_run(&t, SmsLimits::default());

        for n in 1..=3 {
            sms.send_to_customer(&actor, mark, &format!("Update {n}"))
                .await
                .unwrap();
        }
        let err = sms.send_to_customer(&actor, mark, "Update 4").await.unwrap_err();

        match &err {
            SmsError::RateLimited {
                scope: RateLimitScope::Customer,
                limit: 3,
                retry_after_secs: Some(secs),
            } => assert!((3590..=3600).contains(secs), "{secs}"),
            other => panic!("expected the customer limit, got {other:?}"),
        }
        assert_eq!(err.code(), "rate_limited");
        assert!(err.is_user_error());
        assert!(err.to_string().starts_with("this customer has already been sent 3 text messages in the last hour"), "{err}");
        assert_eq!(outbox_count(&t).await, 3);
        // Another customer is not affected.
        sms.send_to_customer(&actor, other, "Hello").await.unwrap();
        assert_eq!(outbox_count(&t).await, 4);
    }

    async fn the_customer_limit_is_a_rolling_hour(t: TestDb) {
        let actor = staff(&t).await;
        let mark = customer(&t, "Mark", "Huggins", Some("555-014-2387")).await;
        let sms = dry_run(&t, SmsLimits::default());
        let start = now();
        for minutes in [61, 70, 90] {
            earlier_message(&t, &actor, mark, start - TimeDelta::minutes(minutes)).await;
        }

        // Older than an hour: they do not count.
        sms.send_to_customer(&actor, mark, "Now").await.unwrap();
        earlier_message(&t, &actor, mark, start - TimeDelta::minutes(50)).await;
        earlier_message(&t, &actor, mark, start - TimeDelta::minutes(30)).await;

        // Three in the last hour; the one from 50 minutes ago leaves the window in 10 minutes.
        let err = sms.send_to_customer(&actor, mark, "Too many").await.unwrap_err();
        match err {
            SmsError::RateLimited {
                scope: RateLimitScope::Customer,
                limit: 3,
                retry_after_secs: Some(secs),
            } => assert!((590..=600).contains(&secs), "{secs}"),
            other => panic!("expected the customer limit, got {other:?}"),
        }
    }

    async fn the_facility_limit_counts_messages_to_every_customer(t: TestDb) {
        let actor = staff(&t).await;
        let sms = dry_run(
            &t,
            SmsLimits {
                per_customer_per_hour: 3,
                per_facility_per_hour: 4,
            },
        );
        let first = customer(&t, "Ada", "Barker", Some("555-010-0001")).await;
        let second = customer(&t, "Ben", "Collie", Some("555-010-0002")).await;
        let third = customer(&t, "Cara", "Dane", Some("555-010-0003")).await;
        for id in [first, first, second, second] {
            sms.send_to_customer(&actor, id, "Closing early today").await.unwrap();
        }

        let err = sms.send_to_customer(&actor, third, "Closing early today").await.unwrap_err();

        match &err {
            SmsError::RateLimited {
                scope: RateLimitScope::Facility,
                limit: 4,
                retry_after_secs: Some(secs),
            } => assert!((3590..=3600).contains(secs), "{secs}"),
            other => panic!("expected the facility limit, got {other:?}"),
        }
        assert!(err.to_string().starts_with("the facility has already sent 4 text messages"), "{err}");
        assert_eq!(outbox_count(&t).await, 4);
    }

    async fn concurrent_sends_to_one_customer_never_pass_the_limit(t: TestDb) {
        let actor = staff(&t).await;
        let mark = customer(&t, "Mark", "Huggins", Some("555-014-2387")).await;
        let limits = SmsLimits::default();
        let fake = FakeTwilio::start((0..12).map(|n| Reply::created(&format!("SM{n}")))).await;
        let sms = via(&t, &fake);

        let tasks: Vec<_> = (0..12)
            .map(|n| {
                let sms = sms.clone();
                tokio::spawn(async move {
                    sms.send_to_customer(&actor, mark, &format!("Message {n}")).await
                })
            })
            .collect();
        let mut sent = 0;
        let mut limited = 0;
        for task in tasks {
            match task.await.unwrap() {
                Ok(message) => {
                    assert_eq!(message.status, SmsStatus::Sent);
                    sent += 1;
                }
                Err(SmsError::RateLimited { scope: RateLimitScope::Customer, .. }) => limited += 1,
                Err(other) => panic!("unexpected {other:?}"),
            }
        }

        assert_eq!(sent, limits.per_customer_per_hour);
        assert_eq!(limited, 12 - limits.per_customer_per_hour);
        assert_eq!(outbox_count(&t).await, i64::from(limits.per_customer_per_hour));
        assert_eq!(fake.requests().len(), limits.per_customer_per_hour as usize);
    }

    async fn the_database_is_not_locked_while_twilio_is_answering(t: TestDb) {
        let actor = staff(&t).await;
        let mark = customer(&t, "Mark", "Huggins", Some("555-014-2387")).await;
        let other = customer(&t, "Olive", "Pointer", Some("555-014-9999")).await;
        let fake = FakeTwilio::start([Reply::created("SM-slow").after(Duration::from_secs(3))]).await;
        let slow = via(&t, &fake);
        let slow_send = tokio::spawn(async move {
            slow.send_to_customer(&actor, mark, "Slow").await
        });
        while fake.requests().is_empty() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }

        // Twilio is still answering the first send; a second one goes through meanwhile.
        let quick = dry_run(&t, SmsLimits::default())
            .send_to_customer(&actor, other, "Quick")
            .await
            .unwrap();
        assert_eq!(quick.status, SmsStatus::DryRun);
        assert!(!slow_send.is_finished());
        let slow = slow_send.await.unwrap().unwrap();
        assert_eq!(slow.status, SmsStatus::Sent);
        assert!(slow.updated_at > quick.created_at);
    }

    async fn a_send_is_finished_and_recorded_even_if_the_caller_stops_waiting(t: TestDb) {
        let actor = staff(&t).await;
        let mark = customer(&t, "Mark", "Huggins", Some("555-014-2387")).await;
        let fake = FakeTwilio::start([Reply::created("SM-finished").after(Duration::from_millis(500))]).await;
        let sms = via(&t, &fake);
        let caller = tokio::spawn({
            let sms = sms.clone();
            async move { sms.send_to_customer(&actor, mark, "Pick-up at 5").await }
        });
        while fake.requests().is_empty() {
            tokio::time::sleep(Duration::from_millis(10)).await;
        }

        // The staff member closes the page while Twilio is answering.
        caller.abort();
        assert!(caller.await.unwrap_err().is_cancelled());

        let deadline = tokio::time::Instant::now() + Duration::from_secs(10);
        let stored = loop {
            let rows = aim::db::sms::list_to_customer(&mut t.db.conn().await.unwrap(), mark, 10)
                .await
                .unwrap();
            assert_eq!(rows.len(), 1);
            if rows[0].status != SmsStatus::Queued || tokio::time::Instant::now() > deadline {
                break rows[0].clone();
            }
            tokio::time::sleep(Duration::from_millis(20)).await;
        };
        assert_eq!(stored.status, SmsStatus::Sent);
        assert_eq!(stored.provider_id.as_deref(), Some("SM-finished"));
    }
}
