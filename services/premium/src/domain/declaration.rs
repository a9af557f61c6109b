//! Monthly declarations (按月缴费): per platform × province × billing month, the orders charged,
//! grouped by industry and rate. A closed month is never reopened; charges that arrive for it
//! later are declared as adjustment lines on the next open month, tagged with the month they
//! belong to.

use std::collections::BTreeMap;

use chrono::{DateTime, Utc};
use gigshield_scheme::calendar::CalendarMonth;
use gigshield_scheme::industry::Industry;
use gigshield_scheme::region::ProvinceCode;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

use super::billing::Charge;

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
pub struct DeclarationKey {
    pub platform_id: Uuid,
    pub province: ProvinceCode,
    pub month: CalendarMonth,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeclarationLine {
    /// `None` for the declaration's own month; `Some(m)` for an adjustment to closed month `m`.
    pub adjusts_month: Option<CalendarMonth>,
    pub industry: Industry,
    pub fen_per_order: i64,
    /// Net orders; negative when reversals for a closed month outnumber late charges.
    pub order_count: i64,
    /// `order_count × fen_per_order`, exact.
    pub amount_fen: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Declaration {
    pub key: DeclarationKey,
    /// Own-month lines first, then adjustments oldest month first; within each, by industry
    /// and rate. Lines that net to zero orders are left out.
    pub lines: Vec<DeclarationLine>,
    /// Σ `amount_fen` over the lines, exact. Zero for a month without orders (a nil declaration,
    /// 零申报, which is still issued); negative only when adjustments take back more than the
    /// month charges, which makes it a credit note.
    pub total_fen: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DeclarationError {
    #[error("charge platform_id {charge} does not match the declaration's platform {declaration}")]
    PlatformMismatch { declaration: Uuid, charge: Uuid },
    #[error("charge province {charge} does not match the declaration's province {declaration}")]
    ProvinceMismatch {
        declaration: ProvinceCode,
        charge: ProvinceCode,
    },
    #[error("charge order_month {order_month} is after the declaration month {month}")]
    ChargeFromLaterMonth {
        order_month: CalendarMonth,
        month: CalendarMonth,
    },
    #[error("charge fen_per_order must not be negative, got {fen_per_order}")]
    NegativeRate { fen_per_order: i64 },
    #[error("declaration amount overflows i64 fen")]
    AmountOverflow,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum CloseError {
    #[error("month {month} has not ended yet: it ends at {ends_at}")]
    NotEnded {
        month: CalendarMonth,
        ends_at: DateTime<Utc>,
    },
    #[error("month {month} is already closed (latest closed month is {last_closed})")]
    AlreadyClosed {
        month: CalendarMonth,
        last_closed: CalendarMonth,
    },
    #[error("month {month} cannot close before {expected}; months close in order")]
    OutOfTurn {
        month: CalendarMonth,
        expected: CalendarMonth,
    },
}

/// Checks that `month` may be closed at `now`, given the latest month already closed.
/// Months close one at a time and in order, so the closed months are always a prefix of the
/// calendar and "the next open month" is simply the one after the last closed.
pub fn check_close(
    month: CalendarMonth,
    last_closed: Option<CalendarMonth>,
    now: DateTime<Utc>,
) -> Result<(), CloseError> {
    if now < month.ends_at() {
        return Err(CloseError::NotEnded {
            month,
            ends_at: month.ends_at(),
        });
    }
    match last_closed {
        Some(last_closed) if month <= last_closed => {
            Err(CloseError::AlreadyClosed { month, last_closed })
        }
        // `month` is later than `last_closed`, so a month after `last_closed` exists.
        Some(last_closed) => match last_closed.next() {
            Some(expected) if month != expected => Err(CloseError::OutOfTurn { month, expected }),
            _ => Ok(()),
        },
        None => Ok(()),
    }
}

/// The declaration month a charge for orders of `order_month` is filed under: its own month
/// while that is open, otherwise the first open month, as an adjustment.
///
/// The store must read `last_closed` in the same transaction as it files the charge (or lock
/// against `CloseMonth`), or a charge could land in a month that closed meanwhile.
pub fn declaration_month(
    order_month: CalendarMonth,
    last_closed: Option<CalendarMonth>,
) -> CalendarMonth {
    match last_closed {
        Some(last_closed) if order_month <= last_closed => last_closed.next().expect(
            "a closed month has ended, and a month that has ended is not 9999-12: it ends in 10000",
        ),
        _ => order_month,
    }
}

/// Builds the declaration for `key` from every charge filed under it.
pub fn build_declaration<'a>(
    key: DeclarationKey,
    charges: impl IntoIterator<Item = &'a Charge>,
) -> Result<Declaration, DeclarationError> {
    let mut counts: BTreeMap<(Option<CalendarMonth>, Industry, i64), i64> = BTreeMap::new();
    for charge in charges {
        if charge.platform_id != key.platform_id {
            return Err(DeclarationError::PlatformMismatch {
                declaration: key.platform_id,
                charge: charge.platform_id,
            });
        }
        if charge.province != key.province {
            return Err(DeclarationError::ProvinceMismatch {
                declaration: key.province,
                charge: charge.province,
            });
        }
        if charge.order_month > key.month {
            return Err(DeclarationError::ChargeFromLaterMonth {
                order_month: charge.order_month,
                month: key.month,
            });
        }
        if charge.fen_per_order < 0 {
            return Err(DeclarationError::NegativeRate {
                fen_per_order: charge.fen_per_order,
            });
        }
        let adjusts_month = (charge.order_month < key.month).then_some(charge.order_month);
        let count = counts
            .entry((adjusts_month, charge.industry, charge.fen_per_order))
            .or_default();
        *count = count
            .checked_add(charge.order_count)
            .ok_or(DeclarationError::AmountOverflow)?;
    }

    let mut lines = Vec::with_capacity(counts.len());
    let mut total_fen: i64 = 0;
    for ((adjusts_month, industry, fen_per_order), order_count) in counts {
        if order_count == 0 {
            continue;
        }
        let amount_fen = order_count
            .checked_mul(fen_per_order)
            .ok_or(DeclarationError::AmountOverflow)?;
        total_fen = total_fen
            .checked_add(amount_fen)
            .ok_or(DeclarationError::AmountOverflow)?;
        lines.push(DeclarationLine {
            adjusts_month,
            industry,
            fen_per_order,
            order_count,
            amount_fen,
        });
    }
    Ok(Declaration {
        key,
        lines,
        total_fen,
    })
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn month(s: &str) -> CalendarMonth {
        s.parse().unwrap()
    }

    fn province() -> ProvinceCode {
        ProvinceCode::parse("310000").unwrap()
    }

    fn key(m: &str) -> DeclarationKey {
        DeclarationKey {
            platform_id: Uuid::from_u128(1),
            province: province(),
            month: month(m),
        }
    }

    fn charge(
        order_month: &str,
        industry: Industry,
        fen_per_order: i64,
        order_count: i64,
    ) -> Charge {
        Charge {
            platform_id: Uuid::from_u128(1),
            province: province(),
            order_month: month(order_month),
            industry,
            fen_per_order,
            order_count,
        }
    }

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    #[test]
    fn lines_group_by_industry_and_rate_and_total_is_exact() {
        let charges = [
            charge("2025-07", Industry::InstantDelivery, 7, 1),
            charge("2025-07", Industry::RideHailing, 1, 3),
            charge("2025-07", Industry::InstantDelivery, 7, 1),
            charge("2025-07", Industry::InstantDelivery, 25, 2),
            charge("2025-07", Industry::InstantDelivery, 7, -1),
        ];
        let declaration = build_declaration(key("2025-07"), &charges).unwrap();
        let summary: Vec<_> = declaration
            .lines
            .iter()
            .map(|l| (l.industry, l.fen_per_order, l.order_count, l.amount_fen))
            .collect();
        assert_eq!(
            summary,
            [
                (Industry::RideHailing, 1, 3, 3),
                (Industry::InstantDelivery, 7, 1, 7),
                (Industry::InstantDelivery, 25, 2, 50),
            ]
        );
        assert_eq!(declaration.total_fen, 60);
        assert!(declaration.lines.iter().all(|l| l.adjusts_month.is_none()));
    }

    #[test]
    fn a_month_without_orders_is_a_nil_declaration() {
        let declaration = build_declaration(key("2025-08"), []).unwrap();
        assert!(declaration.lines.is_empty());
        assert_eq!(declaration.total_fen, 0);
    }

    #[test]
    fn late_charges_for_a_closed_month_go_to_the_next_open_month() {
        let july = month("2025-07");
        assert_eq!(declaration_month(july, None), july);
        assert_eq!(declaration_month(july, Some(month("2025-06"))), july);
        assert_eq!(declaration_month(july, Some(july)), month("2025-08"));
        assert_eq!(
            declaration_month(month("2025-05"), Some(july)),
            month("2025-08")
        );
        assert_eq!(
            declaration_month(month("2025-12"), Some(month("2025-12"))),
            month("2026-01")
        );
    }

    #[test]
    fn adjustments_are_separate_lines_tagged_with_their_month() {
        let charges = [
            charge("2026-01", Industry::RideHailing, 1, 10),
            charge("2025-12", Industry::RideHailing, 1, 2),
            charge("2025-11", Industry::RideHailing, 1, 1),
            charge("2025-12", Industry::InstantDelivery, 7, -1),
        ];
        let declaration = build_declaration(key("2026-01"), &charges).unwrap();
        let tags: Vec<_> = declaration
            .lines
            .iter()
            .map(|l| {
                (
                    l.adjusts_month.map(|m| m.to_string()),
                    l.industry,
                    l.amount_fen,
                )
            })
            .collect();
        assert_eq!(
            tags,
            [
                (None, Industry::RideHailing, 10),
                (Some("2025-11".into()), Industry::RideHailing, 1),
                (Some("2025-12".into()), Industry::RideHailing, 2),
                (Some("2025-12".into()), Industry::InstantDelivery, -7),
            ]
        );
        assert_eq!(declaration.total_fen, 6);
    }

    #[test]
    fn reversals_beyond_the_months_charges_make_a_credit_note() {
        let charges = [charge("2025-07", Industry::InstantDelivery, 7, -2)];
        let declaration = build_declaration(key("2025-08"), &charges).unwrap();
        assert_eq!(declaration.total_fen, -14);
    }

    #[test]
    fn foreign_future_negative_or_huge_charges_are_refused() {
        let mut foreign = charge("2025-07", Industry::RideHailing, 1, 1);
        foreign.platform_id = Uuid::from_u128(2);
        assert!(matches!(
            build_declaration(key("2025-07"), [&foreign]),
            Err(DeclarationError::PlatformMismatch { .. })
        ));
        let mut elsewhere = charge("2025-07", Industry::RideHailing, 1, 1);
        elsewhere.province = ProvinceCode::parse("110000").unwrap();
        assert!(matches!(
            build_declaration(key("2025-07"), [&elsewhere]),
            Err(DeclarationError::ProvinceMismatch { .. })
        ));
        let future = charge("2025-08", Industry::RideHailing, 1, 1);
        assert!(matches!(
            build_declaration(key("2025-07"), [&future]),
            Err(DeclarationError::ChargeFromLaterMonth { .. })
        ));
        let negative = charge("2025-07", Industry::RideHailing, -1, 1);
        let err = build_declaration(key("2025-07"), [&negative]).unwrap_err();
        assert!(err.to_string().contains("fen_per_order"));
        let huge = [
            charge("2025-07", Industry::RideHailing, i64::MAX / 2, 2),
            charge("2025-07", Industry::InstantDelivery, 2, i64::MAX / 2),
        ];
        assert_eq!(
            build_declaration(key("2025-07"), &huge),
            Err(DeclarationError::AmountOverflow)
        );
    }

    #[test]
    fn months_close_once_in_order_after_they_end() {
        let july = month("2025-07");
        let august_start = utc("2025-07-31T16:00:00Z");
        assert!(matches!(
            check_close(
                july,
                Some(month("2025-06")),
                august_start - chrono::Duration::seconds(1)
            ),
            Err(CloseError::NotEnded { .. })
        ));
        assert_eq!(
            check_close(july, Some(month("2025-06")), august_start),
            Ok(())
        );
        assert_eq!(check_close(july, None, august_start), Ok(()));
        assert!(matches!(
            check_close(july, Some(july), august_start),
            Err(CloseError::AlreadyClosed { .. })
        ));
        assert_eq!(
            check_close(july, Some(month("2025-05")), august_start),
            Err(CloseError::OutOfTurn {
                month: july,
                expected: month("2025-06")
            })
        );
        assert_eq!(
            check_close(
                month("2026-01"),
                Some(month("2025-12")),
                utc("2026-01-31T16:00:00Z")
            ),
            Ok(())
        );
    }

    fn arb_charge() -> impl Strategy<Value = Charge> {
        (
            0usize..3,
            prop::sample::select(vec![0i64, 1, 7, 18, 25]),
            -50i64..1_000,
            0u32..3,
        )
            .prop_map(|(industry, fen, count, months_back)| {
                let mut m = month("2026-03");
                for _ in 0..months_back {
                    m = m.previous().expect("test months are far from 0001");
                }
                Charge {
                    platform_id: Uuid::from_u128(1),
                    province: province(),
                    order_month: m,
                    industry: Industry::ALL[industry],
                    fen_per_order: fen,
                    order_count: count,
                }
            })
    }

    proptest! {
        #[test]
        fn total_equals_the_sum_of_charges_and_of_lines(charges in prop::collection::vec(arb_charge(), 0..60)) {
            let declaration = build_declaration(key("2026-03"), &charges).unwrap();
            let expected: i64 = charges.iter().map(|c| c.order_count * c.fen_per_order).sum();
            prop_assert_eq!(declaration.total_fen, expected);
            prop_assert_eq!(declaration.lines.iter().map(|l| l.amount_fen).sum::<i64>(), expected);
            for line in &declaration.lines {
                prop_assert_eq!(line.amount_fen, line.order_count * line.fen_per_order);
                prop_assert!(line.order_count != 0);
                let charged: i64 = charges
                    .iter()
                    .filter(|c| {
                        c.industry == line.industry
                            && c.fen_per_order == line.fen_per_order
                            && (c.order_month < key("2026-03").month).then_some(c.order_month)
                                == line.adjusts_month
                    })
                    .map(|c| c.order_count)
                    .sum();
                prop_assert_eq!(line.order_count, charged);
            }
        }
    }
}
