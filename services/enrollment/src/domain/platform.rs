//! Platform registration and the history of what a platform does where.

use std::collections::BTreeSet;

use chrono::{DateTime, Utc};
use gigshield_kit::Violations;
use gigshield_scheme::industry::Industry;
use gigshield_scheme::region::RegionCode;

use super::contact::{self, ContactError};
use super::industry;

pub const MAX_LEGAL_NAME_CHARS: usize = 200;

/// Industries and provinces in force from `effective_from` until the next scope.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Scope {
    pub industries: BTreeSet<Industry>,
    /// Province codes `XX0000`.
    pub provinces: BTreeSet<String>,
    pub effective_from: DateTime<Utc>,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ContactDetails {
    pub name: String,
    pub phone: String,
    pub email: Option<String>,
}

/// Industries: at least one, each registrable ([`industry::registrable`]). `field` prefixes
/// the violations.
pub fn industries(values: &[i32], field: &str, v: &mut Violations) -> BTreeSet<Industry> {
    if values.is_empty() {
        v.add(field, "at least one industry is required");
    }
    let mut out = BTreeSet::new();
    for (i, raw) in values.iter().enumerate() {
        match industry::registrable(*raw) {
            Ok(industry) => {
                out.insert(industry);
            }
            Err(err) => v.add(format!("{field}[{i}]"), err.to_string()),
        }
    }
    out
}

/// Region codes: at least one; each counts for its province, kept in the province's wire form
/// `XX0000`.
pub fn provinces(values: &[String], field: &str, v: &mut Violations) -> BTreeSet<String> {
    if values.is_empty() {
        v.add(field, "at least one region code is required");
    }
    values
        .iter()
        .enumerate()
        .filter_map(|(i, code)| {
            v.check(&format!("{field}[{i}]"), RegionCode::parse(code))
                .map(|r| r.province().region_code())
        })
        .collect()
}

pub fn legal_name(input: &str, v: &mut Violations) -> String {
    let name = input.trim();
    if name.is_empty() {
        v.add("legal_name", "is required");
    } else if name.chars().count() > MAX_LEGAL_NAME_CHARS {
        v.add(
            "legal_name",
            format!("must not be longer than {MAX_LEGAL_NAME_CHARS} characters"),
        );
    }
    name.to_string()
}

pub fn contact_details(
    name: &str,
    phone: &str,
    email: &str,
    v: &mut Violations,
) -> Option<ContactDetails> {
    let name = v.check(
        "contact.name",
        contact::real_name(name).or_else(|e| match e {
            // A contact may be a department ("运营中心2部"), so digits are fine here.
            ContactError::NameCharacters if !name.chars().any(char::is_control) => {
                Ok(name.trim().to_string())
            }
            other => Err(other),
        }),
    );
    let phone = v.check("contact.phone", contact::phone(phone));
    let email = v.check("contact.email", contact::email(email));
    Some(ContactDetails {
        name: name?,
        phone: phone?,
        email: email?,
    })
}

/// The scope in force at `at`: the latest that took effect at or before it.
pub fn scope_at(history: &[Scope], at: DateTime<Utc>) -> Option<&Scope> {
    history
        .iter()
        .filter(|s| s.effective_from <= at)
        .max_by_key(|s| s.effective_from)
}

/// History is appended to, never rewritten: a new scope may not take effect before the
/// latest recorded one.
pub fn check_new_scope(history: &[Scope], effective_from: DateTime<Utc>) -> Result<(), String> {
    match history.iter().map(|s| s.effective_from).max() {
        Some(latest) if effective_from <= latest => Err(format!(
            "must be after the latest recorded scope change ({})",
            latest.to_rfc3339()
        )),
        _ => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::TimeZone;

    fn scope(day: u32) -> Scope {
        Scope {
            industries: BTreeSet::from([Industry::RideHailing]),
            provinces: BTreeSet::from(["110000".to_string()]),
            effective_from: Utc.with_ymd_and_hms(2026, 1, day, 0, 0, 0).unwrap(),
        }
    }

    #[test]
    fn the_scope_in_force_is_the_latest_started() {
        let history = vec![scope(1), scope(10), scope(20)];
        let at = Utc.with_ymd_and_hms(2026, 1, 15, 0, 0, 0).unwrap();
        assert_eq!(scope_at(&history, at), Some(&history[1]));
        assert_eq!(
            scope_at(
                &history,
                Utc.with_ymd_and_hms(2025, 12, 1, 0, 0, 0).unwrap()
            ),
            None
        );
        assert!(check_new_scope(&history, history[2].effective_from).is_err());
        assert!(
            check_new_scope(
                &history,
                Utc.with_ymd_and_hms(2026, 1, 21, 0, 0, 0).unwrap()
            )
            .is_ok()
        );
    }

    #[test]
    fn industries_and_provinces_are_validated_and_deduplicated() {
        let mut v = Violations::new();
        let inds = industries(&[1, 1, 3], "industries", &mut v);
        let provs = provinces(
            &["110105".into(), "110108".into(), "440305".into()],
            "region_codes",
            &mut v,
        );
        assert!(v.is_empty());
        assert_eq!(inds.len(), 2);
        assert_eq!(
            provs,
            BTreeSet::from(["110000".to_string(), "440000".to_string()])
        );

        let mut v = Violations::new();
        industries(&[4, 0], "industries", &mut v);
        provinces(&["990000".into()], "region_codes", &mut v);
        let err = format!("{:?}", v.into_result().unwrap_err());
        assert!(
            err.contains("industries[0]")
                && err.contains("industries[1]")
                && err.contains("region_codes[0]")
        );
    }
}
