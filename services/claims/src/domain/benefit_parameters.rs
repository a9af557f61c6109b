//! The benefit parameter file: every rate, month count and published figure the calculator
//! uses, each with its source and confidence, versioned in the repository
//! (`services/claims/benefit_parameters.json`) and embedded in the binary so an assessment can
//! always name the exact figures it used.
//!
//! The file is validated as a whole on load, so a typo, a missing grade or a duplicated table
//! row stops the service at startup instead of producing a wrong payment later.

use std::collections::HashSet;

use gigshield_scheme::region::RegionCode;
use serde::{Deserialize, Serialize};

const EMBEDDED: &str = include_str!("../../benefit_parameters.json");

/// The largest figure a table may hold: 10^12 fen (ten billion yuan). Far above any real
/// wage or income, and low enough that months × figure and multiple × figure stay well inside
/// `i64`, so single benefit items cannot overflow.
pub const MAX_FIGURE_FEN: i64 = 1_000_000_000_000;

#[derive(Debug, thiserror::Error)]
pub enum ParameterError {
    #[error("benefit parameter file is not valid JSON for its schema: {0}")]
    Json(#[from] serde_json::Error),
    #[error("benefit parameter {field}: {reason}")]
    Invalid { field: String, reason: String },
}

fn invalid(field: impl Into<String>, reason: impl Into<String>) -> ParameterError {
    ParameterError::Invalid {
        field: field.into(),
        reason: reason.into(),
    }
}

/// How sure we are of a figure, as docs/domain.md grades it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum Confidence {
    /// Official text or its quotation.
    #[serde(rename = "H")]
    High,
    /// Credible secondary source or the ordinary work-injury law.
    #[serde(rename = "M")]
    Medium,
    /// Not confirmed.
    #[serde(rename = "?")]
    Unconfirmed,
}

impl Confidence {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::High => "H",
            Self::Medium => "M",
            Self::Unconfirmed => "?",
        }
    }
}

/// A number with where it comes from.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Sourced<T> {
    pub value: T,
    pub source: String,
    pub confidence: Confidence,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct GradeFigure {
    pub grade: u8,
    pub value: u32,
    pub source: String,
    pub confidence: Confidence,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct YearFigure {
    pub year: i32,
    pub value: i64,
    pub source: String,
    pub confidence: Confidence,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegionYearFigure {
    pub region: RegionCode,
    pub year: i32,
    pub value: i64,
    pub source: String,
    pub confidence: Confidence,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct YearTable {
    /// What the year key means and how it is looked up.
    pub note: String,
    pub rows: Vec<YearFigure>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RegionYearTable {
    /// What the year key means and how it is looked up.
    pub note: String,
    pub rows: Vec<RegionYearFigure>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct NursingCareRates {
    pub total: Sourced<u32>,
    pub major: Sourced<u32>,
    pub partial: Sourced<u32>,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DependantPensionRates {
    pub spouse: Sourced<u32>,
    pub other: Sourced<u32>,
    pub lone_elder_or_orphan_supplement: Sourced<u32>,
    /// The most all pensions together may reach, in basis points of the wage base.
    pub cap_of_wage_base: Sourced<u32>,
}

/// The parsed and validated parameter file. Rates are basis points (10000 = 100 %), money is
/// fen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct BenefitParameters {
    /// Recorded in every assessment.
    pub version: String,
    pub description: String,
    pub units: String,
    /// Benefits use the figures of this many years before the incident (or death) year.
    pub reference_year_offset: Sourced<i32>,
    /// The wage base as a share of the area's average monthly wage.
    pub wage_base_bp_of_area_average: Sourced<u32>,
    pub nursing_care_bp: NursingCareRates,
    pub disability_subsidy_months: Vec<GradeFigure>,
    pub disability_allowance_bp: Vec<GradeFigure>,
    pub funeral_grant_months: Sourced<u32>,
    pub death_grant_multiple: Sourced<u32>,
    pub dependant_pension_bp: DependantPensionRates,
    pub national_urban_disposable_income_fen: YearTable,
    pub area_average_monthly_wage_fen: RegionYearTable,
    pub hospital_meal_allowance_daily_fen: RegionYearTable,
}

impl BenefitParameters {
    /// The file shipped in this crate.
    pub fn embedded() -> Result<Self, ParameterError> {
        Self::from_json(EMBEDDED)
    }

    /// Parses and validates a parameter file (for a deployment that ships its own).
    pub fn from_json(json: &str) -> Result<Self, ParameterError> {
        let params: Self = serde_json::from_str(json)?;
        params.validate()?;
        Ok(params)
    }

    /// Checks what the calculator relies on: every grade present once, rates within range,
    /// figures positive and bounded, table keys unique, every number sourced, and example rows
    /// never claiming more than "?" confidence.
    pub fn validate(&self) -> Result<(), ParameterError> {
        if self.version.trim().is_empty() {
            return Err(invalid("version", "must not be empty"));
        }
        check_sourced("reference_year_offset", &self.reference_year_offset, 0..=5)?;
        check_sourced(
            "wage_base_bp_of_area_average",
            &self.wage_base_bp_of_area_average,
            1..=30_000,
        )?;
        let nursing = &self.nursing_care_bp;
        check_sourced("nursing_care_bp.total", &nursing.total, 0..=10_000)?;
        check_sourced("nursing_care_bp.major", &nursing.major, 0..=10_000)?;
        check_sourced("nursing_care_bp.partial", &nursing.partial, 0..=10_000)?;
        check_grades(
            "disability_subsidy_months",
            &self.disability_subsidy_months,
            1..=10,
            1..=120,
        )?;
        check_grades(
            "disability_allowance_bp",
            &self.disability_allowance_bp,
            1..=4,
            0..=10_000,
        )?;
        check_sourced("funeral_grant_months", &self.funeral_grant_months, 1..=120)?;
        check_sourced("death_grant_multiple", &self.death_grant_multiple, 1..=100)?;
        let pension = &self.dependant_pension_bp;
        check_sourced("dependant_pension_bp.spouse", &pension.spouse, 0..=10_000)?;
        check_sourced("dependant_pension_bp.other", &pension.other, 0..=10_000)?;
        check_sourced(
            "dependant_pension_bp.lone_elder_or_orphan_supplement",
            &pension.lone_elder_or_orphan_supplement,
            0..=10_000,
        )?;
        check_sourced(
            "dependant_pension_bp.cap_of_wage_base",
            &pension.cap_of_wage_base,
            1..=10_000,
        )?;

        let income = &self.national_urban_disposable_income_fen.rows;
        let mut years = HashSet::new();
        for (i, row) in income.iter().enumerate() {
            let field = format!("national_urban_disposable_income_fen.rows[{i}]");
            check_figure(&field, row.value, &row.source, row.confidence)?;
            if !years.insert(row.year) {
                return Err(invalid(field, format!("year {} appears twice", row.year)));
            }
        }
        check_region_table(
            "area_average_monthly_wage_fen",
            &self.area_average_monthly_wage_fen,
        )?;
        check_region_table(
            "hospital_meal_allowance_daily_fen",
            &self.hospital_meal_allowance_daily_fen,
        )?;
        Ok(())
    }

    /// Months of wage base for a grade's one-time disability subsidy. Every grade 1..=10 is
    /// present after validation.
    pub fn disability_subsidy_months(&self, grade: u8) -> Option<&GradeFigure> {
        self.disability_subsidy_months
            .iter()
            .find(|g| g.grade == grade)
    }

    /// The monthly disability allowance rate; `None` for grades without one (5–10).
    pub fn disability_allowance_bp(&self, grade: u8) -> Option<&GradeFigure> {
        self.disability_allowance_bp
            .iter()
            .find(|g| g.grade == grade)
    }

    pub fn national_urban_disposable_income(&self, year: i32) -> Option<&YearFigure> {
        self.national_urban_disposable_income_fen
            .rows
            .iter()
            .find(|row| row.year == year)
    }

    /// The area's average monthly wage for a statistical year: the nearest of the region, its
    /// prefecture and its province that the table holds.
    pub fn area_average_monthly_wage(
        &self,
        region: &RegionCode,
        year: i32,
    ) -> Option<&RegionYearFigure> {
        nearest(&self.area_average_monthly_wage_fen.rows, region, year)
    }

    /// The area's daily hospital meal allowance standard applying in a year: a standard stays
    /// in force until a later one, so the row with the latest year not after `year`, for the
    /// nearest of the region, its prefecture and its province that has one.
    pub fn hospital_meal_allowance_daily(
        &self,
        region: &RegionCode,
        year: i32,
    ) -> Option<&RegionYearFigure> {
        let rows = &self.hospital_meal_allowance_daily_fen.rows;
        region.lookup_chain().into_iter().find_map(|code| {
            rows.iter()
                .filter(|row| row.region == code && row.year <= year)
                .max_by_key(|row| row.year)
        })
    }

    /// These parameters with operator figures over them, oldest recorded first: a figure
    /// replaces a row of the same table and key. The version names how many were applied, so
    /// an assessment records exactly which figures it used.
    pub fn with_figures(&self, figures: &[Figure]) -> Self {
        let mut out = self.clone();
        for figure in figures {
            out.apply(figure);
        }
        if !figures.is_empty() {
            out.version = format!("{}+{}", self.version, figures.len());
        }
        out
    }

    fn apply(&mut self, figure: &Figure) {
        match (&figure.table, &figure.region) {
            (FigureTable::NationalUrbanDisposableIncome, _) => {
                let rows = &mut self.national_urban_disposable_income_fen.rows;
                rows.retain(|row| row.year != figure.year);
                rows.push(YearFigure {
                    year: figure.year,
                    value: figure.value_fen,
                    source: figure.source.clone(),
                    confidence: figure.confidence,
                });
            }
            (table, Some(region)) => {
                let rows = match table {
                    FigureTable::AreaAverageMonthlyWage => {
                        &mut self.area_average_monthly_wage_fen.rows
                    }
                    _ => &mut self.hospital_meal_allowance_daily_fen.rows,
                };
                rows.retain(|row| !(row.year == figure.year && row.region == *region));
                rows.push(RegionYearFigure {
                    region: region.clone(),
                    year: figure.year,
                    value: figure.value_fen,
                    source: figure.source.clone(),
                    confidence: figure.confidence,
                });
            }
            // A regional figure without a region is refused by `Figure::new`.
            (_, None) => {}
        }
    }

    /// Every figure of the three dated tables, as figures.
    pub fn figures(&self) -> Vec<Figure> {
        let income = self
            .national_urban_disposable_income_fen
            .rows
            .iter()
            .map(|row| Figure {
                table: FigureTable::NationalUrbanDisposableIncome,
                region: None,
                year: row.year,
                value_fen: row.value,
                source: row.source.clone(),
                confidence: row.confidence,
            });
        let regional = |table: FigureTable, rows: &[RegionYearFigure]| -> Vec<Figure> {
            rows.iter()
                .map(|row| Figure {
                    table,
                    region: Some(row.region.clone()),
                    year: row.year,
                    value_fen: row.value,
                    source: row.source.clone(),
                    confidence: row.confidence,
                })
                .collect()
        };
        income
            .chain(regional(
                FigureTable::AreaAverageMonthlyWage,
                &self.area_average_monthly_wage_fen.rows,
            ))
            .chain(regional(
                FigureTable::HospitalMealAllowanceDaily,
                &self.hospital_meal_allowance_daily_fen.rows,
            ))
            .collect()
    }
}

/// The dated tables operators keep.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FigureTable {
    NationalUrbanDisposableIncome,
    AreaAverageMonthlyWage,
    HospitalMealAllowanceDaily,
}

impl FigureTable {
    /// The parameter file's name of the table.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::NationalUrbanDisposableIncome => "national_urban_disposable_income_fen",
            Self::AreaAverageMonthlyWage => "area_average_monthly_wage_fen",
            Self::HospitalMealAllowanceDaily => "hospital_meal_allowance_daily_fen",
        }
    }
}

/// One published figure of a dated table.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Figure {
    pub table: FigureTable,
    /// `None` for the national table, required for the others.
    pub region: Option<RegionCode>,
    pub year: i32,
    pub value_fen: i64,
    pub source: String,
    pub confidence: Confidence,
}

/// The years a figure may describe: the scheme's and a generous margin around them.
pub const FIGURE_YEARS: std::ops::RangeInclusive<i32> = 2000..=2100;

impl Figure {
    /// A figure as an operator enters it, checked like a row of the file; the error names
    /// the request field.
    pub fn new(
        table: FigureTable,
        region: Option<RegionCode>,
        year: i32,
        value_fen: i64,
        source: String,
        confidence: Confidence,
    ) -> Result<Self, ParameterError> {
        match (table, &region) {
            (FigureTable::NationalUrbanDisposableIncome, Some(_)) => {
                return Err(invalid(
                    "figure.region_code",
                    "must be empty for a national figure",
                ));
            }
            (
                FigureTable::AreaAverageMonthlyWage | FigureTable::HospitalMealAllowanceDaily,
                None,
            ) => {
                return Err(invalid(
                    "figure.region_code",
                    "is required for a regional figure",
                ));
            }
            _ => {}
        }
        if !FIGURE_YEARS.contains(&year) {
            return Err(invalid(
                "figure.year",
                format!(
                    "{year} is outside {}..={}",
                    FIGURE_YEARS.start(),
                    FIGURE_YEARS.end()
                ),
            ));
        }
        if !(1..=MAX_FIGURE_FEN).contains(&value_fen) {
            return Err(invalid(
                "figure.value_fen",
                format!("{value_fen} is outside 1..={MAX_FIGURE_FEN}"),
            ));
        }
        check_source("figure.source", &source, confidence)?;
        Ok(Self {
            table,
            region,
            year,
            value_fen,
            source,
            confidence,
        })
    }
}

/// Never falls back to another year: a missing figure must be published into the file, not
/// guessed from a neighbouring year.
fn nearest<'a>(
    rows: &'a [RegionYearFigure],
    region: &RegionCode,
    year: i32,
) -> Option<&'a RegionYearFigure> {
    region.lookup_chain().into_iter().find_map(|code| {
        rows.iter()
            .find(|row| row.year == year && row.region == code)
    })
}

fn check_source(field: &str, source: &str, confidence: Confidence) -> Result<(), ParameterError> {
    if source.trim().is_empty() {
        return Err(invalid(field, "source must not be empty"));
    }
    // An invented placeholder must never pass for a published figure.
    if source.to_lowercase().starts_with("example") && confidence != Confidence::Unconfirmed {
        return Err(invalid(
            field,
            "an example figure must have confidence \"?\"",
        ));
    }
    Ok(())
}

fn check_sourced<T>(
    field: &str,
    sourced: &Sourced<T>,
    range: std::ops::RangeInclusive<T>,
) -> Result<(), ParameterError>
where
    T: PartialOrd + std::fmt::Display,
{
    check_source(field, &sourced.source, sourced.confidence)?;
    if !range.contains(&sourced.value) {
        return Err(invalid(
            field,
            format!(
                "{} is outside {}..={}",
                sourced.value,
                range.start(),
                range.end()
            ),
        ));
    }
    Ok(())
}

fn check_grades(
    field: &str,
    figures: &[GradeFigure],
    grades: std::ops::RangeInclusive<u8>,
    values: std::ops::RangeInclusive<u32>,
) -> Result<(), ParameterError> {
    for (i, figure) in figures.iter().enumerate() {
        let item = format!("{field}[{i}]");
        check_source(&item, &figure.source, figure.confidence)?;
        if !grades.contains(&figure.grade) {
            return Err(invalid(
                item,
                format!("grade {} is not expected", figure.grade),
            ));
        }
        if !values.contains(&figure.value) {
            return Err(invalid(
                item,
                format!(
                    "{} is outside {}..={}",
                    figure.value,
                    values.start(),
                    values.end()
                ),
            ));
        }
    }
    for grade in grades {
        let count = figures.iter().filter(|f| f.grade == grade).count();
        if count != 1 {
            return Err(invalid(
                field,
                format!("grade {grade} must appear exactly once, appears {count} times"),
            ));
        }
    }
    Ok(())
}

fn check_figure(
    field: &str,
    value: i64,
    source: &str,
    confidence: Confidence,
) -> Result<(), ParameterError> {
    check_source(field, source, confidence)?;
    if !(1..=MAX_FIGURE_FEN).contains(&value) {
        return Err(invalid(
            field,
            format!("{value} is outside 1..={MAX_FIGURE_FEN}"),
        ));
    }
    Ok(())
}

fn check_region_table(field: &str, table: &RegionYearTable) -> Result<(), ParameterError> {
    let mut keys = HashSet::new();
    for (i, row) in table.rows.iter().enumerate() {
        let item = format!("{field}.rows[{i}]");
        check_figure(&item, row.value, &row.source, row.confidence)?;
        if !keys.insert((row.region.clone(), row.year)) {
            return Err(invalid(
                item,
                format!("region {} year {} appears twice", row.region, row.year),
            ));
        }
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn embedded_json() -> serde_json::Value {
        serde_json::from_str(EMBEDDED).unwrap()
    }

    /// The shipped file with example area wages (Beijing and Shenzhen, 2024), for the tests of
    /// the tables' mechanics.
    fn json_with_examples() -> serde_json::Value {
        let mut json = embedded_json();
        let example = |region: &str, year: i32, value: i64| {
            serde_json::json!({
                "region": region, "year": year, "value": value,
                "source": "example, for tests", "confidence": "?"
            })
        };
        let rows = json["area_average_monthly_wage_fen"]["rows"]
            .as_array_mut()
            .unwrap();
        rows.insert(0, example("110000", 2024, 1_200_000));
        rows.push(example("440300", 2024, 1_150_000));
        json
    }

    fn load(value: &serde_json::Value) -> Result<BenefitParameters, ParameterError> {
        BenefitParameters::from_json(&value.to_string())
    }

    fn invalid_field(result: Result<BenefitParameters, ParameterError>) -> String {
        match result {
            Err(ParameterError::Invalid { field, .. }) => field,
            other => panic!("expected an invalid parameter, got {other:?}"),
        }
    }

    #[test]
    fn the_embedded_file_loads_and_validates() {
        let params = BenefitParameters::embedded().unwrap();
        assert!(!params.version.is_empty());
        for grade in 1..=10 {
            assert!(
                params.disability_subsidy_months(grade).is_some(),
                "grade {grade}"
            );
        }
        assert!(params.disability_allowance_bp(4).is_some());
        assert!(params.disability_allowance_bp(5).is_none());
    }

    #[test]
    fn the_embedded_file_holds_the_statutory_figures_of_domain_md() {
        let params = BenefitParameters::embedded().unwrap();
        let months: Vec<u32> = (1..=10)
            .map(|g| params.disability_subsidy_months(g).unwrap().value)
            .collect();
        assert_eq!(months, [27, 25, 23, 21, 18, 16, 13, 11, 9, 7]);
        let allowance: Vec<u32> = (1..=4)
            .map(|g| params.disability_allowance_bp(g).unwrap().value)
            .collect();
        assert_eq!(allowance, [9000, 8500, 8000, 7500]);
        let nursing = &params.nursing_care_bp;
        assert_eq!(
            [
                nursing.total.value,
                nursing.major.value,
                nursing.partial.value
            ],
            [5000, 4000, 3000]
        );
        assert_eq!(params.funeral_grant_months.value, 6);
        assert_eq!(params.death_grant_multiple.value, 20);
        let pension = &params.dependant_pension_bp;
        assert_eq!(pension.spouse.value, 4000);
        assert_eq!(pension.other.value, 3000);
        assert_eq!(pension.lone_elder_or_orphan_supplement.value, 1000);
        assert_eq!(pension.cap_of_wage_base.value, 10_000);
        let income = params.national_urban_disposable_income(2024).unwrap();
        assert_eq!(income.value, 5_418_800);
        assert_eq!(income.confidence, Confidence::Medium);
        // The wage base is an unconfirmed assumption and must say so.
        assert_eq!(params.wage_base_bp_of_area_average.value, 10_000);
        assert_eq!(
            params.wage_base_bp_of_area_average.confidence,
            Confidence::Unconfirmed
        );
    }

    #[test]
    fn the_shipped_file_holds_only_sourced_figures() {
        let params = BenefitParameters::embedded().unwrap();
        for figure in params.figures() {
            assert!(
                !figure.source.to_lowercase().starts_with("example")
                    && figure.confidence != Confidence::Unconfirmed,
                "{figure:?} is not a sourced figure"
            );
        }
        let income = |year| params.national_urban_disposable_income(year).unwrap().value;
        assert_eq!((income(2024), income(2025)), (5_418_800, 5_650_200));
    }

    #[test]
    fn regional_figures_fall_back_to_prefecture_then_province_but_never_to_another_year() {
        let params = load(&json_with_examples()).unwrap();
        let region = |s: &str| RegionCode::parse(s).unwrap();
        // A Beijing district finds the province-level figure.
        let row = params
            .area_average_monthly_wage(&region("110105"), 2024)
            .unwrap();
        assert_eq!(row.region, region("110000"));
        // A Shenzhen district finds Shenzhen's own figure, not Guangdong's.
        let row = params
            .area_average_monthly_wage(&region("440305"), 2024)
            .unwrap();
        assert_eq!(row.region, region("440300"));
        // Guangzhou has neither a city nor a province row.
        assert!(
            params
                .area_average_monthly_wage(&region("440100"), 2024)
                .is_none()
        );
        assert!(
            params
                .area_average_monthly_wage(&region("110105"), 2025)
                .is_none()
        );
        assert!(params.national_urban_disposable_income(2023).is_none());
    }

    #[test]
    fn a_meal_allowance_standard_stays_in_force_until_a_later_one() {
        let params = BenefitParameters::embedded().unwrap();
        let region = |s: &str| RegionCode::parse(s).unwrap();
        // Shenzhen's 70 yuan/day from 2015 (深人社规〔2015〕6号) for a Nanshan district incident.
        let row = params
            .hospital_meal_allowance_daily(&region("440305"), 2026)
            .unwrap();
        assert_eq!(
            (row.region.as_str(), row.year, row.value),
            ("440300", 2015, 7000)
        );
        assert!(
            params
                .hospital_meal_allowance_daily(&region("440305"), 2014)
                .is_none()
        );
        assert!(
            params
                .hospital_meal_allowance_daily(&region("440106"), 2026)
                .is_none()
        );
        let later = Figure::new(
            FigureTable::HospitalMealAllowanceDaily,
            Some(region("440300")),
            2026,
            8000,
            "example, for tests".into(),
            Confidence::Unconfirmed,
        )
        .unwrap();
        let params = params.with_figures(&[later]);
        let value = |year| {
            params
                .hospital_meal_allowance_daily(&region("440305"), year)
                .unwrap()
                .value
        };
        assert_eq!((value(2025), value(2026), value(2027)), (7000, 8000, 8000));
    }

    #[test]
    fn an_operators_figure_replaces_the_row_of_its_key_and_names_itself_in_the_version() {
        let shipped = BenefitParameters::embedded().unwrap();
        let income = |value| {
            Figure::new(
                FigureTable::NationalUrbanDisposableIncome,
                None,
                2025,
                value,
                "国家统计局 (revised)".into(),
                Confidence::High,
            )
            .unwrap()
        };
        let params = shipped.with_figures(&[income(5_660_000), income(5_650_300)]);
        assert_eq!(
            params.national_urban_disposable_income(2025).unwrap().value,
            5_650_300
        );
        assert_eq!(params.version, format!("{}+2", shipped.version));
        assert_eq!(
            params.national_urban_disposable_income_fen.rows.len(),
            shipped.national_urban_disposable_income_fen.rows.len()
        );
    }

    #[test]
    fn an_operators_figure_is_checked_like_a_row_of_the_file() {
        let field = |r: Result<Figure, ParameterError>| match r {
            Err(ParameterError::Invalid { field, .. }) => field,
            other => panic!("{other:?}"),
        };
        let beijing = Some(RegionCode::parse("110000").unwrap());
        let wage = FigureTable::AreaAverageMonthlyWage;
        let m = Confidence::Medium;
        assert_eq!(
            field(Figure::new(wage, None, 2025, 1, "s".into(), m)),
            "figure.region_code"
        );
        assert_eq!(
            field(Figure::new(wage, beijing.clone(), 1999, 1, "s".into(), m)),
            "figure.year"
        );
        assert_eq!(
            field(Figure::new(wage, beijing.clone(), 2025, 0, "s".into(), m)),
            "figure.value_fen"
        );
        assert_eq!(
            field(Figure::new(wage, beijing, 2025, 1, "example".into(), m)),
            "figure.source"
        );
    }

    #[test]
    fn a_missing_grade_is_rejected() {
        let mut json = embedded_json();
        json["disability_subsidy_months"]
            .as_array_mut()
            .unwrap()
            .retain(|g| g["grade"] != 7);
        assert_eq!(invalid_field(load(&json)), "disability_subsidy_months");
    }

    #[test]
    fn an_out_of_range_rate_is_rejected() {
        let mut json = embedded_json();
        json["nursing_care_bp"]["major"]["value"] = 10_001.into();
        assert_eq!(invalid_field(load(&json)), "nursing_care_bp.major");
    }

    #[test]
    fn a_duplicated_table_row_is_rejected() {
        let mut json = json_with_examples();
        let rows = json["area_average_monthly_wage_fen"]["rows"]
            .as_array_mut()
            .unwrap();
        let first = rows[0].clone();
        rows.push(first);
        let field = invalid_field(load(&json));
        assert!(
            field.starts_with("area_average_monthly_wage_fen.rows["),
            "{field}"
        );
    }

    #[test]
    fn an_example_claiming_confidence_is_rejected() {
        let mut json = json_with_examples();
        json["area_average_monthly_wage_fen"]["rows"][0]["confidence"] = "M".into();
        assert_eq!(
            invalid_field(load(&json)),
            "area_average_monthly_wage_fen.rows[0]"
        );
    }

    #[test]
    fn an_unsourced_number_is_rejected() {
        let mut json = embedded_json();
        json["funeral_grant_months"]["source"] = " ".into();
        assert_eq!(invalid_field(load(&json)), "funeral_grant_months");
    }

    #[test]
    fn unknown_fields_and_bad_region_codes_are_rejected() {
        let mut json = embedded_json();
        json["funeral_grant_mnths"] = json["funeral_grant_months"].clone();
        assert!(matches!(load(&json), Err(ParameterError::Json(_))));

        let mut json = json_with_examples();
        json["area_average_monthly_wage_fen"]["rows"][0]["region"] = "11000".into();
        assert!(matches!(load(&json), Err(ParameterError::Json(_))));
    }

    #[test]
    fn a_non_positive_figure_is_rejected() {
        let mut json = embedded_json();
        json["national_urban_disposable_income_fen"]["rows"][0]["value"] = 0.into();
        assert_eq!(
            invalid_field(load(&json)),
            "national_urban_disposable_income_fen.rows[0]"
        );
    }
}
