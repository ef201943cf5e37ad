//! What every in-process fake of an outside service shares: an axum app served on a free port
//! of the loopback interface until the fake is dropped.

use std::net::SocketAddr;

use axum::Router;
use tokio::sync::oneshot;

/// A running fake; dropping it stops the server.
pub struct FakeServer {
    pub addr: SocketAddr,
    shutdown: Option<oneshot::Sender<()>>,
}

impl FakeServer {
    /// Serves `app` on 127.0.0.1:0; `name` says which fake failed if serving does.
    pub async fn start(app: Router, name: &'static str) -> FakeServer {
        let listener = tokio::net::TcpListener::bind("127.0.0.1:0")
            .await
            .expect("bind port 0");
        let addr = listener.local_addr().unwrap();
        let (tx, rx) = oneshot::channel::<()>();
        tokio::spawn(async move {
            axum::serve(listener, app)
                .with_graceful_shutdown(async move {
                    let _ = rx.await;
                })
                .await
                .unwrap_or_else(|e| panic!("{name}: {e}"));
        });
        FakeServer {
            addr,
            shutdown: Some(tx),
        }
    }

    pub fn base_url(&self) -> String {
        format!("http://{}", self.addr)
    }
}

impl Drop for FakeServer {
    fn drop(&mut self) {
        if let Some(tx) = self.shutdown.take() {
            let _ = tx.send(());
        }
    }
}
