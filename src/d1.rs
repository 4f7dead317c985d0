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

/// A Uint8Array over a fresh copy of `bytes` (no finalizer to wait for).
unsafe fn bytes_copy(env: sys::napi_env, bytes: &[u8]) -> Result<sys::napi_value> {
  let mut data = std::ptr::null_mut();
  let mut buffer = std::ptr::null_mut();
  check(sys::napi_create_arraybuffer(
    env,
    bytes.len(),
    &mut data,
    &mut buffer,
  ))?;
  if !bytes.is_empty() {
    std::ptr::copy_nonoverlapping(bytes.as_ptr(), data as *mut u8, bytes.len());
  }
  let mut view = std::ptr::null_mut();
  check(sys::napi_create_typedarray(
    env,
    sys::TypedarrayType::uint8_array,
    bytes.len(),
    buffer,
    0,
    &mut view,
  ))?;
  Ok(view)
}

/// A Float64Array holding `values` (copied).
unsafe fn f64_copy(env: sys::napi_env, values: &[f64]) -> Result<sys::napi_value> {
  let mut data = std::ptr::null_mut();
  let mut buffer = std::ptr::null_mut();
  let len = std::mem::size_of_val(values);
  check(sys::napi_create_arraybuffer(env, len, &mut data, &mut buffer))?;
  std::ptr::copy_nonoverlapping(values.as_ptr(), data as *mut f64, values.len());
  let mut view = std::ptr::null_mut();
  check(sys::napi_create_typedarray(
    env,
    sys::TypedarrayType::float64_array,
    values.len(),
    buffer,
    0,
    &mut view,
  ))?;
  Ok(view)
}

fn check(status: sys::napi_status) -> Result<()> {
  if status == sys::Status::napi_ok {
    Ok(())
  } else {
    Err(napi::Error::from_reason("could not create a JavaScript value"))
  }
}

unsafe fn array(env: sys::napi_env, items: Vec<sys::napi_value>) -> Result<sys::napi_value> {
  let mut arr = std::ptr::null_mut();
  check(sys::napi_create_array_with_length(env, items.len(), &mut arr))?;
  for (i, v) in items.into_iter().enumerate() {
    check(sys::napi_set_element(env, arr, i as u32, v))?;
  }
  Ok(arr)
}

/// A result value: numbers (INTEGER loses precision past 2^53, as in workerd), strings, null,
/// or bytes (a `Uint8Array` the JS layer turns into a plain array).
unsafe fn cell(env: sys::napi_env, v: Value) -> Result<sys::napi_value> {
  match v {
    Value::Null => Null::to_napi_value(env, Null),
    Value::Integer(n) => f64::to_napi_value(env, n as f64),
    Value::Real(x) => f64::to_napi_value(env, x),
    Value::Text(s) => String::to_napi_value(env, s),
    Value::Blob(b) => bytes_copy(env, &b),
  }
}

/// `[columns, values (row-major), meta]`, meta being a Float64Array of
/// `[duration, changes, last_row_id, changed_db, size_after, rows_read, rows_written]`.
unsafe fn query_result(env: sys::napi_env, r: d1::QueryResult) -> Result<sys::napi_value> {
  let m = r.meta;
  let meta = [
    m.duration,
    m.changes as f64,
    m.last_row_id as f64,
    if m.changed_db { 1.0 } else { 0.0 },
    m.size_after as f64,
    m.rows_read as f64,
    m.rows_written as f64,
  ];
  let columns = Vec::<String>::to_napi_value(env, r.columns)?;
  let mut values = Vec::with_capacity(r.values.len());
  for v in r.values {
    values.push(cell(env, v)?);
  }
  array(env, vec![columns, array(env, values)?, f64_copy(env, &meta)?])
}

/// A call's outcome for JS: `[bookmark | null, ...payload]` — `query`: one result (see
/// `query_result`), `batch`: one per statement, `exec`: count and duration, `dump`: the bytes.
pub struct Outcome {
  done: Done,
  bookmark: bool,
}

impl ToNapiValue for Outcome {
  unsafe fn to_napi_value(env: sys::napi_env, val: Self) -> Result<sys::napi_value> {
    let bookmark = if val.bookmark {
      String::to_napi_value(env, val.done.bookmark)?
    } else {
      Null::to_napi_value(env, Null)?
    };
    let mut items = vec![bookmark];
    match val.done.output {
      Output::Query(r) => items.push(query_result(env, r)?),
      Output::Batch(rs) => {
        for r in rs {
          items.push(query_result(env, r)?);
        }
      }
      Output::Exec(e) => {
        items.push(f64::to_napi_value(env, e.count as f64)?);
        items.push(f64::to_napi_value(env, e.duration)?);
      }
      Output::Dump(b) => items.push(Uint8Array::to_napi_value(env, Uint8Array::new(b))?),
    }
    array(env, items)
  }
}

#[napi(object, object_to_js = false)]
pub struct D1Statement {
  pub sql: String,
  #[napi(ts_type = "Array<number | string | null | Uint8Array>")]
  pub params: Vec<Param>,
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

  #[napi(catch_unwind)]
  pub fn batch<'env>(
    &self,
    env: &'env Env,
    statements: Vec<D1Statement>,
    bookmark: Option<bool>,
  ) -> Result<Answer<'env>> {
    let stmts = statements
      .into_iter()
      .map(|s| (s.sql, params(s.params)))
      .collect();
    answer(
      env,
      self.inner.submit(Work::Batch(stmts)),
      bookmark.unwrap_or(false),
    )
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
  pub fn close<'env>(&self, env: &'env Env) -> Result<PromiseRaw<'env, ()>> {
    // Refuse later calls now; release the file (after the queued calls) off this thread.
    let closing = self.inner.begin_close();
    env.spawn_future(async move {
      tokio::task::spawn_blocking(move || drop(closing))
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

/// A SQL script's statements, split where SQLite ends them (for migration files).
#[napi]
pub fn split_sql_statements(sql: String) -> Vec<String> {
  d1::split_statements(&sql)
}
