//! Names, mobile numbers and platform contacts.

#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum ContactError {
    #[error("is required")]
    Empty,
    #[error("must be an 11-digit mainland mobile number starting with 13 to 19, got {0} digits")]
    MobileDigits(usize),
    #[error("must be an 11-digit mainland mobile number starting with 13 to 19")]
    MobileFormat,
    #[error("must not be longer than {0} characters")]
    TooLong(usize),
    #[error("must not contain control characters, invisible formatting characters or digits")]
    NameCharacters,
    #[error("must be a phone number of 5 to 20 digits, spaces, + or -")]
    Phone,
    #[error("must be an email address")]
    Email,
}

pub const MAX_NAME_CHARS: usize = 50;
/// RFC 5321's limit for a forward path.
pub const MAX_EMAIL_CHARS: usize = 254;
/// Digits, spaces, `+` and `-` of a phone number, all told.
pub const MAX_PHONE_CHARS: usize = 32;

/// Characters that change how text is shown without being seen: bidirectional overrides and
/// isolates (a name could display reversed), zero-width joiners and spaces, the byte-order mark.
fn invisible(c: char) -> bool {
    matches!(c,
        '\u{200B}'..='\u{200F}'
        | '\u{202A}'..='\u{202E}'
        | '\u{2060}'..='\u{2069}'
        | '\u{FEFF}'
        | '\u{061C}'
        | '\u{180E}')
}

/// A real name as on the identity card. Names may contain `·` (e.g. 阿卜杜·热合曼).
pub fn real_name(input: &str) -> Result<String, ContactError> {
    let name = input.trim();
    if name.is_empty() {
        return Err(ContactError::Empty);
    }
    if name.chars().count() > MAX_NAME_CHARS {
        return Err(ContactError::TooLong(MAX_NAME_CHARS));
    }
    if name
        .chars()
        .any(|c| c.is_control() || c.is_ascii_digit() || invisible(c))
    {
        return Err(ContactError::NameCharacters);
    }
    Ok(name.to_string())
}

pub fn mobile(input: &str) -> Result<String, ContactError> {
    if input.is_empty() {
        return Err(ContactError::Empty);
    }
    if !input.bytes().all(|b| b.is_ascii_digit()) {
        return Err(ContactError::MobileFormat);
    }
    if input.len() != 11 {
        return Err(ContactError::MobileDigits(input.len()));
    }
    if !(b'3'..=b'9').contains(&input.as_bytes()[1]) || input.as_bytes()[0] != b'1' {
        return Err(ContactError::MobileFormat);
    }
    Ok(input.to_string())
}

/// `138****5678`.
pub fn mask_mobile(mobile: &str) -> String {
    gigshield_kit::pii::mask(mobile, 3, 4)
}

pub fn phone(input: &str) -> Result<String, ContactError> {
    let p = input.trim();
    let digits = p.bytes().filter(u8::is_ascii_digit).count();
    if p.is_empty() {
        return Err(ContactError::Empty);
    }
    if p.chars().count() > MAX_PHONE_CHARS {
        return Err(ContactError::TooLong(MAX_PHONE_CHARS));
    }
    if !(5..=20).contains(&digits) || !p.bytes().all(|b| b.is_ascii_digit() || b" +-".contains(&b))
    {
        return Err(ContactError::Phone);
    }
    Ok(p.to_string())
}

pub fn email(input: &str) -> Result<Option<String>, ContactError> {
    let e = input.trim();
    if e.is_empty() {
        return Ok(None);
    }
    if e.chars().count() > MAX_EMAIL_CHARS {
        return Err(ContactError::TooLong(MAX_EMAIL_CHARS));
    }
    if e.chars().any(|c| c.is_control() || invisible(c)) {
        return Err(ContactError::Email);
    }
    match e.split_once('@') {
        Some((local, domain))
            if !local.is_empty() && domain.contains('.') && !e.contains(char::is_whitespace) =>
        {
            Ok(Some(e.to_string()))
        }
        _ => Err(ContactError::Email),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn mobiles() {
        assert_eq!(mobile("13812345678").unwrap(), "13812345678");
        assert_eq!(mobile("1381234567"), Err(ContactError::MobileDigits(10)));
        assert_eq!(mobile("12812345678"), Err(ContactError::MobileFormat));
        assert_eq!(mobile("1381234567a"), Err(ContactError::MobileFormat));
        assert_eq!(mobile(""), Err(ContactError::Empty));
        assert_eq!(mask_mobile("13812345678"), "138****5678");
    }

    #[test]
    fn names() {
        assert_eq!(real_name(" 张三 ").unwrap(), "张三");
        assert_eq!(real_name("阿卜杜·热合曼").unwrap(), "阿卜杜·热合曼");
        assert_eq!(real_name("  "), Err(ContactError::Empty));
        assert_eq!(real_name("张3"), Err(ContactError::NameCharacters));
        assert_eq!(real_name(&"张".repeat(51)), Err(ContactError::TooLong(50)));
        // A right-to-left override would display "张三" reversed; zero-width joiners hide.
        for hidden in ['\u{202E}', '\u{200D}', '\u{2067}', '\u{FEFF}'] {
            assert_eq!(
                real_name(&format!("张{hidden}三")),
                Err(ContactError::NameCharacters),
                "{hidden:?}"
            );
        }
    }

    #[test]
    fn platform_contacts() {
        assert!(phone("+86 10-8888 8888").is_ok());
        assert_eq!(phone("call me"), Err(ContactError::Phone));
        assert_eq!(email("").unwrap(), None);
        assert!(email("ops@example.cn").unwrap().is_some());
        assert_eq!(email("ops@"), Err(ContactError::Email));
    }

    #[test]
    fn contacts_are_bounded() {
        let long_local = format!("{}@example.com", "a".repeat(250));
        assert_eq!(
            email(&long_local),
            Err(ContactError::TooLong(MAX_EMAIL_CHARS))
        );
        assert!(email("ops@example.com").unwrap().is_some());
        assert_eq!(email("ops\u{202E}@example.com"), Err(ContactError::Email));
        let spaced = format!("010{}12345678", " ".repeat(100));
        assert_eq!(phone(&spaced), Err(ContactError::TooLong(MAX_PHONE_CHARS)));
        assert_eq!(phone("+86 10-1234 5678").unwrap(), "+86 10-1234 5678");
    }
}
