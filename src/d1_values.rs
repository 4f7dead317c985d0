//! JS values for D1 results, built with plain Node-API calls: arrays, copied typed arrays and
//! cells. (Copies, not external buffers: no finalizer has to run before memory comes back.)

use edgebase_engine::d1::{self, Value};
use napi::bindgen_prelude::*;
use napi::sys;

fn check(status: sys::napi_status) -> Result<()> {
  if status == sys::Status::napi_ok {
    Ok(())
  } else {
    Err(napi::Error::from_reason("could not create a JavaScript value"))
  }
}

/// A typed array of `kind` over a fresh ArrayBuffer holding `bytes`.
unsafe fn typed_copy(
  env: sys::napi_env,
  kind: sys::napi_typedarray_type,
  bytes: &[u8],
  len: usize,
) -> Result<sys::napi_value> {
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
  check(sys::napi_create_typedarray(env, kind, len, buffer, 0, &mut view))?;
  Ok(view)
}

pub unsafe fn bytes(env: sys::napi_env, b: &[u8]) -> Result<sys::napi_value> {
  typed_copy(env, sys::TypedarrayType::uint8_array, b, b.len())
}

pub unsafe fn f64s(env: sys::napi_env, v: &[f64]) -> Result<sys::napi_value> {
  // SAFETY: f64 has no padding; the bytes are copied into the new buffer.
  let raw = std::slice::from_raw_parts(v.as_ptr() as *const u8, std::mem::size_of_val(v));
  typed_copy(env, sys::TypedarrayType::float64_array, raw, v.len())
}

pub unsafe fn array(env: sys::napi_env, items: Vec<sys::napi_value>) -> Result<sys::napi_value> {
  let mut arr = std::ptr::null_mut();
  check(sys::napi_create_array_with_length(env, items.len(), &mut arr))?;
  for (i, v) in items.into_iter().enumerate() {
    check(sys::napi_set_element(env, arr, i as u32, v))?;
  }
  Ok(arr)
}

pub unsafe fn null(env: sys::napi_env) -> Result<sys::napi_value> {
  Null::to_napi_value(env, Null)
}

/// A result value: numbers (INTEGER loses precision past 2^53, as in workerd), strings, null,
/// or bytes (a Uint8Array the JS layer turns into a plain array, as D1 returns BLOBs).
pub unsafe fn cell(env: sys::napi_env, v: Value) -> Result<sys::napi_value> {
  match v {
    Value::Null => null(env),
    Value::Integer(n) => f64::to_napi_value(env, n as f64),
    Value::Real(x) => f64::to_napi_value(env, x),
    Value::Text(s) => String::to_napi_value(env, s),
    Value::Blob(b) => bytes(env, &b),
  }
}

/// Appends `columns, values` of one result (row-major values), or `null, null` without columns.
pub unsafe fn rows(env: sys::napi_env, r: d1::QueryResult, out: &mut Vec<sys::napi_value>) -> Result<()> {
  if r.columns.is_empty() {
    out.push(null(env)?);
    out.push(null(env)?);
    return Ok(());
  }
  out.push(Vec::<String>::to_napi_value(env, r.columns)?);
  let mut values = Vec::with_capacity(r.values.len());
  for v in r.values {
    values.push(cell(env, v)?);
  }
  out.push(array(env, values)?);
  Ok(())
}

/// The 7 numbers of a result's meta: duration, changes, last_row_id, changed_db (0/1),
/// size_after, rows_read, rows_written.
pub fn meta(m: &d1::Meta) -> [f64; 7] {
  [
    m.duration,
    m.changes as f64,
    m.last_row_id as f64,
    if m.changed_db { 1.0 } else { 0.0 },
    m.size_after as f64,
    m.rows_read as f64,
    m.rows_written as f64,
  ]
}
