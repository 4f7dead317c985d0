//! How one vector is laid out in the `vectors` table (key = id): the mutation sequence number
//! that wrote it, its namespace, the values its metadata indexes held when it was written, its
//! metadata JSON, and (in files, not in memory-only indexes) its float32 values. Reopening an
//! index reads only this table, without parsing any metadata JSON.

use super::metaindex::{Entry, Key, Num};

#[derive(Debug, PartialEq)]
pub(crate) struct Record<'a> {
  pub seq: u64,
  pub namespace: Option<&'a str>,
  pub entries: Vec<Entry>,
  pub metadata: Option<&'a str>,
  /// Little-endian float32 bytes; empty in memory-only indexes (the arena is the copy).
  pub values: &'a [u8],
}

const NO_NAMESPACE: u16 = u16::MAX;
const NO_METADATA: u32 = u32::MAX;

impl<'a> Record<'a> {
  pub fn encode(
    seq: u64,
    namespace: Option<&str>,
    entries: &[Entry],
    metadata: Option<&str>,
    values: Option<&[f32]>,
  ) -> Vec<u8> {
    let mut out = Vec::with_capacity(
      16 + namespace.map_or(0, str::len) + metadata.map_or(0, str::len) + values.map_or(0, |v| v.len() * 4),
    );
    out.extend_from_slice(&seq.to_le_bytes());
    match namespace {
      Some(ns) => {
        out.extend_from_slice(&(ns.len() as u16).to_le_bytes());
        out.extend_from_slice(ns.as_bytes());
      }
      None => out.extend_from_slice(&NO_NAMESPACE.to_le_bytes()),
    }
    out.extend_from_slice(&(entries.len() as u16).to_le_bytes());
    for (uid, key) in entries {
      out.extend_from_slice(&uid.to_le_bytes());
      match key {
        Key::Bool(b) => out.extend_from_slice(&[0, *b as u8]),
        Key::Num(Num(f)) => {
          out.push(1);
          out.extend_from_slice(&f.to_le_bytes());
        }
        Key::Str(s) => {
          out.push(2);
          out.push(s.len() as u8);
          out.extend_from_slice(s.as_bytes());
        }
      }
    }
    match metadata {
      Some(m) => {
        out.extend_from_slice(&(m.len() as u32).to_le_bytes());
        out.extend_from_slice(m.as_bytes());
      }
      None => out.extend_from_slice(&NO_METADATA.to_le_bytes()),
    }
    if let Some(v) = values {
      #[cfg(target_endian = "little")]
      out.extend_from_slice(bytemuck::cast_slice(v));
      #[cfg(not(target_endian = "little"))]
      for f in v {
        out.extend_from_slice(&f.to_le_bytes());
      }
    }
    out
  }

  /// `None` for bytes this module did not write.
  pub fn decode(bytes: &'a [u8]) -> Option<Self> {
    let mut r = Reader(bytes);
    let seq = u64::from_le_bytes(r.array()?);
    let ns_len = u16::from_le_bytes(r.array()?);
    let namespace = match ns_len {
      NO_NAMESPACE => None,
      n => Some(std::str::from_utf8(r.take(n as usize)?).ok()?),
    };
    let n = u16::from_le_bytes(r.array()?) as usize;
    let mut entries = Vec::with_capacity(n);
    for _ in 0..n {
      let uid = u64::from_le_bytes(r.array()?);
      let key = match r.take(1)?[0] {
        0 => Key::Bool(r.take(1)?[0] != 0),
        1 => Key::Num(Num(f64::from_le_bytes(r.array()?))),
        2 => {
          let len = r.take(1)?[0] as usize;
          Key::Str(std::str::from_utf8(r.take(len)?).ok()?.into())
        }
        _ => return None,
      };
      entries.push((uid, key));
    }
    let meta_len = u32::from_le_bytes(r.array()?);
    let metadata = match meta_len {
      NO_METADATA => None,
      n => Some(std::str::from_utf8(r.take(n as usize)?).ok()?),
    };
    Some(Record {
      seq,
      namespace,
      entries,
      metadata,
      values: r.0,
    })
  }
}

struct Reader<'a>(&'a [u8]);

impl<'a> Reader<'a> {
  fn take(&mut self, n: usize) -> Option<&'a [u8]> {
    if self.0.len() < n {
      return None;
    }
    let (a, b) = self.0.split_at(n);
    self.0 = b;
    Some(a)
  }

  fn array<const N: usize>(&mut self) -> Option<[u8; N]> {
    self.take(N)?.try_into().ok()
  }
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn round_trips_and_rejects_truncation() {
    let entries = vec![
      (3, Key::Bool(true)),
      (4, Key::num(-1.5)),
      (9, Key::Str("héllo".into())),
    ];
    let enc = Record::encode(7, Some("ns"), &entries, Some("{\"a\":1}"), Some(&[1.0, -2.5]));
    let r = Record::decode(&enc).unwrap();
    assert_eq!(
      (r.seq, r.namespace, r.metadata),
      (7, Some("ns"), Some("{\"a\":1}"))
    );
    assert_eq!(r.entries, entries);
    assert_eq!(r.values, [1.0f32.to_le_bytes(), (-2.5f32).to_le_bytes()].concat());
    let bare = Record::encode(1, None, &[], None, None);
    let r = Record::decode(&bare).unwrap();
    assert_eq!((r.namespace, r.metadata, r.values.len()), (None, None, 0));
    for cut in 0..enc.len() - 8 {
      // Every cut before the values section fails to decode (no panic).
      let _ = Record::decode(&enc[..cut]);
    }
    assert!(Record::decode(&enc[..5]).is_none());
  }
}
