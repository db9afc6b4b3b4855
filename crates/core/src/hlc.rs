//! Hybrid logical clock. Changes carry one so the station can order them and break ties between two
//! officers' edits deterministically, even when a laptop's wall clock is wrong. Conflicts are never
//! decided by clocks (base versions do that); the clock only orders.
//!
//! A timestamp is (physical milliseconds, counter). Ticking never goes backwards: if the wall clock
//! stalls or jumps back, the counter carries the order.

use serde::{Deserialize, Serialize};
use std::fmt;
use ts_rs::TS;

#[derive(
    Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash, Default, Serialize, Deserialize, TS,
)]
#[ts(export)]
#[cfg_attr(feature = "openapi", derive(utoipa::ToSchema))]
pub struct Hlc {
    /// Milliseconds since the Unix epoch, as the device saw it (or later, never earlier).
    #[ts(type = "number")]
    pub ms: i64,
    /// Tie-breaker within one millisecond.
    pub counter: u32,
}

impl Hlc {
    /// The next timestamp after `self` for a local event at wall-clock time `now_ms`.
    pub fn tick(self, now_ms: i64) -> Hlc {
        if now_ms > self.ms {
            Hlc {
                ms: now_ms,
                counter: 0,
            }
        } else {
            Hlc {
                ms: self.ms,
                counter: self.counter.saturating_add(1),
            }
        }
    }

    /// The next timestamp after both `self` and a timestamp `remote` received from elsewhere.
    pub fn observe(self, remote: Hlc, now_ms: i64) -> Hlc {
        let latest = self.max(remote);
        if now_ms > latest.ms {
            Hlc {
                ms: now_ms,
                counter: 0,
            }
        } else {
            Hlc {
                ms: latest.ms,
                counter: latest.counter.saturating_add(1),
            }
        }
    }
}

impl fmt::Display for Hlc {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{:05}", self.ms, self.counter)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tick_follows_the_wall_clock_when_it_moves_forward() {
        let t = Hlc {
            ms: 100,
            counter: 7,
        }
        .tick(200);
        assert_eq!(
            t,
            Hlc {
                ms: 200,
                counter: 0
            }
        );
    }

    #[test]
    fn tick_never_goes_back_when_the_wall_clock_does() {
        let t0 = Hlc {
            ms: 500,
            counter: 0,
        };
        let t1 = t0.tick(100);
        let t2 = t1.tick(100);
        assert!(t0 < t1 && t1 < t2);
        assert_eq!(
            t2,
            Hlc {
                ms: 500,
                counter: 2
            }
        );
    }

    #[test]
    fn observe_moves_past_a_remote_clock_ahead_of_ours() {
        let ours = Hlc {
            ms: 100,
            counter: 0,
        };
        let remote = Hlc {
            ms: 900,
            counter: 4,
        };
        let t = ours.observe(remote, 150);
        assert!(t > remote);
        assert_eq!(
            t,
            Hlc {
                ms: 900,
                counter: 5
            }
        );
    }
}
