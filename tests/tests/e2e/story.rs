//! One platform day across all four services: two platforms, a worker on both, orders,
//! coverage, an accident during an order, the application, who was liable, and the claim
//! confirmed automatically as an insurer-side watcher and the claims topic see it.

use std::time::Duration;

use chrono::Utc;
use gigshield_enrollment::domain::{credit_code, resident_id};
use gigshield_kit::Role;
use gigshield_kit::wire::timestamp;
use gigshield_proto::claims::watch_claims_response::Event;
use gigshield_proto::claims::{self as claims_pb, claims_service_client::ClaimsServiceClient};
use gigshield_proto::common::Industry;
use gigshield_proto::enrollment::{
    self as enr, enrollment_service_client::EnrollmentServiceClient,
};
use gigshield_proto::incident::{self as inc, incident_service_client::IncidentServiceClient};
use gigshield_proto::premium::{self as prem, premium_service_client::PremiumServiceClient};
use gigshield_scheme::calendar::{CalendarMonth, shanghai_date};
use rdkafka::consumer::{Consumer, StreamConsumer};
use rdkafka::message::Headers;
use rdkafka::{ClientConfig, Message};
use uuid::Uuid;

use crate::stack::{self, as_, until_ok};

const CATCH_UP: Duration = Duration::from_secs(60);

fn credit(n: u64) -> String {
    let first17 = format!("91440300{n:09}");
    format!(
        "{first17}{}",
        credit_code::check_character(&first17).unwrap()
    )
}

fn resident(seq: u32) -> String {
    let first17 = format!("11010519880808{seq:03}");
    format!(
        "{first17}{}",
        resident_id::check_character(first17.as_bytes()) as char
    )
}

async fn register_platform(
    client: &mut EnrollmentServiceClient<tonic::transport::Channel>,
    code: String,
    industry: Industry,
) -> Uuid {
    let platform = client
        .register_platform(as_(
            &Role::Operator,
            enr::RegisterPlatformRequest {
                request_id: Uuid::now_v7().to_string(),
                legal_name: "端到端测试平台".into(),
                credit_code: code,
                industries: vec![industry as i32],
                region_codes: vec!["110000".into(), "310000".into()],
                contact: Some(enr::Contact {
                    name: "测试".into(),
                    phone: "010-12345678".into(),
                    email: String::new(),
                }),
            },
        ))
        .await
        .expect("platform registers")
        .into_inner()
        .platform
        .unwrap();
    Uuid::parse_str(&platform.platform_id).unwrap()
}

async fn register_worker(
    client: &mut EnrollmentServiceClient<tonic::transport::Channel>,
    platform_id: Uuid,
    external: &str,
    id: &str,
    name: &str,
) -> enr::Worker {
    client
        .register_worker(as_(
            &Role::Platform { platform_id },
            enr::RegisterWorkerRequest {
                request_id: Uuid::now_v7().to_string(),
                platform_id: platform_id.to_string(),
                registration: Some(enr::WorkerRegistration {
                    external_worker_id: external.into(),
                    real_name: name.into(),
                    resident_id: id.into(),
                    mobile: "13912345678".into(),
                    region_code: "110105".into(),
                    registered_at: None,
                }),
            },
        ))
        .await
        .expect("worker registers")
        .into_inner()
        .worker
        .unwrap()
}

/// The first message on `topic` whose `ce_type` is `event_type` and key is `key`.
async fn find_event(topic: &str, event_type: &str, key: &str) -> Option<Vec<u8>> {
    let consumer: StreamConsumer = ClientConfig::new()
        .set(
            "bootstrap.servers",
            gigshield_kit::testing::kafka_bootstrap(),
        )
        .set("group.id", format!("e2e-{}", Uuid::now_v7()))
        .set("auto.offset.reset", "earliest")
        .create()
        .unwrap();
    consumer.subscribe(&[topic]).unwrap();
    let deadline = tokio::time::Instant::now() + Duration::from_secs(60);
    while tokio::time::Instant::now() < deadline {
        let Ok(Ok(msg)) = tokio::time::timeout(Duration::from_secs(5), consumer.recv()).await
        else {
            continue;
        };
        let matches_type = msg.headers().is_some_and(|h| {
            h.iter()
                .any(|h| h.key == "ce_type" && h.value == Some(event_type.as_bytes()))
        });
        if matches_type && msg.key() == Some(key.as_bytes()) {
            return Some(msg.payload().unwrap_or_default().to_vec());
        }
    }
    None
}

#[tokio::test]
async fn platforms_workers_orders_coverage_and_an_accident_during_an_order() {
    let logs = tempfile::tempdir().unwrap();
    // Enrollment first: it creates the topic the others subscribe to.
    let prefix = format!("e2e-{}.", Uuid::now_v7().simple());
    let enrollment = stack::start("enrollment", &prefix, &logs).await;
    let premium = stack::start("premium", &prefix, &logs).await;
    let incident = stack::start("incident", &prefix, &logs).await;
    let token_file = logs.path().join("premium.token");
    std::fs::write(&token_file, gigshield_kit::testing::token(&Role::Adjuster)).unwrap();
    let claims = stack::start_with(
        "claims",
        &prefix,
        &logs,
        &[
            ("CLAIMS_PREMIUM_ADDR", premium.addr.clone()),
            (
                "CLAIMS_PREMIUM_TOKEN_FILE",
                token_file.display().to_string(),
            ),
            // The story's day lasts seconds: with the default 10-minute grace the rider's
            // later ride would also cover the accident, and liability would be ambiguous.
            ("CLAIMS_ORDER_GRACE_MINUTES", "0".to_string()),
        ],
    )
    .await;
    let mut enroll = EnrollmentServiceClient::new(enrollment.channel.clone());
    let mut prem = PremiumServiceClient::new(premium.channel.clone());
    let mut inc = IncidentServiceClient::new(incident.channel.clone());

    // An operator registers a delivery platform and a ride-hailing platform.
    let run = Utc::now().timestamp_micros() as u64 % 1_000_000_000;
    let delivery = register_platform(&mut enroll, credit(run), Industry::InstantDelivery).await;
    let rides = register_platform(&mut enroll, credit(run + 1), Industry::RideHailing).await;

    // One rider works for both platforms: one person, two memberships.
    let rider_id = resident(11);
    let rider = register_worker(&mut enroll, delivery, "rider-1", &rider_id, "李四").await;
    let colleague = register_worker(&mut enroll, delivery, "rider-2", &resident(12), "王五").await;
    let driver = register_worker(&mut enroll, rides, "driver-9", &rider_id, "李四").await;
    assert_eq!(
        rider.person_id, driver.person_id,
        "one resident ID, one person"
    );
    assert_ne!(rider.person_id, colleague.person_id);

    // The day, compressed into four seconds that lie in the past before anything is reported:
    // orders are accepted after the registrations, and the accident happens before the report.
    let t1 = Utc::now();
    tokio::time::sleep(Duration::from_millis(4500)).await;
    let at = |ms: i64| timestamp(t1 + chrono::Duration::milliseconds(ms));
    let order =
        |id: &str, worker: &str, industry: Industry, start: i64, end: i64| prem::OrderReport {
            order_id: id.into(),
            external_worker_id: worker.into(),
            industry: industry as i32,
            region_code: "110105".into(),
            accepted_at: Some(at(start)),
            picked_up_at: Some(at(start + 200)),
            completed_at: Some(at(end)),
            cancelled_at: None,
        };
    let delivery_orders = vec![
        order("d-1", "rider-1", Industry::InstantDelivery, 0, 2500),
        order("d-2", "rider-2", Industry::InstantDelivery, 100, 900),
    ];
    let ride_orders = vec![order("r-1", "driver-9", Industry::RideHailing, 3000, 4000)];
    let report = |platform_id: Uuid, orders: Vec<prem::OrderReport>| {
        let mut client = prem.clone();
        async move {
            let batch = prem::ReportOrdersRequest {
                platform_id: platform_id.to_string(),
                orders,
            };
            client
                .report_orders(as_(
                    &Role::Platform { platform_id },
                    tokio_stream::iter(vec![batch]),
                ))
                .await
                .map(|r| r.into_inner())
        }
    };
    let accepted = until_ok(CATCH_UP, || async {
        let answer = report(delivery, delivery_orders.clone()).await?;
        if answer.rejected_count > 0 {
            return Err(tonic::Status::failed_precondition(format!(
                "{:?}",
                answer.results
            )));
        }
        Ok(answer)
    })
    .await
    .unwrap_or_else(|e| {
        panic!(
            "premium never accepted the orders: {e:?}\n{}",
            premium.log_tail()
        )
    });
    assert_eq!(
        accepted.accepted_count + accepted.unchanged_count,
        2,
        "both orders stored"
    );
    let again = report(delivery, delivery_orders.clone()).await.unwrap();
    assert_eq!(
        (again.accepted_count, again.unchanged_count),
        (0, 2),
        "a resent batch changes nothing"
    );
    let rides_accepted = until_ok(CATCH_UP, || async {
        let answer = report(rides, ride_orders.clone()).await?;
        if answer.accepted_count + answer.unchanged_count == 1 {
            Ok(answer)
        } else {
            Err(tonic::Status::unavailable("replica"))
        }
    })
    .await
    .unwrap();
    assert_eq!(rides_accepted.rejected_count, 0);

    // Coverage and fees: today's statement counts both delivery orders at 7 fen each.
    let today = shanghai_date(t1).format("%Y-%m-%d").to_string();
    let statement = prem
        .get_month_statement(as_(
            &Role::Platform {
                platform_id: delivery,
            },
            prem::GetMonthStatementRequest {
                platform_id: delivery.to_string(),
                month: CalendarMonth::of(t1).to_string(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let day = statement
        .days
        .iter()
        .find(|d| d.date == today)
        .expect("today's line");
    assert_eq!(
        (day.order_count, day.billable_count, day.amount_fen),
        (2, 2, 14)
    );
    assert!(
        find_event(
            &format!("{prefix}premium.events.v1"),
            "gigshield.events.v1.CoverageDayStarted",
            &delivery.to_string()
        )
        .await
        .is_some(),
        "coverage day published"
    );

    // The rider is hurt during delivery order d-1; the platform reports it and applies.
    let occurred_at = t1 + chrono::Duration::milliseconds(1500);
    let incident_id = until_ok(CATCH_UP, || {
        let mut client = inc.clone();
        async move {
            client
                .report_incident(as_(
                    &Role::Platform {
                        platform_id: delivery,
                    },
                    inc::ReportIncidentRequest {
                        request_id: format!("e2e-report-{run}"),
                        platform_id: delivery.to_string(),
                        external_worker_id: "rider-1".into(),
                        channel: inc::Channel::App as i32,
                        facts: Some(inc::IncidentFacts {
                            occurred_at: Some(timestamp(occurred_at)),
                            place: Some(inc::Place {
                                latitude: 39.92,
                                longitude: 116.46,
                                region_code: "110105".into(),
                            }),
                            order_id: "d-1".into(),
                            category: inc::CauseCategory::TrafficAccident as i32,
                            worker_fault_share: inc::WorkerFaultShare::None as i32,
                            severity: inc::Severity::Hospitalised as i32,
                            description: "电动车与汽车相撞".into(),
                            ..Default::default()
                        }),
                        ..Default::default()
                    },
                ))
                .await
                .map(|r| r.into_inner().incident.unwrap().incident_id)
        }
    })
    .await
    .unwrap_or_else(|e| {
        panic!(
            "incident never accepted the report: {e:?}\n{}",
            incident.log_tail()
        )
    });
    let filed = inc
        .file_application(as_(
            &Role::Platform {
                platform_id: delivery,
            },
            inc::FileApplicationRequest {
                request_id: format!("e2e-apply-{run}"),
                incident_id: incident_id.clone(),
                late_explanation: String::new(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .incident
        .unwrap();
    assert_eq!(filed.person_id, rider.person_id);
    let application = filed.application.expect("application recorded");
    assert!(!application.late, "filed the same day");
    assert!(
        find_event(
            &format!("{prefix}incident.events.v1"),
            "gigshield.events.v1.ApplicationFiled",
            &rider.person_id
        )
        .await
        .is_some(),
        "ApplicationFiled published for the rider"
    );

    // Who was liable: at the accident, the rider was executing delivery order d-1 only.
    let activity = prem
        .verify_work_activity(as_(
            &Role::Adjuster,
            prem::VerifyWorkActivityRequest {
                person_id: rider.person_id.clone(),
                at: Some(timestamp(occurred_at)),
                margin: None,
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let found: Vec<(String, String)> = activity
        .orders
        .iter()
        .map(|o| (o.platform_id.clone(), o.order_id.clone()))
        .collect();
    assert_eq!(
        found,
        vec![(delivery.to_string(), "d-1".to_string())],
        "the delivery platform is liable"
    );
    let later = prem
        .verify_work_activity(as_(
            &Role::Adjuster,
            prem::VerifyWorkActivityRequest {
                person_id: rider.person_id.clone(),
                at: Some(at(3500)),
                margin: None,
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(later.orders.len(), 1);
    assert_eq!(
        later.orders[0].platform_id,
        rides.to_string(),
        "the same person, later, on the other platform"
    );
    // The application opened a claim, confirmed automatically: an adjuster's WatchClaims sees
    // it open, then confirmed against the delivery order, and the topic carries it too.
    let mut watch = ClaimsServiceClient::new(claims.channel.clone())
        .watch_claims(as_(
            &Role::Adjuster,
            claims_pb::WatchClaimsRequest {
                resume_token: String::new(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let mut claim_id = None;
    let mut seen = Vec::new();
    let confirmed = tokio::time::timeout(CATCH_UP, async {
        while let Some(item) = watch.message().await.unwrap() {
            match &item.event {
                Some(Event::ClaimOpened(opened)) if opened.incident_id == incident_id => {
                    claim_id = Some(opened.claim_id.clone());
                    seen.push(format!("{opened:?}"));
                }
                Some(Event::ClaimConfirmed(confirmed))
                    if Some(&confirmed.claim_id) == claim_id.as_ref() =>
                {
                    return Ok(confirmed.clone());
                }
                Some(other) if Some(&item.claim_id) == claim_id.as_ref() => {
                    seen.push(format!("{other:?}"))
                }
                _ => {}
            }
        }
        Err("WatchClaims ended")
    })
    .await;
    let confirmed = match confirmed {
        Ok(Ok(confirmed)) => confirmed,
        other => panic!(
            "no automatic confirmation ({other:?}); events of the claim: {seen:#?}\n{}",
            claims.log_tail()
        ),
    };
    assert!(confirmed.automatic, "automation confirmed it");
    assert_eq!(
        (confirmed.platform_id.as_str(), confirmed.order_id.as_str()),
        (delivery.to_string().as_str(), "d-1")
    );
    assert_eq!(confirmed.person_id, rider.person_id);
    assert!(
        find_event(
            &format!("{prefix}claims.events.v1"),
            "gigshield.events.v1.ClaimConfirmed",
            &confirmed.claim_id
        )
        .await
        .is_some(),
        "ClaimConfirmed on claims.events.v1"
    );
    drop((enrollment, premium, incident, claims));
}
