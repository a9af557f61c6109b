//! What an assessment answers: the benefit items with their figures and how they were reached.

use super::*;

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum BenefitKind {
    MedicalAndRehabilitation,
    AssistiveDevices,
    OutOfAreaTravel,
    HospitalMealAllowance,
    NursingCare,
    DisabilitySubsidy,
    DisabilityAllowance,
    FuneralGrant,
    DeathGrant,
    /// The pension of `death.dependants[dependant]`.
    DependantPension {
        dependant: u32,
    },
}

impl BenefitKind {
    /// A stable name, part of payout idempotency keys: never change an existing one.
    pub fn code(self) -> String {
        match self {
            Self::MedicalAndRehabilitation => "medical_and_rehabilitation".to_owned(),
            Self::AssistiveDevices => "assistive_devices".to_owned(),
            Self::OutOfAreaTravel => "out_of_area_travel".to_owned(),
            Self::HospitalMealAllowance => "hospital_meal_allowance".to_owned(),
            Self::NursingCare => "nursing_care".to_owned(),
            Self::DisabilitySubsidy => "disability_subsidy".to_owned(),
            Self::DisabilityAllowance => "disability_allowance".to_owned(),
            Self::FuneralGrant => "funeral_grant".to_owned(),
            Self::DeathGrant => "death_grant".to_owned(),
            Self::DependantPension { dependant } => format!("dependant_pension.{dependant}"),
        }
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "schedule", content = "fen", rename_all = "snake_case")]
pub enum Amount {
    OneTime(i64),
    Monthly(i64),
}

impl Amount {
    pub fn fen(self) -> i64 {
        match self {
            Self::OneTime(fen) | Self::Monthly(fen) => fen,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BenefitItem {
    pub kind: BenefitKind,
    pub amount: Amount,
    /// The formula with its figures and their sources, for the adjuster and the audit.
    pub basis: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct BenefitAssessment {
    pub claim_id: Uuid,
    /// The parameter file version the figures came from.
    pub parameters_version: String,
    /// Items with a non-zero amount, in a fixed order: bills, meal allowance, nursing,
    /// disability subsidy and allowance, funeral grant, death grant, pensions.
    pub items: Vec<BenefitItem>,
    pub total_one_time_fen: i64,
    /// What is due each month at the start (before any item ends).
    pub total_monthly_fen: i64,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum AssessmentError {
    #[error("{field} must not be negative, got {value}")]
    NegativeAmount { field: String, value: i64 },
    #[error("{field}: {reason}")]
    InvalidFacts { field: String, reason: &'static str },
    #[error(
        "no {table} figure for region {region} (or its prefecture or province) and year {year}"
    )]
    MissingRegionalFigure {
        table: &'static str,
        region: RegionCode,
        year: i32,
    },
    #[error("no {table} figure for year {year}")]
    MissingNationalFigure { table: &'static str, year: i32 },
    #[error("{field} overflows the range of i64 fen")]
    Overflow { field: String },
}
