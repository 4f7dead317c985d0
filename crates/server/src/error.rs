//! Errors of the server: `ApiError` is one HTTP error response (EdgeBase's `{ code, message }`
//! body, plus `slug` or another field where EdgeBase sets one); `ServerError` is a failure to
//! start (bad config, unopenable store, port in use), raised before any port is bound.

use crate::json::Obj;
use axum::http::{header, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use edgebase_engine::{BindingError, ErrorClass};
use std::borrow::Cow;
use std::fmt;

#[derive(Debug)]
pub struct ApiError {
  pub status: StatusCode,
  pub message: Cow<'static, str>,
  /// One extra string field EdgeBase adds to some bodies: `slug` on storage errors, `error`
  /// on JWT failures, `group` on 429s.
  pub extra: Option<(&'static str, Cow<'static, str>)>,
  /// `Retry-After` seconds (429 only).
  pub retry_after: Option<u64>,
}

impl ApiError {
  pub fn new(status: StatusCode, message: impl Into<Cow<'static, str>>) -> Self {
    ApiError {
      status,
      message: message.into(),
      extra: None,
      retry_after: None,
    }
  }

  pub fn bad_request(message: impl Into<Cow<'static, str>>) -> Self {
    Self::new(StatusCode::BAD_REQUEST, message)
  }

  pub fn not_found(message: impl Into<Cow<'static, str>>) -> Self {
    Self::new(StatusCode::NOT_FOUND, message)
  }

  pub fn with(mut self, field: &'static str, value: impl Into<Cow<'static, str>>) -> Self {
    self.extra = Some((field, value.into()));
    self
  }

  pub fn slug(self, slug: &'static str) -> Self {
    self.with("slug", slug)
  }

  /// EdgeBase's answer to a path no route serves.
  pub fn path_not_found(path: &str) -> Self {
    Self::not_found(format!("Path '{path}' was not found on this EdgeBase server."))
  }

  /// EdgeBase's answer to an unexpected fault (the cause goes to the log, not to the client).
  pub fn internal(path: &str) -> Self {
    Self::new(
      StatusCode::INTERNAL_SERVER_ERROR,
      format!(
        "Internal server error while handling '{path}'. Check the worker logs for the original exception."
      ),
    )
  }

  /// `{ code, message }` plus the extra field, in EdgeBase's order.
  pub fn body(&self) -> Vec<u8> {
    let mut o = Obj::new()
      .field("code", self.status.as_u16())
      .field("message", self.message.as_ref());
    if let Some((k, v)) = &self.extra {
      o = o.field(k, v.as_ref());
    }
    o.finish()
  }
}

impl IntoResponse for ApiError {
  fn into_response(self) -> Response {
    let mut res = (self.status, self.body()).into_response();
    let h = res.headers_mut();
    h.insert(header::CONTENT_TYPE, HeaderValue::from_static("application/json"));
    if let Some(s) = self.retry_after {
      h.insert(header::RETRY_AFTER, HeaderValue::from(s));
    }
    res
  }
}

pub type ApiResult = Result<Response, ApiError>;

/// Why the server did not start.
#[derive(Debug)]
#[non_exhaustive]
pub enum ServerError {
  /// The config (file, `EDGEBASE_CONFIG` or object) is invalid; `path` names the field.
  Config { path: String, problem: String },
  /// The config file or `.dev.vars` could not be read.
  Read { file: String, source: std::io::Error },
  /// A declared store could not be opened.
  Store {
    what: String,
    source: Box<dyn BindingError>,
  },
  /// The address could not be bound.
  Listen { addr: String, source: std::io::Error },
}

impl ServerError {
  pub fn config(path: impl Into<String>, problem: impl Into<String>) -> Self {
    ServerError::Config {
      path: path.into(),
      problem: problem.into(),
    }
  }
}

impl fmt::Display for ServerError {
  fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    match self {
      ServerError::Config { path, problem } if path.is_empty() => {
        write!(f, "Invalid EdgeBase config: {problem}")
      }
      ServerError::Config { path, problem } => write!(f, "Invalid EdgeBase config: {path} {problem}"),
      ServerError::Read { file, source } => write!(f, "Cannot read {file}: {source}"),
      ServerError::Store { what, source } => write!(f, "Cannot open {what}: {source}"),
      ServerError::Listen { addr, source } => write!(f, "Cannot listen on {addr}: {source}"),
    }
  }
}

impl std::error::Error for ServerError {}

impl BindingError for ServerError {
  fn code(&self) -> &'static str {
    match self {
      ServerError::Config { .. } => "EB_SERVER_CONFIG",
      ServerError::Read { .. } => "EB_SERVER_READ",
      ServerError::Store { source, .. } => source.code(),
      ServerError::Listen { .. } => "EB_SERVER_LISTEN",
    }
  }

  fn class(&self) -> ErrorClass {
    match self {
      ServerError::Config { .. } => ErrorClass::TypeError,
      _ => ErrorClass::Error,
    }
  }
}
