//! List paging: `page_size` with a default and a ceiling, and opaque `page_token`s that carry
//! a keyset cursor (the last key of the previous page), so a page is stable under inserts.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;

use crate::error::ApiError;

pub const DEFAULT_PAGE_SIZE: u64 = 50;
pub const MAX_PAGE_SIZE: u64 = 500;
const VERSION: &str = "v1:";

/// 0 means the default; larger than the ceiling is clamped; negative is refused.
pub fn page_size(requested: i32) -> Result<u64, ApiError> {
    match requested {
        n if n < 0 => Err(ApiError::invalid("page.page_size", "must not be negative")),
        0 => Ok(DEFAULT_PAGE_SIZE),
        n => Ok((n as u64).min(MAX_PAGE_SIZE)),
    }
}

pub fn encode_token(cursor: &str) -> String {
    URL_SAFE_NO_PAD.encode(format!("{VERSION}{cursor}"))
}

/// The cursor inside a token; `None` for the first page.
pub fn decode_token(token: &str) -> Result<Option<String>, ApiError> {
    if token.is_empty() {
        return Ok(None);
    }
    let bad = || ApiError::invalid("page.page_token", "is not a token this service issued");
    let bytes = URL_SAFE_NO_PAD.decode(token).map_err(|_| bad())?;
    let text = String::from_utf8(bytes).map_err(|_| bad())?;
    text.strip_prefix(VERSION)
        .map(|c| Some(c.to_string()))
        .ok_or_else(bad)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tokens_round_trip_and_reject_garbage() {
        let token = encode_token("0193a1b2-0000-7000-8000-000000000001");
        assert_eq!(
            decode_token(&token).unwrap().as_deref(),
            Some("0193a1b2-0000-7000-8000-000000000001")
        );
        assert_eq!(decode_token("").unwrap(), None);
        assert!(decode_token("!!!").is_err());
        assert!(decode_token(&URL_SAFE_NO_PAD.encode("v9:x")).is_err());
    }

    #[test]
    fn sizes() {
        assert_eq!(page_size(0).unwrap(), DEFAULT_PAGE_SIZE);
        assert_eq!(page_size(10_000).unwrap(), MAX_PAGE_SIZE);
        assert_eq!(page_size(7).unwrap(), 7);
        assert!(page_size(-1).is_err());
    }
}
