//! The insurer-side views of the claim events: a `WatchClaims` stream and the
//! `claims.events.v1` topic, both reduced to per-claim sequences that can be compared.

use std::collections::BTreeMap;
use std::time::Duration;

use gigshield_kit::Role;
use gigshield_proto::claims::watch_claims_response::Event;
use gigshield_proto::claims::{
    WatchClaimsRequest, WatchClaimsResponse, claims_service_client::ClaimsServiceClient,
};
use gigshield_proto::events;
use prost::Message;
use tonic::transport::Channel;

use crate::stack::{Record, as_};

/// A `WatchClaims` stream and every message it delivered so far, in order.
pub struct Watch {
    stream: tonic::Streaming<WatchClaimsResponse>,
    pub seen: Vec<WatchClaimsResponse>,
}

impl Watch {
    pub async fn open(channel: Channel, role: &Role, resume_token: &str) -> Self {
        let stream = ClaimsServiceClient::new(channel)
            .watch_claims(as_(
                role,
                WatchClaimsRequest {
                    resume_token: resume_token.into(),
                },
            ))
            .await
            .expect("WatchClaims opens")
            .into_inner();
        Self {
            stream,
            seen: Vec::new(),
        }
    }

    /// Reads on until `done` holds for everything seen, for at most `timeout`; whether it held.
    pub async fn until<F>(&mut self, timeout: Duration, done: F) -> bool
    where
        F: Fn(&[WatchClaimsResponse]) -> bool,
    {
        let deadline = tokio::time::Instant::now() + timeout;
        while !done(&self.seen) {
            match tokio::time::timeout_at(deadline, self.stream.message()).await {
                Ok(Ok(Some(message))) => self.seen.push(message),
                Ok(Ok(None)) => panic!("WatchClaims ended"),
                Ok(Err(status)) => panic!("WatchClaims failed: {status:?}"),
                Err(_elapsed) => return false,
            }
        }
        true
    }

    /// The first message seen (or still to come within `timeout`) for which `pred` holds.
    pub async fn find<F>(&mut self, timeout: Duration, pred: F) -> Option<WatchClaimsResponse>
    where
        F: Fn(&WatchClaimsResponse) -> bool,
    {
        self.until(timeout, |seen| seen.iter().any(&pred))
            .await
            .then(|| self.seen.iter().find(|m| pred(m)).cloned())
            .flatten()
    }
}

/// The short name of an event type: `ClaimOpened` for `gigshield.events.v1.ClaimOpened`.
pub fn short(event_type: &str) -> &str {
    event_type.rsplit('.').next().unwrap_or(event_type)
}

/// A topic message's payload as the `WatchClaims` oneof, by its `ce_type`.
pub fn decode(ce_type: &str, payload: &[u8]) -> Option<Event> {
    fn d<M: Message + Default>(payload: &[u8]) -> Option<M> {
        M::decode(payload).ok()
    }
    Some(match short(ce_type) {
        "ClaimOpened" => Event::ClaimOpened(d::<events::ClaimOpened>(payload)?),
        "ClaimRouted" => Event::ClaimRouted(d::<events::ClaimRouted>(payload)?),
        "ClaimConfirmed" => Event::ClaimConfirmed(d::<events::ClaimConfirmed>(payload)?),
        "ClaimRefused" => Event::ClaimRefused(d::<events::ClaimRefused>(payload)?),
        "AppraisalRecorded" => Event::AppraisalRecorded(d::<events::AppraisalRecorded>(payload)?),
        "BenefitAssessed" => Event::BenefitAssessed(d::<events::BenefitAssessed>(payload)?),
        "PayoutIssued" => Event::PayoutIssued(d::<events::PayoutIssued>(payload)?),
        "AppealFiled" => Event::AppealFiled(d::<events::AppealFiled>(payload)?),
        "AppealDecided" => Event::AppealDecided(d::<events::AppealDecided>(payload)?),
        "ClaimWithdrawn" => Event::ClaimWithdrawn(d::<events::ClaimWithdrawn>(payload)?),
        "ClaimOverdue" => Event::ClaimOverdue(d::<events::ClaimOverdue>(payload)?),
        "ClaimAwaitingParameters" => {
            Event::ClaimAwaitingParameters(d::<events::ClaimAwaitingParameters>(payload)?)
        }
        _ => return None,
    })
}

/// One claim event: its short type name and its content.
pub type ClaimEvent = (String, Option<Event>);

/// The stream's messages grouped by claim, each claim's in the order delivered.
pub fn watched_by_claim(seen: &[WatchClaimsResponse]) -> BTreeMap<String, Vec<ClaimEvent>> {
    let mut out: BTreeMap<String, Vec<ClaimEvent>> = BTreeMap::new();
    for m in seen {
        out.entry(m.claim_id.clone())
            .or_default()
            .push((short(&m.event_type).to_string(), m.event.clone()));
    }
    out
}

/// The topic's messages grouped by key (the claim id), each key's in offset order. A claim's
/// messages share a partition, so offset order is the order they were published in.
pub fn published_by_claim(records: &[Record]) -> BTreeMap<String, Vec<ClaimEvent>> {
    let mut sorted: Vec<&Record> = records.iter().collect();
    sorted.sort_by_key(|r| (r.partition, r.offset));
    let mut out: BTreeMap<String, Vec<ClaimEvent>> = BTreeMap::new();
    for r in sorted {
        out.entry(r.key.clone()).or_default().push((
            short(&r.ce_type).to_string(),
            decode(&r.ce_type, &r.payload),
        ));
    }
    out
}

/// The short type names of a claim's events.
pub fn kinds(events: &[ClaimEvent]) -> Vec<&str> {
    events.iter().map(|(kind, _)| kind.as_str()).collect()
}
