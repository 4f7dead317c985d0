//! The accept loop: the app on hyper's HTTP/1 connections with read timeouts, graceful shutdown
//! and the peer address as `ConnectInfo`.
//!
//! `axum::serve` sets no timer, so a client could hold a connection (and its task, and the file it
//! downloads) forever by sending a request head or body a byte at a time, or not at all
//! (slowloris), or by not reading its response. Here the whole head must arrive within
//! `Timeouts::header`; a request body being read and a response being written must make progress
//! at least every `Timeouts::body_idle`: a large upload or download that keeps moving is never cut
//! off.

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
use tokio::io::{AsyncRead, AsyncWrite, ReadBuf};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::watch;
use tokio::time::{Instant, Sleep};
use tower_service::Service;

#[derive(Clone, Copy, Debug)]
pub struct Timeouts {
  /// The request line and headers must arrive within this.
  pub header: Duration,
  /// While a request body is read or a response written, at most this long without progress.
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
      let io = TokioIo::new(WriteStall::new(stream, timeouts.body_idle));
      let conn = builder.serve_connection(io, handler);
      let mut conn = std::pin::pin!(conn);
      let stopping = tokio::select! {
        _ = conn.as_mut() => false,
        r = stop.wait_for(|s| *s) => r.is_ok(),
      };
      if stopping {
        conn.as_mut().graceful_shutdown();
        tokio::select! {
          _ = conn.as_mut() => {}
          // The grace period ran out (`serve` was dropped with its sender): drop the connection.
          _ = stop.changed() => {}
        }
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
  stall: Stall,
}

impl IdleTimeout {
  fn new(inner: Incoming, idle: Duration) -> Self {
    IdleTimeout {
      inner,
      stall: Stall::new(idle),
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
        this.stall.progress();
        Poll::Ready(frame.map(|f| f.map_err(Into::into)))
      }
      Poll::Pending if this.stall.expired(cx) => Poll::Ready(Some(Err(Box::new(BodyIdle)))),
      Poll::Pending => Poll::Pending,
    }
  }

  fn is_end_stream(&self) -> bool {
    self.inner.is_end_stream()
  }

  fn size_hint(&self) -> SizeHint {
    self.inner.size_hint()
  }
}

/// A timer armed while something waits, disarmed by progress; fires after `idle` of waiting.
struct Stall {
  idle: Duration,
  /// Created on the first wait only.
  timer: Option<Pin<Box<Sleep>>>,
  armed: bool,
}

impl Stall {
  fn new(idle: Duration) -> Self {
    Stall {
      idle,
      timer: None,
      armed: false,
    }
  }

  fn progress(&mut self) {
    self.armed = false;
  }

  /// Called when the operation is pending: whether the wait has now lasted too long.
  fn expired(&mut self, cx: &mut Context<'_>) -> bool {
    let deadline = Instant::now() + self.idle;
    let timer = self
      .timer
      .get_or_insert_with(|| Box::pin(tokio::time::sleep_until(deadline)));
    if !self.armed {
      timer.as_mut().reset(deadline);
      self.armed = true;
    }
    timer.as_mut().poll(cx).is_ready()
  }
}

/// A connection whose writes fail once the peer has taken no bytes for the idle time.
struct WriteStall {
  io: TcpStream,
  stall: Stall,
}

impl WriteStall {
  fn new(io: TcpStream, idle: Duration) -> Self {
    WriteStall {
      io,
      stall: Stall::new(idle),
    }
  }

  fn guard<T>(&mut self, cx: &mut Context<'_>, r: Poll<std::io::Result<T>>) -> Poll<std::io::Result<T>> {
    match r {
      Poll::Pending if self.stall.expired(cx) => Poll::Ready(Err(std::io::Error::new(
        std::io::ErrorKind::TimedOut,
        "the client stopped reading the response",
      ))),
      Poll::Pending => Poll::Pending,
      ready => {
        self.stall.progress();
        ready
      }
    }
  }
}

impl AsyncRead for WriteStall {
  fn poll_read(
    mut self: Pin<&mut Self>,
    cx: &mut Context<'_>,
    buf: &mut ReadBuf<'_>,
  ) -> Poll<std::io::Result<()>> {
    Pin::new(&mut self.io).poll_read(cx, buf)
  }
}

impl AsyncWrite for WriteStall {
  fn poll_write(mut self: Pin<&mut Self>, cx: &mut Context<'_>, buf: &[u8]) -> Poll<std::io::Result<usize>> {
    let r = Pin::new(&mut self.io).poll_write(cx, buf);
    self.guard(cx, r)
  }

  fn poll_write_vectored(
    mut self: Pin<&mut Self>,
    cx: &mut Context<'_>,
    bufs: &[std::io::IoSlice<'_>],
  ) -> Poll<std::io::Result<usize>> {
    let r = Pin::new(&mut self.io).poll_write_vectored(cx, bufs);
    self.guard(cx, r)
  }

  fn is_write_vectored(&self) -> bool {
    self.io.is_write_vectored()
  }

  fn poll_flush(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
    let r = Pin::new(&mut self.io).poll_flush(cx);
    self.guard(cx, r)
  }

  fn poll_shutdown(mut self: Pin<&mut Self>, cx: &mut Context<'_>) -> Poll<std::io::Result<()>> {
    Pin::new(&mut self.io).poll_shutdown(cx)
  }
}
