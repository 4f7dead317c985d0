//! `/api/storage/...` — EdgeBase's storage routes over an R2 binding: a bucket is a config-level
//! prefix (`<bucket>/<key>` in the bucket's R2 binding, `STORAGE` by default). Access: a valid
//! service key (scope `storage:bucket:<b>:read|write|delete`), else the bucket's rule; without a
//! rule, allowed in dev and 403 in release. Errors carry EdgeBase's slugs.
//!
//! Paths are dispatched here rather than by the router, in Hono's order of registration, so that
//! multi-segment keys and the `/metadata` suffix resolve exactly as in EdgeBase.

mod access;
mod files;
mod multipart;
mod signed;
mod transfer;
mod upload;

use super::decode_segment;
use crate::app::App;
use crate::error::{ApiError, ApiResult};
use crate::json::Obj;
use crate::routes::body::{read_json, Schema, Ty};
use crate::time;
use access::{Access, Action};
use axum::extract::{Request, State};
use axum::http::request::Parts;
use axum::http::{Method, StatusCode, Uri};
use edgebase_engine::r2::{HttpMetadata, ObjectMeta, PutOptions, R2Bucket, R2Error};
use serde_json::Value as Json;
use std::sync::Arc;

/// EdgeBase's storage errors: `{ code, message, slug }`.
pub fn error(
  status: StatusCode,
  message: impl Into<std::borrow::Cow<'static, str>>,
  slug: &'static str,
) -> ApiError {
  ApiError::new(status, message).slug(slug)
}

pub fn invalid(message: impl Into<std::borrow::Cow<'static, str>>) -> ApiError {
  error(StatusCode::BAD_REQUEST, message, "validation-failed")
}

pub fn file_not_found() -> ApiError {
  error(StatusCode::NOT_FOUND, "File not found.", "not-found")
}

/// An R2 engine error: storage faults are 500, everything the caller can fix is 4xx with R2's
/// text (an unknown or finished upload included, which R2 itself answers with 500).
pub fn r2_error(e: R2Error, path: &str) -> ApiError {
  match e {
    R2Error::Storage(_) => {
      eprintln!("@edgebase/native: storage call on {path} failed: {e}");
      ApiError::internal(path)
    }
    R2Error::InvalidRange => error(
      StatusCode::RANGE_NOT_SATISFIABLE,
      e.to_string(),
      "validation-failed",
    ),
    R2Error::EntityTooLarge(_) => error(StatusCode::PAYLOAD_TOO_LARGE, e.to_string(), "payload-too-large"),
    other => invalid(other.to_string()),
  }
}

/// EdgeBase's `validateStorageKey`.
pub fn validate_key(key: &str) -> Result<(), ApiError> {
  if key.trim().is_empty() {
    return Err(invalid("Storage key must not be empty."));
  }
  if key.encode_utf16().count() > 1024 {
    return Err(invalid("Storage key must not exceed 1024 characters."));
  }
  if key.contains('\0') {
    return Err(invalid("Storage key must not contain null bytes."));
  }
  if key.split('/').any(|s| s == "..") {
    return Err(invalid(
      "Storage key must not contain path traversal sequences (..).",
    ));
  }
  Ok(())
}

/// JavaScript's `parseInt` of a decimal string: the leading integer, if any.
pub fn parse_int(s: &str) -> Option<i64> {
  let t = s.trim_start();
  let end = t
    .char_indices()
    .find(|(i, c)| !(c.is_ascii_digit() || (*i == 0 && (*c == '-' || *c == '+'))))
    .map_or(t.len(), |(i, _)| i);
  t[..end].parse().ok()
}

/// A query parameter.
pub fn query(uri: &Uri, name: &str) -> Option<String> {
  form_urlencoded::parse(uri.query()?.as_bytes())
    .find(|(k, _)| k == name)
    .map(|(_, v)| v.into_owned())
}

/// A JSON body checked like EdgeBase's zod schemas (before anything else): required and optional
/// string fields, then `extra` checks.
pub async fn json_body(
  req: Request,
  strings: &[&str],
  optional: &[&str],
  extra: impl FnOnce(&mut Schema),
) -> Result<(Json, Parts), ApiError> {
  let (parts, raw) = req.into_parts();
  let v = read_json(&parts.headers, raw).await?;
  let mut s = Schema::of(&v)?;
  for f in strings {
    s.field(f, Ty::Str, false);
  }
  for f in optional {
    s.field(f, Ty::Str, true);
  }
  extra(&mut s);
  s.finish()?;
  Ok((v, parts))
}

/// A required array of strings (`keys`).
pub fn string_array(s: &mut Schema, field: &str) {
  if let Some(items) = s.field(field, Ty::Arr, false).and_then(Json::as_array) {
    for (i, item) in items.iter().enumerate() {
      s.check(&format!("{field}[{i}]"), Some(item), Ty::Str, false);
    }
  }
}

/// `keys` of a batch request: 1 to 100 of them.
pub fn batch_keys<'v>(v: &'v Json, what: &str) -> Result<Vec<&'v str>, ApiError> {
  let keys: Vec<&str> = v["keys"]
    .as_array()
    .map(|a| a.iter().filter_map(Json::as_str).collect())
    .unwrap_or_default();
  if keys.is_empty() {
    return Err(invalid("Missing required field: keys (non-empty array)."));
  }
  if keys.len() > 100 {
    return Err(invalid(format!("Maximum 100 keys per batch {what} request.")));
  }
  Ok(keys)
}

/// The body's `key`: present, non-empty and a valid storage key.
pub fn body_key(v: &Json) -> Result<&str, ApiError> {
  let key = v["key"]
    .as_str()
    .filter(|k| !k.is_empty())
    .ok_or_else(|| invalid("Missing required field: key."))?;
  validate_key(key)?;
  Ok(key)
}

/// A put with this content type and custom metadata.
pub fn put_options(content_type: String, custom: Vec<(String, String)>) -> PutOptions {
  PutOptions {
    http_metadata: HttpMetadata {
      content_type: Some(content_type),
      ..HttpMetadata::default()
    },
    custom_metadata: custom,
    ..PutOptions::default()
  }
}

/// The bucket, once the caller passed its check for `action` (no file involved).
pub fn allowed<'a>(
  app: &'a App,
  name: &str,
  parts: &'a Parts,
  action: Action,
) -> Result<(Bucket<'a>, Access<'a>), ApiError> {
  let b = bucket(app, name)?;
  let access = Access::of_parts(app, parts);
  access.check(&b, action, None)?;
  Ok((b, access))
}

/// A declared bucket: its name, its R2 binding and its rules.
pub struct Bucket<'a> {
  pub name: String,
  pub r2: &'a Arc<R2Bucket>,
  pub config: &'a crate::config::Bucket,
}

impl Bucket<'_> {
  /// The object key in R2.
  pub fn r2_key(&self, key: &str) -> String {
    format!("{}/{key}", self.name)
  }
}

pub fn bucket<'a>(app: &'a App, name: &str) -> Result<Bucket<'a>, ApiError> {
  match (app.stores.buckets.get(name), app.config.buckets.get(name)) {
    (Some(r2), Some(config)) => Ok(Bucket {
      name: name.to_string(),
      r2,
      config,
    }),
    _ => Err(error(
      StatusCode::NOT_FOUND,
      format!("Storage bucket '{name}' is not configured."),
      "not-found",
    )),
  }
}

/// EdgeBase's `buildMetadata`: the key without the bucket prefix, and the defaults it fills in.
pub fn metadata(m: &ObjectMeta) -> Obj {
  let key = m.key.split_once('/').map_or("", |(_, k)| k);
  let mut custom = Obj::new();
  let mut uploaded_by = None;
  for (k, v) in &m.custom_metadata {
    custom = custom.field(k, v);
    if k == "uploadedBy" && !v.is_empty() {
      uploaded_by = Some(v.as_str());
    }
  }
  Obj::new()
    .field("key", key)
    .field("size", m.size)
    .field(
      "contentType",
      m.http_metadata
        .content_type
        .as_deref()
        .filter(|c| !c.is_empty())
        .unwrap_or("application/octet-stream"),
    )
    .field("etag", &m.etag)
    .field("uploadedAt", time::iso(m.uploaded as i64))
    .field("uploadedBy", uploaded_by)
    .raw("customMetadata", &custom.finish())
}

/// The resource a rule sees (`resource.<field>`): the metadata's top-level string fields.
pub fn resource(m: &ObjectMeta) -> Vec<(&'static str, String)> {
  let key = m.key.split_once('/').map_or("", |(_, k)| k).to_string();
  let mut r = vec![
    ("key", key),
    (
      "contentType",
      m.http_metadata
        .content_type
        .clone()
        .unwrap_or_else(|| "application/octet-stream".into()),
    ),
    ("etag", m.etag.clone()),
    ("uploadedAt", time::iso(m.uploaded as i64)),
  ];
  if let Some((_, by)) = m
    .custom_metadata
    .iter()
    .find(|(k, v)| k == "uploadedBy" && !v.is_empty())
  {
    r.push(("uploadedBy", by.clone()));
  }
  r
}

/// The key at the end of a catch-all path: each segment percent-decoded.
fn decode_key(tail: &str) -> String {
  tail.split('/').map(decode_segment).collect::<Vec<_>>().join("/")
}

pub async fn handle(State(app): State<Arc<App>>, req: Request) -> ApiResult {
  let path = req.uri().path().to_string();
  let rest = path.strip_prefix("/api/storage/").unwrap_or_default();
  let (raw_bucket, tail) = match rest.split_once('/') {
    Some((b, t)) => (b, Some(t)),
    None => (rest, None),
  };
  if raw_bucket.is_empty() {
    return Err(ApiError::path_not_found(&path));
  }
  let name = decode_segment(raw_bucket);
  let method = req.method().clone();
  match (method, tail) {
    (Method::POST, Some("upload")) => upload::upload(&app, &name, req).await,
    (Method::POST, Some("delete-batch")) => files::delete_batch(&app, &name, req).await,
    (Method::POST, Some("signed-url")) => signed::signed_url(&app, &name, req).await,
    (Method::POST, Some("signed-urls")) => signed::signed_urls(&app, &name, req).await,
    (Method::POST, Some("signed-upload-url")) => signed::signed_upload_url(&app, &name, req).await,
    (Method::POST, Some("multipart/create")) => multipart::create(&app, &name, req).await,
    (Method::POST, Some("multipart/upload-part")) => multipart::upload_part(&app, &name, req).await,
    (Method::POST, Some("multipart/complete")) => multipart::complete(&app, &name, req).await,
    (Method::POST, Some("multipart/abort")) => multipart::abort(&app, &name, req).await,
    (Method::GET | Method::HEAD, None) => files::list(&app, &name, req).await,
    (Method::GET, Some(t)) => {
      let segs: Vec<&str> = t.split('/').collect();
      if let ["uploads", upload_id, "parts"] = segs.as_slice() {
        return multipart::parts(&app, &name, &decode_segment(upload_id), req).await;
      }
      match t.strip_suffix("/metadata") {
        Some(k) => files::get_metadata(&app, &name, &decode_key(k), req).await,
        None => files::download(&app, &name, &decode_key(t), req).await,
      }
    }
    (Method::HEAD, Some(t)) => files::exists(&app, &name, &decode_key(t), req).await,
    (Method::DELETE, Some(t)) => files::delete(&app, &name, &decode_key(t), req).await,
    (Method::PATCH, Some(t)) => match t.strip_suffix("/metadata") {
      Some(k) => files::update_metadata(&app, &name, &decode_key(k), req).await,
      None => Err(error(StatusCode::NOT_FOUND, "Not found.", "not-found")),
    },
    _ => Err(ApiError::path_not_found(&path)),
  }
}

#[allow(dead_code)]
fn send_check(app: &App, r: Request) {
  fn is_send<T: Send>(_: &T) {}
  is_send(&upload::upload(app, "", Request::default()));
  is_send(&files::list(app, "", Request::default()));
  is_send(&files::download(app, "", "", Request::default()));
  is_send(&files::update_metadata(app, "", "", Request::default()));
  is_send(&files::delete_batch(app, "", Request::default()));
  is_send(&files::get_metadata(app, "", "", Request::default()));
  is_send(&files::exists(app, "", "", Request::default()));
  is_send(&files::delete(app, "", "", Request::default()));
  is_send(&signed::signed_url(app, "", Request::default()));
  is_send(&signed::signed_urls(app, "", Request::default()));
  is_send(&signed::signed_upload_url(app, "", Request::default()));
  is_send(&multipart::create(app, "", Request::default()));
  is_send(&multipart::upload_part(app, "", Request::default()));
  is_send(&multipart::complete(app, "", Request::default()));
  is_send(&multipart::abort(app, "", Request::default()));
  is_send(&multipart::parts(app, "", "", r));
}
