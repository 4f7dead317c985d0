//! The engine's limits, for the JS layer (stream reading) and for tests.

use edgebase_engine::limits;
use napi_derive::napi;

#[napi(object)]
pub struct KvLimits {
  pub max_key_bytes: u32,
  pub max_value_bytes: u32,
  pub max_metadata_bytes: u32,
  pub min_expiration_ttl_secs: u32,
  pub min_cache_ttl_secs: u32,
  pub max_list_keys: u32,
  pub max_bulk_keys: u32,
}

#[napi(object)]
pub struct R2Limits {
  pub max_key_bytes: u32,
  pub max_object_bytes: f64,
  pub max_custom_metadata_bytes: u32,
  pub max_list_keys: u32,
  pub max_part_number: u32,
  pub min_part_bytes: u32,
}

#[napi(object)]
pub struct Limits {
  pub kv: KvLimits,
  pub r2: R2Limits,
}

#[napi]
pub fn limits() -> Limits {
  use limits::kv::*;
  Limits {
    kv: KvLimits {
      max_key_bytes: MAX_KEY_BYTES as u32,
      max_value_bytes: MAX_VALUE_BYTES as u32,
      max_metadata_bytes: MAX_METADATA_BYTES as u32,
      min_expiration_ttl_secs: MIN_EXPIRATION_TTL_SECS as u32,
      min_cache_ttl_secs: MIN_CACHE_TTL_SECS as u32,
      max_list_keys: MAX_LIST_KEYS as u32,
      max_bulk_keys: MAX_BULK_KEYS as u32,
    },
    r2: {
      use limits::r2::*;
      R2Limits {
        max_key_bytes: MAX_KEY_BYTES as u32,
        max_object_bytes: MAX_OBJECT_BYTES as f64,
        max_custom_metadata_bytes: MAX_CUSTOM_METADATA_BYTES as u32,
        max_list_keys: MAX_LIST_KEYS as u32,
        max_part_number: MAX_PART_NUMBER,
        min_part_bytes: MIN_PART_BYTES as u32,
      }
    },
  }
}
