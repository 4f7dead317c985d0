//! Files of a bucket: download (with Range), HEAD, metadata get and patch, delete, batch delete
//! and list with cursors (EdgeBase's `offset:<n>` cursors included).

use super::access::{Access, Action};
use super::signed::verify_token;
use super::{
  batch_keys, bucket, error, file_not_found, invalid, json_body, metadata, parse_int, put_options, query,
  r2_error, resource, string_array, transfer, validate_key,
};
use crate::app::App;
use crate::error::{ApiError, ApiResult};
use crate::json::{array, Obj};
use crate::routes::body::{read_json, Schema, Ty};
use crate::routes::json;
use crate::time;
use axum::extract::Request;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use edgebase_engine::r2::{
  parse_range_header, CustomMetadata, GetOptions, GetResult, ListOptions, ObjectMeta, RangeInput, RangeObject,
};
use serde_json::Value as Json;

const OFFSET_CURSOR: &str = "offset:";

/// Keys with a `..` segment are refused on every route (workerd would have normalized them away
/// before EdgeBase saw the path).
fn no_traversal(key: &str) -> Result<(), ApiError> {
  if key.split('/').any(|s| s == "..") {
    return Err(invalid(
      "Storage key must not contain path traversal sequences (..).",
    ));
  }
  Ok(())
}

fn lookup(b: &super::Bucket, key: &str, path: &str) -> Result<ObjectMeta, ApiError> {
  b.r2
    .head(&b.r2_key(key))
    .map_err(|e| r2_error(e, path))?
    .ok_or_else(file_not_found)
}

/// A file the caller may read (metadata, HEAD).
fn readable(app: &App, name: &str, key: &str, req: &Request) -> Result<ObjectMeta, ApiError> {
  no_traversal(key)?;
  let b = bucket(app, name)?;
  let m = lookup(&b, key, req.uri().path())?;
  Access::of_request(app, req).check(&b, Action::Read, Some(&resource(&m)))?;
  Ok(m)
}

pub async fn get_metadata(app: &App, name: &str, key: &str, req: Request) -> ApiResult {
  Ok(json(metadata(&readable(app, name, key, &req)?).finish()))
}

pub async fn exists(app: &App, name: &str, key: &str, req: Request) -> ApiResult {
  readable(app, name, key, &req)?;
  Ok(StatusCode::OK.into_response())
}

/// Whether `h` is a single `bytes=` range in valid syntax (unsatisfiable ones included).
fn range_syntax(h: &str) -> bool {
  let Some((unit, spec)) = h.trim().split_once('=') else {
    return false;
  };
  let Some((a, z)) = spec.trim().split_once('-') else {
    return false;
  };
  let digits = |s: &str| s.trim().bytes().all(|b| b.is_ascii_digit());
  unit.trim().eq_ignore_ascii_case("bytes")
    && !spec.contains(',')
    && digits(a)
    && digits(z)
    && !(a.trim().is_empty() && z.trim().is_empty())
}

pub async fn download(app: &App, name: &str, key: &str, req: Request) -> ApiResult {
  no_traversal(key)?;
  let path = req.uri().path().to_string();
  let b = bucket(app, name)?;
  let signed = match (query(req.uri(), "token"), &app.jwt_secret) {
    (Some(token), Some(secret)) => verify_token(&token, name, key, secret).is_some(),
    _ => false, // no secret: the token is ignored and the rules decide
  };
  let range_header = req
    .headers()
    .get(header::RANGE)
    .and_then(|h| h.to_str().ok())
    .map(String::from);
  let options = GetOptions::default();
  let found = b
    .r2
    .get(&b.r2_key(key), &options)
    .map_err(|e| r2_error(e, &path))?;
  let GetResult::Found { meta, body, .. } = found else {
    return Err(file_not_found());
  };
  if !signed {
    let access = Access::of_request(app, &req);
    access.check(&b, Action::Read, Some(&resource(&meta)))?;
  }
  let size = meta.size;
  let mut status = StatusCode::OK;
  let mut body = body;
  let mut content_range = None;
  if let Some(h) = range_header.as_deref() {
    match parse_range_header(h, size) {
      Some(r) => {
        drop(body);
        let ranged = GetOptions {
          range: Some(RangeInput::Object(RangeObject {
            offset: Some(r.offset as f64),
            length: Some(r.length as f64),
            suffix: None,
          })),
          ..GetOptions::default()
        };
        match b
          .r2
          .get(&b.r2_key(key), &ranged)
          .map_err(|e| r2_error(e, &path))?
        {
          GetResult::Found { body: part, .. } => body = part,
          _ => return Err(file_not_found()),
        }
        status = StatusCode::PARTIAL_CONTENT;
        content_range = Some(format!("bytes {}-{}/{size}", r.offset, r.offset + r.length - 1));
      }
      None if range_syntax(h) => {
        let mut res = error(
          StatusCode::RANGE_NOT_SATISFIABLE,
          "The requested range is not satisfiable.",
          "validation-failed",
        )
        .into_response();
        res.headers_mut().insert(
          header::CONTENT_RANGE,
          HeaderValue::from_str(&format!("bytes */{size}")).expect("ascii"),
        );
        return Ok(res);
      }
      None => {} // malformed: the whole file, as HTTP says
    }
  }
  let length = body.remaining();
  let mut res = Response::new(transfer::download(body));
  *res.status_mut() = status;
  let h = res.headers_mut();
  let ct = meta
    .http_metadata
    .content_type
    .as_deref()
    .filter(|c| !c.is_empty())
    .unwrap_or("application/octet-stream");
  let put = |h: &mut axum::http::HeaderMap, name, value: &str| {
    if let Ok(v) = HeaderValue::from_str(value) {
      h.insert(name, v);
    }
  };
  put(h, header::CONTENT_TYPE, ct);
  put(h, header::CONTENT_LENGTH, &length.to_string());
  put(h, header::ETAG, &meta.etag);
  put(h, header::LAST_MODIFIED, &time::http_date(meta.uploaded as i64));
  put(h, header::ACCEPT_RANGES, "bytes");
  if let Some(cr) = content_range {
    put(h, header::CONTENT_RANGE, &cr);
  }
  Ok(res)
}

/// `{ customMetadata?, contentType? }` merged into the stored metadata; the bytes are re-put.
pub async fn update_metadata(app: &App, name: &str, key: &str, req: Request) -> ApiResult {
  no_traversal(key)?;
  let path = req.uri().path().to_string();
  let (parts, raw) = req.into_parts();
  let v = read_json(&parts.headers, raw).await?;
  let mut s = Schema::of(&v)?;
  if let Some(cm) = s
    .field("customMetadata", Ty::Record, true)
    .and_then(Json::as_object)
  {
    for (k, val) in cm {
      s.check(&format!("customMetadata.{k}"), Some(val), Ty::Str, false);
    }
  }
  s.field("contentType", Ty::Str, true);
  s.finish()?;
  let b = bucket(app, name)?;
  let existing = lookup(&b, key, &path)?;
  let access = Access::of_parts(app, &parts);
  access.check(&b, Action::Write, Some(&resource(&existing)))?;
  let mut custom: CustomMetadata = existing.custom_metadata.clone();
  for (k, val) in v
    .get("customMetadata")
    .and_then(Json::as_object)
    .into_iter()
    .flatten()
  {
    let val = val.as_str().unwrap_or_default().to_string();
    match custom.iter_mut().find(|(ck, _)| ck == k) {
      Some(slot) => slot.1 = val,
      None => custom.push((k.clone(), val)),
    }
  }
  let content_type = v
    .get("contentType")
    .and_then(Json::as_str)
    .filter(|c| !c.is_empty())
    .or(existing.http_metadata.content_type.as_deref())
    .unwrap_or("application/octet-stream")
    .to_string();
  let r2 = b.r2.clone();
  let full = b.r2_key(key);
  // R2 has no metadata-only update: copy the bytes into a new version (on a blocking thread).
  let updated = tokio::task::spawn_blocking(move || {
    let GetResult::Found { mut body, .. } = r2.get(&full, &GetOptions::default())? else {
      return Ok(None);
    };
    let options = put_options(content_type, custom);
    let mut w = r2.start_put(r2.prepare_put(&full, options, Some(body.remaining()))?)?;
    while body.remaining() > 0 {
      w.write(&body.read(1024 * 1024)?)?;
    }
    w.finish()
  })
  .await
  .map_err(|_| ApiError::internal(&path))?
  .map_err(|e| r2_error(e, &path))?;
  match updated {
    Some(m) => Ok(json(metadata(&m).finish())),
    None => Err(file_not_found()),
  }
}

pub async fn delete(app: &App, name: &str, key: &str, req: Request) -> ApiResult {
  no_traversal(key)?;
  let path = req.uri().path().to_string();
  let b = bucket(app, name)?;
  let existing = lookup(&b, key, &path)?;
  let access = Access::of_request(app, &req);
  access.check(&b, Action::Delete, Some(&resource(&existing)))?;
  b.r2.delete(&[b.r2_key(key)]).map_err(|e| r2_error(e, &path))?;
  Ok(json(Obj::new().field("ok", true).finish()))
}

pub async fn delete_batch(app: &App, name: &str, req: Request) -> ApiResult {
  let path = req.uri().path().to_string();
  let (v, parts) = json_body(req, &[], &[], |s| string_array(s, "keys")).await?;
  let b = bucket(app, name)?;
  let keys = batch_keys(&v, "delete")?;
  let access = Access::of_parts(app, &parts);
  let bypass = access.service_key(&b.name, Action::Delete)?;
  let mut deleted = Vec::new();
  let mut failed = Vec::new();
  for key in keys {
    let outcome = (|| {
      validate_key(key)?;
      let existing = lookup(&b, key, &path)?;
      if !bypass {
        access.rule(&b, Action::Delete, Some(&resource(&existing)))?;
      }
      b.r2.delete(&[b.r2_key(key)]).map_err(|e| r2_error(e, &path))
    })();
    match outcome {
      Ok(()) => deleted.push(key),
      Err(e) => failed.push(
        Obj::new()
          .field("key", key)
          .field("error", e.message.as_ref())
          .finish(),
      ),
    }
  }
  Ok(json(
    Obj::new()
      .field("deleted", deleted)
      .raw("failed", &array(failed))
      .finish(),
  ))
}

/// `limit` / `offset` query values: EdgeBase's `parseInt` and its error.
fn list_integer(raw: Option<String>, name: &str, fallback: u64) -> Result<u64, ApiError> {
  let Some(raw) = raw.filter(|r| !r.is_empty()) else {
    return Ok(fallback);
  };
  match parse_int(&raw) {
    Some(n) if n >= 0 => Ok(n as u64),
    _ => Err(invalid(format!(
      "Invalid {name}: must be a non-negative integer."
    ))),
  }
}

pub async fn list(app: &App, name: &str, req: Request) -> ApiResult {
  let path = req.uri().path().to_string();
  let b = bucket(app, name)?;
  let access = Access::of_request(app, &req);
  access.check(&b, Action::Read, None)?;
  let prefix = query(req.uri(), "prefix").unwrap_or_default();
  let cursor = query(req.uri(), "cursor").filter(|c| !c.is_empty());
  let limit = list_integer(query(req.uri(), "limit"), "storage limit", 100)?.clamp(1, 1000) as usize;
  let offset = list_integer(query(req.uri(), "offset"), "storage offset", 0)?;
  let full_prefix = b.r2_key(&prefix);
  let err = |e| r2_error(e, &path);
  let page = |cursor: Option<String>, limit: usize| {
    b.r2.list(&ListOptions {
      limit: Some(limit as f64),
      prefix: Some(full_prefix.clone()),
      cursor,
      ..ListOptions::default()
    })
  };
  let offset_cursor = cursor.as_deref().and_then(|c| c.strip_prefix(OFFSET_CURSOR));
  let (objects, truncated, next) = if offset_cursor.is_none() && offset == 0 {
    let p = page(cursor, limit).map_err(err)?;
    (p.objects, p.truncated, p.cursor)
  } else {
    // EdgeBase's offset paging: skip `base` entries, take `limit`, cursor `offset:<base+limit>`.
    let base = match offset_cursor {
      Some(n) => list_integer(Some(n.to_string()), "storage cursor offset", 0)?,
      None => offset,
    };
    let mut skip = base as usize;
    let mut collected = Vec::new();
    let mut at: Option<String> = None;
    loop {
      let want = (skip + limit + 1 - collected.len()).clamp(1, 1000);
      let p = page(at.take(), want).map_err(err)?;
      let n = p.objects.len();
      if skip >= n {
        skip -= n;
      } else {
        collected.extend(p.objects.into_iter().skip(skip));
        skip = 0;
      }
      if !p.truncated || collected.len() > limit {
        let more = collected.len() > limit || p.truncated;
        collected.truncate(limit);
        break (
          collected,
          more,
          more.then(|| format!("{OFFSET_CURSOR}{}", base + limit as u64)),
        );
      }
      at = p.cursor;
    }
  };
  // Listings carry no metadata without `include` (capped at 100 per page): look each object up.
  let mut files = Vec::with_capacity(objects.len());
  for o in &objects {
    if let Some(m) = b.r2.head(&o.key).map_err(err)? {
      files.push(metadata(&m).finish());
    }
  }
  Ok(json(
    Obj::new()
      .raw("files", &array(files))
      .field("cursor", if truncated { next } else { None })
      .field("truncated", truncated)
      .finish(),
  ))
}
