//! One clock for expirations, TTLs and alarms. Tests swap the system clock for a manual one and
//! advance time without sleeping.

use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Arc;
use std::time::{SystemTime, UNIX_EPOCH};

#[derive(Clone, Debug, Default)]
pub enum Clock {
  #[default]
  System,
  Manual(Arc<AtomicU64>),
}

impl Clock {
  /// A manual clock starting at `start_ms` milliseconds since the UNIX epoch.
  pub fn manual(start_ms: u64) -> Self {
    Clock::Manual(Arc::new(AtomicU64::new(start_ms)))
  }

  /// Milliseconds since the UNIX epoch.
  pub fn now_ms(&self) -> u64 {
    match self {
      Clock::System => SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0),
      Clock::Manual(t) => t.load(Ordering::Acquire),
    }
  }

  /// Whole seconds since the UNIX epoch (what KV expirations are expressed in).
  pub fn now_secs(&self) -> u64 {
    self.now_ms() / 1000
  }

  /// Moves a manual clock forward; the system clock cannot be moved.
  pub fn advance_ms(&self, ms: u64) -> bool {
    match self {
      Clock::System => false,
      Clock::Manual(t) => {
        t.fetch_add(ms, Ordering::AcqRel);
        true
      }
    }
  }

  /// Sets a manual clock; the system clock cannot be set.
  pub fn set_ms(&self, ms: u64) -> bool {
    match self {
      Clock::System => false,
      Clock::Manual(t) => {
        t.store(ms, Ordering::Release);
        true
      }
    }
  }
}

/// The civil date `(year, month, day)` of a day count since 1970-01-01 (Howard Hinnant's
/// algorithm), for the dates bindings print.
pub fn civil_from_days(z: i64) -> (i64, i64, i64) {
  let z = z + 719468;
  let era = z.div_euclid(146097);
  let doe = z - era * 146097;
  let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146096) / 365;
  let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
  let mp = (5 * doy + 2) / 153;
  let d = doy - (153 * mp + 2) / 5 + 1;
  let m = if mp < 10 { mp + 3 } else { mp - 9 };
  (yoe + era * 400 + if m <= 2 { 1 } else { 0 }, m, d)
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn manual_clock_moves_only_when_told() {
    let c = Clock::manual(1_000);
    assert_eq!(c.now_ms(), 1_000);
    assert!(c.advance_ms(61_000));
    assert_eq!(c.now_secs(), 62);
    let shared = c.clone();
    assert!(shared.set_ms(5));
    assert_eq!(c.now_ms(), 5);
    assert!(!Clock::System.advance_ms(1));
  }
}
