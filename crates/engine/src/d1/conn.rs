//! One SQLite connection configured the way workerd configures D1's (limits, defensive mode,
//! foreign keys, the authorizer), and the execution of D1 queries, batches and `exec` on it.
//!
//! Statements are driven through the C API directly: D1 needs things rusqlite does not expose
//! (the row counters, parse offsets, multi-statement tails, an authorizer with per-call state).

use super::codes;
use super::error::{D1Error, TRANSACTION_MESSAGE};
use super::hooks::{self, Hooks};
use super::sql_text::{exec_lines, has_statement, skip_ignorable};
use super::stmt::{Stmt, StmtCache};
use super::{ExecResult, Meta, QueryResult, Value};
use crate::error::StorageError;
use crate::limits::d1 as lim;
use rusqlite::limits::Limit;
use rusqlite::{ffi, Connection, OpenFlags};
use std::ffi::{c_int, c_void, CStr};
use std::path::Path;
use std::time::{Instant, SystemTime, UNIX_EPOCH};

/// `sqlite3_stmt_status` operations of the row counters (see vendor/libsqlite3-sys/row_counts.rs).
const ROWS_READ: c_int = 1025;
const ROWS_WRITTEN: c_int = 1026;
/// `sqlite3_file_control` operation of our SQLite build: the database's page count.
const FCNTL_PAGE_COUNT: c_int = 1027;
/// WAL frames (pages) written since the last checkpoint that make the next one due — SQLite's
/// own auto-checkpoint threshold; we run it on the worker instead of inside a commit.
const CHECKPOINT_FRAMES: i32 = 1000;
/// How often (in VM instructions) SQLite calls the progress handler.
const PROGRESS_EVERY: c_int = 1000;

/// Where a call runs: on the caller's (JS) thread, where it may neither wait for a lock nor run
/// long, or on the database's worker thread, where it may do both.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Mode {
  /// Run on the caller's thread until this instant; past it (or on a lock held elsewhere) give
  /// up without effects so the call can be queued instead.
  Inline(Instant),
  Worker,
}

/// Why a call did not complete.
#[derive(Debug)]
pub(crate) enum Fail {
  D1(D1Error),
  /// Inline only: rolled back without effects; run it again on the worker. `slow` when the
  /// time budget ran out (as opposed to a lock held by another connection).
  Retry {
    slow: bool,
  },
}

impl From<D1Error> for Fail {
  fn from(e: D1Error) -> Self {
    Fail::D1(e)
  }
}

/// Numbers before and after a statement, for its `meta`.
#[derive(Clone, Copy)]
struct Snapshot {
  total_changes: u64,
  last_row_id: i64,
  size: u64,
}

pub(crate) struct Conn {
  // Field order is drop order: statements are finalized before the connection closes, and the
  // hooks outlive the connection that points at them.
  cache: StmtCache,
  internal: StmtCache,
  db: Connection,
  hooks: Box<Hooks>,
  page_size: u64,
  size: u64,
  data_version: u32,
  /// Commits observed (ours and other connections'), for bookmarks.
  commits: u64,
  opened_ms: u64,
  in_txn: bool,
}

// SAFETY: a `Conn` is only ever used by one thread at a time (it lives behind a mutex); the
// `Cell`s in its hooks are never shared across threads concurrently.
unsafe impl Send for Conn {}

impl Conn {
  /// A WAL-mode file others can open while we run, or a private in-memory database.
  pub fn open(path: Option<&Path>) -> Result<Self, StorageError> {
    let flags =
      OpenFlags::SQLITE_OPEN_READ_WRITE | OpenFlags::SQLITE_OPEN_CREATE | OpenFlags::SQLITE_OPEN_NO_MUTEX;
    let db = match path {
      Some(p) => Connection::open_with_flags(p, flags),
      None => Connection::open_in_memory_with_flags(flags),
    }
    .map_err(|e| open_error(e, path))?;
    let mut conn = Conn {
      cache: StmtCache::new(),
      internal: StmtCache::new(),
      db,
      hooks: Box::default(),
      page_size: 4096,
      size: 0,
      data_version: 0,
      commits: 0,
      opened_ms: SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_millis() as u64)
        .unwrap_or(0),
      in_txn: false,
    };
    conn.configure(path.is_some()).map_err(|e| {
      let err = match e {
        Fail::D1(e) => StorageError::engine(e.cause()),
        Fail::Retry { .. } => StorageError::engine("interrupted while opening"),
      };
      // Name the file: "file is not a database" alone does not say which one.
      match path {
        Some(p) => err.at(p),
        None => err,
      }
    })?;
    Ok(conn)
  }

  fn configure(&mut self, file: bool) -> Result<(), Fail> {
    let raw = self.raw();
    let ctx = &*self.hooks as *const Hooks as *mut c_void;
    // SAFETY: the hooks are boxed and outlive the connection (field order above).
    unsafe {
      ffi::sqlite3_set_authorizer(raw, Some(hooks::authorizer), ctx);
      ffi::sqlite3_progress_handler(raw, PROGRESS_EVERY, Some(hooks::progress), ctx);
      ffi::sqlite3_busy_handler(raw, Some(hooks::busy), ctx);
      // Replaces SQLite's auto-checkpoint, which would run inside a commit on the JS thread.
      ffi::sqlite3_wal_hook(raw, Some(hooks::wal_written), ctx);
    }
    let _ = self
      .db
      .set_db_config(rusqlite::config::DbConfig::SQLITE_DBCONFIG_DEFENSIVE, true);
    for (limit, value) in [
      (Limit::SQLITE_LIMIT_LENGTH, lim::MAX_VALUE_BYTES),
      (Limit::SQLITE_LIMIT_SQL_LENGTH, lim::MAX_SQL_BYTES),
      (Limit::SQLITE_LIMIT_COLUMN, lim::MAX_COLUMNS),
      (Limit::SQLITE_LIMIT_EXPR_DEPTH, lim::MAX_EXPR_DEPTH),
      (Limit::SQLITE_LIMIT_COMPOUND_SELECT, lim::MAX_COMPOUND_SELECT),
      (Limit::SQLITE_LIMIT_VDBE_OP, lim::MAX_VDBE_OPS),
      (Limit::SQLITE_LIMIT_FUNCTION_ARG, lim::MAX_FUNCTION_ARGS),
      (Limit::SQLITE_LIMIT_ATTACHED, lim::MAX_ATTACHED),
      (
        Limit::SQLITE_LIMIT_LIKE_PATTERN_LENGTH,
        lim::MAX_LIKE_PATTERN_BYTES,
      ),
      (Limit::SQLITE_LIMIT_VARIABLE_NUMBER, lim::MAX_BOUND_PARAMETERS),
      (Limit::SQLITE_LIMIT_TRIGGER_DEPTH, lim::MAX_TRIGGER_DEPTH),
      (Limit::SQLITE_LIMIT_WORKER_THREADS, 0),
    ] {
      let _ = self.db.set_limit(limit, value);
    }
    self.hooks.inline.set(false);
    if file {
      // WAL: readers never block the writer, other processes can read while we run, and with
      // synchronous=NORMAL a commit is in the OS before it is acknowledged, so it survives the
      // process being killed (not a power cut, which D1's own replication covers).
      self.internal_step("PRAGMA journal_mode=WAL")?;
    }
    self.internal_step("PRAGMA synchronous=NORMAL")?;
    self.internal_step("PRAGMA foreign_keys=ON")?;
    // Up to 64 MiB of page cache, allocated as pages are used.
    self.internal_step("PRAGMA cache_size=-65536")?;
    self.page_size = self.internal_int("PRAGMA page_size")? as u64;
    // Reading the page count needs the b-tree loaded once.
    self.internal_int("PRAGMA page_count")?;
    self.data_version = self.file_data_version();
    self.size = self.current_size();
    Ok(())
  }

  fn raw(&self) -> *mut ffi::sqlite3 {
    // SAFETY: the handle is only used while `self.db` is alive.
    unsafe { self.db.handle() }
  }

  fn file_control_u32(&self, op: c_int) -> u32 {
    let mut v: u32 = 0;
    // SAFETY: both operations used here write one unsigned int.
    unsafe {
      ffi::sqlite3_file_control(
        self.raw(),
        c"main".as_ptr(),
        op,
        &mut v as *mut u32 as *mut c_void,
      );
    }
    v
  }

  /// The pager's data version: changes with every commit, ours or another connection's.
  fn file_data_version(&self) -> u32 {
    self.file_control_u32(ffi::SQLITE_FCNTL_DATA_VERSION)
  }

  /// Database size in bytes as of the last statement (pages the b-tree knows of).
  fn current_size(&self) -> u64 {
    self.page_size * self.file_control_u32(FCNTL_PAGE_COUNT) as u64
  }

  /// Whether enough has been written to the WAL since the last checkpoint to run one.
  pub fn checkpoint_due(&self) -> bool {
    self.hooks.wal_frames.get() - self.hooks.checkpointed_at.get() >= CHECKPOINT_FRAMES
  }

  /// Copies what it can of the WAL into the database file without waiting for anyone (readers
  /// in other processes keep their snapshot; the rest is copied next time).
  pub fn checkpoint(&mut self) {
    self.set_mode(Mode::Worker);
    let (mut log, mut done) = (0, 0);
    // SAFETY: plain call on our connection.
    unsafe {
      ffi::sqlite3_wal_checkpoint_v2(
        self.raw(),
        c"main".as_ptr(),
        ffi::SQLITE_CHECKPOINT_PASSIVE,
        &mut log,
        &mut done,
      );
    }
    self.hooks.checkpointed_at.set(self.hooks.wal_frames.get());
  }

  /// A bookmark for D1 sessions: this connection's open time and the commits it has seen, as
  /// fixed-width hex so that later bookmarks compare greater as strings.
  pub fn bookmark(&self) -> String {
    format!("{:016x}-{:016x}", self.opened_ms, self.commits)
  }

  /// Serializes the whole database (a consistent snapshot: we hold the only handle in use).
  pub fn dump(&mut self) -> Result<Vec<u8>, D1Error> {
    self.set_mode(Mode::Worker);
    // SQLite reads the pages through its `sqlite_dbpage` table, which users may not touch.
    self.hooks.trusted.set(true);
    let r = self.db.serialize(rusqlite::MAIN_DB).map(|data| data.to_vec());
    self.hooks.trusted.set(false);
    r.map_err(|e| D1Error::Dump(e.to_string()))
  }

  fn set_mode(&mut self, mode: Mode) {
    let h = &self.hooks;
    h.interrupted.set(false);
    h.busy_refused.set(false);
    h.busy_since.set(None);
    h.transaction_denied.set(false);
    match mode {
      Mode::Inline(deadline) => {
        h.inline.set(true);
        h.deadline.set(Some(deadline));
      }
      Mode::Worker => {
        h.inline.set(false);
        h.deadline.set(None);
      }
    }
  }

  fn snapshot(&self) -> Snapshot {
    Snapshot {
      total_changes: self.db.total_changes(),
      last_row_id: self.db.last_insert_rowid(),
      size: self.size,
    }
  }

  /// Refreshes the size and commit count after a statement.
  fn observe(&mut self) {
    // Commits cannot happen inside our own transaction.
    if !self.in_txn {
      self.note_commits();
    }
    self.size = self.current_size();
  }

  /// Counts a commit (ours or another connection's) since the last look; true if there was one.
  fn note_commits(&mut self) -> bool {
    let v = self.file_data_version();
    let changed = v != self.data_version;
    if changed {
      self.data_version = v;
      self.commits += 1;
    }
    changed
  }

  fn meta(&self, before: Snapshot, started: Instant, rows: (u64, u64)) -> Meta {
    let after = self.snapshot();
    let changes = after.total_changes.wrapping_sub(before.total_changes);
    Meta {
      duration: started.elapsed().as_secs_f64() * 1000.0,
      changes,
      last_row_id: after.last_row_id,
      changed_db: changes != 0 || after.last_row_id != before.last_row_id || after.size != before.size,
      size_after: after.size,
      rows_read: rows.0,
      rows_written: rows.1,
    }
  }

  // ---- errors ----

  /// workerd's composition: `<errmsg>[ at offset N]: <PRIMARY>[ (extended: <EXTENDED>)]`.
  fn error(&self, rc: c_int) -> Fail {
    let h = &self.hooks;
    if h.interrupted.get() {
      return Fail::Retry { slow: true };
    }
    if h.busy_refused.get() {
      return Fail::Retry { slow: false };
    }
    if h.transaction_denied.get() {
      return Fail::D1(D1Error::sql(TRANSACTION_MESSAGE));
    }
    let raw = self.raw();
    // SAFETY: plain reads of the connection's last error.
    let (msg, offset, ext) = unsafe {
      (
        CStr::from_ptr(ffi::sqlite3_errmsg(raw))
          .to_string_lossy()
          .into_owned(),
        ffi::sqlite3_error_offset(raw),
        ffi::sqlite3_extended_errcode(raw),
      )
    };
    let ext = if ext & 0xff == rc & 0xff { ext } else { rc };
    let primary = ext & 0xff;
    let mut text = msg;
    if primary == ffi::SQLITE_BUSY {
      text = format!(
        "database is locked: another connection held the lock for more than {} ms",
        lim::BUSY_TIMEOUT_MS
      );
    }
    if offset >= 0 {
      text.push_str(&format!(" at offset {offset}"));
    }
    text.push_str(": ");
    text.push_str(codes::primary(primary));
    if ext != primary {
      if let Some(name) = codes::extended(ext) {
        text.push_str(&format!(" (extended: {name})"));
      }
    }
    Fail::D1(D1Error::Sql {
      message: text,
      code: ext,
    })
  }

  // ---- internal (trusted) statements ----

  /// Runs one of our own statements: trusted (past the authorizer) and never interrupted — a
  /// `COMMIT` cut short by the time budget could be reported failed after it had committed.
  fn internal_run(&mut self, sql: &'static str, want_int: bool) -> Result<i64, Fail> {
    let deadline = self.hooks.deadline.replace(None);
    let r = self.internal_run_now(sql, want_int);
    self.hooks.deadline.set(deadline);
    r
  }

  fn internal_run_now(&mut self, sql: &'static str, want_int: bool) -> Result<i64, Fail> {
    let (key, stmt) = match self.internal.take(sql) {
      Some(entry) => entry,
      None => {
        self.hooks.trusted.set(true);
        let r = Stmt::prepare(self.raw(), sql);
        self.hooks.trusted.set(false);
        match r {
          Ok((Some(s), _)) => (sql.into(), s),
          Ok((None, _)) => return Err(Fail::D1(D1Error::sql("internal statement is empty"))),
          Err(rc) => return Err(self.error(rc)),
        }
      }
    };
    self.hooks.trusted.set(true);
    let mut out = 0;
    let mut rc;
    loop {
      rc = stmt.step();
      if rc == ffi::SQLITE_ROW {
        if want_int {
          out = stmt.column_int(0);
        }
        continue;
      }
      break;
    }
    self.hooks.trusted.set(false);
    let result = if rc == ffi::SQLITE_DONE {
      Ok(out)
    } else {
      Err(self.error(rc))
    };
    stmt.finish();
    self.internal.restore(key, stmt);
    result
  }

  fn internal_step(&mut self, sql: &'static str) -> Result<(), Fail> {
    self.internal_run(sql, false).map(|_| ())
  }

  fn internal_int(&mut self, sql: &'static str) -> Result<i64, Fail> {
    self.internal_run(sql, true)
  }

  fn begin(&mut self) -> Result<(), Fail> {
    self.internal_step("BEGIN IMMEDIATE")?;
    self.in_txn = true;
    Ok(())
  }

  fn commit(&mut self) -> Result<(), Fail> {
    let r = self.internal_step("COMMIT");
    if r.is_err() {
      self.rollback();
    }
    self.in_txn = false;
    r
  }

  fn rollback(&mut self) {
    // An interrupted write already rolled its transaction back (SQLite does that itself).
    // SAFETY: plain check of the connection state.
    if unsafe { ffi::sqlite3_get_autocommit(self.raw()) } == 0 {
      let _ = self.internal_step("ROLLBACK");
    }
    self.in_txn = false;
  }

  /// Runs `f` inside one transaction: all of it commits or none of it does.
  fn atomically<T>(&mut self, f: impl FnOnce(&mut Self) -> Result<T, Fail>) -> Result<T, Fail> {
    self.begin()?;
    match f(self) {
      Ok(v) => {
        self.commit()?;
        self.note_commits();
        Ok(v)
      }
      Err(e) => {
        self.rollback();
        Err(e)
      }
    }
  }

  // ---- user statements ----

  /// Binds, steps to the end (collecting rows when asked), and resets `stmt`; returns the rows
  /// read and written by it.
  fn run(&self, stmt: &Stmt, params: &[Value], rows: Option<&mut QueryResult>) -> Result<(u64, u64), Fail> {
    if stmt.parameter_count() != params.len() {
      stmt.finish();
      return Err(Fail::D1(D1Error::sql(
        "Wrong number of parameter bindings for SQL query.",
      )));
    }
    if let Err(rc) = stmt.bind_all(params) {
      let e = self.error(rc);
      stmt.finish();
      return Err(e);
    }
    let mut collected = rows;
    let mut rc;
    loop {
      rc = stmt.step();
      if rc != ffi::SQLITE_ROW {
        break;
      }
      if let Some(out) = collected.as_deref_mut() {
        stmt.push_row(&mut out.values);
      }
    }
    if let Some(out) = collected {
      out.columns = stmt.column_names();
    }
    let counts = (stmt.status(ROWS_READ), stmt.status(ROWS_WRITTEN));
    let result = if rc == ffi::SQLITE_DONE {
      Ok(counts)
    } else {
      Err(self.error(rc))
    };
    stmt.finish();
    result
  }

  /// One `prepare(sql).bind(params)` execution: every statement in `sql` runs, the last one's
  /// rows are returned, only the last may take parameters.
  pub fn query(&mut self, sql: &str, params: &[Value], mode: Mode) -> Result<QueryResult, Fail> {
    self.set_mode(mode);
    if !has_statement(sql) {
      return Err(Fail::D1(D1Error::sql("No SQL statements detected.")));
    }
    self.query_one(sql, params)
  }

  fn query_one(&mut self, sql: &str, params: &[Value]) -> Result<QueryResult, Fail> {
    let before = self.snapshot();
    let started = Instant::now();
    let (key, stmt, rest) = match self.cache.take(sql) {
      Some((key, stmt)) => (key, stmt, sql.len()),
      None => {
        let (stmt, rest) = self.prepare(sql)?;
        if rest < sql.len() {
          // Several statements: they run together, atomically.
          return if self.in_txn {
            self.query_many(stmt, sql, rest, params, before, started)
          } else {
            self.atomically(|c| c.query_many(stmt, sql, rest, params, before, started))
          };
        }
        (sql.into(), stmt, rest)
      }
    };
    debug_assert_eq!(rest, sql.len());
    let mut out = QueryResult::default();
    // A write runs in a transaction of ours, as every D1 query does: should the time budget cut
    // it short on the caller's thread (even right after its own commit, where SQLite still
    // checks), nothing commits; and what cannot run in a transaction (VACUUM) fails alike on
    // either thread, as in D1.
    let guarded = !self.in_txn && !stmt.readonly();
    let r = if guarded {
      self.atomically(|c| c.run(&stmt, params, Some(&mut out)))
    } else {
      self.run(&stmt, params, Some(&mut out))
    };
    self.cache.restore(key, stmt);
    let rows = r?;
    self.observe();
    out.meta = self.meta(before, started, rows);
    Ok(out)
  }

  fn query_many(
    &mut self,
    first: Stmt,
    sql: &str,
    mut rest: usize,
    params: &[Value],
    before: Snapshot,
    started: Instant,
  ) -> Result<QueryResult, Fail> {
    let mut out = QueryResult::default();
    let mut stmt = first;
    // rows_read/rows_written are the last statement's (workerd reports its cursor's counters);
    // changes count every statement.
    let counts;
    loop {
      if rest < sql.len() {
        if stmt.parameter_count() != 0 {
          return Err(Fail::D1(D1Error::sql(
            "When executing multiple SQL statements in a single call, only the last statement can have parameters.",
          )));
        }
        self.run(&stmt, &[], None)?;
        let (next, next_rest) = self.prepare(&sql[rest..])?;
        stmt = next;
        rest += next_rest;
      } else {
        counts = self.run(&stmt, params, Some(&mut out))?;
        break;
      }
    }
    self.observe();
    out.meta = self.meta(before, started, counts);
    Ok(out)
  }

  /// Prepares the first statement of `sql`; returns it and the offset of what follows it (past
  /// blanks, comments and semicolons).
  fn prepare(&mut self, sql: &str) -> Result<(Stmt, usize), Fail> {
    match Stmt::prepare(self.raw(), sql) {
      Ok((Some(stmt), used)) => {
        let rest = used + skip_ignorable(&sql[used..]);
        Ok((stmt, rest))
      }
      Ok((None, _)) => Err(Fail::D1(D1Error::sql("SQL code did not contain a statement."))),
      Err(rc) => Err(self.error(rc)),
    }
  }

  /// `batch()`: every statement in one transaction; results in order.
  pub fn batch(
    &mut self,
    sql: &[String],
    statements: &[(usize, Vec<Value>)],
    mode: Mode,
  ) -> Result<Vec<QueryResult>, Fail> {
    self.set_mode(mode);
    let mut live = Vec::with_capacity(statements.len());
    for (i, params) in statements {
      let text = sql
        .get(*i)
        .ok_or_else(|| Fail::D1(D1Error::sql("batch statement refers to no SQL")))?;
      // Blank statements are dropped from the batch, as Miniflare drops them.
      if has_statement(text) {
        live.push((text.as_str(), params));
      }
    }
    if live.is_empty() {
      return Err(Fail::D1(D1Error::sql("No SQL statements detected.")));
    }
    self.atomically(|c| {
      live
        .iter()
        .map(|(sql, params)| c.query_one(sql, params))
        .collect()
    })
  }

  /// `exec()`: each line of the input is one query; all lines commit together or not at all.
  pub fn exec(&mut self, sql: &str, mode: Mode) -> Result<ExecResult, Fail> {
    self.set_mode(mode);
    let lines = exec_lines(sql);
    let first = lines.first().copied().unwrap_or_default();
    let exec_error = |e: D1Error| {
      Fail::D1(D1Error::Exec {
        line: first.to_string(),
        message: e.cause(),
      })
    };
    let live: Vec<&str> = lines.iter().copied().filter(|l| has_statement(l)).collect();
    if live.is_empty() {
      return Err(exec_error(D1Error::sql("No SQL statements detected.")));
    }
    let result = self.atomically(|c| {
      let mut duration = 0.0;
      for line in &live {
        duration += c.query_one(line, &[])?.meta.duration;
      }
      Ok(ExecResult {
        count: live.len() as u64,
        duration,
      })
    });
    result.map_err(|e| match e {
      Fail::D1(e) => exec_error(e),
      retry => retry,
    })
  }
}

fn open_error(e: rusqlite::Error, path: Option<&Path>) -> StorageError {
  let err = StorageError::engine(e);
  match path {
    Some(p) => err.at(p),
    None => err,
  }
}
