//! The access table, tried: every RPC × every kind of caller, once on its own data and once on
//! another tenant's, insurer's or area's, against a running service.

use chrono::{Duration, Utc};
use gigshield_kit::testing::{
    AccessReport, Backend, Parties, Persona, Probe, assert_table_covers, personas,
};
use gigshield_premium::domain::access::TABLE;
use gigshield_proto::common::Industry;
use gigshield_proto::premium as pb;
use uuid::Uuid;

use crate::support::*;

const OWN_REGION: &str = "440305";

struct Fixture {
    own: Parties,
    month: String,
    accepted_at: chrono::DateTime<Utc>,
}

async fn fixture(app: &mut TestApp) -> Fixture {
    let platform_id = app
        .platform(&[Industry::InstantDelivery], &["440000"])
        .await;
    let person = Uuid::now_v7();
    app.member(platform_id, "own-rider", person).await;
    app.synced().await;
    let (month, _) = closed_months();
    let accepted_at = month.starts_at() + Duration::days(3);
    app.report(
        platform_id,
        vec![completed(
            "own-1",
            "own-rider",
            Industry::InstantDelivery,
            OWN_REGION,
            accepted_at,
        )],
    )
    .await;
    let own = Parties {
        platform: platform_id,
        person,
        insurer: Uuid::now_v7(),
        region: OWN_REGION.into(),
    };
    app.assign(person, own.insurer).await;
    // A rate of the platform's own in its province, which ListRates shows only to its parties.
    app.client
        .add_rate(as_(
            &gigshield_kit::Role::national_operator(),
            pb::AddRateRequest {
                request_id: Uuid::now_v7().to_string(),
                industry: Industry::InstantDelivery as i32,
                platform_id: platform_id.to_string(),
                province_code: "440000".into(),
                effective_from: ts(Utc::now() + Duration::days(40)),
                fen_per_order: 25,
            },
        ))
        .await
        .unwrap();
    Fixture {
        own,
        month: month.to_string(),
        accepted_at,
    }
}

fn shows(found: bool) -> Probe {
    if found { Probe::Allowed } else { Probe::Denied }
}

async fn probe(app: &mut TestApp, f: &Fixture, rpc: &str, p: &Persona, n: i64) -> Probe {
    let r = &p.role;
    let c = &mut app.client;
    let platform_id = f.own.platform.to_string();
    match rpc {
        "AddRate" => Probe::of(
            c.add_rate(as_(
                r,
                pb::AddRateRequest {
                    request_id: Uuid::now_v7().to_string(),
                    industry: Industry::InstantDelivery as i32,
                    platform_id: platform_id.clone(),
                    province_code: "440000".into(),
                    effective_from: ts(Utc::now() + Duration::days(50 + n)),
                    fen_per_order: 7,
                },
            ))
            .await,
        ),
        "ListRates" => match c.list_rates(as_(r, pb::ListRatesRequest::default())).await {
            Ok(list) => shows(
                list.into_inner()
                    .rates
                    .iter()
                    .any(|rate| rate.platform_id == platform_id),
            ),
            Err(status) => Probe::of::<()>(Err(status)),
        },
        "ReportOrders" => {
            let batch = pb::ReportOrdersRequest {
                platform_id: platform_id.clone(),
                orders: vec![completed(
                    &format!("probe-{n}"),
                    "own-rider",
                    Industry::InstantDelivery,
                    OWN_REGION,
                    f.accepted_at + Duration::minutes(n),
                )],
            };
            Probe::of(
                c.report_orders(as_(r, tokio_stream::iter(vec![batch])))
                    .await,
            )
        }
        "StreamOrders" => {
            let batch = pb::StreamOrdersRequest {
                platform_id: platform_id.clone(),
                batch_id: format!("probe-{n}"),
                orders: vec![completed(
                    &format!("stream-probe-{n}"),
                    "own-rider",
                    Industry::InstantDelivery,
                    OWN_REGION,
                    f.accepted_at + Duration::minutes(n),
                )],
            };
            // A refusal comes either as the call's status or as the stream's first item.
            let first = match c
                .stream_orders(as_(r, tokio_stream::iter(vec![batch])))
                .await
            {
                Ok(acks) => acks.into_inner().message().await.map(|_| ()),
                Err(status) => Err(status),
            };
            Probe::of(first)
        }
        "GetOrder" => Probe::of(
            c.get_order(as_(
                r,
                pb::GetOrderRequest {
                    platform_id: platform_id.clone(),
                    order_id: "own-1".into(),
                },
            ))
            .await,
        ),
        "GetMonthStatement" => Probe::of(
            c.get_month_statement(as_(
                r,
                pb::GetMonthStatementRequest {
                    platform_id: platform_id.clone(),
                    month: f.month.clone(),
                },
            ))
            .await,
        ),
        "CloseMonth" => Probe::of(
            c.close_month(as_(
                r,
                pb::CloseMonthRequest {
                    request_id: Uuid::now_v7().to_string(),
                    // Closing needs every earlier month closed first: an admitted caller gets
                    // FAILED_PRECONDITION, and nothing closes under the probes' feet.
                    month: "2099-01".into(),
                },
            ))
            .await,
        ),
        "ListDeclarations" => Probe::of(
            c.list_declarations(as_(
                r,
                pb::ListDeclarationsRequest {
                    platform_id: platform_id.clone(),
                    ..Default::default()
                },
            ))
            .await,
        ),
        "RecordPayment" => Probe::of(
            c.record_payment(as_(
                r,
                pb::RecordPaymentRequest {
                    platform_id: platform_id.clone(),
                    reference: format!("TAX-{n}"),
                    amount_fen: 100,
                    ..Default::default()
                },
            ))
            .await,
        ),
        "GetAccount" => Probe::of(
            c.get_account(as_(
                r,
                pb::GetAccountRequest {
                    platform_id: platform_id.clone(),
                },
            ))
            .await,
        ),
        "VerifyWorkActivity" => match c
            .verify_work_activity(as_(
                r,
                pb::VerifyWorkActivityRequest {
                    person_id: f.own.person.to_string(),
                    at: ts(f.accepted_at + Duration::minutes(5)),
                    margin: None,
                },
            ))
            .await
        {
            Ok(found) => shows(
                found
                    .into_inner()
                    .orders
                    .iter()
                    .any(|o| o.order_id == "own-1"),
            ),
            Err(status) => Probe::of::<()>(Err(status)),
        },
        "ListCoverageDays" => match c
            .list_coverage_days(as_(
                r,
                pb::ListCoverageDaysRequest {
                    person_id: f.own.person.to_string(),
                    month: gigshield_scheme::calendar::CalendarMonth::of(f.accepted_at).to_string(),
                },
            ))
            .await
        {
            Ok(found) => shows(!found.into_inner().days.is_empty()),
            Err(status) => Probe::of::<()>(Err(status)),
        },
        "GetPremiumStatistics" => match c
            .get_premium_statistics(as_(
                r,
                pb::GetPremiumStatisticsRequest {
                    from_month: f.month.clone(),
                    through_month: f.month.clone(),
                },
            ))
            .await
        {
            Ok(answer) => shows(
                answer
                    .into_inner()
                    .cells
                    .iter()
                    .any(|cell| cell.province_code == "440000"),
            ),
            Err(status) => Probe::of::<()>(Err(status)),
        },
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
        for persona in personas(&f.own, &foreign, None) {
            n += 1;
            let got = probe(&mut app, &f, rule.rpc, &persona, n).await;
            report.record(&TABLE, rule.rpc, &persona, got);
        }
    }
    report.assert_matches(&TABLE);
    app.stop().await;
}

/// Behaviour 3: claims called premium with a ten-year adjuster token that every service
/// accepted. Premium now takes claims' own short-lived token, for premium only.
#[tokio::test]
async fn only_short_lived_tokens_meant_for_premium_are_accepted() {
    let mut app = TestApp::spawn(Backend::suite()).await;
    let request = || pb::VerifyWorkActivityRequest {
        person_id: Uuid::now_v7().to_string(),
        at: ts(Utc::now()),
        margin: None,
    };
    let with = |token: String| {
        let mut r = tonic::Request::new(request());
        r.metadata_mut()
            .insert("authorization", format!("Bearer {token}").parse().unwrap());
        r
    };
    let ten_years = gigshield_kit::testing::dev_minter().mint(
        "claims",
        &gigshield_kit::Role::national_adjuster(),
        std::time::Duration::from_secs(10 * 365 * 24 * 3600),
    );
    let refused = app
        .client
        .verify_work_activity(with(ten_years))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), tonic::Code::Unauthenticated);
    let for_enrollment = gigshield_kit::testing::service_token("claims", "enrollment");
    let refused = app
        .client
        .verify_work_activity(with(for_enrollment))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), tonic::Code::Unauthenticated);
    let for_premium = gigshield_kit::testing::service_token("claims", "premium");
    assert!(
        app.client
            .verify_work_activity(with(for_premium))
            .await
            .is_ok()
    );
    app.stop().await;
}
