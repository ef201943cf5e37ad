//! AIM itself: the tools it offers the model, its system prompt, pending actions that staff
//! confirm, and the chat orchestrator that ties them together.

pub mod tools;
