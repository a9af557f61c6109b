//! A running fund service per test: fresh database, its own one-partition premium and claims
//! topics (so a later event is read after an earlier one), port 0; publishers that play
//! premium and claims.

use chrono::{DateTime, Utc};
use gigshield_fund::api::FundApi;
use gigshield_fund::consumers;
use gigshield_fund::store::Migrator;
use gigshield_kit::sea_orm::DatabaseConnection;
use gigshield_kit::testing::{
    Backend, EventPublisher, Served, TestDatabase, kit_config, new_topic, sql,
};
use gigshield_kit::wire::timestamp;
use gigshield_kit::{Role, Service};
use gigshield_proto::events;
use gigshield_proto::fund as pb;
use gigshield_proto::fund::fund_service_client::FundServiceClient;
use gigshield_proto::fund::fund_service_server::FundServiceServer;
use gigshield_scheme::calendar::CalendarMonth;
use tonic::transport::Channel;
use uuid::Uuid;

pub use gigshield_kit::testing::as_;

pub struct TestApp {
    pub client: FundServiceClient<Channel>,
    premium_topic: String,
    claims_topic: String,
    premium: EventPublisher,
    claims: EventPublisher,
    pub conn: DatabaseConnection,
    _db: TestDatabase,
    served: Served,
}

/// A published event, kept to publish again (a redelivery).
#[derive(Clone)]
pub struct Sent {
    pub premium: bool,
    pub id: String,
    pub key: String,
    pub event_type: &'static str,
    pub payload: Vec<u8>,
}

/// Raw bytes as a message, to publish an event again exactly as it was.
#[derive(Clone, PartialEq, Default)]
struct Raw(Vec<u8>);

impl prost::Message for Raw {
    fn encode_raw(&self, buf: &mut impl prost::bytes::BufMut) {
        buf.put_slice(&self.0);
    }
    fn merge_field(
        &mut self,
        _: u32,
        _: prost::encoding::WireType,
        _: &mut impl prost::bytes::Buf,
        _: prost::encoding::DecodeContext,
    ) -> Result<(), prost::DecodeError> {
        unreachable!("only encoded")
    }
    fn encoded_len(&self) -> usize {
        self.0.len()
    }
    fn clear(&mut self) {
        self.0.clear();
    }
}

impl std::fmt::Debug for Raw {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "Raw({} bytes)", self.0.len())
    }
}

impl TestApp {
    pub async fn spawn() -> Self {
        let db = TestDatabase::migrated::<Migrator>(Backend::suite()).await;
        let topic = new_topic("fund", 1).await;
        let premium_topic = new_topic("premium", 1).await;
        let claims_topic = new_topic("claims", 1).await;
        let mut service = Service::init::<Migrator>(kit_config("fund", &db))
            .await
            .expect("service starts");
        consumers::spawn(&mut service, "fund", &premium_topic, &claims_topic)
            .expect("consumers start");
        let api = FundApi::new(service.writer(), topic.clone(), STATS_MIN_CLAIMS);
        let conn = service.db.clone();
        let routes =
            tonic::service::Routes::new(FundServiceServer::with_interceptor(api, service.auth()));
        let served = Served::start(service, routes).await;
        Self {
            client: FundServiceClient::new(served.channel.clone()),
            premium_topic,
            claims_topic,
            premium: EventPublisher::new("//gigshield/premium"),
            claims: EventPublisher::new("//gigshield/claims"),
            conn,
            _db: db,
            served,
        }
    }

    pub async fn stop(self) {
        self.served.stop().await;
    }

    pub async fn count(&self, query: &str) -> i64 {
        sql::scalar(&self.conn, query).await
    }

    /// Polls until `query` (a count) reaches `n`.
    pub async fn wait_count(&self, query: &str, n: i64) {
        sql::wait_for_count(&self.conn, query, n).await
    }

    /// `id` as a literal the fund database's UUID columns compare equal to.
    pub fn uuid(&self, id: impl std::fmt::Display) -> String {
        sql::uuid(self.conn.get_database_backend(), id)
    }

    async fn send<M: prost::Message>(
        &self,
        premium: bool,
        key: &str,
        event_type: &'static str,
        event: &M,
    ) -> Sent {
        let sent = Sent {
            premium,
            id: Uuid::now_v7().to_string(),
            key: key.to_string(),
            event_type,
            payload: event.encode_to_vec(),
        };
        self.resend(&sent).await;
        sent
    }

    /// Publishes an event again with its id: a redelivery.
    pub async fn resend(&self, sent: &Sent) {
        let (publisher, topic) = if sent.premium {
            (&self.premium, &self.premium_topic)
        } else {
            (&self.claims, &self.claims_topic)
        };
        publisher
            .publish_with_id(
                topic,
                &sent.id,
                &sent.key,
                sent.event_type,
                &Raw(sent.payload.clone()),
            )
            .await;
    }

    pub async fn declaration(
        &self,
        platform: Uuid,
        province: &str,
        month: CalendarMonth,
        total_fen: i64,
    ) -> (Uuid, Sent) {
        self.declaration_from_credit(platform, province, month, total_fen, 0)
            .await
    }

    /// A declaration issued at the month's end, `from_credit` of it paid at once from the
    /// platform's held credit.
    pub async fn declaration_from_credit(
        &self,
        platform: Uuid,
        province: &str,
        month: CalendarMonth,
        total_fen: i64,
        from_credit: i64,
    ) -> (Uuid, Sent) {
        let id = Uuid::now_v7();
        let event = events::DeclarationIssued {
            declaration_id: id.to_string(),
            platform_id: platform.to_string(),
            province_code: province.into(),
            month: month.to_string(),
            lines: Vec::new(),
            total_fen,
            issued_at: Some(timestamp(month.ends_at())),
            due_date: String::new(),
            paid_from_credit_fen: from_credit,
        };
        let sent = self
            .send(
                true,
                &platform.to_string(),
                "gigshield.events.v1.DeclarationIssued",
                &event,
            )
            .await;
        (id, sent)
    }

    pub async fn payment(
        &self,
        platform: Uuid,
        amount_fen: i64,
        allocations: &[(Uuid, i64)],
        received_at: DateTime<Utc>,
    ) -> Sent {
        let event = events::PaymentRecorded {
            platform_id: platform.to_string(),
            reference: format!("pay-{}", Uuid::now_v7().simple()),
            amount_fen,
            received_at: Some(timestamp(received_at)),
            allocations: allocations
                .iter()
                .map(|(d, fen)| events::payment_recorded::Allocation {
                    declaration_id: d.to_string(),
                    amount_fen: *fen,
                })
                .collect(),
            outstanding_fen: 0,
            credit_fen: 0,
        };
        self.send(
            true,
            &platform.to_string(),
            "gigshield.events.v1.PaymentRecorded",
            &event,
        )
        .await
    }

    /// An event of premium the fund has no use for (coverage days are most of the topic).
    pub async fn coverage_day(&self, platform: Uuid) -> Sent {
        let event = events::CoverageDayStarted {
            person_id: Uuid::now_v7().to_string(),
            platform_id: platform.to_string(),
            province_code: "440000".into(),
            date: "2026-11-02".into(),
            order_id: "o-1".into(),
            accepted_at: Some(timestamp(Utc::now())),
        };
        self.send(
            true,
            &platform.to_string(),
            "gigshield.events.v1.CoverageDayStarted",
            &event,
        )
        .await
    }

    pub async fn claim_opened(
        &self,
        claim: Uuid,
        province: &str,
        platform: Uuid,
        insurer: Option<Uuid>,
    ) -> Sent {
        let event = events::ClaimOpened {
            claim_id: claim.to_string(),
            incident_id: Uuid::now_v7().to_string(),
            person_id: Uuid::now_v7().to_string(),
            platform_id: platform.to_string(),
            insurer_id: insurer.map(|i| i.to_string()).unwrap_or_default(),
            province_code: province.into(),
            region_code: format!("{}0105", &province[..2]),
            occurred_at: Some(timestamp(Utc::now())),
            filed_at: Some(timestamp(Utc::now())),
            opened_at: Some(timestamp(Utc::now())),
            trace: Vec::new(),
            industry: gigshield_proto::common::Industry::InstantDelivery as i32,
        };
        self.send(
            false,
            &claim.to_string(),
            "gigshield.events.v1.ClaimOpened",
            &event,
        )
        .await
    }

    /// A payout of `kind` issued at `at`; returns its key.
    pub async fn payout(
        &self,
        claim: Uuid,
        kind: &str,
        amount_fen: i64,
        at: DateTime<Utc>,
    ) -> (String, Sent) {
        let key = format!("claim/{claim}/{kind}/once");
        let event = events::PayoutIssued {
            claim_id: claim.to_string(),
            person_id: Uuid::now_v7().to_string(),
            idempotency_key: key.clone(),
            kind: kind.into(),
            period: "once".into(),
            due_month: CalendarMonth::of(at).to_string(),
            amount_fen,
            account_masked: "6222***********3445".into(),
            issued_at: Some(timestamp(at)),
        };
        let sent = self
            .send(
                false,
                &claim.to_string(),
                "gigshield.events.v1.PayoutIssued",
                &event,
            )
            .await;
        (key, sent)
    }

    /// Claims' negative line for an overpayment of `kind` that came back.
    pub async fn recovery(
        &self,
        claim: Uuid,
        kind: &str,
        recovered_fen: i64,
        reference: &str,
        at: DateTime<Utc>,
    ) -> Sent {
        let event = events::PayoutIssued {
            claim_id: claim.to_string(),
            person_id: Uuid::now_v7().to_string(),
            idempotency_key: format!("claim/{claim}/recovery/{reference}"),
            kind: kind.into(),
            period: "recovery".into(),
            due_month: CalendarMonth::of(at).to_string(),
            amount_fen: -recovered_fen,
            account_masked: "6222***********3445".into(),
            issued_at: Some(timestamp(at)),
        };
        self.send(
            false,
            &claim.to_string(),
            "gigshield.events.v1.PayoutIssued",
            &event,
        )
        .await
    }

    pub async fn payout_state(
        &self,
        claim: Uuid,
        key: &str,
        state: &str,
        amount_fen: i64,
        at: DateTime<Utc>,
    ) -> Sent {
        let event = events::PayoutStateChanged {
            claim_id: claim.to_string(),
            person_id: Uuid::now_v7().to_string(),
            idempotency_key: key.into(),
            state: state.into(),
            attempt: 1,
            return_reason: if state == "RETURNED" {
                "ACCOUNT_CLOSED".into()
            } else {
                String::new()
            },
            amount_fen,
            account_masked: "6222***********3445".into(),
            changed_at: Some(timestamp(at)),
        };
        self.send(
            false,
            &claim.to_string(),
            "gigshield.events.v1.PayoutStateChanged",
            &event,
        )
        .await
    }

    pub async fn statement(
        &mut self,
        role: &Role,
        province: &str,
        month: CalendarMonth,
    ) -> pb::FundStatement {
        self.client
            .get_fund_statement(as_(
                role,
                pb::GetFundStatementRequest {
                    province_code: province.into(),
                    month: month.to_string(),
                },
            ))
            .await
            .unwrap()
            .into_inner()
            .statement
            .unwrap()
    }
}

/// The last complete Shanghai month.
/// The test service's suppression threshold: small enough that a generated month has cells on
/// both sides of it.
pub const STATS_MIN_CLAIMS: u32 = 2;

pub fn last_month() -> CalendarMonth {
    CalendarMonth::of(Utc::now()).previous().unwrap()
}

/// A small deterministic generator: the same month every run.
pub struct Rng(u64);

impl Rng {
    pub fn new(seed: u64) -> Self {
        Self(seed)
    }

    pub fn below(&mut self, n: u64) -> u64 {
        self.0 = self
            .0
            .wrapping_mul(6_364_136_223_846_793_005)
            .wrapping_add(1_442_695_040_888_963_407);
        (self.0 >> 33) % n
    }
}
