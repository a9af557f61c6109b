//! What an assessment is made on: the confirmed claim's benefit facts and the appraisal.

use super::*;

/// The benefit-relevant facts of a confirmed claim.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct ClaimFacts {
    pub claim_id: Uuid,
    /// The area whose figures apply: the covering order's region
    /// ([`super::determination::Liability::region`]), as coverage follows the order.
    pub region: RegionCode,
    pub occurred_at: DateTime<Utc>,
    /// Bills an adjuster approved as within the catalogues and standards.
    pub approved_bills: Vec<ApprovedBill>,
    /// Days in hospital for the injury (meal allowance).
    pub hospital_days: u32,
    pub death: Option<Death>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct ApprovedBill {
    pub kind: BillKind,
    pub amount_fen: i64,
}

/// What a bill pays for; each kind becomes its own benefit item.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum BillKind {
    /// Treatment and rehabilitation within the catalogues, at actual cost.
    MedicalAndRehabilitation,
    /// Assistive devices (prostheses, wheelchairs …), actual cost within the standard.
    AssistiveDevice,
    /// Travel and lodging for approved care outside the area, within the local standard.
    OutOfAreaTravel,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Death {
    pub died_at: DateTime<Utc>,
    /// The dependants the deceased supported (供养亲属), in the order the pensions are listed.
    pub dependants: Vec<Dependant>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Dependant {
    pub relation: Relation,
    /// +10 % for a lone elder (parent or grandparent) or an orphan (child, grandchild or
    /// sibling).
    pub supplement: Option<Supplement>,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Relation {
    Spouse,
    Child,
    Parent,
    Grandparent,
    Grandchild,
    Sibling,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Supplement {
    /// 孤寡老人
    LoneElder,
    /// 孤儿
    Orphan,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, thiserror::Error)]
#[error("disability grade must be 1..=10 (GB/T 16180), got {0}")]
pub struct GradeOutOfRange(pub u8);

/// A disability grade under GB/T 16180-2014: 1 is the most severe, 10 the least.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "u8", into = "u8")]
pub struct DisabilityGrade(u8);

impl DisabilityGrade {
    pub fn new(grade: u8) -> Result<Self, GradeOutOfRange> {
        if (1..=10).contains(&grade) {
            Ok(Self(grade))
        } else {
            Err(GradeOutOfRange(grade))
        }
    }

    pub fn get(self) -> u8 {
        self.0
    }
}

impl TryFrom<u8> for DisabilityGrade {
    type Error = GradeOutOfRange;

    fn try_from(grade: u8) -> Result<Self, Self::Error> {
        Self::new(grade)
    }
}

impl From<DisabilityGrade> for u8 {
    fn from(grade: DisabilityGrade) -> Self {
        grade.0
    }
}

/// Dependence on nursing care (生活自理障碍) as appraised.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum NursingLevel {
    None,
    Partial,
    Major,
    Total,
}

/// The capacity appraisal's conclusion (劳动能力鉴定).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Appraisal {
    pub grade: DisabilityGrade,
    pub nursing: NursingLevel,
}
