//! The server's state and the middleware every request passes, in EdgeBase's order: CORS
//! (`OPTIONS` answered at once) → rate limit (valid service keys bypass it) → JWT auth on
//! `/api/*` → route; then CORS and `X-Content-Type-Options` on the response, and a log line.

use crate::auth::jwt::{self, JwtError};
use crate::auth::{AuthContext, Ctx, KeyCheck, Keymap};
use crate::config::Config;
use crate::cors;
use crate::error::ApiError;
use crate::json::Obj;
use crate::limits::{DRAIN_BYTES, DRAIN_SECS};
use crate::log::Logger;
use crate::rate_limit::RateLimiter;
use crate::stores::Stores;
use crate::time;
use axum::body::{Body, Bytes};
use axum::extract::{ConnectInfo, Request, State};
use axum::http::header::{self, HeaderMap, HeaderValue};
use axum::http::{Method, StatusCode};
use axum::middleware::Next;
use axum::response::{IntoResponse, Response};
use futures_util::FutureExt;
use std::net::{IpAddr, SocketAddr};
use std::panic::AssertUnwindSafe;
use std::pin::Pin;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Arc;
use std::sync::Mutex;
use std::task::{Context, Poll};
use std::time::Duration;
use std::time::Instant;

pub const SERVICE_KEY_HEADER: &str = "x-edgebase-service-key";

pub struct App {
  pub config: Config,
  pub keymap: Option<Keymap>,
  pub jwt_secret: Option<String>,
  /// `ENVIRONMENT`, for `constraints.env`.
  pub environment: Option<String>,
  pub stores: Stores,
  pub limiter: RateLimiter,
  pub log: Option<Logger>,
}

/// Who is calling, as the middleware found out; routes read it from the request extensions.
#[derive(Clone, Default)]
pub struct Caller {
  pub ip: Option<IpAddr>,
  pub auth: Option<Arc<AuthContext>>,
}

/// The `X-EdgeBase-Service-Key` header: absent, or its value (possibly empty).
pub fn service_key_header(headers: &HeaderMap) -> Option<std::borrow::Cow<'_, str>> {
  headers
    .get(SERVICE_KEY_HEADER)
    .map(|v| String::from_utf8_lossy(v.as_bytes()))
}

/// `Authorization: Bearer <token>` (the token may be empty).
pub fn bearer(headers: &HeaderMap) -> Option<&str> {
  headers
    .get(header::AUTHORIZATION)?
    .to_str()
    .ok()?
    .strip_prefix("Bearer ")
}

impl App {
  pub fn ctx(&self, caller: &Caller) -> Ctx<'_> {
    Ctx {
      env: self.environment.as_deref(),
      ip: caller.ip,
      tenant: None,
    }
  }

  /// The header key checked against `scope` (no keys configured → `Missing`).
  pub fn check_key(&self, key: Option<&str>, scope: &str, caller: &Caller) -> KeyCheck {
    match &self.keymap {
      Some(k) => k.check(key, scope, &self.ctx(caller)),
      None => KeyCheck::Missing,
    }
  }

  /// The client's address: the socket peer, or — only when `trustSelfHostedProxy` is set —
  /// `CF-Connecting-IP` or the first `X-Forwarded-For` entry.
  fn client_ip(&self, headers: &HeaderMap, peer: SocketAddr) -> Option<IpAddr> {
    if self.config.trust_self_hosted_proxy {
      for name in ["cf-connecting-ip", "x-forwarded-for"] {
        let first = headers
          .get(name)
          .and_then(|v| v.to_str().ok())
          .and_then(|v| v.split(',').next())
          .map(str::trim);
        if let Some(ip) = first.and_then(|f| f.parse::<IpAddr>().ok()) {
          return Some(ip.to_canonical());
        }
      }
    }
    Some(peer.ip().to_canonical())
  }

  /// Rate limit, then JWT: the caller, or the error that ends the request.
  fn admit(&self, headers: &HeaderMap, path: &str, ip: Option<IpAddr>) -> Result<Caller, ApiError> {
    let caller = Caller { ip, auth: None };
    let presented = service_key_header(headers).or_else(|| bearer(headers).map(Into::into));
    let bypass = match (&self.keymap, presented) {
      (Some(k), Some(key)) => k.check_any(&key, &self.ctx(&caller)) == KeyCheck::Valid,
      _ => false,
    };
    if !bypass {
      self.limiter.check(path, ip).map_err(|l| ApiError {
        retry_after: Some(l.retry_after),
        ..ApiError::new(
          StatusCode::TOO_MANY_REQUESTS,
          "Too many requests. Please try again later.",
        )
        .with("group", l.group)
      })?;
    }
    if !(path.starts_with("/api/") || path == "/api") || headers.contains_key(SERVICE_KEY_HEADER) {
      return Ok(caller);
    }
    let Some(token) = bearer(headers) else {
      return Ok(caller);
    };
    if self.keymap.as_ref().is_some_and(|k| k.is_secret(token)) {
      return Ok(caller);
    }
    let unauthorized = |message: &'static str, code: &'static str| {
      ApiError::new(StatusCode::UNAUTHORIZED, message).with("error", code)
    };
    let Some(secret) = &self.jwt_secret else {
      return Err(unauthorized(
        "Authentication service not configured.",
        "AUTH_NOT_CONFIGURED",
      ));
    };
    match jwt::verify(token, secret, time::now_ms() as f64 / 1000.0) {
      Ok(auth) => Ok(Caller {
        auth: Some(Arc::new(auth)),
        ..caller
      }),
      // In dev a stale or bad token is anonymous; in release it is refused.
      Err(_) if !self.config.release => Ok(caller),
      Err(JwtError::Expired) => Err(unauthorized("Token expired.", "TOKEN_EXPIRED")),
      Err(JwtError::Invalid) => Err(unauthorized("Invalid token.", "TOKEN_INVALID")),
    }
  }
}

/// A request body lent to the route: what the route does not read stays with the middleware,
/// which reads and drops it after the route answered (see `pipeline`).
struct Lent {
  slot: Arc<Mutex<Option<Body>>>,
  done: Arc<AtomicBool>,
}

impl http_body::Body for Lent {
  type Data = Bytes;
  type Error = axum::Error;

  fn poll_frame(
    self: Pin<&mut Self>,
    cx: &mut Context<'_>,
  ) -> Poll<Option<Result<http_body::Frame<Bytes>, axum::Error>>> {
    let mut slot = self.slot.lock().unwrap_or_else(|p| p.into_inner());
    let Some(body) = slot.as_mut() else {
      return Poll::Ready(None);
    };
    let polled = Pin::new(&mut *body).poll_frame(cx);
    if matches!(polled, Poll::Ready(None))
      || (matches!(polled, Poll::Ready(Some(Ok(_)))) && body.is_end_stream())
    {
      self.done.store(true, Ordering::Release);
    }
    polled
  }

  fn is_end_stream(&self) -> bool {
    self.done.load(Ordering::Acquire)
  }
}

/// Reads and drops what is left of a request body (bounded), so that a client still sending it
/// receives the answer instead of a reset; `false` if it had to give up.
async fn drain(mut body: Body) -> bool {
  use http_body_util::BodyExt;
  let mut seen = 0usize;
  let read_all = async {
    while let Some(frame) = body.frame().await {
      match frame {
        Ok(f) => seen += f.data_ref().map_or(0, Bytes::len),
        Err(_) => return false,
      }
      if seen > DRAIN_BYTES {
        return false;
      }
    }
    true
  };
  tokio::time::timeout(Duration::from_secs(DRAIN_SECS), read_all)
    .await
    .unwrap_or(false)
}

pub async fn pipeline(
  State(app): State<Arc<App>>,
  ConnectInfo(peer): ConnectInfo<SocketAddr>,
  mut req: Request,
  next: Next,
) -> Response {
  let start = Instant::now();
  let cors = cors::headers_for(&app.config.cors, req.headers().get(header::ORIGIN));
  let ip = app.client_ip(req.headers(), peer);
  let method = req.method().clone();
  let path = req.uri().path().to_owned();
  let mut lent: Option<(Arc<Mutex<Option<Body>>>, Arc<AtomicBool>)> = None;
  let mut res = if method == Method::OPTIONS {
    StatusCode::NO_CONTENT.into_response()
  } else {
    match app.admit(req.headers(), &path, ip) {
      Err(e) => e.into_response(),
      Ok(caller) => {
        req.extensions_mut().insert(caller);
        // A body the route answers without reading (a 404, a refused key, …) may still be on the
        // wire: the connection must not be reused for another request then.
        let has_body = req.headers().contains_key(header::TRANSFER_ENCODING)
          || req
            .headers()
            .get(header::CONTENT_LENGTH)
            .is_some_and(|v| v.as_bytes() != b"0");
        if has_body {
          let slot = Arc::new(Mutex::new(Some(std::mem::take(req.body_mut()))));
          let done = Arc::new(AtomicBool::new(false));
          *req.body_mut() = Body::new(Lent {
            slot: slot.clone(),
            done: done.clone(),
          });
          lent = Some((slot, done));
        }
        match AssertUnwindSafe(next.run(req)).catch_unwind().await {
          Ok(res) => res,
          Err(panic) => {
            let what = panic
              .downcast_ref::<&str>()
              .map(|s| s.to_string())
              .or_else(|| panic.downcast_ref::<String>().cloned())
              .unwrap_or_default();
            eprintln!("@edgebase/native: internal panic while handling {method} {path}: {what} (this is a bug, please report it)");
            ApiError::internal(&path).into_response()
          }
        }
      }
    }
  };
  if let Some((slot, done)) = lent {
    let rest = slot.lock().unwrap_or_else(|p| p.into_inner()).take();
    if let Some(rest) = rest.filter(|_| !done.load(Ordering::Acquire)) {
      if !drain(rest).await {
        res
          .headers_mut()
          .insert(header::CONNECTION, HeaderValue::from_static("close"));
      }
    }
  }
  let h = res.headers_mut();
  // axum marks a known path's unserved method with `Allow`; EdgeBase answers a plain 404.
  h.remove(header::ALLOW);
  if let Some(cors) = cors {
    h.extend(cors);
  }
  // EdgeBase's preflight returns before its header decoration: no nosniff there.
  if method != Method::OPTIONS {
    h.insert("x-content-type-options", HeaderValue::from_static("nosniff"));
  }
  if let Some(log) = &app.log {
    log.line(
      Obj::new()
        .field("time", time::iso(time::now_ms()))
        .field("method", method.as_str())
        .field("path", &path)
        .field("status", res.status().as_u16())
        .num("ms", (start.elapsed().as_secs_f64() * 1e5).round() / 100.0)
        .field("ip", ip.map(|i| i.to_string()))
        .finish(),
    );
  }
  res
}
