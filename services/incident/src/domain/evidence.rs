//! Evidence metadata: where a file is, its SHA-256, its media type and size. The files
//! themselves (photos, medical records, police reports) stay in the reporter's storage; this
//! service keeps what is needed to fetch and verify them.

use gigshield_kit::error::FieldViolation;

pub const MAX_URI_LEN: usize = 2048;
pub const MAX_MEDIA_TYPE_LEN: usize = 255;

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EvidenceRules {
    /// Lower-case URI schemes accepted (default `https`, `s3`).
    pub allowed_schemes: Vec<String>,
    /// The most pieces one incident may carry; also the longest list one request may send.
    pub max_per_incident: usize,
    /// The largest file size accepted, in bytes.
    pub max_size_bytes: i64,
}

/// One item as sent.
#[derive(Debug, Clone, Copy)]
pub struct EvidenceInput<'a> {
    pub uri: &'a str,
    pub sha256: &'a str,
    pub media_type: &'a str,
    pub size_bytes: i64,
}

#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ValidEvidence {
    pub uri: String,
    /// Lower-case hex.
    pub sha256: String,
    /// Lower-case `type/subtype`.
    pub media_type: String,
    pub size_bytes: i64,
}

/// Checks a list of items; field names are `items[i].<field>`.
pub fn validate(
    items: &[EvidenceInput<'_>],
    rules: &EvidenceRules,
) -> Result<Vec<ValidEvidence>, Vec<FieldViolation>> {
    let violation = |field: String, description: String| FieldViolation { field, description };
    if items.is_empty() {
        return Err(vec![violation(
            "items".into(),
            "at least one item is required".into(),
        )]);
    }
    if items.len() > rules.max_per_incident {
        return Err(vec![violation(
            "items".into(),
            format!(
                "{} items sent; an incident carries at most {}",
                items.len(),
                rules.max_per_incident
            ),
        )]);
    }
    let mut violations = Vec::new();
    let mut valid: Vec<ValidEvidence> = Vec::with_capacity(items.len());
    for (i, item) in items.iter().enumerate() {
        let field = |name: &str| format!("items[{i}].{name}");
        let uri = check_uri(item.uri, &rules.allowed_schemes)
            .map_err(|e| violations.push(violation(field("uri"), e)))
            .ok();
        let sha256 = check_sha256(item.sha256)
            .map_err(|e| violations.push(violation(field("sha256"), e)))
            .ok();
        if let Some(sha) = &sha256
            && let Some(j) = valid.iter().position(|v| &v.sha256 == sha)
        {
            violations.push(violation(field("sha256"), format!("repeats items[{j}]")));
        }
        let media_type = check_media_type(item.media_type)
            .map_err(|e| violations.push(violation(field("media_type"), e)))
            .ok();
        if item.size_bytes <= 0 {
            violations.push(violation(field("size_bytes"), "must be positive".into()));
        } else if item.size_bytes > rules.max_size_bytes {
            violations.push(violation(
                field("size_bytes"),
                format!("must not exceed {} bytes", rules.max_size_bytes),
            ));
        }
        if let (Some(uri), Some(sha256), Some(media_type)) = (uri, sha256, media_type) {
            valid.push(ValidEvidence {
                uri,
                sha256,
                media_type,
                size_bytes: item.size_bytes,
            });
        }
    }
    if violations.is_empty() {
        Ok(valid)
    } else {
        Err(violations)
    }
}

/// Whether `adding` more pieces fit beside `present` ones.
pub fn check_capacity(present: usize, adding: usize, rules: &EvidenceRules) -> Result<(), String> {
    if present + adding > rules.max_per_incident {
        Err(format!(
            "items: the incident has {present} pieces of evidence; {adding} more would exceed the limit of {}",
            rules.max_per_incident
        ))
    } else {
        Ok(())
    }
}

/// `scheme://authority/...` with an allowed scheme, a host, no user info (a password in a URI
/// would end up stored and shown to every reader) and no whitespace or control characters.
fn check_uri(uri: &str, allowed: &[String]) -> Result<String, String> {
    if uri.is_empty() {
        return Err("is required".into());
    }
    if uri.len() > MAX_URI_LEN {
        return Err(format!("must not be longer than {MAX_URI_LEN} bytes"));
    }
    if uri.chars().any(|c| c.is_whitespace() || c.is_control()) {
        return Err("must not contain spaces or control characters".into());
    }
    let (scheme, rest) = uri
        .split_once("://")
        .ok_or_else(|| "must be an absolute URI, scheme://host/path".to_string())?;
    let scheme_ok = scheme
        .chars()
        .next()
        .is_some_and(|c| c.is_ascii_alphabetic())
        && scheme
            .chars()
            .all(|c| c.is_ascii_alphanumeric() || matches!(c, '+' | '-' | '.'));
    let scheme = scheme.to_ascii_lowercase();
    if !scheme_ok || !allowed.contains(&scheme) {
        return Err(format!(
            "scheme {scheme:?} is not accepted; use one of {}",
            allowed.join(", ")
        ));
    }
    let authority = rest.split(['/', '?', '#']).next().unwrap_or_default();
    if authority.is_empty() {
        return Err("must name a host (or bucket) after the scheme".into());
    }
    if authority.contains('@') {
        return Err("must not carry user information (credentials) before the host".into());
    }
    Ok(uri.to_string())
}

fn check_sha256(value: &str) -> Result<String, String> {
    if value.len() == 64 && value.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(value.to_ascii_lowercase())
    } else {
        Err("must be the SHA-256 of the file as 64 hex digits".into())
    }
}

/// RFC 6838 `type/subtype`, without parameters.
fn check_media_type(value: &str) -> Result<String, String> {
    let restricted = |part: &str| {
        !part.is_empty()
            && part.len() <= 127
            && part
                .chars()
                .next()
                .is_some_and(|c| c.is_ascii_alphanumeric())
            && part.chars().all(|c| {
                c.is_ascii_alphanumeric()
                    || matches!(c, '!' | '#' | '$' | '&' | '-' | '^' | '_' | '.' | '+')
            })
    };
    match value.split_once('/') {
        Some((kind, sub))
            if value.len() <= MAX_MEDIA_TYPE_LEN && restricted(kind) && restricted(sub) =>
        {
            Ok(value.to_ascii_lowercase())
        }
        _ => Err("must be a media type such as image/jpeg or application/pdf".into()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    const SHA: &str = "9f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08";

    fn rules() -> EvidenceRules {
        EvidenceRules {
            allowed_schemes: vec!["https".into(), "s3".into()],
            max_per_incident: 3,
            max_size_bytes: 1_000_000,
        }
    }

    fn item(uri: &str) -> EvidenceInput<'_> {
        EvidenceInput {
            uri,
            sha256: SHA,
            media_type: "image/jpeg",
            size_bytes: 1234,
        }
    }

    fn fields(items: &[EvidenceInput<'_>]) -> Vec<String> {
        validate(items, &rules())
            .unwrap_err()
            .into_iter()
            .map(|v| v.field)
            .collect()
    }

    #[test]
    fn good_items_pass_and_are_normalised() {
        let upper = SHA.to_ascii_uppercase();
        let valid = validate(
            &[EvidenceInput {
                sha256: &upper,
                media_type: "Image/JPEG",
                ..item("https://files.example.cn/a.jpg")
            }],
            &rules(),
        )
        .unwrap();
        assert_eq!(valid[0].sha256, SHA);
        assert_eq!(valid[0].media_type, "image/jpeg");
        assert!(validate(&[item("S3://bucket/key/x.pdf")], &rules()).is_ok());
    }

    #[test]
    fn only_configured_schemes_with_a_host_and_no_credentials() {
        for bad in [
            "http://files.example.cn/a.jpg",
            "ftp://h/a",
            "file:///etc/passwd",
            "https:///no-host",
            "https://user:pw@files.example.cn/a.jpg",
            "files.example.cn/a.jpg",
            "https://files.example.cn/a b.jpg",
            "",
        ] {
            assert_eq!(fields(&[item(bad)]), ["items[0].uri"], "{bad:?}");
        }
        let long = format!("https://h/{}", "a".repeat(MAX_URI_LEN));
        assert_eq!(fields(&[item(&long)]), ["items[0].uri"]);
    }

    #[test]
    fn sha256_media_type_and_size_are_checked() {
        let bad = [
            EvidenceInput {
                sha256: "abc",
                ..item("https://h/1")
            },
            EvidenceInput {
                media_type: "jpeg",
                ..item("https://h/2")
            },
            EvidenceInput {
                size_bytes: 0,
                sha256: "1f86d081884c7d659a2feaa0c55ad015a3bf4f1b2b0b822cd15d6c15b0f00a08",
                ..item("https://h/3")
            },
        ];
        assert_eq!(
            fields(&bad),
            [
                "items[0].sha256",
                "items[1].media_type",
                "items[2].size_bytes"
            ]
        );
        let huge = EvidenceInput {
            size_bytes: 1_000_001,
            ..item("https://h/1")
        };
        assert_eq!(fields(&[huge]), ["items[0].size_bytes"]);
    }

    #[test]
    fn the_same_file_twice_in_one_request_is_refused() {
        assert_eq!(
            fields(&[item("https://h/1"), item("https://h/2")]),
            ["items[1].sha256"]
        );
    }

    #[test]
    fn lists_are_bounded() {
        assert_eq!(fields(&[]), ["items"]);
        let four = [
            item("https://h/1"),
            item("https://h/2"),
            item("https://h/3"),
            item("https://h/4"),
        ];
        assert_eq!(fields(&four), ["items"]);
        assert!(check_capacity(2, 1, &rules()).is_ok());
        assert!(
            check_capacity(2, 2, &rules())
                .unwrap_err()
                .contains("limit of 3")
        );
    }
}
