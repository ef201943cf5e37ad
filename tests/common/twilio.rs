//! A fake Twilio Messages API: an in-process server on a free loopback port that answers from
//! a script of replies, in order, and records every request it gets.

use std::collections::VecDeque;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use aim::config::Secret;
use aim::facility::sms::TwilioConfig;
use axum::Form;
use axum::Router;
use axum::extract::State;
use axum::http::{HeaderMap, Method, StatusCode, Uri, header};
use axum::response::{IntoResponse, Response};
use serde_json::{Value, json};

pub const ACCOUNT_SID: &str = "AC00000000000000000000000000000001";
pub const AUTH_TOKEN: &str = "fake-twilio-auth-token";
pub const FROM_NUMBER: &str = "+15550100000";

/// One scripted answer.
#[derive(Clone, Debug)]
pub struct Reply {
    pub status: u16,
    pub body: Value,
    pub retry_after: Option<String>,
    /// How long to wait before answering (a slow provider).
    pub delay: Option<Duration>,
}

impl Reply {
    /// 201 with a queued message resource, as Twilio answers a successful create.
    pub fn created(sid: &str) -> Reply {
        Reply {
            status: 201,
            body: json!({ "sid": sid, "status": "queued", "account_sid": ACCOUNT_SID }),
            retry_after: None,
            delay: None,
        }
    }

    /// An error in Twilio's format.
    pub fn error(status: u16, code: i64, message: &str) -> Reply {
        Reply {
            status,
            body: json!({
                "code": code,
                "message": message,
                "more_info": format!("https://www.twilio.com/docs/errors/{code}"),
                "status": status,
            }),
            retry_after: None,
            delay: None,
        }
    }

    /// 429, optionally with a `Retry-After` header.
    pub fn too_many_requests(retry_after: Option<&str>) -> Reply {
        Reply {
            retry_after: retry_after.map(str::to_owned),
            ..Reply::error(429, 20429, "Too Many Requests")
        }
    }

    /// This reply, given only after `delay`.
    pub fn after(self, delay: Duration) -> Reply {
        Reply {
            delay: Some(delay),
            ..self
        }
    }
}

/// One request as the fake received it.
#[derive(Clone, Debug)]
pub struct Recorded {
    pub method: String,
    pub path: String,
    pub authorization: Option<String>,
    pub content_type: Option<String>,
    pub form: Vec<(String, String)>,
    pub at: Instant,
}

impl Recorded {
    /// The value of form field `name`, if sent.
    pub fn field(&self, name: &str) -> Option<&str> {
        self.form
            .iter()
            .find(|(k, _)| k == name)
            .map(|(_, v)| v.as_str())
    }
}

#[derive(Default)]
struct Script {
    replies: VecDeque<Reply>,
    requests: Vec<Recorded>,
}

/// The running fake; stops when dropped.
pub struct FakeTwilio {
    script: Arc<Mutex<Script>>,
    server: super::fake_server::FakeServer,
}

impl FakeTwilio {
    /// Starts the fake with `replies` to give, in order. Once they run out it answers 500, so a
    /// request the test did not expect shows up as a failure.
    pub async fn start(replies: impl IntoIterator<Item = Reply>) -> FakeTwilio {
        let script = Arc::new(Mutex::new(Script {
            replies: replies.into_iter().collect(),
            requests: Vec::new(),
        }));
        let app = Router::new().fallback(answer).with_state(script.clone());
        let server = super::fake_server::FakeServer::start(app, "fake Twilio server").await;
        FakeTwilio { script, server }
    }

    pub fn base_url(&self) -> String {
        self.server.base_url()
    }

    /// Settings for this fake with short retry delays.
    pub fn config(&self) -> TwilioConfig {
        TwilioConfig {
            account_sid: ACCOUNT_SID.to_owned(),
            auth_token: Secret::new(AUTH_TOKEN),
            from_number: FROM_NUMBER.to_owned(),
            base_url: self.base_url(),
            max_retries: 2,
            retry_base: Duration::from_millis(10),
            request_timeout: Duration::from_secs(5),
        }
    }

    /// Every request received so far, oldest first.
    pub fn requests(&self) -> Vec<Recorded> {
        self.script.lock().unwrap().requests.clone()
    }

    /// Replies not given yet.
    pub fn replies_left(&self) -> usize {
        self.script.lock().unwrap().replies.len()
    }
}

async fn answer(
    State(script): State<Arc<Mutex<Script>>>,
    method: Method,
    uri: Uri,
    headers: HeaderMap,
    Form(form): Form<Vec<(String, String)>>,
) -> Response {
    let header_text = |name: header::HeaderName| {
        headers
            .get(name)
            .and_then(|v| v.to_str().ok())
            .map(str::to_owned)
    };
    let reply = {
        let mut script = script.lock().unwrap();
        script.requests.push(Recorded {
            method: method.to_string(),
            path: uri.path().to_owned(),
            authorization: header_text(header::AUTHORIZATION),
            content_type: header_text(header::CONTENT_TYPE),
            form,
            at: Instant::now(),
        });
        script.replies.pop_front()
    };
    let Some(reply) = reply else {
        return (
            StatusCode::INTERNAL_SERVER_ERROR,
            axum::Json(json!({ "code": 0, "message": "the fake has no scripted reply left" })),
        )
            .into_response();
    };
    if let Some(delay) = reply.delay {
        tokio::time::sleep(delay).await;
    }
    let mut response = (
        StatusCode::from_u16(reply.status).expect("scripted status"),
        axum::Json(reply.body),
    )
        .into_response();
    if let Some(secs) = reply.retry_after {
        response
            .headers_mut()
            .insert(header::RETRY_AFTER, secs.parse().expect("header value"));
    }
    response
}
