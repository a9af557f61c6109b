//! Injury determination (职业伤害确认): the rules that decide whether a claim may be confirmed
//! without a human.
//!
//! Automation may confirm; it never refuses. Each rule is a named pure function returning a
//! [`RuleOutcome`] that either passes or sends the claim to review with a [`ReasonCode`] from a
//! fixed list, and [`determine`] runs them all, in the order of [`RULES`], so the trace is
//! complete even when an early rule already failed: a reviewer sees every problem at once. A
//! refusal is always a human decision, made on the review queue.
//!
//! The rules, in order (the rule 5 is split so each check has its own reason):
//!
//! | # | rule | reviews when |
//! |---|---|---|
//! | 1 | [`registered`] | no platform membership is active at the incident time |
//! | 2 | [`work_related`] | no order window covers the incident, two platforms' orders do, or the order's platform has no active membership |
//! | 3 | [`scheme_in_force`] | the scheme had not started in the province on that Shanghai date |
//! | 4 | [`filed_in_time`] | the application is late (with or without an explanation) or predates the incident |
//! | 5 | [`category_covered`] | sudden illness without death within the window; missing person; unclassified cause |
//! | 6 | [`commute_traffic_fault`] | a traffic accident outside an order's own span (the trip back within the grace, or no order) with the worker mainly/fully at fault, or fault not yet determined |
//! | 7 | [`no_intentional_crime`] | the exclusion flag is set |
//! | 8 | [`no_intoxication`] | the exclusion flag is set |
//! | 9 | [`no_self_harm`] | the exclusion flag is set |
//! | 10 | [`no_duplicate`] | another claim of the same person lies within the duplicate window |

use std::sync::Arc;

use chrono::{DateTime, SecondsFormat, TimeDelta, Utc};
use gigshield_scheme::calendar::shanghai_date;
use gigshield_scheme::region::RegionCode;
use gigshield_scheme::rules::{self as scheme, InForce, SchemeRules, WindowKind};
use serde::{Deserialize, Serialize};
use uuid::Uuid;

mod facts;
mod orders;
mod outcome;
mod params;
mod rules;
#[cfg(test)]
mod tests;

pub use facts::*;
pub use orders::*;
pub use outcome::*;
pub use params::*;
pub use rules::*;

/// A determination rule.
pub type Rule = fn(&DeterminationFacts, &DeterminationParams) -> RuleOutcome;

/// The rules in the order they run and appear in the trace.
pub const RULES: [Rule; 10] = [
    registered,
    work_related,
    scheme_in_force,
    filed_in_time,
    category_covered,
    commute_traffic_fault,
    no_intentional_crime,
    no_intoxication,
    no_self_harm,
    no_duplicate,
];

/// Runs every rule in order. All pass → [`Outcome::AutoConfirm`]; otherwise
/// [`Outcome::Review`] with the reasons. Never a refusal.
pub fn determine(facts: &DeterminationFacts, params: &DeterminationParams) -> Determination {
    let trace: Vec<RuleOutcome> = RULES.iter().map(|rule| rule(facts, params)).collect();
    let mut reasons = Vec::new();
    for outcome in &trace {
        if let Verdict::Review(reason) = outcome.verdict
            && !reasons.contains(&reason)
        {
            reasons.push(reason);
        }
    }
    let outcome = if reasons.is_empty() {
        Outcome::AutoConfirm
    } else {
        Outcome::Review(reasons)
    };
    let liability = match match_orders(facts, params) {
        OrderMatch::Unique(order) => Some(Liability {
            platform_id: order.platform_id,
            order_id: order.order_id.clone(),
            region: order.region.clone(),
            industry: order.industry.clone(),
        }),
        OrderMatch::None | OrderMatch::Ambiguous(_) => None,
    };
    Determination {
        outcome,
        trace,
        liability,
    }
}
