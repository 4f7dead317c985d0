//! Workers KV semantics: key rules, expirations, metadata, list pages and bulk reads.

mod cursor;
mod error;
mod record;
mod store;

pub use error::{KvError, Op};
pub use record::Record;
pub use store::KvStore;

use crate::clock::Clock;
use crate::error::StorageError;
use crate::limits::kv::*;
use crate::persist::{self, Registry, Shared};
use std::path::Path;
use std::sync::RwLock;
use store::Change;
use tokio::sync::oneshot;

static OPEN: Registry<KvStore> = Registry::new();

const KIND: &str = "KV namespace";

/// One `KVNamespace` binding: a store (shared with every other handle on the same file) read
/// through this handle's clock.
pub struct KvNamespace {
  name: String,
  clock: Clock,
  /// This handle's entry in the store's clocks (see `KvStore::purge_horizon`).
  clock_id: u64,
  store: RwLock<Option<Shared<KvStore>>>,
}

/// Options of `put`, as numbers before workerd's integer conversion.
#[derive(Clone, Debug, Default)]
pub struct PutOptions {
  pub expiration: Option<f64>,
  pub expiration_ttl: Option<f64>,
  /// The metadata's compact JSON; `None` stores no metadata.
  pub metadata: Option<String>,
}

/// One page of `list()`.
#[derive(Debug, Default, PartialEq)]
pub struct ListPage {
  pub keys: Vec<ListKey>,
  /// Present when more keys may follow.
  pub cursor: Option<String>,
}

#[derive(Debug, PartialEq)]
pub struct ListKey {
  pub name: String,
  pub expiration: Option<u64>,
  pub metadata: Option<String>,
}

/// Value types a bulk get may ask for.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum BulkType {
  Text,
  Json,
}

/// A found entry of a bulk get.
#[derive(Debug, PartialEq)]
pub struct BulkEntry {
  pub value: Vec<u8>,
  pub metadata: Option<String>,
}

const UTF8_BOM: &[u8] = b"\xEF\xBB\xBF";

/// A pending write: resolves once the change is durable.
pub type Pending = oneshot::Receiver<Result<(), KvError>>;

impl KvNamespace {
  /// An in-memory namespace private to this handle.
  pub fn in_memory(name: &str, clock: Clock) -> Result<Self, KvError> {
    Ok(Self::with_store(
      name,
      clock,
      Shared::private(KvStore::open_in_memory()?),
    ))
  }

  /// `<dir>/kv/<name>.redb`, shared with every other handle on that file in this process.
  pub fn persistent(dir: &Path, name: &str, clock: Clock) -> Result<Self, KvError> {
    let path = persist::store_path(dir, "kv", KIND, name, ".redb")?;
    let store = OPEN.get_or_open(&path, KvStore::open_file)?;
    Ok(Self::with_store(name, clock, store))
  }

  fn with_store(name: &str, clock: Clock, store: Shared<KvStore>) -> Self {
    KvNamespace {
      name: name.into(),
      clock_id: store.attach_clock(clock.clone()),
      clock,
      store: RwLock::new(Some(store)),
    }
  }

  pub fn name(&self) -> &str {
    &self.name
  }

  pub fn clock(&self) -> &Clock {
    &self.clock
  }

  pub fn is_open(&self) -> bool {
    self.store.read().map(|s| s.is_some()).unwrap_or(false)
  }

  /// Releases this handle's share of the store; the file closes with its last handle, after
  /// every queued write has committed. Idempotent. May block on that final commit.
  pub fn close(&self) {
    let store = self.store.write().unwrap_or_else(|p| p.into_inner()).take();
    if let Some(s) = &store {
      s.detach_clock(self.clock_id);
    }
    drop(store);
  }

  fn with<R>(&self, f: impl FnOnce(&KvStore) -> Result<R, KvError>) -> Result<R, KvError> {
    let guard = self.store.read().unwrap_or_else(|p| p.into_inner());
    match guard.as_ref() {
      Some(store) => f(store),
      None => Err(KvError::Storage(StorageError::Closed {
        kind: KIND,
        name: self.name.clone(),
      })),
    }
  }

  /// `get` / `getWithMetadata`: `f` sees the live entry without copying it.
  pub fn get<R>(
    &self,
    key: &str,
    cache_ttl: Option<f64>,
    f: impl FnOnce(Record<'_>) -> R,
  ) -> Result<Option<R>, KvError> {
    validate_key(key, Op::Get)?;
    validate_cache_ttl(cache_ttl, Op::Get)?;
    let now = self.clock.now_secs();
    self.with(|s| s.read(key.as_bytes(), now, f))
  }

  /// Bulk `get` / `getWithMetadata`: one entry per requested key, `None` where missing.
  pub fn get_bulk(
    &self,
    keys: &[String],
    ty: &str,
    cache_ttl: Option<f64>,
  ) -> Result<Vec<Option<BulkEntry>>, KvError> {
    let ty = match ty {
      "text" => BulkType::Text,
      "json" => BulkType::Json,
      other => return Err(KvError::BulkInvalidType { ty: other.into() }),
    };
    if keys.is_empty() {
      return Err(KvError::BulkTooFew);
    }
    if keys.len() > MAX_BULK_KEYS {
      return Err(KvError::BulkTooMany);
    }
    for key in keys {
      validate_key(key, Op::GetBulk).map_err(|e| match e {
        KvError::KeyEmpty => KvError::BulkKeyEmpty,
        KvError::KeyDot(k) => KvError::BulkKeyDot(k),
        other => other,
      })?;
    }
    validate_cache_ttl(cache_ttl, Op::GetBulk)?;
    let now = self.clock.now_secs();
    let byte_keys: Vec<&[u8]> = keys.iter().map(|k| k.as_bytes()).collect();
    let mut total = 0usize;
    self.with(|s| {
      s.read_many(&byte_keys, now, |found| {
        let Some(r) = found else { return Ok(None) };
        total += r.value.len();
        if total > MAX_BULK_VALUE_BYTES {
          return Err(KvError::BulkTooLarge);
        }
        // The server decodes bulk values as UTF-8 text, which drops a leading byte-order mark.
        let value = r.value.strip_prefix(UTF8_BOM).unwrap_or(r.value);
        if ty == BulkType::Json && serde_json::from_slice::<serde::de::IgnoredAny>(value).is_err() {
          return Err(KvError::BulkNonJson);
        }
        Ok(Some(BulkEntry {
          value: value.to_vec(),
          metadata: r.metadata.map(|m| String::from_utf8_lossy(m).into_owned()),
        }))
      })
    })
  }

  /// Validates and queues a put; the returned receiver resolves once it is durable.
  pub fn put(&self, key: &str, value: &[u8], options: &PutOptions) -> Result<Pending, KvError> {
    validate_key(key, Op::Put)?;
    let now = self.clock.now_secs();
    let expiration = expiration_of(options, now)?;
    let metadata = options.metadata.as_deref().map(str::as_bytes);
    if let Some(m) = metadata {
      if m.len() > MAX_METADATA_BYTES {
        return Err(KvError::MetadataTooLarge { len: m.len() });
      }
    }
    if value.len() > MAX_VALUE_BYTES {
      return Err(KvError::ValueTooLarge { len: value.len() });
    }
    let record = Record::encode(value, expiration, metadata);
    self.with(|s| {
      Ok(s.submit(
        Change::Put {
          key: key.as_bytes().to_vec(),
          record,
          expiration,
        },
        s.purge_horizon(now),
      ))
    })
  }

  /// Validates and queues a delete; resolves once durable, whether or not the key existed.
  pub fn delete(&self, key: &str) -> Result<Pending, KvError> {
    validate_key(key, Op::Delete)?;
    let now = self.clock.now_secs();
    self.with(|s| {
      Ok(s.submit(
        Change::Delete {
          key: key.as_bytes().to_vec(),
        },
        s.purge_horizon(now),
      ))
    })
  }

  /// One page of live keys in UTF-8 byte order.
  pub fn list(
    &self,
    prefix: Option<&str>,
    limit: Option<f64>,
    cursor: Option<&str>,
  ) -> Result<ListPage, KvError> {
    let limit = list_limit(limit)?;
    let prefix = prefix.unwrap_or("");
    if prefix.len() > MAX_KEY_BYTES {
      return Err(KvError::KeyTooLong {
        op: Op::Get,
        len: prefix.len(),
      });
    }
    let after = match cursor {
      Some(c) if !c.is_empty() => Some(cursor::decode(c)?),
      _ => None,
    };
    let now = self.clock.now_secs();
    let mut page = ListPage::default();
    let more = self.with(|s| {
      s.scan(prefix.as_bytes(), after.as_deref(), now, |key, r| {
        if page.keys.len() == limit {
          return false;
        }
        page.keys.push(ListKey {
          name: String::from_utf8_lossy(key).into_owned(),
          expiration: r.expiration,
          metadata: r.metadata.map(|m| String::from_utf8_lossy(m).into_owned()),
        });
        true
      })
    })?;
    if more {
      let last = page.keys.last().map(|k| k.name.as_bytes()).unwrap_or_default();
      page.cursor = Some(cursor::encode(last));
    }
    Ok(page)
  }
}

impl Drop for KvNamespace {
  fn drop(&mut self) {
    self.close();
  }
}

/// Key rules of the binding: empty and "."/".." are rejected by the client (TypeError), overlong
/// keys by the server (an `Error` naming the operation).
pub fn validate_key(key: &str, op: Op) -> Result<(), KvError> {
  match key {
    "" => Err(KvError::KeyEmpty),
    "." => Err(KvError::KeyDot(".")),
    ".." => Err(KvError::KeyDot("..")),
    k if k.len() > MAX_KEY_BYTES => Err(KvError::KeyTooLong { op, len: k.len() }),
    _ => Ok(()),
  }
}

/// workerd converts numeric options to 32-bit integers before sending them: NaN and ±Infinity
/// become 0, fractions truncate, and finite values outside the int32 range are a TypeError.
pub fn to_int32(v: f64) -> Result<i64, KvError> {
  if !v.is_finite() {
    return Ok(0);
  }
  let t = v.trunc();
  if t < i32::MIN as f64 || t > i32::MAX as f64 {
    return Err(KvError::OutOfRange);
  }
  Ok(t as i64)
}

fn validate_cache_ttl(cache_ttl: Option<f64>, op: Op) -> Result<(), KvError> {
  if let Some(t) = cache_ttl {
    let ttl = to_int32(t)?;
    if ttl < MIN_CACHE_TTL_SECS {
      return Err(KvError::CacheTtl { op, ttl });
    }
  }
  Ok(())
}

/// `expirationTtl` wins over `expiration`; both are validated against the handle's clock.
fn expiration_of(o: &PutOptions, now_secs: u64) -> Result<Option<u64>, KvError> {
  let now = now_secs as i64;
  if let Some(ttl) = o.expiration_ttl {
    let ttl = to_int32(ttl)?;
    if ttl <= 0 {
      return Err(KvError::ExpirationTtlNotPositive { ttl });
    }
    if ttl < MIN_EXPIRATION_TTL_SECS {
      return Err(KvError::ExpirationTtlTooSmall { ttl });
    }
    return Ok(Some((now + ttl) as u64));
  }
  if let Some(e) = o.expiration {
    let expiration = to_int32(e)?;
    if expiration <= now {
      return Err(KvError::ExpirationNotFuture { expiration });
    }
    if expiration < now + MIN_EXPIRATION_TTL_SECS {
      return Err(KvError::ExpirationTooSoon { expiration });
    }
    return Ok(Some(expiration as u64));
  }
  Ok(None)
}

/// The runtime only forwards a limit above 0; the server rejects more than 1000.
fn list_limit(limit: Option<f64>) -> Result<usize, KvError> {
  let Some(l) = limit else { return Ok(MAX_LIST_KEYS) };
  let l = to_int32(l)?;
  if l <= 0 {
    return Ok(MAX_LIST_KEYS);
  }
  if l as usize > MAX_LIST_KEYS {
    return Err(KvError::ListLimit { limit: l });
  }
  Ok(l as usize)
}

#[cfg(test)]
mod tests;
