//! What a determination is made on: the application, the incident, the person's memberships,
//! orders and other claims, as the intake gathered them. Stored with the claim as the rules saw
//! them.

use super::*;

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
    pub(super) fn scheme(self) -> scheme::Filer {
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
    /// The order's industry as stored (`Industry::as_str`); empty in facts recorded before it
    /// was kept.
    #[serde(default)]
    pub industry: String,
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
