//! Visit policy: how often each household must be visited, from its tags. Elderly people living alone
//! are visited every 30 days, ordinary households every 90; the intervals are settings. Because the
//! due date follows from the tags and the last visit alone, "overdue" is computable offline.

use crate::model::Tag;
use chrono::{Days, NaiveDate};
use serde::{Deserialize, Serialize};
use std::collections::BTreeMap;
use ts_rs::TS;

#[derive(Debug, Clone, PartialEq, Serialize, Deserialize, TS)]
#[ts(export)]
pub struct VisitPolicy {
    /// Interval for households without a tag that sets a shorter one.
    pub default_days: u32,
    /// Interval per tag; a household with several tags follows the shortest.
    pub tag_days: BTreeMap<Tag, u32>,
}

impl Default for VisitPolicy {
    fn default() -> Self {
        let tag_days = BTreeMap::from([
            (Tag::ElderlyAlone, 30),
            (Tag::LeftBehindChildren, 30),
            (Tag::KeyPerson, 30),
            (Tag::CommunityCorrection, 30),
            (Tag::Petitioner, 30),
            (Tag::Disabled, 60),
            (Tag::LowIncome, 60),
        ]);
        VisitPolicy {
            default_days: 90,
            tag_days,
        }
    }
}

impl VisitPolicy {
    pub fn interval_days(&self, tags: &[Tag]) -> u32 {
        tags.iter()
            .filter_map(|t| self.tag_days.get(t).copied())
            .min()
            .unwrap_or(self.default_days)
    }

    /// The date the next visit is due: an interval after the last visit, or the registration date for
    /// a household never visited.
    pub fn due_date(
        &self,
        tags: &[Tag],
        last_visit: Option<NaiveDate>,
        registered: NaiveDate,
    ) -> NaiveDate {
        match last_visit {
            Some(last) => last
                .checked_add_days(Days::new(self.interval_days(tags).into()))
                .unwrap_or(last),
            None => registered,
        }
    }

    /// Checks the settings an officer or administrator typed.
    pub fn validate(&self) -> Vec<crate::FieldError> {
        let bad = |d: u32| !(1..=3650).contains(&d);
        let mut errors = Vec::new();
        if bad(self.default_days) {
            errors.push(crate::FieldError::new(
                "default_days",
                crate::error::ErrorCode::BadDate,
            ));
        }
        for (tag, days) in &self.tag_days {
            if bad(*days) {
                errors.push(crate::FieldError::new(
                    tag.as_str(),
                    crate::error::ErrorCode::BadDate,
                ));
            }
        }
        errors
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn the_shortest_tag_interval_wins() {
        let p = VisitPolicy::default();
        assert_eq!(p.interval_days(&[]), 90);
        assert_eq!(p.interval_days(&[Tag::LowIncome]), 60);
        assert_eq!(p.interval_days(&[Tag::LowIncome, Tag::ElderlyAlone]), 30);
        assert_eq!(p.interval_days(&[Tag::MigrantWorkers]), 90);
    }

    #[test]
    fn due_dates_follow_the_last_visit_or_registration() {
        let p = VisitPolicy::default();
        assert_eq!(
            p.due_date(&[Tag::ElderlyAlone], Some(d("2026-01-01")), d("2020-01-01")),
            d("2026-01-31")
        );
        assert_eq!(p.due_date(&[], None, d("2026-03-01")), d("2026-03-01"));
    }
}
