#![deny(clippy::all)]
//! The napi binding of `@edgebase/native`: converts JS arguments, calls the engine, converts
//! results and errors. No storage decisions live here; `index.js` holds the Web-facing shim.

mod clock;
mod config_files;
mod d1;
mod d1_values;
mod error;
mod kv;
mod limits;
mod r2;
mod r2_stream;
mod server;
mod task;
mod vectorize;

pub use clock::ManualClock;

use std::sync::Once;

/// One tokio runtime for the process (shared by every Node environment / worker thread), with
/// named, bounded threads. Storage work never blocks the JS thread on it.
#[napi_derive::module_init]
fn init() {
  static PANIC_HOOK: Once = Once::new();
  PANIC_HOOK.call_once(|| {
    let default = std::panic::take_hook();
    std::panic::set_hook(Box::new(move |info| {
      eprintln!("@edgebase/native: internal panic (this is a bug in @edgebase/native, please report it)");
      default(info);
    }));
  });
  let threads = std::env::var("EDGEBASE_NATIVE_WORKER_THREADS")
    .ok()
    .and_then(|v| v.parse::<usize>().ok())
    .filter(|&n| n > 0)
    .unwrap_or_else(|| {
      std::thread::available_parallelism()
        .map(|n| n.get())
        .unwrap_or(2)
        .min(4)
    });
  let rt = tokio::runtime::Builder::new_multi_thread()
    .worker_threads(threads)
    .max_blocking_threads(64)
    .thread_name("edgebase-worker")
    .enable_all()
    .build();
  if let Ok(rt) = rt {
    napi::bindgen_prelude::create_custom_tokio_runtime(rt);
  }
}
