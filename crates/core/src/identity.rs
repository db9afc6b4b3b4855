//! When two resident records are probably one person. The same person registered on two laptops
//! differs by full-width and half-width characters, a lower-case `x` at the end of the ID number,
//! spaces, the dot in a transliterated name (· • ・) and a `+86` before the phone. The keys below
//! erase those differences; the station compares them to find duplicate candidates.

use unicode_normalization::UnicodeNormalization;

/// The comparable form of an ID number, or `None` if there is none.
pub fn id_number_key(id_number: &str) -> Option<String> {
    let key: String = id_number
        .nfkc()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_uppercase();
    (!key.is_empty()).then_some(key)
}

/// The comparable form of name + birth date + phone, or `None` unless all three are known: any two
/// alone are too common to call two records one person.
pub fn person_key(name: &str, birth_date: &str, phone: &str) -> Option<String> {
    let name: String = name
        .nfkc()
        .filter(|c| !c.is_whitespace())
        .map(|c| match c {
            '•' | '・' | '‧' | '∙' => '·',
            c => c,
        })
        .collect::<String>()
        .to_lowercase();
    let digits: String = phone.nfkc().filter(char::is_ascii_digit).collect();
    // A mobile number written with the country code is the same number.
    let phone = match digits.strip_prefix("86") {
        Some(rest) if rest.len() == 11 => rest.to_string(),
        _ => digits,
    };
    let birth = birth_date.trim();
    if name.is_empty() || birth.is_empty() || phone.is_empty() {
        return None;
    }
    Some(format!("{name}|{birth}|{phone}"))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn id_numbers_compare_without_width_case_or_spaces() {
        assert_eq!(
            id_number_key("11010519491231002x"),
            id_number_key("１１０１０５ １９４９１２３１ ００２Ｘ")
        );
        assert_eq!(id_number_key("  "), None);
    }

    #[test]
    fn a_person_needs_name_birth_date_and_phone() {
        let a = person_key("阿依古丽·买买提", "1980-03-02", "+86 138 0013 8000");
        let b = person_key("阿依古丽•买买提 ", "1980-03-02", "13800138000");
        assert!(a.is_some());
        assert_eq!(a, b);
        assert_ne!(
            a,
            person_key("阿依古丽·买买提", "1980-03-03", "13800138000")
        );
        assert_eq!(person_key("张三", "", "13800138000"), None);
        assert_eq!(person_key("张三", "1980-03-02", ""), None);
    }
}
