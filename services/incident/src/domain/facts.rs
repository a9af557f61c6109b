//! What happened: the facts of a report (and of each amendment) and the rules they must pass.

use chrono::{DateTime, TimeDelta, Utc};
use gigshield_kit::error::FieldViolation;
use gigshield_scheme::region::RegionCode;

use super::stored_names;
use super::text::{SensitiveText, free_text};

/// Longest platform order id accepted, as for external worker ids.
pub const MAX_ORDER_ID_LEN: usize = 64;

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum CauseCategory {
    TrafficAccident,
    Fall,
    Violence,
    SuddenIllness,
    Other,
}

stored_names!(CauseCategory {
    TrafficAccident => "traffic_accident",
    Fall => "fall",
    Violence => "violence",
    SuddenIllness => "sudden_illness",
    Other => "other",
});

/// The worker's share of responsibility for a traffic accident (交通事故责任认定).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum FaultShare {
    /// The police have not decided yet; an amendment adds the share later.
    Undetermined,
    None,
    Minor,
    Equal,
    Main,
    Full,
}

stored_names!(FaultShare {
    Undetermined => "undetermined",
    None => "none",
    Minor => "minor",
    Equal => "equal",
    Main => "main",
    Full => "full",
});

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Severity {
    Outpatient,
    Hospitalised,
    Death,
    Missing,
}

stored_names!(Severity {
    Outpatient => "outpatient",
    Hospitalised => "hospitalised",
    Death => "death",
    Missing => "missing",
});

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Channel {
    App,
    Phone,
    Counter,
}

stored_names!(Channel {
    App => "app",
    Phone => "phone",
    Counter => "counter",
});

/// The regulation's exclusions as the reporter states them; claims decides on them.
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq)]
pub struct Exclusions {
    pub intentional_crime: bool,
    pub intoxication_or_drugs: bool,
    pub self_harm: bool,
}

#[derive(Debug, Clone, PartialEq)]
pub struct Place {
    /// WGS-84 degrees.
    pub latitude: f64,
    pub longitude: f64,
    pub region: RegionCode,
}

/// Facts that passed [`validate`].
#[derive(Debug, Clone, PartialEq)]
pub struct Facts {
    pub occurred_at: DateTime<Utc>,
    pub place: Place,
    pub order_id: Option<String>,
    pub category: CauseCategory,
    /// Set exactly for traffic accidents.
    pub fault: Option<FaultShare>,
    pub severity: Severity,
    /// May be empty: a one-tap report has no text yet.
    pub description: SensitiveText,
    /// Only with [`Severity::Death`].
    pub died_at: Option<DateTime<Utc>>,
    pub exclusions: Exclusions,
}

#[derive(Debug, Clone, PartialEq)]
pub struct PlaceInput {
    pub latitude: f64,
    pub longitude: f64,
    pub region_code: String,
}

/// Facts as a caller sent them; `None` is "not set".
#[derive(Debug, Clone, Default, PartialEq)]
pub struct FactsInput {
    pub occurred_at: Option<DateTime<Utc>>,
    pub place: Option<PlaceInput>,
    pub order_id: String,
    pub category: Option<CauseCategory>,
    pub fault: Option<FaultShare>,
    pub severity: Option<Severity>,
    pub description: SensitiveText,
    pub died_at: Option<DateTime<Utc>>,
    pub exclusions: Exclusions,
}

impl Facts {
    /// The facts as input again, to merge an amendment into.
    pub fn to_input(&self) -> FactsInput {
        FactsInput {
            occurred_at: Some(self.occurred_at),
            place: Some(PlaceInput {
                latitude: self.place.latitude,
                longitude: self.place.longitude,
                region_code: self.place.region.as_str().to_string(),
            }),
            order_id: self.order_id.clone().unwrap_or_default(),
            category: Some(self.category),
            fault: self.fault,
            severity: Some(self.severity),
            description: self.description.clone(),
            died_at: self.died_at,
            exclusions: self.exclusions,
        }
    }
}

/// The parameters the facts are checked against.
#[derive(Debug, Clone)]
pub struct FactRules {
    /// How far ahead of the server clock a caller's timestamps may be.
    pub clock_skew: TimeDelta,
    /// The longest free text accepted, in characters.
    pub max_text_chars: usize,
}

/// Checks every field and reports every problem at once. Field names are relative to the facts
/// message (the API prefixes `facts.`).
pub fn validate(
    input: &FactsInput,
    rules: &FactRules,
    now: DateTime<Utc>,
) -> Result<Facts, Vec<FieldViolation>> {
    let mut violations = Vec::new();
    let mut fail = |field: &str, description: String| {
        violations.push(FieldViolation {
            field: field.to_string(),
            description,
        })
    };
    let latest = now + rules.clock_skew;

    let occurred_at = match input.occurred_at {
        None => {
            fail("occurred_at", "is required".into());
            None
        }
        Some(at) if at > latest => {
            fail(
                "occurred_at",
                format!(
                    "is in the future (more than {} s ahead of the server clock)",
                    rules.clock_skew.num_seconds()
                ),
            );
            None
        }
        Some(at) => Some(at),
    };

    let place = place_of(input.place.as_ref(), &mut fail);
    let order_id = order_id_of(&input.order_id, &mut fail);

    match (input.category, input.fault) {
        (None, _) => fail("category", "is required".into()),
        (Some(CauseCategory::TrafficAccident), None) => fail(
            "worker_fault_share",
            "is required for a traffic accident (UNDETERMINED until the police decide)".into(),
        ),
        (Some(category), Some(_)) if category != CauseCategory::TrafficAccident => fail(
            "worker_fault_share",
            "applies to traffic accidents only; leave it unset".into(),
        ),
        _ => {}
    }
    if input.severity.is_none() {
        fail("severity", "is required".into());
    }

    let description = free_text(input.description.expose(), rules.max_text_chars, false)
        .map_err(|e| fail("description", e.to_string()))
        .ok();

    if let Some(died_at) = input.died_at {
        if input.severity.is_some_and(|s| s != Severity::Death) {
            fail("died_at", "is set only with severity DEATH".into());
        } else if died_at > latest {
            fail("died_at", "is in the future".into());
        } else if input.occurred_at.is_some_and(|at| died_at < at) {
            fail("died_at", "must not precede occurred_at".into());
        }
    }

    match (
        occurred_at,
        place,
        input.category,
        input.severity,
        description,
    ) {
        (Some(occurred_at), Some(place), Some(category), Some(severity), Some(description))
            if violations.is_empty() =>
        {
            Ok(Facts {
                occurred_at,
                place,
                order_id,
                category,
                fault: input.fault,
                severity,
                description,
                died_at: input.died_at,
                exclusions: input.exclusions,
            })
        }
        _ => Err(violations),
    }
}

/// The accident's position, or why it is not one.
fn place_of(place: Option<&PlaceInput>, fail: &mut impl FnMut(&str, String)) -> Option<Place> {
    match place {
        None => {
            fail("place", "is required".into());
            None
        }
        Some(p) => {
            let mut ok = true;
            if !(p.latitude.is_finite() && (-90.0..=90.0).contains(&p.latitude)) {
                fail(
                    "place.latitude",
                    "must be between -90 and 90 (WGS-84 degrees)".into(),
                );
                ok = false;
            }
            if !(p.longitude.is_finite() && (-180.0..=180.0).contains(&p.longitude)) {
                fail(
                    "place.longitude",
                    "must be between -180 and 180 (WGS-84 degrees)".into(),
                );
                ok = false;
            }
            // Proto3 sends an unset double as 0; no covered province lies at 0°/0°.
            if ok && p.latitude == 0.0 && p.longitude == 0.0 {
                fail(
                    "place",
                    "latitude and longitude are both 0: send the position of the accident".into(),
                );
                ok = false;
            }
            let region = RegionCode::parse(&p.region_code)
                .map_err(|e| fail("place.region_code", e.to_string()))
                .ok();
            match region {
                Some(region) if ok => Some(Place {
                    latitude: p.latitude,
                    longitude: p.longitude,
                    region,
                }),
                _ => None,
            }
        }
    }
}

/// The platform's order id, if given: trimmed, bounded, without spaces or control characters.
fn order_id_of(order_id: &str, fail: &mut impl FnMut(&str, String)) -> Option<String> {
    let order_id = order_id.trim();
    if order_id.is_empty() {
        None
    } else if order_id.len() > MAX_ORDER_ID_LEN {
        fail(
            "order_id",
            format!("must not be longer than {MAX_ORDER_ID_LEN} bytes"),
        );
        None
    } else if order_id
        .chars()
        .any(|c| c.is_control() || c.is_whitespace())
    {
        fail(
            "order_id",
            "must not contain spaces or control characters".into(),
        );
        None
    } else {
        Some(order_id.to_string())
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub fn utc(s: &str) -> DateTime<Utc> {
        s.parse().unwrap()
    }

    pub fn rules() -> FactRules {
        FactRules {
            clock_skew: TimeDelta::seconds(300),
            max_text_chars: 100,
        }
    }

    pub fn now() -> DateTime<Utc> {
        utc("2026-03-01T04:00:00Z")
    }

    /// A fall in Beijing Chaoyang on the morning of 2026-02-27.
    pub fn input() -> FactsInput {
        FactsInput {
            occurred_at: Some(utc("2026-02-27T01:30:00Z")),
            place: Some(PlaceInput {
                latitude: 39.9219,
                longitude: 116.4436,
                region_code: "110105".into(),
            }),
            order_id: "ord-1".into(),
            category: Some(CauseCategory::Fall),
            fault: None,
            severity: Some(Severity::Hospitalised),
            description: SensitiveText::new("送餐上楼时摔倒"),
            died_at: None,
            exclusions: Exclusions::default(),
        }
    }

    fn fields(input: FactsInput) -> Vec<String> {
        validate(&input, &rules(), now())
            .unwrap_err()
            .into_iter()
            .map(|v| v.field)
            .collect()
    }

    fn descriptions(input: FactsInput) -> Vec<String> {
        validate(&input, &rules(), now())
            .unwrap_err()
            .into_iter()
            .map(|v| format!("{}: {}", v.field, v.description))
            .collect()
    }

    #[test]
    fn good_facts_pass() {
        let facts = validate(&input(), &rules(), now()).unwrap();
        assert_eq!(facts.place.region.province().to_string(), "110000");
        assert_eq!(facts.order_id.as_deref(), Some("ord-1"));
        assert_eq!(facts.description.expose(), "送餐上楼时摔倒");
        assert_eq!(facts.to_input(), FactsInput { ..input() });
    }

    #[test]
    fn occurred_at_is_required_and_not_in_the_future_beyond_the_skew() {
        assert_eq!(
            fields(FactsInput {
                occurred_at: None,
                ..input()
            }),
            ["occurred_at"]
        );
        let within_skew = now() + TimeDelta::seconds(299);
        assert!(
            validate(
                &FactsInput {
                    occurred_at: Some(within_skew),
                    ..input()
                },
                &rules(),
                now()
            )
            .is_ok()
        );
        let beyond = now() + TimeDelta::seconds(301);
        let refused = descriptions(FactsInput {
            occurred_at: Some(beyond),
            ..input()
        });
        assert_eq!(refused.len(), 1);
        assert!(refused[0].starts_with("occurred_at: is in the future"));
    }

    #[test]
    fn an_accident_before_the_province_joined_is_taken_for_claims_to_judge() {
        // Hebei (13) joined on 2025-07-01; intake never refuses on the merits.
        let hebei = FactsInput {
            occurred_at: Some(utc("2025-06-30T15:59:59Z")),
            place: Some(PlaceInput {
                latitude: 38.04,
                longitude: 114.51,
                region_code: "130102".into(),
            }),
            ..input()
        };
        assert!(validate(&hebei, &rules(), now()).is_ok());
    }

    #[test]
    fn a_region_outside_the_scheme_is_malformed() {
        for code in ["810000", "710100", "820000"] {
            let refused = fields(FactsInput {
                place: Some(PlaceInput {
                    latitude: 22.3,
                    longitude: 114.17,
                    region_code: code.into(),
                }),
                ..input()
            });
            assert_eq!(refused, ["place.region_code"], "{code}");
        }
        // The XPCC is in the scheme.
        let xpcc = FactsInput {
            place: Some(PlaceInput {
                latitude: 44.3,
                longitude: 86.05,
                region_code: "660100".into(),
            }),
            ..input()
        };
        assert!(validate(&xpcc, &rules(), now()).is_ok());
    }

    #[test]
    fn latitude_and_longitude_must_be_wgs84_degrees() {
        let at = |latitude: f64, longitude: f64| FactsInput {
            place: Some(PlaceInput {
                latitude,
                longitude,
                region_code: "110105".into(),
            }),
            ..input()
        };
        assert_eq!(fields(at(90.5, 116.0)), ["place.latitude"]);
        assert_eq!(fields(at(-91.0, 116.0)), ["place.latitude"]);
        assert_eq!(fields(at(39.9, 180.01)), ["place.longitude"]);
        assert_eq!(
            fields(at(f64::NAN, f64::INFINITY)),
            ["place.latitude", "place.longitude"]
        );
        assert_eq!(fields(at(0.0, 0.0)), ["place"]);
        assert!(validate(&at(90.0, -180.0), &rules(), now()).is_ok());
    }

    #[test]
    fn the_region_must_be_a_known_code_and_the_place_is_required() {
        let with_region = |code: &str| FactsInput {
            place: Some(PlaceInput {
                latitude: 39.9,
                longitude: 116.4,
                region_code: code.into(),
            }),
            ..input()
        };
        assert_eq!(fields(with_region("990101")), ["place.region_code"]);
        assert_eq!(fields(with_region("11010")), ["place.region_code"]);
        assert_eq!(fields(with_region("")), ["place.region_code"]);
        assert_eq!(
            fields(FactsInput {
                place: None,
                ..input()
            }),
            ["place"]
        );
    }

    #[test]
    fn traffic_accidents_need_a_fault_share_and_nothing_else_takes_one() {
        let traffic = |fault| FactsInput {
            category: Some(CauseCategory::TrafficAccident),
            fault,
            ..input()
        };
        assert_eq!(fields(traffic(None)), ["worker_fault_share"]);
        for share in FaultShare::ALL {
            assert!(validate(&traffic(Some(*share)), &rules(), now()).is_ok());
        }
        assert_eq!(
            fields(FactsInput {
                fault: Some(FaultShare::None),
                ..input()
            }),
            ["worker_fault_share"]
        );
    }

    #[test]
    fn category_and_severity_are_required() {
        assert_eq!(
            fields(FactsInput {
                category: None,
                severity: None,
                ..input()
            }),
            ["category", "severity"]
        );
    }

    #[test]
    fn oversized_description_is_refused_and_an_empty_one_accepted() {
        let refused = descriptions(FactsInput {
            description: SensitiveText::new("痛".repeat(101)),
            ..input()
        });
        assert_eq!(
            refused,
            ["description: is 101 characters long; at most 100 are accepted"]
        );
        let empty = validate(
            &FactsInput {
                description: SensitiveText::default(),
                ..input()
            },
            &rules(),
            now(),
        )
        .unwrap();
        assert!(empty.description.is_empty());
    }

    #[test]
    fn order_ids_are_short_tokens() {
        assert_eq!(
            fields(FactsInput {
                order_id: "a b".into(),
                ..input()
            }),
            ["order_id"]
        );
        assert_eq!(
            fields(FactsInput {
                order_id: "x".repeat(65),
                ..input()
            }),
            ["order_id"]
        );
        let none = validate(
            &FactsInput {
                order_id: "  ".into(),
                ..input()
            },
            &rules(),
            now(),
        )
        .unwrap();
        assert_eq!(none.order_id, None);
    }

    #[test]
    fn died_at_goes_with_death_and_follows_the_accident() {
        let death = |died_at: &str| FactsInput {
            severity: Some(Severity::Death),
            category: Some(CauseCategory::SuddenIllness),
            died_at: Some(utc(died_at)),
            ..input()
        };
        assert!(validate(&death("2026-02-27T05:00:00Z"), &rules(), now()).is_ok());
        assert_eq!(fields(death("2026-02-27T01:00:00Z")), ["died_at"]);
        assert_eq!(fields(death("2026-03-02T01:00:00Z")), ["died_at"]);
        assert_eq!(
            fields(FactsInput {
                died_at: Some(utc("2026-02-27T05:00:00Z")),
                ..input()
            }),
            ["died_at"]
        );
    }

    #[test]
    fn every_problem_is_reported_at_once() {
        let all = fields(FactsInput {
            occurred_at: None,
            place: Some(PlaceInput {
                latitude: 100.0,
                longitude: 116.0,
                region_code: "99".into(),
            }),
            order_id: "a\tb".into(),
            category: None,
            fault: None,
            severity: None,
            description: SensitiveText::new("x".repeat(101)),
            died_at: None,
            exclusions: Exclusions::default(),
        });
        assert_eq!(
            all,
            [
                "occurred_at",
                "place.latitude",
                "place.region_code",
                "order_id",
                "category",
                "severity",
                "description"
            ]
        );
    }

    #[test]
    fn stored_names_round_trip() {
        for c in CauseCategory::ALL {
            assert_eq!(CauseCategory::parse_stored(c.as_str()), Ok(*c));
        }
        for f in FaultShare::ALL {
            assert_eq!(FaultShare::parse_stored(f.as_str()), Ok(*f));
        }
        for s in Severity::ALL {
            assert_eq!(Severity::parse_stored(s.as_str()), Ok(*s));
        }
        for c in Channel::ALL {
            assert_eq!(Channel::parse_stored(c.as_str()), Ok(*c));
        }
        assert!(Severity::parse_stored("minor").is_err());
    }
}
