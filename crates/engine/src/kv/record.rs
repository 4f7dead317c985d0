//! How one KV entry is laid out in the `entries` table: a one-byte flag set, the expiration
//! (seconds since the epoch) and the metadata JSON when present, then the value bytes.

const HAS_EXPIRATION: u8 = 1;
const HAS_METADATA: u8 = 2;

/// A borrowed view of a stored entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Record<'a> {
  pub expiration: Option<u64>,
  /// Compact JSON text, exactly as written.
  pub metadata: Option<&'a [u8]>,
  pub value: &'a [u8],
}

impl<'a> Record<'a> {
  pub fn encode(value: &[u8], expiration: Option<u64>, metadata: Option<&[u8]>) -> Vec<u8> {
    let mut out = Vec::with_capacity(1 + 8 + 4 + metadata.map_or(0, |m| m.len()) + value.len());
    let flags = expiration.map_or(0, |_| HAS_EXPIRATION) | metadata.map_or(0, |_| HAS_METADATA);
    out.push(flags);
    if let Some(e) = expiration {
      out.extend_from_slice(&e.to_le_bytes());
    }
    if let Some(m) = metadata {
      out.extend_from_slice(&(m.len() as u32).to_le_bytes());
      out.extend_from_slice(m);
    }
    out.extend_from_slice(value);
    out
  }

  /// Decodes a stored entry; `None` for bytes this module did not write.
  pub fn decode(bytes: &'a [u8]) -> Option<Self> {
    let (&flags, mut rest) = bytes.split_first()?;
    let mut expiration = None;
    if flags & HAS_EXPIRATION != 0 {
      let (e, r) = rest.split_first_chunk::<8>()?;
      expiration = Some(u64::from_le_bytes(*e));
      rest = r;
    }
    let mut metadata = None;
    if flags & HAS_METADATA != 0 {
      let (len, r) = rest.split_first_chunk::<4>()?;
      let len = u32::from_le_bytes(*len) as usize;
      if r.len() < len {
        return None;
      }
      metadata = Some(&r[..len]);
      rest = &r[len..];
    }
    Some(Record {
      expiration,
      metadata,
      value: rest,
    })
  }

  /// Expired entries are invisible from their expiration second on.
  pub fn is_expired(&self, now_secs: u64) -> bool {
    self.expiration.is_some_and(|e| now_secs >= e)
  }
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn round_trips_every_shape() {
    for (v, e, m) in [
      (&b""[..], None, None),
      (&b"value"[..], Some(1_700_000_000u64), None),
      (&b"\x00\xff"[..], None, Some(&b"{\"a\":1}"[..])),
      (&b"v"[..], Some(7), Some(&b"123"[..])),
    ] {
      let enc = Record::encode(v, e, m);
      assert_eq!(
        Record::decode(&enc),
        Some(Record {
          expiration: e,
          metadata: m,
          value: v
        })
      );
    }
  }

  #[test]
  fn truncated_bytes_do_not_decode() {
    assert_eq!(Record::decode(&[]), None);
    assert_eq!(Record::decode(&[HAS_EXPIRATION, 1, 2]), None);
    assert_eq!(Record::decode(&[HAS_METADATA, 9, 0, 0, 0, b'x']), None);
  }
}
