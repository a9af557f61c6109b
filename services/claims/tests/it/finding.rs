//! Finding claims and following their money: each party lists only what is theirs, regulators
//! get counts with small cells suppressed, and a returned payout is re-instructed once, to a
//! corrected account.

use chrono::TimeDelta;
use gigshield_claims::store::entities::{claim, payout_ledger};
use gigshield_kit::Role;
use gigshield_kit::sea_orm::sea_query::Expr;
use gigshield_kit::sea_orm::{ColumnTrait, EntityTrait, QueryFilter};
use gigshield_proto::claims as pb;
use gigshield_scheme::calendar::CalendarMonth;
use uuid::Uuid;

use crate::support::*;

async fn list(app: &mut TestApp, role: &Role, req: pb::ListClaimsRequest) -> Vec<String> {
    app.client
        .list_claims(as_(role, req))
        .await
        .unwrap()
        .into_inner()
        .claims
        .into_iter()
        .map(|c| c.claim_id)
        .collect()
}

/// Another registered worker of the world's platform.
async fn colleague(app: &TestApp, world: &World, n: u32) -> World {
    let person = Uuid::now_v7();
    let external = format!("rider-{}", n + 1);
    app.member(person, world.platform, &external).await;
    World {
        platform: world.platform,
        person,
        external,
    }
}

#[tokio::test]
async fn each_party_lists_its_own_claims_and_regulators_get_counts() {
    let mut app = TestApp::spawn().await;
    let world = app.world().await;
    let other = colleague(&app, &world, 1).await;
    let stranger = app.world().await;
    let first = app.file(&application(&world, hours_ago(30))).await;
    let second = app.file(&application(&world, hours_ago(60))).await;
    let theirs = app.file(&application(&other, hours_ago(40))).await;
    let strangers = app.file(&application(&stranger, hours_ago(20))).await;

    // A worker: their own, newest first; one incident finds its claim.
    let own = list(&mut app, &world.worker(), Default::default()).await;
    assert_eq!(own, vec![second.claim_id.clone(), first.claim_id.clone()]);
    let by_incident = list(
        &mut app,
        &world.worker(),
        pb::ListClaimsRequest {
            incident_id: first.incident_id.clone(),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(by_incident, vec![first.claim_id.clone()]);
    // Another person's incident is simply not among theirs.
    let foreign_incident = list(
        &mut app,
        &world.worker(),
        pb::ListClaimsRequest {
            incident_id: theirs.incident_id.clone(),
            ..Default::default()
        },
    )
    .await;
    assert!(foreign_incident.is_empty());
    // Naming another person is refused before anything is read.
    let refused = app
        .client
        .list_claims(as_(
            &world.worker(),
            pb::ListClaimsRequest {
                person_id: other.person.to_string(),
                ..Default::default()
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), tonic::Code::PermissionDenied);
    // A delegate of the person lists the person's claims by naming them.
    let delegate = Uuid::now_v7();
    app.delegate(world.person, delegate).await;
    let for_grantor = list(
        &mut app,
        &Role::Worker {
            person_id: delegate,
        },
        pb::ListClaimsRequest {
            person_id: world.person.to_string(),
            ..Default::default()
        },
    )
    .await;
    assert_eq!(for_grantor.len(), 2);

    // A platform: the claims it is liable for, never another platform's.
    let platform = list(&mut app, &world.platform_role(), Default::default()).await;
    assert_eq!(platform.len(), 3);
    assert!(!platform.contains(&strangers.claim_id));
    // Paged: two pages of two and one, no repeats.
    let page = app
        .client
        .list_claims(as_(
            &world.platform_role(),
            pb::ListClaimsRequest {
                page: Some(gigshield_proto::common::PageRequest {
                    page_size: 2,
                    page_token: String::new(),
                }),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(page.claims.len(), 2);
    let rest = app
        .client
        .list_claims(as_(
            &world.platform_role(),
            pb::ListClaimsRequest {
                page: Some(gigshield_proto::common::PageRequest {
                    page_size: 2,
                    page_token: page.page.unwrap().next_page_token,
                }),
                ..Default::default()
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(rest.claims.len(), 1);
    assert!(
        page.claims
            .iter()
            .all(|c| c.claim_id != rest.claims[0].claim_id)
    );

    // A regulator reads no claim at all, only counts.
    let regulator = Role::Regulator {
        jurisdiction: gigshield_kit::Jurisdiction::parse("11").unwrap(),
    };
    let denied = app
        .client
        .list_claims(as_(&regulator, Default::default()))
        .await
        .unwrap_err();
    assert_eq!(denied.code(), tonic::Code::PermissionDenied);
    let month = CalendarMonth::of(chrono::Utc::now()).to_string();
    let stats = |role: &Role| {
        as_(
            role,
            pb::GetClaimStatisticsRequest {
                from_month: month.clone(),
                through_month: month.clone(),
            },
        )
    };
    let answer = app
        .client
        .get_claim_statistics(stats(&regulator))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(answer.min_persons, i64::from(STATS_MIN_PERSONS));
    let cell = |platform: Uuid| {
        answer
            .cells
            .iter()
            .find(|c| c.platform_id == platform.to_string())
            .unwrap_or_else(|| panic!("no cell for {platform}: {:?}", answer.cells))
            .clone()
    };
    // Two persons, three claims, all waiting for a human (no orders were reported).
    let shared = cell(world.platform);
    assert!(!shared.suppressed);
    assert_eq!((shared.claims, shared.persons), (3, 2));
    assert_eq!(shared.awaiting_decision, 3);
    assert_eq!(shared.province_code, "110000");
    // One person: the cell is there, its figures are not.
    let alone = cell(stranger.platform);
    assert!(alone.suppressed);
    assert_eq!((alone.claims, alone.persons), (0, 0));
    // Another province's regulator sees nothing of Beijing.
    let elsewhere = Role::Regulator {
        jurisdiction: gigshield_kit::Jurisdiction::parse("44").unwrap(),
    };
    let none = app
        .client
        .get_claim_statistics(stats(&elsewhere))
        .await
        .unwrap()
        .into_inner();
    assert!(none.cells.is_empty(), "{:?}", none.cells);
    let too_long = app
        .client
        .get_claim_statistics(as_(
            &regulator,
            pb::GetClaimStatisticsRequest {
                from_month: "2024-01".into(),
                through_month: "2026-12".into(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(too_long.code(), tonic::Code::InvalidArgument);
    assert!(too_long.message().contains("through_month"));
    app.stop().await;
}

async fn record(
    app: &mut TestApp,
    claim_id: &str,
    payout_key: &str,
    outcome: pb::PayoutState,
    reason: pb::PayoutReturnReason,
) -> Result<pb::Payout, tonic::Status> {
    app.client
        .record_payout_outcome(as_(
            &app.insurer_role(),
            pb::RecordPayoutOutcomeRequest {
                request_id: Uuid::now_v7().to_string(),
                claim_id: claim_id.into(),
                payout_key: payout_key.into(),
                outcome: outcome as i32,
                return_reason: reason as i32,
            },
        ))
        .await
        .map(|r| r.into_inner().payout.unwrap())
}

async fn set_account(app: &mut TestApp, world: &World, account: &str) {
    app.client
        .set_beneficiary_account(as_(
            &world.worker(),
            pb::SetBeneficiaryAccountRequest {
                request_id: Uuid::now_v7().to_string(),
                person_id: world.person.to_string(),
                account_reference: account.into(),
            },
        ))
        .await
        .unwrap();
}

/// Assesses a medical bill only (one payout, no figure needed), registers the worker's account
/// and issues the payout this month; returns what was issued.
async fn pay_a_bill(app: &mut TestApp, world: &World, id: &str, fen: i64) -> Vec<pb::Payout> {
    let this_month = CalendarMonth::of(chrono::Utc::now()).to_string();
    app.client
        .assess_benefits(as_(
            &Role::national_adjuster(),
            pb::AssessBenefitsRequest {
                request_id: Uuid::now_v7().to_string(),
                claim_id: id.into(),
                approved_bills: vec![pb::ApprovedBill {
                    kind: pb::BillKind::MedicalAndRehabilitation as i32,
                    amount_fen: fen,
                }],
                start_month: this_month.clone(),
                monthly_instalments: 1,
                ..Default::default()
            },
        ))
        .await
        .unwrap();
    set_account(app, world, "6222020200112233445").await;
    app.client
        .issue_payouts(as_(
            &app.insurer_role(),
            pb::IssuePayoutsRequest {
                request_id: Uuid::now_v7().to_string(),
                claim_id: id.into(),
                through_month: this_month,
                account_reference: String::new(),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .issued
}

#[tokio::test]
async fn a_returned_payout_is_reinstructed_once_to_a_corrected_account() {
    use pb::PayoutReturnReason as Reason;
    use pb::PayoutState as State;
    let mut app = TestApp::spawn().await;
    let world = app.world().await;
    let at = hours_ago(6);
    app.order(&world, "order-1", "110105", at - TimeDelta::minutes(30))
        .await;
    let id = app.file(&application(&world, at)).await.claim_id;
    let issued = pay_a_bill(&mut app, &world, &id, 480_000).await;
    assert_eq!(issued.len(), 1);
    let key = issued[0].idempotency_key.clone();
    assert_eq!(issued[0].state, State::Instructed as i32);

    // Bad input names its field; an unknown payout is not found.
    let no_reason = record(&mut app, &id, &key, State::Returned, Reason::Unspecified)
        .await
        .unwrap_err();
    assert_eq!(no_reason.code(), tonic::Code::InvalidArgument);
    assert!(no_reason.message().contains("return_reason"));
    let unknown = record(&mut app, &id, "nope", State::Sent, Reason::Unspecified)
        .await
        .unwrap_err();
    assert_eq!(unknown.code(), tonic::Code::NotFound);

    let sent = record(&mut app, &id, &key, State::Sent, Reason::Unspecified)
        .await
        .unwrap();
    assert_eq!(sent.state, State::Sent as i32);
    let returned = record(&mut app, &id, &key, State::Returned, Reason::AccountClosed)
        .await
        .unwrap();
    assert_eq!(
        (returned.state, returned.return_reason),
        (State::Returned as i32, Reason::AccountClosed as i32)
    );

    let reinstruct = |request_id: &str| pb::ReinstructPayoutRequest {
        request_id: request_id.into(),
        claim_id: id.clone(),
        payout_key: key.clone(),
    };
    // The registered account is still the closed one: nothing is sent again.
    let same = app
        .client
        .reinstruct_payout(as_(&app.insurer_role(), reinstruct("again-0")))
        .await
        .unwrap_err();
    assert_eq!(same.code(), tonic::Code::FailedPrecondition);
    set_account(&mut app, &world, "6217000010009876543").await;
    let again = app
        .client
        .reinstruct_payout(as_(&app.insurer_role(), reinstruct("again-1")))
        .await
        .unwrap()
        .into_inner()
        .payout
        .unwrap();
    assert_eq!(again.state, State::Instructed as i32);
    assert_eq!(again.attempt, 2);
    assert_eq!(again.account_masked, "6217***********6543");
    // The same request answers the same; another one finds nothing returned.
    let replay = app
        .client
        .reinstruct_payout(as_(&app.insurer_role(), reinstruct("again-1")))
        .await
        .unwrap()
        .into_inner()
        .payout
        .unwrap();
    assert_eq!(replay, again);
    let twice = app
        .client
        .reinstruct_payout(as_(&app.insurer_role(), reinstruct("again-2")))
        .await
        .unwrap_err();
    assert_eq!(twice.code(), tonic::Code::FailedPrecondition);

    let paid = record(&mut app, &id, &key, State::Paid, Reason::Unspecified)
        .await
        .unwrap();
    assert_eq!((paid.state, paid.attempt), (State::Paid as i32, 2));
    let final_ = record(&mut app, &id, &key, State::Returned, Reason::Other)
        .await
        .unwrap_err();
    assert_eq!(final_.code(), tonic::Code::FailedPrecondition);

    // SENT, RETURNED, INSTRUCTED, PAID: one event each; the claim shows where it ended.
    assert_eq!(app.outbox_count("PayoutStateChanged").await, 4);
    assert_eq!(app.count("SELECT COUNT(*) FROM payout_step").await, 4);
    assert_eq!(app.count("SELECT COUNT(*) FROM payout_ledger").await, 1);
    let claim = app.get(&world.worker(), &id).await.unwrap();
    let shown = claim
        .payouts
        .iter()
        .find(|p| p.idempotency_key == key)
        .unwrap();
    assert_eq!((shown.state, shown.attempt), (State::Paid as i32, 2));
    assert!(
        claim
            .history
            .iter()
            .any(|h| h.action == "PAYOUT_RETURNED" && h.detail.contains("ACCOUNT_CLOSED"))
    );
    // A platform records nothing about the fund's payments.
    let platform = app
        .client
        .record_payout_outcome(as_(
            &world.platform_role(),
            pb::RecordPayoutOutcomeRequest {
                request_id: Uuid::now_v7().to_string(),
                claim_id: id.clone(),
                payout_key: key.clone(),
                outcome: State::Sent as i32,
                return_reason: 0,
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(platform.code(), tonic::Code::PermissionDenied);
    app.stop().await;
}

#[tokio::test]
async fn regulators_see_the_days_from_filing_to_payment() {
    let mut app = TestApp::spawn().await;
    let world = app.world().await;
    let other = colleague(&app, &world, 1).await;
    // Filed on the 4th and the 10th of last month (noon), paid now.
    let month = CalendarMonth::of(chrono::Utc::now()).previous().unwrap();
    let mut filed = Vec::new();
    for (n, (w, day)) in [(&world, 3), (&other, 9)].into_iter().enumerate() {
        let at = hours_ago(6);
        app.order(
            w,
            &format!("order-{n}"),
            "110105",
            at - TimeDelta::minutes(30),
        )
        .await;
        let id = app.file(&application(w, at)).await.claim_id;
        let filed_at = month.starts_at() + TimeDelta::days(day) + TimeDelta::hours(12);
        let claim_id = Uuid::parse_str(&id).unwrap();
        claim::Entity::update_many()
            .col_expr(claim::Column::FiledAt, Expr::value(filed_at))
            .filter(claim::Column::Id.eq(claim_id))
            .exec(&app.conn)
            .await
            .unwrap();
        pay_a_bill(&mut app, w, &id, 100_000).await;
        let paid_at = payout_ledger::Entity::find()
            .filter(payout_ledger::Column::ClaimId.eq(claim_id))
            .all(&app.conn)
            .await
            .unwrap()
            .into_iter()
            .filter_map(|payout| payout.approved_at)
            .min()
            .expect("the bill was paid");
        filed.push((paid_at - filed_at).num_days());
    }
    let answer = app
        .client
        .get_claim_statistics(as_(
            &Role::Regulator {
                jurisdiction: gigshield_kit::Jurisdiction::National,
            },
            pb::GetClaimStatisticsRequest {
                from_month: month.to_string(),
                through_month: month.to_string(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    let cell = answer
        .cells
        .iter()
        .find(|c| c.platform_id == world.platform.to_string())
        .unwrap_or_else(|| panic!("{:?}", answer.cells));
    assert!(!cell.suppressed);
    assert_eq!(cell.claims, 2);
    // Nearest rank over two: the median is the shorter wait, the 90th percentile the longer.
    filed.sort_unstable();
    assert_eq!(
        (cell.payment_days_median, cell.payment_days_p90),
        (filed[0], filed[1])
    );
    assert!(filed[0] >= 1 && filed[0] < filed[1]);
    app.stop().await;
}

#[tokio::test]
async fn an_overpayment_comes_back_once_as_a_negative_line() {
    let mut app = TestApp::spawn().await;
    let world = app.world().await;
    let at = hours_ago(6);
    app.order(&world, "order-1", "110105", at - TimeDelta::minutes(30))
        .await;
    let id = app.file(&application(&world, at)).await.claim_id;
    let issued = pay_a_bill(&mut app, &world, &id, 480_000).await;
    assert_eq!(issued.len(), 1);
    let handler = app.insurer_role();
    let recover = |reference: &str, kind: &str, fen: i64| pb::RecordRecoveryRequest {
        request_id: Uuid::now_v7().to_string(),
        claim_id: id.clone(),
        reference: reference.into(),
        kind: kind.into(),
        amount_fen: fen,
        reason: pb::RecoveryReason::DuplicatePayment as i32,
    };
    let mut call = async |req: pb::RecordRecoveryRequest| {
        app.client
            .record_recovery(as_(&handler, req))
            .await
            .map(|r| r.into_inner())
    };
    const BILL: &str = "medical_and_rehabilitation";

    // Bad input names its field; nothing is written.
    for (req, field) in [
        (recover("x", BILL, 1), "reference"),
        (recover("RC-20261201-01", BILL, 0), "amount_fen"),
        (
            pb::RecordRecoveryRequest {
                reason: 0,
                ..recover("RC-20261201-01", BILL, 1)
            },
            "reason",
        ),
    ] {
        let bad = call(req).await.unwrap_err();
        assert_eq!(bad.code(), tonic::Code::InvalidArgument, "{field}");
        assert!(bad.message().contains(field), "{}", bad.message());
    }
    // Nothing of a death grant was paid; no more than the bill comes back.
    let unpaid = call(recover("RC-20261201-01", "death_grant", 1))
        .await
        .unwrap_err();
    assert_eq!(unpaid.code(), tonic::Code::FailedPrecondition);
    let too_much = call(recover("RC-20261201-01", BILL, 480_001))
        .await
        .unwrap_err();
    assert_eq!(too_much.code(), tonic::Code::FailedPrecondition);

    let first = call(recover("RC-20261201-01", BILL, 100_000))
        .await
        .unwrap();
    let line = first.recovery.unwrap();
    assert_eq!(
        (line.amount_fen, line.period.as_str()),
        (-100_000, "recovery")
    );
    // The same reference told again: the same line; with another amount: refused.
    let again = call(recover("RC-20261201-01", BILL, 100_000))
        .await
        .unwrap();
    assert_eq!(again.recovery.unwrap(), line);
    let changed = call(recover("RC-20261201-01", BILL, 90_000))
        .await
        .unwrap_err();
    assert_eq!(changed.code(), tonic::Code::AlreadyExists);
    // What is left: 380,000 fen, not a fen more.
    let beyond = call(recover("RC-20261201-02", BILL, 380_001))
        .await
        .unwrap_err();
    assert_eq!(beyond.code(), tonic::Code::FailedPrecondition);
    let rest = call(recover("RC-20261201-02", BILL, 380_000))
        .await
        .unwrap();
    let payouts = rest.claim.unwrap().payouts;
    assert_eq!(
        payouts.iter().map(|p| p.amount_fen).sum::<i64>(),
        0,
        "{payouts:?}"
    );
    assert_eq!(
        app.outbox_count("PayoutIssued").await,
        3,
        "the bill and two recoveries"
    );

    // A recovery has no bank outcome.
    let no_outcome = record(
        &mut app,
        &id,
        &line.idempotency_key,
        pb::PayoutState::Sent,
        pb::PayoutReturnReason::Unspecified,
    )
    .await
    .unwrap_err();
    assert_eq!(no_outcome.code(), tonic::Code::FailedPrecondition);
    app.stop().await;
}

#[tokio::test]
async fn a_payout_the_bank_returned_cannot_be_recovered() {
    use pb::PayoutReturnReason as Reason;
    use pb::PayoutState as State;
    let mut app = TestApp::spawn().await;
    let world = app.world().await;
    let at = hours_ago(6);
    app.order(&world, "order-1", "110105", at - TimeDelta::minutes(30))
        .await;
    let id = app.file(&application(&world, at)).await.claim_id;
    let issued = pay_a_bill(&mut app, &world, &id, 480_000).await;
    let key = issued[0].idempotency_key.clone();
    record(&mut app, &id, &key, State::Sent, Reason::Unspecified)
        .await
        .unwrap();
    record(&mut app, &id, &key, State::Returned, Reason::AccountClosed)
        .await
        .unwrap();
    let refused = app
        .client
        .record_recovery(as_(
            &app.insurer_role(),
            pb::RecordRecoveryRequest {
                request_id: Uuid::now_v7().to_string(),
                claim_id: id.clone(),
                reference: "RC-20261201-09".into(),
                kind: "medical_and_rehabilitation".into(),
                amount_fen: 1,
                reason: pb::RecoveryReason::DuplicatePayment as i32,
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), tonic::Code::FailedPrecondition);
    assert!(
        refused.message().contains("nothing"),
        "{}",
        refused.message()
    );
    app.stop().await;
}
