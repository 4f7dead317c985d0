//! Query filters: parsing with Cloudflare's rules, and evaluation against the metadata indexes
//! (a filter yields candidate slots; vectors are scanned only after).
//!
//! Rules (Cloudflare's metadata-filtering docs): a non-empty object whose compact JSON is shorter
//! than 2048 bytes; keys non-empty, at most 512 characters, not starting with `$`, without `"`,
//! dots separating nested properties; values a string, number, boolean or null (implicit `$eq`)
//! or an object of operators, where `$in`/`$nin` take arrays and one lower bound may be combined
//! with one upper bound. Several keys are ANDed.

use super::error::VectorizeError;
use super::metaindex::{IndexType, Key, MetaIndex};
use crate::limits::vectorize::*;
use roaring::RoaringBitmap;
use serde_json::{Map, Value};
use std::ops::Bound;

#[derive(Clone, Debug, PartialEq)]
enum Scalar {
  Null,
  Bool(bool),
  Num(f64),
  Str(String),
}

impl Scalar {
  fn key(&self, ty: IndexType) -> Option<Key> {
    match (self, ty) {
      (Scalar::Str(s), IndexType::String) => Some(Key::Str(super::metaindex::truncate(s).into())),
      (Scalar::Num(n), IndexType::Number) => Some(Key::num(*n)),
      (Scalar::Bool(b), IndexType::Boolean) => Some(Key::Bool(*b)),
      _ => None,
    }
  }
}

#[derive(Clone, Debug, PartialEq)]
enum Cond {
  Eq(Scalar),
  Ne(Scalar),
  In(Vec<Scalar>),
  Nin(Vec<Scalar>),
  Range {
    lower: Option<(Scalar, bool)>,
    upper: Option<(Scalar, bool)>,
  },
}

#[derive(Clone, Debug, PartialEq)]
struct Clause {
  property: String,
  cond: Cond,
}

/// A validated filter.
#[derive(Clone, Debug, PartialEq)]
pub struct Filter {
  clauses: Vec<Clause>,
}

fn invalid(detail: impl Into<String>) -> VectorizeError {
  VectorizeError::InvalidFilter {
    detail: detail.into(),
  }
}

impl Filter {
  /// Parses and validates a filter given as (compact) JSON text.
  pub fn parse(json: &str) -> Result<Filter, VectorizeError> {
    let value: Value = crate::json::parse(json).map_err(|_| invalid("filter must be a non-empty object"))?;
    let Value::Object(map) = value else {
      return Err(invalid("filter must be a non-empty object"));
    };
    if map.is_empty() {
      return Err(invalid("filter must be a non-empty object"));
    }
    // Measure the compact form, whatever spacing the caller used.
    let len = serde_json::to_string(&map).map(|s| s.len()).unwrap_or(usize::MAX);
    if len >= MAX_FILTER_BYTES {
      return Err(invalid(format!(
        "filter must be less than {MAX_FILTER_BYTES} bytes of compact JSON, got {len}"
      )));
    }
    let mut clauses = Vec::with_capacity(map.len());
    for (key, value) in map {
      validate_key(&key)?;
      let cond = parse_cond(&key, value)?;
      clauses.push(Clause { property: key, cond });
    }
    Ok(Filter { clauses })
  }

  /// Candidate slots (ascending) of the vectors matching every clause. A property without a
  /// metadata index matches nothing, as on Cloudflare.
  pub fn candidates(&self, indexes: &[MetaIndex]) -> RoaringBitmap {
    let mut acc: Option<RoaringBitmap> = None;
    for clause in &self.clauses {
      let Some(index) = indexes.iter().find(|i| i.property == clause.property) else {
        return RoaringBitmap::new();
      };
      let set = clause.slots(index);
      acc = Some(match acc {
        None => set,
        Some(a) => a & set,
      });
      if acc.as_ref().is_some_and(RoaringBitmap::is_empty) {
        break;
      }
    }
    acc.unwrap_or_default()
  }
}

impl Clause {
  fn slots(&self, index: &MetaIndex) -> RoaringBitmap {
    let ty = index.ty;
    match &self.cond {
      Cond::Eq(s) => s.key(ty).map(|k| index.eq(&k)).unwrap_or_default(),
      Cond::Ne(s) => index.all_except(&s.key(ty).into_iter().collect::<Vec<_>>()),
      Cond::In(list) => {
        let mut out = RoaringBitmap::new();
        for k in list.iter().filter_map(|s| s.key(ty)) {
          out |= index.eq(&k);
        }
        out
      }
      Cond::Nin(list) => index.all_except(&list.iter().filter_map(|s| s.key(ty)).collect::<Vec<_>>()),
      Cond::Range { lower, upper } => {
        let bound = |b: &Option<(Scalar, bool)>| -> Option<Bound<Key>> {
          match b {
            None => Some(Bound::Unbounded),
            Some((s, incl)) => {
              let k = s.key(ty)?;
              Some(if *incl {
                Bound::Included(k)
              } else {
                Bound::Excluded(k)
              })
            }
          }
        };
        // An operand of another type than the index matches nothing.
        match (bound(lower), bound(upper)) {
          (Some(lo), Some(hi)) => index.range(lo, hi),
          _ => RoaringBitmap::new(),
        }
      }
    }
  }
}

fn validate_key(key: &str) -> Result<(), VectorizeError> {
  let reason = if key.is_empty() {
    "keys cannot be empty"
  } else if key.starts_with('$') {
    "keys cannot start with \"$\""
  } else if key.contains('"') {
    "keys cannot contain '\"'"
  } else if key.chars().count() > MAX_FILTER_KEY_CHARS {
    "keys cannot be longer than 512 characters"
  } else if key.split('.').any(str::is_empty) {
    "keys cannot have an empty property name around \".\" (dots separate nested properties)"
  } else {
    return Ok(());
  };
  Err(invalid(format!("invalid key \"{key}\": {reason}")))
}

fn scalar(v: &Value) -> Option<Scalar> {
  Some(match v {
    Value::Null => Scalar::Null,
    Value::Bool(b) => Scalar::Bool(*b),
    Value::Number(n) => Scalar::Num(n.as_f64()?),
    Value::String(s) => Scalar::Str(s.clone()),
    _ => return None,
  })
}

fn parse_cond(key: &str, value: Value) -> Result<Cond, VectorizeError> {
  match value {
    Value::Object(ops) => parse_ops(key, ops),
    v => scalar(&v).map(Cond::Eq).ok_or_else(|| {
      invalid(format!(
        "invalid value for key \"{key}\": expected a string, number, boolean, null or an object of operators"
      ))
    }),
  }
}

fn parse_ops(key: &str, ops: Map<String, Value>) -> Result<Cond, VectorizeError> {
  if ops.is_empty() {
    return Err(invalid(format!("no operator given for key \"{key}\"")));
  }
  let mut lower = None;
  let mut upper = None;
  let mut other = None;
  for (op, operand) in &ops {
    let bad_operand = |expected: &str| {
      invalid(format!(
        "invalid operand of \"{op}\" for key \"{key}\": expected {expected}"
      ))
    };
    match op.as_str() {
      "$eq" | "$ne" => {
        let s = scalar(operand).ok_or_else(|| bad_operand("a string, number, boolean or null"))?;
        other = Some(if op == "$eq" { Cond::Eq(s) } else { Cond::Ne(s) });
      }
      "$in" | "$nin" => {
        let list = operand
          .as_array()
          .and_then(|a| a.iter().map(scalar).collect::<Option<Vec<_>>>())
          .ok_or_else(|| bad_operand("an array of strings, numbers, booleans or null"))?;
        other = Some(if op == "$in" { Cond::In(list) } else { Cond::Nin(list) });
      }
      "$gt" | "$gte" | "$lt" | "$lte" => {
        let s = match scalar(operand) {
          Some(s @ (Scalar::Num(_) | Scalar::Str(_))) => s,
          _ => return Err(bad_operand("a string or a number")),
        };
        let bound = Some((s, op.ends_with('e')));
        let slot = if op.starts_with("$g") { &mut lower } else { &mut upper };
        if slot.is_some() {
          return Err(combination(key));
        }
        *slot = bound;
      }
      _ => {
        return Err(invalid(format!(
          "unsupported operator \"{op}\" for key \"{key}\" (supported: $eq, $ne, $in, $nin, $lt, $lte, $gt, $gte; nest properties with dotted keys)"
        )))
      }
    }
  }
  match other {
    Some(c) if ops.len() == 1 => Ok(c),
    Some(_) => Err(combination(key)),
    None => Ok(Cond::Range { lower, upper }),
  }
}

fn combination(key: &str) -> VectorizeError {
  invalid(format!(
    "invalid operator combination for key \"{key}\": only one lower bound ($gt, $gte) and one upper bound ($lt, $lte) may be combined"
  ))
}
