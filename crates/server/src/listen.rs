//! The accept loop: the app on hyper's HTTP/1 connections with read timeouts, graceful shutdown
//! and the peer address as `ConnectInfo`.
//!
//! `axum::serve` sets no timer, so a client could hold a connection (and its task) forever by
//! sending a request head or body a byte at a time, or not at all (slowloris). Here the whole head
//! must arrive within `Timeouts::header`, and a body that is being read must make progress at
//! least every `Timeouts::body_idle`: a large upload that keeps sending is never cut off.

use crate::limits::{BODY_IDLE_TIMEOUT_SECS, HEADER_READ_TIMEOUT_SECS};
use axum::body::Body;
use axum::extract::{ConnectInfo, Request};
use axum::response::Response;
use bytes::Bytes;
use http_body::{Body as HttpBody, Frame, SizeHint};
use hyper::body::Incoming;
use hyper_util::rt::{TokioIo, TokioTimer};
use std::convert::Infallible;
use std::future::Future;
use std::pin::Pin;
use std::task::{Context, Poll};
use std::time::Duration;
use tokio::net::TcpListener;
use tokio::sync::watch;
use tokio::time::{Instant, Sleep};
use tower_service::Service;

#[derive(Clone, Copy, Debug)]
pub struct Timeouts {
  /// The request line and headers must arrive within this.
  pub header: Duration,
  /// While a body is read, at most this long between two pieces of it.
  pub body_idle: Duration,
}

impl Default for Timeouts {
  fn default() -> Self {
    Timeouts {
      header: Duration::from_secs(HEADER_READ_TIMEOUT_SECS),
      body_idle: Duration::from_secs(BODY_IDLE_TIMEOUT_SECS),
    }
  }
}

/// Serves `service` on `listener` until `shutdown` resolves, then lets open connections finish
/// their requests (the caller bounds how long) and resolves when the last one closed.
pub async fn serve<S>(
  listener: TcpListener,
  service: S,
  timeouts: Timeouts,
  shutdown: impl Future<Output = ()>,
) where
  S: Service<Request, Response = Response, Error = Infallible> + Clone + Send + 'static,
  S::Future: Send,
{
  let (stop_tx, stop_rx) = watch::channel(false);
  // Every connection holds a clone; `closed()` resolves when the last one is gone.
  let (open_tx, open_rx) = watch::channel(());
  let mut shutdown = std::pin::pin!(shutdown);
  loop {
    let (stream, peer) = tokio::select! {
      _ = &mut shutdown => break,
      accepted = listener.accept() => match accepted {
        Ok(a) => a,
        // Out of file descriptors and the like: back off instead of spinning.
        Err(_) => {
          tokio::time::sleep(Duration::from_millis(50)).await;
          continue;
        }
      },
    };
    let service = service.clone();
    let mut stop = stop_rx.clone();
    let open = open_rx.clone();
    tokio::spawn(async move {
      let handler = hyper::service::service_fn(move |req: hyper::Request<Incoming>| {
        let mut service = service.clone();
        let mut req = req.map(|b| Body::new(IdleTimeout::new(b, timeouts.body_idle)));
        req.extensions_mut().insert(ConnectInfo(peer));
        async move {
          std::future::poll_fn(|cx| service.poll_ready(cx)).await?;
          service.call(req).await
        }
      });
      let mut builder = hyper::server::conn::http1::Builder::new();
      builder
        .timer(TokioTimer::new())
        .header_read_timeout(timeouts.header);
      let conn = builder.serve_connection(TokioIo::new(stream), handler);
      let mut conn = std::pin::pin!(conn);
      let stopping = tokio::select! {
        _ = conn.as_mut() => false,
        r = stop.wait_for(|s| *s) => r.is_ok(),
      };
      if stopping {
        conn.as_mut().graceful_shutdown();
        let _ = conn.await;
      }
      drop(open);
    });
  }
  drop(listener);
  let _ = stop_tx.send(true);
  drop(open_rx);
  open_tx.closed().await;
}

/// A request body that fails when no frame arrives for `idle` while it is being read.
struct IdleTimeout {
  inner: Incoming,
  idle: Duration,
  /// Armed when a read found nothing; created on the first wait only.
  timer: Option<Pin<Box<Sleep>>>,
  armed: bool,
}

impl IdleTimeout {
  fn new(inner: Incoming, idle: Duration) -> Self {
    IdleTimeout {
      inner,
      idle,
      timer: None,
      armed: false,
    }
  }
}

/// The body stopped arriving for longer than the idle timeout.
#[derive(Debug)]
pub struct BodyIdle;

impl std::fmt::Display for BodyIdle {
  fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
    f.write_str("the request body stopped arriving")
  }
}

impl std::error::Error for BodyIdle {}

type BoxError = Box<dyn std::error::Error + Send + Sync>;

impl HttpBody for IdleTimeout {
  type Data = Bytes;
  type Error = BoxError;

  fn poll_frame(
    mut self: Pin<&mut Self>,
    cx: &mut Context<'_>,
  ) -> Poll<Option<Result<Frame<Bytes>, BoxError>>> {
    let this = &mut *self;
    match Pin::new(&mut this.inner).poll_frame(cx) {
      Poll::Ready(frame) => {
        this.armed = false;
        Poll::Ready(frame.map(|f| f.map_err(Into::into)))
      }
      Poll::Pending => {
        let deadline = Instant::now() + this.idle;
        let timer = this
          .timer
          .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
        if !this.armed {
          timer.as_mut().reset(deadline);
          this.armed = true;
        }
        match timer.as_mut().poll(cx) {
          Poll::Ready(()) => Poll::Ready(Some(Err(Box::new(BodyIdle)))),
          Poll::Pending => Poll::Pending,
        }
      }
    }
  }

  fn is_end_stream(&self) -> bool {
    self.inner.is_end_stream()
  }

  fn size_hint(&self) -> SizeHint {
    self.inner.size_hint()
  }
}
