//! Processes and topics for the tests.

use std::process::Stdio;
use std::time::Duration;

use rdkafka::ClientConfig;
use rdkafka::Message;
use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::message::Headers;
use tokio::io::{AsyncBufReadExt, BufReader, Lines};
use tokio::process::{Child, ChildStdout, Command};

/// A harness process whose stdout lines the test reads.
pub struct Harness {
    pub child: Child,
    pub lines: Lines<BufReader<ChildStdout>>,
}

impl Harness {
    pub fn spawn(database_url: &str, args: &[&str]) -> Self {
        let mut child = Command::new(env!("CARGO_BIN_EXE_outbox-harness"))
            .arg("--database-url")
            .arg(database_url)
            .args(args)
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .kill_on_drop(true)
            .spawn()
            .expect("spawn outbox-harness");
        let lines = BufReader::new(child.stdout.take().unwrap()).lines();
        Self { child, lines }
    }

    /// Waits for a line starting with `prefix`; returns it.
    pub async fn expect_line(&mut self, prefix: &str, timeout: Duration) -> String {
        let wait = async {
            while let Some(line) = self.lines.next_line().await.expect("read harness stdout") {
                if line.starts_with(prefix) {
                    return line;
                }
            }
            panic!("harness exited before printing {prefix}");
        };
        tokio::time::timeout(timeout, wait)
            .await
            .unwrap_or_else(|_| panic!("no {prefix} within {timeout:?}"))
    }

    /// SIGKILL: no destructor, no flush, no offset commit.
    pub async fn kill(mut self) {
        self.child.start_kill().expect("SIGKILL");
        self.child.wait().await.expect("reap");
    }

    /// Lines printed so far without waiting for more.
    pub async fn drain_lines(&mut self, quiet: Duration) -> Vec<String> {
        let mut out = Vec::new();
        while let Ok(Ok(Some(line))) = tokio::time::timeout(quiet, self.lines.next_line()).await {
            out.push(line);
        }
        out
    }
}

/// A message as it sits on the topic.
#[derive(Debug, Clone)]
pub struct RawMessage {
    pub key: String,
    pub ce_id: String,
    pub headers: Vec<(String, String)>,
}

/// Reads the topic from the beginning until `expected` messages arrived and then nothing more
/// for `quiet`, or until `limit` passes.
pub async fn read_topic(
    topic: &str,
    expected: usize,
    quiet: Duration,
    limit: Duration,
) -> Vec<RawMessage> {
    let consumer: StreamConsumer = ClientConfig::new()
        .set(
            "bootstrap.servers",
            gigshield_kit::testing::kafka_bootstrap(),
        )
        .set("group.id", format!("reader-{}", uuid::Uuid::now_v7()))
        .set("auto.offset.reset", "earliest")
        .set("enable.auto.commit", "false")
        .create()
        .expect("reader");
    consumer.subscribe(&[topic]).expect("subscribe");
    let mut out = Vec::new();
    let deadline = tokio::time::Instant::now() + limit;
    loop {
        let wait = if out.len() >= expected {
            quiet
        } else {
            Duration::from_secs(2)
        };
        match tokio::time::timeout(wait, consumer.recv()).await {
            Ok(Ok(msg)) => {
                let headers: Vec<(String, String)> = msg
                    .headers()
                    .map(|h| {
                        h.iter()
                            .map(|h| {
                                (
                                    h.key.to_string(),
                                    String::from_utf8_lossy(h.value.unwrap_or_default())
                                        .into_owned(),
                                )
                            })
                            .collect()
                    })
                    .unwrap_or_default();
                let ce_id = headers
                    .iter()
                    .find(|(k, _)| k == "ce_id")
                    .map(|(_, v)| v.clone())
                    .unwrap_or_default();
                out.push(RawMessage {
                    key: String::from_utf8_lossy(msg.key().unwrap_or_default()).into_owned(),
                    ce_id,
                    headers,
                });
            }
            Ok(Err(e)) => panic!("kafka read failed: {e}"),
            Err(_) if out.len() >= expected => return out,
            Err(_) => {}
        }
        if tokio::time::Instant::now() >= deadline {
            return out;
        }
    }
}
