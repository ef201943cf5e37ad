//! `aim serve` as a child process: started on a free loopback port, its whole output (both
//! streams) collected, killed when dropped; and a subscriber of its alert events. Also
//! included by the benchmarks.

use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use futures::{SinkExt, StreamExt};
use serde_json::{Value, json};
use tokio_tungstenite::tungstenite::Message;
use tokio_tungstenite::tungstenite::client::IntoClientRequest;
use tokio_tungstenite::tungstenite::http::HeaderValue;

/// Settings of the environment a child must not inherit (the test sets what it needs).
const CLEARED: &[&str] = &[
    "RUST_LOG",
    "AIM_LOG_FORMAT",
    "AIM_LLM",
    "ANTHROPIC_API_KEY",
    "AIM_WEATHER_URL",
    "AIM_ALERT_INTERVAL",
];

pub struct ServeProcess {
    child: Child,
    pub addr: SocketAddr,
    output: Arc<Mutex<String>>,
}

impl ServeProcess {
    /// Runs `aim serve` with `args` and `env`, and waits for the line that says where it
    /// listens.
    pub fn start(args: &[&str], env: &[(&str, &str)]) -> ServeProcess {
        let mut command = Command::new(env!("CARGO_BIN_EXE_aim"));
        command.arg("serve").args(args);
        for name in CLEARED {
            command.env_remove(name);
        }
        command.env("AIM_BIND", "127.0.0.1:0").env("NO_COLOR", "1");
        for (name, value) in env {
            command.env(name, value);
        }
        let mut child = command
            .stdout(Stdio::piped())
            .stderr(Stdio::piped())
            .spawn()
            .expect("aim serve starts");
        let output = Arc::new(Mutex::new(String::new()));
        let (tx, rx) = std::sync::mpsc::channel();
        let stdout = child.stdout.take().unwrap();
        let collected = output.clone();
        std::thread::spawn(move || {
            for line in BufReader::new(stdout).lines().map_while(Result::ok) {
                if let Some(addr) = line.strip_prefix("AIM is running on http://") {
                    let _ = tx.send(addr.trim().parse::<SocketAddr>().expect("an address"));
                }
                let mut all = collected.lock().unwrap();
                all.push_str(&line);
                all.push('\n');
            }
        });
        let mut stderr = child.stderr.take().unwrap();
        let collected = output.clone();
        std::thread::spawn(move || {
            let mut buffer = [0u8; 4096];
            while let Ok(n) = stderr.read(&mut buffer) {
                if n == 0 {
                    break;
                }
                let text = String::from_utf8_lossy(&buffer[..n]);
                collected.lock().unwrap().push_str(&text);
            }
        });
        let addr = match rx.recv_timeout(Duration::from_secs(120)) {
            Ok(addr) => addr,
            Err(_) => panic!(
                "aim serve did not say where it listens:\n{}",
                output.lock().unwrap()
            ),
        };
        ServeProcess {
            child,
            addr,
            output,
        }
    }

    pub fn url(&self, path: &str) -> String {
        format!("http://{}{path}", self.addr)
    }

    pub fn pid(&self) -> u32 {
        self.child.id()
    }

    /// Sends SIGTERM, as a supervisor stopping the service does.
    pub fn terminate(&self) {
        let sent = Command::new("kill")
            .args(["-TERM", &self.child.id().to_string()])
            .status()
            .expect("kill runs");
        assert!(sent.success(), "SIGTERM was sent");
    }

    /// Waits up to `timeout` for the process to exit; its exit status, if it did.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<std::process::ExitStatus> {
        let deadline = std::time::Instant::now() + timeout;
        while std::time::Instant::now() < deadline {
            if let Some(status) = self.child.try_wait().expect("the child's status") {
                return Some(status);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }

    /// The process's resident memory now, in KiB.
    pub fn rss_kib(&self) -> u64 {
        rss_kib(self.child.id())
    }

    /// Everything the process has written so far.
    pub fn output(&self) -> String {
        self.output.lock().unwrap().clone()
    }
}

/// The resident memory of process `pid` now, in KiB (Linux).
pub fn rss_kib(pid: u32) -> u64 {
    let status = std::fs::read_to_string(format!("/proc/{pid}/status")).expect("/proc is readable");
    status
        .lines()
        .find_map(|l| l.strip_prefix("VmRSS:"))
        .and_then(|v| v.split_whitespace().next())
        .and_then(|v| v.parse().ok())
        .expect("VmRSS")
}

impl Drop for ServeProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

pub type Socket =
    tokio_tungstenite::WebSocketStream<tokio_tungstenite::MaybeTlsStream<tokio::net::TcpStream>>;

pub const EVENTS: &str = "subscription { aimAlertEvents { cursor kind alert { id readAt } } }";

/// A `graphql-transport-ws` subscriber of alert events, acknowledged and subscribed.
pub async fn subscribe(addr: SocketAddr, token: &str) -> Socket {
    let mut request = format!("ws://{addr}/graphql/ws")
        .into_client_request()
        .unwrap();
    request.headers_mut().insert(
        "Sec-WebSocket-Protocol",
        HeaderValue::from_static("graphql-transport-ws"),
    );
    let (mut socket, _) = tokio_tungstenite::connect_async(request)
        .await
        .expect("a WebSocket");
    let send = |m: Value| Message::Text(m.to_string().into());
    socket
        .send(send(
            json!({ "type": "connection_init", "payload": { "token": token } }),
        ))
        .await
        .unwrap();
    loop {
        match socket.next().await {
            Some(Ok(Message::Text(t))) if t.as_str().contains("connection_ack") => break,
            Some(Ok(Message::Text(_))) | Some(Ok(Message::Ping(_))) => {}
            other => panic!("no connection_ack: {other:?}"),
        }
    }
    socket
        .send(send(
            json!({ "id": "1", "type": "subscribe", "payload": { "query": EVENTS } }),
        ))
        .await
        .unwrap();
    // The server answers a ping only after reading the subscribe before it.
    socket.send(send(json!({ "type": "ping" }))).await.unwrap();
    loop {
        match socket.next().await {
            Some(Ok(Message::Text(t))) if t.as_str().contains("\"pong\"") => return socket,
            Some(Ok(Message::Text(t))) if t.as_str().contains("errors") => panic!("refused: {t}"),
            Some(Ok(_)) => {}
            other => panic!("no pong: {other:?}"),
        }
    }
}
