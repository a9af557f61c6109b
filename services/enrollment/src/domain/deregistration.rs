//! When a membership ends. Ending a membership decides whether an accident was covered, so it
//! cannot be erased after the fact by the party that pays for the cover: a platform's
//! deregistration takes effect when received; only an operator dates one back, with a reason,
//! and never before an order or an incident of the membership.

use chrono::{DateTime, Duration, NaiveDate, Utc};
use gigshield_scheme::calendar::shanghai_midnight;

use super::dated_start::MAX_BACKDATE_DAYS;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Requester {
    Platform,
    Operator,
}

/// What the other services have reported of the membership (through their events).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Activity {
    /// The last Asia/Shanghai day with an order accepted under the membership.
    pub last_order_date: Option<NaiveDate>,
    /// The latest accident reported for the membership.
    pub last_incident_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Refusal {
    /// The request is malformed for this caller (`InvalidArgument`).
    Invalid {
        field: &'static str,
        description: String,
    },
    /// The date would erase cover the membership already gave (`FailedPrecondition`).
    Erases(String),
}

fn invalid(field: &'static str, description: impl Into<String>) -> Refusal {
    Refusal::Invalid {
        field,
        description: description.into(),
    }
}

pub struct Request<'a> {
    pub requester: Requester,
    pub effective_at: Option<DateTime<Utc>>,
    pub reason: &'a str,
}

/// The instant the membership ends, or why it cannot end as asked.
pub fn effective_instant(
    req: &Request<'_>,
    registered_at: DateTime<Utc>,
    activity: Activity,
    now: DateTime<Utc>,
    clock_skew: Duration,
) -> Result<DateTime<Utc>, Refusal> {
    if req.requester == Requester::Platform && req.effective_at.is_some() {
        return Err(invalid(
            "effective_at",
            "only operators date a deregistration; a platform's takes effect when received",
        ));
    }
    if req.reason.chars().count() > super::delegation::MAX_REASON_CHARS {
        return Err(invalid(
            "reason",
            format!(
                "must not be longer than {} characters",
                super::delegation::MAX_REASON_CHARS
            ),
        ));
    }
    let at = req.effective_at.unwrap_or(now);
    if at > now + clock_skew {
        return Err(invalid("effective_at", "must not be in the future"));
    }
    if at < now - Duration::days(MAX_BACKDATE_DAYS) {
        return Err(invalid(
            "effective_at",
            format!("must be at most {MAX_BACKDATE_DAYS} days back"),
        ));
    }
    if at < now - clock_skew && req.reason.trim().is_empty() {
        return Err(invalid(
            "reason",
            "is required to date a deregistration back: say what was checked",
        ));
    }
    if at < registered_at {
        return Err(invalid("effective_at", "must not precede the registration"));
    }
    if let Some(day) = activity.last_order_date {
        let day_end = shanghai_midnight(day + Duration::days(1));
        if at < day_end {
            return Err(Refusal::Erases(format!(
                "effective_at precedes the end of {day} (Asia/Shanghai), a day with an order under this membership"
            )));
        }
    }
    if let Some(incident) = activity.last_incident_at
        && at <= incident
    {
        return Err(Refusal::Erases(
            "effective_at precedes an incident reported for this membership".into(),
        ));
    }
    Ok(at)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn at(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    const SKEW: Duration = Duration::minutes(5);

    fn request(requester: Requester, effective_at: Option<&str>, reason: &str) -> Request<'static> {
        Request {
            requester,
            effective_at: effective_at.map(at),
            reason: Box::leak(reason.to_string().into_boxed_str()),
        }
    }

    #[test]
    fn a_platform_ends_a_membership_now_and_only_now() {
        let now = at("2026-11-30T08:00:00Z");
        let registered = at("2026-01-01T00:00:00Z");
        assert_eq!(
            effective_instant(
                &request(Requester::Platform, None, ""),
                registered,
                Activity::default(),
                now,
                SKEW
            ),
            Ok(now)
        );
        let dated = request(Requester::Platform, Some("2026-11-01T00:00:00Z"), "left");
        assert!(matches!(
            effective_instant(&dated, registered, Activity::default(), now, SKEW),
            Err(Refusal::Invalid {
                field: "effective_at",
                ..
            })
        ));
    }

    #[test]
    fn an_operator_dates_back_with_a_reason_but_not_over_activity() {
        let now = at("2026-11-30T08:00:00Z");
        let registered = at("2026-01-01T00:00:00Z");
        let activity = Activity {
            last_order_date: Some(NaiveDate::from_ymd_opt(2026, 11, 10).unwrap()),
            last_incident_at: Some(at("2026-11-05T03:00:00Z")),
        };
        let no_reason = request(Requester::Operator, Some("2026-11-20T00:00:00Z"), " ");
        assert!(matches!(
            effective_instant(&no_reason, registered, activity, now, SKEW),
            Err(Refusal::Invalid {
                field: "reason",
                ..
            })
        ));
        // 2026-11-10 ends at 16:00 UTC that day (Shanghai midnight).
        let inside_the_day = request(Requester::Operator, Some("2026-11-10T15:59:00Z"), "left");
        assert!(matches!(
            effective_instant(&inside_the_day, registered, activity, now, SKEW),
            Err(Refusal::Erases(_))
        ));
        let after_the_day = request(Requester::Operator, Some("2026-11-10T16:00:00Z"), "left");
        assert_eq!(
            effective_instant(&after_the_day, registered, activity, now, SKEW),
            Ok(at("2026-11-10T16:00:00Z"))
        );
        let before_incident = request(Requester::Operator, Some("2026-11-05T02:00:00Z"), "x");
        let only_incident = Activity {
            last_order_date: None,
            ..activity
        };
        assert!(matches!(
            effective_instant(&before_incident, registered, only_incident, now, SKEW),
            Err(Refusal::Erases(_))
        ));
        let before_registration = request(Requester::Operator, Some("2025-12-01T00:00:00Z"), "x");
        assert!(matches!(
            effective_instant(
                &before_registration,
                registered,
                Activity::default(),
                now,
                SKEW
            ),
            Err(Refusal::Invalid {
                field: "effective_at",
                ..
            })
        ));
        let too_old = request(Requester::Operator, Some("2025-11-01T00:00:00Z"), "x");
        assert!(matches!(
            effective_instant(
                &too_old,
                at("2024-01-01T00:00:00Z"),
                Activity::default(),
                now,
                SKEW
            ),
            Err(Refusal::Invalid {
                field: "effective_at",
                ..
            })
        ));
        let future = request(Requester::Operator, Some("2026-12-30T00:00:00Z"), "x");
        assert!(effective_instant(&future, registered, Activity::default(), now, SKEW).is_err());
    }
}
