//! Turning one ledger row's text cells into a household and a resident. Every cell is checked and
//! every problem reported (not just the first), in the codes the UI translates. Values are read the
//! way stations write them: full-width digits, a leading apostrophe, spaces and dashes in phones,
//! 男/女, dates as 1950-03-05, 1950/3/5, 19500305, 1950年3月5日 or an Excel day count, tags
//! separated by 、 or commas, and a missing birth date or sex taken from the ID number. Only a row
//! without an address (or beat) is rejected; a bad optional value is a warning, kept aside as typed.

use super::mapping::{LedgerField, Mapping};
use crate::error::{ErrorCode, FieldError};
use crate::ids::{HouseholdId, ResidentId};
use crate::model::{CheckReason, Household, HouseholdKind, Relation, Resident, Sex, Tag, ToCheck};
use chrono::NaiveDate;

pub struct ParsedRow {
    pub household: Household,
    /// The person of the row; `None` if the row names nobody (the household still comes in).
    pub resident: Option<Resident>,
    /// What was not taken as typed: left empty, or kept aside in the record's `to_check`.
    pub warnings: Vec<FieldError>,
}

/// A cell as people type it, made plain before it is read: full-width digits, letters and spaces
/// (１３７…) become ASCII by Unicode compatibility normalisation, the apostrophe Excel users type to
/// keep a number as text goes, and so do the spaces around.
pub fn clean(s: &str) -> String {
    use unicode_normalization::UnicodeNormalization;
    let s: String = s.nfkc().collect();
    s.trim()
        .trim_start_matches(['\'', '\u{2018}', '\u{2019}'])
        .trim()
        .to_string()
}

/// A phone number without the spaces, dashes, dots and brackets people put between its groups.
pub fn phone(s: &str) -> String {
    clean(s)
        .chars()
        .filter(|c| !matches!(c, ' ' | '-' | '.' | '(' | ')'))
        .collect()
}

pub fn sex(s: &str) -> Option<Sex> {
    match s.trim().to_lowercase().as_str() {
        "男" | "m" | "male" => Some(Sex::Male),
        "女" | "f" | "female" => Some(Sex::Female),
        _ => None,
    }
}

pub fn date(s: &str) -> Option<NaiveDate> {
    let s = clean(s);
    // A date cell without its date format comes as Excel's day count (from 1899-12-30).
    if (3..=5).contains(&s.len()) && s.chars().all(|c| c.is_ascii_digit()) {
        let days: u64 = s.parse().ok()?;
        return NaiveDate::from_ymd_opt(1899, 12, 30)?.checked_add_days(chrono::Days::new(days));
    }
    // A date with a time of day (2024-06-18 00:00:00, 2024-06-18T00:00:00): the day.
    let day = s.split([' ', 'T']).next().unwrap_or_default();
    let day = day.replace(['年', '月', '/', '.'], "-").replace('日', "");
    NaiveDate::parse_from_str(&day, "%Y-%m-%d")
        .ok()
        .or_else(|| NaiveDate::parse_from_str(&day, "%Y%m%d").ok())
}

/// What an ID number cell holds: a valid number, or why it cannot be taken (an Excel-rounded one
/// is never taken as if correct).
fn id_number(s: &str) -> Result<String, ErrorCode> {
    let id = clean(s).to_uppercase();
    if id.is_empty() {
        return Ok(id);
    }
    let valid = crate::validate::is_valid_id_number(&id);
    let digits = id.chars().all(|c| c.is_ascii_digit());
    let scientific = id.contains("E+") && id.chars().next().is_some_and(|c| c.is_ascii_digit());
    // Excel keeps 15 significant digits of a number: the rest comes back as zeros. Three zeros
    // at the end are taken as that even when the check digit happens to fit (one time in eleven).
    let rounded = scientific
        || (digits
            && (16..=18).contains(&id.len())
            && (id.ends_with("000") || (id.ends_with("00") && !valid)));
    if rounded {
        Err(ErrorCode::ExcelRounded)
    } else if valid {
        Ok(id)
    } else {
        Err(ErrorCode::BadIdNumber)
    }
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

/// Reads one row. Only what identifies the household (its address, and a beat) can reject the
/// row; a bad optional value never loses it: it is left empty, or kept aside as typed in the
/// record's `to_check`, and reported as a warning.
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
            .map(|s| clean(s))
            .unwrap_or_default()
    };
    let mut warnings = Vec::new();
    let mut warn =
        |f: LedgerField, code: ErrorCode| warnings.push(FieldError::new(f.as_str(), code));
    let mut household_checks = Vec::new();
    let mut resident_checks = Vec::new();
    let aside = |checks: &mut Vec<ToCheck>, field: &str, typed: &str, reason: CheckReason| {
        checks.push(ToCheck {
            field: field.into(),
            typed: typed.into(),
            reason,
        })
    };

    // A closed vocabulary (kind, tags, sex, relation): an unknown word is left out, with a warning.
    let mut known = |f: LedgerField, parsed: Option<()>| {
        if !cell(f).is_empty() && parsed.is_none() {
            warn(f, ErrorCode::UnknownValue);
        }
    };
    let household_kind = kind(&cell(LedgerField::HouseholdKind));
    known(LedgerField::HouseholdKind, household_kind.map(|_| ()));
    let household_tags = tags(&cell(LedgerField::HouseholdTags));
    known(
        LedgerField::HouseholdTags,
        household_tags.as_ref().ok().map(|_| ()),
    );
    let resident_tags = tags(&cell(LedgerField::ResidentTags));
    known(
        LedgerField::ResidentTags,
        resident_tags.as_ref().ok().map(|_| ()),
    );
    let sex_value = sex(&cell(LedgerField::Sex));
    known(LedgerField::Sex, sex_value.map(|_| ()));
    let relation_value = relation(&cell(LedgerField::Relation));
    known(LedgerField::Relation, relation_value.map(|_| ()));

    let beat = match cell(LedgerField::Beat) {
        b if b.is_empty() => default_beat.trim().to_string(),
        b => b,
    };
    let mut household = Household::new(
        &beat,
        cell(LedgerField::Address),
        household_kind.unwrap_or(HouseholdKind::Residence),
    );
    household.id = HouseholdId::new();
    household.tags = household_tags.unwrap_or_default();
    let contact = phone(&cell(LedgerField::ContactPhone));
    if contact.is_empty() || crate::validate::is_valid_phone(&contact) {
        household.contact_phone = contact;
    } else {
        warn(LedgerField::ContactPhone, ErrorCode::BadPhone);
        aside(
            &mut household_checks,
            "contact_phone",
            &cell(LedgerField::ContactPhone),
            CheckReason::NotAPhone,
        );
    }
    household.to_check = household_checks;

    // The household's own checks (address, beat, lengths): these reject the row.
    use crate::model::Record;
    let errors: Vec<FieldError> = household
        .validate(today)
        .into_iter()
        .filter_map(|e| {
            let field = match e.field.as_str() {
                "address" => LedgerField::Address,
                "beat" => LedgerField::Beat,
                "contact_phone" => LedgerField::ContactPhone,
                _ => return None,
            };
            Some(FieldError {
                field: field.as_str().into(),
                ..e
            })
        })
        .collect();
    if !errors.is_empty() {
        return Err(errors);
    }

    let name = cell(LedgerField::Name);
    if name.is_empty() {
        if mapping.contains_key(&LedgerField::Name) {
            warn(LedgerField::Name, ErrorCode::Required);
        }
        return Ok(ParsedRow {
            household,
            resident: None,
            warnings,
        });
    }
    let typed_id = cell(LedgerField::IdNumber);
    let id = match id_number(&typed_id) {
        Ok(id) => id,
        Err(code) => {
            warn(LedgerField::IdNumber, code);
            let reason = if code == ErrorCode::ExcelRounded {
                CheckReason::ExcelRounded
            } else {
                CheckReason::BadIdNumber
            };
            aside(&mut resident_checks, "id_number", &typed_id, reason);
            String::new()
        }
    };
    let (id_birth, id_sex) = from_id_number(&id);
    let typed_birth = cell(LedgerField::BirthDate);
    let birth = match date(&typed_birth) {
        Some(d) if d <= today && d >= NaiveDate::from_ymd_opt(1900, 1, 1).unwrap_or(d) => Some(d),
        None if typed_birth.is_empty() => None,
        _ => {
            warn(LedgerField::BirthDate, ErrorCode::BadDate);
            aside(
                &mut resident_checks,
                "birth_date",
                &typed_birth,
                CheckReason::NotADate,
            );
            None
        }
    };
    let typed_phone = cell(LedgerField::Phone);
    let resident_phone = phone(&typed_phone);
    let resident_phone =
        if resident_phone.is_empty() || crate::validate::is_valid_phone(&resident_phone) {
            resident_phone
        } else {
            warn(LedgerField::Phone, ErrorCode::BadPhone);
            aside(
                &mut resident_checks,
                "phone",
                &typed_phone,
                CheckReason::NotAPhone,
            );
            String::new()
        };
    let mut resident = Resident::new(household.id, name);
    resident.id = ResidentId::new();
    resident.sex = sex_value.or(id_sex);
    resident.birth_date = birth.or(id_birth);
    resident.phone = resident_phone;
    resident.id_number = id;
    resident.relation = relation_value;
    resident.tags = resident_tags.unwrap_or_default();
    resident.to_check = resident_checks;
    // Whatever else the person's record refuses (a name too long): the household still comes in.
    let resident = match resident.validate(today) {
        errors if errors.is_empty() => Some(resident),
        errors => {
            warnings.extend(errors);
            None
        }
    };
    Ok(ParsedRow {
        household,
        resident,
        warnings,
    })
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
