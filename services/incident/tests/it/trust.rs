//! The trust boundaries of incident, each shown refused: probing another platform's workers,
//! insurers outside their cases, platforms reading or rewriting a worker's report, text in
//! clear at rest, forged events.

use gigshield_kit::Role;
use gigshield_kit::testing::{Backend, EventPublisher};
use gigshield_proto::events;
use gigshield_proto::incident as pb;
use prost_types::FieldMask;
use tonic::Code;
use uuid::Uuid;

use crate::support::*;

/// Behaviour 1: a worker token named another platform's worker "as a relative", and existing
/// and missing worker ids answered differently.
#[tokio::test]
async fn a_worker_cannot_report_for_or_probe_strangers() {
    let mut app = TestApp::spawn(Backend::suite()).await;
    let w = app.world(100).await;
    let stranger = Role::Worker {
        person_id: Uuid::now_v7(),
    };
    let for_existing = app
        .report(
            &stranger,
            person_report(
                w.person_id,
                pb::Relationship::Parent,
                facts(hours_ago(1), "x"),
            ),
        )
        .await
        .unwrap_err();
    let for_missing = app
        .report(
            &stranger,
            person_report(
                Uuid::now_v7(),
                pb::Relationship::Parent,
                facts(hours_ago(1), "x"),
            ),
        )
        .await
        .unwrap_err();
    assert_eq!(for_existing.code(), Code::PermissionDenied);
    assert_eq!(
        (for_existing.code(), for_existing.message()),
        (for_missing.code(), for_missing.message()),
        "an existing and a missing person answer alike"
    );
    assert!(!for_existing.message().contains(&w.person_id.to_string()));
    // A platform's worker id is the platform's: a worker cannot name one.
    let mut by_external = person_report(
        w.person_id,
        pb::Relationship::Unspecified,
        facts(hours_ago(1), "x"),
    );
    by_external.person_id.clear();
    by_external.platform_id = w.platform_id.to_string();
    by_external.external_worker_id = "rider-1".into();
    assert_eq!(
        violated_fields(&app.report(&stranger, by_external).await.unwrap_err()),
        ["external_worker_id"]
    );
    assert_eq!(app.count("SELECT COUNT(*) FROM incident").await, 0);
    app.stop().await;
}

/// Behaviour 2: any insurer read every incident's free text, and platforms read the worker's
/// self-reported medical text.
#[tokio::test]
async fn insurers_see_their_cases_and_platforms_no_medical_text() {
    let mut app = TestApp::spawn(Backend::suite()).await;
    let w = app.world(100).await;
    let told = "骑车送餐时摔倒，右腕骨折";
    let incident = app
        .report(
            &w.worker(),
            person_report(
                w.person_id,
                pb::Relationship::Unspecified,
                facts(hours_ago(2), told),
            ),
        )
        .await
        .unwrap();
    let id = incident.incident_id.clone();
    let insurer_id = Uuid::now_v7();
    let insurer = Role::Insurer { insurer_id };
    let get = |id: &str| pb::GetIncidentRequest {
        incident_id: id.into(),
    };

    // Before any claim is routed to it: as if the incident did not exist.
    let hidden = app
        .client
        .get_incident(as_(&insurer, get(&id)))
        .await
        .unwrap_err();
    let missing = app
        .client
        .get_incident(as_(&insurer, get(&Uuid::now_v7().to_string())))
        .await
        .unwrap_err();
    assert_eq!(
        (hidden.code(), hidden.message()),
        (missing.code(), missing.message())
    );
    let listed = app
        .client
        .list_incidents(as_(&insurer, pb::ListIncidentsRequest::default()))
        .await
        .unwrap()
        .into_inner();
    assert!(listed.incidents.is_empty());

    app.assign(&id, w.person_id, insurer_id).await;
    let seen = app.get(&insurer, &id).await;
    assert_eq!(seen.current.unwrap().description, told);
    for adjuster in [
        Role::insurer_adjuster(insurer_id),
        Role::national_adjuster(),
    ] {
        assert_eq!(
            app.get(&adjuster, &id).await.original.unwrap().description,
            told
        );
    }
    // Another insurer still sees nothing.
    let other = Role::Insurer {
        insurer_id: Uuid::now_v7(),
    };
    assert_eq!(
        app.client
            .get_incident(as_(&other, get(&id)))
            .await
            .unwrap_err()
            .code(),
        Code::NotFound
    );

    // The platform reads the facts but not the worker's words.
    let platform_view = app.get(&w.platform(), &id).await;
    assert_eq!(platform_view.original.as_ref().unwrap().description, "");
    assert_eq!(platform_view.current.as_ref().unwrap().description, "");
    assert_eq!(
        platform_view.current.unwrap().severity,
        pb::Severity::Hospitalised as i32
    );
    app.stop().await;
}

/// Behaviour 6: a platform amended the worker's own report (set the intoxication flag,
/// replaced the description).
#[tokio::test]
async fn a_workers_report_stays_the_workers_and_the_platform_adds_a_statement() {
    let mut app = TestApp::spawn(Backend::suite()).await;
    let w = app.world(100).await;
    let incident = app
        .report(
            &w.worker(),
            person_report(
                w.person_id,
                pb::Relationship::Unspecified,
                facts(hours_ago(2), "下楼摔倒"),
            ),
        )
        .await
        .unwrap();
    let id = incident.incident_id.clone();
    let mut drunk = facts(hours_ago(2), "醉酒");
    drunk.exclusions = Some(pb::ExclusionFlags {
        intoxication_or_drugs: true,
        ..Default::default()
    });
    let refused = app
        .client
        .amend_incident(as_(
            &w.platform(),
            pb::AmendIncidentRequest {
                request_id: Uuid::now_v7().to_string(),
                incident_id: id.clone(),
                facts: Some(drunk),
                update_mask: Some(FieldMask {
                    paths: vec!["exclusions".into(), "description".into()],
                }),
                reason: "平台调查".into(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied);
    assert!(
        refused.message().contains("AddStatement"),
        "{}",
        refused.message()
    );

    let with_statement = app
        .client
        .add_statement(as_(
            &w.platform(),
            pb::AddStatementRequest {
                request_id: Uuid::now_v7().to_string(),
                incident_id: id.clone(),
                text: "骑手当晚饮酒，有同事证言".into(),
                disputes: Some(pb::Disputes {
                    intoxication_or_drugs: true,
                    ..Default::default()
                }),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .incident
        .unwrap();
    assert_eq!(with_statement.statements.len(), 1);
    let worker_view = app.get(&w.worker(), &id).await;
    let current = worker_view.current.unwrap();
    assert_eq!(current.description, "下楼摔倒", "the worker's facts stand");
    assert!(!current.exclusions.unwrap_or_default().intoxication_or_drugs);
    assert!(worker_view.amendments.is_empty());

    // The dispute goes out as an event (for claims to route), without the statement's text.
    let seen = read_events(&app.topic, 2).await;
    let statement = seen
        .iter()
        .find(|s| s.event_type == "gigshield.events.v1.StatementAdded")
        .expect("StatementAdded published");
    let event: events::StatementAdded =
        prost::Message::decode(statement.payload.as_slice()).unwrap();
    assert_eq!(event.disputed, vec!["intoxication_or_drugs"]);
    assert!(!contains(&statement.everything, "饮酒"));
    // A platform that has nothing to do with the incident cannot add one.
    let other = Role::Platform {
        platform_id: Uuid::now_v7(),
    };
    let refused = app
        .client
        .add_statement(as_(
            &other,
            pb::AddStatementRequest {
                request_id: Uuid::now_v7().to_string(),
                incident_id: id,
                text: "x".into(),
                disputes: None,
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::NotFound);
    app.stop().await;
}

/// Behaviour 9: descriptions, explanations and reasons were stored in clear, and replay
/// records kept a second copy of every answer.
#[tokio::test]
async fn free_text_is_sealed_at_rest() {
    let mut app = TestApp::spawn(Backend::suite()).await;
    let w = app.world(100).await;
    let phrase = format!("PLANTED{} 颈椎骨折", Uuid::now_v7().simple());
    let incident = app
        .report(
            &w.worker(),
            person_report(
                w.person_id,
                pb::Relationship::Unspecified,
                facts(days_ago(95), &phrase),
            ),
        )
        .await
        .unwrap();
    app.file(
        &w.worker(),
        &incident.incident_id,
        &format!("{phrase} 住院"),
    )
    .await
    .unwrap();
    app.client
        .withdraw_incident(as_(
            &w.worker(),
            pb::WithdrawIncidentRequest {
                request_id: Uuid::now_v7().to_string(),
                incident_id: incident.incident_id.clone(),
                reason: format!("{phrase} 撤回"),
            },
        ))
        .await
        .unwrap();
    let needle = phrase.split(' ').next().unwrap().to_string();
    let tables = [
        "incident",
        "incident_revision",
        "application",
        "evidence",
        "statement",
        "idempotency_key",
        "outbox",
    ];
    gigshield_kit::testing::sql::assert_not_in_clear(&app.conn, &tables, &needle).await;
    // It still reads back to the worker.
    let read = app.get(&w.worker(), &incident.incident_id).await;
    assert_eq!(read.original.unwrap().description, phrase);
    assert!(
        read.application
            .unwrap()
            .late_explanation
            .starts_with(&needle)
    );
    app.stop().await;
}

/// An event on the enrollment topic from anyone but enrollment registers nobody and is
/// dead-lettered once.
#[tokio::test]
async fn a_forged_membership_is_dead_lettered_without_effect() {
    let app = TestApp::spawn(Backend::suite()).await;
    let (person, platform) = (Uuid::now_v7(), Uuid::now_v7());
    let (_, event) = Enrollment::worker_registered(person, platform, "forged-1", days_ago(10));
    EventPublisher::new("//gigshield/premium")
        .publish(
            &app.enrollment.topic,
            &person.to_string(),
            "gigshield.events.v1.WorkerRegistered",
            &event,
        )
        .await;
    app.wait_count("SELECT COUNT(*) FROM dead_letter", 1).await;
    assert_eq!(
        app.count("SELECT COUNT(*) FROM replica_membership").await,
        0
    );
    assert_eq!(
        app.count("SELECT COUNT(*) FROM dead_letter WHERE source = '//gigshield/premium'")
            .await,
        1
    );
    app.stop().await;
}
