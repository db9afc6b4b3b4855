//! Field checks shared by every record: required text, length limits, dates in a sensible range, and
//! the formats of Chinese phone and resident ID numbers. Each check appends a [`FieldError`] with a
//! code the UI translates; none of them panics or stops at the first problem, so a form can show every
//! mistake at once.

use crate::error::{ErrorCode, FieldError};
use chrono::{DateTime, Datelike, NaiveDate, Utc};
use regex::Regex;
use std::sync::LazyLock;

/// Limits in characters (not bytes: a Chinese character counts as one).
pub const NAME_MAX: u32 = 50;
pub const ADDRESS_MAX: u32 = 200;
pub const SHORT_TEXT_MAX: u32 = 200;
pub const NOTES_MAX: u32 = 10_000;

pub struct Checks {
    pub errors: Vec<FieldError>,
}

impl Checks {
    pub fn new() -> Self {
        Self { errors: Vec::new() }
    }

    pub fn required(&mut self, field: &str, value: &str) {
        if value.trim().is_empty() {
            self.errors
                .push(FieldError::new(field, ErrorCode::Required));
        }
    }

    pub fn max_len(&mut self, field: &str, value: &str, limit: u32) {
        if value.chars().count() > limit as usize {
            self.errors.push(FieldError::too_long(field, limit));
        }
    }

    /// A date of something that has happened: not after `today`, not before 1900.
    pub fn past_date(&mut self, field: &str, date: NaiveDate, today: NaiveDate) {
        if date > today {
            self.errors
                .push(FieldError::new(field, ErrorCode::DateInFuture));
        } else if date.year() < 1900 {
            self.errors
                .push(FieldError::new(field, ErrorCode::DateBefore1900));
        }
    }

    /// A moment that has happened, allowing a day of slack for a laptop clock in another time zone.
    pub fn past_time(&mut self, field: &str, at: DateTime<Utc>, today: NaiveDate) {
        self.past_date(field, at.date_naive(), today.succ_opt().unwrap_or(today));
    }

    /// A date something is due: not before 1900 (and not absurdly far ahead).
    pub fn due_date(&mut self, field: &str, date: NaiveDate) {
        if date.year() < 1900 || date.year() > 2200 {
            self.errors.push(FieldError::new(field, ErrorCode::BadDate));
        }
    }

    pub fn phone(&mut self, field: &str, value: &str) {
        if !value.trim().is_empty() && !is_valid_phone(value) {
            self.errors
                .push(FieldError::new(field, ErrorCode::BadPhone));
        }
    }

    pub fn id_number(&mut self, field: &str, value: &str) {
        if !value.trim().is_empty() && !is_valid_id_number(value) {
            self.errors
                .push(FieldError::new(field, ErrorCode::BadIdNumber));
        }
    }

    pub fn fail(&mut self, field: &str, code: ErrorCode) {
        self.errors.push(FieldError::new(field, code));
    }
}

impl Default for Checks {
    fn default() -> Self {
        Self::new()
    }
}

static MOBILE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^(\+?86)?1[3-9]\d{9}$").expect("valid regex"));
static LANDLINE: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"^0\d{2,3}\d{7,8}$").expect("valid regex"));

/// Mainland mobile numbers (11 digits from 13x to 19x, optionally +86) and landlines with area code.
/// Spaces and dashes people type between groups are ignored.
pub fn is_valid_phone(value: &str) -> bool {
    let digits: String = value
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '\u{3000}'))
        .collect();
    MOBILE.is_match(&digits) || LANDLINE.is_match(&digits)
}

/// A mainland resident ID number (GB 11643-1999): 17 digits, a birth date that exists, and the check
/// character (0-9 or X) computed from the weighted sum of the first 17.
pub fn is_valid_id_number(value: &str) -> bool {
    let v: Vec<char> = value.trim().to_uppercase().chars().collect();
    if v.len() != 18 || !v[..17].iter().all(|c| c.is_ascii_digit()) {
        return false;
    }
    let birth: String = v[6..14].iter().collect();
    if NaiveDate::parse_from_str(&birth, "%Y%m%d")
        .map(|d| d.year() < 1900)
        .unwrap_or(true)
    {
        return false;
    }
    let first17: String = v[..17].iter().collect();
    id_check_char(&first17) == v[17]
}

/// Computes the check character for 17 leading digits (used by the demo generator and tests).
pub fn id_check_char(first17: &str) -> char {
    const WEIGHTS: [u32; 17] = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
    const CHECK: [char; 11] = ['1', '0', 'X', '9', '8', '7', '6', '5', '4', '3', '2'];
    let sum: u32 = first17
        .chars()
        .zip(WEIGHTS)
        .map(|(c, w)| c.to_digit(10).unwrap_or(0) * w)
        .sum();
    CHECK[(sum % 11) as usize]
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn phones() {
        for ok in [
            "13800138000",
            "138 0013 8000",
            "+8613912345678",
            "010-12345678",
            "0755-1234567",
        ] {
            assert!(is_valid_phone(ok), "{ok}");
        }
        for bad in [
            "12345",
            "1380013800",
            "23800138000",
            "phone",
            "138001380001",
        ] {
            assert!(!is_valid_phone(bad), "{bad}");
        }
    }

    #[test]
    fn id_numbers_check_their_check_digit_and_birth_date() {
        let base = "11010519491231002";
        let good = format!("{base}{}", id_check_char(base));
        assert!(is_valid_id_number(&good));
        assert!(is_valid_id_number(&good.to_lowercase()));
        let wrong_check = format!(
            "{base}{}",
            if id_check_char(base) == '0' { '1' } else { '0' }
        );
        assert!(!is_valid_id_number(&wrong_check));
        let bad_date = "11010519491331002";
        assert!(!is_valid_id_number(&format!(
            "{bad_date}{}",
            id_check_char(bad_date)
        )));
        assert!(!is_valid_id_number("1234"));
    }

    #[test]
    fn lengths_count_characters_not_bytes() {
        let mut c = Checks::new();
        c.max_len("name", &"张".repeat(50), NAME_MAX);
        assert!(c.errors.is_empty());
        c.max_len("name", &"张".repeat(51), NAME_MAX);
        assert_eq!(c.errors[0].code, ErrorCode::TooLong);
    }
}
