//! The rules a worker registration must pass before anything is stored.

use chrono::{DateTime, NaiveDate, Utc};
use gigshield_scheme::region::RegionCode;

use super::resident_id::ResidentId;
use super::{contact, dated_start};
use gigshield_kit::error::FieldViolation;

pub const MAX_EXTERNAL_ID_LEN: usize = 64;

/// What a platform sent, before validation.
#[derive(Debug, Clone, Copy)]
pub struct RegistrationInput<'a> {
    pub external_worker_id: &'a str,
    pub real_name: &'a str,
    pub resident_id: &'a str,
    pub mobile: &'a str,
    pub region_code: &'a str,
    /// When the membership began, if the caller dates it (operators only; the api checks who).
    pub registered_at: Option<DateTime<Utc>>,
}

#[derive(Debug, Clone)]
pub struct ValidRegistration {
    pub external_worker_id: String,
    pub real_name: String,
    pub resident_id: ResidentId,
    pub mobile: String,
    pub region: RegionCode,
    /// `None`: the membership begins when the registration is stored.
    pub registered_at: Option<DateTime<Utc>>,
}

/// Checks every field and reports all problems at once; field names are relative to the
/// registration (the API prefixes them).
pub fn validate(
    input: RegistrationInput<'_>,
    now: DateTime<Utc>,
    today: NaiveDate,
    min_age: u32,
) -> Result<ValidRegistration, Vec<FieldViolation>> {
    let mut violations = Vec::new();
    let mut fail = |field: &str, description: String| {
        violations.push(FieldViolation {
            field: field.to_string(),
            description,
        })
    };

    let external = input.external_worker_id;
    if external.is_empty() {
        fail("external_worker_id", "is required".into());
    } else if external.len() > MAX_EXTERNAL_ID_LEN {
        fail(
            "external_worker_id",
            format!("must not be longer than {MAX_EXTERNAL_ID_LEN} bytes"),
        );
    } else if external
        .chars()
        .any(|c| c.is_control() || c.is_whitespace())
    {
        fail(
            "external_worker_id",
            "must not contain spaces or control characters".into(),
        );
    } else if let Some(reason) = super::identifier::personal_data_shape(external) {
        fail("external_worker_id", reason.into());
    }
    let real_name = contact::real_name(input.real_name)
        .map_err(|e| fail("real_name", e.to_string()))
        .ok();
    let resident_id = match ResidentId::parse(input.resident_id, today) {
        Ok(id) if id.age_on(today) < min_age => {
            fail(
                "resident_id",
                format!(
                    "the person is {} years old; the minimum age is {min_age}",
                    id.age_on(today)
                ),
            );
            None
        }
        Ok(id) => Some(id),
        Err(e) => {
            fail("resident_id", e.to_string());
            None
        }
    };
    let mobile = contact::mobile(input.mobile)
        .map_err(|e| fail("mobile", e.to_string()))
        .ok();
    let region = RegionCode::parse(input.region_code)
        .map_err(|e| fail("region_code", e.to_string()))
        .ok();
    if let Some(Err(e)) = input.registered_at.map(|at| dated_start::check(at, now)) {
        fail("registered_at", e);
    }

    match (real_name, resident_id, mobile, region) {
        (Some(real_name), Some(resident_id), Some(mobile), Some(region))
            if violations.is_empty() =>
        {
            Ok(ValidRegistration {
                external_worker_id: external.to_string(),
                real_name,
                resident_id,
                mobile,
                region,
                registered_at: input.registered_at,
            })
        }
        _ => Err(violations),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::dated_start::MAX_BACKDATE_DAYS;
    use chrono::Duration;

    fn input<'a>() -> RegistrationInput<'a> {
        RegistrationInput {
            external_worker_id: "rider-001",
            real_name: "张三",
            resident_id: "11010519491231002X",
            mobile: "13812345678",
            region_code: "110105",
            registered_at: None,
        }
    }

    fn now() -> DateTime<Utc> {
        "2026-11-29T04:00:00Z".parse().unwrap()
    }

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 29).unwrap()
    }

    #[test]
    fn a_good_registration_passes() {
        let ok = validate(input(), now(), today(), 16).unwrap();
        assert_eq!(ok.region.province().region_code(), "110000");
        assert_eq!(ok.real_name, "张三");
    }

    #[test]
    fn every_bad_field_is_named_at_once() {
        let bad = RegistrationInput {
            external_worker_id: "",
            real_name: "",
            resident_id: "11010519491231002x",
            mobile: "1381234567",
            region_code: "99",
            registered_at: Some(now() + Duration::seconds(1)),
        };
        let fields: Vec<String> = validate(bad, now(), today(), 16)
            .unwrap_err()
            .into_iter()
            .map(|v| v.field)
            .collect();
        assert_eq!(
            fields,
            vec![
                "external_worker_id",
                "real_name",
                "resident_id",
                "mobile",
                "region_code",
                "registered_at"
            ]
        );
    }

    #[test]
    fn the_age_floor_is_a_parameter() {
        let young = RegistrationInput {
            resident_id: "110105201011300010",
            ..input()
        };
        // 2010-11-30: 15 on 2026-11-29.
        let check = super::super::resident_id::check_character(b"11010520101130001") as char;
        let id = format!("11010520101130001{check}");
        let young = RegistrationInput {
            resident_id: &id,
            ..young
        };
        let err = validate(young, now(), today(), 16).unwrap_err();
        assert!(err[0].description.contains("15 years old"), "{err:?}");
        assert!(validate(young, now(), today(), 15).is_ok());
    }

    #[test]
    fn a_membership_may_start_up_to_366_days_back_never_ahead() {
        let dated = |at: DateTime<Utc>| {
            validate(
                RegistrationInput {
                    registered_at: Some(at),
                    ..input()
                },
                now(),
                today(),
                16,
            )
        };
        let year_back = now() - Duration::days(MAX_BACKDATE_DAYS);
        assert_eq!(dated(year_back).unwrap().registered_at, Some(year_back));
        let too_old = dated(year_back - Duration::seconds(1)).unwrap_err();
        assert_eq!(too_old[0].field, "registered_at");
        assert!(too_old[0].description.contains("366 days"), "{too_old:?}");
        assert_eq!(dated(now()).unwrap().registered_at, Some(now()));
        assert_eq!(
            dated(now() + Duration::milliseconds(1)).unwrap_err()[0].field,
            "registered_at"
        );
        assert_eq!(
            validate(input(), now(), today(), 16).unwrap().registered_at,
            None
        );
    }
}
