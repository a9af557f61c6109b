//! A running premium service per test: fresh database, own topics (its events and the
//! enrollment events it replicates), own consumer group, port 0.

use std::time::Duration;

use chrono::{DateTime, Utc};
use gigshield_kit::sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use gigshield_kit::testing::{
    Backend, EventPublisher, Served, TestDatabase, kit_config, new_topic, sql,
};
use gigshield_kit::{Role, Service};
use gigshield_premium::api::{MAX_BATCH, PremiumApi};
use gigshield_premium::config::PremiumSettings;
use gigshield_premium::consumers;
use gigshield_premium::store::Migrator;
use gigshield_proto::common::Industry;
use gigshield_proto::events;
use gigshield_proto::premium as pb;
use gigshield_proto::premium::premium_service_client::PremiumServiceClient;
use gigshield_proto::premium::premium_service_server::PremiumServiceServer;
use gigshield_scheme::calendar::CalendarMonth;
use tonic::transport::Channel;
use uuid::Uuid;

pub struct TestApp {
    pub client: PremiumServiceClient<Channel>,
    /// Where premium publishes.
    pub topic: String,
    /// Where the test plays enrollment.
    pub enrollment_topic: String,
    /// Where the test plays claims (case assignments).
    pub claims_topic: String,
    /// Dropped with the app: the database goes with it.
    _db: TestDatabase,
    pub conn: DatabaseConnection,
    enrollment: EventPublisher,
    platforms: usize,
    workers: usize,
    scheme_rules: usize,
    served: Served,
}

/// Registration instants the tests use: before any order they report.
pub fn scheme_start() -> DateTime<Utc> {
    gigshield_scheme::industry::scheme_2025_start()
}

/// The month two before the current one (ended, and the next one too), and the one after it.
pub fn closed_months() -> (CalendarMonth, CalendarMonth) {
    let current = CalendarMonth::of(Utc::now());
    let previous = current.previous().unwrap();
    (previous.previous().unwrap(), previous)
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> Self {
        let db = TestDatabase::migrated::<Migrator>(backend).await;
        let topic = new_topic("premium", 3).await;
        let enrollment_topic = new_topic("enrollment", 3).await;
        let claims_topic = new_topic("claims", 3).await;
        let mut service = Service::init::<Migrator>(kit_config("premium", &db))
            .await
            .expect("service starts");
        consumers::spawn(&mut service, &enrollment_topic, &claims_topic).expect("consumers start");
        let api = PremiumApi::new(service.writer(), PremiumSettings::defaults(topic.clone()));
        let conn = service.db.clone();
        let routes = tonic::service::Routes::new(PremiumServiceServer::with_interceptor(
            api,
            service.auth(),
        ));
        let served = Served::start(service, routes).await;
        Self {
            client: PremiumServiceClient::new(served.channel.clone())
                .max_decoding_message_size(64 * 1024 * 1024),
            topic,
            enrollment_topic,
            claims_topic,
            _db: db,
            conn,
            enrollment: EventPublisher::new("//gigshield/enrollment"),
            platforms: 0,
            workers: 0,
            scheme_rules: 0,
            served,
        }
    }

    pub async fn stop(self) {
        self.served.stop().await;
    }

    /// Another replica of premium on the same database (no consumers: the first replica keeps
    /// the replica tables), as a client to it; stop the returned server when done.
    pub async fn second_replica(&self) -> (PremiumServiceClient<Channel>, Served) {
        let service = Service::init::<Migrator>(kit_config("premium", &self._db))
            .await
            .expect("second replica starts");
        let api = PremiumApi::new(
            service.writer(),
            PremiumSettings::defaults(self.topic.clone()),
        );
        let routes = tonic::service::Routes::new(PremiumServiceServer::with_interceptor(
            api,
            service.auth(),
        ));
        let served = Served::start(service, routes).await;
        (PremiumServiceClient::new(served.channel.clone()), served)
    }

    /// Claims routed a case of `person_id` to `insurer`; waits until the replica has it.
    pub async fn assign(&self, person_id: Uuid, insurer: Uuid) {
        EventPublisher::new("//gigshield/claims")
            .publish(
                &self.claims_topic,
                "claim",
                "gigshield.events.v1.ClaimOpened",
                &events::ClaimOpened {
                    claim_id: Uuid::now_v7().to_string(),
                    incident_id: Uuid::now_v7().to_string(),
                    person_id: person_id.to_string(),
                    insurer_id: insurer.to_string(),
                    opened_at: Some(gigshield_kit::wire::timestamp(Utc::now())),
                    ..Default::default()
                },
            )
            .await;
        for _ in 0..400 {
            let row = self
                .conn
                .query_one_raw(Statement::from_string(
                    self.conn.get_database_backend(),
                    "SELECT COUNT(*) AS n FROM case_assignment".to_string(),
                ))
                .await
                .unwrap()
                .unwrap();
            if row.try_get::<i64>("", "n").unwrap() > 0 {
                return;
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
        panic!("the assignment never arrived");
    }

    /// Publishes an enrollment event the way enrollment's relay does (CloudEvents headers).
    async fn publish<M: prost::Message>(&self, key: &str, event_type: &str, event: &M) {
        self.enrollment
            .publish(&self.enrollment_topic, key, event_type, event)
            .await;
    }

    /// A PostgreSQL app with one instant-delivery platform in Shanghai and one rider
    /// (`external`), synced: where most order tests start. Returns the platform id.
    pub async fn with_one_rider(external: &str) -> (Self, Uuid) {
        let mut app = Self::spawn(Backend::suite()).await;
        let platform = app
            .platform(&[Industry::InstantDelivery], &["310000"])
            .await;
        app.worker(platform, external).await;
        app.synced().await;
        (app, platform)
    }

    /// A platform registered (from the 2025 scheme start) for the industries and provinces.
    pub async fn platform(&mut self, industries: &[Industry], provinces: &[&str]) -> Uuid {
        let platform_id = Uuid::now_v7();
        let event = events::PlatformRegistered {
            platform_id: platform_id.to_string(),
            legal_name: "某某平台".into(),
            credit_code: "91350100M000100Y43".into(),
            industries: industries.iter().map(|i| *i as i32).collect(),
            province_codes: provinces.iter().map(|p| p.to_string()).collect(),
            effective_from: Some(gigshield_kit::wire::timestamp(scheme_start())),
        };
        self.publish(
            &platform_id.to_string(),
            "gigshield.events.v1.PlatformRegistered",
            &event,
        )
        .await;
        self.platforms += 1;
        platform_id
    }

    /// Registers `person_id` with the platform as `external` (registered at the scheme start).
    pub async fn member(&mut self, platform_id: Uuid, external: &str, person_id: Uuid) {
        let event = events::WorkerRegistered {
            person_id: person_id.to_string(),
            platform_id: platform_id.to_string(),
            worker_id: Uuid::now_v7().to_string(),
            external_worker_id: external.into(),
            birth_year: 1990,
            sex: 1,
            region_code: "310115".into(),
            registered_at: Some(gigshield_kit::wire::timestamp(scheme_start())),
        };
        self.publish(
            &person_id.to_string(),
            "gigshield.events.v1.WorkerRegistered",
            &event,
        )
        .await;
        self.workers += 1;
    }

    /// An operator's entry of the scheme calendar, as enrollment publishes it.
    pub async fn scheme_rule(&mut self, rule: gigshield_proto::common::scheme_rule::Rule) {
        let event = gigshield_kit::testing::scheme_rule_added(rule);
        self.publish(
            "scheme-calendar",
            "gigshield.events.v1.SchemeRuleAdded",
            &event,
        )
        .await;
        self.scheme_rules += 1;
    }

    /// A new person registered with the platform; returns the person id.
    pub async fn worker(&mut self, platform_id: Uuid, external: &str) -> Uuid {
        let person_id = Uuid::now_v7();
        self.member(platform_id, external, person_id).await;
        person_id
    }

    pub async fn count(&self, query: &str) -> i64 {
        sql::scalar(&self.conn, query).await
    }

    /// Waits until the replica holds every platform and worker published so far.
    pub async fn synced(&self) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        loop {
            let platforms = self
                .count("SELECT COUNT(DISTINCT platform_id) FROM platform_scope")
                .await;
            let workers = self.count("SELECT COUNT(*) FROM replica_membership").await;
            let rules = self.count("SELECT COUNT(*) FROM scheme_rule").await;
            if platforms >= self.platforms as i64
                && workers >= self.workers as i64
                && rules >= self.scheme_rules as i64
            {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "replica did not catch up: {platforms}/{} platforms, {workers}/{} workers",
                self.platforms,
                self.workers
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Streams `orders` in batches as the platform.
    pub async fn report_as(
        &mut self,
        role: &Role,
        platform_id: Uuid,
        orders: Vec<pb::OrderReport>,
    ) -> Result<pb::ReportOrdersResponse, tonic::Status> {
        let batches: Vec<pb::ReportOrdersRequest> = orders
            .chunks(MAX_BATCH)
            .map(|chunk| pb::ReportOrdersRequest {
                platform_id: platform_id.to_string(),
                orders: chunk.to_vec(),
            })
            .collect();
        self.client
            .report_orders(as_(role, tokio_stream::iter(batches)))
            .await
            .map(|r| r.into_inner())
    }

    pub async fn report(
        &mut self,
        platform_id: Uuid,
        orders: Vec<pb::OrderReport>,
    ) -> pb::ReportOrdersResponse {
        self.report_as(&platform(platform_id), platform_id, orders)
            .await
            .expect("orders reported")
    }

    pub async fn close(&mut self, month: CalendarMonth) -> pb::CloseMonthResponse {
        self.client
            .close_month(as_(
                &Role::national_operator(),
                pb::CloseMonthRequest {
                    request_id: Uuid::now_v7().to_string(),
                    month: month.to_string(),
                },
            ))
            .await
            .expect("month closes")
            .into_inner()
    }

    pub async fn statement(
        &mut self,
        platform_id: Uuid,
        month: CalendarMonth,
    ) -> pb::GetMonthStatementResponse {
        self.client
            .get_month_statement(as_(
                &platform(platform_id),
                pb::GetMonthStatementRequest {
                    platform_id: platform_id.to_string(),
                    month: month.to_string(),
                },
            ))
            .await
            .unwrap()
            .into_inner()
    }

    /// Outbox rows of one event type.
    pub async fn outbox_count(&self, event_type: &str) -> i64 {
        self.count(&format!(
            "SELECT COUNT(*) FROM outbox WHERE type = 'gigshield.events.v1.{event_type}'"
        ))
        .await
    }
}

pub fn platform(platform_id: Uuid) -> Role {
    Role::Platform { platform_id }
}

pub use gigshield_kit::testing::as_;

pub fn ts(at: DateTime<Utc>) -> Option<prost_types::Timestamp> {
    Some(gigshield_kit::wire::timestamp(at))
}

/// A report with only the acceptance time; add the rest with struct update syntax.
pub fn order(
    order_id: &str,
    worker: &str,
    industry: Industry,
    region: &str,
    accepted_at: DateTime<Utc>,
) -> pb::OrderReport {
    pb::OrderReport {
        order_id: order_id.into(),
        external_worker_id: worker.into(),
        industry: industry as i32,
        region_code: region.into(),
        accepted_at: ts(accepted_at),
        ..Default::default()
    }
}

/// A completed order: picked up after 5 minutes, delivered after 30.
pub fn completed(
    order_id: &str,
    worker: &str,
    industry: Industry,
    region: &str,
    accepted_at: DateTime<Utc>,
) -> pb::OrderReport {
    pb::OrderReport {
        picked_up_at: ts(accepted_at + chrono::Duration::minutes(5)),
        completed_at: ts(accepted_at + chrono::Duration::minutes(30)),
        ..order(order_id, worker, industry, region, accepted_at)
    }
}

pub fn statuses(response: &pb::ReportOrdersResponse) -> Vec<pb::OrderResultStatus> {
    response
        .results
        .iter()
        .map(|r| pb::OrderResultStatus::try_from(r.status).unwrap())
        .collect()
}
