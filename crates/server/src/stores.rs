//! The stores behind the routes. `Bindings` holds them by Worker binding name — what Node hands
//! over with `startServer({ env })`, or what the server opens itself under `persist` (or in
//! memory). `Stores` resolves each declared resource name of the config to its store.

use crate::config::{Bucket, Config, Resource, VectorIndex};
use crate::error::ServerError;
use edgebase_engine::d1::D1Database;
use edgebase_engine::kv::KvNamespace;
use edgebase_engine::r2::{BucketOptions, R2Bucket};
use edgebase_engine::vectorize::{IndexOptions, VectorizeIndex};
use edgebase_engine::{BindingError, Clock};
use std::collections::HashMap;
use std::path::Path;
use std::sync::Arc;

/// The binding EdgeBase keeps every storage bucket in (as `<bucket>/<key>`), unless a bucket
/// names its own.
pub const STORAGE_BINDING: &str = "STORAGE";
/// The internal KV namespace of multipart part tracking (EdgeBase keeps it in its own KV).
pub const INTERNAL_KV: &str = "EDGEBASE_INTERNAL";

/// Stores by binding name.
#[derive(Clone, Default)]
pub struct Bindings {
  pub kv: HashMap<String, Arc<KvNamespace>>,
  pub d1: HashMap<String, Arc<D1Database>>,
  pub vectorize: HashMap<String, Arc<VectorizeIndex>>,
  pub r2: HashMap<String, Arc<R2Bucket>>,
}

impl Bindings {
  /// A config serving every binding under its own name (`startServer({ env })` without a
  /// config); an R2 bucket becomes a storage bucket of that name kept in that binding.
  pub fn derive_config(&self) -> Result<Config, ServerError> {
    let mut c = Config::default();
    let res = |name: &String| Resource {
      binding: name.clone(),
    };
    for name in self.kv.keys() {
      c.kv.insert(name.clone(), res(name));
    }
    for name in self.d1.keys() {
      c.d1.insert(name.clone(), res(name));
    }
    for (name, index) in &self.vectorize {
      let err = |e: edgebase_engine::vectorize::VectorizeError| ServerError::Store {
        what: format!("Vectorize index {name}"),
        source: Box::new(e),
      };
      c.vectorize.insert(
        name.clone(),
        VectorIndex {
          binding: name.clone(),
          dimensions: index.dimensions().map_err(err)? as u32,
          metric: index.metric().map_err(err)?.as_str().to_string(),
          metadata_indexes: Vec::new(),
        },
      );
    }
    for name in self.r2.keys() {
      c.buckets.insert(
        name.clone(),
        Bucket {
          binding: Some(name.clone()),
          ..Bucket::default()
        },
      );
    }
    Ok(c)
  }
}

/// Stores by resource name, ready for the routes.
#[derive(Default)]
pub struct Stores {
  pub kv: HashMap<String, Arc<KvNamespace>>,
  pub d1: HashMap<String, Arc<D1Database>>,
  pub vectorize: HashMap<String, Arc<VectorizeIndex>>,
  /// Storage buckets: the R2 binding each lives in.
  pub buckets: HashMap<String, Arc<R2Bucket>>,
  /// Multipart part tracking.
  pub internal: Option<Arc<KvNamespace>>,
  /// What this server opened itself (and so closes when it stops).
  opened: Bindings,
}

/// How a store is found: handed over (`env`), or opened under `persist` / in memory.
pub enum Source<'a> {
  Env(&'a Bindings),
  Open { persist: Option<&'a Path> },
}

fn store_error<E: BindingError>(what: String) -> impl FnOnce(E) -> ServerError {
  move |e| ServerError::Store {
    what,
    source: Box::new(e),
  }
}

/// The store of `binding` for the resource at `field`: from `env`, from what this server already
/// opened, or newly opened by `open`.
fn resolve<T, E: BindingError>(
  source: &Source,
  from_env: impl Fn(&Bindings) -> Option<&Arc<T>>,
  opened: &mut HashMap<String, Arc<T>>,
  binding: &str,
  field: &str,
  kind: &str,
  what: String,
  open: impl FnOnce(Option<&Path>) -> Result<T, E>,
) -> Result<Arc<T>, ServerError> {
  match source {
    Source::Env(env) => from_env(env)
      .cloned()
      .ok_or_else(|| ServerError::config(field, format!("'{binding}' is not a{kind} in env"))),
    Source::Open { persist } => match opened.get(binding) {
      Some(s) => Ok(s.clone()),
      None => {
        let s = Arc::new(open(*persist).map_err(store_error(what))?);
        opened.insert(binding.to_string(), s.clone());
        Ok(s)
      }
    },
  }
}

impl Stores {
  pub fn open(config: &Config, source: &Source) -> Result<Stores, ServerError> {
    let mut s = Stores::default();
    let clock = || Clock::System;
    for (name, r) in &config.kv {
      let b = &r.binding;
      let kv = resolve(
        source,
        |e| e.kv.get(b),
        &mut s.opened.kv,
        b,
        &format!("kv.{name}.binding"),
        " KVNamespace",
        format!("KV namespace '{name}' (binding {b})"),
        |p| match p {
          Some(dir) => KvNamespace::persistent(dir, b, clock()),
          None => KvNamespace::in_memory(b, clock()),
        },
      )?;
      s.kv.insert(name.clone(), kv);
    }
    for (name, r) in &config.d1 {
      let b = &r.binding;
      let db = resolve(
        source,
        |e| e.d1.get(b),
        &mut s.opened.d1,
        b,
        &format!("d1.{name}.binding"),
        " D1Database",
        format!("D1 database '{name}' (binding {b})"),
        |p| match p {
          Some(dir) => D1Database::persistent(dir, b),
          None => D1Database::in_memory(b),
        },
      )?;
      s.d1.insert(name.clone(), db);
    }
    for (name, v) in &config.vectorize {
      let b = &v.binding;
      let options = IndexOptions {
        dimensions: Some(v.dimensions as f64),
        metric: Some(v.metric.clone()),
        metadata_indexes: v.metadata_indexes.clone(),
      };
      let index = resolve(
        source,
        |e| e.vectorize.get(b),
        &mut s.opened.vectorize,
        b,
        &format!("vectorize.{name}.binding"),
        " VectorizeIndex",
        format!("Vectorize index '{name}' (binding {b})"),
        |p| match p {
          Some(dir) => VectorizeIndex::persistent(dir, b, &options, clock()),
          None => VectorizeIndex::in_memory(b, &options, clock()),
        },
      )?;
      // An index handed over must have the shape the config declares.
      let dims = index
        .dimensions()
        .map_err(store_error(format!("Vectorize index '{name}'")))?;
      if dims != v.dimensions as usize {
        return Err(ServerError::config(
          format!("vectorize.{name}.dimensions"),
          format!(
            "is {} but the index in binding {b} has {dims} dimensions",
            v.dimensions
          ),
        ));
      }
      let metric = index
        .metric()
        .map_err(store_error(format!("Vectorize index '{name}'")))?;
      if metric.as_str() != v.metric {
        return Err(ServerError::config(
          format!("vectorize.{name}.metric"),
          format!(
            "is '{}' but the index in binding {b} uses '{}'",
            v.metric,
            metric.as_str()
          ),
        ));
      }
      s.vectorize.insert(name.clone(), index);
    }
    for (name, bucket) in &config.buckets {
      let b = bucket.binding.as_deref().unwrap_or(STORAGE_BINDING);
      let r2 = resolve(
        source,
        |e| e.r2.get(b),
        &mut s.opened.r2,
        b,
        &format!("storage.buckets.{name}.binding"),
        "n R2Bucket",
        format!("R2 bucket {b} (storage bucket '{name}')"),
        |p| match p {
          Some(dir) => R2Bucket::persistent(dir, b, clock(), BucketOptions::default()),
          None => R2Bucket::in_memory(b, clock(), BucketOptions::default()),
        },
      )?;
      s.buckets.insert(name.clone(), r2);
    }
    if !config.buckets.is_empty() {
      let persist = match source {
        Source::Open { persist } => *persist,
        Source::Env(_) => None,
      };
      let kv = match persist {
        Some(dir) => KvNamespace::persistent(dir, INTERNAL_KV, clock()),
        None => KvNamespace::in_memory(INTERNAL_KV, clock()),
      }
      .map_err(store_error("the internal KV namespace".into()))?;
      let kv = Arc::new(kv);
      s.opened.kv.insert(INTERNAL_KV.into(), kv.clone());
      s.internal = Some(kv);
    }
    Ok(s)
  }

  /// Releases the stores this server opened (blocking until queued writes are durable); stores
  /// handed over in `env` stay open for their owner.
  pub fn close(&self) {
    let o = &self.opened;
    o.kv.values().for_each(|s| s.close());
    o.d1.values().for_each(|s| s.close());
    o.vectorize.values().for_each(|s| s.close());
    o.r2.values().for_each(|s| s.close());
  }
}
