//! Deterministic synthetic people and platforms: valid identifiers, plausible names, no real
//! person. The same index always gives the same person, so runs are repeatable.

use gigshield_scheme::identifiers::{credit_code, resident_id};

const REGIONS: [&str; 8] = [
    "110105", "310104", "440305", "320102", "510107", "500103", "460105", "330106",
];
const SURNAMES: [&str; 20] = [
    "王", "李", "张", "刘", "陈", "杨", "黄", "赵", "吴", "周", "徐", "孙", "马", "朱", "胡", "郭",
    "何", "林", "罗", "高",
];
const GIVEN: [&str; 20] = [
    "伟", "芳", "娜", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "涛", "明", "超",
    "秀", "霞", "平", "刚",
];

/// A valid resident ID: 1000 sequence numbers per birth date, 15,000 dates from 1960 on, then
/// the next region: unique for the first 120 million indexes, everyone at least 16.
pub fn resident_id(index: u64) -> String {
    let sequence = index % 1000;
    let day = (index / 1000) % 15_000;
    let region = REGIONS[((index / 15_000_000) % REGIONS.len() as u64) as usize];
    let birth =
        chrono::NaiveDate::from_ymd_opt(1960, 1, 1).expect("valid date") + chrono::Days::new(day);
    let first17 = format!("{region}{}{sequence:03}", birth.format("%Y%m%d"));
    let check = resident_id::check_character(first17.as_bytes()) as char;
    format!("{first17}{check}")
}

pub fn name(index: u64) -> String {
    let surname = SURNAMES[(index % 20) as usize];
    let given: String = [(index / 20) % 20, (index / 400) % 20]
        .iter()
        .map(|g| GIVEN[*g as usize])
        .collect();
    format!("{surname}{given}")
}

pub fn mobile(index: u64) -> String {
    format!("13{:09}", index % 1_000_000_000)
}

pub fn region(index: u64) -> &'static str {
    REGIONS[(index % REGIONS.len() as u64) as usize]
}

/// A valid unified social credit code (GB 32100) distinct for each index.
pub fn credit_code(index: u64) -> String {
    let first17 = format!("91110000{:09}", index % 1_000_000_000);
    let check = credit_code::check_character(&first17).expect("digits are in the alphabet");
    format!("{first17}{check}")
}

#[cfg(test)]
mod tests {
    use super::*;
    use gigshield_scheme::identifiers::credit_code::CreditCode;
    use gigshield_scheme::identifiers::resident_id::ResidentId;

    #[test]
    fn synthetic_identifiers_are_valid_and_distinct() {
        let today = chrono::NaiveDate::from_ymd_opt(2026, 11, 29).unwrap();
        let mut seen = std::collections::HashSet::new();
        for i in (0..300_000).step_by(997) {
            let id = resident_id(i);
            let parsed = ResidentId::parse(&id, today).unwrap();
            assert!(parsed.age_on(today) >= 16);
            assert!(seen.insert(id));
            assert!(CreditCode::parse(&credit_code(i)).unwrap().check_valid());
            assert!(!name(i).chars().any(|c| c.is_ascii_digit()));
        }
    }
}
