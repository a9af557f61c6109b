//! A running claims service per test, beside a running premium service: fresh databases, own
//! topics and consumer groups, port 0; and a producer that plays enrollment and incident.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use gigshield_claims::activity::WorkActivity;
use gigshield_claims::api::{ClaimsApi, Settings};
use gigshield_claims::domain::benefit_parameters::BenefitParameters;
use gigshield_claims::intake::{EnrollmentReplica, IncidentIntake};
use gigshield_claims::premium_channel;
use gigshield_claims::store::Migrator;
use gigshield_claims::stream::StreamNotifier;
use gigshield_kit::clock::Clock;
use gigshield_kit::config::{Env, KitConfig};
use gigshield_kit::consumer::Subscription;
use gigshield_kit::replica::scheme::SchemeCalendar;
use gigshield_kit::sea_orm::{ConnectionTrait, DatabaseConnection, Statement};
use gigshield_kit::testing::{
    Backend, EventPublisher, Served, TestDatabase, TestPki, claims_service_tokens, kit_config,
    kit_config_with, new_topic, sql,
};
use gigshield_kit::tls::ClientTls;
use gigshield_kit::wire::timestamp;
use gigshield_kit::{Role, Service};
use gigshield_proto::claims as pb;
use gigshield_proto::claims::claims_service_client::ClaimsServiceClient;
use gigshield_proto::claims::claims_service_server::ClaimsServiceServer;
use gigshield_proto::common;
use gigshield_proto::common::Industry;
use gigshield_proto::events;
use gigshield_proto::incident as ipb;
use gigshield_proto::premium as ppb;
use gigshield_proto::premium::premium_service_client::PremiumServiceClient;
use gigshield_proto::premium::premium_service_server::PremiumServiceServer;
use tonic::transport::Channel;
use uuid::Uuid;

pub use gigshield_kit::testing::violated_fields;

/// WatchClaims streams the test service serves at once.
/// Small, so a test fills a cell with a few persons.
pub const STATS_MIN_PERSONS: u32 = 2;
pub const MAX_WATCH_STREAMS: usize = 4;

pub struct TestApp {
    pub client: ClaimsServiceClient<Channel>,
    pub premium: PremiumServiceClient<Channel>,
    /// Where claims publishes.
    pub topic: String,
    pub enrollment_topic: String,
    pub incident_topic: String,
    pub conn: DatabaseConnection,
    premium_conn: DatabaseConnection,
    /// Plays enrollment and incident, each with its own `ce_source`.
    enrollment_publisher: EventPublisher,
    incident_publisher: EventPublisher,
    /// An insurer routed Beijing (110000) and Xinjiang (650000) for every platform.
    pub insurer: Uuid,
    vault: std::sync::Arc<gigshield_kit::pii::PiiVault>,
    _dbs: (TestDatabase, TestDatabase),
    /// Claims first: it calls premium until it stops.
    served: [Served; 2],
}

impl TestApp {
    pub async fn spawn() -> Self {
        Self::spawn_with(None, Clock::system()).await
    }

    /// Premium served over TLS with a certificate of `pki`, and claims calling it as deployed:
    /// an `https://` address through [`premium_channel::connect`], trusting only `pki`'s CA.
    /// (The address is 127.0.0.1, one of the certificate's names: "localhost" would also
    /// resolve to ::1, where nothing listens.)
    pub async fn spawn_with_premium_tls(pki: &TestPki) -> Self {
        Self::spawn_with(Some(pki), Clock::system()).await
    }

    /// Claims acting at the instant `clock` says (premium keeps the system clock): a test moves
    /// it instead of waiting.
    pub async fn spawn_at(clock: Clock) -> Self {
        Self::spawn_with(None, clock).await
    }

    async fn spawn_with(premium_tls: Option<&TestPki>, clock: Clock) -> Self {
        let premium_db =
            TestDatabase::migrated::<gigshield_premium::store::Migrator>(Backend::suite()).await;
        let db = TestDatabase::migrated::<Migrator>(Backend::suite()).await;
        let enrollment_topic = new_topic("enrollment", 3).await;
        let incident_topic = new_topic("incident", 3).await;
        let premium_topic = new_topic("premium", 3).await;
        let topic = new_topic("claims", 3).await;

        let server_files = premium_tls.map(|pki| pki.issue("premium", &["localhost", "127.0.0.1"]));
        let (cert, key) = server_files
            .as_ref()
            .map(|f| (f.cert.display().to_string(), f.key.display().to_string()))
            .unwrap_or_default();
        let tls_vars = [
            ("GRPC_TLS_CERT_FILE", cert.as_str()),
            ("GRPC_TLS_KEY_FILE", key.as_str()),
        ];
        let premium_vars: &[(&str, &str)] = if premium_tls.is_some() {
            &tls_vars
        } else {
            &[]
        };
        let mut premium = Service::init::<gigshield_premium::store::Migrator>(kit_config_with(
            "premium",
            &premium_db,
            premium_vars,
        ))
        .await
        .expect("premium starts");
        let claims_topic_for_premium = new_topic("claims-feed", 1).await;
        gigshield_premium::consumers::spawn(
            &mut premium,
            &enrollment_topic,
            &claims_topic_for_premium,
        )
        .unwrap();
        let premium_api = gigshield_premium::api::PremiumApi::new(
            premium.writer(),
            gigshield_premium::config::PremiumSettings::defaults(premium_topic),
        );
        let premium_conn = premium.db.clone();
        let premium_routes = tonic::service::Routes::new(PremiumServiceServer::with_interceptor(
            premium_api,
            premium.auth(),
        ));
        let client_tls = premium_tls.map(|pki| {
            let ca = pki.ca_file().display().to_string();
            ClientTls::from_env(
                &Env::from_pairs(&[("CLAIMS_PREMIUM_TLS_CA_FILE", &ca)]),
                "CLAIMS_PREMIUM",
            )
            .expect("client TLS settings")
            .expect("a CA is set")
        });
        let test_client_tls = client_tls
            .as_ref()
            .map(|tls| tls.load("localhost").expect("the CA file reads"));
        let premium_served = Served::start_with(premium, premium_routes, test_client_tls).await;
        let premium_channel = match &client_tls {
            Some(tls) => premium_channel::connect(
                &format!("https://127.0.0.1:{}", premium_served.addr.port()),
                Some(tls),
                Duration::from_secs(5),
                gigshield_kit::CancellationToken::new(),
            )
            .expect("the channel to premium builds"),
            None => premium_served.channel.clone(),
        };

        let config = KitConfig {
            clock,
            ..kit_config("claims", &db)
        };
        let mut service = Service::init::<Migrator>(config)
            .await
            .expect("claims starts");
        let stream = StreamNotifier::default();
        service
            .spawn_consumer(
                "claims",
                &[Subscription {
                    topic: &enrollment_topic,
                    producer: "enrollment",
                }],
                EnrollmentReplica,
            )
            .unwrap();
        // As deployed: several partitions of incident events at once.
        service
            .spawn_consumer_in_lanes(
                "claims-incident",
                &[Subscription {
                    topic: &incident_topic,
                    producer: "incident",
                }],
                IncidentIntake {
                    topic: topic.clone(),
                    duplicate_window_hours: 24,
                    calendar: SchemeCalendar::new(),
                    premium: WorkActivity::new(
                        premium_channel.clone(),
                        std::sync::Arc::new(claims_service_tokens()),
                    ),
                    stream: stream.clone(),
                    vault: service.vault(),
                    clock: service.clock(),
                },
                4,
            )
            .unwrap();
        let api = ClaimsApi::new(
            service.writer(),
            Settings {
                topic: topic.clone(),
                vault: service.vault(),
                benefits: std::sync::Arc::new(BenefitParameters::embedded().unwrap()),
                watch_poll: Duration::from_millis(100),
                max_watch_streams: MAX_WATCH_STREAMS,
                stats_min_persons: STATS_MIN_PERSONS,
                stream,
                shutdown: service.shutdown.clone(),
            },
        );
        let conn = service.db.clone();
        let vault = service.vault();
        let routes =
            tonic::service::Routes::new(ClaimsServiceServer::with_interceptor(api, service.auth()));
        let served = Served::start(service, routes).await;
        let mut app = Self {
            client: ClaimsServiceClient::new(served.channel.clone()),
            premium: PremiumServiceClient::new(premium_channel),
            topic,
            enrollment_topic,
            incident_topic,
            conn,
            premium_conn,
            enrollment_publisher: EventPublisher::new("//gigshield/enrollment"),
            incident_publisher: EventPublisher::new("//gigshield/incident"),
            insurer: Uuid::now_v7(),
            vault,
            _dbs: (db, premium_db),
            served: [served, premium_served],
        };
        let insurer = app.insurer;
        for province in ["110000", "650000"] {
            app.put_route(province, "", insurer).await;
        }
        // The scheme-in-force rule needs a province where the scheme has not started, and by
        // now every province has: as an operator would correct a date, Xinjiang (65) joins in
        // 2099 in these tests.
        app.scheme_rule(common::scheme_rule::Rule::ProvinceStart(
            common::ProvinceStart {
                province_code: "650000".into(),
                starts_on: "2099-01-01".into(),
            },
        ))
        .await;
        app
    }

    /// An operator's entry of the scheme calendar, as enrollment publishes it; returns once
    /// claims and premium both hold it.
    pub async fn scheme_rule(&self, rule: common::scheme_rule::Rule) {
        let sql = "SELECT COUNT(*) FROM scheme_rule";
        let before = (
            self.count(sql).await,
            Self::count_on(&self.premium_conn, sql).await,
        );
        let event = gigshield_kit::testing::scheme_rule_added(rule);
        self.publish_with_id(
            &self.enrollment_topic,
            &Uuid::now_v7().to_string(),
            "scheme-calendar",
            "SchemeRuleAdded",
            &event,
        )
        .await;
        self.wait_for(false, sql, before.0 + 1).await;
        self.wait_for(true, sql, before.1 + 1).await;
    }

    /// Beijing's 2025 average monthly wage, 12 500 yuan (an example), entered by the national
    /// operator: what assessments of 2026 incidents in Beijing need.
    pub async fn beijing_wage_2025(&mut self) {
        self.client
            .add_benefit_figure(as_(
                &Role::national_operator(),
                benefit_figure(
                    common::BenefitTable::AreaAverageMonthlyWage,
                    "110000",
                    2025,
                    1_250_000,
                ),
            ))
            .await
            .expect("figure added");
    }

    /// The vault claims seals with (for calling its parts directly).
    pub fn vault(&self) -> std::sync::Arc<gigshield_kit::pii::PiiVault> {
        self.vault.clone()
    }

    /// The port premium serves on.
    pub fn premium_port(&self) -> u16 {
        self.served[1].addr.port()
    }

    pub async fn stop(self) {
        for served in self.served {
            served.stop().await;
        }
    }

    pub async fn put_route(&mut self, province: &str, platform: &str, insurer: Uuid) {
        self.client
            .put_route(as_(
                &Role::national_operator(),
                pb::PutRouteRequest {
                    request_id: Uuid::now_v7().to_string(),
                    route: Some(pb::Route {
                        province_code: province.into(),
                        platform_id: platform.into(),
                        insurer_id: insurer.to_string(),
                    }),
                },
            ))
            .await
            .expect("route set");
    }

    async fn count_on(conn: &DatabaseConnection, sql: &str) -> i64 {
        sql::scalar(conn, sql).await
    }

    /// `id` as a literal the claims database's UUID columns compare equal to.
    pub fn uuid(&self, id: impl std::fmt::Display) -> String {
        sql::uuid(self.conn.get_database_backend(), id)
    }

    pub async fn count(&self, sql: &str) -> i64 {
        Self::count_on(&self.conn, sql).await
    }

    /// Polls `query` (a count) on claims' database, or premium's, until it reaches `n`.
    async fn wait_for(&self, premium: bool, query: &str, n: i64) {
        let conn = if premium {
            &self.premium_conn
        } else {
            &self.conn
        };
        sql::wait_for_count(conn, query, n).await
    }

    /// Publishes an event of enrollment or incident (`event_type` without its package).
    pub async fn publish_with_id<M: prost::Message>(
        &self,
        topic: &str,
        id: &str,
        key: &str,
        event_type: &str,
        event: &M,
    ) {
        let publisher = if topic == self.incident_topic {
            &self.incident_publisher
        } else {
            &self.enrollment_publisher
        };
        publisher
            .publish_with_id(
                topic,
                id,
                key,
                &format!("gigshield.events.v1.{event_type}"),
                event,
            )
            .await;
    }

    /// A platform (for premium: instant delivery in Beijing and Xinjiang).
    pub async fn platform(&self) -> Uuid {
        let platform_id = Uuid::now_v7();
        let event = events::PlatformRegistered {
            platform_id: platform_id.to_string(),
            legal_name: "某某即时配送有限公司".into(),
            credit_code: "91350100M000100Y43".into(),
            industries: vec![Industry::InstantDelivery as i32],
            province_codes: vec!["110000".into(), "650000".into()],
            effective_from: Some(timestamp(gigshield_scheme::industry::scheme_2025_start())),
        };
        let before = Self::count_on(
            &self.premium_conn,
            "SELECT COUNT(DISTINCT platform_id) FROM platform_scope",
        )
        .await;
        self.publish_with_id(
            &self.enrollment_topic,
            &Uuid::now_v7().to_string(),
            &platform_id.to_string(),
            "PlatformRegistered",
            &event,
        )
        .await;
        self.wait_for(
            true,
            "SELECT COUNT(DISTINCT platform_id) FROM platform_scope",
            before + 1,
        )
        .await;
        platform_id
    }

    pub fn worker_registered(
        &self,
        person: Uuid,
        platform: Uuid,
        external: &str,
    ) -> events::WorkerRegistered {
        events::WorkerRegistered {
            person_id: person.to_string(),
            platform_id: platform.to_string(),
            worker_id: Uuid::now_v7().to_string(),
            external_worker_id: external.into(),
            birth_year: 1990,
            sex: 1,
            region_code: "110105".into(),
            registered_at: Some(timestamp(gigshield_scheme::industry::scheme_2025_start())),
        }
    }

    /// Registers the person with the platform and waits until premium and claims know it.
    pub async fn member(&self, person: Uuid, platform: Uuid, external: &str) {
        let claims_before = self.count("SELECT COUNT(*) FROM replica_membership").await;
        let premium_before = Self::count_on(
            &self.premium_conn,
            "SELECT COUNT(*) FROM replica_membership",
        )
        .await;
        let event = self.worker_registered(person, platform, external);
        self.publish_with_id(
            &self.enrollment_topic,
            &Uuid::now_v7().to_string(),
            &person.to_string(),
            "WorkerRegistered",
            &event,
        )
        .await;
        self.wait_for(
            false,
            "SELECT COUNT(*) FROM replica_membership",
            claims_before + 1,
        )
        .await;
        self.wait_for(
            true,
            "SELECT COUNT(*) FROM replica_membership",
            premium_before + 1,
        )
        .await;
    }

    /// A platform with one registered worker.
    pub async fn world(&self) -> World {
        let platform = self.platform().await;
        let person = Uuid::now_v7();
        self.member(person, platform, "rider-1").await;
        World {
            platform,
            person,
            external: "rider-1".into(),
        }
    }

    /// A completed order of the world's worker, accepted at `accepted_at`, done 60 min later.
    pub async fn order(
        &mut self,
        world: &World,
        order_id: &str,
        region: &str,
        accepted_at: DateTime<Utc>,
    ) {
        let report = ppb::OrderReport {
            order_id: order_id.into(),
            external_worker_id: world.external.clone(),
            industry: Industry::InstantDelivery as i32,
            region_code: region.into(),
            accepted_at: Some(timestamp(accepted_at)),
            picked_up_at: Some(timestamp(accepted_at + TimeDelta::minutes(10))),
            completed_at: Some(timestamp(accepted_at + TimeDelta::minutes(60))),
            cancelled_at: None,
        };
        let response = self
            .premium
            .report_orders(as_(
                &Role::Platform {
                    platform_id: world.platform,
                },
                tokio_stream::iter(vec![ppb::ReportOrdersRequest {
                    platform_id: world.platform.to_string(),
                    orders: vec![report],
                }]),
            ))
            .await
            .expect("orders reported")
            .into_inner();
        assert_eq!(
            response.results[0].status,
            ppb::OrderResultStatus::Accepted as i32,
            "{response:?}"
        );
    }

    /// Publishes the application (as incident would) and returns the claim once it is open.
    pub async fn file(&mut self, application: &events::ApplicationFiled) -> pb::Claim {
        self.publish_with_id(
            &self.incident_topic,
            &Uuid::now_v7().to_string(),
            &application.person_id,
            "ApplicationFiled",
            application,
        )
        .await;
        self.claim_of(&application.incident_id).await
    }

    /// The claim of the incident, once the consumer opened it (as an adjuster sees it).
    pub async fn claim_of(&mut self, incident_id: &str) -> pb::Claim {
        let incident = self.uuid(incident_id);
        let query = format!("SELECT COUNT(*) FROM claim WHERE incident_id = {incident}");
        self.wait_for(false, &query, 1).await;
        let backend = self.conn.get_database_backend();
        let row = self
            .conn
            .query_one_raw(Statement::from_string(
                backend,
                format!(
                    "SELECT {} FROM claim WHERE incident_id = {incident}",
                    sql::uuid_text(backend, "id")
                ),
            ))
            .await
            .unwrap()
            .unwrap();
        let id: String = row.try_get_by_index(0).unwrap();
        let id = Uuid::parse_str(&id).expect("a claim id").to_string();
        self.get(&Role::national_adjuster(), &id).await.unwrap()
    }

    pub async fn get(&mut self, role: &Role, claim_id: &str) -> Result<pb::Claim, tonic::Status> {
        self.client
            .get_claim(as_(
                role,
                pb::GetClaimRequest {
                    claim_id: claim_id.into(),
                },
            ))
            .await
            .map(|r| r.into_inner().claim.unwrap())
    }

    pub async fn decide(
        &mut self,
        role: &Role,
        claim_id: &str,
        decision: pb::ClaimStatus,
        reason: pb::RefusalReason,
    ) -> Result<pb::Claim, tonic::Status> {
        self.client
            .decide(as_(
                role,
                pb::DecideRequest {
                    request_id: Uuid::now_v7().to_string(),
                    claim_id: claim_id.into(),
                    decision: decision as i32,
                    refusal_reason: reason as i32,
                    note: "checked the order log".into(),
                },
            ))
            .await
            .map(|r| r.into_inner().claim.unwrap())
    }

    /// Claims events in the outbox of one type.
    pub async fn outbox_count(&self, event_type: &str) -> i64 {
        self.count(&format!(
            "SELECT COUNT(*) FROM outbox WHERE type = 'gigshield.events.v1.{event_type}'"
        ))
        .await
    }

    pub fn insurer_role(&self) -> Role {
        Role::Insurer {
            insurer_id: self.insurer,
        }
    }
}

#[derive(Debug, Clone)]
pub struct World {
    pub platform: Uuid,
    pub person: Uuid,
    pub external: String,
}

impl World {
    pub fn worker(&self) -> Role {
        Role::Worker {
            person_id: self.person,
        }
    }

    pub fn platform_role(&self) -> Role {
        Role::Platform {
            platform_id: self.platform,
        }
    }
}

/// A fall in Beijing Chaoyang at `occurred_at`, filed now by the platform.
pub fn application(world: &World, occurred_at: DateTime<Utc>) -> events::ApplicationFiled {
    events::ApplicationFiled {
        incident_id: Uuid::now_v7().to_string(),
        person_id: world.person.to_string(),
        platform_id: world.platform.to_string(),
        external_worker_id: world.external.clone(),
        facts: Some(events::IncidentFactsSummary {
            occurred_at: Some(timestamp(occurred_at)),
            region_code: "110105".into(),
            province_code: "110000".into(),
            order_id: String::new(),
            category: ipb::CauseCategory::Fall as i32,
            worker_fault_share: 0,
            severity: ipb::Severity::Hospitalised as i32,
            died_at: None,
            exclusions: None,
        }),
        filed_by: ipb::ActorKind::Platform as i32,
        relationship: 0,
        filed_at: Some(timestamp(Utc::now())),
        deadline_days: 30,
        days_after_accident: 0,
        late: false,
        has_late_explanation: false,
        reported_at: Some(timestamp(occurred_at)),
        evidence_count: 2,
        outside_platform_provinces: false,
        platform_disputes: Vec::new(),
    }
}

pub fn hours_ago(hours: i64) -> DateTime<Utc> {
    Utc::now() - TimeDelta::hours(hours)
}

/// A request of user `subject` (another person than the tests' usual "test").
pub fn as_user<T>(subject: &str, role: &Role, message: T) -> tonic::Request<T> {
    let token = gigshield_kit::testing::dev_minter().mint(
        subject,
        role,
        std::time::Duration::from_secs(3600),
    );
    let mut request = tonic::Request::new(message);
    request
        .metadata_mut()
        .insert("authorization", format!("Bearer {token}").parse().unwrap());
    request
}

/// Enrollment granted `delegate` the right to act for `grantor`; waits until claims has it.
impl TestApp {
    pub async fn delegate(&self, grantor: Uuid, delegate: Uuid) {
        let before = self.count("SELECT COUNT(*) FROM delegation").await;
        self.publish_with_id(
            &self.enrollment_topic,
            &Uuid::now_v7().to_string(),
            &grantor.to_string(),
            "DelegationGranted",
            &events::DelegationGranted {
                delegation_id: Uuid::now_v7().to_string(),
                grantor_person_id: grantor.to_string(),
                delegate_person_id: delegate.to_string(),
                relationship: gigshield_proto::common::Relationship::Spouse as i32,
                valid_from: Some(timestamp(Utc::now() - TimeDelta::minutes(1))),
                valid_until: None,
                granted_by: "WORKER".into(),
                granted_at: Some(timestamp(Utc::now())),
            },
        )
        .await;
        self.wait_for(false, "SELECT COUNT(*) FROM delegation", before + 1)
            .await;
    }
}

pub use gigshield_kit::testing::as_;

pub fn status(claim: &pb::Claim) -> pb::ClaimStatus {
    pb::ClaimStatus::try_from(claim.status).unwrap()
}

pub use gigshield_kit::testing::read_events;

/// A benefit figure as an operator enters it; test figures are labelled examples.
pub fn benefit_figure(
    table: common::BenefitTable,
    region: &str,
    year: i32,
    value_fen: i64,
) -> pb::AddBenefitFigureRequest {
    pb::AddBenefitFigureRequest {
        request_id: Uuid::now_v7().to_string(),
        figure: Some(common::BenefitFigure {
            table: table as i32,
            region_code: region.into(),
            year,
            value_fen,
            source: Some(common::Source {
                document: "example figure for tests".into(),
                url: String::new(),
                published_on: String::new(),
                confidence: common::Confidence::Unconfirmed as i32,
            }),
        }),
    }
}
