//! Signed URLs (EdgeBase's format): token `<expiresAtMs>.<hexHmac>` or
//! `<expiresAtMs>.<maxBytes>.<hexHmac>`, HMAC-SHA256 with `JWT_USER_SECRET` over
//! `<bucket>:<key>:<expiresAtMs>:<maxBytes or empty>`.

use super::access::Action;
use super::{
  allowed, batch_keys, body_key, error, file_not_found, invalid, json_body, parse_int, r2_error,
  string_array, validate_key,
};
use crate::app::App;
use crate::error::{ApiError, ApiResult};
use crate::json::{array, Obj};
use crate::routes::json;
use crate::time;
use axum::extract::Request;
use axum::http::{header, HeaderMap, StatusCode};
use hmac::{Hmac, Mac};
use sha2::Sha256;
use subtle::ConstantTimeEq;

const MAX_SIGNED_MS: i64 = 7 * 86_400_000;

fn hmac_hex(secret: &str, data: &str) -> String {
  let mut mac = Hmac::<Sha256>::new_from_slice(secret.as_bytes()).expect("HMAC takes any key length");
  mac.update(data.as_bytes());
  mac
    .finalize()
    .into_bytes()
    .iter()
    .map(|b| format!("{b:02x}"))
    .collect()
}

pub fn create_token(
  bucket: &str,
  key: &str,
  expires_at: i64,
  secret: &str,
  max_bytes: Option<u64>,
) -> String {
  let max = max_bytes.map(|m| m.to_string()).unwrap_or_default();
  let sig = hmac_hex(secret, &format!("{bucket}:{key}:{expires_at}:{max}"));
  match max_bytes {
    Some(m) => format!("{expires_at}.{m}.{sig}"),
    None => format!("{expires_at}.{sig}"),
  }
}

/// A valid, unexpired token for (bucket, key): its `maxBytes` claim.
pub fn verify_token(token: &str, bucket: &str, key: &str, secret: &str) -> Option<Option<u64>> {
  let parts: Vec<&str> = token.split('.').collect();
  let (expires, max, sig) = match parts.as_slice() {
    [e, s] => (*e, None, *s),
    [e, m, s] => (*e, Some(*m), *s),
    _ => return None,
  };
  let expires_at: i64 = parse_int(expires)?;
  if time::now_ms() > expires_at {
    return None;
  }
  let max = match max {
    Some(m) => Some(parse_int(m)?.max(0) as u64),
    None => None,
  };
  let data = format!(
    "{bucket}:{key}:{expires_at}:{}",
    max.map(|m| m.to_string()).unwrap_or_default()
  );
  let expected = hmac_hex(secret, &data);
  bool::from(sig.as_bytes().ct_eq(expected.as_bytes())).then_some(max)
}

/// `<n>(s|m|h|d)`, anything else `fallback`; at most 7 days.
pub fn duration_ms(s: Option<&str>, fallback_ms: i64) -> i64 {
  let parsed = s.and_then(|s| {
    let (n, unit) = s.split_at(s.len().checked_sub(1)?);
    let n: i64 = n
      .parse()
      .ok()
      .filter(|_| n.bytes().all(|b| b.is_ascii_digit()) && !n.is_empty())?;
    let mult = match unit {
      "s" => 1000,
      "m" => 60_000,
      "h" => 3_600_000,
      "d" => 86_400_000,
      _ => return None,
    };
    Some(n.saturating_mul(mult))
  });
  parsed.unwrap_or(fallback_ms).min(MAX_SIGNED_MS)
}

/// `^\d+(B|KB|MB|GB)$` (case-insensitive, 1024-based).
pub fn byte_size(s: Option<&str>) -> Result<Option<u64>, ApiError> {
  let Some(s) = s.filter(|s| !s.is_empty()) else {
    return Ok(None);
  };
  let t = s.trim().to_ascii_uppercase();
  let digits = t.bytes().take_while(u8::is_ascii_digit).count();
  let mult: u64 = match &t[digits..] {
    "B" => 1,
    "KB" => 1024,
    "MB" => 1024 * 1024,
    "GB" => 1024 * 1024 * 1024,
    _ => 0,
  };
  match t[..digits].parse::<u64>() {
    Ok(n) if mult > 0 => Ok(Some(n.saturating_mul(mult))),
    _ => Err(invalid(
      "Invalid maxFileSize. Use a byte size like 128B, 1KB, 5MB, or 1GB.",
    )),
  }
}

fn secret(app: &App) -> Result<&str, ApiError> {
  app.jwt_secret.as_deref().ok_or_else(|| {
    error(
      StatusCode::INTERNAL_SERVER_ERROR,
      "Signed URLs require JWT_USER_SECRET to be configured.",
      "internal-error",
    )
  })
}

/// `encodeURIComponent`.
pub fn encode_component(s: &str) -> String {
  let mut out = String::with_capacity(s.len());
  for b in s.bytes() {
    if b.is_ascii_alphanumeric() || b"-_.!~*'()".contains(&b) {
      out.push(b as char);
    } else {
      out.push_str(&format!("%{b:02X}"));
    }
  }
  out
}

fn origin(headers: &HeaderMap) -> String {
  let host = headers
    .get(header::HOST)
    .and_then(|h| h.to_str().ok())
    .unwrap_or("localhost");
  format!("http://{host}")
}

pub async fn signed_url(app: &App, name: &str, req: Request) -> ApiResult {
  let (v, parts) = json_body(req, &["key"], &["expiresIn"], |_| {}).await?;
  let (b, _access) = allowed(app, name, &parts, Action::Read)?;
  let headers = &parts.headers;
  let key = body_key(&v)?;
  let path = format!("/api/storage/{name}/signed-url");
  if b
    .r2
    .head(&b.r2_key(key))
    .map_err(|e| r2_error(e, &path))?
    .is_none()
  {
    return Err(file_not_found());
  }
  let expires_at = time::now_ms() + duration_ms(v["expiresIn"].as_str().filter(|s| !s.is_empty()), 3_600_000);
  let token = create_token(name, key, expires_at, secret(app)?, None);
  let url = format!(
    "{}/api/storage/{}/{}?token={token}",
    origin(headers),
    encode_component(name),
    encode_component(key)
  );
  Ok(json(
    Obj::new()
      .field("url", url)
      .field("expiresAt", time::iso(expires_at))
      .finish(),
  ))
}

pub async fn signed_urls(app: &App, name: &str, req: Request) -> ApiResult {
  let (v, parts) = json_body(req, &[], &["expiresIn"], |s| string_array(s, "keys")).await?;
  let (b, _access) = allowed(app, name, &parts, Action::Read)?;
  let headers = &parts.headers;
  let keys = batch_keys(&v, "signed URL")?;
  let secret = secret(app)?;
  let expires_at = time::now_ms() + duration_ms(v["expiresIn"].as_str().filter(|s| !s.is_empty()), 3_600_000);
  let path = format!("/api/storage/{name}/signed-urls");
  let mut urls = Vec::new();
  for key in keys {
    validate_key(key)?;
    if b
      .r2
      .head(&b.r2_key(key))
      .map_err(|e| r2_error(e, &path))?
      .is_none()
    {
      continue; // missing files are skipped
    }
    let token = create_token(name, key, expires_at, secret, None);
    let url = format!(
      "{}/api/storage/{}/{}?token={token}",
      origin(headers),
      encode_component(name),
      encode_component(key)
    );
    urls.push(
      Obj::new()
        .field("key", key)
        .field("url", url)
        .field("expiresAt", time::iso(expires_at))
        .finish(),
    );
  }
  Ok(json(Obj::new().raw("urls", &array(urls)).finish()))
}

pub async fn signed_upload_url(app: &App, name: &str, req: Request) -> ApiResult {
  let (v, parts) = json_body(req, &["key"], &["expiresIn", "maxFileSize"], |_| {}).await?;
  let (_b, access) = allowed(app, name, &parts, Action::Write)?;
  let headers = &parts.headers;
  let key = body_key(&v)?;
  let max_file_size = v["maxFileSize"].as_str();
  let max_bytes = byte_size(max_file_size)?;
  let expires_at = time::now_ms() + duration_ms(v["expiresIn"].as_str().filter(|s| !s.is_empty()), 1_800_000);
  let token = create_token(name, key, expires_at, secret(app)?, max_bytes);
  let url = format!(
    "{}/api/storage/{name}/upload?token={token}&key={}",
    origin(headers),
    encode_component(key)
  );
  let uploaded_by = access.auth().map(|a| a.id.clone());
  Ok(json(
    Obj::new()
      .field("url", url)
      .field("expiresAt", time::iso(expires_at))
      .field("maxFileSize", max_file_size)
      .field("uploadedBy", uploaded_by)
      .finish(),
  ))
}

#[cfg(test)]
mod tests {
  use super::*;

  #[test]
  fn tokens_round_trip_and_fail_closed() {
    let later = time::now_ms() + 60_000;
    let t = create_token("b", "a/k.txt", later, "s", None);
    assert_eq!(verify_token(&t, "b", "a/k.txt", "s"), Some(None));
    assert_eq!(verify_token(&t, "b", "a/k.txt", "other"), None);
    assert_eq!(verify_token(&t, "c", "a/k.txt", "s"), None);
    assert_eq!(verify_token(&t, "b", "a/k.tx", "s"), None);
    let capped = create_token("b", "k", later, "s", Some(5));
    assert_eq!(verify_token(&capped, "b", "k", "s"), Some(Some(5)));
    let forged = capped.replacen(".5.", ".9.", 1);
    assert_eq!(verify_token(&forged, "b", "k", "s"), None);
    let past = create_token("b", "k", time::now_ms() - 1, "s", None);
    assert_eq!(verify_token(&past, "b", "k", "s"), None);
    for junk in ["", "x", "1.2.3.4", "abc.def"] {
      assert_eq!(verify_token(junk, "b", "k", "s"), None);
    }
  }

  #[test]
  fn durations_and_sizes() {
    assert_eq!(duration_ms(Some("30m"), 1), 1_800_000);
    assert_eq!(duration_ms(Some("2h"), 1), 7_200_000);
    assert_eq!(duration_ms(Some("30d"), 1), MAX_SIGNED_MS);
    assert_eq!(duration_ms(Some("soon"), 42), 42);
    assert_eq!(duration_ms(None, 42), 42);
    assert_eq!(byte_size(Some("5MB")).unwrap(), Some(5 * 1024 * 1024));
    assert_eq!(byte_size(Some("128b")).unwrap(), Some(128));
    assert_eq!(byte_size(None).unwrap(), None);
    assert!(byte_size(Some("5 MB")).is_err());
    assert!(byte_size(Some("MB")).is_err());
    assert_eq!(encode_component("a/b c€"), "a%2Fb%20c%E2%82%AC");
  }
}
