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
