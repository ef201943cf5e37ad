//! The chat orchestrator: one staff message in, one assistant answer out, with the model calling
//! tools in between.
//!
//! 1. The staff message is stored first, in its own transaction, so a failed turn still leaves
//!    the question on record.
//! 2. The context (facility snapshot, recent actions) and the history are loaded.
//! 3. The model is called with the tools; every tool it asks for is run and all results go back
//!    in one message; at most `max_rounds` rounds, then one call without tools forces an answer.
//! 4. The answer, its tool calls, the model and the token usage are stored in one transaction
//!    with the actions proposed in the turn. If the model fails, nothing of the turn but the
//!    staff message is written.
//!
//! [`Aim::chat_stream`] runs the same turn and reports it as it happens ([`ChatEvent`]): the
//! model's text as it is written, each tool as it starts and finishes, the actions proposed,
//! and the outcome. It stores exactly what [`Aim::chat`] stores.
//!
//! A running turn can be stopped ([`Aim::cancel_chat`], or by dropping its stream): the model
//! call in flight is dropped and no tool starts any more; tools already running finish. What
//! was said by then and the tools that finished are stored as the assistant message, marked
//! cancelled, in the same one transaction as a finished answer.

use std::time::Instant;

use chrono::{DateTime, Duration as ChronoDuration, Utc};
use futures::future::join_all;
use futures::stream::{self, BoxStream, StreamExt};
use serde::{Deserialize, Serialize};
use serde_json::{Value, json};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio_util::sync::{CancellationToken, DropGuard};

use super::actions::ActionView;
use super::idempotency::{self, IdempotencyKey, Keyed};
use super::tools::{self, ProposedAction, ToolContext};
use super::turns::RunningTurn;
use super::{Aim, AimError, AimResult, prompt};
use crate::config::WriteTools;
use crate::db::{
    self, AsConn,
    aim::{ActionRow, ChatRequestRow, ConversationRow, MessageRow, NewMessage, TokenCounts},
};
use crate::domain::{
    self, ActionStatus, Actor, ChatRequestState, ConversationId, ConversationStatus, MessageId,
    MessageRole,
};
use crate::facility::dashboard::TodaySummary;
use crate::llm::{
    ChatRole, ContentBlock, Message, Request, Response, StopReason, StreamEvent, ToolChoice, Usage,
    join_text,
};

/// Largest tool output kept with the stored message, in characters of JSON.
pub const STORED_OUTPUT_CHARS: usize = 4_000;
/// Earlier turns whose tool calls are replayed to the model (older ones as text only).
const TURNS_WITH_TOOLS: usize = 3;
/// Longest conversation title, in characters.
const TITLE_CHARS: usize = 60;
/// Actions of the conversation shown in the context.
const CONTEXT_ACTIONS: i64 = 5;

/// What a turn returns.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ChatOutput {
    pub response_text: String,
    pub conversation_id: ConversationId,
    /// Tool names in call order.
    pub tools_used: Vec<String>,
    pub model_used: String,
    /// Actions proposed in this turn, waiting for confirmation.
    pub pending_actions: Vec<ActionView>,
    pub message_id: MessageId,
    pub usage: Usage,
    /// The staff user stopped the turn: `response_text` is what was said by then.
    pub cancelled: bool,
    /// This is the stored answer of an earlier request with the same idempotency key; no turn
    /// ran now.
    #[serde(skip)]
    pub replayed: bool,
}

/// What a streamed turn reports, in this order: `Started`; for each model round its text in
/// `TextDelta`s, then each tool it asked for bracketed by `ToolCallStarted` and
/// `ToolCallFinished` (tools of one round run together, so their brackets may interleave); once
/// the answer is stored, an `ActionPending` per proposed action and `Completed`. The text of a
/// round that ends in tool calls is the model thinking aloud; the last round's text is the
/// answer (`Completed` holds it as stored).
#[derive(Clone, Debug, PartialEq)]
pub enum ChatEvent {
    Started {
        conversation_id: ConversationId,
    },
    TextDelta {
        text: String,
    },
    ToolCallStarted {
        id: String,
        name: String,
        input: Value,
    },
    ToolCallFinished {
        id: String,
        name: String,
        is_error: bool,
        duration_ms: u64,
    },
    ActionPending {
        action: ActionView,
    },
    Completed {
        output: ChatOutput,
    },
}

/// Where a streamed turn reports its events; a receiver that went away is no error.
pub type ChatSink = mpsc::UnboundedSender<ChatEvent>;

/// A streamed turn's events in order, then its error if it failed. Dropping it stops the turn
/// as [`Aim::cancel_chat`] does.
pub type ChatStream = BoxStream<'static, AimResult<ChatEvent>>;

/// Reports `event` when the turn is streamed.
fn report(sink: Option<&ChatSink>, event: impl FnOnce() -> ChatEvent) {
    if let Some(sink) = sink {
        let _ = sink.send(event());
    }
}

/// A tool call as stored with the assistant message.
#[derive(Clone, Debug, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "camelCase")]
pub struct ToolCallRecord {
    pub id: String,
    pub name: String,
    pub input: Value,
    /// The result (or error) the model saw, cut to [`STORED_OUTPUT_CHARS`].
    pub output: Value,
    pub is_error: bool,
    pub duration_ms: u64,
    /// The model round that asked for it, from 1.
    pub round: u32,
}

impl Aim {
    /// Answers `message` from `actor` in a new conversation or in `conversation_id`, which
    /// must be the actor's and active. The turn runs on its own task: a caller that goes away
    /// (a client that hung up) stops it as [`Aim::cancel_chat`] does, and what was said by
    /// then is still stored.
    pub async fn chat(
        &self,
        actor: &Actor,
        message: &str,
        conversation_id: Option<ConversationId>,
    ) -> AimResult<ChatOutput> {
        self.chat_keyed(actor, message, conversation_id, None).await
    }

    /// [`Aim::chat`] with the client's idempotency key, when it sent one (see
    /// [`idempotency`]): a repeat of an answered request gets the first turn's answer
    /// (`replayed`) and runs nothing.
    pub async fn chat_keyed(
        &self,
        actor: &Actor,
        message: &str,
        conversation_id: Option<ConversationId>,
        key: Option<&IdempotencyKey>,
    ) -> AimResult<ChatOutput> {
        let started = match self
            .begin_turn(actor, message, conversation_id, key)
            .await?
        {
            Begun::Started(started) => started,
            Begun::Replayed(output) => return Ok(output),
        };
        let (turn, stop) = self.spawn_answer(actor, started, None);
        let result = answered(turn).await;
        stop.disarm();
        result
    }

    /// [`Aim::chat`] reported as it happens (see [`ChatEvent`]). What is wrong before the turn
    /// starts (the message, the conversation, too many turns) is the error here; after that
    /// the stream ends with the turn's error if it fails. The turn runs on its own task, so
    /// a stream dropped midway stops it and what was said by then is still stored.
    pub async fn chat_stream(
        &self,
        actor: &Actor,
        message: &str,
        conversation_id: Option<ConversationId>,
    ) -> AimResult<ChatStream> {
        self.chat_stream_keyed(actor, message, conversation_id, None)
            .await
    }

    /// [`Aim::chat_stream`] with the client's idempotency key, when it sent one: a repeat of
    /// an answered request reports the first turn's answer (`Started`, its actions,
    /// `Completed`) and runs nothing.
    pub async fn chat_stream_keyed(
        &self,
        actor: &Actor,
        message: &str,
        conversation_id: Option<ConversationId>,
        key: Option<&IdempotencyKey>,
    ) -> AimResult<ChatStream> {
        let started = match self
            .begin_turn(actor, message, conversation_id, key)
            .await?
        {
            Begun::Started(started) => started,
            Begun::Replayed(output) => return Ok(replayed_events(output)),
        };
        let (sink, events) = mpsc::unbounded_channel();
        // The sink goes with the task: the events end when the turn does.
        let (turn, stop) = self.spawn_answer(actor, started, Some(sink));
        let events = stream::unfold(events, |mut events| async move {
            events.recv().await.map(|event| (Ok(event), events))
        });
        let failure = stream::once(async move {
            let _stop = stop;
            answered(turn).await.err().map(Err)
        })
        .filter_map(std::future::ready);
        Ok(events.chain(failure).boxed())
    }

    /// Runs the rest of a started turn on its own task, reporting to `sink` if given. The
    /// guard stops the turn when dropped (disarm it once the turn is answered).
    fn spawn_answer(
        &self,
        actor: &Actor,
        started: StartedTurn,
        sink: Option<ChatSink>,
    ) -> (JoinHandle<AimResult<ChatOutput>>, DropGuard) {
        let stop = started.running.token().clone().drop_guard();
        let aim = self.clone();
        let actor = *actor;
        let turn = self
            .tasks
            .spawn(async move { aim.answer(&actor, started, sink.as_ref()).await });
        (turn, stop)
    }

    /// Stops the turn running in `actor`'s conversation `id`; whether one was running. The
    /// turn ends as [`Aim::chat`] would, with the answer marked cancelled.
    pub async fn cancel_chat(&self, actor: &Actor, id: ConversationId) -> AimResult<bool> {
        let mut conn = self.facility().db().conn().await?;
        owned_conversation(&mut conn, actor, id, false).await?;
        drop(conn);
        let stopped = self.running.cancel(id);
        if stopped {
            tracing::info!(conversation_id = %id, staff_user_id = %actor.staff_user_id, "chat turn stop asked");
        }
        Ok(stopped)
    }

    /// Checks the message, takes a turn from the actor's allowance and stores the question —
    /// or, for a repeat of a keyed request, answers from the first turn or takes up its stored
    /// question again.
    async fn begin_turn(
        &self,
        actor: &Actor,
        message: &str,
        conversation_id: Option<ConversationId>,
        key: Option<&IdempotencyKey>,
    ) -> AimResult<Begun> {
        let message = self.check_message(message)?;
        let mut rerun = None;
        if let Some(key) = key {
            let mut conn = self.facility().db().conn().await?;
            let stored =
                db::aim::find_chat_request(&mut conn, actor.staff_user_id, key.as_str()).await?;
            let auto_writes = self.settings().writes == WriteTools::Auto;
            let now = domain::now();
            match idempotency::judge(
                &mut conn,
                stored,
                key,
                message,
                conversation_id,
                auto_writes,
                now,
            )
            .await?
            {
                Keyed::Replay(output) => return Ok(Begun::Replayed(output)),
                Keyed::Rerun(row) => rerun = Some(row),
                Keyed::New => {}
            }
        }
        self.take_turn(actor.staff_user_id)?;
        let rerun_free = rerun.is_none();
        let (conversation, request) = match rerun {
            Some(row) => self.take_up_question(actor, row).await?,
            None => {
                self.record_question(actor, message, conversation_id, key)
                    .await?
            }
        };
        let running = self.running.start(conversation.id);
        // A new conversation's history is its question: nothing to read back.
        let fresh = (rerun_free && conversation_id.is_none()).then(|| message.to_owned());
        Ok(Begun::Started(StartedTurn {
            conversation,
            running,
            request,
            fresh,
        }))
    }

    /// Claims the stored question of a keyed turn that failed, to answer it again; of two
    /// racing repeats one claims it, the other is told the key is in use.
    async fn take_up_question(
        &self,
        actor: &Actor,
        row: ChatRequestRow,
    ) -> AimResult<(ConversationRow, Option<ChatRequestRow>)> {
        let now = domain::now();
        let mut tx = self.facility().db().begin().await?;
        let conversation = owned_conversation(&mut tx, actor, row.conversation_id, true).await?;
        if !db::aim::move_chat_request(&mut tx, &row, ChatRequestState::Running, None, now).await? {
            return Err(idempotency::still_running());
        }
        tx.commit().await?;
        let request = ChatRequestRow {
            state: ChatRequestState::Running,
            updated_at: now,
            ..row
        };
        Ok((conversation, Some(request)))
    }

    /// The rest of a started turn; a keyed turn that fails is recorded as failed (and whether
    /// a write tool may have acted), so that a repeat knows whether it may run it again.
    async fn answer(
        &self,
        actor: &Actor,
        started: StartedTurn,
        sink: Option<&ChatSink>,
    ) -> AimResult<ChatOutput> {
        let request = started.request.clone();
        let mut acted = false;
        let result = self.answer_turn(actor, started, sink, &mut acted).await;
        if let (Err(_), Some(request)) = (&result, request) {
            let to = if acted {
                ChatRequestState::FailedAfterWrite
            } else {
                ChatRequestState::Failed
            };
            let recorded = async {
                let mut conn = self.facility().db().conn().await?;
                db::aim::move_chat_request(&mut conn, &request, to, None, domain::now()).await
            };
            if let Err(err) = recorded.await {
                tracing::warn!(error = %err, "a failed keyed chat turn could not be recorded; a repeat waits until it is stale");
            }
        }
        result
    }

    /// The rest of a turn whose question is stored: the model, the tools, the stored answer.
    /// `acted`: a write tool may have acted at once (automatic writes).
    async fn answer_turn(
        &self,
        actor: &Actor,
        started: StartedTurn,
        sink: Option<&ChatSink>,
        acted: &mut bool,
    ) -> AimResult<ChatOutput> {
        let StartedTurn {
            conversation,
            running,
            request,
            fresh,
        } = started;
        let conversation_id = conversation.id;
        report(sink, || ChatEvent::Started { conversation_id });

        let now = domain::now();
        let facility = self.facility();
        let (history, recent_actions) = match fresh {
            Some(question) => (vec![Message::user_text(&question)], Vec::new()),
            None => {
                let mut conn = facility.db().conn().await?;
                let rows = db::aim::recent_messages(
                    &mut conn,
                    conversation_id,
                    self.settings().history_messages,
                )
                .await?;
                let actions =
                    db::aim::actions_of_conversation(&mut conn, conversation_id, CONTEXT_ACTIONS)
                        .await?;
                (
                    history_messages(rows, self.settings().history_chars),
                    actions,
                )
            }
        };
        let summary = facility.today_summary(actor, now).await?;
        let system = prompt::system_prompt(
            actor,
            &summary,
            &recent_actions,
            facility.timezone().name(),
            now,
        );

        let mut turn = Turn {
            messages: history,
            ..Turn::default()
        };
        let looped = self
            .run_tools_loop(actor, system, &summary, &mut turn, sink, running.token())
            .await;
        *acted = turn.wrote && self.settings().writes == WriteTools::Auto;
        looped?;
        let output = self
            .record_answer(actor, conversation, turn, request.as_ref())
            .await?;
        drop(running);
        for action in &output.pending_actions {
            report(sink, || ChatEvent::ActionPending {
                action: action.clone(),
            });
        }
        report(sink, || ChatEvent::Completed {
            output: output.clone(),
        });
        Ok(output)
    }

    /// Archives one of `actor`'s conversations: it leaves the active list and takes no more
    /// messages. Archiving again answers with the archived conversation.
    pub async fn archive_conversation(
        &self,
        actor: &Actor,
        id: ConversationId,
    ) -> AimResult<ConversationRow> {
        let mut conn = self.facility().db().conn().await?;
        owned_conversation(&mut conn, actor, id, false).await?;
        db::aim::archive_conversation(&mut conn, id, domain::now()).await?;
        owned_conversation(&mut conn, actor, id, false).await
    }

    fn check_message<'m>(&self, message: &'m str) -> AimResult<&'m str> {
        let message = message.trim();
        if message.is_empty() {
            return Err(AimError::InvalidInput {
                field: "message",
                message: "write a message".to_owned(),
            });
        }
        if message.contains('\0') {
            return Err(AimError::InvalidInput {
                field: "message",
                message: "the message contains a NUL character (U+0000); remove it".to_owned(),
            });
        }
        let max = self.settings().max_message_chars;
        let chars = message.chars().count();
        if chars > max {
            return Err(AimError::InvalidInput {
                field: "message",
                message: format!("the message has {chars} characters; at most {max} are allowed"),
            });
        }
        Ok(message)
    }

    /// Finds (or starts) the conversation and stores the staff message in one transaction,
    /// with the idempotency key when the client sent one.
    async fn record_question(
        &self,
        actor: &Actor,
        message: &str,
        conversation_id: Option<ConversationId>,
        key: Option<&IdempotencyKey>,
    ) -> AimResult<(ConversationRow, Option<ChatRequestRow>)> {
        let now = domain::now();
        let mut tx = self.facility().db().begin().await?;
        let conversation = match conversation_id {
            Some(id) => owned_conversation(&mut tx, actor, id, true).await?,
            None => {
                let id = ConversationId::new();
                let title = title_of(message);
                db::aim::insert_conversation(&mut tx, id, actor.staff_user_id, Some(&title), now)
                    .await?;
                ConversationRow {
                    id,
                    staff_user_id: actor.staff_user_id,
                    title: Some(title),
                    status: ConversationStatus::Active,
                    created_at: now,
                    updated_at: now,
                    tokens: TokenCounts::default(),
                }
            }
        };
        let question_id = MessageId::new();
        db::aim::insert_message(
            &mut tx,
            &NewMessage {
                id: question_id,
                conversation_id: conversation.id,
                role: MessageRole::User,
                content: message,
                tool_calls: None,
                model_used: None,
                tokens: None,
                created_at: now,
                cancelled: false,
            },
        )
        .await?;
        if conversation_id.is_some() {
            db::aim::touch_conversation(&mut tx, conversation.id, now, TokenCounts::default())
                .await?;
        }
        let request = match key {
            None => None,
            Some(key) => {
                let staff = actor.staff_user_id;
                db::aim::forget_chat_requests(&mut tx, staff, now - idempotency::KEY_TTL).await?;
                let new_conversation = conversation_id.is_none();
                let inserted = db::aim::insert_chat_request(
                    &mut tx,
                    staff,
                    key.as_str(),
                    conversation.id,
                    question_id,
                    new_conversation,
                    now,
                )
                .await;
                match inserted {
                    // A repeat racing this one stored the key first: it answers.
                    Err(db::DbError::UniqueViolation { .. }) => {
                        return Err(idempotency::still_running());
                    }
                    other => other?,
                }
                Some(ChatRequestRow {
                    staff_user_id: staff,
                    idempotency_key: key.as_str().to_owned(),
                    conversation_id: conversation.id,
                    question_id,
                    new_conversation,
                    state: ChatRequestState::Running,
                    answer_id: None,
                    created_at: now,
                    updated_at: now,
                    question: message.to_owned(),
                })
            }
        };
        tx.commit().await?;
        Ok((conversation, request))
    }

    /// Calls the model until it answers without tools, running the tools it asks for; stops
    /// early when `cancel` fires. `snapshot` is the summary of today the prompt was built from.
    async fn run_tools_loop(
        &self,
        actor: &Actor,
        system: crate::llm::SystemPrompt,
        snapshot: &TodaySummary,
        turn: &mut Turn,
        sink: Option<&ChatSink>,
        cancel: &CancellationToken,
    ) -> AimResult<()> {
        let settings = self.settings();
        for round in 1..=settings.max_rounds + 1 {
            let last_round = round > settings.max_rounds;
            let request = Request {
                system: system.clone(),
                messages: turn.messages.clone(),
                tools: tools::definitions(),
                tool_choice: if last_round {
                    ToolChoice::None
                } else {
                    ToolChoice::Auto
                },
                max_tokens: settings.max_tokens,
            };
            turn.said.push(String::new());
            let said = turn.said.last_mut().expect("this round's text");
            let Some(response) = self.call_model(&request, sink, said, cancel).await? else {
                turn.stop();
                return Ok(());
            };
            turn.usage += response.usage;
            turn.model = Some(response.model.clone());
            let uses: Vec<(String, String, Value)> = response
                .tool_uses()
                .map(|(id, name, input)| (id.to_owned(), name.to_owned(), input.clone()))
                .collect();
            if uses.is_empty() || last_round {
                turn.text = answer_text(&response, last_round);
                return Ok(());
            }
            turn.messages.push(Message {
                role: ChatRole::Assistant,
                content: response.content,
            });
            // Once the turn may have written, today's summary is read afresh.
            if uses.iter().any(|(_, name, _)| tools::writes(name)) {
                turn.wrote = true;
            }
            let ctx = ToolContext {
                facility: self.facility(),
                actor: *actor,
                now: domain::now(),
                writes: settings.writes,
                snapshot: (!turn.wrote).then_some(snapshot),
            };
            let results = self.run_tools(ctx, round, uses, turn, sink, cancel).await;
            if cancel.is_cancelled() {
                turn.stop();
                return Ok(());
            }
            turn.messages.push(Message {
                role: ChatRole::User,
                content: results,
            });
        }
        unreachable!("the last round always answers")
    }

    /// One model call, streamed when the turn is (its text passed on to `sink` as it arrives).
    /// The text so far is kept in `said`; `None` when `cancel` fired first, which drops the
    /// call.
    async fn call_model(
        &self,
        request: &Request,
        sink: Option<&ChatSink>,
        said: &mut String,
        cancel: &CancellationToken,
    ) -> AimResult<Option<Response>> {
        let Some(sink) = sink else {
            let response = tokio::select! {
                biased;
                () = cancel.cancelled() => return Ok(None),
                response = self.provider.complete(request) => response?,
            };
            said.push_str(&join_text(&response.content));
            return Ok(Some(response));
        };
        let (deltas, mut arriving) = mpsc::unbounded_channel();
        let mut pass_on = |event: StreamEvent| {
            let StreamEvent::TextDelta(text) = event;
            said.push_str(&text);
            let _ = sink.send(ChatEvent::TextDelta { text });
        };
        let call = self.provider.stream(request, &deltas);
        tokio::pin!(call);
        let response = loop {
            tokio::select! {
                biased;
                () = cancel.cancelled() => return Ok(None),
                Some(event) = arriving.recv() => pass_on(event),
                response = &mut call => break response,
            }
        };
        while let Ok(event) = arriving.try_recv() {
            pass_on(event);
        }
        Ok(Some(response?))
    }

    /// Runs one round's tool calls concurrently; results come back in the order asked. A tool
    /// not yet started when `cancel` fires does not start (and has no result).
    async fn run_tools(
        &self,
        ctx: ToolContext<'_>,
        round: u32,
        uses: Vec<(String, String, Value)>,
        turn: &mut Turn,
        sink: Option<&ChatSink>,
        cancel: &CancellationToken,
    ) -> Vec<ContentBlock> {
        let outcomes = join_all(uses.iter().map(|(id, name, input)| async move {
            if cancel.is_cancelled() {
                return None;
            }
            report(sink, || ChatEvent::ToolCallStarted {
                id: id.clone(),
                name: name.clone(),
                input: input.clone(),
            });
            let started = Instant::now();
            let outcome = tools::execute(ctx, name, input).await;
            let elapsed = started.elapsed();
            report(sink, || ChatEvent::ToolCallFinished {
                id: id.clone(),
                name: name.clone(),
                is_error: outcome.is_error,
                duration_ms: elapsed.as_millis() as u64,
            });
            Some((outcome, elapsed))
        }))
        .await;
        let mut results = Vec::with_capacity(uses.len());
        for ((id, name, input), ran) in uses.into_iter().zip(outcomes) {
            let Some((outcome, elapsed)) = ran else {
                continue;
            };
            tracing::debug!(tool = %name, is_error = outcome.is_error, ms = elapsed.as_millis() as u64, "tool ran");
            results.push(ContentBlock::ToolResult {
                tool_use_id: id.clone(),
                content: outcome.content.to_string(),
                is_error: outcome.is_error,
            });
            if name == "create_booking" && outcome.content["status"] == "booked" {
                self.booked();
            }
            turn.calls.push(ToolCallRecord {
                id,
                name,
                input,
                output: tools::fit(outcome.content, STORED_OUTPUT_CHARS),
                is_error: outcome.is_error,
                duration_ms: elapsed.as_millis() as u64,
                round,
            });
            turn.proposed.extend(outcome.proposed);
        }
        results
    }

    /// Stores the answer with its tool calls, usage and proposed actions in one transaction.
    async fn record_answer(
        &self,
        actor: &Actor,
        conversation: ConversationRow,
        mut turn: Turn,
        request: Option<&ChatRequestRow>,
    ) -> AimResult<ChatOutput> {
        let now = domain::now();
        // PostgreSQL stores no NUL character in text or JSON: one the model wrote becomes U+FFFD
        // rather than losing the answer.
        if turn.text.contains('\0') {
            turn.text = turn.text.replace('\0', "\u{FFFD}");
        }
        let model_used = turn
            .model
            .clone()
            .unwrap_or_else(|| self.model().to_owned());
        let tokens = token_counts(turn.usage);
        let tool_calls = (!turn.calls.is_empty()).then(|| {
            let mut calls = serde_json::to_value(&turn.calls).expect("tool calls serialize");
            replace_nul(&mut calls);
            calls
        });
        let message_id = MessageId::new();
        let expires_at = now
            + ChronoDuration::from_std(self.settings().action_ttl)
                .unwrap_or(ChronoDuration::minutes(30));
        let actions: Vec<ActionRow> = turn
            .proposed
            .iter()
            .map(|p| action_row(p, &conversation, &turn.calls, now, expires_at))
            .collect();

        let mut tx = self.facility().db().begin().await?;
        db::aim::insert_message(
            &mut tx,
            &NewMessage {
                id: message_id,
                conversation_id: conversation.id,
                role: MessageRole::Assistant,
                content: &turn.text,
                tool_calls: tool_calls.as_ref(),
                model_used: Some(&model_used),
                tokens: Some(tokens),
                created_at: now,
                cancelled: turn.cancelled,
            },
        )
        .await?;
        for action in &actions {
            db::aim::insert_action(&mut tx, action).await?;
        }
        db::aim::touch_conversation(&mut tx, conversation.id, now, tokens).await?;
        if let Some(request) = request {
            let answered = ChatRequestState::Answered;
            db::aim::move_chat_request(&mut tx, request, answered, Some(message_id), now).await?;
        }
        tx.commit().await?;

        tracing::info!(
            conversation_id = %conversation.id,
            staff_user_id = %actor.staff_user_id,
            tools = turn.calls.len(),
            proposed = actions.len(),
            input_tokens = tokens.input_tokens,
            output_tokens = tokens.output_tokens,
            model = %model_used,
            cancelled = turn.cancelled,
            "chat turn answered"
        );
        Ok(ChatOutput {
            response_text: turn.text,
            conversation_id: conversation.id,
            tools_used: turn.calls.iter().map(|c| c.name.clone()).collect(),
            model_used,
            pending_actions: actions
                .into_iter()
                .map(|row| ActionView::of(row, now))
                .collect(),
            message_id,
            usage: turn.usage,
            cancelled: turn.cancelled,
            replayed: false,
        })
    }
}

/// The conversation if it is `actor`'s (and active, when `active_only`); any other case is the
/// same not-found, so another staff user's conversation is not revealed.
pub(super) async fn owned_conversation(
    c: &mut impl AsConn,
    actor: &Actor,
    id: ConversationId,
    active_only: bool,
) -> AimResult<ConversationRow> {
    match db::aim::find_conversation(c, id).await? {
        Some(row)
            if row.staff_user_id == actor.staff_user_id
                && (!active_only || row.status == ConversationStatus::Active) =>
        {
            Ok(row)
        }
        _ => Err(AimError::ConversationNotFound(id.to_string())),
    }
}

/// The outcome of a turn's task; a panic in it is the caller's panic.
async fn answered(turn: JoinHandle<AimResult<ChatOutput>>) -> AimResult<ChatOutput> {
    match turn.await {
        Ok(result) => result,
        Err(failed) => match failed.try_into_panic() {
            Ok(panic) => std::panic::resume_unwind(panic),
            Err(_) => panic!("the runtime shut down during a chat turn"),
        },
    }
}

/// A turn whose question is stored, registered as running until it is answered.
struct StartedTurn {
    conversation: ConversationRow,
    running: RunningTurn,
    /// The turn's idempotency key as stored, when the client sent one.
    request: Option<ChatRequestRow>,
    /// The question, when it began a new conversation (whose history it is, alone).
    fresh: Option<String>,
}

/// How a turn begins: it runs, or it is a repeat of an answered keyed request.
enum Begun {
    Started(StartedTurn),
    Replayed(ChatOutput),
}

/// The events of a streamed turn that is a repeat of an answered one: its start, the actions
/// it proposed and its answer.
fn replayed_events(output: ChatOutput) -> ChatStream {
    let mut events = vec![ChatEvent::Started {
        conversation_id: output.conversation_id,
    }];
    events.extend(
        output
            .pending_actions
            .iter()
            .map(|action| ChatEvent::ActionPending {
                action: action.clone(),
            }),
    );
    events.push(ChatEvent::Completed { output });
    stream::iter(events.into_iter().map(Ok)).boxed()
}

/// What a turn produced before it is stored.
#[derive(Default)]
struct Turn {
    /// The conversation as the model sees it: the history, then this turn's rounds.
    messages: Vec<Message>,
    text: String,
    model: Option<String>,
    /// Token usage of the model calls that finished (a call cut short reports none).
    usage: Usage,
    calls: Vec<ToolCallRecord>,
    proposed: Vec<ProposedAction>,
    /// The text of each model round so far, the current one last.
    said: Vec<String>,
    cancelled: bool,
    /// A write tool was asked for: the prompt's summary of today may be out of date.
    wrote: bool,
}

impl Turn {
    /// The turn stopped by the staff user: what was said by then is the answer.
    fn stop(&mut self) {
        self.text = self
            .said
            .iter()
            .map(|text| text.trim())
            .filter(|text| !text.is_empty())
            .collect::<Vec<_>>()
            .join("\n\n");
        self.cancelled = true;
    }
}

fn action_row(
    p: &ProposedAction,
    conversation: &ConversationRow,
    calls: &[ToolCallRecord],
    now: DateTime<Utc>,
    expires_at: DateTime<Utc>,
) -> ActionRow {
    let tool_use_id = calls
        .iter()
        .find(|c| c.output.get("actionId") == Some(&json!(p.id)))
        .map(|c| c.id.clone())
        .unwrap_or_default();
    ActionRow {
        id: p.id,
        conversation_id: conversation.id,
        staff_user_id: conversation.staff_user_id,
        tool_use_id,
        tool: p.tool,
        input: sqlx::types::Json(p.input.clone()),
        summary: p.summary.clone(),
        status: ActionStatus::Pending,
        result: None,
        error: None,
        created_at: now,
        expires_at,
        decided_at: None,
        completed_at: None,
    }
}

/// Replaces every NUL character in the strings (and keys) of `value` with U+FFFD.
fn replace_nul(value: &mut Value) {
    match value {
        Value::String(text) if text.contains('\0') => *text = text.replace('\0', "\u{FFFD}"),
        Value::Array(items) => items.iter_mut().for_each(replace_nul),
        Value::Object(map) if map.keys().any(|k| k.contains('\0')) => {
            *map = std::mem::take(map)
                .into_iter()
                .map(|(k, mut v)| {
                    replace_nul(&mut v);
                    (k.replace('\0', "\u{FFFD}"), v)
                })
                .collect();
        }
        Value::Object(map) => map.values_mut().for_each(replace_nul),
        _ => {}
    }
}

fn token_counts(usage: Usage) -> TokenCounts {
    let n = |v: u64| i64::try_from(v).unwrap_or(i64::MAX);
    TokenCounts {
        input_tokens: n(usage.input_tokens),
        output_tokens: n(usage.output_tokens),
        cache_read_tokens: n(usage.cache_read_input_tokens),
        cache_write_tokens: n(usage.cache_creation_input_tokens),
    }
}

/// The model's text, or a plain explanation when it gave none.
fn answer_text(response: &Response, forced: bool) -> String {
    let text = join_text(&response.content);
    if !text.is_empty() {
        return text;
    }
    match &response.stop_reason {
        StopReason::Refusal => "I can't help with that request.".to_owned(),
        StopReason::MaxTokens => {
            "My answer ran too long and was cut off. Could you ask for less at once?".to_owned()
        }
        _ if forced => "I couldn't finish that within the steps I'm allowed for one message. \
                        Could you narrow the question down?"
            .to_owned(),
        _ => "I have no answer to that. Could you rephrase it?".to_owned(),
    }
}

/// The first message, on one line and at most [`TITLE_CHARS`] characters, cut at a word.
fn title_of(message: &str) -> String {
    let line = message.split_whitespace().collect::<Vec<_>>().join(" ");
    if line.chars().count() <= TITLE_CHARS {
        return line;
    }
    let cut: String = line.chars().take(TITLE_CHARS - 1).collect();
    let cut = match cut.rfind(' ') {
        Some(i) if i > TITLE_CHARS / 2 => &cut[..i],
        _ => cut.as_str(),
    };
    format!("{}…", cut.trim_end())
}

/// The stored messages (newest first) as the model's history: oldest first, the most recent
/// turns with their tool calls replayed, bounded by `max_chars`, starting with a staff message
/// and alternating roles.
fn history_messages(mut rows: Vec<MessageRow>, max_chars: usize) -> Vec<Message> {
    rows.reverse();
    let with_tools_from = rows
        .iter()
        .enumerate()
        .filter(|(_, r)| r.role == MessageRole::Assistant)
        .map(|(i, _)| i)
        .rev()
        .nth(TURNS_WITH_TOOLS - 1)
        .unwrap_or(0);

    // Each stored message becomes one or more model messages; keep them grouped so that a
    // turn's tool rounds are dropped together.
    let mut groups: Vec<Vec<Message>> = rows
        .iter()
        .enumerate()
        .map(|(i, row)| match row.role {
            MessageRole::User => vec![Message::user_text(&row.content)],
            MessageRole::Assistant => assistant_messages(row, i >= with_tools_from),
        })
        .collect();

    // Drop the oldest groups until the history fits; the newest (the question) always stays.
    let size = |g: &Vec<Message>| serde_json::to_string(g).map_or(0, |s| s.len());
    let mut total: usize = groups.iter().map(size).sum();
    let mut first = 0;
    while total > max_chars && first + 1 < groups.len() {
        total -= size(&groups[first]);
        first += 1;
    }
    let mut messages: Vec<Message> = groups.drain(first..).flatten().collect();
    while messages
        .first()
        .is_some_and(|m| m.role == ChatRole::Assistant)
    {
        messages.remove(0);
    }
    merge_same_role(messages)
}

/// An assistant message as the model saw it: its tool rounds (when `with_tools`) and its text.
fn assistant_messages(row: &MessageRow, with_tools: bool) -> Vec<Message> {
    let mut out = Vec::new();
    let calls: Vec<ToolCallRecord> = row
        .tool_calls
        .as_ref()
        .filter(|_| with_tools)
        .and_then(|j| serde_json::from_value(j.0.clone()).ok())
        .unwrap_or_default();
    let mut rounds: Vec<u32> = calls.iter().map(|c| c.round).collect();
    rounds.dedup();
    for round in rounds {
        let in_round = calls.iter().filter(|c| c.round == round);
        out.push(Message {
            role: ChatRole::Assistant,
            content: in_round
                .clone()
                .map(|c| ContentBlock::ToolUse {
                    id: c.id.clone(),
                    name: c.name.clone(),
                    input: c.input.clone(),
                })
                .collect(),
        });
        out.push(Message {
            role: ChatRole::User,
            content: in_round
                .map(|c| ContentBlock::ToolResult {
                    tool_use_id: c.id.clone(),
                    content: c.output.to_string(),
                    is_error: c.is_error,
                })
                .collect(),
        });
    }
    out.push(Message::assistant_text(as_said(row)));
    out
}

/// An assistant message's text as the model sees it again; a stopped answer says so (and is
/// never empty, which the providers refuse).
fn as_said(row: &MessageRow) -> String {
    if !row.cancelled {
        return row.content.clone();
    }
    let content = row.content.trim();
    if content.is_empty() {
        "[The staff member stopped this answer before any of it was written.]".to_owned()
    } else {
        format!("{content}\n\n[The staff member stopped this answer here.]")
    }
}

/// Joins consecutive messages of one role (a turn that failed leaves two staff messages in a
/// row), so roles alternate as the providers require.
fn merge_same_role(messages: Vec<Message>) -> Vec<Message> {
    let mut out: Vec<Message> = Vec::with_capacity(messages.len());
    for m in messages {
        match out.last_mut() {
            Some(last) if last.role == m.role => last.content.extend(m.content),
            _ => out.push(m),
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn titles_are_one_short_line() {
        assert_eq!(
            title_of("  How's   today\nlooking? "),
            "How's today looking?"
        );
        let long = "Please book Biscuit and Max for daycare every weekday next week and text Mark";
        let title = title_of(long);
        assert!(title.chars().count() <= TITLE_CHARS, "{title}");
        assert!(title.ends_with('…'));
        assert!(long.starts_with(title.trim_end_matches('…')));
    }

    #[test]
    fn consecutive_messages_of_one_role_are_joined() {
        let merged = merge_same_role(vec![
            Message::user_text("first"),
            Message::user_text("second"),
            Message::assistant_text("answer"),
        ]);
        assert_eq!(merged.len(), 2);
        assert_eq!(merged[0].content.len(), 2);
    }
}
