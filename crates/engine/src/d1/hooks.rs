//! The C callbacks SQLite calls on a D1 connection — authorizer, progress (the inline time
//! budget), busy (waiting for another process's lock) and WAL (checkpoint scheduling) — and the
//! state they share with the connection.

use super::auth::{self, Verdict};
use crate::limits::d1 as lim;
use rusqlite::ffi;
use std::cell::Cell;
use std::ffi::{c_char, c_int, c_void, CStr};
use std::time::{Duration, Instant};

/// State the C callbacks read and write. Boxed so its address stays fixed for SQLite.
#[derive(Default)]
pub(crate) struct Hooks {
  /// Internal statements (transactions, page count) bypass the authorizer.
  pub trusted: Cell<bool>,
  /// The authorizer refused a transaction statement (D1 has its own message for that).
  pub transaction_denied: Cell<bool>,
  /// Inline calls: when to interrupt, and whether we did.
  pub deadline: Cell<Option<Instant>>,
  pub interrupted: Cell<bool>,
  /// Inline calls never wait for a lock; set when one was refused.
  pub inline: Cell<bool>,
  pub busy_refused: Cell<bool>,
  pub busy_since: Cell<Option<Instant>>,
  /// Frames in the WAL after the last commit, and when we last checkpointed.
  pub wal_frames: Cell<i32>,
  pub checkpointed_at: Cell<i32>,
}

pub(crate) unsafe extern "C" fn authorizer(
  ctx: *mut c_void,
  action: c_int,
  p1: *const c_char,
  p2: *const c_char,
  db: *const c_char,
  _trigger: *const c_char,
) -> c_int {
  let hooks = &*(ctx as *const Hooks);
  if hooks.trusted.get() {
    return ffi::SQLITE_OK;
  }
  let s = |p: *const c_char| {
    if p.is_null() {
      None
    } else {
      CStr::from_ptr(p).to_str().ok()
    }
  };
  match auth::authorize(action, s(p1), s(p2), s(db)) {
    Verdict::Allow => ffi::SQLITE_OK,
    Verdict::Ignore => ffi::SQLITE_IGNORE,
    Verdict::Deny => ffi::SQLITE_DENY,
    Verdict::DenyTransaction => {
      hooks.transaction_denied.set(true);
      ffi::SQLITE_DENY
    }
  }
}

pub(crate) unsafe extern "C" fn progress(ctx: *mut c_void) -> c_int {
  let hooks = &*(ctx as *const Hooks);
  match hooks.deadline.get() {
    Some(d) if Instant::now() >= d => {
      hooks.interrupted.set(true);
      1
    }
    _ => 0,
  }
}

pub(crate) unsafe extern "C" fn wal_written(
  ctx: *mut c_void,
  _db: *mut ffi::sqlite3,
  _name: *const c_char,
  frames: c_int,
) -> c_int {
  let hooks = &*(ctx as *const Hooks);
  hooks.wal_frames.set(frames);
  if frames < hooks.checkpointed_at.get() {
    // The WAL started over from its beginning.
    hooks.checkpointed_at.set(0);
  }
  ffi::SQLITE_OK
}

pub(crate) unsafe extern "C" fn busy(ctx: *mut c_void, count: c_int) -> c_int {
  let hooks = &*(ctx as *const Hooks);
  if hooks.inline.get() {
    hooks.busy_refused.set(true);
    return 0;
  }
  let now = Instant::now();
  let since = match hooks.busy_since.get() {
    Some(t) if count > 0 => t,
    _ => {
      hooks.busy_since.set(Some(now));
      now
    }
  };
  if now.duration_since(since) >= Duration::from_millis(lim::BUSY_TIMEOUT_MS) {
    return 0;
  }
  // Poll quickly at first (most locks are short), then back off.
  std::thread::sleep(Duration::from_millis((count as u64 + 1).min(20)));
  1
}
