//! The rules, one pure function each, in the order of [`super::RULES`].

use super::*;

/// Rule 1: the person was registered with some platform at the incident time.
pub fn registered(facts: &DeterminationFacts, _params: &DeterminationParams) -> RuleOutcome {
    let at = facts.occurred_at;
    let active: Vec<String> = facts
        .memberships
        .iter()
        .filter(|m| m.active_at(at))
        .map(|m| format!("platform {} since {}", m.platform_id, ts(m.registered_at)))
        .collect();
    if active.is_empty() {
        RuleOutcome::review(
            RuleCode::Registered,
            ReasonCode::NotRegistered,
            format!(
                "none of {} membership(s) was active at {}",
                facts.memberships.len(),
                ts(at)
            ),
        )
    } else {
        RuleOutcome::pass(
            RuleCode::Registered,
            format!("registered at {}: {}", ts(at), active.join("; ")),
        )
    }
}

/// Rule 2: an order of the person covers the incident time, and its platform — the liable
/// one — is unambiguous and had the person registered.
///
/// An order covers `occurred_at` when it lies in `[accepted_at − grace, end + grace]` with
/// `end` the completion or cancellation time; an open order covers
/// `[accepted_at − grace, accepted_at + open_order_max]`. Several orders of one platform (a
/// rider's stacked deliveries) are not ambiguous; orders of two platforms are.
pub fn work_related(facts: &DeterminationFacts, params: &DeterminationParams) -> RuleOutcome {
    let rule = RuleCode::WorkRelated;
    let reach = params.reach(facts.occurred_at);
    match match_orders(facts, params) {
        OrderMatch::None => RuleOutcome::review(
            rule,
            ReasonCode::NoCoveringOrder,
            format!(
                "none of {} order(s) covers {} (grace {} min, open orders {} min after acceptance)",
                facts.orders.len(),
                ts(facts.occurred_at),
                reach.grace_minutes,
                reach.open_order_max_minutes
            ),
        ),
        OrderMatch::Ambiguous(orders) => RuleOutcome::review(
            rule,
            ReasonCode::AmbiguousLiability,
            format!(
                "orders of several platforms cover {}: {}",
                ts(facts.occurred_at),
                orders
                    .iter()
                    .map(|o| describe_order(o))
                    .collect::<Vec<_>>()
                    .join("; ")
            ),
        ),
        OrderMatch::Unique(order) => {
            let registered_with_platform = facts
                .memberships
                .iter()
                .any(|m| m.platform_id == order.platform_id && m.active_at(facts.occurred_at));
            if registered_with_platform {
                RuleOutcome::pass(
                    rule,
                    format!(
                        "{} covers {}; liable platform {}",
                        describe_order(order),
                        ts(facts.occurred_at),
                        order.platform_id
                    ),
                )
            } else {
                RuleOutcome::review(
                    rule,
                    ReasonCode::LiablePlatformNotRegistered,
                    format!(
                        "{} covers {} but the person had no active membership with platform {}",
                        describe_order(order),
                        ts(facts.occurred_at),
                        order.platform_id
                    ),
                )
            }
        }
    }
}

/// Rule 3: the scheme was in force in the province of coverage on the incident's Shanghai
/// date. The province is the covering order's (coverage follows where the order is taken);
/// without a single covering order it is the incident's.
pub fn scheme_in_force(facts: &DeterminationFacts, params: &DeterminationParams) -> RuleOutcome {
    let (region, whose) = match match_orders(facts, params) {
        OrderMatch::Unique(order) => (&order.region, "order"),
        OrderMatch::None | OrderMatch::Ambiguous(_) => (&facts.region, "incident"),
    };
    let province = region.province();
    let date = shanghai_date(facts.occurred_at);
    match params.scheme.in_force(province, date) {
        InForce::Since(from) => RuleOutcome::pass(
            RuleCode::SchemeInForce,
            format!(
                "province {province} ({whose} region {region}) in the scheme since {from}; \
                 incident date {date} (Asia/Shanghai)"
            ),
        ),
        InForce::From(from) => RuleOutcome::review(
            RuleCode::SchemeInForce,
            ReasonCode::SchemeNotInForce,
            format!(
                "province {province} ({whose} region {region}) joins the scheme on {from}; \
                 incident date {date} (Asia/Shanghai)"
            ),
        ),
        InForce::Unknown => RuleOutcome::review(
            RuleCode::SchemeInForce,
            ReasonCode::SchemeNotInForce,
            format!(
                "the scheme calendar holds no start for province {province} ({whose} region \
                 {region}); incident date {date} (Asia/Shanghai)"
            ),
        ),
    }
}

/// Rule 4: the application was filed within the filer's deadline: the calendar's days for the
/// filer, counted in Shanghai calendar days after the accident day (Civil Code art. 201), a
/// last day off work moved to the next working day (art. 203). Late filing is never refused here: with an explanation it is what the
/// form provides for, without one incident should have rejected it — both go to a human.
pub fn filed_in_time(facts: &DeterminationFacts, params: &DeterminationParams) -> RuleOutcome {
    let rule = RuleCode::FiledInTime;
    let application = &facts.application;
    if application.filed_at < facts.occurred_at {
        return RuleOutcome::review(
            rule,
            ReasonCode::InconsistentTimes,
            format!(
                "filed at {} before the incident at {}",
                ts(application.filed_at),
                ts(facts.occurred_at)
            ),
        );
    }
    let accident_date = shanghai_date(facts.occurred_at);
    let filed_on = shanghai_date(application.filed_at);
    let deadline = params
        .scheme
        .deadlines(accident_date)
        .for_filer(application.filer.scheme());
    let last_day = params.scheme.filing_last_day(accident_date, deadline);
    let days = (filed_on - accident_date).num_days();
    let evidence = format!(
        "filed by {:?} on day {days} after the incident (Asia/Shanghai dates), deadline \
         {deadline} days, last day {last_day}",
        application.filer
    );
    if filed_on <= last_day {
        RuleOutcome::pass(rule, evidence)
    } else if application.late_explanation {
        RuleOutcome::review(
            rule,
            ReasonCode::LateWithExplanation,
            format!("{evidence}; late, explanation attached"),
        )
    } else {
        RuleOutcome::review(
            rule,
            ReasonCode::LateWithoutExplanation,
            format!("{evidence}; late, no explanation"),
        )
    }
}

/// Rule 5: the cause category is one automation may confirm. Accidents, violence and traffic
/// accidents pass (rule 2 ties them to an order, rule 6 checks fault off-order); sudden illness
/// passes only with death within the window; missing persons and unclassified causes need a
/// human.
pub fn category_covered(facts: &DeterminationFacts, params: &DeterminationParams) -> RuleOutcome {
    let rule = RuleCode::CategoryCovered;
    match facts.category {
        IncidentCategory::OrderAccident
        | IncidentCategory::Violence
        | IncidentCategory::TrafficAccident { .. } => {
            RuleOutcome::pass(rule, format!("category {:?} is recognised", facts.category))
        }
        IncidentCategory::SuddenIllness => {
            let hours = params.sudden_illness_death_hours(facts.occurred_at);
            let window = TimeDelta::hours(i64::from(hours));
            match facts.died_at {
                None => RuleOutcome::review(
                    rule,
                    ReasonCode::SuddenIllnessWithoutTimelyDeath,
                    "sudden illness without death".to_owned(),
                ),
                Some(died_at) if died_at < facts.occurred_at => RuleOutcome::review(
                    rule,
                    ReasonCode::InconsistentTimes,
                    format!(
                        "death at {} before onset at {}",
                        ts(died_at),
                        ts(facts.occurred_at)
                    ),
                ),
                Some(died_at) => {
                    let after = died_at - facts.occurred_at;
                    let evidence = format!(
                        "sudden illness at {}, death at {} ({} min later), window {} h",
                        ts(facts.occurred_at),
                        ts(died_at),
                        after.num_minutes(),
                        hours
                    );
                    if after <= window {
                        RuleOutcome::pass(rule, evidence)
                    } else {
                        RuleOutcome::review(
                            rule,
                            ReasonCode::SuddenIllnessWithoutTimelyDeath,
                            evidence,
                        )
                    }
                }
            }
        }
        IncidentCategory::Missing => RuleOutcome::review(
            rule,
            ReasonCode::MissingPerson,
            "the person is reported missing".to_owned(),
        ),
        IncidentCategory::Other => RuleOutcome::review(
            rule,
            ReasonCode::UnclassifiedCategory,
            "the cause category is unclassified".to_owned(),
        ),
    }
}

/// Rule 6: from acceptance to completion the worker's fault does not matter (the no-fault
/// principle of work injury; exclusions are rules 7–9). Outside that span — in the grace
/// window after completion (the trip back) or before acceptance, or outside every order — a
/// traffic accident is covered only where the worker was not mainly or fully at fault, so such
/// a case, or one whose fault is still undetermined, goes to a human.
pub fn commute_traffic_fault(
    facts: &DeterminationFacts,
    params: &DeterminationParams,
) -> RuleOutcome {
    let rule = RuleCode::CommuteTrafficFault;
    let IncidentCategory::TrafficAccident { worker_fault } = facts.category else {
        return RuleOutcome::pass(rule, "not a traffic accident".to_owned());
    };
    let at = facts.occurred_at;
    let reach = params.reach(at);
    let where_ = match match_orders(facts, params) {
        OrderMatch::None => "outside any order".to_owned(),
        OrderMatch::Unique(order) if within_span(order, at, reach) => {
            return during_order(rule, worker_fault);
        }
        OrderMatch::Ambiguous(orders) if orders.iter().any(|o| within_span(o, at, reach)) => {
            return during_order(rule, worker_fault);
        }
        OrderMatch::Unique(order) => outside_span(order, at),
        OrderMatch::Ambiguous(orders) => outside_span(orders[0], at),
    };
    match worker_fault {
        Some(fault @ (TrafficFault::Main | TrafficFault::Full)) => RuleOutcome::review(
            rule,
            ReasonCode::CommuteTrafficWorkerAtFault,
            format!("traffic accident {where_}, worker fault {fault:?}"),
        ),
        None => RuleOutcome::review(
            rule,
            ReasonCode::CommuteTrafficFaultUndetermined,
            format!("traffic accident {where_}, fault not yet determined"),
        ),
        Some(fault) => RuleOutcome::pass(
            rule,
            format!("traffic accident {where_}, worker fault {fault:?} is not main or full"),
        ),
    }
}

pub(super) fn during_order(rule: RuleCode, worker_fault: Option<TrafficFault>) -> RuleOutcome {
    RuleOutcome::pass(
        rule,
        format!("traffic accident during an order; worker fault {worker_fault:?} does not bar it"),
    )
}

/// Where an incident inside an order's grace but outside its own span lies.
pub(super) fn outside_span(order: &OrderWindow, at: DateTime<Utc>) -> String {
    match order.end {
        OrderEnd::Completed(end) | OrderEnd::Cancelled(end) if at > end => format!(
            "{} min after order {} ended (the trip back)",
            (at - end).num_minutes(),
            order.order_id
        ),
        _ => format!(
            "{} min before order {} was accepted",
            (order.accepted_at - at).num_minutes().max(0),
            order.order_id
        ),
    }
}

pub(super) fn exclusion(
    rule: RuleCode,
    flagged: bool,
    reason: ReasonCode,
    what: &str,
) -> RuleOutcome {
    if flagged {
        RuleOutcome::review(rule, reason, format!("flagged: {what}"))
    } else {
        RuleOutcome::pass(rule, format!("not flagged: {what}"))
    }
}

/// Rule 7: exclusion for intentional crime — flagged cases go to a human.
pub fn no_intentional_crime(facts: &DeterminationFacts, _: &DeterminationParams) -> RuleOutcome {
    exclusion(
        RuleCode::NoIntentionalCrime,
        facts.exclusions.intentional_crime,
        ReasonCode::IntentionalCrime,
        "intentional crime",
    )
}

/// Rule 8: exclusion for intoxication or drug use — flagged cases go to a human.
pub fn no_intoxication(facts: &DeterminationFacts, _: &DeterminationParams) -> RuleOutcome {
    exclusion(
        RuleCode::NoIntoxication,
        facts.exclusions.intoxication_or_drugs,
        ReasonCode::IntoxicationOrDrugs,
        "intoxication or drugs",
    )
}

/// Rule 9: exclusion for self-harm or suicide — flagged cases go to a human.
pub fn no_self_harm(facts: &DeterminationFacts, _: &DeterminationParams) -> RuleOutcome {
    exclusion(
        RuleCode::NoSelfHarm,
        facts.exclusions.self_harm,
        ReasonCode::SelfHarm,
        "self-harm or suicide",
    )
}

/// Rule 10: no other claim of the same person has an incident time within ± the duplicate
/// window (inclusive), whichever platform or channel it came from.
pub fn no_duplicate(facts: &DeterminationFacts, params: &DeterminationParams) -> RuleOutcome {
    let window = TimeDelta::hours(i64::from(params.duplicate_window_hours));
    let close: Vec<String> = facts
        .other_claims
        .iter()
        .filter(|other| other.claim_id != facts.claim_id)
        .filter(|other| (other.occurred_at - facts.occurred_at).abs() <= window)
        .map(|other| format!("claim {} at {}", other.claim_id, ts(other.occurred_at)))
        .collect();
    if close.is_empty() {
        RuleOutcome::pass(
            RuleCode::NoDuplicate,
            format!(
                "no other claim within ±{} h of {}",
                params.duplicate_window_hours,
                ts(facts.occurred_at)
            ),
        )
    } else {
        RuleOutcome::review(
            RuleCode::NoDuplicate,
            ReasonCode::PossibleDuplicate,
            format!(
                "within ±{} h: {}",
                params.duplicate_window_hours,
                close.join("; ")
            ),
        )
    }
}
