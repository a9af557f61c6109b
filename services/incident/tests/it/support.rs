//! A running incident service per test: fresh database, own topics (its own and the enrollment
//! topic its replica reads), port 0; and a producer that plays enrollment.

use std::time::Duration;

use chrono::{DateTime, TimeDelta, Utc};
use gigshield_incident::api::{IncidentApi, Settings};
use gigshield_incident::consumers;
use gigshield_incident::domain::evidence::EvidenceRules;
use gigshield_incident::domain::facts::FactRules;
use gigshield_incident::store::Migrator;
use gigshield_kit::sea_orm::DatabaseConnection;
use gigshield_kit::testing::{
    Backend, EventPublisher, Served, TestDatabase, kit_config, new_topic, sql,
};
use gigshield_kit::wire::timestamp;
use gigshield_kit::{Role, Service};
use gigshield_proto::events;
use gigshield_proto::incident as pb;
use gigshield_proto::incident::incident_service_client::IncidentServiceClient;
use gigshield_proto::incident::incident_service_server::IncidentServiceServer;
use tonic::transport::Channel;
use uuid::Uuid;

pub const MAX_TEXT: usize = 200;
pub const MAX_EVIDENCE: usize = 5;
/// The test service's suppression threshold.
pub const STATS_MIN_PERSONS: u32 = 2;

pub fn settings(topic: &str) -> Settings {
    Settings {
        topic: topic.to_string(),
        facts: FactRules {
            clock_skew: TimeDelta::seconds(300),
            max_text_chars: MAX_TEXT,
        },
        evidence: EvidenceRules {
            allowed_schemes: vec!["https".into(), "s3".into()],
            max_per_incident: MAX_EVIDENCE,
            max_size_bytes: 100 * 1024 * 1024,
        },
        stats_min_persons: STATS_MIN_PERSONS,
    }
}

pub struct TestApp {
    pub client: IncidentServiceClient<Channel>,
    /// The incident topic of this test.
    pub topic: String,
    pub enrollment: Enrollment,
    /// The claims topic the assignments consumer reads.
    pub claims_topic: String,
    pub conn: DatabaseConnection,
    /// Dropped with the app, which drops the database.
    _db: TestDatabase,
    served: Served,
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> Self {
        let db = TestDatabase::migrated::<Migrator>(backend).await;
        let topic = new_topic("incident", 3).await;
        let enrollment_topic = new_topic("enrollment", 3).await;
        let claims_topic = new_topic("claims", 3).await;
        let mut service = Service::init::<Migrator>(kit_config("incident", &db))
            .await
            .expect("service starts");
        consumers::spawn(&mut service, "incident", &enrollment_topic, &claims_topic)
            .expect("consumers start");
        let api = IncidentApi::new(service.writer(), service.vault(), settings(&topic));
        let conn = service.db.clone();
        let routes = tonic::service::Routes::new(IncidentServiceServer::with_interceptor(
            api,
            service.auth(),
        ));
        let served = Served::start(service, routes).await;
        Self {
            client: IncidentServiceClient::new(served.channel.clone()),
            topic,
            enrollment: Enrollment::new(enrollment_topic),
            claims_topic,
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

    /// Waits until the replica holds `n` memberships (the consumer caught up).
    pub async fn replica_has(&self, n: i64) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        loop {
            if self.count("SELECT COUNT(*) FROM replica_membership").await >= n {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "the replica did not reach {n} memberships"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// Polls until `sql` (a count) reaches `n`.
    pub async fn wait_count(&self, query: &str, n: i64) {
        sql::wait_for_count(&self.conn, query, n).await
    }

    /// Enrollment granted `delegate` the right to act for `grantor`; waits until the replica
    /// has it.
    pub async fn delegate(&self, grantor: Uuid, delegate: Uuid, relationship: pb::Relationship) {
        let before = self.count("SELECT COUNT(*) FROM delegation").await;
        self.enrollment
            .publish(
                &grantor.to_string(),
                "gigshield.events.v1.DelegationGranted",
                &events::DelegationGranted {
                    delegation_id: Uuid::now_v7().to_string(),
                    grantor_person_id: grantor.to_string(),
                    delegate_person_id: delegate.to_string(),
                    relationship: relationship as i32,
                    valid_from: Some(timestamp(Utc::now() - TimeDelta::minutes(1))),
                    valid_until: None,
                    granted_by: "WORKER".into(),
                    granted_at: Some(timestamp(Utc::now())),
                },
            )
            .await;
        self.wait_count("SELECT COUNT(*) FROM delegation", before + 1)
            .await;
    }

    /// Claims routed a claim of the incident to `insurer`; waits until the replica has it.
    pub async fn assign(&self, incident_id: &str, person_id: Uuid, insurer: Uuid) {
        let before = self.count("SELECT COUNT(*) FROM case_assignment").await;
        EventPublisher::new("//gigshield/claims")
            .publish(
                &self.claims_topic,
                "claim",
                "gigshield.events.v1.ClaimOpened",
                &events::ClaimOpened {
                    claim_id: Uuid::now_v7().to_string(),
                    incident_id: incident_id.to_string(),
                    person_id: person_id.to_string(),
                    insurer_id: insurer.to_string(),
                    opened_at: Some(timestamp(Utc::now())),
                    ..Default::default()
                },
            )
            .await;
        self.wait_count("SELECT COUNT(*) FROM case_assignment", before + 1)
            .await;
    }

    /// Waits until the replica has applied `n` enrollment events.
    pub async fn inbox_has(&self, n: i64) {
        let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
        loop {
            if self.count("SELECT COUNT(*) FROM inbox").await >= n {
                return;
            }
            assert!(
                tokio::time::Instant::now() < deadline,
                "the inbox did not reach {n} events"
            );
            tokio::time::sleep(Duration::from_millis(100)).await;
        }
    }

    /// A platform with one worker registered `registered_days_ago` days ago; waits until the
    /// replica knows the worker.
    pub async fn world(&self, registered_days_ago: i64) -> World {
        let platform_id = Uuid::now_v7();
        let person_id = Uuid::now_v7();
        let registered_at = Utc::now() - TimeDelta::days(registered_days_ago);
        let before = self.count("SELECT COUNT(*) FROM replica_membership").await;
        self.enrollment
            .platform(platform_id, &["110000", "440000"], registered_at)
            .await;
        let worker_id = self
            .enrollment
            .worker(person_id, platform_id, "rider-1", registered_at)
            .await;
        self.replica_has(before + 1).await;
        World {
            platform_id,
            person_id,
            worker_id,
        }
    }

    pub async fn report(
        &mut self,
        role: &Role,
        request: pb::ReportIncidentRequest,
    ) -> Result<pb::Incident, tonic::Status> {
        self.client
            .report_incident(as_(role, request))
            .await
            .map(|r| r.into_inner().incident.unwrap())
    }

    pub async fn get(&mut self, role: &Role, incident_id: &str) -> pb::Incident {
        self.client
            .get_incident(as_(
                role,
                pb::GetIncidentRequest {
                    incident_id: incident_id.into(),
                },
            ))
            .await
            .expect("get incident")
            .into_inner()
            .incident
            .unwrap()
    }

    pub async fn file(
        &mut self,
        role: &Role,
        incident_id: &str,
        late_explanation: &str,
    ) -> Result<pb::Incident, tonic::Status> {
        self.client
            .file_application(as_(
                role,
                pb::FileApplicationRequest {
                    request_id: Uuid::now_v7().to_string(),
                    incident_id: incident_id.into(),
                    late_explanation: late_explanation.into(),
                },
            ))
            .await
            .map(|r| r.into_inner().incident.unwrap())
    }
}

/// One platform and one of its workers, as enrollment published them.
#[derive(Debug, Clone, Copy)]
pub struct World {
    pub platform_id: Uuid,
    pub person_id: Uuid,
    pub worker_id: Uuid,
}

impl World {
    pub fn platform(&self) -> Role {
        Role::Platform {
            platform_id: self.platform_id,
        }
    }

    pub fn worker(&self) -> Role {
        Role::Worker {
            person_id: self.person_id,
        }
    }
}

/// Plays enrollment: publishes its events with CloudEvents headers on the test's topic.
pub struct Enrollment {
    pub topic: String,
    publisher: EventPublisher,
}

impl Enrollment {
    pub fn new(topic: String) -> Self {
        Self {
            topic,
            publisher: EventPublisher::new("//gigshield/enrollment"),
        }
    }

    /// Publishes one event under the given `ce_id` (a replay reuses one).
    pub async fn publish_with_id<M: prost::Message>(
        &self,
        id: &str,
        key: &str,
        event_type: &str,
        event: &M,
    ) {
        self.publisher
            .publish_with_id(&self.topic, id, key, event_type, event)
            .await;
    }

    pub async fn publish<M: prost::Message>(&self, key: &str, event_type: &str, event: &M) {
        self.publish_with_id(&Uuid::now_v7().to_string(), key, event_type, event)
            .await
    }

    pub async fn platform(&self, platform_id: Uuid, provinces: &[&str], from: DateTime<Utc>) {
        let event = events::PlatformRegistered {
            platform_id: platform_id.to_string(),
            legal_name: "某某即时配送有限公司".into(),
            credit_code: "91350100M000100Y43".into(),
            industries: vec![gigshield_proto::common::Industry::InstantDelivery as i32],
            province_codes: provinces.iter().map(|p| p.to_string()).collect(),
            effective_from: Some(timestamp(from)),
        };
        self.publish(
            &platform_id.to_string(),
            "gigshield.events.v1.PlatformRegistered",
            &event,
        )
        .await;
    }

    pub fn worker_registered(
        person_id: Uuid,
        platform_id: Uuid,
        external: &str,
        at: DateTime<Utc>,
    ) -> (Uuid, events::WorkerRegistered) {
        let worker_id = Uuid::now_v7();
        (
            worker_id,
            events::WorkerRegistered {
                person_id: person_id.to_string(),
                platform_id: platform_id.to_string(),
                worker_id: worker_id.to_string(),
                external_worker_id: external.into(),
                birth_year: 1990,
                sex: gigshield_proto::common::Sex::Male as i32,
                region_code: "110105".into(),
                registered_at: Some(timestamp(at)),
            },
        )
    }

    /// Registers the person with the platform; returns the worker id.
    pub async fn worker(
        &self,
        person_id: Uuid,
        platform_id: Uuid,
        external: &str,
        at: DateTime<Utc>,
    ) -> Uuid {
        let (worker_id, event) = Self::worker_registered(person_id, platform_id, external, at);
        self.publish(
            &person_id.to_string(),
            "gigshield.events.v1.WorkerRegistered",
            &event,
        )
        .await;
        worker_id
    }

    pub async fn deregister(
        &self,
        person_id: Uuid,
        platform_id: Uuid,
        worker_id: Uuid,
        external: &str,
        at: DateTime<Utc>,
    ) {
        let event = events::WorkerDeregistered {
            person_id: person_id.to_string(),
            platform_id: platform_id.to_string(),
            worker_id: worker_id.to_string(),
            external_worker_id: external.into(),
            deregistered_at: Some(timestamp(at)),
        };
        self.publish(
            &person_id.to_string(),
            "gigshield.events.v1.WorkerDeregistered",
            &event,
        )
        .await;
    }
}

pub use gigshield_kit::testing::as_;

pub fn hours_ago(hours: i64) -> DateTime<Utc> {
    Utc::now() - TimeDelta::hours(hours)
}

pub fn days_ago(days: i64) -> DateTime<Utc> {
    Utc::now() - TimeDelta::days(days)
}

/// A fall in Beijing Chaoyang at `occurred_at`.
pub fn facts(occurred_at: DateTime<Utc>, description: &str) -> pb::IncidentFacts {
    pb::IncidentFacts {
        occurred_at: Some(timestamp(occurred_at)),
        place: Some(pb::Place {
            latitude: 39.9219,
            longitude: 116.4436,
            region_code: "110105".into(),
        }),
        order_id: "order-778".into(),
        category: pb::CauseCategory::Fall as i32,
        worker_fault_share: 0,
        severity: pb::Severity::Hospitalised as i32,
        description: description.into(),
        died_at: None,
        exclusions: None,
    }
}

/// A platform's report about its worker "rider-1".
pub fn platform_report(facts: pb::IncidentFacts) -> pb::ReportIncidentRequest {
    pb::ReportIncidentRequest {
        request_id: Uuid::now_v7().to_string(),
        external_worker_id: "rider-1".into(),
        channel: pb::Channel::App as i32,
        facts: Some(facts),
        ..Default::default()
    }
}

/// A worker token's report about `person_id` (itself, or as a relative with `relationship`).
pub fn person_report(
    person_id: Uuid,
    relationship: pb::Relationship,
    facts: pb::IncidentFacts,
) -> pb::ReportIncidentRequest {
    pb::ReportIncidentRequest {
        request_id: Uuid::now_v7().to_string(),
        person_id: person_id.to_string(),
        relationship: relationship as i32,
        channel: pb::Channel::Phone as i32,
        facts: Some(facts),
        ..Default::default()
    }
}

pub fn evidence_item(n: u8) -> pb::EvidenceItem {
    pb::EvidenceItem {
        uri: format!("https://files.example.cn/incident/{n}.jpg"),
        sha256: format!("{:064x}", u64::from(n) + 1),
        media_type: "image/jpeg".into(),
        size_bytes: 1024 * i64::from(n + 1),
    }
}

pub use gigshield_kit::testing::violated_fields;

pub use gigshield_kit::testing::{contains, read_events};
