//! The scheme's industries. Food delivery was merged into instant delivery on 2025-07-01 and
//! is kept only to read older records.

use gigshield_proto::common::Industry as ProtoIndustry;

#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub enum Industry {
    RideHailing,
    InstantDelivery,
    IntraCityFreight,
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum IndustryError {
    #[error("is required")]
    Unspecified,
    #[error(
        "food delivery is part of instant delivery since 2025-07-01; register INDUSTRY_INSTANT_DELIVERY"
    )]
    HistoricalFoodDelivery,
    #[error("unknown industry {0}")]
    Unknown(i32),
    #[error("unknown industry name {0:?}")]
    UnknownName(String),
}

impl Industry {
    pub fn from_proto(value: i32) -> Result<Self, IndustryError> {
        match ProtoIndustry::try_from(value) {
            Ok(ProtoIndustry::RideHailing) => Ok(Self::RideHailing),
            Ok(ProtoIndustry::InstantDelivery) => Ok(Self::InstantDelivery),
            Ok(ProtoIndustry::IntraCityFreight) => Ok(Self::IntraCityFreight),
            Ok(ProtoIndustry::FoodDelivery) => Err(IndustryError::HistoricalFoodDelivery),
            Ok(ProtoIndustry::Unspecified) => Err(IndustryError::Unspecified),
            Err(_) => Err(IndustryError::Unknown(value)),
        }
    }

    pub fn to_proto(self) -> ProtoIndustry {
        match self {
            Self::RideHailing => ProtoIndustry::RideHailing,
            Self::InstantDelivery => ProtoIndustry::InstantDelivery,
            Self::IntraCityFreight => ProtoIndustry::IntraCityFreight,
        }
    }

    /// The stored name (stable; never the enum's number).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::RideHailing => "ride_hailing",
            Self::InstantDelivery => "instant_delivery",
            Self::IntraCityFreight => "intra_city_freight",
        }
    }

    pub fn parse_stored(name: &str) -> Result<Self, IndustryError> {
        match name {
            "ride_hailing" => Ok(Self::RideHailing),
            "instant_delivery" => Ok(Self::InstantDelivery),
            "intra_city_freight" => Ok(Self::IntraCityFreight),
            other => Err(IndustryError::UnknownName(other.to_string())),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn proto_and_stored_forms_round_trip() {
        for industry in [
            Industry::RideHailing,
            Industry::InstantDelivery,
            Industry::IntraCityFreight,
        ] {
            assert_eq!(
                Industry::from_proto(industry.to_proto() as i32),
                Ok(industry)
            );
            assert_eq!(Industry::parse_stored(industry.as_str()), Ok(industry));
        }
        assert_eq!(Industry::from_proto(0), Err(IndustryError::Unspecified));
        assert_eq!(
            Industry::from_proto(4),
            Err(IndustryError::HistoricalFoodDelivery)
        );
        assert_eq!(Industry::from_proto(99), Err(IndustryError::Unknown(99)));
    }
}
