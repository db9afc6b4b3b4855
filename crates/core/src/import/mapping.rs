//! Which spreadsheet column holds which ledger field. Stations name their columns in many ways; the
//! suggestion recognises the usual Chinese and English headers, and the officer confirms or changes it
//! in the preview.

use std::collections::BTreeMap;

pub use crate::model::LedgerField;

impl LedgerField {
    /// Without these a row cannot become a household and a resident.
    pub const REQUIRED: [LedgerField; 2] = [LedgerField::Address, LedgerField::Name];

    /// Headers seen in stations' ledgers for this field (compared after removing spaces, lower case).
    fn synonyms(self) -> &'static [&'static str] {
        match self {
            LedgerField::Address => &[
                "地址",
                "住址",
                "详细地址",
                "门牌地址",
                "标准地址",
                "家庭住址",
                "现住址",
                "居住地址",
                "现居住地址",
                "房屋地址",
                "address",
            ],
            LedgerField::Beat => &["责任区", "警务区", "社区", "beat"],
            LedgerField::HouseholdKind => {
                &["类型", "户类型", "房屋类型", "住户类型", "kind", "type"]
            }
            LedgerField::HouseholdTags => &[
                "住户标签",
                "户标签",
                "重点类别",
                "类别/标签",
                "类别",
                "户类别",
                "household_tags",
            ],
            LedgerField::ContactPhone => &["联系电话", "户联系电话", "户主电话", "contact_phone"],
            LedgerField::Name => &[
                "姓名",
                "名字",
                "居民姓名",
                "户主姓名",
                "户主",
                "人员姓名",
                "name",
            ],
            LedgerField::Sex => &["性别", "sex", "gender"],
            LedgerField::BirthDate => &[
                "出生日期",
                "出生年月",
                "出生年月日",
                "生日",
                "birth_date",
                "birthdate",
                "dob",
            ],
            LedgerField::Phone => &[
                "电话",
                "手机",
                "手机号",
                "手机号码",
                "电话号码",
                "phone",
                "mobile",
            ],
            LedgerField::IdNumber => &[
                "身份证号",
                "身份证号码",
                "公民身份号码",
                "公民身份证号码",
                "证件号码",
                "身份证",
                "id_number",
                "id",
            ],
            LedgerField::Relation => &["与户主关系", "与户主的关系", "关系", "relation"],
            LedgerField::ResidentTags => &["标签", "人员类别", "居民标签", "tags", "resident_tags"],
        }
    }
}

/// Column index (0-based) for each field the file provides.
pub type Mapping = BTreeMap<LedgerField, usize>;

/// Suggests a mapping from the headers: each field takes the first column whose header is one of its
/// synonyms.
pub fn suggest(headers: &[String]) -> Mapping {
    // Headers compared without spaces, marks of required columns (*), or a note in brackets
    // (联系电话（手机）), after full-width letters are made plain.
    let key = |h: &str| {
        let h = super::parse::clean(h);
        let h = h.split(['(', '（']).next().unwrap_or_default();
        h.chars()
            .filter(|c| !c.is_whitespace() && *c != '*')
            .collect::<String>()
            .to_lowercase()
    };
    let mut mapping = Mapping::new();
    for &field in LedgerField::ALL {
        if let Some(i) = headers
            .iter()
            .position(|h| field.synonyms().contains(&key(h).as_str()))
        {
            mapping.insert(field, i);
        }
    }
    mapping
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn common_chinese_headers_are_recognised() {
        let headers: Vec<String> = [
            "序号",
            "姓名",
            "性别",
            "公民身份号码",
            "手机号码",
            "住址",
            "与户主关系",
        ]
        .map(String::from)
        .to_vec();
        let m = suggest(&headers);
        assert_eq!(m.get(&LedgerField::Name), Some(&1));
        assert_eq!(m.get(&LedgerField::IdNumber), Some(&3));
        assert_eq!(m.get(&LedgerField::Phone), Some(&4));
        assert_eq!(m.get(&LedgerField::Address), Some(&5));
        assert_eq!(m.get(&LedgerField::Beat), None);
    }
}
