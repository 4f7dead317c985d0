//! The redb file behind a namespace, and its writer thread.
//!
//! Reads run on the caller's thread against an MVCC snapshot (a cached read costs about a
//! microsecond, less than a hop to another thread). Writes go to one writer thread per store,
//! which takes every write queued while the previous commit was syncing and commits them
//! together: concurrent puts share one fsync, and a write is acknowledged only once durable.

use super::record::Record;
use super::KvError;
use crate::clock::Clock;
use crate::error::StorageError;
use redb::backends::InMemoryBackend;
use redb::{Database, ReadableDatabase, ReadableTable, TableDefinition};
use std::collections::HashMap;
use std::ops::Bound;
use std::path::{Path, PathBuf};
use std::sync::{mpsc, Arc, Mutex};
use std::thread::JoinHandle;
use tokio::sync::oneshot;

/// key → encoded `Record`.
const ENTRIES: TableDefinition<&[u8], &[u8]> = TableDefinition::new("entries");
/// (expiration secs, key) → (): finds expired entries to purge without scanning.
const EXPIRIES: TableDefinition<(u64, &[u8]), ()> = TableDefinition::new("expiries");

/// Most writes one commit takes from the queue.
const MAX_BATCH: usize = 1024;
/// Expired entries removed per commit (at least; more when the batch is large), so a namespace
/// that churns TTL keys reclaims space as fast as it writes.
const MIN_PURGE_PER_COMMIT: usize = 64;
/// redb's page cache; pages are only allocated as they are used.
const CACHE_BYTES: usize = 256 * 1024 * 1024;

pub(crate) enum Change {
  Put {
    key: Vec<u8>,
    record: Vec<u8>,
    expiration: Option<u64>,
  },
  Delete {
    key: Vec<u8>,
  },
}

struct Write {
  change: Change,
  /// The writer's clock reading: entries expired at this time may be purged.
  now_secs: u64,
  done: oneshot::Sender<Result<(), KvError>>,
}

pub struct KvStore {
  db: Arc<Database>,
  path: Option<PathBuf>,
  queue: Option<mpsc::Sender<Write>>,
  writer: Option<JoinHandle<()>>,
  /// The clocks of the handles open on the store, by handle id.
  clocks: Mutex<(u64, HashMap<u64, Clock>)>,
}

impl KvStore {
  pub fn open_file(path: &Path) -> Result<Self, StorageError> {
    let db = crate::persist::open_redb(path, CACHE_BYTES)?;
    Self::start(db, Some(path.into()))
  }

  pub fn open_in_memory() -> Result<Self, StorageError> {
    let db = redb::Builder::new().create_with_backend(InMemoryBackend::new())?;
    Self::start(db, None)
  }

  fn start(db: Database, path: Option<PathBuf>) -> Result<Self, StorageError> {
    let txn = db.begin_write()?;
    txn.open_table(ENTRIES)?;
    txn.open_table(EXPIRIES)?;
    txn.commit()?;
    let db = Arc::new(db);
    let (queue, rx) = mpsc::channel();
    let writer = {
      let db = db.clone();
      let path = path.clone();
      crate::persist::spawn_store_thread("edgebase-kv-writer", move || write_loop(&db, path.as_deref(), rx))?
    };
    Ok(KvStore {
      db,
      path,
      queue: Some(queue),
      writer: Some(writer),
      clocks: Mutex::default(),
    })
  }

  fn clocks(&self) -> std::sync::MutexGuard<'_, (u64, HashMap<u64, Clock>)> {
    self.clocks.lock().unwrap_or_else(|p| p.into_inner())
  }

  /// Registers the clock a new handle reads through; the id releases it (`detach_clock`).
  pub(crate) fn attach_clock(&self, clock: Clock) -> u64 {
    let mut c = self.clocks();
    c.0 += 1;
    let id = c.0;
    c.1.insert(id, clock);
    id
  }

  pub(crate) fn detach_clock(&self, id: u64) {
    self.clocks().1.remove(&id);
  }

  /// Up to when a write may purge expired entries: the earliest clock of the handles open on the
  /// store, so that none loses an entry it still sees (a test's `ManualClock` moved ahead must not
  /// purge what a handle on the system clock reads).
  pub(crate) fn purge_horizon(&self, writer_now_secs: u64) -> u64 {
    let c = self.clocks();
    c.1.values().map(Clock::now_secs).fold(writer_now_secs, u64::min)
  }

  pub fn path(&self) -> Option<&Path> {
    self.path.as_deref()
  }

  fn err(&self, e: impl Into<StorageError>) -> KvError {
    let e = e.into();
    KvError::Storage(match &self.path {
      Some(p) => e.at(p),
      None => e,
    })
  }

  /// Queues a change; the receiver resolves once it is committed durably.
  pub(crate) fn submit(&self, change: Change, now_secs: u64) -> oneshot::Receiver<Result<(), KvError>> {
    let (done, rx) = oneshot::channel();
    let write = Write {
      change,
      now_secs,
      done,
    };
    if let Err(mpsc::SendError(w)) = self.queue.as_ref().expect("queue lives until drop").send(write) {
      let _ = w.done.send(Err(KvError::Storage(StorageError::engine(
        "the KV writer thread stopped",
      ))));
    }
    rx
  }

  /// Calls `f` with the live (unexpired) entry at `key`.
  pub fn read<R>(
    &self,
    key: &[u8],
    now_secs: u64,
    f: impl FnOnce(Record<'_>) -> R,
  ) -> Result<Option<R>, KvError> {
    let txn = self.db.begin_read().map_err(|e| self.err(e))?;
    let table = txn.open_table(ENTRIES).map_err(|e| self.err(e))?;
    let Some(guard) = table.get(key).map_err(|e| self.err(e))? else {
      return Ok(None);
    };
    let bytes = guard.value();
    let record = Record::decode(bytes).ok_or_else(|| self.corrupt(key))?;
    if record.is_expired(now_secs) {
      return Ok(None);
    }
    Ok(Some(f(record)))
  }

  /// Calls `f` for each requested key, in one snapshot.
  pub fn read_many<R>(
    &self,
    keys: &[&[u8]],
    now_secs: u64,
    mut f: impl FnMut(Option<Record<'_>>) -> Result<R, KvError>,
  ) -> Result<Vec<R>, KvError> {
    let txn = self.db.begin_read().map_err(|e| self.err(e))?;
    let table = txn.open_table(ENTRIES).map_err(|e| self.err(e))?;
    let mut out = Vec::with_capacity(keys.len());
    for key in keys {
      let guard = table.get(*key).map_err(|e| self.err(e))?;
      let record = match &guard {
        Some(g) => Some(Record::decode(g.value()).ok_or_else(|| self.corrupt(key))?),
        None => None,
      };
      out.push(f(record.filter(|r| !r.is_expired(now_secs)))?);
    }
    Ok(out)
  }

  /// Visits live entries whose key starts with `prefix`, in byte order, starting after `after`
  /// (or at `prefix`). `visit` returns false to stop; the return value says whether it stopped
  /// early (there may be more entries).
  pub fn scan(
    &self,
    prefix: &[u8],
    after: Option<&[u8]>,
    now_secs: u64,
    mut visit: impl FnMut(&[u8], Record<'_>) -> bool,
  ) -> Result<bool, KvError> {
    let txn = self.db.begin_read().map_err(|e| self.err(e))?;
    let table = txn.open_table(ENTRIES).map_err(|e| self.err(e))?;
    let start = match after {
      Some(a) if a >= prefix => Bound::Excluded(a),
      _ => Bound::Included(prefix),
    };
    let range = table
      .range::<&[u8]>((start, Bound::Unbounded))
      .map_err(|e| self.err(e))?;
    for item in range {
      let (k, v) = item.map_err(|e| self.err(e))?;
      let key = k.value();
      if !key.starts_with(prefix) {
        break;
      }
      let record = Record::decode(v.value()).ok_or_else(|| self.corrupt(key))?;
      if record.is_expired(now_secs) {
        continue;
      }
      if !visit(key, record) {
        return Ok(true);
      }
    }
    Ok(false)
  }

  fn corrupt(&self, key: &[u8]) -> KvError {
    self.err(StorageError::engine(format!(
      "entry {:?} is not a KV record (was the file written by another program?)",
      String::from_utf8_lossy(key)
    )))
  }
}

impl Drop for KvStore {
  fn drop(&mut self) {
    // Closing the queue lets the writer finish what is queued, then exit and release the file.
    drop(self.queue.take());
    if let Some(w) = self.writer.take() {
      let _ = w.join();
    }
  }
}

fn write_loop(db: &Database, path: Option<&Path>, rx: mpsc::Receiver<Write>) {
  while let Ok(first) = rx.recv() {
    let mut batch = vec![first];
    while batch.len() < MAX_BATCH {
      match rx.try_recv() {
        Ok(w) => batch.push(w),
        Err(_) => break,
      }
    }
    let now = batch.iter().map(|w| w.now_secs).min().unwrap_or(0);
    let result = commit(db, &batch, now);
    for w in batch {
      let _ = w.done.send(match &result {
        Ok(()) => Ok(()),
        // Every write of a failed commit fails with the same cause.
        Err(e) => Err(KvError::Storage(StorageError::Engine {
          path: path.map(Into::into),
          detail: e.to_string(),
        })),
      });
    }
  }
}

fn commit(db: &Database, batch: &[Write], now_secs: u64) -> Result<(), StorageError> {
  let txn = db.begin_write()?;
  {
    let mut entries = txn.open_table(ENTRIES)?;
    let mut expiries = txn.open_table(EXPIRIES)?;
    for w in batch {
      let key = match &w.change {
        Change::Put { key, .. } | Change::Delete { key } => key.as_slice(),
      };
      // Drop the old entry's expiry index row, if it had one.
      let old_expiration = match entries.get(key)? {
        Some(old) => Record::decode(old.value()).and_then(|r| r.expiration),
        None => None,
      };
      if let Some(e) = old_expiration {
        expiries.remove((e, key))?;
      }
      match &w.change {
        Change::Put {
          key,
          record,
          expiration,
        } => {
          entries.insert(key.as_slice(), record.as_slice())?;
          if let Some(e) = expiration {
            expiries.insert((*e, key.as_slice()), ())?;
          }
        }
        Change::Delete { key } => {
          entries.remove(key.as_slice())?;
        }
      }
    }
    purge_expired(
      &mut entries,
      &mut expiries,
      now_secs,
      MIN_PURGE_PER_COMMIT.max(2 * batch.len()),
    )?;
  }
  txn.commit()?;
  Ok(())
}

fn purge_expired(
  entries: &mut redb::Table<&[u8], &[u8]>,
  expiries: &mut redb::Table<(u64, &[u8]), ()>,
  now_secs: u64,
  max: usize,
) -> Result<(), StorageError> {
  let mut due: Vec<(u64, Vec<u8>)> = Vec::new();
  for item in expiries
    .range::<(u64, &[u8])>(..(now_secs + 1, &[][..]))?
    .take(max)
  {
    let (k, _) = item?;
    let (e, key) = k.value();
    due.push((e, key.to_vec()));
  }
  for (e, key) in &due {
    expiries.remove((*e, key.as_slice()))?;
    entries.remove(key.as_slice())?;
  }
  Ok(())
}
