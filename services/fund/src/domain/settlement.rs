//! An insurer's month with the fund: the service fee on what it advanced, and the
//! reconciliation of its payout records with the fund's.

use std::collections::BTreeMap;

/// The highest service fee a contract may carry: 20 % of the benefits advanced.
pub const MAX_SERVICE_FEE_BPS: i32 = 2_000;

/// The most records one submission may carry.
pub const MAX_RECORDS: usize = 10_000;

/// The most records one streamed submission carries (`UploadPayoutRecords`): an insurer's
/// province-month, with room; held in memory until the stream ends (~100 MB at the limit).
pub const MAX_STREAMED_RECORDS: usize = 500_000;

/// The most rejected records an answer lists; the rest are counted.
pub const MAX_REJECTED_LISTED: usize = 1_000;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum MismatchKind {
    MissingFromInsurer,
    UnknownToFund,
    AmountDiffers,
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord)]
pub struct Mismatch {
    pub payout_key: String,
    pub kind: MismatchKind,
    pub fund_fen: i64,
    pub insurer_fen: i64,
}

/// Every payout on one side only, and every amount that differs, by payout key.
pub fn reconcile(fund: &BTreeMap<String, i64>, insurer: &BTreeMap<String, i64>) -> Vec<Mismatch> {
    let mut out = Vec::new();
    for (key, &fund_fen) in fund {
        match insurer.get(key) {
            None => out.push(Mismatch {
                payout_key: key.clone(),
                kind: MismatchKind::MissingFromInsurer,
                fund_fen,
                insurer_fen: 0,
            }),
            Some(&insurer_fen) if insurer_fen != fund_fen => out.push(Mismatch {
                payout_key: key.clone(),
                kind: MismatchKind::AmountDiffers,
                fund_fen,
                insurer_fen,
            }),
            Some(_) => {}
        }
    }
    for (key, &insurer_fen) in insurer {
        if !fund.contains_key(key) {
            out.push(Mismatch {
                payout_key: key.clone(),
                kind: MismatchKind::UnknownToFund,
                fund_fen: 0,
                insurer_fen,
            });
        }
    }
    out.sort();
    out
}

/// `fen × bps / 10 000`, rounded half away from zero (a month with more returned than issued
/// gives a negative fee, which the fund takes back).
pub fn service_fee(advanced_fen: i64, bps: i32) -> i64 {
    let product = i128::from(advanced_fen) * i128::from(bps);
    let half = 5_000 * product.signum();
    i64::try_from((product + half) / 10_000).unwrap_or(0)
}

/// The mismatch keys no explanation covers.
pub fn unexplained<'a>(mismatches: &'a [Mismatch], explained: &[String]) -> Vec<&'a str> {
    mismatches
        .iter()
        .map(|m| m.payout_key.as_str())
        .filter(|key| !explained.iter().any(|e| e == key))
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;

    fn book(items: &[(&str, i64)]) -> BTreeMap<String, i64> {
        items.iter().map(|(k, v)| ((*k).to_string(), *v)).collect()
    }

    #[test]
    fn one_missing_and_one_extra_on_each_side() {
        let fund = book(&[("a", 100), ("b", 200), ("c", 300)]);
        let insurer = book(&[("a", 100), ("c", 301), ("x", 50)]);
        let found = reconcile(&fund, &insurer);
        let kinds: Vec<(&str, MismatchKind)> = found
            .iter()
            .map(|m| (m.payout_key.as_str(), m.kind))
            .collect();
        assert_eq!(
            kinds,
            vec![
                ("b", MismatchKind::MissingFromInsurer),
                ("c", MismatchKind::AmountDiffers),
                ("x", MismatchKind::UnknownToFund),
            ]
        );
        assert_eq!(unexplained(&found, &["b".into(), "x".into()]), vec!["c"]);
        assert!(reconcile(&fund, &fund).is_empty());
    }

    #[test]
    fn fees_round_half_away_from_zero() {
        assert_eq!(service_fee(10_000, 300), 300);
        assert_eq!(service_fee(150, 100), 2, "1.5 fen rounds up");
        assert_eq!(service_fee(149, 100), 1);
        assert_eq!(service_fee(-150, 100), -2);
        assert_eq!(service_fee(0, 2_000), 0);
        assert_eq!(service_fee(i64::MAX, MAX_SERVICE_FEE_BPS), i64::MAX / 5);
    }
}
