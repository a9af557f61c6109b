//! Every RPC refuses another tenant's data, and operator-only RPCs refuse platforms.

use chrono::{Duration, Utc};
use gigshield_kit::Role;
use gigshield_kit::testing::Backend;
use gigshield_proto::common::Industry;
use gigshield_proto::premium as pb;
use tonic::Code;

use crate::support::*;

#[tokio::test]
async fn every_rpc_refuses_other_tenants() {
    let mut app = TestApp::spawn(Backend::Postgres).await;
    let a = app
        .platform(&[Industry::InstantDelivery], &["310000"])
        .await;
    let b = app
        .platform(&[Industry::InstantDelivery], &["310000"])
        .await;
    app.worker(a, "a-rider").await;
    let b_person = app.worker(b, "b-rider").await;
    app.synced().await;
    let (month, _) = closed_months();
    let t = month.starts_at() + Duration::days(3);
    app.report(
        b,
        vec![completed(
            "b-1",
            "b-rider",
            Industry::InstantDelivery,
            "310115",
            t,
        )],
    )
    .await;
    // A rate of B's own, which A must not see.
    let future = Utc::now() + Duration::days(30);
    app.client
        .add_rate(as_(
            &Role::Operator,
            pb::AddRateRequest {
                request_id: "b-rate".into(),
                industry: Industry::InstantDelivery as i32,
                platform_id: b.to_string(),
                province_code: String::new(),
                effective_from: ts(future),
                fen_per_order: 25,
            },
        ))
        .await
        .unwrap();

    let me = platform(a);
    let worker = Role::Worker {
        person_id: b_person,
    };
    let c = &mut app.client;
    let denied = |r: Result<(), tonic::Status>, what: &str| {
        assert_eq!(
            r.err().map(|s| s.code()),
            Some(Code::PermissionDenied),
            "{what}"
        );
    };

    denied(
        c.add_rate(as_(
            &me,
            pb::AddRateRequest {
                request_id: "r".into(),
                industry: Industry::InstantDelivery as i32,
                platform_id: a.to_string(),
                effective_from: ts(future),
                fen_per_order: 1,
                ..Default::default()
            },
        ))
        .await
        .map(|_| ()),
        "AddRate",
    );
    let visible = c
        .list_rates(as_(&me, pb::ListRatesRequest::default()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        visible.rates.len(),
        3,
        "the national rows only: {visible:?}"
    );
    assert!(visible.rates.iter().all(|r| r.platform_id.is_empty()));
    let all = c
        .list_rates(as_(&Role::Operator, pb::ListRatesRequest::default()))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(all.rates.len(), 4);
    denied(
        c.list_rates(as_(&worker, pb::ListRatesRequest::default()))
            .await
            .map(|_| ()),
        "ListRates as a worker",
    );
    for role in [&me, &worker, &Role::Operator] {
        let batch = pb::ReportOrdersRequest {
            platform_id: b.to_string(),
            orders: vec![completed(
                "x",
                "b-rider",
                Industry::InstantDelivery,
                "310115",
                t,
            )],
        };
        denied(
            c.report_orders(as_(role, tokio_stream::iter(vec![batch])))
                .await
                .map(|_| ()),
            "ReportOrders for another platform",
        );
    }
    denied(
        c.get_order(as_(
            &me,
            pb::GetOrderRequest {
                platform_id: b.to_string(),
                order_id: "b-1".into(),
            },
        ))
        .await
        .map(|_| ()),
        "GetOrder",
    );
    // Asking under its own id for B's order id finds nothing.
    let own = c
        .get_order(as_(
            &me,
            pb::GetOrderRequest {
                platform_id: a.to_string(),
                order_id: "b-1".into(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(own.code(), Code::NotFound);
    denied(
        c.get_month_statement(as_(
            &me,
            pb::GetMonthStatementRequest {
                platform_id: b.to_string(),
                month: month.to_string(),
            },
        ))
        .await
        .map(|_| ()),
        "GetMonthStatement",
    );
    denied(
        c.close_month(as_(
            &me,
            pb::CloseMonthRequest {
                request_id: "c".into(),
                month: month.to_string(),
            },
        ))
        .await
        .map(|_| ()),
        "CloseMonth",
    );
    denied(
        c.list_declarations(as_(
            &me,
            pb::ListDeclarationsRequest {
                platform_id: b.to_string(),
                ..Default::default()
            },
        ))
        .await
        .map(|_| ()),
        "ListDeclarations",
    );
    denied(
        c.record_payment(as_(
            &me,
            pb::RecordPaymentRequest {
                platform_id: a.to_string(),
                reference: "p".into(),
                amount_fen: 1,
                received_at: None,
            },
        ))
        .await
        .map(|_| ()),
        "RecordPayment",
    );
    denied(
        c.get_account(as_(
            &me,
            pb::GetAccountRequest {
                platform_id: b.to_string(),
            },
        ))
        .await
        .map(|_| ()),
        "GetAccount",
    );
    for role in [&me, &worker] {
        denied(
            c.verify_work_activity(as_(
                role,
                pb::VerifyWorkActivityRequest {
                    person_id: b_person.to_string(),
                    at: ts(t),
                    margin: None,
                },
            ))
            .await
            .map(|_| ()),
            "VerifyWorkActivity",
        );
    }
    // No token at all.
    let anonymous = c
        .get_account(tonic::Request::new(pb::GetAccountRequest {
            platform_id: a.to_string(),
        }))
        .await
        .unwrap_err();
    assert_eq!(anonymous.code(), Code::Unauthenticated);
    app.stop().await;
}
