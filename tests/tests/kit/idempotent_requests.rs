//! `request_id` replay against both databases.

use std::sync::Arc;
use std::time::Duration;

use gigshield_kit::idempotency::{IdempotencyKey, Replays};
use gigshield_kit::pii::PiiVault;
use gigshield_kit::sea_orm::{ConnectionTrait, Statement, TransactionTrait};
use gigshield_kit::testing::{Backend, TestDatabase};
use gigshield_kit::{ApiError, Principal, Role};
use gigshield_tests::{Migrator, pb};

async fn same_id_same_body_replays_different_body_conflicts(backend: Backend) {
    let test_db = TestDatabase::new(backend).await;
    let db = test_db.connect_migrated::<Migrator>().await;
    let replays = Replays {
        vault: Arc::new(PiiVault::ephemeral()),
        retention: Duration::from_secs(3600),
    };
    let platform = Principal {
        subject: "p".into(),
        role: Role::Platform {
            platform_id: uuid::Uuid::now_v7(),
        },
    };
    let other = Principal {
        subject: "q".into(),
        role: Role::Platform {
            platform_id: uuid::Uuid::now_v7(),
        },
    };
    let request = pb::ReadPlatformRequest {
        platform_id: "a".into(),
    };
    let answer = pb::ReadPlatformResponse {
        platform_id: "answer".into(),
    };

    let key = IdempotencyKey::new(&platform, "req-1", "Op", &request).unwrap();
    assert_eq!(
        key.replay::<pb::ReadPlatformResponse>(&db, &replays)
            .await
            .unwrap(),
        None
    );
    let txn = db.begin().await.unwrap();
    key.record(&txn, &replays, &answer).await.unwrap();
    txn.commit().await.unwrap();

    let again = IdempotencyKey::new(&platform, "req-1", "Op", &request).unwrap();
    assert_eq!(
        again
            .replay::<pb::ReadPlatformResponse>(&db, &replays)
            .await
            .unwrap(),
        Some(answer.clone())
    );

    let changed = IdempotencyKey::new(
        &platform,
        "req-1",
        "Op",
        &pb::ReadPlatformRequest {
            platform_id: "b".into(),
        },
    )
    .unwrap();
    assert!(matches!(
        changed
            .replay::<pb::ReadPlatformResponse>(&db, &replays)
            .await,
        Err(ApiError::AlreadyExists(_))
    ));

    // Another tenant's identical request_id is a different request.
    let theirs = IdempotencyKey::new(&other, "req-1", "Op", &request).unwrap();
    assert_eq!(
        theirs
            .replay::<pb::ReadPlatformResponse>(&db, &replays)
            .await
            .unwrap(),
        None
    );

    // A racing second record loses with Aborted, and nothing is overwritten.
    assert!(matches!(
        again
            .record(
                &db,
                &replays,
                &pb::ReadPlatformResponse {
                    platform_id: "x".into()
                }
            )
            .await,
        Err(ApiError::Aborted(_))
    ));
    assert_eq!(
        again
            .replay::<pb::ReadPlatformResponse>(&db, &replays)
            .await
            .unwrap(),
        Some(answer)
    );

    // A rolled-back transaction leaves no stored answer.
    let rolled = IdempotencyKey::new(&platform, "req-2", "Op", &request).unwrap();
    let txn = db.begin().await.unwrap();
    rolled
        .record(&txn, &replays, &pb::ReadPlatformResponse::default())
        .await
        .unwrap();
    txn.rollback().await.unwrap();
    assert_eq!(
        rolled
            .replay::<pb::ReadPlatformResponse>(&db, &replays)
            .await
            .unwrap(),
        None
    );

    assert!(matches!(
        IdempotencyKey::new(&platform, " ", "Op", &request),
        Err(ApiError::InvalidArgument(_))
    ));
}

#[tokio::test]
async fn request_ids_postgres() {
    same_id_same_body_replays_different_body_conflicts(Backend::Postgres).await;
}

#[tokio::test]
async fn request_ids_sqlite() {
    same_id_same_body_replays_different_body_conflicts(Backend::Sqlite).await;
}

/// A stored answer is sealed (no copy of it in clear) and lives only as long as retries do.
async fn answers_are_sealed_and_expire(backend: Backend) {
    let test_db = TestDatabase::new(backend).await;
    let db = test_db.connect_migrated::<Migrator>().await;
    let vault = Arc::new(PiiVault::ephemeral());
    let short = Replays {
        vault: vault.clone(),
        retention: Duration::ZERO,
    };
    let platform = Principal {
        subject: "p".into(),
        role: Role::Platform {
            platform_id: uuid::Uuid::now_v7(),
        },
    };
    let request = pb::ReadPlatformRequest {
        platform_id: "a".into(),
    };
    let secret = "SEALED-ANSWER-110105194912310021";
    let key = IdempotencyKey::new(&platform, "req-9", "Op", &request).unwrap();
    key.record(
        &db,
        &short,
        &pb::ReadPlatformResponse {
            platform_id: secret.into(),
        },
    )
    .await
    .unwrap();
    let rows = db
        .query_all_raw(Statement::from_string(
            db.get_database_backend(),
            "SELECT response_sealed FROM idempotency_key".to_string(),
        ))
        .await
        .unwrap();
    assert_eq!(rows.len(), 1);
    let stored: Vec<u8> = rows[0].try_get("", "response_sealed").unwrap();
    assert!(!stored.windows(12).any(|w| w == &secret.as_bytes()[..12]));
    // Expired at once: no replay, and the request may run (and be recorded) again.
    assert_eq!(
        key.replay::<pb::ReadPlatformResponse>(&db, &short)
            .await
            .unwrap(),
        None
    );
    key.record(&db, &short, &pb::ReadPlatformResponse::default())
        .await
        .unwrap();
    assert_eq!(
        gigshield_kit::idempotency::delete_expired(&db)
            .await
            .unwrap(),
        1
    );
}

#[tokio::test]
async fn answers_are_sealed_and_expire_postgres() {
    answers_are_sealed_and_expire(Backend::Postgres).await;
}

#[tokio::test]
async fn answers_are_sealed_and_expire_sqlite() {
    answers_are_sealed_and_expire(Backend::Sqlite).await;
}
