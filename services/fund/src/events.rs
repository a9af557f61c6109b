//! The events fund publishes on `fund.events.v1`, keyed by province code, through the outbox in
//! the business transaction.

use gigshield_kit::outbox::OutboxMessage;
use gigshield_proto::events;
use prost::Message;

pub const REIMBURSEMENT_RECORDED: &str = "gigshield.events.v1.ReimbursementRecorded";
pub const SETTLEMENT_APPROVED: &str = "gigshield.events.v1.SettlementApproved";

pub fn reimbursement_recorded(topic: &str, e: &events::ReimbursementRecorded) -> OutboxMessage {
    message(
        topic,
        &e.province_code,
        REIMBURSEMENT_RECORDED,
        e.encode_to_vec(),
    )
}

pub fn settlement_approved(topic: &str, e: &events::SettlementApproved) -> OutboxMessage {
    message(
        topic,
        &e.province_code,
        SETTLEMENT_APPROVED,
        e.encode_to_vec(),
    )
}

fn message(
    topic: &str,
    province: &str,
    event_type: &'static str,
    payload: Vec<u8>,
) -> OutboxMessage {
    OutboxMessage {
        topic: topic.to_string(),
        aggregate_type: "fund-province",
        aggregate_id: province.to_string(),
        event_type,
        payload,
    }
}
