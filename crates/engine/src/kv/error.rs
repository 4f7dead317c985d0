//! KV errors. `Display` is the exact text a Worker sees from Cloudflare's binding.

use crate::error::{BindingError, ErrorClass, StorageError};
use crate::limits::kv::*;
use std::fmt;

/// The operation named in `KV <OP> failed: …` texts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
  /// `get`, `getWithMetadata` and `list`.
  Get,
  GetBulk,
  Put,
  Delete,
}

impl fmt::Display for Op {
  fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    f.write_str(match self {
      Op::Get => "GET",
      Op::GetBulk => "GET_BULK",
      Op::Put => "PUT",
      Op::Delete => "DELETE",
    })
  }
}

#[derive(Debug)]
#[non_exhaustive]
pub enum KvError {
  KeyEmpty,
  KeyDot(&'static str),
  KeyTooLong {
    op: Op,
    len: usize,
  },
  UnknownType,
  InvalidValue,
  ValueTooLarge {
    len: usize,
  },
  MetadataTooLarge {
    len: usize,
  },
  ExpirationTtlNotPositive {
    ttl: i64,
  },
  ExpirationTtlTooSmall {
    ttl: i64,
  },
  ExpirationNotFuture {
    expiration: i64,
  },
  ExpirationTooSoon {
    expiration: i64,
  },
  /// An option that must fit a 32-bit integer did not (workerd's conversion error).
  OutOfRange,
  ListLimit {
    limit: i64,
  },
  InvalidCursor,
  CacheTtl {
    op: Op,
    ttl: i64,
  },
  /// Bulk keys are validated by the server, which words the key rules differently.
  BulkKeyEmpty,
  BulkKeyDot(&'static str),
  BulkTooMany,
  BulkTooFew,
  BulkInvalidType {
    ty: String,
  },
  BulkNonJson,
  BulkTooLarge,
  Storage(StorageError),
}

impl fmt::Display for KvError {
  fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
    use KvError::*;
    match self {
      KeyEmpty => write!(f, "Key name cannot be empty."),
      KeyDot(k) => write!(f, "\"{k}\" is not allowed as a key name."),
      KeyTooLong { op, len } => write!(
        f,
        "KV {op} failed: 414 UTF-8 encoded length of {len} exceeds key length limit of {MAX_KEY_BYTES}."
      ),
      UnknownType => write!(
        f,
        "Unknown response type. Possible types are \"text\", \"arrayBuffer\", \"json\", and \"stream\"."
      ),
      InvalidValue => write!(
        f,
        "KV put() accepts only strings, ArrayBuffers, ArrayBufferViews, and ReadableStreams as values."
      ),
      ValueTooLarge { len } => {
        write!(f, "KV PUT failed: 413 Value length of {len} exceeds limit of {MAX_VALUE_BYTES}.")
      }
      MetadataTooLarge { len } => {
        write!(f, "KV PUT failed: 413 Metadata length of {len} exceeds limit of {MAX_METADATA_BYTES}.")
      }
      ExpirationTtlNotPositive { ttl } => write!(
        f,
        "KV PUT failed: 400 Invalid expiration_ttl of {ttl}. Please specify integer greater than 0."
      ),
      ExpirationTtlTooSmall { ttl } => write!(
        f,
        "KV PUT failed: 400 Invalid expiration_ttl of {ttl}. Expiration TTL must be at least {MIN_EXPIRATION_TTL_SECS}."
      ),
      ExpirationNotFuture { expiration } => write!(
        f,
        "KV PUT failed: 400 Invalid expiration of {expiration}. Please specify integer greater than the current number of seconds since the UNIX epoch."
      ),
      ExpirationTooSoon { expiration } => write!(
        f,
        "KV PUT failed: 400 Invalid expiration of {expiration}. Expiration times must be at least {MIN_EXPIRATION_TTL_SECS} seconds in the future."
      ),
      OutOfRange => write!(f, "Value out of range. Must be between -2147483648 and 2147483647 (inclusive)."),
      ListLimit { limit } => write!(
        f,
        "KV GET failed: 400 Invalid key_count_limit of {limit}. Please specify an integer less than {MAX_LIST_KEYS}."
      ),
      InvalidCursor => write!(f, "KV GET failed: 400 Invalid cursor."),
      CacheTtl { op, ttl } => write!(
        f,
        "KV {op} failed: 400 Invalid cache_ttl of {ttl}. Cache TTL must be at least {MIN_CACHE_TTL_SECS}."
      ),
      BulkKeyEmpty => write!(f, "KV GET_BULK failed: 400 Key names must not be empty"),
      BulkKeyDot(k) => write!(f, "KV GET_BULK failed: 400 Illegal key name \"{k}\". Please use a different name."),
      BulkTooMany => write!(f, "KV GET_BULK failed: 400 You can request a maximum of {MAX_BULK_KEYS} keys"),
      BulkTooFew => write!(f, "KV GET_BULK failed: 400 You must request a minimum of 1 key"),
      BulkInvalidType { ty } => {
        write!(f, "KV GET_BULK failed: 400 \"{ty}\" is not a valid type. Use \"json\" or \"text\"")
      }
      BulkNonJson => write!(
        f,
        "KV GET_BULK failed: 400 At least one of the requested keys corresponds to a non-json value"
      ),
      BulkTooLarge => write!(f, "KV GET_BULK failed: 413 Total size of request exceeds the limit of 25MB"),
      Storage(e) => write!(f, "{e}"),
    }
  }
}

impl std::error::Error for KvError {
  fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
    match self {
      KvError::Storage(e) => Some(e),
      _ => None,
    }
  }
}

impl BindingError for KvError {
  fn code(&self) -> &'static str {
    use KvError::*;
    match self {
      KeyEmpty | KeyDot(_) => "EB_KV_INVALID_KEY",
      KeyTooLong { .. } => "EB_KV_KEY_TOO_LONG",
      BulkKeyEmpty | BulkKeyDot(_) => "EB_KV_BULK_INVALID_KEY",
      UnknownType => "EB_KV_UNKNOWN_TYPE",
      InvalidValue => "EB_KV_INVALID_VALUE",
      ValueTooLarge { .. } => "EB_KV_VALUE_TOO_LARGE",
      MetadataTooLarge { .. } => "EB_KV_METADATA_TOO_LARGE",
      ExpirationTtlNotPositive { .. } | ExpirationTtlTooSmall { .. } => "EB_KV_INVALID_EXPIRATION_TTL",
      ExpirationNotFuture { .. } | ExpirationTooSoon { .. } => "EB_KV_INVALID_EXPIRATION",
      OutOfRange => "EB_KV_OUT_OF_RANGE",
      ListLimit { .. } => "EB_KV_INVALID_LIMIT",
      InvalidCursor => "EB_KV_INVALID_CURSOR",
      CacheTtl { .. } => "EB_KV_INVALID_CACHE_TTL",
      BulkTooMany | BulkTooFew => "EB_KV_BULK_KEY_COUNT",
      BulkInvalidType { .. } => "EB_KV_BULK_INVALID_TYPE",
      BulkNonJson => "EB_KV_BULK_NON_JSON",
      BulkTooLarge => "EB_KV_BULK_TOO_LARGE",
      Storage(e) => e.code(),
    }
  }

  fn class(&self) -> ErrorClass {
    use KvError::*;
    match self {
      KeyEmpty | KeyDot(_) | UnknownType | InvalidValue | OutOfRange => ErrorClass::TypeError,
      Storage(e) => e.class(),
      _ => ErrorClass::Error,
    }
  }
}

crate::error::storage_from!(KvError);
