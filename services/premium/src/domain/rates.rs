//! The base amount per order (缴费基数/按单计费), in fen, keyed by (industry, platform, province,
//! effective from). Rows are only ever added, so any past order's rate can be recomputed.

use std::fmt;

use chrono::{DateTime, Utc};
use gigshield_scheme::industry::{Industry, scheme_2025_start};
use gigshield_scheme::region::ProvinceCode;
use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// One rate, in force from `effective_from` until a row with the same key and a later
/// `effective_from` takes over. `None` for platform or province means "any".
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RateRow {
    pub industry: Industry,
    pub platform_id: Option<Uuid>,
    pub province: Option<ProvinceCode>,
    pub effective_from: DateTime<Utc>,
    pub fen_per_order: i64,
}

/// The identity of a rate line whose history the table keeps.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct RateKey {
    pub industry: Industry,
    pub platform_id: Option<Uuid>,
    pub province: Option<ProvinceCode>,
}

/// How narrowly a row applies; a narrower row beats a broader one whatever their dates, so an
/// operator who sets a platform's own amount keeps it until they change that very row.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Specificity {
    Industry,
    Province,
    Platform,
    PlatformAndProvince,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RateError {
    #[error("fen_per_order must not be negative, got {fen_per_order}")]
    NegativeRate { fen_per_order: i64 },
    #[error(
        "a rate for {key} effective_from {effective_from} already exists ({existing_fen_per_order} fen/order); history is never rewritten, add a row with a later effective_from"
    )]
    Duplicate {
        key: RateKey,
        effective_from: DateTime<Utc>,
        existing_fen_per_order: i64,
    },
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("no rate in force for {industry} on platform {platform_id} in province {province} at {at}")]
pub struct NoRateInForce {
    pub industry: Industry,
    pub platform_id: Uuid,
    pub province: ProvinceCode,
    pub at: DateTime<Utc>,
}

impl fmt::Display for RateKey {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "industry {}", self.industry)?;
        match self.platform_id {
            Some(platform_id) => write!(f, ", platform {platform_id}")?,
            None => f.write_str(", any platform")?,
        }
        match &self.province {
            Some(province) => write!(f, ", province {province}"),
            None => f.write_str(", any province"),
        }
    }
}

impl RateRow {
    pub fn key(&self) -> RateKey {
        RateKey {
            industry: self.industry,
            platform_id: self.platform_id,
            province: self.province,
        }
    }

    pub fn specificity(&self) -> Specificity {
        match (self.platform_id.is_some(), self.province.is_some()) {
            (true, true) => Specificity::PlatformAndProvince,
            (true, false) => Specificity::Platform,
            (false, true) => Specificity::Province,
            (false, false) => Specificity::Industry,
        }
    }

    fn applies_to(&self, industry: Industry, platform_id: Uuid, province: &ProvinceCode) -> bool {
        self.industry == industry
            && self.platform_id.is_none_or(|id| id == platform_id)
            && self.province.as_ref().is_none_or(|p| p == province)
    }

    fn check_amount(&self) -> Result<(), RateError> {
        if self.fen_per_order < 0 {
            return Err(RateError::NegativeRate {
                fen_per_order: self.fen_per_order,
            });
        }
        Ok(())
    }
}

/// The national base amounts from 2025-07-01 (人社部发〔2025〕24号): ride-hailing 0.01 yuan,
/// instant delivery 0.07 yuan (the default; first-pilot platforms assigned 0.25 yuan get a
/// per-platform row from the operator), intra-city freight 0.18 yuan per order.
///
/// Pilot-era (2022-07 to 2025-06) amounts are not in our sources, so orders from then find no
/// rate until an operator loads them.
pub fn seed_rows_2025() -> Vec<RateRow> {
    [
        (Industry::RideHailing, 1),
        (Industry::InstantDelivery, 7),
        (Industry::IntraCityFreight, 18),
    ]
    .into_iter()
    .map(|(industry, fen_per_order)| RateRow {
        industry,
        platform_id: None,
        province: None,
        effective_from: scheme_2025_start(),
        fen_per_order,
    })
    .collect()
}

/// Stored orders of one industry that are priced alike: one platform, province and Shanghai
/// day, inside one segment between two breakpoints, charged at one rate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PricedGroup {
    pub platform_id: Uuid,
    pub province: ProvinceCode,
    pub day: chrono::NaiveDate,
    pub segment_start: DateTime<Utc>,
    pub fen_per_order: i64,
    /// Every stored order of the group (their stored rate changes).
    pub orders: i64,
    /// Those billed (their fees change).
    pub billable: i64,
}

/// A group charged at a rate the table no longer gives it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Repricing {
    pub group: PricedGroup,
    pub new_fen_per_order: i64,
}

impl Repricing {
    /// The change of the fees of the group's billed orders, in fen.
    pub fn delta_fen(&self) -> i64 {
        self.group
            .billable
            .saturating_mul(self.new_fen_per_order - self.group.fen_per_order)
    }
}

/// Every rate row ever in force.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct RateTable {
    rows: Vec<RateRow>,
}

impl RateTable {
    /// Loads stored history (or the seed). Past effective dates are allowed here because
    /// nothing has been charged against a table that is only being loaded.
    pub fn from_history(rows: impl IntoIterator<Item = RateRow>) -> Result<Self, RateError> {
        let mut table = Self::default();
        for row in rows {
            row.check_amount()?;
            table.check_not_duplicate(&row)?;
            table.rows.push(row);
        }
        Ok(table)
    }

    pub fn seeded() -> Self {
        Self::from_history(seed_rows_2025()).expect("seed rows are distinct and non-negative")
    }

    pub fn rows(&self) -> &[RateRow] {
        &self.rows
    }

    /// Checks a row an operator wants to add: non-negative and not a second row for the same
    /// key and instant. A row in force before now is allowed: the orders it prices are
    /// repriced ([`Self::reprice`]), open months in place and closed ones by adjustment.
    pub fn check_new_row(&self, row: &RateRow) -> Result<(), RateError> {
        row.check_amount()?;
        self.check_not_duplicate(row)
    }

    pub fn add(&mut self, row: RateRow) -> Result<(), RateError> {
        self.check_new_row(&row)?;
        self.rows.push(row);
        Ok(())
    }

    /// The instants from `from` on at which the price of an order of `industry` can change:
    /// `from` itself and every later `effective_from` of the industry's rows. Between two
    /// consecutive instants every order of one platform and province is priced alike.
    pub fn breakpoints(&self, industry: Industry, from: DateTime<Utc>) -> Vec<DateTime<Utc>> {
        let mut at: Vec<DateTime<Utc>> = self
            .rows
            .iter()
            .filter(|row| row.industry == industry && row.effective_from > from)
            .map(|row| row.effective_from)
            .chain(std::iter::once(from))
            .collect();
        at.sort();
        at.dedup();
        at
    }

    /// The stored orders whose price this table gives differently from what they were
    /// charged: each group (orders of one segment between two [breakpoints](Self::breakpoints))
    /// priced at the segment's start.
    pub fn reprice(&self, industry: Industry, groups: &[PricedGroup]) -> Vec<Repricing> {
        groups
            .iter()
            .filter_map(|group| {
                let row = self
                    .rate_for(
                        industry,
                        group.platform_id,
                        &group.province,
                        group.segment_start,
                    )
                    .ok()?;
                (row.fen_per_order != group.fen_per_order).then(|| Repricing {
                    group: group.clone(),
                    new_fen_per_order: row.fen_per_order,
                })
            })
            .collect()
    }

    fn check_not_duplicate(&self, row: &RateRow) -> Result<(), RateError> {
        let key = row.key();
        match self
            .rows
            .iter()
            .find(|existing| existing.effective_from == row.effective_from && existing.key() == key)
        {
            Some(existing) => Err(RateError::Duplicate {
                key,
                effective_from: row.effective_from,
                existing_fen_per_order: existing.fen_per_order,
            }),
            None => Ok(()),
        }
    }

    /// The row that prices an order accepted at `at`: the most specific row that applies
    /// (platform + province, then platform, then province, then industry only), and among
    /// those the one with the latest `effective_from` not after `at`.
    pub fn rate_for(
        &self,
        industry: Industry,
        platform_id: Uuid,
        province: &ProvinceCode,
        at: DateTime<Utc>,
    ) -> Result<&RateRow, NoRateInForce> {
        self.rows
            .iter()
            .filter(|row| {
                row.effective_from <= at && row.applies_to(industry, platform_id, province)
            })
            .max_by_key(|row| (row.specificity(), row.effective_from))
            .ok_or(NoRateInForce {
                industry,
                platform_id,
                province: *province,
                at,
            })
    }
}

#[cfg(test)]
mod tests {
    use chrono::Duration;

    use super::*;

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn province(code: &str) -> ProvinceCode {
        ProvinceCode::parse(code).unwrap()
    }

    fn row(
        industry: Industry,
        platform_id: Option<Uuid>,
        province_code: Option<&str>,
        effective_from: DateTime<Utc>,
        fen_per_order: i64,
    ) -> RateRow {
        RateRow {
            industry,
            platform_id,
            province: province_code.map(province),
            effective_from,
            fen_per_order,
        }
    }

    fn fen(
        table: &RateTable,
        industry: Industry,
        platform: Uuid,
        prov: &str,
        at: DateTime<Utc>,
    ) -> i64 {
        table
            .rate_for(industry, platform, &province(prov), at)
            .unwrap()
            .fen_per_order
    }

    #[test]
    fn seed_prices_the_three_industries_from_shanghai_midnight_2025_07_01() {
        let table = RateTable::seeded();
        let start = utc("2025-06-30T16:00:00Z");
        let platform = Uuid::now_v7();
        assert_eq!(
            fen(&table, Industry::RideHailing, platform, "110000", start),
            1
        );
        assert_eq!(
            fen(&table, Industry::InstantDelivery, platform, "310000", start),
            7
        );
        assert_eq!(
            fen(
                &table,
                Industry::IntraCityFreight,
                platform,
                "440000",
                start
            ),
            18
        );

        let before = start - Duration::seconds(1);
        let missing = table
            .rate_for(Industry::RideHailing, platform, &province("110000"), before)
            .unwrap_err();
        assert_eq!(missing.at, before);
        assert!(
            table
                .rate_for(Industry::FoodDelivery, platform, &province("110000"), start)
                .is_err()
        );
    }

    #[test]
    fn a_platforms_own_amount_overrides_the_national_one_for_that_platform_only() {
        let mut table = RateTable::seeded();
        let pilot = Uuid::now_v7();
        let newcomer = Uuid::now_v7();
        table
            .add(row(
                Industry::InstantDelivery,
                Some(pilot),
                None,
                scheme_2025_start(),
                25,
            ))
            .unwrap();
        let at = utc("2025-07-10T04:00:00Z");
        assert_eq!(
            fen(&table, Industry::InstantDelivery, pilot, "310000", at),
            25
        );
        assert_eq!(
            fen(&table, Industry::InstantDelivery, newcomer, "310000", at),
            7
        );
    }

    #[test]
    fn specificity_ranks_platform_and_province_then_platform_then_province_then_industry() {
        let platform = Uuid::now_v7();
        let other = Uuid::now_v7();
        let t = scheme_2025_start();
        let table = RateTable::from_history([
            row(Industry::InstantDelivery, None, None, t, 7),
            row(Industry::InstantDelivery, None, Some("310000"), t, 9),
            row(Industry::InstantDelivery, Some(platform), None, t, 25),
            row(
                Industry::InstantDelivery,
                Some(platform),
                Some("440000"),
                t,
                11,
            ),
        ])
        .unwrap();
        let at = t + Duration::days(3);
        assert_eq!(
            fen(&table, Industry::InstantDelivery, platform, "440000", at),
            11
        );
        assert_eq!(
            fen(&table, Industry::InstantDelivery, platform, "310000", at),
            25
        );
        assert_eq!(
            fen(&table, Industry::InstantDelivery, other, "310000", at),
            9
        );
        assert_eq!(
            fen(&table, Industry::InstantDelivery, other, "440000", at),
            7
        );
    }

    #[test]
    fn a_narrower_older_row_beats_a_broader_newer_one() {
        let platform = Uuid::now_v7();
        let t = scheme_2025_start();
        let table = RateTable::from_history([
            row(Industry::InstantDelivery, None, None, t, 7),
            row(Industry::InstantDelivery, Some(platform), None, t, 25),
            row(
                Industry::InstantDelivery,
                None,
                None,
                utc("2027-01-01T00:00:00Z"),
                10,
            ),
        ])
        .unwrap();
        let at = utc("2027-02-01T00:00:00Z");
        assert_eq!(
            fen(&table, Industry::InstantDelivery, platform, "310000", at),
            25
        );
        assert_eq!(
            fen(
                &table,
                Industry::InstantDelivery,
                Uuid::now_v7(),
                "310000",
                at
            ),
            10
        );
    }

    #[test]
    fn a_rate_change_takes_effect_at_its_exact_instant() {
        let mut table = RateTable::seeded();
        let change = utc("2026-12-31T16:00:00Z");
        table
            .add(row(Industry::RideHailing, None, None, change, 2))
            .unwrap();
        let platform = Uuid::now_v7();
        let just_before = change - Duration::nanoseconds(1);
        assert_eq!(
            fen(
                &table,
                Industry::RideHailing,
                platform,
                "110000",
                just_before
            ),
            1
        );
        assert_eq!(
            fen(&table, Industry::RideHailing, platform, "110000", change),
            2
        );
    }

    #[test]
    fn among_equal_specificity_the_latest_row_in_force_wins() {
        let t = scheme_2025_start();
        let table = RateTable::from_history([
            row(
                Industry::IntraCityFreight,
                None,
                Some("500000"),
                t + Duration::days(60),
                20,
            ),
            row(Industry::IntraCityFreight, None, Some("500000"), t, 18),
            row(
                Industry::IntraCityFreight,
                None,
                Some("500000"),
                t + Duration::days(30),
                19,
            ),
        ])
        .unwrap();
        let platform = Uuid::now_v7();
        assert_eq!(
            fen(
                &table,
                Industry::IntraCityFreight,
                platform,
                "500000",
                t + Duration::days(45)
            ),
            19
        );
        assert_eq!(
            fen(
                &table,
                Industry::IntraCityFreight,
                platform,
                "500000",
                t + Duration::days(61)
            ),
            20
        );
        assert!(
            table
                .rate_for(
                    Industry::IntraCityFreight,
                    platform,
                    &province("500000"),
                    t - Duration::days(1)
                )
                .is_err()
        );
    }

    #[test]
    fn same_key_and_instant_is_a_conflict_even_at_load() {
        let t = scheme_2025_start();
        let err = RateTable::from_history([
            row(Industry::RideHailing, None, None, t, 1),
            row(Industry::RideHailing, None, None, t, 2),
        ])
        .unwrap_err();
        assert!(matches!(
            err,
            RateError::Duplicate {
                existing_fen_per_order: 1,
                ..
            }
        ));

        let mut table = RateTable::seeded();
        let err = table
            .add(row(Industry::RideHailing, None, None, t, 1))
            .unwrap_err();
        assert!(matches!(err, RateError::Duplicate { .. }), "{err}");
        // Same instant, different key: fine.
        table
            .add(row(Industry::RideHailing, None, Some("110000"), t, 1))
            .unwrap();
    }

    #[test]
    fn rows_cannot_be_negative_but_may_be_zero() {
        let mut table = RateTable::seeded();
        let now = utc("2026-03-01T00:00:00Z");
        let err = table
            .add(row(Industry::RideHailing, None, None, now, -1))
            .unwrap_err();
        assert_eq!(err, RateError::NegativeRate { fen_per_order: -1 });
        assert!(err.to_string().contains("fen_per_order"));
        table
            .add(row(Industry::RideHailing, None, None, now, 0))
            .unwrap();
        assert_eq!(
            fen(&table, Industry::RideHailing, Uuid::now_v7(), "110000", now),
            0
        );
    }

    #[test]
    fn a_backdated_row_reprices_the_orders_it_now_prices_and_no_others() {
        let mut table = RateTable::seeded();
        let pilot = Uuid::from_u128(7);
        let other = Uuid::from_u128(8);
        let from = utc("2025-06-30T16:00:00Z"); // 2025-07-01 in Shanghai
        let later = utc("2025-08-31T16:00:00Z");
        table
            .add(row(Industry::InstantDelivery, Some(pilot), None, later, 30))
            .unwrap();
        table
            .add(row(Industry::InstantDelivery, Some(pilot), None, from, 25))
            .unwrap();
        assert_eq!(
            table.breakpoints(Industry::InstantDelivery, from),
            [from, later],
            "the instants where a price may change"
        );
        let group = |platform_id, segment_start, fen_per_order| PricedGroup {
            platform_id,
            province: province("110000"),
            day: chrono::NaiveDate::from_ymd_opt(2025, 7, 2).unwrap(),
            segment_start,
            fen_per_order,
            orders: 10,
            billable: 8,
        };
        let repriced = table.reprice(
            Industry::InstantDelivery,
            &[
                group(pilot, from, 7),
                group(other, from, 7),
                group(pilot, later, 30),
            ],
        );
        assert_eq!(repriced.len(), 1, "{repriced:?}");
        assert_eq!(repriced[0].new_fen_per_order, 25);
        assert_eq!(repriced[0].delta_fen(), 8 * 18);
    }

    #[test]
    fn rows_scheduled_for_the_future_are_not_yet_in_force() {
        let mut table = RateTable::seeded();
        let now = utc("2026-03-01T00:00:00Z");
        let later = utc("2026-06-30T16:00:00Z");
        table
            .add(row(Industry::IntraCityFreight, None, None, later, 30))
            .unwrap();
        // Scheduling an earlier future change after a later one is not a rewrite.
        table
            .add(row(
                Industry::IntraCityFreight,
                None,
                None,
                later - Duration::days(30),
                25,
            ))
            .unwrap();
        let platform = Uuid::now_v7();
        assert_eq!(
            fen(&table, Industry::IntraCityFreight, platform, "110000", now),
            18
        );
        assert_eq!(
            fen(
                &table,
                Industry::IntraCityFreight,
                platform,
                "110000",
                later - Duration::days(1)
            ),
            25
        );
        assert_eq!(
            fen(
                &table,
                Industry::IntraCityFreight,
                platform,
                "110000",
                later
            ),
            30
        );
    }
}
