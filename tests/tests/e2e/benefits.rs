//! What the fund owes for a disability, computed here from docs/domain.md's rules and the claims
//! service's parameter file, independently of the service's calculator, so the end-to-end
//! story checks amounts rather than repeating what the service answered.

use chrono::{DateTime, Datelike, Utc};
use gigshield_scheme::calendar::shanghai_date;
use serde_json::Value;

/// The file the claims binary embeds.
const PARAMETERS: &str = include_str!("../../../services/claims/benefit_parameters.json");

/// docs/domain.md's benefit table, for the grade and nursing level the story appraises.
pub const GRADE: i32 = 3;
const DOMAIN_SUBSIDY_MONTHS_GRADE_3: i64 = 23;
const DOMAIN_ALLOWANCE_PERCENT_GRADE_3: i64 = 80;
const DOMAIN_PARTIAL_NURSING_PERCENT: i64 = 30;

/// One expected benefit line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Line {
    pub kind: &'static str,
    pub monthly: bool,
    pub amount_fen: i64,
}

pub struct Parameters(Value);

impl Parameters {
    pub fn shipped() -> Self {
        Self(serde_json::from_str(PARAMETERS).expect("benefit_parameters.json is JSON"))
    }

    pub fn version(&self) -> &str {
        self.0["version"].as_str().expect("version")
    }

    /// The shipped file with an operator's area wage over it (as `AddBenefitFigure` applies
    /// it): the row of its key replaced, the version naming one added figure.
    pub fn with_area_wage(mut self, region: &str, year: i32, value_fen: i64) -> Self {
        let version = format!("{}+1", self.version());
        let rows = self.0["area_average_monthly_wage_fen"]["rows"]
            .as_array_mut()
            .expect("wage rows");
        rows.retain(|row| {
            !(row["region"].as_str() == Some(region) && row["year"].as_i64() == Some(year.into()))
        });
        rows.push(serde_json::json!({
            "region": region, "year": year, "value": value_fen,
            "source": "example", "confidence": "?"
        }));
        self.0["version"] = version.into();
        self
    }

    fn int(&self, pointer: &str) -> i64 {
        self.0
            .pointer(pointer)
            .and_then(Value::as_i64)
            .unwrap_or_else(|| panic!("parameter {pointer} missing"))
    }

    /// A figure of a by-grade table.
    fn by_grade(&self, table: &str, grade: i32) -> Option<i64> {
        self.0[table]
            .as_array()?
            .iter()
            .find(|row| row["grade"].as_i64() == Some(i64::from(grade)))
            .and_then(|row| row["value"].as_i64())
    }

    /// A regional figure for `year`: the region's own row, else its prefecture's (xxxx00),
    /// else its province's (xx0000), as the file's note says.
    fn regional(&self, table: &str, region: &str, year: i32) -> Option<i64> {
        let rows = self.0[table]["rows"].as_array()?;
        let candidates = [
            region.to_string(),
            format!("{}00", &region[..4]),
            format!("{}0000", &region[..2]),
        ];
        candidates.iter().find_map(|code| {
            rows.iter()
                .find(|row| {
                    row["region"].as_str() == Some(code.as_str())
                        && row["year"].as_i64() == Some(i64::from(year))
                })
                .and_then(|row| row["value"].as_i64())
        })
    }

    /// The year whose wage figures apply to an incident: the year before its Shanghai year
    /// (`reference_year_offset`).
    pub fn reference_year(&self, occurred_at: DateTime<Utc>) -> i32 {
        let offset = i32::try_from(self.int("/reference_year_offset/value")).expect("offset");
        shanghai_date(occurred_at).year() - offset
    }

    /// The file's area wage for the incident, if it has one.
    pub fn area_wage(&self, region: &str, occurred_at: DateTime<Utc>) -> Option<i64> {
        self.regional(
            "area_average_monthly_wage_fen",
            region,
            self.reference_year(occurred_at),
        )
    }

    /// The lines of a grade-3 appraisal with partial nursing dependence and medical bills, in
    /// the service's documented item order (bills, nursing, subsidy, allowance); `None` when
    /// there is no area wage for the incident's reference year.
    pub fn grade_3_partial_nursing(
        &self,
        region: &str,
        occurred_at: DateTime<Utc>,
        medical_bills_fen: &[i64],
    ) -> Option<Vec<Line>> {
        // The file must say what docs/domain.md says for the figures this story exercises.
        let subsidy_months = self
            .by_grade("disability_subsidy_months", GRADE)
            .expect("subsidy months of grade 3");
        let allowance_bp = self
            .by_grade("disability_allowance_bp", GRADE)
            .expect("allowance of grade 3");
        let nursing_bp = self.int("/nursing_care_bp/partial/value");
        assert_eq!(subsidy_months, DOMAIN_SUBSIDY_MONTHS_GRADE_3, "domain.md");
        assert_eq!(
            allowance_bp,
            DOMAIN_ALLOWANCE_PERCENT_GRADE_3 * 100,
            "domain.md"
        );
        assert_eq!(
            nursing_bp,
            DOMAIN_PARTIAL_NURSING_PERCENT * 100,
            "domain.md"
        );

        let area = self.area_wage(region, occurred_at)?;
        // Platform workers have no employer wage: the wage base is a share of the area's.
        let base = percent(area, self.int("/wage_base_bp_of_area_average/value"));
        Some(vec![
            Line {
                kind: "medical_and_rehabilitation",
                monthly: false,
                amount_fen: medical_bills_fen.iter().sum(),
            },
            // Nursing is a share of the area wage itself, not of the wage base.
            Line {
                kind: "nursing_care",
                monthly: true,
                amount_fen: percent(area, nursing_bp),
            },
            Line {
                kind: "disability_subsidy",
                monthly: false,
                amount_fen: base * subsidy_months,
            },
            Line {
                kind: "disability_allowance",
                monthly: true,
                amount_fen: percent(base, allowance_bp),
            },
        ])
    }
}

/// `bp` basis points of `fen`, rounded half up to the fen (docs/domain.md: money in integer fen).
fn percent(fen: i64, bp: i64) -> i64 {
    let exact = i128::from(fen) * i128::from(bp);
    i64::try_from((exact + 5_000) / 10_000).expect("fits in i64")
}

#[test]
fn percentages_round_half_up() {
    assert_eq!(percent(823_457, 5_000), 411_729);
    assert_eq!(percent(823_457, 3_000), 247_037);
    assert_eq!(percent(1, 5_000), 1);
    assert_eq!(percent(1, 4_999), 0);
}
