//! The fund's double entry: every movement of money is one entry that debits one account and
//! credits another by a positive amount in fen, placed in a province and a Shanghai month.
//! Builders here turn what happened (a declaration, a payment, a payout, a return, a
//! reimbursement, a service fee) into entries; nothing here reads or writes.

use gigshield_scheme::calendar::CalendarMonth;
use uuid::Uuid;

/// Where unallocated money is kept: not yet any province's.
pub const NATIONAL: &str = "000000";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Account {
    /// The fund's bank money.
    Cash,
    /// What platforms owe for declared fees.
    FeesReceivable,
    /// Fees declared: the fund's income.
    FeeIncome,
    /// Paid in and not yet allocated to a declaration.
    PlatformCredit,
    /// Benefits paid, by type.
    BenefitExpense,
    /// What the fund owes the insurers that advanced benefits.
    InsurerPayable,
    /// The insurers' service fees.
    ServiceFeeExpense,
}

impl Account {
    pub const ALL: [Account; 7] = [
        Self::Cash,
        Self::FeesReceivable,
        Self::FeeIncome,
        Self::PlatformCredit,
        Self::BenefitExpense,
        Self::InsurerPayable,
        Self::ServiceFeeExpense,
    ];

    /// Stored and shown names: never change one.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Cash => "CASH",
            Self::FeesReceivable => "FEES_RECEIVABLE",
            Self::FeeIncome => "FEE_INCOME",
            Self::PlatformCredit => "PLATFORM_CREDIT",
            Self::BenefitExpense => "BENEFIT_EXPENSE",
            Self::InsurerPayable => "INSURER_PAYABLE",
            Self::ServiceFeeExpense => "SERVICE_FEE_EXPENSE",
        }
    }

    pub fn parse(name: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|a| a.as_str() == name)
    }
}

/// One entry: `amount_fen` (> 0) is debited to `debit` and credited to `credit`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Entry {
    pub province: String,
    pub month: CalendarMonth,
    pub debit: Account,
    pub credit: Account,
    pub amount_fen: i64,
    pub platform_id: Option<Uuid>,
    pub insurer_id: Option<Uuid>,
    /// For benefit entries: the benefit's type without its dependant number.
    pub benefit_type: Option<String>,
}

/// Who and what an entry concerns besides its accounts.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Parties {
    pub platform_id: Option<Uuid>,
    pub insurer_id: Option<Uuid>,
    pub benefit_type: Option<String>,
}

impl Parties {
    /// An entry about a platform's fees.
    fn platform(platform: Uuid) -> Self {
        Self {
            platform_id: Some(platform),
            ..Self::default()
        }
    }

    /// An entry about what the fund and an insurer owe each other.
    fn insurer(insurer: Uuid) -> Self {
        Self {
            insurer_id: Some(insurer),
            ..Self::default()
        }
    }
}

/// The entry moving `amount` from `credit` to `debit`; a negative amount moves it the other
/// way, zero moves nothing.
pub fn entry(
    province: &str,
    month: CalendarMonth,
    (debit, credit): (Account, Account),
    amount: i64,
    parties: Parties,
) -> Option<Entry> {
    let (debit, credit, amount_fen) = match amount {
        0 => return None,
        a if a > 0 => (debit, credit, a),
        a => (credit, debit, a.checked_neg()?),
    };
    Some(Entry {
        province: province.to_string(),
        month,
        debit,
        credit,
        amount_fen,
        platform_id: parties.platform_id,
        insurer_id: parties.insurer_id,
        benefit_type: parties.benefit_type,
    })
}

/// Fees a platform declared for a province's month (a credit note is negative).
pub fn declared(province: &str, month: CalendarMonth, platform: Uuid, fen: i64) -> Option<Entry> {
    entry(
        province,
        month,
        (Account::FeesReceivable, Account::FeeIncome),
        fen,
        Parties::platform(platform),
    )
}

/// A payment allocated to a declaration of the province.
pub fn received(province: &str, month: CalendarMonth, platform: Uuid, fen: i64) -> Option<Entry> {
    entry(
        province,
        month,
        (Account::Cash, Account::FeesReceivable),
        fen,
        Parties::platform(platform),
    )
}

/// The part of a payment no declaration took yet: held nationally as the platform's credit.
pub fn credit_held(month: CalendarMonth, platform: Uuid, fen: i64) -> Option<Entry> {
    entry(
        NATIONAL,
        month,
        (Account::Cash, Account::PlatformCredit),
        fen,
        Parties::platform(platform),
    )
}

/// Held credit paying a declaration as it is issued: the cash leaves the national pool and is
/// received in the declaration's province.
pub fn credit_applied(
    province: &str,
    month: CalendarMonth,
    platform: Uuid,
    fen: i64,
) -> [Option<Entry>; 2] {
    [
        entry(
            NATIONAL,
            month,
            (Account::PlatformCredit, Account::Cash),
            fen,
            Parties::platform(platform),
        ),
        received(province, month, platform, fen),
    ]
}

/// A benefit an insurer paid on the fund's behalf (negative: returned by the bank).
pub fn advanced(
    province: &str,
    month: CalendarMonth,
    platform: Option<Uuid>,
    insurer: Option<Uuid>,
    kind: &str,
    fen: i64,
) -> Option<Entry> {
    let parties = Parties {
        platform_id: platform,
        insurer_id: insurer,
        benefit_type: Some(gigshield_scheme::benefit_types::of_kind(kind).to_string()),
    };
    entry(
        province,
        month,
        (Account::BenefitExpense, Account::InsurerPayable),
        fen,
        parties,
    )
}

/// The fund paid an insurer back.
pub fn reimbursed(province: &str, month: CalendarMonth, insurer: Uuid, fen: i64) -> Option<Entry> {
    entry(
        province,
        month,
        (Account::InsurerPayable, Account::Cash),
        fen,
        Parties::insurer(insurer),
    )
}

/// An insurer's service fee for a settled month.
pub fn service_fee(province: &str, month: CalendarMonth, insurer: Uuid, fen: i64) -> Option<Entry> {
    entry(
        province,
        month,
        (Account::ServiceFeeExpense, Account::InsurerPayable),
        fen,
        Parties::insurer(insurer),
    )
}

/// The net movement of `account` over `entries`: debits minus credits, with `filter` choosing
/// the entries.
pub fn net<'a>(
    entries: impl IntoIterator<Item = &'a Entry>,
    account: Account,
    filter: impl Fn(&Entry) -> bool,
) -> i64 {
    entries
        .into_iter()
        .filter(|e| filter(e))
        .map(|e| {
            i64::from(e.debit == account) * e.amount_fen
                - i64::from(e.credit == account) * e.amount_fen
        })
        .sum()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn month() -> CalendarMonth {
        "2026-10".parse().unwrap()
    }

    #[test]
    fn negative_amounts_swap_sides_and_zero_books_nothing() {
        let p = Uuid::now_v7();
        let note = declared("440000", month(), p, -300).unwrap();
        assert_eq!(
            (note.debit, note.credit, note.amount_fen),
            (Account::FeeIncome, Account::FeesReceivable, 300)
        );
        assert_eq!(declared("440000", month(), p, 0), None);
        assert_eq!(declared("440000", month(), p, i64::MIN), None);
    }

    #[test]
    fn every_entry_balances_and_nets_follow_the_accounts() {
        let (p, i) = (Uuid::now_v7(), Uuid::now_v7());
        let entries: Vec<Entry> = [
            declared("440000", month(), p, 1_000),
            received("440000", month(), p, 600),
            credit_held(month(), p, 50),
            advanced(
                "440000",
                month(),
                Some(p),
                Some(i),
                "dependant_pension.2",
                400,
            ),
            advanced(
                "440000",
                month(),
                Some(p),
                Some(i),
                "dependant_pension.2",
                -100,
            ),
            reimbursed("440000", month(), i, 200),
            service_fee("440000", month(), i, 9),
        ]
        .into_iter()
        .flatten()
        .collect();
        let total: i64 = Account::ALL
            .into_iter()
            .map(|a| net(&entries, a, |_| true))
            .sum();
        assert_eq!(total, 0, "double entry: every debit has its credit");
        let here = |e: &Entry| e.province == "440000";
        assert_eq!(net(&entries, Account::FeesReceivable, here), 400);
        assert_eq!(net(&entries, Account::Cash, here), 400);
        assert_eq!(net(&entries, Account::Cash, |_| true), 450);
        assert_eq!(net(&entries, Account::BenefitExpense, here), 300);
        assert_eq!(net(&entries, Account::InsurerPayable, here), -109);
        assert_eq!(
            entries[3].benefit_type.as_deref(),
            Some("dependant_pension")
        );
    }
}
