//! `aim serve` as a child process: started on a free loopback port, its whole output (both
//! streams) collected, killed when dropped. Also included by the benchmarks.

use std::io::{BufRead, BufReader, Read};
use std::net::SocketAddr;
use std::process::{Child, Command, Stdio};
use std::sync::{Arc, Mutex};
use std::time::Duration;

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

    /// Everything the process has written so far.
    pub fn output(&self) -> String {
        self.output.lock().unwrap().clone()
    }
}

impl Drop for ServeProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}
