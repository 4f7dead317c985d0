//! The routes: `/api/health`, `/`, the native resources (`/api/kv/:ns`, …) and EdgeBase's JSON
//! 404 for everything else (any method on an unknown path, or an unserved method on a known one).

pub(crate) mod body;
mod d1;
mod kv;
mod storage;
mod vectorize;

pub use body::is_json_content_type;

use crate::app::{service_key_header, App, Caller};
use crate::auth::KeyCheck;
use crate::error::ApiError;
use crate::json::Obj;
use crate::time;
use axum::extract::Request;
use axum::http::request::Parts;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{any, get, post};
use axum::Router;
use std::sync::Arc;

/// The routes (the middleware wraps the whole router, see `server.rs`, so that a 404 for an
/// unserved method carries no `Allow` header).
pub fn router(app: Arc<App>) -> Router {
  Router::new()
    .route("/", get(root))
    .route("/api/health", get(health))
    .route("/api/kv/{namespace}", post(kv::handle))
    .route("/api/d1/{database}", post(d1::handle))
    .route("/api/vectorize/{index}", post(vectorize::handle))
    .route("/api/storage/{*rest}", any(storage::handle))
    .fallback(not_found)
    .method_not_allowed_fallback(not_found)
    .with_state(app)
}

/// A 200 JSON response from already-serialized bytes.
pub fn json(bytes: Vec<u8>) -> Response {
  json_status(StatusCode::OK, bytes)
}

pub fn json_status(status: StatusCode, bytes: Vec<u8>) -> Response {
  let mut res = (status, bytes).into_response();
  res
    .headers_mut()
    .insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
  res
}

/// The service-key check of the native routes (header only): 403 `X-EdgeBase-Service-Key is
/// required to <purpose>.` without one, 401 `Invalid X-EdgeBase-Service-Key for <resource>.` for a
/// wrong key or scope.
pub fn require_key(
  app: &App,
  parts: &Parts,
  scope: &str,
  purpose: &str,
  resource: &str,
) -> Result<(), ApiError> {
  match app.check_key(
    service_key_header(&parts.headers).as_deref(),
    scope,
    &caller(parts),
  ) {
    KeyCheck::Valid => Ok(()),
    KeyCheck::Missing => Err(ApiError::new(
      StatusCode::FORBIDDEN,
      format!("X-EdgeBase-Service-Key is required to {purpose}."),
    )),
    KeyCheck::Invalid => Err(ApiError::new(
      StatusCode::UNAUTHORIZED,
      format!("Invalid X-EdgeBase-Service-Key for {resource}."),
    )),
  }
}

/// The caller the middleware admitted.
pub fn caller(req: &Parts) -> Caller {
  req.extensions.get::<Caller>().cloned().unwrap_or_default()
}

/// A path segment percent-decoded as `decodeURIComponent` would, keeping any `%XX` run that
/// does not decode to UTF-8 as it was (Hono's `tryDecode`).
pub fn decode_segment(raw: &str) -> String {
  if !raw.contains('%') {
    return raw.to_string();
  }
  let b = raw.as_bytes();
  let hex = |c: u8| (c as char).to_digit(16).map(|d| d as u8);
  let mut out = String::with_capacity(raw.len());
  let mut i = 0;
  while i < b.len() {
    // A run of %XX escapes decodes together (multi-byte UTF-8).
    let start = i;
    let mut bytes = Vec::new();
    while i + 2 < b.len() && b[i] == b'%' {
      match (hex(b[i + 1]), hex(b[i + 2])) {
        (Some(h), Some(l)) => {
          bytes.push(h << 4 | l);
          i += 3;
        }
        _ => break,
      }
    }
    if i > start {
      match String::from_utf8(bytes) {
        Ok(s) => out.push_str(&s),
        Err(_) => out.push_str(&raw[start..i]),
      }
      continue;
    }
    let ch = raw[i..].chars().next().unwrap_or('\u{fffd}');
    out.push(ch);
    i += ch.len_utf8();
  }
  out
}

async fn health() -> Response {
  json(
    Obj::new()
      .field("status", "ok")
      .field("version", env!("CARGO_PKG_VERSION"))
      .field("timestamp", time::iso(time::now_ms()))
      .finish(),
  )
}

async fn root() -> Response {
  json(
    Obj::new()
      .field("name", "EdgeBase API")
      .field("docs", "/openapi.json")
      .field("admin", ())
      .finish(),
  )
}

async fn not_found(req: Request) -> Response {
  ApiError::path_not_found(req.uri().path()).into_response()
}

#[cfg(test)]
mod tests {
  use super::decode_segment;

  #[test]
  fn decodes_like_decode_uri_component() {
    assert_eq!(decode_segment("cache"), "cache");
    assert_eq!(decode_segment("my%20ns"), "my ns");
    assert_eq!(decode_segment("%E2%82%AC"), "€");
    assert_eq!(decode_segment("a%2Fb"), "a/b");
    assert_eq!(decode_segment("bad%E2%82"), "bad%E2%82");
    assert_eq!(decode_segment("100%"), "100%");
    assert_eq!(decode_segment("%zz%41"), "%zzA");
  }
}
