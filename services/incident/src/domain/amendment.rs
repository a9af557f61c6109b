//! Amendments: a field mask names the facts that change; the new facts are the current ones
//! with those fields replaced, and must pass the same rules as a report. The report and every
//! earlier version stay as they were.

use gigshield_kit::error::FieldViolation;

use super::facts::{Facts, FactsInput};

/// The facts an amendment may change, by their path in `IncidentFacts`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum FactField {
    OccurredAt,
    Place,
    OrderId,
    Category,
    WorkerFaultShare,
    Severity,
    Description,
    DiedAt,
    Exclusions,
}

impl FactField {
    pub const ALL: [FactField; 9] = [
        FactField::OccurredAt,
        FactField::Place,
        FactField::OrderId,
        FactField::Category,
        FactField::WorkerFaultShare,
        FactField::Severity,
        FactField::Description,
        FactField::DiedAt,
        FactField::Exclusions,
    ];

    pub fn path(self) -> &'static str {
        match self {
            FactField::OccurredAt => "occurred_at",
            FactField::Place => "place",
            FactField::OrderId => "order_id",
            FactField::Category => "category",
            FactField::WorkerFaultShare => "worker_fault_share",
            FactField::Severity => "severity",
            FactField::Description => "description",
            FactField::DiedAt => "died_at",
            FactField::Exclusions => "exclusions",
        }
    }

    pub fn from_path(path: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|f| f.path() == path)
    }
}

/// The mask's fields, in canonical order, without repeats. `facts.` prefixes are accepted
/// (AIP-134 masks are relative to the resource, clients often write them absolute).
pub fn parse_mask(paths: &[String]) -> Result<Vec<FactField>, FieldViolation> {
    let refuse = |description: String| FieldViolation {
        field: "update_mask".into(),
        description,
    };
    if paths.is_empty() {
        return Err(refuse("name at least one field to change".into()));
    }
    let mut fields = Vec::new();
    for path in paths {
        let trimmed = path.trim();
        let relative = trimmed.strip_prefix("facts.").unwrap_or(trimmed);
        let field = FactField::from_path(relative).ok_or_else(|| {
            refuse(format!(
                "{path:?} cannot be amended; amendable: {}",
                FactField::ALL.map(FactField::path).join(", ")
            ))
        })?;
        fields.push(field);
    }
    fields.sort();
    fields.dedup();
    Ok(fields)
}

/// The current facts with the masked fields taken from `new`.
pub fn merge(current: &Facts, new: &FactsInput, fields: &[FactField]) -> FactsInput {
    let mut merged = current.to_input();
    for field in fields {
        match field {
            FactField::OccurredAt => merged.occurred_at = new.occurred_at,
            FactField::Place => merged.place = new.place.clone(),
            FactField::OrderId => merged.order_id = new.order_id.clone(),
            FactField::Category => merged.category = new.category,
            FactField::WorkerFaultShare => merged.fault = new.fault,
            FactField::Severity => merged.severity = new.severity,
            FactField::Description => merged.description = new.description.clone(),
            FactField::DiedAt => merged.died_at = new.died_at,
            FactField::Exclusions => merged.exclusions = new.exclusions,
        }
    }
    merged
}

/// The fields whose values differ between two versions, in canonical order.
pub fn changed(before: &Facts, after: &Facts) -> Vec<FactField> {
    FactField::ALL
        .into_iter()
        .filter(|field| match field {
            FactField::OccurredAt => before.occurred_at != after.occurred_at,
            FactField::Place => before.place != after.place,
            FactField::OrderId => before.order_id != after.order_id,
            FactField::Category => before.category != after.category,
            FactField::WorkerFaultShare => before.fault != after.fault,
            FactField::Severity => before.severity != after.severity,
            FactField::Description => before.description != after.description,
            FactField::DiedAt => before.died_at != after.died_at,
            FactField::Exclusions => before.exclusions != after.exclusions,
        })
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::domain::facts::tests::{input, now, rules};
    use crate::domain::facts::{CauseCategory, FaultShare, validate};
    use crate::domain::text::SensitiveText;

    fn paths(p: &[&str]) -> Vec<String> {
        p.iter().map(|s| s.to_string()).collect()
    }

    #[test]
    fn masks_name_amendable_fields() {
        assert_eq!(
            parse_mask(&paths(&["severity", "facts.description", "severity"])).unwrap(),
            [FactField::Severity, FactField::Description]
        );
        assert_eq!(parse_mask(&[]).unwrap_err().field, "update_mask");
        let err = parse_mask(&paths(&["person_id"])).unwrap_err();
        assert!(err.description.contains("cannot be amended"));
        for field in FactField::ALL {
            assert_eq!(FactField::from_path(field.path()), Some(field));
        }
    }

    #[test]
    fn only_masked_fields_change_and_the_result_is_validated_again() {
        let current = validate(&input(), &rules(), now()).unwrap();
        let new = FactsInput {
            category: Some(CauseCategory::TrafficAccident),
            fault: Some(FaultShare::Minor),
            description: SensitiveText::new("改：电动车被撞"),
            order_id: "ignored".into(),
            ..input()
        };
        let fields =
            parse_mask(&paths(&["category", "worker_fault_share", "description"])).unwrap();
        let merged = merge(&current, &new, &fields);
        assert_eq!(merged.order_id, "ord-1", "unmasked fields keep their value");
        let after = validate(&merged, &rules(), now()).unwrap();
        assert_eq!(
            changed(&current, &after),
            [
                FactField::Category,
                FactField::WorkerFaultShare,
                FactField::Description
            ]
        );

        // Changing the category alone leaves the old (absent) fault share: refused by the rules.
        let only_category = merge(&current, &new, &[FactField::Category]);
        let refused = validate(&only_category, &rules(), now()).unwrap_err();
        assert_eq!(refused[0].field, "worker_fault_share");
    }

    #[test]
    fn an_amendment_to_the_same_values_changes_nothing() {
        let current = validate(&input(), &rules(), now()).unwrap();
        let same = merge(&current, &input(), &FactField::ALL);
        let after = validate(&same, &rules(), now()).unwrap();
        assert!(changed(&current, &after).is_empty());
    }
}
