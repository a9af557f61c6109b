//! Payments: allocated oldest declaration first, idempotent by reference; arrears and the
//! 0.05 %/day late fee computed independently here; arrears never take cover away.

use chrono::{Duration, NaiveDate, Utc};
use gigshield_kit::Role;
use gigshield_kit::testing::Backend;
use gigshield_proto::common::Industry;
use gigshield_proto::premium as pb;
use gigshield_scheme::calendar::{CalendarMonth, shanghai_date};
use tonic::Code;

use crate::support::*;

/// The 15th of the month after `month`.
fn due(month: CalendarMonth) -> NaiveDate {
    let next = month.next().unwrap();
    NaiveDate::from_ymd_opt(next.year(), next.month(), 15).unwrap()
}

/// Late fee of an unpaid `total` due on `due`, charged for each day after it through `today`
/// at 500 ppm of the amount outstanding, rounded half up once.
fn late_fee(total: i64, due: NaiveDate, today: NaiveDate) -> i64 {
    let days = (today - due).num_days().max(0);
    (total * days * 500 + 500_000) / 1_000_000
}

fn pay(platform_id: uuid::Uuid, reference: &str, amount_fen: i64) -> pb::RecordPaymentRequest {
    pb::RecordPaymentRequest {
        platform_id: platform_id.to_string(),
        reference: reference.into(),
        amount_fen,
        received_at: None,
    }
}

#[tokio::test]
async fn payments_settle_oldest_first_with_arrears_late_fees_and_credit() {
    let mut app = TestApp::spawn(Backend::suite()).await;
    let p = app
        .platform(
            &[Industry::InstantDelivery, Industry::IntraCityFreight],
            &["310000"],
        )
        .await;
    app.worker(p, "rider").await;
    app.synced().await;
    let (month, next) = closed_months();
    let t = month.starts_at() + Duration::days(1);
    let n = next.starts_at() + Duration::days(1);
    let mut orders: Vec<_> = (0..200)
        .map(|i| {
            completed(
                &format!("m-{i}"),
                "rider",
                Industry::InstantDelivery,
                "310115",
                t + Duration::minutes(i * 50),
            )
        })
        .collect();
    orders.extend((0..50).map(|i| {
        completed(
            &format!("n-{i}"),
            "rider",
            Industry::IntraCityFreight,
            "310115",
            n + Duration::minutes(i * 50),
        )
    }));
    app.report(p, orders).await;
    let first = app.close(month).await.declarations.remove(0);
    let second = app.close(next).await.declarations.remove(0);
    assert_eq!((first.total_fen, second.total_fen), (1400, 900));
    assert_eq!(first.due_date, due(month).to_string());

    let today = shanghai_date(Utc::now());
    let fees = late_fee(1400, due(month), today) + late_fee(900, due(next), today);
    assert!(
        late_fee(1400, due(month), today) > 0,
        "two months back is always overdue"
    );
    let account = app
        .client
        .get_account(as_(
            &platform(p),
            pb::GetAccountRequest {
                platform_id: p.to_string(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .account
        .unwrap();
    assert_eq!(account.outstanding_fen, 2300);
    assert!(account.in_arrears);
    assert_eq!(account.late_fee_fen, fees);
    assert_eq!(account.overdue[0].declaration_id, first.declaration_id);

    // Partial: the oldest declaration first.
    let partial = app
        .client
        .record_payment(as_(&Role::national_operator(), pay(p, "TAX-1", 1000)))
        .await
        .unwrap()
        .into_inner();
    let allocations = &partial.payment.as_ref().unwrap().allocations;
    assert_eq!(allocations.len(), 1);
    assert_eq!(allocations[0].declaration_id, first.declaration_id);
    assert_eq!(allocations[0].amount_fen, 1000);
    let account = partial.account.unwrap();
    assert_eq!(account.outstanding_fen, 1300);
    assert!(
        account.in_arrears,
        "400 fen of the first declaration are still overdue"
    );
    // Paid today: today is still charged on the full amount.
    assert_eq!(account.late_fee_fen, fees);

    // Over-payment: the rest of both, and credit for the next declaration.
    let over = app
        .client
        .record_payment(as_(&Role::national_operator(), pay(p, "TAX-2", 2000)))
        .await
        .unwrap()
        .into_inner();
    let allocations: Vec<(String, i64)> = over
        .payment
        .as_ref()
        .unwrap()
        .allocations
        .iter()
        .map(|a| (a.declaration_id.clone(), a.amount_fen))
        .collect();
    assert_eq!(
        allocations,
        vec![
            (first.declaration_id.clone(), 400),
            (second.declaration_id.clone(), 900)
        ]
    );
    let account = over.account.clone().unwrap();
    assert_eq!(account.outstanding_fen, 0);
    assert_eq!(account.credit_fen, 700);
    assert!(!account.in_arrears);
    assert!(account.overdue.is_empty());
    assert_eq!(
        account.late_fee_fen, fees,
        "the fee stops growing once paid"
    );

    // The same collection again changes nothing; a different amount under its reference is refused.
    let replay = app
        .client
        .record_payment(as_(&Role::national_operator(), pay(p, "TAX-2", 2000)))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(replay, over);
    let clash = app
        .client
        .record_payment(as_(&Role::national_operator(), pay(p, "TAX-2", 2001)))
        .await
        .unwrap_err();
    assert_eq!(clash.code(), Code::AlreadyExists);
    let bad = app
        .client
        .record_payment(as_(&Role::national_operator(), pay(p, " ", 0)))
        .await
        .unwrap_err();
    assert_eq!(bad.code(), Code::InvalidArgument);
    assert_eq!(app.outbox_count("PaymentRecorded").await, 2);
    // At each close (the first declaration was already past due) and after the partial payment.
    assert_eq!(app.outbox_count("PlatformInArrears").await, 3);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM ledger_entry WHERE debit_account = 'tax_collections'")
            .await,
        2
    );

    let listed = app
        .client
        .list_declarations(as_(
            &platform(p),
            pb::ListDeclarationsRequest {
                platform_id: p.to_string(),
                month: String::new(),
                page: Some(gigshield_proto::common::PageRequest {
                    page_size: 1,
                    page_token: String::new(),
                }),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(listed.declarations.len(), 1);
    assert_eq!(listed.declarations[0].paid_fen, 1400);
    assert_eq!(listed.declarations[0].outstanding_fen, 0);
    assert!(!listed.page.unwrap().next_page_token.is_empty());
    app.stop().await;
}

#[tokio::test]
async fn a_platform_in_arrears_keeps_its_workers_covered() {
    let (mut app, p) = TestApp::with_one_rider("rider").await;
    let (month, _) = closed_months();
    app.report(
        p,
        vec![completed(
            "old",
            "rider",
            Industry::InstantDelivery,
            "310115",
            month.starts_at() + Duration::days(1),
        )],
    )
    .await;
    app.close(month).await;
    let account = app
        .client
        .get_account(as_(
            &Role::national_operator(),
            pb::GetAccountRequest {
                platform_id: p.to_string(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .account
        .unwrap();
    assert!(account.in_arrears);
    let now = Utc::now() - Duration::minutes(10);
    let response = app
        .report(
            p,
            vec![order(
                "today",
                "rider",
                Industry::InstantDelivery,
                "310115",
                now,
            )],
        )
        .await;
    assert_eq!(response.accepted_count, 1);
    assert_eq!(app.count("SELECT COUNT(*) FROM coverage_day").await, 2);
    app.stop().await;
}

/// A payment before any declaration is the platform's credit; the declaration issued at the
/// next close is paid from it at once, and its event says how much, for the fund's books.
#[tokio::test]
async fn credit_held_before_a_declaration_pays_it_when_issued() {
    use gigshield_kit::sea_orm::ConnectionTrait as _;
    use prost::Message as _;
    let (mut app, p) = TestApp::with_one_rider("rider").await;
    let (month, _) = closed_months();
    let t = month.starts_at() + Duration::days(1);
    let orders: Vec<_> = (0..100)
        .map(|i| {
            completed(
                &format!("c-{i}"),
                "rider",
                Industry::InstantDelivery,
                "310115",
                t + Duration::minutes(i * 30),
            )
        })
        .collect();
    app.report(p, orders).await;
    let early = app
        .client
        .record_payment(as_(&Role::national_operator(), pay(p, "TAX-EARLY", 500)))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(early.account.unwrap().credit_fen, 500);
    let closed = app.close(month).await;
    assert_eq!(closed.declarations.len(), 1);
    let declared = closed.declarations[0].total_fen;
    assert!(
        declared > 500,
        "100 orders cost more than the credit: {declared}"
    );

    let row = app
        .conn
        .query_one_raw(gigshield_kit::sea_orm::Statement::from_string(
            app.conn.get_database_backend(),
            "SELECT payload FROM outbox WHERE type = 'gigshield.events.v1.DeclarationIssued'",
        ))
        .await
        .unwrap()
        .unwrap();
    let payload: Vec<u8> = row.try_get("", "payload").unwrap();
    let event = gigshield_proto::events::DeclarationIssued::decode(payload.as_slice()).unwrap();
    assert_eq!(event.total_fen, declared);
    assert_eq!(event.paid_from_credit_fen, 500, "the credit, all of it");
    let account = app
        .client
        .get_account(as_(
            &Role::national_operator(),
            pb::GetAccountRequest {
                platform_id: p.to_string(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(account.account.as_ref().unwrap().credit_fen, 0);
    assert_eq!(account.account.unwrap().outstanding_fen, declared - 500);
    app.stop().await;
}
