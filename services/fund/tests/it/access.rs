//! The access table, tried: every RPC × every kind of caller, once on its own area, platform or
//! insurer and once on another's, against a running service.

use chrono::Duration;
use gigshield_fund::domain::access::TABLE;
use gigshield_kit::testing::{
    AccessReport, Parties, Persona, Probe, assert_table_covers, personas,
};
use gigshield_proto::fund as pb;
use uuid::Uuid;

use crate::support::*;

struct Fixture {
    own: Parties,
    month: String,
}

async fn fixture(app: &TestApp) -> Fixture {
    let own = Parties::at("440305");
    let month = last_month();
    let at = month.starts_at() + Duration::days(2);
    let (declaration, _) = app.declaration(own.platform, "440000", month, 50_000).await;
    app.payment(own.platform, 50_000, &[(declaration, 50_000)], at)
        .await;
    let claim = Uuid::now_v7();
    app.claim_opened(claim, "440000", own.platform, Some(own.insurer))
        .await;
    app.payout(claim, "disability_subsidy", 10_000, at).await;
    app.wait_count("SELECT COUNT(*) FROM fund_entry", 3).await;
    Fixture {
        own,
        month: month.to_string(),
    }
}

async fn probe(app: &mut TestApp, f: &Fixture, rpc: &str, p: &Persona) -> Probe {
    let r = &p.role;
    let id = || Uuid::now_v7().to_string();
    let province = || "440000".to_string();
    let c = &mut app.client;
    match rpc {
        "GetFundStatement" => Probe::of(
            c.get_fund_statement(as_(
                r,
                pb::GetFundStatementRequest {
                    province_code: province(),
                    month: f.month.clone(),
                },
            ))
            .await,
        ),
        "ListFundEntries" => Probe::of(
            c.list_fund_entries(as_(
                r,
                pb::ListFundEntriesRequest {
                    province_code: province(),
                    month: f.month.clone(),
                    page: None,
                },
            ))
            .await,
        ),
        "GetBenefitFeeRatio" => Probe::of(
            c.get_benefit_fee_ratio(as_(
                r,
                pb::GetBenefitFeeRatioRequest {
                    platform_id: f.own.platform.to_string(),
                    province_code: province(),
                    rule_window: true,
                    ..Default::default()
                },
            ))
            .await,
        ),
        "AddInsurerContract" => Probe::of(
            c.add_insurer_contract(as_(
                r,
                pb::AddInsurerContractRequest {
                    request_id: id(),
                    insurer_id: f.own.insurer.to_string(),
                    province_code: province(),
                    effective_from: "2026-01-01".into(),
                    service_fee_bps: 250,
                },
            ))
            .await,
        ),
        "RecordReimbursement" => Probe::of(
            c.record_reimbursement(as_(
                r,
                pb::RecordReimbursementRequest {
                    request_id: id(),
                    insurer_id: f.own.insurer.to_string(),
                    province_code: province(),
                    amount_fen: 1,
                    reference: format!("R-{}", Uuid::now_v7().simple()),
                    paid_at: Some(gigshield_kit::wire::timestamp(chrono::Utc::now())),
                },
            ))
            .await,
        ),
        "SubmitPayoutRecords" => Probe::of(
            c.submit_payout_records(as_(
                r,
                pb::SubmitPayoutRecordsRequest {
                    request_id: id(),
                    insurer_id: f.own.insurer.to_string(),
                    province_code: province(),
                    month: f.month.clone(),
                    records: Vec::new(),
                },
            ))
            .await,
        ),
        "UploadPayoutRecords" => Probe::of(
            c.upload_payout_records(as_(
                r,
                tokio_stream::iter(vec![pb::UploadPayoutRecordsRequest {
                    request_id: id(),
                    insurer_id: f.own.insurer.to_string(),
                    province_code: province(),
                    month: f.month.clone(),
                    records: Vec::new(),
                }]),
            ))
            .await,
        ),
        "GetInsurerSettlement" => Probe::of(
            c.get_insurer_settlement(as_(
                r,
                pb::GetInsurerSettlementRequest {
                    insurer_id: f.own.insurer.to_string(),
                    province_code: province(),
                    month: f.month.clone(),
                },
            ))
            .await,
        ),
        "ApproveSettlement" => Probe::of(
            c.approve_settlement(as_(
                r,
                pb::ApproveSettlementRequest {
                    request_id: id(),
                    insurer_id: f.own.insurer.to_string(),
                    province_code: province(),
                    month: f.month.clone(),
                    explanations: Vec::new(),
                },
            ))
            .await,
        ),
        "GetFundStatistics" => match c
            .get_fund_statistics(as_(
                r,
                pb::GetFundStatisticsRequest {
                    from_month: f.month.clone(),
                    through_month: f.month.clone(),
                },
            ))
            .await
        {
            Ok(answer) => {
                let shows = answer
                    .into_inner()
                    .cells
                    .iter()
                    .any(|cell| cell.province_code == "440000");
                if shows { Probe::Allowed } else { Probe::Denied }
            }
            Err(status) => Probe::of::<()>(Err(status)),
        },
        other => panic!("no probe for {other}: add one with its rule"),
    }
}

#[tokio::test]
async fn every_rpc_answers_every_caller_as_the_table_says() {
    assert_table_covers(&TABLE, TABLE.service);
    let mut app = TestApp::spawn().await;
    let f = fixture(&app).await;
    let foreign = Parties::at("110105");
    let mut report = AccessReport::default();
    for rule in TABLE.rules {
        for persona in personas(&f.own, &foreign, None) {
            let got = probe(&mut app, &f, rule.rpc, &persona).await;
            report.record(&TABLE, rule.rpc, &persona, got);
        }
    }
    report.assert_matches(&TABLE);
    app.stop().await;
}
