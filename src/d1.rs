//! `D1Database` (raw): `lib/d1.js` adds Cloudflare's classes (prepared statements, sessions),
//! `bind()`'s type rules and the result shapes on top.
//!
//! A call that the engine ran at once on this thread returns its result directly; one it queued
//! returns a Promise of it (the JS layer awaits either).

use crate::d1_values as js;
use crate::error::{to_js, OrJs};
use edgebase_engine::d1::{self, Done, Output, Reply, Submitted, Value, Work};
use napi::bindgen_prelude::*;
use napi::sys;
use napi_derive::napi;
use std::path::Path;
use std::sync::Arc;

#[napi(object)]
pub struct D1Options {
  /// Directory of persisted stores; omitted = in-memory, private to this object.
  pub persist: Option<String>,
  /// The database's name (file `<persist>/d1/<name>.sqlite`); default `"default"`.
  pub name: Option<String>,
}

/// A bound value as the JS layer passes it: number, string, null or bytes.
pub struct Param(Value);

impl TypeName for Param {
  fn type_name() -> &'static str {
    "number | string | null | Uint8Array"
  }
  fn value_type() -> ValueType {
    ValueType::Unknown
  }
}

impl ValidateNapiValue for Param {}

impl FromNapiValue for Param {
  unsafe fn from_napi_value(env: sys::napi_env, v: sys::napi_value) -> Result<Self> {
    let value = match napi::type_of!(env, v)? {
      ValueType::Number => Value::from_number(f64::from_napi_value(env, v)?),
      ValueType::String => Value::Text(String::from_napi_value(env, v)?),
      ValueType::Null | ValueType::Undefined => Value::Null,
      _ => Value::Blob(Uint8Array::from_napi_value(env, v)?.to_vec()),
    };
    Ok(Param(value))
  }
}

fn params(p: Vec<Param>) -> Vec<Value> {
  p.into_iter().map(|p| p.0).collect()
}

/// A call's outcome for JS, one flat array:
/// - `query`/`batch`: `[bookmark | null, meta, columns₀, values₀, columns₁, values₁, …]` where
///   `meta` is a Float64Array of 7 numbers per result (see `d1_values::meta`);
/// - `exec`: `[bookmark | null, count, duration]`; `dump`: `[bookmark | null, bytes]`.
pub struct Outcome {
  done: Done,
  bookmark: bool,
}

impl ToNapiValue for Outcome {
  unsafe fn to_napi_value(env: sys::napi_env, val: Self) -> Result<sys::napi_value> {
    let mut items = vec![if val.bookmark {
      String::to_napi_value(env, val.done.bookmark)?
    } else {
      js::null(env)?
    }];
    let results = match val.done.output {
      Output::Query(r) => vec![r],
      Output::Batch(rs) => rs,
      Output::Exec(e) => {
        items.push(f64::to_napi_value(env, e.count as f64)?);
        items.push(f64::to_napi_value(env, e.duration)?);
        return js::array(env, items);
      }
      Output::Dump(b) => {
        items.push(Uint8Array::to_napi_value(env, Uint8Array::new(b))?);
        return js::array(env, items);
      }
    };
    let meta: Vec<f64> = results.iter().flat_map(|r| js::meta(&r.meta)).collect();
    items.push(js::f64s(env, &meta)?);
    for r in results {
      js::rows(env, r, &mut items)?;
    }
    js::array(env, items)
  }
}

type Answer<'env> = Either<Outcome, PromiseRaw<'env, Outcome>>;

fn answer(env: &Env, submitted: Submitted, bookmark: bool) -> Result<Answer<'_>> {
  let settle = move |r: Reply| r.map(|done| Outcome { done, bookmark }).or_js();
  match submitted {
    Submitted::Ready(r) => settle(r).map(Either::A),
    Submitted::Pending(rx) => env
      .spawn_future(async move {
        match rx.await {
          Ok(r) => settle(r),
          Err(_) => Err(napi::Error::from_reason("the D1 worker stopped before answering")),
        }
      })
      .map(Either::B),
  }
}

#[napi(js_name = "D1DatabaseNative")]
pub struct D1Database {
  pub(crate) inner: Arc<d1::D1Database>,
}

#[napi]
impl D1Database {
  #[napi(constructor, catch_unwind)]
  pub fn new(options: Option<D1Options>) -> Result<Self> {
    let options = options.unwrap_or(D1Options {
      persist: None,
      name: None,
    });
    let name = options.name.as_deref().unwrap_or("default");
    let inner = match options.persist.as_deref() {
      Some(dir) => d1::D1Database::persistent(Path::new(dir), name),
      None => d1::D1Database::in_memory(name),
    }
    .map_err(to_js)?;
    Ok(D1Database {
      inner: Arc::new(inner),
    })
  }

  /// One prepared statement's execution (`first`, `all`, `run`, `raw`).
  #[napi(catch_unwind)]
  pub fn query<'env>(
    &self,
    env: &'env Env,
    sql: String,
    params: Vec<Param>,
    bookmark: Option<bool>,
  ) -> Result<Answer<'env>> {
    let params = self::params(params);
    answer(
      env,
      self.inner.submit(Work::Query { sql, params }),
      bookmark.unwrap_or(false),
    )
  }

  /// `batch()`: statement `i` runs `sql[index[i]]` with the next `counts[i]` values of `params`
  /// (one flat list, so that a batch crosses as three arrays rather than one per statement).
  #[napi(catch_unwind)]
  pub fn batch<'env>(
    &self,
    env: &'env Env,
    sql: Vec<String>,
    index: Vec<u32>,
    counts: Vec<u32>,
    params: Vec<Param>,
    bookmark: Option<bool>,
  ) -> Result<Answer<'env>> {
    let mut values = params.into_iter().map(|p| p.0);
    let statements = index
      .into_iter()
      .zip(counts.into_iter().chain(std::iter::repeat(0)))
      .map(|(i, n)| (i as usize, values.by_ref().take(n as usize).collect()))
      .collect();
    let work = Work::Batch { sql, statements };
    answer(env, self.inner.submit(work), bookmark.unwrap_or(false))
  }

  #[napi(catch_unwind)]
  pub fn exec<'env>(&self, env: &'env Env, sql: String) -> Result<Answer<'env>> {
    answer(env, self.inner.submit(Work::Exec(sql)), false)
  }

  #[napi(catch_unwind)]
  pub fn dump<'env>(&self, env: &'env Env) -> Result<Answer<'env>> {
    answer(env, self.inner.submit(Work::Dump), false)
  }

  /// Releases the file once no other handle in the process uses it; queued calls finish first.
  #[napi]
  pub fn close(&self) -> AsyncTask<crate::task::Done> {
    // Refuse later calls now; release the file (after the queued calls) off this thread.
    let closing = self.inner.begin_close();
    crate::task::blocking(move || {
      drop(closing);
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

  /// The database file, when persisted.
  #[napi(getter)]
  pub fn path(&self) -> Option<String> {
    self.inner.path().map(|p| p.to_string_lossy().into_owned())
  }
}

/// A SQL script's statements, split where SQLite ends them (for migration files).
#[napi]
pub fn split_sql_statements(sql: String) -> Vec<String> {
  d1::split_statements(&sql)
}
