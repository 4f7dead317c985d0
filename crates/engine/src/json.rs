//! JSON text as JavaScript writes it. `JSON.stringify` escapes a lone UTF-16 surrogate (half of
//! an emoji cut by `slice`, common in text chunks) as `\udXXX`, and `JSON.parse` accepts it;
//! serde_json refuses such text. `parse` reads it the way a JS string becomes UTF-8 in workerd:
//! each lone surrogate becomes U+FFFD.

use serde_json::Value;

/// Parses JSON text, reading lone surrogate escapes as U+FFFD.
pub fn parse(text: &str) -> serde_json::Result<Value> {
  match serde_json::from_str(text) {
    Err(e) if text.contains("\\u") => serde_json::from_str(&replace_lone_surrogates(text)).map_err(|_| e),
    r => r,
  }
}

fn surrogate_at(b: &[u8], i: usize) -> Option<u16> {
  let hex = b.get(i..i + 6)?;
  if hex[0] != b'\\' || hex[1] != b'u' {
    return None;
  }
  let v = u16::from_str_radix(std::str::from_utf8(&hex[2..]).ok()?, 16).ok()?;
  (0xD800..=0xDFFF).contains(&v).then_some(v)
}

/// `\udXXX` escapes that are not a high surrogate followed by a low one become `\ufffd`.
fn replace_lone_surrogates(text: &str) -> String {
  let b = text.as_bytes();
  let mut out = String::with_capacity(text.len());
  let mut last = 0;
  let mut i = 0;
  while i < b.len() {
    if b[i] != b'\\' {
      i += 1;
      continue;
    }
    match surrogate_at(b, i) {
      // A pair: kept.
      Some(0xD800..=0xDBFF) if surrogate_at(b, i + 6).is_some_and(|lo| lo >= 0xDC00) => i += 12,
      Some(_) => {
        out.push_str(&text[last..i]);
        out.push_str("\\ufffd");
        i += 6;
        last = i;
      }
      // Any other escape: skip it whole, so `\\` never starts a new one.
      None => i += 2,
    }
  }
  out.push_str(&text[last..]);
  out
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn lone_surrogates_read_as_replacement_characters() {
    let v = parse(r#"{"s":"a\ud800b","t":"\udc00","pair":"\ud83d\ude00","text":"\\ud800"}"#).unwrap();
    assert_eq!(v["s"], "a\u{FFFD}b");
    assert_eq!(v["t"], "\u{FFFD}");
    assert_eq!(v["pair"], "😀");
    // An escaped backslash followed by "ud800" is plain text, untouched.
    assert_eq!(v["text"], "\\ud800");
    assert_eq!(
      parse(r#"{"a":"\ud800\ud800\udc00"}"#).unwrap()["a"],
      "\u{FFFD}\u{10000}"
    );
    assert!(parse("{bad").is_err());
  }
}
