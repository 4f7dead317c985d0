//! Request bodies as EdgeBase's validator sees them: JSON only with an `application/json` (or
//! `+json`) content type — anything else validates as `{}` — and schema problems reported like
//! zod (`path: message`, joined by `, `), all as 400 before any other check.

use crate::error::ApiError;
use crate::limits::{DRAIN_BYTES, DRAIN_SECS, MAX_JSON_BODY_BYTES};
use axum::body::{Body, Bytes};
use axum::http::{header, HeaderMap, StatusCode};
use bytes::BytesMut;
use http_body_util::BodyExt;
use serde_json::{Map, Value};

/// Hono's test: `^application/([a-z-.]+\+)?json(;\s*[a-zA-Z0-9-]+=([^;]+))*$` (case-sensitive, so
/// `Application/JSON` is not JSON).
pub fn is_json_content_type(ct: &str) -> bool {
  let Some(rest) = ct.strip_prefix("application/") else {
    return false;
  };
  let (mime, params) = match rest.split_once(';') {
    Some((m, p)) => (m, Some(p)),
    None => (rest, None),
  };
  let subtype_ok = mime == "json"
    || mime.strip_suffix("+json").is_some_and(|s| {
      !s.is_empty()
        && s
          .bytes()
          .all(|b| b.is_ascii_lowercase() || b == b'-' || b == b'.')
    });
  subtype_ok
    && params.is_none_or(|p| {
      p.split(';')
        .all(|param| match param.trim_start().split_once('=') {
          Some((n, v)) => {
            !n.is_empty() && n.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-') && !v.is_empty()
          }
          None => false,
        })
    })
}

pub fn too_large(limit: usize) -> ApiError {
  ApiError::new(
    StatusCode::PAYLOAD_TOO_LARGE,
    format!("Request body exceeds the limit of {limit} bytes."),
  )
}

/// Reads a whole body up to `limit` bytes. Past the limit the rest is read and dropped for a
/// while (`DRAIN_*`), so the client, still sending, receives the 413 instead of a reset.
pub async fn read_limited(body: Body, limit: usize) -> Result<Bytes, ApiError> {
  let mut body = body;
  let mut buf = BytesMut::new();
  let mut over = false;
  let mut drained = 0usize;
  let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(DRAIN_SECS);
  loop {
    let frame = if over {
      match tokio::time::timeout_at(deadline, body.frame()).await {
        Ok(f) => f,
        Err(_) => break,
      }
    } else {
      body.frame().await
    };
    let Some(frame) = frame else { break };
    let Ok(data) = frame.map_err(|_| ()).and_then(|f| f.into_data().map_err(|_| ())) else {
      if over {
        break;
      }
      // A client that stops mid-body (reset, truncated chunk): nothing was accepted.
      return Err(ApiError::bad_request("The request body ended early."));
    };
    if over {
      drained += data.len();
      if drained > DRAIN_BYTES {
        break;
      }
    } else if buf.len() + data.len() > limit {
      over = true;
      buf = BytesMut::new();
    } else {
      buf.extend_from_slice(&data);
    }
  }
  if over {
    Err(too_large(limit))
  } else {
    Ok(buf.freeze())
  }
}

/// The declared `Content-Length`, if any.
pub fn content_length(headers: &HeaderMap) -> Option<u64> {
  headers.get(header::CONTENT_LENGTH)?.to_str().ok()?.parse().ok()
}

/// Reads the body of a JSON route: `{}` for a non-JSON content type, 413 past the limit, 400
/// `Malformed JSON in request body` for bytes that are not JSON.
pub async fn read_json(headers: &HeaderMap, body: Body) -> Result<Value, ApiError> {
  let json = headers
    .get(header::CONTENT_TYPE)
    .and_then(|v| v.to_str().ok())
    .is_some_and(is_json_content_type);
  if !json {
    return Ok(Value::Object(Map::new()));
  }
  if content_length(headers).is_some_and(|n| n > MAX_JSON_BODY_BYTES as u64) {
    return Err(too_large(MAX_JSON_BODY_BYTES));
  }
  let bytes = read_limited(body, MAX_JSON_BODY_BYTES).await?;
  let text = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(&bytes);
  serde_json::from_slice(text)
    .ok()
    // JSON.parse (EdgeBase's) accepts lone surrogate escapes, which JSON.stringify writes.
    .or_else(|| {
      std::str::from_utf8(text)
        .ok()
        .and_then(|t| edgebase_engine::json::parse(t).ok())
    })
    .ok_or_else(|| ApiError::bad_request("Malformed JSON in request body"))
}

/// zod's name for a value's type.
pub fn received(v: Option<&Value>) -> &'static str {
  match v {
    None => "undefined",
    Some(Value::Null) => "null",
    Some(Value::Bool(_)) => "boolean",
    Some(Value::Number(_)) => "number",
    Some(Value::String(_)) => "string",
    Some(Value::Array(_)) => "array",
    Some(Value::Object(_)) => "object",
  }
}

#[derive(Clone, Copy, PartialEq, Eq)]
pub enum Ty {
  Str,
  Num,
  Bool,
  /// An array of anything (`z.array(z.unknown())`).
  Arr,
  /// A plain object (`z.record(z.string(), z.unknown())`).
  Record,
}

impl Ty {
  fn name(self) -> &'static str {
    match self {
      Ty::Str => "string",
      Ty::Num => "number",
      Ty::Bool => "boolean",
      Ty::Arr => "array",
      Ty::Record => "record",
    }
  }

  fn accepts(self, v: &Value) -> bool {
    matches!(
      (self, v),
      (Ty::Str, Value::String(_))
        | (Ty::Num, Value::Number(_))
        | (Ty::Bool, Value::Bool(_))
        | (Ty::Arr, Value::Array(_))
        | (Ty::Record, Value::Object(_))
    )
  }
}

/// A body object being validated; collects every issue, like zod, in schema order.
pub struct Schema<'a> {
  obj: &'a Map<String, Value>,
  issues: Vec<String>,
}

impl<'a> Schema<'a> {
  pub fn of(v: &'a Value) -> Result<Self, ApiError> {
    match v {
      Value::Object(obj) => Ok(Schema {
        obj,
        issues: Vec::new(),
      }),
      other => Err(ApiError::bad_request(format!(
        "Invalid input: expected object, received {}",
        received(Some(other))
      ))),
    }
  }

  pub fn issue(&mut self, path: &str, message: impl std::fmt::Display) {
    self.issues.push(format!("{path}: {message}"));
  }

  /// Checks `v` at `path` against `ty` (an issue when absent unless `optional`).
  pub fn check(&mut self, path: &str, v: Option<&'a Value>, ty: Ty, optional: bool) -> Option<&'a Value> {
    match v {
      None if optional => None,
      Some(v) if ty.accepts(v) => Some(v),
      other => {
        self.issue(
          path,
          format_args!(
            "Invalid input: expected {}, received {}",
            ty.name(),
            received(other)
          ),
        );
        None
      }
    }
  }

  pub fn field(&mut self, key: &str, ty: Ty, optional: bool) -> Option<&'a Value> {
    self.check(key, self.obj.get(key), ty, optional)
  }

  pub fn opt_str(&mut self, key: &str) -> Option<&'a str> {
    self.field(key, Ty::Str, true).and_then(Value::as_str)
  }

  pub fn opt_num(&mut self, key: &str) -> Option<f64> {
    self.field(key, Ty::Num, true).and_then(Value::as_f64)
  }

  /// A required enum field; `None` (with an issue) unless it is one of `options`.
  pub fn one_of(&mut self, key: &str, options: &'static [&'static str]) -> Option<&'static str> {
    let v = self.obj.get(key).and_then(Value::as_str);
    let found = v.and_then(|v| options.iter().copied().find(|o| *o == v));
    if found.is_none() {
      let list: Vec<String> = options.iter().map(|o| format!("\"{o}\"")).collect();
      self.issue(
        key,
        format_args!("Invalid option: expected one of {}", list.join("|")),
      );
    }
    found
  }

  pub fn get(&self, key: &str) -> Option<&'a Value> {
    self.obj.get(key)
  }

  pub fn finish(self) -> Result<(), ApiError> {
    if self.issues.is_empty() {
      Ok(())
    } else {
      Err(ApiError::bad_request(self.issues.join(", ")))
    }
  }
}

#[cfg(test)]
mod tests {
  use super::*;
  use serde_json::json;

  #[test]
  fn json_content_types() {
    for ok in [
      "application/json",
      "application/json; charset=utf-8",
      "application/json;charset=UTF-8",
      "application/vnd.api+json",
      "application/ld+json; a=1; b=2",
    ] {
      assert!(is_json_content_type(ok), "{ok}");
    }
    for bad in [
      "Application/JSON",
      "application/JSON",
      "text/json",
      "application/json;",
      "application/json ",
      "application/+json",
      "application/x_y+json",
      "text/plain",
      "",
      "application/json; =x",
    ] {
      assert!(!is_json_content_type(bad), "{bad}");
    }
  }

  #[test]
  fn zod_like_messages() {
    let v = json!({ "action": "nope", "key": 5, "ttl": null });
    let mut s = Schema::of(&v).unwrap();
    s.one_of("action", &["get", "set"]);
    s.opt_str("key");
    s.opt_num("ttl");
    s.opt_str("prefix");
    assert_eq!(
      s.finish().unwrap_err().message,
      "action: Invalid option: expected one of \"get\"|\"set\", key: Invalid input: expected string, received number, ttl: Invalid input: expected number, received null"
    );
    assert_eq!(
      Schema::of(&json!([1])).err().unwrap().message,
      "Invalid input: expected object, received array"
    );
  }
}
