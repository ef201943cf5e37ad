//! The HTTP API: the REST shims and the GraphQL schema, driven through the real server.

#[path = "../common/mod.rs"]
mod common;

mod hardening;
mod rest;
