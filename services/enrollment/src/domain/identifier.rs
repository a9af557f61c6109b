//! Platform-chosen identifiers must not carry personal data: an external worker id travels in
//! clear through orders, incidents, events and three services, so a value shaped like a
//! resident ID number or a mobile number is refused.

/// Why an external id is refused, if it is.
pub fn personal_data_shape(value: &str) -> Option<&'static str> {
    let digits: String = value
        .chars()
        .filter(|c| !matches!(c, '-' | ' ' | '+'))
        .collect();
    let bytes = digits.as_bytes();
    let all_digits = |b: &[u8]| b.iter().all(u8::is_ascii_digit);
    let resident_id = |b: &[u8]| {
        (b.len() == 18
            && all_digits(&b[..17])
            && (b[17].is_ascii_digit() || b[17] == b'X' || b[17] == b'x'))
            || (b.len() == 15 && all_digits(b))
    };
    let mobile = |b: &[u8]| {
        let b = b
            .strip_prefix(b"86")
            .filter(|rest| rest.len() == 11)
            .unwrap_or(b);
        b.len() == 11 && b[0] == b'1' && (b'3'..=b'9').contains(&b[1]) && all_digits(b)
    };
    if resident_id(bytes) || bytes.windows(18).any(resident_id) {
        Some("must not be shaped like a resident ID number")
    } else if mobile(bytes) || bytes.windows(11).any(mobile) {
        Some("must not be shaped like a mobile number")
    } else {
        None
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_and_mobiles_are_refused_ordinary_ids_pass() {
        for bad in [
            "11010519491231002X",
            "110105194912310021",
            "110105491231002",
            "rider-11010519491231002x",
            "13800138000",
            "+86 138-0013-8000",
            "u13912345678",
        ] {
            assert!(personal_data_shape(bad).is_some(), "{bad}");
        }
        for good in [
            "r-000123",
            "MT-2026-000001",
            "1234567890",
            "driver_42",
            "12800138000",
        ] {
            assert_eq!(personal_data_shape(good), None, "{good}");
        }
    }
}
