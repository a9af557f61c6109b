//! The `outbox` table (Debezium's columns plus what the relay needs).

use sea_orm::entity::prelude::*;

#[derive(Clone, Debug, PartialEq, Eq, DeriveEntityModel)]
#[sea_orm(table_name = "outbox")]
pub struct Model {
    /// Write order; the relay publishes each lane in this order.
    #[sea_orm(primary_key)]
    pub seq: i64,
    /// The event id, sent as `ce_id`.
    #[sea_orm(unique)]
    pub id: Uuid,
    pub aggregatetype: String,
    pub aggregateid: String,
    #[sea_orm(column_name = "type")]
    pub event_type: String,
    pub payload: Vec<u8>,
    pub topic: String,
    pub traceparent: Option<String>,
    pub lane: i16,
    pub created_at: DateTimeUtc,
    /// Set once Kafka acknowledged the event (acks=all).
    pub sent_at: Option<DateTimeUtc>,
}

#[derive(Copy, Clone, Debug, EnumIter, DeriveRelation)]
pub enum Relation {}

impl ActiveModelBehavior for ActiveModel {}
