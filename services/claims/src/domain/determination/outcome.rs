//! What the rules answer: each rule's verdict with its reason code, and the determination
//! (auto-confirm or review, the trace, the liable platform).

use super::*;

/// Names a rule in the trace. The serialized names are stable: traces are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RuleCode {
    Registered,
    WorkRelated,
    SchemeInForce,
    FiledInTime,
    CategoryCovered,
    CommuteTrafficFault,
    NoIntentionalCrime,
    NoIntoxication,
    NoSelfHarm,
    NoDuplicate,
}

impl RuleCode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Registered => "REGISTERED",
            Self::WorkRelated => "WORK_RELATED",
            Self::SchemeInForce => "SCHEME_IN_FORCE",
            Self::FiledInTime => "FILED_IN_TIME",
            Self::CategoryCovered => "CATEGORY_COVERED",
            Self::CommuteTrafficFault => "COMMUTE_TRAFFIC_FAULT",
            Self::NoIntentionalCrime => "NO_INTENTIONAL_CRIME",
            Self::NoIntoxication => "NO_INTOXICATION",
            Self::NoSelfHarm => "NO_SELF_HARM",
            Self::NoDuplicate => "NO_DUPLICATE",
        }
    }
}

/// Why a claim goes to human review: the fixed list. Serialized names are stable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ReasonCode {
    /// No platform membership was active at the incident time.
    NotRegistered,
    /// No order window (with grace) contains the incident time.
    NoCoveringOrder,
    /// Orders of two or more platforms cover the incident time.
    AmbiguousLiability,
    /// The covering order's platform had no active membership for the person.
    LiablePlatformNotRegistered,
    /// The scheme had not started in the province on the incident date.
    SchemeNotInForce,
    /// Times contradict each other (filed or died before the incident).
    InconsistentTimes,
    /// Filed after the deadline, with a written explanation.
    LateWithExplanation,
    /// Filed after the deadline without one (incident should have rejected it).
    LateWithoutExplanation,
    /// Sudden illness without death at once or within the window.
    SuddenIllnessWithoutTimelyDeath,
    /// The person is missing.
    MissingPerson,
    /// The cause category is "other".
    UnclassifiedCategory,
    /// Traffic accident outside an order's own span (the trip back, or no order) with the
    /// worker mainly or fully at fault.
    CommuteTrafficWorkerAtFault,
    /// Traffic accident outside an order's own span, fault not yet determined.
    CommuteTrafficFaultUndetermined,
    IntentionalCrime,
    IntoxicationOrDrugs,
    SelfHarm,
    /// Another claim of the person lies within the duplicate window.
    PossibleDuplicate,
}

impl ReasonCode {
    pub const ALL: [ReasonCode; 17] = [
        Self::NotRegistered,
        Self::NoCoveringOrder,
        Self::AmbiguousLiability,
        Self::LiablePlatformNotRegistered,
        Self::SchemeNotInForce,
        Self::InconsistentTimes,
        Self::LateWithExplanation,
        Self::LateWithoutExplanation,
        Self::SuddenIllnessWithoutTimelyDeath,
        Self::MissingPerson,
        Self::UnclassifiedCategory,
        Self::CommuteTrafficWorkerAtFault,
        Self::CommuteTrafficFaultUndetermined,
        Self::IntentionalCrime,
        Self::IntoxicationOrDrugs,
        Self::SelfHarm,
        Self::PossibleDuplicate,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::NotRegistered => "NOT_REGISTERED",
            Self::NoCoveringOrder => "NO_COVERING_ORDER",
            Self::AmbiguousLiability => "AMBIGUOUS_LIABILITY",
            Self::LiablePlatformNotRegistered => "LIABLE_PLATFORM_NOT_REGISTERED",
            Self::SchemeNotInForce => "SCHEME_NOT_IN_FORCE",
            Self::InconsistentTimes => "INCONSISTENT_TIMES",
            Self::LateWithExplanation => "LATE_WITH_EXPLANATION",
            Self::LateWithoutExplanation => "LATE_WITHOUT_EXPLANATION",
            Self::SuddenIllnessWithoutTimelyDeath => "SUDDEN_ILLNESS_WITHOUT_TIMELY_DEATH",
            Self::MissingPerson => "MISSING_PERSON",
            Self::UnclassifiedCategory => "UNCLASSIFIED_CATEGORY",
            Self::CommuteTrafficWorkerAtFault => "COMMUTE_TRAFFIC_WORKER_AT_FAULT",
            Self::CommuteTrafficFaultUndetermined => "COMMUTE_TRAFFIC_FAULT_UNDETERMINED",
            Self::IntentionalCrime => "INTENTIONAL_CRIME",
            Self::IntoxicationOrDrugs => "INTOXICATION_OR_DRUGS",
            Self::SelfHarm => "SELF_HARM",
            Self::PossibleDuplicate => "POSSIBLE_DUPLICATE",
        }
    }
}

/// A rule's result. There is deliberately no "fail": the worst a rule can say is "a human must
/// look at this".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "verdict", content = "reason", rename_all = "snake_case")]
pub enum Verdict {
    Pass,
    Review(ReasonCode),
}

/// One line of the rule trace: what was checked, with which evidence, and the verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleOutcome {
    pub rule: RuleCode,
    pub verdict: Verdict,
    pub evidence: String,
}

impl RuleOutcome {
    pub(super) fn pass(rule: RuleCode, evidence: String) -> Self {
        Self {
            rule,
            verdict: Verdict::Pass,
            evidence,
        }
    }

    pub(super) fn review(rule: RuleCode, reason: ReasonCode, evidence: String) -> Self {
        Self {
            rule,
            verdict: Verdict::Review(reason),
            evidence,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", content = "reasons", rename_all = "snake_case")]
pub enum Outcome {
    AutoConfirm,
    /// The reasons of every rule that did not pass, in rule order, without repeats.
    Review(Vec<ReasonCode>),
}

/// The platform liable for the incident: the one whose order was being executed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Liability {
    pub platform_id: Uuid,
    pub order_id: String,
    /// The province of coverage and the area whose benefit figures apply.
    pub region: RegionCode,
    /// The covering order's industry as stored; empty for a claim determined before it was
    /// kept.
    #[serde(default)]
    pub industry: String,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Determination {
    pub outcome: Outcome,
    /// One outcome per rule, in the order of [`RULES`].
    pub trace: Vec<RuleOutcome>,
    /// Set when exactly one platform's orders cover the incident, whatever the outcome, so a
    /// reviewer and the benefit calculator know whose order it was.
    pub liability: Option<Liability>,
}
