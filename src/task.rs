//! Work for the libuv pool: `blocking(|| …)` runs a closure off the JS thread and resolves its
//! result. Shared by the bindings whose writes and large reads must not block the event loop.

use napi::bindgen_prelude::*;

/// Work for the libuv pool; a panic becomes a rejection. One task type per result type (napi's
/// `Task` cannot be implemented generically over the result).
pub trait Work: Task + Sized {
  type Out: Send + 'static;
  fn of(f: Box<dyn FnOnce() -> Result<Self::Out> + Send>) -> Self;
}

fn run<T>(f: &mut Option<Box<dyn FnOnce() -> Result<T> + Send>>) -> Result<T> {
  let f = f.take().ok_or_else(|| Error::from_reason("task ran twice"))?;
  std::panic::catch_unwind(std::panic::AssertUnwindSafe(f)).unwrap_or_else(|_| {
    Err(Error::from_reason(
      "@edgebase/native: internal panic in a background task (this is a bug)",
    ))
  })
}

macro_rules! work {
  ($name:ident, $t:ty) => {
    pub struct $name(Option<Box<dyn FnOnce() -> Result<$t> + Send>>);
    impl Task for $name {
      type Output = $t;
      type JsValue = $t;
      fn compute(&mut self) -> Result<$t> {
        run(&mut self.0)
      }
      fn resolve(&mut self, _env: Env, output: $t) -> Result<$t> {
        Ok(output)
      }
    }
    impl Work for $name {
      type Out = $t;
      fn of(f: Box<dyn FnOnce() -> Result<$t> + Send>) -> Self {
        $name(Some(f))
      }
    }
  };
}
work!(Done, ());
work!(Text, String);
work!(MaybeText, Option<String>);
work!(Bytes, Buffer);

pub fn blocking<W: Work>(f: impl FnOnce() -> Result<W::Out> + Send + 'static) -> AsyncTask<W> {
  AsyncTask::new(W::of(Box::new(f)))
}
