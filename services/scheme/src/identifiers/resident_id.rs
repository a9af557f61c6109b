//! Resident identity numbers (GB 11643-1999): 6-digit region code, birth date YYYYMMDD,
//! 3-digit sequence (odd = male), check character.

use crate::region::ProvinceCode;
use chrono::{Datelike, NaiveDate};

const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
const CHECK_CHARS: &[u8; 11] = b"10X98765432";

#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sex {
    Male,
    Female,
}

/// A valid resident ID number. Deliberately not `Display`: it must not reach a log by accident.
#[derive(Clone, PartialEq, Eq)]
pub struct ResidentId {
    value: String,
    birth_date: NaiveDate,
    sex: Sex,
}

impl std::fmt::Debug for ResidentId {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "ResidentId({})", self.masked())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ResidentIdError {
    #[error("is required")]
    Empty,
    #[error("15-digit legacy numbers are not accepted; give the 18-character number")]
    Legacy15,
    #[error("full-width characters are not accepted; use ASCII digits and X")]
    FullWidth,
    #[error("must be 18 characters, got {0}")]
    Length(usize),
    #[error("the check character X must be uppercase")]
    LowercaseX,
    #[error("must be 17 digits followed by a digit or X")]
    Characters,
    #[error("region code does not start with a known province")]
    UnknownProvince,
    #[error("the birth date does not exist")]
    ImpossibleDate,
    #[error("the birth date lies in the future")]
    FutureBirthDate,
    #[error("wrong check character")]
    CheckCharacter,
}

impl ResidentId {
    /// Validates `input`; `today` is the Asia/Shanghai date, against which the birth date
    /// must lie in the past.
    pub fn parse(input: &str, today: NaiveDate) -> Result<Self, ResidentIdError> {
        if input.is_empty() {
            return Err(ResidentIdError::Empty);
        }
        if input
            .chars()
            .any(|c| ('\u{FF10}'..='\u{FF19}').contains(&c) || c == 'Ｘ' || c == 'ｘ')
        {
            return Err(ResidentIdError::FullWidth);
        }
        let len = input.chars().count();
        if len == 15 && input.bytes().all(|b| b.is_ascii_digit()) {
            return Err(ResidentIdError::Legacy15);
        }
        if len != 18 {
            return Err(ResidentIdError::Length(len));
        }
        let bytes = input.as_bytes();
        if !bytes[..17].iter().all(u8::is_ascii_digit) {
            return Err(ResidentIdError::Characters);
        }
        match bytes[17] {
            b'x' => return Err(ResidentIdError::LowercaseX),
            b'0'..=b'9' | b'X' => {}
            _ => return Err(ResidentIdError::Characters),
        }
        if ProvinceCode::from_prefix(&input[..2]).is_err() {
            return Err(ResidentIdError::UnknownProvince);
        }
        let year: i32 = input[6..10]
            .parse()
            .map_err(|_| ResidentIdError::ImpossibleDate)?;
        let month: u32 = input[10..12]
            .parse()
            .map_err(|_| ResidentIdError::ImpossibleDate)?;
        let day: u32 = input[12..14]
            .parse()
            .map_err(|_| ResidentIdError::ImpossibleDate)?;
        let birth_date = NaiveDate::from_ymd_opt(year, month, day)
            .filter(|d| d.year() >= 1900)
            .ok_or(ResidentIdError::ImpossibleDate)?;
        if birth_date > today {
            return Err(ResidentIdError::FutureBirthDate);
        }
        if bytes[17] != check_character(&bytes[..17]) {
            return Err(ResidentIdError::CheckCharacter);
        }
        let sex = if (bytes[16] - b'0') % 2 == 1 {
            Sex::Male
        } else {
            Sex::Female
        };
        Ok(Self {
            value: input.to_string(),
            birth_date,
            sex,
        })
    }

    /// The full number, for sealing and hashing only.
    pub fn expose(&self) -> &str {
        &self.value
    }

    /// First 3 + last 4 (`110***********002X`): neither the district nor the birth date shows.
    pub fn masked(&self) -> String {
        super::mask(&self.value, 3, 4)
    }

    pub fn region_code(&self) -> &str {
        &self.value[..6]
    }

    pub fn birth_date(&self) -> NaiveDate {
        self.birth_date
    }

    pub fn sex(&self) -> Sex {
        self.sex
    }

    /// Completed years of age on `date`.
    pub fn age_on(&self, date: NaiveDate) -> u32 {
        date.years_since(self.birth_date).unwrap_or(0)
    }
}

/// The GB 11643 check character of the first 17 digits.
pub fn check_character(first17: &[u8]) -> u8 {
    let sum: u32 = first17
        .iter()
        .zip(WEIGHTS)
        .map(|(d, w)| u32::from(d - b'0') * w)
        .sum();
    CHECK_CHARS[(sum % 11) as usize]
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn today() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 11, 29).unwrap()
    }

    #[test]
    fn domain_example_is_valid() {
        let id = ResidentId::parse("11010519491231002X", today()).unwrap();
        assert_eq!(
            id.birth_date(),
            NaiveDate::from_ymd_opt(1949, 12, 31).unwrap()
        );
        assert_eq!(id.sex(), Sex::Female, "sequence 002: even");
        assert_eq!(id.masked(), "110***********002X");
        assert_eq!(id.region_code(), "110105");
        assert_eq!(id.age_on(today()), 76);
        assert!(!format!("{id:?}").contains("19491231"), "Debug is masked");
    }

    #[test]
    fn each_kind_of_bad_input_is_named() {
        let t = today();
        assert_eq!(ResidentId::parse("", t), Err(ResidentIdError::Empty));
        assert_eq!(
            ResidentId::parse("110105194912310021", t),
            Err(ResidentIdError::CheckCharacter)
        );
        assert_eq!(
            ResidentId::parse("11010519491231002x", t),
            Err(ResidentIdError::LowercaseX)
        );
        assert_eq!(
            ResidentId::parse("110105491231002", t),
            Err(ResidentIdError::Legacy15)
        );
        assert_eq!(
            ResidentId::parse("１１０１０５19491231002X", t),
            Err(ResidentIdError::FullWidth)
        );
        assert_eq!(
            ResidentId::parse("1101051949123100", t),
            Err(ResidentIdError::Length(16))
        );
        assert_eq!(
            ResidentId::parse("11010519491231A02X", t),
            Err(ResidentIdError::Characters)
        );
        assert_eq!(
            ResidentId::parse("990105194912310028", t),
            Err(ResidentIdError::UnknownProvince)
        );
        assert_eq!(
            ResidentId::parse(&with_check("11010519490230002"), t),
            Err(ResidentIdError::ImpossibleDate)
        );
        assert_eq!(
            ResidentId::parse(&with_check("11010520991231002"), t),
            Err(ResidentIdError::FutureBirthDate)
        );
    }

    #[test]
    fn birthday_counts_from_the_day() {
        let id = ResidentId::parse(&with_check("11010520101130001"), today()).unwrap();
        assert_eq!(id.age_on(today()), 15, "turns 16 tomorrow");
        assert_eq!(id.age_on(today().succ_opt().unwrap()), 16);
        assert_eq!(id.sex(), Sex::Male);
    }

    fn with_check(first17: &str) -> String {
        let check = check_character(first17.as_bytes()) as char;
        format!("{first17}{check}")
    }

    fn valid_id() -> impl Strategy<Value = String> {
        let provinces = prop::sample::select(vec!["11", "31", "32", "44", "46", "50", "51", "65"]);
        let date = (1930i32..2008, 1u32..=12, 1u32..=28);
        (provinces, 0u32..10_000, date, 0u32..1000).prop_map(|(p, rest, (y, m, d), seq)| {
            with_check(&format!("{p}{rest:04}{y:04}{m:02}{d:02}{seq:03}"))
        })
    }

    proptest! {
        #[test]
        fn generated_numbers_are_valid(id in valid_id()) {
            prop_assert!(ResidentId::parse(&id, today()).is_ok());
        }

        #[test]
        fn every_single_character_corruption_is_rejected(
            id in valid_id(),
            position in 0usize..18,
            replacement in prop::sample::select("0123456789X".chars().collect::<Vec<_>>()),
        ) {
            let mut chars: Vec<char> = id.chars().collect();
            prop_assume!(chars[position] != replacement);
            chars[position] = replacement;
            let corrupted: String = chars.into_iter().collect();
            prop_assert!(ResidentId::parse(&corrupted, today()).is_err(), "{} accepted", corrupted);
        }
    }
}
