//! What a claim's history entry records. The names are stored in `claim_history.action` and
//! shown to whoever reads the claim (`GetClaim`'s history): never rename one.

use super::delivery::PayoutState;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum HistoryAction {
    /// The application arrived and the rules ran for the first time.
    Opened,
    /// The rules (or a dispute) sent the claim to review.
    Routed,
    /// Confirmed: by the rules, or by a person.
    Confirmed,
    /// Refused by a person (automation never refuses).
    Refused,
    /// The incident's facts were amended.
    IncidentAmended,
    /// A statement was added to the incident.
    Statement,
    /// The liable platform disputes facts of the worker's report.
    Disputed,
    /// Closed with its incident before a decision.
    Withdrawn,
    /// The incident was withdrawn after the decision, which stands.
    IncidentWithdrawn,
    /// An automation note (e.g. premium could not be asked).
    Note,
    /// The determination was not made by its due date.
    Overdue,
    /// A reviewer asked the applicant for information.
    InformationRequested,
    AppraisalRecorded,
    BenefitAssessed,
    /// The assessment waits for a benefit figure to be added.
    AwaitingParameters,
    /// Payouts issued to the registered account.
    PayoutsIssued,
    /// Payouts issued to another account, held for a second person.
    PayoutsHeld,
    /// A second person approved held payouts.
    PayoutsApproved,
    /// A payout's delivery moved on (sent, paid, returned, instructed again).
    Payout(PayoutState),
    AppealFiled,
    AppealDecided,
    /// An overpayment to recover.
    Recovery,
}

impl HistoryAction {
    /// The stored name.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Opened => "OPENED",
            Self::Routed => "ROUTED",
            Self::Confirmed => "CONFIRMED",
            Self::Refused => "REFUSED",
            Self::IncidentAmended => "INCIDENT_AMENDED",
            Self::Statement => "STATEMENT",
            Self::Disputed => "DISPUTED",
            Self::Withdrawn => "WITHDRAWN",
            Self::IncidentWithdrawn => "INCIDENT_WITHDRAWN",
            Self::Note => "NOTE",
            Self::Overdue => "OVERDUE",
            Self::InformationRequested => "INFORMATION_REQUESTED",
            Self::AppraisalRecorded => "APPRAISAL_RECORDED",
            Self::BenefitAssessed => "BENEFIT_ASSESSED",
            Self::AwaitingParameters => "AWAITING_PARAMETERS",
            Self::PayoutsIssued => "PAYOUTS_ISSUED",
            Self::PayoutsHeld => "PAYOUTS_HELD",
            Self::PayoutsApproved => "PAYOUTS_APPROVED",
            Self::Payout(state) => match state {
                PayoutState::Held => "PAYOUT_HELD",
                PayoutState::Instructed => "PAYOUT_INSTRUCTED",
                PayoutState::Sent => "PAYOUT_SENT",
                PayoutState::Paid => "PAYOUT_PAID",
                PayoutState::Returned(_) => "PAYOUT_RETURNED",
            },
            Self::AppealFiled => "APPEAL_FILED",
            Self::AppealDecided => "APPEAL_DECIDED",
            Self::Recovery => "RECOVERY",
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::BTreeSet;

    use super::*;
    use crate::domain::delivery::ReturnReason;

    /// The names stored before the actions were typed: a rename would orphan history rows.
    #[test]
    fn stored_names_are_the_ones_history_rows_already_carry() {
        let all = [
            HistoryAction::Opened,
            HistoryAction::Routed,
            HistoryAction::Confirmed,
            HistoryAction::Refused,
            HistoryAction::IncidentAmended,
            HistoryAction::Statement,
            HistoryAction::Disputed,
            HistoryAction::Withdrawn,
            HistoryAction::IncidentWithdrawn,
            HistoryAction::Note,
            HistoryAction::Overdue,
            HistoryAction::InformationRequested,
            HistoryAction::AppraisalRecorded,
            HistoryAction::BenefitAssessed,
            HistoryAction::AwaitingParameters,
            HistoryAction::PayoutsIssued,
            HistoryAction::PayoutsHeld,
            HistoryAction::PayoutsApproved,
            HistoryAction::Payout(PayoutState::Held),
            HistoryAction::Payout(PayoutState::Instructed),
            HistoryAction::Payout(PayoutState::Sent),
            HistoryAction::Payout(PayoutState::Paid),
            HistoryAction::Payout(PayoutState::Returned(ReturnReason::AccountClosed)),
            HistoryAction::AppealFiled,
            HistoryAction::AppealDecided,
            HistoryAction::Recovery,
        ];
        let names: BTreeSet<&str> = all.iter().map(|a| a.as_str()).collect();
        assert_eq!(names.len(), all.len(), "two actions share a name");
        // Delivery steps were stored as `PAYOUT_` + the state's own name.
        for state in [
            PayoutState::Held,
            PayoutState::Instructed,
            PayoutState::Sent,
            PayoutState::Paid,
            PayoutState::Returned(ReturnReason::Other),
        ] {
            assert_eq!(
                HistoryAction::Payout(state).as_str(),
                format!("PAYOUT_{}", state.as_str())
            );
        }
    }
}
