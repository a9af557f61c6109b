//! Report → evidence → application → amendment: the answers, and the events in order on the
//! incident topic, keyed by person, without free text.

use gigshield_kit::testing::Backend;
use gigshield_proto::events;
use gigshield_proto::incident as pb;
use prost::Message as _;
use prost_types::FieldMask;
use tonic::Code;
use uuid::Uuid;

use crate::support::*;

const DESCRIPTION: &str = "送餐上楼时在楼梯摔倒，左腕骨折，已住院治疗";
const REASON: &str = "交警认定书已出：对方全责";

async fn report_then_application_in_order(backend: Backend) {
    let mut app = TestApp::spawn(backend).await;
    let w = app.world(100).await;
    let occurred_at = hours_ago(3);

    let reported = app
        .report(
            &w.platform(),
            platform_report(facts(occurred_at, DESCRIPTION)),
        )
        .await
        .unwrap();
    assert_eq!(reported.person_id, w.person_id.to_string());
    assert_eq!(reported.platform_id, w.platform_id.to_string());
    assert_eq!(reported.external_worker_id, "rider-1");
    assert_eq!(reported.status, pb::IncidentStatus::Reported as i32);
    assert_eq!(
        reported.reported_by.as_ref().unwrap().kind,
        pb::ActorKind::Platform as i32
    );
    assert_eq!(reported.current.as_ref().unwrap().description, DESCRIPTION);
    assert!(!reported.outside_platform_provinces);
    let id = reported.incident_id.clone();

    let with_evidence = app
        .client
        .attach_evidence(as_(
            &w.worker(),
            pb::AttachEvidenceRequest {
                request_id: Uuid::now_v7().to_string(),
                incident_id: id.clone(),
                items: vec![evidence_item(1), evidence_item(2)],
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .incident
        .unwrap();
    assert_eq!(with_evidence.evidence.len(), 2);
    assert_eq!(
        with_evidence.evidence[0].added_by.as_ref().unwrap().kind,
        pb::ActorKind::Worker as i32
    );

    let filed = app.file(&w.platform(), &id, "").await.unwrap();
    assert_eq!(filed.status, pb::IncidentStatus::ApplicationFiled as i32);
    let application = filed.application.unwrap();
    assert!(!application.late);
    assert_eq!(application.deadline_days, 30);
    // Counted on Asia/Shanghai dates: 0 unless Shanghai's midnight fell in between.
    let filed_at = gigshield_kit::wire::datetime("filed_at", application.filed_at.as_ref())
        .unwrap()
        .unwrap();
    let days = gigshield_scheme::calendar::shanghai_date(filed_at)
        - gigshield_scheme::calendar::shanghai_date(occurred_at);
    assert_eq!(i64::from(application.days_after_accident), days.num_days());

    // The fault share changes after the police decided; the category with it.
    let mut amended_facts = facts(occurred_at, DESCRIPTION);
    amended_facts.category = pb::CauseCategory::TrafficAccident as i32;
    amended_facts.worker_fault_share = pb::WorkerFaultShare::None as i32;
    app.client
        .amend_incident(as_(
            &w.platform(),
            pb::AmendIncidentRequest {
                request_id: Uuid::now_v7().to_string(),
                incident_id: id.clone(),
                facts: Some(amended_facts),
                update_mask: Some(FieldMask {
                    paths: vec!["category".into(), "worker_fault_share".into()],
                }),
                reason: REASON.into(),
            },
        ))
        .await
        .unwrap();

    let seen = read_events(&app.topic, 4).await;
    let types: Vec<&str> = seen.iter().map(|s| s.event_type.as_str()).collect();
    assert_eq!(
        types,
        [
            "gigshield.events.v1.IncidentReported",
            "gigshield.events.v1.EvidenceAttached",
            "gigshield.events.v1.ApplicationFiled",
            "gigshield.events.v1.IncidentAmended",
        ],
        "one key, one partition: the order they happened in"
    );
    assert!(seen.iter().all(|s| s.key == w.person_id.to_string()));

    let first = events::IncidentReported::decode(seen[0].payload.as_slice()).unwrap();
    assert_eq!(first.incident_id, id);
    assert_eq!(first.reported_by, pb::ActorKind::Platform as i32);
    assert_eq!(first.channel, pb::Channel::App as i32);
    let summary = first.facts.unwrap();
    assert_eq!(summary.severity, pb::Severity::Hospitalised as i32);
    assert_eq!(summary.province_code, "110000");

    let evidence = events::EvidenceAttached::decode(seen[1].payload.as_slice()).unwrap();
    assert_eq!(evidence.evidence.len(), 2);
    assert_eq!(evidence.evidence_count, 2);

    let application = events::ApplicationFiled::decode(seen[2].payload.as_slice()).unwrap();
    assert_eq!(application.incident_id, id);
    assert_eq!(application.person_id, w.person_id.to_string());
    assert_eq!(application.platform_id, w.platform_id.to_string());
    assert_eq!(application.external_worker_id, "rider-1");
    assert_eq!(application.filed_by, pb::ActorKind::Platform as i32);
    assert_eq!(application.deadline_days, 30);
    assert!(!application.late && !application.has_late_explanation);
    assert_eq!(application.evidence_count, 2);
    let facts_then = application.facts.unwrap();
    assert_eq!(facts_then.category, pb::CauseCategory::Fall as i32);
    assert_eq!(facts_then.order_id, "order-778");
    assert_eq!(facts_then.region_code, "110105");
    assert_eq!(
        facts_then.occurred_at.unwrap().seconds,
        occurred_at.timestamp()
    );

    let amended = events::IncidentAmended::decode(seen[3].payload.as_slice()).unwrap();
    assert_eq!(amended.amendment_number, 1);
    assert_eq!(amended.changed_fields, ["category", "worker_fault_share"]);
    assert_eq!(
        amended.facts.unwrap().worker_fault_share,
        pb::WorkerFaultShare::None as i32
    );

    for s in &seen {
        assert!(
            !contains(&s.everything, DESCRIPTION) && !contains(&s.everything, "骨折"),
            "{} carries the description",
            s.event_type
        );
        assert!(
            !contains(&s.everything, REASON),
            "{} carries the amendment reason",
            s.event_type
        );
        assert!(
            !contains(&s.everything, "files.example.cn"),
            "{} carries an evidence URI",
            s.event_type
        );
    }
    app.stop().await;
}

#[tokio::test]
async fn report_then_application_publishes_events_in_order() {
    report_then_application_in_order(Backend::suite()).await;
}

#[tokio::test]
async fn reports_are_idempotent_by_request_id() {
    let mut app = TestApp::spawn(Backend::suite()).await;
    let w = app.world(100).await;
    let request = platform_report(facts(hours_ago(2), "摔倒"));
    let first = app.report(&w.platform(), request.clone()).await.unwrap();
    let again = app.report(&w.platform(), request.clone()).await.unwrap();
    assert_eq!(again.incident_id, first.incident_id);

    let mut other_body = request.clone();
    other_body.facts.as_mut().unwrap().description = "另一件事".into();
    let refused = app.report(&w.platform(), other_body).await.unwrap_err();
    assert_eq!(refused.code(), Code::AlreadyExists);

    // A retried application replays its answer instead of meeting "already filed".
    let file = pb::FileApplicationRequest {
        request_id: "apply-once".into(),
        incident_id: first.incident_id.clone(),
        late_explanation: String::new(),
    };
    for _ in 0..2 {
        let answer = app
            .client
            .file_application(as_(&w.platform(), file.clone()))
            .await
            .unwrap()
            .into_inner();
        assert!(answer.incident.unwrap().application.is_some());
    }
    assert_eq!(app.count("SELECT COUNT(*) FROM incident").await, 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM application").await, 1);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM outbox").await,
        2,
        "one IncidentReported, one ApplicationFiled"
    );
    app.stop().await;
}
