//! Reading what a service published, as a consumer of its topic would.

use std::time::Duration;

use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::message::Headers;
use rdkafka::{ClientConfig, Message};
use uuid::Uuid;

use super::kafka_bootstrap;

/// One message as it sits on a topic.
#[derive(Debug, Clone)]
pub struct Published {
    pub key: String,
    /// The CloudEvents `ce_type` header.
    pub event_type: String,
    pub payload: Vec<u8>,
    /// Key, header values and payload together, to search for text that must not be there.
    pub everything: Vec<u8>,
}

impl Published {
    /// Whether `needle` appears anywhere in the message (key, headers, payload).
    pub fn mentions(&self, needle: &str) -> bool {
        contains(&self.everything, needle)
    }
}

/// Whether `needle`'s bytes appear in `haystack`.
pub fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len().max(1))
        .any(|w| w == needle.as_bytes())
}

/// The first `expected` messages of `topic`, from its start; fails when 30 s pass without the
/// next one.
pub async fn read_events(topic: &str, expected: usize) -> Vec<Published> {
    read_events_where(topic, expected, |_| true).await
}

/// The first `expected` messages of `topic` that `wanted` keeps, from the topic's start.
pub async fn read_events_where(
    topic: &str,
    expected: usize,
    wanted: impl Fn(&Published) -> bool,
) -> Vec<Published> {
    let consumer: StreamConsumer = ClientConfig::new()
        .set("bootstrap.servers", kafka_bootstrap())
        .set("group.id", format!("test-reader-{}", Uuid::now_v7()))
        .set("auto.offset.reset", "earliest")
        .set("enable.auto.commit", "false")
        .create()
        .expect("a test consumer");
    consumer.subscribe(&[topic]).expect("subscribed");
    let mut seen = Vec::new();
    while seen.len() < expected {
        let msg = tokio::time::timeout(Duration::from_secs(30), consumer.recv())
            .await
            .unwrap_or_else(|_| panic!("only {} of {expected} events arrived", seen.len()))
            .expect("a message");
        let published = published(&msg);
        if wanted(&published) {
            seen.push(published);
        }
    }
    seen
}

fn published(msg: &impl Message) -> Published {
    let key = msg.key().unwrap_or_default();
    let payload = msg.payload().unwrap_or_default();
    let mut everything = payload.to_vec();
    everything.extend_from_slice(key);
    let mut event_type = String::new();
    if let Some(headers) = msg.headers() {
        for h in headers.iter() {
            everything.extend_from_slice(h.value.unwrap_or_default());
            if h.key == "ce_type" {
                event_type = String::from_utf8_lossy(h.value.unwrap_or_default()).into_owned();
            }
        }
    }
    Published {
        key: String::from_utf8_lossy(key).into_owned(),
        event_type,
        payload: payload.to_vec(),
        everything,
    }
}
