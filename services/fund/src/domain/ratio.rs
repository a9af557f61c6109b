//! The benefit / fee ratio (支缴率) a platform's fee is set by: benefits paid for its workers'
//! injuries over the fees it paid, in a province, over a span of months.

use gigshield_scheme::calendar::CalendarMonth;

/// The rule's fixed observation window: July 2022 through December 2024.
pub fn rule_window() -> (CalendarMonth, CalendarMonth) {
    (
        CalendarMonth::new(2022, 7).expect("a valid month"),
        CalendarMonth::new(2024, 12).expect("a valid month"),
    )
}

/// The longest span one request may cover.
pub const MAX_MONTHS: u32 = 120;

/// Benefits over fees in basis points (10 000 = 1.0), rounded half up; `None` without fees.
pub fn ratio_bps(benefits_fen: i64, fees_fen: i64) -> Option<i64> {
    if fees_fen <= 0 {
        return None;
    }
    let (b, f) = (i128::from(benefits_fen), i128::from(fees_fen));
    let scaled = b * 10_000;
    let rounded = if scaled >= 0 {
        (scaled + f / 2) / f
    } else {
        (scaled - f / 2) / f
    };
    i64::try_from(rounded).ok()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ratios_in_basis_points() {
        assert_eq!(ratio_bps(25, 100), Some(2_500));
        assert_eq!(ratio_bps(1, 3), Some(3_333));
        assert_eq!(ratio_bps(2, 3), Some(6_667));
        assert_eq!(ratio_bps(500, 100), Some(50_000));
        assert_eq!(ratio_bps(10, 0), None);
    }

    #[test]
    fn the_rule_window_is_thirty_months() {
        let (from, through) = rule_window();
        assert_eq!(from.months_through(through, MAX_MONTHS), Ok(30));
    }
}
