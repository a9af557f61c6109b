//! CloudEvents 1.0 Kafka binary binding: the event's attributes travel as headers, the value
//! is the protobuf-encoded event.

use chrono::{DateTime, Utc};
use rdkafka::Message;
use rdkafka::message::{Header, Headers, OwnedHeaders};

use crate::telemetry::TRACEPARENT;

pub const SPECVERSION: &str = "ce_specversion";
pub const ID: &str = "ce_id";
pub const SOURCE: &str = "ce_source";
pub const TYPE: &str = "ce_type";
pub const TIME: &str = "ce_time";
pub const SUBJECT: &str = "ce_subject";
pub const DATASCHEMA: &str = "ce_dataschema";
/// The CloudEvents protobuf format: `dataschema` is the type URL of the data's message.
pub const TYPE_URL_PREFIX: &str = "type.googleapis.com/";
pub const CONTENT_TYPE: &str = "content-type";
pub const PROTOBUF: &str = "application/protobuf";

/// One event as published or received.
#[derive(Debug, Clone, PartialEq)]
pub struct Envelope {
    /// `ce_id`: UUIDv7 of the outbox row; consumers deduplicate on it.
    pub id: String,
    /// `ce_source`: `//gigshield/<service>`.
    pub source: String,
    /// `ce_type`: the protobuf full name, e.g. `gigshield.events.v1.WorkerRegistered`.
    pub event_type: String,
    pub time: DateTime<Utc>,
    /// `ce_subject`: the aggregate the event is about (also the Kafka key).
    pub subject: Option<String>,
    pub traceparent: Option<String>,
    pub payload: Vec<u8>,
    /// Where it was read from; empty when building an event to send.
    pub topic: String,
    pub partition: i32,
    pub offset: i64,
}

#[derive(Debug, thiserror::Error, PartialEq, Eq)]
pub enum EnvelopeError {
    #[error("header {0} is missing")]
    MissingHeader(&'static str),
    #[error("header {0} is not valid: {1}")]
    BadHeader(&'static str, String),
    #[error("payload does not decode as {0}: {1}")]
    Payload(String, String),
}

impl Envelope {
    pub fn headers(&self) -> OwnedHeaders {
        let time = self
            .time
            .to_rfc3339_opts(chrono::SecondsFormat::Micros, true);
        let mut headers = OwnedHeaders::new_with_capacity(9)
            .insert(Header {
                key: SPECVERSION,
                value: Some("1.0"),
            })
            .insert(Header {
                key: ID,
                value: Some(self.id.as_str()),
            })
            .insert(Header {
                key: SOURCE,
                value: Some(self.source.as_str()),
            })
            .insert(Header {
                key: TYPE,
                value: Some(self.event_type.as_str()),
            })
            .insert(Header {
                key: TIME,
                value: Some(time.as_str()),
            })
            .insert(Header {
                key: CONTENT_TYPE,
                value: Some(PROTOBUF),
            })
            .insert(Header {
                key: DATASCHEMA,
                value: Some(format!("{TYPE_URL_PREFIX}{}", self.event_type).as_str()),
            });
        if let Some(subject) = &self.subject {
            headers = headers.insert(Header {
                key: SUBJECT,
                value: Some(subject.as_str()),
            });
        }
        if let Some(tp) = &self.traceparent {
            headers = headers.insert(Header {
                key: TRACEPARENT,
                value: Some(tp.as_str()),
            });
        }
        headers
    }

    pub fn from_message<M: Message>(msg: &M) -> Result<Self, EnvelopeError> {
        let mut found: std::collections::HashMap<&str, String> = std::collections::HashMap::new();
        if let Some(headers) = msg.headers() {
            for header in headers.iter() {
                if let Some(value) = header.value {
                    let text = std::str::from_utf8(value)
                        .map_err(|e| EnvelopeError::BadHeader("header", e.to_string()))?;
                    found.insert(header.key, text.to_string());
                }
            }
        }
        let mut take = |name: &'static str| found.remove(name);
        let id = take(ID).ok_or(EnvelopeError::MissingHeader(ID))?;
        let event_type = take(TYPE).ok_or(EnvelopeError::MissingHeader(TYPE))?;
        let source = take(SOURCE).ok_or(EnvelopeError::MissingHeader(SOURCE))?;
        let time = match take(TIME) {
            Some(t) => DateTime::parse_from_rfc3339(&t)
                .map_err(|e| EnvelopeError::BadHeader(TIME, e.to_string()))?
                .with_timezone(&Utc),
            None => return Err(EnvelopeError::MissingHeader(TIME)),
        };
        Ok(Self {
            id,
            source,
            event_type,
            time,
            subject: take(SUBJECT),
            traceparent: take(TRACEPARENT),
            payload: msg.payload().unwrap_or_default().to_vec(),
            topic: msg.topic().to_string(),
            partition: msg.partition(),
            offset: msg.offset(),
        })
    }

    /// Decodes the payload as `M`. A wrong `ce_type` or undecodable bytes are permanent errors.
    pub fn decode<M: prost::Message + Default>(
        &self,
        expected_type: &str,
    ) -> Result<M, EnvelopeError> {
        if self.event_type != expected_type {
            return Err(EnvelopeError::Payload(
                expected_type.into(),
                format!("ce_type is {}", self.event_type),
            ));
        }
        M::decode(self.payload.as_slice())
            .map_err(|e| EnvelopeError::Payload(expected_type.into(), e.to_string()))
    }
}
