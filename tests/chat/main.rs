//! Chat: the model providers against in-process fakes of their wire formats.

#[path = "../common/mod.rs"]
mod common;

mod providers;
