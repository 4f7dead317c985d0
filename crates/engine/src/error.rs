//! The error model shared by every binding.
//!
//! Each binding has its own error enum (`kv::KvError`, …) whose `Display` is the exact text a
//! Cloudflare user sees. Every enum also names a stable `code` (what the JS layer and the server
//! key on) and the JS class the text belongs to. Causes shared by all bindings (I/O, a file locked
//! by another process, a closed handle) live in `StorageError`.

use std::fmt;
use std::path::PathBuf;

/// The JavaScript class an error is thrown as.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ErrorClass {
  Error,
  TypeError,
  RangeError,
  SyntaxError,
}

impl ErrorClass {
  pub fn as_str(self) -> &'static str {
    match self {
      ErrorClass::Error => "Error",
      ErrorClass::TypeError => "TypeError",
      ErrorClass::RangeError => "RangeError",
      ErrorClass::SyntaxError => "SyntaxError",
    }
  }
}

/// What every binding error exposes to the boundary (napi or HTTP).
pub trait BindingError: std::error::Error + Send + Sync + 'static {
  /// Stable, namespaced code such as `EB_KV_KEY_TOO_LONG`.
  fn code(&self) -> &'static str;
  /// The JS class Cloudflare throws for this error.
  fn class(&self) -> ErrorClass {
    ErrorClass::Error
  }
}

/// Failures below the binding semantics: files, locks, lifecycles.
#[derive(Debug)]
#[non_exhaustive]
pub enum StorageError {
  /// A name given for a persisted store would not make a safe file name.
  InvalidName {
    kind: &'static str,
    name: String,
    reason: &'static str,
  },
  /// Another process holds the store's file.
  AlreadyOpen { path: PathBuf },
  /// The handle was closed (`close()` or `Symbol.asyncDispose`).
  Closed { kind: &'static str, name: String },
  /// An I/O error, with the file it happened on when known.
  Io {
    path: Option<PathBuf>,
    source: std::io::Error,
  },
  /// The storage engine reported a problem (corruption, a failed commit, …).
  Engine { path: Option<PathBuf>, detail: String },
}

impl StorageError {
  pub fn engine(detail: impl fmt::Display) -> Self {
    StorageError::Engine {
      path: None,
      detail: detail.to_string(),
    }
  }

  /// Attaches the store's file to an error that does not name one yet.
  pub fn at(self, file: &std::path::Path) -> Self {
    match self {
      StorageError::Io { path: None, source } => StorageError::Io {
        path: Some(file.into()),
        source,
      },
      StorageError::Engine { path: None, detail } => StorageError::Engine {
        path: Some(file.into()),
        detail,
      },
      other => other,
    }
  }
}

impl fmt::Display for StorageError {
  fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    match self {
      StorageError::InvalidName { kind, name, reason } => {
        write!(f, "Invalid {kind} name {name:?}: {reason}.")
      }
      StorageError::AlreadyOpen { path } => write!(
        f,
        "{} is already open in another process; close that process or use another persist directory.",
        path.display()
      ),
      StorageError::Closed { kind, name } => write!(f, "{kind} {name:?} is closed."),
      StorageError::Io {
        path: Some(p),
        source,
      } => write!(f, "I/O error on {}: {source}", p.display()),
      StorageError::Io { path: None, source } => write!(f, "I/O error: {source}"),
      StorageError::Engine {
        path: Some(p),
        detail,
      } => write!(f, "storage error on {}: {detail}", p.display()),
      StorageError::Engine { path: None, detail } => write!(f, "storage error: {detail}"),
    }
  }
}

impl std::error::Error for StorageError {
  fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
    match self {
      StorageError::Io { source, .. } => Some(source),
      _ => None,
    }
  }
}

impl BindingError for StorageError {
  fn code(&self) -> &'static str {
    match self {
      StorageError::InvalidName { .. } => "EB_INVALID_NAME",
      StorageError::AlreadyOpen { .. } => "EB_STORE_LOCKED",
      StorageError::Closed { .. } => "EB_CLOSED",
      StorageError::Io { .. } => "EB_IO",
      StorageError::Engine { .. } => "EB_STORAGE",
    }
  }

  fn class(&self) -> ErrorClass {
    match self {
      StorageError::InvalidName { .. } => ErrorClass::TypeError,
      _ => ErrorClass::Error,
    }
  }
}

impl From<std::io::Error> for StorageError {
  fn from(source: std::io::Error) -> Self {
    StorageError::Io { path: None, source }
  }
}

// redb's error families all collapse into `StorageError`; the binding semantics never depend on
// which redb operation failed.
macro_rules! from_redb {
  ($($t:ty),*) => {$(
    impl From<$t> for StorageError {
      fn from(e: $t) -> Self {
        StorageError::engine(e)
      }
    }
  )*};
}
from_redb!(
  redb::TransactionError,
  redb::TableError,
  redb::CommitError,
  redb::CompactionError
);

impl From<redb::StorageError> for StorageError {
  fn from(e: redb::StorageError) -> Self {
    match e {
      redb::StorageError::Io(source) => StorageError::Io { path: None, source },
      other => StorageError::engine(other),
    }
  }
}

impl From<redb::DatabaseError> for StorageError {
  fn from(e: redb::DatabaseError) -> Self {
    match e {
      redb::DatabaseError::Storage(s) => s.into(),
      other => StorageError::engine(other),
    }
  }
}

/// `From` every storage-level error into a binding enum's `Storage` variant.
macro_rules! storage_from {
  ($t:ty) => {
    impl From<$crate::error::StorageError> for $t {
      fn from(e: $crate::error::StorageError) -> Self {
        Self::Storage(e)
      }
    }
    $crate::error::storage_from!(@each $t: std::io::Error, redb::TransactionError, redb::TableError,
      redb::CommitError, redb::StorageError, redb::DatabaseError, redb::CompactionError);
  };
  (@each $t:ty: $($src:ty),*) => {$(
    impl From<$src> for $t {
      fn from(e: $src) -> Self {
        Self::Storage(e.into())
      }
    }
  )*};
}
pub(crate) use storage_from;
