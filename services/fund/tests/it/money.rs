//! A generated month: fees declared and paid by several platforms in two provinces, payouts
//! of several insurers with returns, re-instructions and recoveries, a reimbursement. The test keeps its
//! own books from what it sent; the service's statements agree to the fen, and the whole
//! stream sent again changes nothing.

use std::collections::BTreeMap;

use chrono::Duration;
use gigshield_kit::Role;
use gigshield_proto::fund as pb;
use uuid::Uuid;

use crate::support::*;

const PROVINCES: [&str; 2] = ["440000", "110000"];
const KINDS: [&str; 3] = [
    "medical_and_rehabilitation",
    "disability_subsidy",
    "dependant_pension.1",
];

/// What the test expects of one province × platform cell of the regulators' statistics.
#[derive(Debug, Default)]
struct Cell {
    declared: i64,
    received: i64,
    benefits: BTreeMap<String, i64>,
    claims: std::collections::BTreeSet<Uuid>,
    claims_by_type: BTreeMap<String, std::collections::BTreeSet<Uuid>>,
}

/// What the test expects of one province.
#[derive(Debug, Default)]
struct Books {
    declared: i64,
    received: i64,
    benefits: BTreeMap<String, i64>,
    advanced: BTreeMap<Option<Uuid>, i64>,
    reimbursed: BTreeMap<Option<Uuid>, i64>,
    entries: i64,
}

#[tokio::test]
async fn a_generated_month_agrees_to_the_fen_and_a_replay_changes_nothing() {
    let mut app = TestApp::spawn().await;
    let month = last_month();
    let mid = month.starts_at() + Duration::days(10);
    let mut rng = Rng::new(20_261_201);
    let mut books: BTreeMap<&str, Books> = BTreeMap::new();
    let mut sent = Vec::new();
    let mut national_credit = 0_i64;
    let mut cells: BTreeMap<(&str, Uuid), Cell> = BTreeMap::new();

    // Fees: three platforms declare in both provinces and pay part of it, sometimes more.
    let platforms: Vec<Uuid> = (0..3).map(|_| Uuid::now_v7()).collect();
    for platform in &platforms {
        let mut allocations = Vec::new();
        for province in PROVINCES {
            let total = 10_000 + i64::try_from(rng.below(5_000_000)).unwrap();
            let (id, s) = app.declaration(*platform, province, month, total).await;
            sent.push(s);
            let b = books.entry(province).or_default();
            b.declared += total;
            b.entries += 1;
            let paid = total * i64::try_from(rng.below(3)).unwrap() / 2;
            let cell = cells.entry((province, *platform)).or_default();
            cell.declared += total;
            if paid > 0 {
                allocations.push((id, paid));
                b.received += paid;
                b.entries += 1;
                cell.received += paid;
            }
        }
        let extra = i64::try_from(rng.below(2)).unwrap() * 777;
        national_credit += extra;
        let amount = allocations.iter().map(|(_, fen)| fen).sum::<i64>() + extra;
        if amount > 0 {
            sent.push(app.payment(*platform, amount, &allocations, mid).await);
        }
    }

    // Benefits: twelve claims, two insurers and the agency, one to three payouts each; some
    // are returned, some of those re-instructed, some confirmed paid.
    let insurers = [Some(Uuid::now_v7()), Some(Uuid::now_v7()), None];
    for n in 0..12_u64 {
        let claim = Uuid::now_v7();
        let province = PROVINCES[usize::try_from(n % 2).unwrap()];
        let insurer = insurers[usize::try_from(rng.below(3)).unwrap()];
        let platform = platforms[usize::try_from(rng.below(3)).unwrap()];
        sent.push(app.claim_opened(claim, province, platform, insurer).await);
        for kind in KINDS
            .iter()
            .take(1 + usize::try_from(rng.below(3)).unwrap())
        {
            let amount = 1_000 + i64::try_from(rng.below(900_000)).unwrap();
            let (key, s) = app.payout(claim, kind, amount, mid).await;
            sent.push(s);
            let b = books.entry(province).or_default();
            let type_ = kind.split('.').next().unwrap().to_string();
            let mut net = amount;
            b.entries += 1;
            match rng.below(4) {
                0 => {
                    sent.push(app.payout_state(claim, &key, "RETURNED", amount, mid).await);
                    net -= amount;
                    b.entries += 1;
                    if rng.below(2) == 0 {
                        sent.push(
                            app.payout_state(claim, &key, "INSTRUCTED", amount, mid)
                                .await,
                        );
                        net += amount;
                        b.entries += 1;
                    }
                }
                1 => {
                    sent.push(app.payout_state(claim, &key, "SENT", amount, mid).await);
                    sent.push(app.payout_state(claim, &key, "PAID", amount, mid).await);
                }
                _ => {}
            }
            // Some overpayments come back: a negative line, booked like a payout.
            if net > 0 && rng.below(4) == 0 {
                let back = net.min(50_000);
                let reference = format!("RC-{n}-{type_}");
                sent.push(app.recovery(claim, kind, back, &reference, mid).await);
                net -= back;
                b.entries += 1;
            }
            *b.benefits.entry(type_.clone()).or_default() += net;
            *b.advanced.entry(insurer).or_default() += net;
            let cell = cells.entry((province, platform)).or_default();
            *cell.benefits.entry(type_.clone()).or_default() += net;
            cell.claims.insert(claim);
            cell.claims_by_type.entry(type_).or_default().insert(claim);
        }
    }

    let expected_entries: i64 = books.values().map(|b| b.entries).sum();
    app.wait_count(
        "SELECT COUNT(*) FROM fund_entry WHERE province <> '000000'",
        expected_entries,
    )
    .await;

    // The fund pays one insurer back in Guangdong.
    let insurer = insurers[0].unwrap();
    let paid_back = 123_456;
    let operator = Role::regional_operator("44");
    let reimbursement = pb::RecordReimbursementRequest {
        request_id: Uuid::now_v7().to_string(),
        insurer_id: insurer.to_string(),
        province_code: "440000".into(),
        amount_fen: paid_back,
        reference: "BOC-20261201-0001".into(),
        paid_at: Some(gigshield_kit::wire::timestamp(mid)),
    };
    app.client
        .record_reimbursement(as_(&operator, reimbursement.clone()))
        .await
        .unwrap();
    // The same bank reference in another request pays nothing twice.
    let again = app
        .client
        .record_reimbursement(as_(
            &operator,
            pb::RecordReimbursementRequest {
                request_id: Uuid::now_v7().to_string(),
                ..reimbursement
            },
        ))
        .await
        .unwrap_err();
    assert_eq!(again.code(), tonic::Code::AlreadyExists);
    let gd = books.get_mut("440000").unwrap();
    *gd.reimbursed.entry(Some(insurer)).or_default() += paid_back;
    gd.entries += 1;

    let regulator = Role::Regulator {
        jurisdiction: gigshield_kit::Jurisdiction::parse("national").unwrap(),
    };
    let mut before = Vec::new();
    for province in PROVINCES {
        let s = app.statement(&regulator, province, month).await;
        let b = &books[province];
        assert_eq!(s.fees_declared_fen, b.declared, "{province} declared");
        assert_eq!(s.fees_received_fen, b.received, "{province} received");
        assert_eq!(s.arrears_fen, b.declared - b.received, "{province} arrears");
        let benefits: BTreeMap<String, i64> = b
            .benefits
            .iter()
            .filter(|(_, v)| **v != 0)
            .map(|(k, v)| (k.clone(), *v))
            .collect();
        assert_eq!(
            s.benefits_by_type_fen
                .iter()
                .map(|(k, v)| (k.clone(), *v))
                .collect::<BTreeMap<_, _>>(),
            benefits,
            "{province} benefits"
        );
        assert_eq!(s.benefits_fen, b.benefits.values().sum::<i64>());
        for (who, advanced) in &b.advanced {
            let id = who.map(|u| u.to_string()).unwrap_or_default();
            let reimbursed = b.reimbursed.get(who).copied().unwrap_or(0);
            let figures = s.insurers.iter().find(|i| i.insurer_id == id);
            match figures {
                Some(f) => {
                    assert_eq!(f.advanced_fen, *advanced, "{province} {id} advanced");
                    assert_eq!(f.reimbursed_fen, reimbursed);
                    assert_eq!(f.owed_fen, advanced - reimbursed);
                }
                None => assert_eq!(*advanced, 0, "{province} {id} missing"),
            }
        }
        let reimbursed: i64 = b.reimbursed.values().sum();
        assert_eq!(s.balance_fen, b.received - reimbursed, "{province} balance");
        assert_eq!(s.entries, b.entries, "{province} entries");
        before.push(s);
    }
    // The regulators' cells: fees always, benefits where paid on enough claims.
    let stats = app
        .client
        .get_fund_statistics(as_(
            &regulator,
            pb::GetFundStatisticsRequest {
                from_month: month.to_string(),
                through_month: month.to_string(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert_eq!(stats.min_claims, i64::from(STATS_MIN_CLAIMS));
    assert_eq!(stats.cells.len(), cells.len(), "{:?}", stats.cells);
    let mut withheld = 0;
    let mut withheld_types = 0;
    for ((province, platform), want) in &cells {
        let got = stats
            .cells
            .iter()
            .find(|c| c.province_code == *province && c.platform_id == platform.to_string())
            .unwrap_or_else(|| panic!("no cell for {province} {platform}"));
        assert_eq!(got.month, month.to_string());
        assert_eq!(got.fees_declared_fen, want.declared);
        assert_eq!(got.fees_received_fen, want.received);
        assert_eq!(got.arrears_fen, want.declared - want.received);
        let claims = i64::try_from(want.claims.len()).unwrap();
        let enough = |n: usize| n >= usize::try_from(STATS_MIN_CLAIMS).unwrap();
        if enough(want.claims.len()) {
            // A type paid on too few claims is withheld on its own, and the total with it.
            let (shown, withheld): (BTreeMap<String, i64>, BTreeMap<String, i64>) = want
                .benefits
                .iter()
                .filter(|(_, v)| **v != 0)
                .map(|(k, v)| (k.clone(), *v))
                .partition(|(t, _)| enough(want.claims_by_type.get(t).map_or(0, |c| c.len())));
            assert!(!got.benefits_suppressed);
            assert_eq!(got.claims_paid, claims);
            assert_eq!(
                got.benefits_by_type_fen
                    .clone()
                    .into_iter()
                    .collect::<BTreeMap<_, _>>(),
                shown
            );
            assert_eq!(
                got.withheld_types,
                withheld.keys().cloned().collect::<Vec<_>>()
            );
            let total = if withheld.is_empty() {
                want.benefits.values().sum::<i64>()
            } else {
                0
            };
            assert_eq!(got.benefits_fen, total);
            withheld_types += withheld.len();
        } else {
            withheld += usize::from(claims > 0);
            assert_eq!(got.benefits_suppressed, claims > 0, "{province} {platform}");
            assert_eq!((got.benefits_fen, got.claims_paid), (0, 0));
            assert!(got.benefits_by_type_fen.is_empty());
        }
    }
    let small = Role::Regulator {
        jurisdiction: gigshield_kit::Jurisdiction::parse("440300").unwrap(),
    };
    let city = app
        .client
        .get_fund_statistics(as_(
            &small,
            pb::GetFundStatisticsRequest {
                from_month: month.to_string(),
                through_month: month.to_string(),
            },
        ))
        .await
        .unwrap()
        .into_inner();
    assert!(
        city.cells.is_empty(),
        "a city's regulator: the books are per province"
    );
    eprintln!(
        "statistics: {} cells, {withheld} with benefits withheld, {withheld_types} types withheld",
        cells.len()
    );

    // Money nobody allocated yet is held nationally, not in a province's balance.
    assert_eq!(
        app.count(
            "SELECT CAST(COALESCE(SUM(amount_fen), 0) AS BIGINT) FROM fund_entry \
             WHERE province = '000000' AND credit = 'PLATFORM_CREDIT'"
        )
        .await,
        national_credit
    );

    // Every entry of a statement names the event or request that made it.
    let entries = app
        .client
        .list_fund_entries(as_(
            &operator,
            pb::ListFundEntriesRequest {
                province_code: "440000".into(),
                month: month.to_string(),
                page: Some(gigshield_proto::common::PageRequest {
                    page_size: 500,
                    page_token: String::new(),
                }),
            },
        ))
        .await
        .unwrap()
        .into_inner()
        .entries;
    assert_eq!(
        i64::try_from(entries.len()).unwrap(),
        books["440000"].entries
    );
    let ids: std::collections::BTreeSet<&str> = sent.iter().map(|s| s.id.as_str()).collect();
    assert!(
        entries.iter().all(|e| ids.contains(e.source_id.as_str())
            || e.source_id.starts_with("RecordReimbursement:"))
    );

    // Everything again, same ids: nothing moves. A last new event on each topic proves the
    // replays were read (one partition each: it comes after them).
    let total_before = app.count("SELECT COUNT(*) FROM fund_entry").await;
    for s in &sent {
        app.resend(s).await;
    }
    // A coverage day (most of premium's topic) is passed over without an inbox row.
    let unwanted = app.coverage_day(platforms[0]).await;
    let later = month.next().unwrap();
    let (_, premium_sentinel) = app.declaration(platforms[0], "440000", later, 1).await;
    let claims_sentinel = Uuid::now_v7();
    app.claim_opened(claims_sentinel, "440000", platforms[0], None)
        .await;
    app.wait_count(
        &format!(
            "SELECT COUNT(*) FROM claim_ref WHERE claim_id = {}",
            app.uuid(claims_sentinel)
        ),
        1,
    )
    .await;
    let inbox = |id: &str| format!("SELECT COUNT(*) FROM inbox WHERE event_id = '{id}'");
    app.wait_count(&inbox(&premium_sentinel.id), 1).await;
    assert_eq!(app.count(&inbox(&unwanted.id)).await, 0);
    assert_eq!(
        app.count("SELECT COUNT(*) FROM fund_entry").await,
        total_before + 1,
        "only the new declaration booked"
    );
    for (province, earlier) in PROVINCES.iter().zip(before) {
        assert_eq!(app.statement(&regulator, province, month).await, earlier);
    }
    app.stop().await;
}

/// A payment before any declaration is held nationally as the platform's credit; when premium
/// issues a declaration paid from it, the money lands in the declaration's province.
#[tokio::test]
async fn held_credit_pays_a_declaration_in_its_province_when_issued() {
    let mut app = TestApp::spawn().await;
    let month = last_month();
    let platform = Uuid::now_v7();
    app.payment(platform, 1_000, &[], month.starts_at() + Duration::days(2))
        .await;
    app.declaration_from_credit(platform, "440000", month, 600, 600)
        .await;
    // The credit held, the declaration, the credit leaving the pool, received in Guangdong.
    app.wait_count("SELECT COUNT(*) FROM fund_entry", 4).await;
    let national_credit = "SELECT CAST(COALESCE(SUM(CASE WHEN credit = 'PLATFORM_CREDIT' THEN amount_fen \
                           ELSE -amount_fen END), 0) AS BIGINT) FROM fund_entry \
                           WHERE province = '000000' AND 'PLATFORM_CREDIT' IN (debit, credit)";
    assert_eq!(app.count(national_credit).await, 400);
    let regulator = Role::Regulator {
        jurisdiction: gigshield_kit::Jurisdiction::National,
    };
    let declared = app.statement(&regulator, "440000", month).await;
    assert_eq!(declared.fees_declared_fen, 600);
    // Issued at the month's end: received in the month of issue, nothing left in arrears.
    let issued = month.next().unwrap();
    let received = app.statement(&regulator, "440000", issued).await;
    assert_eq!(received.fees_received_fen, 600);
    assert_eq!(received.arrears_fen, 0);
    assert_eq!(received.balance_fen, 600);
    app.stop().await;
}
