//! Free text that may hold health data: descriptions, amendment reasons, late-filing
//! explanations, withdrawal reasons.
//!
//! [`SensitiveText`] has no `Display` and its `Debug` shows only the length, so a `?value` in a
//! log line or an error message cannot leak the words; reading them takes an explicit
//! [`SensitiveText::expose`].

use std::fmt;

#[derive(Clone, Default, PartialEq, Eq)]
pub struct SensitiveText(String);

impl SensitiveText {
    pub fn new(text: impl Into<String>) -> Self {
        Self(text.into())
    }

    /// The words themselves: for storage and for the API answer, never for logs or events.
    pub fn expose(&self) -> &str {
        &self.0
    }

    pub fn into_inner(self) -> String {
        self.0
    }

    pub fn is_empty(&self) -> bool {
        self.0.is_empty()
    }
}

impl fmt::Debug for SensitiveText {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "SensitiveText({} chars)", self.0.chars().count())
    }
}

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum TextError {
    #[error("is required")]
    Required,
    #[error("is {0} characters long; at most {1} are accepted")]
    TooLong(usize, usize),
    #[error("must not contain control characters other than line breaks and tabs")]
    ControlCharacter,
}

/// Trims `raw` and checks it: present when `required`, at most `max_chars` characters (not
/// bytes: Chinese text is three bytes a character in UTF-8), no control characters but line
/// breaks and tabs.
pub fn free_text(raw: &str, max_chars: usize, required: bool) -> Result<SensitiveText, TextError> {
    let text = raw.trim();
    if text.is_empty() {
        return if required {
            Err(TextError::Required)
        } else {
            Ok(SensitiveText::default())
        };
    }
    let chars = text.chars().count();
    if chars > max_chars {
        return Err(TextError::TooLong(chars, max_chars));
    }
    if text
        .chars()
        .any(|c| c.is_control() && !matches!(c, '\n' | '\r' | '\t'))
    {
        return Err(TextError::ControlCharacter);
    }
    Ok(SensitiveText::new(text))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn debug_never_shows_the_words() {
        let text = SensitiveText::new("左腿骨折，住院");
        let shown = format!("{text:?} {:?}", Some(&text));
        assert!(!shown.contains("骨折"), "{shown}");
        assert!(shown.contains("7 chars"));
    }

    #[test]
    fn length_counts_characters_not_bytes() {
        let at_limit = "伤".repeat(10);
        assert_eq!(free_text(&at_limit, 10, true).unwrap().expose(), at_limit);
        assert_eq!(
            free_text(&"伤".repeat(11), 10, true),
            Err(TextError::TooLong(11, 10))
        );
    }

    #[test]
    fn blank_is_missing_and_whitespace_is_trimmed() {
        assert_eq!(free_text("  \n ", 10, true), Err(TextError::Required));
        assert_eq!(free_text("  ", 10, false), Ok(SensitiveText::default()));
        assert_eq!(free_text(" 摔倒 ", 10, true).unwrap().expose(), "摔倒");
    }

    #[test]
    fn control_characters_are_refused_but_line_breaks_kept() {
        assert_eq!(
            free_text("a\u{0}b", 10, true),
            Err(TextError::ControlCharacter)
        );
        assert_eq!(
            free_text("第一行\n第二行\t完", 20, true).unwrap().expose(),
            "第一行\n第二行\t完"
        );
    }
}
