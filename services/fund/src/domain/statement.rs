//! A province's month read off its entries: flows of the month, balances at its end.

use std::collections::BTreeMap;

use gigshield_scheme::calendar::CalendarMonth;
use uuid::Uuid;

use super::ledger::{Account, Entry, net};

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct InsurerFigures {
    pub advanced_fen: i64,
    pub reimbursed_fen: i64,
    pub service_fee_fen: i64,
    /// At the end of the month, all months so far.
    pub owed_fen: i64,
}

#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Statement {
    pub fees_declared_fen: i64,
    pub fees_received_fen: i64,
    pub arrears_fen: i64,
    pub benefits_by_type_fen: BTreeMap<String, i64>,
    pub benefits_fen: i64,
    /// `None`: the agency's own adjusters.
    pub insurers: BTreeMap<Option<Uuid>, InsurerFigures>,
    pub balance_fen: i64,
    pub entries: i64,
}

/// `entries` are the province's entries of every month through `month`.
pub fn statement(entries: &[Entry], month: CalendarMonth) -> Statement {
    let of_month: Vec<&Entry> = entries.iter().filter(|e| e.month == month).collect();
    let so_far: Vec<&Entry> = entries.iter().filter(|e| e.month <= month).collect();
    let all = |_: &Entry| true;
    let mut benefits_by_type_fen = BTreeMap::new();
    for e in &of_month {
        if let Some(kind) = &e.benefit_type {
            *benefits_by_type_fen.entry(kind.clone()).or_insert(0) +=
                signed(e, Account::BenefitExpense);
        }
    }
    benefits_by_type_fen.retain(|_, fen| *fen != 0);
    Statement {
        fees_declared_fen: -net(of_month.iter().copied(), Account::FeeIncome, all),
        fees_received_fen: of_month
            .iter()
            .filter(|e| {
                e.debit == Account::Cash
                    && matches!(e.credit, Account::FeesReceivable | Account::PlatformCredit)
            })
            .map(|e| e.amount_fen)
            .sum(),
        arrears_fen: net(so_far.iter().copied(), Account::FeesReceivable, all),
        benefits_fen: net(of_month.iter().copied(), Account::BenefitExpense, all),
        benefits_by_type_fen,
        insurers: insurers(&of_month, &so_far),
        balance_fen: net(so_far.iter().copied(), Account::Cash, all),
        entries: i64::try_from(of_month.len()).unwrap_or(i64::MAX),
    }
}

/// The entry's amount as it moves `account` (debit +, credit −, else 0).
fn signed(e: &Entry, account: Account) -> i64 {
    i64::from(e.debit == account) * e.amount_fen - i64::from(e.credit == account) * e.amount_fen
}

fn insurers(of_month: &[&Entry], so_far: &[&Entry]) -> BTreeMap<Option<Uuid>, InsurerFigures> {
    let mut out: BTreeMap<Option<Uuid>, InsurerFigures> = BTreeMap::new();
    for e in so_far {
        if e.debit == Account::InsurerPayable || e.credit == Account::InsurerPayable {
            out.entry(e.insurer_id).or_default().owed_fen -= signed(e, Account::InsurerPayable);
        }
    }
    for e in of_month {
        let figures = out.entry(e.insurer_id).or_default();
        match (e.debit, e.credit) {
            (Account::BenefitExpense, Account::InsurerPayable) => {
                figures.advanced_fen += e.amount_fen
            }
            (Account::InsurerPayable, Account::BenefitExpense) => {
                figures.advanced_fen -= e.amount_fen
            }
            (Account::InsurerPayable, Account::Cash) => figures.reimbursed_fen += e.amount_fen,
            (Account::ServiceFeeExpense, Account::InsurerPayable) => {
                figures.service_fee_fen += e.amount_fen;
            }
            _ => {}
        }
    }
    out.retain(|_, figures| *figures != InsurerFigures::default());
    out
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::ledger::{advanced, declared, received, reimbursed, service_fee};

    #[test]
    fn flows_of_the_month_and_balances_through_it() {
        let (p, i) = (Uuid::now_v7(), Uuid::now_v7());
        let sept: CalendarMonth = "2026-09".parse().unwrap();
        let oct: CalendarMonth = "2026-10".parse().unwrap();
        let nov: CalendarMonth = "2026-11".parse().unwrap();
        let entries: Vec<Entry> = [
            declared("440000", sept, p, 1_000),
            received("440000", sept, p, 1_000),
            declared("440000", oct, p, 2_000),
            received("440000", oct, p, 1_500),
            advanced("440000", oct, Some(p), Some(i), "disability_subsidy", 700),
            advanced("440000", oct, Some(p), Some(i), "dependant_pension.1", 300),
            advanced("440000", oct, Some(p), Some(i), "dependant_pension.1", -300),
            reimbursed("440000", oct, i, 500),
            service_fee("440000", oct, i, 21),
            // Next month: not in October's statement.
            declared("440000", nov, p, 9_999),
        ]
        .into_iter()
        .flatten()
        .collect();
        let s = statement(&entries, oct);
        assert_eq!((s.fees_declared_fen, s.fees_received_fen), (2_000, 1_500));
        assert_eq!(s.arrears_fen, 500);
        assert_eq!(s.benefits_fen, 700);
        assert_eq!(
            s.benefits_by_type_fen.len(),
            1,
            "{:?}",
            s.benefits_by_type_fen
        );
        assert_eq!(s.balance_fen, 2_000);
        let insurer = &s.insurers[&Some(i)];
        assert_eq!(
            (
                insurer.advanced_fen,
                insurer.reimbursed_fen,
                insurer.service_fee_fen
            ),
            (700, 500, 21)
        );
        assert_eq!(insurer.owed_fen, 221);
        assert_eq!(s.entries, 7);
    }
}
