//! The books as regulators read them: per Shanghai month × province × platform, fees declared
//! and received, arrears carried from every earlier month, and benefits by type — withheld
//! where a cell's benefits were paid on fewer claims than the threshold (a single claim's
//! payouts would be that person's benefits). Fees describe platforms, not persons, and are
//! always shown.

use std::collections::BTreeMap;

use gigshield_scheme::calendar::CalendarMonth;
use uuid::Uuid;

use super::ledger::Account;

/// The longest span one request may aggregate, in months.
pub const MAX_MONTHS: u32 = 24;

/// The most grouped rows one request may read (months × provinces × platforms × account
/// pairs, every month up to the span's end for the arrears); beyond it the request is refused.
pub const MAX_ROWS: u64 = 200_000;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct CellKey {
    /// `YYYY-MM`.
    pub month: String,
    pub province: String,
    /// `None`: benefits of claims without a liable platform.
    pub platform_id: Option<Uuid>,
}

/// The entries of one key and account pair (and benefit type), summed by the database.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Sum {
    pub key: CellKey,
    pub debit: Account,
    pub credit: Account,
    pub benefit_type: Option<String>,
    pub amount_fen: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Benefits {
    pub claims_paid: i64,
    /// `None` when a type is withheld: the total less the shown types would give it away.
    pub total_fen: Option<i64>,
    /// The types paid on enough claims.
    pub by_type_fen: BTreeMap<String, i64>,
    /// The types with money in the cell paid on too few claims: their figures are withheld.
    pub withheld_types: Vec<String>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Cell {
    pub key: CellKey,
    pub fees_declared_fen: i64,
    pub fees_received_fen: i64,
    pub arrears_fen: i64,
    /// `None`: withheld.
    pub benefits: Option<Benefits>,
}

/// How `sum` moves `account`: + debited, − credited, 0 untouched.
fn movement(sum: &Sum, account: Account) -> i64 {
    match (sum.debit == account, sum.credit == account) {
        (true, false) => sum.amount_fen,
        (false, true) => -sum.amount_fen,
        _ => 0,
    }
}

/// Cells for every key of a month from `from` through `through` (`YYYY-MM`) with a movement.
/// `sums` must hold every month up to `through` (earlier months carry the arrears);
/// `claims_paid` counts distinct claims per key, in all (`None`) and per benefit type.
pub fn cells(
    sums: &[Sum],
    claims_paid: &BTreeMap<(CellKey, Option<String>), i64>,
    from: &str,
    through: &str,
    min_claims: u32,
) -> Vec<Cell> {
    // Only fees and benefits make a cell: a reimbursement or a service fee concerns an insurer.
    let counted = [
        Account::FeesReceivable,
        Account::FeeIncome,
        Account::BenefitExpense,
    ];
    let mut by_key: BTreeMap<&CellKey, Vec<&Sum>> = BTreeMap::new();
    for sum in sums
        .iter()
        .filter(|s| counted.iter().any(|a| movement(s, *a) != 0))
    {
        by_key.entry(&sum.key).or_default().push(sum);
    }
    // Arrears per (province, platform), carried month by month: a month of the span with no
    // movement still shows what is owed.
    let mut by_month: BTreeMap<String, Vec<(&CellKey, Vec<&Sum>)>> = BTreeMap::new();
    for (key, sums) in by_key {
        by_month
            .entry(key.month.clone())
            .or_default()
            .push((key, sums));
    }
    for month in span(from, through) {
        by_month.entry(month).or_default();
    }
    let mut receivable: BTreeMap<(String, Option<Uuid>), i64> = BTreeMap::new();
    let mut out = Vec::new();
    for (month, moved) in &by_month {
        let mut shown = std::collections::BTreeSet::new();
        for (key, sums) in moved {
            let balance = receivable
                .entry((key.province.clone(), key.platform_id))
                .or_default();
            *balance += sums
                .iter()
                .map(|s| movement(s, Account::FeesReceivable))
                .sum::<i64>();
            if month.as_str() >= from && month.as_str() <= through {
                out.push(cell(key, sums, *balance, claims_paid, min_claims));
                shown.insert((key.province.clone(), key.platform_id));
            }
        }
        if month.as_str() < from || month.as_str() > through {
            continue;
        }
        for ((province, platform_id), balance) in &receivable {
            if *balance != 0 && !shown.contains(&(province.clone(), *platform_id)) {
                let key = CellKey {
                    month: month.clone(),
                    province: province.clone(),
                    platform_id: *platform_id,
                };
                out.push(cell(&key, &[], *balance, claims_paid, min_claims));
            }
        }
    }
    out.sort_by(|a, b| a.key.cmp(&b.key));
    out
}

/// Every month from `from` through `through` (`YYYY-MM`, checked by the caller).
fn span(from: &str, through: &str) -> Vec<String> {
    let (Ok(mut month), Ok(last)) = (
        from.parse::<CalendarMonth>(),
        through.parse::<CalendarMonth>(),
    ) else {
        return Vec::new();
    };
    let mut out = Vec::new();
    while month <= last {
        out.push(month.to_string());
        match month.next() {
            Some(next) => month = next,
            None => break,
        }
    }
    out
}

fn cell(
    key: &CellKey,
    sums: &[&Sum],
    arrears_fen: i64,
    claims_paid: &BTreeMap<(CellKey, Option<String>), i64>,
    min_claims: u32,
) -> Cell {
    let declared = -sums
        .iter()
        .map(|s| movement(s, Account::FeeIncome))
        .sum::<i64>();
    let received = sums
        .iter()
        .filter(|s| s.debit == Account::Cash && s.credit == Account::FeesReceivable)
        .map(|s| s.amount_fen)
        .sum();
    let paid_on = |benefit: Option<String>| {
        claims_paid
            .get(&(key.clone(), benefit))
            .copied()
            .unwrap_or(0)
    };
    let mut total = 0_i64;
    let mut by_type: BTreeMap<String, i64> = BTreeMap::new();
    for s in sums {
        let moved = movement(s, Account::BenefitExpense);
        if moved == 0 {
            continue;
        }
        total += moved;
        let kind = s.benefit_type.clone().unwrap_or_default();
        *by_type.entry(kind).or_default() += moved;
    }
    by_type.retain(|_, fen| *fen != 0);
    // A cell paid on too few claims shows no benefit figure; in a cell with enough, a type paid
    // on too few is withheld on its own (one claim's type would be that person's benefit), and
    // then the total too (it would give the withheld type back).
    let enough = |claims: i64| claims >= i64::from(min_claims);
    let claims = paid_on(None);
    let (shown, withheld): (BTreeMap<_, _>, BTreeMap<_, _>) = by_type
        .into_iter()
        .partition(|(benefit, _)| enough(paid_on(Some(benefit.clone()))));
    let benefits = (enough(claims) || (claims == 0 && total == 0)).then(|| Benefits {
        claims_paid: claims,
        total_fen: withheld.is_empty().then_some(total),
        by_type_fen: shown,
        withheld_types: withheld.into_keys().collect(),
    });
    Cell {
        key: key.clone(),
        fees_declared_fen: declared,
        fees_received_fen: received,
        arrears_fen,
        benefits,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn key(month: &str, platform: Option<Uuid>) -> CellKey {
        CellKey {
            month: month.into(),
            province: "440000".into(),
            platform_id: platform,
        }
    }

    fn sum(k: &CellKey, pair: (Account, Account), fen: i64, kind: Option<&str>) -> Sum {
        Sum {
            key: k.clone(),
            debit: pair.0,
            credit: pair.1,
            benefit_type: kind.map(String::from),
            amount_fen: fen,
        }
    }

    #[test]
    fn arrears_carry_from_earlier_months_and_small_benefit_cells_are_withheld() {
        let p = Some(Uuid::now_v7());
        let (sep, oct) = (key("2026-09", p), key("2026-10", p));
        let declare = (Account::FeesReceivable, Account::FeeIncome);
        let receive = (Account::Cash, Account::FeesReceivable);
        let advance = (Account::BenefitExpense, Account::InsurerPayable);
        let returned = (Account::InsurerPayable, Account::BenefitExpense);
        let sums = vec![
            sum(&sep, declare, 1_000, None),
            sum(&sep, receive, 400, None),
            sum(&oct, declare, 700, None),
            sum(&oct, receive, 900, None),
            sum(&oct, advance, 5_000, Some("death_grant")),
            sum(&oct, advance, 300, Some("funeral_grant")),
            sum(&oct, returned, 300, Some("funeral_grant")),
            sum(
                &key("2026-10", None),
                (Account::InsurerPayable, Account::Cash),
                800,
                None,
            ),
        ];
        let paid = BTreeMap::from([
            ((oct.clone(), None), 3),
            ((oct.clone(), Some("death_grant".to_string())), 3),
            ((oct.clone(), Some("funeral_grant".to_string())), 1),
        ]);
        let shown = cells(&sums, &paid, "2026-10", "2026-10", 3);
        assert_eq!(shown.len(), 1, "September only carries its arrears");
        let c = &shown[0];
        assert_eq!((c.fees_declared_fen, c.fees_received_fen), (700, 900));
        assert_eq!(c.arrears_fen, 1_000 - 400 + 700 - 900);
        let b = c.benefits.as_ref().unwrap();
        assert_eq!(b.total_fen, Some(5_000));
        assert_eq!(
            b.by_type_fen,
            BTreeMap::from([("death_grant".to_string(), 5_000)]),
            "a returned payout nets to nothing"
        );
        let withheld = cells(&sums, &paid, "2026-10", "2026-10", 4);
        assert_eq!(withheld[0].benefits, None);
        // A type paid on one claim alone is withheld, and the total with it.
        let mut one_claim_type = paid.clone();
        one_claim_type.insert((oct.clone(), Some("death_grant".to_string())), 1);
        let partly = cells(&sums, &one_claim_type, "2026-10", "2026-10", 3)[0]
            .benefits
            .clone()
            .unwrap();
        assert_eq!(partly.withheld_types, ["death_grant"]);
        assert!(partly.by_type_fen.is_empty());
        assert_eq!(partly.total_fen, None);
        // November: nothing moved, the arrears are still owed.
        let november = cells(&sums, &paid, "2026-11", "2026-11", 3);
        assert_eq!(november.len(), 1);
        assert_eq!(november[0].key.month, "2026-11");
        assert_eq!(
            (november[0].fees_declared_fen, november[0].arrears_fen),
            (0, 400)
        );
        let fees_only = cells(&sums, &paid, "2026-09", "2026-09", 4);
        assert_eq!(
            fees_only[0].benefits,
            Some(Benefits {
                total_fen: Some(0),
                ..Benefits::default()
            })
        );
    }
}
