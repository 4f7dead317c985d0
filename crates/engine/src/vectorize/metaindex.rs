//! Metadata indexes: per indexed property, an ordered set of `(value, slot)` pairs, so that
//! equality, `$in` and ranges are range scans that yield candidate slots before any vector is
//! read. As on Cloudflare, an index only holds vectors written after it was created, only values
//! of its type, and only the first 64 bytes of strings.

use crate::limits::vectorize::INDEXED_STRING_BYTES;
use serde_json::Value;
use std::cmp::Ordering;
use std::collections::BTreeSet;
use std::ops::Bound;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum IndexType {
  String,
  Number,
  Boolean,
}

impl IndexType {
  pub fn parse(s: &str) -> Option<Self> {
    match s {
      "string" => Some(IndexType::String),
      "number" => Some(IndexType::Number),
      "boolean" => Some(IndexType::Boolean),
      _ => None,
    }
  }

  pub fn as_str(self) -> &'static str {
    match self {
      IndexType::String => "string",
      IndexType::Number => "number",
      IndexType::Boolean => "boolean",
    }
  }

  pub(crate) fn tag(self) -> u8 {
    match self {
      IndexType::String => 0,
      IndexType::Number => 1,
      IndexType::Boolean => 2,
    }
  }

  pub(crate) fn from_tag(t: u8) -> Option<Self> {
    [IndexType::String, IndexType::Number, IndexType::Boolean]
      .get(t as usize)
      .copied()
  }

  /// The indexed form of a JSON value, when it has this index's type.
  pub(crate) fn key_of(self, v: &Value) -> Option<Key> {
    match (self, v) {
      (IndexType::String, Value::String(s)) => Some(Key::Str(truncate(s).into())),
      (IndexType::Number, Value::Number(n)) => n.as_f64().map(Key::num),
      (IndexType::Boolean, Value::Bool(b)) => Some(Key::Bool(*b)),
      _ => None,
    }
  }
}

/// The first 64 bytes of `s`, cut back to a UTF-8 character boundary.
pub(crate) fn truncate(s: &str) -> &str {
  if s.len() <= INDEXED_STRING_BYTES {
    return s;
  }
  let mut end = INDEXED_STRING_BYTES;
  while !s.is_char_boundary(end) {
    end -= 1;
  }
  &s[..end]
}

/// An indexed value. Within one index all keys have the index's type.
#[derive(Clone, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Key {
  Bool(bool),
  Num(Num),
  Str(Box<str>),
}

impl Key {
  pub(crate) fn num(f: f64) -> Key {
    // -0 and 0 are one value, as in JSON.
    Key::Num(Num(if f == 0.0 { 0.0 } else { f }))
  }

  pub(crate) fn to_json(&self) -> Value {
    match self {
      Key::Bool(b) => Value::Bool(*b),
      Key::Num(Num(f)) => serde_json::Number::from_f64(*f).map_or(Value::Null, Value::Number),
      Key::Str(s) => Value::String(s.to_string()),
    }
  }
}

/// A float64 with a total order (JSON numbers are never NaN).
#[derive(Clone, Copy, Debug)]
pub struct Num(pub f64);

impl PartialEq for Num {
  fn eq(&self, o: &Self) -> bool {
    self.0.total_cmp(&o.0) == Ordering::Equal
  }
}
impl Eq for Num {}
impl PartialOrd for Num {
  fn partial_cmp(&self, o: &Self) -> Option<Ordering> {
    Some(self.cmp(o))
  }
}
impl Ord for Num {
  fn cmp(&self, o: &Self) -> Ordering {
    self.0.total_cmp(&o.0)
  }
}

/// One indexed value of a vector: the index's id (its creation sequence number) and the key.
pub type Entry = (u64, Key);

pub struct MetaIndex {
  pub property: String,
  path: Vec<String>,
  pub ty: IndexType,
  /// The mutation sequence number that created it; also its identity.
  pub uid: u64,
  set: BTreeSet<(Key, u32)>,
}

impl MetaIndex {
  pub fn new(property: &str, ty: IndexType, uid: u64) -> Self {
    MetaIndex {
      property: property.into(),
      path: property.split('.').map(String::from).collect(),
      ty,
      uid,
      set: BTreeSet::new(),
    }
  }

  /// The indexed key of `metadata` for this property (dotted names walk nested objects).
  pub fn key_of(&self, metadata: &Value) -> Option<Key> {
    let mut v = metadata;
    for part in &self.path {
      v = v.as_object()?.get(part)?;
    }
    self.ty.key_of(v)
  }

  pub fn insert(&mut self, key: Key, slot: u32) {
    self.set.insert((key, slot));
  }

  pub fn remove(&mut self, key: &Key, slot: u32) {
    self.set.remove(&(key.clone(), slot));
  }

  pub fn len(&self) -> usize {
    self.set.len()
  }

  /// Slots whose key equals `key`, ascending.
  pub fn eq(&self, key: &Key, out: &mut Vec<u32>) {
    self.range(Bound::Included(key.clone()), Bound::Included(key.clone()), out)
  }

  /// Slots whose key lies between the bounds, ascending by key.
  pub fn range(&self, lower: Bound<Key>, upper: Bound<Key>, out: &mut Vec<u32>) {
    let lo = match lower {
      Bound::Included(k) => Bound::Included((k, 0)),
      Bound::Excluded(k) => Bound::Excluded((k, u32::MAX)),
      Bound::Unbounded => Bound::Unbounded,
    };
    let hi = match upper {
      Bound::Included(k) => Bound::Included((k, u32::MAX)),
      Bound::Excluded(k) => Bound::Excluded((k, 0)),
      Bound::Unbounded => Bound::Unbounded,
    };
    if let (Bound::Included(a) | Bound::Excluded(a), Bound::Included(b) | Bound::Excluded(b)) = (&lo, &hi) {
      if a > b {
        return;
      }
    }
    out.extend(self.set.range((lo, hi)).map(|(_, s)| *s));
  }

  /// Every slot with a key not in `keys`.
  pub fn all_except(&self, keys: &[Key], out: &mut Vec<u32>) {
    out.extend(
      self
        .set
        .iter()
        .filter(|(k, _)| !keys.contains(k))
        .map(|(_, s)| *s),
    );
  }

  /// Follows a slot that compaction moved.
  pub fn relocate(&mut self, key: &Key, from: u32, to: u32) {
    if self.set.remove(&(key.clone(), from)) {
      self.set.insert((key.clone(), to));
    }
  }
}
