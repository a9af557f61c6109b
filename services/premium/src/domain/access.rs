//! Premium's access table: who may call each RPC and which scope ties them to the data.
//!
//! A platform's account and the month close are national (one account per platform across
//! provinces, one close per month), so only the central operator records payments, reads
//! accounts and closes months; an operator of a province or city reads the statements and
//! declarations of platforms in its area and adds rates for it. `VerifyWorkActivity` answers
//! the claims service, the insurer of a case of the person, and (orders in its area) an agency;
//! `ListCoverageDays` also the worker, for their own days only. Regulators read counts only
//! (`GetPremiumStatistics`), and only for whole provinces in their area: premium's figures
//! have no finer place than the province.

use gigshield_kit::RoleKind;
use gigshield_kit::access::{
    AGENCY_ADJUSTER, AccessTable, INSURER, INSURER_ADJUSTER, NATIONAL_OPERATOR, OPERATOR, PLATFORM,
    PROVINCIAL_OPERATOR, REGULATOR, Rule, Scope, WORKER_SELF, grant,
};

pub const TABLE: AccessTable = AccessTable {
    service: "gigshield.premium.v1.PremiumService",
    rules: &[
        Rule {
            rpc: "AddRate",
            grants: &[PROVINCIAL_OPERATOR],
            note: "rates are set per province: a provincial operator for its province; a \
                   general rate: national only",
        },
        Rule {
            rpc: "ListRates",
            grants: &[PLATFORM, OPERATOR],
            note: "a platform its own and the general rates; an operator those of its area",
        },
        Rule {
            rpc: "ReportOrders",
            grants: &[PLATFORM],
            note: "its own orders",
        },
        Rule {
            rpc: "StreamOrders",
            grants: &[PLATFORM],
            note: "its own orders",
        },
        Rule {
            rpc: "GetOrder",
            grants: &[PLATFORM, OPERATOR],
            note: "an operator: an order taken in its area",
        },
        Rule {
            rpc: "GetMonthStatement",
            grants: &[PLATFORM, OPERATOR],
            note: "an operator: a platform with a province in its area",
        },
        Rule {
            rpc: "CloseMonth",
            grants: &[NATIONAL_OPERATOR],
            note: "one close per month for every platform",
        },
        Rule {
            rpc: "ListDeclarations",
            grants: &[PLATFORM, OPERATOR],
            note: "an operator: the declarations of provinces in its area",
        },
        Rule {
            rpc: "RecordPayment",
            grants: &[NATIONAL_OPERATOR],
            note: "one account per platform",
        },
        Rule {
            rpc: "GetAccount",
            grants: &[PLATFORM, NATIONAL_OPERATOR],
            note: "one account per platform",
        },
        Rule {
            rpc: "VerifyWorkActivity",
            grants: &[
                grant(RoleKind::Service, Scope::Service("claims")),
                INSURER,
                INSURER_ADJUSTER,
                AGENCY_ADJUSTER,
                OPERATOR,
            ],
            note: "claims; an insurer for a person with a case routed to it; an agency the \
                   orders taken in its area",
        },
        Rule {
            rpc: "ListCoverageDays",
            grants: &[
                WORKER_SELF,
                INSURER,
                INSURER_ADJUSTER,
                AGENCY_ADJUSTER,
                OPERATOR,
            ],
            note: "a worker their own days; an insurer for a person with a case routed to it; \
                   an agency or operator the days in its area",
        },
        Rule {
            rpc: "GetPremiumStatistics",
            grants: &[REGULATOR, PROVINCIAL_OPERATOR],
            note: "counts for the provinces of the caller's area, never a record (a city's \
                   regulator gets none: premium's figures are per province); cells of fewer \
                   covered persons than the threshold suppressed",
        },
    ],
};
