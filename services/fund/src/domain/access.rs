//! Fund's access table.
//!
//! The fund's figures describe areas, platforms and insurers, never a person: operators and
//! regulators of an area read its statements and ratios; a platform its own ratio; an insurer
//! its own settlement. The entries behind a statement name claims' payouts, so only operators
//! read them. Money the fund itself moves (reimbursements, contracts, approved settlements) is
//! recorded by an operator of the province or the nation.

use gigshield_kit::access::{
    AccessTable, INSURER, OPERATOR, PLATFORM, PROVINCIAL_OPERATOR, REGULATOR, Rule, Subject,
};
use gigshield_kit::{ApiError, Caller, Scope};

pub const TABLE: AccessTable = AccessTable {
    service: "gigshield.fund.v1.FundService",
    rules: &[
        Rule {
            rpc: "GetFundStatement",
            grants: &[OPERATOR, REGULATOR],
            note: "a province of the caller's area; figures only",
        },
        Rule {
            rpc: "ListFundEntries",
            grants: &[OPERATOR],
            note: "a province of the operator's area; entries name payouts, so not regulators",
        },
        Rule {
            rpc: "GetBenefitFeeRatio",
            grants: &[PLATFORM, OPERATOR, REGULATOR],
            note: "a platform its own; an operator or regulator a province of its area",
        },
        Rule {
            rpc: "AddInsurerContract",
            grants: &[PROVINCIAL_OPERATOR],
            note: "contracts of a province in the operator's area",
        },
        Rule {
            rpc: "RecordReimbursement",
            grants: &[PROVINCIAL_OPERATOR],
            note: "reimbursements in a province of the operator's area",
        },
        Rule {
            rpc: "SubmitPayoutRecords",
            grants: &[INSURER],
            note: "its own records",
        },
        Rule {
            rpc: "UploadPayoutRecords",
            grants: &[INSURER],
            note: "its own records, as SubmitPayoutRecords, streamed",
        },
        Rule {
            rpc: "GetInsurerSettlement",
            grants: &[INSURER, OPERATOR],
            note: "an insurer its own; an operator a province of its area",
        },
        Rule {
            rpc: "ApproveSettlement",
            grants: &[PROVINCIAL_OPERATOR],
            note: "settlements of a province in the operator's area; never the insurer",
        },
        Rule {
            rpc: "GetFundStatistics",
            grants: &[REGULATOR, PROVINCIAL_OPERATOR],
            note: "figures for the provinces of the caller's area (a city's regulator gets \
                   none: the books are per province); benefits of cells of fewer claims than \
                   the threshold withheld",
        },
    ],
};

/// The scope check on the province a request names, before anything is read. A regulator's
/// aggregates are those of its area.
pub fn require_province(caller: &Caller, province: &str) -> Result<(), ApiError> {
    if caller.scope == Scope::Aggregates {
        let covers = caller
            .principal
            .role
            .jurisdiction()
            .is_some_and(|j| j.covers(province));
        return if covers {
            Ok(())
        } else {
            Err(ApiError::PermissionDenied(
                "outside the caller's scope (aggregates of its area)".into(),
            ))
        };
    }
    caller.require(&Subject::default().region(province))
}
