//! `D1Database` (raw): `lib/d1.js` adds Cloudflare's classes (prepared statements, sessions),
//! `bind()`'s type rules and the result shapes on top.
//!
//! A call that the engine ran at once on this thread returns its result directly; one it queued
//! returns a Promise of it (the JS layer awaits either).

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

/// A result value: numbers (INTEGER loses precision past 2^53, as in workerd), strings, null,
/// or bytes (a `Uint8Array` the JS layer turns into a plain array).
pub struct Cell(Value);

impl ToNapiValue for Cell {
  unsafe fn to_napi_value(env: sys::napi_env, val: Self) -> Result<sys::napi_value> {
    match val.0 {
      Value::Null => Null::to_napi_value(env, Null),
      Value::Integer(n) => f64::to_napi_value(env, n as f64),
      Value::Real(x) => f64::to_napi_value(env, x),
      Value::Text(s) => String::to_napi_value(env, s),
      Value::Blob(b) => Uint8Array::to_napi_value(env, Uint8Array::new(b)),
    }
  }
}

#[napi(object, object_from_js = false)]
pub struct D1MetaJs {
  pub duration: f64,
  pub changes: f64,
  #[napi(js_name = "last_row_id")]
  pub last_row_id: f64,
  #[napi(js_name = "changed_db")]
  pub changed_db: bool,
  #[napi(js_name = "size_after")]
  pub size_after: f64,
  #[napi(js_name = "rows_read")]
  pub rows_read: f64,
  #[napi(js_name = "rows_written")]
  pub rows_written: f64,
}

#[napi(object, object_from_js = false)]
pub struct D1QueryOut {
  pub columns: Vec<String>,
  /// Row-major: `columns.length` values per row.
  #[napi(ts_type = "Array<number | string | null | Uint8Array>")]
  pub values: Vec<Cell>,
  pub meta: D1MetaJs,
}

impl From<d1::QueryResult> for D1QueryOut {
  fn from(r: d1::QueryResult) -> Self {
    let m = r.meta;
    D1QueryOut {
      columns: r.columns,
      values: r.values.into_iter().map(Cell).collect(),
      meta: D1MetaJs {
        duration: m.duration,
        changes: m.changes as f64,
        last_row_id: m.last_row_id as f64,
        changed_db: m.changed_db,
        size_after: m.size_after as f64,
        rows_read: m.rows_read as f64,
        rows_written: m.rows_written as f64,
      },
    }
  }
}

/// One call's outcome with the bookmark after it (for sessions).
#[napi(object, object_from_js = false)]
pub struct D1Outcome {
  /// `query`: one result; `batch`: one per statement.
  pub results: Vec<D1QueryOut>,
  /// `exec`: lines executed and their total duration.
  pub count: Option<f64>,
  pub duration: Option<f64>,
  /// `dump`: the database file's bytes.
  pub bytes: Option<Uint8Array>,
  pub bookmark: String,
}

impl From<Done> for D1Outcome {
  fn from(done: Done) -> Self {
    let mut out = D1Outcome {
      results: Vec::new(),
      count: None,
      duration: None,
      bytes: None,
      bookmark: done.bookmark,
    };
    match done.output {
      Output::Query(r) => out.results.push(r.into()),
      Output::Batch(rs) => out.results = rs.into_iter().map(Into::into).collect(),
      Output::Exec(e) => {
        out.count = Some(e.count as f64);
        out.duration = Some(e.duration);
      }
      Output::Dump(b) => out.bytes = Some(Uint8Array::new(b)),
    }
    out
  }
}

#[napi(object, object_to_js = false)]
pub struct D1Statement {
  pub sql: String,
  #[napi(ts_type = "Array<number | string | null | Uint8Array>")]
  pub params: Vec<Param>,
}

type Answer<'env> = Either<D1Outcome, PromiseRaw<'env, D1Outcome>>;

fn answer(env: &Env, submitted: Submitted) -> Result<Answer<'_>> {
  let settle = |r: Reply| r.map(D1Outcome::from).or_js();
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
  inner: Arc<d1::D1Database>,
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
  pub fn query<'env>(&self, env: &'env Env, sql: String, params: Vec<Param>) -> Result<Answer<'env>> {
    let params = self::params(params);
    answer(env, self.inner.submit(Work::Query { sql, params }))
  }

  #[napi(catch_unwind)]
  pub fn batch<'env>(&self, env: &'env Env, statements: Vec<D1Statement>) -> Result<Answer<'env>> {
    let stmts = statements
      .into_iter()
      .map(|s| (s.sql, params(s.params)))
      .collect();
    answer(env, self.inner.submit(Work::Batch(stmts)))
  }

  #[napi(catch_unwind)]
  pub fn exec<'env>(&self, env: &'env Env, sql: String) -> Result<Answer<'env>> {
    answer(env, self.inner.submit(Work::Exec(sql)))
  }

  #[napi(catch_unwind)]
  pub fn dump<'env>(&self, env: &'env Env) -> Result<Answer<'env>> {
    answer(env, self.inner.submit(Work::Dump))
  }

  /// Releases the file once no other handle in the process uses it; queued calls finish first.
  #[napi]
  pub fn close<'env>(&self, env: &'env Env) -> Result<PromiseRaw<'env, ()>> {
    let inner = self.inner.clone();
    env.spawn_future(async move {
      tokio::task::spawn_blocking(move || inner.close())
        .await
        .map_err(|e| napi::Error::from_reason(e.to_string()))
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
