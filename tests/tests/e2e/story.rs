//! The scheme end to end, on one stack, as a platform, a worker, two insurers and an operator
//! would play it through the gRPC APIs:
//!
//! 1. two platforms, workers (one rider on both), orders, coverage days and fees;
//! 2. an accident during a delivery order → application → claim confirmed automatically
//!    against the liable platform → appraisal → benefits → payouts (`claims_flow`);
//! 3. an accident outside any order → the routed insurer's review queue → a human refusal →
//!    an appeal that overturns it (`claims_flow`); a third claim routed to another insurer
//!    stays out of the first insurer's queue and stream;
//! 4. the operator's close of the last ended month and a platform's payment, as far as a
//!    platform registered today can take part in them (`premium_flow`);
//! 5. the insurer's `WatchClaims` and the `claims.events.v1` topic carry every event of its
//!    claims, in order, with the same content.

use std::collections::BTreeMap;
use std::time::Duration;

use chrono::{DateTime, Utc};
use gigshield_enrollment::domain::{credit_code, resident_id};
use gigshield_kit::Role;
use gigshield_kit::wire::timestamp;
use gigshield_proto::claims::{self as claims_pb, claims_service_client::ClaimsServiceClient};
use gigshield_proto::common::Industry;
use gigshield_proto::enrollment::{
    self as enr, enrollment_service_client::EnrollmentServiceClient,
};
use gigshield_proto::incident::{self as inc, incident_service_client::IncidentServiceClient};
use gigshield_proto::premium::{self as prem, premium_service_client::PremiumServiceClient};
use gigshield_scheme::calendar::{CalendarMonth, shanghai_date};
use tonic::transport::Channel;
use uuid::Uuid;

use crate::stack::{self, Stack, as_, until_ok};
use crate::watch::{self, Watch};
use crate::{claims_flow, personal_data, premium_flow};

/// How long a consumer may take to catch up with something that happened elsewhere.
pub const CATCH_UP: Duration = Duration::from_secs(60);

/// The stack, clients for every service, and who is who.
pub struct World {
    pub stack: Stack,
    pub enroll: EnrollmentServiceClient<Channel>,
    pub prem: PremiumServiceClient<Channel>,
    pub inc: IncidentServiceClient<Channel>,
    pub claims: ClaimsServiceClient<Channel>,
    /// Distinguishes this run's credit codes and request ids.
    pub run: u64,
    pub delivery: Uuid,
    pub rides: Uuid,
    /// Handles Beijing's claims of every platform without a route of its own.
    pub beijing_insurer: Uuid,
    /// Handles the ride-hailing platform's claims in Beijing.
    pub rides_insurer: Uuid,
}

impl World {
    pub fn request_id(&self, what: &str) -> String {
        format!("e2e-{what}-{}", self.run)
    }
}

pub fn credit(n: u64) -> String {
    let first17 = format!("91440300{n:09}");
    format!(
        "{first17}{}",
        credit_code::check_character(&first17).unwrap()
    )
}

pub fn resident(seq: u32) -> String {
    let first17 = format!("11010519880808{seq:03}");
    format!(
        "{first17}{}",
        resident_id::check_character(first17.as_bytes()) as char
    )
}

/// `effective_from`: when the platform's participation began (operators may date it back).
pub async fn register_platform(
    client: &mut EnrollmentServiceClient<Channel>,
    code: String,
    industry: Industry,
    effective_from: Option<DateTime<Utc>>,
) -> Uuid {
    let platform = client
        .register_platform(as_(
            &Role::national_operator(),
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
                effective_from: effective_from.map(timestamp),
            },
        ))
        .await
        .expect("platform registers")
        .into_inner()
        .platform
        .unwrap();
    Uuid::parse_str(&platform.platform_id).unwrap()
}

/// An operator imports the platform's worker with the instant they joined.
async fn register_worker(
    client: &mut EnrollmentServiceClient<Channel>,
    platform_id: Uuid,
    joined: DateTime<Utc>,
    (external, id, name): (&str, &str, &str),
) -> enr::Worker {
    client
        .register_worker(as_(
            &Role::national_operator(),
            enr::RegisterWorkerRequest {
                request_id: Uuid::now_v7().to_string(),
                platform_id: platform_id.to_string(),
                registration: Some(enr::WorkerRegistration {
                    external_worker_id: external.into(),
                    real_name: name.into(),
                    resident_id: id.into(),
                    mobile: personal_data::MOBILE.into(),
                    region_code: "110105".into(),
                    registered_at: Some(timestamp(joined)),
                }),
            },
        ))
        .await
        .expect("worker registers")
        .into_inner()
        .worker
        .unwrap()
}

async fn put_route(world: &World, platform_id: Option<Uuid>, insurer_id: Uuid) {
    let route = claims_pb::Route {
        province_code: "110000".into(),
        platform_id: platform_id.map(|p| p.to_string()).unwrap_or_default(),
        insurer_id: insurer_id.to_string(),
    };
    let put = world
        .claims
        .clone()
        .put_route(as_(
            &Role::national_operator(),
            claims_pb::PutRouteRequest {
                request_id: Uuid::now_v7().to_string(),
                route: Some(route.clone()),
            },
        ))
        .await
        .expect("operator puts a route")
        .into_inner();
    assert_eq!(put.route, Some(route));
}

/// What a platform says about an accident of one of its workers.
pub struct Accident<'a> {
    pub key: &'a str,
    pub platform_id: Uuid,
    pub external_worker_id: &'a str,
    pub occurred_at: DateTime<Utc>,
    /// Empty when no order was in progress.
    pub order_id: &'a str,
    pub category: inc::CauseCategory,
    pub fault: inc::WorkerFaultShare,
    pub severity: inc::Severity,
}

/// The platform reports the accident and applies for determination; the filed incident.
pub async fn report_and_apply(world: &World, accident: Accident<'_>) -> inc::Incident {
    let platform = Role::Platform {
        platform_id: accident.platform_id,
    };
    let request = inc::ReportIncidentRequest {
        request_id: world.request_id(&format!("report-{}", accident.key)),
        platform_id: accident.platform_id.to_string(),
        external_worker_id: accident.external_worker_id.into(),
        channel: inc::Channel::App as i32,
        facts: Some(inc::IncidentFacts {
            occurred_at: Some(timestamp(accident.occurred_at)),
            place: Some(inc::Place {
                latitude: 39.92,
                longitude: 116.46,
                region_code: "110105".into(),
            }),
            order_id: accident.order_id.into(),
            category: accident.category as i32,
            worker_fault_share: accident.fault as i32,
            severity: accident.severity as i32,
            description: format!("端到端测试事故：{}", personal_data::HEALTH_PHRASE),
            ..Default::default()
        }),
        ..Default::default()
    };
    // The incident service learns of registrations from enrollment's topic: it may lag.
    let incident_id = until_ok(CATCH_UP, || {
        let mut client = world.inc.clone();
        let request = request.clone();
        let platform = platform.clone();
        async move {
            client
                .report_incident(as_(&platform, request))
                .await
                .map(|r| r.into_inner().incident.unwrap().incident_id)
        }
    })
    .await
    .unwrap_or_else(|e| {
        panic!(
            "incident never accepted the report {}: {e:?}\n{}",
            accident.key,
            world.stack.incident.log_tail()
        )
    });
    world
        .inc
        .clone()
        .file_application(as_(
            &platform,
            inc::FileApplicationRequest {
                request_id: world.request_id(&format!("apply-{}", accident.key)),
                incident_id,
                late_explanation: String::new(),
            },
        ))
        .await
        .expect("application filed")
        .into_inner()
        .incident
        .unwrap()
}

#[tokio::test]
async fn the_scheme_end_to_end() {
    let started = std::time::Instant::now();
    let stack = Stack::start().await;
    let mut world = World {
        enroll: EnrollmentServiceClient::new(stack.enrollment.channel.clone()),
        prem: PremiumServiceClient::new(stack.premium.channel.clone()),
        inc: IncidentServiceClient::new(stack.incident.channel.clone()),
        claims: ClaimsServiceClient::new(stack.claims.channel.clone()),
        stack,
        run: Utc::now().timestamp_micros() as u64 % 1_000_000_000,
        delivery: Uuid::nil(),
        rides: Uuid::nil(),
        beijing_insurer: Uuid::now_v7(),
        rides_insurer: Uuid::now_v7(),
    };
    crate::edges::discovery(&world.stack).await;
    crate::edges::bad_input(&world.stack).await;
    crate::edges::metrics(&world.stack).await;
    let mut enroll = world.enroll.clone();

    // An operator registers a delivery platform and a ride-hailing platform, and routes
    // Beijing's claims: the ride-hailing platform's to one insurer, everyone else's to another.
    // Both joined the scheme two hours ago (operators may date it): the story's day lies in the
    // past, so nothing waits for time to pass.
    let joined_scheme = Utc::now() - chrono::Duration::hours(2);
    world.delivery = register_platform(
        &mut enroll,
        credit(world.run),
        Industry::InstantDelivery,
        Some(joined_scheme),
    )
    .await;
    world.rides = register_platform(
        &mut enroll,
        credit(world.run + 1),
        Industry::RideHailing,
        Some(joined_scheme),
    )
    .await;
    put_route(&world, None, world.beijing_insurer).await;
    put_route(&world, Some(world.rides), world.rides_insurer).await;
    let routes = world
        .claims
        .clone()
        .list_routes(as_(
            &Role::national_operator(),
            claims_pb::ListRoutesRequest {},
        ))
        .await
        .unwrap()
        .into_inner()
        .routes;
    assert_eq!(routes.len(), 2, "{routes:?}");

    // The Beijing insurer watches its claims from the beginning, before there are any.
    let insurer = Role::Insurer {
        insurer_id: world.beijing_insurer,
    };
    let mut stream = Watch::open(world.stack.claims.channel.clone(), &insurer, "").await;

    // One rider works for both platforms: one person, two memberships.
    let (delivery, rides) = (world.delivery, world.rides);
    let rider_id = resident(11);
    // They joined an hour ago, imported by an operator with that date.
    let joined = Utc::now() - chrono::Duration::hours(1);
    let (colleague_id, other_id) = (resident(12), resident(13));
    let e = &mut enroll;
    let rider = register_worker(e, delivery, joined, ("rider-1", &rider_id, "李四")).await;
    let colleague = register_worker(e, delivery, joined, ("rider-2", &colleague_id, "王五")).await;
    let driver = register_worker(e, rides, joined, ("driver-9", &rider_id, "李四")).await;
    let other_driver = register_worker(e, rides, joined, ("driver-7", &other_id, "赵六")).await;
    assert_eq!(
        rider.person_id, driver.person_id,
        "one resident ID, one person"
    );
    assert_ne!(rider.person_id, colleague.person_id);

    // The day, compressed into four seconds half an hour ago: orders are accepted after the
    // registrations, and the accidents happen before the reports.
    let t1 = Utc::now() - chrono::Duration::minutes(30);
    let at = |ms: i64| t1 + chrono::Duration::milliseconds(ms);
    let order =
        |id: &str, worker: &str, industry: Industry, start: i64, end: i64| prem::OrderReport {
            order_id: id.into(),
            external_worker_id: worker.into(),
            industry: industry as i32,
            region_code: "110105".into(),
            accepted_at: Some(timestamp(at(start))),
            picked_up_at: Some(timestamp(at(start + 200))),
            completed_at: Some(timestamp(at(end))),
            cancelled_at: None,
        };
    let delivery_orders = vec![
        order("d-1", "rider-1", Industry::InstantDelivery, 0, 2500),
        order("d-2", "rider-2", Industry::InstantDelivery, 100, 900),
    ];
    let ride_orders = vec![order("r-1", "driver-9", Industry::RideHailing, 3000, 4000)];
    let report = |platform_id: Uuid, orders: Vec<prem::OrderReport>| {
        let mut client = world.prem.clone();
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
            world.stack.premium.log_tail()
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
    let statement = world
        .prem
        .clone()
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
    let coverage_key = delivery.to_string();
    let coverage = stack::read_topic(
        &world.stack.topic("premium.events.v1"),
        CATCH_UP,
        move |records| {
            records.iter().any(|r| {
                r.ce_type == "gigshield.events.v1.CoverageDayStarted" && r.key == coverage_key
            })
        },
    )
    .await;
    assert!(
        coverage
            .iter()
            .any(|r| r.ce_type == "gigshield.events.v1.CoverageDayStarted"),
        "coverage day published"
    );

    // Three accidents, reported and applied for by the platforms: the rider is hurt during
    // delivery order d-1; the colleague falls after their only order ended; the other driver
    // falls with no order at all.
    let occurred_at = at(1500);
    let filed = report_and_apply(
        &world,
        Accident {
            key: "during-order",
            platform_id: delivery,
            external_worker_id: "rider-1",
            occurred_at,
            order_id: "d-1",
            category: inc::CauseCategory::TrafficAccident,
            fault: inc::WorkerFaultShare::None,
            severity: inc::Severity::Hospitalised,
        },
    )
    .await;
    assert_eq!(filed.person_id, rider.person_id);
    let application = filed.application.clone().expect("application recorded");
    assert!(!application.late, "filed the same day");
    let off_order = report_and_apply(
        &world,
        Accident {
            key: "off-order",
            platform_id: delivery,
            external_worker_id: "rider-2",
            occurred_at: at(3500),
            order_id: "",
            category: inc::CauseCategory::Fall,
            fault: inc::WorkerFaultShare::Unspecified,
            severity: inc::Severity::Outpatient,
        },
    )
    .await;
    assert_eq!(off_order.person_id, colleague.person_id);
    let other_route = report_and_apply(
        &world,
        Accident {
            key: "other-route",
            platform_id: rides,
            external_worker_id: "driver-7",
            occurred_at: at(2000),
            order_id: "",
            category: inc::CauseCategory::Fall,
            fault: inc::WorkerFaultShare::Unspecified,
            severity: inc::Severity::Outpatient,
        },
    )
    .await;
    assert_eq!(other_route.person_id, other_driver.person_id);
    let rider_person = rider.person_id.clone();
    let applications = stack::read_topic(
        &world.stack.topic("incident.events.v1"),
        CATCH_UP,
        move |records| {
            records.iter().any(|r| {
                r.ce_type == "gigshield.events.v1.ApplicationFiled" && r.key == rider_person
            })
        },
    )
    .await;
    assert!(
        applications.iter().any(|r| {
            r.ce_type == "gigshield.events.v1.ApplicationFiled" && r.key == rider.person_id
        }),
        "ApplicationFiled published for the rider"
    );

    // Who was liable: at the accident, the rider was executing delivery order d-1 only.
    let activity = |at: DateTime<Utc>| {
        let mut client = world.prem.clone();
        let person_id = rider.person_id.clone();
        async move {
            client
                .verify_work_activity(as_(
                    &Role::national_adjuster(),
                    prem::VerifyWorkActivityRequest {
                        person_id,
                        at: Some(timestamp(at)),
                        margin: None,
                    },
                ))
                .await
                .unwrap()
                .into_inner()
                .orders
                .into_iter()
                .map(|o| (o.platform_id, o.order_id))
                .collect::<Vec<_>>()
        }
    };
    assert_eq!(
        activity(occurred_at).await,
        vec![(delivery.to_string(), "d-1".to_string())],
        "the delivery platform is liable"
    );
    assert_eq!(
        activity(at(3500)).await,
        vec![(rides.to_string(), "r-1".to_string())],
        "the same person, later, on the other platform"
    );

    // The claims, as the insurer and the parties handle them.
    let confirmed = claims_flow::automatic_confirmation(
        &world,
        &mut stream,
        &filed.incident_id,
        &rider.person_id,
    )
    .await;
    let claim_a = confirmed.claim_id.clone();
    let mut expected: BTreeMap<String, Vec<&str>> = BTreeMap::new();
    let mut kinds = vec!["ClaimOpened", "ClaimConfirmed"];
    kinds.extend(claims_flow::appraisal_benefits_payouts(&world, &claim_a, occurred_at).await);
    expected.insert(claim_a.clone(), kinds);

    let claim_c = claims_flow::routed_elsewhere(&world, &other_route.incident_id).await;
    let claim_b = claims_flow::review_refusal_appeal(
        &world,
        &mut stream,
        &off_order.incident_id,
        &colleague.person_id,
        &claim_c,
    )
    .await;
    expected.insert(
        claim_b.clone(),
        vec![
            "ClaimOpened",
            "ClaimRouted",
            "ClaimRefused",
            "AppealFiled",
            "AppealDecided",
            "ClaimConfirmed",
        ],
    );

    // The month's declaration and the platform's payment.
    premium_flow::close_month_and_pay(&world).await;

    // Every event of the insurer's claims, in order, on the stream and on the topic alike.
    let counts: Vec<(String, usize)> = expected
        .iter()
        .map(|(id, kinds)| (id.clone(), kinds.len()))
        .collect();
    let reached = stream
        .until(CATCH_UP, |seen| {
            counts
                .iter()
                .all(|(id, n)| seen.iter().filter(|m| &m.claim_id == id).count() >= *n)
        })
        .await;
    let watched = watch::watched_by_claim(&stream.seen);
    assert!(reached, "WatchClaims fell short: {watched:#?}");
    assert_eq!(
        watched.keys().collect::<Vec<_>>(),
        expected.keys().collect::<Vec<_>>(),
        "the insurer's stream carries its claims and no other"
    );
    for (id, kinds) in &expected {
        assert_eq!(
            &watch::kinds(&watched[id]),
            kinds,
            "claim {id} on WatchClaims"
        );
    }
    let mut topic_counts = counts.clone();
    topic_counts.push((claim_c.clone(), 2));
    let records = stack::read_topic(
        &world.stack.topic("claims.events.v1"),
        CATCH_UP,
        move |records| {
            topic_counts
                .iter()
                .all(|(id, n)| records.iter().filter(|r| &r.key == id).count() >= *n)
        },
    )
    .await;
    let published = watch::published_by_claim(&records);
    for (id, events) in &watched {
        assert_eq!(
            published.get(id),
            Some(events),
            "claim {id}: claims.events.v1 and WatchClaims disagree"
        );
    }
    assert_eq!(
        published.get(&claim_c).map(|e| watch::kinds(e)),
        Some(vec!["ClaimOpened", "ClaimRouted"]),
        "the other insurer's claim is on the topic"
    );
    // The topic also carries the benefit figures operators add (not claim events).
    let (figures, claim_records): (Vec<_>, Vec<_>) =
        records.iter().partition(|r| r.key == "benefit-parameters");
    assert!(
        claim_records
            .iter()
            .all(|r| watch::decode(&r.ce_type, &r.payload).is_some()),
        "every claim event on claims.events.v1 decodes as its ce_type"
    );
    assert!(figures.iter().all(|r| {
        r.ce_type == "gigshield.events.v1.BenefitFigureAdded"
            && <gigshield_proto::events::BenefitFigureAdded as prost::Message>::decode(
                r.payload.as_slice(),
            )
            .is_ok_and(|e| e.entry.is_some())
    }));
    assert!(
        !records.iter().any(|r| r
            .payload
            .windows(claims_flow::ACCOUNT.len())
            .any(|w| w == claims_flow::ACCOUNT.as_bytes())),
        "no event carries the full payment account"
    );

    // The fund, from the same events alone: Beijing's benefits this month are the payouts.
    let paid: i64 = claim_records
        .iter()
        .filter(|r| r.ce_type == "gigshield.events.v1.PayoutIssued")
        .filter_map(|r| {
            <gigshield_proto::events::PayoutIssued as prost::Message>::decode(r.payload.as_slice())
                .ok()
        })
        .map(|p| p.amount_fen)
        .sum();
    assert!(paid > 0, "the story paid benefits");
    let mut fund = gigshield_proto::fund::fund_service_client::FundServiceClient::new(
        world.stack.fund.channel.clone(),
    );
    let regulator = Role::Regulator {
        jurisdiction: gigshield_kit::Jurisdiction::parse("11").expect("Beijing"),
    };
    let month = gigshield_scheme::calendar::CalendarMonth::of(chrono::Utc::now()).to_string();
    let statement = stack::until_ok(CATCH_UP, || {
        let (mut fund, regulator, month) = (fund.clone(), regulator.clone(), month.clone());
        async move {
            let s = fund
                .get_fund_statement(as_(
                    &regulator,
                    gigshield_proto::fund::GetFundStatementRequest {
                        province_code: "110000".into(),
                        month,
                    },
                ))
                .await?
                .into_inner()
                .statement
                .unwrap_or_default();
            if s.benefits_fen == paid {
                Ok(s)
            } else {
                Err(tonic::Status::unavailable(format!(
                    "fund at {} of {paid}",
                    s.benefits_fen
                )))
            }
        }
    })
    .await
    .expect("the fund books every payout");
    assert_eq!(
        statement
            .insurers
            .iter()
            .map(|i| i.advanced_fen)
            .sum::<i64>(),
        paid
    );
    let refused = fund
        .list_fund_entries(as_(
            &regulator,
            gigshield_proto::fund::ListFundEntriesRequest {
                province_code: "110000".into(),
                month: month.clone(),
                page: None,
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(
        refused.code(),
        tonic::Code::PermissionDenied,
        "regulators read figures, not entries"
    );
    crate::export::regulators_file(&world.stack, &month).await;
    crate::export::insurer_uploads_its_records(&world.stack, world.beijing_insurer, &month).await;

    // Resuming after any message gives exactly the messages after it.
    let middle = stream.seen.len() / 2;
    let mut resumed = Watch::open(
        world.stack.claims.channel.clone(),
        &insurer,
        &stream.seen[middle].resume_token,
    )
    .await;
    let rest = stream.seen.len() - middle - 1;
    assert!(resumed.until(CATCH_UP, |seen| seen.len() >= rest).await);
    assert_eq!(resumed.seen, stream.seen[middle + 1..], "resumed stream");

    // Nothing personal the parties typed in is anywhere in clear.
    let mut needles: Vec<(&'static str, String)> = (11..=15)
        .map(|seq| ("a resident ID", resident(seq)))
        .collect();
    needles.push(("the mobile number", personal_data::MOBILE.into()));
    needles.push(("the bank account", claims_flow::ACCOUNT.into()));
    needles.push(("the health phrase", personal_data::HEALTH_PHRASE.into()));
    personal_data::assert_nothing_in_clear(&world.stack, &needles).await;

    crate::edges::consumer_lag(&world.stack).await;
    eprintln!("e2e story took {:?}", started.elapsed());
}
