//! `KVNamespace` (raw): the shim in `index.js` adds Cloudflare's overloads, Web types and error
//! classes on top.

use crate::clock::ManualClock;
use crate::error::{to_js, OrJs};
use crate::task::{blocking, Done};
use edgebase_engine::kv::{self, KvError, Pending, PutOptions};
use edgebase_engine::Clock;
use napi::bindgen_prelude::*;
use napi::JsString;
use napi_derive::napi;
use std::path::Path;
use std::sync::Arc;

#[napi(object)]
pub struct KvOptions {
  /// Directory of persisted stores; omitted = in-memory, private to this object.
  pub persist: Option<String>,
  /// The namespace's name (file `<persist>/kv/<name>.redb`); default `"default"`.
  pub name: Option<String>,
}

/// How `get` should hand back a found value; any other kind is a type Cloudflare does not know,
/// an error only if the key exists.
const AS_TEXT: u32 = 0;
const AS_BYTES: u32 = 1;

#[napi(js_name = "KVNamespaceNative")]
pub struct KvNamespace {
  pub(crate) inner: Arc<kv::KvNamespace>,
}

#[napi(object)]
pub struct ListPageJs {
  pub names: Vec<String>,
  /// Seconds since the epoch; 0 where the key has no expiration.
  pub expirations: Vec<f64>,
  /// Metadata JSON, `null` where the key has none.
  pub metadata: Vec<Option<String>>,
  pub cursor: Option<String>,
}

type Value<'env> = Either<JsString<'env>, ArrayBuffer<'env>>;

fn value<'env>(env: &'env Env, kind: u32, bytes: &[u8]) -> Result<Value<'env>> {
  match kind {
    AS_TEXT => Ok(Either::A(env.create_string(String::from_utf8_lossy(bytes))?)),
    AS_BYTES => Ok(Either::B(ArrayBuffer::copy_from(env, bytes)?)),
    _ => Err(to_js(KvError::UnknownType)),
  }
}

fn settle(env: &Env, pending: Pending) -> Result<PromiseRaw<'_, ()>> {
  env.spawn_future(async move {
    match pending.await {
      Ok(r) => r.or_js(),
      Err(_) => Err(napi::Error::from_reason(
        "the KV writer stopped before acknowledging the write",
      )),
    }
  })
}

#[napi]
impl KvNamespace {
  #[napi(constructor, catch_unwind)]
  pub fn new(options: Option<KvOptions>, clock: Option<&ManualClock>) -> Result<Self> {
    let options = options.unwrap_or(KvOptions {
      persist: None,
      name: None,
    });
    let name = options.name.as_deref().unwrap_or("default");
    let clock = clock.map(|c| c.clock.clone()).unwrap_or(Clock::System);
    let inner = match options.persist.as_deref() {
      Some(dir) => kv::KvNamespace::persistent(Path::new(dir), name, clock),
      None => kv::KvNamespace::in_memory(name, clock),
    }
    .or_js()?;
    Ok(KvNamespace {
      inner: Arc::new(inner),
    })
  }

  /// Reads on the calling thread: a cached redb read is cheaper than a hop to another thread.
  #[napi(catch_unwind)]
  pub fn get<'env>(
    &self,
    env: &'env Env,
    key: String,
    kind: u32,
    cache_ttl: Option<f64>,
  ) -> Result<Option<Value<'env>>> {
    self
      .inner
      .get(&key, cache_ttl, |r| value(env, kind, r.value))
      .or_js()?
      .transpose()
  }

  /// `[value, metadataJson | null]`, or `null` when the key is missing.
  #[napi(catch_unwind)]
  pub fn get_with_metadata<'env>(
    &self,
    env: &'env Env,
    key: String,
    kind: u32,
    cache_ttl: Option<f64>,
  ) -> Result<Option<(Value<'env>, Option<JsString<'env>>)>> {
    let found = self.inner.get(&key, cache_ttl, |r| -> Result<_> {
      let meta = match r.metadata {
        Some(m) => Some(env.create_string(String::from_utf8_lossy(m))?),
        None => None,
      };
      Ok((value(env, kind, r.value)?, meta))
    });
    found.or_js()?.transpose()
  }

  /// One `[text, metadataJson | null]` (or `null`) per key.
  #[allow(clippy::type_complexity)] // spelled out so the generated typings show the tuple
  #[napi(catch_unwind)]
  pub fn get_bulk(
    &self,
    keys: Vec<String>,
    ty: String,
    cache_ttl: Option<f64>,
  ) -> Result<Vec<Option<(String, Option<String>)>>> {
    let found = self.inner.get_bulk(&keys, &ty, cache_ttl).or_js()?;
    Ok(
      found
        .into_iter()
        .map(|e| e.map(|e| (String::from_utf8_lossy(&e.value).into_owned(), e.metadata)))
        .collect(),
    )
  }

  /// `value` is a string or bytes; `null` means the caller passed a type KV cannot store.
  #[napi(catch_unwind)]
  pub fn put<'env>(
    &self,
    env: &'env Env,
    key: String,
    value: Option<Either<String, &[u8]>>,
    expiration: Option<f64>,
    expiration_ttl: Option<f64>,
    metadata: Option<String>,
  ) -> Result<PromiseRaw<'env, ()>> {
    let bytes: &[u8] = match &value {
      Some(Either::A(s)) => s.as_bytes(),
      Some(Either::B(b)) => b,
      None => return Err(to_js(KvError::InvalidValue)),
    };
    let options = PutOptions {
      expiration,
      expiration_ttl,
      metadata,
    };
    let pending = self.inner.put(&key, bytes, &options).or_js()?;
    settle(env, pending)
  }

  #[napi(catch_unwind)]
  pub fn delete<'env>(&self, env: &'env Env, key: String) -> Result<PromiseRaw<'env, ()>> {
    let pending = self.inner.delete(&key).or_js()?;
    settle(env, pending)
  }

  #[napi(catch_unwind)]
  pub fn list(
    &self,
    prefix: Option<String>,
    limit: Option<f64>,
    cursor: Option<String>,
  ) -> Result<ListPageJs> {
    let page = self
      .inner
      .list(prefix.as_deref(), limit, cursor.as_deref())
      .or_js()?;
    let mut out = ListPageJs {
      names: Vec::with_capacity(page.keys.len()),
      expirations: Vec::with_capacity(page.keys.len()),
      metadata: Vec::with_capacity(page.keys.len()),
      cursor: page.cursor,
    };
    for k in page.keys {
      out.names.push(k.name);
      out.expirations.push(k.expiration.unwrap_or(0) as f64);
      out.metadata.push(k.metadata);
    }
    Ok(out)
  }

  /// Releases the file once no other handle in the process uses it; queued writes finish first.
  #[napi]
  pub fn close(&self) -> AsyncTask<Done> {
    let inner = self.inner.clone();
    blocking(move || {
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
}
