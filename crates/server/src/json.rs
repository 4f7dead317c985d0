//! Response bodies written the way a Worker's `JSON.stringify` would: fields in the order given
//! (not sorted), numbers in JavaScript's form (`1`, not `1.0`), and stored JSON (metadata)
//! embedded as it was written.

use serde::Serialize;

/// Appends `n` as JavaScript prints it: integral values without a fraction, non-finite as null.
pub fn js_number(out: &mut Vec<u8>, n: f64) {
  if !n.is_finite() {
    out.extend_from_slice(b"null");
  } else if n.fract() == 0.0 && n.abs() < 1e21 {
    out.extend_from_slice(format!("{n:.0}").as_bytes());
  } else {
    // serde_json's shortest round-trip form matches JavaScript's (`0.1`, `1e+21`, `3e-7`).
    let _ = serde_json::to_writer(&mut *out, &n);
  }
}

/// An object being written, field by field.
pub struct Obj {
  buf: Vec<u8>,
  empty: bool,
}

impl Default for Obj {
  fn default() -> Self {
    Self::new()
  }
}

impl Obj {
  pub fn new() -> Self {
    Obj {
      buf: b"{".to_vec(),
      empty: true,
    }
  }

  fn key(&mut self, k: &str) -> &mut Vec<u8> {
    if !self.empty {
      self.buf.push(b',');
    }
    self.empty = false;
    let _ = serde_json::to_writer(&mut self.buf, k);
    self.buf.push(b':');
    &mut self.buf
  }

  pub fn field(mut self, k: &str, v: impl Serialize) -> Self {
    let buf = self.key(k);
    let _ = serde_json::to_writer(buf, &v);
    self
  }

  pub fn num(mut self, k: &str, n: f64) -> Self {
    js_number(self.key(k), n);
    self
  }

  /// `json` is already serialized JSON.
  pub fn raw(mut self, k: &str, json: &[u8]) -> Self {
    self.key(k).extend_from_slice(json);
    self
  }

  pub fn finish(mut self) -> Vec<u8> {
    self.buf.push(b'}');
    self.buf
  }
}

/// `[item, …]` from already-serialized items.
pub fn array(items: impl IntoIterator<Item = Vec<u8>>) -> Vec<u8> {
  let mut out = b"[".to_vec();
  for (i, item) in items.into_iter().enumerate() {
    if i > 0 {
      out.push(b',');
    }
    out.extend_from_slice(&item);
  }
  out.push(b']');
  out
}

/// `[n, …]` of numbers in JavaScript's form.
pub fn numbers(values: impl IntoIterator<Item = f64>) -> Vec<u8> {
  let mut out = b"[".to_vec();
  for (i, n) in values.into_iter().enumerate() {
    if i > 0 {
      out.push(b',');
    }
    js_number(&mut out, n);
  }
  out.push(b']');
  out
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn writes_like_json_stringify() {
    let body = Obj::new()
      .field("ok", true)
      .num("count", 2.0)
      .num("score", 0.25)
      .raw("m", br#"{"z":1,"a":2}"#)
      .field("n", ())
      .finish();
    assert_eq!(
      String::from_utf8(body).unwrap(),
      r#"{"ok":true,"count":2,"score":0.25,"m":{"z":1,"a":2},"n":null}"#
    );
    assert_eq!(
      numbers([1.0, -0.5, f64::NAN, 1e21, 3e-7]),
      b"[1,-0.5,null,1e+21,3e-7]".to_vec()
    );
  }
}
