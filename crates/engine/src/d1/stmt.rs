//! A prepared statement driven through the C API, and the per-connection cache of them.

use super::Value;
use rusqlite::ffi;
use std::collections::HashMap;
use std::ffi::{c_char, c_int, CStr};
use std::ptr::{self, NonNull};

/// Statements kept prepared per connection; when full, an arbitrary one is dropped.
const CACHE_CAPACITY: usize = 256;

pub(crate) struct Stmt(NonNull<ffi::sqlite3_stmt>);

// SAFETY: a statement is used by one thread at a time, together with its connection.
unsafe impl Send for Stmt {}

impl Drop for Stmt {
  fn drop(&mut self) {
    // SAFETY: we own the statement; finalize's result repeats the last step error.
    unsafe {
      ffi::sqlite3_finalize(self.0.as_ptr());
    }
  }
}

impl Stmt {
  /// Prepares the first statement of `sql`. Returns it (None when `sql` held none) and how many
  /// bytes of `sql` it used, or SQLite's error code.
  pub fn prepare(db: *mut ffi::sqlite3, sql: &str) -> Result<(Option<Stmt>, usize), c_int> {
    let mut raw = ptr::null_mut();
    let mut tail: *const c_char = ptr::null();
    // Longer than an int can say is longer than the SQL length limit: let SQLite say so.
    let len = sql.len().min(i32::MAX as usize) as c_int;
    // SAFETY: `sql` outlives the call; SQLite reads at most `len` bytes.
    let rc = unsafe {
      ffi::sqlite3_prepare_v3(
        db,
        sql.as_ptr() as *const c_char,
        len,
        ffi::SQLITE_PREPARE_PERSISTENT,
        &mut raw,
        &mut tail,
      )
    };
    if rc != ffi::SQLITE_OK {
      return Err(rc);
    }
    let used = if tail.is_null() {
      sql.len()
    } else {
      (tail as usize)
        .saturating_sub(sql.as_ptr() as usize)
        .min(sql.len())
    };
    Ok((NonNull::new(raw).map(Stmt), used))
  }

  fn raw(&self) -> *mut ffi::sqlite3_stmt {
    self.0.as_ptr()
  }

  pub fn parameter_count(&self) -> usize {
    // SAFETY: valid statement.
    unsafe { ffi::sqlite3_bind_parameter_count(self.raw()) as usize }
  }

  /// Binds every value; the values must outlive the execution (they are bound without copying
  /// and unbound by `finish`).
  pub fn readonly(&self) -> bool {
    // SAFETY: valid statement.
    unsafe { ffi::sqlite3_stmt_readonly(self.raw()) != 0 }
  }

  pub fn bind_all(&self, params: &[Value]) -> Result<(), c_int> {
    for (i, v) in params.iter().enumerate() {
      let at = i as c_int + 1;
      // SAFETY: valid statement; text and blob buffers live until `finish` clears the bindings.
      let rc = unsafe {
        match v {
          Value::Null => ffi::sqlite3_bind_null(self.raw(), at),
          Value::Integer(n) => ffi::sqlite3_bind_int64(self.raw(), at, *n),
          Value::Real(x) => ffi::sqlite3_bind_double(self.raw(), at, *x),
          Value::Text(s) => ffi::sqlite3_bind_text64(
            self.raw(),
            at,
            s.as_ptr() as *const c_char,
            s.len() as u64,
            ffi::SQLITE_STATIC(),
            ffi::SQLITE_UTF8 as u8,
          ),
          // An empty Vec's pointer is dangling but not null, so X'' binds as an empty BLOB
          // (a null pointer would bind NULL).
          Value::Blob(b) => ffi::sqlite3_bind_blob64(
            self.raw(),
            at,
            b.as_ptr() as *const _,
            b.len() as u64,
            ffi::SQLITE_STATIC(),
          ),
        }
      };
      if rc != ffi::SQLITE_OK {
        return Err(rc);
      }
    }
    Ok(())
  }

  pub fn step(&self) -> c_int {
    // SAFETY: valid statement.
    unsafe { ffi::sqlite3_step(self.raw()) }
  }

  pub fn column_int(&self, i: c_int) -> i64 {
    // SAFETY: valid statement positioned on a row.
    unsafe { ffi::sqlite3_column_int64(self.raw(), i) }
  }

  /// Appends the current row's values.
  pub fn push_row(&self, out: &mut Vec<Value>) {
    let s = self.raw();
    // SAFETY: valid statement positioned on a row; text/blob pointers are read before the next
    // call on the statement.
    unsafe {
      let n = ffi::sqlite3_column_count(s);
      out.reserve(n as usize);
      for i in 0..n {
        let v = match ffi::sqlite3_column_type(s, i) {
          ffi::SQLITE_INTEGER => Value::Integer(ffi::sqlite3_column_int64(s, i)),
          ffi::SQLITE_FLOAT => {
            // D1 answers in JSON: ±Infinity arrive as null and -0 as 0.
            let x = ffi::sqlite3_column_double(s, i);
            if x.is_finite() {
              Value::Real(x + 0.0)
            } else {
              Value::Null
            }
          }
          ffi::SQLITE_TEXT => {
            let p = ffi::sqlite3_column_text(s, i);
            let len = ffi::sqlite3_column_bytes(s, i) as usize;
            let bytes = if p.is_null() {
              &[][..]
            } else {
              std::slice::from_raw_parts(p, len)
            };
            Value::Text(String::from_utf8_lossy(bytes).into_owned())
          }
          ffi::SQLITE_BLOB => {
            let p = ffi::sqlite3_column_blob(s, i) as *const u8;
            let len = ffi::sqlite3_column_bytes(s, i) as usize;
            let bytes = if p.is_null() {
              &[][..]
            } else {
              std::slice::from_raw_parts(p, len)
            };
            Value::Blob(bytes.to_vec())
          }
          _ => Value::Null,
        };
        out.push(v);
      }
    }
  }

  pub fn column_names(&self) -> Vec<String> {
    let s = self.raw();
    // SAFETY: valid statement; names are copied at once.
    unsafe {
      let n = ffi::sqlite3_column_count(s);
      (0..n)
        .map(|i| {
          let p = ffi::sqlite3_column_name(s, i);
          if p.is_null() {
            String::new()
          } else {
            CStr::from_ptr(p).to_string_lossy().into_owned()
          }
        })
        .collect()
    }
  }

  /// Reads and zeroes one of the statement's counters.
  pub fn status(&self, op: c_int) -> u64 {
    // SAFETY: valid statement; ops 1025/1026 are the row counters of our SQLite build.
    unsafe { ffi::sqlite3_stmt_status(self.raw(), op, 1) as u32 as u64 }
  }

  /// Resets the statement for its next use and drops its bindings and row counts.
  pub fn finish(&self) {
    // SAFETY: valid statement.
    unsafe {
      ffi::sqlite3_reset(self.raw());
      ffi::sqlite3_clear_bindings(self.raw());
      ffi::sqlite3_stmt_status(self.raw(), 1025, 1);
      ffi::sqlite3_stmt_status(self.raw(), 1026, 1);
    }
  }
}

/// Prepared statements by SQL text.
pub(crate) struct StmtCache {
  map: HashMap<Box<str>, Stmt>,
}

impl StmtCache {
  pub fn new() -> Self {
    StmtCache { map: HashMap::new() }
  }

  /// Takes the statement for `sql` out of the cache, with its key (to `restore` it cheaply).
  pub fn take(&mut self, sql: &str) -> Option<(Box<str>, Stmt)> {
    self.map.remove_entry(sql)
  }

  /// Puts back a statement taken with `take`, or adds a new one (dropping an arbitrary other
  /// statement when the cache is full).
  pub fn restore(&mut self, key: Box<str>, stmt: Stmt) {
    if self.map.len() >= CACHE_CAPACITY {
      if let Some(k) = self.map.keys().next().cloned() {
        self.map.remove(&k);
      }
    }
    self.map.insert(key, stmt);
  }
}
