//! An insurer's month: its records reconciled with the fund's (one missing and one extra on
//! each side), approval only once every mismatch is explained, the service fee booked once;
//! the benefit / fee ratio a platform reads of itself.

use chrono::Duration;
use gigshield_kit::Role;
use gigshield_proto::fund as pb;
use uuid::Uuid;

use crate::support::*;

fn settlement_of(insurer: Uuid, month: &str) -> pb::GetInsurerSettlementRequest {
    pb::GetInsurerSettlementRequest {
        insurer_id: insurer.to_string(),
        province_code: "440000".into(),
        month: month.into(),
    }
}

#[tokio::test]
async fn a_settlement_is_approved_once_every_mismatch_is_explained() {
    let mut app = TestApp::spawn().await;
    let month = last_month();
    let m = month.to_string();
    let at = month.starts_at() + Duration::days(3);
    let (insurer, platform) = (Uuid::now_v7(), Uuid::now_v7());
    let insurer_role = Role::Insurer {
        insurer_id: insurer,
    };
    let operator = Role::regional_operator("44");

    // Fees the platform paid in Guangdong, and three payouts for its workers.
    let (declaration, _) = app.declaration(platform, "440000", month, 2_000_000).await;
    app.payment(platform, 1_600_000, &[(declaration, 1_600_000)], at)
        .await;
    let mut keys = Vec::new();
    for (kind, amount) in [
        ("disability_subsidy", 300_000),
        ("medical_and_rehabilitation", 45_000),
        ("nursing_care", 20_000),
    ] {
        let claim = Uuid::now_v7();
        app.claim_opened(claim, "440000", platform, Some(insurer))
            .await;
        keys.push(app.payout(claim, kind, amount, at).await.0);
    }
    app.wait_count("SELECT COUNT(*) FROM fund_entry", 5).await;

    // 3 % from the first of the month.
    app.client
        .add_insurer_contract(as_(
            &operator,
            pb::AddInsurerContractRequest {
                request_id: Uuid::now_v7().to_string(),
                insurer_id: insurer.to_string(),
                province_code: "440000".into(),
                effective_from: month.first_day().to_string(),
                service_fee_bps: 300,
            },
        ))
        .await
        .unwrap();

    // The insurer's file: two of the fund's payouts, the third missing, one the fund never
    // issued, and one bad line that is left out while the rest is kept.
    let submitted = app
        .client
        .submit_payout_records(as_(
            &insurer_role,
            pb::SubmitPayoutRecordsRequest {
                request_id: Uuid::now_v7().to_string(),
                insurer_id: String::new(),
                province_code: "440000".into(),
                month: m.clone(),
                records: vec![
                    pb::PayoutRecord {
                        payout_key: keys[0].clone(),
                        amount_fen: 300_000,
                    },
                    pb::PayoutRecord {
                        payout_key: keys[1].clone(),
                        amount_fen: 45_000,
                    },
                    pb::PayoutRecord {
                        payout_key: "claim/elsewhere/x/once".into(),
                        amount_fen: 9_900,
                    },
                    // Zero is no payment (a negative amount would be a recovery).
                    pb::PayoutRecord {
                        payout_key: keys[2].clone(),
                        amount_fen: 0,
                    },
                ],
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(submitted.accepted, 3);
    assert_eq!(submitted.rejected.len(), 1);
    assert_eq!(submitted.rejected[0].field, "records[3].amount_fen");

    let s = app
        .client
        .get_insurer_settlement(as_(&insurer_role, settlement_of(insurer, &m)))
        .await
        .unwrap()
        .into_inner()
        .settlement
        .unwrap();
    assert_eq!((s.payouts_issued, s.issued_fen), (3, 365_000));
    assert_eq!(s.advanced_fen, 365_000);
    assert_eq!((s.service_fee_bps, s.service_fee_fen), (300, 10_950));
    assert_eq!(s.owed_fen, 375_950);
    let mismatches: Vec<(String, i32)> = s
        .mismatches
        .iter()
        .map(|x| (x.payout_key.clone(), x.kind))
        .collect();
    assert_eq!(
        mismatches,
        vec![
            // By key: a claim id (digits first) before "elsewhere".
            (keys[2].clone(), pb::MismatchKind::MissingFromInsurer as i32),
            (
                "claim/elsewhere/x/once".to_string(),
                pb::MismatchKind::UnknownToFund as i32
            ),
        ]
    );

    let approve = |explanations: Vec<pb::Explanation>| pb::ApproveSettlementRequest {
        request_id: Uuid::now_v7().to_string(),
        insurer_id: insurer.to_string(),
        province_code: "440000".into(),
        month: m.clone(),
        explanations,
    };
    let open = app
        .client
        .approve_settlement(as_(&operator, approve(Vec::new())))
        .await
        .unwrap_err();
    assert_eq!(open.code(), tonic::Code::FailedPrecondition);
    assert!(open.message().contains("2 mismatch"), "{}", open.message());
    // The insurer approves nothing of its own; another province's operator nothing here.
    for role in [insurer_role.clone(), Role::regional_operator("11")] {
        let refused = app
            .client
            .approve_settlement(as_(&role, approve(Vec::new())))
            .await
            .unwrap_err();
        assert_eq!(refused.code(), tonic::Code::PermissionDenied);
    }
    let explained = vec![
        pb::Explanation {
            payout_key: keys[2].clone(),
            note: "paid on the 1st of the next month".into(),
        },
        pb::Explanation {
            payout_key: "claim/elsewhere/x/once".into(),
            note: "another province's case".into(),
        },
    ];
    let approved = app
        .client
        .approve_settlement(as_(&operator, approve(explained.clone())))
        .await
        .unwrap()
        .into_inner()
        .settlement
        .unwrap();
    assert!(approved.approved);
    assert_eq!(approved.service_fee_fen, 10_950);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM fund_entry WHERE debit = 'SERVICE_FEE_EXPENSE' AND amount_fen = 10950").await,
        1
    );
    assert_eq!(
        app.count(
            "SELECT COUNT(*) FROM outbox WHERE type = 'gigshield.events.v1.SettlementApproved'"
        )
        .await,
        1
    );
    let twice = app
        .client
        .approve_settlement(as_(&operator, approve(explained)))
        .await
        .unwrap_err();
    assert_eq!(twice.code(), tonic::Code::FailedPrecondition);
    let late = app
        .client
        .submit_payout_records(as_(
            &insurer_role,
            pb::SubmitPayoutRecordsRequest {
                request_id: Uuid::now_v7().to_string(),
                insurer_id: insurer.to_string(),
                province_code: "440000".into(),
                month: m.clone(),
                records: Vec::new(),
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(late.code(), tonic::Code::FailedPrecondition);

    // The statement carries the fee; another insurer reads nothing of this one.
    let statement = app.statement(&operator, "440000", month).await;
    let figures = statement
        .insurers
        .iter()
        .find(|i| i.insurer_id == insurer.to_string())
        .unwrap();
    assert_eq!(
        (
            figures.advanced_fen,
            figures.service_fee_fen,
            figures.owed_fen
        ),
        (365_000, 10_950, 375_950)
    );
    let other = app
        .client
        .get_insurer_settlement(as_(
            &Role::Insurer {
                insurer_id: Uuid::now_v7(),
            },
            settlement_of(insurer, &m),
        ))
        .await
        .unwrap_err();
    assert_eq!(other.code(), tonic::Code::PermissionDenied);

    // The platform's ratio: 365,000 of benefits over 1,600,000 of fees received.
    let ratio = app
        .client
        .get_benefit_fee_ratio(as_(
            &Role::Platform {
                platform_id: platform,
            },
            pb::GetBenefitFeeRatioRequest {
                platform_id: String::new(),
                province_code: "440000".into(),
                from_month: m.clone(),
                through_month: m.clone(),
                rule_window: false,
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(
        (
            ratio.benefits_fen,
            ratio.fees_received_fen,
            ratio.fees_declared_fen
        ),
        (365_000, 1_600_000, 2_000_000)
    );
    assert_eq!(ratio.ratio_bps, Some(2_281));
    let foreign = app
        .client
        .get_benefit_fee_ratio(as_(
            &Role::Platform {
                platform_id: Uuid::now_v7(),
            },
            pb::GetBenefitFeeRatioRequest {
                platform_id: platform.to_string(),
                province_code: "440000".into(),
                rule_window: true,
                ..Default::default()
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(foreign.code(), tonic::Code::PermissionDenied);
    app.stop().await;
}

/// A month beyond one message streams: records across messages count as one submission, a bad
/// one is left out by its index in the whole stream, and the same stream again changes nothing.
#[tokio::test]
async fn a_month_of_records_streams_in_several_messages() {
    let mut app = TestApp::spawn().await;
    let insurer = Uuid::now_v7();
    let role = Role::Insurer {
        insurer_id: insurer,
    };
    let month = last_month().to_string();
    let request_id = Uuid::now_v7().to_string();
    let records: Vec<pb::PayoutRecord> = (0..25_000)
        .map(|n| pb::PayoutRecord {
            payout_key: format!("claim/c{n}/medical_and_rehabilitation/once"),
            // One bad line (zero), and a recovery (negative) at the end.
            amount_fen: match n {
                12_345 => 0,
                24_999 => -500,
                _ => 1_000 + n,
            },
        })
        .collect();
    let messages = |records: &[pb::PayoutRecord]| -> Vec<pb::UploadPayoutRecordsRequest> {
        records
            .chunks(10_000)
            .map(|chunk| pb::UploadPayoutRecordsRequest {
                request_id: request_id.clone(),
                insurer_id: String::new(),
                province_code: "440000".into(),
                month: month.clone(),
                records: chunk.to_vec(),
            })
            .collect()
    };
    let sent = messages(&records);
    assert_eq!(sent.len(), 3);
    let answer = app
        .client
        .upload_payout_records(as_(&role, tokio_stream::iter(sent.clone())))
        .await
        .unwrap()
        .into_inner();
    assert_eq!((answer.accepted, answer.rejected_total), (24_999, 1));
    assert_eq!(answer.rejected[0].field, "records[12345].amount_fen");
    let insurer_id = app.uuid(insurer);
    let stored = format!("SELECT COUNT(*) FROM payout_record WHERE insurer_id = {insurer_id}");
    assert_eq!(app.count(&stored).await, 24_999);
    assert_eq!(
        app.count(&format!(
            "SELECT CAST(COALESCE(SUM(amount_fen), 0) AS BIGINT) FROM payout_record \
             WHERE insurer_id = {insurer_id} AND amount_fen < 0"
        ))
        .await,
        -500,
        "a recovery is a negative record"
    );
    let again = app
        .client
        .upload_payout_records(as_(&role, tokio_stream::iter(sent)))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(again, answer);

    // Messages that disagree on the month, or a single message over the limit, are refused
    // and the stored records stay as they were.
    let mut mixed = messages(&records[..12]);
    mixed.push(pb::UploadPayoutRecordsRequest {
        month: "2020-01".into(),
        ..mixed[0].clone()
    });
    for m in &mut mixed {
        m.request_id = Uuid::now_v7().to_string();
    }
    mixed[1].request_id = mixed[0].request_id.clone();
    let refused = app
        .client
        .upload_payout_records(as_(&role, tokio_stream::iter(mixed)))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), tonic::Code::InvalidArgument);
    let too_big = pb::UploadPayoutRecordsRequest {
        request_id: Uuid::now_v7().to_string(),
        records: records[..10_001].to_vec(),
        ..messages(&records[..1])[0].clone()
    };
    let refused = app
        .client
        .upload_payout_records(as_(&role, tokio_stream::iter(vec![too_big])))
        .await
        .unwrap_err();
    assert_eq!(refused.code(), tonic::Code::InvalidArgument);
    assert!(refused.message().contains("records"));
    assert_eq!(app.count(&stored).await, 24_999);
    // Another insurer's records are not this insurer's to send.
    let foreign = app
        .client
        .upload_payout_records(as_(
            &Role::Insurer {
                insurer_id: Uuid::now_v7(),
            },
            tokio_stream::iter(vec![pb::UploadPayoutRecordsRequest {
                insurer_id: insurer.to_string(),
                ..messages(&records[..1])[0].clone()
            }]),
        ))
        .await
        .unwrap_err();
    assert_eq!(foreign.code(), tonic::Code::PermissionDenied);
    app.stop().await;
}
