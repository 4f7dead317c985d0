//! `list()` cursors: opaque to users, they carry the last key a page returned so the next page
//! resumes right after it (keys inserted before that position do not reappear).

use super::KvError;
use crate::limits::kv::MAX_KEY_BYTES;
use base64::engine::general_purpose::URL_SAFE_NO_PAD;
use base64::Engine;

/// Distinguishes our cursors from arbitrary strings.
const TAG: &[u8] = b"ebkv1:";

pub fn encode(last_key: &[u8]) -> String {
  let mut raw = Vec::with_capacity(TAG.len() + last_key.len());
  raw.extend_from_slice(TAG);
  raw.extend_from_slice(last_key);
  URL_SAFE_NO_PAD.encode(raw)
}

pub fn decode(cursor: &str) -> Result<Vec<u8>, KvError> {
  let raw = URL_SAFE_NO_PAD
    .decode(cursor)
    .map_err(|_| KvError::InvalidCursor)?;
  match raw.strip_prefix(TAG) {
    Some(key) if !key.is_empty() && key.len() <= MAX_KEY_BYTES => Ok(key.to_vec()),
    _ => Err(KvError::InvalidCursor),
  }
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn round_trip_and_rejects_foreign_cursors() {
    let key = "ключ/with spaces€".as_bytes();
    assert_eq!(decode(&encode(key)).unwrap(), key);
    for bad in ["", "abc", "not a cursor!", &URL_SAFE_NO_PAD.encode(b"other:key")] {
      assert!(matches!(decode(bad), Err(KvError::InvalidCursor)), "{bad:?}");
    }
  }
}
