//! The types of benefit the fund pays, by their stable names: what claims' payouts are called
//! (`kind`, part of every payout's idempotency key), what the fund books benefits under, and
//! the columns the regulators' export carries. A dependant's pension is one type whatever the
//! dependant (`dependant_pension.2` is a `dependant_pension`).

/// Every type, in the order the operating rules list them.
pub const ALL: [&str; 10] = [
    "medical_and_rehabilitation",
    "assistive_devices",
    "out_of_area_travel",
    "hospital_meal_allowance",
    "nursing_care",
    "disability_subsidy",
    "disability_allowance",
    "funeral_grant",
    "death_grant",
    "dependant_pension",
];

/// The type of a payout's `kind`: its name without the dependant's number.
pub fn of_kind(kind: &str) -> &str {
    kind.split_once('.').map_or(kind, |(base, _)| base)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_dependant_number_is_not_part_of_the_type() {
        assert_eq!(of_kind("dependant_pension.2"), "dependant_pension");
        assert_eq!(of_kind("death_grant"), "death_grant");
        assert!(ALL.contains(&of_kind("dependant_pension.11")));
    }
}
