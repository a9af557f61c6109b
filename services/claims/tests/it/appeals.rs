//! Appeals: overturning a refusal confirms the claim, with history and events; one appeal at
//! a time; upheld changes nothing.

use gigshield_kit::Role;
use gigshield_proto::claims as pb;
use uuid::Uuid;

use crate::support::*;

async fn appeal(app: &mut TestApp, role: &Role, claim_id: &str) -> Result<String, tonic::Status> {
    app.client
        .file_appeal(as_(
            role,
            pb::FileAppealRequest {
                request_id: Uuid::now_v7().to_string(),
                claim_id: claim_id.into(),
                kind: pb::AppealKind::AdministrativeReview as i32,
                grounds: "事故发生在送单途中".into(),
            },
        ))
        .await
        .map(|r| r.into_inner().appeal_id)
}

async fn outcome(
    app: &mut TestApp,
    claim_id: &str,
    appeal_id: &str,
    outcome: pb::AppealOutcome,
    effect: pb::OverturnEffect,
) -> Result<pb::Claim, tonic::Status> {
    app.client
        .record_appeal_outcome(as_(
            &Role::national_adjuster(),
            pb::RecordAppealOutcomeRequest {
                request_id: Uuid::now_v7().to_string(),
                claim_id: claim_id.into(),
                appeal_id: appeal_id.into(),
                outcome: outcome as i32,
                effect: effect as i32,
            },
        ))
        .await
        .map(|r| r.into_inner().claim.unwrap())
}

#[tokio::test]
async fn an_appeal_overturning_a_refusal_confirms_the_claim() {
    let mut app = TestApp::spawn().await;
    let world = app.world().await;
    let claim = app.file(&application(&world, hours_ago(8))).await;
    let id = claim.claim_id.clone();
    // Not decided yet: nothing to appeal.
    let early = appeal(&mut app, &world.worker(), &id).await.unwrap_err();
    assert_eq!(early.code(), tonic::Code::FailedPrecondition);
    app.decide(
        &app.insurer_role(),
        &id,
        pb::ClaimStatus::Refused,
        pb::RefusalReason::NotDuringOrder,
    )
    .await
    .unwrap();

    let stranger = Role::Worker {
        person_id: Uuid::now_v7(),
    };
    let denied = appeal(&mut app, &stranger, &id).await.unwrap_err();
    assert_eq!(
        denied.code(),
        tonic::Code::NotFound,
        "another's claim does not exist for them"
    );
    let appeal_id = appeal(&mut app, &world.worker(), &id).await.unwrap();
    let second = appeal(&mut app, &world.worker(), &id).await.unwrap_err();
    assert_eq!(second.code(), tonic::Code::FailedPrecondition);

    let missing_effect = outcome(
        &mut app,
        &id,
        &appeal_id,
        pb::AppealOutcome::Overturned,
        pb::OverturnEffect::Unspecified,
    )
    .await
    .unwrap_err();
    assert_eq!(missing_effect.code(), tonic::Code::InvalidArgument);
    let claim = outcome(
        &mut app,
        &id,
        &appeal_id,
        pb::AppealOutcome::Overturned,
        pb::OverturnEffect::Confirm,
    )
    .await
    .unwrap();
    assert_eq!(status(&claim), pb::ClaimStatus::Confirmed);
    let decision = claim.decision.clone().unwrap();
    assert!(!decision.automatic);
    assert!(decision.note.contains(&appeal_id));
    assert_eq!(claim.appeals.len(), 1);
    assert_eq!(
        claim.appeals[0].outcome,
        pb::AppealOutcome::Overturned as i32
    );
    let actions: Vec<_> = claim.history.iter().map(|h| h.action.as_str()).collect();
    assert_eq!(
        actions,
        [
            "OPENED",
            "ROUTED",
            "REFUSED",
            "APPEAL_FILED",
            "APPEAL_DECIDED"
        ]
    );
    let again = outcome(
        &mut app,
        &id,
        &appeal_id,
        pb::AppealOutcome::Upheld,
        pb::OverturnEffect::Unspecified,
    )
    .await
    .unwrap_err();
    assert_eq!(again.code(), tonic::Code::FailedPrecondition);

    let seen = read_events(&app.topic, 6).await;
    let types: Vec<_> = seen.iter().map(|s| s.event_type.as_str()).collect();
    assert_eq!(
        types,
        [
            "gigshield.events.v1.ClaimOpened",
            "gigshield.events.v1.ClaimRouted",
            "gigshield.events.v1.ClaimRefused",
            "gigshield.events.v1.AppealFiled",
            "gigshield.events.v1.AppealDecided",
            "gigshield.events.v1.ClaimConfirmed",
        ]
    );

    // The platform appeals the confirmation; reopening sends it back to the queue.
    let platform_appeal = appeal(&mut app, &world.platform_role(), &id).await.unwrap();
    let reopened = outcome(
        &mut app,
        &id,
        &platform_appeal,
        pb::AppealOutcome::Overturned,
        pb::OverturnEffect::Reopen,
    )
    .await
    .unwrap();
    assert_eq!(status(&reopened), pb::ClaimStatus::InReview);
    assert!(reopened.decision.is_none());
    app.stop().await;
}
