//! The premium side of the month: a platform that joined before the last ended
//! Asia/Shanghai month (an operator dates its start and imports its rider), its orders of that
//! month, the operator closing the month into declarations, the platform paying the declared
//! amount and its account settled. The two platforms registered today owe nothing for the
//! month, and premium refuses their orders from before they joined.

use chrono::{DateTime, Duration, SubsecRound, Utc};
use gigshield_kit::Role;
use gigshield_kit::wire::timestamp;
use gigshield_proto::common::Industry;
use gigshield_proto::enrollment as enr;
use gigshield_proto::premium as pb;
use gigshield_scheme::calendar::{CalendarMonth, shanghai_date};
use tonic::Code;
use uuid::Uuid;

use crate::stack::{as_, until_ok};
use crate::story::{CATCH_UP, World, credit, register_platform};

/// The veteran platform's orders in the ended month: (order id, minutes after the rider's
/// first day began, minutes to pickup, minutes to the end, cancelled instead of completed).
const MONTH_ORDERS: [(&str, i64, Option<i64>, i64, bool); 5] = [
    ("v-1", 60, Some(5), 30, false),
    ("v-2", 600, Some(8), 45, false),
    ("v-3", 1_500, Some(4), 25, false),
    // Cancelled before pickup and after it: whether each costs a fee is premium's billable
    // rule; the declaration must agree with what premium says of each order.
    ("v-4", 2_000, None, 3, true),
    ("v-5", 2_900, Some(6), 20, true),
];

pub async fn close_month_and_pay(world: &World) {
    let mut premium = world.prem.clone();
    let now = Utc::now();
    let current = CalendarMonth::of(now);
    let last = current.previous().expect("a month before this one");
    let joined = last.starts_at() - Duration::days(1);

    // A platform joining with history: the operator dates its start and its rider's
    // membership to the day before the ended month began.
    let mut enroll = world.enroll.clone();
    let veteran = register_platform(
        &mut enroll,
        credit(world.run + 2),
        Industry::InstantDelivery,
        Some(joined),
    )
    .await;
    import_rider(world, veteran, joined).await;
    let mut expected_total = 0;
    let mut billable_orders = 0;
    let first_day = last.starts_at() + Duration::days(2);
    let reports: Vec<pb::OrderReport> = MONTH_ORDERS
        .iter()
        .map(|&(id, start, pickup, end, cancelled)| {
            month_order(
                id,
                first_day + Duration::minutes(start),
                pickup,
                end,
                cancelled,
            )
        })
        .collect();
    let accepted = report_when_replicated(world, veteran, reports).await;
    assert_eq!(
        accepted,
        (MONTH_ORDERS.len() as i64, 0),
        "accepted, rejected"
    );
    for (id, ..) in MONTH_ORDERS {
        let order = premium
            .get_order(as_(
                &Role::Platform {
                    platform_id: veteran,
                },
                pb::GetOrderRequest {
                    platform_id: veteran.to_string(),
                    order_id: id.into(),
                },
            ))
            .await
            .expect("the platform reads its order")
            .into_inner()
            .order
            .expect("order");
        assert_eq!(order.billing_month, last.to_string(), "{id}");
        assert!(order.fen_per_order > 0, "{id}: a rate was in force");
        if order.billable {
            expected_total += order.fen_per_order;
            billable_orders += 1;
        }
    }
    assert!(
        (3..MONTH_ORDERS.len() as i64).contains(&billable_orders),
        "completed orders bill, one cancelled before pickup does not: {billable_orders}"
    );

    let close = |key: &str, month: CalendarMonth| {
        let mut premium = world.prem.clone();
        let request = pb::CloseMonthRequest {
            request_id: world.request_id(key),
            month: month.to_string(),
        };
        async move {
            premium
                .close_month(as_(&Role::national_operator(), request))
                .await
                .map(|r| r.into_inner())
        }
    };
    let early = close("close-current", current)
        .await
        .expect_err("the current month has not ended");
    assert_eq!(early.code(), Code::FailedPrecondition, "{early:?}");
    let closed = close("close-last", last)
        .await
        .expect("the last month closes");
    assert_eq!(closed.month, last.to_string());
    // The platforms registered today had no scope in the month: they declare nothing.
    let today_joined = [world.delivery.to_string(), world.rides.to_string()];
    assert!(
        closed
            .declarations
            .iter()
            .all(|d| !today_joined.contains(&d.platform_id)),
        "{:?}",
        closed.declarations
    );
    // One declaration per registered province, a nil one where nothing was ordered.
    let declared: Vec<&pb::Declaration> = closed
        .declarations
        .iter()
        .filter(|d| d.platform_id == veteran.to_string())
        .collect();
    let mut provinces: Vec<(&str, i64)> = declared
        .iter()
        .map(|d| (d.province_code.as_str(), d.total_fen))
        .collect();
    provinces.sort();
    assert_eq!(provinces, vec![("110000", expected_total), ("310000", 0)]);
    let declaration = declared
        .iter()
        .find(|d| d.province_code == "110000")
        .map(|d| (*d).clone())
        .expect("Beijing's declaration");
    assert_eq!(declaration.month, last.to_string());
    assert_eq!(
        declaration.total_fen, expected_total,
        "Σ fees of the billable orders"
    );
    assert_eq!(
        declaration
            .lines
            .iter()
            .map(|l| (l.order_count, l.amount_fen))
            .fold((0, 0), |(n, a), (ln, la)| (n + ln, a + la)),
        (billable_orders, expected_total)
    );
    let twice = close("close-last-again", last)
        .await
        .expect_err("a month closes once");
    assert_eq!(twice.code(), Code::FailedPrecondition, "{twice:?}");
    orders_before_the_platform_joined_are_refused(world, last).await;

    let platform = Role::Platform {
        platform_id: veteran,
    };
    let listed = premium
        .list_declarations(as_(
            &platform,
            pb::ListDeclarationsRequest {
                platform_id: veteran.to_string(),
                month: last.to_string(),
                page: None,
            },
        ))
        .await
        .expect("the platform lists its declarations")
        .into_inner()
        .declarations;
    let beijing: Vec<&pb::Declaration> = listed
        .iter()
        .filter(|d| d.province_code == "110000")
        .collect();
    assert_eq!(listed.len(), 2, "{listed:?}");
    assert_eq!(beijing[0].declaration_id, declaration.declaration_id);
    assert_eq!(
        (beijing[0].paid_fen, beijing[0].outstanding_fen),
        (0, expected_total)
    );

    // The tax authority's collection of the declared amount settles it.
    let received_at = now.trunc_subsecs(6);
    let payment = |amount_fen: i64| pb::RecordPaymentRequest {
        platform_id: veteran.to_string(),
        reference: format!("E2E-{}", world.run),
        amount_fen,
        received_at: Some(timestamp(received_at)),
    };
    let paid = premium
        .record_payment(as_(&Role::national_operator(), payment(expected_total)))
        .await
        .expect("payment recorded")
        .into_inner();
    let recorded = paid.payment.clone().expect("payment");
    assert_eq!(recorded.amount_fen, expected_total);
    assert_eq!(
        recorded
            .allocations
            .iter()
            .map(|a| (a.declaration_id.clone(), a.amount_fen))
            .collect::<Vec<_>>(),
        vec![(declaration.declaration_id.clone(), expected_total)]
    );
    let account = paid.account.clone().expect("account");
    assert_eq!((account.outstanding_fen, account.credit_fen), (0, 0));
    assert!(!account.in_arrears && account.overdue.is_empty());
    let replay = premium
        .record_payment(as_(&Role::national_operator(), payment(expected_total)))
        .await
        .expect("the same payment again")
        .into_inner();
    assert_eq!(replay.payment, paid.payment, "recorded once");
    let conflict = premium
        .record_payment(as_(&Role::national_operator(), payment(expected_total + 1)))
        .await
        .expect_err("the same reference with another amount");
    assert_eq!(conflict.code(), Code::AlreadyExists, "{conflict:?}");

    let before = shanghai_date(Utc::now());
    let account = premium
        .get_account(as_(
            &platform,
            pb::GetAccountRequest {
                platform_id: veteran.to_string(),
            },
        ))
        .await
        .expect("the platform reads its account")
        .into_inner()
        .account
        .expect("account");
    assert_eq!(
        (
            account.outstanding_fen,
            account.credit_fen,
            account.in_arrears
        ),
        (0, 0, false)
    );
    let after = shanghai_date(Utc::now());
    assert!(
        [before, after]
            .iter()
            .any(|day| account.as_of == day.format("%Y-%m-%d").to_string()),
        "as of today: {}",
        account.as_of
    );
}

/// The veteran platform's rider, imported by the operator with the platform's start.
async fn import_rider(world: &World, platform_id: Uuid, joined: DateTime<Utc>) {
    world
        .enroll
        .clone()
        .register_worker(as_(
            &Role::national_operator(),
            enr::RegisterWorkerRequest {
                request_id: world.request_id("veteran-rider"),
                platform_id: platform_id.to_string(),
                registration: Some(enr::WorkerRegistration {
                    external_worker_id: "rider-veteran".into(),
                    real_name: "孙八".into(),
                    resident_id: crate::story::resident(15),
                    mobile: crate::personal_data::MOBILE.into(),
                    region_code: "110105".into(),
                    registered_at: Some(timestamp(joined)),
                }),
            },
        ))
        .await
        .expect("an operator imports the platform's rider");
}

fn month_order(
    id: &str,
    accepted_at: DateTime<Utc>,
    pickup_after: Option<i64>,
    end_after: i64,
    cancelled: bool,
) -> pb::OrderReport {
    let end = Some(timestamp(accepted_at + Duration::minutes(end_after)));
    pb::OrderReport {
        order_id: id.into(),
        external_worker_id: "rider-veteran".into(),
        industry: Industry::InstantDelivery as i32,
        region_code: "110105".into(),
        accepted_at: Some(timestamp(accepted_at)),
        picked_up_at: pickup_after.map(|m| timestamp(accepted_at + Duration::minutes(m))),
        completed_at: if cancelled { None } else { end },
        cancelled_at: if cancelled { end } else { None },
    }
}

/// Reports `orders` once premium's replica knows the platform and its rider; returns
/// (accepted, rejected).
async fn report_when_replicated(
    world: &World,
    platform_id: Uuid,
    orders: Vec<pb::OrderReport>,
) -> (i64, i64) {
    until_ok(CATCH_UP, || {
        let mut premium = world.prem.clone();
        let batch = pb::ReportOrdersRequest {
            platform_id: platform_id.to_string(),
            orders: orders.clone(),
        };
        async move {
            let answer = premium
                .report_orders(as_(
                    &Role::Platform { platform_id },
                    tokio_stream::iter(vec![batch]),
                ))
                .await?
                .into_inner();
            if answer.rejected_count > 0 {
                let reasons: Vec<String> = answer
                    .results
                    .iter()
                    .flat_map(|r| {
                        r.errors
                            .iter()
                            .map(|e| format!("{}: {}", e.field, e.description))
                    })
                    .collect();
                return Err(tonic::Status::unavailable(format!(
                    "not replicated yet? {reasons:?}"
                )));
            }
            // A retry after a lost answer finds them stored: unchanged counts as accepted.
            Ok((
                answer.accepted_count + answer.unchanged_count,
                answer.rejected_count,
            ))
        }
    })
    .await
    .expect("premium accepts the month's orders once it knows the platform and rider")
}

/// A platform registered today, with a worker whose membership an operator dated into the
/// ended month: premium refuses the worker's order of that month as outside any industry and
/// province the platform was registered for then — and only for that reason.
async fn orders_before_the_platform_joined_are_refused(world: &World, last: CalendarMonth) {
    let registered_at = last.starts_at() + Duration::days(1);
    world
        .enroll
        .clone()
        .register_worker(as_(
            &Role::national_operator(),
            enr::RegisterWorkerRequest {
                request_id: world.request_id("veteran"),
                platform_id: world.delivery.to_string(),
                registration: Some(enr::WorkerRegistration {
                    external_worker_id: "rider-veteran".into(),
                    real_name: "钱七".into(),
                    resident_id: crate::story::resident(14),
                    mobile: crate::personal_data::MOBILE.into(),
                    region_code: "110105".into(),
                    registered_at: Some(timestamp(registered_at)),
                }),
            },
        ))
        .await
        .expect("an operator imports a worker with an earlier membership start");
    let accepted_at = registered_at + Duration::days(1);
    let order = pb::OrderReport {
        order_id: "d-last-month".into(),
        external_worker_id: "rider-veteran".into(),
        industry: Industry::InstantDelivery as i32,
        region_code: "110105".into(),
        accepted_at: Some(timestamp(accepted_at)),
        picked_up_at: Some(timestamp(accepted_at + Duration::minutes(5))),
        completed_at: Some(timestamp(accepted_at + Duration::minutes(30))),
        cancelled_at: None,
    };
    let platform_id = world.delivery;
    // Once premium knows the membership, what remains is the platform's scope.
    let fields = until_ok(CATCH_UP, || {
        let mut premium = world.prem.clone();
        let batch = pb::ReportOrdersRequest {
            platform_id: platform_id.to_string(),
            orders: vec![order.clone()],
        };
        async move {
            let answer = premium
                .report_orders(as_(
                    &Role::Platform { platform_id },
                    tokio_stream::iter(vec![batch]),
                ))
                .await?
                .into_inner();
            let mut fields: Vec<String> = answer
                .results
                .iter()
                .flat_map(|r| r.errors.iter().map(|e| e.field.clone()))
                .collect();
            fields.sort();
            if fields.iter().any(|f| f == "external_worker_id") {
                return Err(tonic::Status::unavailable("membership not replicated yet"));
            }
            Ok((answer.rejected_count, fields))
        }
    })
    .await
    .expect("premium learns of the imported membership");
    assert_eq!(fields, (1, vec!["industry".into(), "region_code".into()]));
}
