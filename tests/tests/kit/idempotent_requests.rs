//! `request_id` replay against both databases.

use gigshield_kit::idempotency::IdempotencyKey;
use gigshield_kit::sea_orm::TransactionTrait;
use gigshield_kit::testing::{Backend, TestDatabase};
use gigshield_kit::{ApiError, Principal, Role};
use gigshield_tests::{Migrator, pb};

async fn same_id_same_body_replays_different_body_conflicts(backend: Backend) {
    let test_db = TestDatabase::new(backend).await;
    let db = test_db.connect_migrated::<Migrator>().await;
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
        key.replay::<pb::ReadPlatformResponse>(&db).await.unwrap(),
        None
    );
    let txn = db.begin().await.unwrap();
    key.record(&txn, &answer).await.unwrap();
    txn.commit().await.unwrap();

    let again = IdempotencyKey::new(&platform, "req-1", "Op", &request).unwrap();
    assert_eq!(
        again.replay::<pb::ReadPlatformResponse>(&db).await.unwrap(),
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
        changed.replay::<pb::ReadPlatformResponse>(&db).await,
        Err(ApiError::AlreadyExists(_))
    ));

    // Another tenant's identical request_id is a different request.
    let theirs = IdempotencyKey::new(&other, "req-1", "Op", &request).unwrap();
    assert_eq!(
        theirs
            .replay::<pb::ReadPlatformResponse>(&db)
            .await
            .unwrap(),
        None
    );

    // A racing second record loses with Aborted, and nothing is overwritten.
    assert!(matches!(
        again
            .record(
                &db,
                &pb::ReadPlatformResponse {
                    platform_id: "x".into()
                }
            )
            .await,
        Err(ApiError::Aborted(_))
    ));
    assert_eq!(
        again.replay::<pb::ReadPlatformResponse>(&db).await.unwrap(),
        Some(answer)
    );

    // A rolled-back transaction leaves no stored answer.
    let rolled = IdempotencyKey::new(&platform, "req-2", "Op", &request).unwrap();
    let txn = db.begin().await.unwrap();
    rolled
        .record(&txn, &pb::ReadPlatformResponse::default())
        .await
        .unwrap();
    txn.rollback().await.unwrap();
    assert_eq!(
        rolled
            .replay::<pb::ReadPlatformResponse>(&db)
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
