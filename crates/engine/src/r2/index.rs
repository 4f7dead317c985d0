//! The metadata index: a SQLite database (`index.sqlite` in the bucket directory, or in memory)
//! in WAL mode. Keys are stored as BLOBs so that ordering is plain byte order, like R2's.
//!
//! Commits use `synchronous=NORMAL` by default: a commit is in the WAL file (the OS has it) when
//! it returns, which survives the process being killed; `fsync` buckets use `FULL`, which also
//! survives power loss. The database is opened in exclusive locking mode, so a second process
//! gets a clear error instead of sharing the files.

use super::object::*;
use crate::error::StorageError;
use rusqlite::{params, Connection, OptionalExtension, Row};
use std::path::Path;

const SCHEMA: &str = "
CREATE TABLE IF NOT EXISTS objects (
  key BLOB PRIMARY KEY NOT NULL,
  version TEXT NOT NULL,
  size INTEGER NOT NULL,
  etag TEXT NOT NULL,
  uploaded INTEGER NOT NULL,
  checksums TEXT NOT NULL,
  http_metadata TEXT NOT NULL,
  custom_metadata TEXT NOT NULL,
  storage_class TEXT NOT NULL,
  segments TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS uploads (
  upload_id TEXT PRIMARY KEY NOT NULL,
  key BLOB NOT NULL,
  state INTEGER NOT NULL,
  http_metadata TEXT NOT NULL,
  custom_metadata TEXT NOT NULL,
  storage_class TEXT NOT NULL
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS parts (
  upload_id TEXT NOT NULL,
  part_number INTEGER NOT NULL,
  etag TEXT NOT NULL,
  md5 TEXT NOT NULL,
  size INTEGER NOT NULL,
  blob TEXT NOT NULL,
  PRIMARY KEY (upload_id, part_number)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS state (name TEXT PRIMARY KEY NOT NULL, value INTEGER NOT NULL) WITHOUT ROWID;
";

pub(crate) const COLUMNS: &str =
  "key, version, size, etag, uploaded, checksums, http_metadata, custom_metadata, storage_class, segments";

/// Upload states.
pub const IN_PROGRESS: i64 = 0;
pub const COMPLETED: i64 = 1;
pub const ABORTED: i64 = 2;

pub struct Index {
  pub(crate) conn: Connection,
}

fn engine(e: rusqlite::Error) -> StorageError {
  StorageError::engine(e)
}

impl Index {
  pub fn memory() -> Result<Self, StorageError> {
    let conn = Connection::open_in_memory().map_err(engine)?;
    Self::init(conn)
  }

  /// Opens (creating) the index file and takes its exclusive lock. Returns whether the last
  /// session closed cleanly (if not, the caller sweeps orphan blobs).
  pub fn file(path: &Path, fsync: bool) -> Result<(Self, bool), StorageError> {
    let conn = Connection::open(path).map_err(|e| engine(e).at(path))?;
    // Fail at once (not after rusqlite's default 5 s) when another process holds the lock.
    conn
      .busy_timeout(std::time::Duration::ZERO)
      .map_err(|e| engine(e).at(path))?;
    let sync = if fsync { "FULL" } else { "NORMAL" };
    let setup = format!("PRAGMA locking_mode=EXCLUSIVE; PRAGMA journal_mode=WAL; PRAGMA synchronous={sync};");
    conn.execute_batch(&setup).map_err(|e| locked_or(e, path))?;
    let index = Self::init(conn).map_err(|e| e.at(path))?;
    let clean = index
      .conn
      .query_row("SELECT value FROM state WHERE name = 'clean'", [], |r| {
        r.get::<_, i64>(0)
      })
      .optional()
      .map_err(|e| locked_or(e, path))?
      .is_none_or(|v| v == 1);
    index.set_clean(false).map_err(|e| locked_or(e, path))?;
    Ok((index, clean))
  }

  fn init(conn: Connection) -> Result<Self, StorageError> {
    conn.execute_batch(SCHEMA).map_err(engine)?;
    conn.set_prepared_statement_cache_capacity(32);
    Ok(Index { conn })
  }

  pub fn set_clean(&self, clean: bool) -> rusqlite::Result<()> {
    self.conn.execute(
      "INSERT INTO state (name, value) VALUES ('clean', ?1) ON CONFLICT (name) DO UPDATE SET value = ?1",
      [clean as i64],
    )?;
    Ok(())
  }

  pub fn object(&self, key: &str) -> rusqlite::Result<Option<ObjectMeta>> {
    let mut st = self
      .conn
      .prepare_cached(&format!("SELECT {COLUMNS} FROM objects WHERE key = ?1"))?;
    st.query_row([key.as_bytes()], row_to_meta).optional()
  }

  /// Inserts or replaces; returns the replaced object's blobs.
  pub fn put_object(&self, m: &ObjectMeta) -> rusqlite::Result<Vec<String>> {
    let old = self.segments_of(&m.key)?;
    let mut st = self.conn.prepare_cached(&format!(
      "INSERT OR REPLACE INTO objects ({COLUMNS}) VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)"
    ))?;
    st.execute(params![
      m.key.as_bytes(),
      m.version,
      m.size as i64,
      m.etag,
      m.uploaded as i64,
      m.checksums.encode(),
      m.http_metadata.to_json(),
      custom_to_json(&m.custom_metadata),
      m.storage_class,
      segments_encode(&m.segments),
    ])?;
    Ok(old)
  }

  fn segments_of(&self, key: &str) -> rusqlite::Result<Vec<String>> {
    let mut st = self
      .conn
      .prepare_cached("SELECT segments FROM objects WHERE key = ?1")?;
    let s: Option<String> = st.query_row([key.as_bytes()], |r| r.get(0)).optional()?;
    Ok(
      s.map(|s| segments_decode(&s).into_iter().map(|x| x.blob).collect())
        .unwrap_or_default(),
    )
  }

  /// Deletes; returns the deleted object's blobs.
  pub fn delete_object(&self, key: &str) -> rusqlite::Result<Vec<String>> {
    let old = self.segments_of(key)?;
    if !old.is_empty() || self.exists(key)? {
      self
        .conn
        .prepare_cached("DELETE FROM objects WHERE key = ?1")?
        .execute([key.as_bytes()])?;
    }
    Ok(old)
  }

  fn exists(&self, key: &str) -> rusqlite::Result<bool> {
    let mut st = self.conn.prepare_cached("SELECT 1 FROM objects WHERE key = ?1")?;
    st.exists([key.as_bytes()])
  }

  /// Up to `limit` objects with `start <= key < end` (no end: unbounded), in key order, with
  /// http / custom metadata only when asked for (and no segments).
  pub fn scan(
    &self,
    start: &[u8],
    end: Option<&[u8]>,
    limit: usize,
    (http, custom): (bool, bool),
    mut visit: impl FnMut(ObjectMeta) -> bool,
  ) -> rusqlite::Result<()> {
    let mut st = self.conn.prepare_cached(
      "SELECT key, version, size, etag, uploaded, checksums, \
         CASE WHEN ?4 THEN http_metadata ELSE '{}' END, CASE WHEN ?5 THEN custom_metadata ELSE '[]' END, \
         storage_class, '' \
       FROM objects WHERE key >= ?1 AND (?2 IS NULL OR key < ?2) ORDER BY key LIMIT ?3",
    )?;
    let mut rows = st.query(params![start, end, limit as i64, http, custom])?;
    while let Some(row) = rows.next()? {
      if !visit(row_to_meta(row)?) {
        break;
      }
    }
    Ok(())
  }

  /// Every blob the index references (objects and parts), for the crash sweep.
  pub fn referenced_blobs(&self) -> rusqlite::Result<std::collections::HashSet<String>> {
    let mut out = std::collections::HashSet::new();
    let mut st = self.conn.prepare("SELECT segments FROM objects")?;
    let mut rows = st.query([])?;
    while let Some(r) = rows.next()? {
      let s: String = r.get(0)?;
      out.extend(segments_decode(&s).into_iter().map(|x| x.blob));
    }
    let mut st = self.conn.prepare("SELECT blob FROM parts")?;
    let mut rows = st.query([])?;
    while let Some(r) = rows.next()? {
      out.insert(r.get(0)?);
    }
    Ok(out)
  }

  pub fn transaction<R>(
    &mut self,
    f: impl FnOnce(&Index) -> Result<R, super::R2Error>,
  ) -> Result<R, super::R2Error> {
    self.conn.execute_batch("BEGIN IMMEDIATE")?;
    match f(self) {
      Ok(r) => {
        if let Err(e) = self.conn.execute_batch("COMMIT") {
          let _ = self.conn.execute_batch("ROLLBACK");
          return Err(e.into());
        }
        Ok(r)
      }
      Err(e) => {
        let _ = self.conn.execute_batch("ROLLBACK");
        Err(e)
      }
    }
  }
}

pub(crate) fn row_to_meta(r: &Row<'_>) -> rusqlite::Result<ObjectMeta> {
  let key: Vec<u8> = r.get(0)?;
  Ok(ObjectMeta {
    key: String::from_utf8_lossy(&key).into_owned(),
    version: r.get(1)?,
    size: r.get::<_, i64>(2)? as u64,
    etag: r.get(3)?,
    uploaded: r.get::<_, i64>(4)? as u64,
    checksums: Checksums::decode(&r.get::<_, String>(5)?),
    http_metadata: HttpMetadata::from_json(&r.get::<_, String>(6)?),
    custom_metadata: custom_from_json(&r.get::<_, String>(7)?),
    storage_class: r.get(8)?,
    segments: segments_decode(&r.get::<_, String>(9)?),
  })
}

fn is_busy(e: &rusqlite::Error) -> bool {
  matches!(
    e.sqlite_error_code(),
    Some(rusqlite::ErrorCode::DatabaseBusy) | Some(rusqlite::ErrorCode::DatabaseLocked)
  )
}

fn locked_or(e: rusqlite::Error, path: &Path) -> StorageError {
  if is_busy(&e) {
    StorageError::AlreadyOpen { path: path.into() }
  } else {
    engine(e).at(path)
  }
}
