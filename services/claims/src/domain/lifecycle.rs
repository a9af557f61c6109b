//! A claim's life after the rules ran: human decisions, requests for information and appeals.
//!
//! The rules ([`super::determination`]) either confirm a claim or put it in review; from there
//! only a human moves it, and a refusal always names a [`RefusalReason`] from the fixed list.
//! Appeals (administrative review, lawsuit, mediation) challenge a decision; the system records
//! their outcome and what it does to the claim, it does not run the court.

use gigshield_scheme::stored_names;
use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ClaimStatus {
    /// Waiting for a human decision.
    InReview,
    /// Waiting for a human decision after more information was asked for.
    InformationRequested,
    Confirmed,
    Refused,
    /// The incident was withdrawn before a decision; closed without a determination.
    Withdrawn,
}

// Stored and published names: never change one.
stored_names!(ClaimStatus {
    InReview => "IN_REVIEW",
    InformationRequested => "INFORMATION_REQUESTED",
    Confirmed => "CONFIRMED",
    Refused => "REFUSED",
    Withdrawn => "WITHDRAWN",
});

impl ClaimStatus {
    /// The statuses of the review queue: waiting for a human decision.
    pub const AWAITING_DECISION: [ClaimStatus; 2] = [Self::InReview, Self::InformationRequested];

    /// Whether the claim waits for a human decision (the review queue).
    pub fn awaits_decision(self) -> bool {
        Self::AWAITING_DECISION.contains(&self)
    }

    pub fn is_decided(self) -> bool {
        matches!(self, Self::Confirmed | Self::Refused)
    }
}

/// Why a human refused a claim (不予确认结论): the fixed list. Each mirrors a determination
/// ground of docs/domain.md; "insufficient evidence" covers a case the parties could not document
/// after a request for information.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum RefusalReason {
    NotRegistered,
    NotDuringOrder,
    SchemeNotInForce,
    FiledLate,
    SuddenIllnessNotDeemed,
    CommuteWorkerAtFault,
    IntentionalCrime,
    IntoxicationOrDrugs,
    SelfHarm,
    DuplicateClaim,
    /// The person had an ordinary labour relationship: ordinary work-injury insurance applies.
    OrdinaryLabourRelation,
    InsufficientEvidence,
}

// Stored and published names: never change one.
stored_names!(RefusalReason {
    NotRegistered => "NOT_REGISTERED",
    NotDuringOrder => "NOT_DURING_ORDER",
    SchemeNotInForce => "SCHEME_NOT_IN_FORCE",
    FiledLate => "FILED_LATE",
    SuddenIllnessNotDeemed => "SUDDEN_ILLNESS_NOT_DEEMED",
    CommuteWorkerAtFault => "COMMUTE_WORKER_AT_FAULT",
    IntentionalCrime => "INTENTIONAL_CRIME",
    IntoxicationOrDrugs => "INTOXICATION_OR_DRUGS",
    SelfHarm => "SELF_HARM",
    DuplicateClaim => "DUPLICATE_CLAIM",
    OrdinaryLabourRelation => "ORDINARY_LABOUR_RELATION",
    InsufficientEvidence => "INSUFFICIENT_EVIDENCE",
});

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HumanDecision {
    Confirm,
    Refuse(RefusalReason),
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct TransitionError(pub String);

fn wrong_state(status: ClaimStatus, action: &str) -> TransitionError {
    TransitionError(format!("a claim {} cannot be {action}", status.as_str()))
}

/// A human's decision on a claim waiting in the review queue.
pub fn decide(
    status: ClaimStatus,
    decision: HumanDecision,
) -> Result<ClaimStatus, TransitionError> {
    if !status.awaits_decision() {
        return Err(wrong_state(status, "decided again (appeal it instead)"));
    }
    Ok(match decision {
        HumanDecision::Confirm => ClaimStatus::Confirmed,
        HumanDecision::Refuse(_) => ClaimStatus::Refused,
    })
}

/// Asking the parties for more information keeps the claim in the queue.
pub fn request_information(status: ClaimStatus) -> Result<ClaimStatus, TransitionError> {
    if status.awaits_decision() {
        Ok(ClaimStatus::InformationRequested)
    } else {
        Err(wrong_state(status, "asked for information"))
    }
}

/// The incident behind a claim was withdrawn. Only a claim still waiting for a decision
/// closes: a determination already made stands (an appeal is the way to change it), and the
/// withdrawal is noted on it instead.
pub fn withdraw(status: ClaimStatus) -> Result<ClaimStatus, TransitionError> {
    if status.awaits_decision() {
        Ok(ClaimStatus::Withdrawn)
    } else {
        Err(wrong_state(status, "withdrawn"))
    }
}

/// Appraisal, benefits and payouts exist only for confirmed claims.
pub fn require_confirmed(status: ClaimStatus, action: &str) -> Result<(), TransitionError> {
    if status == ClaimStatus::Confirmed {
        Ok(())
    } else {
        Err(wrong_state(status, action))
    }
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum AppealKind {
    /// 行政复议
    AdministrativeReview,
    /// 行政诉讼
    Lawsuit,
    /// 一站式调解
    Mediation,
}

stored_names!(AppealKind {
    AdministrativeReview => "ADMINISTRATIVE_REVIEW",
    Lawsuit => "LAWSUIT",
    Mediation => "MEDIATION",
});

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum OverturnEffect {
    /// A refusal becomes a confirmation.
    Confirm,
    /// The claim returns to the review queue for a new human decision.
    Reopen,
}

stored_names!(OverturnEffect {
    Confirm => "CONFIRM",
    Reopen => "REOPEN",
});

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum AppealOutcome {
    Upheld,
    Overturned(OverturnEffect),
}

impl AppealOutcome {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Upheld => "UPHELD",
            Self::Overturned(_) => "OVERTURNED",
        }
    }
}

/// An appeal challenges a decision, so the claim must have one, and one appeal runs at a time
/// (a lawsuit after an administrative review is a new appeal once the first is decided).
pub fn file_appeal(status: ClaimStatus, open_appeal: bool) -> Result<(), TransitionError> {
    if !status.is_decided() {
        return Err(wrong_state(status, "appealed before it is decided"));
    }
    if open_appeal {
        return Err(TransitionError(
            "an appeal of this claim is still open".into(),
        ));
    }
    Ok(())
}

/// The claim's status after an appeal's outcome. Upheld changes nothing. Overturning a refusal
/// confirms the claim or reopens it; overturning a confirmation can only reopen it, because a
/// refusal needs a human's reason code, given with Decide.
pub fn appeal_outcome(
    status: ClaimStatus,
    outcome: AppealOutcome,
) -> Result<ClaimStatus, TransitionError> {
    if !status.is_decided() {
        return Err(wrong_state(status, "given an appeal outcome"));
    }
    match (status, outcome) {
        (_, AppealOutcome::Upheld) => Ok(status),
        (ClaimStatus::Refused, AppealOutcome::Overturned(OverturnEffect::Confirm)) => {
            Ok(ClaimStatus::Confirmed)
        }
        (_, AppealOutcome::Overturned(OverturnEffect::Reopen)) => Ok(ClaimStatus::InReview),
        (_, AppealOutcome::Overturned(OverturnEffect::Confirm)) => Err(TransitionError(
            "a confirmed claim overturned on appeal is reopened for a new decision".into(),
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use ClaimStatus::*;

    #[test]
    fn names_round_trip_and_are_unique() {
        for &reason in RefusalReason::ALL {
            assert_eq!(
                RefusalReason::parse_stored(reason.as_str()).ok(),
                Some(reason)
            );
        }
        let mut names: Vec<_> = RefusalReason::ALL.iter().map(|r| r.as_str()).collect();
        names.sort_unstable();
        names.dedup();
        assert_eq!(names.len(), RefusalReason::ALL.len());
        for status in [InReview, InformationRequested, Confirmed, Refused] {
            assert_eq!(
                ClaimStatus::parse_stored(status.as_str()).ok(),
                Some(status)
            );
        }
        assert_eq!(RefusalReason::parse_stored("BECAUSE").ok(), None);
    }

    #[test]
    fn only_claims_in_review_are_decided() {
        assert_eq!(decide(InReview, HumanDecision::Confirm), Ok(Confirmed));
        assert_eq!(
            decide(
                InformationRequested,
                HumanDecision::Refuse(RefusalReason::SelfHarm)
            ),
            Ok(Refused)
        );
        assert!(decide(Confirmed, HumanDecision::Confirm).is_err());
        assert!(decide(Refused, HumanDecision::Confirm).is_err());
        assert_eq!(request_information(InReview), Ok(InformationRequested));
        assert_eq!(
            request_information(InformationRequested),
            Ok(InformationRequested)
        );
        assert!(request_information(Confirmed).is_err());
    }

    #[test]
    fn appraisal_needs_a_confirmed_claim() {
        assert!(require_confirmed(Confirmed, "appraised").is_ok());
        for status in [InReview, InformationRequested, Refused] {
            assert!(require_confirmed(status, "appraised").is_err());
        }
    }

    #[test]
    fn appeals_challenge_decisions_one_at_a_time() {
        assert!(file_appeal(Refused, false).is_ok());
        assert!(file_appeal(Confirmed, false).is_ok());
        assert!(file_appeal(Refused, true).is_err());
        assert!(file_appeal(InReview, false).is_err());
        assert!(file_appeal(InformationRequested, false).is_err());
    }

    #[test]
    fn appeal_outcomes() {
        let overturn = |e| AppealOutcome::Overturned(e);
        assert_eq!(appeal_outcome(Refused, AppealOutcome::Upheld), Ok(Refused));
        assert_eq!(
            appeal_outcome(Confirmed, AppealOutcome::Upheld),
            Ok(Confirmed)
        );
        assert_eq!(
            appeal_outcome(Refused, overturn(OverturnEffect::Confirm)),
            Ok(Confirmed)
        );
        assert_eq!(
            appeal_outcome(Refused, overturn(OverturnEffect::Reopen)),
            Ok(InReview)
        );
        assert_eq!(
            appeal_outcome(Confirmed, overturn(OverturnEffect::Reopen)),
            Ok(InReview)
        );
        assert!(appeal_outcome(Confirmed, overturn(OverturnEffect::Confirm)).is_err());
        assert!(appeal_outcome(InReview, AppealOutcome::Upheld).is_err());
    }

    #[test]
    fn only_an_undecided_claim_is_withdrawn() {
        assert_eq!(withdraw(InReview), Ok(ClaimStatus::Withdrawn));
        assert_eq!(withdraw(InformationRequested), Ok(ClaimStatus::Withdrawn));
        for closed in [Confirmed, Refused, ClaimStatus::Withdrawn] {
            assert!(withdraw(closed).is_err(), "{closed:?}");
        }
        assert!(!ClaimStatus::Withdrawn.awaits_decision());
        assert!(file_appeal(ClaimStatus::Withdrawn, false).is_err());
        assert_eq!(
            ClaimStatus::parse_stored("WITHDRAWN").ok(),
            Some(ClaimStatus::Withdrawn)
        );
    }
}
