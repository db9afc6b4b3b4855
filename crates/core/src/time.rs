//! Timestamps as fixed-width UTC text (`2024-03-05T01:02:03.456Z`), so that SQLite compares and sorts
//! them as text correctly (chrono's default drops a zero fraction, which breaks text ordering).

use chrono::{DateTime, Datelike, NaiveDate, SecondsFormat, TimeZone, Utc};
use serde::{Deserialize, Deserializer, Serializer};

pub fn format(at: &DateTime<Utc>) -> String {
    at.to_rfc3339_opts(SecondsFormat::Millis, true)
}

/// A stored timestamp read back (`None` if it is not one).
pub fn parse(text: &str) -> Option<DateTime<Utc>> {
    DateTime::parse_from_rfc3339(text)
        .ok()
        .map(|t| t.with_timezone(&Utc))
}

/// The stored (UTC) form of the start of a local calendar day, for comparing with stored times.
pub fn local_day_start(day: NaiveDate) -> String {
    let midnight = day.and_time(chrono::NaiveTime::MIN);
    let at = chrono::Local
        .from_local_datetime(&midnight)
        .earliest()
        .map(|t| t.with_timezone(&Utc))
        .unwrap_or_else(|| midnight.and_utc());
    format(&at)
}

/// The Monday of `day`'s week and the first of its month: where "this week" and "this month" begin.
pub fn week_and_month_start(day: NaiveDate) -> (NaiveDate, NaiveDate) {
    let week = day - chrono::Days::new(u64::from(day.weekday().num_days_from_monday()));
    (week, day.with_day(1).unwrap_or(day))
}

/// Today's date where the laptop is: what "today" means to the officer (a birth date of today is not
/// in the future at 07:00 in Beijing, when it is still yesterday in UTC). Read by the shells and the
/// convenience forms of the store's saves; the rules themselves take the date as a parameter.
pub fn local_today() -> NaiveDate {
    chrono::Local::now().date_naive()
}

/// Now, truncated to the millisecond (the precision stored).
pub fn now() -> DateTime<Utc> {
    let now = Utc::now();
    DateTime::from_timestamp_millis(now.timestamp_millis()).unwrap_or(now)
}

pub mod ts {
    use super::*;
    pub fn serialize<S: Serializer>(at: &DateTime<Utc>, s: S) -> Result<S::Ok, S::Error> {
        s.serialize_str(&format(at))
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<DateTime<Utc>, D::Error> {
        let text = String::deserialize(d)?;
        DateTime::parse_from_rfc3339(&text)
            .map(|t| t.with_timezone(&Utc))
            .map_err(serde::de::Error::custom)
    }
}

pub mod ts_opt {
    use super::*;
    pub fn serialize<S: Serializer>(at: &Option<DateTime<Utc>>, s: S) -> Result<S::Ok, S::Error> {
        match at {
            Some(at) => s.serialize_str(&format(at)),
            None => s.serialize_none(),
        }
    }
    pub fn deserialize<'de, D: Deserializer<'de>>(d: D) -> Result<Option<DateTime<Utc>>, D::Error> {
        match Option::<String>::deserialize(d)? {
            None => Ok(None),
            Some(text) => DateTime::parse_from_rfc3339(&text)
                .map(|t| Some(t.with_timezone(&Utc)))
                .map_err(serde::de::Error::custom),
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn whole_seconds_keep_their_fraction_so_text_sorts_by_time() {
        let a = DateTime::parse_from_rfc3339("2024-03-05T01:02:03Z")
            .unwrap()
            .with_timezone(&Utc);
        let b = DateTime::parse_from_rfc3339("2024-03-05T01:02:03.5Z")
            .unwrap()
            .with_timezone(&Utc);
        assert_eq!(format(&a), "2024-03-05T01:02:03.000Z");
        assert!(format(&a) < format(&b));
    }
}
