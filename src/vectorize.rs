//! `Vectorize` / `VectorizeIndex` (raw): `lib/vectorize.js` adds Cloudflare's argument handling,
//! the returnMetadata rewrite, result objects and error classes on top.
//!
//! Vectors cross as flat typed arrays (one `Float32Array` for a whole batch) rather than arrays of
//! objects: converting 1000 × 768 JS numbers one by one would cost more than the insert itself.
//! Small queries run on the JS thread; larger scans run on the engine's search thread and
//! resolve a Promise, so the event loop never waits on a scan.

use crate::clock::ManualClock;
use crate::error::OrJs;
use crate::task;
use edgebase_engine::vectorize::{self, Answer, IndexOptions, Match, Pending, QueryOptions, VectorInput};
use edgebase_engine::Clock;
use napi::bindgen_prelude::*;
use napi_derive::napi;
use std::path::Path;
use std::sync::Arc;

#[napi(object)]
pub struct MetadataIndexDef {
  pub property_name: String,
  pub index_type: String,
}

#[napi(object)]
pub struct VectorizeOptions {
  /// Directory of persisted stores; omitted = in-memory, private to this object.
  pub persist: Option<String>,
  /// The index's name (file `<persist>/vectorize/<name>.redb`); default `"default"`.
  pub name: Option<String>,
  pub dimensions: Option<f64>,
  pub metric: Option<String>,
  pub metadata_indexes: Option<Vec<MetadataIndexDef>>,
}

#[napi(object)]
pub struct QueryOptionsJs {
  pub top_k: Option<f64>,
  pub namespace: Option<String>,
  pub return_values: Option<bool>,
  /// Already rewritten and stringified by the JS layer; validated by the engine.
  pub return_metadata: Option<String>,
  /// Compact JSON.
  pub filter: Option<String>,
}

/// Matches as parallel columns; `values` holds `ids.length × dimensions` floats when asked for.
#[napi(object)]
pub struct MatchesJs {
  pub ids: Vec<String>,
  pub scores: Vec<f64>,
  pub values: Option<Float32Array>,
  pub namespaces: Vec<Option<String>>,
  pub metadata: Vec<Option<String>>,
}

/// Stored vectors as parallel columns; `values` holds `ids.length × dimensions` floats.
#[napi(object)]
pub struct VectorsJs {
  pub ids: Vec<String>,
  pub values: Float32Array,
  pub namespaces: Vec<Option<String>>,
  pub metadata: Vec<String>,
}

#[napi(object)]
pub struct DescribeJs {
  pub vector_count: u32,
  pub dimensions: u32,
  pub processed_up_to_datetime: Option<String>,
  pub processed_up_to_mutation: Option<String>,
}

#[napi(js_name = "VectorizeIndexNative")]
pub struct VectorizeIndex {
  pub(crate) inner: Arc<vectorize::VectorizeIndex>,
}

fn matches(m: Vec<Match>, with_values: bool) -> MatchesJs {
  let mut out = MatchesJs {
    ids: Vec::with_capacity(m.len()),
    scores: Vec::with_capacity(m.len()),
    values: None,
    namespaces: Vec::with_capacity(m.len()),
    metadata: Vec::with_capacity(m.len()),
  };
  let mut values = Vec::new();
  for x in m {
    out.ids.push(x.id);
    out.scores.push(x.score);
    out.namespaces.push(x.namespace);
    out.metadata.push(x.metadata);
    if let Some(v) = x.values {
      values.extend_from_slice(&v);
    }
  }
  if with_values {
    out.values = Some(Float32Array::new(values));
  }
  out
}

/// Resolves with the mutation id once the mutation is durable and applied.
fn settle(env: &Env, pending: Pending) -> Result<PromiseRaw<'_, String>> {
  env.spawn_future(async move {
    match pending.done.await {
      Ok(r) => r.or_js().map(|()| pending.mutation_id),
      Err(_) => Err(napi::Error::from_reason(
        "the Vectorize writer stopped before acknowledging the mutation",
      )),
    }
  })
}

/// The answer of a read the JS thread could not make at once (a mutation held the index).
fn later<'env, T: ToNapiValue + Send + 'static>(
  env: &'env Env,
  read: impl FnOnce() -> std::result::Result<T, vectorize::VectorizeError> + Send + 'static,
) -> Result<Either<T, PromiseRaw<'env, T>>> {
  let promise = env.spawn_future(async move {
    tokio::task::spawn_blocking(read)
      .await
      .map_err(|e| napi::Error::from_reason(e.to_string()))?
      .or_js()
  })?;
  Ok(Either::B(promise))
}

fn vectors(found: Vec<vectorize::StoredVector>) -> VectorsJs {
  let mut out = VectorsJs {
    ids: Vec::with_capacity(found.len()),
    values: Float32Array::new(Vec::new()),
    namespaces: Vec::with_capacity(found.len()),
    metadata: Vec::with_capacity(found.len()),
  };
  let mut values = Vec::new();
  for v in found {
    out.ids.push(v.id);
    values.extend_from_slice(&v.values);
    out.namespaces.push(v.namespace);
    out.metadata.push(v.metadata);
  }
  out.values = Float32Array::new(values);
  out
}

fn describe(d: vectorize::IndexInfo) -> DescribeJs {
  DescribeJs {
    vector_count: d.vector_count as u32,
    dimensions: d.dimensions as u32,
    processed_up_to_datetime: d.processed_up_to_datetime,
    processed_up_to_mutation: d.processed_up_to_mutation,
  }
}

fn index_defs(list: Vec<(String, &'static str)>) -> Vec<MetadataIndexDef> {
  list
    .into_iter()
    .map(|(property_name, ty)| MetadataIndexDef {
      property_name,
      index_type: ty.into(),
    })
    .collect()
}

fn options(o: QueryOptionsJs) -> QueryOptions {
  QueryOptions {
    top_k: o.top_k,
    namespace: o.namespace,
    return_values: o.return_values.unwrap_or(false),
    return_metadata: o.return_metadata,
    filter: o.filter,
  }
}

fn inputs(
  ids: Vec<String>,
  namespaces: Vec<Option<String>>,
  metadata: Vec<Option<String>>,
) -> Vec<VectorInput> {
  ids
    .into_iter()
    .zip(namespaces)
    .zip(metadata)
    .map(|((id, namespace), metadata)| VectorInput {
      id,
      namespace,
      metadata,
    })
    .collect()
}

type QueryResult<'env> = Either<MatchesJs, PromiseRaw<'env, MatchesJs>>;

#[napi]
impl VectorizeIndex {
  #[napi(constructor, catch_unwind)]
  pub fn new(options: VectorizeOptions, clock: Option<&ManualClock>) -> Result<Self> {
    let name = options.name.as_deref().unwrap_or("default");
    let clock = clock.map(|c| c.clock.clone()).unwrap_or(Clock::System);
    let o = IndexOptions {
      dimensions: options.dimensions,
      metric: options.metric,
      metadata_indexes: options
        .metadata_indexes
        .unwrap_or_default()
        .into_iter()
        .map(|d| (d.property_name, d.index_type))
        .collect(),
    };
    let inner = match options.persist.as_deref() {
      Some(dir) => vectorize::VectorizeIndex::persistent(Path::new(dir), name, &o, clock),
      None => vectorize::VectorizeIndex::in_memory(name, &o, clock),
    }
    .or_js()?;
    Ok(VectorizeIndex {
      inner: Arc::new(inner),
    })
  }

  /// `values` holds every vector's values back to back, `lengths[i]` of them for vector `i`.
  #[napi(catch_unwind)]
  pub fn insert<'env>(
    &self,
    env: &'env Env,
    ids: Vec<String>,
    namespaces: Vec<Option<String>>,
    metadata: Vec<Option<String>>,
    values: &[f32],
    lengths: &[u32],
  ) -> Result<PromiseRaw<'env, String>> {
    let vectors = inputs(ids, namespaces, metadata);
    settle(env, self.inner.insert(vectors, values, lengths).or_js()?)
  }

  /// Arguments as for `insert`.
  #[napi(catch_unwind)]
  pub fn upsert<'env>(
    &self,
    env: &'env Env,
    ids: Vec<String>,
    namespaces: Vec<Option<String>>,
    metadata: Vec<Option<String>>,
    values: &[f32],
    lengths: &[u32],
  ) -> Result<PromiseRaw<'env, String>> {
    let vectors = inputs(ids, namespaces, metadata);
    settle(env, self.inner.upsert(vectors, values, lengths).or_js()?)
  }

  #[napi(catch_unwind)]
  pub fn delete_by_ids<'env>(&self, env: &'env Env, ids: Vec<String>) -> Result<PromiseRaw<'env, String>> {
    let pending = self.inner.delete_by_ids(ids).or_js()?;
    settle(env, pending)
  }

  /// Reads on the calling thread (a handful of arena rows and redb lookups) unless a mutation
  /// holds the index; then on a blocking thread.
  #[napi(catch_unwind)]
  pub fn get_by_ids<'env>(
    &self,
    env: &'env Env,
    ids: Vec<String>,
  ) -> Result<Either<VectorsJs, PromiseRaw<'env, VectorsJs>>> {
    if let Some(found) = self.inner.get_by_ids(&ids, false).or_js()? {
      return Ok(Either::A(vectors(found)));
    }
    let inner = self.inner.clone();
    later(env, move || {
      inner
        .get_by_ids(&ids, true)
        .map(|f| vectors(f.unwrap_or_default()))
    })
  }

  #[napi(catch_unwind)]
  pub fn query<'env>(
    &self,
    env: &'env Env,
    vector: &[f32],
    options: QueryOptionsJs,
  ) -> Result<QueryResult<'env>> {
    let plan = self
      .inner
      .plan(Some(vector), None, self::options(options))
      .or_js()?;
    self.run(env, plan)
  }

  #[napi(catch_unwind)]
  pub fn query_by_id<'env>(
    &self,
    env: &'env Env,
    id: String,
    options: QueryOptionsJs,
  ) -> Result<QueryResult<'env>> {
    let plan = self.inner.plan(None, Some(&id), self::options(options)).or_js()?;
    self.run(env, plan)
  }

  fn run<'env>(&self, env: &'env Env, plan: vectorize::QueryPlan) -> Result<QueryResult<'env>> {
    let with_values = plan.return_values;
    match self.inner.query(plan).or_js()? {
      Answer::Now(m) => Ok(Either::A(matches(m, with_values))),
      Answer::Later(rx) => Ok(Either::B(env.spawn_future(async move {
        match rx.await {
          Ok(r) => r.or_js().map(|m| matches(m, with_values)),
          Err(_) => Err(napi::Error::from_reason("the Vectorize search thread stopped")),
        }
      })?)),
    }
  }

  #[napi(catch_unwind)]
  pub fn describe<'env>(&self, env: &'env Env) -> Result<Either<DescribeJs, PromiseRaw<'env, DescribeJs>>> {
    if let Some(d) = self.inner.describe(false).or_js()? {
      return Ok(Either::A(describe(d)));
    }
    let inner = self.inner.clone();
    later(env, move || {
      inner
        .describe(true)
        .map(|d| describe(d.expect("waited for the index")))
    })
  }

  #[napi(catch_unwind)]
  pub fn create_metadata_index<'env>(
    &self,
    env: &'env Env,
    property_name: String,
    index_type: String,
  ) -> Result<PromiseRaw<'env, String>> {
    let pending = self
      .inner
      .create_metadata_index(&property_name, &index_type)
      .or_js()?;
    settle(env, pending)
  }

  #[napi(catch_unwind)]
  pub fn delete_metadata_index<'env>(
    &self,
    env: &'env Env,
    property_name: String,
  ) -> Result<PromiseRaw<'env, String>> {
    let pending = self.inner.delete_metadata_index(&property_name).or_js()?;
    settle(env, pending)
  }

  #[napi(catch_unwind)]
  pub fn list_metadata_indexes<'env>(
    &self,
    env: &'env Env,
  ) -> Result<Either<Vec<MetadataIndexDef>, PromiseRaw<'env, Vec<MetadataIndexDef>>>> {
    if let Some(list) = self.inner.list_metadata_indexes(false).or_js()? {
      return Ok(Either::A(index_defs(list)));
    }
    let inner = self.inner.clone();
    later(env, move || {
      inner
        .list_metadata_indexes(true)
        .map(|l| index_defs(l.unwrap_or_default()))
    })
  }

  /// Releases the file once no other handle in the process uses it; queued mutations finish first.
  #[napi]
  pub fn close(&self) -> AsyncTask<task::Done> {
    let inner = self.inner.clone();
    task::blocking(move || {
      inner.close();
      Ok(())
    })
  }

  #[napi(getter)]
  pub fn is_open(&self) -> bool {
    self.inner.is_open()
  }

  #[napi(getter)]
  pub fn name(&self) -> String {
    self.inner.name().to_string()
  }

  #[napi(getter)]
  pub fn dimensions(&self) -> Result<u32> {
    Ok(self.inner.dimensions().or_js()? as u32)
  }

  #[napi(getter)]
  pub fn metric(&self) -> Result<String> {
    Ok(self.inner.metric().or_js()?.as_str().into())
  }
}
