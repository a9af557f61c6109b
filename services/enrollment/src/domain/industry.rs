//! Which industries a platform may register. The industries themselves are the scheme's
//! ([`gigshield_scheme::industry`]); enrollment's rule is that a registration names a current
//! one: food delivery was merged into instant delivery on 2025-07-01 and is kept only so older
//! records keep their meaning.

use gigshield_scheme::industry::{Industry, IndustryError};

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegistrationIndustryError {
    #[error(transparent)]
    Invalid(#[from] IndustryError),
    #[error(
        "food delivery is part of instant delivery since 2025-07-01; register INDUSTRY_INSTANT_DELIVERY"
    )]
    HistoricalFoodDelivery,
}

/// The industry a registration names by its protobuf number, refusing the historical one.
pub fn registrable(value: i32) -> Result<Industry, RegistrationIndustryError> {
    match Industry::from_proto(value)? {
        Industry::FoodDelivery => Err(RegistrationIndustryError::HistoricalFoodDelivery),
        industry => Ok(industry),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn current_industries_register_and_food_delivery_does_not() {
        for industry in [
            Industry::RideHailing,
            Industry::InstantDelivery,
            Industry::IntraCityFreight,
        ] {
            assert_eq!(registrable(industry.to_proto() as i32), Ok(industry));
        }
        assert_eq!(
            registrable(Industry::FoodDelivery.to_proto() as i32),
            Err(RegistrationIndustryError::HistoricalFoodDelivery)
        );
        assert_eq!(
            registrable(0),
            Err(RegistrationIndustryError::Invalid(
                IndustryError::Unspecified
            ))
        );
        assert_eq!(
            registrable(99),
            Err(RegistrationIndustryError::Invalid(IndustryError::Unknown(
                99
            )))
        );
        assert_eq!(registrable(0).unwrap_err().to_string(), "is required");
    }
}
