//! `range`: workerd's client-side checks of the object form, R2's satisfiability rules, and the
//! `Range` header form (one satisfiable `bytes=` range, anything else means the whole object).

use super::error::{R2Error, RangeField};

/// `R2Range` as given: numbers before validation.
#[derive(Clone, Copy, Debug, Default, PartialEq)]
pub struct RangeObject {
  pub offset: Option<f64>,
  pub length: Option<f64>,
  pub suffix: Option<f64>,
}

/// A validated request.
#[derive(Clone, Debug, PartialEq)]
pub enum RangeRequest {
  Bounds {
    offset: Option<u64>,
    length: Option<u64>,
  },
  Suffix(u64),
  /// The `Range` header's text.
  Header(String),
}

/// The bytes a read returns.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ByteRange {
  pub offset: u64,
  pub length: u64,
}

fn whole(field: RangeField, v: f64) -> Result<u64, R2Error> {
  if v.is_nan() || v < 0.0 {
    // workerd's `>= 0` check is false for NaN too.
    return Err(R2Error::RangeNegative { field, value: v });
  }
  // workerd counts infinity as a whole number; it is then unsatisfiable (offset) or clamped.
  if v.is_finite() && v.fract() != 0.0 {
    return Err(R2Error::RangeNotInteger { field, value: v });
  }
  Ok(if v.is_infinite() { u64::MAX } else { v as u64 })
}

impl RangeObject {
  /// workerd's checks, in its order.
  pub fn validate(&self) -> Result<RangeRequest, R2Error> {
    let offset = self.offset.map(|v| whole(RangeField::Offset, v)).transpose()?;
    let length = self.length.map(|v| whole(RangeField::Length, v)).transpose()?;
    if let Some(s) = self.suffix {
      if self.offset.is_some() {
        return Err(R2Error::SuffixWithOffset);
      }
      if self.length.is_some() {
        return Err(R2Error::SuffixWithLength);
      }
      return Ok(RangeRequest::Suffix(whole(RangeField::Suffix, s)?));
    }
    Ok(RangeRequest::Bounds { offset, length })
  }
}

impl RangeRequest {
  /// The range to return from an object of `size` bytes; an unsatisfiable object range is 10039.
  pub fn resolve(&self, size: u64) -> Result<ByteRange, R2Error> {
    match self {
      RangeRequest::Suffix(s) => {
        if *s == 0 {
          return Err(R2Error::InvalidRange);
        }
        let length = (*s).min(size);
        Ok(ByteRange {
          offset: size - length,
          length,
        })
      }
      RangeRequest::Bounds { offset, length } => {
        let offset = offset.unwrap_or(0);
        if offset > size {
          return Err(R2Error::InvalidRange);
        }
        let length = length.unwrap_or(size - offset);
        if length == 0 {
          return Err(R2Error::InvalidRange);
        }
        Ok(ByteRange {
          offset,
          length: length.min(size - offset),
        })
      }
      RangeRequest::Header(h) => Ok(parse_range_header(h, size).unwrap_or(ByteRange {
        offset: 0,
        length: size,
      })),
    }
  }
}

/// One satisfiable range of a `bytes=` header, clamped to the object; `None` for a missing,
/// malformed, multiple or unsatisfiable range.
pub fn parse_range_header(header: &str, size: u64) -> Option<ByteRange> {
  let spec = header.trim();
  let (unit, ranges) = spec.split_once('=')?;
  if !unit.trim().eq_ignore_ascii_case("bytes") || ranges.contains(',') {
    return None;
  }
  let (start, end) = ranges.trim().split_once('-')?;
  let (start, end) = (start.trim(), end.trim());
  let num = |s: &str| -> Option<u64> {
    if s.is_empty() || !s.bytes().all(|b| b.is_ascii_digit()) {
      return None;
    }
    s.parse().ok()
  };
  if start.is_empty() {
    let suffix = num(end)?;
    if suffix == 0 || size == 0 {
      return None;
    }
    let length = suffix.min(size);
    return Some(ByteRange {
      offset: size - length,
      length,
    });
  }
  let first = num(start)?;
  let last = if end.is_empty() {
    size.checked_sub(1)?
  } else {
    num(end)?
  };
  if first > last || first >= size {
    return None;
  }
  let last = last.min(size - 1);
  Some(ByteRange {
    offset: first,
    length: last - first + 1,
  })
}

#[cfg(test)]
mod tests {
  use super::*;

  fn obj(offset: Option<f64>, length: Option<f64>, suffix: Option<f64>) -> Result<RangeRequest, R2Error> {
    RangeObject {
      offset,
      length,
      suffix,
    }
    .validate()
  }

  #[test]
  fn object_form_checks_and_texts() {
    let err = |r: Result<RangeRequest, R2Error>| r.unwrap_err().to_string();
    assert_eq!(
      err(obj(Some(-1.0), None, None)),
      "Invalid range. Starting offset (-1) must be greater than or equal to 0."
    );
    assert_eq!(
      err(obj(Some(1.5), None, None)),
      "Invalid range. Starting offset (1.5) must be an integer, not floating point."
    );
    assert_eq!(
      err(obj(None, Some(-2.0), None)),
      "Invalid range. Length (-2) must be greater than or equal to 0."
    );
    assert_eq!(
      err(obj(Some(1.0), None, Some(1.0))),
      "Suffix is incompatible with offset."
    );
    assert_eq!(
      err(obj(None, Some(1.0), Some(1.0))),
      "Suffix is incompatible with length."
    );
    assert_eq!(
      err(obj(None, None, Some(-3.0))),
      "Invalid suffix. Suffix (-3) must be greater than or equal to 0."
    );
    assert_eq!(
      err(obj(None, None, Some(0.5))),
      "Invalid range. Suffix (0.5) must be an integer, not floating point."
    );
  }

  #[test]
  fn satisfiability() {
    let r = |o, l, s| obj(o, l, s).unwrap().resolve(5);
    let br = |offset, length| Some(ByteRange { offset, length });
    assert_eq!(r(Some(1.0), Some(3.0), None).ok(), br(1, 3));
    assert_eq!(r(None, Some(42.0), None).ok(), br(0, 5));
    assert_eq!(r(None, None, Some(3.0)).ok(), br(2, 3));
    assert_eq!(r(None, None, Some(42.0)).ok(), br(0, 5));
    for bad in [
      r(Some(42.0), None, None),
      r(Some(5.0), None, None),
      r(None, Some(0.0), None),
      r(None, None, Some(0.0)),
    ] {
      assert_eq!(
        bad.unwrap_err().to_string(),
        "get: The requested range is not satisfiable (10039)"
      );
    }
    assert!(obj(None, None, None).unwrap().resolve(0).is_err());
  }

  #[test]
  fn header_form() {
    let h = |s: &str| parse_range_header(s, 10);
    let br = |offset, length| Some(ByteRange { offset, length });
    assert_eq!(h("bytes=2-4"), br(2, 3));
    assert_eq!(h("bytes=-5"), br(5, 5));
    assert_eq!(h("bytes=7-"), br(7, 3));
    assert_eq!(h("bytes=7-100"), br(7, 3));
    for bad in [
      "bytes=5-6,8-9",
      "bytes=4-2",
      "bytes=10-12",
      "bytes=-0",
      "items=1-2",
      "bytes=a-b",
      "",
    ] {
      assert_eq!(h(bad), None, "{bad}");
    }
  }
}
