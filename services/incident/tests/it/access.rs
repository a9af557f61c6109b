//! The access table, tried: every RPC × every kind of caller, once on its own data and once on
//! another tenant's, person's, insurer's or area's, plus a delegate, against a running service.

use gigshield_incident::domain::access::TABLE;
use gigshield_kit::testing::{
    AccessReport, Backend, Parties, Persona, Probe, assert_table_covers, personas,
};
use gigshield_proto::incident as pb;
use prost_types::FieldMask;
use uuid::Uuid;

use crate::support::*;

const OWN_REGION: &str = "440305";

struct Fixture {
    own: Parties,
    /// Reported by the platform, about the worker, routed to the own insurer.
    incident_id: String,
    delegate: Uuid,
}

fn shenzhen_facts(description: &str) -> pb::IncidentFacts {
    let mut f = facts(hours_ago(3), description);
    let place = f.place.as_mut().unwrap();
    place.region_code = OWN_REGION.into();
    (place.latitude, place.longitude) = (22.54, 114.06);
    f
}

async fn fixture(app: &mut TestApp) -> Fixture {
    let w = app.world(100).await;
    let incident = app
        .report(&w.platform(), platform_report(shenzhen_facts("摔倒")))
        .await
        .unwrap();
    let own = Parties {
        platform: w.platform_id,
        person: w.person_id,
        insurer: Uuid::now_v7(),
        region: OWN_REGION.into(),
    };
    app.assign(&incident.incident_id, w.person_id, own.insurer)
        .await;
    let delegate = Uuid::now_v7();
    app.delegate(w.person_id, delegate, pb::Relationship::Spouse)
        .await;
    Fixture {
        own,
        incident_id: incident.incident_id,
        delegate,
    }
}

async fn probe(app: &mut TestApp, f: &Fixture, rpc: &str, p: &Persona, n: u32) -> Probe {
    let r = &p.role;
    let c = &mut app.client;
    let id = || Uuid::now_v7().to_string();
    let incident_id = f.incident_id.clone();
    match rpc {
        "ReportIncident" => Probe::of(
            c.report_incident(as_(
                r,
                pb::ReportIncidentRequest {
                    request_id: id(),
                    person_id: f.own.person.to_string(),
                    platform_id: f.own.platform.to_string(),
                    channel: pb::Channel::App as i32,
                    facts: Some(shenzhen_facts("又摔了")),
                    ..Default::default()
                },
            ))
            .await,
        ),
        "AmendIncident" => Probe::of(
            c.amend_incident(as_(
                r,
                pb::AmendIncidentRequest {
                    request_id: id(),
                    incident_id,
                    facts: Some(shenzhen_facts(&format!("补充说明 {n}"))),
                    update_mask: Some(FieldMask {
                        paths: vec!["description".into()],
                    }),
                    reason: "补充".into(),
                },
            ))
            .await,
        ),
        "AddStatement" => Probe::of(
            c.add_statement(as_(
                r,
                pb::AddStatementRequest {
                    request_id: id(),
                    incident_id,
                    text: "平台说明".into(),
                    disputes: None,
                },
            ))
            .await,
        ),
        "AttachEvidence" => Probe::of(
            c.attach_evidence(as_(
                r,
                pb::AttachEvidenceRequest {
                    request_id: id(),
                    incident_id,
                    items: vec![pb::EvidenceItem {
                        sha256: format!("{:064x}", 1000 + n),
                        ..evidence_item(1)
                    }],
                },
            ))
            .await,
        ),
        "FileApplication" => Probe::of(
            c.file_application(as_(
                r,
                pb::FileApplicationRequest {
                    request_id: id(),
                    incident_id,
                    late_explanation: String::new(),
                },
            ))
            .await,
        ),
        "WithdrawIncident" => Probe::of(
            c.withdraw_incident(as_(
                r,
                pb::WithdrawIncidentRequest {
                    request_id: id(),
                    incident_id,
                    reason: "重复".into(),
                },
            ))
            .await,
        ),
        "GetIncident" => Probe::of(
            c.get_incident(as_(r, pb::GetIncidentRequest { incident_id }))
                .await,
        ),
        "ListIncidents" => match c
            .list_incidents(as_(r, pb::ListIncidentsRequest::default()))
            .await
        {
            Ok(list) => {
                if list
                    .into_inner()
                    .incidents
                    .iter()
                    .any(|i| i.incident_id == incident_id)
                {
                    Probe::Allowed
                } else {
                    Probe::Denied
                }
            }
            Err(status) => Probe::of::<()>(Err(status)),
        },
        "GetIncidentStatistics" => {
            let month =
                gigshield_scheme::calendar::CalendarMonth::of(chrono::Utc::now()).to_string();
            match c
                .get_incident_statistics(as_(
                    r,
                    pb::GetIncidentStatisticsRequest {
                        from_month: month.clone(),
                        through_month: month,
                    },
                ))
                .await
            {
                Ok(answer) => {
                    let own = f.own.platform.to_string();
                    if answer
                        .into_inner()
                        .cells
                        .iter()
                        .any(|cell| cell.province_code == "440000" && cell.platform_id == own)
                    {
                        Probe::Allowed
                    } else {
                        Probe::Denied
                    }
                }
                Err(status) => Probe::of::<()>(Err(status)),
            }
        }
        other => panic!("no probe for {other}: add one with its rule"),
    }
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
