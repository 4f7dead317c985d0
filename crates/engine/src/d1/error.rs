//! D1 errors. `Display` is the exact `error.message` a Worker sees.

use crate::error::{BindingError, ErrorClass, StorageError};
use std::fmt;

/// Transactions are the JS API's job in D1 (workerd's SQL layer words it for Durable Objects).
pub const TRANSACTION_MESSAGE: &str = "To execute a transaction, please use the state.storage.transaction() or state.storage.transactionSync() APIs instead of the SQL BEGIN TRANSACTION or SAVEPOINT statements. The JavaScript API is safer because it will automatically roll back on exceptions, and because it interacts correctly with Durable Objects' automatic atomic write coalescing.";

#[derive(Debug)]
#[non_exhaustive]
pub enum D1Error {
  /// An engine failure: `<sqlite3_errmsg>[ at offset N]: <CODE>[ (extended: <CODE_X>)]`, or one
  /// of the SQL layer's own texts (wrong arity, several statements with parameters, …).
  Sql {
    message: String,
    code: i32,
  },
  /// `exec()`: the failing line (always reported as line 1 with the first line's text, as
  /// Miniflare does) and the engine message.
  Exec {
    line: String,
    message: String,
  },
  /// `dump()` could not serialize the database.
  Dump(String),
  Storage(StorageError),
}

impl D1Error {
  pub(crate) fn sql(message: impl Into<String>) -> Self {
    D1Error::Sql {
      message: message.into(),
      code: rusqlite::ffi::SQLITE_ERROR,
    }
  }

  /// The message without its `D1_…: ` prefix (what workerd puts in `error.cause`).
  pub fn cause(&self) -> String {
    match self {
      D1Error::Sql { message, .. } => message.clone(),
      D1Error::Exec { line, message } => format!("Error in line 1: {line}: {message}"),
      D1Error::Dump(m) => m.clone(),
      D1Error::Storage(e) => e.to_string(),
    }
  }

  /// The SQLite result code behind an engine failure (`SQLITE_BUSY`, …), if any.
  pub fn sqlite_code(&self) -> Option<i32> {
    match self {
      D1Error::Sql { code, .. } => Some(*code),
      _ => None,
    }
  }
}

impl fmt::Display for D1Error {
  fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    match self {
      D1Error::Sql { message, .. } => write!(f, "D1_ERROR: {message}"),
      D1Error::Exec { .. } => write!(f, "D1_EXEC_ERROR: {}", self.cause()),
      D1Error::Dump(m) => write!(f, "D1_DUMP_ERROR: {m}"),
      D1Error::Storage(e) => write!(f, "D1_ERROR: {e}"),
    }
  }
}

impl std::error::Error for D1Error {
  fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
    match self {
      D1Error::Storage(e) => Some(e),
      _ => None,
    }
  }
}

impl BindingError for D1Error {
  fn code(&self) -> &'static str {
    match self {
      D1Error::Sql { .. } => "EB_D1_ERROR",
      D1Error::Exec { .. } => "EB_D1_EXEC_ERROR",
      D1Error::Dump(_) => "EB_D1_DUMP_ERROR",
      D1Error::Storage(e) => e.code(),
    }
  }

  fn class(&self) -> ErrorClass {
    match self {
      D1Error::Storage(e) => e.class(),
      _ => ErrorClass::Error,
    }
  }
}

impl From<StorageError> for D1Error {
  fn from(e: StorageError) -> Self {
    D1Error::Storage(e)
  }
}
