//! The harness behind the cross-crate tests: a test event, a deliberately non-idempotent
//! effect (so only the kit's inbox can prevent doubles), a tenant-scoped probe service, and
//! helpers to drive processes that the tests kill.

use std::time::Duration;

use gigshield_kit::consumer::{EventHandler, HandlerError};
use gigshield_kit::envelope::Envelope;
use gigshield_kit::outbox::{self, OutboxMessage};
use gigshield_kit::sea_orm::{
    ConnectionTrait, DatabaseConnection, DatabaseTransaction, DbErr, Statement, TransactionTrait,
};
use gigshield_kit::sea_orm_migration::prelude::*;
use gigshield_kit::{ApiError, Principal, Role};
use tonic::{Request, Response, Status};

// Generated code: the function-length lint is for code people write.
#[allow(clippy::too_many_lines)]
pub mod pb {
    tonic::include_proto!("gigshield.harness.v1");
    pub const DESCRIPTOR_SET: &[u8] = tonic::include_file_descriptor_set!("harness_descriptor");
}

pub const EVENT_TYPE: &str = "gigshield.harness.v1.HarnessEvent";

/// Kit tables plus the `effect` table the harness consumer writes.
pub struct Migrator;

impl MigratorTrait for Migrator {
    fn migrations() -> Vec<Box<dyn MigrationTrait>> {
        let mut all = gigshield_kit::migrations();
        all.push(Box::new(CreateEffect));
        all
    }
}

struct CreateEffect;

impl MigrationName for CreateEffect {
    fn name(&self) -> &str {
        "harness_0001_effect"
    }
}

#[async_trait::async_trait]
impl MigrationTrait for CreateEffect {
    async fn up(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        // No unique constraint on event_id on purpose: a second application would show up
        // as a second row.
        gigshield_kit::migrations::execute_ddl(
            manager,
            &["CREATE TABLE effect (id {serial_pk}, event_id TEXT NOT NULL, event_key TEXT NOT NULL, seq BIGINT NOT NULL, traceparent TEXT)"],
        )
        .await
    }

    async fn down(&self, manager: &SchemaManager) -> Result<(), DbErr> {
        manager
            .get_connection()
            .execute_unprepared("DROP TABLE effect")
            .await?;
        Ok(())
    }
}

/// Appends one `effect` row per event it is given.
pub struct RecordEffect;

impl EventHandler for RecordEffect {
    async fn handle(
        &self,
        txn: &DatabaseTransaction,
        event: &Envelope,
    ) -> Result<(), HandlerError> {
        let body: pb::HarnessEvent = event.decode(EVENT_TYPE)?;
        let stmt = Statement::from_sql_and_values(
            txn.get_database_backend(),
            "INSERT INTO effect (event_id, event_key, seq, traceparent) VALUES ($1, $2, $3, $4)",
            [
                event.id.clone().into(),
                body.key.into(),
                body.seq.into(),
                gigshield_kit::telemetry::current_traceparent().into(),
            ],
        );
        txn.execute_raw(stmt).await?;
        Ok(())
    }
}

pub fn event_message(topic: &str, key: &str, seq: i64) -> OutboxMessage {
    OutboxMessage::new(
        topic,
        "harness",
        key,
        EVENT_TYPE,
        &pb::HarnessEvent {
            key: key.into(),
            seq,
        },
    )
}

/// Writes `per_key` events for each of `keys` keys, interleaved, one transaction each.
pub async fn write_events(
    db: &DatabaseConnection,
    topic: &str,
    keys: usize,
    per_key: i64,
) -> Result<usize, DbErr> {
    let mut written = 0;
    for seq in 0..per_key {
        for k in 0..keys {
            let txn = db.begin().await?;
            outbox::enqueue(&txn, event_message(topic, &format!("key-{k}"), seq)).await?;
            txn.commit().await?;
            written += 1;
        }
    }
    Ok(written)
}

pub async fn count(db: &impl ConnectionTrait, sql: &str) -> i64 {
    let row = db
        .query_one_raw(Statement::from_string(
            db.get_database_backend(),
            sql.to_string(),
        ))
        .await
        .expect("count query")
        .expect("one row");
    row.try_get_by_index::<i64>(0).expect("count column")
}

/// (key, seq) of every effect in the order they were applied.
pub async fn effects_in_order(db: &impl ConnectionTrait) -> Vec<(String, i64)> {
    db.query_all_raw(Statement::from_string(
        db.get_database_backend(),
        "SELECT event_key, seq FROM effect ORDER BY id".to_string(),
    ))
    .await
    .expect("effects query")
    .iter()
    .map(|r| {
        (
            r.try_get("", "event_key").unwrap(),
            r.try_get("", "seq").unwrap(),
        )
    })
    .collect()
}

/// Polls `check` every 100 ms until it is true or `timeout` passes.
pub async fn eventually<F, Fut>(timeout: Duration, mut check: F) -> bool
where
    F: FnMut() -> Fut,
    Fut: std::future::Future<Output = bool>,
{
    let deadline = tokio::time::Instant::now() + timeout;
    loop {
        if check().await {
            return true;
        }
        if tokio::time::Instant::now() >= deadline {
            return false;
        }
        tokio::time::sleep(Duration::from_millis(100)).await;
    }
}

/// A service whose only data is "a platform", to prove authentication and tenancy.
/// The probe service's access table: a platform reads its own platform, the central operator
/// any.
pub const PROBE_ACCESS: gigshield_kit::AccessTable = gigshield_kit::AccessTable {
    service: "gigshield.harness.v1.Probe",
    rules: &[gigshield_kit::access::Rule {
        rpc: "ReadPlatform",
        grants: &[
            gigshield_kit::access::PLATFORM,
            gigshield_kit::access::NATIONAL_OPERATOR,
        ],
        note: "",
    }],
};

pub struct ProbeApi;

#[tonic::async_trait]
impl pb::probe_server::Probe for ProbeApi {
    async fn who_am_i(
        &self,
        request: Request<pb::WhoAmIRequest>,
    ) -> Result<Response<pb::WhoAmIResponse>, Status> {
        let principal = gigshield_kit::auth::principal(&request)?;
        Ok(Response::new(pb::WhoAmIResponse {
            subject: principal.subject.clone(),
            role: format!("{:?}", principal.role.kind()),
        }))
    }

    async fn read_platform(
        &self,
        request: Request<pb::ReadPlatformRequest>,
    ) -> Result<Response<pb::ReadPlatformResponse>, Status> {
        let principal: Principal = gigshield_kit::auth::principal(&request)?;
        let caller = PROBE_ACCESS.caller("ReadPlatform", principal, Vec::new())?;
        let platform_id = uuid::Uuid::parse_str(&request.get_ref().platform_id)
            .map_err(|_| ApiError::invalid("platform_id", "must be a UUID"))?;
        caller.require(&gigshield_kit::Subject::default().platform(platform_id))?;
        Ok(Response::new(pb::ReadPlatformResponse {
            platform_id: platform_id.to_string(),
        }))
    }
}

pub fn platform(platform_id: uuid::Uuid) -> Role {
    Role::Platform { platform_id }
}

/// The probe service on the kit, on a free port of 127.0.0.1 with `db`'s database, connected.
pub async fn serve_probe(
    db: &gigshield_kit::testing::TestDatabase,
) -> gigshield_kit::testing::Served {
    let mut service =
        gigshield_kit::Service::init::<Migrator>(gigshield_kit::testing::kit_config("probe", db))
            .await
            .expect("service starts");
    service.add_descriptor_set(pb::DESCRIPTOR_SET);
    let routes = tonic::service::Routes::new(pb::probe_server::ProbeServer::with_interceptor(
        ProbeApi,
        service.auth(),
    ));
    gigshield_kit::testing::Served::start(service, routes).await
}
