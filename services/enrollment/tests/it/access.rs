//! The access table, tried: every RPC × every kind of caller, once on its own data and once on
//! another tenant's, person's, insurer's or area's, against a running service. Each probe must
//! come out as `domain/access.rs` says.

use gigshield_enrollment::domain::access::TABLE;
use gigshield_kit::testing::{
    AccessReport, Backend, Parties, Persona, Probe, assert_table_covers, personas,
};
use gigshield_kit::wire::timestamp;
use gigshield_proto::common::Relationship;
use gigshield_proto::enrollment as pb;
use gigshield_proto::events;
use uuid::Uuid;

use crate::support::*;

/// The records every probe targets, all of the `own` parties.
struct Fixture {
    own: Parties,
    worker_id: String,
    deregister_id: String,
    delegation_id: String,
    delegate: Uuid,
    review_id: String,
}

/// Region of the own parties (Shenzhen, Nanshan); foreign ones live in Beijing.
const OWN_REGION: &str = "440305";

async fn fixture(app: &mut TestApp) -> Fixture {
    let mut request = register_platform_request(CREDIT_CODES[0]);
    request.region_codes = vec![OWN_REGION.into()];
    let platform = app
        .client
        .register_platform(as_(&operator(), request))
        .await
        .unwrap()
        .into_inner()
        .platform
        .unwrap();
    let platform_id = Uuid::parse_str(&platform.platform_id).unwrap();
    let mut reg = registration("own-1", &resident_id(1), "王一");
    reg.region_code = OWN_REGION.into();
    let worker = app.register(platform_id, reg).await.unwrap();
    let mut reg = registration("own-2", &resident_id(2), "王二");
    reg.region_code = OWN_REGION.into();
    let deregister = app.register(platform_id, reg).await.unwrap();
    let person = Uuid::parse_str(&worker.person_id).unwrap();

    let delegation = app
        .client
        .grant_delegation(as_(
            &worker_role(person),
            grant_request(person, &resident_id(3), "王父"),
        ))
        .await
        .unwrap()
        .into_inner()
        .delegation
        .unwrap();

    // The same resident ID number under another name: held for review.
    let mut reg = registration("own-3", &resident_id(1), "王假");
    reg.region_code = OWN_REGION.into();
    assert!(app.register(platform_id, reg).await.is_err());
    let review = app
        .client
        .list_identity_reviews(as_(&operator(), pb::ListIdentityReviewsRequest::default()))
        .await
        .unwrap()
        .into_inner()
        .reviews
        .pop()
        .unwrap();

    let own = Parties {
        platform: platform_id,
        person,
        insurer: Uuid::now_v7(),
        region: OWN_REGION.into(),
    };
    // claims routed a case of the person to the own insurer.
    app.publish(
        "claims",
        &app.followed.claims.clone(),
        &Uuid::now_v7().to_string(),
        "gigshield.events.v1.ClaimOpened",
        &events::ClaimOpened {
            claim_id: Uuid::now_v7().to_string(),
            incident_id: Uuid::now_v7().to_string(),
            person_id: person.to_string(),
            insurer_id: own.insurer.to_string(),
            opened_at: Some(timestamp(chrono::Utc::now())),
            ..Default::default()
        },
    )
    .await;
    app.wait_count("SELECT count(*) AS n FROM case_assignment", 1)
        .await;
    Fixture {
        own,
        worker_id: worker.worker_id,
        deregister_id: deregister.worker_id,
        delegation_id: delegation.delegation_id,
        delegate: Uuid::parse_str(&delegation.delegate_person_id).unwrap(),
        review_id: review.review_id,
    }
}

fn worker_role(person_id: Uuid) -> gigshield_kit::Role {
    gigshield_kit::Role::Worker { person_id }
}

fn grant_request(grantor: Uuid, relative_id: &str, name: &str) -> pb::GrantDelegationRequest {
    pb::GrantDelegationRequest {
        request_id: Uuid::now_v7().to_string(),
        grantor_person_id: grantor.to_string(),
        delegate: Some(pb::DelegateIdentity {
            real_name: name.into(),
            resident_id: relative_id.into(),
        }),
        relationship: Relationship::Parent as i32,
        reason: "户口簿 checked".into(),
        ..Default::default()
    }
}

async fn probe(app: &mut TestApp, f: &Fixture, rpc: &str, p: &Persona, n: u32) -> Probe {
    let r = &p.role;
    let c = &mut app.client;
    let id = || Uuid::now_v7().to_string();
    match rpc {
        "RegisterPlatform" => {
            let mut req = register_platform_request("91350100M000100Y43");
            req.region_codes = vec![OWN_REGION.into()];
            // The code is taken: an admitted caller gets ALREADY_EXISTS.
            Probe::of(c.register_platform(as_(r, req)).await)
        }
        "GetPlatform" => Probe::of(
            c.get_platform(as_(
                r,
                pb::GetPlatformRequest {
                    platform_id: f.own.platform.to_string(),
                },
            ))
            .await,
        ),
        "ListPlatforms" => match c
            .list_platforms(as_(r, pb::ListPlatformsRequest::default()))
            .await
        {
            Ok(list) => listed(
                list.into_inner()
                    .platforms
                    .iter()
                    .any(|x| x.platform_id == f.own.platform.to_string()),
            ),
            Err(status) => Probe::of::<()>(Err(status)),
        },
        "UpdatePlatform" => Probe::of(
            c.update_platform(as_(
                r,
                pb::UpdatePlatformRequest {
                    request_id: id(),
                    platform_id: f.own.platform.to_string(),
                    industries: vec![gigshield_proto::common::Industry::InstantDelivery as i32],
                    region_codes: vec![OWN_REGION.into()],
                    ..Default::default()
                },
            ))
            .await,
        ),
        "AddCreditCodeException" => Probe::of(
            c.add_credit_code_exception(as_(
                r,
                pb::AddCreditCodeExceptionRequest {
                    request_id: id(),
                    credit_code: "91350100M000100Y44".into(),
                    reason: "confirmed by the registry".into(),
                },
            ))
            .await,
        ),
        "RegisterWorker" => {
            let mut reg = registration(&format!("p-{n}"), &resident_id(100 + n), "李四");
            reg.region_code = OWN_REGION.into();
            Probe::of(
                c.register_worker(as_(
                    r,
                    pb::RegisterWorkerRequest {
                        request_id: id(),
                        platform_id: f.own.platform.to_string(),
                        registration: Some(reg),
                    },
                ))
                .await,
            )
        }
        "BulkRegisterWorkers" => {
            let mut reg = registration(&format!("b-{n}"), &resident_id(400 + n), "赵五");
            reg.region_code = OWN_REGION.into();
            let batch = pb::BulkRegisterWorkersRequest {
                platform_id: f.own.platform.to_string(),
                registrations: vec![reg],
            };
            match c
                .bulk_register_workers(as_(r, tokio_stream::iter(vec![batch])))
                .await
            {
                Ok(answer) => {
                    listed(answer.into_inner().results[0].error_code != "PERMISSION_DENIED")
                }
                Err(status) => Probe::of::<()>(Err(status)),
            }
        }
        "GetWorker" => Probe::of(
            c.get_worker(as_(
                r,
                pb::GetWorkerRequest {
                    worker_id: f.worker_id.clone(),
                },
            ))
            .await,
        ),
        "ListWorkers" => match c
            .list_workers(as_(
                r,
                pb::ListWorkersRequest {
                    platform_id: f.own.platform.to_string(),
                    ..Default::default()
                },
            ))
            .await
        {
            Ok(list) => listed(
                list.into_inner()
                    .workers
                    .iter()
                    .any(|w| w.worker_id == f.worker_id),
            ),
            Err(status) => Probe::of::<()>(Err(status)),
        },
        "DeregisterWorker" => Probe::of(
            c.deregister_worker(as_(
                r,
                pb::DeregisterWorkerRequest {
                    request_id: id(),
                    worker_id: f.deregister_id.clone(),
                    ..Default::default()
                },
            ))
            .await,
        ),
        "GetPerson" => Probe::of(
            c.get_person(as_(
                r,
                pb::GetPersonRequest {
                    person_id: f.own.person.to_string(),
                },
            ))
            .await,
        ),
        "GrantDelegation" => Probe::of(
            c.grant_delegation(as_(
                r,
                grant_request(f.own.person, &resident_id(700 + n), "王亲"),
            ))
            .await,
        ),
        "RevokeDelegation" => Probe::of(
            c.revoke_delegation(as_(
                r,
                pb::RevokeDelegationRequest {
                    request_id: id(),
                    delegation_id: f.delegation_id.clone(),
                },
            ))
            .await,
        ),
        "ListDelegations" => Probe::of(
            c.list_delegations(as_(
                r,
                pb::ListDelegationsRequest {
                    person_id: f.own.person.to_string(),
                    ..Default::default()
                },
            ))
            .await,
        ),
        "ListIdentityReviews" => match c
            .list_identity_reviews(as_(r, pb::ListIdentityReviewsRequest::default()))
            .await
        {
            Ok(list) => listed(
                list.into_inner()
                    .reviews
                    .iter()
                    .any(|x| x.review_id == f.review_id),
            ),
            Err(status) => Probe::of::<()>(Err(status)),
        },
        "ResolveIdentityReview" => Probe::of(
            c.resolve_identity_review(as_(
                r,
                pb::ResolveIdentityReviewRequest {
                    request_id: id(),
                    review_id: f.review_id.clone(),
                    outcome: pb::IdentityReviewStatus::Rejected as i32,
                    note: "documents did not match".into(),
                },
            ))
            .await,
        ),
        "AddSchemeRule" => Probe::of(
            c.add_scheme_rule(as_(
                r,
                pb::AddSchemeRuleRequest {
                    request_id: id(),
                    // The own province's start, as shipped: harmless to repeat.
                    rule: Some(gigshield_proto::common::SchemeRule {
                        rule: Some(gigshield_proto::common::scheme_rule::Rule::ProvinceStart(
                            gigshield_proto::common::ProvinceStart {
                                province_code: "440000".into(),
                                starts_on: "2022-07-01".into(),
                            },
                        )),
                        source: Some(gigshield_proto::common::Source {
                            document: "first pilot notice".into(),
                            confidence: gigshield_proto::common::Confidence::High as i32,
                            ..Default::default()
                        }),
                    }),
                },
            ))
            .await,
        ),
        "ListSchemeRules" => Probe::of(
            c.list_scheme_rules(as_(r, pb::ListSchemeRulesRequest::default()))
                .await,
        ),
        other => panic!("no probe for {other}: add one with its rule"),
    }
}

fn listed(found: bool) -> Probe {
    if found { Probe::Allowed } else { Probe::Denied }
}

#[tokio::test]
async fn every_rpc_answers_every_caller_as_the_table_says() {
    assert_table_covers(&TABLE, TABLE.service);
    let mut app = TestApp::spawn(Backend::suite()).await;
    let f = fixture(&mut app).await;
    let foreign = Parties::at("110105");
    let mut report = AccessReport::default();
    let mut n = 0;
    for rule in TABLE.rules {
        for persona in personas(&f.own, &foreign, Some(f.delegate)) {
            n += 1;
            let got = probe(&mut app, &f, rule.rpc, &persona, n).await;
            report.record(&TABLE, rule.rpc, &persona, got);
        }
    }
    report.assert_matches(&TABLE);
    app.stop().await;
}
