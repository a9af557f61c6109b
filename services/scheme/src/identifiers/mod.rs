//! The identifiers of the scheme's parties, with their check characters: resident identity
//! numbers (GB 11643-1999) and unified social credit codes (GB 32100-2015). Enrollment parses
//! them; the load generators make valid ones.

pub mod credit_code;
pub mod resident_id;

/// Keeps the first `keep_start` and last `keep_end` characters and stars the rest:
/// `mask("11010519491231002X", 6, 4)` is `110105********002X`.
pub fn mask(value: &str, keep_start: usize, keep_end: usize) -> String {
    let chars: Vec<char> = value.chars().collect();
    if chars.len() <= keep_start + keep_end {
        return "*".repeat(chars.len());
    }
    let mut out = String::with_capacity(value.len());
    out.extend(&chars[..keep_start]);
    out.extend(std::iter::repeat_n(
        '*',
        chars.len() - keep_start - keep_end,
    ));
    out.extend(&chars[chars.len() - keep_end..]);
    out
}
