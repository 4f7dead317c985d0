//! Engine errors → JS errors. The engine owns the text and the stable code; the JS class is
//! chosen by `index.js` (napi can only reject with plain `Error`s), so the three travel together
//! in the raw message as `\u{1}<code>\u{1}<class>\u{1}<text>` and `index.js` rebuilds the error.

use edgebase_engine::BindingError;

pub fn to_js<E: BindingError>(e: E) -> napi::Error {
  napi::Error::from_reason(format!("\u{1}{}\u{1}{}\u{1}{}", e.code(), e.class().as_str(), e))
}

/// `.map_err(js)` at every engine call site.
pub trait OrJs<T> {
  fn or_js(self) -> napi::Result<T>;
}

impl<T, E: BindingError> OrJs<T> for Result<T, E> {
  fn or_js(self) -> napi::Result<T> {
    self.map_err(to_js)
  }
}
