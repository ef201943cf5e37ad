#![forbid(unsafe_code)]
//! AIM, the AI Manager of the Happy Tail Happy Dog daycare: a GraphQL API where staff chat with
//! an assistant over the facility's data and receive live operational alerts.
//!
//! Layers depend one way: `api` → `aim` → `auth`/`facility`/`events` → `db`, with `domain` and
//! `config` shared.

pub mod aim;
pub mod api;
mod app;
pub mod auth;
pub mod cli;
pub mod config;
pub mod cursor;
pub mod db;
pub mod domain;
pub mod events;
pub mod facility;
pub mod http;
pub mod llm;
pub mod telemetry;
pub mod untrusted;

pub use app::{
    App, Mode, SecretSource, StartError, alert_engine, build_app, issue_token, jwt_keys,
    open_database, serve,
};
