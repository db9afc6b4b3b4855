//! Turning one ledger row's text cells into a household and a resident. Every cell is checked and
//! every problem reported (not just the first), in the codes the UI translates. Values are read the
//! way stations write them: 男/女, dates as 1950-03-05, 1950/3/5, 19500305 or 1950年3月5日, tags
//! separated by 、 or commas, and a missing birth date or sex taken from the ID number.

use super::mapping::{LedgerField, Mapping};
use crate::error::{ErrorCode, FieldError};
use crate::ids::{HouseholdId, ResidentId};
use crate::model::{Household, HouseholdKind, Relation, Resident, Sex, Tag};
use chrono::NaiveDate;

pub struct ParsedRow {
    pub household: Household,
    pub resident: Resident,
}

pub fn sex(s: &str) -> Option<Sex> {
    match s.trim().to_lowercase().as_str() {
        "男" | "m" | "male" => Some(Sex::Male),
        "女" | "f" | "female" => Some(Sex::Female),
        _ => None,
    }
}

pub fn date(s: &str) -> Option<NaiveDate> {
    let s = s
        .trim()
        .replace(['年', '月', '/', '.'], "-")
        .replace('日', "");
    NaiveDate::parse_from_str(&s, "%Y-%m-%d")
        .ok()
        .or_else(|| NaiveDate::parse_from_str(&s, "%Y%m%d").ok())
}

pub fn tag(s: &str) -> Option<Tag> {
    Some(match s.trim() {
        "独居老人" | "空巢老人" => Tag::ElderlyAlone,
        "低保户" | "低保" | "低收入" => Tag::LowIncome,
        "留守儿童" => Tag::LeftBehindChildren,
        "残疾人" | "残疾" => Tag::Disabled,
        "流动人口" | "外来务工" => Tag::MigrantWorkers,
        "信访人员" | "信访" => Tag::Petitioner,
        "重点人员" => Tag::KeyPerson,
        "社区矫正对象" | "社区矫正" => Tag::CommunityCorrection,
        other => return Tag::parse(other),
    })
}

pub fn kind(s: &str) -> Option<HouseholdKind> {
    Some(match s.trim() {
        "" | "住宅" | "住户" | "自住" => HouseholdKind::Residence,
        "出租屋" | "出租" => HouseholdKind::Rental,
        "商铺" | "店铺" | "门店" => HouseholdKind::Shop,
        "单位" | "场所" | "企业" | "学校" => HouseholdKind::Unit,
        other => return HouseholdKind::parse(other),
    })
}

pub fn relation(s: &str) -> Option<Relation> {
    Some(match s.trim() {
        "户主" | "本人" => Relation::Head,
        "配偶" | "妻" | "夫" | "妻子" | "丈夫" => Relation::Spouse,
        "子女" | "子" | "女" | "儿子" | "女儿" => Relation::Child,
        "父母" | "父亲" | "母亲" => Relation::Parent,
        "孙子女" | "孙子" | "孙女" => Relation::Grandchild,
        "兄弟姐妹" => Relation::Sibling,
        "租户" | "租客" => Relation::Tenant,
        "其他" => Relation::Other,
        other => return Relation::parse(other),
    })
}

fn tags(s: &str) -> Result<Vec<Tag>, ()> {
    let mut out = Vec::new();
    for part in s
        .split([',', '，', '、', ';', '；', '/', ' '])
        .filter(|p| !p.trim().is_empty())
    {
        let t = tag(part).ok_or(())?;
        if !out.contains(&t) {
            out.push(t);
        }
    }
    Ok(out)
}

/// Birth date and sex written into a valid 18-character ID number.
fn from_id_number(id: &str) -> (Option<NaiveDate>, Option<Sex>) {
    if !crate::validate::is_valid_id_number(id) {
        return (None, None);
    }
    let birth = NaiveDate::parse_from_str(&id[6..14], "%Y%m%d").ok();
    let sex = id[16..17]
        .parse::<u32>()
        .ok()
        .map(|d| if d % 2 == 1 { Sex::Male } else { Sex::Female });
    (birth, sex)
}

pub fn row(
    cells: &[String],
    mapping: &Mapping,
    default_beat: &str,
    today: NaiveDate,
) -> Result<ParsedRow, Vec<FieldError>> {
    let cell = |f: LedgerField| {
        mapping
            .get(&f)
            .and_then(|i| cells.get(*i))
            .map(|s| s.trim())
            .unwrap_or_default()
    };
    let mut errors = Vec::new();
    let mut optional = |f: LedgerField, text: &str, parsed: Option<()>| {
        if !text.is_empty() && parsed.is_none() {
            errors.push(FieldError::new(f.as_str(), ErrorCode::UnknownValue));
        }
    };

    let household_kind = kind(cell(LedgerField::HouseholdKind));
    optional(
        LedgerField::HouseholdKind,
        cell(LedgerField::HouseholdKind),
        household_kind.map(|_| ()),
    );
    let household_tags = tags(cell(LedgerField::HouseholdTags));
    optional(
        LedgerField::HouseholdTags,
        cell(LedgerField::HouseholdTags),
        household_tags.as_ref().ok().map(|_| ()),
    );
    let resident_tags = tags(cell(LedgerField::ResidentTags));
    optional(
        LedgerField::ResidentTags,
        cell(LedgerField::ResidentTags),
        resident_tags.as_ref().ok().map(|_| ()),
    );
    let sex_value = sex(cell(LedgerField::Sex));
    optional(
        LedgerField::Sex,
        cell(LedgerField::Sex),
        sex_value.map(|_| ()),
    );
    let relation_value = relation(cell(LedgerField::Relation));
    optional(
        LedgerField::Relation,
        cell(LedgerField::Relation),
        relation_value.map(|_| ()),
    );
    let birth = date(cell(LedgerField::BirthDate));
    if !cell(LedgerField::BirthDate).is_empty() && birth.is_none() {
        errors.push(FieldError::new(
            LedgerField::BirthDate.as_str(),
            ErrorCode::BadDate,
        ));
    }

    let beat = match cell(LedgerField::Beat) {
        "" => default_beat.trim(),
        b => b,
    };
    let mut household = Household::new(
        beat,
        cell(LedgerField::Address),
        household_kind.unwrap_or(HouseholdKind::Residence),
    );
    household.id = HouseholdId::new();
    household.tags = household_tags.unwrap_or_default();
    household.contact_phone = cell(LedgerField::ContactPhone).to_string();

    let id_number = cell(LedgerField::IdNumber).to_uppercase();
    let (id_birth, id_sex) = from_id_number(&id_number);
    let mut resident = Resident::new(household.id, cell(LedgerField::Name));
    resident.id = ResidentId::new();
    resident.sex = sex_value.or(id_sex);
    resident.birth_date = birth.or(id_birth);
    resident.phone = cell(LedgerField::Phone).to_string();
    resident.id_number = id_number;
    resident.relation = relation_value;
    resident.tags = resident_tags.unwrap_or_default();

    // The record checks (required, lengths, formats, dates), named as ledger fields.
    use crate::model::Record;
    for e in household.validate(today) {
        let field = match e.field.as_str() {
            "address" => LedgerField::Address,
            "beat" => LedgerField::Beat,
            "contact_phone" => LedgerField::ContactPhone,
            _ => continue,
        };
        errors.push(FieldError {
            field: field.as_str().into(),
            ..e
        });
    }
    errors.extend(resident.validate(today));
    if errors.is_empty() {
        Ok(ParsedRow {
            household,
            resident,
        })
    } else {
        Err(errors)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_are_read_the_ways_stations_write_them() {
        let want = NaiveDate::from_ymd_opt(1950, 3, 5);
        for s in [
            "1950-03-05",
            "1950/3/5",
            "19500305",
            "1950年3月5日",
            "1950.3.5",
        ] {
            assert_eq!(date(s), want, "{s}");
        }
        assert_eq!(date("三月五日"), None);
    }

    #[test]
    fn tags_split_on_the_usual_separators() {
        assert_eq!(
            tags("独居老人、低保户").unwrap(),
            vec![Tag::ElderlyAlone, Tag::LowIncome]
        );
        assert!(tags("外星人").is_err());
    }
}
