//! Tenancy per RPC: insurers only their routes, workers only their own claims, platforms their
//! workers' claims without medical detail; operators manage routes; nobody else does.

use chrono::TimeDelta;
use gigshield_kit::Role;
use gigshield_proto::claims as pb;
use uuid::Uuid;

use crate::support::*;

#[tokio::test]
async fn each_rpc_refuses_other_tenants() {
    let mut app = TestApp::spawn().await;
    let world = app.world().await;
    let at = hours_ago(10);
    app.order(&world, "order-1", "110105", at - TimeDelta::minutes(5))
        .await;
    let claim = app.file(&application(&world, at)).await;
    let id = claim.claim_id.clone();
    let other_worker = Role::Worker {
        person_id: Uuid::now_v7(),
    };
    let other_platform = Role::Platform {
        platform_id: Uuid::now_v7(),
    };
    let other_insurer = Role::Insurer {
        insurer_id: Uuid::now_v7(),
    };
    let denied = tonic::Code::PermissionDenied;

    // GetClaim
    for role in [
        Role::Adjuster,
        Role::Operator,
        app.insurer_role(),
        world.worker(),
    ] {
        let seen = app.get(&role, &id).await.unwrap();
        assert!(!seen.medical_detail_withheld, "{role:?}");
    }
    let platform_view = app.get(&world.platform_role(), &id).await.unwrap();
    assert!(platform_view.medical_detail_withheld);
    for role in [&other_worker, &other_platform, &other_insurer] {
        assert_eq!(
            app.get(role, &id).await.unwrap_err().code(),
            denied,
            "{role:?}"
        );
    }

    // ListReviewQueue
    for role in [world.worker(), world.platform_role()] {
        let err = app
            .client
            .list_review_queue(as_(&role, pb::ListReviewQueueRequest::default()))
            .await
            .unwrap_err();
        assert_eq!(err.code(), denied);
    }

    // Decide / RequestInformation: parties never decide their own claims.
    for role in [
        world.worker(),
        world.platform_role(),
        Role::Operator,
        other_insurer.clone(),
    ] {
        let err = app
            .decide(
                &role,
                &id,
                pb::ClaimStatus::Confirmed,
                pb::RefusalReason::Unspecified,
            )
            .await
            .unwrap_err();
        assert_eq!(err.code(), denied, "{role:?}");
        let err = app
            .client
            .request_information(as_(
                &role,
                pb::RequestInformationRequest {
                    request_id: Uuid::now_v7().to_string(),
                    claim_id: id.clone(),
                    question: "?".into(),
                },
            ))
            .await
            .unwrap_err();
        assert_eq!(err.code(), denied, "{role:?}");
    }

    // RecordAppraisal / AssessBenefits / IssuePayouts
    for role in [world.worker(), world.platform_role(), other_insurer.clone()] {
        let err = app
            .client
            .record_appraisal(as_(
                &role,
                pb::RecordAppraisalRequest {
                    request_id: Uuid::now_v7().to_string(),
                    claim_id: id.clone(),
                    grade: 5,
                    nursing_level: pb::NursingLevel::None as i32,
                    appraised_on: "2026-10-01".into(),
                    appraisal_body: "committee".into(),
                },
            ))
            .await
            .unwrap_err();
        assert_eq!(err.code(), denied, "{role:?}");
        let err = app
            .client
            .issue_payouts(as_(
                &role,
                pb::IssuePayoutsRequest {
                    request_id: Uuid::now_v7().to_string(),
                    claim_id: id.clone(),
                    through_month: "2026-11".into(),
                    account_reference: "6222020200112233445".into(),
                },
            ))
            .await
            .unwrap_err();
        assert_eq!(err.code(), denied, "{role:?}");
        let err = app
            .client
            .assess_benefits(as_(
                &role,
                pb::AssessBenefitsRequest {
                    request_id: Uuid::now_v7().to_string(),
                    claim_id: id.clone(),
                    start_month: "2026-11".into(),
                    monthly_instalments: 1,
                    ..Default::default()
                },
            ))
            .await
            .unwrap_err();
        assert_eq!(err.code(), denied, "{role:?}");
    }

    // FileAppeal: only the parties (or an adjuster recording it).
    for role in [&other_worker, &other_platform, &other_insurer] {
        let err = app
            .client
            .file_appeal(as_(
                role,
                pb::FileAppealRequest {
                    request_id: Uuid::now_v7().to_string(),
                    claim_id: id.clone(),
                    kind: pb::AppealKind::Mediation as i32,
                },
            ))
            .await
            .unwrap_err();
        assert_eq!(err.code(), denied, "{role:?}");
    }

    // Routes: operators only.
    for role in [app.insurer_role(), Role::Adjuster, world.platform_role()] {
        let err = app
            .client
            .put_route(as_(
                &role,
                pb::PutRouteRequest {
                    request_id: Uuid::now_v7().to_string(),
                    route: Some(pb::Route {
                        province_code: "310000".into(),
                        platform_id: String::new(),
                        insurer_id: Uuid::now_v7().to_string(),
                    }),
                },
            ))
            .await
            .unwrap_err();
        assert_eq!(err.code(), denied, "{role:?}");
    }
    let routes = app
        .client
        .list_routes(as_(&Role::Operator, pb::ListRoutesRequest {}))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(routes.routes.len(), 2);
    let no_token = app
        .client
        .get_claim(pb::GetClaimRequest { claim_id: id })
        .await
        .unwrap_err();
    assert_eq!(no_token.code(), tonic::Code::Unauthenticated);
    app.stop().await;
}
