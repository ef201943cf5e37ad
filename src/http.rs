//! Outbound HTTP: one way to build a `reqwest` client for the providers AIM calls (Twilio, the
//! model providers, the weather service), on the same rustls + ring stack the database uses.

use std::time::Duration;

/// A client with the given connect and whole-request timeouts.
pub fn client(connect_timeout: Duration, timeout: Duration) -> reqwest::Client {
    // reqwest is built without a bundled crypto provider so that only ring is compiled; make it
    // the process default once (a second install fails harmlessly).
    let _ = rustls::crypto::ring::default_provider().install_default();
    reqwest::Client::builder()
        .connect_timeout(connect_timeout)
        .timeout(timeout)
        .user_agent(concat!("aim/", env!("CARGO_PKG_VERSION")))
        .build()
        .expect("HTTP client with the process's TLS provider")
}
