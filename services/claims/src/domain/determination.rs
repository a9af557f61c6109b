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

// ---------------------------------------------------------------------------------------------
// Facts
// ---------------------------------------------------------------------------------------------

/// Everything the rules look at, gathered by the api layer from the claim (the incident
/// application), enrollment events (memberships), premium's `VerifyWorkActivity` (orders) and
/// the claims store (other claims of the person).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct DeterminationFacts {
    pub claim_id: Uuid,
    pub person_id: Uuid,
    pub occurred_at: DateTime<Utc>,
    /// Where the incident happened; the scheme check falls back to it when no single order
    /// identifies the province of coverage.
    pub region: RegionCode,
    pub category: IncidentCategory,
    pub exclusions: ExclusionFlags,
    /// When the person died, if they did (sudden-illness rule).
    pub died_at: Option<DateTime<Utc>>,
    pub application: Application,
    /// The person's platform memberships, current and past.
    pub memberships: Vec<Membership>,
    /// The person's orders around the incident time, from every platform.
    pub orders: Vec<OrderWindow>,
    /// The person's other claims, from any platform or channel. The claim itself may be
    /// included; it is recognised by its id and ignored.
    pub other_claims: Vec<OtherClaim>,
}

/// The cause category reported for the incident, following the work-injury regulation's
/// recognised and deemed cases.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
pub enum IncidentCategory {
    /// An accident while executing the order and caused by it.
    OrderAccident,
    /// Violence suffered while performing the order.
    Violence,
    /// A road traffic accident. `worker_fault` is the worker's share of responsibility as found
    /// by the traffic police; `None` while it has not been determined.
    TrafficAccident { worker_fault: Option<TrafficFault> },
    /// Sudden illness; deemed an injury only with death at once or within the window.
    SuddenIllness,
    /// Missing while out on an order.
    Missing,
    /// The reporter could not classify the cause.
    Other,
}

/// Responsibility in a traffic accident as apportioned by the police (交通事故责任认定).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TrafficFault {
    /// 无责任
    None,
    /// 次要责任
    Minor,
    /// 同等责任
    Equal,
    /// 主要责任
    Main,
    /// 全部责任
    Full,
}

/// The regulation's exclusions, as flagged by the reporter, the platform or an adjuster.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct ExclusionFlags {
    pub intentional_crime: bool,
    pub intoxication_or_drugs: bool,
    pub self_harm: bool,
}

/// The application for determination (职业伤害确认申请).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Application {
    pub filed_at: DateTime<Utc>,
    pub filer: Filer,
    /// Whether a written explanation for late filing (超期说明) is attached.
    pub late_explanation: bool,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Filer {
    Platform,
    Worker,
    CloseRelative,
}

impl Filer {
    fn scheme(self) -> scheme::Filer {
        match self {
            Self::Platform => scheme::Filer::Platform,
            Self::Worker => scheme::Filer::Worker,
            Self::CloseRelative => scheme::Filer::CloseRelative,
        }
    }
}

/// A worker ↔ platform registration. Active on the half-open interval
/// `[registered_at, deregistered_at)`: at the instant of deregistration the person is no
/// longer registered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct Membership {
    pub platform_id: Uuid,
    pub registered_at: DateTime<Utc>,
    pub deregistered_at: Option<DateTime<Utc>>,
}

impl Membership {
    pub fn active_at(&self, at: DateTime<Utc>) -> bool {
        gigshield_scheme::membership::in_force(self.registered_at, self.deregistered_at, at)
    }
}

impl From<&gigshield_scheme::membership::Membership> for Membership {
    fn from(m: &gigshield_scheme::membership::Membership) -> Self {
        Self {
            platform_id: m.platform_id,
            registered_at: m.registered_at,
            deregistered_at: m.deregistered_at,
        }
    }
}

/// One order's timeline as premium's `VerifyWorkActivity` reports it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct OrderWindow {
    pub platform_id: Uuid,
    /// The platform's own order id, unique per platform.
    pub order_id: String,
    /// Where the order was taken; coverage follows the province of the order.
    pub region: RegionCode,
    pub accepted_at: DateTime<Utc>,
    /// Reported for the trace; pick-up does not change the window (heading to the pick-up
    /// point is already executing the order).
    pub picked_up_at: Option<DateTime<Utc>>,
    pub end: OrderEnd,
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "status", content = "at", rename_all = "snake_case")]
pub enum OrderEnd {
    /// Not completed or cancelled (yet). Normal when the worker was hurt during the order.
    Open,
    Completed(DateTime<Utc>),
    /// The worker executed the order until it was cancelled, so the window ends there.
    Cancelled(DateTime<Utc>),
}

#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
pub struct OtherClaim {
    pub claim_id: Uuid,
    pub occurred_at: DateTime<Utc>,
}

// ---------------------------------------------------------------------------------------------
// Parameters
// ---------------------------------------------------------------------------------------------

/// What determination is judged against: the scheme calendar (province starts, filing
/// deadlines, the order grace, open-order and sudden-illness windows, the holiday schedule —
/// dated, kept by operators, see [`SchemeRules`]) and the service's own duplicate window.
/// Dated values are taken as in force on the incident's Shanghai date.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeterminationParams {
    pub scheme: Arc<SchemeRules>,
    /// Another claim of the same person whose incident time lies within ± this many hours is a
    /// possible duplicate. Default 24 (an operational choice).
    pub duplicate_window_hours: u32,
}

impl Default for DeterminationParams {
    fn default() -> Self {
        Self {
            scheme: Arc::new(SchemeRules::shipped()),
            duplicate_window_hours: 24,
        }
    }
}

/// How far an order reaches, as in force on an incident's date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OrderReach {
    /// Widens every order window on both sides. It absorbs clock skew between the platform's
    /// order events and the reported incident time, and covers the trip back after an order
    /// (where the traffic-fault rule then applies).
    pub grace_minutes: u32,
    /// How long after acceptance an order that is still open covers an incident. An open order
    /// is expected when the worker was hurt during it, so it counts; it is also what a platform
    /// sends when it never closed the order, so the cover is bounded.
    pub open_order_max_minutes: u32,
}

impl DeterminationParams {
    pub fn reach(&self, occurred_at: DateTime<Utc>) -> OrderReach {
        let date = shanghai_date(occurred_at);
        OrderReach {
            grace_minutes: self.scheme.window(WindowKind::OrderGraceMinutes, date),
            open_order_max_minutes: self.scheme.window(WindowKind::OpenOrderMaxMinutes, date),
        }
    }

    /// The last day of the determination period: the calendar's working days (30 by
    /// default) after the Shanghai day the complete application was filed, the filing day not
    /// counted, skipping weekends and holidays and counting make-up workdays.
    pub fn determination_due_on(&self, filed_at: DateTime<Utc>) -> chrono::NaiveDate {
        let filed = shanghai_date(filed_at);
        let days = self
            .scheme
            .window(WindowKind::DeterminationWorkingDays, filed);
        self.scheme.add_working_days(filed, days)
    }

    /// Sudden illness counts only with death within this many hours of onset (work-injury
    /// regulation art. 15, 48 by default). The regulation counts from the start of emergency
    /// treatment, at or after onset, so counting from onset can only send to review a case the
    /// regulation might accept, never confirm one it would not.
    fn sudden_illness_death_hours(&self, occurred_at: DateTime<Utc>) -> u32 {
        self.scheme.window(
            WindowKind::SuddenIllnessDeathHours,
            shanghai_date(occurred_at),
        )
    }
}

// ---------------------------------------------------------------------------------------------
// Outcomes
// ---------------------------------------------------------------------------------------------

/// Names a rule in the trace. The serialized names are stable: traces are stored.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum RuleCode {
    Registered,
    WorkRelated,
    SchemeInForce,
    FiledInTime,
    CategoryCovered,
    CommuteTrafficFault,
    NoIntentionalCrime,
    NoIntoxication,
    NoSelfHarm,
    NoDuplicate,
}

impl RuleCode {
    pub fn as_str(self) -> &'static str {
        match self {
            Self::Registered => "REGISTERED",
            Self::WorkRelated => "WORK_RELATED",
            Self::SchemeInForce => "SCHEME_IN_FORCE",
            Self::FiledInTime => "FILED_IN_TIME",
            Self::CategoryCovered => "CATEGORY_COVERED",
            Self::CommuteTrafficFault => "COMMUTE_TRAFFIC_FAULT",
            Self::NoIntentionalCrime => "NO_INTENTIONAL_CRIME",
            Self::NoIntoxication => "NO_INTOXICATION",
            Self::NoSelfHarm => "NO_SELF_HARM",
            Self::NoDuplicate => "NO_DUPLICATE",
        }
    }
}

/// Why a claim goes to human review: the fixed list. Serialized names are stable.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "SCREAMING_SNAKE_CASE")]
pub enum ReasonCode {
    /// No platform membership was active at the incident time.
    NotRegistered,
    /// No order window (with grace) contains the incident time.
    NoCoveringOrder,
    /// Orders of two or more platforms cover the incident time.
    AmbiguousLiability,
    /// The covering order's platform had no active membership for the person.
    LiablePlatformNotRegistered,
    /// The scheme had not started in the province on the incident date.
    SchemeNotInForce,
    /// Times contradict each other (filed or died before the incident).
    InconsistentTimes,
    /// Filed after the deadline, with a written explanation.
    LateWithExplanation,
    /// Filed after the deadline without one (incident should have rejected it).
    LateWithoutExplanation,
    /// Sudden illness without death at once or within the window.
    SuddenIllnessWithoutTimelyDeath,
    /// The person is missing.
    MissingPerson,
    /// The cause category is "other".
    UnclassifiedCategory,
    /// Traffic accident outside an order's own span (the trip back, or no order) with the
    /// worker mainly or fully at fault.
    CommuteTrafficWorkerAtFault,
    /// Traffic accident outside an order's own span, fault not yet determined.
    CommuteTrafficFaultUndetermined,
    IntentionalCrime,
    IntoxicationOrDrugs,
    SelfHarm,
    /// Another claim of the person lies within the duplicate window.
    PossibleDuplicate,
}

impl ReasonCode {
    pub const ALL: [ReasonCode; 17] = [
        Self::NotRegistered,
        Self::NoCoveringOrder,
        Self::AmbiguousLiability,
        Self::LiablePlatformNotRegistered,
        Self::SchemeNotInForce,
        Self::InconsistentTimes,
        Self::LateWithExplanation,
        Self::LateWithoutExplanation,
        Self::SuddenIllnessWithoutTimelyDeath,
        Self::MissingPerson,
        Self::UnclassifiedCategory,
        Self::CommuteTrafficWorkerAtFault,
        Self::CommuteTrafficFaultUndetermined,
        Self::IntentionalCrime,
        Self::IntoxicationOrDrugs,
        Self::SelfHarm,
        Self::PossibleDuplicate,
    ];

    pub fn as_str(self) -> &'static str {
        match self {
            Self::NotRegistered => "NOT_REGISTERED",
            Self::NoCoveringOrder => "NO_COVERING_ORDER",
            Self::AmbiguousLiability => "AMBIGUOUS_LIABILITY",
            Self::LiablePlatformNotRegistered => "LIABLE_PLATFORM_NOT_REGISTERED",
            Self::SchemeNotInForce => "SCHEME_NOT_IN_FORCE",
            Self::InconsistentTimes => "INCONSISTENT_TIMES",
            Self::LateWithExplanation => "LATE_WITH_EXPLANATION",
            Self::LateWithoutExplanation => "LATE_WITHOUT_EXPLANATION",
            Self::SuddenIllnessWithoutTimelyDeath => "SUDDEN_ILLNESS_WITHOUT_TIMELY_DEATH",
            Self::MissingPerson => "MISSING_PERSON",
            Self::UnclassifiedCategory => "UNCLASSIFIED_CATEGORY",
            Self::CommuteTrafficWorkerAtFault => "COMMUTE_TRAFFIC_WORKER_AT_FAULT",
            Self::CommuteTrafficFaultUndetermined => "COMMUTE_TRAFFIC_FAULT_UNDETERMINED",
            Self::IntentionalCrime => "INTENTIONAL_CRIME",
            Self::IntoxicationOrDrugs => "INTOXICATION_OR_DRUGS",
            Self::SelfHarm => "SELF_HARM",
            Self::PossibleDuplicate => "POSSIBLE_DUPLICATE",
        }
    }
}

/// A rule's result. There is deliberately no "fail": the worst a rule can say is "a human must
/// look at this".
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "verdict", content = "reason", rename_all = "snake_case")]
pub enum Verdict {
    Pass,
    Review(ReasonCode),
}

/// One line of the rule trace: what was checked, with which evidence, and the verdict.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RuleOutcome {
    pub rule: RuleCode,
    pub verdict: Verdict,
    pub evidence: String,
}

impl RuleOutcome {
    fn pass(rule: RuleCode, evidence: String) -> Self {
        Self {
            rule,
            verdict: Verdict::Pass,
            evidence,
        }
    }

    fn review(rule: RuleCode, reason: ReasonCode, evidence: String) -> Self {
        Self {
            rule,
            verdict: Verdict::Review(reason),
            evidence,
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "outcome", content = "reasons", rename_all = "snake_case")]
pub enum Outcome {
    AutoConfirm,
    /// The reasons of every rule that did not pass, in rule order, without repeats.
    Review(Vec<ReasonCode>),
}

/// The platform liable for the incident: the one whose order was being executed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Liability {
    pub platform_id: Uuid,
    pub order_id: String,
    /// The province of coverage and the area whose benefit figures apply.
    pub region: RegionCode,
}

#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Determination {
    pub outcome: Outcome,
    /// One outcome per rule, in the order of [`RULES`].
    pub trace: Vec<RuleOutcome>,
    /// Set when exactly one platform's orders cover the incident, whatever the outcome, so a
    /// reviewer and the benefit calculator know whose order it was.
    pub liability: Option<Liability>,
}

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
        }),
        OrderMatch::None | OrderMatch::Ambiguous(_) => None,
    };
    Determination {
        outcome,
        trace,
        liability,
    }
}

// ---------------------------------------------------------------------------------------------
// Rules
// ---------------------------------------------------------------------------------------------

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

fn during_order(rule: RuleCode, worker_fault: Option<TrafficFault>) -> RuleOutcome {
    RuleOutcome::pass(
        rule,
        format!("traffic accident during an order; worker fault {worker_fault:?} does not bar it"),
    )
}

/// Where an incident inside an order's grace but outside its own span lies.
fn outside_span(order: &OrderWindow, at: DateTime<Utc>) -> String {
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

fn exclusion(rule: RuleCode, flagged: bool, reason: ReasonCode, what: &str) -> RuleOutcome {
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

// ---------------------------------------------------------------------------------------------
// Order matching
// ---------------------------------------------------------------------------------------------

enum OrderMatch<'a> {
    None,
    Unique(&'a OrderWindow),
    Ambiguous(Vec<&'a OrderWindow>),
}

/// The covering window of an order, grace included (see [`work_related`]). Saturates at the
/// ends of the representable time range instead of panicking on absurd inputs.
pub fn covering_window(order: &OrderWindow, reach: OrderReach) -> (DateTime<Utc>, DateTime<Utc>) {
    let grace = TimeDelta::minutes(i64::from(reach.grace_minutes));
    let start = order
        .accepted_at
        .checked_sub_signed(grace)
        .unwrap_or(DateTime::<Utc>::MIN_UTC);
    let end = match order.end {
        OrderEnd::Completed(at) | OrderEnd::Cancelled(at) => at.checked_add_signed(grace),
        OrderEnd::Open => order
            .accepted_at
            .checked_add_signed(TimeDelta::minutes(i64::from(reach.open_order_max_minutes))),
    }
    .unwrap_or(DateTime::<Utc>::MAX_UTC);
    (start, end)
}

fn match_orders<'a>(facts: &'a DeterminationFacts, params: &DeterminationParams) -> OrderMatch<'a> {
    let at = facts.occurred_at;
    let reach = params.reach(at);
    let mut covering: Vec<&OrderWindow> = facts
        .orders
        .iter()
        .filter(|order| {
            let (start, end) = covering_window(order, reach);
            start <= at && at <= end
        })
        .collect();
    let Some(first) = covering.first() else {
        return OrderMatch::None;
    };
    let platform = first.platform_id;
    if covering.iter().any(|order| order.platform_id != platform) {
        return OrderMatch::Ambiguous(covering);
    }
    // Among one platform's orders the trace names the one that covers without grace, then
    // the earliest accepted, then the smallest order id: any choice is liable-equivalent, a
    // fixed one keeps the trace reproducible.
    covering.sort_by(|a, b| {
        let strict = |o: &OrderWindow| within_span(o, at, reach);
        strict(b)
            .cmp(&strict(a))
            .then(a.accepted_at.cmp(&b.accepted_at))
            .then(a.order_id.cmp(&b.order_id))
    });
    OrderMatch::Unique(covering[0])
}

/// Whether `at` lies in the order's own span, grace not included: from acceptance to its end,
/// or for an open order to the open-order limit.
fn within_span(order: &OrderWindow, at: DateTime<Utc>, reach: OrderReach) -> bool {
    let end = match order.end {
        OrderEnd::Completed(end) | OrderEnd::Cancelled(end) => Some(end),
        OrderEnd::Open => order
            .accepted_at
            .checked_add_signed(TimeDelta::minutes(i64::from(reach.open_order_max_minutes))),
    };
    order.accepted_at <= at && end.is_none_or(|end| at <= end)
}

fn describe_order(order: &OrderWindow) -> String {
    let end = match order.end {
        OrderEnd::Open => "still open".to_owned(),
        OrderEnd::Completed(at) => format!("completed {}", ts(at)),
        OrderEnd::Cancelled(at) => format!("cancelled {}", ts(at)),
    };
    let picked_up = order.picked_up_at.map_or_else(
        || "not picked up".to_owned(),
        |at| format!("picked up {}", ts(at)),
    );
    format!(
        "order {} of platform {} in {}: accepted {}, {}, {}",
        order.order_id,
        order.platform_id,
        order.region,
        ts(order.accepted_at),
        picked_up,
        end
    )
}

fn ts(at: DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Secs, true)
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const A: Uuid = Uuid::from_u128(0xA);
    const B: Uuid = Uuid::from_u128(0xB);

    fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    fn region(s: &str) -> RegionCode {
        RegionCode::parse(s).unwrap()
    }

    fn day(s: &str) -> chrono::NaiveDate {
        s.parse().unwrap()
    }

    /// The shipped calendar with one operator entry over it.
    fn with_rule(rule: scheme::Rule) -> DeterminationParams {
        let entry = scheme::Entry {
            rule_id: Some("test".into()),
            rule,
            source: scheme::Source {
                document: "test".into(),
                url: String::new(),
                published_on: None,
                confidence: scheme::Confidence::High,
            },
            entered_by: "test".into(),
            recorded_at: utc("2026-01-01T00:00:00Z"),
        };
        DeterminationParams {
            scheme: Arc::new(SchemeRules::with_entries([entry])),
            ..DeterminationParams::default()
        }
    }

    fn window(kind: WindowKind, value: u32) -> DeterminationParams {
        with_rule(scheme::Rule::Window {
            kind,
            effective_from: day("2022-07-01"),
            value,
        })
    }

    fn membership(platform_id: Uuid) -> Membership {
        Membership {
            platform_id,
            registered_at: utc("2025-01-01T00:00:00Z"),
            deregistered_at: None,
        }
    }

    fn order(platform_id: Uuid, id: &str, accepted: &str, end: OrderEnd) -> OrderWindow {
        OrderWindow {
            platform_id,
            order_id: id.to_owned(),
            region: region("310115"),
            accepted_at: utc(accepted),
            picked_up_at: None,
            end,
        }
    }

    fn completed(at: &str) -> OrderEnd {
        OrderEnd::Completed(utc(at))
    }

    /// A Shanghai rider hurt at 10:20 local time during an order of platform A, reported by
    /// the platform two days later: every rule passes.
    fn facts() -> DeterminationFacts {
        DeterminationFacts {
            claim_id: Uuid::from_u128(1),
            person_id: Uuid::from_u128(2),
            occurred_at: utc("2025-08-10T02:20:00Z"),
            region: region("310115"),
            category: IncidentCategory::OrderAccident,
            exclusions: ExclusionFlags::default(),
            died_at: None,
            application: Application {
                filed_at: utc("2025-08-12T03:00:00Z"),
                filer: Filer::Platform,
                late_explanation: false,
            },
            memberships: vec![membership(A)],
            orders: vec![OrderWindow {
                picked_up_at: Some(utc("2025-08-10T02:10:00Z")),
                ..order(
                    A,
                    "A-1",
                    "2025-08-10T02:00:00Z",
                    completed("2025-08-10T02:40:00Z"),
                )
            }],
            other_claims: vec![],
        }
    }

    fn verdict(rule: Rule, facts: &DeterminationFacts) -> Verdict {
        rule(facts, &DeterminationParams::default()).verdict
    }

    fn review(reason: ReasonCode) -> Verdict {
        Verdict::Review(reason)
    }

    fn reasons(facts: &DeterminationFacts) -> Vec<ReasonCode> {
        match determine(facts, &DeterminationParams::default()).outcome {
            Outcome::AutoConfirm => vec![],
            Outcome::Review(reasons) => reasons,
        }
    }

    // --- determine ---------------------------------------------------------------------------

    #[test]
    fn a_clean_claim_is_confirmed_automatically_with_a_full_trace() {
        let determination = determine(&facts(), &DeterminationParams::default());
        assert_eq!(determination.outcome, Outcome::AutoConfirm);
        let rules: Vec<RuleCode> = determination.trace.iter().map(|o| o.rule).collect();
        assert_eq!(
            rules,
            [
                RuleCode::Registered,
                RuleCode::WorkRelated,
                RuleCode::SchemeInForce,
                RuleCode::FiledInTime,
                RuleCode::CategoryCovered,
                RuleCode::CommuteTrafficFault,
                RuleCode::NoIntentionalCrime,
                RuleCode::NoIntoxication,
                RuleCode::NoSelfHarm,
                RuleCode::NoDuplicate,
            ]
        );
        assert!(
            determination
                .trace
                .iter()
                .all(|o| o.verdict == Verdict::Pass)
        );
        assert!(determination.trace.iter().all(|o| !o.evidence.is_empty()));
        assert_eq!(
            determination.liability,
            Some(Liability {
                platform_id: A,
                order_id: "A-1".to_owned(),
                region: region("310115"),
            })
        );
        let work = &determination.trace[1].evidence;
        assert!(
            work.contains("order A-1") && work.contains("picked up"),
            "{work}"
        );
    }

    #[test]
    fn every_failing_rule_contributes_its_reason_in_rule_order() {
        let mut facts = facts();
        facts.memberships.clear();
        facts.application.filed_at = utc("2025-10-01T00:00:00Z");
        facts.application.late_explanation = true;
        facts.exclusions.intoxication_or_drugs = true;
        let determination = determine(&facts, &DeterminationParams::default());
        assert_eq!(
            determination.outcome,
            Outcome::Review(vec![
                ReasonCode::NotRegistered,
                ReasonCode::LiablePlatformNotRegistered,
                ReasonCode::LateWithExplanation,
                ReasonCode::IntoxicationOrDrugs,
            ])
        );
        // The trace is complete even though the first rule already failed.
        assert_eq!(determination.trace.len(), RULES.len());
    }

    #[test]
    fn a_reason_met_twice_is_listed_once() {
        let mut facts = facts();
        facts.category = IncidentCategory::SuddenIllness;
        facts.died_at = Some(utc("2025-08-10T02:00:00Z"));
        facts.application.filed_at = utc("2025-08-10T02:00:00Z");
        assert_eq!(reasons(&facts), [ReasonCode::InconsistentTimes]);
    }

    #[test]
    fn reason_and_rule_codes_are_stable_distinct_names() {
        let mut names = HashSetOf::new();
        for reason in ReasonCode::ALL {
            let json = serde_json::to_string(&reason).unwrap();
            assert_eq!(json, format!("\"{}\"", reason.as_str()));
            assert!(names.insert(reason.as_str()), "{reason:?}");
        }
        for outcome in determine(&facts(), &DeterminationParams::default()).trace {
            let json = serde_json::to_string(&outcome.rule).unwrap();
            assert_eq!(json, format!("\"{}\"", outcome.rule.as_str()));
        }
    }

    type HashSetOf = std::collections::HashSet<&'static str>;

    #[test]
    fn a_determination_survives_a_serde_round_trip() {
        let mut facts = facts();
        facts.exclusions.self_harm = true;
        let determination = determine(&facts, &DeterminationParams::default());
        let json = serde_json::to_string(&determination).unwrap();
        assert_eq!(
            serde_json::from_str::<Determination>(&json).unwrap(),
            determination
        );
        let facts_json = serde_json::to_string(&facts).unwrap();
        assert_eq!(
            serde_json::from_str::<DeterminationFacts>(&facts_json).unwrap(),
            facts
        );
    }

    // --- rule 1: registered -----------------------------------------------------------------

    #[test]
    fn registered_passes_with_an_active_membership_and_reviews_without() {
        assert_eq!(verdict(registered, &facts()), Verdict::Pass);
        let mut facts = facts();
        facts.memberships.clear();
        assert_eq!(
            verdict(registered, &facts),
            review(ReasonCode::NotRegistered)
        );
    }

    #[test]
    fn a_membership_is_active_from_registration_until_just_before_deregistration() {
        let mut facts = facts();
        let at = facts.occurred_at;
        facts.memberships = vec![Membership {
            platform_id: A,
            registered_at: at,
            deregistered_at: None,
        }];
        assert_eq!(verdict(registered, &facts), Verdict::Pass);
        facts.memberships[0].registered_at = at + TimeDelta::seconds(1);
        assert_eq!(
            verdict(registered, &facts),
            review(ReasonCode::NotRegistered)
        );
        facts.memberships[0].registered_at = utc("2025-01-01T00:00:00Z");
        facts.memberships[0].deregistered_at = Some(at);
        assert_eq!(
            verdict(registered, &facts),
            review(ReasonCode::NotRegistered)
        );
        facts.memberships[0].deregistered_at = Some(at + TimeDelta::seconds(1));
        assert_eq!(verdict(registered, &facts), Verdict::Pass);
    }

    // --- rule 2: work-related ---------------------------------------------------------------

    #[test]
    fn work_related_reviews_without_any_order() {
        let mut facts = facts();
        facts.orders.clear();
        assert_eq!(
            verdict(work_related, &facts),
            review(ReasonCode::NoCoveringOrder)
        );
        assert_eq!(
            determine(&facts, &DeterminationParams::default()).liability,
            None
        );
    }

    #[test]
    fn the_grace_widens_a_completed_order_on_both_sides_inclusively() {
        let mut facts = facts();
        // Order A-1: accepted 02:00, completed 02:40; grace 10 minutes.
        for (at, expected) in [
            ("2025-08-10T01:50:00Z", Verdict::Pass),
            ("2025-08-10T01:49:59Z", review(ReasonCode::NoCoveringOrder)),
            ("2025-08-10T02:50:00Z", Verdict::Pass),
            ("2025-08-10T02:50:01Z", review(ReasonCode::NoCoveringOrder)),
        ] {
            facts.occurred_at = utc(at);
            assert_eq!(verdict(work_related, &facts), expected, "{at}");
        }
        let params = window(WindowKind::OrderGraceMinutes, 0);
        facts.occurred_at = utc("2025-08-10T02:40:01Z");
        assert_eq!(
            work_related(&facts, &params).verdict,
            review(ReasonCode::NoCoveringOrder)
        );
    }

    #[test]
    fn an_open_order_covers_up_to_the_open_order_limit_after_acceptance() {
        let mut facts = facts();
        facts.orders = vec![order(A, "A-9", "2025-08-10T02:00:00Z", OrderEnd::Open)];
        for (at, expected) in [
            ("2025-08-10T01:50:00Z", Verdict::Pass),
            ("2025-08-10T06:00:00Z", Verdict::Pass),
            ("2025-08-10T06:00:01Z", review(ReasonCode::NoCoveringOrder)),
        ] {
            facts.occurred_at = utc(at);
            assert_eq!(verdict(work_related, &facts), expected, "{at}");
        }
    }

    #[test]
    fn a_cancelled_order_covers_until_its_cancellation_plus_grace() {
        let mut facts = facts();
        let cancelled = OrderEnd::Cancelled(utc("2025-08-10T02:05:00Z"));
        facts.orders = vec![order(A, "A-2", "2025-08-10T02:00:00Z", cancelled)];
        facts.occurred_at = utc("2025-08-10T02:15:00Z");
        assert_eq!(verdict(work_related, &facts), Verdict::Pass);
        facts.occurred_at = utc("2025-08-10T02:15:01Z");
        assert_eq!(
            verdict(work_related, &facts),
            review(ReasonCode::NoCoveringOrder)
        );
    }

    #[test]
    fn with_several_platforms_the_liable_one_is_whose_order_covers_the_incident() {
        let mut facts = facts();
        facts.memberships = vec![membership(A), membership(B)];
        facts.orders = vec![
            order(
                A,
                "A-1",
                "2025-08-10T01:00:00Z",
                completed("2025-08-10T01:30:00Z"),
            ),
            order(
                B,
                "B-7",
                "2025-08-10T02:05:00Z",
                completed("2025-08-10T02:45:00Z"),
            ),
            order(
                A,
                "A-2",
                "2025-08-10T03:30:00Z",
                completed("2025-08-10T04:00:00Z"),
            ),
        ];
        let determination = determine(&facts, &DeterminationParams::default());
        assert_eq!(determination.outcome, Outcome::AutoConfirm);
        let liability = determination.liability.unwrap();
        assert_eq!(
            (liability.platform_id, liability.order_id.as_str()),
            (B, "B-7")
        );
    }

    #[test]
    fn orders_of_two_platforms_covering_the_incident_make_liability_ambiguous() {
        let mut facts = facts();
        facts.memberships = vec![membership(A), membership(B)];
        facts.orders.push(order(
            B,
            "B-1",
            "2025-08-10T02:15:00Z",
            completed("2025-08-10T02:30:00Z"),
        ));
        assert_eq!(
            verdict(work_related, &facts),
            review(ReasonCode::AmbiguousLiability)
        );
        let determination = determine(&facts, &DeterminationParams::default());
        assert_eq!(determination.liability, None);
        assert!(determination.trace[1].evidence.contains("B-1"));
        // Even when only the grace makes the second platform's order match.
        facts.orders[1] = order(
            B,
            "B-1",
            "2025-08-10T01:40:00Z",
            completed("2025-08-10T02:12:00Z"),
        );
        assert_eq!(
            verdict(work_related, &facts),
            review(ReasonCode::AmbiguousLiability)
        );
    }

    #[test]
    fn stacked_orders_of_one_platform_are_not_ambiguous() {
        let mut facts = facts();
        facts.orders = vec![
            // Covers only through the grace.
            order(
                A,
                "A-0",
                "2025-08-10T01:40:00Z",
                completed("2025-08-10T02:15:00Z"),
            ),
            order(
                A,
                "A-3",
                "2025-08-10T02:10:00Z",
                completed("2025-08-10T02:50:00Z"),
            ),
            order(
                A,
                "A-2",
                "2025-08-10T02:05:00Z",
                completed("2025-08-10T02:40:00Z"),
            ),
        ];
        let determination = determine(&facts, &DeterminationParams::default());
        assert_eq!(determination.outcome, Outcome::AutoConfirm);
        // The trace names the earliest-accepted order covering without grace.
        assert_eq!(determination.liability.unwrap().order_id, "A-2");
    }

    #[test]
    fn an_order_of_a_platform_the_person_was_not_registered_with_goes_to_review() {
        let mut facts = facts();
        facts.orders[0].platform_id = B;
        // Registered with A, so rule 1 passes; the covering order is B's.
        assert_eq!(verdict(registered, &facts), Verdict::Pass);
        assert_eq!(
            verdict(work_related, &facts),
            review(ReasonCode::LiablePlatformNotRegistered)
        );
    }

    // --- rule 3: scheme in force ------------------------------------------------------------

    fn scheme_at(code: &str, at: &str, params: &DeterminationParams) -> Verdict {
        let mut facts = facts();
        facts.orders.clear(); // the incident's own region decides
        facts.region = region(code);
        facts.occurred_at = utc(at);
        scheme_in_force(&facts, params).verdict
    }

    const NOT_IN_FORCE: Verdict = Verdict::Review(ReasonCode::SchemeNotInForce);

    #[test]
    fn the_first_pilot_provinces_start_at_shanghai_midnight_on_2022_07_01() {
        let params = DeterminationParams::default();
        for code in [
            "110105", "310115", "320102", "440305", "460105", "500103", "510104",
        ] {
            assert_eq!(
                scheme_at(code, "2022-06-30T15:59:59Z", &params),
                NOT_IN_FORCE,
                "{code}"
            );
            assert_eq!(
                scheme_at(code, "2022-06-30T16:00:00Z", &params),
                Verdict::Pass,
                "{code}"
            );
        }
        // Not yet Tianjin.
        assert_eq!(
            scheme_at("120101", "2022-07-01T08:00:00Z", &params),
            NOT_IN_FORCE
        );
    }

    #[test]
    fn ten_more_provinces_start_at_shanghai_midnight_on_2025_07_01() {
        let params = DeterminationParams::default();
        for code in [
            "120101", "130102", "210102", "330106", "340102", "350102", "370102", "420102",
            "450102", "640104",
        ] {
            assert_eq!(
                scheme_at(code, "2025-06-30T15:59:59Z", &params),
                NOT_IN_FORCE,
                "{code}"
            );
            assert_eq!(
                scheme_at(code, "2025-06-30T16:00:00Z", &params),
                Verdict::Pass,
                "{code}"
            );
        }
        // Not yet Shanxi.
        assert_eq!(
            scheme_at("140105", "2025-07-01T08:00:00Z", &params),
            NOT_IN_FORCE
        );
    }

    #[test]
    fn every_province_is_covered_from_shanghai_midnight_on_the_nationwide_date() {
        let params = DeterminationParams::default();
        for code in [
            "140105", "150102", "220102", "230102", "360102", "410102", "430102", "520102",
            "530102", "540102", "610102", "620102", "630102", "650102", "659001", "660100",
        ] {
            assert_eq!(
                scheme_at(code, "2026-06-30T15:59:59Z", &params),
                NOT_IN_FORCE,
                "{code}"
            );
            assert_eq!(
                scheme_at(code, "2026-06-30T16:00:00Z", &params),
                Verdict::Pass,
                "{code}"
            );
        }
        // Hong Kong, Macao and Taiwan codes are outside the scheme: not even a region code.
        for code in ["810000", "820000", "710000"] {
            assert!(RegionCode::parse(code).is_err(), "{code}");
        }
    }

    #[test]
    fn every_province_and_the_xpcc_has_a_start() {
        let params = DeterminationParams::default();
        for prefix in gigshield_scheme::region::PROVINCE_PREFIXES {
            let province = gigshield_scheme::region::ProvinceCode::from_prefix(prefix).unwrap();
            assert!(
                matches!(
                    params.scheme.in_force(province, day("2026-07-01")),
                    InForce::Since(_)
                ),
                "{prefix}"
            );
        }
    }

    #[test]
    fn an_operators_start_date_moves_the_line() {
        let params = with_rule(scheme::Rule::ProvinceStart {
            province: gigshield_scheme::region::ProvinceCode::from_prefix("62").unwrap(),
            starts_on: day("2026-08-01"),
        });
        assert_eq!(
            scheme_at("620102", "2026-07-15T00:00:00Z", &params),
            NOT_IN_FORCE
        );
        assert_eq!(
            scheme_at("620102", "2026-07-31T16:00:00Z", &params),
            Verdict::Pass
        );
    }

    #[test]
    fn the_covering_orders_province_decides_over_the_incident_place() {
        let mut facts = facts();
        // Hurt in Shanghai during an order taken in Gansu, before Gansu joined.
        facts.orders[0].region = region("620102");
        let outcome = scheme_in_force(&facts, &DeterminationParams::default());
        assert_eq!(outcome.verdict, NOT_IN_FORCE);
        assert!(
            outcome.evidence.contains("order region 620102"),
            "{}",
            outcome.evidence
        );
        // And the reverse: a Shanghai order covers an incident reported from Gansu.
        facts.orders[0].region = region("310115");
        facts.region = region("620102");
        assert_eq!(verdict(scheme_in_force, &facts), Verdict::Pass);
    }

    // --- rule 4: timeliness -----------------------------------------------------------------

    fn filed(filer: Filer, at: &str, late_explanation: bool) -> Verdict {
        let mut facts = facts();
        facts.application = Application {
            filed_at: utc(at),
            filer,
            late_explanation,
        };
        verdict(filed_in_time, &facts)
    }

    #[test]
    fn a_platform_has_30_days_after_the_incident_day() {
        // Incident on 10 August (Shanghai); day 30 is 9 September.
        assert_eq!(
            filed(Filer::Platform, "2025-09-09T15:59:59Z", false),
            Verdict::Pass
        );
        assert_eq!(
            filed(Filer::Platform, "2025-09-09T16:00:00Z", false),
            review(ReasonCode::LateWithoutExplanation)
        );
        assert_eq!(
            filed(Filer::Platform, "2025-09-09T16:00:00Z", true),
            review(ReasonCode::LateWithExplanation)
        );
    }

    #[test]
    fn workers_and_relatives_have_90_days() {
        for filer in [Filer::Worker, Filer::CloseRelative] {
            // Day 90 after 10 August is Saturday 8 November (Shanghai): the last day moves
            // to Monday 10 November.
            assert_eq!(filed(filer, "2025-11-10T15:59:59Z", false), Verdict::Pass);
            assert_eq!(
                filed(filer, "2025-11-10T16:00:00Z", true),
                review(ReasonCode::LateWithExplanation)
            );
        }
    }

    #[test]
    fn deadline_days_are_counted_on_shanghai_dates_not_utc_dates() {
        let mut facts = facts();
        // 23:30 on 10 August in Shanghai.
        facts.occurred_at = utc("2025-08-10T15:30:00Z");
        facts.orders.clear();
        // 00:00 on 10 September in Shanghai: day 31, though still 9 September in UTC.
        facts.application.filed_at = utc("2025-09-09T16:00:00Z");
        assert_eq!(
            verdict(filed_in_time, &facts),
            review(ReasonCode::LateWithoutExplanation)
        );
        // An incident at 00:30 Shanghai on 11 August (still 10 August in UTC) makes it day 30.
        facts.occurred_at = utc("2025-08-10T16:30:00Z");
        assert_eq!(verdict(filed_in_time, &facts), Verdict::Pass);
    }

    #[test]
    fn deadlines_are_parameters() {
        let mut facts = facts();
        facts.application.filed_at = utc("2025-08-20T00:00:00Z");
        let params = with_rule(scheme::Rule::FilingDeadlines {
            effective_from: day("2022-07-01"),
            days: scheme::DeadlineDays {
                platform: 5,
                worker: 90,
                close_relative: 90,
            },
        });
        assert_eq!(
            filed_in_time(&facts, &params).verdict,
            review(ReasonCode::LateWithoutExplanation)
        );
    }

    #[test]
    fn an_application_before_the_incident_is_inconsistent() {
        assert_eq!(
            filed(Filer::Worker, "2025-08-10T02:19:59Z", false),
            review(ReasonCode::InconsistentTimes)
        );
    }

    // --- rule 5: category -------------------------------------------------------------------

    #[test]
    fn accidents_violence_and_traffic_accidents_are_recognised() {
        for category in [
            IncidentCategory::OrderAccident,
            IncidentCategory::Violence,
            IncidentCategory::TrafficAccident {
                worker_fault: Some(TrafficFault::Full),
            },
        ] {
            let facts = DeterminationFacts {
                category,
                ..facts()
            };
            assert_eq!(
                verdict(category_covered, &facts),
                Verdict::Pass,
                "{category:?}"
            );
        }
    }

    #[test]
    fn sudden_illness_counts_only_with_death_at_once_or_within_48_hours() {
        let mut facts = facts();
        facts.category = IncidentCategory::SuddenIllness;
        let onset = facts.occurred_at;
        let no_timely_death = review(ReasonCode::SuddenIllnessWithoutTimelyDeath);
        for (died_at, expected) in [
            (None, no_timely_death),
            (Some(onset), Verdict::Pass),
            (Some(onset + TimeDelta::hours(48)), Verdict::Pass),
            (
                Some(onset + TimeDelta::hours(48) + TimeDelta::seconds(1)),
                no_timely_death,
            ),
            (
                Some(onset - TimeDelta::seconds(1)),
                review(ReasonCode::InconsistentTimes),
            ),
        ] {
            facts.died_at = died_at;
            assert_eq!(verdict(category_covered, &facts), expected, "{died_at:?}");
        }
        facts.died_at = Some(onset + TimeDelta::hours(60));
        let params = window(WindowKind::SuddenIllnessDeathHours, 72);
        assert_eq!(category_covered(&facts, &params).verdict, Verdict::Pass);
    }

    #[test]
    fn missing_persons_and_unclassified_causes_go_to_review() {
        let mut facts = facts();
        facts.category = IncidentCategory::Missing;
        assert_eq!(
            verdict(category_covered, &facts),
            review(ReasonCode::MissingPerson)
        );
        facts.category = IncidentCategory::Other;
        assert_eq!(
            verdict(category_covered, &facts),
            review(ReasonCode::UnclassifiedCategory)
        );
    }

    // --- rule 6: commute traffic fault ------------------------------------------------------

    fn traffic(worker_fault: Option<TrafficFault>) -> IncidentCategory {
        IncidentCategory::TrafficAccident { worker_fault }
    }

    #[test]
    fn during_an_order_the_workers_traffic_fault_does_not_matter() {
        for fault in [Some(TrafficFault::Full), Some(TrafficFault::Main), None] {
            let facts = DeterminationFacts {
                category: traffic(fault),
                ..facts()
            };
            assert_eq!(
                determine(&facts, &DeterminationParams::default()).outcome,
                Outcome::AutoConfirm,
                "{fault:?}"
            );
        }
    }

    #[test]
    fn on_the_way_to_or_from_an_order_main_or_full_fault_goes_to_review() {
        let mut facts = facts();
        // An hour after the order was completed: riding home.
        facts.occurred_at = utc("2025-08-10T03:40:00Z");
        for (fault, expected) in [
            (
                Some(TrafficFault::Full),
                review(ReasonCode::CommuteTrafficWorkerAtFault),
            ),
            (
                Some(TrafficFault::Main),
                review(ReasonCode::CommuteTrafficWorkerAtFault),
            ),
            (None, review(ReasonCode::CommuteTrafficFaultUndetermined)),
            (Some(TrafficFault::Equal), Verdict::Pass),
            (Some(TrafficFault::Minor), Verdict::Pass),
            (Some(TrafficFault::None), Verdict::Pass),
        ] {
            facts.category = traffic(fault);
            assert_eq!(
                verdict(commute_traffic_fault, &facts),
                expected,
                "{fault:?}"
            );
        }
        // Outside an order rule 2 reviews anyway; rule 6 adds why the fault matters.
        facts.category = traffic(Some(TrafficFault::Main));
        assert_eq!(
            reasons(&facts),
            [
                ReasonCode::NoCoveringOrder,
                ReasonCode::CommuteTrafficWorkerAtFault
            ]
        );
        facts.category = traffic(Some(TrafficFault::Minor));
        assert_eq!(reasons(&facts), [ReasonCode::NoCoveringOrder]);
    }

    #[test]
    fn on_the_trip_back_within_the_grace_the_workers_fault_decides() {
        let mut facts = facts();
        // The order was completed at 02:40; five minutes later the worker rides back.
        facts.occurred_at = utc("2025-08-10T02:45:00Z");
        facts.category = traffic(Some(TrafficFault::Main));
        assert_eq!(reasons(&facts), [ReasonCode::CommuteTrafficWorkerAtFault]);
        let trace = determine(&facts, &DeterminationParams::default()).trace;
        assert!(
            trace[5]
                .evidence
                .contains("5 min after order A-1 ended (the trip back)"),
            "{}",
            trace[5].evidence
        );
        facts.category = traffic(None);
        assert_eq!(
            reasons(&facts),
            [ReasonCode::CommuteTrafficFaultUndetermined]
        );
        for fault in [TrafficFault::Minor, TrafficFault::Equal, TrafficFault::None] {
            facts.category = traffic(Some(fault));
            assert_eq!(
                determine(&facts, &DeterminationParams::default()).outcome,
                Outcome::AutoConfirm,
                "{fault:?}"
            );
        }
        // Mid-order, main fault changes nothing.
        facts.occurred_at = utc("2025-08-10T02:39:00Z");
        facts.category = traffic(Some(TrafficFault::Main));
        assert_eq!(
            determine(&facts, &DeterminationParams::default()).outcome,
            Outcome::AutoConfirm
        );
    }

    #[test]
    fn a_last_filing_day_on_a_holiday_moves_to_the_next_working_day() {
        let mut facts = facts();
        // Accident 2025-09-01 (Shanghai); day 30 is 1 October, National Day; the holiday runs
        // to 8 October, so the platform may file on 9 October.
        facts.occurred_at = utc("2025-09-01T02:00:00Z");
        facts.orders.clear();
        facts.application.filed_at = utc("2025-10-09T02:00:00Z");
        assert_eq!(verdict(filed_in_time, &facts), Verdict::Pass);
        facts.application.filed_at = utc("2025-10-10T02:00:00Z");
        assert_eq!(
            verdict(filed_in_time, &facts),
            review(ReasonCode::LateWithoutExplanation)
        );
    }

    #[test]
    fn the_determination_is_due_30_working_days_after_the_application() {
        let params = DeterminationParams::default();
        // Filed Tuesday 2025-09-16 (Shanghai). 30 working days, the National Day and
        // Mid-Autumn holiday (1–8 October) skipped and the make-up Saturday 11 October counted:
        // 11 working days to 30 September, then 9, 10, 11, 13–17, 20–24, 27–31 October and
        // 3 November is the 30th.
        let due = params.determination_due_on(utc("2025-09-16T02:00:00Z"));
        assert_eq!(due, day("2025-11-03"));
    }

    #[test]
    fn the_commute_rule_ignores_other_categories() {
        let mut facts = facts();
        facts.orders.clear();
        facts.category = IncidentCategory::Violence;
        assert_eq!(verdict(commute_traffic_fault, &facts), Verdict::Pass);
    }

    // --- rules 7–9: exclusions --------------------------------------------------------------

    #[test]
    fn each_exclusion_flag_goes_to_review_with_its_own_reason() {
        type SetFlag = fn(&mut ExclusionFlags);
        let cases: [(SetFlag, Rule, ReasonCode); 3] = [
            (
                |f| f.intentional_crime = true,
                no_intentional_crime,
                ReasonCode::IntentionalCrime,
            ),
            (
                |f| f.intoxication_or_drugs = true,
                no_intoxication,
                ReasonCode::IntoxicationOrDrugs,
            ),
            (|f| f.self_harm = true, no_self_harm, ReasonCode::SelfHarm),
        ];
        for (flag, rule, reason) in cases {
            let mut facts = facts();
            assert_eq!(verdict(rule, &facts), Verdict::Pass);
            flag(&mut facts.exclusions);
            assert_eq!(verdict(rule, &facts), review(reason));
            assert_eq!(reasons(&facts), [reason]);
        }
        let mut facts = facts();
        facts.exclusions = ExclusionFlags {
            intentional_crime: true,
            intoxication_or_drugs: true,
            self_harm: true,
        };
        assert_eq!(
            reasons(&facts),
            [
                ReasonCode::IntentionalCrime,
                ReasonCode::IntoxicationOrDrugs,
                ReasonCode::SelfHarm
            ]
        );
    }

    // --- rule 10: duplicates ----------------------------------------------------------------

    #[test]
    fn another_claim_within_24_hours_either_side_is_a_possible_duplicate() {
        let mut facts = facts();
        let at = facts.occurred_at;
        let other = |occurred_at| OtherClaim {
            claim_id: Uuid::from_u128(99),
            occurred_at,
        };
        for (occurred_at, expected) in [
            (
                at + TimeDelta::hours(24),
                review(ReasonCode::PossibleDuplicate),
            ),
            (
                at - TimeDelta::hours(24),
                review(ReasonCode::PossibleDuplicate),
            ),
            (
                at + TimeDelta::minutes(5),
                review(ReasonCode::PossibleDuplicate),
            ),
            (
                at + TimeDelta::hours(24) + TimeDelta::seconds(1),
                Verdict::Pass,
            ),
            (
                at - TimeDelta::hours(24) - TimeDelta::seconds(1),
                Verdict::Pass,
            ),
        ] {
            facts.other_claims = vec![other(occurred_at)];
            assert_eq!(verdict(no_duplicate, &facts), expected, "{occurred_at}");
        }
        facts.other_claims = vec![other(at + TimeDelta::hours(30))];
        let params = DeterminationParams {
            duplicate_window_hours: 48,
            ..DeterminationParams::default()
        };
        assert_eq!(
            no_duplicate(&facts, &params).verdict,
            review(ReasonCode::PossibleDuplicate)
        );
    }

    #[test]
    fn the_claim_itself_is_not_its_own_duplicate() {
        let mut facts = facts();
        facts.other_claims = vec![OtherClaim {
            claim_id: facts.claim_id,
            occurred_at: facts.occurred_at,
        }];
        assert_eq!(verdict(no_duplicate, &facts), Verdict::Pass);
    }

    // --- properties -------------------------------------------------------------------------

    fn arbitrary_category() -> impl Strategy<Value = IncidentCategory> {
        let fault = prop_oneof![
            Just(None),
            Just(Some(TrafficFault::None)),
            Just(Some(TrafficFault::Minor)),
            Just(Some(TrafficFault::Equal)),
            Just(Some(TrafficFault::Main)),
            Just(Some(TrafficFault::Full)),
        ];
        prop_oneof![
            Just(IncidentCategory::OrderAccident),
            Just(IncidentCategory::Violence),
            fault.prop_map(|worker_fault| IncidentCategory::TrafficAccident { worker_fault }),
            Just(IncidentCategory::SuddenIllness),
            Just(IncidentCategory::Missing),
            Just(IncidentCategory::Other),
        ]
    }

    proptest! {
        /// Automation confirms exactly when every rule passed, and otherwise lists exactly the
        /// failing rules' reasons: it has no way to refuse.
        #[test]
        fn confirms_only_when_every_rule_passes(
            incident_offset_min in -600i64..600,
            filed_after_days in -2i64..120,
            died_after_hours in proptest::option::of(-2i64..100),
            category in arbitrary_category(),
            second_platform in any::<bool>(),
            registered_with_a in any::<bool>(),
            flags in any::<(bool, bool, bool)>(),
            late_explanation in any::<bool>(),
            other_claim_offset_hours in proptest::option::of(-72i64..72),
        ) {
            let mut facts = facts();
            let base = facts.occurred_at;
            facts.occurred_at = base + TimeDelta::minutes(incident_offset_min);
            facts.application.filed_at = base + TimeDelta::days(filed_after_days);
            facts.application.late_explanation = late_explanation;
            facts.died_at = died_after_hours.map(|h| facts.occurred_at + TimeDelta::hours(h));
            facts.category = category;
            if !registered_with_a {
                facts.memberships = vec![membership(B)];
            }
            if second_platform {
                facts.orders.push(order(B, "B-1", "2025-08-10T02:30:00Z", OrderEnd::Open));
            }
            facts.exclusions = ExclusionFlags {
                intentional_crime: flags.0,
                intoxication_or_drugs: flags.1,
                self_harm: flags.2,
            };
            facts.other_claims = other_claim_offset_hours
                .map(|h| OtherClaim {
                    claim_id: Uuid::from_u128(7),
                    occurred_at: base + TimeDelta::hours(h),
                })
                .into_iter()
                .collect();

            let determination = determine(&facts, &DeterminationParams::default());
            prop_assert_eq!(determination.trace.len(), RULES.len());
            let mut failing = Vec::new();
            for outcome in &determination.trace {
                if let Verdict::Review(reason) = outcome.verdict && !failing.contains(&reason) {
                    failing.push(reason);
                }
            }
            match determination.outcome {
                Outcome::AutoConfirm => prop_assert!(failing.is_empty()),
                Outcome::Review(reasons) => {
                    prop_assert!(!reasons.is_empty());
                    prop_assert_eq!(reasons, failing);
                }
            }
        }
    }
}
