//! Enrollment's access table: who may call each RPC and which scope ties them to the data.
//! Checked with the kit's [`gigshield_kit::access`] (role before any lookup; a record outside
//! the caller's scope answers like a missing one). docs/access.md renders every service's
//! table.
//!
//! The places that bound an operator here: a platform's provinces, a membership's region code,
//! a person's memberships' region codes, a review's region code.

use gigshield_kit::access::{
    AGENCY_ADJUSTER, ANYONE, AccessTable, INSURER, INSURER_ADJUSTER, NATIONAL_OPERATOR, OPERATOR,
    PLATFORM, PROVINCIAL_OPERATOR, Rule, WORKER, WORKER_SELF,
};

pub const TABLE: AccessTable = AccessTable {
    service: "gigshield.enrollment.v1.EnrollmentService",
    rules: &[
        Rule {
            rpc: "RegisterPlatform",
            grants: &[OPERATOR],
            note: "every region code named lies in the operator's area",
        },
        Rule {
            rpc: "GetPlatform",
            grants: &[PLATFORM, OPERATOR],
            note: "an operator: a platform with a province in its area",
        },
        Rule {
            rpc: "ListPlatforms",
            grants: &[PLATFORM, OPERATOR],
            note: "a platform lists itself; an operator the platforms with a province in its area",
        },
        Rule {
            rpc: "UpdatePlatform",
            grants: &[OPERATOR],
            note: "the platform has a province in the operator's area, and every new region does",
        },
        Rule {
            rpc: "AddCreditCodeException",
            grants: &[NATIONAL_OPERATOR],
            note: "the exception list is national",
        },
        Rule {
            rpc: "RegisterWorker",
            grants: &[PLATFORM, OPERATOR],
            note: "an operator: the registration's region lies in its area; only operators date a start",
        },
        Rule {
            rpc: "BulkRegisterWorkers",
            grants: &[PLATFORM, OPERATOR],
            note: "as RegisterWorker, per item",
        },
        Rule {
            rpc: "GetWorker",
            grants: &[
                PLATFORM,
                WORKER,
                INSURER,
                INSURER_ADJUSTER,
                AGENCY_ADJUSTER,
                OPERATOR,
            ],
            note: "its platform, the person or a delegate, the insurer of a case of the person, \
                   the area of the membership's region",
        },
        Rule {
            rpc: "ListWorkers",
            grants: &[PLATFORM, OPERATOR],
            note: "an operator sees the memberships registered in its area",
        },
        Rule {
            rpc: "DeregisterWorker",
            grants: &[PLATFORM, OPERATOR],
            note: "a platform's takes effect when received; only an operator dates one back",
        },
        Rule {
            rpc: "GetPerson",
            grants: &[WORKER, INSURER, INSURER_ADJUSTER, AGENCY_ADJUSTER, OPERATOR],
            note: "the person or a delegate, the insurer of a case of the person, the area of \
                   one of the person's memberships",
        },
        Rule {
            rpc: "GrantDelegation",
            grants: &[WORKER_SELF, OPERATOR],
            note: "a worker grants for themself only (a delegate cannot pass the right on); an \
                   operator of the area of one of the grantor's memberships, with a reason",
        },
        Rule {
            rpc: "RevokeDelegation",
            grants: &[WORKER_SELF, OPERATOR],
            note: "the grantor, or an operator as for GrantDelegation",
        },
        Rule {
            rpc: "ListDelegations",
            grants: &[WORKER_SELF, OPERATOR],
            note: "a worker: delegations they gave or received",
        },
        Rule {
            rpc: "ListIdentityReviews",
            grants: &[OPERATOR],
            note: "reviews of registrations in the operator's area",
        },
        Rule {
            rpc: "ResolveIdentityReview",
            grants: &[OPERATOR],
            note: "a review of a registration in the operator's area",
        },
        Rule {
            rpc: "AddSchemeRule",
            grants: &[PROVINCIAL_OPERATOR],
            note: "a province's start: an operator of that province or a national one; every \
                   other rule: a national operator",
        },
        Rule {
            rpc: "ListSchemeRules",
            grants: ANYONE,
            note: "the scheme's public calendar; nothing about any party",
        },
    ],
};
