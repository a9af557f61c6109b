//! Applications for determination: deadlines per filer, late only with an explanation (and
//! then flagged), one per incident.

use gigshield_kit::testing::Backend;
use gigshield_proto::events;
use gigshield_proto::incident as pb;
use prost::Message as _;
use tonic::Code;

use crate::support::*;

const EXPLANATION: &str = "伤者住院昏迷，家属不知需申请";

#[tokio::test]
async fn a_late_application_needs_an_explanation_and_is_flagged_late() {
    let mut app = TestApp::spawn(Backend::suite()).await;
    let w = app.world(200).await;
    // 40 days ago: past the platform's 30 days, within the worker's 90.
    let incident = app
        .report(&w.platform(), platform_report(facts(days_ago(40), "摔倒")))
        .await
        .unwrap();
    let id = incident.incident_id.clone();

    let refused = app.file(&w.platform(), &id, "").await.unwrap_err();
    assert_eq!(refused.code(), Code::FailedPrecondition);
    assert!(
        refused.message().starts_with("late_explanation:")
            && refused.message().contains("30 days")
            && refused.message().contains("超期说明"),
        "{}",
        refused.message()
    );
    let blank = app.file(&w.platform(), &id, "   ").await.unwrap_err();
    assert_eq!(
        blank.code(),
        Code::FailedPrecondition,
        "blank is no explanation"
    );
    let unchanged = app.get(&w.platform(), &id).await;
    assert_eq!(unchanged.status, pb::IncidentStatus::Reported as i32);
    assert!(unchanged.application.is_none());

    let accepted = app.file(&w.platform(), &id, EXPLANATION).await.unwrap();
    let application = accepted.application.unwrap();
    assert!(application.late);
    assert_eq!(application.late_explanation, EXPLANATION);
    assert_eq!(application.deadline_days, 30);
    assert!(application.days_after_accident >= 40);

    // One application per incident, whoever files.
    let again = app.file(&w.worker(), &id, "").await.unwrap_err();
    assert_eq!(again.code(), Code::AlreadyExists);
    assert!(again.message().starts_with("incident_id:"));

    let seen = read_events(&app.topic, 2).await;
    let filed = seen
        .iter()
        .find(|s| s.event_type == "gigshield.events.v1.ApplicationFiled")
        .unwrap();
    let event = events::ApplicationFiled::decode(filed.payload.as_slice()).unwrap();
    assert!(event.late && event.has_late_explanation);
    assert!(!contains(&filed.everything, EXPLANATION));

    let listed = app
        .client
        .list_incidents(as_(&w.platform(), pb::ListIncidentsRequest::default()))
        .await
        .unwrap()
        .into_inner();
    assert!(listed.incidents[0].late_application);
    app.stop().await;
}

#[tokio::test]
async fn workers_and_relatives_have_ninety_days() {
    let mut app = TestApp::spawn(Backend::suite()).await;
    let w = app.world(300).await;
    // The worker files on day 40 in time.
    let own = app
        .report(
            &w.worker(),
            person_report(
                w.person_id,
                pb::Relationship::Unspecified,
                facts(days_ago(40), ""),
            ),
        )
        .await
        .unwrap();
    let filed = app.file(&w.worker(), &own.incident_id, "").await.unwrap();
    let application = filed.application.unwrap();
    assert!(!application.late);
    assert_eq!(application.deadline_days, 90);

    // A relative on day 100 (under the worker's delegation) is late and needs the
    // explanation.
    let relative_person = uuid::Uuid::now_v7();
    app.delegate(w.person_id, relative_person, pb::Relationship::Spouse)
        .await;
    let relative = gigshield_kit::Role::Worker {
        person_id: relative_person,
    };
    let theirs = app
        .report(
            &relative,
            person_report(
                w.person_id,
                pb::Relationship::Spouse,
                facts(days_ago(100), ""),
            ),
        )
        .await
        .unwrap();
    assert_eq!(
        theirs.reported_by.as_ref().unwrap().kind,
        pb::ActorKind::CloseRelative as i32
    );
    let refused = app
        .file(&relative, &theirs.incident_id, "")
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::FailedPrecondition);
    assert!(
        refused.message().contains("90 days"),
        "{}",
        refused.message()
    );
    let accepted = app
        .file(&relative, &theirs.incident_id, EXPLANATION)
        .await
        .unwrap();
    let application = accepted.application.unwrap();
    assert!(application.late);
    let filer = application.filed_by.unwrap();
    assert_eq!(filer.kind, pb::ActorKind::CloseRelative as i32);
    assert_eq!(filer.relationship, pb::Relationship::Spouse as i32);
    app.stop().await;
}

#[tokio::test]
async fn no_application_for_a_withdrawn_incident() {
    let mut app = TestApp::spawn(Backend::suite()).await;
    let w = app.world(100).await;
    let incident = app
        .report(&w.platform(), platform_report(facts(hours_ago(1), "")))
        .await
        .unwrap();
    app.client
        .withdraw_incident(as_(
            &w.platform(),
            pb::WithdrawIncidentRequest {
                request_id: "w".into(),
                incident_id: incident.incident_id.clone(),
                reason: "重复报案".into(),
            },
        ))
        .await
        .unwrap();
    let refused = app
        .file(&w.platform(), &incident.incident_id, "")
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::FailedPrecondition);
    app.stop().await;
}
