//! The streaming halves of `R2Bucket`: `R2Writer` takes a put's or a part's body chunk by chunk,
//! `R2Body` hands out a large object's bytes. Both keep their engine handle behind a mutex so a
//! libuv task can take it; dropping either unfinished leaves nothing behind.

use crate::error::OrJs;
use crate::r2::to_json;
use crate::task::{blocking, Bytes, Done, MaybeText, Text};
use edgebase_engine::r2;
use napi::bindgen_prelude::*;
use napi_derive::napi;
use std::sync::atomic::{AtomicI64, Ordering};
use std::sync::{Arc, Mutex};

pub(crate) enum Sink {
  Put(Box<r2::PutWriter>),
  Part(Box<r2::PartWriter>),
}

/// A body being written chunk by chunk. Dropped unfinished, it leaves nothing behind.
#[napi]
pub struct R2Writer {
  sink: Arc<Mutex<Option<Sink>>>,
}

impl R2Writer {
  pub(crate) fn new(sink: Sink) -> Self {
    R2Writer {
      sink: Arc::new(Mutex::new(Some(sink))),
    }
  }

  fn take(&self) -> Result<Sink> {
    self
      .sink
      .lock()
      .unwrap_or_else(|p| p.into_inner())
      .take()
      .ok_or_else(|| Error::from_reason("this R2 upload is already finished"))
  }
}

#[napi]
impl R2Writer {
  /// Appends a chunk (copied before it leaves the JS thread).
  #[napi(catch_unwind, ts_return_type = "Promise<void>")]
  pub fn write(&self, chunk: Uint8Array) -> AsyncTask<Done> {
    let bytes = chunk.to_vec();
    let sink = self.sink.clone();
    blocking(move || {
      let mut guard = sink.lock().unwrap_or_else(|p| p.into_inner());
      let result = match guard.as_mut() {
        Some(Sink::Put(w)) => w.write(&bytes),
        Some(Sink::Part(w)) => w.write(&bytes),
        None => return Err(Error::from_reason("this R2 upload is already finished")),
      };
      if result.is_err() {
        // A failed write ends the upload (its partial blob is removed).
        guard.take();
      }
      result.or_js()
    })
  }

  /// Commits a put: its object JSON, or `null` when `onlyIf` did not hold.
  #[napi(catch_unwind, ts_return_type = "Promise<string | null>")]
  pub fn finish(&self) -> Result<AsyncTask<MaybeText>> {
    let Sink::Put(w) = self.take()? else {
      return Err(Error::from_reason("not a put"));
    };
    Ok(blocking(move || Ok(w.finish().or_js()?.as_ref().map(to_json))))
  }

  /// Commits a part: its etag.
  #[napi(catch_unwind, ts_return_type = "Promise<string>")]
  pub fn finish_part(&self) -> Result<AsyncTask<Text>> {
    let Sink::Part(w) = self.take()? else {
      return Err(Error::from_reason("not a part"));
    };
    Ok(blocking(move || Ok(w.finish().or_js()?.etag)))
  }

  /// Drops the upload and its partial blob.
  #[napi]
  pub fn abort(&self) {
    let _ = self.take();
  }
}

pub struct ReadInto {
  body: Arc<Mutex<Option<r2::Body>>>,
  external: Arc<AtomicI64>,
  buf: Uint8Array,
}

impl Task for ReadInto {
  type Output = u32;
  type JsValue = u32;

  fn compute(&mut self) -> Result<u32> {
    // The caller hands the buffer over until the promise settles (like `fs.read`).
    let buf = unsafe { self.buf.as_mut() };
    let body = &self.body;
    let mut read = || -> Result<u32> {
      let mut guard = body.lock().unwrap_or_else(|p| p.into_inner());
      let Some(b) = guard.as_mut() else { return Ok(0) };
      let n = b.read_into(buf).or_js()?;
      if b.remaining() == 0 {
        guard.take();
      }
      Ok(n as u32)
    };
    std::panic::catch_unwind(std::panic::AssertUnwindSafe(&mut read)).unwrap_or_else(|_| {
      Err(Error::from_reason(
        "@edgebase/native: internal panic in an R2 read",
      ))
    })
  }

  fn resolve(&mut self, env: Env, n: u32) -> Result<u32> {
    // Read to the end: the pinned object is released, so is its share of V8's accounting.
    if self.body.lock().unwrap_or_else(|p| p.into_inner()).is_none() {
      give_back(&self.external, &env);
    }
    Ok(n)
  }
}

/// The body of a large `get`, read in chunks off the JS thread.
///
/// The memory an unread body pins (an in-memory bucket's object) is reported to V8, so bodies
/// that are never consumed — `expect(await r2.get(k)).not.toBeNull()` — are collected before
/// they pile up: V8 would otherwise see a small object and keep hundreds of them alive.
#[napi(custom_finalize)]
pub struct R2Body {
  body: Arc<Mutex<Option<r2::Body>>>,
  /// Bytes reported with `adjust_external_memory`, given back once.
  external: Arc<AtomicI64>,
}

fn give_back(external: &AtomicI64, env: &Env) {
  let n = external.swap(0, Ordering::Relaxed);
  if n > 0 {
    let _ = env.adjust_external_memory(-n);
  }
}

impl R2Body {
  pub(crate) fn new(env: &Env, body: r2::Body) -> Self {
    let held = body.memory_held().min(i64::MAX as u64) as i64;
    let external = if held > 0 && env.adjust_external_memory(held).is_ok() {
      held
    } else {
      0
    };
    R2Body {
      body: Arc::new(Mutex::new(Some(body))),
      external: Arc::new(AtomicI64::new(external)),
    }
  }
}

impl ObjectFinalize for R2Body {
  fn finalize(self, env: Env) -> Result<()> {
    give_back(&self.external, &env);
    Ok(())
  }
}

#[napi]
impl R2Body {
  /// Up to `max` bytes; an empty buffer at the end (which also releases the object's files).
  #[napi(catch_unwind, ts_return_type = "Promise<Buffer>")]
  pub fn read(&self, max: f64) -> AsyncTask<Bytes> {
    let body = self.body.clone();
    let max = if max.is_finite() && max >= 1.0 {
      max as usize
    } else {
      65536
    };
    blocking(move || {
      let mut guard = body.lock().unwrap_or_else(|p| p.into_inner());
      let Some(b) = guard.as_mut() else {
        return Ok(Vec::new().into());
      };
      let chunk = b.read(max).or_js()?;
      if b.remaining() == 0 {
        guard.take();
      }
      Ok(chunk.into())
    })
  }

  /// Fills `buf` (allocated by the caller, so the bytes land in JS memory once); resolves the
  /// number of bytes written.
  #[napi(catch_unwind, ts_return_type = "Promise<number>")]
  pub fn read_into(&self, buf: Uint8Array) -> AsyncTask<ReadInto> {
    AsyncTask::new(ReadInto {
      body: self.body.clone(),
      external: self.external.clone(),
      buf,
    })
  }

  #[napi(getter)]
  pub fn remaining(&self) -> f64 {
    let guard = self.body.lock().unwrap_or_else(|p| p.into_inner());
    guard.as_ref().map(|b| b.remaining() as f64).unwrap_or(0.0)
  }

  /// Releases the object's files without reading the rest (also called after the last chunk).
  #[napi]
  pub fn close(&self, env: Env) {
    self.body.lock().unwrap_or_else(|p| p.into_inner()).take();
    give_back(&self.external, &env);
  }
}
