//! Withdrawal: allowed after an application (no decision exists here), final, published.

use gigshield_kit::testing::Backend;
use gigshield_proto::events;
use gigshield_proto::incident as pb;
use prost::Message as _;
use prost_types::FieldMask;
use tonic::Code;

use crate::support::*;

const REASON: &str = "伤情轻微，本人决定不再申请";

#[tokio::test]
async fn withdrawal_after_an_application_is_final_and_published() {
    let mut app = TestApp::spawn(Backend::suite()).await;
    let w = app.world(100).await;
    let incident = app
        .report(&w.platform(), platform_report(facts(hours_ago(6), "摔倒")))
        .await
        .unwrap();
    let id = incident.incident_id.clone();
    app.file(&w.worker(), &id, "").await.unwrap();

    // The worker applied: the platform that reported may no longer withdraw.
    let withdraw = |request_id: &str| pb::WithdrawIncidentRequest {
        request_id: request_id.into(),
        incident_id: id.clone(),
        reason: REASON.into(),
    };
    let refused = app
        .client
        .withdraw_incident(as_(&w.platform(), withdraw("p")))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied);
    let no_reason = app
        .client
        .withdraw_incident(as_(
            &w.worker(),
            pb::WithdrawIncidentRequest {
                reason: String::new(),
                ..withdraw("n")
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&no_reason), ["reason"]);

    let withdrawn = app
        .client
        .withdraw_incident(as_(&w.worker(), withdraw("w1")))
        .await
        .unwrap()
        .into_inner()
        .incident
        .unwrap();
    assert_eq!(withdrawn.status, pb::IncidentStatus::Withdrawn as i32);
    let withdrawal = withdrawn.withdrawal.unwrap();
    assert_eq!(withdrawal.reason, REASON);
    assert_eq!(
        withdrawal.withdrawn_by.unwrap().kind,
        pb::ActorKind::Worker as i32
    );
    assert!(
        withdrawn.application.is_some(),
        "the application stays on record"
    );

    // Replaying the same request answers the same; a new one finds it withdrawn.
    let replay = app
        .client
        .withdraw_incident(as_(&w.worker(), withdraw("w1")))
        .await
        .unwrap();
    assert_eq!(
        replay.into_inner().incident.unwrap().status,
        pb::IncidentStatus::Withdrawn as i32
    );
    let twice = app
        .client
        .withdraw_incident(as_(&w.worker(), withdraw("w2")))
        .await
        .unwrap_err();
    assert_eq!(twice.code(), Code::FailedPrecondition);
    let amend = app
        .client
        .amend_incident(as_(
            &w.worker(),
            pb::AmendIncidentRequest {
                request_id: "a".into(),
                incident_id: id.clone(),
                facts: Some(facts(hours_ago(6), "改")),
                update_mask: Some(FieldMask {
                    paths: vec!["description".into()],
                }),
                reason: "补充".into(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(amend.code(), Code::FailedPrecondition);
    let attach = app
        .client
        .attach_evidence(as_(
            &w.worker(),
            pb::AttachEvidenceRequest {
                request_id: "e".into(),
                incident_id: id.clone(),
                items: vec![evidence_item(1)],
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(attach.code(), Code::FailedPrecondition);

    let seen = read_events(&app.topic, 3).await;
    let types: Vec<&str> = seen.iter().map(|s| s.event_type.as_str()).collect();
    assert_eq!(
        types,
        [
            "gigshield.events.v1.IncidentReported",
            "gigshield.events.v1.ApplicationFiled",
            "gigshield.events.v1.IncidentWithdrawn",
        ]
    );
    let event = events::IncidentWithdrawn::decode(seen[2].payload.as_slice()).unwrap();
    assert_eq!(event.incident_id, id);
    assert_eq!(event.withdrawn_by, pb::ActorKind::Worker as i32);
    assert!(event.application_filed);
    assert!(!contains(&seen[2].everything, REASON));
    app.stop().await;
}
