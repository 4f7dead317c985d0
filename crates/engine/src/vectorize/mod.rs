//! Vectorize (V2) semantics: validation with Cloudflare's limits and texts, exact search, metadata
//! indexes and filters, durable mutations with fresh mutation ids.

mod arena;
mod error;
mod filter;
mod metaindex;
mod metric;
mod record;
mod search;
mod state;
mod store;

pub use error::{Op, VectorizeError};
pub use filter::Filter;
pub use metaindex::IndexType;
pub use metric::Metric;
pub use state::{MetadataLevel, Probe, QueryPlan};
pub use store::{IndexStore, Match, StoredVector};

use crate::clock::Clock;
use crate::error::StorageError;
use crate::limits::vectorize::*;
use crate::persist::{self, Registry, Shared};
use serde_json::Value;
use std::path::Path;
use std::sync::RwLock;
use store::Job;
use tokio::sync::oneshot;

static OPEN: Registry<IndexStore> = Registry::new();

const KIND: &str = "Vectorize index";

/// Queries scanning at most this many floats (512 KiB, some 20–40 µs on one core) run on the
/// caller's thread: a round trip through the search thread costs about as much.
const INLINE_FLOATS: usize = 128 * 1024;

/// Constructor options, as the binding received them.
#[derive(Clone, Debug, Default)]
pub struct IndexOptions {
  pub dimensions: Option<f64>,
  pub metric: Option<String>,
  /// `(propertyName, indexType)` pairs to create when missing.
  pub metadata_indexes: Vec<(String, String)>,
}

/// One vector of an insert / upsert, besides its values.
#[derive(Clone, Debug, Default)]
pub struct VectorInput {
  pub id: String,
  pub namespace: Option<String>,
  /// Compact JSON of the metadata.
  pub metadata: Option<String>,
}

/// Options of `query` / `queryById`, after workerd's client-side rewrite.
#[derive(Clone, Debug, Default)]
pub struct QueryOptions {
  pub top_k: Option<f64>,
  pub namespace: Option<String>,
  pub return_values: bool,
  /// `"none" | "indexed" | "all"`, or any other text the caller passed (rejected).
  pub return_metadata: Option<String>,
  /// Compact JSON of the filter.
  pub filter: Option<String>,
}

/// `describe()`.
#[derive(Clone, Debug, PartialEq)]
pub struct IndexInfo {
  pub vector_count: usize,
  pub dimensions: usize,
  /// ISO 8601 time of the last applied mutation.
  pub processed_up_to_datetime: Option<String>,
  pub processed_up_to_mutation: Option<String>,
}

pub(crate) struct Prepared {
  pub id: String,
  pub namespace: Option<String>,
  pub metadata: Option<String>,
  pub parsed: Option<Value>,
}

/// Validated vectors; `values` holds `vectors.len() * dims` floats.
pub(crate) struct Batch {
  pub vectors: Vec<Prepared>,
  pub values: Vec<f32>,
}

pub(crate) enum Change {
  Insert(Batch),
  Upsert(Batch),
  Delete(Vec<String>),
  CreateIndex(String, IndexType),
  DeleteIndex(String),
}

/// An acknowledged-once-durable mutation: its id now, its completion later.
pub struct Pending {
  pub mutation_id: String,
  pub done: oneshot::Receiver<Result<(), VectorizeError>>,
}

/// A query: answered now (small) or by the search thread.
pub enum Answer {
  Now(Vec<Match>),
  Later(oneshot::Receiver<Result<Vec<Match>, VectorizeError>>),
}

/// One `Vectorize` binding: a handle on an index store shared by every handle on the same file.
pub struct VectorizeIndex {
  name: String,
  clock: Clock,
  store: RwLock<Option<Shared<IndexStore>>>,
}

impl VectorizeIndex {
  /// An in-memory index private to this handle.
  pub fn in_memory(name: &str, options: &IndexOptions, clock: Clock) -> Result<Self, VectorizeError> {
    validate_index_name(name)?;
    let (dims, metric) = parse_config(options)?;
    let Some(dims) = dims else {
      return Err(VectorizeError::Config {
        detail: "A new Vectorize index needs `dimensions` (1 to 1536).".into(),
      });
    };
    let store = IndexStore::open_in_memory(dims, metric.unwrap_or(Metric::Cosine))?;
    Self::with_store(name, options, clock, Shared::private(store))
  }

  /// `<dir>/vectorize/<name>.redb`, shared with every other handle on that file in this process.
  /// A new file needs `dimensions`; an existing one keeps its settings (given ones must match).
  pub fn persistent(
    dir: &Path,
    name: &str,
    options: &IndexOptions,
    clock: Clock,
  ) -> Result<Self, VectorizeError> {
    validate_index_name(name)?;
    let (dims, metric) = parse_config(options)?;
    let path = persist::store_path(dir, "vectorize", KIND, name, ".redb")?;
    let store = OPEN.get_or_open(&path, |p| IndexStore::open_file(p, dims, metric))?;
    if dims.is_some_and(|d| d != store.dims) || metric.is_some_and(|m| m != store.metric) {
      return Err(VectorizeError::Config {
        detail: format!(
          "This Vectorize index was created with {} dimensions and metric {}.",
          store.dims,
          store.metric.as_str()
        ),
      });
    }
    Self::with_store(name, options, clock, store)
  }

  fn with_store(
    name: &str,
    options: &IndexOptions,
    clock: Clock,
    store: Shared<IndexStore>,
  ) -> Result<Self, VectorizeError> {
    let index = VectorizeIndex {
      name: name.into(),
      clock,
      store: RwLock::new(Some(store)),
    };
    for (property, ty) in &options.metadata_indexes {
      let existing = index.with(|s| {
        Ok(
          s.read()
            .indexes
            .iter()
            .find(|i| &i.property == property)
            .map(|i| i.ty),
        )
      })?;
      match existing {
        Some(t) if t.as_str() == ty => {}
        Some(t) => {
          return Err(VectorizeError::Config {
            detail: format!(
              "Metadata index \"{property}\" already exists with type {}.",
              t.as_str()
            ),
          })
        }
        None => {
          let pending = index.create_metadata_index(property, ty)?;
          crate::wait::block_on(pending.done).unwrap_or_else(|_| {
            Err(VectorizeError::Storage(StorageError::engine(
              "the Vectorize writer stopped",
            )))
          })?;
        }
      }
    }
    Ok(index)
  }

  pub fn name(&self) -> &str {
    &self.name
  }

  pub fn is_open(&self) -> bool {
    self.store.read().map(|s| s.is_some()).unwrap_or(false)
  }

  /// Releases this handle's share of the store; the file closes with its last handle, after every
  /// queued mutation has committed. Idempotent. May block on that final commit.
  pub fn close(&self) {
    let store = self.store.write().unwrap_or_else(|p| p.into_inner()).take();
    drop(store);
  }

  fn with<R>(&self, f: impl FnOnce(&IndexStore) -> Result<R, VectorizeError>) -> Result<R, VectorizeError> {
    let guard = self.store.read().unwrap_or_else(|p| p.into_inner());
    match guard.as_ref() {
      Some(store) => f(store),
      None => Err(VectorizeError::Storage(StorageError::Closed {
        kind: KIND,
        name: self.name.clone(),
      })),
    }
  }

  pub fn dimensions(&self) -> Result<usize, VectorizeError> {
    self.with(|s| Ok(s.dims))
  }

  pub fn metric(&self) -> Result<Metric, VectorizeError> {
    self.with(|s| Ok(s.metric))
  }

  /// Runs `f` on the index state. With `wait` false it runs only if the state is free right now
  /// (`Ok(None)` otherwise): the JS thread never queues behind a mutation waiting for a scan.
  fn read_state<R>(
    &self,
    wait: bool,
    f: impl FnOnce(&IndexStore, &state::State) -> Result<R, VectorizeError>,
  ) -> Result<Option<R>, VectorizeError> {
    self.with(|s| {
      let guard = if wait { Some(s.read()) } else { s.try_read() };
      match guard {
        Some(st) => f(s, &st).map(Some),
        None => Ok(None),
      }
    })
  }

  fn submit(&self, change: Change) -> Result<Pending, VectorizeError> {
    let mutation_id = uuid_v4();
    let (done, rx) = oneshot::channel();
    let job = Job {
      change,
      mutation_id: mutation_id.clone(),
      ms: self.clock.now_ms(),
      done,
    };
    self.with(|s| {
      s.submit(job);
      Ok(())
    })?;
    Ok(Pending {
      mutation_id,
      done: rx,
    })
  }

  /// `insert`: ids already stored are skipped. `values` holds every vector's values one after the
  /// other, `lengths[i]` of them for vector `i`.
  pub fn insert(
    &self,
    vectors: Vec<VectorInput>,
    values: &[f32],
    lengths: &[u32],
  ) -> Result<Pending, VectorizeError> {
    let batch = self.validate_batch(Op::Insert, vectors, values, lengths)?;
    self.submit(Change::Insert(batch))
  }

  /// `upsert`: replaces stored vectors completely (values, namespace, metadata).
  pub fn upsert(
    &self,
    vectors: Vec<VectorInput>,
    values: &[f32],
    lengths: &[u32],
  ) -> Result<Pending, VectorizeError> {
    let batch = self.validate_batch(Op::Upsert, vectors, values, lengths)?;
    self.submit(Change::Upsert(batch))
  }

  fn validate_batch(
    &self,
    op: Op,
    vectors: Vec<VectorInput>,
    values: &[f32],
    lengths: &[u32],
  ) -> Result<Batch, VectorizeError> {
    let dims = self.dimensions()?;
    if vectors.is_empty() {
      return Err(VectorizeError::EmptyBatch { op });
    }
    if vectors.len() > MAX_BATCH_VECTORS {
      return Err(VectorizeError::TooManyVectors {
        op,
        count: vectors.len(),
      });
    }
    if lengths.len() != vectors.len() || lengths.iter().map(|&l| l as usize).sum::<usize>() != values.len() {
      return Err(VectorizeError::Storage(StorageError::engine(
        "vector lengths do not add up",
      )));
    }
    let mut out = Vec::with_capacity(vectors.len());
    let mut offset = 0;
    for (v, &len) in vectors.into_iter().zip(lengths) {
      let len = len as usize;
      validate_id(op, &v.id)?;
      if len != dims {
        return Err(VectorizeError::Dimensions {
          op,
          id: Some(v.id),
          expected: dims,
          got: len,
        });
      }
      if !values[offset..offset + len].iter().all(|f| f.is_finite()) {
        return Err(VectorizeError::InvalidValues { op, id: Some(v.id) });
      }
      offset += len;
      if let Some(ns) = &v.namespace {
        if ns.len() > MAX_NAMESPACE_BYTES {
          return Err(VectorizeError::NamespaceTooLong { op, len: ns.len() });
        }
      }
      let parsed = match &v.metadata {
        None => None,
        Some(json) => {
          if json.len() > MAX_METADATA_BYTES {
            return Err(VectorizeError::MetadataTooLarge {
              op,
              id: v.id,
              len: json.len(),
            });
          }
          match crate::json::parse(json) {
            Ok(m @ Value::Object(_)) => Some(m),
            _ => return Err(VectorizeError::MetadataNotObject { op, id: v.id }),
          }
        }
      };
      out.push(Prepared {
        id: v.id,
        namespace: v.namespace,
        metadata: v.metadata,
        parsed,
      });
    }
    Ok(Batch {
      vectors: out,
      values: values.to_vec(),
    })
  }

  /// `deleteByIds`: unknown ids are not an error.
  pub fn delete_by_ids(&self, ids: Vec<String>) -> Result<Pending, VectorizeError> {
    for id in &ids {
      validate_id(Op::Delete, id)?;
    }
    self.submit(Change::Delete(ids))
  }

  /// `getByIds`: stored vectors in request order; unknown ids are left out. `None` when `wait`
  /// is false and the index is busy (see `read_state`).
  pub fn get_by_ids(&self, ids: &[String], wait: bool) -> Result<Option<Vec<StoredVector>>, VectorizeError> {
    for id in ids {
      validate_id(Op::Get, id)?;
    }
    self.read_state(wait, |s, st| s.get_with(st, ids))
  }

  /// Validates a query of `vector`, or of the stored vector `by_id` (`queryById`).
  pub fn plan(
    &self,
    vector: Option<&[f32]>,
    by_id: Option<&str>,
    o: QueryOptions,
  ) -> Result<QueryPlan, VectorizeError> {
    let return_metadata = match o.return_metadata.as_deref() {
      None => MetadataLevel::None,
      Some(s) => {
        MetadataLevel::parse(s).ok_or_else(|| VectorizeError::InvalidReturnMetadata { got: s.into() })?
      }
    };
    let top_k = match o.top_k {
      None => DEFAULT_TOP_K,
      Some(k) if k.fract() == 0.0 && k >= 1.0 => {
        let max = if o.return_values || return_metadata == MetadataLevel::All {
          MAX_TOP_K_WITH_DATA
        } else {
          MAX_TOP_K
        };
        if k > max as f64 {
          return Err(VectorizeError::TopKTooLarge {
            max,
            got: js_number(k),
          });
        }
        k as usize
      }
      Some(k) => return Err(VectorizeError::TopKInvalid { got: js_number(k) }),
    };
    if let Some(ns) = &o.namespace {
      if ns.len() > MAX_NAMESPACE_BYTES {
        return Err(VectorizeError::NamespaceTooLong {
          op: Op::Query,
          len: ns.len(),
        });
      }
    }
    let filter = o.filter.as_deref().map(Filter::parse).transpose()?;
    let dims = self.dimensions()?;
    let vector = match (vector, by_id) {
      (Some(v), _) => {
        if v.len() != dims {
          return Err(VectorizeError::Dimensions {
            op: Op::Query,
            id: None,
            expected: dims,
            got: v.len(),
          });
        }
        if !v.iter().all(|f| f.is_finite()) {
          return Err(VectorizeError::InvalidValues {
            op: Op::Query,
            id: None,
          });
        }
        Probe::Vector(v.to_vec())
      }
      (None, Some(id)) => {
        validate_id(Op::Query, id)?;
        Probe::Id(id.into())
      }
      (None, None) => Probe::Id(String::new()),
    };
    Ok(QueryPlan {
      vector,
      top_k,
      namespace: o.namespace,
      filter,
      return_values: o.return_values,
      return_metadata,
    })
  }

  /// Runs a planned query: small ones right here (when the index is not busy with a mutation),
  /// the others on the search thread.
  pub fn query(&self, plan: QueryPlan) -> Result<Answer, VectorizeError> {
    self.with(|s| {
      if let Some(st) = s.try_read() {
        if st.scan_floats(&plan, INLINE_FLOATS) <= INLINE_FLOATS {
          return Ok(Answer::Now(s.query_with(&st, &plan)?));
        }
      }
      Ok(Answer::Later(s.submit_query(plan)))
    })
  }

  /// Runs a query to completion on the calling thread (tests and tools).
  pub fn query_blocking(&self, plan: QueryPlan) -> Result<Vec<Match>, VectorizeError> {
    match self.query(plan)? {
      Answer::Now(m) => Ok(m),
      Answer::Later(rx) => crate::wait::block_on(rx).unwrap_or_else(|_| {
        Err(VectorizeError::Storage(StorageError::engine(
          "the Vectorize search thread stopped",
        )))
      }),
    }
  }

  /// `describe()`; `None` when `wait` is false and the index is busy (see `read_state`).
  pub fn describe(&self, wait: bool) -> Result<Option<IndexInfo>, VectorizeError> {
    self.read_state(wait, |_, st| {
      Ok(IndexInfo {
        vector_count: st.arena.live(),
        dimensions: st.dims,
        processed_up_to_datetime: st.last_ms.map(iso8601),
        processed_up_to_mutation: st.last_mutation.clone(),
      })
    })
  }

  /// Admin API: indexes `property` (dotted for nested) for vectors written from now on.
  pub fn create_metadata_index(&self, property: &str, ty: &str) -> Result<Pending, VectorizeError> {
    validate_property(Op::CreateMetadataIndex, property)?;
    let ty = IndexType::parse(ty).ok_or_else(|| VectorizeError::MetadataIndexType { got: ty.into() })?;
    self.submit(Change::CreateIndex(property.into(), ty))
  }

  pub fn delete_metadata_index(&self, property: &str) -> Result<Pending, VectorizeError> {
    validate_property(Op::DeleteMetadataIndex, property)?;
    self.submit(Change::DeleteIndex(property.into()))
  }

  /// `(propertyName, indexType)` in creation order; `None` when `wait` is false and the index
  /// is busy (see `read_state`).
  pub fn list_metadata_indexes(
    &self,
    wait: bool,
  ) -> Result<Option<Vec<(String, &'static str)>>, VectorizeError> {
    self.read_state(wait, |_, st| {
      Ok(
        st.indexes
          .iter()
          .map(|i| (i.property.clone(), i.ty.as_str()))
          .collect(),
      )
    })
  }

  /// Slots in the arena and live vectors (tests of compaction).
  pub fn arena_stats(&self) -> Result<(usize, usize, usize), VectorizeError> {
    let stats = self.read_state(true, |_, st| {
      Ok((st.arena.slots(), st.arena.live(), st.arena.heap_bytes()))
    })?;
    Ok(stats.unwrap_or_default())
  }
}

fn validate_index_name(name: &str) -> Result<(), VectorizeError> {
  if name.len() > MAX_INDEX_NAME_BYTES {
    return Err(VectorizeError::Storage(StorageError::InvalidName {
      kind: KIND,
      name: name.into(),
      reason: "names are limited to 64 bytes",
    }));
  }
  Ok(())
}

fn parse_config(o: &IndexOptions) -> Result<(Option<usize>, Option<Metric>), VectorizeError> {
  let dims = match o.dimensions {
    None => None,
    Some(d) if d.fract() == 0.0 && (MIN_DIMENSIONS as f64..=MAX_DIMENSIONS as f64).contains(&d) => {
      Some(d as usize)
    }
    Some(d) => {
      return Err(VectorizeError::Config {
        detail: format!(
          "Vectorize dimensions must be an integer from {MIN_DIMENSIONS} to {MAX_DIMENSIONS}, got {}.",
          js_number(d)
        ),
      })
    }
  };
  let metric = match o.metric.as_deref() {
    None => None,
    Some(m) => Some(Metric::parse(m).ok_or_else(|| VectorizeError::Config {
      detail: format!("Vectorize metric must be \"cosine\", \"euclidean\" or \"dot-product\", got \"{m}\"."),
    })?),
  };
  Ok((dims, metric))
}

fn validate_id(op: Op, id: &str) -> Result<(), VectorizeError> {
  if id.is_empty() {
    return Err(VectorizeError::IdEmpty { op });
  }
  if id.len() > MAX_ID_BYTES {
    return Err(VectorizeError::IdTooLong { op, len: id.len() });
  }
  Ok(())
}

fn validate_property(op: Op, p: &str) -> Result<(), VectorizeError> {
  let reason = if p.is_empty() || p.split('.').any(str::is_empty) {
    "property names cannot be empty or have an empty part around \".\""
  } else if p.starts_with('$') {
    "property names cannot start with \"$\""
  } else if p.contains('"') {
    "property names cannot contain '\"'"
  } else if p.chars().count() > MAX_FILTER_KEY_CHARS {
    "property names cannot be longer than 512 characters"
  } else {
    return Ok(());
  };
  Err(VectorizeError::MetadataIndexName { op, reason })
}

/// A number as JavaScript prints it (`60`, `5.5`, `NaN`, `Infinity`).
fn js_number(f: f64) -> String {
  if f.is_nan() {
    "NaN".into()
  } else if f.is_infinite() {
    if f > 0.0 { "Infinity" } else { "-Infinity" }.into()
  } else if f.fract() == 0.0 && f.abs() < 1e21 {
    format!("{}", f as i128)
  } else {
    format!("{f}")
  }
}

/// A random (v4) UUID: mutation ids only need to be unique, not secret.
fn uuid_v4() -> String {
  use std::collections::hash_map::RandomState;
  use std::hash::{BuildHasher, Hasher};
  use std::sync::atomic::{AtomicU64, Ordering};
  static COUNTER: AtomicU64 = AtomicU64::new(0);
  let n = COUNTER.fetch_add(1, Ordering::Relaxed);
  let nanos = std::time::SystemTime::now()
    .duration_since(std::time::UNIX_EPOCH)
    .map(|d| d.as_nanos())
    .unwrap_or(0);
  let mut h = RandomState::new().build_hasher();
  h.write_u64(n);
  h.write_u128(nanos);
  let a = h.finish();
  h.write_u64(a);
  let b = h.finish();
  let mut bytes = [0u8; 16];
  bytes[..8].copy_from_slice(&a.to_le_bytes());
  bytes[8..].copy_from_slice(&b.to_le_bytes());
  bytes[6] = (bytes[6] & 0x0f) | 0x40;
  bytes[8] = (bytes[8] & 0x3f) | 0x80;
  let hex: String = bytes.iter().map(|b| format!("{b:02x}")).collect();
  format!(
    "{}-{}-{}-{}-{}",
    &hex[..8],
    &hex[8..12],
    &hex[12..16],
    &hex[16..20],
    &hex[20..]
  )
}

/// `2026-11-25T14:29:05.123Z` for milliseconds since the UNIX epoch.
fn iso8601(ms: u64) -> String {
  let secs = ms / 1000;
  let days = (secs / 86_400) as i64;
  let rem = secs % 86_400;
  let (y, m, d) = crate::clock::civil_from_days(days);
  format!(
    "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}.{:03}Z",
    rem / 3600,
    rem % 3600 / 60,
    rem % 60,
    ms % 1000
  )
}

#[cfg(test)]
mod tests;
