//! When the scheme started in each province: a dated table, because provinces joined in
//! stages (docs/domain.md). An accident before its province joined cannot be reported.
//!
//! Configuration form (`INCIDENT_SCHEME_STAGES`): stages separated by `;`, each
//! `YYYY-MM-DD=P,P,…` with P a province as `XX0000` or its two-digit prefix. A province counts
//! from the earliest stage that lists it; dates are Asia/Shanghai calendar days.

use chrono::NaiveDate;
use gigshield_scheme::region::ProvinceCode;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemeStage {
    pub from: NaiveDate,
    pub provinces: Vec<ProvinceCode>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SchemeStages(Vec<SchemeStage>);

/// First pilot (H): Beijing, Shanghai, Jiangsu, Guangdong, Hainan, Chongqing, Sichuan.
const PILOT_2022: &[&str] = &["11", "31", "32", "44", "46", "50", "51"];
/// 人社部发〔2025〕24号 (H): Tianjin, Hebei, Liaoning, Zhejiang, Anhui, Fujian, Shandong, Hubei,
/// Guangxi, Ningxia.
const EXTENSION_2025: &[&str] = &["12", "13", "21", "33", "34", "35", "37", "42", "45", "64"];
/// 2026 (H for the year, ? for the day): the remaining mainland provinces and the Xinjiang
/// Production and Construction Corps (66). Hong Kong, Macao and Taiwan are not in the scheme.
const NATIONWIDE_2026: &[&str] = &[
    "14", "15", "22", "23", "36", "41", "43", "52", "53", "54", "61", "62", "63", "65", "66",
];

impl Default for SchemeStages {
    fn default() -> Self {
        let stage = |y, m, d, prefixes: &[&str]| SchemeStage {
            from: NaiveDate::from_ymd_opt(y, m, d).expect("valid literal date"),
            provinces: prefixes
                .iter()
                .map(|p| ProvinceCode::from_prefix(p).expect("literal prefixes are provinces"))
                .collect(),
        };
        Self(vec![
            stage(2022, 7, 1, PILOT_2022),
            stage(2025, 7, 1, EXTENSION_2025),
            stage(2026, 1, 1, NATIONWIDE_2026),
        ])
    }
}

impl SchemeStages {
    pub fn new(stages: Vec<SchemeStage>) -> Self {
        Self(stages)
    }

    /// The first Shanghai calendar day on which the scheme covers `province`; `None` when no
    /// stage lists it.
    pub fn start_of(&self, province: ProvinceCode) -> Option<NaiveDate> {
        self.0
            .iter()
            .filter(|stage| stage.provinces.contains(&province))
            .map(|stage| stage.from)
            .min()
    }

    /// Parses the configuration form described in the module documentation.
    pub fn parse(text: &str) -> Result<Self, String> {
        let mut stages = Vec::new();
        for part in text.split(';').map(str::trim).filter(|p| !p.is_empty()) {
            let (date, list) = part
                .split_once('=')
                .ok_or_else(|| format!("stage {part:?} is not DATE=PROVINCES"))?;
            let from = NaiveDate::parse_from_str(date.trim(), "%Y-%m-%d")
                .map_err(|e| format!("stage date {date:?}: {e}"))?;
            let provinces = list
                .split(',')
                .map(str::trim)
                .filter(|p| !p.is_empty())
                .map(|p| {
                    let parsed = if p.len() == 2 {
                        ProvinceCode::from_prefix(p)
                    } else {
                        ProvinceCode::parse(p)
                    };
                    parsed.map_err(|e| format!("province {p:?}: {e}"))
                })
                .collect::<Result<Vec<_>, _>>()?;
            if provinces.is_empty() {
                return Err(format!("stage {date} lists no province"));
            }
            stages.push(SchemeStage { from, provinces });
        }
        if stages.is_empty() {
            return Err("no stage given".into());
        }
        Ok(Self(stages))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn date(y: i32, m: u32, d: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, d).unwrap()
    }

    fn province(prefix: &str) -> ProvinceCode {
        ProvinceCode::from_prefix(prefix).unwrap()
    }

    #[test]
    fn defaults_follow_the_three_stages() {
        let stages = SchemeStages::default();
        for p in ["11", "31", "32", "44", "46", "50", "51"] {
            assert_eq!(stages.start_of(province(p)), Some(date(2022, 7, 1)), "{p}");
        }
        for p in ["12", "13", "21", "33", "34", "35", "37", "42", "45", "64"] {
            assert_eq!(stages.start_of(province(p)), Some(date(2025, 7, 1)), "{p}");
        }
        for p in ["14", "65", "66", "54"] {
            assert_eq!(stages.start_of(province(p)), Some(date(2026, 1, 1)), "{p}");
        }
        for p in ["71", "81", "82"] {
            assert_eq!(stages.start_of(province(p)), None, "{p}");
        }
    }

    #[test]
    fn every_mainland_province_is_covered_once_nationwide() {
        let stages = SchemeStages::default();
        let covered: usize = stages.0.iter().map(|s| s.provinces.len()).sum();
        // 31 mainland provinces + the XPCC, each listed exactly once.
        assert_eq!(covered, 32);
    }

    #[test]
    fn parses_both_province_forms_and_takes_the_earliest_stage() {
        let stages = SchemeStages::parse("2022-07-01=11,310000 ; 2024-01-01=11,13").unwrap();
        assert_eq!(stages.start_of(province("11")), Some(date(2022, 7, 1)));
        assert_eq!(stages.start_of(province("31")), Some(date(2022, 7, 1)));
        assert_eq!(stages.start_of(province("13")), Some(date(2024, 1, 1)));
        assert_eq!(stages.start_of(province("44")), None);
    }

    #[test]
    fn bad_configuration_says_what_is_wrong() {
        assert!(SchemeStages::parse("").unwrap_err().contains("no stage"));
        assert!(
            SchemeStages::parse("2022-07-01")
                .unwrap_err()
                .contains("DATE=PROVINCES")
        );
        assert!(
            SchemeStages::parse("2022-13-01=11")
                .unwrap_err()
                .contains("date")
        );
        assert!(
            SchemeStages::parse("2022-07-01=99")
                .unwrap_err()
                .contains("99")
        );
        assert!(
            SchemeStages::parse("2022-07-01=110105")
                .unwrap_err()
                .contains("110105")
        );
        assert!(
            SchemeStages::parse("2022-07-01=")
                .unwrap_err()
                .contains("no province")
        );
    }
}
