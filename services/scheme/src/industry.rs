//! The industries the scheme covers. Food delivery (外卖) was its own industry in the 2022 pilot
//! and was merged into instant delivery (即时配送) from 2025-07-01; it stays as a value so
//! pilot-era records keep their meaning. Whether a service still accepts it for new records is
//! that service's rule.

use std::fmt;
use std::str::FromStr;

use chrono::{DateTime, NaiveDate, Utc};
use gigshield_proto::common::Industry as ProtoIndustry;
use serde::{Deserialize, Serialize};

use crate::calendar::shanghai_midnight;

/// Ordered as declared. Serialized as its stored name ([`Industry::as_str`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Industry {
    /// 出行
    RideHailing,
    /// 即时配送, which absorbed food delivery on 2025-07-01.
    InstantDelivery,
    /// 同城货运
    IntraCityFreight,
    /// 外卖, pilot era only (2022-07-01 to 2025-06-30).
    FoodDelivery,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IndustryError {
    #[error("is required")]
    Unspecified,
    #[error("unknown industry {0}")]
    Unknown(i32),
    #[error(
        "unknown industry name {0:?} (expected ride_hailing, instant_delivery, intra_city_freight or food_delivery)"
    )]
    UnknownName(String),
}

/// 2025-07-01 00:00 Asia/Shanghai: the revised Measures take effect, food delivery merges into
/// instant delivery and the 2025 base amounts apply. Official (人社部发〔2025〕24号), not a
/// tunable parameter.
pub fn scheme_2025_start() -> DateTime<Utc> {
    shanghai_midnight(NaiveDate::from_ymd_opt(2025, 7, 1).expect("valid date"))
}

impl Industry {
    pub const ALL: [Industry; 4] = [
        Industry::RideHailing,
        Industry::InstantDelivery,
        Industry::IntraCityFreight,
        Industry::FoodDelivery,
    ];

    /// From the protobuf enum's number. Food delivery converts like any other industry;
    /// `INDUSTRY_UNSPECIFIED` and unknown numbers do not.
    pub fn from_proto(value: i32) -> Result<Self, IndustryError> {
        match ProtoIndustry::try_from(value) {
            Ok(ProtoIndustry::RideHailing) => Ok(Self::RideHailing),
            Ok(ProtoIndustry::InstantDelivery) => Ok(Self::InstantDelivery),
            Ok(ProtoIndustry::IntraCityFreight) => Ok(Self::IntraCityFreight),
            Ok(ProtoIndustry::FoodDelivery) => Ok(Self::FoodDelivery),
            Ok(ProtoIndustry::Unspecified) => Err(IndustryError::Unspecified),
            Err(_) => Err(IndustryError::Unknown(value)),
        }
    }

    pub fn to_proto(self) -> ProtoIndustry {
        match self {
            Self::RideHailing => ProtoIndustry::RideHailing,
            Self::InstantDelivery => ProtoIndustry::InstantDelivery,
            Self::IntraCityFreight => ProtoIndustry::IntraCityFreight,
            Self::FoodDelivery => ProtoIndustry::FoodDelivery,
        }
    }

    /// The stored name, stable across storage, events and configuration; never the enum's
    /// number.
    pub fn as_str(self) -> &'static str {
        match self {
            Self::RideHailing => "ride_hailing",
            Self::InstantDelivery => "instant_delivery",
            Self::IntraCityFreight => "intra_city_freight",
            Self::FoodDelivery => "food_delivery",
        }
    }

    /// The industry of a stored name ([`Industry::as_str`]).
    pub fn parse_stored(name: &str) -> Result<Self, IndustryError> {
        Self::ALL
            .into_iter()
            .find(|industry| industry.as_str() == name)
            .ok_or_else(|| IndustryError::UnknownName(name.to_owned()))
    }

    /// Only food delivery: a value that old records carry and new work no longer takes.
    pub fn is_historical(self) -> bool {
        self == Self::FoodDelivery
    }

    /// Whether orders of this industry can still be taken at `at`. Food delivery work done
    /// since the merge is instant delivery and must be reported as such.
    pub fn accepts_orders_at(self, at: DateTime<Utc>) -> bool {
        match self {
            Industry::FoodDelivery => at < scheme_2025_start(),
            Industry::RideHailing | Industry::InstantDelivery | Industry::IntraCityFreight => true,
        }
    }
}

impl fmt::Display for Industry {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.as_str())
    }
}

impl FromStr for Industry {
    type Err = IndustryError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse_stored(s)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proto_and_stored_forms_round_trip() {
        for industry in Industry::ALL {
            assert_eq!(
                Industry::from_proto(industry.to_proto() as i32),
                Ok(industry)
            );
            assert_eq!(Industry::parse_stored(industry.as_str()), Ok(industry));
            assert_eq!(industry.to_string().parse::<Industry>(), Ok(industry));
        }
        assert_eq!(Industry::from_proto(0), Err(IndustryError::Unspecified));
        assert_eq!(Industry::from_proto(4), Ok(Industry::FoodDelivery));
        assert_eq!(Industry::from_proto(99), Err(IndustryError::Unknown(99)));
        assert_eq!(
            "taxi".parse::<Industry>(),
            Err(IndustryError::UnknownName("taxi".into()))
        );
    }

    #[test]
    fn stored_names_never_change() {
        // Enrollment's platform_scope.industries holds these exact strings.
        assert_eq!(
            Industry::ALL.map(Industry::as_str),
            [
                "ride_hailing",
                "instant_delivery",
                "intra_city_freight",
                "food_delivery"
            ]
        );
        for industry in Industry::ALL {
            assert_eq!(
                serde_json::to_string(&industry).unwrap(),
                format!("\"{}\"", industry.as_str())
            );
        }
        assert_eq!(
            serde_json::from_str::<Industry>("\"food_delivery\"").unwrap(),
            Industry::FoodDelivery
        );
    }

    #[test]
    fn only_food_delivery_is_historical() {
        let historical: Vec<_> = Industry::ALL
            .into_iter()
            .filter(|i| i.is_historical())
            .collect();
        assert_eq!(historical, [Industry::FoodDelivery]);
    }

    #[test]
    fn food_delivery_closes_at_shanghai_midnight_of_2025_07_01() {
        let start = scheme_2025_start();
        assert_eq!(
            start,
            "2025-06-30T16:00:00Z".parse::<DateTime<Utc>>().unwrap()
        );
        let just_before = start - chrono::Duration::nanoseconds(1);
        assert!(Industry::FoodDelivery.accepts_orders_at(just_before));
        assert!(!Industry::FoodDelivery.accepts_orders_at(start));
        assert!(Industry::InstantDelivery.accepts_orders_at(start));
        assert!(Industry::InstantDelivery.accepts_orders_at(just_before));
    }
}
