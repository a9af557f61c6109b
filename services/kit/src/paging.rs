//! List paging: `page_size` with a default and a ceiling, and opaque `page_token`s that carry
//! a keyset cursor (the last key of the previous page), so a page is stable under inserts.

use base64::Engine;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use gigshield_proto::common::{PageRequest, PageResponse};
use uuid::Uuid;

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

/// One requested page of a list keyed by UUIDv7 ids (time-ordered, so the keyset is stable
/// under inserts).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PageQuery {
    pub size: u64,
    /// The last id of the previous page.
    pub after: Option<Uuid>,
}

impl PageQuery {
    pub fn from_request(page: Option<&PageRequest>) -> Result<Self, ApiError> {
        let page = page.cloned().unwrap_or_default();
        let after = decode_token(&page.page_token)?
            .map(|c| {
                Uuid::parse_str(&c)
                    .map_err(|_| ApiError::invalid("page.page_token", "is not valid"))
            })
            .transpose()?;
        Ok(Self {
            size: page_size(page.page_size)?,
            after,
        })
    }

    /// Rows to fetch: one more than the page, to learn whether another page follows.
    pub fn fetch(&self) -> u64 {
        self.size + 1
    }

    /// Cuts the fetched rows to the page; the response names the next page, if any.
    pub fn finish<T>(&self, rows: &mut Vec<T>, id: impl Fn(&T) -> Uuid) -> PageResponse {
        let next_page_token = if rows.len() as u64 > self.size {
            rows.truncate(self.size as usize);
            rows.last()
                .map(|r| encode_token(&id(r).to_string()))
                .unwrap_or_default()
        } else {
            String::new()
        };
        PageResponse { next_page_token }
    }
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
    fn a_page_query_walks_a_list() {
        let ids: Vec<Uuid> = (0..5).map(|_| Uuid::now_v7()).collect();
        let first = PageQuery::from_request(Some(&PageRequest {
            page_size: 2,
            page_token: String::new(),
        }))
        .unwrap();
        let mut rows: Vec<Uuid> = ids.iter().copied().take(first.fetch() as usize).collect();
        let page = first.finish(&mut rows, |r| *r);
        assert_eq!(rows, ids[..2]);
        let second = PageQuery::from_request(Some(&PageRequest {
            page_size: 2,
            page_token: page.next_page_token,
        }))
        .unwrap();
        assert_eq!(second.after, Some(ids[1]));
        let mut last: Vec<Uuid> = ids[4..].to_vec();
        assert!(
            second.finish(&mut last, |r| *r).next_page_token.is_empty(),
            "no page after a short one"
        );
        assert!(
            PageQuery::from_request(Some(&PageRequest {
                page_size: 1,
                page_token: encode_token("x")
            }))
            .is_err()
        );
    }

    #[test]
    fn sizes() {
        assert_eq!(page_size(0).unwrap(), DEFAULT_PAGE_SIZE);
        assert_eq!(page_size(10_000).unwrap(), MAX_PAGE_SIZE);
        assert_eq!(page_size(7).unwrap(), 7);
        assert!(page_size(-1).is_err());
    }
}
