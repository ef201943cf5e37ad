#![forbid(unsafe_code)]
//! AIM, the AI Manager of the Happy Tail Happy Dog daycare.

pub mod config;
pub mod db;
pub mod domain;
pub mod auth;
pub mod facility;
