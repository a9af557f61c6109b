//! Administrative division codes (GB/T 2260): six digits, the first two name the province.

/// Province-level prefixes: 31 provinces, autonomous regions and municipalities, Hong Kong,
/// Macao, Taiwan, and 66 — the code the social-insurance system uses for the Xinjiang
/// Production and Construction Corps, which DOMAIN.md lists beside the provinces.
const PROVINCES: [&str; 35] = [
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37", "41",
    "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65", "66",
    "71", "81", "82",
];

pub fn is_known_province(prefix: &str) -> bool {
    PROVINCES.contains(&prefix)
}

#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct RegionCode(String);

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegionError {
    #[error("is required")]
    Empty,
    #[error("must be 6 ASCII digits")]
    Format,
    #[error("{0}xxxx is not a known province")]
    UnknownProvince(String),
}

impl RegionCode {
    pub fn parse(input: &str) -> Result<Self, RegionError> {
        if input.is_empty() {
            return Err(RegionError::Empty);
        }
        if input.len() != 6 || !input.bytes().all(|b| b.is_ascii_digit()) {
            return Err(RegionError::Format);
        }
        if !is_known_province(&input[..2]) {
            return Err(RegionError::UnknownProvince(input[..2].to_string()));
        }
        Ok(Self(input.to_string()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The province's own code, `XX0000`.
    pub fn province(&self) -> String {
        format!("{}0000", &self.0[..2])
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_names_the_province() {
        let code = RegionCode::parse("440305").unwrap();
        assert_eq!(code.province(), "440000");
        assert_eq!(RegionCode::parse(""), Err(RegionError::Empty));
        assert_eq!(RegionCode::parse("44030"), Err(RegionError::Format));
        assert_eq!(RegionCode::parse("44O305"), Err(RegionError::Format));
        assert_eq!(
            RegionCode::parse("990000"),
            Err(RegionError::UnknownProvince("99".into()))
        );
    }
}
