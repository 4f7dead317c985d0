//! What R2 stores about an object besides its bytes, and how the index encodes it.

use super::error::{Algorithm, DateProblem, R2Error};
use serde_json::Value;

/// `R2HTTPMetadata`: stored verbatim, handed back on every read.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct HttpMetadata {
  pub content_type: Option<String>,
  pub content_language: Option<String>,
  pub content_disposition: Option<String>,
  pub content_encoding: Option<String>,
  pub cache_control: Option<String>,
  /// Milliseconds since the UNIX epoch.
  pub cache_expiry: Option<f64>,
}

/// The largest |milliseconds| a workerd `Date` argument may have: i64 nanoseconds.
const MAX_DATE_MS: f64 = 9_223_372_036_854.0;

/// A `Date` argument as workerd converts it: finite, within ±2^63 ns of the epoch.
pub fn check_date(ms: f64) -> Result<(), R2Error> {
  if !ms.is_finite() {
    return Err(R2Error::InvalidDate(DateProblem::NotADate));
  }
  if ms > MAX_DATE_MS {
    return Err(R2Error::InvalidDate(DateProblem::TooLate));
  }
  if ms < -MAX_DATE_MS {
    return Err(R2Error::InvalidDate(DateProblem::TooEarly));
  }
  Ok(())
}

/// The text fields: `R2HTTPMetadata` name and the header carrying it.
pub const HTTP_TEXT_FIELDS: [(&str, &str); 5] = [
  ("contentType", "content-type"),
  ("contentLanguage", "content-language"),
  ("contentDisposition", "content-disposition"),
  ("contentEncoding", "content-encoding"),
  ("cacheControl", "cache-control"),
];

impl HttpMetadata {
  /// The text fields' values, in `HTTP_TEXT_FIELDS` order.
  pub fn texts(&self) -> [&Option<String>; 5] {
    [
      &self.content_type,
      &self.content_language,
      &self.content_disposition,
      &self.content_encoding,
      &self.cache_control,
    ]
  }

  /// workerd's `fromRequestHeaders`: the five content headers plus `Expires` (an HTTP date; one
  /// that does not parse is dropped).
  pub fn from_headers(
    content_type: Option<String>,
    content_language: Option<String>,
    content_disposition: Option<String>,
    content_encoding: Option<String>,
    cache_control: Option<String>,
    expires: Option<&str>,
  ) -> Self {
    HttpMetadata {
      content_type,
      content_language,
      content_disposition,
      content_encoding,
      cache_control,
      // Out of `Date`'s convertible range: dropped like an unparseable date.
      cache_expiry: expires
        .and_then(parse_http_date)
        .filter(|ms| check_date(*ms).is_ok()),
    }
  }

  /// workerd's conversion of `cacheExpiry` (a `Date`, or milliseconds).
  pub fn validate(&self) -> Result<(), R2Error> {
    self.cache_expiry.map_or(Ok(()), check_date)
  }

  /// The headers `writeHttpMetadata` sets, as (name, value) pairs.
  pub fn headers(&self) -> Vec<(&'static str, String)> {
    let mut out = Vec::new();
    for ((_, name), v) in HTTP_TEXT_FIELDS.iter().zip(self.texts()) {
      if let Some(v) = v {
        out.push((*name, v.clone()));
      }
    }
    if let Some(ms) = self.cache_expiry {
      out.push(("expires", format_http_date(ms)));
    }
    out
  }

  pub(crate) fn to_json(&self) -> String {
    let mut m = serde_json::Map::new();
    for ((name, _), v) in HTTP_TEXT_FIELDS.iter().zip(self.texts()) {
      if let Some(v) = v {
        m.insert((*name).into(), Value::String(v.clone()));
      }
    }
    if let Some(ms) = self.cache_expiry {
      m.insert("cacheExpiry".into(), Value::from(ms));
    }
    Value::Object(m).to_string()
  }

  pub(crate) fn from_json(s: &str) -> Self {
    if s == "{}" {
      return Self::default();
    }
    let v: Value = serde_json::from_str(s).unwrap_or(Value::Null);
    let [t, l, d, e, c] = HTTP_TEXT_FIELDS.map(|(k, _)| v.get(k).and_then(Value::as_str).map(String::from));
    HttpMetadata {
      content_type: t,
      content_language: l,
      content_disposition: d,
      content_encoding: e,
      cache_control: c,
      cache_expiry: v.get("cacheExpiry").and_then(Value::as_f64),
    }
  }
}

/// `customMetadata`, in the caller's order.
pub type CustomMetadata = Vec<(String, String)>;

/// Miniflare's size rule: each string counts its UTF-16 length, doubled when any code unit is
/// 256 or more.
pub fn custom_metadata_size(m: &CustomMetadata) -> usize {
  let len = |s: &str| {
    let (units, wide) = s
      .encode_utf16()
      .fold((0usize, false), |(n, w), u| (n + 1, w || u >= 256));
    if wide {
      2 * units
    } else {
      units
    }
  };
  m.iter().map(|(k, v)| len(k) + len(v)).sum()
}

pub(crate) fn custom_to_json(m: &CustomMetadata) -> String {
  let pairs: Vec<Value> = m
    .iter()
    .map(|(k, v)| Value::Array(vec![Value::String(k.clone()), Value::String(v.clone())]))
    .collect();
  Value::Array(pairs).to_string()
}

pub(crate) fn custom_from_json(s: &str) -> CustomMetadata {
  if s == "[]" {
    return Vec::new();
  }
  let v: Value = serde_json::from_str(s).unwrap_or(Value::Null);
  let Some(pairs) = v.as_array() else {
    return Vec::new();
  };
  pairs
    .iter()
    .filter_map(|p| Some((p.get(0)?.as_str()?.to_string(), p.get(1)?.as_str()?.to_string())))
    .collect()
}

/// The digests stored with an object, lowercase hex.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Checksums {
  pub md5: Option<String>,
  pub sha1: Option<String>,
  pub sha256: Option<String>,
  pub sha384: Option<String>,
  pub sha512: Option<String>,
}

impl Checksums {
  pub fn get(&self, a: Algorithm) -> Option<&str> {
    match a {
      Algorithm::Md5 => self.md5.as_deref(),
      Algorithm::Sha1 => self.sha1.as_deref(),
      Algorithm::Sha256 => self.sha256.as_deref(),
      Algorithm::Sha384 => self.sha384.as_deref(),
      Algorithm::Sha512 => self.sha512.as_deref(),
    }
  }

  pub fn set(&mut self, a: Algorithm, hex: String) {
    let slot = match a {
      Algorithm::Md5 => &mut self.md5,
      Algorithm::Sha1 => &mut self.sha1,
      Algorithm::Sha256 => &mut self.sha256,
      Algorithm::Sha384 => &mut self.sha384,
      Algorithm::Sha512 => &mut self.sha512,
    };
    *slot = Some(hex);
  }

  /// `md5=<hex>,sha256=<hex>` — compact and order-stable.
  pub(crate) fn encode(&self) -> String {
    let mut out = String::new();
    for a in Algorithm::ALL {
      if let Some(h) = self.get(a) {
        if !out.is_empty() {
          out.push(',');
        }
        out.push_str(a.field());
        out.push('=');
        out.push_str(h);
      }
    }
    out
  }

  pub(crate) fn decode(s: &str) -> Self {
    let mut c = Checksums::default();
    for item in s.split(',') {
      if let Some((name, hex)) = item.split_once('=') {
        if let Some(a) = Algorithm::ALL.into_iter().find(|a| a.field() == name) {
          c.set(a, hex.to_string());
        }
      }
    }
    c
  }
}

/// One file holding a run of the object's bytes: single-part objects have one, multipart
/// objects one per part (completing an upload moves no bytes).
#[derive(Clone, Debug, PartialEq)]
pub struct Segment {
  pub blob: String,
  pub size: u64,
}

pub(crate) fn segments_encode(s: &[Segment]) -> String {
  let mut out = String::with_capacity(s.len() * 48);
  for (i, seg) in s.iter().enumerate() {
    if i > 0 {
      out.push(',');
    }
    out.push_str(&seg.blob);
    out.push(':');
    out.push_str(&seg.size.to_string());
  }
  out
}

pub(crate) fn segments_decode(s: &str) -> Vec<Segment> {
  s.split(',')
    .filter(|x| !x.is_empty())
    .filter_map(|x| {
      let (blob, size) = x.split_once(':')?;
      Some(Segment {
        blob: blob.to_string(),
        size: size.parse().ok()?,
      })
    })
    .collect()
}

/// Everything `head` reports about an object.
#[derive(Clone, Debug, PartialEq)]
pub struct ObjectMeta {
  pub key: String,
  pub version: String,
  pub size: u64,
  pub etag: String,
  /// Milliseconds since the UNIX epoch.
  pub uploaded: u64,
  pub checksums: Checksums,
  pub http_metadata: HttpMetadata,
  pub custom_metadata: CustomMetadata,
  pub storage_class: String,
  /// Where the bytes are (internal; not part of the binding's result).
  pub segments: Vec<Segment>,
}

impl ObjectMeta {
  /// `httpEtag`: the etag in double quotes.
  pub fn http_etag(&self) -> String {
    format!("\"{}\"", self.etag)
  }
}

const DAYS: [&str; 7] = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"];
const MONTHS: [&str; 12] = [
  "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
];

/// Days since 1970-01-01 of a civil date (Howard Hinnant's algorithm).
fn days_from_civil(y: i64, m: i64, d: i64) -> i64 {
  let y = if m <= 2 { y - 1 } else { y };
  let era = y.div_euclid(400);
  let yoe = y - era * 400;
  let mp = (m + 9) % 12;
  let doy = (153 * mp + 2) / 5 + d - 1;
  let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy;
  era * 146097 + doe - 719468
}

/// `Thu, 01 Jan 1970 00:00:01 GMT` — what `Date.prototype.toUTCString` prints.
pub fn format_http_date(ms: f64) -> String {
  let secs = (ms / 1000.0).floor() as i64;
  let days = secs.div_euclid(86_400);
  let rem = secs.rem_euclid(86_400);
  let (y, m, d) = crate::clock::civil_from_days(days);
  let wd = (days + 4).rem_euclid(7) as usize;
  let year = if y < 0 {
    format!("-{:06}", -y)
  } else {
    format!("{y:04}")
  };
  format!(
    "{}, {:02} {} {} {:02}:{:02}:{:02} GMT",
    DAYS[wd],
    d,
    MONTHS[(m - 1) as usize],
    year,
    rem / 3600,
    rem % 3600 / 60,
    rem % 60
  )
}

/// Parses the three HTTP date forms (IMF-fixdate, RFC 850, asctime) to milliseconds.
pub fn parse_http_date(s: &str) -> Option<f64> {
  let s = s.trim();
  let month = |m: &str| {
    MONTHS
      .iter()
      .position(|x| x.eq_ignore_ascii_case(m))
      .map(|i| i as i64 + 1)
  };
  let hms = |t: &str| -> Option<(i64, i64, i64)> {
    let mut it = t.split(':').map(|x| x.parse::<i64>().ok());
    let (h, m, s) = (it.next()??, it.next()??, it.next()??);
    (h < 24 && m < 60 && s < 61).then_some((h, m, s))
  };
  let parts: Vec<&str> = s.split_whitespace().collect();
  let (y, mo, d, (h, mi, se)) = match parts.as_slice() {
    // Sun, 06 Nov 1994 08:49:37 GMT
    [_, d, m, y, t, "GMT"] => (y.parse().ok()?, month(m)?, d.parse().ok()?, hms(t)?),
    // Sunday, 06-Nov-94 08:49:37 GMT
    [_, dmy, t, "GMT"] => {
      let mut it = dmy.split('-');
      let (d, m, y) = (it.next()?, it.next()?, it.next()?);
      let y: i64 = y.parse().ok()?;
      let y = if y < 100 {
        if y < 70 {
          2000 + y
        } else {
          1900 + y
        }
      } else {
        y
      };
      (y, month(m)?, d.parse().ok()?, hms(t)?)
    }
    // Sun Nov  6 08:49:37 1994
    [_, m, d, t, y] => (y.parse().ok()?, month(m)?, d.parse().ok()?, hms(t)?),
    _ => return None,
  };
  if !(1..=31).contains(&d) {
    return None;
  }
  let days = days_from_civil(y, mo, d);
  Some(((days * 86_400 + h * 3600 + mi * 60 + se) * 1000) as f64)
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn http_dates_round_trip() {
    assert_eq!(format_http_date(1000.0), "Thu, 01 Jan 1970 00:00:01 GMT");
    assert_eq!(
      format_http_date(784_111_777_000.0),
      "Sun, 06 Nov 1994 08:49:37 GMT"
    );
    for s in [
      "Sun, 06 Nov 1994 08:49:37 GMT",
      "Sunday, 06-Nov-94 08:49:37 GMT",
      "Sun Nov  6 08:49:37 1994",
    ] {
      assert_eq!(parse_http_date(s), Some(784_111_777_000.0), "{s}");
    }
    assert_eq!(parse_http_date("yesterday"), None);
    assert_eq!(parse_http_date("Sun, 99 Nov 1994 08:49:37 GMT"), None);
  }

  #[test]
  fn dates_outside_workerds_range() {
    let err = |ms: f64| check_date(ms).unwrap_err().to_string();
    assert_eq!(
      err(f64::NAN),
      "The value cannot be converted because it is not a valid Date."
    );
    assert_eq!(
      err(9_223_372_036_855.0),
      "This API doesn't support dates after 2189."
    );
    assert_eq!(
      err(-9_223_372_036_855.0),
      "This API doesn't support dates before 1687."
    );
    assert!(check_date(9_223_372_036_854.0).is_ok() && check_date(-1.0).is_ok());
    // An `Expires` header that far out is dropped like an unparseable one.
    let h = |e: &str| HttpMetadata::from_headers(None, None, None, None, None, Some(e)).cache_expiry;
    assert_eq!(h("Fri, 31 Dec 9999 23:59:59 GMT"), None);
    assert_eq!(h("Sun, 06 Nov 1994 08:49:37 GMT"), Some(784_111_777_000.0));
  }

  #[test]
  fn metadata_size_rule() {
    let m = |k: &str, v: &str| vec![(k.to_string(), v.to_string())];
    assert_eq!(custom_metadata_size(&m("key", &"x".repeat(2045))), 2048);
    assert_eq!(custom_metadata_size(&m("key1", &"🙂".repeat(511))), 4 + 2044);
    assert_eq!(custom_metadata_size(&m("ā", "a")), 2 + 1);
  }

  #[test]
  fn encodings_round_trip() {
    let c = Checksums {
      md5: Some("ab".into()),
      sha256: Some("cd".into()),
      ..Default::default()
    };
    assert_eq!(Checksums::decode(&c.encode()), c);
    let segs = vec![
      Segment {
        blob: "a1".into(),
        size: 5,
      },
      Segment {
        blob: "b2".into(),
        size: 0,
      },
    ];
    assert_eq!(segments_decode(&segments_encode(&segs)), segs);
    let custom = vec![("b".to_string(), "1".to_string()), ("a".into(), "\"q\"".into())];
    assert_eq!(custom_from_json(&custom_to_json(&custom)), custom);
    let h = HttpMetadata {
      content_type: Some("text/plain".into()),
      cache_expiry: Some(1234.0),
      ..Default::default()
    };
    assert_eq!(HttpMetadata::from_json(&h.to_json()), h);
  }
}
