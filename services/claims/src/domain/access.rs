//! Claims' access table, and what each reader sees of a claim.
//!
//! Insurers and their adjusters handle the claims routed to them; the agency's adjusters the
//! claims of their area (including those no route matched); operators read the claims of their
//! area and keep its routes; workers and their delegates read the worker's claims, keep the
//! beneficiary account and appeal; platforms read the claims they are liable for (or filed)
//! without medical detail, notes or history text, and appeal; regulators see counts of their
//! area and nothing else.

use gigshield_kit::RoleKind;
use gigshield_kit::access::{
    AGENCY_ADJUSTER, ANYONE, AccessTable, Grant, INSURER, INSURER_ADJUSTER, OPERATOR, PLATFORM,
    PROVINCIAL_OPERATOR, REGULATOR, Rule, Scope, Subject, WORKER, grant,
};
use gigshield_kit::{Caller, Role};
use uuid::Uuid;

/// Those who handle claims: the insurer, its adjusters, the agency's adjusters.
const HANDLERS: &[Grant] = &[INSURER, INSURER_ADJUSTER, AGENCY_ADJUSTER];

pub const TABLE: AccessTable = AccessTable {
    service: "gigshield.claims.v1.ClaimsService",
    rules: &[
        Rule {
            rpc: "GetClaim",
            grants: &[
                WORKER,
                PLATFORM,
                INSURER,
                INSURER_ADJUSTER,
                AGENCY_ADJUSTER,
                OPERATOR,
            ],
            note: "a platform without medical detail, decision notes or history text",
        },
        Rule {
            rpc: "ListClaims",
            grants: &[
                WORKER,
                PLATFORM,
                INSURER,
                INSURER_ADJUSTER,
                AGENCY_ADJUSTER,
                OPERATOR,
            ],
            note: "a worker their own or a delegator's; a platform those it is liable for; an \
                   insurer those routed to it; an agency or operator those of its area",
        },
        Rule {
            rpc: "GetClaimStatistics",
            grants: &[REGULATOR, OPERATOR],
            note: "counts of the caller's area, never a record; cells of fewer persons than \
                   the threshold suppressed",
        },
        Rule {
            rpc: "ListReviewQueue",
            grants: &[INSURER, INSURER_ADJUSTER, AGENCY_ADJUSTER, OPERATOR],
            note: "an insurer its own queue; an agency or operator the claims of its area",
        },
        Rule {
            rpc: "ListAwaitingParameters",
            grants: &[INSURER, INSURER_ADJUSTER, AGENCY_ADJUSTER, OPERATOR],
            note: "confirmed claims waiting for a benefit figure: an insurer its own; an agency \
                   or operator those of its area",
        },
        Rule {
            rpc: "AddBenefitFigure",
            grants: &[OPERATOR],
            note: "an area's figure: an operator of that area (or above); the national income: \
                   a national operator",
        },
        Rule {
            rpc: "ListBenefitFigures",
            grants: ANYONE,
            note: "published statistics and standards; nothing about any party",
        },
        Rule {
            rpc: "Decide",
            grants: HANDLERS,
            note: "the claim's handlers",
        },
        Rule {
            rpc: "RequestInformation",
            grants: HANDLERS,
            note: "the claim's handlers",
        },
        Rule {
            rpc: "PutRoute",
            grants: &[PROVINCIAL_OPERATOR],
            note: "routes of a province in the operator's area",
        },
        Rule {
            rpc: "ListRoutes",
            grants: &[INSURER, OPERATOR],
            note: "an insurer its own routes; an operator those of its area",
        },
        Rule {
            rpc: "RecordAppraisal",
            grants: HANDLERS,
            note: "the claim's handlers",
        },
        Rule {
            rpc: "AssessBenefits",
            grants: HANDLERS,
            note: "the claim's handlers",
        },
        Rule {
            rpc: "IssuePayouts",
            grants: HANDLERS,
            note: "the claim's handlers; another account than the registered one waits for a \
                   second person",
        },
        Rule {
            rpc: "ApprovePayouts",
            grants: HANDLERS,
            note: "the claim's handlers, never the one who issued",
        },
        Rule {
            rpc: "RecordRecovery",
            grants: HANDLERS,
            note: "the claim's handlers, as the money comes back",
        },
        Rule {
            rpc: "RecordPayoutOutcome",
            grants: HANDLERS,
            note: "the claim's handlers, as the bank answers the insurer paying it",
        },
        Rule {
            rpc: "ReinstructPayout",
            grants: HANDLERS,
            note: "the claim's handlers; only to the person's registered account, corrected \
                   since the return",
        },
        Rule {
            rpc: "SetBeneficiaryAccount",
            grants: &[WORKER, OPERATOR],
            note: "the worker or a delegate; an operator of the area of one of the person's \
                   claims",
        },
        Rule {
            rpc: "FileAppeal",
            grants: &[WORKER, PLATFORM, AGENCY_ADJUSTER],
            note: "the parties, or an agency adjuster recording one",
        },
        Rule {
            rpc: "RecordAppealOutcome",
            grants: HANDLERS,
            note: "the claim's handlers",
        },
        Rule {
            rpc: "WatchClaims",
            grants: &[INSURER, grant(RoleKind::Adjuster, Scope::Assigned)],
            note: "the events of the claims routed to the insurer",
        },
    ],
};

/// How much of a claim a reader sees.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Detail {
    Full,
    /// Appraisals, benefits, payouts and rule evidence left out, and every free text: notes,
    /// questions, grounds, history details.
    WithoutMedical,
}

/// The parties of a claim that access depends on.
pub fn subject(
    person_id: Uuid,
    platform_id: Option<Uuid>,
    insurer_id: Option<Uuid>,
    region_code: &str,
) -> Subject {
    Subject::default()
        .person(person_id)
        .platform(platform_id)
        .insurer(insurer_id)
        .region(region_code)
}

/// What an admitted reader who sees the claim is shown.
pub fn detail(caller: &Caller) -> Detail {
    match caller.principal.role {
        Role::Platform { .. } => Detail::WithoutMedical,
        _ => Detail::Full,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use gigshield_kit::Principal;

    fn caller(rpc: &str, role: Role) -> Result<Caller, gigshield_kit::ApiError> {
        TABLE.caller(
            rpc,
            Principal {
                subject: "s".into(),
                role,
            },
            Vec::new(),
        )
    }

    #[test]
    fn handlers_see_their_claims_and_platforms_no_medical_detail() {
        let (person, platform, insurer) = (Uuid::now_v7(), Uuid::now_v7(), Uuid::now_v7());
        let claim = subject(person, Some(platform), Some(insurer), "440305");
        let insurer_caller = caller(
            "Decide",
            Role::Insurer {
                insurer_id: insurer,
            },
        )
        .unwrap();
        assert!(insurer_caller.sees(&claim));
        let other = caller(
            "Decide",
            Role::Insurer {
                insurer_id: Uuid::now_v7(),
            },
        )
        .unwrap();
        assert!(!other.sees(&claim));
        assert!(
            caller(
                "Decide",
                Role::Platform {
                    platform_id: platform
                }
            )
            .is_err()
        );
        assert!(caller("Decide", Role::national_operator()).is_err());
        let platform_reader = caller(
            "GetClaim",
            Role::Platform {
                platform_id: platform,
            },
        )
        .unwrap();
        assert!(platform_reader.sees(&claim));
        assert_eq!(detail(&platform_reader), Detail::WithoutMedical);
        let agency = caller("Decide", Role::national_adjuster()).unwrap();
        assert!(agency.sees(&claim));
        assert_eq!(detail(&agency), Detail::Full);
        // A regional operator cannot route another province.
        assert!(caller("PutRoute", Role::regional_operator("440300")).is_err());
        assert!(caller("PutRoute", Role::regional_operator("440000")).is_ok());
    }
}
