//! A payout after it was issued: whether the money arrived.
//!
//! The ledger row is the instruction and is never changed; what the bank answered is a list of
//! steps recorded after it (SENT, PAID, RETURNED, and INSTRUCTED again to a corrected account).
//! The state is the fold of those steps, and only forward steps are accepted, so a step
//! recorded twice or out of order is refused instead of counted.

use serde::{Deserialize, Serialize};

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub enum PayoutState {
    /// Issued to an account other than the registered one: waits for a second person.
    Held,
    Instructed,
    Sent,
    Paid,
    Returned(ReturnReason),
}

/// The bank's reason for a return, as a code: events carry no free text.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub enum ReturnReason {
    AccountClosed,
    AccountNotFound,
    NameMismatch,
    AccountFrozen,
    Other,
}

// Stored and published names: never change one.
gigshield_scheme::stored_names!(ReturnReason {
    AccountClosed => "ACCOUNT_CLOSED",
    AccountNotFound => "ACCOUNT_NOT_FOUND",
    NameMismatch => "NAME_MISMATCH",
    AccountFrozen => "ACCOUNT_FROZEN",
    Other => "OTHER",
});

/// What can be recorded about an issued payout.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    Sent,
    Paid,
    Returned(ReturnReason),
    /// Sent again to another account after a return.
    Reinstructed,
}

impl Step {
    /// Stored step names (the reason is stored beside a return).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Sent => "SENT",
            Self::Paid => "PAID",
            Self::Returned(_) => "RETURNED",
            Self::Reinstructed => "INSTRUCTED",
        }
    }

    pub fn parse(name: &str, reason: Option<&str>) -> Option<Self> {
        match name {
            "SENT" => Some(Self::Sent),
            "PAID" => Some(Self::Paid),
            "RETURNED" => reason
                .and_then(|r| ReturnReason::parse_stored(r).ok())
                .map(Self::Returned),
            "INSTRUCTED" => Some(Self::Reinstructed),
            _ => None,
        }
    }
}

impl PayoutState {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Held => "HELD",
            Self::Instructed => "INSTRUCTED",
            Self::Sent => "SENT",
            Self::Paid => "PAID",
            Self::Returned(_) => "RETURNED",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0}")]
pub struct StepRefused(pub String);

/// The state after `step`, or why the step does not follow.
pub fn advance(state: PayoutState, step: Step) -> Result<PayoutState, StepRefused> {
    use PayoutState as S;
    match (state, step) {
        (S::Instructed, Step::Sent) => Ok(S::Sent),
        (S::Instructed | S::Sent, Step::Paid) => Ok(S::Paid),
        (S::Instructed | S::Sent, Step::Returned(reason)) => Ok(S::Returned(reason)),
        (S::Returned(_), Step::Reinstructed) => Ok(S::Instructed),
        (S::Held, _) => Err(StepRefused(
            "the payout waits for a second person's approval: it was not sent".into(),
        )),
        (state, step) => Err(StepRefused(format!(
            "a {} payout cannot become {}",
            state.as_str(),
            step.as_str()
        ))),
    }
}

/// The state of a payout issued (approved or held) followed by `steps`, and its attempt number
/// (1 + re-instructions). A stored sequence that does not fold is an error of the writer.
pub fn fold(
    approved: bool,
    steps: impl IntoIterator<Item = Step>,
) -> Result<(PayoutState, u32), StepRefused> {
    let start = if approved {
        PayoutState::Instructed
    } else {
        PayoutState::Held
    };
    steps
        .into_iter()
        .try_fold((start, 1), |(state, attempt), step| {
            let next = advance(state, step)?;
            Ok((next, attempt + u32::from(step == Step::Reinstructed)))
        })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_payout_is_sent_then_paid_and_paid_is_final() {
        let (state, attempt) = fold(true, [Step::Sent, Step::Paid]).unwrap();
        assert_eq!((state, attempt), (PayoutState::Paid, 1));
        for step in [
            Step::Sent,
            Step::Paid,
            Step::Returned(ReturnReason::Other),
            Step::Reinstructed,
        ] {
            assert!(advance(PayoutState::Paid, step).is_err(), "{step:?}");
        }
    }

    #[test]
    fn a_returned_payout_is_reinstructed_once_per_return() {
        let returned = Step::Returned(ReturnReason::AccountClosed);
        let (state, attempt) = fold(true, [Step::Sent, returned, Step::Reinstructed]).unwrap();
        assert_eq!((state, attempt), (PayoutState::Instructed, 2));
        // A second re-instruction without a second return does not follow.
        assert!(advance(state, Step::Reinstructed).is_err());
        assert!(advance(PayoutState::Sent, Step::Reinstructed).is_err());
        let (state, attempt) = fold(true, [returned, Step::Reinstructed, Step::Paid]).unwrap();
        assert_eq!((state, attempt), (PayoutState::Paid, 2));
    }

    #[test]
    fn a_held_payout_takes_no_step_and_steps_do_not_repeat() {
        assert!(fold(false, [Step::Sent]).is_err());
        assert_eq!(fold(false, []).unwrap(), (PayoutState::Held, 1));
        assert!(fold(true, [Step::Sent, Step::Sent]).is_err());
    }

    #[test]
    fn stored_names_read_back() {
        for &reason in ReturnReason::ALL {
            let step = Step::Returned(reason);
            assert_eq!(
                Step::parse(step.as_str(), Some(reason.as_str())),
                Some(step)
            );
        }
        for step in [Step::Sent, Step::Paid, Step::Reinstructed] {
            assert_eq!(Step::parse(step.as_str(), None), Some(step));
        }
        assert_eq!(Step::parse("RETURNED", None), None);
    }
}
