//! Coverage days this replica has seen stored. Only about one order in eight opens a day, so a
//! batch asks the database only about the days not known here; the insert of those still uses
//! `ON CONFLICT DO NOTHING`, so correctness never depends on this memory (another replica may
//! have stored a day this one does not know). Coverage days are never deleted, so a known day
//! stays true.

use std::collections::HashSet;
use std::sync::{Arc, Mutex};

use crate::domain::coverage::CoverageDayKey;
use crate::domain::ingest::CoverageCandidate;

/// Days remembered before the memory starts again: ≈ 80 bytes each, so ≤ ≈ 40 MB.
const LIMIT: usize = 500_000;

#[derive(Clone, Default)]
pub struct KnownDays {
    days: Arc<Mutex<HashSet<CoverageDayKey>>>,
}

impl KnownDays {
    /// The candidates whose day is not known to be stored.
    pub fn unknown<'a>(&self, candidates: &'a [CoverageCandidate]) -> Vec<&'a CoverageCandidate> {
        let days = self.days.lock().expect("not poisoned");
        candidates
            .iter()
            .filter(|c| !days.contains(&c.key))
            .collect()
    }

    /// Call after the transaction that stored (or found) these days committed.
    pub fn remember<'a>(&self, keys: impl IntoIterator<Item = &'a CoverageDayKey>) {
        let mut days = self.days.lock().expect("not poisoned");
        for key in keys {
            if days.len() >= LIMIT {
                days.clear();
            }
            days.insert(key.clone());
        }
    }
}

#[cfg(test)]
mod tests {
    use chrono::NaiveDate;
    use uuid::Uuid;

    use super::*;

    fn candidate(person: u128) -> CoverageCandidate {
        CoverageCandidate {
            key: CoverageDayKey {
                person_id: Uuid::from_u128(person),
                platform_id: Uuid::from_u128(1),
                province: "440000".parse().unwrap(),
                date: NaiveDate::from_ymd_opt(2026, 7, 1).unwrap(),
            },
            order_id: format!("o{person}"),
            accepted_at: "2026-07-01T02:00:00Z".parse().unwrap(),
        }
    }

    #[test]
    fn remembered_days_are_not_asked_about_again() {
        let known = KnownDays::default();
        let batch = [candidate(1), candidate(2)];
        assert_eq!(known.unknown(&batch).len(), 2);
        known.remember([&batch[0].key]);
        let left: Vec<&CoverageDayKey> = known.unknown(&batch).iter().map(|c| &c.key).collect();
        assert_eq!(left, [&batch[1].key]);
    }
}
