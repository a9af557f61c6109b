//! Payments against declarations, what is still owed, and the late fee.
//!
//! Payments arrive from the tax authority's collection, per platform, and are not earmarked:
//! each pays the platform's oldest open declarations first (by billing month, then issue
//! time), possibly several of them, possibly part of one; what is left over is kept as credit
//! for the next declaration. Allocations are derived: [`settle`] replays the full history in
//! time order, so it gives the same answer however often it runs, and appending later payments
//! or declarations never moves money already allocated. A payment recorded with a receipt time
//! earlier than what was already replayed is placed where it belongs in time, which can shift
//! later payments onto younger declarations — store allocations as a recomputable view, not as
//! facts.
//!
//! Arrears never take cover from workers (docs/domain.md: the platform pays, the worker is covered
//! regardless); they only raise `PlatformInArrears` and a late fee.

use chrono::{DateTime, Datelike, Days, NaiveDate, Utc};
use gigshield_scheme::calendar::{CalendarMonth, shanghai_date};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

const PPM: i128 = 1_000_000;

/// When declarations fall due and what paying late costs.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PaymentTerms {
    /// Day of the month after the billing month by which a declaration must be paid, in Asia/
    /// Shanghai; paying on that day is on time. Default 15. ASSUMPTION: the scheme says only
    /// "monthly" (按月缴费); the 15th follows the usual social-insurance collection deadline.
    /// 1..=28 so that it exists in every month.
    pub due_day_of_following_month: u32,
    /// Late fee per day overdue, in parts per million of the amount outstanding that day.
    /// Default 500 (0.05 % a day, Social Insurance Law art. 86). Whether that article applies to
    /// this scheme is unconfirmed; 0 turns late fees off.
    pub late_fee_ppm_per_day: i64,
    /// Whether the late fee stops growing at the declared amount, as the Administrative
    /// Coercion Law (行政强制法 art. 45) requires of enforcement surcharges. Default off:
    /// whether it governs this fee is unconfirmed.
    pub late_fee_capped_at_declared_amount: bool,
}

impl Default for PaymentTerms {
    fn default() -> Self {
        Self {
            due_day_of_following_month: 15,
            late_fee_ppm_per_day: 500,
            late_fee_capped_at_declared_amount: false,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TermsError {
    #[error("due_day_of_following_month must be 1..=28, got {0}")]
    DueDay(u32),
    #[error("late_fee_ppm_per_day must not be negative, got {0}")]
    NegativeLateFee(i64),
}

impl PaymentTerms {
    pub fn validate(&self) -> Result<(), TermsError> {
        if !(1..=28).contains(&self.due_day_of_following_month) {
            return Err(TermsError::DueDay(self.due_day_of_following_month));
        }
        if self.late_fee_ppm_per_day < 0 {
            return Err(TermsError::NegativeLateFee(self.late_fee_ppm_per_day));
        }
        Ok(())
    }

    /// The last day on which a declaration for `month` is paid on time. Adjustment lines ride
    /// on the declaration that carries them, so they fall due with it.
    pub fn due_date(&self, month: CalendarMonth) -> NaiveDate {
        // The first of the following month; chrono's calendar goes on after 9999-12.
        let first = month.last_day() + Days::new(1);
        first
            .with_day(self.due_day_of_following_month)
            .unwrap_or_else(|| first.with_day(28).expect("every month has a 28th"))
    }
}

/// A declaration as far as paying it is concerned.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeclarationDue {
    pub declaration_id: Uuid,
    pub month: CalendarMonth,
    pub issued_at: DateTime<Utc>,
    /// Negative for a credit note (adjustments that take back more than the month charges):
    /// its amount becomes credit when issued.
    pub total_fen: i64,
    /// From [`PaymentTerms::due_date`] when the declaration was issued.
    pub due_date: NaiveDate,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Payment {
    /// The collection's reference; unique per platform, the key for idempotency.
    pub reference: String,
    pub amount_fen: i64,
    pub received_at: DateTime<Utc>,
}

/// Where allocated money came from.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum FundsSource {
    Payment { reference: String },
    CreditNote { declaration_id: Uuid },
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Allocation {
    pub source: FundsSource,
    pub amount_fen: i64,
    /// When the money met the declaration: the later of its arrival and the declaration's issue
    /// (credit waits for the next declaration).
    pub applied_at: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeclarationStanding {
    pub declaration: DeclarationDue,
    /// In the order applied.
    pub allocations: Vec<Allocation>,
    pub paid_fen: i64,
    /// What is still owed; never negative (a credit note owes nothing).
    pub outstanding_fen: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Settlement {
    /// Oldest first: by billing month, then issue time, then id.
    pub standings: Vec<DeclarationStanding>,
    /// Paid in but not yet owed by any declaration.
    pub credit_fen: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ArrearsError {
    #[error("payment reference must not be empty")]
    EmptyReference,
    #[error("payment {reference:?}: amount_fen must be positive, got {amount_fen}")]
    NonPositivePayment { reference: String, amount_fen: i64 },
    #[error("payment reference {0:?} appears twice")]
    DuplicatePayment(String),
    #[error("declaration {0} appears twice")]
    DuplicateDeclaration(Uuid),
}

struct Funds {
    source: FundsSource,
    remaining: i64,
}

enum Event<'a> {
    Issued(usize),
    Paid(&'a Payment),
}

/// Allocates every payment (and credit note) of one platform to its declarations.
pub fn settle(
    declarations: &[DeclarationDue],
    payments: &[Payment],
) -> Result<Settlement, ArrearsError> {
    check_inputs(declarations, payments)?;

    let mut standings: Vec<DeclarationStanding> = declarations
        .iter()
        .map(|declaration| DeclarationStanding {
            declaration: declaration.clone(),
            allocations: Vec::new(),
            paid_fen: 0,
            outstanding_fen: declaration.total_fen.max(0),
        })
        .collect();
    standings.sort_by_key(|s| {
        (
            s.declaration.month,
            s.declaration.issued_at,
            s.declaration.declaration_id,
        )
    });

    // Replays history: a declaration can only be paid once it exists, and credit left over
    // at one moment waits for the next declaration.
    let mut events: Vec<(DateTime<Utc>, u8, Event)> = standings
        .iter()
        .enumerate()
        .map(|(i, s)| (s.declaration.issued_at, 0, Event::Issued(i)))
        .chain(payments.iter().map(|p| (p.received_at, 1, Event::Paid(p))))
        .collect();
    // Stable: payments at the same instant keep their given order.
    events.sort_by_key(|(at, kind, _)| (*at, *kind));

    let mut issued = vec![false; standings.len()];
    let mut pool: Vec<Funds> = Vec::new();
    for (at, _, event) in events {
        match event {
            Event::Issued(i) => {
                issued[i] = true;
                let total = standings[i].declaration.total_fen;
                if total < 0 {
                    pool.push(Funds {
                        source: FundsSource::CreditNote {
                            declaration_id: standings[i].declaration.declaration_id,
                        },
                        remaining: -total,
                    });
                }
            }
            Event::Paid(payment) => pool.push(Funds {
                source: FundsSource::Payment {
                    reference: payment.reference.clone(),
                },
                remaining: payment.amount_fen,
            }),
        }
        apply_pool(&mut standings, &issued, &mut pool, at);
    }

    Ok(Settlement {
        standings,
        credit_fen: pool.iter().map(|funds| funds.remaining).sum(),
    })
}

fn check_inputs(declarations: &[DeclarationDue], payments: &[Payment]) -> Result<(), ArrearsError> {
    let mut ids = std::collections::HashSet::new();
    for declaration in declarations {
        if !ids.insert(declaration.declaration_id) {
            return Err(ArrearsError::DuplicateDeclaration(
                declaration.declaration_id,
            ));
        }
    }
    let mut references = std::collections::HashSet::new();
    for payment in payments {
        if payment.reference.trim().is_empty() {
            return Err(ArrearsError::EmptyReference);
        }
        if payment.amount_fen <= 0 {
            return Err(ArrearsError::NonPositivePayment {
                reference: payment.reference.clone(),
                amount_fen: payment.amount_fen,
            });
        }
        if !references.insert(payment.reference.as_str()) {
            return Err(ArrearsError::DuplicatePayment(payment.reference.clone()));
        }
    }
    Ok(())
}

/// Pays the oldest issued, open declarations from the oldest funds until one runs out.
fn apply_pool(
    standings: &mut [DeclarationStanding],
    issued: &[bool],
    pool: &mut Vec<Funds>,
    now: DateTime<Utc>,
) {
    let mut funds_index = 0;
    for (standing, _) in standings
        .iter_mut()
        .zip(issued)
        .filter(|(s, issued)| **issued && s.outstanding_fen > 0)
    {
        while standing.outstanding_fen > 0 && funds_index < pool.len() {
            let funds = &mut pool[funds_index];
            let amount = funds.remaining.min(standing.outstanding_fen);
            funds.remaining -= amount;
            standing.outstanding_fen -= amount;
            standing.paid_fen += amount;
            standing.allocations.push(Allocation {
                source: funds.source.clone(),
                amount_fen: amount,
                applied_at: now,
            });
            if funds.remaining == 0 {
                funds_index += 1;
            }
        }
        if funds_index == pool.len() {
            break;
        }
    }
    pool.drain(..funds_index);
}

impl Settlement {
    /// Declarations still owing money after their due date, as seen on `today` (Shanghai).
    pub fn in_arrears(&self, today: NaiveDate) -> impl Iterator<Item = &DeclarationStanding> {
        self.standings
            .iter()
            .filter(move |s| s.outstanding_fen > 0 && today > s.declaration.due_date)
    }

    pub fn outstanding_fen(&self) -> i64 {
        self.standings.iter().map(|s| s.outstanding_fen).sum()
    }
}

impl DeclarationStanding {
    /// Days past the due date on `today`; zero when not late.
    pub fn days_overdue(&self, today: NaiveDate) -> i64 {
        (today - self.declaration.due_date).num_days().max(0)
    }

    /// The late fee accrued up to and including `today` (Shanghai), in fen.
    ///
    /// Each Shanghai day after the due date up to and including the day a payment arrives is
    /// charged on what was outstanding at the start of that day (tax practice: "至实际缴纳之日
    /// 止"). The exact sum Σ outstanding × ppm is rounded once, half up, to the fen: rounding
    /// each day instead would round small daily amounts away to nothing and make the fee
    /// depend on how payments split the days.
    pub fn late_fee_fen(&self, today: NaiveDate, terms: &PaymentTerms) -> i64 {
        let due = self.declaration.due_date;
        if self.declaration.total_fen <= 0 || today <= due || terms.late_fee_ppm_per_day == 0 {
            return 0;
        }
        // Days d in (due, today]; money applied on date p lowers the outstanding from p + 1.
        let mut outstanding = i128::from(self.declaration.total_fen);
        let mut fen_days: i128 = 0;
        let mut charged_through = due;
        for allocation in &self.allocations {
            let paid_on = shanghai_date(allocation.applied_at);
            let segment_end = paid_on.min(today);
            if segment_end > charged_through {
                fen_days += outstanding * i128::from((segment_end - charged_through).num_days());
                charged_through = segment_end;
            }
            outstanding -= i128::from(allocation.amount_fen);
        }
        if today > charged_through {
            fen_days += outstanding * i128::from((today - charged_through).num_days());
        }
        let fee = (fen_days * i128::from(terms.late_fee_ppm_per_day) + PPM / 2) / PPM;
        let fee = if terms.late_fee_capped_at_declared_amount {
            fee.min(i128::from(self.declaration.total_fen))
        } else {
            fee
        };
        i64::try_from(fee).unwrap_or(i64::MAX)
    }
}

#[cfg(test)]
mod tests {
    use chrono::Duration;
    use gigshield_scheme::calendar::shanghai_midnight;
    use proptest::prelude::*;

    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn date(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    fn month(s: &str) -> CalendarMonth {
        s.parse().unwrap()
    }

    /// A declaration for `m`, issued on the 1st of the following month at 10:00 Shanghai.
    fn declaration(id: u128, m: &str, total_fen: i64) -> DeclarationDue {
        let m = month(m);
        DeclarationDue {
            declaration_id: Uuid::from_u128(id),
            month: m,
            issued_at: m.ends_at() + Duration::hours(10),
            total_fen,
            due_date: PaymentTerms::default().due_date(m),
        }
    }

    fn payment(reference: &str, amount_fen: i64, received_at: &str) -> Payment {
        Payment {
            reference: reference.into(),
            amount_fen,
            received_at: utc(received_at),
        }
    }

    fn outstanding(settlement: &Settlement) -> Vec<i64> {
        settlement
            .standings
            .iter()
            .map(|s| s.outstanding_fen)
            .collect()
    }

    #[test]
    fn due_date_defaults_to_the_15th_of_the_following_month() {
        let terms = PaymentTerms::default();
        assert_eq!(terms.due_date(month("2025-07")), date("2025-08-15"));
        assert_eq!(terms.due_date(month("2025-12")), date("2026-01-15"));
        assert_eq!(terms.validate(), Ok(()));
        let bad = PaymentTerms {
            due_day_of_following_month: 31,
            ..terms.clone()
        };
        assert_eq!(bad.validate(), Err(TermsError::DueDay(31)));
        let negative = PaymentTerms {
            late_fee_ppm_per_day: -1,
            ..terms
        };
        assert!(
            negative
                .validate()
                .unwrap_err()
                .to_string()
                .contains("late_fee_ppm_per_day")
        );
    }

    #[test]
    fn one_payment_covers_several_declarations_oldest_first() {
        let declarations = [
            declaration(3, "2025-09", 300),
            declaration(1, "2025-07", 100),
            declaration(2, "2025-08", 200),
        ];
        let payments = [payment("P1", 250, "2025-10-05T02:00:00Z")];
        let settlement = settle(&declarations, &payments).unwrap();
        let months: Vec<_> = settlement
            .standings
            .iter()
            .map(|s| s.declaration.month.to_string())
            .collect();
        assert_eq!(months, ["2025-07", "2025-08", "2025-09"]);
        assert_eq!(outstanding(&settlement), [0, 50, 300]);
        assert_eq!(settlement.credit_fen, 0);
        assert_eq!(settlement.outstanding_fen(), 350);
    }

    #[test]
    fn partial_payments_accumulate() {
        let declarations = [declaration(1, "2025-07", 1_000)];
        let payments = [
            payment("P1", 300, "2025-08-05T02:00:00Z"),
            payment("P2", 300, "2025-08-06T02:00:00Z"),
        ];
        let settlement = settle(&declarations, &payments).unwrap();
        assert_eq!(outstanding(&settlement), [400]);
        assert_eq!(settlement.standings[0].paid_fen, 600);
        assert_eq!(settlement.standings[0].allocations.len(), 2);
    }

    #[test]
    fn overpayment_stays_as_credit_and_pays_the_next_declaration_when_issued() {
        let declarations = [
            declaration(1, "2025-07", 100),
            declaration(2, "2025-08", 80),
        ];
        let payments = [payment("P1", 150, "2025-08-10T02:00:00Z")];
        let settlement = settle(&declarations[..1], &payments).unwrap();
        assert_eq!(settlement.credit_fen, 50);

        let settlement = settle(&declarations, &payments).unwrap();
        assert_eq!(outstanding(&settlement), [0, 30]);
        assert_eq!(settlement.credit_fen, 0);
        let august = &settlement.standings[1];
        assert_eq!(august.allocations[0].amount_fen, 50);
        // The credit met August's declaration when it was issued, not when it was paid in.
        assert_eq!(august.allocations[0].applied_at, declarations[1].issued_at);
    }

    #[test]
    fn a_payment_before_any_declaration_is_credit_until_one_is_issued() {
        let declarations = [declaration(1, "2025-07", 100)];
        let payments = [payment("P0", 500, "2025-07-20T00:00:00Z")];
        let settlement = settle(&declarations, &payments).unwrap();
        assert_eq!(outstanding(&settlement), [0]);
        assert_eq!(settlement.credit_fen, 400);
    }

    #[test]
    fn nil_declarations_and_credit_notes_owe_nothing_and_credit_notes_pay_others() {
        let declarations = [
            declaration(1, "2025-07", 100),
            declaration(2, "2025-08", 0),
            declaration(3, "2025-09", -30),
        ];
        let settlement = settle(&declarations, &[]).unwrap();
        assert_eq!(outstanding(&settlement), [70, 0, 0]);
        assert_eq!(
            settlement.standings[0].allocations[0].source,
            FundsSource::CreditNote {
                declaration_id: Uuid::from_u128(3)
            }
        );
        assert_eq!(settlement.in_arrears(date("2025-10-20")).count(), 1);
    }

    #[test]
    fn bad_payments_and_duplicates_are_refused() {
        let declarations = [declaration(1, "2025-07", 100)];
        assert_eq!(
            settle(&declarations, &[payment("P1", 0, "2025-08-01T00:00:00Z")]),
            Err(ArrearsError::NonPositivePayment {
                reference: "P1".into(),
                amount_fen: 0
            })
        );
        assert_eq!(
            settle(&declarations, &[payment(" ", 5, "2025-08-01T00:00:00Z")]),
            Err(ArrearsError::EmptyReference)
        );
        assert_eq!(
            settle(
                &declarations,
                &[
                    payment("P1", 5, "2025-08-01T00:00:00Z"),
                    payment("P1", 5, "2025-08-02T00:00:00Z")
                ]
            ),
            Err(ArrearsError::DuplicatePayment("P1".into()))
        );
        assert_eq!(
            settle(&[declarations[0].clone(), declarations[0].clone()], &[]),
            Err(ArrearsError::DuplicateDeclaration(Uuid::from_u128(1)))
        );
    }

    #[test]
    fn arrears_start_the_day_after_the_due_date() {
        let settlement = settle(&[declaration(1, "2025-07", 100)], &[]).unwrap();
        assert_eq!(settlement.in_arrears(date("2025-08-15")).count(), 0);
        assert_eq!(settlement.in_arrears(date("2025-08-16")).count(), 1);
        assert_eq!(settlement.standings[0].days_overdue(date("2025-08-16")), 1);
        assert_eq!(settlement.standings[0].days_overdue(date("2025-08-01")), 0);
    }

    #[test]
    fn late_fee_is_outstanding_times_rate_times_days_rounded_half_up_once() {
        let terms = PaymentTerms::default();
        let standing = |total| {
            settle(&[declaration(1, "2025-07", total)], &[])
                .unwrap()
                .standings[0]
                .clone()
        };
        // 10,000 fen × 0.05 % × 10 days = 50 fen.
        assert_eq!(
            standing(10_000).late_fee_fen(date("2025-08-25"), &terms),
            50
        );
        // 1,000 fen × 0.05 % = 0.5 fen: half rounds up.
        assert_eq!(standing(1_000).late_fee_fen(date("2025-08-16"), &terms), 1);
        // 999 fen × 0.05 % = 0.4995 fen: rounds down.
        assert_eq!(standing(999).late_fee_fen(date("2025-08-16"), &terms), 0);
        // 3 days of 0.5 fen is 1.5 → 2; flooring each day would have charged nothing.
        assert_eq!(standing(1_000).late_fee_fen(date("2025-08-18"), &terms), 2);
        // Not late on the due date itself.
        assert_eq!(standing(10_000).late_fee_fen(date("2025-08-15"), &terms), 0);
        let off = PaymentTerms {
            late_fee_ppm_per_day: 0,
            ..terms
        };
        assert_eq!(standing(10_000).late_fee_fen(date("2026-08-15"), &off), 0);
    }

    #[test]
    fn the_day_a_payment_arrives_is_still_charged_on_the_amount_before_it() {
        let terms = PaymentTerms::default();
        // Paid 6,000 at 09:00 Shanghai on 20 August, the rest never.
        let payments = [payment("P1", 6_000, "2025-08-20T01:00:00Z")];
        let settlement = settle(&[declaration(1, "2025-07", 10_000)], &payments).unwrap();
        let standing = &settlement.standings[0];
        // 16..=20 Aug: 5 days × 10,000; 21..=25 Aug: 5 days × 4,000 → 70,000 fen-days × 500 ppm.
        assert_eq!(standing.late_fee_fen(date("2025-08-25"), &terms), 35);
        // Once fully paid the fee stops growing.
        let paid = [
            payment("P1", 6_000, "2025-08-20T01:00:00Z"),
            payment("P2", 4_000, "2025-08-22T15:59:59Z"), // 23:59:59 on 22 Aug in Shanghai
        ];
        let settlement = settle(&[declaration(1, "2025-07", 10_000)], &paid).unwrap();
        let standing = &settlement.standings[0];
        // 5 × 10,000 + 2 × 4,000 = 58,000 fen-days → 29 fen, the same on any later day.
        assert_eq!(standing.late_fee_fen(date("2025-08-22"), &terms), 29);
        assert_eq!(standing.late_fee_fen(date("2026-01-01"), &terms), 29);
    }

    #[test]
    fn a_payment_at_shanghai_midnight_belongs_to_the_new_day() {
        let terms = PaymentTerms::default();
        let midnight = shanghai_midnight(date("2025-08-16"));
        let on_time = Payment {
            reference: "P1".into(),
            amount_fen: 10_000,
            received_at: midnight - Duration::seconds(1),
        };
        let late = Payment {
            received_at: midnight,
            ..on_time.clone()
        };
        let fee = |p: &Payment| {
            settle(
                &[declaration(1, "2025-07", 10_000)],
                std::slice::from_ref(p),
            )
            .unwrap()
            .standings[0]
                .late_fee_fen(date("2025-09-01"), &terms)
        };
        assert_eq!(fee(&on_time), 0);
        assert_eq!(fee(&late), 5);
    }

    #[test]
    fn the_late_fee_can_be_capped_at_the_declared_amount() {
        let capped = PaymentTerms {
            late_fee_capped_at_declared_amount: true,
            ..PaymentTerms::default()
        };
        let settlement = settle(&[declaration(1, "2025-07", 100)], &[]).unwrap();
        let standing = &settlement.standings[0];
        // 0.05 fen a day for 10 years would be ~183 fen uncapped.
        assert_eq!(
            standing.late_fee_fen(date("2035-08-15"), &PaymentTerms::default()),
            183
        );
        assert_eq!(standing.late_fee_fen(date("2035-08-15"), &capped), 100);
    }

    fn arb_history() -> impl Strategy<Value = (Vec<DeclarationDue>, Vec<Payment>)> {
        let declarations = prop::collection::vec(-200i64..5_000, 0..8).prop_map(|totals| {
            let mut m = month("2025-07");
            totals
                .into_iter()
                .enumerate()
                .map(|(i, total)| {
                    let d = DeclarationDue {
                        declaration_id: Uuid::from_u128(i as u128 + 1),
                        month: m,
                        issued_at: m.ends_at() + Duration::hours(10),
                        total_fen: total,
                        due_date: PaymentTerms::default().due_date(m),
                    };
                    m = m.next().expect("test months are far from 9999");
                    d
                })
                .collect::<Vec<_>>()
        });
        let payments = prop::collection::vec((1i64..6_000, 0i64..300 * 24), 0..8).prop_map(|raw| {
            raw.into_iter()
                .enumerate()
                .map(|(i, (amount_fen, hours))| Payment {
                    reference: format!("P{i}"),
                    amount_fen,
                    received_at: month("2025-07").ends_at() + Duration::hours(hours),
                })
                .collect::<Vec<_>>()
        });
        (declarations, payments)
    }

    proptest! {
        #[test]
        fn allocation_conserves_money_and_pays_oldest_first((declarations, payments) in arb_history()) {
            let settlement = settle(&declarations, &payments).unwrap();
            let paid_in: i64 = payments.iter().map(|p| p.amount_fen).sum();
            let credit_notes: i64 = declarations.iter().map(|d| (-d.total_fen).max(0)).sum();
            let allocated: i64 = settlement.standings.iter().map(|s| s.paid_fen).sum();
            prop_assert!(allocated <= paid_in + credit_notes);
            prop_assert_eq!(allocated + settlement.credit_fen, paid_in + credit_notes);
            prop_assert!(settlement.credit_fen >= 0);

            for payment in &payments {
                let used: i64 = settlement
                    .standings
                    .iter()
                    .flat_map(|s| &s.allocations)
                    .filter(|a| a.source == FundsSource::Payment { reference: payment.reference.clone() })
                    .map(|a| a.amount_fen)
                    .sum();
                prop_assert!(used <= payment.amount_fen);
            }
            for s in &settlement.standings {
                prop_assert_eq!(s.paid_fen, s.allocations.iter().map(|a| a.amount_fen).sum::<i64>());
                prop_assert_eq!(s.paid_fen + s.outstanding_fen, s.declaration.total_fen.max(0));
                prop_assert!(s.allocations.iter().all(|a| a.amount_fen > 0 && a.applied_at >= s.declaration.issued_at));
            }
            // No younger declaration holds money while an older one is still open.
            for (i, older) in settlement.standings.iter().enumerate() {
                if older.outstanding_fen > 0 {
                    for younger in &settlement.standings[i + 1..] {
                        prop_assert_eq!(younger.paid_fen, 0);
                    }
                }
            }
            // Credit is left only when nothing is owed.
            prop_assert!(settlement.credit_fen == 0 || settlement.outstanding_fen() == 0);
        }

        #[test]
        fn late_fee_matches_a_day_by_day_count((declarations, payments) in arb_history(), extra_days in 0i64..400) {
            let terms = PaymentTerms::default();
            let settlement = settle(&declarations, &payments).unwrap();
            for s in &settlement.standings {
                let today = s.declaration.due_date + Duration::days(extra_days);
                let mut fen_days: i128 = 0;
                let mut day = s.declaration.due_date + Duration::days(1);
                while day <= today && s.declaration.total_fen > 0 {
                    let paid_before: i64 = s
                        .allocations
                        .iter()
                        .filter(|a| shanghai_date(a.applied_at) < day)
                        .map(|a| a.amount_fen)
                        .sum();
                    fen_days += i128::from(s.declaration.total_fen - paid_before);
                    day += Duration::days(1);
                }
                let expected = (fen_days * 500 + 500_000) / 1_000_000;
                prop_assert_eq!(i128::from(s.late_fee_fen(today, &terms)), expected);
            }
        }
    }
}
