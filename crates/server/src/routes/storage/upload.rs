//! `POST /:bucket/upload` — `multipart/form-data` with `file`, `key` and optional
//! `customMetadata` (JSON), or a signed upload URL's `?token=&key=`. The file streams to a spool
//! file as it arrives (EdgeBase's SDK sends it before the key), then into R2 once every check
//! passed; a client that stops early leaves nothing behind.

use super::access::{Access, Action};
use super::signed::verify_token;
use super::transfer::{Sink, Upload};
use super::{bucket, error, invalid, metadata, put_options, r2_error, validate_key};
use crate::app::App;
use crate::error::{ApiError, ApiResult};
use crate::limits::{DRAIN_BYTES, DRAIN_SECS};
use crate::routes::json_status;
use crate::server::random_hex;
use axum::extract::Request;
use axum::http::{header, StatusCode};
use edgebase_engine::r2::R2Error;
use std::fs::File;
use std::io::{Read, Write};
use std::path::PathBuf;

/// Largest `key` or `customMetadata` field read.
const MAX_TEXT_FIELD: usize = 64 * 1024;

fn malformed() -> ApiError {
  invalid("Expected multipart/form-data request body.")
}

/// A temporary file, removed when dropped.
struct Spool {
  file: Option<File>,
  path: PathBuf,
}

impl Spool {
  fn create() -> std::io::Result<Spool> {
    let path = std::env::temp_dir().join(format!("edgebase-upload-{}", random_hex(12)));
    let file = File::options()
      .read(true)
      .write(true)
      .create_new(true)
      .open(&path)?;
    Ok(Spool {
      file: Some(file),
      path,
    })
  }
}

impl Drop for Spool {
  fn drop(&mut self) {
    drop(self.file.take());
    let _ = std::fs::remove_file(&self.path);
  }
}

impl Sink for Spool {
  type Done = Spool;
  fn write(&mut self, chunk: &[u8]) -> Result<(), R2Error> {
    let f = self.file.as_mut().expect("open until finished");
    f.write_all(chunk).map_err(|e| R2Error::Storage(e.into()))
  }
  fn finish(self) -> Result<Spool, R2Error> {
    Ok(self)
  }
}

async fn text(mut field: multer::Field<'_>) -> Result<String, ApiError> {
  let mut buf = Vec::new();
  while let Some(chunk) = field.chunk().await.map_err(|_| malformed())? {
    if buf.len() + chunk.len() > MAX_TEXT_FIELD {
      return Err(invalid(format!(
        "Form field '{}' exceeds {MAX_TEXT_FIELD} bytes.",
        field.name().unwrap_or_default()
      )));
    }
    buf.extend_from_slice(&chunk);
  }
  Ok(String::from_utf8_lossy(&buf).into_owned())
}

/// Reads and drops the rest of a refused upload (bounded), so the client gets the answer rather
/// than a reset.
async fn drain<'r>(field: multer::Field<'r>, mp: &mut multer::Multipart<'r>) {
  let deadline = tokio::time::Instant::now() + std::time::Duration::from_secs(DRAIN_SECS);
  let mut seen = 0usize;
  let mut current = Some(field);
  let _ = tokio::time::timeout_at(deadline, async {
    loop {
      if let Some(mut f) = current.take() {
        while let Ok(Some(c)) = f.chunk().await {
          seen += c.len();
          if seen > DRAIN_BYTES {
            return;
          }
        }
      }
      match mp.next_field().await {
        Ok(Some(f)) => current = Some(f),
        _ => return,
      }
    }
  })
  .await;
}

struct Form {
  key: Option<String>,
  custom: Option<String>,
  /// The spooled file, its size and its part's content type.
  file: Option<(Spool, u64, String)>,
}

/// Reads the whole form; the file goes to a spool file. `max_bytes` (a signed URL's claim) stops
/// the upload as soon as it is passed.
async fn read_form(req: Request, max_bytes: Option<u64>) -> Result<Form, ApiError> {
  let ct = req
    .headers()
    .get(header::CONTENT_TYPE)
    .and_then(|v| v.to_str().ok())
    .unwrap_or_default()
    .to_string();
  let boundary = multer::parse_boundary(&ct).map_err(|_| malformed())?;
  let mut mp = multer::Multipart::new(req.into_body().into_data_stream(), boundary);
  let mut form = Form {
    key: None,
    custom: None,
    file: None,
  };
  while let Some(mut field) = mp.next_field().await.map_err(|_| malformed())? {
    match field.name() {
      Some("key") if form.key.is_none() => form.key = Some(text(field).await?),
      Some("customMetadata") if form.custom.is_none() => form.custom = Some(text(field).await?),
      Some("file") if form.file.is_none() => {
        let content_type = field.content_type().map(|m| m.to_string()).unwrap_or_default();
        let spool = Spool::create().map_err(|e| {
          ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("Cannot spool the upload: {e}"),
          )
        })?;
        let mut up = Upload::start(spool);
        while let Some(chunk) = field.chunk().await.map_err(|_| malformed())? {
          if max_bytes.is_some_and(|m| up.written + chunk.len() as u64 > m) {
            let m = max_bytes.unwrap_or_default();
            drop(up); // discards what was spooled
            drain(field, &mut mp).await;
            return Err(error(
              StatusCode::PAYLOAD_TOO_LARGE,
              format!("Signed upload exceeds maxFileSize of {m} bytes."),
              "payload-too-large",
            ));
          }
          if !up.write(chunk).await {
            break;
          }
        }
        let size = up.written;
        let spool = up.finish().await.map_err(|e| {
          ApiError::new(
            StatusCode::INTERNAL_SERVER_ERROR,
            format!("Cannot spool the upload: {e}"),
          )
        })?;
        form.file = Some((spool, size, content_type));
      }
      _ => while field.chunk().await.map_err(|_| malformed())?.is_some() {},
    }
  }
  Ok(form)
}

pub async fn upload(app: &App, name: &str, req: Request) -> ApiResult {
  let path = req.uri().path().to_string();
  let b = bucket(app, name)?;
  let query = req.uri().query().unwrap_or_default().to_string();
  let param = |n: &str| -> Option<String> {
    form_urlencoded::parse(query.as_bytes())
      .find(|(k, v)| k == n && !v.is_empty())
      .map(|(_, v)| v.into_owned())
  };
  let (token, token_key) = (param("token"), param("key"));
  // A valid signed upload token skips the rules; without JWT_USER_SECRET it is ignored.
  let signed = match (&token, &token_key, &app.jwt_secret) {
    (Some(t), Some(k), Some(secret)) => verify_token(t, name, k, secret),
    _ => None,
  };
  let caller = req
    .extensions()
    .get::<crate::app::Caller>()
    .cloned()
    .unwrap_or_default();
  let headers = req.headers().clone();
  let form = read_form(req, signed.flatten()).await?;
  let (Some((spool, size, content_type)), Some(key)) = (form.file, form.key) else {
    return Err(invalid("Missing required fields: file and key."));
  };
  validate_key(&key)?;
  if signed.is_some() && token_key.as_deref() != Some(key.as_str()) {
    return Err(invalid("Signed upload key mismatch between query and form body."));
  }
  let access = Access {
    app,
    caller,
    headers: &headers,
  };
  let content_type = if content_type.is_empty() {
    "application/octet-stream".to_string()
  } else {
    content_type
  };
  if signed.is_none() && !access.service_key(&b.name, Action::Write)? {
    let resource = [
      ("key", key.clone()),
      ("contentType", content_type.clone()),
      ("size", size.to_string()),
    ];
    access.rule(&b, Action::Write, Some(&resource))?;
  }
  // customMetadata: a JSON object (values as strings); anything else is ignored, as in EdgeBase.
  let mut custom: Vec<(String, String)> = match form
    .custom
    .as_deref()
    .map(serde_json::from_str::<serde_json::Value>)
  {
    Some(Ok(serde_json::Value::Object(o))) => o
      .into_iter()
      .map(|(k, v)| {
        let s = match v {
          serde_json::Value::String(s) => s,
          other => other.to_string(),
        };
        (k, s)
      })
      .collect(),
    _ => Vec::new(),
  };
  if let Some(auth) = access.auth() {
    custom.retain(|(k, _)| k != "uploadedBy");
    custom.push(("uploadedBy".into(), auth.id.clone()));
  }
  let options = put_options(content_type, custom);
  let (r2, full) = (b.r2.clone(), b.r2_key(&key));
  let stored = tokio::task::spawn_blocking(move || {
    let mut spool = spool;
    let mut file = spool
      .file
      .take()
      .ok_or_else(|| R2Error::Storage(edgebase_engine::StorageError::engine("spool closed")))?;
    std::io::Seek::rewind(&mut file).map_err(|e| R2Error::Storage(e.into()))?;
    let mut w = r2.start_put(r2.prepare_put(&full, options, Some(size))?)?;
    let mut buf = vec![0u8; 1024 * 1024];
    loop {
      let n = file.read(&mut buf).map_err(|e| R2Error::Storage(e.into()))?;
      if n == 0 {
        break;
      }
      w.write(&buf[..n])?;
    }
    w.finish()
  })
  .await
  .map_err(|_| ApiError::internal(&path))?
  .map_err(|e| r2_error(e, &path))?;
  match stored {
    Some(m) => Ok(json_status(StatusCode::CREATED, metadata(&m).finish())),
    None => Err(error(
      StatusCode::INTERNAL_SERVER_ERROR,
      format!("Failed to upload file '{key}' to bucket '{name}'."),
      "internal-error",
    )),
  }
}
