//! GraphQL's chat part: every operation refused without a valid token, chat turns with the
//! offline model, conversations only their owner sees, pages that walk a list without repeats
//! or gaps, DataLoaders that keep a page's cost flat, pending actions confirmed or cancelled,
//! and input errors that name the field.

use std::time::Duration;

use aim::auth::{Claims, JwtKeys};
use aim::config::Secret;
use aim::db::aim::{ActionRow, NewMessage, TokenCounts};
use aim::domain::*;
use base64::Engine;
use chrono::{DateTime, Datelike, TimeDelta, Utc, Weekday};
use reqwest::StatusCode;
use serde_json::{Value, json};

use super::*;
use crate::both_backends;

const CHAT: &str = "mutation Chat($input: AimChatInput!) {
    aimChat(input: $input) {
        responseText conversationId toolsUsed modelUsed messageId
        pendingActions { id conversationId tool summary input status result error createdAt expiresAt decidedAt completedAt }
    }
}";

const CONVERSATION: &str = "query Conversation($id: ID!) {
    aimConversation(id: $id) {
        id title status createdAt updatedAt inputTokens outputTokens cacheReadTokens cacheWriteTokens
        staffUser { id email role }
        messages {
            edges { cursor node {
                id conversationId role content modelUsed createdAt inputTokens outputTokens
                toolCalls { id name input output isError durationMs round }
                toolCallsJson
            } }
            pageInfo { hasNextPage endCursor }
        }
        actions { id status tool summary }
    }
}";

const ACTION_FIELDS: &str =
    "id conversationId tool summary input status result error decidedAt completedAt";

/// `mutation { <name>(id: $id) { … } }` for the action mutations.
fn action_mutation(name: &str) -> String {
    format!("mutation Act($id: ID!) {{ {name}(id: $id) {{ {ACTION_FIELDS} }} }}")
}

const ARCHIVE: &str =
    "mutation Archive($id: ID!) { archiveAimConversation(id: $id) { id status updatedAt } }";

/// Every operation of the chat part, with variables that would succeed for the manager.
fn every_operation(conversation_id: &str) -> Vec<(&'static str, String, Value)> {
    let id = json!({ "id": conversation_id });
    vec![
        (
            "aimConversations",
            "{ aimConversations { edges { node { id } } } }".to_owned(),
            json!({}),
        ),
        ("aimConversation", CONVERSATION.to_owned(), id.clone()),
        (
            "facilityStatus",
            "{ facilityStatus { dogsOnSite } }".to_owned(),
            json!({}),
        ),
        (
            "aimChat",
            CHAT.to_owned(),
            json!({ "input": { "message": "How's today looking?" } }),
        ),
        ("archiveAimConversation", ARCHIVE.to_owned(), id.clone()),
        (
            "confirmAimAction",
            action_mutation("confirmAimAction"),
            json!({ "id": uuid::Uuid::now_v7() }),
        ),
        (
            "cancelAimAction",
            action_mutation("cancelAimAction"),
            json!({ "id": uuid::Uuid::now_v7() }),
        ),
    ]
}

/// Tokens the server must refuse, with what is wrong with them.
fn refused_tokens(api: &Api) -> Vec<(&'static str, Option<String>)> {
    let now = Utc::now().timestamp();
    let claims = Claims {
        sub: api.manager.staff_user_id.to_string(),
        role: Role::Manager,
        exp: now - 60,
        iat: now - 3600,
        nbf: now - 3600,
        iss: "aim".into(),
        aud: "aim-admin".into(),
    };
    let keys = |secret: &str| {
        JwtKeys::new(
            &Secret::new(secret),
            "aim",
            "aim-admin",
            Duration::from_secs(3600),
        )
    };
    vec![
        ("no token", None),
        ("garbage", Some("not.a.token".to_owned())),
        (
            "expired",
            Some(keys(common::TEST_SECRET).sign(&claims).unwrap()),
        ),
        (
            "another key",
            Some(
                keys("another-secret-another-secret-another")
                    .issue(api.manager.staff_user_id, Role::Manager)
                    .unwrap()
                    .token,
            ),
        ),
    ]
}

fn code(error: &Value) -> (&str, Option<&str>) {
    (
        error["extensions"]["code"].as_str().unwrap_or("-"),
        error["extensions"]["field"].as_str(),
    )
}

/// What "next Friday" means to AIM: that day of next week (weeks start on Monday).
fn next_week(from: NaiveDate, day: Weekday) -> NaiveDate {
    let monday = from - TimeDelta::days(i64::from(from.weekday().num_days_from_monday()));
    monday + TimeDelta::days(7 + i64::from(day.num_days_from_monday()))
}

/// A conversation of `staff` stored directly, last used at `at`.
async fn conversation_at(
    api: &Api,
    staff: StaffUserId,
    title: &str,
    at: DateTime<Utc>,
) -> ConversationId {
    let id = ConversationId::new();
    let mut conn = api.t.db.conn().await.unwrap();
    aim::db::aim::insert_conversation(&mut conn, id, staff, Some(title), at)
        .await
        .unwrap();
    id
}

async fn message_at(
    api: &Api,
    conversation: ConversationId,
    role: MessageRole,
    content: &str,
    at: DateTime<Utc>,
) -> MessageId {
    let id = MessageId::new();
    let tool_calls = json!([{
        "id": "toolu_1", "name": "get_today_summary", "input": {}, "output": {"dogsOnSite": 3},
        "isError": false, "durationMs": 4, "round": 1
    }]);
    let assistant = role == MessageRole::Assistant;
    let mut conn = api.t.db.conn().await.unwrap();
    aim::db::aim::insert_message(
        &mut conn,
        &NewMessage {
            id,
            conversation_id: conversation,
            role,
            content,
            tool_calls: assistant.then_some(&tool_calls),
            model_used: assistant.then_some("aim-offline"),
            tokens: assistant.then_some(TokenCounts::default()),
            created_at: at,
            cancelled: false,
        },
    )
    .await
    .unwrap();
    id
}

async fn pending_action_in(api: &Api, conversation: ConversationId, at: DateTime<Utc>) {
    let mut conn = api.t.db.conn().await.unwrap();
    aim::db::aim::insert_action(
        &mut conn,
        &ActionRow {
            id: ActionId::new(),
            conversation_id: conversation,
            staff_user_id: api.manager.staff_user_id,
            tool_use_id: "toolu_2".into(),
            tool: ActionTool::SendSmsToCustomer,
            input: sqlx::types::Json(json!({"customer_id": uuid::Uuid::nil(), "message": "Hi"})),
            summary: "Text a customer".into(),
            status: ActionStatus::Pending,
            result: None,
            error: None,
            created_at: at,
            expires_at: at + TimeDelta::minutes(30),
            decided_at: None,
            completed_at: None,
        },
    )
    .await
    .unwrap();
}

/// The ids of every page of `aimConversations(first: 3)`, walked with `endCursor`.
async fn walk_conversations(api: &Api, status: Option<&str>) -> Vec<Vec<String>> {
    const PAGE: &str = "query Page($after: String, $status: AimConversationStatus) {
        aimConversations(first: 3, after: $after, status: $status) {
            edges { cursor node { id } }
            pageInfo { hasNextPage endCursor }
        }
    }";
    let mut pages = Vec::new();
    let mut after = Value::Null;
    loop {
        let data = api
            .data(
                &api.manager_token,
                PAGE,
                json!({ "after": after, "status": status }),
            )
            .await;
        let page = &data["aimConversations"];
        let edges = page["edges"].as_array().unwrap();
        pages.push(
            edges
                .iter()
                .map(|e| e["node"]["id"].as_str().unwrap().to_owned())
                .collect(),
        );
        let info = &page["pageInfo"];
        if let Some(last) = edges.last() {
            assert_eq!(info["endCursor"], last["cursor"]);
        }
        if info["hasNextPage"] != json!(true) {
            return pages;
        }
        after = info["endCursor"].clone();
        assert!(pages.len() < 10, "the walk must end");
    }
}

/// The ids of every page of a conversation's `messages(first: 3)`.
async fn walk_messages(api: &Api, conversation: ConversationId) -> Vec<Vec<String>> {
    const PAGE: &str = "query Page($id: ID!, $after: String) {
        aimConversation(id: $id) {
            messages(first: 3, after: $after) {
                edges { node { id content } }
                pageInfo { hasNextPage endCursor }
            }
        }
    }";
    let mut pages = Vec::new();
    let mut after = Value::Null;
    loop {
        let data = api
            .data(
                &api.manager_token,
                PAGE,
                json!({ "id": conversation, "after": after }),
            )
            .await;
        let page = &data["aimConversation"]["messages"];
        pages.push(
            page["edges"]
                .as_array()
                .unwrap()
                .iter()
                .map(|e| e["node"]["id"].as_str().unwrap().to_owned())
                .collect(),
        );
        if page["pageInfo"]["hasNextPage"] != json!(true) {
            return pages;
        }
        after = page["pageInfo"]["endCursor"].clone();
        assert!(pages.len() < 10, "the walk must end");
    }
}

both_backends! {
    async fn every_chat_operation_is_401_without_a_valid_token(t: TestDb) {
        let api = Api::start(t).await;
        let conversation = conversation_at(&api, api.manager.staff_user_id, "Mine", aim::domain::now()).await;
        for (operation, query, variables) in every_operation(&conversation.to_string()) {
            for (what, token) in refused_tokens(&api) {
                let (status, body) = api.post(token.as_deref(), &query, variables.clone()).await;
                assert_eq!(status, StatusCode::UNAUTHORIZED, "{operation}, {what}: {body}");
                assert_eq!(body["error"]["code"], "unauthenticated", "{operation}, {what}");
                assert!(body.get("data").is_none(), "{operation}, {what}: nothing ran");
            }
        }
        // Queries over GET are refused alike.
        for query in ["{ aimConversations { edges { cursor } } }", "{ facilityStatus { capacity } }"] {
            let url = reqwest::Url::parse_with_params(&api.server.url("/graphql"), [("query", query)]).unwrap();
            let response = api.server.client.get(url).send().await.unwrap();
            assert_eq!(response.status(), StatusCode::UNAUTHORIZED, "GET {query}");
        }
        // Nothing was chatted or archived.
        let counts = aim::db::facility::table_counts(&mut api.t.db.conn().await.unwrap()).await.unwrap();
        let count = |table: &str| counts.iter().find(|(name, _)| *name == table).unwrap().1;
        assert_eq!((count("aim_conversations"), count("aim_messages")), (1, 0));
        let data = api.data(&api.manager_token, CONVERSATION, json!({ "id": conversation })).await;
        assert_eq!(data["aimConversation"]["status"], "ACTIVE");
        // The same operations with the right token are answered.
        for (operation, query, variables) in every_operation(&conversation.to_string()) {
            let (status, body) = api.post(Some(&api.manager_token), &query, variables).await;
            assert_eq!(status, StatusCode::OK, "{operation}: {body}");
        }
    }

    async fn chat_answers_with_the_offline_model_and_only_its_owner_sees_the_conversation(t: TestDb) {
        let api = Api::start(t).await;
        let data = api.data(&api.manager_token, CHAT, json!({ "input": { "message": "How's today looking?" } })).await;
        let out = &data["aimChat"];
        assert_eq!(out["modelUsed"], "aim-offline");
        assert!(out["toolsUsed"].as_array().unwrap().contains(&json!("get_today_summary")), "{out}");
        assert!(out["responseText"].as_str().unwrap().contains("40"), "capacity: {out}");
        assert_eq!(out["pendingActions"], json!([]));
        let id = out["conversationId"].as_str().unwrap().to_owned();

        let data = api.data(&api.manager_token, CONVERSATION, json!({ "id": id })).await;
        let conversation = &data["aimConversation"];
        assert_eq!(conversation["id"], id.as_str());
        assert_eq!(conversation["title"], "How's today looking?");
        assert_eq!(conversation["status"], "ACTIVE");
        assert_eq!(conversation["staffUser"]["email"], DEMO_MANAGER_EMAIL);
        assert_eq!(conversation["staffUser"]["role"], "MANAGER");
        let messages = conversation["messages"]["edges"].as_array().unwrap();
        assert_eq!(messages.len(), 2, "{conversation}");
        assert_eq!(conversation["messages"]["pageInfo"]["hasNextPage"], false);
        let (question, answer) = (&messages[0]["node"], &messages[1]["node"]);
        assert_eq!((question["role"].as_str(), question["content"].as_str()), (Some("USER"), Some("How's today looking?")));
        assert_eq!(question["toolCalls"], Value::Null);
        assert_eq!(question["modelUsed"], Value::Null);
        assert_eq!(answer["role"], "ASSISTANT");
        assert_eq!(answer["id"], out["messageId"]);
        assert_eq!(answer["conversationId"], id.as_str());
        assert_eq!(answer["content"], out["responseText"]);
        assert_eq!(answer["modelUsed"], "aim-offline");
        let calls = answer["toolCalls"].as_array().unwrap();
        let summary = calls.iter().find(|c| c["name"] == "get_today_summary").expect("typed tool call");
        assert!(summary["id"].as_str().is_some_and(|s| !s.is_empty()));
        assert_eq!(summary["isError"], false);
        assert_eq!(summary["round"], 1);
        assert!(summary["durationMs"].as_u64().is_some());
        assert!(summary["input"].is_object(), "JSON input: {summary}");
        assert_eq!(summary["output"]["capacity"], 40, "JSON output: {summary}");
        // The raw column holds the same calls.
        assert_eq!(answer["toolCallsJson"].as_array().unwrap().len(), calls.len());
        assert_eq!(answer["toolCallsJson"][0]["name"], calls[0]["name"]);

        // A turn that proposes an action, so there is one to refuse to another staff user.
        let booked = api.data(&api.manager_token, CHAT, json!({ "input": { "message": "Book Pepper for daycare next Friday", "conversationId": id } })).await;
        assert_eq!(booked["aimChat"]["conversationId"], id.as_str());
        let action = booked["aimChat"]["pendingActions"][0]["id"].as_str().expect("a proposed action").to_owned();

        // Another staff user: it doesn't exist for them.
        let data = api.data(&api.staff_token, CONVERSATION, json!({ "id": id })).await;
        assert_eq!(data["aimConversation"], Value::Null);
        let data = api.data(&api.staff_token, "{ aimConversations { edges { node { id } } } }", json!({})).await;
        assert_eq!(data["aimConversations"]["edges"], json!([]));
        let refused = [
            (ARCHIVE.to_owned(), json!({ "id": id })),
            (action_mutation("confirmAimAction"), json!({ "id": action })),
            (action_mutation("cancelAimAction"), json!({ "id": action })),
            (CHAT.to_owned(), json!({ "input": { "message": "And tomorrow?", "conversationId": id } })),
        ];
        for (query, variables) in refused {
            let error = api.error(&api.staff_token, &query, variables).await;
            assert_eq!(code(&error).0, "not_found", "{query}: {error}");
            assert!(error["extensions"]["requestId"].is_string());
        }
        // Untouched: still active, the action still pending, no third turn.
        let data = api.data(&api.manager_token, CONVERSATION, json!({ "id": id })).await;
        let conversation = &data["aimConversation"];
        assert_eq!(conversation["status"], "ACTIVE");
        assert_eq!(conversation["actions"][0]["id"], action.as_str());
        assert_eq!(conversation["actions"][0]["status"], "PENDING");
        assert_eq!(conversation["messages"]["edges"].as_array().unwrap().len(), 4);

        // Its owner archives it: it stays readable and takes no more messages.
        let archived = api.data(&api.manager_token, ARCHIVE, json!({ "id": id })).await;
        assert_eq!(archived["archiveAimConversation"]["status"], "ARCHIVED");
        let again = api.data(&api.manager_token, ARCHIVE, json!({ "id": id })).await;
        assert_eq!(again["archiveAimConversation"], archived["archiveAimConversation"], "archiving again changes nothing");
        let error = api.error(&api.manager_token, CHAT, json!({ "input": { "message": "More?", "conversationId": id } })).await;
        assert_eq!(code(&error).0, "not_found");
        let data = api.data(&api.manager_token, CONVERSATION, json!({ "id": id })).await;
        assert_eq!(data["aimConversation"]["status"], "ARCHIVED");
    }

    async fn pages_walk_every_conversation_and_message_once(t: TestDb) {
        let api = Api::start(t).await;
        let base = aim::domain::now() - TimeDelta::hours(1);
        // Seven conversations, last used in pairs at the same instant, so the id breaks ties.
        let mut expected = Vec::new();
        for i in 0..7 {
            let at = base + TimeDelta::minutes(i / 2);
            let id = conversation_at(&api, api.manager.staff_user_id, &format!("Conversation {i}"), at).await;
            expected.push((at, id));
        }
        // Another staff user's conversations never show.
        for i in 0..3 {
            conversation_at(&api, api.staff.staff_user_id, "Not mine", base + TimeDelta::minutes(i)).await;
        }
        expected.sort_by(|a, b| b.cmp(a));
        let expected: Vec<String> = expected.iter().map(|(_, id)| id.to_string()).collect();

        let pages = walk_conversations(&api, None).await;
        assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), [3, 3, 1]);
        assert_eq!(pages.concat(), expected, "newest updatedAt first, no repeats, no gaps");

        // Archiving makes it the most recently used, and the status filter splits the list.
        let archived = &expected[4];
        api.data(&api.manager_token, ARCHIVE, json!({ "id": archived })).await;
        assert_eq!(walk_conversations(&api, Some("ARCHIVED")).await.concat(), vec![archived.clone()]);
        let active = walk_conversations(&api, Some("ACTIVE")).await.concat();
        let mut without: Vec<String> = expected.clone();
        without.retain(|id| id != archived);
        assert_eq!(active, without);
        assert_eq!(walk_conversations(&api, None).await.concat()[0], *archived);

        // Seven messages, written in pairs at the same instant.
        let conversation: ConversationId = expected[0].parse().unwrap();
        let mut messages = Vec::new();
        for i in 0..7 {
            let at = base + TimeDelta::seconds(i / 2);
            let role = if i % 2 == 0 { MessageRole::User } else { MessageRole::Assistant };
            let id = message_at(&api, conversation, role, &format!("Message {i}"), at).await;
            messages.push((at, id));
        }
        messages.sort();
        let expected: Vec<String> = messages.iter().map(|(_, id)| id.to_string()).collect();
        let pages = walk_messages(&api, conversation).await;
        assert_eq!(pages.iter().map(Vec::len).collect::<Vec<_>>(), [3, 3, 1]);
        assert_eq!(pages.concat(), expected, "oldest first, no repeats, no gaps");

        // A page of exactly the remaining items says there is no next page.
        let data = api.data(&api.manager_token, "query($id: ID!) { aimConversation(id: $id) { messages(first: 7) { pageInfo { hasNextPage } } } }", json!({ "id": conversation })).await;
        assert_eq!(data["aimConversation"]["messages"]["pageInfo"]["hasNextPage"], false);
        let data = api.data(&api.manager_token, "{ aimConversations(first: 0) { edges { cursor } pageInfo { hasNextPage endCursor } } }", json!({})).await;
        assert_eq!(data["aimConversations"]["pageInfo"], json!({ "hasNextPage": true, "endCursor": null }));
    }

    async fn a_page_of_conversations_costs_the_same_queries_whatever_its_size(t: TestDb) {
        let api = Api::start(t).await;
        let base = aim::domain::now() - TimeDelta::hours(2);
        for i in 0..20 {
            let at = base + TimeDelta::minutes(i);
            let id = conversation_at(&api, api.manager.staff_user_id, &format!("Conversation {i}"), at).await;
            for m in 0..3 {
                let role = if m % 2 == 0 { MessageRole::User } else { MessageRole::Assistant };
                message_at(&api, id, role, &format!("Message {m}"), at + TimeDelta::seconds(m)).await;
            }
            if i % 2 == 0 {
                pending_action_in(&api, id, at).await;
            }
        }
        const PAGE: &str = "query Page($first: Int) {
            aimConversations(first: $first) {
                edges { cursor node {
                    id title status
                    staffUser { id name }
                    messages(first: 2) {
                        edges { cursor node { id role content toolCalls { name } } }
                        pageInfo { hasNextPage endCursor }
                    }
                    actions { id status }
                } }
                pageInfo { hasNextPage endCursor }
            }
        }";
        // What one request costs: the fewest statements of two runs, so that anything else
        // the server might do meanwhile can't inflate it.
        let cost = async |first: u32| {
            let mut fewest = u64::MAX;
            for _ in 0..2 {
                let before = api.queries();
                let data = api.data(&api.manager_token, PAGE, json!({ "first": first })).await;
                fewest = fewest.min(api.queries() - before);
                let edges = data["aimConversations"]["edges"].as_array().unwrap().clone();
                assert_eq!(edges.len(), first as usize);
                for edge in &edges {
                    let node = &edge["node"];
                    assert_eq!(node["staffUser"]["name"], "Morgan Reyes");
                    assert_eq!(node["messages"]["edges"].as_array().unwrap().len(), 2);
                    assert_eq!(node["messages"]["pageInfo"]["hasNextPage"], true);
                    let n: u32 = node["title"].as_str().unwrap().trim_start_matches("Conversation ").parse().unwrap();
                    assert_eq!(node["actions"].as_array().unwrap().len(), usize::from(n.is_multiple_of(2)), "{node}");
                }
            }
            fewest
        };
        let five = cost(5).await;
        let twenty = cost(20).await;
        eprintln!("statements per page: 5 conversations {five}, 20 conversations {twenty}");
        assert_eq!(five, twenty, "the cost of a page does not grow with its size");
        // Authentication, the page, then one batch each for owners, messages and actions.
        assert_eq!(twenty, 5);
    }

    async fn proposed_actions_are_confirmed_once_or_cancelled(t: TestDb) {
        let api = Api::start(t).await;
        let friday = next_week(today(), Weekday::Fri);
        let data = api.data(&api.manager_token, CHAT, json!({ "input": { "message": "Book Pepper for daycare next Friday" } })).await;
        let out = &data["aimChat"];
        let pending = out["pendingActions"].as_array().unwrap();
        assert_eq!(pending.len(), 1, "{out}");
        let action = &pending[0];
        assert_eq!(action["status"], "PENDING");
        assert_eq!(action["tool"], "CREATE_BOOKING");
        assert_eq!(action["conversationId"], out["conversationId"]);
        assert!(action["summary"].as_str().unwrap().contains("Pepper"), "{action}");
        assert_eq!(action["input"]["service"], "daycare");
        assert_eq!(action["result"], Value::Null);
        let id = action["id"].as_str().unwrap().to_owned();
        // Nothing booked yet.
        let pepper_arrives = async || {
            let data = api.data(&api.manager_token, "query($date: Date) { facilityStatus(date: $date) { date localTime arrivals { dogs { name } } } }", json!({ "date": friday.to_string() })).await;
            let status = &data["facilityStatus"];
            assert_eq!(status["date"], friday.to_string());
            assert_eq!(status["localTime"], "12:00", "another day is shown at noon");
            status["arrivals"].as_array().unwrap().iter().any(|a| a["dogs"].as_array().unwrap().iter().any(|d| d["name"] == "Pepper"))
        };
        assert!(!pepper_arrives().await);

        let confirm = action_mutation("confirmAimAction");
        let done = api.data(&api.manager_token, &confirm, json!({ "id": id })).await["confirmAimAction"].clone();
        assert_eq!(done["status"], "EXECUTED", "{done}");
        assert_eq!(done["result"]["status"], "booked");
        assert!(done["decidedAt"].is_string() && done["completedAt"].is_string());
        assert!(pepper_arrives().await, "the booking exists");
        let again = api.data(&api.manager_token, &confirm, json!({ "id": id })).await["confirmAimAction"].clone();
        assert_eq!(again, done, "a second confirm answers with the same action");
        let error = api.error(&api.manager_token, &action_mutation("cancelAimAction"), json!({ "id": id })).await;
        assert_eq!(code(&error).0, "action_not_pending", "{error}");

        // Another proposal, cancelled: nothing happens, and it can't be confirmed afterwards.
        let data = api.data(&api.manager_token, CHAT, json!({ "input": { "message": "Book Pepper for daycare next Thursday" } })).await;
        let other = data["aimChat"]["pendingActions"][0]["id"].as_str().expect("a second proposal").to_owned();
        let cancel = action_mutation("cancelAimAction");
        let cancelled = api.data(&api.manager_token, &cancel, json!({ "id": other })).await["cancelAimAction"].clone();
        assert_eq!(cancelled["status"], "CANCELLED");
        assert_eq!(cancelled["completedAt"], Value::Null);
        let again = api.data(&api.manager_token, &cancel, json!({ "id": other })).await["cancelAimAction"].clone();
        assert_eq!(again, cancelled);
        let error = api.error(&api.manager_token, &confirm, json!({ "id": other })).await;
        assert_eq!(code(&error).0, "action_not_pending");

        // The conversation lists its actions, newest first.
        let conversation = data["aimChat"]["conversationId"].clone();
        let data = api.data(&api.manager_token, CONVERSATION, json!({ "id": conversation })).await;
        assert_eq!(data["aimConversation"]["actions"], json!([{ "id": other, "status": "CANCELLED", "tool": "CREATE_BOOKING", "summary": cancelled["summary"] }]));
    }

    async fn bad_ids_cursors_and_page_sizes_are_invalid_input_naming_the_field(t: TestDb) {
        let api = Api::start(t).await;
        let conversation = conversation_at(&api, api.manager.staff_user_id, "Mine", aim::domain::now()).await;
        message_at(&api, conversation, MessageRole::User, "Hello", aim::domain::now()).await;
        let data = api.data(&api.manager_token, "{ aimConversations(first: 1) { pageInfo { endCursor } } }", json!({})).await;
        let conversation_cursor = data["aimConversations"]["pageInfo"]["endCursor"].as_str().unwrap().to_owned();
        let forged = base64::engine::general_purpose::URL_SAFE_NO_PAD.encode("conversation:oops:1");
        let messages = |args: &str| format!("query($id: ID!) {{ aimConversation(id: $id) {{ messages({args}) {{ edges {{ cursor }} }} }} }}");
        let id = json!({ "id": conversation });
        let cases: Vec<(String, Value, &str)> = vec![
            (CONVERSATION.to_owned(), json!({ "id": "not-a-uuid" }), "id"),
            (ARCHIVE.to_owned(), json!({ "id": "42" }), "id"),
            (action_mutation("confirmAimAction"), json!({ "id": "" }), "id"),
            (action_mutation("cancelAimAction"), json!({ "id": "x" }), "id"),
            (CHAT.to_owned(), json!({ "input": { "message": "Hi", "conversationId": "nope" } }), "conversationId"),
            (CHAT.to_owned(), json!({ "input": { "message": "   " } }), "message"),
            ("{ aimConversations(first: 1000) { edges { cursor } } }".to_owned(), json!({}), "first"),
            ("{ aimConversations(first: 101) { edges { cursor } } }".to_owned(), json!({}), "first"),
            ("{ aimConversations(first: -1) { edges { cursor } } }".to_owned(), json!({}), "first"),
            ("{ aimConversations(after: \"garbage\") { edges { cursor } } }".to_owned(), json!({}), "after"),
            (format!("{{ aimConversations(after: \"{forged}\") {{ edges {{ cursor }} }} }}"), json!({}), "after"),
            (messages("first: 1000"), id.clone(), "first"),
            (messages("after: \"garbage\""), id.clone(), "after"),
            // A cursor of the conversation list means nothing in a list of messages.
            (messages(&format!("after: \"{conversation_cursor}\"")), id.clone(), "after"),
        ];
        for (query, variables, field) in cases {
            let error = api.error(&api.manager_token, &query, variables.clone()).await;
            assert_eq!(code(&error), ("invalid_input", Some(field)), "{query} {variables}: {error}");
            assert!(error["message"].as_str().is_some_and(|m| !m.is_empty()));
        }
        // A well-formed id of nothing: null to read, not found to change.
        let unknown = json!({ "id": uuid::Uuid::now_v7() });
        let data = api.data(&api.manager_token, CONVERSATION, unknown.clone()).await;
        assert_eq!(data["aimConversation"], Value::Null);
        for query in [ARCHIVE.to_owned(), action_mutation("confirmAimAction"), action_mutation("cancelAimAction")] {
            let error = api.error(&api.manager_token, &query, unknown.clone()).await;
            assert_eq!(code(&error).0, "not_found", "{query}");
        }
        // Nothing was stored by the refused chat turns.
        let data = api.data(&api.manager_token, "{ aimConversations { edges { node { id } } } }", json!({})).await;
        assert_eq!(data["aimConversations"]["edges"].as_array().unwrap().len(), 1);
    }

    async fn facility_status_is_the_dashboard_now_or_at_noon_on_another_day(t: TestDb) {
        let api = Api::start(t).await;
        const STATUS: &str = "query($date: Date) { facilityStatus(date: $date) {
            date at localTime dogsOnSite dogsBooked capacity placesLeft occupancyPercent
            staffOnDuty { staffUserId name role start end onBreak }
            arrivals { bookingId time service status customer { id name phone } dogs { id name breed } }
            departures { bookingId time service status customer { name } dogs { name } }
            complianceFlags { dogId dogName owner { name } vaccine status expiresOn nextBooking invalidOnNextBooking }
            staffingGaps { hour dogs staffOnDuty dogsPerStaff overRatio noStaff }
        } }";
        let data = api.data(&api.staff_token, STATUS, json!({})).await;
        let now = &data["facilityStatus"];
        assert_eq!(now["date"], today().to_string());
        assert_eq!(now["capacity"], 40);
        let booked = now["dogsBooked"].as_i64().unwrap();
        assert!(booked > 32, "the demo day is above 80 %: {booked}");
        assert_eq!(now["placesLeft"].as_i64().unwrap(), 40 - booked);
        assert!((now["occupancyPercent"].as_f64().unwrap() - booked as f64 * 2.5).abs() < 0.1);
        assert!(!now["arrivals"].as_array().unwrap().is_empty());
        assert!(!now["staffingGaps"].as_array().unwrap().is_empty(), "the demo has a shift over the ratio");
        assert!(now["arrivals"][0]["dogs"][0]["name"].is_string());
        // The same as the facility's own dashboard.
        let facility = aim::facility::Facility::new(
            api.t.db.clone(),
            aim::facility::FacilitySettings { capacity: 40, staff_ratio: 8, timezone: TZ },
            aim::facility::sms::SmsService::new(api.t.db.clone(), None, Default::default()),
        );
        let at: DateTime<Utc> = now["at"].as_str().unwrap().parse().unwrap();
        let dashboard = facility.facility_status(at).await.unwrap();
        assert_eq!(booked, i64::from(dashboard.dogs_booked));
        assert_eq!(now["dogsOnSite"], dashboard.dogs_on_site);
        assert_eq!(now["complianceFlags"].as_array().unwrap().len(), dashboard.compliance_flags.len());
        assert_eq!(now["staffOnDuty"].as_array().unwrap().len(), dashboard.staff_on_duty.len());

        let tomorrow = today() + TimeDelta::days(1);
        let data = api.data(&api.staff_token, STATUS, json!({ "date": tomorrow.to_string() })).await;
        let later = &data["facilityStatus"];
        assert_eq!(later["date"], tomorrow.to_string());
        assert_eq!(later["localTime"], "12:00");
        let noon = clock::local_instant(TZ, tomorrow, chrono::NaiveTime::from_hms_opt(12, 0, 0).unwrap());
        assert_eq!(later["at"].as_str().unwrap().parse::<DateTime<Utc>>().unwrap(), noon);
        let data = api.data(&api.staff_token, STATUS, json!({ "date": today().to_string() })).await;
        assert_eq!(data["facilityStatus"]["dogsBooked"], booked, "today's date is now");

        let (status, body) = api.post(Some(&api.staff_token), STATUS, json!({ "date": "tomorrow" })).await;
        assert_eq!(status, StatusCode::OK);
        assert!(body["errors"][0]["message"].as_str().unwrap().contains("YYYY-MM-DD"), "{body}");
    }
}
