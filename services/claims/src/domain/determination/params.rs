//! The dated parameters the rules read: reaches around an order, windows, the scheme calendar.

use super::*;

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
    pub(super) fn sudden_illness_death_hours(&self, occurred_at: DateTime<Utc>) -> u32 {
        self.scheme.window(
            WindowKind::SuddenIllnessDeathHours,
            shanghai_date(occurred_at),
        )
    }
}
