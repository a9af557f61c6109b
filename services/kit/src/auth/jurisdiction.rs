//! The area an agency answers for. Social-insurance agencies are provincial or municipal, and
//! the scheme's central operator is national; an operator's, an agency adjuster's or a
//! regulator's token says which, and nothing grants national reach by default.

use std::fmt;

/// `National`, or an area named by the significant digits of its GB/T 2260 code: two for a
/// province (`44`, Guangdong), four for a city (`4403`, Shenzhen).
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum Jurisdiction {
    National,
    Area(String),
}

impl Jurisdiction {
    /// Parses a token's `region` claim: `national`, a 6-digit province or city code
    /// (`440000`, `440300`) or its significant digits (`44`, `4403`). Districts are refused:
    /// no agency of the scheme answers for one.
    pub fn parse(value: &str) -> Result<Self, String> {
        let value = value.trim();
        if value.eq_ignore_ascii_case("national") {
            return Ok(Self::National);
        }
        if !value.bytes().all(|b| b.is_ascii_digit()) {
            return Err(format!(
                "region {value:?} is neither `national` nor a region code"
            ));
        }
        let significant = match value.len() {
            2 | 4 => value,
            6 if value.ends_with("0000") => &value[..2],
            6 if value.ends_with("00") => &value[..4],
            _ => {
                return Err(format!(
                    "region {value:?} must name a province (440000) or a city (440300)"
                ));
            }
        };
        if significant.starts_with('0') || significant.ends_with("00") {
            return Err(format!("region {value:?} is not a province or city code"));
        }
        Ok(Self::Area(significant.to_string()))
    }

    /// Whether a record placed at `region_code` (6 digits) concerns this area: the place lies
    /// inside it, or the place is a whole province (`XX0000`, e.g. a platform's scope) that
    /// contains it.
    pub fn covers(&self, region_code: &str) -> bool {
        match self {
            Self::National => true,
            Self::Area(prefix) if region_code.len() == 6 => {
                region_code.starts_with(prefix.as_str())
                    || (region_code.ends_with("0000") && prefix.starts_with(&region_code[..2]))
            }
            Self::Area(_) => false,
        }
    }

    /// Whether the whole place `region_code` (6 digits) lies inside: what an operator may act
    /// for, as opposed to see.
    pub fn contains_region(&self, region_code: &str) -> bool {
        match Self::parse(region_code) {
            Ok(area) => self.contains(&area),
            // A district code: inside when its city or province is.
            Err(_) => match self {
                Self::National => true,
                Self::Area(prefix) => {
                    region_code.len() == 6 && region_code.starts_with(prefix.as_str())
                }
            },
        }
    }

    /// A SQL `LIKE` pattern for region codes inside, and the province code whose records
    /// concern the area (see [`covers`](Self::covers)); `None` for national.
    pub fn sql_patterns(&self) -> Option<(String, String)> {
        match self {
            Self::National => None,
            Self::Area(prefix) => Some((format!("{prefix}%"), format!("{}0000", &prefix[..2]))),
        }
    }

    /// Whether every place of `other` lies inside this jurisdiction.
    pub fn contains(&self, other: &Jurisdiction) -> bool {
        match (self, other) {
            (Self::National, _) => true,
            (Self::Area(_), Self::National) => false,
            (Self::Area(mine), Self::Area(theirs)) => theirs.starts_with(mine.as_str()),
        }
    }

    pub fn is_national(&self) -> bool {
        matches!(self, Self::National)
    }

    /// The `region` claim value: `national` or the 6-digit code.
    pub fn claim(&self) -> String {
        match self {
            Self::National => "national".into(),
            Self::Area(prefix) => format!("{prefix:0<6}"),
        }
    }
}

impl fmt::Display for Jurisdiction {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.claim())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn provinces_and_cities_parse_districts_do_not() {
        assert_eq!(Jurisdiction::parse("national"), Ok(Jurisdiction::National));
        assert_eq!(
            Jurisdiction::parse("440000"),
            Ok(Jurisdiction::Area("44".into()))
        );
        assert_eq!(
            Jurisdiction::parse("440300"),
            Ok(Jurisdiction::Area("4403".into()))
        );
        assert_eq!(
            Jurisdiction::parse("4403"),
            Ok(Jurisdiction::Area("4403".into()))
        );
        for bad in ["440305", "", "4", "abc", "000000", "4400"] {
            assert!(Jurisdiction::parse(bad).is_err(), "{bad}");
        }
        assert_eq!(Jurisdiction::Area("4403".into()).claim(), "440300");
    }

    #[test]
    fn coverage_follows_the_code_prefix() {
        let shenzhen = Jurisdiction::parse("440300").unwrap();
        let guangdong = Jurisdiction::parse("440000").unwrap();
        assert!(shenzhen.covers("440305"));
        assert!(!shenzhen.covers("440105"));
        assert!(guangdong.covers("440105"));
        assert!(!guangdong.covers("110105"));
        assert!(!guangdong.covers("44"));
        assert!(Jurisdiction::National.covers("650000"));
        // A province-wide record concerns the cities inside, but they do not contain it.
        assert!(shenzhen.covers("440000"));
        assert!(!shenzhen.contains_region("440000"));
        assert!(guangdong.contains_region("440000"));
        assert!(shenzhen.contains_region("440305"));
        assert!(!shenzhen.covers("110000"));
        assert!(guangdong.contains(&shenzhen));
        assert!(!shenzhen.contains(&guangdong));
        assert!(!guangdong.contains(&Jurisdiction::National));
    }
}
