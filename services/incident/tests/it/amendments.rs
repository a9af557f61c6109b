//! Amendments append; the report and every earlier version stay readable.

use gigshield_kit::testing::Backend;
use gigshield_proto::incident as pb;
use prost_types::FieldMask;
use tonic::Code;
use uuid::Uuid;

use crate::support::*;

fn amend(
    incident_id: &str,
    facts: pb::IncidentFacts,
    paths: &[&str],
    reason: &str,
) -> pb::AmendIncidentRequest {
    pb::AmendIncidentRequest {
        request_id: Uuid::now_v7().to_string(),
        incident_id: incident_id.into(),
        facts: Some(facts),
        update_mask: Some(FieldMask {
            paths: paths.iter().map(|p| p.to_string()).collect(),
        }),
        reason: reason.into(),
    }
}

#[tokio::test]
async fn amendments_keep_the_original_and_every_version() {
    let mut app = TestApp::spawn(Backend::suite()).await;
    let w = app.world(100).await;
    let occurred_at = hours_ago(5);
    let incident = app
        .report(
            &w.platform(),
            platform_report(facts(occurred_at, "摔倒，手腕疼")),
        )
        .await
        .unwrap();
    let id = incident.incident_id.clone();

    let mut worse = facts(occurred_at, "摔倒，手腕骨折，已住院");
    worse.severity = pb::Severity::Hospitalised as i32;
    app.client
        .amend_incident(as_(
            &w.worker(),
            amend(&id, worse, &["description"], "医院诊断结果"),
        ))
        .await
        .unwrap();
    let mut dead = facts(occurred_at, "");
    dead.severity = pb::Severity::Death as i32;
    dead.died_at = Some(gigshield_kit::wire::timestamp(hours_ago(1)));
    let after = app
        .client
        .amend_incident(as_(
            &w.platform(),
            amend(&id, dead, &["severity", "died_at"], "家属告知"),
        ))
        .await
        .unwrap()
        .into_inner()
        .incident
        .unwrap();

    let read = app
        .get(&gigshield_kit::Role::national_adjuster(), &id)
        .await;
    assert_eq!(
        app.get(&w.worker(), &id).await,
        read,
        "the worker reads what the adjuster reads"
    );
    assert_eq!(
        app.get(&w.platform(), &id).await,
        after,
        "the answer to the change is what GetIncident shows its caller"
    );
    // The platform's answer keeps its own words and leaves out the worker's.
    assert_eq!(after.original.as_ref().unwrap().description, "摔倒，手腕疼");
    assert_eq!(after.current.as_ref().unwrap().description, "");
    assert_eq!(after.amendments[0].reason, "");
    assert_eq!(after.amendments[1].reason, "家属告知");
    let original = read.original.unwrap();
    assert_eq!(original.description, "摔倒，手腕疼");
    assert_eq!(original.severity, pb::Severity::Hospitalised as i32);
    assert!(original.died_at.is_none());
    let current = read.current.unwrap();
    assert_eq!(current.description, "摔倒，手腕骨折，已住院");
    assert_eq!(current.severity, pb::Severity::Death as i32);
    assert!(current.died_at.is_some());

    assert_eq!(read.amendments.len(), 2);
    let first = &read.amendments[0];
    assert_eq!(first.number, 1);
    assert_eq!(first.changed_fields, ["description"]);
    assert_eq!(first.reason, "医院诊断结果");
    assert_eq!(
        first.amended_by.as_ref().unwrap().kind,
        pb::ActorKind::Worker as i32
    );
    let first_values = first.new_values.as_ref().unwrap();
    assert_eq!(first_values.description, "摔倒，手腕骨折，已住院");
    assert_eq!(first_values.severity, 0, "only changed fields are set");
    let second = &read.amendments[1];
    assert_eq!(second.number, 2);
    assert_eq!(second.changed_fields, ["severity", "died_at"]);
    assert_eq!(
        second.amended_by.as_ref().unwrap().kind,
        pb::ActorKind::Platform as i32
    );
    assert!(second.amended_at.is_some());

    let summary = app
        .client
        .list_incidents(as_(&w.worker(), pb::ListIncidentsRequest::default()))
        .await
        .unwrap()
        .into_inner()
        .incidents
        .remove(0);
    assert_eq!(summary.amendment_count, 2);
    assert_eq!(summary.severity, pb::Severity::Death as i32);
    app.stop().await;
}

#[tokio::test]
async fn amendments_are_checked_like_reports() {
    let mut app = TestApp::spawn(Backend::suite()).await;
    let w = app.world(100).await;
    let occurred_at = hours_ago(5);
    let incident = app
        .report(&w.platform(), platform_report(facts(occurred_at, "摔倒")))
        .await
        .unwrap();
    let id = incident.incident_id.clone();
    let c = &mut app.client;

    let future = facts(hours_ago(-2), "摔倒");
    let refused = c
        .amend_incident(as_(
            &w.platform(),
            amend(&id, future, &["occurred_at"], "改时间"),
        ))
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&refused), ["facts.occurred_at"]);

    let refused = c
        .amend_incident(as_(
            &w.platform(),
            amend(&id, facts(occurred_at, "摔倒"), &["description"], "无变化"),
        ))
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&refused), ["update_mask"]);

    let refused = c
        .amend_incident(as_(
            &w.platform(),
            amend(&id, facts(occurred_at, "x"), &["person_id"], "换人"),
        ))
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&refused), ["update_mask"]);

    let refused = c
        .amend_incident(as_(
            &w.platform(),
            amend(&id, facts(occurred_at, "改"), &["description"], " "),
        ))
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&refused), ["reason"]);

    let mut traffic = facts(occurred_at, "摔倒");
    traffic.category = pb::CauseCategory::TrafficAccident as i32;
    let refused = c
        .amend_incident(as_(
            &w.platform(),
            amend(&id, traffic, &["category"], "其实是车祸"),
        ))
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&refused), ["facts.worker_fault_share"]);

    let huge = facts(occurred_at, &"长".repeat(MAX_TEXT + 1));
    let refused = c
        .amend_incident(as_(
            &w.platform(),
            amend(&id, huge, &["description"], "补充"),
        ))
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&refused), ["facts.description"]);

    let missing = c
        .amend_incident(as_(
            &w.platform(),
            amend(
                &Uuid::now_v7().to_string(),
                facts(occurred_at, "改"),
                &["description"],
                "r",
            ),
        ))
        .await
        .unwrap_err();
    assert_eq!(missing.code(), Code::NotFound);

    let unchanged = app.get(&w.platform(), &id).await;
    assert!(unchanged.amendments.is_empty());
    app.stop().await;
}
