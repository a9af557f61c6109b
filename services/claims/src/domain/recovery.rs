//! Recoveries of overpaid benefits: money paid on a claim that was not due (a re-assessment
//! lowered it, an end condition was reported late, a payment went out twice) and came back. A
//! recovery is a negative line in the claim's payout ledger, one per reference, never more
//! than was paid of that benefit net of earlier recoveries.

use uuid::Uuid;

/// Why the money came back. Stored by name in the claim's history.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RecoveryReason {
    /// A later assessment or appraisal set a lower amount.
    Reassessed,
    /// An end condition (a dependant came of age or died, the person died) was reported late.
    EndConditionUnreported,
    DuplicatePayment,
    /// Obtained by deceit (Social Insurance Law art. 88).
    Fraud,
    Other,
}

impl RecoveryReason {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Reassessed => "REASSESSED",
            Self::EndConditionUnreported => "END_CONDITION_UNREPORTED",
            Self::DuplicatePayment => "DUPLICATE_PAYMENT",
            Self::Fraud => "FRAUD",
            Self::Other => "OTHER",
        }
    }
}

/// The period a recovery line carries in the ledger instead of a month or `once`.
pub const PERIOD: &str = "recovery";

/// The ledger key of a recovery: `claim/{claim_id}/recovery/{reference}`. Persisted: never
/// change it.
pub fn key(claim_id: Uuid, reference: &str) -> String {
    format!("claim/{claim_id}/recovery/{reference}")
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RecoveryError {
    #[error("kind: nothing of {kind} was paid on this claim")]
    NothingPaid { kind: String },
    #[error(
        "amount_fen: {asked} fen is more than the {paid} fen of {kind} paid and not yet recovered"
    )]
    MoreThanPaid { kind: String, paid: i64, asked: i64 },
}

/// Whether `amount_fen` of `kind` may be recovered, given every ledger line of the claim as
/// (kind, amount) — payouts positive, earlier recoveries negative.
pub fn check<'a>(
    lines: impl IntoIterator<Item = (&'a str, i64)>,
    kind: &str,
    amount_fen: i64,
) -> Result<(), RecoveryError> {
    let mut paid = 0_i64;
    let mut any = false;
    for (line_kind, fen) in lines {
        if line_kind == kind {
            any |= fen > 0;
            paid = paid.saturating_add(fen);
        }
    }
    if !any {
        return Err(RecoveryError::NothingPaid { kind: kind.into() });
    }
    if amount_fen > paid {
        return Err(RecoveryError::MoreThanPaid {
            kind: kind.into(),
            paid: paid.max(0),
            asked: amount_fen,
        });
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_recovery_takes_back_at_most_what_was_paid_net() {
        let lines = [
            ("disability_allowance", 93_750),
            ("disability_allowance", 93_750),
            ("nursing_care", 37_500),
            ("disability_allowance", -50_000),
        ];
        assert_eq!(check(lines, "disability_allowance", 137_500), Ok(()));
        assert_eq!(
            check(lines, "disability_allowance", 137_501),
            Err(RecoveryError::MoreThanPaid {
                kind: "disability_allowance".into(),
                paid: 137_500,
                asked: 137_501
            })
        );
        assert_eq!(
            check(lines, "death_grant", 1),
            Err(RecoveryError::NothingPaid {
                kind: "death_grant".into()
            })
        );
        assert!(key(Uuid::nil(), "RC-2026-0001").ends_with("/recovery/RC-2026-0001"));
    }
}
