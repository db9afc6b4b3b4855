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
use pinyin::{ToPinyin, ToPinyinMulti};
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

/// Pinyin tokens of a name: full joined pinyin, initials, and each syllable. A surname with more
/// than one reading (曾 zeng/ceng, 单 shan/dan, 解 xie/jie) gets the full and initial forms of each,
/// because the common reading of the character is often not the surname's.
pub fn pinyin_tokens(name: &str) -> String {
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
    if syllables.is_empty() {
        return String::new();
    }
    let rest = &syllables[1..];
    let initials_of_rest: String = rest.iter().filter_map(|s| s.chars().next()).collect();
    let mut surnames = vec![syllables[0].clone()];
    if let Some(readings) = fold(name).chars().next().and_then(|c| c.to_pinyin_multi()) {
        for reading in readings {
            let plain = reading.plain().to_string();
            if !surnames.contains(&plain) {
                surnames.push(plain);
            }
        }
    }
    let mut tokens = Vec::new();
    for surname in &surnames {
        tokens.push(format!("{surname}{}", rest.concat()));
        tokens.push(format!(
            "{}{initials_of_rest}",
            surname.chars().next().unwrap_or_default()
        ));
    }
    tokens.extend(surnames.iter().skip(1).cloned());
    tokens.extend(syllables);
    tokens.join(" ")
}

pub(crate) fn index_resident(
    tx: &Transaction<'_>,
    seq: i64,
    name: &str,
    phone: &str,
    deleted: bool,
) -> Result<()> {
    tx.prepare_cached("DELETE FROM resident_search WHERE rowid = ?1")?
        .execute([seq])?;
    if !deleted {
        let chars = format!("{} {}", char_tokens(name), char_tokens(phone));
        tx.prepare_cached(
            "INSERT INTO resident_search (rowid, chars, pinyin) VALUES (?1, ?2, ?3)",
        )?
        .execute(params![seq, chars.trim(), pinyin_tokens(name)])?;
    }
    Ok(())
}

pub(crate) fn index_household(
    tx: &Transaction<'_>,
    seq: i64,
    address: &str,
    deleted: bool,
) -> Result<()> {
    tx.prepare_cached("DELETE FROM household_search WHERE rowid = ?1")?
        .execute([seq])?;
    if !deleted {
        tx.prepare_cached("INSERT INTO household_search (rowid, chars) VALUES (?1, ?2)")?
            .execute(params![seq, char_tokens(address)])?;
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

#[derive(Debug, Clone, PartialEq, Serialize, TS)]
#[ts(export)]
pub struct ResidentHit {
    pub resident_id: ResidentId,
    pub household_id: HouseholdId,
    pub name: String,
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
    /// Residents and households matching what was typed, at most `limit` of each; exact name matches
    /// first, then shorter names (closer matches) first.
    pub fn search(&self, text: &str, limit: u32) -> Result<SearchResults> {
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
        results
            .residents
            .sort_by_key(|h| (h.name != folded, h.name.chars().count()));
        results.residents.truncate(limit as usize);
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
