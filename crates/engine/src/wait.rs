//! Waiting for the engine's own threads from synchronous code.
//!
//! The engine's writers and search threads answer through tokio oneshot channels. Their
//! `blocking_recv` panics when the calling thread is inside a tokio runtime ("Cannot block the
//! current thread from within a runtime"), so a synchronous engine call made from async code (an
//! embedder's handler, a `#[tokio::test]`) would abort. The answer always comes from a plain OS
//! thread of the engine, never from the caller's runtime, so parking the caller is safe anywhere:
//! `block_on` does that with std only.

use std::future::Future;
use std::sync::Arc;
use std::task::{Context, Poll, Wake, Waker};
use std::thread::Thread;

struct Unpark(Thread);

impl Wake for Unpark {
  fn wake(self: Arc<Self>) {
    self.0.unpark();
  }

  fn wake_by_ref(self: &Arc<Self>) {
    self.0.unpark();
  }
}

/// Drives `f` to completion on this thread, parking between polls. Only for futures completed by
/// another thread (the engine's channels); never for work that needs the caller's runtime.
pub fn block_on<F: Future>(f: F) -> F::Output {
  let waker = Waker::from(Arc::new(Unpark(std::thread::current())));
  let mut cx = Context::from_waker(&waker);
  let mut f = std::pin::pin!(f);
  loop {
    if let Poll::Ready(v) = f.as_mut().poll(&mut cx) {
      return v;
    }
    std::thread::park();
  }
}
