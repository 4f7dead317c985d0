//! Metadata indexes: per indexed property, an ordered set of `(value, slot)` pairs, so that
//! equality, `$in` and ranges are range scans that yield candidate slots before any vector is
//! read. As on Cloudflare, an index only holds vectors written after it was created, only values
//! of its type, and only the first 64 bytes of strings.

use crate::limits::vectorize::INDEXED_STRING_BYTES;
use roaring::RoaringBitmap;
use serde_json::Value;
use std::cmp::Ordering;
use std::collections::BTreeMap;
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
  /// Slots per indexed value.
  postings: BTreeMap<Key, RoaringBitmap>,
  /// Every slot with a value in this index.
  all: RoaringBitmap,
}

impl MetaIndex {
  pub fn new(property: &str, ty: IndexType, uid: u64) -> Self {
    MetaIndex {
      property: property.into(),
      path: property.split('.').map(String::from).collect(),
      ty,
      uid,
      postings: BTreeMap::new(),
      all: RoaringBitmap::new(),
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
    self.postings.entry(key).or_default().insert(slot);
    self.all.insert(slot);
  }

  pub fn remove(&mut self, key: &Key, slot: u32) {
    if let Some(p) = self.postings.get_mut(key) {
      p.remove(slot);
      if p.is_empty() {
        self.postings.remove(key);
      }
    }
    self.all.remove(slot);
  }

  /// Slots whose key equals `key`.
  pub fn eq(&self, key: &Key) -> RoaringBitmap {
    self.postings.get(key).cloned().unwrap_or_default()
  }

  /// Slots whose key lies between the bounds.
  pub fn range(&self, lower: Bound<Key>, upper: Bound<Key>) -> RoaringBitmap {
    if let (Bound::Included(a) | Bound::Excluded(a), Bound::Included(b) | Bound::Excluded(b)) =
      (&lower, &upper)
    {
      let empty =
        a > b || (a == b && !(matches!(lower, Bound::Included(_)) && matches!(upper, Bound::Included(_))));
      if empty {
        return RoaringBitmap::new();
      }
    }
    let mut out = RoaringBitmap::new();
    for p in self.postings.range((lower, upper)).map(|(_, p)| p) {
      out |= p;
    }
    out
  }

  /// Every slot with a value in this index, except those whose key is one of `keys`.
  pub fn all_except(&self, keys: &[Key]) -> RoaringBitmap {
    let mut out = self.all.clone();
    for k in keys {
      if let Some(p) = self.postings.get(k) {
        out -= p;
      }
    }
    out
  }

  /// Follows a slot that compaction moved.
  pub fn relocate(&mut self, key: &Key, from: u32, to: u32) {
    if let Some(p) = self.postings.get_mut(key) {
      if p.remove(from) {
        p.insert(to);
        self.all.remove(from);
        self.all.insert(to);
      }
    }
  }
}
