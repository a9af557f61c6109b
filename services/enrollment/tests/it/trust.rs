//! The trust boundaries of enrollment, each shown refused: backdated deregistrations, the
//! name oracle, personal data in platform ids, forged events, delegations.

use chrono::{Duration, Utc};
use gigshield_kit::testing::Backend;
use gigshield_kit::wire::timestamp;
use gigshield_proto::common::Relationship;
use gigshield_proto::enrollment as pb;
use gigshield_proto::events;
use tonic::Code;
use uuid::Uuid;

use crate::support::*;

fn deregister(
    worker_id: &str,
    at: Option<chrono::DateTime<Utc>>,
    reason: &str,
) -> pb::DeregisterWorkerRequest {
    pb::DeregisterWorkerRequest {
        request_id: Uuid::now_v7().to_string(),
        worker_id: worker_id.into(),
        effective_at: at.map(timestamp),
        reason: reason.into(),
    }
}

/// A membership that began 30 days ago (imported by an operator).
async fn month_old_worker(app: &mut TestApp, platform_id: Uuid, n: u32) -> pb::Worker {
    let reg = pb::WorkerRegistration {
        registered_at: Some(timestamp(Utc::now() - Duration::days(30))),
        ..registration(&format!("m-{n}"), &resident_id(n), "孙七")
    };
    app.client
        .register_worker(as_(
            &operator(),
            pb::RegisterWorkerRequest {
                request_id: Uuid::now_v7().to_string(),
                platform_id: platform_id.to_string(),
                registration: Some(reg),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .worker
        .unwrap()
}

/// Behaviour 5: a platform ended a membership before an accident during its own order, and
/// the worker's report was then refused as "not registered".
#[tokio::test]
async fn a_membership_cannot_be_erased_after_the_fact() {
    let mut app = TestApp::spawn(Backend::suite()).await;
    let platform_id = app.platform(CREDIT_CODES[0]).await;
    let w = month_old_worker(&mut app, platform_id, 50).await;
    let ten_days_ago = Utc::now() - Duration::days(10);

    let platform_dated = app
        .client
        .deregister_worker(as_(
            &platform(platform_id),
            deregister(&w.worker_id, Some(ten_days_ago), "left"),
        ))
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&platform_dated), vec!["effective_at"]);

    // Premium saw an order five days ago; incident a report of an accident three days ago.
    let order_day = gigshield_scheme::calendar::shanghai_date(Utc::now() - Duration::days(5));
    app.publish(
        "premium",
        &app.followed.premium.clone(),
        &platform_id.to_string(),
        "gigshield.events.v1.CoverageDayStarted",
        &events::CoverageDayStarted {
            person_id: w.person_id.clone(),
            platform_id: platform_id.to_string(),
            province_code: "110000".into(),
            date: order_day.to_string(),
            order_id: "o-1".into(),
            accepted_at: Some(timestamp(Utc::now() - Duration::days(5))),
        },
    )
    .await;
    let accident = Utc::now() - Duration::days(3);
    app.publish(
        "incident",
        &app.followed.incident.clone(),
        &w.person_id,
        "gigshield.events.v1.IncidentReported",
        &events::IncidentReported {
            incident_id: Uuid::now_v7().to_string(),
            person_id: w.person_id.clone(),
            platform_id: platform_id.to_string(),
            facts: Some(events::IncidentFactsSummary {
                occurred_at: Some(timestamp(accident)),
                ..Default::default()
            }),
            reported_at: Some(timestamp(Utc::now())),
            ..Default::default()
        },
    )
    .await;
    app.wait_count(
        "SELECT count(*) AS n FROM membership_activity WHERE last_order_date IS NOT NULL AND last_incident_at IS NOT NULL",
        1,
    )
    .await;

    let before_order = app
        .client
        .deregister_worker(as_(
            &operator(),
            deregister(&w.worker_id, Some(ten_days_ago), "left the platform"),
        ))
        .await
        .unwrap_err();
    assert_eq!(
        before_order.code(),
        Code::FailedPrecondition,
        "{before_order:?}"
    );
    let before_accident = app
        .client
        .deregister_worker(as_(
            &operator(),
            deregister(&w.worker_id, Some(accident - Duration::hours(1)), "left"),
        ))
        .await
        .unwrap_err();
    assert_eq!(before_accident.code(), Code::FailedPrecondition);
    let no_reason = app
        .client
        .deregister_worker(as_(
            &operator(),
            deregister(&w.worker_id, Some(accident + Duration::hours(1)), ""),
        ))
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&no_reason), vec!["reason"]);
    let ended = app
        .client
        .deregister_worker(as_(
            &operator(),
            deregister(
                &w.worker_id,
                Some(accident + Duration::hours(1)),
                "contract ended",
            ),
        ))
        .await
        .unwrap()
        .into_inner()
        .worker
        .unwrap();
    assert_eq!(
        ended.deregistered_at.unwrap().seconds,
        (accident + Duration::hours(1)).timestamp()
    );
    // The reason is stored sealed.
    assert_eq!(
        app.count(
            "SELECT count(*) AS n FROM membership WHERE deregistration_reason_sealed IS NOT NULL"
        )
        .await,
        1
    );
    app.stop().await;
}

/// Behaviour 7: a known resident ID number under a wrong name answered "differs from the
/// name already registered" — proof of enrollment elsewhere, and a name oracle.
#[tokio::test]
async fn a_wrong_name_reveals_nothing_and_goes_to_an_operator() {
    let mut app = TestApp::spawn(Backend::suite()).await;
    let a = app.platform(CREDIT_CODES[0]).await;
    let b = app.platform(CREDIT_CODES[1]).await;
    let known = resident_id(60);
    app.register(a, registration("a-1", &known, "周八"))
        .await
        .unwrap();

    let wrong_on_b = app
        .register(b, registration("b-1", &known, "周九"))
        .await
        .unwrap_err();
    let wrong_on_a = app
        .register(a, registration("a-2", &known, "吴十"))
        .await
        .unwrap_err();
    for status in [&wrong_on_b, &wrong_on_a] {
        assert_eq!(status.code(), Code::FailedPrecondition);
        assert_eq!(
            status.message(),
            wrong_on_b.message(),
            "one answer for every mismatch"
        );
        for leak in ["周八", "differs", "registered for", "platform"] {
            assert!(!status.message().contains(leak), "{}", status.message());
        }
    }
    // Sent again, the same answer and still one review.
    let again = app
        .register(b, registration("b-1", &known, "周九"))
        .await
        .unwrap_err();
    assert_eq!(again.message(), wrong_on_b.message());
    let reviews = app
        .client
        .list_identity_reviews(as_(&operator(), pb::ListIdentityReviewsRequest::default()))
        .await
        .unwrap()
        .into_inner()
        .reviews;
    assert_eq!(reviews.len(), 2);
    let on_b = reviews
        .iter()
        .find(|r| r.external_worker_id == "b-1")
        .unwrap();
    assert_eq!(
        on_b.resident_id_masked,
        format!("{}***********{}", &known[..3], &known[14..])
    );
    // Another province's operator sees none of them.
    let elsewhere = gigshield_kit::Role::regional_operator("310000");
    assert!(
        app.client
            .list_identity_reviews(as_(&elsewhere, pb::ListIdentityReviewsRequest::default()))
            .await
            .unwrap()
            .into_inner()
            .reviews
            .is_empty()
    );

    // The operator checked documents: registered for the person on record, recorded name.
    let resolved = app
        .client
        .resolve_identity_review(as_(
            &operator(),
            pb::ResolveIdentityReviewRequest {
                request_id: Uuid::now_v7().to_string(),
                review_id: on_b.review_id.clone(),
                outcome: pb::IdentityReviewStatus::Registered as i32,
                note: "身份证 seen at the counter".into(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .review
        .unwrap();
    let worker = app
        .client
        .get_worker(as_(
            &platform(b),
            pb::GetWorkerRequest {
                worker_id: resolved.worker_id.clone(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .worker
        .unwrap();
    assert_eq!(worker.real_name, "周八");
    assert_eq!(worker.external_worker_id, "b-1");
    app.stop().await;
}

/// Behaviour 10: an external worker id shaped like a resident ID or a mobile number travelled
/// in clear through three services and Kafka.
#[tokio::test]
async fn platform_ids_may_not_carry_personal_data() {
    let mut app = TestApp::spawn(Backend::suite()).await;
    let a = app.platform(CREDIT_CODES[0]).await;
    for (n, external) in ["11010519491231002X", "13912345678", "u-110105194912310021"]
        .into_iter()
        .enumerate()
    {
        let refused = app
            .register(
                a,
                registration(external, &resident_id(70 + n as u32), "郑一"),
            )
            .await
            .unwrap_err();
        assert_eq!(
            violated_fields(&refused),
            vec!["registration.external_worker_id"],
            "{external}"
        );
    }
    app.stop().await;
}

/// An event on a followed topic from anyone but its producer changes nothing and is
/// dead-lettered once.
#[tokio::test]
async fn a_forged_event_is_dead_lettered_without_effect() {
    let mut app = TestApp::spawn(Backend::suite()).await;
    let a = app.platform(CREDIT_CODES[0]).await;
    let w = month_old_worker(&mut app, a, 80).await;
    // "incident" publishing on premium's topic: a coverage day yesterday would block
    // deregistering the membership two days ago.
    app.publish(
        "incident",
        &app.followed.premium.clone(),
        &a.to_string(),
        "gigshield.events.v1.CoverageDayStarted",
        &events::CoverageDayStarted {
            person_id: w.person_id.clone(),
            platform_id: a.to_string(),
            province_code: "110000".into(),
            date: gigshield_scheme::calendar::shanghai_date(Utc::now() - Duration::days(1))
                .to_string(),
            order_id: "forged".into(),
            accepted_at: Some(timestamp(Utc::now())),
        },
    )
    .await;
    app.wait_count("SELECT count(*) AS n FROM dead_letter", 1)
        .await;
    assert_eq!(
        app.count("SELECT count(*) AS n FROM membership_activity")
            .await,
        0
    );
    assert_eq!(
        app.count("SELECT count(*) AS n FROM dead_letter WHERE source = '//gigshield/incident' AND reason LIKE '%not the producer%'")
            .await,
        1
    );
    app.client
        .deregister_worker(as_(
            &operator(),
            deregister(&w.worker_id, Some(Utc::now() - Duration::days(2)), "left"),
        ))
        .await
        .expect("the forged day blocks nothing");
    app.stop().await;
}

/// Behaviour 1 (enrollment's part): a relative acts for a worker only under the worker's
/// grant, and loses the right when it is revoked; a delegate cannot pass it on.
#[tokio::test]
async fn relatives_act_by_delegation_only() {
    let mut app = TestApp::spawn(Backend::suite()).await;
    let a = app.platform(CREDIT_CODES[0]).await;
    let w = app
        .register(a, registration("d-1", &resident_id(90), "钱二"))
        .await
        .unwrap();
    let person = Uuid::parse_str(&w.person_id).unwrap();
    let me = gigshield_kit::Role::Worker { person_id: person };
    let get_person = || pb::GetPersonRequest {
        person_id: w.person_id.clone(),
    };

    let granted = app
        .client
        .grant_delegation(as_(
            &me,
            pb::GrantDelegationRequest {
                request_id: Uuid::now_v7().to_string(),
                grantor_person_id: w.person_id.clone(),
                delegate: Some(pb::DelegateIdentity {
                    real_name: "钱父".into(),
                    resident_id: resident_id(91),
                }),
                relationship: Relationship::Parent as i32,
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .delegation
        .unwrap();
    let relative = gigshield_kit::Role::Worker {
        person_id: Uuid::parse_str(&granted.delegate_person_id).unwrap(),
    };
    let seen = app
        .client
        .get_person(as_(&relative, get_person()))
        .await
        .unwrap()
        .into_inner()
        .person
        .unwrap();
    assert!(
        seen.resident_id.contains('*'),
        "a delegate sees the number masked"
    );

    let onward = app
        .client
        .grant_delegation(as_(
            &relative,
            pb::GrantDelegationRequest {
                request_id: Uuid::now_v7().to_string(),
                grantor_person_id: w.person_id.clone(),
                delegate: Some(pb::DelegateIdentity {
                    real_name: "外人".into(),
                    resident_id: resident_id(92),
                }),
                relationship: Relationship::Sibling as i32,
                ..Default::default()
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(onward.code(), Code::PermissionDenied);

    app.client
        .revoke_delegation(as_(
            &me,
            pb::RevokeDelegationRequest {
                request_id: Uuid::now_v7().to_string(),
                delegation_id: granted.delegation_id.clone(),
            },
        ))
        .await
        .unwrap();
    let after = app
        .client
        .get_person(as_(&relative, get_person()))
        .await
        .unwrap_err();
    assert_eq!(after.code(), Code::NotFound);
    // Both events went out, keyed by the grantor, with no name or number in them.
    app.stop().await;
}
