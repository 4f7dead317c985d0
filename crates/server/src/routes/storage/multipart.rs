//! Multipart uploads: create, upload-part (the raw body streams into the part), complete, abort,
//! and the list of uploaded parts, tracked for 7 days in an internal KV namespace as EdgeBase does.

use super::access::{Access, Action};
use super::transfer::Upload;
use super::{allowed, body_key, bucket, invalid, json_body, metadata, parse_int, query, r2_error};
use crate::app::App;
use crate::error::{ApiError, ApiResult};
use crate::json::{array, Obj};
use crate::routes::body::{is_json_content_type, Ty};
use crate::routes::json;
use axum::extract::Request;
use axum::http::header;
use edgebase_engine::kv::{KvNamespace, PutOptions as KvPut};
use edgebase_engine::r2::{HttpMetadata, MultipartOptions, UploadedPart};
use serde_json::Value as Json;

/// How long part tracking is kept (R2 aborts uploads after 7 days).
const PART_TRACKING_TTL_SECS: f64 = 7.0 * 24.0 * 3600.0;

fn tracking_key(bucket: &str, key: &str, upload_id: &str) -> String {
  format!("upload:{bucket}:{key}:{upload_id}:parts")
}

fn tracked(kv: &KvNamespace, k: &str) -> Vec<(u32, String)> {
  let text = kv
    .get(k, None, |r| String::from_utf8_lossy(r.value).into_owned())
    .ok()
    .flatten();
  let parsed: Json = text
    .and_then(|t| serde_json::from_str(&t).ok())
    .unwrap_or(Json::Null);
  parsed
    .as_array()
    .map(|a| {
      a.iter()
        .filter_map(|p| Some((p["partNumber"].as_u64()? as u32, p["etag"].as_str()?.to_string())))
        .collect()
    })
    .unwrap_or_default()
}

fn parts_json(parts: &[(u32, String)]) -> Vec<u8> {
  array(
    parts
      .iter()
      .map(|(n, e)| Obj::new().field("partNumber", n).field("etag", e).finish()),
  )
}

async fn settle(p: edgebase_engine::kv::Pending) {
  let _ = p.await;
}

/// Best effort, as in EdgeBase: a failure to track never fails the upload.
async fn track(app: &App, k: String, part: &UploadedPart) {
  let Some(kv) = &app.stores.internal else { return };
  let mut parts = tracked(kv, &k);
  match parts.iter_mut().find(|(n, _)| *n == part.part_number) {
    Some(slot) => slot.1 = part.etag.clone(),
    None => parts.push((part.part_number, part.etag.clone())),
  }
  let options = KvPut {
    expiration_ttl: Some(PART_TRACKING_TTL_SECS),
    ..KvPut::default()
  };
  if let Ok(p) = kv.put(&k, &parts_json(&parts), &options) {
    settle(p).await;
  }
}

async fn untrack(app: &App, k: &str) {
  if let Some(Ok(p)) = app.stores.internal.as_ref().map(|kv| kv.delete(k)) {
    settle(p).await;
  }
}

pub async fn create(app: &App, name: &str, req: Request) -> ApiResult {
  let (v, parts) = json_body(req, &["key"], &["contentType"], |s| {
    if let Some(cm) = s
      .field("customMetadata", Ty::Record, true)
      .and_then(Json::as_object)
    {
      for (k, val) in cm {
        s.check(&format!("customMetadata.{k}"), Some(val), Ty::Str, false);
      }
    }
  })
  .await?;
  let (b, access) = allowed(app, name, &parts, Action::Write)?;
  let key = body_key(&v)?;
  let mut custom: Vec<(String, String)> = v["customMetadata"]
    .as_object()
    .map(|o| {
      o.iter()
        .map(|(k, x)| (k.clone(), x.as_str().unwrap_or_default().to_string()))
        .collect()
    })
    .unwrap_or_default();
  if let Some(auth) = access.auth() {
    custom.retain(|(k, _)| k != "uploadedBy");
    custom.push(("uploadedBy".into(), auth.id.clone()));
  }
  let content_type = v["contentType"]
    .as_str()
    .filter(|c| !c.is_empty())
    .unwrap_or("application/octet-stream");
  let options = MultipartOptions {
    http_metadata: HttpMetadata {
      content_type: Some(content_type.to_string()),
      ..HttpMetadata::default()
    },
    custom_metadata: custom,
    ..MultipartOptions::default()
  };
  let upload_id = b
    .r2
    .create_multipart_upload(&b.r2_key(key), options)
    .map_err(|e| r2_error(e, parts.uri.path()))?;
  Ok(json(
    Obj::new().field("uploadId", upload_id).field("key", key).finish(),
  ))
}

pub async fn upload_part(app: &App, name: &str, req: Request) -> ApiResult {
  let path = req.uri().path().to_string();
  // EdgeBase validates a JSON-typed body as an object before reading it raw; other types pass.
  let json_body = req
    .headers()
    .get(header::CONTENT_TYPE)
    .and_then(|c| c.to_str().ok())
    .is_some_and(is_json_content_type);
  let (parts, raw) = req.into_parts();
  let raw = if json_body {
    let bytes = crate::routes::body::read_limited(raw, crate::limits::MAX_JSON_BODY_BYTES).await?;
    match serde_json::from_slice::<Json>(&bytes) {
      Ok(Json::Object(_)) => axum::body::Body::from(bytes),
      Ok(other) => {
        return Err(ApiError::bad_request(format!(
          "Invalid input: expected record, received {}",
          crate::routes::body::received(Some(&other))
        )))
      }
      Err(_) => return Err(ApiError::bad_request("Malformed JSON in request body")),
    }
  } else {
    raw
  };
  let (b, _) = allowed(app, name, &parts, Action::Write)?;
  let q = |n: &str| query(&parts.uri, n);

  // `parseInt(partNumber || '0')`: 0 (or garbage) counts as missing.
  let part_number = q("partNumber")
    .and_then(|p| parse_int(&p))
    .filter(|n| *n > 0)
    .unwrap_or(0);
  let (Some(upload_id), Some(key)) = (
    q("uploadId").filter(|u| !u.is_empty()),
    q("key").filter(|k| !k.is_empty()),
  ) else {
    return Err(invalid(
      "Missing required query params: uploadId, partNumber, key.",
    ));
  };
  if part_number == 0 {
    return Err(invalid(
      "Missing required query params: uploadId, partNumber, key.",
    ));
  }
  let full = b.r2_key(&key);
  let err = |e| r2_error(e, &path);
  let prepared = b
    .r2
    .prepare_part(&full, &upload_id, part_number as f64, None, None)
    .map_err(err)?;
  let mut up = Upload::start(b.r2.start_part(prepared).map_err(err)?);
  let mut stream = raw.into_data_stream();
  while let Some(chunk) = futures_util::StreamExt::next(&mut stream).await {
    // A client that stops mid-part stores nothing: dropping `up` discards the part.
    let chunk = chunk.map_err(|_| invalid("The request body ended early."))?;
    if !up.write(chunk).await {
      break;
    }
  }
  let part = up.finish().await.map_err(err)?;
  track(app, tracking_key(name, &key, &upload_id), &part).await;
  Ok(json(
    Obj::new()
      .field("partNumber", part.part_number)
      .field("etag", &part.etag)
      .finish(),
  ))
}

pub async fn complete(app: &App, name: &str, req: Request) -> ApiResult {
  let (v, parts) = json_body(req, &["uploadId", "key"], &[], |s| {
    if let Some(items) = s.field("parts", Ty::Arr, false).and_then(Json::as_array) {
      for (i, p) in items.iter().enumerate() {
        let Some(o) = p.as_object() else {
          s.issue(
            &format!("parts[{i}]"),
            format_args!(
              "Invalid input: expected object, received {}",
              crate::routes::body::received(Some(p))
            ),
          );
          continue;
        };
        s.check(
          &format!("parts[{i}].partNumber"),
          o.get("partNumber"),
          Ty::Num,
          false,
        );
        s.check(&format!("parts[{i}].etag"), o.get("etag"), Ty::Str, false);
      }
    }
  })
  .await?;
  let path = parts.uri.path().to_string();
  let (b, _) = allowed(app, name, &parts, Action::Write)?;
  let (upload_id, key) = (
    v["uploadId"].as_str().unwrap_or_default(),
    v["key"].as_str().unwrap_or_default(),
  );
  let list: Vec<UploadedPart> = v["parts"]
    .as_array()
    .map(|a| {
      a.iter()
        .map(|p| UploadedPart {
          part_number: p["partNumber"]
            .as_f64()
            .filter(|n| *n >= 0.0 && n.fract() == 0.0)
            .unwrap_or(0.0) as u32,
          etag: p["etag"].as_str().unwrap_or_default().to_string(),
        })
        .collect()
    })
    .unwrap_or_default();
  if upload_id.is_empty() || key.is_empty() || list.is_empty() {
    return Err(invalid("Missing required fields: uploadId, key, parts."));
  }
  let (r2, full, id) = (b.r2.clone(), b.r2_key(key), upload_id.to_string());
  let meta = tokio::task::spawn_blocking(move || r2.complete_multipart_upload(&full, &id, &list))
    .await
    .map_err(|_| ApiError::internal(&path))?
    .map_err(|e| r2_error(e, &path))?;
  untrack(app, &tracking_key(name, key, upload_id)).await;
  Ok(json(metadata(&meta).finish()))
}

pub async fn abort(app: &App, name: &str, req: Request) -> ApiResult {
  let (v, parts) = json_body(req, &["uploadId", "key"], &[], |_| {}).await?;
  let (b, _) = allowed(app, name, &parts, Action::Write)?;
  let (upload_id, key) = (
    v["uploadId"].as_str().unwrap_or_default(),
    v["key"].as_str().unwrap_or_default(),
  );
  if upload_id.is_empty() || key.is_empty() {
    return Err(invalid("Missing required fields: uploadId, key."));
  }
  b.r2
    .abort_multipart_upload(&b.r2_key(key), upload_id)
    .map_err(|e| r2_error(e, parts.uri.path()))?;
  untrack(app, &tracking_key(name, key, upload_id)).await;
  Ok(json(Obj::new().field("ok", true).finish()))
}

pub async fn parts(app: &App, name: &str, upload_id: &str, req: Request) -> ApiResult {
  let b = bucket(app, name)?;
  let key = query(req.uri(), "key")
    .filter(|k| !k.is_empty())
    .ok_or_else(|| invalid("Missing required query param: key."))?;
  let access = Access {
    app,
    caller: req
      .extensions()
      .get::<crate::app::Caller>()
      .cloned()
      .unwrap_or_default(),
    headers: req.headers(),
  };
  access.check(&b, Action::Write, None)?;
  let list = app
    .stores
    .internal
    .as_ref()
    .map(|kv| tracked(kv, &tracking_key(name, &key, upload_id)))
    .unwrap_or_default();
  Ok(json(
    Obj::new()
      .field("uploadId", upload_id)
      .field("key", key)
      .raw("parts", &parts_json(&list))
      .finish(),
  ))
}
