//! Administrative division codes (GB/T 2260): six digits, the first two naming the province,
//! the first four the prefecture.
//!
//! A code is checked for its form and for a known province. Whether the rest names a current
//! district is left alone: a copy of the national list would go stale with every
//! redistricting, while the province-level list below changes about once a generation.
//!
//! A province travels in its own six-digit form, `XX0000` ("110000" Beijing), in events, APIs
//! and databases alike; [`ProvinceCode::as_prefix`] gives the two digits for the rare place
//! that wants them.

use std::fmt;
use std::str::FromStr;

use serde::{Deserialize, Serialize};

/// The scheme's province-level divisions: the 31 provinces, autonomous regions and
/// municipalities of the mainland, and 66 — the code the social-insurance system uses for the
/// Xinjiang Production and Construction Corps, which the scheme names beside the provinces
/// (docs/domain.md § Scheme stages). Taiwan (71), Hong Kong (81) and Macao (82) have their own
/// systems and are not part of it: their codes are refused everywhere. Sorted.
pub const PROVINCE_PREFIXES: [&str; 32] = [
    "11", "12", "13", "14", "15", "21", "22", "23", "31", "32", "33", "34", "35", "36", "37", "41",
    "42", "43", "44", "45", "46", "50", "51", "52", "53", "54", "61", "62", "63", "64", "65", "66",
];

/// What is wrong with a region or province code. The messages are written to follow a field
/// name ("region_code: must be 6 ASCII digits, got \"11010\"").
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum RegionError {
    #[error("is required")]
    Empty,
    #[error("must be 6 ASCII digits, got {0:?}")]
    RegionForm(String),
    #[error("must be a province code: 2 ASCII digits followed by 0000, got {0:?}")]
    ProvinceForm(String),
    /// Holds the two-digit prefix.
    #[error("{0}xxxx is not a province of the scheme")]
    UnknownProvince(String),
}

fn all_ascii_digits(s: &str, len: usize) -> bool {
    s.len() == len && s.bytes().all(|b| b.is_ascii_digit())
}

/// A six-digit administrative division code whose first two digits name a known province.
#[derive(Debug, Clone, PartialEq, Eq, PartialOrd, Ord, Hash, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct RegionCode(String);

/// A province-level division: one of the 32 prefixes above. Ordered by code. Written, shown
/// and serialized in the six-digit form `XX0000`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct ProvinceCode(&'static str);

impl RegionCode {
    pub fn parse(s: &str) -> Result<Self, RegionError> {
        if s.is_empty() {
            return Err(RegionError::Empty);
        }
        if !all_ascii_digits(s, 6) {
            return Err(RegionError::RegionForm(s.to_owned()));
        }
        ProvinceCode::from_prefix(&s[..2])?;
        Ok(Self(s.to_owned()))
    }

    pub fn as_str(&self) -> &str {
        &self.0
    }

    /// The province the code lies in; coverage and fees follow it.
    pub fn province(&self) -> ProvinceCode {
        ProvinceCode::from_prefix(&self.0[..2]).expect("checked in parse")
    }

    /// The codes a regional parameter is looked up under, most specific first: the code
    /// itself, its prefecture (`xxxx00`) and its province (`xx0000`), without repeats.
    ///
    /// Benefit figures are published per pooling area (统筹地区), usually a prefecture-level
    /// city, sometimes a whole province; a table may hold either and the nearest one wins.
    pub fn lookup_chain(&self) -> Vec<RegionCode> {
        let mut chain = vec![self.clone()];
        for candidate in [
            format!("{}00", &self.0[..4]),
            format!("{}0000", &self.0[..2]),
        ] {
            if chain.last().is_some_and(|last| last.0 != candidate) {
                chain.push(RegionCode(candidate));
            }
        }
        chain
    }
}

impl ProvinceCode {
    /// Parses the wire form `XX0000` ("110000").
    pub fn parse(s: &str) -> Result<Self, RegionError> {
        if s.is_empty() {
            return Err(RegionError::Empty);
        }
        match s.strip_suffix("0000") {
            Some(prefix) if all_ascii_digits(s, 6) => Self::from_prefix(prefix),
            _ => Err(RegionError::ProvinceForm(s.to_owned())),
        }
    }

    /// The province named by a two-digit prefix ("11").
    pub fn from_prefix(prefix: &str) -> Result<Self, RegionError> {
        if prefix.is_empty() {
            return Err(RegionError::Empty);
        }
        if !all_ascii_digits(prefix, 2) {
            return Err(RegionError::ProvinceForm(prefix.to_owned()));
        }
        PROVINCE_PREFIXES
            .binary_search(&prefix)
            .map(|i| Self(PROVINCE_PREFIXES[i]))
            .map_err(|_| RegionError::UnknownProvince(prefix.to_owned()))
    }

    /// The two-digit prefix, "11".
    pub fn as_prefix(&self) -> &'static str {
        self.0
    }

    /// The province's own division code, "110000": its wire form.
    pub fn region_code(&self) -> String {
        format!("{}0000", self.0)
    }
}

impl fmt::Display for RegionCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

impl fmt::Display for ProvinceCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}0000", self.0)
    }
}

impl FromStr for RegionCode {
    type Err = RegionError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl FromStr for ProvinceCode {
    type Err = RegionError;

    fn from_str(s: &str) -> Result<Self, Self::Err> {
        Self::parse(s)
    }
}

impl TryFrom<String> for RegionCode {
    type Error = RegionError;

    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<RegionCode> for String {
    fn from(code: RegionCode) -> Self {
        code.0
    }
}

// By hand: a derive would tie the `&'static str` inside to the deserializer's lifetime.
impl Serialize for ProvinceCode {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ProvinceCode {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let s = String::deserialize(deserializer)?;
        Self::parse(&s).map_err(serde::de::Error::custom)
    }
}

#[cfg(test)]
mod tests {
    use proptest::prelude::*;

    use super::*;

    fn region(s: &str) -> RegionCode {
        RegionCode::parse(s).unwrap()
    }

    fn province(s: &str) -> ProvinceCode {
        ProvinceCode::parse(s).unwrap()
    }

    #[test]
    fn the_prefix_table_is_sorted_for_binary_search() {
        assert!(PROVINCE_PREFIXES.is_sorted());
    }

    #[test]
    fn province_is_the_first_two_digits_in_its_own_six_digit_form() {
        assert_eq!(region("110105").province(), province("110000"));
        assert_eq!(region("440305").province().region_code(), "440000");
        assert_eq!(region("440300").province().as_prefix(), "44");
        assert_eq!(region("310115").province().to_string(), "310000");
    }

    #[test]
    fn errors_name_what_is_wrong() {
        assert_eq!(RegionCode::parse(""), Err(RegionError::Empty));
        for bad in [
            "11010",
            "1101050",
            "11010X",
            "44O305",
            " 110105",
            "１１０１０５",
            "-11010",
        ] {
            assert_eq!(
                RegionCode::parse(bad),
                Err(RegionError::RegionForm(bad.to_owned())),
                "{bad:?}"
            );
        }
        assert_eq!(
            RegionCode::parse("990000"),
            Err(RegionError::UnknownProvince("99".into()))
        );
        assert_eq!(
            RegionCode::parse("990000").unwrap_err().to_string(),
            "99xxxx is not a province of the scheme"
        );
    }

    #[test]
    fn every_province_level_division_and_the_xpcc_is_known() {
        for prefix in PROVINCE_PREFIXES {
            let code = ProvinceCode::from_prefix(prefix).unwrap();
            assert_eq!(ProvinceCode::parse(&code.region_code()), Ok(code));
        }
        // Xinjiang and the Xinjiang Production and Construction Corps.
        assert!(RegionCode::parse("650102").is_ok());
        assert!(RegionCode::parse("660100").is_ok());
        for unknown in [
            "00", "10", "16", "30", "47", "55", "67", "70", "71", "81", "82", "83", "99",
        ] {
            assert_eq!(
                ProvinceCode::from_prefix(unknown),
                Err(RegionError::UnknownProvince(unknown.to_owned()))
            );
        }
    }

    #[test]
    fn province_codes_take_the_six_digit_form_or_an_explicit_prefix() {
        assert_eq!(province("310000").as_prefix(), "31");
        assert_eq!(ProvinceCode::from_prefix("31"), Ok(province("310000")));
        assert_eq!(ProvinceCode::parse(""), Err(RegionError::Empty));
        assert_eq!(ProvinceCode::from_prefix(""), Err(RegionError::Empty));
        // A district is not a province, and the two-digit form is not the wire form.
        for bad in ["310115", "31", "3", "310", "3a0000", "31000", "3100000"] {
            assert_eq!(
                ProvinceCode::parse(bad),
                Err(RegionError::ProvinceForm(bad.to_owned())),
                "{bad:?}"
            );
        }
        for bad in ["3", "310", "3a", "310000"] {
            assert_eq!(
                ProvinceCode::from_prefix(bad),
                Err(RegionError::ProvinceForm(bad.to_owned())),
                "{bad:?}"
            );
        }
        assert_eq!(
            ProvinceCode::parse("990000"),
            Err(RegionError::UnknownProvince("99".into()))
        );
    }

    #[test]
    fn provinces_order_by_code() {
        assert!(province("110000") < province("310000"));
        assert!(province("650000") < province("660000"));
    }

    #[test]
    fn lookup_goes_from_district_to_prefecture_to_province() {
        let chain = |s: &str| -> Vec<String> {
            region(s)
                .lookup_chain()
                .into_iter()
                .map(String::from)
                .collect()
        };
        assert_eq!(chain("440305"), ["440305", "440300", "440000"]);
        assert_eq!(chain("440300"), ["440300", "440000"]);
        assert_eq!(chain("440000"), ["440000"]);
    }

    #[test]
    fn serde_uses_the_six_digit_forms_and_rejects_bad_codes() {
        let json = serde_json::to_string(&region("310115")).unwrap();
        assert_eq!(json, "\"310115\"");
        assert_eq!(
            serde_json::from_str::<RegionCode>(&json).unwrap(),
            region("310115")
        );
        assert!(serde_json::from_str::<RegionCode>("\"31011\"").is_err());
        assert!(serde_json::from_str::<RegionCode>("\"990000\"").is_err());

        let json = serde_json::to_string(&province("310000")).unwrap();
        assert_eq!(json, "\"310000\"");
        assert_eq!(
            serde_json::from_str::<ProvinceCode>(&json).unwrap(),
            province("310000")
        );
        assert!(serde_json::from_str::<ProvinceCode>("\"31\"").is_err());
        assert!(serde_json::from_str::<ProvinceCode>("\"310115\"").is_err());
    }

    proptest! {
        #[test]
        fn six_digits_under_a_known_prefix_parse_and_print_back(
            prefix in prop::sample::select(PROVINCE_PREFIXES.to_vec()),
            rest in "[0-9]{4}",
        ) {
            let s = format!("{prefix}{rest}");
            let code = RegionCode::parse(&s).unwrap();
            prop_assert_eq!(code.to_string(), s.clone());
            prop_assert_eq!(code.province().as_prefix(), prefix);
            let chain = code.lookup_chain();
            prop_assert_eq!(chain.last().map(ToString::to_string), Some(code.province().region_code()));
            prop_assert_eq!(s.parse::<RegionCode>(), Ok(code));
        }

        #[test]
        fn anything_else_is_refused_without_panicking(s in "\\PC{0,8}") {
            let ok = RegionCode::parse(&s).is_ok();
            let well_formed = all_ascii_digits(&s, 6) && PROVINCE_PREFIXES.contains(&&s[..2]);
            prop_assert_eq!(ok, well_formed);
            let _ = ProvinceCode::parse(&s);
            let _ = ProvinceCode::from_prefix(&s);
        }
    }
}
