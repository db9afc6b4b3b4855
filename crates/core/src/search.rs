//! Search over residents (by name in characters, by pinyin initials or full pinyin, by phone) and
//! households (by any part of the address).
//!
//! SQLite's FTS5 cannot split Chinese into words, and its trigram tokenizer finds nothing shorter than
//! three characters (most given names are two). So the core splits text itself before indexing: every
//! Chinese character, digit and letter becomes one token, and a query becomes a *phrase* of such
//! tokens, which matches exactly where the characters appear in a row: a substring search that uses
//! the index. Names also get pinyin tokens: the joined full pinyin (`zhangsan`), the initials (`zs`)
//! and each syllable, matched by prefix.

use crate::error::Result;
use crate::ids::{HouseholdId, ResidentId};
use crate::store::exec;
use crate::store::held::Prepare;
use pinyin::ToPinyin;
use rusqlite::{Transaction, params};
use serde::Serialize;
use ts_rs::TS;
use unicode_normalization::UnicodeNormalization;

fn is_cjk(c: char) -> bool {
    matches!(c as u32, 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x2FFFF)
}

/// Folded text: full-width forms to ordinary ones, lower case.
fn fold(text: &str) -> String {
    text.nfkc().collect::<String>().to_lowercase()
}

/// One token per character that can be searched for, separated by spaces.
pub fn char_tokens(text: &str) -> String {
    let mut out = String::with_capacity(text.len() * 2);
    for c in fold(text)
        .chars()
        .filter(|c| is_cjk(*c) || c.is_alphanumeric())
    {
        if !out.is_empty() {
            out.push(' ');
        }
        out.push(c);
    }
    out
}

/// Surnames with more than one reading people type: the surname's own (单 is dan, the surname
/// shan) and the character's common one. Only these get several: taking every reading the
/// dictionary knows would make 王 (also yù) answer "yhy" ahead of 叶海燕.
const SURNAME_READINGS: &[(char, &[&str])] = &[
    ('曾', &["zeng", "ceng"]),
    ('单', &["shan", "dan"]),
    ('解', &["xie", "jie"]),
    ('仇', &["qiu", "chou"]),
    ('朴', &["piao", "pu"]),
    ('区', &["ou", "qu"]),
    ('查', &["zha", "cha"]),
    ('盖', &["ge", "gai"]),
    ('乐', &["yue", "le"]),
    ('翟', &["zhai", "di"]),
    ('种', &["chong", "zhong"]),
    ('覃', &["qin", "tan"]),
    ('缪', &["miao", "mou"]),
    ('召', &["shao", "zhao"]),
    ('员', &["yun", "yuan"]),
    ('秘', &["bi", "mi"]),
    ('句', &["gou", "ju"]),
    ('尉', &["yu", "wei"]),
    ('繁', &["po", "fan"]),
    ('折', &["she", "zhe"]),
    ('能', &["nai", "neng"]),
    ('藏', &["zang", "cang"]),
    ('隗', &["wei", "kui"]),
];

/// A name's syllables in pinyin (letters and digits typed in the name kept as one syllable).
fn syllables(name: &str) -> Vec<String> {
    let mut syllables: Vec<String> = Vec::new();
    for c in fold(name).chars() {
        if let Some(p) = c.to_pinyin() {
            syllables.push(p.plain().to_string());
        } else if c.is_ascii_alphanumeric() {
            match syllables.last_mut() {
                Some(last)
                    if last.chars().all(|l| l.is_ascii_alphanumeric()) && !last.is_empty() =>
                {
                    last.push(c)
                }
                _ => syllables.push(c.to_string()),
            }
        }
    }
    syllables
}

/// The surname readings a name is typed with: the character's own, and those of
/// [`SURNAME_READINGS`].
fn surname_readings(name: &str, syllables: &[String]) -> Vec<String> {
    let mut readings = vec![syllables[0].clone()];
    let first = fold(name).chars().next();
    if let Some((_, more)) = SURNAME_READINGS.iter().find(|(c, _)| Some(*c) == first) {
        for reading in *more {
            if !readings.iter().any(|r| r == reading) {
                readings.push(reading.to_string());
            }
        }
    }
    readings
}

/// The forms that stand for the whole name: full pinyin and initials, for each surname reading.
fn whole_name_forms(name: &str) -> Vec<String> {
    let syllables = syllables(name);
    if syllables.is_empty() {
        return Vec::new();
    }
    let rest = &syllables[1..];
    let initials_of_rest: String = rest.iter().filter_map(|s| s.chars().next()).collect();
    let mut forms = Vec::new();
    for surname in surname_readings(name, &syllables) {
        forms.push(format!("{surname}{}", rest.concat()));
        forms.push(format!(
            "{}{initials_of_rest}",
            surname.chars().next().unwrap_or_default()
        ));
    }
    forms
}

/// Pinyin tokens of a name: the whole-name forms (full joined pinyin and initials, for each
/// surname reading: 单丽 is shanli, sl, danli, dl), the other surname readings, and each syllable.
pub fn pinyin_tokens(name: &str) -> String {
    let syllables = syllables(name);
    if syllables.is_empty() {
        return String::new();
    }
    let mut tokens = whole_name_forms(name);
    tokens.extend(surname_readings(name, &syllables).into_iter().skip(1));
    tokens.extend(syllables);
    tokens.join(" ")
}

pub(crate) fn index_resident(
    tx: &impl Prepare,
    seq: i64,
    name: &str,
    phone: &str,
    deleted: bool,
) -> Result<()> {
    exec(tx, "DELETE FROM resident_search WHERE rowid = ?1", [seq])?;
    if !deleted {
        let chars = format!("{} {}", char_tokens(name), char_tokens(phone));
        exec(
            tx,
            "INSERT INTO resident_search (rowid, chars, pinyin) VALUES (?1, ?2, ?3)",
            params![seq, chars.trim(), pinyin_tokens(name)],
        )?;
    }
    Ok(())
}

/// Builds every resident's search tokens again (after the way they are built changed).
pub(crate) fn reindex_residents(tx: &Transaction<'_>) -> Result<()> {
    let rows: Vec<(i64, String, String, bool)> = tx
        .prepare("SELECT seq, name, phone, deleted FROM residents")?
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?)))?
        .collect::<rusqlite::Result<_>>()?;
    for (seq, name, phone, deleted) in rows {
        index_resident(tx, seq, &name, &phone, deleted)?;
    }
    Ok(())
}

pub(crate) fn index_household(
    tx: &impl Prepare,
    seq: i64,
    address: &str,
    deleted: bool,
) -> Result<()> {
    exec(tx, "DELETE FROM household_search WHERE rowid = ?1", [seq])?;
    if !deleted {
        exec(
            tx,
            "INSERT INTO household_search (rowid, chars) VALUES (?1, ?2)",
            params![seq, char_tokens(address)],
        )?;
    }
    Ok(())
}

/// The FTS5 queries a search box text becomes.
#[derive(Debug, PartialEq)]
pub struct Query {
    /// A phrase over character tokens: a substring of a name, phone or address.
    pub chars: Option<String>,
    /// A prefix over pinyin tokens, for text typed in Latin letters.
    pub pinyin: Option<String>,
}

/// Builds the FTS5 queries for what the officer typed. Only letters, digits and Chinese characters
/// reach the query (each quoted), so no input can be read as FTS5 syntax.
pub fn parse_query(text: &str) -> Query {
    let tokens = char_tokens(text);
    if tokens.is_empty() {
        return Query {
            chars: None,
            pinyin: None,
        };
    }
    let chars = Some(format!("chars : \"{tokens}\""));
    let letters: String = fold(text).chars().filter(|c| !c.is_whitespace()).collect();
    let pinyin = (letters.chars().all(|c| c.is_ascii_lowercase()) && !letters.is_empty())
        .then(|| format!("pinyin : \"{letters}\" *"));
    Query { chars, pinyin }
}

/// How well a name answers a query (lower is better): the name itself; the whole name's full
/// pinyin or initials; the start of the name or of those; anywhere else (a later syllable, a
/// character inside the name, the phone).
pub fn rank(name: &str, query: &str) -> u8 {
    let name = fold(name);
    if name == query {
        return 0;
    }
    let whole = whole_name_forms(&name);
    if whole.iter().any(|f| f == query) {
        1
    } else if name.starts_with(query) || whole.iter().any(|f| f.starts_with(query)) {
        2
    } else {
        3
    }
}

/// Which characters of a name the query matched, as (first, count) in characters: the characters
/// themselves where typed as characters, else the syllables the pinyin or initials typed cover
/// (`zs` marks 张三 of 张三丰).
pub fn mark(name: &str, query: &str) -> Option<(usize, usize)> {
    let folded = fold(name);
    if query.is_empty() {
        return None;
    }
    if let Some(at) = folded.find(query) {
        return Some((folded[..at].chars().count(), query.chars().count()));
    }
    let syllables = syllables(name);
    if syllables.len() != folded.chars().count() {
        return None;
    }
    for surname in surname_readings(name, &syllables) {
        let mut forms = syllables.clone();
        forms[0] = surname;
        // Initials: one character per letter.
        let initials: String = forms.iter().filter_map(|s| s.chars().next()).collect();
        if initials.starts_with(query) {
            return Some((0, query.chars().count()));
        }
        // Full pinyin: the syllables the typed letters reach into.
        let mut typed = 0;
        for (i, syllable) in forms.iter().enumerate() {
            let rest = &query[typed..];
            if syllable.starts_with(rest) {
                return Some((0, i + 1));
            }
            if !rest.starts_with(syllable.as_str()) {
                break;
            }
            typed += syllable.len();
        }
    }
    None
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct ResidentHit {
    pub resident_id: ResidentId,
    pub household_id: HouseholdId,
    pub name: String,
    /// The matched characters of the name, (first, count), for the list to highlight.
    #[ts(type = "[number, number] | null")]
    pub mark: Option<(usize, usize)>,
    pub address: String,
    #[ts(type = "number | null")]
    pub birth_year: Option<i32>,
}

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct HouseholdHit {
    pub household_id: HouseholdId,
    pub address: String,
    pub beat: String,
}

#[derive(Debug, Clone, Default, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct SearchResults {
    pub residents: Vec<ResidentHit>,
    pub households: Vec<HouseholdHit>,
}

impl crate::Store {
    /// Residents and households matching what was typed, at most `limit` of each, best first (see
    /// [`rank`]; among equals those whose household is due a visit, then shorter names, then in
    /// pinyin order), "due" as of the laptop's local date.
    pub fn search(&self, text: &str, limit: u32) -> Result<SearchResults> {
        self.search_on(text, limit, crate::time::local_today())
    }

    /// [`Store::search`], with households due a visit as of `today`.
    pub fn search_on(
        &self,
        text: &str,
        limit: u32,
        today: chrono::NaiveDate,
    ) -> Result<SearchResults> {
        let query = parse_query(text);
        let mut results = SearchResults::default();
        let folded = fold(text.trim());
        for q in [&query.pinyin, &query.chars].into_iter().flatten() {
            let mut stmt = self.conn().prepare_cached(
                "SELECT r.id, r.household_id, r.name, h.address, substr(r.birth_date, 1, 4)
                 FROM (SELECT rowid FROM resident_search WHERE resident_search MATCH ?1 LIMIT ?2) s
                 JOIN residents r ON r.seq = s.rowid
                 JOIN households h ON h.id = r.household_id",
            )?;
            let rows = stmt.query_map(params![q, limit * 4], |r| {
                Ok(ResidentHit {
                    resident_id: r.get(0)?,
                    household_id: r.get(1)?,
                    name: r.get(2)?,
                    mark: None,
                    address: r.get(3)?,
                    birth_year: r.get::<_, Option<String>>(4)?.and_then(|y| y.parse().ok()),
                })
            })?;
            for hit in rows {
                let hit = hit?;
                if !results
                    .residents
                    .iter()
                    .any(|h| h.resident_id == hit.resident_id)
                {
                    results.residents.push(hit);
                }
            }
        }
        let typed: String = folded.chars().filter(|c| !c.is_whitespace()).collect();
        let households: Vec<HouseholdId> =
            results.residents.iter().map(|h| h.household_id).collect();
        let due = self.due_among(&households, today)?;
        results.residents.sort_by_cached_key(|h| {
            // Among equals: households due a visit today first, shorter names (closer matches),
            // then in pinyin order.
            let pinyin = whole_name_forms(&h.name).into_iter().next();
            (
                rank(&h.name, &typed),
                !due.contains(&h.household_id),
                h.name.chars().count(),
                pinyin,
            )
        });
        results.residents.truncate(limit as usize);
        for hit in &mut results.residents {
            hit.mark = mark(&hit.name, &typed);
        }
        if let Some(q) = &query.chars {
            let mut stmt = self.conn().prepare_cached(
                "SELECT h.id, h.address, h.beat
                 FROM (SELECT rowid FROM household_search WHERE household_search MATCH ?1 LIMIT ?2) s
                 JOIN households h ON h.seq = s.rowid",
            )?;
            let rows = stmt.query_map(params![q, limit], |r| {
                Ok(HouseholdHit {
                    household_id: r.get(0)?,
                    address: r.get(1)?,
                    beat: r.get(2)?,
                })
            })?;
            results.households = rows.collect::<rusqlite::Result<_>>()?;
        }
        Ok(results)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn names_get_full_pinyin_initials_and_syllables() {
        assert_eq!(pinyin_tokens("张三"), "zhangsan zs zhang san");
        assert_eq!(pinyin_tokens("欧阳娜娜"), "ouyangnana oynn ou yang na na");
    }

    #[test]
    fn surnames_with_several_readings_are_found_by_each() {
        let tokens = pinyin_tokens("曾伟");
        assert!(tokens.split(' ').any(|t| t == "zengwei"), "{tokens}");
        assert!(tokens.split(' ').any(|t| t == "cengwei"), "{tokens}");
        let tokens = pinyin_tokens("单丽");
        assert!(
            tokens.split(' ').any(|t| t == "shanli") && tokens.split(' ').any(|t| t == "dl"),
            "{tokens}"
        );
    }

    #[test]
    fn the_matched_characters_are_marked_for_characters_initials_and_pinyin() {
        assert_eq!(mark("张三丰", "三丰"), Some((1, 2)));
        assert_eq!(mark("张三丰", "zs"), Some((0, 2)));
        assert_eq!(mark("张三丰", "zhangsan"), Some((0, 2)));
        assert_eq!(mark("张三丰", "zhangs"), Some((0, 2)));
        assert_eq!(mark("张三丰", "zha"), Some((0, 1)));
        assert_eq!(mark("单丽", "shanl"), Some((0, 2)));
        assert_eq!(mark("单丽", "dl"), Some((0, 2)));
        assert_eq!(mark("张三丰", "lisi"), None);
    }

    #[test]
    fn text_is_split_into_one_token_per_character() {
        assert_eq!(char_tokens("幸福路１２号 3栋"), "幸 福 路 1 2 号 3 栋");
    }

    #[test]
    fn queries_quote_everything_so_input_is_never_syntax() {
        let q = parse_query("zs\" OR 1=1 --");
        assert_eq!(q.chars.as_deref(), Some("chars : \"z s o r 1 1\""));
        assert_eq!(q.pinyin, None);
        let q = parse_query("Zhang San");
        assert_eq!(q.pinyin.as_deref(), Some("pinyin : \"zhangsan\" *"));
        assert_eq!(parse_query("  ").chars, None);
    }
}
