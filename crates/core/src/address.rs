//! Address normalisation. The same household typed twice differs by full-width and half-width digits
//! (１２ and 12), synonyms (栋/幢/号楼, 单元/门), Chinese numerals (三栋 and 3栋), spaces, and the
//! optional 室 after a room number. The normalised form erases those differences so that duplicate
//! households are found on import (and, at the station, on sync).

use regex::Regex;
use std::sync::LazyLock;
use unicode_normalization::UnicodeNormalization;

static NUMBERED_PART: LazyLock<Regex> = LazyLock::new(|| {
    Regex::new(r"([零〇一二两三四五六七八九十]+)(号楼|栋|幢|单元|门|层|楼|号|室|组)")
        .expect("valid regex")
});
static BUILDING: LazyLock<Regex> =
    LazyLock::new(|| Regex::new(r"(\d+)(号楼|幢|座)").expect("valid regex"));
static UNIT: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(\d+)门").expect("valid regex"));
static ROOM: LazyLock<Regex> = LazyLock::new(|| Regex::new(r"(\d+)室").expect("valid regex"));

/// Turns a Chinese numeral up to 99 (三, 十二, 二十, 二十三) into digits.
fn chinese_number(s: &str) -> Option<u32> {
    let digit = |c: char| {
        "零一二三四五六七八九"
            .find(c)
            .map(|i| (i / 3) as u32)
            .or(match c {
                '〇' => Some(0),
                '两' => Some(2),
                _ => None,
            })
    };
    let chars: Vec<char> = s.chars().collect();
    match chars.as_slice() {
        [c] if *c == '十' => Some(10),
        [c] => digit(*c),
        ['十', u] => Some(10 + digit(*u)?),
        [t, '十'] => Some(digit(*t)? * 10),
        [t, '十', u] => Some(digit(*t)? * 10 + digit(*u)?),
        _ => None,
    }
}

/// The comparable form of an address.
pub fn normalize(address: &str) -> String {
    // NFKC folds full-width digits, letters and punctuation into their ordinary forms.
    let folded: String = address
        .nfkc()
        .filter(|c| !c.is_whitespace())
        .collect::<String>()
        .to_lowercase();
    let folded = folded.replace(['-', '—', '－', ',', '，', '.', '。'], "");
    let numbered =
        NUMBERED_PART.replace_all(&folded, |c: &regex::Captures<'_>| {
            match chinese_number(&c[1]) {
                Some(n) => format!("{n}{}", &c[2]),
                None => c[0].to_string(),
            }
        });
    let building = BUILDING.replace_all(&numbered, "${1}栋");
    let unit = UNIT.replace_all(&building, "${1}单元");
    ROOM.replace_all(&unit, "${1}").into_owned()
}

#[cfg(test)]
mod tests {
    use super::normalize;

    #[test]
    fn the_same_address_typed_differently_normalises_the_same() {
        let same = [
            "幸福路12号3栋2单元401室",
            "幸福路１２号３栋２单元４０１",
            "幸福路 12号 3幢 2门 401",
            "幸福路12号3号楼2单元401",
            "幸福路十二号三栋二单元401室",
        ];
        let want = normalize(same[0]);
        assert_eq!(want, "幸福路12号3栋2单元401");
        for a in same {
            assert_eq!(normalize(a), want, "{a}");
        }
    }

    #[test]
    fn different_households_stay_different() {
        assert_ne!(
            normalize("幸福路12号3栋2单元401"),
            normalize("幸福路12号3栋2单元402")
        );
        assert_ne!(normalize("幸福路12号"), normalize("幸福路21号"));
    }
}
