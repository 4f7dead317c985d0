//! The redb file behind an index, its writer thread and its search thread.
//!
//! Writes: one writer thread takes every mutation queued while the previous commit was syncing,
//! applies them to the in-memory index in order, commits their records in one redb transaction,
//! and only then acknowledges them — a resolved mutation is durable and visible to the next query.
//! Reads: queries that cost more than a thread hop go to the search thread, which takes every
//! query queued meanwhile and answers the unfiltered ones with one shared pass over the arena.

use super::error::VectorizeError;
use super::metaindex::IndexType;
use super::metric::Metric;
use super::record::Record;
use super::state::{Hit, MetadataLevel, QueryPlan, State};
use super::Change;
use crate::error::StorageError;
use redb::backends::InMemoryBackend;
use redb::{Database, ReadableDatabase, ReadableTable, ReadableTableMetadata, TableDefinition};
use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{mpsc, Arc, RwLock, RwLockReadGuard, RwLockWriteGuard, TryLockError};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};
use tokio::sync::oneshot;

/// Index settings and log position: `dims`, `metric`, `seq`, `last_mutation`, `last_ms`.
const CONFIG: TableDefinition<&str, &[u8]> = TableDefinition::new("config");
/// id → `Record`.
const VECTORS: TableDefinition<&str, &[u8]> = TableDefinition::new("vectors");
/// property name → (type tag, uid = creating mutation's sequence number).
const INDEXES: TableDefinition<&str, (u8, u64)> = TableDefinition::new("metadata_indexes");

/// Most mutations one commit takes from the queue.
const MAX_GROUP: usize = 64;
/// Most queries one search pass takes from the queue.
const MAX_QUERY_BATCH: usize = 64;
/// redb's page cache (filled only as pages are used): the arena is the hot copy of the vectors, so
/// the cache mostly serves writes, where it keeps the B-tree pages an upsert touches (64 MiB
/// about doubles upsert throughput over 32 MiB) while bounding memory next to the arena.
const CACHE_BYTES: usize = 64 * 1024 * 1024;

/// One match, ready for the binding.
#[derive(Debug, Clone, PartialEq)]
pub struct Match {
  pub id: String,
  pub score: f64,
  pub values: Option<Vec<f32>>,
  pub namespace: Option<String>,
  /// Metadata JSON (an object).
  pub metadata: Option<String>,
}

/// A stored vector, as `getByIds` returns it.
#[derive(Debug, Clone, PartialEq)]
pub struct StoredVector {
  pub id: String,
  pub values: Vec<f32>,
  pub namespace: Option<String>,
  pub metadata: String,
}

pub(crate) struct Job {
  pub change: Change,
  pub mutation_id: String,
  pub ms: u64,
  pub done: oneshot::Sender<Result<(), VectorizeError>>,
}

pub(crate) struct QueryJob {
  pub plan: QueryPlan,
  pub done: oneshot::Sender<Result<Vec<Match>, VectorizeError>>,
}

pub struct IndexStore {
  path: Option<PathBuf>,
  /// Fixed at creation; readable without the state lock.
  pub dims: usize,
  pub metric: Metric,
  db: Arc<Database>,
  state: Arc<RwLock<State>>,
  writes: Option<mpsc::Sender<Job>>,
  queries: Option<mpsc::Sender<QueryJob>>,
  threads: Vec<JoinHandle<()>>,
}

/// Which parts of a record the writer stores: files keep the values (they are the durable copy),
/// memory-only indexes do not (the arena is the only copy needed).
#[derive(Clone, Copy)]
struct Layout {
  values: bool,
}

impl IndexStore {
  /// Opens (or creates) `<path>`: settings come from the file when it exists, else from
  /// `dims`/`metric` (which must then be given).
  pub fn open_file(path: &Path, dims: Option<usize>, metric: Option<Metric>) -> Result<Self, VectorizeError> {
    let db = crate::persist::open_redb(path, CACHE_BYTES)?;
    Self::start(db, Some(path.into()), dims, metric)
  }

  pub fn open_in_memory(dims: usize, metric: Metric) -> Result<Self, VectorizeError> {
    let db = redb::Builder::new().create_with_backend(InMemoryBackend::new())?;
    Self::start(db, None, Some(dims), Some(metric))
  }

  fn err(&self, e: impl Into<StorageError>) -> VectorizeError {
    storage_err(self.path.as_deref(), e)
  }

  fn start(
    db: Database,
    path: Option<PathBuf>,
    dims: Option<usize>,
    metric: Option<Metric>,
  ) -> Result<Self, VectorizeError> {
    let at = |e: StorageError| storage_err(path.as_deref(), e);
    let layout = Layout {
      values: path.is_some(),
    };
    let state = load_or_init(&db, dims, metric, layout).map_err(|e| match e {
      VectorizeError::Storage(s) => at(s),
      other => other,
    })?;
    let (dims, metric) = (state.dims, state.metric);
    let db = Arc::new(db);
    let state = Arc::new(RwLock::new(state));
    let (writes, wrx) = mpsc::channel();
    let (queries, qrx) = mpsc::channel();
    let writer = {
      let (db, state, path) = (db.clone(), state.clone(), path.clone());
      std::thread::Builder::new()
        .name("edgebase-vectorize-writer".into())
        .spawn(move || write_loop(&db, &state, path.as_deref(), layout, wrx))
        .map_err(|e| at(e.into()))?
    };
    let searcher = {
      let (db, state, path) = (db.clone(), state.clone(), path.clone());
      std::thread::Builder::new()
        .name("edgebase-vectorize-search".into())
        .spawn(move || search_loop(&db, &state, path.as_deref(), qrx))
        .map_err(|e| at(e.into()))?
    };
    Ok(IndexStore {
      path,
      dims,
      metric,
      db,
      state,
      writes: Some(writes),
      queries: Some(queries),
      threads: vec![writer, searcher],
    })
  }

  pub fn path(&self) -> Option<&Path> {
    self.path.as_deref()
  }

  pub(crate) fn read(&self) -> RwLockReadGuard<'_, State> {
    self.state.read().unwrap_or_else(|p| p.into_inner())
  }

  /// The state, unless a mutation holds it or waits for it. The JS thread uses this: a waiting
  /// writer queues new readers behind a running scan, which would stall the event loop.
  pub(crate) fn try_read(&self) -> Option<RwLockReadGuard<'_, State>> {
    match self.state.try_read() {
      Ok(g) => Some(g),
      Err(TryLockError::Poisoned(p)) => Some(p.into_inner()),
      Err(TryLockError::WouldBlock) => None,
    }
  }

  /// Queues a mutation; the receiver resolves once it is durable and applied.
  pub(crate) fn submit(&self, job: Job) {
    if let Err(mpsc::SendError(job)) = self.writes.as_ref().expect("lives until drop").send(job) {
      let _ = job.done.send(Err(
        self.err(StorageError::engine("the Vectorize writer thread stopped")),
      ));
    }
  }

  /// Queues a query for the search thread.
  pub(crate) fn submit_query(
    &self,
    plan: QueryPlan,
  ) -> oneshot::Receiver<Result<Vec<Match>, VectorizeError>> {
    let (done, rx) = oneshot::channel();
    let job = QueryJob { plan, done };
    if let Err(mpsc::SendError(job)) = self.queries.as_ref().expect("lives until drop").send(job) {
      let _ = job.done.send(Err(
        self.err(StorageError::engine("the Vectorize search thread stopped")),
      ));
    }
    rx
  }

  /// Runs a query with the state already read.
  pub(crate) fn query_with(&self, state: &State, plan: &QueryPlan) -> Result<Vec<Match>, VectorizeError> {
    let hits = state.search(&[plan]).pop().unwrap_or_default();
    materialize(&self.db, state, self.path.as_deref(), plan, hits)
  }

  /// `getByIds` with the state already read: found ids in request order, each once.
  pub(crate) fn get_with(&self, state: &State, ids: &[String]) -> Result<Vec<StoredVector>, VectorizeError> {
    let txn = self.db.begin_read().map_err(|e| self.err(e))?;
    let table = txn.open_table(VECTORS).map_err(|e| self.err(e))?;
    let mut out: Vec<StoredVector> = Vec::new();
    for id in ids {
      let Some(&slot) = state.by_id.get(id.as_str()) else {
        continue;
      };
      if out.iter().any(|v| &v.id == id) {
        continue;
      }
      out.push(StoredVector {
        id: id.clone(),
        values: state.arena.vector(slot).to_vec(),
        namespace: state
          .namespace_name(state.arena.namespace(slot))
          .map(|n| n.to_string()),
        metadata: read_metadata(&table, id, self.path.as_deref())?.unwrap_or_else(|| "{}".into()),
      });
    }
    Ok(out)
  }
}

impl Drop for IndexStore {
  fn drop(&mut self) {
    // Closing the queues lets both threads finish what is queued, then exit and free the file.
    drop(self.writes.take());
    drop(self.queries.take());
    for t in self.threads.drain(..) {
      let _ = t.join();
    }
  }
}

fn storage_err(path: Option<&Path>, e: impl Into<StorageError>) -> VectorizeError {
  let e = e.into();
  VectorizeError::Storage(match path {
    Some(p) => e.at(p),
    None => e,
  })
}

fn corrupt(path: Option<&Path>, what: &str) -> VectorizeError {
  storage_err(
    path,
    StorageError::engine(format!(
      "{what} is not a Vectorize record (was the file written by another program?)"
    )),
  )
}

fn config_u64(
  t: &impl ReadableTable<&'static str, &'static [u8]>,
  key: &str,
) -> Result<Option<u64>, StorageError> {
  Ok(
    t.get(key)?
      .and_then(|v| v.value().try_into().ok().map(u64::from_le_bytes)),
  )
}

fn load_or_init(
  db: &Database,
  dims: Option<usize>,
  metric: Option<Metric>,
  layout: Layout,
) -> Result<State, VectorizeError> {
  let txn = db.begin_write().map_err(StorageError::from)?;
  let stored = {
    let config = txn.open_table(CONFIG).map_err(StorageError::from)?;
    let dims = config_u64(&config, "dims")?;
    let metric = config
      .get("metric")
      .map_err(StorageError::from)?
      .map(|v| v.value().first().copied());
    dims.zip(metric)
  };
  let (dims, metric) = match stored {
    Some((d, Some(m))) => {
      let m = Metric::from_tag(m)
        .ok_or_else(|| VectorizeError::Storage(StorageError::engine("unknown metric in the index file")))?;
      (d as usize, m)
    }
    _ => {
      let (Some(d), m) = (dims, metric.unwrap_or(Metric::Cosine)) else {
        return Err(VectorizeError::Config {
          detail: "A new Vectorize index needs `dimensions` (1 to 1536).".into(),
        });
      };
      let mut config = txn.open_table(CONFIG).map_err(StorageError::from)?;
      config
        .insert("dims", &(d as u64).to_le_bytes()[..])
        .map_err(StorageError::from)?;
      config
        .insert("metric", &[m.tag()][..])
        .map_err(StorageError::from)?;
      (d, m)
    }
  };
  txn.open_table(VECTORS).map_err(StorageError::from)?;
  txn.open_table(INDEXES).map_err(StorageError::from)?;
  txn.commit().map_err(StorageError::from)?;

  let mut state = State::new(dims, metric);
  let txn = db.begin_read().map_err(StorageError::from)?;
  let config = txn.open_table(CONFIG).map_err(StorageError::from)?;
  state.seq = config_u64(&config, "seq")?.unwrap_or(0);
  state.last_ms = config_u64(&config, "last_ms")?;
  state.last_mutation = config
    .get("last_mutation")
    .map_err(StorageError::from)?
    .map(|v| String::from_utf8_lossy(v.value()).into_owned());
  let indexes = txn.open_table(INDEXES).map_err(StorageError::from)?;
  let mut defs = Vec::new();
  for item in indexes.iter().map_err(StorageError::from)? {
    let (k, v) = item.map_err(StorageError::from)?;
    let (tag, uid) = v.value();
    let ty = IndexType::from_tag(tag).ok_or_else(|| corrupt(None, "a metadata index"))?;
    defs.push((uid, k.value().to_string(), ty));
  }
  // Creation order, as listed before the reopen.
  defs.sort_by_key(|d| d.0);
  for (uid, property, ty) in defs {
    state.create_index(&property, ty, uid);
  }
  if layout.values {
    let count = txn
      .open_table(VECTORS)
      .map_err(StorageError::from)?
      .len()
      .map_err(StorageError::from)?;
    state.arena.reserve_exact(count as usize);
    load_vectors(db, &mut state)?;
  }
  Ok(state)
}

/// Records read from the file, back to back (`spans` = id and record lengths); chunks go back to
/// the reader for reuse, so loading does not churn the allocator.
#[derive(Default)]
struct Chunk {
  bytes: Vec<u8>,
  spans: Vec<(usize, usize)>,
}

/// Fills the arena from the vectors table. A helper thread reads the file while this one builds
/// the index, so reading and building overlap.
fn load_vectors(db: &Database, state: &mut State) -> Result<(), VectorizeError> {
  const CHUNK: usize = 1024;
  std::thread::scope(|scope| {
    let (tx, rx) = mpsc::sync_channel::<Result<Chunk, StorageError>>(4);
    let (back, recycled) = mpsc::channel::<Chunk>();
    scope.spawn(move || {
      let read = || -> Result<(), StorageError> {
        let txn = db.begin_read()?;
        let table = txn.open_table(VECTORS)?;
        let mut chunk = Chunk::default();
        for item in table.iter()? {
          let (k, v) = item?;
          let (id, record) = (k.value().as_bytes(), v.value());
          chunk.bytes.extend_from_slice(id);
          chunk.bytes.extend_from_slice(record);
          chunk.spans.push((id.len(), record.len()));
          if chunk.spans.len() == CHUNK {
            let mut next = recycled.try_recv().unwrap_or_default();
            next.bytes.clear();
            next.spans.clear();
            if tx.send(Ok(std::mem::replace(&mut chunk, next))).is_err() {
              return Ok(()); // the builder stopped on an error of its own
            }
          }
        }
        if !chunk.spans.is_empty() {
          let _ = tx.send(Ok(chunk));
        }
        Ok(())
      };
      if let Err(e) = read() {
        let _ = tx.send(Err(e));
      }
    });
    let dims = state.dims;
    for chunk in rx {
      let chunk = chunk?;
      let mut at = 0;
      for &(id_len, len) in &chunk.spans {
        let id = String::from_utf8_lossy(&chunk.bytes[at..at + id_len]);
        let bytes = &chunk.bytes[at + id_len..at + id_len + len];
        at += id_len + len;
        let r = Record::decode(bytes).ok_or_else(|| corrupt(None, &format!("vector {id:?}")))?;
        if r.values.len() != dims * 4 {
          return Err(corrupt(None, &format!("vector {id:?}")));
        }
        // Entries of deleted (or re-created) indexes stay inert: no index has their uid.
        let entries = r
          .entries
          .into_iter()
          .filter(|(uid, _)| state.indexes.iter().any(|i| i.uid == *uid))
          .collect();
        state.load(&id, r.namespace, r.values, entries);
      }
      let _ = back.send(chunk);
    }
    Ok(())
  })
}

fn read_metadata(
  table: &impl ReadableTable<&'static str, &'static [u8]>,
  id: &str,
  path: Option<&Path>,
) -> Result<Option<String>, VectorizeError> {
  let Some(guard) = table.get(id).map_err(|e| storage_err(path, e))? else {
    return Ok(None);
  };
  let r = Record::decode(guard.value()).ok_or_else(|| corrupt(path, &format!("vector {id:?}")))?;
  Ok(r.metadata.map(str::to_string))
}

/// Turns ranked slots into matches with the requested values and metadata.
fn materialize(
  db: &Database,
  state: &State,
  path: Option<&Path>,
  plan: &QueryPlan,
  hits: Vec<Hit>,
) -> Result<Vec<Match>, VectorizeError> {
  let txn;
  let table = if plan.return_metadata == MetadataLevel::All && !hits.is_empty() {
    txn = db.begin_read().map_err(|e| storage_err(path, e))?;
    Some(txn.open_table(VECTORS).map_err(|e| storage_err(path, e))?)
  } else {
    None
  };
  let mut out = Vec::with_capacity(hits.len());
  for h in hits {
    let Some(id) = state.arena.id(h.slot) else {
      continue;
    };
    let metadata = match (plan.return_metadata, &table) {
      (MetadataLevel::All, Some(t)) => Some(read_metadata(t, id, path)?.unwrap_or_else(|| "{}".into())),
      (MetadataLevel::Indexed, _) => Some(state.indexed_metadata(h.slot)),
      _ => None,
    };
    out.push(Match {
      id: id.to_string(),
      score: h.score,
      values: plan.return_values.then(|| state.arena.vector(h.slot).to_vec()),
      namespace: state
        .namespace_name(state.arena.namespace(h.slot))
        .map(|n| n.to_string()),
      metadata,
    });
  }
  Ok(out)
}

fn search_loop(db: &Database, state: &RwLock<State>, path: Option<&Path>, rx: mpsc::Receiver<QueryJob>) {
  while let Ok(first) = rx.recv() {
    let mut jobs = vec![first];
    while jobs.len() < MAX_QUERY_BATCH {
      match rx.try_recv() {
        Ok(j) => jobs.push(j),
        Err(_) => break,
      }
    }
    let state = state.read().unwrap_or_else(|p| p.into_inner());
    let plans: Vec<&QueryPlan> = jobs.iter().map(|j| &j.plan).collect();
    let all_hits = state.search(&plans);
    for (job, hits) in jobs.into_iter().zip(all_hits) {
      let result = materialize(db, &state, path, &job.plan, hits);
      let _ = job.done.send(result);
    }
  }
}

/// A change to the file, made under the state lock and committed after it is released.
enum Write {
  Put(String, Vec<u8>),
  Delete(String),
  PutIndex(String, IndexType, u64),
  DeleteIndex(String),
}

fn write_loop(
  db: &Database,
  state: &RwLock<State>,
  path: Option<&Path>,
  layout: Layout,
  rx: mpsc::Receiver<Job>,
) {
  let poisoned = AtomicBool::new(false);
  while let Ok(first) = rx.recv() {
    let mut jobs = vec![first];
    while jobs.len() < MAX_GROUP {
      match rx.try_recv() {
        Ok(j) => jobs.push(j),
        Err(_) => break,
      }
    }
    if poisoned.load(Ordering::Relaxed) {
      for j in jobs {
        let _ = j.done.send(Err(VectorizeError::Poisoned));
      }
      continue;
    }
    let mut writes = Vec::new();
    let mut results: Vec<Result<(), VectorizeError>> = Vec::with_capacity(jobs.len());
    let (seq, last_mutation, last_ms) = {
      let mut st = write_politely(state);
      for job in &jobs {
        let seq = st.seq + 1;
        let r = apply(&mut st, &job.change, seq, layout, &mut writes);
        if r.is_ok() {
          st.seq = seq;
          st.last_mutation = Some(job.mutation_id.clone());
          st.last_ms = Some(job.ms);
        }
        results.push(r);
      }
      st.maybe_compact();
      (st.seq, st.last_mutation.clone(), st.last_ms)
    };
    let committed = commit(db, writes, seq, last_mutation.as_deref(), last_ms);
    if let Err(e) = &committed {
      poisoned.store(true, Ordering::Relaxed);
      let detail = e.to_string();
      for r in results.iter_mut().filter(|r| r.is_ok()) {
        *r = Err(storage_err(path, StorageError::engine(&detail)));
      }
    }
    for (job, r) in jobs.into_iter().zip(results) {
      let _ = job.done.send(r);
    }
  }
}

/// Takes the write lock without queueing for it while a scan holds the read lock (a queued
/// writer would make the JS thread's next read wait for the whole scan); after a while it queues
/// anyway, so that a stream of queries cannot starve mutations.
fn write_politely(state: &RwLock<State>) -> RwLockWriteGuard<'_, State> {
  const PATIENCE: Duration = Duration::from_millis(200);
  let start = Instant::now();
  let mut pause = Duration::from_micros(20);
  loop {
    match state.try_write() {
      Ok(g) => return g,
      Err(TryLockError::Poisoned(p)) => return p.into_inner(),
      Err(TryLockError::WouldBlock) if start.elapsed() < PATIENCE => {
        std::thread::sleep(pause);
        pause = (pause * 2).min(Duration::from_millis(1));
      }
      Err(TryLockError::WouldBlock) => return state.write().unwrap_or_else(|p| p.into_inner()),
    }
  }
}

/// Applies one mutation to memory and lists its file writes.
fn apply(
  st: &mut State,
  change: &Change,
  seq: u64,
  layout: Layout,
  writes: &mut Vec<Write>,
) -> Result<(), VectorizeError> {
  match change {
    Change::Insert(batch) | Change::Upsert(batch) => {
      let insert = matches!(change, Change::Insert(_));
      let d = st.dims;
      for (i, v) in batch.vectors.iter().enumerate() {
        if insert && st.by_id.contains_key(v.id.as_str()) {
          continue; // insert keeps the first vector stored under an id
        }
        let values = &batch.values[i * d..(i + 1) * d];
        let entries = st.entries_for(v.parsed.as_ref());
        let record = Record::encode(
          seq,
          v.namespace.as_deref(),
          &entries,
          v.metadata.as_deref(),
          layout.values.then_some(values),
        );
        st.put(&v.id, v.namespace.as_deref(), values, entries);
        writes.push(Write::Put(v.id.clone(), record));
      }
    }
    Change::Delete(ids) => {
      for id in ids {
        if st.delete(id) {
          writes.push(Write::Delete(id.clone()));
        }
      }
    }
    Change::CreateIndex(property, ty) => {
      if st.indexes.iter().any(|i| &i.property == property) {
        return Err(VectorizeError::MetadataIndexExists {
          property: property.clone(),
        });
      }
      if st.indexes.len() >= crate::limits::vectorize::MAX_METADATA_INDEXES {
        return Err(VectorizeError::MetadataIndexLimit);
      }
      st.create_index(property, *ty, seq);
      writes.push(Write::PutIndex(property.clone(), *ty, seq));
    }
    Change::DeleteIndex(property) => {
      if !st.delete_index(property) {
        return Err(VectorizeError::MetadataIndexMissing {
          property: property.clone(),
        });
      }
      writes.push(Write::DeleteIndex(property.clone()));
    }
  }
  Ok(())
}

fn commit(
  db: &Database,
  writes: Vec<Write>,
  seq: u64,
  last_mutation: Option<&str>,
  last_ms: Option<u64>,
) -> Result<(), StorageError> {
  let txn = db.begin_write()?;
  {
    let mut vectors = txn.open_table(VECTORS)?;
    let mut indexes = txn.open_table(INDEXES)?;
    for w in &writes {
      match w {
        Write::Put(id, record) => {
          vectors.insert(id.as_str(), record.as_slice())?;
        }
        Write::Delete(id) => {
          vectors.remove(id.as_str())?;
        }
        Write::PutIndex(p, ty, uid) => {
          indexes.insert(p.as_str(), (ty.tag(), *uid))?;
        }
        Write::DeleteIndex(p) => {
          indexes.remove(p.as_str())?;
        }
      }
    }
    let mut config = txn.open_table(CONFIG)?;
    config.insert("seq", &seq.to_le_bytes()[..])?;
    if let Some(m) = last_mutation {
      config.insert("last_mutation", m.as_bytes())?;
    }
    if let Some(ms) = last_ms {
      config.insert("last_ms", &ms.to_le_bytes()[..])?;
    }
  }
  txn.commit()?;
  Ok(())
}
