//! Cloudflare D1 semantics over SQLite: queries with D1's multi-statement and parameter rules,
//! atomic batches, `exec`'s line splitting, D1's result metadata and error texts, session
//! bookmarks, and `dump`.

mod auth;
mod codes;
mod conn;
mod error;
mod hooks;
mod sql_text;
mod stmt;
mod store;

pub use error::{D1Error, TRANSACTION_MESSAGE};
pub use sql_text::split_statements;
pub use store::{D1Store, Done, Output, Reply, Submitted, Work};

use crate::error::StorageError;
use crate::persist::{self, Registry, Shared};
use std::path::Path;
use std::sync::RwLock;

static OPEN: Registry<D1Store> = Registry::new();

const KIND: &str = "D1 database";

/// A value bound to or read from SQLite.
#[derive(Clone, Debug, PartialEq)]
pub enum Value {
  Null,
  Integer(i64),
  Real(f64),
  Text(String),
  Blob(Vec<u8>),
}

impl Value {
  /// A JavaScript number: integral values within ±2^53 bind as INTEGER (what D1 in production
  /// does), others as REAL; NaN and ±Infinity become NULL (they cross D1's JSON wire as `null`).
  pub fn from_number(n: f64) -> Value {
    const MAX_SAFE: f64 = 9_007_199_254_740_992.0;
    if !n.is_finite() {
      Value::Null
    } else if n.fract() == 0.0 && n.abs() <= MAX_SAFE {
      Value::Integer(n as i64)
    } else {
      Value::Real(n)
    }
  }
}

/// `meta` of a D1 result.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct Meta {
  /// Milliseconds the statement took to run.
  pub duration: f64,
  /// Rows changed (as SQLite's `total_changes()` moved, so trigger and cascade changes count).
  pub changes: u64,
  /// `last_insert_rowid()` after the statement (sticky across statements).
  pub last_row_id: i64,
  /// The statement changed rows, the last insert rowid, or the database size.
  pub changed_db: bool,
  /// Database size in bytes after the statement.
  pub size_after: u64,
  /// SQLite's per-statement row counters (of the last statement of a multi-statement query, as
  /// workerd reports them).
  pub rows_read: u64,
  pub rows_written: u64,
}

/// Rows of a query (row-major `values`, `columns.len()` per row) and its metadata.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct QueryResult {
  pub columns: Vec<String>,
  pub values: Vec<Value>,
  pub meta: Meta,
}

impl QueryResult {
  pub fn rows(&self) -> impl Iterator<Item = &[Value]> {
    let n = self.columns.len().max(1);
    self.values.chunks(n)
  }
}

/// `exec()`'s result.
#[derive(Clone, Debug, Default, PartialEq)]
pub struct ExecResult {
  /// Lines executed.
  pub count: u64,
  /// Sum of the lines' durations, in milliseconds.
  pub duration: f64,
}

/// One `D1Database` binding: a database shared with every other handle on the same file.
pub struct D1Database {
  name: String,
  store: RwLock<Option<Shared<D1Store>>>,
}

impl D1Database {
  /// An in-memory database private to this handle.
  pub fn in_memory(name: &str) -> Result<Self, StorageError> {
    Ok(Self::with_store(
      name,
      Shared::private(D1Store::open_in_memory()?),
    ))
  }

  /// `<dir>/d1/<name>.sqlite`, shared with every other handle on that file in this process.
  pub fn persistent(dir: &Path, name: &str) -> Result<Self, StorageError> {
    let path = persist::store_path(dir, "d1", KIND, name, ".sqlite")?;
    let store = OPEN.get_or_open(&path, D1Store::open_file)?;
    Ok(Self::with_store(name, store))
  }

  fn with_store(name: &str, store: Shared<D1Store>) -> Self {
    D1Database {
      name: name.into(),
      store: RwLock::new(Some(store)),
    }
  }

  pub fn name(&self) -> &str {
    &self.name
  }

  pub fn is_open(&self) -> bool {
    self.store.read().map(|s| s.is_some()).unwrap_or(false)
  }

  /// The database file, when persisted.
  pub fn path(&self) -> Option<std::path::PathBuf> {
    let guard = self.store.read().unwrap_or_else(|p| p.into_inner());
    guard.as_ref().and_then(|s| s.path().map(Path::to_path_buf))
  }

  /// Runs or queues a call (see `store`). A closed handle answers at once with an error.
  pub fn submit(&self, work: Work) -> Submitted {
    let guard = self.store.read().unwrap_or_else(|p| p.into_inner());
    match guard.as_ref() {
      Some(store) => store.submit(work),
      None => Submitted::Ready(Err(D1Error::Storage(StorageError::Closed {
        kind: KIND,
        name: self.name.clone(),
      }))),
    }
  }

  /// Runs a call to completion, blocking the calling thread while it is queued (tests, scripts).
  /// Safe from any thread, also inside an async runtime, where `call_async` avoids blocking it.
  pub fn call(&self, work: Work) -> Reply {
    match self.submit(work) {
      Submitted::Ready(r) => r,
      Submitted::Pending(rx) => crate::wait::block_on(rx).unwrap_or_else(|_| Err(worker_stopped())),
    }
  }

  /// Runs a call to completion from async code (the HTTP server).
  pub async fn call_async(&self, work: Work) -> Reply {
    match self.submit(work) {
      Submitted::Ready(r) => r,
      Submitted::Pending(rx) => rx.await.unwrap_or_else(|_| Err(worker_stopped())),
    }
  }

  /// Releases this handle's share of the database; the file closes with its last handle, after
  /// every queued call has finished. Idempotent. May block on those calls.
  pub fn close(&self) {
    drop(self.begin_close());
  }

  /// Closes the handle at once (later calls are refused) and returns what is left to release:
  /// dropping it waits for the queued calls and, for the last handle, closes the file.
  pub fn begin_close(&self) -> Closing {
    Closing(self.store.write().unwrap_or_else(|p| p.into_inner()).take())
  }
}

fn worker_stopped() -> D1Error {
  D1Error::Storage(StorageError::engine("the D1 worker thread stopped"))
}

/// A handle's share of its database, on its way out (see `D1Database::begin_close`).
pub struct Closing(#[allow(dead_code)] Option<Shared<D1Store>>);

#[cfg(test)]
mod tests;
