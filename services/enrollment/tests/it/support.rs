//! A running enrollment service per test: fresh database, own topic, port 0.

use std::time::Duration;

use gigshield_enrollment::api::{EnrollmentApi, Settings};
use gigshield_enrollment::consumers::{self, Followed};
use gigshield_enrollment::domain::resident_id::check_character;
use gigshield_enrollment::store::Migrator;
use gigshield_kit::sea_orm::DatabaseConnection;
use gigshield_kit::testing::{
    Backend, EventPublisher, Served, TestDatabase, kit_config, new_topic, sql,
};
use gigshield_kit::{Role, Service};
use gigshield_proto::common::Industry;
use gigshield_proto::enrollment as pb;
use gigshield_proto::enrollment::enrollment_service_client::EnrollmentServiceClient;
use gigshield_proto::enrollment::enrollment_service_server::EnrollmentServiceServer;
use tonic::transport::Channel;
use uuid::Uuid;

pub struct TestApp {
    pub client: EnrollmentServiceClient<Channel>,
    pub topic: String,
    /// The topics it follows, which the tests publish on as premium, incident and claims.
    pub followed: Followed,
    pub conn: DatabaseConnection,
    pub db: TestDatabase,
    served: Served,
}

impl TestApp {
    pub async fn spawn(backend: Backend) -> Self {
        let db = TestDatabase::migrated::<Migrator>(backend).await;
        let topic = new_topic("enrollment", 3).await;
        let followed = Followed {
            premium: new_topic("premium", 3).await,
            incident: new_topic("incident", 3).await,
            claims: new_topic("claims", 3).await,
        };
        let mut service = Service::init::<Migrator>(kit_config("enrollment", &db))
            .await
            .expect("service starts");
        consumers::spawn(&mut service, &followed).expect("consumers start");
        let settings = Settings {
            topic: topic.clone(),
            min_age: 16,
            clock_skew: Duration::from_secs(300),
        };
        let api = EnrollmentApi::new(service.writer(), service.vault(), settings);
        let conn = service.db.clone();
        let routes = tonic::service::Routes::new(EnrollmentServiceServer::with_interceptor(
            api,
            service.auth(),
        ));
        let served = Served::start(service, routes).await;
        Self {
            client: EnrollmentServiceClient::new(served.channel.clone()),
            topic,
            followed,
            conn,
            db,
            served,
        }
    }

    /// Publishes `event` on `topic` as `producer` would.
    pub async fn publish<M: prost::Message>(
        &self,
        producer: &str,
        topic: &str,
        key: &str,
        event_type: &str,
        event: &M,
    ) {
        EventPublisher::new(&format!("//gigshield/{producer}"))
            .publish(topic, key, event_type, event)
            .await;
    }

    /// Polls `sql` (a `SELECT count(*) AS n ...`) until it reaches `want`.
    pub async fn wait_count(&self, query: &str, want: i64) {
        sql::wait_for_count(&self.conn, query, want).await
    }

    pub async fn count(&self, query: &str) -> i64 {
        sql::scalar(&self.conn, query).await
    }

    pub async fn stop(self) {
        self.served.stop().await;
    }

    /// Registers a platform as an operator and returns its id.
    pub async fn platform(&mut self, credit_code: &str) -> Uuid {
        let response = self
            .client
            .register_platform(as_(&operator(), register_platform_request(credit_code)))
            .await
            .expect("platform registers")
            .into_inner();
        Uuid::parse_str(&response.platform.unwrap().platform_id).unwrap()
    }

    pub async fn register(
        &mut self,
        platform_id: Uuid,
        registration: pb::WorkerRegistration,
    ) -> Result<pb::Worker, tonic::Status> {
        self.client
            .register_worker(as_(
                &platform(platform_id),
                pb::RegisterWorkerRequest {
                    request_id: Uuid::now_v7().to_string(),
                    platform_id: platform_id.to_string(),
                    registration: Some(registration),
                },
            ))
            .await
            .map(|r| r.into_inner().worker.unwrap())
    }
}

pub fn operator() -> Role {
    Role::national_operator()
}

pub fn platform(platform_id: Uuid) -> Role {
    Role::Platform { platform_id }
}

pub fn worker(person_id: &str) -> Role {
    Role::Worker {
        person_id: Uuid::parse_str(person_id).unwrap(),
    }
}

pub use gigshield_kit::testing::as_;

/// Two valid codes from docs/domain.md and more built with the GB 32100 algorithm.
pub const CREDIT_CODES: [&str; 2] = ["91350100M000100Y43", "91110000600037341L"];

pub fn register_platform_request(credit_code: &str) -> pb::RegisterPlatformRequest {
    pb::RegisterPlatformRequest {
        request_id: Uuid::now_v7().to_string(),
        legal_name: "某某即时配送有限公司".into(),
        credit_code: credit_code.into(),
        industries: vec![
            Industry::InstantDelivery as i32,
            Industry::RideHailing as i32,
        ],
        region_codes: vec!["110105".into(), "440305".into()],
        contact: Some(pb::Contact {
            name: "运营中心".into(),
            phone: "010-88888888".into(),
            email: "ops@example.cn".into(),
        }),
        effective_from: None,
    }
}

/// A valid resident ID: Beijing Chaoyang, born 1990-01-01 plus `n` days, sequence from `n`.
pub fn resident_id(n: u32) -> String {
    let birth = chrono::NaiveDate::from_ymd_opt(1990, 1, 1).unwrap()
        + chrono::Days::new(u64::from(n % 5000));
    let first17 = format!("110105{}{:03}", birth.format("%Y%m%d"), n % 1000);
    let check = check_character(first17.as_bytes()) as char;
    format!("{first17}{check}")
}

pub fn registration(external: &str, id: &str, name: &str) -> pb::WorkerRegistration {
    pb::WorkerRegistration {
        external_worker_id: external.into(),
        real_name: name.into(),
        resident_id: id.into(),
        mobile: "13812345678".into(),
        region_code: "110105".into(),
        registered_at: None,
    }
}

pub use gigshield_kit::testing::violated_fields;
