//! What every service's regulator statistics share: the percentile they report durations with,
//! and the rule that a cell describing fewer persons than the threshold shows no figures (the
//! threshold is read with [`crate::config::Env::suppression_threshold`]).

/// The nearest-rank percentile of sorted values (0 for none): an observed value, never an
/// interpolated one, so a cell's "median days" is a number of days someone waited.
pub fn percentile(sorted: &[i64], pct: usize) -> i64 {
    if sorted.is_empty() {
        return 0;
    }
    let rank = (pct * sorted.len()).div_ceil(100).max(1);
    sorted[rank.min(sorted.len()) - 1]
}

/// Whether a cell of `persons` may show its figures under `min_persons`.
pub fn shown(persons: usize, min_persons: u32) -> bool {
    u64::try_from(persons).unwrap_or(u64::MAX) >= u64::from(min_persons)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn nearest_rank_percentiles() {
        let days: Vec<i64> = (1..=10).collect();
        assert_eq!(percentile(&days, 50), 5);
        assert_eq!(percentile(&days, 90), 9);
        assert_eq!(percentile(&days, 100), 10);
        assert_eq!(percentile(&[7], 90), 7);
        assert_eq!(percentile(&[], 50), 0);
    }

    #[test]
    fn small_cells_are_not_shown() {
        assert!(!shown(4, 5));
        assert!(shown(5, 5));
    }
}
