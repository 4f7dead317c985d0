//! `ManualClock`: a clock tests advance by hand, shared by the bindings given it.

use edgebase_engine::Clock;
use napi_derive::napi;

/// A clock that only moves when told to. Pass it as `clock` to a binding's options.
#[napi]
pub struct ManualClock {
  pub(crate) clock: Clock,
}

#[napi]
impl ManualClock {
  /// Starts at `startMs` (milliseconds since the UNIX epoch), default the current time.
  #[napi(constructor)]
  pub fn new(start_ms: Option<f64>) -> Self {
    let start = start_ms.filter(|v| v.is_finite() && *v >= 0.0).map(|v| v as u64);
    ManualClock {
      clock: Clock::manual(start.unwrap_or_else(|| Clock::System.now_ms())),
    }
  }

  /// Milliseconds since the UNIX epoch.
  #[napi]
  pub fn now(&self) -> f64 {
    self.clock.now_ms() as f64
  }

  /// Moves the clock forward by `ms` milliseconds (negative values are ignored).
  #[napi]
  pub fn advance(&self, ms: f64) {
    if ms.is_finite() && ms > 0.0 {
      self.clock.advance_ms(ms as u64);
    }
  }

  /// Sets the clock to `ms` milliseconds since the UNIX epoch.
  #[napi]
  pub fn set(&self, ms: f64) {
    if ms.is_finite() && ms >= 0.0 {
      self.clock.set_ms(ms as u64);
    }
  }
}
