//! Bad input: each refusal is InvalidArgument / FailedPrecondition / AlreadyExists and names
//! the field.

use chrono::TimeDelta;
use gigshield_kit::Role;
use gigshield_kit::testing::Backend;
use gigshield_kit::wire::timestamp;
use gigshield_proto::incident as pb;
use tonic::Code;
use uuid::Uuid;

use crate::support::*;

#[tokio::test]
async fn bad_reports_name_their_fields() {
    let mut app = TestApp::spawn(Backend::suite()).await;
    let w = app.world(100).await;
    let p = w.platform();
    let refused_fields = |r: Result<pb::Incident, tonic::Status>| violated_fields(&r.unwrap_err());

    let future = facts(chrono::Utc::now() + TimeDelta::minutes(10), "x");
    assert_eq!(
        refused_fields(app.report(&p, platform_report(future)).await),
        ["facts.occurred_at"]
    );
    // Within the clock skew is accepted.
    let skewed = facts(chrono::Utc::now() + TimeDelta::minutes(2), "x");
    assert!(app.report(&p, platform_report(skewed)).await.is_ok());

    // Beijing joined on 2022-07-01 (Asia/Shanghai): an accident on 30 June 2022 there is still
    // taken (intake never refuses on the merits; claims routes it to review).
    let early = app.world(2000).await;
    let mut before_the_scheme = facts(hours_ago(1), "x");
    before_the_scheme.occurred_at = Some(timestamp("2022-06-30T15:59:59Z".parse().unwrap()));
    let taken = app
        .report(&early.platform(), platform_report(before_the_scheme))
        .await
        .expect("taken");
    assert_eq!(taken.current.unwrap().place.unwrap().region_code, "110105");
    // Hong Kong is outside the scheme: the region code is malformed for it.
    let mut hong_kong = facts(hours_ago(1), "x");
    hong_kong.place.as_mut().unwrap().region_code = "810000".into();
    assert_eq!(
        refused_fields(app.report(&p, platform_report(hong_kong)).await),
        ["facts.place.region_code"]
    );

    let mut off_the_map = facts(hours_ago(1), "x");
    off_the_map.place.as_mut().unwrap().latitude = 91.0;
    off_the_map.place.as_mut().unwrap().longitude = -181.0;
    assert_eq!(
        refused_fields(app.report(&p, platform_report(off_the_map)).await),
        ["facts.place.latitude", "facts.place.longitude"]
    );
    let mut nowhere = facts(hours_ago(1), "x");
    nowhere.place.as_mut().unwrap().region_code = "990101".into();
    assert_eq!(
        refused_fields(app.report(&p, platform_report(nowhere)).await),
        ["facts.place.region_code"]
    );

    let long = facts(hours_ago(1), &"痛".repeat(MAX_TEXT + 1));
    assert_eq!(
        refused_fields(app.report(&p, platform_report(long)).await),
        ["facts.description"]
    );

    let mut traffic = facts(hours_ago(1), "x");
    traffic.category = pb::CauseCategory::TrafficAccident as i32;
    assert_eq!(
        refused_fields(app.report(&p, platform_report(traffic)).await),
        ["facts.worker_fault_share"]
    );

    let mut unknown = facts(hours_ago(1), "x");
    unknown.severity = 42;
    let mut request = platform_report(unknown);
    request.channel = 0;
    assert_eq!(
        refused_fields(app.report(&p, request).await),
        ["facts.severity"],
        "an unknown enum number is named before anything else"
    );
    let mut no_channel = platform_report(facts(hours_ago(1), "x"));
    no_channel.channel = 0;
    assert_eq!(
        refused_fields(app.report(&p, no_channel).await),
        ["channel"]
    );

    let mut no_worker = platform_report(facts(hours_ago(1), "x"));
    no_worker.external_worker_id.clear();
    assert_eq!(
        refused_fields(app.report(&p, no_worker).await),
        ["external_worker_id"]
    );
    let mut platform_relative = platform_report(facts(hours_ago(1), "x"));
    platform_relative.relationship = pb::Relationship::Parent as i32;
    assert_eq!(
        refused_fields(app.report(&p, platform_relative).await),
        ["relationship"]
    );

    // A worker token reporting for someone else without that person's delegation, whatever
    // kinship it claims, is refused before anything is looked up.
    let stranger = Role::Worker {
        person_id: Uuid::now_v7(),
    };
    for claimed in [pb::Relationship::Unspecified, pb::Relationship::Parent] {
        let refused = app
            .report(
                &stranger,
                person_report(w.person_id, claimed, facts(hours_ago(1), "x")),
            )
            .await
            .unwrap_err();
        assert_eq!(refused.code(), Code::PermissionDenied);
    }
    let self_relative = person_report(
        w.person_id,
        pb::Relationship::Child,
        facts(hours_ago(1), "x"),
    );
    assert_eq!(
        refused_fields(app.report(&w.worker(), self_relative).await),
        ["relationship"]
    );
    app.stop().await;
}

#[tokio::test]
async fn workers_not_registered_with_the_platform_are_refused_naming_the_field() {
    let mut app = TestApp::spawn(Backend::suite()).await;
    let w = app.world(100).await;
    // The same worker left the platform 10 days ago.
    app.enrollment
        .deregister(
            w.person_id,
            w.platform_id,
            w.worker_id,
            "rider-1",
            days_ago(10),
        )
        .await;
    app.inbox_has(3).await;

    let mut unknown = platform_report(facts(hours_ago(1), "x"));
    unknown.external_worker_id = "rider-404".into();
    let refused = app.report(&w.platform(), unknown).await.unwrap_err();
    assert_eq!(refused.code(), Code::FailedPrecondition);
    assert!(
        refused.message().starts_with("external_worker_id:")
            && refused
                .message()
                .contains("is not registered with platform"),
        "{}",
        refused.message()
    );

    let after_leaving = app
        .report(&w.platform(), platform_report(facts(days_ago(2), "x")))
        .await
        .unwrap_err();
    assert_eq!(after_leaving.code(), Code::FailedPrecondition);
    assert!(after_leaving.message().contains("at occurred_at"));
    // While still registered, the same platform may report.
    assert!(
        app.report(&w.platform(), platform_report(facts(days_ago(20), "x")))
            .await
            .is_ok()
    );

    // Another platform cannot report this worker.
    let other = Role::Platform {
        platform_id: Uuid::now_v7(),
    };
    let refused = app
        .report(&other, platform_report(facts(days_ago(20), "x")))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::FailedPrecondition);

    // A worker unknown to every platform.
    let nobody = Uuid::now_v7();
    let refused = app
        .report(
            &Role::Worker { person_id: nobody },
            person_report(
                nobody,
                pb::Relationship::Unspecified,
                facts(hours_ago(1), "x"),
            ),
        )
        .await
        .unwrap_err();
    assert_eq!(refused.code(), Code::FailedPrecondition);
    assert!(
        refused.message().starts_with("person_id:"),
        "{}",
        refused.message()
    );
    app.stop().await;
}

#[tokio::test]
async fn evidence_is_checked_and_bounded() {
    let mut app = TestApp::spawn(Backend::suite()).await;
    let w = app.world(100).await;
    let incident = app
        .report(&w.platform(), platform_report(facts(hours_ago(1), "x")))
        .await
        .unwrap();
    let attach = |items: Vec<pb::EvidenceItem>| pb::AttachEvidenceRequest {
        request_id: Uuid::now_v7().to_string(),
        incident_id: incident.incident_id.clone(),
        items,
    };
    let c = &mut app.client;
    let mut http = evidence_item(1);
    http.uri = "http://files.example.cn/1.jpg".into();
    let mut bad_hash = evidence_item(2);
    bad_hash.sha256 = "not-a-hash".into();
    let refused = c
        .attach_evidence(as_(&w.platform(), attach(vec![http, bad_hash])))
        .await
        .unwrap_err();
    assert_eq!(
        violated_fields(&refused),
        ["items[0].uri", "items[1].sha256"]
    );

    let too_many = (0..=MAX_EVIDENCE as u8).map(evidence_item).collect();
    let refused = c
        .attach_evidence(as_(&w.platform(), attach(too_many)))
        .await
        .unwrap_err();
    assert_eq!(violated_fields(&refused), ["items"]);

    c.attach_evidence(as_(
        &w.platform(),
        attach((0..3).map(evidence_item).collect()),
    ))
    .await
    .unwrap();
    let again = c
        .attach_evidence(as_(&w.platform(), attach(vec![evidence_item(0)])))
        .await
        .unwrap_err();
    assert_eq!(again.code(), Code::AlreadyExists);
    assert!(again.message().starts_with("items[0].sha256:"));
    let over = c
        .attach_evidence(as_(
            &w.platform(),
            attach((3..6).map(evidence_item).collect()),
        ))
        .await
        .unwrap_err();
    assert_eq!(over.code(), Code::FailedPrecondition);
    assert!(over.message().contains("limit of 5"), "{}", over.message());
    c.attach_evidence(as_(
        &w.platform(),
        attach((3..5).map(evidence_item).collect()),
    ))
    .await
    .unwrap();
    let full = app.get(&w.worker(), &incident.incident_id).await;
    assert_eq!(full.evidence.len(), MAX_EVIDENCE);
    app.stop().await;
}
