//! Relatives act under a delegation; lists show each caller their own, operators their area
//! by region and time.

use std::collections::BTreeSet;

use gigshield_kit::Role;
use gigshield_kit::testing::Backend;
use gigshield_kit::wire::timestamp;
use gigshield_proto::common::PageRequest;
use gigshield_proto::incident as pb;
use prost_types::FieldMask;
use tonic::Code;
use uuid::Uuid;

use crate::support::*;

fn amend(incident_id: &str) -> pb::AmendIncidentRequest {
    pb::AmendIncidentRequest {
        request_id: Uuid::now_v7().to_string(),
        incident_id: incident_id.into(),
        facts: Some(facts(hours_ago(3), "改")),
        update_mask: Some(FieldMask {
            paths: vec!["description".into()],
        }),
        reason: "补充".into(),
    }
}

fn attach(incident_id: &str) -> pb::AttachEvidenceRequest {
    pb::AttachEvidenceRequest {
        request_id: Uuid::now_v7().to_string(),
        incident_id: incident_id.into(),
        items: vec![evidence_item(7)],
    }
}

fn file(incident_id: &str) -> pb::FileApplicationRequest {
    pb::FileApplicationRequest {
        request_id: Uuid::now_v7().to_string(),
        incident_id: incident_id.into(),
        late_explanation: String::new(),
    }
}

fn withdraw(incident_id: &str) -> pb::WithdrawIncidentRequest {
    pb::WithdrawIncidentRequest {
        request_id: Uuid::now_v7().to_string(),
        incident_id: incident_id.into(),
        reason: "撤回".into(),
    }
}

fn get(incident_id: &str) -> pb::GetIncidentRequest {
    pb::GetIncidentRequest {
        incident_id: incident_id.into(),
    }
}

fn ids(response: pb::ListIncidentsResponse) -> BTreeSet<String> {
    response
        .incidents
        .into_iter()
        .map(|i| i.incident_id)
        .collect()
}

#[tokio::test]
async fn relatives_act_under_a_delegation_and_only_while_it_lasts() {
    let mut app = TestApp::spawn(Backend::suite()).await;
    let w = app.world(100).await;
    let relative_person = Uuid::now_v7();
    let relative = Role::Worker {
        person_id: relative_person,
    };
    // Without a delegation, claimed kinship opens nothing.
    let refused = app
        .report(
            &relative,
            person_report(
                w.person_id,
                pb::Relationship::Parent,
                facts(hours_ago(4), "儿子摔伤"),
            ),
        )
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::PermissionDenied);

    app.delegate(w.person_id, relative_person, pb::Relationship::Parent)
        .await;
    let theirs = app
        .report(
            &relative,
            person_report(
                w.person_id,
                pb::Relationship::Unspecified,
                facts(hours_ago(4), "儿子摔伤"),
            ),
        )
        .await
        .unwrap();
    assert_eq!(
        theirs.platform_id,
        w.platform_id.to_string(),
        "the person's only platform then"
    );
    let reporter = theirs.reported_by.unwrap();
    assert_eq!(reporter.kind, pb::ActorKind::CloseRelative as i32);
    assert_eq!(reporter.relationship, pb::Relationship::Parent as i32);
    let platforms = app
        .report(&w.platform(), platform_report(facts(hours_ago(2), "摔倒")))
        .await
        .unwrap();
    let c = &mut app.client;

    // In the worker's place, the delegate sees and acts on every incident of the worker.
    c.get_incident(as_(&relative, get(&platforms.incident_id)))
        .await
        .unwrap();
    let listed = c
        .list_incidents(as_(&relative, pb::ListIncidentsRequest::default()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        ids(listed),
        BTreeSet::from([theirs.incident_id.clone(), platforms.incident_id.clone()])
    );
    let amended = c
        .amend_incident(as_(&relative, amend(&theirs.incident_id)))
        .await
        .unwrap()
        .into_inner()
        .incident
        .unwrap();
    assert_eq!(
        amended.amendments[0].amended_by.as_ref().unwrap().kind,
        pb::ActorKind::CloseRelative as i32
    );
    c.attach_evidence(as_(&relative, attach(&platforms.incident_id)))
        .await
        .unwrap();
    c.file_application(as_(&relative, file(&platforms.incident_id)))
        .await
        .unwrap();

    // Another worker without a delegation is told the incident does not exist.
    let stranger = Role::Worker {
        person_id: Uuid::now_v7(),
    };
    for (result, what) in [
        (
            c.get_incident(as_(&stranger, get(&theirs.incident_id)))
                .await
                .map(|_| ()),
            "get",
        ),
        (
            c.withdraw_incident(as_(&stranger, withdraw(&theirs.incident_id)))
                .await
                .map(|_| ()),
            "withdraw",
        ),
    ] {
        assert_eq!(
            result.err().map(|s| s.code()),
            Some(Code::NotFound),
            "{what}"
        );
    }
    assert!(
        ids(c
            .list_incidents(as_(&stranger, pb::ListIncidentsRequest::default()))
            .await
            .unwrap()
            .into_inner())
        .is_empty()
    );
    app.stop().await;
}

#[tokio::test]
async fn insurers_list_by_region_and_time_page_by_page() {
    let mut app = TestApp::spawn(Backend::suite()).await;
    let w = app.world(100).await;
    let mut reported = Vec::new();
    for (hours, region) in [
        (50, "110105"),
        (30, "110108"),
        (20, "440305"),
        (10, "110105"),
    ] {
        let mut f = facts(hours_ago(hours), "x");
        let place = f.place.as_mut().unwrap();
        place.region_code = region.into();
        if region.starts_with("44") {
            (place.latitude, place.longitude) = (22.54, 114.06);
        }
        let incident = app.report(&w.platform(), platform_report(f)).await.unwrap();
        reported.push(incident.incident_id);
    }
    // The central operator reads every area; provincial and city operators and agency
    // adjusters only theirs.
    let insurer = Role::national_operator();
    let c = &mut app.client;
    let list = |region: &str, from_hours: Option<i64>, until_hours: Option<i64>| {
        pb::ListIncidentsRequest {
            region_code: region.into(),
            occurred_from: from_hours.map(|h| timestamp(hours_ago(h))),
            occurred_until: until_hours.map(|h| timestamp(hours_ago(h))),
            ..Default::default()
        }
    };
    let beijing = ids(c
        .list_incidents(as_(&insurer, list("110000", None, None)))
        .await
        .unwrap()
        .into_inner());
    assert_eq!(
        beijing,
        BTreeSet::from([
            reported[0].clone(),
            reported[1].clone(),
            reported[3].clone()
        ])
    );
    let chaoyang_recent = ids(c
        .list_incidents(as_(
            &Role::regional_operator("110000"),
            list("110105", Some(40), None),
        ))
        .await
        .unwrap()
        .into_inner());
    assert_eq!(chaoyang_recent, BTreeSet::from([reported[3].clone()]));
    let shenzhen = ids(c
        .list_incidents(as_(
            &Role::Adjuster {
                party: gigshield_kit::Party::Agency(
                    gigshield_kit::Jurisdiction::parse("440300").unwrap(),
                ),
            },
            list("", Some(25), Some(15)),
        ))
        .await
        .unwrap()
        .into_inner());
    assert_eq!(shenzhen, BTreeSet::from([reported[2].clone()]));
    // Beijing's operator filtering for Shenzhen gets nothing of it.
    let outside = ids(c
        .list_incidents(as_(
            &Role::regional_operator("110000"),
            list("440000", None, None),
        ))
        .await
        .unwrap()
        .into_inner());
    assert!(outside.is_empty());
    let bad_range = c
        .list_incidents(as_(&insurer, list("", Some(10), Some(20))))
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&bad_range), ["occurred_until"]);
    let bad_region = c
        .list_incidents(as_(&insurer, list("99", None, None)))
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&bad_region), ["region_code"]);

    // Pages of one, in reporting order, until the token runs out.
    let mut token = String::new();
    let mut paged = Vec::new();
    loop {
        let page = c
            .list_incidents(as_(
                &insurer,
                pb::ListIncidentsRequest {
                    page: Some(PageRequest {
                        page_size: 1,
                        page_token: token.clone(),
                    }),
                    ..Default::default()
                },
            ))
            .await
            .unwrap()
            .into_inner();
        paged.extend(page.incidents.into_iter().map(|i| i.incident_id));
        token = page.page.unwrap().next_page_token;
        if token.is_empty() {
            break;
        }
    }
    assert_eq!(paged, reported);
    let summaries = c
        .list_incidents(as_(&insurer, list("440000", None, None)))
        .await
        .unwrap()
        .into_inner();
    let summary = &summaries.incidents[0];
    assert_eq!(summary.region_code, "440305");
    assert_eq!(summary.reported_by, pb::ActorKind::Platform as i32);
    assert_eq!(summary.status, pb::IncidentStatus::Reported as i32);
    app.stop().await;
}
